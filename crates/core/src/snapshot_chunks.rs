//! A snapshot as an ordered sequence of chunks: the bytes of the container file of
//! docs/snapshot-format.md, cut into pieces of one size (the last may be shorter), so a
//! snapshot of any size can be streamed with one chunk in memory at a time.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::snapshot_staging::StagedFile;
use crate::types::SnapshotMetadata;

pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
/// Below this a large snapshot turns into millions of calls: a mistake, not a choice.
pub const MIN_CHUNK_SIZE: usize = 1024;
/// One chunk is held in memory on each side of a stream; this bounds it.
pub const MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;

/// One piece of a snapshot stream: the container bytes `offset .. offset + data.len()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotChunk {
    /// Position in the stream, from 0.
    pub index: u64,
    /// Offset of `data` in the container file.
    pub offset: u64,
    pub data: Vec<u8>,
    /// True on the chunk that ends the container.
    pub is_last: bool,
}

pub fn check_chunk_size(chunk_size: usize) -> Result<()> {
    if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        return Err(Error::invalid(format!(
            "snapshot chunk size must be from {MIN_CHUNK_SIZE} to {MAX_CHUNK_SIZE} bytes (default {DEFAULT_CHUNK_SIZE}), got {chunk_size}"
        )));
    }
    Ok(())
}

/// The chunks of one snapshot, taken when the reader is made. The engine is locked only
/// while it copies the database; reading the chunks afterwards does not hold it up.
pub struct SnapshotReader {
    metadata: SnapshotMetadata,
    chunk_size: usize,
    total_bytes: u64,
    next_index: u64,
    offset: u64,
    file: File,
    /// Declared after `file`, so the file is closed before it is removed.
    _staged: StagedFile,
}

impl SnapshotReader {
    /// Exports a consistent snapshot, exactly as `Engine::export_snapshot` writes it, into a
    /// temporary file in `staging_dir` that lives as long as the reader.
    pub fn export(engine: &Engine, staging_dir: &Path, chunk_size: usize) -> Result<SnapshotReader> {
        check_chunk_size(chunk_size)?;
        let staged = StagedFile::new(staging_dir, "export")?;
        let metadata = engine.export_snapshot(staged.path())?;
        let file = File::open(staged.path())?;
        let total_bytes = file.metadata()?.len();
        Ok(SnapshotReader { metadata, chunk_size, total_bytes, next_index: 0, offset: 0, file, _staged: staged })
    }

    pub fn metadata(&self) -> &SnapshotMetadata {
        &self.metadata
    }

    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The container's length: the sum of every chunk's length.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    pub fn chunk_count(&self) -> u64 {
        self.total_bytes.div_ceil(self.chunk_size as u64)
    }

    /// The next chunk, or None after the one marked `is_last`.
    pub fn next_chunk(&mut self) -> Result<Option<SnapshotChunk>> {
        let left = self.total_bytes - self.offset;
        if left == 0 {
            return Ok(None);
        }
        let mut data = vec![0u8; left.min(self.chunk_size as u64) as usize];
        self.file.read_exact(&mut data)?;
        let chunk = SnapshotChunk {
            index: self.next_index,
            offset: self.offset,
            is_last: data.len() as u64 == left,
            data,
        };
        self.next_index += 1;
        self.offset += chunk.data.len() as u64;
        Ok(Some(chunk))
    }
}

impl Iterator for SnapshotReader {
    type Item = Result<SnapshotChunk>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}
