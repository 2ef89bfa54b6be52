//! Temporary files for chunked snapshots: a uniquely named path in a directory the caller
//! chose (a snapshot can be far larger than memory or the system temp directory), removed
//! when its owner is dropped, so no path out of a stream, failed or not, leaves one behind.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorCode, Result};

/// Distinguishes files staged by this process in the same nanosecond.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

pub struct StagedFile {
    path: PathBuf,
}

impl StagedFile {
    /// A path for a new file named after `what` in `dir`, which must be an existing directory.
    pub fn new(dir: &Path, what: &str) -> Result<StagedFile> {
        if !dir.is_dir() {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("snapshot staging directory {} does not exist or is not a directory", dir.display()),
            ));
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let name = format!("vxl-{what}-{}-{id}-{nanos}.tmp", std::process::id());
        Ok(StagedFile { path: dir.join(name) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        // Missing already (never created, or the engine moved it) is the normal case.
        let _ = std::fs::remove_file(&self.path);
    }
}
