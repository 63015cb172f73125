//! A bounded fuzz suite on the stable toolchain: seeded structured mutations of the
//! fixture inputs (byte flips, truncations, inserted NUL, BOM, CR, quotes and very long
//! lines, duplicated or deleted chunks), each read by the library's readers. For every
//! input: no panic; either one clean input error, or every record read is accepted or
//! rejected; no message or reject reason holds a control character; no transcript time
//! is past the 48-hour bound. The seed is fixed, so a failure names a reproducible case.

mod common;

use std::path::{Path, PathBuf};

use irritant::error::InputError;
use irritant::ingest::comments::{CommentRecord, CommentStream};
use irritant::ingest::dates::DateParser;
use irritant::ingest::transcripts::{self, RoleMap, TranscriptFormat, TranscriptRecord, MAX_TIME_MS};
use irritant::ingest::{ColumnNames, Format};
use irritant::rng::SplitMix64;

/// Mutated inputs per seed file.
const CASES_PER_SEED: usize = 400;

const COMMENT_SEEDS: [&str; 3] = ["comments.csv", "comments.jsonl", "comments.parquet"];
const TRANSCRIPT_SEEDS: [&str; 6] = [
    "transcripts/chats.jsonl",
    "transcripts/mixed.jsonl",
    "transcripts/bank_call_fr.txt",
    "transcripts/stt_call_fr.vtt",
    "transcripts/retail_chat_en.vtt",
    "transcripts/telecom_call_fr.srt",
];

/// One to three structured mutations of `seed`.
fn mutate(rng: &mut SplitMix64, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(b.len() + 1);
        match rng.below(11) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = [0x00, 0xFF, 0x80, 0x7F, b'"', b'\r', 0x1B][rng.below(7)];
            }
            2 => b.truncate(at),
            3 => b.insert(at, 0),
            4 => b.splice(at..at, *b"\xEF\xBB\xBF").for_each(drop),
            5 => b.insert(at, b'\r'),
            6 => b.insert(at, b'"'),
            7 => {
                let long = vec![b"xyz\xc3\xa9 "[rng.below(5)]; 1 + rng.below(119_999)];
                b.splice(at..at, long).for_each(drop);
            }
            8 if !b.is_empty() => {
                let from = rng.below(b.len());
                let to = (from + 1 + rng.below(199)).min(b.len());
                let chunk = b[from..to].to_vec();
                b.splice(at..at, chunk).for_each(drop);
            }
            9 if !b.is_empty() => {
                let from = rng.below(b.len());
                let to = (from + 1 + rng.below(199)).min(b.len());
                b.drain(from..to);
            }
            _ => b.splice(at..at, *b"\x00\x00\r\n\x1b[2J").for_each(drop),
        }
    }
    b
}

fn assert_printable(what: &str, msg: &str) {
    assert!(!msg.chars().any(char::is_control), "{what}: control characters in {msg:?}");
}

/// Reads a mutated comment file; returns a description of what went wrong, if anything.
fn check_comments(path: &Path, format: Format) -> Result<(), String> {
    let mut stream =
        CommentStream::new(vec![(path.to_path_buf(), format)], &ColumnNames::default(), 100_000, DateParser::default());
    let (mut accepted, mut rejected) = (0u64, 0u64);
    loop {
        match stream.next_record() {
            Ok(None) => break,
            Ok(Some(CommentRecord::Comment(c))) => {
                if c.text.trim().is_empty() || c.comment_id.is_empty() || c.visit_id.is_empty() {
                    return Err(format!("an empty field was accepted: {c:?}"));
                }
                accepted += 1;
            }
            Ok(Some(CommentRecord::Rejected(r))) => {
                assert_printable("reject reason", &r.reason);
                rejected += 1;
            }
            Err(e) => {
                assert_printable("input error", &e.to_string());
                let Some(e) = e.downcast_ref::<InputError>() else {
                    return Err(format!("not an input error: {e:#}"));
                };
                // Only the parquet crate panics: a panic caught in our own decoders is a bug.
                if format != Format::Parquet && e.reason == "cannot be decoded (a corrupt file?)" {
                    return Err(format!("a decoder panicked on {format:?}: {e}"));
                }
                return Ok(());
            }
        }
    }
    let read = stream.records_per_file[0];
    if read != accepted + rejected {
        return Err(format!("{read} records read, {accepted} accepted + {rejected} rejected"));
    }
    Ok(())
}

fn check_transcripts(path: &Path, format: TranscriptFormat) -> Result<(), String> {
    let records =
        match transcripts::read_file(path, format, &Default::default(), &RoleMap::default(), &Default::default()) {
            Ok(r) => r,
            Err(e) => {
                assert_printable("input error", &e.to_string());
                if e.reason == "cannot be decoded (a corrupt file?)" {
                    return Err(format!("a transcript decoder panicked: {e}"));
                }
                return Ok(());
            }
        };
    if records.is_empty() {
        return Err("a file gave no record at all".into());
    }
    for r in records {
        match r {
            TranscriptRecord::Transcript(t) => {
                if t.turns.is_empty() {
                    return Err(format!("a transcript without turns was accepted: {t:?}"));
                }
                for turn in &t.turns {
                    if turn.start_ms.max(turn.end_ms).is_some_and(|ms| ms > MAX_TIME_MS) {
                        return Err(format!("a time past 48 hours was accepted: {turn:?}"));
                    }
                }
            }
            TranscriptRecord::Rejected { reason, .. } => assert_printable("reject reason", &reason),
        }
    }
    Ok(())
}

#[test]
fn mutated_inputs_never_panic_and_every_record_is_accounted_for() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = SplitMix64(0x1a7a_27a2);
    let mut failures = Vec::new();
    let mut cases = 0;
    let seeds = COMMENT_SEEDS.iter().map(|s| (*s, true)).chain(TRANSCRIPT_SEEDS.iter().map(|s| (*s, false)));
    for (seed, is_comments) in seeds {
        let seed_path = PathBuf::from(common::fixture(seed));
        let bytes = std::fs::read(&seed_path).unwrap();
        let name = seed_path.file_name().unwrap().to_string_lossy().into_owned();
        for case in 0..CASES_PER_SEED {
            let mutated = mutate(&mut rng, &bytes);
            let path = dir.path().join(&name);
            std::fs::write(&path, &mutated).unwrap();
            let outcome = std::panic::catch_unwind(|| {
                if is_comments {
                    check_comments(&path, Format::from_path(&path).unwrap())
                } else {
                    check_transcripts(&path, TranscriptFormat::from_path(&path).unwrap())
                }
            });
            let problem = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(why)) => Some(why),
                Err(panic) => Some(format!(
                    "panicked: {}",
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                )),
            };
            if let Some(why) = problem {
                let keep = dir.path().join(format!("failed-{case}-{name}"));
                std::fs::write(&keep, &mutated).unwrap();
                failures.push(format!("{seed} case {case}: {why}"));
            }
            cases += 1;
        }
    }
    eprintln!("{cases} mutated inputs in {:.1?}", started.elapsed());
    assert!(failures.is_empty(), "{} of {cases} cases failed:\n{}", failures.len(), failures.join("\n"));
}
