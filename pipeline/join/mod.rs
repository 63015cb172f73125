//! Joining: segment predictions rolled up per comment and per visit, and met with the
//! checklist and the visit metadata.
//!
//! Visits come from the union of the three inputs and are all kept: a visit with a
//! checklist but no comment, or comments for a visit absent from the checklist or the
//! visits file, each get a row with flags saying what is missing. A *dissonance* is a
//! criterion whose score disagrees with the visit's text: scored high (normalised
//! ≥ 0.8) while the text reports an irritant of the criterion's category, or scored low
//! (< 0.5) while the text reports none. The visit's text is its comments and its
//! transcripts; dissonances are only looked for in visits that have some, since without
//! text there is nothing to disagree with.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

mod store;

pub use store::{SortedVisits, VisitAnswer, VisitStore, VisitTally};

use crate::classify::features::fold;
use crate::classify::Prediction;
use crate::ingest::comments::Comment;
use crate::ingest::transcripts::{Role, Transcript};
use crate::ingest::visits::{VisitMeta, Visits};
use crate::normalise::language::Language;
use crate::normalise::Normalised;
use crate::segment::Span;
use crate::taxonomy::{AspectLabel, Irritant, IrritantSet, Sentiment};

/// Normalised score at or above which a criterion counts as scored high.
pub const HIGH_SCORE: f64 = 0.8;
/// Normalised score below which a criterion counts as scored low.
pub const LOW_SCORE: f64 = 0.5;

/// Whether the comment's language came from the input or from detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangSource {
    Input,
    Detected,
}

impl LangSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LangSource::Input => "input",
            LangSource::Detected => "detected",
        }
    }
}

/// A comment after normalisation, segmentation and classification.
#[derive(Debug, Clone)]
pub struct ProcessedComment {
    pub comment: Comment,
    pub normalised: Normalised,
    pub lang: Language,
    pub lang_source: LangSource,
    pub spans: Vec<Span>,
    /// One prediction per span, in span order.
    pub predictions: Vec<Prediction>,
    /// Per span, the characters of context the classifier read with it (the previous
    /// span); 0 when it read the span alone.
    pub context_chars: Vec<u32>,
}

/// A transcript after normalisation, segmentation and classification of its turns.
#[derive(Debug, Clone)]
pub struct ProcessedTranscript {
    pub transcript: Transcript,
    pub lang: Language,
    /// One entry per turn of `transcript.turns`, in order.
    pub turns: Vec<ProcessedTurn>,
}

/// One turn, split into sentences and classified.
#[derive(Debug, Clone)]
pub struct ProcessedTurn {
    pub normalised: Normalised,
    pub spans: Vec<Span>,
    /// One prediction per span.
    pub predictions: Vec<Prediction>,
    /// Per span, the characters of context the classifier read with it (the previous
    /// span of the transcript, which may end the previous turn); 0 when none.
    pub context_chars: Vec<u32>,
}

/// Cues, accent-folded, of a caller put on hold or transferred.
const HOLD_TRANSFER_CUES: [&str; 18] = [
    "patienter",
    "mis en attente",
    "mise en attente",
    "mettre en attente",
    "mets en attente",
    "musique d'attente",
    "ne quittez pas",
    "transfere",
    "transferer",
    "je vous passe",
    "on hold",
    "hold music",
    "transfer",
    "put you through",
    "bear with me",
    "hold the line",
    "one moment please",
    "un instant s'il vous plait",
];

/// True when a turn mentions being put on hold or transferred.
pub fn mentions_hold_or_transfer(text: &str) -> bool {
    let folded = fold(text);
    HOLD_TRANSFER_CUES.iter().any(|c| folded.contains(c))
}

/// Remote-channel measures of the transcripts of a visit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptTally {
    pub n_transcripts: u32,
    pub n_turns: u32,
    /// Sum and count of the per-transcript times to the first staff answer.
    answer_ms_sum: u64,
    answer_n: u32,
    /// Sum of the durations of the transcripts that have times.
    pub duration_ms: Option<u64>,
    pub hold_transfer_mentions: u32,
    /// Categories raised in shopper turns.
    pub shopper_irritants: IrritantSet,
    /// Categories raised in any turn.
    pub irritants: IrritantSet,
    /// Aspects found in any turn, each once.
    pub aspects: BTreeSet<AspectLabel>,
    pub shopper_turns: u32,
    pub shopper_negative_turns: u32,
    /// The sentences of every turn, counted as a comment's are (with no comment), so a
    /// visit's tallies count transcripts and comments alike.
    pub sentences: TextTally,
}

