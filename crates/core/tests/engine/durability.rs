use super::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use vectorxlite_core::*;

const DIM: usize = 8;

fn fill(db: &Engine, name: &str, ids: std::ops::Range<i64>, seed: u64) -> Vec<(i64, Vec<f32>)> {
    let mut rng = Rng::new(seed);
    let points: Vec<(i64, Vec<f32>)> = ids.map(|i| (i, rng.vector(DIM))).collect();
    let batch: Vec<NewPoint> = points
        .iter()
        .map(|(id, v)| point(*id, v.clone(), Some(&format!("INSERT INTO {name}(label) VALUES ('p{id}')"))))
        .collect();
    db.insert_batch(name, &batch).unwrap();
    points
}

/// Every point is its own nearest neighbour, with its payload intact.
fn assert_all_found(db: &Engine, name: &str, points: &[(i64, Vec<f32>)]) {
    assert_eq!(db.collection_info(name).unwrap().count, points.len() as u64);
    for (id, v) in points {
        let hits = db.search(&query(name, v.clone(), 1)).unwrap();
        assert_eq!(hits.first().map(|h| h.id), Some(*id), "point {id} not found");
        let stored = db.get(name, *id).unwrap().unwrap();
        assert_eq!(&stored.vector, v);
        assert_eq!(
            stored.payload,
            vec![("rowid".to_string(), Value::Integer(*id)), ("label".to_string(), Value::Text(format!("p{id}")))]
        );
    }
}

fn labelled(name: &str) -> CollectionConfig {
    CollectionConfig {
        distance: Distance::L2,
        ..with_schema(name, DIM as u32, &format!("CREATE TABLE {name} (rowid INTEGER PRIMARY KEY, label TEXT)"))
    }
}

fn reasons(events: &Events) -> Vec<RebuildReason> {
    let mut r: Vec<RebuildReason> = events.lock().unwrap().iter().map(|e| e.reason).collect();
    r.dedup();
    r
}

#[test]
fn file_database_survives_close_and_reopen_without_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = Engine::open(&path, options()).unwrap();
    db.create_collection(&labelled("a")).unwrap();
    let points = fill(&db, "a", 0..200, 1);
    let digest = db.digest().unwrap();
    db.close().unwrap();
    let (opts, events) = recording_options();
    let db = Engine::open(&path, opts).unwrap();
    assert_all_found(&db, "a", &points);
    assert_eq!(db.digest().unwrap(), digest);
    assert!(events.lock().unwrap().is_empty(), "a cleanly closed index is loaded, not rebuilt");
}

#[test]
fn damaged_or_missing_index_file_is_rebuilt_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = Engine::open(&path, options()).unwrap();
    db.create_collection(&labelled("a")).unwrap();
    db.create_collection(&labelled("b")).unwrap();
    let a = fill(&db, "a", 0..100, 2);
    let b = fill(&db, "b", 0..100, 3);
    db.close().unwrap();
    let index_dir = dir.path().join("test.db.vxl");
    let a_file = index_dir.join("a.hnsw");
    let mut bytes = std::fs::read(&a_file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&a_file, bytes).unwrap();
    std::fs::remove_file(index_dir.join("b.hnsw")).unwrap();
    let (opts, events) = recording_options();
    let db = Engine::open(&path, opts).unwrap();
    let rebuilt: Vec<String> = events.lock().unwrap().iter().map(|e| e.collection.clone()).collect();
    assert!(rebuilt.contains(&"a".to_string()) && rebuilt.contains(&"b".to_string()));
    assert_eq!(reasons(&events), [RebuildReason::Open]);
    let last = events.lock().unwrap().last().cloned().unwrap();
    assert_eq!((last.done, last.total), (100, 100));
    assert_all_found(&db, "a", &a);
    assert_all_found(&db, "b", &b);
}

