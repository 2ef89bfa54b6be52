//! What user-supplied payload SQL may do, enforced by SQLite itself: the statement is
//! prepared once to prove it parses and is a single statement, its read-only flag comes
//! from `sqlite3_stmt_readonly`, and an authorizer (consulted by SQLite while compiling)
//! limits the tables it may touch. No string matching decides what SQL is allowed.

use std::collections::HashSet;
use std::ffi::{c_char, CStr, CString};
use std::sync::{Arc, Mutex};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{ffi, Connection};

use crate::error::{environment_code, Error, ErrorCode, Result};

/// Authorizer code of a recursive CTE (SQLite 3.8.3), absent from the bindings
/// libsqlite3-sys 0.25 ships (SQLite 3.6.23 API).
const SQLITE_RECURSIVE: i32 = 33;

extern "C" {
    // SQLite >= 3.7.4; the shipped bindings predate it. Linked from the same libsqlite3.
    fn sqlite3_stmt_readonly(stmt: *mut ffi::sqlite3_stmt) -> std::os::raw::c_int;
}

/// The names in SQLite's schema that payload SQL rules depend on, compared
/// case-insensitively like SQL names.
#[derive(Clone, Debug)]
pub struct SchemaNames {
    /// The collections' payload tables: the only tables payload SQL may read.
    collections: HashSet<String>,
    /// Views and triggers: code stored in the database, which payload SQL may not run.
    stored_code: HashSet<String>,
}

impl SchemaNames {
    pub fn new(collections: Vec<String>, stored_code: Vec<String>) -> SchemaNames {
        let lower = |names: Vec<String>| names.into_iter().map(|n| n.to_ascii_lowercase()).collect();
        SchemaNames { collections: lower(collections), stored_code: lower(stored_code) }
    }

    fn is_collection(&self, table: &str) -> bool {
        self.collections.contains(&table.to_ascii_lowercase())
    }

    fn is_stored_code(&self, name: &str) -> bool {
        self.stored_code.contains(&name.to_ascii_lowercase())
    }
}

/// The tables a payload statement may touch.
#[derive(Clone, Debug)]
pub enum Policy {
    /// A collection's payload schema: creates exactly that table in the main schema.
    CreateTable { table: String },
    /// A payload insert: inserts into the collection's own table, may read collection tables.
    InsertInto { table: String, names: SchemaNames },
    /// A payload search: reads collection tables only.
    ReadOnly { names: SchemaNames },
}

impl Policy {
    fn decide(&self, ctx: &AuthContext<'_>) -> std::result::Result<(), String> {
        let in_main = matches!(ctx.database_name, None | Some("main"));
        // SQLite names the trigger, view or CTE whose body it is compiling as the accessor.
        // A CTE is part of the statement and reads like it; a trigger or view runs code the
        // statement's author did not write here, so it is refused (and so is a CTE named
        // like one: SQLite gives no other way to tell them apart).
        if let Some(accessor) = ctx.accessor {
            let stored = match self {
                Policy::CreateTable { .. } => true,
                Policy::InsertInto { names, .. } | Policy::ReadOnly { names } => names.is_stored_code(accessor),
            };
            if stored {
                return Err(format!(
                    "payload SQL may only use collection payload tables; access through the trigger or view '{accessor}' is refused"
                ));
            }
        }
        match (self, ctx.action) {
            // It loads native code from any file; refused here whether or not the connection
            // happens to have extension loading enabled.
            (_, AuthAction::Function { function_name }) if function_name.eq_ignore_ascii_case("load_extension") => {
                Err("payload SQL may not call load_extension()".to_string())
            }
            (_, AuthAction::Select) | (_, AuthAction::Function { .. }) => Ok(()),
            (_, AuthAction::Unknown { code, .. }) if code == SQLITE_RECURSIVE => Ok(()),
            (Policy::CreateTable { table }, AuthAction::CreateTable { table_name })
                if in_main && table_name.eq_ignore_ascii_case(table) =>
            {
                Ok(())
            }
            // Creating a constraint's index reads the (new, empty) table.
            (Policy::CreateTable { table }, AuthAction::Read { table_name, .. })
                if in_main && table_name.eq_ignore_ascii_case(table) =>
            {
                Ok(())
            }
            // UNIQUE and PRIMARY KEY constraints create their own indexes.
            (Policy::CreateTable { table }, AuthAction::CreateIndex { index_name, table_name })
                if in_main
                    && table_name.eq_ignore_ascii_case(table)
                    && index_name.starts_with("sqlite_autoindex_") =>
            {
                Ok(())
            }
            // The first AUTOINCREMENT table makes SQLite create its sequence table.
            (Policy::CreateTable { .. }, AuthAction::CreateTable { table_name })
                if in_main && table_name.eq_ignore_ascii_case(SEQUENCE_TABLE) =>
            {
                Ok(())
            }
            // CREATE TABLE records itself in sqlite_master (and an AUTOINCREMENT table in
            // sqlite_sequence); SQLite asks permission for those internal writes.
            (Policy::CreateTable { .. }, AuthAction::Insert { table_name })
            | (Policy::CreateTable { .. }, AuthAction::Update { table_name, .. })
            | (Policy::CreateTable { .. }, AuthAction::Read { table_name, .. })
                if in_main && is_schema_table(table_name) =>
            {
                Ok(())
            }
            (Policy::InsertInto { table, .. }, AuthAction::Insert { table_name })
                if in_main && table_name.eq_ignore_ascii_case(table) =>
            {
                Ok(())
            }
            (Policy::InsertInto { names, .. } | Policy::ReadOnly { names }, AuthAction::Read { table_name, .. })
                if in_main && names.is_collection(table_name) =>
            {
                Ok(())
            }
            (_, action) => Err(describe(self, &action)),
        }
    }
}