impl TranscriptTally {
    /// Measures of one transcript. The time to the first staff answer runs from the first
    /// shopper turn (or from the start of the recording when staff speaks first, as when
    /// answering a call) to the start of the first staff turn after it. A turn is negative
    /// when any of its sentences is.
    pub fn of_transcript(t: &ProcessedTranscript) -> Self {
        let mut tally = TranscriptTally { n_transcripts: 1, ..TranscriptTally::default() };
        let turns = &t.transcript.turns;
        tally.n_turns = turns.len() as u32;
        // The shopper's first turn, when it comes before any staff turn.
        let shopper_first = turns
            .iter()
            .position(|x| x.role == Role::Shopper)
            .filter(|&i| turns[..i].iter().all(|x| x.role != Role::Staff));
        let from = match shopper_first {
            Some(i) => turns[i].start_ms,
            None => Some(0),
        };
        let after = shopper_first.unwrap_or(0);
        let answer = turns[after..].iter().find(|x| x.role == Role::Staff).and_then(|x| x.start_ms);
        if let (Some(from), Some(to)) = (from, answer) {
            tally.answer_ms_sum = to.saturating_sub(from);
            tally.answer_n = 1;
        }
        let start = turns.iter().filter_map(|x| x.start_ms).min();
        let end = turns.iter().filter_map(|x| x.end_ms.or(x.start_ms)).max();
        if let (Some(s), Some(e)) = (start, end) {
            tally.duration_ms = Some(e.saturating_sub(s));
        }
        for (turn, p) in turns.iter().zip(&t.turns) {
            if mentions_hold_or_transfer(&p.normalised.text) {
                tally.hold_transfer_mentions += 1;
            }
            tally.sentences.add(&TextTally::of_sentences(&p.predictions));
            let set: IrritantSet = p.predictions.iter().fold(IrritantSet::default(), |a, x| a.union(x.irritants));
            tally.irritants = tally.irritants.union(set);
            tally.aspects.extend(p.predictions.iter().flat_map(|x| x.aspects.iter().map(|a| a.label)));
            if turn.role == Role::Shopper {
                tally.shopper_turns += 1;
                tally.shopper_irritants = tally.shopper_irritants.union(set);
                if p.predictions.iter().any(|x| x.sentiment == Sentiment::Negative) {
                    tally.shopper_negative_turns += 1;
                }
            }
        }
        tally
    }

    /// Adds another tally into this one.
    pub fn add(&mut self, o: &TranscriptTally) {
        self.n_transcripts += o.n_transcripts;
        self.n_turns += o.n_turns;
        self.answer_ms_sum += o.answer_ms_sum;
        self.answer_n += o.answer_n;
        self.duration_ms = match (self.duration_ms, o.duration_ms) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.hold_transfer_mentions += o.hold_transfer_mentions;
        self.shopper_irritants = self.shopper_irritants.union(o.shopper_irritants);
        self.irritants = self.irritants.union(o.irritants);
        self.aspects.extend(o.aspects.iter().copied());
        self.shopper_turns += o.shopper_turns;
        self.shopper_negative_turns += o.shopper_negative_turns;
        self.sentences.add(&o.sentences);
    }

    /// Mean time to the first staff answer over the transcripts that have times.
    pub fn first_staff_answer_ms(&self) -> Option<u64> {
        (self.answer_n > 0).then(|| self.answer_ms_sum / self.answer_n as u64)
    }

    /// Share of shopper turns with a negative sentence, `None` without shopper turns.
    pub fn shopper_negative_share(&self) -> Option<f64> {
        (self.shopper_turns > 0).then(|| self.shopper_negative_turns as f64 / self.shopper_turns as f64)
    }
}

/// What the segments of some text add up to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextTally {
    pub n_comments: u32,
    pub n_segments: u32,
    /// Segments reporting each category, in [`Irritant::ALL`] order.
    pub per_category: [u32; 4],
    pub n_negative: u32,
    pub sentiment_sum: f64,
    pub irritants: IrritantSet,
    /// Aspects found in any segment, each once.
    pub aspects: BTreeSet<AspectLabel>,
    /// Most negative sentiment seen.
    pub sentiment_min: Option<Sentiment>,
}

