//! The engine's fixed cost per search: `Engine::search` against the bare vectorlite query
//! on a connection of its own holding the same vectors, with the same M, efConstruction and
//! ef, timed in alternating blocks. 5,000 random 128-dimensional vectors, cosine, topK 10.
//!
//!   cargo run --release -p vectorxlite-core --example search_overhead [ef] [searches]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, LoadExtensionGuard};
use vectorxlite_core::*;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let ef: u32 = args.next().map_or(64, |a| a.parse().expect("ef"));
    let searches: usize = args.next().map_or(20_000, |a| a.parse().expect("searches"));
    let lib = std::env::var("VECTORLITE_PATH").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../node_modules/@1yefuwang1/vectorlite-linux-x64/src/vectorlite.so")
    });
    let (n, dim, k) = (5_000usize, 128usize, 10u32);
    // Same xorshift64* stream as the tests' Rng, uniform in [-1, 1).
    let mut state = 1u64.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut unit = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let points: Vec<Vec<f32>> = (0..n).map(|_| (0..dim).map(|_| unit()).collect()).collect();
    let queries: Vec<Vec<f32>> = (0..200).map(|_| (0..dim).map(|_| unit()).collect()).collect();
    let blob = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };

    let db = Engine::open(":memory:", OpenOptions { vectorlite_path: lib.clone(), default_ef: None, progress: None, durable: true })?;
    db.create_collection(&CollectionConfig {
        name: "c".into(),
        dimension: dim as u32,
        distance: Distance::Cosine,
        payload_schema: None,
        max_elements: Some(n as u32),
        m: None,
        ef_construction: None,
    })?;
    let batch: Vec<NewPoint> =
        points.iter().enumerate().map(|(i, v)| NewPoint { id: i as i64, vector: v.clone(), payload_insert_query: None }).collect();
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
    let mut knn = raw.prepare("SELECT rowid, distance FROM c WHERE knn_search(vec, knn_param(?1, ?2, ?3))")?;

    let (mut ours, mut bare) = (Duration::ZERO, Duration::ZERO);
    let block = 100;
    for start in (0..searches).step_by(block) {
        let t = Instant::now();
        for i in start..start + block {
            let q = SearchQuery { collection: "c".into(), vector: queries[i % 200].clone(), top_k: k, payload_search_query: None, ef: Some(ef) };
            std::hint::black_box(db.search(&q)?);
        }
        ours += t.elapsed();
        let t = Instant::now();
        for i in start..start + block {
            let rows: Vec<(i64, f64)> = knn
                .query_map(params![blob(&queries[i % 200]), k, ef], |r| Ok((r.get(0)?, r.get(1)?)))?
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
