//! The one error type of the engine. Codes match `src/errors.ts`; callers match on `code`.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    DimensionMismatch,
    SqlError,
    ForbiddenSql,
    SnapshotInvalid,
    Closed,
    IoError,
    /// The disk or memory ran out (SQLITE_FULL, SQLITE_NOMEM): retrying later may work.
    ResourceExhausted,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::DimensionMismatch => "DIMENSION_MISMATCH",
            ErrorCode::SqlError => "SQL_ERROR",
            ErrorCode::ForbiddenSql => "FORBIDDEN_SQL",
            ErrorCode::SnapshotInvalid => "SNAPSHOT_INVALID",
            ErrorCode::Closed => "CLOSED",
            ErrorCode::IoError => "IO_ERROR",
            ErrorCode::ResourceExhausted => "RESOURCE_EXHAUSTED",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidArgument, message)
    }
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// The code of a SQLite failure that says something about the machine rather than the
/// statement: out of disk or memory, I/O, locks held by another connection, a damaged or
/// unopenable file. Such a failure is nobody's SQL mistake and may not happen on another
/// replica or a retry, so it must never look like SQL_ERROR (the cluster treats that as a
/// deterministic refusal).
pub fn environment_code(e: &rusqlite::Error) -> Option<ErrorCode> {
    use rusqlite::ffi::ErrorCode as Sqlite;
    let rusqlite::Error::SqliteFailure(failure, _) = e else { return None };
    match failure.code {
        Sqlite::DiskFull | Sqlite::OutOfMemory => Some(ErrorCode::ResourceExhausted),
        Sqlite::SystemIoFailure
        | Sqlite::DatabaseBusy
        | Sqlite::DatabaseLocked
        | Sqlite::DatabaseCorrupt
        | Sqlite::NotADatabase
        | Sqlite::CannotOpen => Some(ErrorCode::IoError),
        _ => None,
    }
}

/// SQLite failures the engine did not anticipate are internal, except failures of the
/// environment (`environment_code`): user SQL errors are mapped explicitly where user SQL
/// runs, so they get SQL_ERROR with context.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        match environment_code(&e) {
            Some(code) => Error::new(code, format!("sqlite: {e}")),
            None => Error::internal(format!("sqlite: {e}")),
        }
    }
}

impl From<rusqlite::types::FromSqlError> for Error {
    fn from(e: rusqlite::types::FromSqlError) -> Error {
        Error::internal(format!("sqlite value: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorCode::IoError, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some("failed".into()))
    }

    #[test]
    fn environment_failures_are_not_sql_errors() {
        let cases = [
            (ffi::SQLITE_FULL, Some(ErrorCode::ResourceExhausted)),
            (ffi::SQLITE_NOMEM, Some(ErrorCode::ResourceExhausted)),
            (ffi::SQLITE_IOERR, Some(ErrorCode::IoError)),
            (ffi::SQLITE_IOERR_WRITE, Some(ErrorCode::IoError)),
            (ffi::SQLITE_IOERR_FSYNC, Some(ErrorCode::IoError)),
            (ffi::SQLITE_BUSY, Some(ErrorCode::IoError)),
            (ffi::SQLITE_LOCKED, Some(ErrorCode::IoError)),
            (ffi::SQLITE_CORRUPT, Some(ErrorCode::IoError)),
            (ffi::SQLITE_NOTADB, Some(ErrorCode::IoError)),
            (ffi::SQLITE_CANTOPEN, Some(ErrorCode::IoError)),
            (ffi::SQLITE_CONSTRAINT, None),
            (ffi::SQLITE_ERROR, None),
        ];
        for (code, expected) in cases {
            assert_eq!(environment_code(&failure(code)), expected, "sqlite code {code}");
            let mapped = Error::from(failure(code)).code;
            assert_eq!(mapped, expected.unwrap_or(ErrorCode::Internal), "sqlite code {code}");
        }
    }
}
