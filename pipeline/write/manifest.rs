//! `_manifest.json`: what a run read, what it wrote, with which model, and proof that every
//! input record is accounted for. The run refuses to commit its outputs unless
//! [`Manifest::check`] passes. A copy stays in `_runs/RUN_ID.json`, so a directory that
//! several runs appended to keeps each run's manifest.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

pub use super::dataset::WrittenTable;

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
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunAccounting {
    pub comments: Accounting,
    /// Transcripts: one record per JSONL line, or per file for the other formats.
    pub transcripts: Accounting,
    pub checklist: Accounting,
    pub visits: Accounting,
}

/// Personal data replaced by placeholders, per kind, across every output.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Redaction {
    pub enabled: bool,
    /// The kinds replaced (`email`, `phone`, `card`, `iban`, `name`, in that order): every
    /// kind unless `--redact-kinds` named some, none when the run kept personal data. The
    /// kinds not listed were written as they are. Missing from older manifests, whose runs
    /// replaced every kind when `enabled`.
    #[serde(default)]
    pub kinds: Vec<String>,
    pub email: u64,
    pub phone: u64,
    pub card: u64,
    pub iban: u64,
    pub name: u64,
}

impl Redaction {
    /// The redaction of a run that replaced `kinds` (none: it kept personal data), with
    /// its counts.
    pub fn new(kinds: &[crate::redact::PiiKind], c: &crate::redact::RedactionCounts) -> Self {
        Redaction {
            enabled: !kinds.is_empty(),
            kinds: kinds.iter().map(|kind| kind.as_str().to_string()).collect(),
            email: c.email as u64,
            phone: c.phone as u64,
            card: c.card as u64,
            iban: c.iban as u64,
            name: c.name as u64,
        }
    }
}

/// A file of a directory input that was not read, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SkippedFile {
    /// `comments` or `transcripts`.
    pub input: String,
    pub path: String,
    pub reason: String,
}

/// The rejects of one input: how many, and the most frequent reasons (values in the
/// reason replaced by `…` and numbers by `N`, so alike reasons count together).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RejectSummary {
    pub rejected: u64,
    /// Up to five reasons, most frequent first, with their counts.
    pub top_reasons: Vec<(String, u64)>,
}

impl RejectSummary {
    /// The top reasons as one line: `12 × empty text; 3 × missing visit_id`.
    pub fn reasons_line(&self) -> String {
        self.top_reasons.iter().map(|(reason, n)| format!("{n} × {reason}")).collect::<Vec<_>>().join("; ")
    }
}

/// The reason of a reject with its particulars (quoted values, numbers) masked, so that
/// `duplicate comment_id "c1": first seen in a.csv, row 3` and the same for `c2` count as
/// one reason.
pub fn reason_pattern(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut chars = reason.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            for d in chars.by_ref() {
                if d == '"' {
                    break;
                }
            }
            out.push_str("\"…\"");
        } else if c.is_ascii_digit() {
            while chars.peek().is_some_and(|d| d.is_ascii_digit() || *d == ',' || *d == '.') {
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out
}

/// Counts reject reasons per input as they are written.
#[derive(Debug, Clone, Default)]
pub struct RejectTally(BTreeMap<String, BTreeMap<String, u64>>);

impl RejectTally {
    pub fn add(&mut self, input: &str, reason: &str) {
        *self.0.entry(input.to_string()).or_default().entry(reason_pattern(reason)).or_default() += 1;
    }

    /// Per input, the count and the top five reasons.
    pub fn summary(&self) -> BTreeMap<String, RejectSummary> {
        self.0
            .iter()
            .map(|(input, reasons)| {
                let mut top: Vec<(String, u64)> = reasons.iter().map(|(r, n)| (r.clone(), *n)).collect();
                top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                top.truncate(5);
                (input.clone(), RejectSummary { rejected: reasons.values().sum(), top_reasons: top })
            })
            .collect()
    }
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
    pub write_ms: u64,
    pub total_ms: u64,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub irritant_version: String,
    /// The `run_id` column of every row this run wrote.
    pub run_id: String,
    pub started_at: String,
    /// The model; `model.id` is the `model_id` column of every row.
    pub model: ModelRef,
    pub threads: usize,
    /// `replace` (the run's tables replace the directory's) or `append` (added beside).
    pub mode: String,
    /// `visit_month` when the tables keyed by visit are partitioned by it.
    pub partition_by: Option<String>,
    pub inputs: Vec<InputFile>,
    /// Files of directory inputs that were not read.
    pub skipped_files: Vec<SkippedFile>,
    pub accounting: RunAccounting,
    /// Rejects per input with their most frequent reasons (rows in `rejects/`).
    pub rejects: BTreeMap<String, RejectSummary>,
    /// The tables this run wrote, with their rows and part files.
    pub outputs: Vec<WrittenTable>,
    /// Rows of `segments` (comment sentences).
    pub segments: u64,
    /// Rows of `turns` (transcript turn sentences).
    pub turn_sentences: u64,
    /// Sentences (of comments and transcripts) reporting each category.
    pub sentences_per_category: BTreeMap<String, u64>,
    /// Comment and turn sentences classified per second of processing.
    pub segments_per_second: f64,
    pub redaction: Redaction,
    pub timings: Timings,
    /// Peak resident memory of the process (Linux `VmHWM`), when known.
    pub peak_rss_bytes: Option<u64>,
    /// `--memory-limit`, and the files spilled to stay within it.
    #[serde(default)]
    pub memory: MemoryUse,
    /// Batches whose predictions came from the checkpoints of an interrupted run
    /// (`--resume`); 0 for a run that classified everything itself.
    #[serde(default)]
    pub resumed_batches: u64,
}

/// How a run kept within its memory budget.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryUse {
    pub limit_bytes: u64,
    /// Sorted runs written to disk: comment ids, checklist answer keys, visit tallies.
    pub spilled_comment_id_runs: u64,
    pub spilled_checklist_key_runs: u64,
    pub spilled_visit_runs: u64,
}

impl Manifest {
    /// Rows this run wrote to a table.
    pub fn output_rows(&self, table: &str) -> Option<u64> {
        self.outputs.iter().find(|o| o.table == table).map(|o| o.rows)
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
            ("comments", a.comments.accepted),
            ("checklist", a.checklist.accepted),
            ("rejects", a.comments.rejected + a.transcripts.rejected + a.checklist.rejected + a.visits.rejected),
            ("segments", self.segments),
            ("turns", self.turn_sentences),
        ];
        for (table, rows) in expect {
            let written = self.output_rows(table).unwrap_or(0);
            if written != rows {
                bail!("row accounting failed: {table} holds {written} rows, expected {rows}");
            }
        }
        let rejected: u64 = self.rejects.values().map(|r| r.rejected).sum();
        if rejected != expect[2].1 {
            bail!("row accounting failed: {rejected} rejects tallied by reason, {} by input", expect[2].1);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_reasons_count_together() {
        let mut t = RejectTally::default();
        t.add("comments", "duplicate comment_id \"c1\": first seen in a.csv, row 3");
        t.add("comments", "duplicate comment_id \"c2\": first seen in a.csv, row 12");
        t.add("comments", "empty text");
        t.add("visits", "missing visit_id");
        let s = t.summary();
        assert_eq!(s["comments"].rejected, 3);
        assert_eq!(
            s["comments"].top_reasons[0],
            ("duplicate comment_id \"…\": first seen in a.csv, row N".to_string(), 2)
        );
        assert_eq!(s["comments"].top_reasons[1], ("empty text".to_string(), 1));
        assert_eq!(s["visits"].rejected, 1);
    }
}
