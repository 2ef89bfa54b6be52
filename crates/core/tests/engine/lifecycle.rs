use super::common::*;
use vectorxlite_core::*;

#[test]
fn create_exists_list_info_delete_recreate() {
    let db = memory();
    assert!(!db.collection_exists("docs").unwrap());
    db.create_collection(&config("docs", 3, Distance::L2)).unwrap();
    db.create_collection(&config("alpha", 2, Distance::Cosine)).unwrap();
    assert!(db.collection_exists("docs").unwrap());
    let names: Vec<String> = db.list_collections().unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["alpha", "docs"]);
    db.insert("docs", &point(7, vec![1.0, 2.0, 3.0], None)).unwrap();
    let info = db.collection_info("docs").unwrap();
    assert_eq!((info.dimension, info.distance, info.count), (3, Distance::L2, 1));
    assert!(info.max_elements >= 1);
    db.delete_collection("docs").unwrap();
    assert!(!db.collection_exists("docs").unwrap());
    assert_eq!(code(db.collection_info("docs")), ErrorCode::NotFound);
    db.create_collection(&config("docs", 2, Distance::Ip)).unwrap();
    let info = db.collection_info("docs").unwrap();
    assert_eq!((info.dimension, info.distance, info.count), (2, Distance::Ip, 0));
    assert!(db.search(&query("docs", vec![1.0, 0.0], 5)).unwrap().is_empty());
}

#[test]
fn get_and_delete_point() {
    let db = memory();
    db.create_collection(&with_schema("t", 2, "CREATE TABLE t (rowid INTEGER PRIMARY KEY, name TEXT, price REAL)")).unwrap();
    db.insert("t", &point(42, vec![0.5, -0.5], Some("INSERT INTO t(name, price) VALUES ('a, (b)', 9.5)"))).unwrap();
    let p = db.get("t", 42).unwrap().unwrap();
    assert_eq!(p.id, 42);
    assert_eq!(p.vector, vec![0.5, -0.5]);
    assert_eq!(
        p.payload,
        vec![
            ("rowid".to_string(), Value::Integer(42)),
            ("name".to_string(), Value::Text("a, (b)".into())),
            ("price".to_string(), Value::Real(9.5)),
        ]
    );
    assert!(db.get("t", 43).unwrap().is_none());
    assert!(db.delete("t", 42).unwrap());
    assert!(!db.delete("t", 42).unwrap());
    assert!(db.get("t", 42).unwrap().is_none());
    assert!(db.search(&query("t", vec![0.5, -0.5], 3)).unwrap().is_empty());
    // The id is free again after delete.
    db.insert("t", &point(42, vec![1.0, 0.0], None)).unwrap();
    assert_eq!(db.search(&query("t", vec![1.0, 0.0], 3)).unwrap()[0].id, 42);
}

#[test]
fn close_is_idempotent_and_later_calls_are_closed() {
    let db = memory();
    db.create_collection(&config("c", 2, Distance::L2)).unwrap();
    db.close().unwrap();
    db.close().unwrap();
    assert_eq!(code(db.collection_exists("c")), ErrorCode::Closed);
    assert_eq!(code(db.list_collections()), ErrorCode::Closed);
    assert_eq!(code(db.collection_info("c")), ErrorCode::Closed);
    assert_eq!(code(db.create_collection(&config("d", 2, Distance::L2))), ErrorCode::Closed);
    assert_eq!(code(db.insert("c", &point(1, vec![1.0, 0.0], None))), ErrorCode::Closed);
    assert_eq!(code(db.insert_batch("c", &[point(1, vec![1.0, 0.0], None)])), ErrorCode::Closed);
    assert_eq!(code(db.search(&query("c", vec![1.0, 0.0], 1))), ErrorCode::Closed);
    assert_eq!(code(db.search(&query("c", vec![1.0, 0.0], 0))), ErrorCode::Closed);
    assert_eq!(code(db.create_collection(&config("", 0, Distance::L2))), ErrorCode::Closed);
    assert_eq!(code(db.get("c", 1)), ErrorCode::Closed);
    assert_eq!(code(db.delete("c", 1)), ErrorCode::Closed);
    assert_eq!(code(db.delete_collection("c")), ErrorCode::Closed);
    assert_eq!(code(db.export_snapshot(std::path::Path::new("/tmp/x"))), ErrorCode::Closed);
    assert_eq!(code(db.import_snapshot(std::path::Path::new("/tmp/x"))), ErrorCode::Closed);
    assert_eq!(code(db.digest()), ErrorCode::Closed);
}

