//! What a run learns about each visit before the join, in bounded memory.
//!
//! Comments, transcripts and checklist answers arrive in file order, not grouped by
//! visit, and a month of exports holds millions of visits. Each visit's tallies are kept
//! in a hash table until the table's estimated size passes its budget; the table is then
//! sorted by visit id and written to a *run* file (JSON Lines, one `[visit_id, tally]`
//! each) in the spill folder, and emptied. The join reads the runs and what is left in
//! memory back in one k-way merge by visit id, adding up the tallies of a visit that
//! appears in several runs: an external sort-aggregate, so the visits of a run cost disk,
//! not memory, past the budget.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::{TextTally, TranscriptTally};
use crate::ingest::checklist::ChecklistAnswer;
use crate::taxonomy::Irritant;

/// One checklist answer, as much of it as the join needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitAnswer {
    pub criterion: Arc<str>,
    pub section: Option<Arc<str>>,
    pub category: Option<Irritant>,
    /// `None` for N/A.
    pub score: Option<f64>,
    pub max_score: f64,
}

impl VisitAnswer {
    /// `score / max_score`, or `None` for N/A.
    pub fn normalised(&self) -> Option<f64> {
        self.score.map(|s| s / self.max_score)
    }
}

/// Everything known about one visit's text and checklist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitTally {
    /// Its comments' sentences, `None` without comments.
    pub comments: Option<TextTally>,
    /// Its transcripts, `None` without any.
    pub transcripts: Option<TranscriptTally>,
    /// Its checklist answers, in file order.
    pub answers: Vec<VisitAnswer>,
}