/// The child side of the crash test: inserts one point at a time and reports each one
/// after its insert returned, until the parent kills it.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var("VXL_CRASH_DB") else { return };
    let db = Engine::open(&path, options()).unwrap();
    if !db.collection_exists("c").unwrap() {
        db.create_collection(&labelled("c")).unwrap();
    }
    let mut rng = Rng::new(7);
    for id in 0.. {
        let v = rng.vector(DIM);
        db.insert("c", &point(id, v, Some(&format!("INSERT INTO c(label) VALUES ('p{id}')")))).unwrap();
        println!("inserted {id}");
    }
}

#[test]
fn kill_9_mid_inserts_keeps_every_acknowledged_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    // A clean close first, so the crash must invalidate an index file that looks current.
    let db = Engine::open(&path, options()).unwrap();
    db.create_collection(&labelled("c")).unwrap();
    db.close().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "durability::crash_child", "--nocapture", "--test-threads=1"])
        .env("VXL_CRASH_DB", &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Some(id) = line.unwrap().strip_prefix("inserted ") {
            acknowledged.push(id.parse::<i64>().unwrap());
            if acknowledged.len() == 150 {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(acknowledged.len(), 150);
    let (opts, events) = recording_options();
    let db = Engine::open(&path, opts).unwrap();
    assert_eq!(reasons(&events), [RebuildReason::Open]);
    let count = db.collection_info("c").unwrap().count as i64;
    // Everything acknowledged is there. The child may have run ahead of the lines read
    // (pipe buffer), so more may be there too, each one whole (checked below).
    assert!(count >= 150, "count {count}");
    let mut rng = Rng::new(7);
    let points: Vec<(i64, Vec<f32>)> = (0..count).map(|id| (id, rng.vector(DIM))).collect();
    assert_all_found(&db, "c", &points);
    // No payload row without its vector either.
    let other = rusqlite::Connection::open(&path).unwrap();
    let payload_rows: i64 = other.query_row("SELECT count(*) FROM c", [], |r| r.get(0)).unwrap();
    assert_eq!(payload_rows, count);
}

/// ALTER TABLE, VACUUM and DDL from another connection make SQLite reparse the schema,
/// which empties vectorlite's in-memory index; every vector must still be found.
#[test]
fn schema_reparse_from_another_connection_keeps_every_vector() {
    let ops = [
        "ALTER TABLE a ADD COLUMN extra TEXT",
        "VACUUM",
        "CREATE TABLE unrelated (x); DROP TABLE unrelated;",
    ];
    for op in ops {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        let (opts, events) = recording_options();
        let db = Engine::open(&path, opts).unwrap();
        db.create_collection(&labelled("a")).unwrap();
        let points = fill(&db, "a", 0..100, 4);
        assert!(events.lock().unwrap().is_empty());
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch(op).unwrap();
        drop(other);
        for (id, v) in &points {
            assert_eq!(db.search(&query("a", v.clone(), 1)).unwrap()[0].id, *id, "after {op}");
        }
        assert_eq!(reasons(&events), [RebuildReason::Reparse], "after {op}");
        let columns: Vec<String> = db.get("a", 0).unwrap().unwrap().payload.into_iter().map(|(n, _)| n).collect();
        let altered = op.starts_with("ALTER");
        assert_eq!(columns, if altered { vec!["rowid", "label", "extra"] } else { vec!["rowid", "label"] });
        let more = fill(&db, "a", 100..120, 5);
        for (id, v) in points.iter().chain(&more) {
            assert_eq!(db.search(&query("a", v.clone(), 1)).unwrap()[0].id, *id, "after {op}");
        }
    }
}

#[test]
fn inserting_past_max_elements_grows_the_index() {
    let (mut opts, events) = recording_options();
    opts.default_ef = Some(64);
    let db = Engine::open(":memory:", opts).unwrap();
    db.create_collection(&CollectionConfig { max_elements: Some(10), ..labelled("g") }).unwrap();
    assert_eq!(db.collection_info("g").unwrap().max_elements, 10);
    let mut points = fill(&db, "g", 0..8, 6);
    let mut rng = Rng::new(60);
    for id in 8..25 {
        let v = rng.vector(DIM);
        db.insert("g", &point(id, v.clone(), Some(&format!("INSERT INTO g(label) VALUES ('p{id}')")))).unwrap();
        points.push((id, v));
    }
    points.extend(fill(&db, "g", 25..100, 7));
    assert!(db.collection_info("g").unwrap().max_elements >= 100);
    assert_eq!(reasons(&events), [RebuildReason::Grow]);
    assert_all_found(&db, "g", &points);
}

#[test]
fn deleted_slots_do_not_block_inserts_at_capacity() {
    let db = memory();
    db.create_collection(&CollectionConfig { max_elements: Some(5), ..labelled("d") }).unwrap();
    let mut points = fill(&db, "d", 0..5, 8);
    for (id, _) in points.drain(..3) {
        assert!(db.delete("d", id).unwrap());
    }
    points.extend(fill(&db, "d", 5..8, 9));
    assert_all_found(&db, "d", &points);
}

#[test]
fn one_engine_per_database_file_in_a_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = Engine::open(&path, options()).unwrap();
    let same_file = dir.path().join(".").join("test.db");
    let second = Engine::open(&same_file.to_string_lossy(), options());
    assert_eq!(second.err().map(|e| e.code), Some(ErrorCode::InvalidArgument));
    assert_eq!(code(db.export_snapshot(std::path::Path::new(&path))), ErrorCode::InvalidArgument);
    db.close().unwrap();
    Engine::open(&path, options()).unwrap().close().unwrap();
    // Dropping without close releases the file too.
    drop(Engine::open(&path, options()).unwrap());
    Engine::open(&path, options()).unwrap();
}

#[test]
fn the_engines_own_schema_changes_rebuild_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (opts, events) = recording_options();
    let db = Engine::open(&db_path(&dir), opts).unwrap();
    db.create_collection(&labelled("a")).unwrap();
    let points = fill(&db, "a", 0..50, 10);
    db.create_collection(&labelled("b")).unwrap();
    db.insert("b", &point(1, vec![0.0; DIM], Some("INSERT INTO b(label) VALUES ('p1')"))).unwrap();
    db.delete_collection("b").unwrap();
    assert_all_found(&db, "a", &points);
    assert!(events.lock().unwrap().is_empty(), "{:?}", events.lock().unwrap());
}