impl TextTally {
    /// Tally of one comment's predictions.
    pub fn of_comment(predictions: &[Prediction]) -> Self {
        TextTally { n_comments: 1, ..TextTally::of_sentences(predictions) }
    }

    /// Tally of some sentences' predictions, not counted as a comment.
    pub fn of_sentences(predictions: &[Prediction]) -> Self {
        let mut t = TextTally::default();
        for p in predictions {
            t.n_segments += 1;
            for c in p.irritants.iter() {
                t.per_category[c.index()] += 1;
            }
            t.irritants = t.irritants.union(p.irritants);
            t.aspects.extend(p.aspects.iter().map(|a| a.label));
            if p.sentiment == Sentiment::Negative {
                t.n_negative += 1;
            }
            t.sentiment_sum += p.sentiment.score();
            t.sentiment_min = Some(t.sentiment_min.map_or(p.sentiment, |m| m.min(p.sentiment)));
        }
        t
    }

    /// Adds another tally into this one.
    pub fn add(&mut self, o: &TextTally) {
        self.n_comments += o.n_comments;
        self.n_segments += o.n_segments;
        for i in 0..4 {
            self.per_category[i] += o.per_category[i];
        }
        self.n_negative += o.n_negative;
        self.sentiment_sum += o.sentiment_sum;
        self.irritants = self.irritants.union(o.irritants);
        self.aspects.extend(o.aspects.iter().copied());
        self.sentiment_min = match (self.sentiment_min, o.sentiment_min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Mean sentiment on -1..+1, `None` without segments.
    pub fn sentiment_mean(&self) -> Option<f64> {
        (self.n_segments > 0).then(|| self.sentiment_sum / self.n_segments as f64)
    }

    /// Share of negative segments, `None` without segments.
    pub fn negative_share(&self) -> Option<f64> {
        (self.n_segments > 0).then(|| self.n_negative as f64 / self.n_segments as f64)
    }
}

/// How a criterion's score disagrees with the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DissonanceKind {
    HighScoreTextIrritant,
    LowScoreNoTextIrritant,
}

impl DissonanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DissonanceKind::HighScoreTextIrritant => "high_score_text_irritant",
            DissonanceKind::LowScoreNoTextIrritant => "low_score_no_text_irritant",
        }
    }
}

/// A criterion whose score disagrees with the visit's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Dissonance {
    pub criterion: String,
    pub category: Irritant,
    pub score: f64,
    pub kind: DissonanceKind,
}

/// Checklist score of a visit or a section.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreTally {
    pub sum: f64,
    pub max: f64,
    pub answered: u32,
    pub not_applicable: u32,
}

impl ScoreTally {
    fn add(&mut self, a: &VisitAnswer) {
        match a.score {
            Some(s) => {
                self.sum += s;
                self.max += a.max_score;
                self.answered += 1;
            }
            None => self.not_applicable += 1,
        }
    }

    /// Sum of scores over sum of maxima, `None` when nothing was answered.
    pub fn score(&self) -> Option<f64> {
        (self.answered > 0 && self.max > 0.0).then(|| self.sum / self.max)
    }
}

/// One row of `visits`.
#[derive(Debug, Clone)]
pub struct VisitRow {
    pub visit_id: String,
    pub meta: Option<VisitMeta>,
    pub has_checklist: bool,
    pub checklist: ScoreTally,
    /// Per section, in name order.
    pub sections: Vec<(String, ScoreTally)>,
    /// Every sentence of the visit's text, comments and transcript turns alike.
    pub text: TextTally,
    pub transcripts: TranscriptTally,
    pub dissonances: Vec<Dissonance>,
}

impl VisitRow {
    /// Categories reported anywhere in the visit's text: comments and transcripts.
    pub fn irritants(&self) -> IrritantSet {
        self.text.irritants.union(self.transcripts.irritants)
    }

    /// Aspects found anywhere in the visit's text, each once, in taxonomy order.
    pub fn aspects(&self) -> BTreeSet<AspectLabel> {
        self.text.aspects.union(&self.transcripts.aspects).copied().collect()
    }

    /// The visit has comments or transcripts.
    pub fn has_text(&self) -> bool {
        self.text.n_comments > 0 || self.transcripts.n_transcripts > 0
    }
}

