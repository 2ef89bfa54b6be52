//! Public data types of the engine (docs/dev/core-api.md).

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};

pub struct OpenOptions {
    /// The vectorlite shared library, resolved by the caller (the TS layer finds it in npm).
    pub vectorlite_path: PathBuf,
    /// Search breadth when a search gives none.
    pub default_ef: Option<u32>,
    /// Reports index rebuilds; called on the thread running the engine call.
    pub progress: Option<Arc<dyn Fn(IndexProgress) + Send + Sync>>,
    /// false: commits are not fsynced (SQLite synchronous=NORMAL in WAL mode). The database
    /// stays consistent, but a power failure may lose the latest commits. Only for data
    /// rebuilt from elsewhere at every open, like a cluster node's state machine.
    pub durable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexProgress {
    pub collection: String,
    pub reason: RebuildReason,
    pub done: u64,
    pub total: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebuildReason {
    Open,
    Grow,
    Reparse,
}

impl RebuildReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RebuildReason::Open => "open",
            RebuildReason::Grow => "grow",
            RebuildReason::Reparse => "reparse",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distance {
    Cosine,
    L2,
    Ip,
}

impl Distance {
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::Cosine => "cosine",
            Distance::L2 => "l2",
            Distance::Ip => "ip",
        }
    }

    pub fn parse(s: &str) -> Result<Distance> {
        match s {
            "cosine" => Ok(Distance::Cosine),
            "l2" => Ok(Distance::L2),
            "ip" => Ok(Distance::Ip),
            other => Err(Error::invalid(format!(
                "distance must be 'cosine', 'l2' or 'ip', got '{other}'"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionConfig {
    pub name: String,
    pub dimension: u32,
    pub distance: Distance,
    pub payload_schema: Option<String>,
    pub max_elements: Option<u32>,
    pub m: Option<u32>,
    pub ef_construction: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionInfo {
    pub name: String,
    pub dimension: u32,
    pub distance: Distance,
    pub count: u64,
    pub max_elements: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewPoint {
    pub id: i64,
    pub vector: Vec<f32>,
    pub payload_insert_query: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SearchQuery {
    pub collection: String,
    pub vector: Vec<f32>,
    pub top_k: u32,
    pub payload_search_query: Option<String>,
    pub ef: Option<u32>,
}

/// A payload value with its SQLite storage class kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    pub id: i64,
    pub distance: f32,
    pub payload: Vec<(String, Value)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredPoint {
    pub id: i64,
    pub vector: Vec<f32>,
    pub payload: Vec<(String, Value)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotFileType {
    SqliteDb,
    HnswIndex,
    Wal,
}

impl SnapshotFileType {
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotFileType::SqliteDb => "sqlite_db",
            SnapshotFileType::HnswIndex => "hnsw_index",
            SnapshotFileType::Wal => "wal",
        }
    }

    pub fn parse(s: &str) -> Option<SnapshotFileType> {
        match s {
            "sqlite_db" => Some(SnapshotFileType::SqliteDb),
            "hnsw_index" => Some(SnapshotFileType::HnswIndex),
            "wal" => Some(SnapshotFileType::Wal),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotFileInfo {
    pub file_name: String,
    pub file_type: SnapshotFileType,
    pub file_size: u64,
    /// SHA-256, lowercase hex.
    pub checksum: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotMetadata {
    pub snapshot_id: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub total_size: u64,
    pub files: Vec<SnapshotFileInfo>,
    pub version: u32,
    /// SHA-256 (lowercase hex) over every file's bytes, in `files` order.
    pub checksum: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSummary {
    pub snapshot_id: String,
    pub bytes_restored: u64,
    pub files_restored: u32,
}