/// A transaction that rolls back DDL makes SQLite reset the schema, which reconnects
/// every index; failed and successful collection DDL must leave search results
/// bit-identical, for file and memory databases.
#[test]
fn collection_ddl_leaves_other_results_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    for path in [db_path(&dir), ":memory:".to_string()] {
        let db = Engine::open(&path, options()).unwrap();
        db.create_collection(&CollectionConfig { distance: Distance::Cosine, ..labelled("a") }).unwrap();
        let points = fill(&db, "a", 0..60, 11);
        let results = |db: &Engine| -> Vec<Vec<SearchHit>> {
            points.iter().step_by(7).map(|(_, v)| db.search(&query("a", v.clone(), 5)).unwrap()).collect()
        };
        let before = results(&db);
        let attempts = [
            "CREATE TABLE fresh (",
            "CREATE TABLE fresh (name TEXT)",
            "CREATE TABLE other (rowid INTEGER PRIMARY KEY)",
        ];
        for schema in attempts {
            assert!(db.create_collection(&with_schema("fresh", 2, schema)).is_err());
            assert_eq!(results(&db), before, "{path}: after failed {schema}");
        }
        db.create_collection(&with_schema("fresh", 2, "CREATE TABLE fresh (rowid INTEGER PRIMARY KEY)")).unwrap();
        db.delete_collection("fresh").unwrap();
        assert_eq!(results(&db), before, "{path}: after create and delete");
        // New points still land in a complete index.
        let more = fill(&db, "a", 60..70, 12);
        for (id, v) in points.iter().chain(&more) {
            assert_eq!(db.search(&query("a", v.clone(), 1)).unwrap()[0].id, *id, "{path}");
        }
        db.close().unwrap();
    }
}
