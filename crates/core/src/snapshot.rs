//! The snapshot container of docs/snapshot-format.md: writing it, and reading it back
//! with every check done before any byte of it is trusted.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use rusqlite::{Connection, OpenFlags};

use crate::catalog;
use crate::error::{Error, ErrorCode, Result};
use crate::names::{quote, vectors_table};
use crate::types::{SnapshotFileInfo, SnapshotFileType, SnapshotMetadata};

pub const MAGIC: &[u8; 8] = b"VXLSNAP1";
pub const VERSION: u32 = 1;
pub const DB_FILE_NAME: &str = "vectorxlite.db";
/// Bytes before the metadata: the magic and the metadata length.
pub const FIXED_HEADER_BYTES: usize = 12;
/// Refuses metadata larger than this before reading it: a corrupted length must not
/// make the engine allocate gigabytes.
const MAX_METADATA_BYTES: u32 = 16 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileJson {
    file_name: String,
    file_type: String,
    file_size: u64,
    checksum: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MetadataJson {
    snapshot_id: String,
    created_at: i64,
    total_size: u64,
    files: Vec<FileJson>,
    version: u32,
    checksum: String,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::SnapshotInvalid, message)
}

/// SHA-256 of a whole file, and its size.
pub fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Writes a snapshot holding one SQLite database file to `dest` (via a temporary file
/// renamed into place, so `dest` is never half-written).
pub fn write(dest: &Path, db_file: &Path, created_at: i64) -> Result<SnapshotMetadata> {
    let (size, checksum) = hash_file(db_file)?;
    // One file: the overall checksum over all file bytes equals that file's checksum.
    let id_seed = format!("{checksum}:{created_at}:{}", std::process::id());
    let snapshot_id = hex::encode(&Sha256::digest(id_seed.as_bytes())[..16]);
    let meta = SnapshotMetadata {
        snapshot_id,
        created_at,
        total_size: size,
        files: vec![SnapshotFileInfo {
            file_name: DB_FILE_NAME.to_string(),
            file_type: SnapshotFileType::SqliteDb,
            file_size: size,
            checksum: checksum.clone(),
        }],
        version: VERSION,
        checksum,
    };
    let json = serde_json::to_vec(&to_json(&meta)).map_err(|e| Error::internal(e.to_string()))?;
    let tmp = sibling(dest, "writing");
    let result = (|| -> Result<()> {
        let mut out = BufWriter::new(File::create(&tmp)?);
        out.write_all(MAGIC)?;
        out.write_all(&(json.len() as u32).to_le_bytes())?;
        out.write_all(&json)?;
        std::io::copy(&mut File::open(db_file)?, &mut out)?;
        let file = out.into_inner().map_err(|e| Error::from(e.into_error()))?;
        file.sync_all()?;
        std::fs::rename(&tmp, dest)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|_| meta)
}

/// A path next to `path` for temporary work, unique to this process and moment.
pub fn sibling(path: &Path, what: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{what}-{}-{nanos}.tmp", std::process::id()));
    path.with_file_name(name)
}

fn to_json(m: &SnapshotMetadata) -> MetadataJson {
    MetadataJson {
        snapshot_id: m.snapshot_id.clone(),
        created_at: m.created_at,
        total_size: m.total_size,
        files: m
            .files
            .iter()
            .map(|f| FileJson {
                file_name: f.file_name.clone(),
                file_type: f.file_type.as_str().to_string(),
                file_size: f.file_size,
                checksum: f.checksum.clone(),
            })
            .collect(),
        version: m.version,
        checksum: m.checksum.clone(),
    }
}

/// A snapshot whose every byte has been checked.
pub struct Verified {
    pub meta: SnapshotMetadata,
    /// Offset of the first file's bytes in the snapshot.
    data_offset: u64,
}

impl Verified {
    /// Copies the `sqlite_db` file out of the snapshot at `src` into `dest`.
    pub fn extract_db(&self, src: &Path, dest: &Path) -> Result<()> {
        let mut offset = self.data_offset;
        for f in &self.meta.files {
            if f.file_type == SnapshotFileType::SqliteDb {
                let mut input = File::open(src)?;
                input.seek(SeekFrom::Start(offset))?;
                let mut out = File::create(dest)?;
                std::io::copy(&mut input.take(f.file_size), &mut out)?;
                out.sync_all()?;
                return Ok(());
            }
            offset += f.file_size;
        }
        Err(invalid("snapshot holds no sqlite_db file"))
    }
}

/// The metadata length a container's first 12 bytes announce, after checking the magic and
/// that the length is in range.
pub fn metadata_len(fixed: &[u8; FIXED_HEADER_BYTES]) -> Result<u32> {
    if &fixed[..8] != MAGIC {
        return Err(invalid("not a VectorXLite snapshot (missing VXLSNAP1 header)"));
    }
    let len = u32::from_le_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);
    if len > MAX_METADATA_BYTES {
        return Err(invalid("snapshot metadata length is out of range: the snapshot is corrupted"));
    }
    Ok(len)
}

/// Parses the metadata JSON and checks what it says about itself: version, file types,
/// sizes adding up to totalSize, exactly one sqlite_db file. Checksums are checked against
/// the bytes by `verify`.
pub fn parse_metadata(json: &[u8]) -> Result<SnapshotMetadata> {
    let parsed: MetadataJson =
        serde_json::from_slice(json).map_err(|e| invalid(format!("snapshot metadata is not valid: {e}")))?;
    if parsed.version != VERSION {
        return Err(invalid(format!(
            "snapshot format version {} is not supported (expected {VERSION})",
            parsed.version
        )));
    }
    let mut files = Vec::new();
    let mut sum = 0u64;
    for f in parsed.files {
        let file_type = SnapshotFileType::parse(&f.file_type)
            .ok_or_else(|| invalid(format!("snapshot file {} has unknown type '{}'", f.file_name, f.file_type)))?;
        sum = sum
            .checked_add(f.file_size)
            .ok_or_else(|| invalid("snapshot file sizes overflow"))?;
        files.push(SnapshotFileInfo { file_name: f.file_name, file_type, file_size: f.file_size, checksum: f.checksum });
    }
    if sum != parsed.total_size {
        return Err(invalid("snapshot totalSize does not equal the sum of its file sizes"));
    }
    // No file is larger than i64::MAX bytes (the largest file offset), and the bound keeps
    // container_len (header + metadata + files) from overflowing on damaged metadata.
    if parsed.total_size > i64::MAX as u64 {
        return Err(invalid(format!(
            "snapshot totalSize {} is out of range: the snapshot is corrupted",
            parsed.total_size
        )));
    }
    if files.iter().filter(|f| f.file_type == SnapshotFileType::SqliteDb).count() != 1 {
        return Err(invalid("snapshot must hold exactly one sqlite_db file"));
    }
    Ok(SnapshotMetadata {
        snapshot_id: parsed.snapshot_id,
        created_at: parsed.created_at,
        total_size: parsed.total_size,
        files,
        version: parsed.version,
        checksum: parsed.checksum,
    })
}

/// The container's length as its header announces it: header, metadata and file bytes.
pub fn container_len(meta_len: u32, meta: &SnapshotMetadata) -> u64 {
    FIXED_HEADER_BYTES as u64 + meta_len as u64 + meta.total_size
}

/// Checks magic, version, lengths, every per-file checksum and the overall checksum.
pub fn verify(src: &Path) -> Result<Verified> {
    let mut input = BufReader::new(File::open(src).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(ErrorCode::NotFound, format!("snapshot file {} does not exist", src.display()))
        } else {
            Error::from(e)
        }
    })?);
    let file_len = input.get_ref().metadata()?.len();
    let mut fixed = [0u8; FIXED_HEADER_BYTES];
    if file_len < FIXED_HEADER_BYTES as u64 || input.read_exact(&mut fixed).is_err() {
        return Err(invalid("not a VectorXLite snapshot (missing VXLSNAP1 header)"));
    }
    let meta_len = metadata_len(&fixed)?;
    if FIXED_HEADER_BYTES as u64 + meta_len as u64 > file_len {
        return Err(invalid("snapshot metadata length is out of range: the file is truncated or corrupted"));
    }
    let mut json = vec![0u8; meta_len as usize];
    input.read_exact(&mut json)?;
    let meta = parse_metadata(&json)?;
    if container_len(meta_len, &meta) != file_len {
        return Err(invalid(format!(
            "snapshot is {file_len} bytes but its metadata describes {}: truncated or corrupted",
            container_len(meta_len, &meta)
        )));
    }
    let mut overall = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    for f in &meta.files {
        let mut hasher = Sha256::new();
        let mut left = f.file_size;
        while left > 0 {
            let n = buf.len().min(left as usize);
            input.read_exact(&mut buf[..n])?;
            hasher.update(&buf[..n]);
            overall.update(&buf[..n]);
            left -= n as u64;
        }
        if hex::encode(hasher.finalize()) != f.checksum.to_ascii_lowercase() {
            return Err(invalid(format!("checksum mismatch in snapshot file {}", f.file_name)));
        }
    }
    if hex::encode(overall.finalize()) != meta.checksum.to_ascii_lowercase() {
        return Err(invalid("snapshot overall checksum mismatch"));
    }
    Ok(Verified { meta, data_offset: FIXED_HEADER_BYTES as u64 + meta_len as u64 })
}

/// Opens a staged snapshot database and checks it is a VectorXLite database whose every
/// collection has its tables, before it may replace live data.
pub fn open_staged_db(path: &Path) -> Result<Connection> {
    let invalid = |m: String| Error::new(ErrorCode::SnapshotInvalid, m);
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| invalid(format!("snapshot database cannot be opened: {e}")))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| invalid(format!("snapshot database is damaged: {e}")))?;
    if check != "ok" {
        return Err(invalid(format!("snapshot database is damaged: {check}")));
    }
    let collections = catalog::load_all(&conn)
        .map_err(|e| invalid(format!("snapshot is not a VectorXLite database: {}", e.message)))?;
    for c in &collections {
        for table in [vectors_table(&c.name), c.name.clone()] {
            if conn.prepare(&format!("SELECT rowid FROM main.{} LIMIT 0", quote(&table))).is_err() {
                return Err(invalid(format!("snapshot lacks table {table} of collection {}", c.name)));
            }
        }
    }
    Ok(conn)
}