impl VisitTally {
    /// Adds another tally of the same visit (read later in the inputs).
    pub fn merge(&mut self, other: VisitTally) {
        match (&mut self.comments, other.comments) {
            (Some(a), Some(b)) => a.add(&b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        match (&mut self.transcripts, other.transcripts) {
            (Some(a), Some(b)) => a.add(&b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        self.answers.extend(other.answers);
    }

    /// An estimate of the bytes the tally takes in the table, its key included.
    fn bytes(&self, key: &str) -> usize {
        // A B-tree node holds up to 11 aspects and takes about 200 bytes.
        let aspects = |n: usize| n.div_ceil(11) * 200;
        SLOT_BYTES
            + key.len()
            + self.comments.as_ref().map_or(0, |t| aspects(t.aspects.len()))
            + self.transcripts.as_ref().map_or(0, |t| {
                std::mem::size_of::<TranscriptTally>() + aspects(t.aspects.len()) + aspects(t.sentences.aspects.len())
            })
            + self.answers.capacity() * std::mem::size_of::<VisitAnswer>()
    }
}

/// The table's bytes a visit takes before its contents: the key's box, the tally and the
/// table's slack (hashbrown keeps at most 7 slots in 8 filled, and grows by doubling).
const SLOT_BYTES: usize = (std::mem::size_of::<(Box<str>, VisitTally)>() + 1) * 8 / 5;

/// Per-visit tallies; see the module documentation.
pub struct VisitStore {
    memory: HashMap<Box<str>, VisitTally>,
    /// Estimated bytes of `memory`.
    bytes: usize,
    budget: usize,
    /// Where runs are written; `None` keeps everything in memory.
    dir: Option<PathBuf>,
    runs: Vec<PathBuf>,
    /// Criterion and section names, stored once however many answers name them.
    names: HashSet<Arc<str>>,
}

impl VisitStore {
    /// A store that never spills, for small inputs and tests.
    pub fn in_memory() -> Self {
        VisitStore {
            memory: HashMap::new(),
            bytes: 0,
            budget: usize::MAX,
            dir: None,
            runs: Vec::new(),
            names: HashSet::new(),
        }
    }

    /// A store whose table takes about `budget` bytes at most, spilling runs named
    /// `visits-N.jsonl` into `dir` (created when first needed).
    pub fn spilling(dir: &Path, budget: usize) -> Self {
        VisitStore { dir: Some(dir.to_path_buf()), budget, ..Self::in_memory() }
    }

    /// Adds one comment's tally to its visit.
    pub fn add_comment(&mut self, visit_id: &str, tally: &TextTally) -> Result<()> {
        self.update(visit_id, |v| match &mut v.comments {
            Some(t) => t.add(tally),
            None => v.comments = Some(tally.clone()),
        })
    }

    /// Adds one transcript's tally to its visit.
    pub fn add_transcript(&mut self, visit_id: &str, tally: &TranscriptTally) -> Result<()> {
        self.update(visit_id, |v| match &mut v.transcripts {
            Some(t) => t.add(tally),
            None => v.transcripts = Some(tally.clone()),
        })
    }

    /// Adds one checklist answer to its visit.
    pub fn add_answer(&mut self, a: &ChecklistAnswer) -> Result<()> {
        let answer = VisitAnswer {
            criterion: self.intern(&a.criterion),
            section: a.section.as_deref().map(|s| self.intern(s)),
            category: a.category,
            score: a.score,
            max_score: a.max_score,
        };
        self.update(&a.visit_id, |v| v.answers.push(answer))
    }

    /// Run files written so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.names.get(name) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(name);
        self.names.insert(n.clone());
        n
    }

    fn update(&mut self, visit_id: &str, change: impl FnOnce(&mut VisitTally)) -> Result<()> {
        let (before, after) = match self.memory.get_mut(visit_id) {
            Some(v) => {
                let before = v.bytes(visit_id);
                change(v);
                (before, v.bytes(visit_id))
            }
            None => {
                let mut v = VisitTally::default();
                change(&mut v);
                let after = v.bytes(visit_id);
                self.memory.insert(visit_id.into(), v);
                (0, after)
            }
        };
        self.bytes = (self.bytes + after).saturating_sub(before);
        if self.bytes > self.budget && self.dir.is_some() {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        let dir = self.dir.as_ref().expect("only a spilling store spills");
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the spill folder {}", dir.display()))?;
        let path = dir.join(format!("visits-{}.jsonl", self.runs.len()));
        let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        // The keys are sorted apart (16 bytes each) rather than the entries, so a spill
        // does not hold the table twice.
        let mut memory = std::mem::take(&mut self.memory);
        for key in sorted_keys(&memory) {
            let entry = memory.remove_entry(&*key).expect("a key of the table");
            serde_json::to_writer(&mut out, &entry)?;
            out.write_all(b"\n")?;
        }
        out.flush().with_context(|| format!("cannot write {}", path.display()))?;
        self.runs.push(path);
        self.bytes = 0;
        Ok(())
    }

    /// Every visit with its tally, in visit id order, the runs and the table merged.
    pub fn into_sorted(mut self) -> Result<SortedVisits> {
        let memory = std::mem::take(&mut self.memory);
        let keys = sorted_keys(&memory).into_iter();
        let mut sources: Vec<Source> = vec![Source::Memory { table: memory, keys }];
        for path in std::mem::take(&mut self.runs) {
            let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            sources.push(Source::Run { reader: BufReader::with_capacity(1 << 16, file), path, line: String::new() });
        }
        let mut merged = SortedVisits { heads: BinaryHeap::new(), pending: vec![None; sources.len()], sources };
        for i in 0..merged.sources.len() {
            merged.advance(i)?;
        }
        Ok(merged)
    }
}

/// The table's keys in order, copied: entries are then taken out one by one.
fn sorted_keys(table: &HashMap<Box<str>, VisitTally>) -> Vec<Box<str>> {
    let mut keys: Vec<Box<str>> = table.keys().cloned().collect();
    keys.sort_unstable();
    keys
}

enum Source {
    Memory { table: HashMap<Box<str>, VisitTally>, keys: std::vec::IntoIter<Box<str>> },
    Run { reader: BufReader<File>, path: PathBuf, line: String },
}

impl Source {
    fn next(&mut self) -> Result<Option<(Box<str>, VisitTally)>> {
        match self {
            Source::Memory { table, keys } => {
                Ok(keys.next().map(|k| table.remove_entry(&k).expect("a key of the table")))
            }
            Source::Run { reader, path, line } => {
                line.clear();
                if reader.read_line(line).with_context(|| format!("cannot read {}", path.display()))? == 0 {
                    // Read to the end: the run is no longer needed.
                    let _ = std::fs::remove_file(&*path);
                    return Ok(None);
                }
                let entry = serde_json::from_str(line)
                    .with_context(|| format!("internal error: unreadable spill file {}", path.display()))?;
                Ok(Some(entry))
            }
        }
    }
}

/// The k-way merge of [`VisitStore::into_sorted`].
pub struct SortedVisits {
    /// The next visit id of each source that has one, smallest first.
    heads: BinaryHeap<Reverse<(Box<str>, usize)>>,
    /// The tally of each source's head.
    pending: Vec<Option<VisitTally>>,
    sources: Vec<Source>,
}

impl SortedVisits {
    fn advance(&mut self, i: usize) -> Result<()> {
        if let Some((key, tally)) = self.sources[i].next()? {
            self.pending[i] = Some(tally);
            self.heads.push(Reverse((key, i)));
        }
        Ok(())
    }

    /// The next visit id and its tally, `None` after the last.
    pub fn next_visit(&mut self) -> Result<Option<(Box<str>, VisitTally)>> {
        let Some(Reverse((key, i))) = self.heads.pop() else {
            return Ok(None);
        };
        let mut tally = self.pending[i].take().expect("a head has a tally");
        self.advance(i)?;
        while let Some(Reverse((next, _))) = self.heads.peek() {
            if *next != key {
                break;
            }
            let Some(Reverse((_, j))) = self.heads.pop() else { unreachable!() };
            tally.merge(self.pending[j].take().expect("a head has a tally"));
            self.advance(j)?;
        }
        Ok(Some((key, tally)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::IrritantSet;

    fn comment(categories: &[Irritant]) -> TextTally {
        let mut per_category = [0; 4];
        for c in categories {
            per_category[c.index()] += 1;
        }
        TextTally {
            n_comments: 1,
            n_segments: categories.len().max(1) as u32,
            per_category,
            irritants: categories.iter().copied().collect::<IrritantSet>(),
            ..TextTally::default()
        }
    }

    fn answer(visit: &str, criterion: &str, score: f64) -> ChecklistAnswer {
        ChecklistAnswer {
            visit_id: visit.into(),
            criterion: criterion.into(),
            section: Some("magasin".into()),
            category: Some(Irritant::Physical),
            score: Some(score),
            max_score: 5.0,
            file: PathBuf::from("checklist.csv"),
            row: 1,
        }
    }

    /// Feeds the same inputs to `store` and returns the merged visits.
    fn fill_and_drain(mut store: VisitStore) -> (Vec<(Box<str>, VisitTally)>, usize) {
        for i in 0..3_000u32 {
            let visit = format!("V{:05}", (i * 7919) % 1_000);
            let cats = [Irritant::ALL[(i % 4) as usize]];
            store.add_comment(&visit, &comment(&cats)).unwrap();
            if i % 3 == 0 {
                store.add_answer(&answer(&visit, &format!("c{}", i % 5), f64::from(i % 6))).unwrap();
            }
        }
        let runs = store.spilled_runs();
        let mut sorted = store.into_sorted().unwrap();
        let mut out = Vec::new();
        while let Some(v) = sorted.next_visit().unwrap() {
            out.push(v);
        }
        (out, runs)
    }

    #[test]
    fn spilled_and_in_memory_stores_give_the_same_visits_in_order() {
        let (all, runs) = fill_and_drain(VisitStore::in_memory());
        assert_eq!(runs, 0);
        let dir = tempfile::tempdir().unwrap();
        let (spilled, runs) = fill_and_drain(VisitStore::spilling(dir.path(), 32 << 10));
        assert!(runs >= 5, "{runs} runs");
        assert_eq!(all.len(), 1_000);
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "sorted by visit id");
        // Merging changes the order in which answers were added, not what they are.
        let normalise = |mut v: Vec<(Box<str>, VisitTally)>| {
            for (_, t) in &mut v {
                t.answers.sort_by(|a, b| a.criterion.cmp(&b.criterion).then(a.score.partial_cmp(&b.score).unwrap()));
            }
            v
        };
        assert_eq!(normalise(spilled), normalise(all.clone()));
        let comments: u32 = all.iter().map(|(_, t)| t.comments.as_ref().unwrap().n_comments).sum();
        assert_eq!(comments, 3_000);
        assert_eq!(all.iter().map(|(_, t)| t.answers.len()).sum::<usize>(), 1_000);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "runs are removed once read");
    }

    #[test]
    fn criterion_names_are_stored_once() {
        let mut store = VisitStore::in_memory();
        store.add_answer(&answer("V1", "welcome", 4.0)).unwrap();
        store.add_answer(&answer("V2", "welcome", 2.0)).unwrap();
        let a = &store.memory.get("V1").unwrap().answers[0].criterion;
        let b = &store.memory.get("V2").unwrap().answers[0].criterion;
        assert!(Arc::ptr_eq(a, b));
    }
}
