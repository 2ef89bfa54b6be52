//! The collection registry and engine metadata, stored in ordinary tables of the database
//! so that a backup (snapshot) carries them with the data.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, ErrorCode, Result};
use crate::guard::SchemaNames;
use crate::names::{quote, vectors_table, META_TABLE, REGISTRY_TABLE};
use crate::types::Distance;

pub const FORMAT_VERSION: &str = "1";

/// A collection as registered. `capacity` is the current HNSW capacity (it grows);
/// `max_elements` is what the collection was created with.
#[derive(Clone, Debug)]
pub struct Collection {
    pub name: String,
    pub dimension: u32,
    pub distance: Distance,
    pub m: u32,
    pub ef_construction: u32,
    pub max_elements: u32,
    pub capacity: u32,
    pub payload_schema: Option<String>,
    /// Size and SHA-256 of the index file written at the last clean close, if any.
    pub index_file: Option<(u64, String)>,
}

pub fn ensure_schema(conn: &Connection) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {REGISTRY_TABLE} (
            name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            dimension INTEGER NOT NULL,
            distance TEXT NOT NULL,
            m INTEGER NOT NULL,
            ef_construction INTEGER NOT NULL,
            max_elements INTEGER NOT NULL,
            capacity INTEGER NOT NULL,
            payload_schema TEXT,
            index_bytes INTEGER,
            index_sha256 TEXT
        );
        CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO {META_TABLE}(key, value) VALUES ('format', '{FORMAT_VERSION}');
        INSERT OR IGNORE INTO {META_TABLE}(key, value) VALUES ('clean_close', '0');"
    ))?;
    let format: String =
        conn.query_row(&format!("SELECT value FROM {META_TABLE} WHERE key = 'format'"), [], |r| r.get(0))?;
    if format != FORMAT_VERSION {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("database has VectorXLite format {format}; this engine reads format {FORMAT_VERSION}"),
        ));
    }
    Ok(())
}

/// True when the previous session closed cleanly and nothing was written since, so index
/// files whose checksum matches their registry entry are current.
pub fn clean_close(conn: &Connection) -> Result<bool> {
    let v: Option<String> = conn
        .query_row(&format!("SELECT value FROM {META_TABLE} WHERE key = 'clean_close'"), [], |r| r.get(0))
        .optional()?;
    Ok(v.as_deref() == Some("1"))
}

pub fn set_clean_close(conn: &Connection, clean: bool) -> Result<()> {
    conn.execute(
        &format!("UPDATE {META_TABLE} SET value = ?1 WHERE key = 'clean_close'"),
        [if clean { "1" } else { "0" }],
    )?;
    Ok(())
}

pub fn record_index_file(conn: &Connection, name: &str, file: Option<(u64, &str)>) -> Result<()> {
    conn.execute(
        &format!("UPDATE {REGISTRY_TABLE} SET index_bytes = ?2, index_sha256 = ?3 WHERE name = ?1"),
        params![name, file.map(|f| f.0 as i64), file.map(|f| f.1)],
    )?;
    Ok(())
}

pub fn set_capacity(conn: &Connection, name: &str, capacity: u32) -> Result<()> {
    conn.execute(
        &format!("UPDATE {REGISTRY_TABLE} SET capacity = ?2 WHERE name = ?1"),
        params![name, capacity],
    )?;
    Ok(())
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Collection, String)> {
    let distance: String = r.get(2)?;
    let bytes: Option<i64> = r.get(8)?;
    let sha: Option<String> = r.get(9)?;
    Ok((
        Collection {
            name: r.get(0)?,
            dimension: r.get(1)?,
            distance: Distance::Cosine,
            m: r.get(3)?,
            ef_construction: r.get(4)?,
            max_elements: r.get(5)?,
            capacity: r.get(6)?,
            payload_schema: r.get(7)?,
            index_file: bytes.zip(sha).map(|(b, s)| (b as u64, s)),
        },
        distance,
    ))
}

const COLUMNS: &str =
    "name, dimension, distance, m, ef_construction, max_elements, capacity, payload_schema, index_bytes, index_sha256";

pub fn load_all(conn: &Connection) -> Result<Vec<Collection>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM {REGISTRY_TABLE} ORDER BY name"))?;
    let rows = stmt.query_map([], from_row)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut c, distance) = row?;
        c.distance = Distance::parse(&distance).map_err(|_| {
            Error::internal(format!("collection {} has unknown distance '{distance}'", c.name))
        })?;
        out.push(c);
    }
    Ok(out)
}

/// The names payload SQL rules depend on: every collection's payload table (readable),
/// and every view and trigger in the main and temp schemas (never run by payload SQL).
pub fn payload_sql_names(conn: &Connection) -> Result<SchemaNames> {
    let names = |sql: &str| -> Result<Vec<String>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    };
    Ok(SchemaNames::new(
        names(&format!("SELECT name FROM {REGISTRY_TABLE}"))?,
        names(
            "SELECT name FROM main.sqlite_master WHERE type IN ('view', 'trigger')
             UNION ALL SELECT name FROM temp.sqlite_master WHERE type IN ('view', 'trigger')",
        )?,
    ))
}

pub fn insert(conn: &Connection, c: &Collection) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO {REGISTRY_TABLE}(name, dimension, distance, m, ef_construction, max_elements, capacity, payload_schema)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ),
        params![c.name, c.dimension, c.distance.as_str(), c.m, c.ef_construction, c.max_elements, c.capacity, c.payload_schema],
    )?;
    conn.execute_batch(&format!(
        "CREATE TABLE {} (id INTEGER PRIMARY KEY, vector BLOB NOT NULL)",
        quote(&vectors_table(&c.name))
    ))?;
    Ok(())
}

pub fn remove(conn: &Connection, name: &str) -> Result<()> {
    conn.execute(&format!("DELETE FROM {REGISTRY_TABLE} WHERE name = ?1"), [name])?;
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS main.{};",
        quote(&vectors_table(name)),
        quote(name)
    ))?;
    Ok(())
}

pub fn count(conn: &Connection, name: &str) -> Result<u64> {
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {}", quote(&vectors_table(name))),
        [],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}