/// Builds the visit rows in visit id order, from the visits file and the store's
/// tallies, and hands them to `write` in chunks of at most `chunk` rows, so that the rows
/// of a month of visits are never all in memory; returns the number of rows.
pub fn join_visits(
    visits: &Visits,
    store: VisitStore,
    chunk: usize,
    mut write: impl FnMut(Vec<VisitRow>) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut listed: Vec<&str> = visits.by_id.keys().map(String::as_str).collect();
    listed.sort_unstable();
    let mut listed = listed.into_iter().peekable();
    let mut tallies = store.into_sorted()?;
    let mut next_tally = tallies.next_visit()?;
    let (mut rows, mut n) = (Vec::with_capacity(chunk.max(1)), 0u64);
    loop {
        // The smaller of the next listed visit and the next visit with a tally.
        let row = match (listed.peek(), &next_tally) {
            (None, None) => break,
            (Some(id), Some((key, _))) if *id < &**key => visit_row(listed.next().expect("peeked"), visits, None),
            (Some(_), None) => visit_row(listed.next().expect("peeked"), visits, None),
            (listed_id, Some((key, _))) => {
                if listed_id.is_some_and(|id| *id == &**key) {
                    listed.next();
                }
                let (key, tally) = next_tally.take().expect("matched above");
                next_tally = tallies.next_visit()?;
                visit_row(&key, visits, Some(tally))
            }
        };
        rows.push(row);
        n += 1;
        if rows.len() >= chunk.max(1) {
            write(std::mem::take(&mut rows))?;
        }
    }
    if !rows.is_empty() {
        write(rows)?;
    }
    Ok(n)
}

