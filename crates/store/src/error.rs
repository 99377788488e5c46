//! The store's error: a kind that callers act on (the HTTP edge maps kinds to statuses in one
//! place), a message in plain words, and the typed cause.

use std::fmt;

/// What kind of failure, for the caller to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request names something impossible (bad value, wrong community).
    InvalidInput,
    /// The thing asked for does not exist.
    NotFound,
    /// It exists already, or conflicts with what exists.
    Conflict,
    /// Stored data cannot be read back: a damaged file, a broken chunk.
    Corrupt,
    /// The database cannot be reached or is busy; trying again may work.
    Unavailable,
    /// A bug on our side.
    Internal,
}

/// An error of the store.
pub struct StoreError {
    kind: ErrorKind,
    message: String,
    retryable: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> StoreError {
        StoreError {
            kind,
            message: message.into(),
            retryable: false,
            source: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> StoreError {
        StoreError::new(ErrorKind::InvalidInput, message)
    }

    pub fn not_found(what: impl fmt::Display) -> StoreError {
        StoreError::new(ErrorKind::NotFound, format!("{what} does not exist"))
    }

    pub fn conflict(message: impl Into<String>) -> StoreError {
        StoreError::new(ErrorKind::Conflict, message)
    }

    pub fn corrupt(message: impl Into<String>) -> StoreError {
        StoreError::new(ErrorKind::Corrupt, message)
    }

    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError::new(ErrorKind::Unavailable, message)
    }

    pub fn internal(message: impl Into<String>) -> StoreError {
        StoreError::new(ErrorKind::Internal, message)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> StoreError {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn retryable(mut self) -> StoreError {
        self.retryable = true;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Would the same transaction, run again, likely succeed (a deadlock, a serialization
    /// failure, a busy database)?
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)?;
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<crate::encoding::chunks::CodecError> for StoreError {
    fn from(e: crate::encoding::chunks::CodecError) -> Self {
        StoreError::corrupt(format!("stored data cannot be decoded: {e}")).with_source(e)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        let (kind, message, retryable) = match e.sqlite_error_code() {
            Some(C::DatabaseCorrupt) => (
                ErrorKind::Corrupt,
                "the database file is damaged".to_string(),
                false,
            ),
            Some(C::NotADatabase) => (
                ErrorKind::Corrupt,
                "the file is not a SQLite database".to_string(),
                false,
            ),
            Some(C::DatabaseBusy | C::DatabaseLocked) => (
                ErrorKind::Unavailable,
                "the database is busy".to_string(),
                true,
            ),
            Some(C::DiskFull) => (
                ErrorKind::Unavailable,
                "the disk is full".to_string(),
                false,
            ),
            Some(C::CannotOpen | C::PermissionDenied | C::ReadOnly | C::SystemIoFailure) => (
                ErrorKind::Unavailable,
                format!("the database file cannot be used: {e}"),
                false,
            ),
            Some(C::ConstraintViolation) => (
                ErrorKind::Conflict,
                format!("conflicts with stored data ({e})"),
                false,
            ),
            _ => (ErrorKind::Internal, format!("sqlite: {e}"), false),
        };
        StoreError {
            kind,
            message,
            retryable,
            source: Some(Box::new(e)),
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
        let (kind, message, retryable) = if e.is_closed() || code.starts_with("08") {
            (
                ErrorKind::Unavailable,
                "the PostgreSQL connection was lost".to_string(),
                false,
            )
        } else if code == "40001" || code == "40P01" {
            (
                ErrorKind::Unavailable,
                "concurrent writes collided".to_string(),
                true,
            )
        } else if code.starts_with("57P") || code == "53300" {
            (
                ErrorKind::Unavailable,
                "PostgreSQL is shutting down or refusing connections".to_string(),
                false,
            )
        } else if code.starts_with("23") {
            (
                ErrorKind::Conflict,
                format!(
                    "conflicts with stored data ({})",
                    e.as_db_error()
                        .map_or(String::new(), |d| d.message().to_string())
                ),
                false,
            )
        } else if code == "XX001" || code == "XX002" {
            (
                ErrorKind::Corrupt,
                "PostgreSQL reports damaged data".to_string(),
                false,
            )
        } else if code.is_empty() {
            (
                ErrorKind::Unavailable,
                format!("PostgreSQL cannot be reached: {e}"),
                false,
            )
        } else {
            (ErrorKind::Internal, format!("postgres: {e}"), false)
        };
        StoreError {
            kind,
            message,
            retryable,
            source: Some(Box::new(e)),
        }
    }
}
