//! Numeric settings outside what vectorlite and hnswlib can take are INVALID_ARGUMENT,
//! naming the allowed range, before vectorlite sees them (issue 2 follow-ups, item 1).
use super::common::*;
use vectorxlite_core::*;

fn refused<T: std::fmt::Debug>(r: Result<T>, mentions: &str) {
    let e = r.expect_err("expected INVALID_ARGUMENT");
    assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    assert!(e.message.contains(mentions), "message should name the range ({mentions}): {e}");
}

fn one_point() -> Engine {
    let db = memory();
    db.create_collection(&config("c", 2, Distance::L2)).unwrap();
    db.insert("c", &point(1, vec![1.0, 0.0], None)).unwrap();
    db
}

#[test]
fn search_ef_beyond_the_maximum_is_refused() {
    let db = one_point();
    for ef in [1_000_001, i32::MAX as u32, 1 << 31, u32::MAX] {
        refused(db.search(&SearchQuery { ef: Some(ef), ..query("c", vec![1.0, 0.0], 1) }), "between 1 and 1000000");
    }
    let hits = db.search(&SearchQuery { ef: Some(1_000_000), ..query("c", vec![1.0, 0.0], 1) }).unwrap();
    assert_eq!(hits[0].id, 1);
}

#[test]
fn default_ef_beyond_the_maximum_is_refused() {
    let mut o = options();
    o.default_ef = Some(u32::MAX);
    refused(Engine::open(":memory:", o).map(|_| ()), "between 1 and 1000000");
}

#[test]
fn unallocatable_max_elements_is_refused_and_changes_nothing() {
    let db = one_point();
    let before = db.digest().unwrap();
    for (dimension, max) in [(128, u32::MAX), (2, u32::MAX), (65_536, 100_000)] {
        let c = CollectionConfig { max_elements: Some(max), ..config("huge", dimension, Distance::Cosine) };
        refused(db.create_collection(&c), "maxElements must be between 1 and");
        assert!(!db.collection_exists("huge").unwrap());
    }
    assert_eq!(db.digest().unwrap(), before);
    // The bound is the 8 GiB estimate: 65,536 dimensions at M 16 take 262,272 bytes each.
    let fits = CollectionConfig { max_elements: Some(1_000), ..config("wide", 65_536, Distance::Cosine) };
    db.create_collection(&fits).unwrap();
    assert_eq!(db.collection_info("wide").unwrap().max_elements, 1_000);
}

#[test]
fn hnsw_parameters_out_of_range_are_refused() {
    let db = memory();
    for m in [0, 1, 257, u32::MAX] {
        refused(db.create_collection(&CollectionConfig { m: Some(m), ..config("c", 2, Distance::L2) }), "between 2 and 256");
    }
    for ef in [0, 1_000_001, u32::MAX] {
        let c = CollectionConfig { ef_construction: Some(ef), ..config("c", 2, Distance::L2) };
        refused(db.create_collection(&c), "between 1 and 1000000");
    }
    assert!(db.list_collections().unwrap().is_empty());
}
