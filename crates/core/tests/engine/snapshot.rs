use super::common;

use std::io::Write;

use common::*;
use sha2::{Digest, Sha256};
use vectorxlite_core::*;

fn source(dir: &tempfile::TempDir) -> (Engine, Vec<(i64, Vec<f32>)>) {
    let db = Engine::open(&dir.path().join("src.db").to_string_lossy(), options()).unwrap();
    db.create_collection(&with_schema("docs", 6, "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT, score REAL)"))
        .unwrap();
    db.create_collection(&config("plain", 3, Distance::L2)).unwrap();
    let mut rng = Rng::new(21);
    let points: Vec<(i64, Vec<f32>)> = (0..300).map(|i| (i, rng.vector(6))).collect();
    let batch: Vec<NewPoint> = points
        .iter()
        .map(|(id, v)| point(*id, v.clone(), Some(&format!("INSERT INTO docs(title, score) VALUES ('d{id}', {id}.5)"))))
        .collect();
    db.insert_batch("docs", &batch).unwrap();
    db.insert("plain", &point(5, vec![1.0, 2.0, 3.0], None)).unwrap();
    (db, points)
}

fn searches(db: &Engine, points: &[(i64, Vec<f32>)]) -> Vec<Vec<SearchHit>> {
    points
        .iter()
        .step_by(30)
        .map(|(_, v)| {
            db.search(&SearchQuery {
                payload_search_query: Some("SELECT title, score FROM docs WHERE score > 100".into()),
                ..query("docs", v.clone(), 5)
            })
            .unwrap()
        })
        .collect()
}

#[test]
fn export_import_round_trip_into_file_and_memory_databases() {
    let dir = tempfile::tempdir().unwrap();
    let (src, points) = source(&dir);
    let file = dir.path().join("snap.vxl");
    let meta = src.export_snapshot(&file).unwrap();
    assert_eq!(meta.version, 1);
    assert_eq!(meta.files.len(), 1);
    assert_eq!(meta.files[0].file_type, SnapshotFileType::SqliteDb);
    assert_eq!(meta.total_size, meta.files[0].file_size);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..8], b"VXLSNAP1");
    let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let json: serde_json::Value = serde_json::from_slice(&bytes[12..12 + n]).unwrap();
    assert_eq!(json["snapshotId"], meta.snapshot_id.as_str());
    assert_eq!(json["files"][0]["fileType"], "sqlite_db");
    assert_eq!(bytes.len() as u64, 12 + n as u64 + meta.total_size);
    assert_eq!(hex::encode(Sha256::digest(&bytes[12 + n..])), meta.checksum);

    let expected = (src.digest().unwrap(), searches(&src, &points));
    let file_target = Engine::open(&dir.path().join("dst.db").to_string_lossy(), options()).unwrap();
    file_target.create_collection(&config("old", 2, Distance::L2)).unwrap();
    file_target.insert("old", &point(1, vec![1.0, 1.0], None)).unwrap();
    let memory_target = memory();
    for target in [&file_target, &memory_target] {
        let summary = target.import_snapshot(&file).unwrap();
        assert_eq!(summary.snapshot_id, meta.snapshot_id);
        assert_eq!(summary.bytes_restored, meta.total_size);
        assert_eq!(summary.files_restored, 1);
        assert!(!target.collection_exists("old").unwrap());
        assert_eq!((target.digest().unwrap(), searches(target, &points)), expected);
        // The restored database keeps working.
        target.insert("plain", &point(6, vec![3.0, 2.0, 1.0], None)).unwrap();
        assert_eq!(target.search(&query("plain", vec![3.0, 2.0, 1.0], 1)).unwrap()[0].id, 6);
    }
    // A file database restored by import survives reopen.
    let after = file_target.digest().unwrap();
    file_target.close().unwrap();
    let reopened = Engine::open(&dir.path().join("dst.db").to_string_lossy(), options()).unwrap();
    assert_eq!(reopened.digest().unwrap(), after);
}

fn write_snapshot(path: &std::path::Path, meta_json: &serde_json::Value, data: &[u8]) {
    let meta = serde_json::to_vec(meta_json).unwrap();
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(b"VXLSNAP1").unwrap();
    f.write_all(&(meta.len() as u32).to_le_bytes()).unwrap();
    f.write_all(&meta).unwrap();
    f.write_all(data).unwrap();
}

