//! One Engine per database file: in this process, and across processes.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use crate::error::{Error, ErrorCode, Result};

/// Database files open in this process. A second Engine on the same file would hold a
/// second, diverging copy of every index (they live in connection memory), so it is
/// refused instead of silently returning wrong results.
static OPEN_FILES: std::sync::Mutex<std::collections::BTreeSet<PathBuf>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// This process's claim on a database file, released when dropped. It also holds an
/// exclusive OS lock on `<database>.lock`, so an Engine in another process is refused for
/// the same reason; the OS drops that lock when the process dies, even by kill -9. Plain
/// SQLite connections (another tool doing DDL) do not take it and stay welcome.
pub struct FileClaim {
    path: PathBuf,
    _lock: File,
}

impl FileClaim {
    pub fn take(path: PathBuf) -> Result<FileClaim> {
        let mut open = OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner());
        if open.contains(&path) {
            return Err(Error::invalid(format!(
                "database {} is already open in this process; share that instance or close it first",
                path.display()
            )));
        }
        let lock = lock_file(&path)?;
        open.insert(path.clone());
        Ok(FileClaim { path, _lock: lock })
    }
}

fn lock_file(path: &std::path::Path) -> Result<File> {
    let mut lock_path = path.to_path_buf().into_os_string();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::new(ErrorCode::IoError, format!("cannot open lock file {}: {e}", lock_path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Error::invalid(format!(
            "database {} is open in another process (it holds {}); close it there first",
            path.display(),
            lock_path.display()
        ))),
        Err(TryLockError::Error(e)) => Err(Error::new(
            ErrorCode::IoError,
            format!("cannot lock {}: {e}", lock_path.display()),
        )),
    }
}

impl Drop for FileClaim {
    fn drop(&mut self) {
        OPEN_FILES.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.path);
    }
}
