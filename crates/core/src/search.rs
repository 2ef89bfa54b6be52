//! Planning and running a search: plain k-NN on the HNSW index, or a filtered search
//! that returns the nearest rows among exactly those the payload SELECT matches.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use crate::catalog::{self, Collection};
use crate::error::{environment_code, Error, ErrorCode, Result};
use crate::guard::{self, Policy};
use crate::index;
use crate::names::{quote, vectors_table};
use crate::payload;
use crate::select_rewrite::{add_rowid_column, aggregate_probe, aggregate_refusal};
use crate::types::{SearchHit, Value};
use crate::vector;

/// Up to this many multiply-adds (matched rows x dimension) a filtered search computes
/// exact distances instead of asking HNSW: exact is both faster and complete there.
const BRUTE_FORCE_BUDGET: u64 = 1 << 20;

pub struct Plan<'a> {
    pub collection: &'a Collection,
    pub count: u64,
    pub vector: &'a [f32],
    pub top_k: u32,
    pub ef: u32,
}

/// HNSW search breadth: at least the number of results wanted (hnswlib returns at most
/// ef), and never more than the collection holds, which would only waste memory (and
/// vectorlite reads ef as a 32-bit signed integer).
fn breadth(p: &Plan<'_>, want: usize) -> u32 {
    let most = p.count.max(want as u64).min(i32::MAX as u64) as u32;
    p.ef.max(want as u32).min(most)
}

/// Nearest points with no filter; payload empty.
pub fn unfiltered(conn: &Connection, p: &Plan<'_>) -> Result<Vec<SearchHit>> {
    if p.count == 0 {
        return Ok(Vec::new());
    }
    let want = (p.top_k as u64).min(p.count) as usize;
    let blob = vector::to_blob(p.vector);
    let mut hits = index::knn(conn, p.collection, &blob, want as u32, breadth(p, want), None)?;
    if hits.len() < want {
        // HNSW may miss points (deleted neighbours can cut the graph); the contract is
        // min(topK, count) results, so fall back to exact search.
        hits = brute_force(conn, p, None)?;
    }
    hits.truncate(want);
    Ok(hits.into_iter().map(|(id, distance)| SearchHit { id, distance, payload: Vec::new() }).collect())
}

/// Nearest points among the rows `sql` matches, with `sql`'s columns as payload.
pub fn filtered(conn: &Connection, p: &Plan<'_>, sql: &str) -> Result<Vec<SearchHit>> {
    let table = &p.collection.name;
    let what = "payload search query";
    let policy = Policy::ReadOnly { names: catalog::payload_sql_names(conn)? };
    let rewritten = guard::with_policy(conn, policy.clone(), |conn| {
        let shape = guard::inspect(conn, sql, what)?;
        if !shape.readonly {
            return Err(Error::new(ErrorCode::ForbiddenSql, format!("{what} must only read; it writes")));
        }
        if shape.column_count == 0 {
            return Err(Error::invalid(format!("{what} must be a SELECT")));
        }
        let rewritten = add_rowid_column(sql, table)?;
        refuse_aggregate(conn, sql, table)?;
        // The rewritten text must still be one read-only statement in SQLite's judgement.
        let again = guard::inspect(conn, &rewritten, what)?;
        if !again.readonly {
            return Err(Error::new(ErrorCode::ForbiddenSql, format!("{what} must only read")));
        }
        Ok(rewritten)
    })?;
    let matched = matched_ids(conn, &policy, &rewritten)?;
    if matched.is_empty() {
        return Ok(Vec::new());
    }
    let want = (p.top_k as usize).min(matched.len());
    let exact_cost = matched.len() as u64 * p.collection.dimension as u64;
    let mut hits = if exact_cost <= BRUTE_FORCE_BUDGET || matched.len() <= p.top_k as usize {
        brute_force(conn, p, Some(&matched))?
    } else {
        let blob = vector::to_blob(p.vector);
        let hits = index::knn(conn, p.collection, &blob, want as u32, breadth(p, want), Some(&matched))?;
        if hits.len() < want {
            brute_force(conn, p, Some(&matched))?
        } else {
            hits
        }
    };
    hits.truncate(want);
    let payloads = payload_rows(conn, &policy, &rewritten, hits.iter().map(|h| h.0).collect())?;
    Ok(hits
        .into_iter()
        .map(|(id, distance)| SearchHit {
            id,
            distance,
            payload: payloads.get(&id).cloned().unwrap_or_default(),
        })
        .collect())
}

