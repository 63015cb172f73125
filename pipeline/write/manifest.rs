//! `manifest.json`: what a run read, what it wrote, with which model, and proof that every
//! input record is accounted for. The run refuses to commit its outputs unless
//! [`Manifest::check`] passes.

use std::path::Path;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// An input file, identified by content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputFile {
    /// `comments`, `checklist` or `visits`.
    pub input: String,
    pub path: String,
    pub format: String,
    pub bytes: u64,
    pub sha256: String,
    /// Records read: data rows (CSV, Parquet), non-blank lines (JSONL), or for a wide
    /// checklist the answers (rows × criterion columns).
    pub records: u64,
}

/// Records read from one kind of input, and where each went.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Accounting {
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
}

/// Row accounting for the four inputs.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct RunAccounting {
    pub comments: Accounting,
    /// Transcripts: one record per JSONL line, or per file for the other formats.
    pub transcripts: Accounting,
    pub checklist: Accounting,
    pub visits: Accounting,
}

/// Personal data replaced by placeholders, per kind, across every output.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Redaction {
    pub enabled: bool,
    pub email: u64,
    pub phone: u64,
    pub card: u64,
    pub iban: u64,
    pub name: u64,
}

impl Redaction {
    pub fn new(enabled: bool, c: &crate::redact::RedactionCounts) -> Self {
        Redaction {
            enabled,
            email: c.email as u64,
            phone: c.phone as u64,
            card: c.card as u64,
            iban: c.iban as u64,
            name: c.name as u64,
        }
    }
}

/// An output file and its row count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputFile {
    pub file: String,
    pub rows: u64,
}

/// The model a run used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelRef {
    pub id: String,
    pub sha256: String,
}

/// Wall-clock time per stage, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    pub hash_inputs_ms: u64,
    pub read_visits_ms: u64,
    pub read_checklist_ms: u64,
    pub process_comments_ms: u64,
    pub process_transcripts_ms: u64,
    pub join_visits_ms: u64,
    pub total_ms: u64,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub irritant_version: String,
    pub started_at: String,
    pub model: ModelRef,
    pub threads: usize,
    pub inputs: Vec<InputFile>,
    pub accounting: RunAccounting,
    pub outputs: Vec<OutputFile>,
    /// Rows of `segments.parquet` (comment sentences).
    pub segments: u64,
    /// Rows of `turns.parquet` (transcript turn sentences).
    pub turn_sentences: u64,
    /// Comment and turn sentences classified per second of processing.
    pub segments_per_second: f64,
    pub redaction: Redaction,
    pub timings: Timings,
    /// Peak resident memory of the process (Linux `VmHWM`), when known.
    pub peak_rss_bytes: Option<u64>,
}

impl Manifest {
    fn output_rows(&self, file: &str) -> Option<u64> {
        self.outputs.iter().find(|o| o.file == file).map(|o| o.rows)
    }

    /// Checks that every record read is either in an output table or in the rejects.
    pub fn check(&self) -> Result<()> {
        let a = &self.accounting;
        for (name, acc) in
            [("comments", a.comments), ("transcripts", a.transcripts), ("checklist", a.checklist), ("visits", a.visits)]
        {
            if acc.read != acc.accepted + acc.rejected {
                bail!(
                    "row accounting failed for {name}: {} read but {} accepted + {} rejected",
                    acc.read,
                    acc.accepted,
                    acc.rejected
                );
            }
            let from_files: u64 = self.inputs.iter().filter(|i| i.input == name).map(|i| i.records).sum();
            if from_files != acc.read {
                bail!("row accounting failed for {name}: files hold {from_files} records but {} were read", acc.read);
            }
        }
        let expect = [
            ("comments.parquet", a.comments.accepted),
            ("checklist.parquet", a.checklist.accepted),
            (
                "rejects.parquet",
                a.comments.rejected + a.transcripts.rejected + a.checklist.rejected + a.visits.rejected,
            ),
            ("segments.parquet", self.segments),
            ("turns.parquet", self.turn_sentences),
        ];
        for (file, rows) in expect {
            let written = self.output_rows(file).unwrap_or(0);
            if written != rows {
                bail!("row accounting failed: {file} holds {written} rows, expected {rows}");
            }
        }
        Ok(())
    }

    /// Serialises as pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("manifest serialises");
        v.push(b'\n');
        v
    }

    /// Reads a manifest back (used by tests and tools).
    pub fn read(path: &Path) -> Result<Self> {
        Ok(serde_json::from_slice(&std::fs::read(path)?)?)
    }
}

/// Peak resident set size of this process, from `/proc/self/status` (Linux only).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
