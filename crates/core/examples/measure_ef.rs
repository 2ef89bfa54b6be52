//! Measures recall@10 of vectorlite HNSW search against brute force for several `ef`
//! values, on the data the default ef is chosen for: 10,000 random 64-dimensional vectors,
//! cosine, M=16, ef_construction=200, 200 queries. The numbers are in docs/engine.md.
//!
//!   cargo run --release -p vectorxlite-core --example measure_ef [vectorlite.so]

use std::path::PathBuf;
use std::time::Instant;

use vectorxlite_core::*;

fn main() -> Result<()> {
    let lib = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../node_modules/@1yefuwang1/vectorlite-linux-x64/src/vectorlite.so")
    });
    let db = Engine::open(":memory:", OpenOptions { vectorlite_path: lib, default_ef: None, progress: None, durable: true })?;
    let (n, dim, queries, k) = (10_000i64, 64usize, 200, 10usize);
    db.create_collection(&CollectionConfig {
        name: "m".into(),
        dimension: dim as u32,
        distance: Distance::Cosine,
        payload_schema: None,
        max_elements: Some(n as u32),
        m: None,
        ef_construction: None,
    })?;
    // Same xorshift64* stream as the tests' Rng, uniform in [-1, 1).
    let mut state = 2u64.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut unit = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let points: Vec<Vec<f32>> = (0..n).map(|_| (0..dim).map(|_| unit()).collect()).collect();
    let batch: Vec<NewPoint> = points
        .iter()
        .enumerate()
        .map(|(i, v)| NewPoint { id: i as i64, vector: v.clone(), payload_insert_query: None })
        .collect();
    let t = Instant::now();
    db.insert_batch("m", &batch)?;
    println!("inserted {n} vectors in {:.2}s", t.elapsed().as_secs_f64());
    let qs: Vec<Vec<f32>> = (0..queries).map(|_| (0..dim).map(|_| unit()).collect()).collect();
    let truth: Vec<Vec<i64>> = qs
        .iter()
        .map(|q| {
            let mut d: Vec<(f64, i64)> = points
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let dot: f64 = q.iter().zip(v).map(|(a, b)| *a as f64 * *b as f64).sum();
                    let nq: f64 = q.iter().map(|a| (*a as f64).powi(2)).sum::<f64>().sqrt();
                    let nv: f64 = v.iter().map(|a| (*a as f64).powi(2)).sum::<f64>().sqrt();
                    (1.0 - dot / (nq * nv), i as i64)
                })
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0));
            d.iter().take(k).map(|x| x.1).collect()
        })
        .collect();
    println!("ef\trecall@10\tms/query");
    for ef in [10u32, 32, 64, 96, 128, 160, 192, 256, 384, 512] {
        let t = Instant::now();
        let mut found = 0;
        for (q, want) in qs.iter().zip(&truth) {
            let hits = db.search(&SearchQuery {
                collection: "m".into(),
                vector: q.clone(),
                top_k: k as u32,
                payload_search_query: None,
                ef: Some(ef),
            })?;
            found += hits.iter().filter(|h| want.contains(&h.id)).count();
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / queries as f64;
        println!("{ef}\t{:.4}\t{ms:.3}", found as f64 / (queries * k) as f64);
    }
    Ok(())
}