fn visit_row(id: &str, visits: &Visits, tally: Option<VisitTally>) -> VisitRow {
    let tally = tally.unwrap_or_default();
    let calls = tally.transcripts.unwrap_or_default();
    // One rule for every tally: a visit's sentences are its comments' and its
    // transcripts' alike.
    let mut text = tally.comments.unwrap_or_default();
    text.add(&calls.sentences);
    let reported = text.irritants.union(calls.irritants);
    let has_text = text.n_comments > 0 || calls.n_transcripts > 0;
    let mut checklist = ScoreTally::default();
    let mut sections: BTreeMap<&str, ScoreTally> = BTreeMap::new();
    let mut dissonances = Vec::new();
    for a in &tally.answers {
        checklist.add(a);
        if let Some(s) = &a.section {
            sections.entry(s).or_default().add(a);
        }
        if !has_text {
            continue;
        }
        if let (Some(cat), Some(score)) = (a.category, a.normalised()) {
            let reported = reported.contains(cat);
            let kind = if score >= HIGH_SCORE && reported {
                Some(DissonanceKind::HighScoreTextIrritant)
            } else if score < LOW_SCORE && !reported {
                Some(DissonanceKind::LowScoreNoTextIrritant)
            } else {
                None
            };
            if let Some(kind) = kind {
                dissonances.push(Dissonance { criterion: a.criterion.to_string(), category: cat, score, kind });
            }
        }
    }
    dissonances.sort_by(|a, b| a.criterion.cmp(&b.criterion));
    VisitRow {
        visit_id: id.to_string(),
        meta: visits.by_id.get(id).cloned(),
        has_checklist: !tally.answers.is_empty(),
        checklist,
        sections: sections.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        text,
        transcripts: calls,
        dissonances,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    use crate::ingest::checklist::ChecklistAnswer;

    fn answer(
        visit: &str,
        criterion: &str,
        section: &str,
        cat: Option<Irritant>,
        score: Option<f64>,
        max: f64,
    ) -> ChecklistAnswer {
        ChecklistAnswer {
            visit_id: visit.into(),
            criterion: criterion.into(),
            section: Some(section.into()),
            category: cat,
            score,
            max_score: max,
            file: PathBuf::from("checklist.csv"),
            row: 1,
        }
    }

    /// The rows of a join, the tallies stored as a run stores them.
    fn join(
        visits: &Visits,
        answers: &[ChecklistAnswer],
        texts: &HashMap<String, TextTally>,
        transcripts: &HashMap<String, TranscriptTally>,
    ) -> Vec<VisitRow> {
        let mut store = VisitStore::in_memory();
        for (id, t) in texts {
            store.add_comment(id, t).unwrap();
        }
        for (id, t) in transcripts {
            store.add_transcript(id, t).unwrap();
        }
        for a in answers {
            store.add_answer(a).unwrap();
        }
        let mut rows = Vec::new();
        let n = join_visits(visits, store, 2, |chunk| {
            assert!(chunk.len() <= 2);
            rows.extend(chunk);
            Ok(())
        })
        .unwrap();
        assert_eq!(n, rows.len() as u64);
        rows
    }

    fn tally(irritants: &[Irritant]) -> TextTally {
        TextTally {
            n_comments: 1,
            n_segments: 2,
            irritants: irritants.iter().copied().collect(),
            ..TextTally::default()
        }
    }

    #[test]
    fn scores_exclude_not_applicable() {
        let answers = vec![
            answer("V1", "welcome", "accueil", Some(Irritant::Physical), Some(4.0), 5.0),
            answer("V1", "signage", "magasin", Some(Irritant::Physical), Some(1.0), 2.0),
            answer("V1", "delivery", "livraison", Some(Irritant::ThirdParty), None, 3.0),
        ];
        let rows = join(&Visits::default(), &answers, &HashMap::new(), &HashMap::new());
        assert_eq!(rows.len(), 1);
        let v = &rows[0];
        assert!((v.checklist.score().unwrap() - 5.0 / 7.0).abs() < 1e-12);
        assert_eq!((v.checklist.answered, v.checklist.not_applicable), (2, 1));
        let names: Vec<_> = v.sections.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(names, ["accueil", "livraison", "magasin"]);
        assert_eq!(v.sections[1].1.score(), None);
        assert!(v.dissonances.is_empty(), "no text, no dissonance");
    }

    #[test]
    fn dissonances_in_both_directions() {
        let answers = vec![
            answer("V1", "checkout_wait", "magasin", Some(Irritant::Physical), Some(5.0), 5.0),
            answer("V1", "app_usability", "digital", Some(Irritant::Digital), Some(1.0), 5.0),
            answer("V1", "delivery", "livraison", Some(Irritant::ThirdParty), Some(3.0), 5.0),
            answer("V1", "free_text", "autre", None, Some(0.0), 5.0),
        ];
        let texts = HashMap::from([("V1".to_string(), tally(&[Irritant::Physical]))]);
        let rows = join(&Visits::default(), &answers, &texts, &HashMap::new());
        let d = &rows[0].dissonances;
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].criterion.as_str(), d[0].kind), ("app_usability", DissonanceKind::LowScoreNoTextIrritant));
        assert_eq!((d[1].criterion.as_str(), d[1].kind), ("checkout_wait", DissonanceKind::HighScoreTextIrritant));
    }

    #[test]
    fn union_of_visit_sources_with_flags() {
        let mut visits = Visits::default();
        visits.by_id.insert("V3".into(), VisitMeta::default());
        let answers = vec![answer("V1", "welcome", "accueil", None, Some(1.0), 1.0)];
        let texts = HashMap::from([("V2".to_string(), tally(&[]))]);
        let rows = join(&visits, &answers, &texts, &HashMap::new());
        let flags: Vec<_> = rows
            .iter()
            .map(|r| (r.visit_id.as_str(), r.meta.is_some(), r.has_checklist, r.text.n_comments > 0))
            .collect();
        assert_eq!(flags, [("V1", false, true, false), ("V2", false, false, true), ("V3", true, false, false)]);
    }

    #[test]
    fn hold_and_transfer_cues_in_both_languages() {
        for t in [
            "Je vous mets en attente, ne quittez pas.",
            "Le client a été mis en attente pendant deux minutes.",
            "Je vous transfère au service technique.",
            "Let me put you on hold for a moment.",
            "I'll transfer you to billing.",
        ] {
            assert!(mentions_hold_or_transfer(t), "{t}");
        }
        for t in ["L'attente en caisse était longue.", "Thanks, that's all I needed.", "Je vous remercie."] {
            assert!(!mentions_hold_or_transfer(t), "{t}");
        }
    }

    #[test]
    fn tallies_add_up() {
        let mut a = TextTally {
            n_comments: 1,
            n_segments: 2,
            n_negative: 1,
            sentiment_sum: -1.0,
            sentiment_min: Some(Sentiment::Negative),
            ..TextTally::default()
        };
        let b = TextTally {
            n_comments: 1,
            n_segments: 2,
            sentiment_sum: 2.0,
            sentiment_min: Some(Sentiment::Positive),
            ..TextTally::default()
        };
        a.add(&b);
        assert_eq!(a.n_segments, 4);
        assert_eq!(a.sentiment_mean(), Some(0.25));
        assert_eq!(a.negative_share(), Some(0.25));
        assert_eq!(a.sentiment_min, Some(Sentiment::Negative));
    }
}
