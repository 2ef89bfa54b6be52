//! The import side of a chunked snapshot: chunks are accepted strictly in order into a
//! temporary container file, and only a complete stream is handed to
//! `Engine::import_snapshot`, which verifies every checksum before it touches live data.
//! The header is parsed as soon as it has arrived, so a stream that is not a snapshot is
//! refused at once and one longer than its header announces is refused at the first
//! byte too many.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::snapshot::{self, FIXED_HEADER_BYTES};
use crate::snapshot_chunks::{SnapshotChunk, MAX_CHUNK_SIZE};
use crate::snapshot_staging::StagedFile;
use crate::types::ImportSummary;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::SnapshotInvalid, message)
}

/// What the stream has told about itself so far.
enum Header {
    /// The container's first bytes, kept until the metadata is complete.
    Incomplete(Vec<u8>),
    /// The container's length, from the parsed header.
    Parsed { container_len: u64 },
}

pub struct SnapshotWriter {
    out: Option<BufWriter<File>>,
    header: Header,
    next_index: u64,
    received: u64,
    last_seen: bool,
    /// Why the stream was refused; every later call repeats it.
    refused: Option<Error>,
    /// Declared after `out`, so the file is closed before it is removed.
    staged: StagedFile,
}

impl SnapshotWriter {
    /// Starts an import whose chunks are staged in a temporary file in `staging_dir`.
    pub fn create(staging_dir: &Path) -> Result<SnapshotWriter> {
        let staged = StagedFile::new(staging_dir, "import")?;
        let out = BufWriter::new(File::create(staged.path())?);
        Ok(SnapshotWriter {
            out: Some(out),
            header: Header::Incomplete(Vec::new()),
            next_index: 0,
            received: 0,
            last_seen: false,
            refused: None,
            staged,
        })
    }

    /// Chunks accepted so far: the index the next chunk must have.
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Bytes accepted so far: the offset the next chunk must have.
    pub fn bytes_received(&self) -> u64 {
        self.received
    }

    /// Accepts the next chunk. Any refusal is final: the staged bytes are removed and every
    /// later call, `finish` included, fails with the same error.
    pub fn write(&mut self, chunk: &SnapshotChunk) -> Result<()> {
        if let Some(e) = &self.refused {
            return Err(e.clone());
        }
        let accepted = self.accept(chunk);
        if let Err(e) = &accepted {
            self.refuse(e.clone());
        }
        accepted
    }

    /// Accepts `data` as the next chunk, at the index and offset the writer expects: for a
    /// caller that serializes its writes and has no positions of its own to check.
    pub fn append(&mut self, data: Vec<u8>) -> Result<()> {
        let chunk = SnapshotChunk { index: self.next_index, offset: self.received, data, is_last: false };
        self.write(&chunk)
    }

    /// Ends the stream: when every byte the header announced has arrived, imports it
    /// through `Engine::import_snapshot` (full verification, then an atomic replace).
    pub fn finish(mut self, engine: &Engine) -> Result<ImportSummary> {
        if let Some(e) = self.refused.take() {
            return Err(e);
        }
        let expected = match self.header {
            Header::Parsed { container_len } => container_len,
            Header::Incomplete(_) => {
                return Err(invalid(format!(
                    "snapshot stream ended after {} bytes, before its header was complete; nothing was imported",
                    self.received
                )))
            }
        };
        if self.received != expected {
            return Err(invalid(format!(
                "snapshot stream ended after {} of {expected} bytes; nothing was imported",
                self.received
            )));
        }
        let out = self.out.take().ok_or_else(|| Error::internal("snapshot writer has no staged file"))?;
        out.into_inner().map_err(|e| Error::from(e.into_error()))?.sync_all()?;
        engine.import_snapshot(self.staged.path())
    }

    /// Gives the stream up; the staged bytes are removed (as they are when the writer is
    /// dropped).
    pub fn abort(self) {}

    fn refuse(&mut self, error: Error) {
        self.refused = Some(error);
        self.out = None;
        let _ = std::fs::remove_file(self.staged.path());
    }

    fn accept(&mut self, chunk: &SnapshotChunk) -> Result<()> {
        if self.last_seen {
            return Err(invalid(format!("snapshot chunk {} arrived after the chunk marked last", chunk.index)));
        }
        if chunk.index < self.next_index {
            return Err(invalid(format!(
                "snapshot chunk {} arrived again or out of order (chunk {} was expected)",
                chunk.index, self.next_index
            )));
        }
        if chunk.index > self.next_index {
            return Err(invalid(format!(
                "snapshot chunk {} arrived where chunk {} was expected: a chunk is missing or out of order",
                chunk.index, self.next_index
            )));
        }
        if chunk.offset != self.received {
            return Err(invalid(format!(
                "snapshot chunk {} starts at offset {}, but {} bytes have arrived",
                chunk.index, chunk.offset, self.received
            )));
        }
        if chunk.data.is_empty() {
            return Err(invalid(format!("snapshot chunk {} holds no bytes", chunk.index)));
        }
        if chunk.data.len() > MAX_CHUNK_SIZE {
            return Err(invalid(format!(
                "snapshot chunk {} holds {} bytes, more than the {MAX_CHUNK_SIZE} a chunk may hold",
                chunk.index,
                chunk.data.len()
            )));
        }
        self.take_header_bytes(&chunk.data)?;
        let end = self.received + chunk.data.len() as u64;
        if let Header::Parsed { container_len } = self.header {
            if end > container_len {
                return Err(invalid(format!(
                    "snapshot stream is longer than the {container_len} bytes its header announces (chunk {} ends at {end})",
                    chunk.index
                )));
            }
        }
        let out = self.out.as_mut().ok_or_else(|| Error::internal("snapshot writer has no staged file"))?;
        out.write_all(&chunk.data)?;
        self.received = end;
        self.next_index += 1;
        if chunk.is_last {
            let complete = matches!(self.header, Header::Parsed { container_len } if container_len == end);
            if !complete {
                return Err(invalid(format!(
                    "snapshot chunk {} is marked last, but the stream is incomplete at {end} bytes",
                    chunk.index
                )));
            }
            self.last_seen = true;
        }
        Ok(())
    }

    /// Feeds the header parser the part of a chunk that falls in the header. While the
    /// header is incomplete, it holds every byte received so far.
    fn take_header_bytes(&mut self, data: &[u8]) -> Result<()> {
        let Header::Incomplete(bytes) = &mut self.header else { return Ok(()) };
        let mut rest = data;
        if bytes.len() < FIXED_HEADER_BYTES {
            let n = rest.len().min(FIXED_HEADER_BYTES - bytes.len());
            bytes.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            if bytes.len() < FIXED_HEADER_BYTES {
                return Ok(());
            }
        }
        let meta_len = metadata_len(bytes)?;
        let header_len = FIXED_HEADER_BYTES + meta_len as usize;
        let n = rest.len().min(header_len - bytes.len());
        bytes.extend_from_slice(&rest[..n]);
        if bytes.len() == header_len {
            let meta = snapshot::parse_metadata(&bytes[FIXED_HEADER_BYTES..])?;
            self.header = Header::Parsed { container_len: snapshot::container_len(meta_len, &meta) };
        }
        Ok(())
    }
}

fn metadata_len(bytes: &[u8]) -> Result<u32> {
    let fixed: &[u8; FIXED_HEADER_BYTES] = bytes[..FIXED_HEADER_BYTES].try_into().expect("12 header bytes");
    snapshot::metadata_len(fixed)
}