/// SQLite's own record of each AUTOINCREMENT table's largest rowid.
pub const SEQUENCE_TABLE: &str = "sqlite_sequence";

fn is_schema_table(table: &str) -> bool {
    table.eq_ignore_ascii_case("sqlite_master") || table.eq_ignore_ascii_case(SEQUENCE_TABLE)
}

fn describe(policy: &Policy, action: &AuthAction<'_>) -> String {
    let allowed = match policy {
        Policy::CreateTable { table } => format!("a payload schema may only CREATE TABLE {table}"),
        Policy::InsertInto { table, .. } => format!(
            "a payload insert may only INSERT one row into {table}, reading only collection payload tables"
        ),
        Policy::ReadOnly { .. } => "a payload search query may only read collection payload tables".to_string(),
    };
    let refused = match action {
        // SQLite reports a FROM item none of whose columns are used with an empty column
        // name and the name as written, without saying whether it is a table or a CTE.
        AuthAction::Read { table_name, column_name: "" } => format!(
            "reading {table_name} (if {table_name} is a CTE, use one of its columns: SQLite reports a FROM \
             item none of whose columns are used without saying whether it is a CTE or a table)"
        ),
        AuthAction::Read { table_name, .. } => format!("reading {table_name}"),
        action => format!("{action:?}"),
    };
    format!("{allowed}; refused: {refused}")
}

/// Runs `body` with `policy` installed as the connection's authorizer. A statement the
/// authorizer refused comes back as FORBIDDEN_SQL naming what was refused.
pub fn with_policy<T>(
    conn: &Connection,
    policy: Policy,
    body: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    let refusal: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&refusal);
    conn.authorizer(Some(move |ctx: AuthContext<'_>| match policy.decide(&ctx) {
        Ok(()) => Authorization::Allow,
        Err(reason) => {
            if let Ok(mut slot) = seen.lock() {
                slot.get_or_insert(reason);
            }
            Authorization::Deny
        }
    }));
    let result = body(conn);
    conn.authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
    let refused = refusal.lock().ok().and_then(|mut slot| slot.take());
    match (result, refused) {
        (Err(e), Some(reason)) if e.code == ErrorCode::SqlError => {
            Err(Error::new(ErrorCode::ForbiddenSql, reason))
        }
        (result, _) => result,
    }
}

/// What SQLite says about one statement of user SQL.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub readonly: bool,
    pub column_count: usize,
}

/// Compiles `sql` without running it: it must be exactly one statement (anything after it
/// other than whitespace and comments is FORBIDDEN_SQL), and must parse (else SQL_ERROR).
pub fn inspect(conn: &Connection, sql: &str, what: &str) -> Result<Shape> {
    let c_sql = CString::new(sql)
        .map_err(|_| Error::invalid(format!("{what} must not contain NUL characters")))?;
    // SAFETY: the handle belongs to `conn`, which outlives this call; every statement
    // prepared here is finalized before returning.
    unsafe {
        let db = conn.handle();
        let (stmt, tail) = prepare_raw(db, c_sql.as_ptr()).map_err(|e| user_sql_error(what, e))?;
        if stmt.is_null() {
            return Err(Error::invalid(format!("{what} is empty")));
        }
        let shape = Shape {
            readonly: sqlite3_stmt_readonly(stmt) != 0,
            column_count: ffi::sqlite3_column_count(stmt) as usize,
        };
        ffi::sqlite3_finalize(stmt);
        // The rest must compile to nothing: SQLite itself skips whitespace and comments.
        match prepare_raw(db, tail) {
            Ok((next, _)) if next.is_null() => Ok(shape),
            Ok((next, _)) => {
                ffi::sqlite3_finalize(next);
                Err(more_than_one(what))
            }
            Err(_) => Err(more_than_one(what)),
        }
    }
}

fn more_than_one(what: &str) -> Error {
    Error::new(
        ErrorCode::ForbiddenSql,
        format!("{what} must be a single SQL statement; remove everything after the first ';'"),
    )
}

pub fn sql_error(what: &str, detail: &str) -> Error {
    Error::new(ErrorCode::SqlError, format!("{what} failed: {detail}"))
}

/// Maps an error from running user SQL: SQLite's complaint about the statement is the
/// user's to fix (SQL_ERROR); a failure of the environment keeps its own code.
pub fn user_sql_error(what: &str, e: rusqlite::Error) -> Error {
    match environment_code(&e) {
        Some(code) => Error::new(code, format!("{what} failed: {e}")),
        None => sql_error(what, &e.to_string()),
    }
}

unsafe fn prepare_raw(
    db: *mut ffi::sqlite3,
    sql: *const c_char,
) -> std::result::Result<(*mut ffi::sqlite3_stmt, *const c_char), rusqlite::Error> {
    let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    let mut tail: *const c_char = std::ptr::null();
    let rc = ffi::sqlite3_prepare_v2(db, sql, -1, &mut stmt, &mut tail);
    if rc != ffi::SQLITE_OK {
        let msg = CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy().into_owned();
        let code = ffi::sqlite3_extended_errcode(db);
        return Err(rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(msg)));
    }
    Ok((stmt, tail))
}
