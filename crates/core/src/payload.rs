//! Payload rows: running a user's payload INSERT so the new row ends up at rowid = id,
//! and reading rows back with their SQLite types.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};

use crate::error::{environment_code, Error, ErrorCode, Result};
use crate::catalog::{self, Collection};
use crate::guard::{self, Policy, SEQUENCE_TABLE};
use crate::names::quote;
use crate::types::Value;

pub fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// Columns `from..` of a row as (name, value) pairs.
pub fn columns(row: &Row<'_>, names: &[String], from: usize) -> Result<Vec<(String, Value)>> {
    names
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, n)| Ok((n.clone(), value(row.get_ref(i)?))))
        .collect()
}

/// Inserts the payload row of point `id` into `table`. Runs inside the caller's
/// transaction; on error the caller rolls back.
pub fn insert(conn: &Connection, table: &str, id: i64, query: Option<&str>) -> Result<()> {
    let new_rowid = match query {
        None => {
            conn.execute(&format!("INSERT INTO main.{}(rowid) VALUES (?1)", quote(table)), [id])
                .map_err(|e| guard::user_sql_error("inserting the default payload row", e))?;
            return Ok(());
        }
        Some(sql) => {
            let policy = Policy::InsertInto { table: table.to_string(), names: catalog::payload_sql_names(conn)? };
            guard::with_policy(conn, policy, |conn| run_insert(conn, table, sql))?
        }
    };
    if new_rowid != id {
        move_row(conn, table, new_rowid, id)?;
    }
    Ok(())
}

/// Runs the user's INSERT (under its policy) and returns the new row's rowid.
fn run_insert(conn: &Connection, table: &str, sql: &str) -> Result<i64> {
    let what = "payload insert query";
    let shape = guard::inspect(conn, sql, what)?;
    if shape.readonly {
        return Err(Error::new(ErrorCode::ForbiddenSql, format!("{what} must be an INSERT into {table}")));
    }
    // RETURNING would report the row's temporary rowid, before it moves to the point id,
    // to a caller that receives nothing; SQLite counts its values as result columns.
    if shape.column_count > 0 {
        return Err(Error::invalid(format!(
            "{what} must not have a RETURNING clause: insert returns nothing; read the row back with get(collection, id)"
        )));
    }
    let changed = conn.execute(sql, []).map_err(|e| guard::user_sql_error(what, e))?;
    if changed != 1 {
        return Err(Error::invalid(format!(
            "{what} must insert exactly one row into {table}; it inserted {changed}"
        )));
    }
    Ok(conn.last_insert_rowid())
}

/// Moves the row the user's INSERT created to rowid = id.
fn move_row(conn: &Connection, table: &str, new_rowid: i64, id: i64) -> Result<()> {
    let moved = conn.execute(
        &format!("UPDATE main.{} SET rowid = ?1 WHERE rowid = ?2", quote(table)),
        [id, new_rowid],
    );
    match moved {
        Ok(1) => {}
        Ok(_) => return Err(Error::internal(format!("payload row {new_rowid} vanished before it could move to id {id}"))),
        Err(e) if environment_code(&e).is_some() => return Err(e.into()),
        Err(e) => {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("cannot give the payload row id {id}: {e}"),
            ))
        }
    }
    reset_sequence(conn, table)
}

/// An AUTOINCREMENT table's sequence has just recorded the temporary rowid, which may be
/// any rowid the user's INSERT named, up to the largest one SQLite has (after which every
/// AUTOINCREMENT insert fails). Rows live at their ids, so the sequence is set to the
/// largest id in the table; the next temporary rowid is then always representable.
fn reset_sequence(conn: &Connection, table: &str) -> Result<()> {
    let has_sequences: bool = conn
        .prepare_cached("SELECT count(*) > 0 FROM main.sqlite_master WHERE type = 'table' AND name = ?1")?
        .query_row([SEQUENCE_TABLE], |r| r.get(0))?;
    if has_sequences {
        conn.prepare_cached(&format!(
            "UPDATE main.{SEQUENCE_TABLE} SET seq = (SELECT max(rowid) FROM main.{}) WHERE name = ?1 COLLATE NOCASE",
            quote(table)
        ))?
        .execute([table])?;
    }
    Ok(())
}

