//! Chunked snapshots (SnapshotReader / SnapshotWriter): the same container as the file
//! export, cut into ordered chunks, and an import that refuses any stream that is not
//! that container in order, leaving the database as it was and no temporary file behind.

use super::common;

use std::path::{Path, PathBuf};

use common::*;
use vectorxlite_core::*;

/// A database large enough for several 64 KiB chunks (about 500 KiB of container).
fn source(dir: &Path) -> Engine {
    let db = Engine::open(&dir.join("src.db").to_string_lossy(), options()).unwrap();
    db.create_collection(&with_schema("docs", 32, "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, title TEXT)")).unwrap();
    let mut rng = Rng::new(7);
    let batch: Vec<NewPoint> = (0..3000)
        .map(|id| point(id, rng.vector(32), Some(&format!("INSERT INTO docs(title) VALUES ('document {id}')"))))
        .collect();
    db.insert_batch("docs", &batch).unwrap();
    db
}

/// A file database holding one point of its own, which a failed import must leave alone.
fn target(dir: &Path) -> Engine {
    let db = Engine::open(&dir.join("dst.db").to_string_lossy(), options()).unwrap();
    db.create_collection(&config("keep", 2, Distance::L2)).unwrap();
    db.insert("keep", &point(1, vec![1.0, 1.0], None)).unwrap();
    db
}

fn staging(dir: &Path) -> PathBuf {
    let s = dir.join("staging");
    std::fs::create_dir_all(&s).unwrap();
    s
}

/// Files in `dir` whose names mark them as temporary (the engine's and the streams').
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// A temporary folder holding the source database and an empty staging folder.
fn setup() -> (tempfile::TempDir, PathBuf, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let staging = staging(dir.path());
    let src = source(dir.path());
    (dir, staging, src)
}

fn read_all(db: &Engine, staging: &Path, chunk_size: usize) -> Vec<SnapshotChunk> {
    SnapshotReader::export(db, staging, chunk_size).unwrap().collect::<Result<Vec<_>>>().unwrap()
}

fn import(db: &Engine, staging: &Path, chunks: &[SnapshotChunk]) -> Result<ImportSummary> {
    let mut writer = SnapshotWriter::create(staging)?;
    for c in chunks {
        writer.write(c)?;
    }
    writer.finish(db)
}

/// The database still answers, still takes writes, and holds what it held before.
fn assert_intact(db: &Engine, digest: &str) {
    assert_eq!(db.digest().unwrap(), digest);
    assert_eq!(db.search(&query("keep", vec![1.0, 1.0], 1)).unwrap()[0].id, 1);
    db.insert("keep", &point(2, vec![2.0, 2.0], None)).unwrap();
    db.delete("keep", 2).unwrap();
}

