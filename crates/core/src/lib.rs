//! vectorxlite-core: the VectorXLite engine on SQLite + the vectorlite HNSW extension.
//! Public surface: docs/dev/core-api.md. Design: docs/engine.md.

mod catalog;
mod claim;
mod digest;
mod engine;
mod error;
mod guard;
mod index;
mod limits;
mod names;
mod payload;
mod search;
mod select_rewrite;
mod snapshot;
mod snapshot_assembly;
mod snapshot_chunks;
mod snapshot_staging;
mod types;
mod vector;

pub use engine::Engine;
pub use error::{Error, ErrorCode, Result};
pub use snapshot_assembly::SnapshotWriter;
pub use snapshot_chunks::{SnapshotChunk, SnapshotReader, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE};
pub use types::{
    CollectionConfig, CollectionInfo, Distance, ImportSummary, IndexProgress, NewPoint,
    OpenOptions, RebuildReason, SearchHit, SearchQuery, SnapshotFileInfo, SnapshotFileType,
    SnapshotMetadata, StoredPoint, Value,
};
