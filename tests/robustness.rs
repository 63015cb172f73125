//! Inputs found by fuzzing that once crashed irritant, lost records or garbled its
//! messages, each kept as a fixture under `tests/fixtures/robustness/` or built here.

mod common;

use std::path::{Path, PathBuf};

use irritant::error::InputError;
use irritant::ingest::comments::{CommentRecord, CommentStream};
use irritant::ingest::dates::DateParser;
use irritant::ingest::rows::{Columns, RowReader};
use irritant::ingest::{ColumnNames, Format};

use common::{fixture, irritant};

fn robustness(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/robustness").join(name)
}

/// Every record of comment files, or the error that stopped the stream.
fn read_comments(paths: &[PathBuf]) -> Result<Vec<CommentRecord>, InputError> {
    let files = paths.iter().map(|p| (p.clone(), Format::from_path(p).expect("a known extension"))).collect();
    let mut stream = CommentStream::new(files, &ColumnNames::default(), 100_000, DateParser::default());
    let mut out = Vec::new();
    while let Some(r) = stream.next_record()? {
        out.push(r);
    }
    Ok(out)
}

/// Writes `bytes` as `name` in `dir`.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

// ---------------------------------------------------------------------------------------
// Corrupt Parquet: the parquet crate panics, irritant names the file
// ---------------------------------------------------------------------------------------

/// `comments.parquet` with one footer byte (6,620 from the end) set to 0xFF: a column
/// chunk with a negative offset, on which the parquet crate panics ("column start and
/// length should not be negative"); and with one byte of a data page (10,250 from the
/// end) set to 0x00, on which its byte-array decoder divides by zero.
const CORRUPT_PARQUET: [&str; 2] = ["footer_negative_offset.parquet", "page_divide_by_zero.parquet"];

#[test]
fn corrupt_parquet_files_are_an_input_error_naming_the_file_not_a_panic() {
    for name in CORRUPT_PARQUET {
        let p = robustness(name);
        let e = match read_comments(std::slice::from_ref(&p)) {
            Err(e) => e,
            Ok(records) => panic!("{name}: read {} records", records.len()),
        };
        assert_eq!(e.location.file, p, "{name}");
        assert_eq!(e.reason, "cannot be decoded (a corrupt file?)", "{name}");
        // Reading the file with every column (as the visits input does) is caught too.
        let all = RowReader::open(&p, Format::Parquet, &Columns::All).and_then(|mut r| {
            while r.next_item()?.is_some() {}
            Ok(())
        });
        assert!(all.is_err(), "{name}");
    }
}

#[test]
fn the_command_exits_with_one_line_for_a_corrupt_parquet_file() {
    for name in CORRUPT_PARQUET {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let p = robustness(name).display().to_string();
        let o = irritant(&["run", "--comments", &p, "--out", &out.display().to_string()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{name}: an unreadable input exits 3, not a panic's 101: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: one line, no backtrace: {err}");
        assert!(err.contains(&p) && err.contains("cannot be decoded (a corrupt file?)"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn a_whole_parquet_file_is_still_read() {
    let records = read_comments(&[PathBuf::from(fixture("comments.parquet"))]).unwrap();
    assert!(!records.is_empty());
}

// ---------------------------------------------------------------------------------------
// Messages quoting the input escape its control characters
// ---------------------------------------------------------------------------------------

/// No control character in a message: nothing that moves the cursor or clears the screen.
fn assert_printable(msg: &str) {
    assert!(!msg.chars().any(char::is_control), "control characters in {msg:?}");
}

#[test]
fn messages_quoting_the_input_escape_control_characters() {
    // A header holding the escape sequence that clears a terminal.
    let p = robustness("escape_in_header.csv");
    let e = read_comments(std::slice::from_ref(&p)).err().expect("the text column is missing");
    let msg = e.to_string();
    assert_printable(&msg);
    assert!(msg.contains(r"\u{1b}[2J\u{1b}[Htexte"), "{msg}");
    // Also from the command, on stderr.
    let dir = tempfile::tempdir().unwrap();
    let o = irritant(&[
        "run",
        "--comments",
        &p.display().to_string(),
        "--out",
        &dir.path().join("o").display().to_string(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_printable(err.trim_end());
    // A file name with a control character is escaped where it is named.
    let named = write(dir.path(), "bell\u{7}.csv", b"comment_id,visit_id\n");
    let msg = read_comments(&[named]).err().expect("missing column").to_string();
    assert_printable(&msg);
    assert!(msg.contains(r"bell\u{7}.csv"), "{msg}");
}