#[test]
fn engine_is_send_and_sync_and_serializes_concurrent_calls() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    let db = std::sync::Arc::new(memory());
    db.create_collection(&config("c", 4, Distance::L2)).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let db = std::sync::Arc::clone(&db);
            std::thread::spawn(move || {
                let mut rng = Rng::new(t);
                for i in 0..100 {
                    let v = rng.vector(4);
                    db.insert("c", &point(t as i64 * 1000 + i, v.clone(), None)).unwrap();
                    let hits = db.search(&query("c", v, 1)).unwrap();
                    assert_eq!(hits[0].id, t as i64 * 1000 + i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(db.collection_info("c").unwrap().count, 400);
}

#[test]
fn edge_dimensions_and_top_k_larger_than_collection() {
    let db = memory();
    db.create_collection(&config("one", 1, Distance::L2)).unwrap();
    for i in 0..5 {
        db.insert("one", &point(i, vec![i as f32], None)).unwrap();
    }
    let hits = db.search(&query("one", vec![2.2], 100)).unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [2, 3, 1, 4, 0]);
    assert_eq!(db.search(&query("one", vec![2.2], u32::MAX)).unwrap().len(), 5);
    db.create_collection(&config("big", 4096, Distance::Cosine)).unwrap();
    let mut rng = Rng::new(9);
    let points: Vec<NewPoint> = (0..20).map(|i| point(i, rng.vector(4096), None)).collect();
    db.insert_batch("big", &points).unwrap();
    let hits = db.search(&query("big", points[7].vector.clone(), 3)).unwrap();
    assert_eq!(hits[0].id, 7);
    assert!(hits[0].distance.abs() < 1e-4);
    db.create_collection(&config("widest", 65_536, Distance::Ip)).unwrap();
    assert!(db.collection_info("widest").unwrap().max_elements >= 64);
    let v = rng.vector(65_536);
    db.insert("widest", &point(1, v.clone(), None)).unwrap();
    assert_eq!(db.search(&query("widest", v, 1)).unwrap()[0].id, 1);
}

#[test]
fn bad_open_options() {
    let open = |path: &str, o: OpenOptions| Engine::open(path, o).err().map(|e| e.code);
    assert_eq!(open("", options()), Some(ErrorCode::InvalidArgument));
    assert_eq!(open("/nonexistent-dir/x/y.db", options()), Some(ErrorCode::IoError));
    assert_eq!(open(":memory:", OpenOptions { default_ef: Some(0), ..options() }), Some(ErrorCode::InvalidArgument));
    let missing_lib = OpenOptions { vectorlite_path: "/nonexistent/vectorlite.so".into(), ..options() };
    assert_eq!(open(":memory:", missing_lib), Some(ErrorCode::InvalidArgument));
    let dir = tempfile::tempdir().unwrap();
    let not_a_db = dir.path().join("junk.db");
    std::fs::write(&not_a_db, vec![0x42u8; 8192]).unwrap();
    assert_eq!(open(&not_a_db.to_string_lossy(), options()), Some(ErrorCode::IoError));
}

#[test]
fn negative_and_large_ids() {
    let db = memory();
    db.create_collection(&config("c", 2, Distance::L2)).unwrap();
    let ids = [-9_007_199_254_740_991i64, -1, 0, 1, 9_007_199_254_740_991];
    for (i, id) in ids.iter().enumerate() {
        db.insert("c", &point(*id, vec![i as f32, 0.0], None)).unwrap();
    }
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(db.search(&query("c", vec![i as f32, 0.0], 1)).unwrap()[0].id, *id);
        assert_eq!(db.get("c", *id).unwrap().unwrap().vector, vec![i as f32, 0.0]);
    }
    assert!(db.delete("c", -1).unwrap());
    let ids_left: Vec<i64> = db.search(&query("c", vec![1.0, 0.0], 10)).unwrap().iter().map(|h| h.id).collect();
    assert!(!ids_left.contains(&-1) && ids_left.len() == 4);
    assert_eq!(code(db.insert("c", &point(i64::MIN, vec![0.0, 0.0], None))), ErrorCode::InvalidArgument);
    assert_eq!(code(db.insert("c", &point(i64::MAX, vec![0.0, 0.0], None))), ErrorCode::InvalidArgument);
}