#[test]
fn damaged_snapshots_are_rejected_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (src, points) = source(&dir);
    let good = dir.path().join("good.vxl");
    src.export_snapshot(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let meta: serde_json::Value = serde_json::from_slice(&bytes[12..12 + n]).unwrap();

    let target = Engine::open(&dir.path().join("dst.db").to_string_lossy(), options()).unwrap();
    target.create_collection(&config("keep", 2, Distance::L2)).unwrap();
    target.insert("keep", &point(1, vec![1.0, 1.0], None)).unwrap();
    let before = target.digest().unwrap();

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut flipped = bytes.clone();
    let last = flipped.len() - 100;
    flipped[last] ^= 0x01;
    cases.push(("corrupted data", flipped));
    cases.push(("truncated data", bytes[..bytes.len() - 1].to_vec()));
    cases.push(("truncated header", bytes[..10].to_vec()));
    cases.push(("truncated metadata", bytes[..12 + n / 2].to_vec()));
    cases.push(("empty", Vec::new()));
    cases.push(("not a snapshot", b"SQLite format 3\0 and then some".to_vec()));
    let mut extended = bytes.clone();
    extended.push(0);
    cases.push(("trailing bytes", extended));
    for (what, data) in &cases {
        let path = dir.path().join("bad.vxl");
        std::fs::write(&path, data).unwrap();
        let err = target.import_snapshot(&path).expect_err(what);
        assert_eq!(err.code, ErrorCode::SnapshotInvalid, "{what}: {err}");
    }

    // Well-formed containers with lying or useless contents.
    let data = &bytes[12 + n..];
    let path = dir.path().join("forged.vxl");
    let mut wrong_version = meta.clone();
    wrong_version["version"] = 2.into();
    let mut wrong_overall = meta.clone();
    wrong_overall["checksum"] = "00".repeat(32).into();
    let mut wrong_type = meta.clone();
    wrong_type["files"][0]["fileType"] = "hnsw_index".into();
    let garbage = vec![7u8; 4096];
    let sum = hex::encode(Sha256::digest(&garbage));
    let mut not_sqlite = meta.clone();
    not_sqlite["checksum"] = sum.clone().into();
    not_sqlite["files"][0]["checksum"] = sum.into();
    not_sqlite["files"][0]["fileSize"] = 4096.into();
    not_sqlite["totalSize"] = 4096.into();
    let plain_db = dir.path().join("plain.db");
    rusqlite::Connection::open(&plain_db).unwrap().execute_batch("CREATE TABLE x (y); INSERT INTO x VALUES (1);").unwrap();
    let plain = std::fs::read(&plain_db).unwrap();
    let plain_sum = hex::encode(Sha256::digest(&plain));
    let mut foreign_db = meta.clone();
    foreign_db["checksum"] = plain_sum.clone().into();
    foreign_db["files"][0]["checksum"] = plain_sum.into();
    foreign_db["files"][0]["fileSize"] = plain.len().into();
    foreign_db["totalSize"] = plain.len().into();
    let forged: [(&str, &serde_json::Value, &[u8]); 5] = [
        ("version", &wrong_version, data),
        ("overall checksum", &wrong_overall, data),
        ("no sqlite_db file", &wrong_type, data),
        ("not an SQLite file", &not_sqlite, &garbage),
        ("not a VectorXLite database", &foreign_db, &plain),
    ];
    for (what, m, d) in forged {
        write_snapshot(&path, m, d);
        let err = target.import_snapshot(&path).expect_err(what);
        assert_eq!(err.code, ErrorCode::SnapshotInvalid, "{what}: {err}");
    }
    assert_eq!(code(target.import_snapshot(&dir.path().join("missing.vxl"))), ErrorCode::NotFound);

    assert_eq!(target.digest().unwrap(), before);
    assert_eq!(target.search(&query("keep", vec![1.0, 1.0], 1)).unwrap()[0].id, 1);
    // The good snapshot still imports after all that.
    target.import_snapshot(&good).unwrap();
    assert_eq!(searches(&target, &points), searches(&src, &points));
}

#[test]
fn digest_is_deterministic_and_sensitive() {
    let a = memory();
    let b = memory();
    for db in [&a, &b] {
        db.create_collection(&with_schema("c", 2, "CREATE TABLE c (rowid INTEGER PRIMARY KEY, v TEXT)")).unwrap();
        db.insert("c", &point(1, vec![1.0, 0.0], Some("INSERT INTO c(v) VALUES ('x')"))).unwrap();
    }
    assert_eq!(a.digest().unwrap(), b.digest().unwrap());
    b.insert("c", &point(2, vec![1.0, 0.0], Some("INSERT INTO c(v) VALUES ('x')"))).unwrap();
    assert_ne!(a.digest().unwrap(), b.digest().unwrap());
    b.delete("c", 2).unwrap();
    assert_eq!(a.digest().unwrap(), b.digest().unwrap());
    a.insert("c", &point(3, vec![1.0, 0.0], Some("INSERT INTO c(v) VALUES ('x')"))).unwrap();
    b.insert("c", &point(3, vec![1.0, 0.0], Some("INSERT INTO c(v) VALUES ('y')"))).unwrap();
    assert_ne!(a.digest().unwrap(), b.digest().unwrap());
}
