//! What `irritant run` tells its user at the end: a few lines on stderr, or the same as
//! JSON on stdout (`--summary json`) for a scheduler to read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::write::manifest::{Accounting, Manifest, RejectSummary, SkippedFile, Timings};

/// The run in figures: counts per input, rejects with their top reasons, sentences per
/// category, timings, and where the outputs are.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_id: String,
    pub out: String,
    pub model: String,
    /// Records read, accepted and rejected per input, in the order of the inputs.
    pub inputs: BTreeMap<String, Accounting>,
    pub rejects: BTreeMap<String, RejectSummary>,
    /// Where the rejected records are, with their file, row and reason.
    pub rejects_table: String,
    pub skipped_files: Vec<SkippedFile>,
    /// Sentences classified (comment segments and transcript turn sentences).
    pub sentences: u64,
    pub sentences_per_category: BTreeMap<String, u64>,
    pub segments_per_second: f64,
    pub timings: Timings,
}

impl Summary {
    pub fn of(m: &Manifest, out: &Path) -> Self {
        let a = &m.accounting;
        let inputs = [
            ("comments", a.comments),
            ("transcripts", a.transcripts),
            ("checklist", a.checklist),
            ("visits", a.visits),
        ]
        .into_iter()
        .filter(|(name, acc)| acc.read > 0 || m.inputs.iter().any(|i| i.input == *name))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Summary {
            run_id: m.run_id.clone(),
            out: out.display().to_string(),
            model: m.model.id.clone(),
            inputs,
            rejects: m.rejects.clone(),
            rejects_table: out.join("rejects").display().to_string(),
            skipped_files: m.skipped_files.clone(),
            sentences: m.segments + m.turn_sentences,
            sentences_per_category: m.sentences_per_category.clone(),
            segments_per_second: m.segments_per_second,
            timings: m.timings.clone(),
        }
    }

    /// The summary as lines for a terminal.
    pub fn render(&self) -> String {
        let mut s = format!(
            "irritant: run {} with {}: {} sentences in {:.1} s ({:.0}/s) → {}\n",
            self.run_id,
            self.model,
            self.sentences,
            self.timings.total_ms as f64 / 1000.0,
            self.segments_per_second,
            self.out
        );
        for (input, acc) in &self.inputs {
            s.push_str(&format!(
                "  {input:<12} {:>9} read {:>9} accepted {:>7} rejected\n",
                acc.read, acc.accepted, acc.rejected
            ));
        }
        if !self.sentences_per_category.is_empty() {
            let cats: Vec<String> = self.sentences_per_category.iter().map(|(k, v)| format!("{k} {v}")).collect();
            s.push_str(&format!("  irritant sentences: {}\n", cats.join(", ")));
        }
        for (input, r) in &self.rejects {
            s.push_str(&format!("  rejected {input}: {}\n", r.reasons_line()));
        }
        if !self.rejects.is_empty() {
            s.push_str(&format!("  every reject, with its file, row and reason: {}\n", self.rejects_table));
        }
        for f in &self.skipped_files {
            s.push_str(&format!("  skipped {} ({}): {}\n", f.path, f.input, f.reason));
        }
        s
    }
}
