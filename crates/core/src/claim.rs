//! One Engine per database file in a process.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Database files open in this process. A second Engine on the same file would hold a
/// second, diverging copy of every index (they live in connection memory), so it is
/// refused instead of silently returning wrong results.
static OPEN_FILES: std::sync::Mutex<std::collections::BTreeSet<PathBuf>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// This process's claim on a database file, released when dropped.
pub struct FileClaim(PathBuf);

impl FileClaim {
    pub fn take(path: PathBuf) -> Result<FileClaim> {
        let mut open = OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner());
        if !open.insert(path.clone()) {
            return Err(Error::invalid(format!(
                "database {} is already open in this process; share that instance or close it first",
                path.display()
            )));
        }
        Ok(FileClaim(path))
    }
}

impl Drop for FileClaim {
    fn drop(&mut self) {
        OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.0);
    }
}
