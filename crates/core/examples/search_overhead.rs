//! The engine's fixed cost per search: `Engine::search` against the bare vectorlite query
//! on a connection of its own holding the same vectors, with the same M, efConstruction and
//! ef, timed in alternating blocks. 5,000 random 128-dimensional vectors, cosine, topK 10.
//!
//!   cargo run --release -p vectorxlite-core --example search_overhead [ef] [searches]

use std::time::{Duration, Instant};

use rusqlite::{params, Connection, LoadExtensionGuard};
use vectorxlite_core::*;

mod common;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let ef: u32 = args.next().map_or(64, |a| a.parse().expect("ef"));
    let searches: usize = args.next().map_or(20_000, |a| a.parse().expect("searches"));
    let lib = common::vectorlite_path(std::env::var("VECTORLITE_PATH").ok());
    let (n, dim, k) = (5_000usize, 128usize, 10u32);
    let mut random = common::Uniform::new(1);
    let points = random.vectors(n, dim);
    let queries = random.vectors(200, dim);
    let blob = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };

    let db = Engine::open(
        ":memory:",
        OpenOptions {
            vectorlite_path: lib.clone(),
            default_ef: None,
            progress: None,
            durable: true,
        },
    )?;
    db.create_collection(&CollectionConfig {
        name: "c".into(),
        dimension: dim as u32,
        distance: Distance::Cosine,
        payload_schema: None,
        max_elements: Some(n as u32),
        m: None,
        ef_construction: None,
    })?;
    let batch: Vec<NewPoint> = points
        .iter()
        .enumerate()
        .map(|(i, v)| NewPoint {
            id: i as i64,
            vector: v.clone(),
            payload_insert_query: None,
        })
        .collect();
    db.insert_batch("c", &batch)?;

    let raw = Connection::open_in_memory()?;
    unsafe {
        let _guard = LoadExtensionGuard::new(&raw)?;
        raw.load_extension(&lib, None)?;
    }
    raw.execute_batch(&format!(
        "CREATE VIRTUAL TABLE c USING vectorlite(vec float32[{dim}] cosine, hnsw(max_elements={n}, ef_construction=200, M=16))"
    ))?;
    {
        let tx = raw.unchecked_transaction()?;
        let mut insert = tx.prepare("INSERT INTO c(rowid, vec) VALUES (?1, ?2)")?;
        for (i, v) in points.iter().enumerate() {
            insert.execute(params![i as i64, blob(v)])?;
        }
        drop(insert);
        tx.commit()?;
    }
    let mut knn =
        raw.prepare("SELECT rowid, distance FROM c WHERE knn_search(vec, knn_param(?1, ?2, ?3))")?;

    let (mut ours, mut bare) = (Duration::ZERO, Duration::ZERO);
    let block = 100;
    for start in (0..searches).step_by(block) {
        let t = Instant::now();
        for i in start..start + block {
            let q = SearchQuery {
                collection: "c".into(),
                vector: queries[i % 200].clone(),
                top_k: k,
                payload_search_query: None,
                ef: Some(ef),
            };
            std::hint::black_box(db.search(&q)?);
        }
        ours += t.elapsed();
        let t = Instant::now();
        for i in start..start + block {
            let rows: Vec<(i64, f64)> = knn
                .query_map(params![blob(&queries[i % 200]), k, ef], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            std::hint::black_box(rows);
        }
        bare += t.elapsed();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / searches as f64;
    println!(
        "ef={ef} searches={searches}: engine {:.1} µs/search, bare vectorlite {:.1} µs/search, overhead {:.1} µs ({:.3} of bare QPS)",
        per(ours),
        per(bare),
        per(ours) - per(bare),
        per(bare) / per(ours)
    );
    Ok(())
}
