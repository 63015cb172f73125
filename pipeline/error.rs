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
            Some(r) => write!(f, "{}, row {}", escape_controls(&self.file.display().to_string()), r),
            None => write!(f, "{}", escape_controls(&self.file.display().to_string())),
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
    /// An error at `location`; control characters of the reason (which often quotes the
    /// input: a header, a value) are escaped, see [`escape_controls`].
    pub fn new(location: Location, reason: impl Into<String>) -> Self {
        InputError { location, reason: escape_controls(&reason.into()) }
    }
}

/// Escapes the control characters of a message that quotes input (`\u{1b}` for ESC,
/// `\0`, `\r`, ...) so that printing it cannot move the cursor, clear the terminal or
/// hide part of the line; every other character, accents included, is kept. Used by
/// [`InputError::new`] and for the reasons of rejected records.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A mistake in what the user asked for (a flag, a setting, a format string), as opposed
/// to a problem with the data: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Exit status of `irritant` for each way a command ends. `--help` and the README list
/// them; scripts and schedulers can tell a bad input from bad data from an interruption.
pub mod exit {
    /// The command did what it was asked.
    pub const SUCCESS: u8 = 0;
    /// Any other failure: an output that cannot be written, a model that cannot load.
    pub const FAILURE: u8 = 1;
    /// The command line or the config file is wrong (unknown flag, `--column` field, …).
    pub const USAGE: u8 = 2;
    /// An input cannot be read as a whole: missing file or column, binary data, …
    pub const INPUT: u8 = 3;
    /// An input's share of rejected records is over `--max-reject-rate`.
    pub const TOO_MANY_REJECTS: u8 = 4;
    /// Not one comment or transcript was accepted.
    pub const NOTHING_ACCEPTED: u8 = 5;
    /// Stopped by SIGINT (Ctrl-C), as shells report it (128 + 2).
    pub const INTERRUPTED: u8 = 130;
    /// Stopped by SIGTERM (128 + 15).
    pub const TERMINATED: u8 = 143;
}

/// Why a run stopped without committing its outputs, beyond unreadable inputs. The
/// output directory is left as the run found it.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A signal asked the run to stop.
    #[error("interrupted by {}: stopped reading; no output was written", signal_name(*signal))]
    Interrupted { signal: i32 },
    /// Too large a share of an input's records was rejected.
    #[error(
        "{rejected} of {read} {input} records rejected ({:.1}%), over --max-reject-rate {:.1}%; no output was written. Most frequent reasons: {reasons}",
        100.0 * *rejected as f64 / *read as f64,
        100.0 * max_rate
    )]
    TooManyRejects { input: String, rejected: u64, read: u64, max_rate: f64, reasons: String },
    /// Every comment and transcript was rejected (or none was found).
    #[error("no comment or transcript was accepted ({read} read); no output was written. {reasons}")]
    NothingAccepted { read: u64, reasons: String },
}

impl RunError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Interrupted { signal } if *signal == 15 => exit::TERMINATED,
            RunError::Interrupted { .. } => exit::INTERRUPTED,
            RunError::TooManyRejects { .. } => exit::TOO_MANY_REJECTS,
            RunError::NothingAccepted { .. } => exit::NOTHING_ACCEPTED,
        }
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}