/// Refuses a query whose top-level SELECT aggregates or groups, in SQLite's judgement: the
/// probe (`select_rewrite::aggregate_probe`) compiles exactly when it does.
fn refuse_aggregate(conn: &Connection, sql: &str, table: &str) -> Result<()> {
    let probe = aggregate_probe(sql, table)?;
    match conn.prepare(&probe) {
        Ok(_) => Err(aggregate_refusal(table)),
        Err(e) if environment_code(&e).is_some() => Err(e.into()),
        Err(_) => Ok(()),
    }
}

/// The distinct collection rowids the query matches, in the order it returns them.
fn matched_ids(conn: &Connection, policy: &Policy, rewritten: &str) -> Result<Vec<i64>> {
    guard::with_policy(conn, policy.clone(), |conn| {
        let what = "payload search query";
        let mut stmt = conn.prepare(rewritten).map_err(|e| guard::user_sql_error(what, e))?;
        let mut rows = stmt.query([]).map_err(|e| guard::user_sql_error(what, e))?;
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        while let Some(row) = rows.next().map_err(|e| guard::user_sql_error(what, e))? {
            // NULL when the collection table is the optional side of an outer join.
            if let Some(id) = row.get::<_, Option<i64>>(0).map_err(|e| guard::user_sql_error(what, e))? {
                if seen.insert(id) {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    })
}

/// The query's columns (without the hidden rowid) for each of `ids`: the first row the
/// query returns for each, as a JOIN may return several.
fn payload_rows(
    conn: &Connection,
    policy: &Policy,
    rewritten: &str,
    ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<(String, Value)>>> {
    let mut wanted: HashSet<i64> = ids.into_iter().collect();
    guard::with_policy(conn, policy.clone(), |conn| {
        let what = "payload search query";
        let mut stmt = conn.prepare(rewritten).map_err(|e| guard::user_sql_error(what, e))?;
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let mut rows = stmt.query([]).map_err(|e| guard::user_sql_error(what, e))?;
        let mut out = HashMap::new();
        while !wanted.is_empty() {
            let Some(row) = rows.next().map_err(|e| guard::user_sql_error(what, e))? else { break };
            if let Some(id) = row.get::<_, Option<i64>>(0)? {
                if wanted.remove(&id) {
                    out.insert(id, payload::columns(row, &names, 1)?);
                }
            }
        }
        Ok(out)
    })
}

/// Exact distances to every candidate (all points when `only` is None), nearest first.
fn brute_force(conn: &Connection, p: &Plan<'_>, only: Option<&[i64]>) -> Result<Vec<(i64, f32)>> {
    let c = p.collection;
    let mut scored = Vec::new();
    let mut score = |id: i64, blob: &[u8]| -> Result<()> {
        let v = vector::from_blob(blob)?;
        scored.push((id, vector::distance(c.distance, p.vector, &v)));
        Ok(())
    };
    match only {
        None => {
            let mut stmt = conn.prepare(&format!("SELECT id, vector FROM {}", quote(&vectors_table(&c.name))))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                score(row.get(0)?, row.get_ref(1)?.as_blob()?)?;
            }
        }
        Some(ids) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT vector FROM {} WHERE id = ?1",
                quote(&vectors_table(&c.name))
            ))?;
            for &id in ids {
                let mut rows = stmt.query([id])?;
                if let Some(row) = rows.next()? {
                    score(id, row.get_ref(0)?.as_blob()?)?;
                }
            }
        }
    }
    scored.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(scored)
}