#[test]
fn chunks_round_trip_at_several_sizes() {
    let (dir, staging, src) = setup();
    let dst = target(dir.path());
    for chunk_size in [MIN_CHUNK_SIZE, 4096, DEFAULT_CHUNK_SIZE, 1 << 20, MAX_CHUNK_SIZE] {
        let mut reader = SnapshotReader::export(&src, &staging, chunk_size).unwrap();
        let (meta, total, count) = (reader.metadata().clone(), reader.total_bytes(), reader.chunk_count());
        let chunks = reader.by_ref().collect::<Result<Vec<_>>>().unwrap();
        assert!(reader.next_chunk().unwrap().is_none(), "nothing after the last chunk");
        drop(reader);

        assert_eq!(chunks.len() as u64, count);
        let mut offset = 0;
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!((c.index, c.offset, c.is_last), (i as u64, offset, i == chunks.len() - 1), "chunk {i} of {chunk_size}");
            assert!(c.is_last || c.data.len() == chunk_size, "only the last chunk is short");
            offset += c.data.len() as u64;
        }
        assert_eq!(offset, total);
        if chunk_size == DEFAULT_CHUNK_SIZE {
            assert!(chunks.len() > 4, "the fixture spans several default chunks, got {}", chunks.len());
        }
        // The chunks are the container the file export writes.
        let container: Vec<u8> = chunks.iter().flat_map(|c| c.data.iter().copied()).collect();
        let file = dir.path().join(format!("joined-{chunk_size}.vxl"));
        std::fs::write(&file, &container).unwrap();
        let from_file = memory();
        assert_eq!(from_file.import_snapshot(&file).unwrap().snapshot_id, meta.snapshot_id);
        assert_eq!(from_file.digest().unwrap(), src.digest().unwrap());

        let summary = import(&dst, &staging, &chunks).unwrap();
        assert_eq!((summary.snapshot_id, summary.bytes_restored, summary.files_restored), (meta.snapshot_id, meta.total_size, 1));
        assert_eq!(dst.digest().unwrap(), src.digest().unwrap());
        assert!(!dst.collection_exists("keep").unwrap());
        let q = query("docs", Rng::new(99).vector(32), 10);
        assert_eq!(dst.search(&q).unwrap(), src.search(&q).unwrap());
        assert_eq!(leftovers(&staging), Vec::<String>::new());
    }
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn chunk_boundaries_at_the_container_length() {
    let (_dir, staging, src) = setup();
    let total = SnapshotReader::export(&src, &staging, DEFAULT_CHUNK_SIZE).unwrap().total_bytes() as usize;
    // One chunk exactly, one byte left over, one byte short of a chunk, and two equal halves.
    let cases = [(total, vec![total]), (total - 1, vec![total - 1, 1]), (total + 1, vec![total]), (total / 2, vec![total / 2, total / 2])];
    for (chunk_size, lengths) in cases {
        if chunk_size == total / 2 && total % 2 == 1 {
            continue;
        }
        let chunks = read_all(&src, &staging, chunk_size);
        assert_eq!(chunks.iter().map(|c| c.data.len()).collect::<Vec<_>>(), lengths, "chunk size {chunk_size}");
        let dst = memory();
        import(&dst, &staging, &chunks).unwrap();
        assert_eq!(dst.digest().unwrap(), src.digest().unwrap());
    }
}

#[test]
fn the_writer_accepts_any_cut_including_a_header_split_byte_by_byte() {
    let (_dir, staging, src) = setup();
    let container: Vec<u8> = read_all(&src, &staging, MAX_CHUNK_SIZE).into_iter().flat_map(|c| c.data).collect();
    // 1-byte pieces through the fixed header and the metadata, then uneven larger ones.
    let mut cuts: Vec<usize> = (1..400).collect();
    let mut at = 400;
    while at < container.len() {
        cuts.push(at);
        at += 70_001;
    }
    cuts.push(container.len());
    let mut writer = SnapshotWriter::create(&staging).unwrap();
    let mut start = 0;
    for (index, end) in cuts.into_iter().enumerate() {
        let chunk = SnapshotChunk { index: index as u64, offset: start as u64, data: container[start..end].to_vec(), is_last: end == container.len() };
        writer.write(&chunk).unwrap();
        start = end;
    }
    let dst = memory();
    writer.finish(&dst).unwrap();
    assert_eq!(dst.digest().unwrap(), src.digest().unwrap());
}

#[test]
fn append_takes_the_next_position_and_finish_needs_no_last_mark() {
    let (_dir, staging, src) = setup();
    let chunks = read_all(&src, &staging, DEFAULT_CHUNK_SIZE);
    let mut writer = SnapshotWriter::create(&staging).unwrap();
    for c in &chunks {
        assert_eq!((writer.next_index(), writer.bytes_received()), (c.index, c.offset));
        writer.append(c.data.clone()).unwrap();
    }
    let dst = memory();
    writer.finish(&dst).unwrap();
    assert_eq!(dst.digest().unwrap(), src.digest().unwrap());
}

fn flip_byte(chunks: &mut [SnapshotChunk], index: usize, at: usize) {
    chunks[index].data[at] ^= 0x01;
}

