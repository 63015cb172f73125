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
    // Reading errors are input errors: the file, the row and the reason.
    while let Some(r) = stream.next_record().map_err(|e| e.downcast::<InputError>().expect("an input error"))? {
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
    let e = read_comments(std::slice::from_ref(&p)).expect_err("the text column is missing");
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
    let msg = read_comments(&[named]).expect_err("missing column").to_string();
    assert_printable(&msg);
    assert!(msg.contains(r"bell\u{7}.csv"), "{msg}");
}

// ---------------------------------------------------------------------------------------
// Transcripts: a bad line costs that line only; line endings; times
// ---------------------------------------------------------------------------------------

use irritant::ingest::transcripts::{self, RoleMap, TranscriptFormat, TranscriptRecord};

/// Accepted transcript ids and `(line, reason)` of the rejects of one transcript file.
fn read_transcripts(path: &Path) -> (Vec<String>, Vec<(Option<u64>, String)>) {
    let format = TranscriptFormat::from_path(path).unwrap();
    let records = transcripts::read_file(path, format, &Default::default(), &RoleMap::default(), &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let (mut ok, mut rejected) = (Vec::new(), Vec::new());
    for r in records {
        match r {
            TranscriptRecord::Transcript(t) => ok.push(t.transcript_id),
            TranscriptRecord::Rejected { line, reason, .. } => rejected.push((line, reason)),
        }
    }
    (ok, rejected)
}

#[test]
fn a_nul_byte_in_a_transcript_jsonl_line_rejects_that_line_only() {
    let (ok, rejected) = read_transcripts(&robustness("transcripts_nul_line.jsonl"));
    assert_eq!(ok, ["T1", "T3"]);
    assert_eq!(rejected, [(Some(2), "binary content: the line contains NUL bytes".to_string())]);
}

#[test]
fn a_lone_cr_ends_a_line_in_transcripts() {
    let (ok, rejected) = read_transcripts(&robustness("transcripts_cr.jsonl"));
    assert_eq!((ok, rejected), (vec!["T1".to_string(), "T2".into(), "T3".into()], vec![]));
    let p = robustness("call_cr.txt");
    let records = transcripts::read_file(
        &p,
        TranscriptFormat::Text,
        &Default::default(),
        &RoleMap::default(),
        &Default::default(),
    )
    .unwrap();
    let [TranscriptRecord::Transcript(t)] = records.as_slice() else { panic!("{records:?}") };
    assert_eq!(t.visit_id, "V9");
    assert_eq!(t.turns.len(), 3, "{:?}", t.turns);
}

#[test]
fn a_bom_starts_a_transcript_file_without_harm() {
    let (ok, rejected) = read_transcripts(&robustness("call_bom.srt"));
    assert_eq!((ok.len(), rejected.len()), (1, 0), "{rejected:?}");
}

#[test]
fn absurd_transcript_times_are_rejected_with_a_reason() {
    let (ok, rejected) = read_transcripts(&robustness("transcripts_huge_time.jsonl"));
    assert_eq!(ok, ["T1"]);
    assert_eq!(
        rejected,
        [
            (
                Some(2),
                "turn 2: end 17553255926290448 seconds is over 48 hours, the longest a transcript may run".into()
            ),
            (Some(3), "turn 1: start -2 is not a time (negative)".to_string()),
        ]
    );
    let (ok, rejected) = read_transcripts(&robustness("call_huge_time.vtt"));
    assert!(ok.is_empty());
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        rejected[0].1,
        "line 6: broken timestamp line \"00:00:04.000 --> 999999:00:00.000\": end 999999:00:00.000 is over 48 hours, the longest a transcript may run"
    );
}

// ---------------------------------------------------------------------------------------
// Comments: BOMs, line endings, JSON types, invisible texts
// ---------------------------------------------------------------------------------------

/// Accepted comment ids and (row, reason) of the rejects.
fn comment_outcome(name: &str) -> (Vec<String>, Vec<(Option<u64>, String)>) {
    let records = read_comments(&[robustness(name)]).unwrap_or_else(|e| panic!("{e}"));
    let (mut ok, mut rejected) = (Vec::new(), Vec::new());
    for r in records {
        match r {
            CommentRecord::Comment(c) => ok.push(c.comment_id),
            CommentRecord::Rejected(r) => rejected.push((r.row, r.reason)),
        }
    }
    (ok, rejected)
}

#[test]
fn a_bom_loses_no_record_in_jsonl_or_quoted_csv() {
    assert_eq!(comment_outcome("comments_bom.jsonl"), (vec!["B1".into(), "B2".into()], vec![]));
    assert_eq!(comment_outcome("comments_bom_quoted.csv"), (vec!["Q1".into()], vec![]));
}

#[test]
fn a_lone_cr_ends_a_line_in_comment_jsonl() {
    let (ok, rejected) = comment_outcome("comments_cr.jsonl");
    assert_eq!(ok, ["R1", "R2", "R3"]);
    assert!(rejected.is_empty());
}

#[test]
fn wrong_json_types_are_rejected_naming_the_field_and_the_type() {
    let (ok, rejected) = comment_outcome("comments_wrong_types.jsonl");
    assert_eq!(ok, ["42"], "a number is read as its text");
    assert_eq!(
        rejected,
        [
            (Some(1), "comment_id is a JSON boolean (true), expected a string or a number".to_string()),
            (Some(2), "visit_id is a JSON list, expected a string or a number".into()),
            (Some(3), "text is a JSON object, expected a string or a number".into()),
        ]
    );
}

#[test]
fn a_text_of_invisible_characters_is_empty() {
    let (ok, rejected) = comment_outcome("comments_zero_width.csv");
    assert_eq!(ok, ["Z3"]);
    assert_eq!(rejected, [(Some(1), "empty text".to_string()), (Some(2), "empty text".into())]);
}

#[test]
fn utf16_comment_files_are_decoded() {
    // Excel's "Unicode text" export: UTF-16LE with a BOM, tab-separated.
    let records = read_comments(&[robustness("comments_utf16le.csv"), robustness("comments_utf16be.jsonl")])
        .unwrap_or_else(|e| panic!("{e}"));
    let texts: Vec<(String, String)> = records
        .iter()
        .map(|r| match r {
            CommentRecord::Comment(c) => (c.comment_id.clone(), c.text.clone()),
            CommentRecord::Rejected(r) => panic!("{}", r.reason),
        })
        .collect();
    assert_eq!(
        texts,
        [
            ("U1".to_string(), "Accueil très froid 😞".to_string()),
            ("U2".into(), "Attente à la caisse".into()),
            ("U3".into(), "Vendeur absent".into())
        ]
    );
}
