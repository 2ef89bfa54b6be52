//! Helpers shared by the integration tests: the real vectorlite library, temporary
//! databases, seeded random vectors and brute-force ground truth.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use vectorxlite_core::*;

/// The vectorlite library: $VECTORLITE_PATH, else the copy npm installed in the repo.
pub fn vectorlite_path() -> PathBuf {
    if let Ok(p) = std::env::var("VECTORLITE_PATH") {
        return PathBuf::from(p);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    repo.join("node_modules/@1yefuwang1/vectorlite-linux-x64/src/vectorlite.so")
}

pub fn options() -> OpenOptions {
    OpenOptions { vectorlite_path: vectorlite_path(), default_ef: None, progress: None, durable: true }
}

pub type Events = Arc<Mutex<Vec<IndexProgress>>>;

/// Options whose progress callback records every report.
pub fn recording_options() -> (OpenOptions, Events) {
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let mut o = options();
    o.progress = Some(Arc::new(move |p| sink.lock().unwrap().push(p)));
    (o, events)
}

pub fn memory() -> Engine {
    Engine::open(":memory:", options()).expect("open :memory:")
}

pub fn db_path(dir: &tempfile::TempDir) -> String {
    dir.path().join("test.db").to_string_lossy().into_owned()
}

pub fn config(name: &str, dimension: u32, distance: Distance) -> CollectionConfig {
    CollectionConfig {
        name: name.to_string(),
        dimension,
        distance,
        payload_schema: None,
        max_elements: None,
        m: None,
        ef_construction: None,
    }
}

pub fn with_schema(name: &str, dimension: u32, schema: &str) -> CollectionConfig {
    CollectionConfig { payload_schema: Some(schema.to_string()), ..config(name, dimension, Distance::Cosine) }
}

pub fn point(id: i64, vector: Vec<f32>, query: Option<&str>) -> NewPoint {
    NewPoint { id, vector, payload_insert_query: query.map(str::to_string) }
}

pub fn query(collection: &str, vector: Vec<f32>, top_k: u32) -> SearchQuery {
    SearchQuery { collection: collection.to_string(), vector, top_k, payload_search_query: None, ef: None }
}

/// A small seeded generator (xorshift64*), so every run sees the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub fn vector(&mut self, dimension: usize) -> Vec<f32> {
        (0..dimension).map(|_| self.unit()).collect()
    }
}

/// Exact distance as vectorlite defines it, computed naively in f64.
pub fn exact_distance(kind: Distance, a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    match kind {
        Distance::L2 => a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum(),
        Distance::Ip => 1.0 - dot,
        Distance::Cosine => {
            let na = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let nb = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            1.0 - dot / (na * nb)
        }
    }
}

/// Ids of the k nearest of `points` to `q`, nearest first.
pub fn brute_top_k(kind: Distance, points: &[(i64, Vec<f32>)], q: &[f32], k: usize) -> Vec<(i64, f64)> {
    let mut all: Vec<(i64, f64)> = points.iter().map(|(id, v)| (*id, exact_distance(kind, q, v))).collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

pub fn code<T: std::fmt::Debug>(r: Result<T>) -> ErrorCode {
    r.expect_err("expected an error").code
}

/// Runs `op`, expects `code`, checks nothing changed, and returns the error.
pub fn rejects<T: std::fmt::Debug>(db: &Engine, expected: ErrorCode, op: impl FnOnce(&Engine) -> Result<T>) -> Error {
    let before = (db.digest().unwrap(), db.list_collections().unwrap());
    let err = op(db).expect_err("expected an error");
    assert_eq!(err.code, expected, "{err}");
    assert!(!err.message.is_empty());
    assert_eq!((db.digest().unwrap(), db.list_collections().unwrap()), before, "database changed after: {err}");
    err
}