#[test]
fn bad_streams_are_refused_and_leave_the_database_intact() {
    let (dir, staging, src) = setup();
    let dst = target(dir.path());
    let before = dst.digest().unwrap();
    let good = read_all(&src, &staging, 4096);
    let n = good.len();
    assert!(n > 10);
    let last = good[n - 1].clone();

    let header_only = SnapshotChunk { data: good[0].data[..20].to_vec(), is_last: false, ..good[0].clone() };
    let mut cases: Vec<(&str, &str, Vec<SnapshotChunk>)> = vec![
        ("truncated: the last chunk missing", "ended after", good[..n - 1].to_vec()),
        ("truncated: only part of the header", "before its header was complete", vec![header_only]),
        ("an empty stream", "before its header was complete", Vec::new()),
        ("reordered", "missing or out of order", [&good[..1], &good[2..3], &good[1..2], &good[3..]].concat()),
        ("a gap", "missing or out of order", [&good[..3], &good[4..]].concat()),
        ("a duplicate", "arrived again", [&good[..3], &good[2..]].concat()),
    ];
    let mut wrong_offset = good.clone();
    wrong_offset[3].offset += 1;
    cases.push(("a wrong offset", "starts at offset", wrong_offset));
    let mut early_last = good.clone();
    early_last[5].is_last = true;
    cases.push(("marked last too early", "is marked last", early_last));
    let extra = SnapshotChunk { index: n as u64, offset: last.offset + last.data.len() as u64, data: vec![0; 10], is_last: false };
    cases.push(("a chunk after the last", "after the chunk marked last", [&good[..], std::slice::from_ref(&extra)].concat()));
    let mut unmarked = good.clone();
    unmarked[n - 1].is_last = false;
    cases.push(("longer than its header announces", "longer than", [&unmarked[..], &[extra]].concat()));
    let mut empty = good.clone();
    empty[2].data.clear();
    cases.push(("an empty chunk", "holds no bytes", empty));
    let mut huge = good[..1].to_vec();
    huge.push(SnapshotChunk { index: 1, offset: good[1].offset, data: vec![0; MAX_CHUNK_SIZE + 1], is_last: false });
    cases.push(("a chunk above the size limit", "more than", huge));
    let mut not_a_snapshot = good.clone();
    not_a_snapshot[0].data[..8].copy_from_slice(b"SQLite f");
    cases.push(("not a snapshot", "VXLSNAP1", not_a_snapshot));
    let mut corrupted = good.clone();
    flip_byte(&mut corrupted, n / 2, 100);
    cases.push(("a flipped data byte", "checksum mismatch", corrupted));
    let mut bad_metadata = good.clone();
    flip_byte(&mut bad_metadata, 0, 14);
    cases.push(("damaged metadata", "metadata is not valid", bad_metadata));

    for (what, reason, chunks) in &cases {
        let err = import(&dst, &staging, chunks).expect_err(what);
        assert_eq!(err.code, ErrorCode::SnapshotInvalid, "{what}: {err}");
        assert!(err.message.contains(reason), "{what}: {err}");
        assert_intact(&dst, &before);
        assert_eq!(leftovers(&staging), Vec::<String>::new(), "{what}");
    }
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    // The good stream still imports after all that.
    import(&dst, &staging, &good).unwrap();
    assert_eq!(dst.digest().unwrap(), src.digest().unwrap());
}

#[test]
fn a_refusal_is_final_and_removes_the_staged_bytes_at_once() {
    let (_dir, staging, src) = setup();
    let good = read_all(&src, &staging, 4096);
    let mut writer = SnapshotWriter::create(&staging).unwrap();
    writer.write(&good[0]).unwrap();
    assert_eq!(leftovers(&staging).len(), 1, "the stream is staged on disk, not in memory");
    let refused = writer.write(&good[2]).unwrap_err();
    assert_eq!(refused.code, ErrorCode::SnapshotInvalid);
    assert_eq!(leftovers(&staging), Vec::<String>::new());
    assert_eq!(writer.write(&good[1]).unwrap_err(), refused, "the right chunk does not revive it");
    assert_eq!(writer.finish(&memory()).unwrap_err(), refused);
}

