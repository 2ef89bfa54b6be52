//! The vectorlite HNSW index of a collection: a cache of the durable vectors.
//!
//! It is a virtual table in the connection's TEMP schema, so the database file never
//! contains it: backups, other connections and tools without the extension see only
//! ordinary tables, and the index file path is chosen anew at each open instead of being
//! frozen into the schema. Index writes happen after the durable transaction commits
//! (vectorlite does not roll back), so a failed write can never leave the index holding a
//! vector the database does not; if an index write fails, the index is rebuilt.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection};

use crate::catalog::Collection;
use crate::error::{Error, Result};
use crate::names::{index_table, quote, vectors_table};
use crate::types::{IndexProgress, RebuildReason};

pub type Progress = Option<Arc<dyn Fn(IndexProgress) + Send + Sync>>;

/// How often a rebuild reports progress, in vectors.
const PROGRESS_EVERY: u64 = 4096;

/// Smallest and largest point id the index can hold (see `label`).
pub const MIN_ID: i64 = -(1 << 62);
pub const MAX_ID: i64 = (1 << 62) - 1;

/// vectorlite refuses negative rowids ("rowid out of range"), so point ids are stored in
/// the index zigzag-encoded (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...): every id in
/// MIN_ID..=MAX_ID maps to a distinct non-negative label.
fn label(id: i64) -> i64 {
    (id << 1) ^ (id >> 63)
}

fn id_of(label: i64) -> i64 {
    ((label as u64) >> 1) as i64 ^ -(label & 1)
}

pub enum IndexWriteError {
    /// vectorlite's max_elements was reached: the index must grow.
    Full,
    /// Any other failure: the index can no longer be trusted and must be rebuilt.
    Other,
}

fn table(c: &Collection) -> String {
    format!("temp.{}", quote(&index_table(&c.name)))
}

/// Creates the virtual table. With `file`, vectorlite loads the index from it when the
/// file exists, and writes it there when the connection closes.
pub fn create(conn: &Connection, c: &Collection, file: Option<&Path>) -> Result<()> {
    let path_arg = match file {
        Some(p) => format!(", '{}'", p.to_string_lossy().replace('\'', "''")),
        None => String::new(),
    };
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {} USING vectorlite(vec float32[{}] {}, hnsw(max_elements={}, ef_construction={}, M={}){})",
        table(c),
        c.dimension,
        c.distance.as_str(),
        c.capacity,
        c.ef_construction,
        c.m,
        path_arg
    ))
    .map_err(|e| Error::internal(format!("cannot create the index of {}: {e}", c.name)))
}

pub fn drop(conn: &Connection, c: &Collection) -> Result<()> {
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", table(c)))?;
    Ok(())
}

/// Drops the index and builds it again from the durable vectors, with `c.capacity`.
pub fn rebuild(
    conn: &Connection,
    c: &Collection,
    file: Option<&Path>,
    reason: RebuildReason,
    progress: &Progress,
) -> Result<()> {
    drop(conn, c)?;
    if let Some(f) = file {
        match std::fs::remove_file(f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    create(conn, c, file)?;
    let total = crate::catalog::count(conn, &c.name)?;
    let report = |done: u64| {
        if let Some(p) = progress {
            p(IndexProgress { collection: c.name.clone(), reason, done, total });
        }
    };
    report(0);
    let tx = conn.unchecked_transaction()?;
    {
        let mut read = tx.prepare(&format!(
            "SELECT id, vector FROM {} ORDER BY id",
            quote(&vectors_table(&c.name))
        ))?;
        let mut write = tx.prepare(&format!("INSERT INTO {}(rowid, vec) VALUES (?1, ?2)", table(c)))?;
        let mut rows = read.query([])?;
        let mut done = 0u64;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let blob = row.get_ref(1)?.as_blob()?;
            write
                .execute(params![label(id), blob])
                .map_err(|e| Error::internal(format!("rebuilding the index of {}: {e}", c.name)))?;
            done += 1;
            if done % PROGRESS_EVERY == 0 && done < total {
                report(done);
            }
        }
    }
    tx.commit()?;
    report(total);
    Ok(())
}

pub fn insert(conn: &Connection, c: &Collection, id: i64, blob: &[u8]) -> std::result::Result<(), IndexWriteError> {
    let sql = format!("INSERT INTO {}(rowid, vec) VALUES (?1, ?2)", table(c));
    match conn.prepare_cached(&sql).and_then(|mut s| s.execute(params![label(id), blob])) {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("exceeds the specified limit") => Err(IndexWriteError::Full),
        Err(_) => Err(IndexWriteError::Other),
    }
}

pub fn remove(conn: &Connection, c: &Collection, id: i64) -> Result<()> {
    let sql = format!("DELETE FROM {} WHERE rowid = ?1", table(c));
    conn.prepare_cached(&sql)?.execute([label(id)])?;
    Ok(())
}

/// Approximate nearest neighbours: (id, distance), nearest first. With `only`, the
/// candidate ids are pushed down into the HNSW traversal (vectorlite's `rowid IN`).
pub fn knn(
    conn: &Connection,
    c: &Collection,
    query: &[u8],
    k: u32,
    ef: u32,
    only: Option<&[i64]>,
) -> Result<Vec<(i64, f32)>> {
    let mut sql = format!(
        "SELECT rowid, distance FROM {} WHERE knn_search(vec, knn_param(?1, ?2, ?3))",
        table(c)
    );
    let ids_json;
    let mut stmt;
    let rows = if let Some(ids) = only {
        sql.push_str(" AND rowid IN (SELECT value FROM json_each(?4))");
        let labels: Vec<i64> = ids.iter().map(|&id| label(id)).collect();
        ids_json = serde_json::to_string(&labels).map_err(|e| Error::internal(e.to_string()))?;
        stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(params![query, k, ef, ids_json], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)? as f32)))?
            .collect::<rusqlite::Result<Vec<_>>>()
    } else {
        stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(params![query, k, ef], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)? as f32)))?
            .collect::<rusqlite::Result<Vec<_>>>()
    };
    let mut hits: Vec<(i64, f32)> = rows
        .map_err(|e| Error::internal(format!("knn search in {} failed: {e}", c.name)))?
        .into_iter()
        .map(|(l, d)| (id_of(l), d))
        .collect();
    hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(hits)
}

/// Where a file-backed database keeps a collection's index file.
pub fn file_for(dir: &Path, collection: &str) -> PathBuf {
    dir.join(format!("{collection}.hnsw"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_distinct_non_negative_and_invertible() {
        for id in [0, 1, -1, 2, -2, 42, -9_007_199_254_740_991, 9_007_199_254_740_991, MIN_ID, MAX_ID] {
            assert!(label(id) >= 0, "{id}");
            assert_eq!(id_of(label(id)), id);
        }
        assert_eq!([label(0), label(-1), label(1), label(-2)], [0, 1, 2, 3]);
    }
}
