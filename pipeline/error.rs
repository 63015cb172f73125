//! Errors that name what they are about: the file, the row or line, and the reason.
//!
//! A bad row is not an error of the run: it goes to the rejects table with the same
//! three facts. [`InputError`] is for what stops a run (a file that cannot be opened, a
//! required column that is missing, a Parquet file that is not one), and its message is
//! the one line the command prints before exiting non-zero.

use std::path::{Path, PathBuf};

/// Where in an input a problem is: a file, and a 1-based row (data rows, after any header)
/// or line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub row: Option<u64>,
}

impl Location {
    pub fn file(path: &Path) -> Self {
        Location { file: path.to_path_buf(), row: None }
    }
    pub fn row(path: &Path, row: u64) -> Self {
        Location { file: path.to_path_buf(), row: Some(row) }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            Some(r) => write!(f, "{}, row {}", self.file.display(), r),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// An input problem that stops the run.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct InputError {
    pub location: Location,
    pub reason: String,
}

impl InputError {
    pub fn new(location: Location, reason: impl Into<String>) -> Self {
        InputError { location, reason: reason.into() }
    }
}