#[test]
fn temporary_files_are_removed_on_every_path() {
    let (_dir, staging, src) = setup();
    let clean = || assert_eq!(leftovers(&staging), Vec::<String>::new());

    let mut reader = SnapshotReader::export(&src, &staging, 4096).unwrap();
    assert_eq!(leftovers(&staging).len(), 1);
    reader.next_chunk().unwrap();
    drop(reader);
    clean();

    let good = read_all(&src, &staging, 4096);
    clean();

    let mut writer = SnapshotWriter::create(&staging).unwrap();
    writer.write(&good[0]).unwrap();
    writer.abort();
    clean();

    let mut writer = SnapshotWriter::create(&staging).unwrap();
    writer.write(&good[0]).unwrap();
    drop(writer);
    clean();

    // Complete and well-ordered, but failing verification inside the engine.
    let mut corrupted = good.clone();
    flip_byte(&mut corrupted, 3, 0);
    import(&memory(), &staging, &corrupted).unwrap_err();
    clean();

    let closed = memory();
    closed.close().unwrap();
    assert_eq!(code(import(&closed, &staging, &good)), ErrorCode::Closed);
    assert_eq!(code(SnapshotReader::export(&closed, &staging, 4096).map(drop)), ErrorCode::Closed);
    clean();
}

#[test]
fn bad_arguments_are_invalid_argument() {
    let dir = tempfile::tempdir().unwrap();
    let staging = staging(dir.path());
    let db = memory();
    for size in [0, 1, MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1] {
        assert_eq!(code(SnapshotReader::export(&db, &staging, size).map(drop)), ErrorCode::InvalidArgument, "chunk size {size}");
    }
    let missing = dir.path().join("no-such-dir");
    assert_eq!(code(SnapshotReader::export(&db, &missing, DEFAULT_CHUNK_SIZE).map(drop)), ErrorCode::InvalidArgument);
    assert_eq!(code(SnapshotWriter::create(&missing).map(drop)), ErrorCode::InvalidArgument);
    assert_eq!(leftovers(&staging), Vec::<String>::new());
}

#[test]
fn a_reader_holds_the_snapshot_of_its_moment_without_holding_up_the_engine() {
    let (_dir, staging, src) = setup();
    let digest_then = src.digest().unwrap();
    let mut reader = SnapshotReader::export(&src, &staging, DEFAULT_CHUNK_SIZE).unwrap();
    let first = reader.next_chunk().unwrap().unwrap();
    // The engine keeps working while the reader is open.
    src.insert("docs", &point(10_000, vec![0.5; 32], None)).unwrap();
    let mut chunks = vec![first];
    chunks.extend(reader.by_ref().map(|c| c.unwrap()));
    let dst = memory();
    import(&dst, &staging, &chunks).unwrap();
    assert_eq!(dst.digest().unwrap(), digest_then);
    assert!(dst.get("docs", 10_000).unwrap().is_none());
}

/// A container whose metadata announces `file_size` bytes for its one database file.
fn header_announcing(file_size: u64) -> Vec<u8> {
    let json = format!(
        r#"{{"snapshotId":"s","createdAt":0,"totalSize":{file_size},"files":[{{"fileName":"vectorxlite.db","fileType":"sqlite_db","fileSize":{file_size},"checksum":"00"}}],"version":1,"checksum":"00"}}"#
    );
    let mut bytes = b"VXLSNAP1".to_vec();
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(json.as_bytes());
    bytes
}

/// A size near u64::MAX in the metadata is damage, refused as such by the stream and by a
/// file import alike: the container length (header + metadata + files) must not overflow.
#[test]
fn sizes_no_file_can_have_are_refused_without_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let staging = staging(dir.path());
    let dst = target(dir.path());
    let before = dst.digest().unwrap();
    for size in [u64::MAX, u64::MAX - 12, i64::MAX as u64 + 1] {
        let header = header_announcing(size);
        let mut writer = SnapshotWriter::create(&staging).unwrap();
        let err = writer.append(header.clone()).unwrap_err();
        assert_eq!(err.code, ErrorCode::SnapshotInvalid, "{size}: {err}");
        assert!(err.message.contains("out of range"), "{size}: {err}");
        let file = dir.path().join("huge.vxlsnap");
        std::fs::write(&file, &header).unwrap();
        let err = dst.import_snapshot(&file).unwrap_err();
        assert_eq!(err.code, ErrorCode::SnapshotInvalid, "{size}: {err}");
        assert!(err.message.contains("out of range"), "{size}: {err}");
        assert_intact(&dst, &before);
    }
    assert_eq!(leftovers(&staging), Vec::<String>::new());
}