pub fn count(conn: &Connection, table: &str) -> Result<u64> {
    let n: i64 = conn.query_row(&format!("SELECT count(*) FROM main.{}", quote(table)), [], |r| r.get(0))?;
    Ok(n as u64)
}

/// The payload row of point `id`: every column of the collection's table.
pub fn get(conn: &Connection, table: &str, id: i64) -> Result<Vec<(String, Value)>> {
    // Not cached: `*` must expand to the table's columns now, even after another
    // connection's ALTER TABLE, and column names are read before the statement steps.
    let mut stmt = conn.prepare(&format!("SELECT * FROM main.{} WHERE rowid = ?1", quote(table)))?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => columns(row, &names, 0),
        None => Ok(Vec::new()),
    }
}

/// Compiles (without running) a collection's payload schema under its policy: it must
/// parse, be one statement and touch nothing but its own table. Changes nothing.
pub fn inspect_schema(conn: &Connection, c: &Collection) -> Result<()> {
    match &c.payload_schema {
        None => Ok(()),
        Some(sql) => guard::with_policy(conn, Policy::CreateTable { table: c.name.clone() }, |conn| {
            guard::inspect(conn, sql, "payload schema").map(|_| ())
        }),
    }
}

/// Creates the collection's payload table: the user's CREATE TABLE, allowed to create
/// exactly that table, or the default one. It must be an ordinary rowid table, because
/// each row is addressed by rowid = point id.
pub fn create_table(conn: &Connection, c: &Collection) -> Result<()> {
    match &c.payload_schema {
        None => conn.execute_batch(&format!("CREATE TABLE main.{} (rowid INTEGER PRIMARY KEY)", quote(&c.name)))?,
        Some(sql) => guard::with_policy(conn, Policy::CreateTable { table: c.name.clone() }, |conn| {
            let what = "payload schema";
            guard::inspect(conn, sql, what)?;
            conn.execute_batch(sql).map_err(|e| guard::user_sql_error(what, e))
        })?,
    }
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM main.sqlite_master WHERE name = ?1 COLLATE NOCASE",
            [&c.name],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    if kind.as_deref() != Some("table") {
        return Err(Error::invalid(format!("payload schema must be a CREATE TABLE {}", c.name)));
    }
    if conn.prepare(&format!("SELECT rowid FROM main.{}", quote(&c.name))).is_err() {
        return Err(Error::invalid(format!(
            "payload table {} must have a rowid (WITHOUT ROWID tables cannot be used)",
            c.name
        )));
    }
    if !has_rowid_alias(conn, &c.name)? {
        return Err(Error::invalid(format!(
            "payload schema must declare an INTEGER PRIMARY KEY column, e.g. CREATE TABLE {} (rowid INTEGER PRIMARY KEY, ...): \
             it holds the point id, and VACUUM renumbers rows of tables without one",
            c.name
        )));
    }
    Ok(())
}

/// True when the table has a column that is an alias of its rowid, which VACUUM never
/// renumbers. SQLite's own catalog decides: exactly one primary-key column, declared
/// INTEGER, and no index behind the primary key (`index_list` origin `pk`), which SQLite
/// creates for every primary key that is not an alias (`INTEGER PRIMARY KEY DESC`, `INT
/// PRIMARY KEY`). The caller has already refused WITHOUT ROWID tables. The query planner
/// is not asked: with a UNIQUE column beside the key it answers from that index.
fn has_rowid_alias(conn: &Connection, table: &str) -> Result<bool> {
    let name = sql_string(table);
    let mut info = conn.prepare(&format!("SELECT type FROM pragma_table_xinfo({name}, 'main') WHERE pk > 0"))?;
    let pk: Vec<String> = info.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let [declared] = pk.as_slice() else { return Ok(false) };
    if !declared.eq_ignore_ascii_case("INTEGER") {
        return Ok(false);
    }
    let pk_indexes: i64 =
        conn.query_row(&format!("SELECT count(*) FROM pragma_index_list({name}, 'main') WHERE origin = 'pk'"), [], |r| r.get(0))?;
    Ok(pk_indexes == 0)
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
