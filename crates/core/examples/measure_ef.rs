//! Measures recall@10 of vectorlite HNSW search against brute force for several `ef`
//! values, on the data the default ef is chosen for: 10,000 random 64-dimensional vectors,
//! cosine, M=16, ef_construction=200, 200 queries. The numbers are in docs/engine.md.
//!
//!   cargo run --release -p vectorxlite-core --example measure_ef [vectorlite.so]

use std::time::Instant;

use vectorxlite_core::*;

mod common;

fn main() -> Result<()> {
    let lib = common::vectorlite_path(std::env::args().nth(1));
    let db = Engine::open(
        ":memory:",
        OpenOptions {
            vectorlite_path: lib,
            default_ef: None,
            progress: None,
            durable: true,
        },
    )?;
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
    let mut random = common::Uniform::new(2);
    let points = random.vectors(n as usize, dim);
    let batch: Vec<NewPoint> = points
        .iter()
        .enumerate()
        .map(|(i, v)| NewPoint {
            id: i as i64,
            vector: v.clone(),
            payload_insert_query: None,
        })
        .collect();
    let t = Instant::now();
    db.insert_batch("m", &batch)?;
    println!("inserted {n} vectors in {:.2}s", t.elapsed().as_secs_f64());
    let qs = random.vectors(queries, dim);
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
