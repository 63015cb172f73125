//! `irritant run`: one batch job from input files to committed output tables.
//!
//! Comments are streamed in batches of [`RunConfig::batch_size`]: each batch is read in
//! order, processed in parallel (normalise, redact personal data, detect language,
//! segment, classify) on a rayon pool of [`RunConfig::threads`] threads, and written in
//! input order, so the output content does not depend on the thread count. Transcripts
//! follow the same path turn by turn. Only per-visit tallies, the checklist, the visits
//! file and the set of comment ids seen stay in memory.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

mod checkpoint;
mod memory;
mod plan;
mod summary;

pub use checkpoint::Checkpoints;
pub use memory::{parse_size, MemoryBudget, DEFAULT_MEMORY_LIMIT, MIN_MEMORY_LIMIT};
pub use plan::{plan, Plan};
pub use summary::Summary;

use crate::classify::{self, Classifier, Prediction, SegmentInput};
use crate::digest::sha256_file;
use crate::error::{RunError, UsageError};
use crate::ingest::checklist::{self, ChecklistAnswer, ChecklistRecord, Layout};
use crate::ingest::comments::{Comment, CommentRecord, CommentStream};
use crate::ingest::dates::DateParser;
use crate::ingest::seen::SeenKeys;
use crate::ingest::transcripts::{self, RoleMap, Transcript, TranscriptFormat, TranscriptRecord};
use crate::ingest::visits::{self, Visits};
use crate::ingest::{
    expand_paths, ColumnNames, Format, InputKind, Reject, RAW_CHARS, RAW_MARGIN_CHARS, REJECT_RAW_CHARS,
};
use crate::join::{
    join_visits, LangSource, ProcessedComment, ProcessedTranscript, ProcessedTurn, TextTally, TranscriptTally,
    VisitStore,
};
use crate::normalise::clean_text;
use crate::normalise::language::{Language, LanguageDetector};
use crate::redact::{PiiKind, RedactionCounts, Redactor};
use crate::segment::{segment, SegmentRules, Span};
use crate::write::atomic::{write_file_atomically, CommitMode, Staging};
use crate::write::dataset::{self, PartitionBy, Partitioning, RunStamp, TableSink};
use crate::write::manifest::{
    self, Accounting, InputFile, Manifest, MemoryUse, ModelRef, Redaction, RejectTally, RunAccounting, SkippedFile,
    Timings,
};
use crate::write::{schema, tables};

/// Everything a run needs, built once from the command line and handed down.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Comment files or directories.
    pub comments: Vec<PathBuf>,
    pub comments_format: Option<Format>,
    /// Transcript files or directories (JSONL, speaker-prefixed text, WebVTT, SRT).
    pub transcripts: Vec<PathBuf>,
    /// CSV mapping transcript files to visits (`file,visit_id`).
    pub transcript_map: Option<PathBuf>,
    /// Speaker labels and the role they stand for, beside the built-in table.
    pub roles: RoleMap,
    /// Replace personal data by typed placeholders in every text written.
    pub redact: bool,
    /// The kinds replaced when `redact` is on; the others are written as they are.
    pub redact_kinds: Vec<PiiKind>,
    pub checklist: Option<PathBuf>,
    pub checklist_format: Option<Format>,
    pub checklist_layout: Layout,
    /// Optional criteria file (criterion, section, category, max_score).
    pub criteria: Option<PathBuf>,
    pub visits: Option<PathBuf>,
    pub visits_format: Option<Format>,
    pub columns: ColumnNames,
    /// Date format (chrono strftime syntax) tried before the built-in ones.
    pub date_format: Option<String>,
    pub out: PathBuf,
    /// Model name or directory; `None` for the embedded default.
    pub model: Option<String>,
    /// Worker threads; 0 for one per core. An encoder model shares this budget.
    pub threads: usize,
    /// ONNX Runtime library for encoder models (else `ORT_DYLIB_PATH` or the Python package).
    pub ort_lib: Option<PathBuf>,
    /// Comments per batch.
    pub batch_size: usize,
    /// Comments and transcript turns longer than this (in characters) are rejected.
    pub max_text_chars: usize,
    /// Transcript files larger than this (in bytes, decompressed) are rejected.
    pub max_transcript_bytes: u64,
    /// What the run may hold in memory; duplicate detection spills to disk past its share.
    pub memory: MemoryBudget,
    pub segment_rules: SegmentRules,
    /// Draw a progress bar (only ever on a terminal).
    pub progress: bool,
    /// Split the tables keyed by visit into Hive-style folders.
    pub partition_by: Option<PartitionBy>,
    /// Add this run's part files beside the output directory's instead of replacing them.
    pub append: bool,
    /// The `run_id` of every row; a fresh one (time and random suffix) when `None`.
    pub run_id: Option<String>,
    /// Largest share of an input's records that may be rejected before the run fails.
    pub max_reject_rate: f64,
    /// Set to a signal number (e.g. by a SIGINT handler) to stop the run between batches.
    pub stop: Option<Arc<AtomicUsize>>,
    /// Continue the interrupted run whose checkpoints are beside `out`.
    pub resume: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            comments: Vec::new(),
            comments_format: None,
            transcripts: Vec::new(),
            transcript_map: None,
            roles: RoleMap::default(),
            redact: true,
            redact_kinds: PiiKind::ALL.to_vec(),
            checklist: None,
            checklist_format: None,
            checklist_layout: Layout::Long,
            criteria: None,
            visits: None,
            visits_format: None,
            columns: ColumnNames::default(),
            date_format: None,
            out: PathBuf::from("out"),
            model: None,
            threads: 0,
            ort_lib: None,
            batch_size: 4096,
            max_text_chars: 100_000,
            max_transcript_bytes: transcripts::Limits::default().max_file_bytes,
            memory: MemoryBudget { total: DEFAULT_MEMORY_LIMIT },
            segment_rules: SegmentRules::default(),
            progress: true,
            partition_by: None,
            append: false,
            run_id: None,
            max_reject_rate: DEFAULT_MAX_REJECT_RATE,
            stop: None,
            resume: false,
        }
    }
}

/// Default of `--max-reject-rate`.
pub const DEFAULT_MAX_REJECT_RATE: f64 = 0.5;

/// The run's manifest, at the top of the output directory.
pub const MANIFEST: &str = "_manifest.json";

/// Outputs of the layout before table folders (one file per table), removed when a run
/// replaces the directory's outputs.
const OBSOLETE_OUTPUTS: [&str; 8] = [
    "segments.parquet",
    "turns.parquet",
    "aspects.parquet",
    "comments.parquet",
    "visits.parquet",
    "checklist.parquet",
    "rejects.parquet",
    "manifest.json",
];

fn input_file(input: &str, path: &Path, format: &str, records: u64) -> Result<InputFile> {
    let (sha256, bytes) = sha256_file(path)?;
    Ok(InputFile {
        input: input.into(),
        path: path.display().to_string(),
        format: format.into(),
        bytes,
        sha256,
        records,
    })
}

/// A text to classify: its normalised text, its segments, and its speaker's role.
type Text<'a> = (&'a str, &'a [Span], Option<&'a str>);

/// The shared, read-only parts of the per-text work.
pub struct TextPipeline<'a> {
    pub detector: &'a LanguageDetector,
    pub classifier: &'a dyn Classifier,
    pub rules: &'a SegmentRules,
    /// Redacts the texts written, unless the run keeps personal data.
    pub redactor: Option<&'a Redactor>,
    /// Redacts what the classifier reads, always: a model reads text the way it was
    /// trained and scored ([`crate::normalise::clean_text`] with redaction), so its
    /// decisions do not depend on whether the run writes personal data.
    pub model_redactor: &'a Redactor,
    /// Where each batch's predictions are kept for `--resume`, and read back from.
    pub checkpoints: Option<&'a Checkpoints>,
}

impl TextPipeline<'_> {
    /// Normalises, redacts and segments one comment; [`Self::classify_comments`] fills
    /// in its predictions.
    pub fn comment(&self, comment: Comment) -> (ProcessedComment, RedactionCounts) {
        let (normalised, counts) = clean_text(&comment.text, self.redactor);
        let (lang, lang_source) = match comment.lang.as_deref().and_then(Language::from_code) {
            Some(l) => (l, LangSource::Input),
            None => (self.detector.detect(&normalised.text), LangSource::Detected),
        };
        let spans = segment(&normalised.text, self.rules);
        (
            ProcessedComment {
                comment,
                normalised,
                lang,
                lang_source,
                spans,
                predictions: Vec::new(),
                context_chars: Vec::new(),
            },
            counts,
        )
    }

    /// The same for each turn of a transcript; the language is the input's or detected on
    /// the whole conversation. [`Self::classify_transcripts`] fills in the predictions.
    pub fn transcript(&self, mut transcript: Transcript) -> (ProcessedTranscript, RedactionCounts) {
        let mut counts = RedactionCounts::default();
        // Speaker labels may be the names of the people speaking; roles are already set.
        if let Some(r) = self.redactor {
            for turn in &mut transcript.turns {
                let (speaker, c) = r.redact_speaker(&turn.speaker);
                counts.add(&c);
                turn.speaker = speaker;
            }
        }
        let turns: Vec<ProcessedTurn> = transcript
            .turns
            .iter()
            .map(|turn| {
                let (normalised, c) = clean_text(&turn.text, self.redactor);
                counts.add(&c);
                let spans = segment(&normalised.text, self.rules);
                ProcessedTurn { normalised, spans, predictions: Vec::new(), context_chars: Vec::new() }
            })
            .collect();
        let lang = match transcript.lang.as_deref().and_then(Language::from_code) {
            Some(l) => l,
            None => {
                let all: String = turns.iter().map(|t| t.normalised.text.as_str()).collect::<Vec<_>>().join("\n");
                self.detector.detect(&all)
            }
        };
        (ProcessedTranscript { transcript, lang, turns }, counts)
    }

    /// Classifies every segment of a batch of comments in one call, so the classifier
    /// sees many segments at once (an encoder batches them by length); each sentence
    /// comes with the one before it in its comment.
    pub fn classify_comments(&self, batch: &mut [ProcessedComment]) -> Result<()> {
        let texts = batch.iter().map(|p| (p.normalised.text.as_str(), p.spans.as_slice(), None));
        let units: Vec<Vec<Text>> = texts.map(|t| vec![t]).collect();
        let (predictions, context) = self.classify_units(&units)?;
        for ((p, pr), cx) in batch.iter_mut().zip(predictions).zip(context) {
            p.predictions = pr.into_iter().next().unwrap_or_default();
            p.context_chars = cx.into_iter().next().unwrap_or_default();
        }
        Ok(())
    }

    /// The same for every turn of a batch of transcripts; each sentence comes with the
    /// one before it in the conversation (the end of the previous turn for a turn's
    /// first sentence) and with its speaker's role.
    pub fn classify_transcripts(&self, batch: &mut [ProcessedTranscript]) -> Result<()> {
        let units: Vec<Vec<Text>> = batch
            .iter()
            .map(|p| {
                p.turns
                    .iter()
                    .zip(&p.transcript.turns)
                    .map(|(t, raw)| (t.normalised.text.as_str(), t.spans.as_slice(), Some(raw.role.as_str())))
                    .collect()
            })
            .collect();
        let (predictions, context) = self.classify_units(&units)?;
        for ((p, pr), cx) in batch.iter_mut().zip(predictions).zip(context) {
            for ((turn, tp), tc) in p.turns.iter_mut().zip(pr).zip(cx) {
                turn.predictions = tp;
                turn.context_chars = tc;
            }
        }
        Ok(())
    }

    /// Classifies the segments of many units (a comment: one text; a transcript: its
    /// turns, each a text with its speaker) in one call. Returns, per unit and text, the
    /// predictions of its spans and the characters of context each was read with.
    #[allow(clippy::type_complexity)] // nested lists of the units' texts' segments
    fn classify_units(&self, units: &[Vec<Text>]) -> Result<(Vec<Vec<Vec<Prediction>>>, Vec<Vec<Vec<u32>>>)> {
        let reads_context = self.classifier.reads_context();
        // Texts written unredacted, or of some kinds only, are redacted for the classifier,
        // span by span.
        let redacted: Vec<String> = match self.redactor {
            Some(r) if r.redacts_every_kind() => Vec::new(),
            _ => units
                .iter()
                .flatten()
                .flat_map(|(text, spans, _)| spans.iter().map(move |s| &text[s.byte_start..s.byte_end]))
                .map(|segment| self.model_redactor.redact(segment).0)
                .collect(),
        };
        let mut inputs: Vec<SegmentInput> = Vec::new();
        for unit in units {
            let mut previous: Option<&str> = None;
            for (text, spans, speaker) in unit {
                for s in spans.iter() {
                    let segment = match redacted.get(inputs.len()) {
                        Some(r) => r.as_str(),
                        None => &text[s.byte_start..s.byte_end],
                    };
                    inputs.push(SegmentInput { text: segment, previous, speaker: *speaker });
                    previous = Some(segment);
                }
            }
        }
        let all = match self.checkpoints {
            Some(c) => c.batch(inputs.len(), || self.classifier.classify(&inputs))?,
            None => self.classifier.classify(&inputs)?,
        };
        // A model that drops or adds predictions would shift every row after it.
        if all.len() != inputs.len() {
            bail!(
                "internal error: model {} returned {} predictions for {} segments",
                self.classifier.id(),
                all.len(),
                inputs.len()
            );
        }
        let mut it = all.into_iter();
        let mut cx = inputs.iter().map(|s| match s.previous {
            Some(p) if reads_context => p.chars().count() as u32,
            _ => 0,
        });
        let mut predictions = Vec::with_capacity(units.len());
        let mut context = Vec::with_capacity(units.len());
        for unit in units {
            predictions.push(unit.iter().map(|(_, spans, _)| it.by_ref().take(spans.len()).collect()).collect());
            context.push(unit.iter().map(|(_, spans, _)| cx.by_ref().take(spans.len()).collect()).collect());
        }
        Ok((predictions, context))
    }
}

fn progress_bar(enabled: bool) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {human_pos} comments ({rate}) {msg}")
            .expect("valid template")
            .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            }),
    );
    pb
}

/// Rejects on their way to the `rejects` table, their raw content redacted like any
/// text, their reasons tallied per input.
struct RejectSink<'a> {
    sink: TableSink,
    stamp: &'a RunStamp,
    redactor: Option<&'a Redactor>,
    redactions: RedactionCounts,
    tally: RejectTally,
}

impl RejectSink<'_> {
    fn write(&mut self, rejects: Vec<Reject>) -> Result<()> {
        if rejects.is_empty() {
            return Ok(());
        }
        let rejects: Vec<Reject> = rejects
            .into_iter()
            .map(|mut r| {
                // Reasons may quote the input.
                if let Some(red) = self.redactor {
                    let (reason, c) = red.redact(&r.reason);
                    self.redactions.add(&c);
                    r.reason = reason;
                }
                self.tally.add(r.input.as_str(), &r.reason);
                let (raw, c) = written_raw(&r.raw, self.redactor);
                self.redactions.add(&c);
                r.raw = raw;
                r
            })
            .collect();
        self.sink.write(&tables::rejects(&rejects, self.stamp)?)
    }
}

/// The raw content of a reject as the rejects table writes it: redacted, then cut to
/// [`REJECT_RAW_CHARS`] characters with a `…` mark. Readers keep [`RAW_CHARS`] characters,
/// so the redaction sees whole values around the written cut; of a record a reader cut,
/// the last [`RAW_MARGIN_CHARS`] characters are never written, as a value split by that
/// cut may escape redaction.
fn written_raw(raw: &str, redactor: Option<&Redactor>) -> (String, RedactionCounts) {
    let cut_by_reader = raw.chars().count() > RAW_CHARS;
    let body = if cut_by_reader { raw.strip_suffix('…').unwrap_or(raw) } else { raw };
    let (text, counts) = match redactor {
        Some(r) => r.redact(body),
        None => (body.to_owned(), RedactionCounts::default()),
    };
    let chars = text.chars().count();
    let limit =
        if cut_by_reader { REJECT_RAW_CHARS.min(chars.saturating_sub(RAW_MARGIN_CHARS)) } else { REJECT_RAW_CHARS };
    match text.char_indices().nth(limit) {
        Some((i, _)) => (format!("{}…", &text[..i]), counts),
        None => (text, counts),
    }
}

/// Prepares a batch of comments or transcripts on `pool` with `prepare` (one item → its
/// processed form and the personal data redacted from it), in input order, adding the
/// redactions to `redactions`.
fn prepare_batch<I: Send, P: Send>(
    pool: &rayon::ThreadPool,
    batch: Vec<I>,
    prepare: impl Fn(I) -> (P, RedactionCounts) + Sync + Send,
    redactions: &mut RedactionCounts,
) -> Vec<P> {
    let prepared: Vec<(P, RedactionCounts)> = pool.install(|| batch.into_par_iter().map(prepare).collect());
    prepared
        .into_iter()
        .map(|(p, c)| {
            redactions.add(&c);
            p
        })
        .collect()
}

/// The stop request, if any: the signal number a handler stored in `cfg.stop`.
fn check_stop(cfg: &RunConfig) -> Result<()> {
    match cfg.stop.as_ref().map(|s| s.load(Ordering::SeqCst)) {
        Some(signal) if signal != 0 => Err(RunError::Interrupted { signal: signal as i32 }.into()),
        _ => Ok(()),
    }
}

/// The month (`YYYY-MM`) of a visit, from the visits file's `visit_date`.
fn visit_month(meta: &visits::VisitMeta) -> Option<String> {
    let days = meta.visit_date?;
    let date = chrono::DateTime::UNIX_EPOCH.date_naive().checked_add_signed(chrono::TimeDelta::days(days.into()))?;
    Some(date.format("%Y-%m").to_string())
}

/// In append mode, checks that the run writes what the directory's datasets already
/// hold: the same columns and types per table, and the same partitioning.
fn check_append(out: &Path, schemas: &[(&str, arrow::datatypes::SchemaRef)], partitioned: bool) -> Result<()> {
    for (table, schema) in schemas {
        let dir = out.join(table);
        let Some(existing) = dataset::existing_schema(&dir)? else { continue };
        let describe = |s: &arrow::datatypes::Schema| -> Vec<String> {
            s.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect()
        };
        let (old, new) = (describe(&existing), describe(schema));
        if old != new {
            let missing: Vec<_> = old.iter().filter(|c| !new.contains(c)).collect();
            let added: Vec<_> = new.iter().filter(|c| !old.contains(c)).collect();
            bail!(
                "--append: {table} in {} has other columns than this run writes (only there: {missing:?}; only in this run: {added:?}); write this run to another --out, or replace the outputs",
                out.display()
            );
        }
        let table_is_partitioned = partitioned && schema.field_with_name("visit_id").is_ok();
        if dataset::is_partitioned(&dir) != table_is_partitioned {
            bail!(
                "--append: {table} in {} is {}partitioned, this run's is {}; use the same --partition-by",
                out.display(),
                if table_is_partitioned { "not " } else { "" },
                if table_is_partitioned { "" } else { "not " }
            );
        }
    }
    Ok(())
}

/// A pass-through column of the visits file whose name is one of `visits`' own columns
/// (or the partition column, or an earlier pass-through column) is written as
/// `NAME_input`, so none hides another.
fn rename_colliding_columns(extra: &mut [String], partition: Option<PartitionBy>) {
    let own = schema::visits(&[]);
    let mut taken: std::collections::HashSet<String> = own.fields().iter().map(|f| f.name().clone()).collect();
    taken.extend(partition.map(|p| p.column().to_string()));
    for name in extra.iter_mut() {
        while taken.contains(name.as_str()) {
            name.push_str("_input");
        }
        taken.insert(name.clone());
    }
}

/// The most frequent reasons of an input's rejects, for an error message.
fn top_reasons(tally: &RejectTally, input: &str) -> String {
    match tally.summary().get(input) {
        Some(s) => s.reasons_line(),
        None => "none".into(),
    }
}

/// Runs the job; on success the outputs are in `cfg.out` and the manifest is returned.
/// On failure, interruption included, `cfg.out` is left as the run found it.
pub fn run(cfg: &RunConfig) -> Result<Manifest> {
    if cfg.comments.is_empty() && cfg.transcripts.is_empty() {
        bail!("nothing to read: give --comments, --transcripts or both");
    }
    if !(0.0..=1.0).contains(&cfg.max_reject_rate) {
        bail!("--max-reject-rate {}: give a share between 0 and 1", cfg.max_reject_rate);
    }
    let dates = DateParser::new(cfg.date_format.as_deref()).map_err(|e| UsageError(format!("--date-format: {e}")))?;
    let t0 = Instant::now();
    let started = std::time::SystemTime::now();
    let started_at = humantime::format_rfc3339_seconds(started).to_string();
    let resumed_id = if cfg.resume { checkpoint::interrupted_run_id(&cfg.out) } else { None };
    let run_id = match (&cfg.run_id, resumed_id) {
        (Some(id), Some(resumed)) if *id != resumed => {
            return Err(UsageError(format!(
                "--resume continues run {resumed:?}, not --run-id {id:?}; give the same id or none"
            ))
            .into())
        }
        (_, Some(resumed)) => resumed,
        (Some(id), None) => {
            RunStamp::check_run_id(id).map_err(|e| UsageError(e.to_string()))?;
            id.clone()
        }
        (None, None) => RunStamp::new_run_id(started),
    };
    let mut timings = Timings::default();
    let threads =
        if cfg.threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { cfg.threads };

    let comment_paths = expand_paths(&cfg.comments, |p| Format::from_path(p).is_some())?;
    let comment_files: Vec<(PathBuf, Format)> = comment_paths
        .files
        .into_iter()
        .map(|p| Format::resolve(&p, cfg.comments_format).map(|f| (p, f)))
        .collect::<Result<_, _>>()?;
    let transcript_paths = expand_paths(&cfg.transcripts, |p| TranscriptFormat::from_path(p).is_some())?;
    let transcript_files: Vec<(PathBuf, TranscriptFormat)> = transcript_paths
        .files
        .into_iter()
        .map(|p| TranscriptFormat::resolve(&p).map(|f| (p, f)))
        .collect::<Result<_, _>>()?;
    let skipped_files: Vec<SkippedFile> =
        [("comments", comment_paths.skipped), ("transcripts", transcript_paths.skipped)]
            .into_iter()
            .flat_map(|(input, skipped)| {
                skipped.into_iter().map(move |s| SkippedFile {
                    input: input.into(),
                    path: s.path.display().to_string(),
                    reason: s.reason,
                })
            })
            .collect();
    for s in &skipped_files {
        eprintln!("irritant: skipped {} ({}): {}", s.path, s.input, s.reason);
    }

    let classifier =
        classify::load(cfg.model.as_deref(), &classify::LoadOptions { ort_lib: cfg.ort_lib.clone(), threads })?;
    let stamp = RunStamp { run_id: run_id.clone(), model_id: classifier.id().to_string() };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("cannot start worker threads")?;
    let model_redactor = Redactor::new();
    let written_redactor = model_redactor.only(&cfg.redact_kinds);
    let redactor = cfg.redact.then_some(&written_redactor);
    let detector = LanguageDetector::default();
    let mut redactions = RedactionCounts::default();

    // Visits and checklist are small next to the comments: read them whole, first, so
    // the visits' months are known before any row is written.
    let t = Instant::now();
    let mut visits = match &cfg.visits {
        Some(p) => visits::read(p, Format::resolve(p, cfg.visits_format)?, &cfg.columns, &dates)?,
        None => Visits::default(),
    };
    rename_colliding_columns(&mut visits.extra_columns, cfg.partition_by);
    if let Some(r) = redactor {
        for meta in visits.by_id.values_mut() {
            for value in meta.extra.iter_mut().flatten() {
                let (text, c) = r.redact(value);
                redactions.add(&c);
                *value = text;
            }
        }
    }
    timings.read_visits_ms = t.elapsed().as_millis() as u64;
    let partitioning = cfg.partition_by.map(|by| {
        Arc::new(Partitioning {
            by,
            of_visit: visits
                .by_id
                .iter()
                .filter_map(|(id, m)| visit_month(m).map(|month| (id.clone(), month)))
                .collect(),
        })
    });

    let t = Instant::now();
    let criteria = match &cfg.criteria {
        Some(p) => checklist::read_criteria(p, Format::resolve(p, None)?)?,
        None => HashMap::new(),
    };
    if let Some(p) = &cfg.checklist {
        checklist::check_header(p, Format::resolve(p, cfg.checklist_format)?, cfg.checklist_layout, &cfg.columns)?;
    }
    timings.read_checklist_ms = t.elapsed().as_millis() as u64;

    let table_schemas = [
        ("segments", schema::segments()),
        ("turns", schema::turns()),
        ("aspects", schema::aspects()),
        ("comments", schema::comments()),
        ("visits", schema::visits(&visits.extra_columns)),
        ("checklist", schema::checklist()),
        ("rejects", schema::rejects()),
    ];
    // The staging takes the output's lock and puts back what a killed run left aside,
    // before the output is compared with this run's.
    let staging = Staging::new(&cfg.out, &run_id)?;
    if cfg.append {
        if cfg.out.join("_runs").join(format!("{run_id}.json")).exists() {
            return Err(UsageError(format!(
                "--append: {} already holds a run {run_id:?}; give each appended run its own --run-id",
                cfg.out.display()
            ))
            .into());
        }
        check_append(&cfg.out, &table_schemas, partitioning.is_some())?;
    }
    for stale in &staging.removed_stale {
        eprintln!("irritant: cleaned up {}, left by an interrupted run", stale.display());
    }
    let fingerprinted: Vec<&Path> = comment_files
        .iter()
        .map(|(p, _)| p.as_path())
        .chain(transcript_files.iter().map(|(p, _)| p.as_path()))
        .chain(cfg.transcript_map.as_deref())
        .collect();
    let fingerprint = checkpoint::fingerprint(cfg, classifier.sha256(), &fingerprinted)?;
    let (checkpoints, removed_checkpoints) = Checkpoints::open(&cfg.out, &run_id, &fingerprint, cfg.resume)?;
    if removed_checkpoints {
        eprintln!(
            "irritant: removed the checkpoints of an interrupted run from {} (--resume continues such a run)",
            checkpoint::folder(&cfg.out)?.display()
        );
    }
    let texts = TextPipeline {
        detector: &detector,
        classifier: classifier.as_ref(),
        rules: &cfg.segment_rules,
        redactor,
        model_redactor: &model_redactor,
        checkpoints: Some(&checkpoints),
    };
    let sink = |name: &'static str| -> Result<TableSink> {
        let schema = table_schemas.iter().find(|(n, _)| *n == name).expect("a run table").1.clone();
        TableSink::create(staging.dir(), name, schema, &stamp, partitioning.clone())
    };
    let mut rejects = RejectSink {
        sink: sink("rejects")?,
        stamp: &stamp,
        redactor,
        redactions: RedactionCounts::default(),
        tally: RejectTally::default(),
    };
    rejects.write(std::mem::take(&mut visits.rejects))?;

    // Comments, streamed.
    let t = Instant::now();
    let source_names: Vec<String> = comment_files.iter().map(|(p, _)| p.display().to_string()).collect();
    let mut stream = CommentStream::new(comment_files.clone(), &cfg.columns, cfg.max_text_chars, dates)
        .with_seen(SeenKeys::spilling(&staging.path(SPILL_DIR), "comment-ids", cfg.memory.comment_ids()));
    let (segments_sink, comments_sink, aspects_sink) = (sink("segments")?, sink("comments")?, sink("aspects")?);
    let mut comment_acc = Accounting::default();
    let pb = progress_bar(cfg.progress);
    let batch_size = cfg.batch_size.max(1);
    let batch_text_bytes = cfg.memory.batch_text_bytes();
    // Tables are built and written on their own thread while the next batch is read and
    // classified: writing is sequential, and would otherwise leave the workers idle.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ProcessedComment>>(1);
    let stamp_ref = &stamp;
    let store = VisitStore::spilling(&staging.path(SPILL_DIR), cfg.memory.visits());
    let write_comments = |rx: std::sync::mpsc::Receiver<Vec<ProcessedComment>>| -> Result<_> {
        let (mut segments_sink, mut comments_sink, mut aspects_sink) = (segments_sink, comments_sink, aspects_sink);
        let mut store = store;
        let mut spans = 0u64;
        for processed in rx {
            spans += processed.iter().map(|p| p.spans.len() as u64).sum::<u64>();
            segments_sink.write(&tables::segments(&processed, stamp_ref)?)?;
            aspects_sink.write(&tables::comment_aspects(&processed, stamp_ref)?)?;
            comments_sink.write(&tables::comments(&processed, &source_names, stamp_ref)?)?;
            for p in &processed {
                store.add_comment(&p.comment.visit_id, &TextTally::of_comment(&p.predictions))?;
            }
        }
        Ok((segments_sink, comments_sink, aspects_sink, store, spans))
    };
    let (segments_sink, comments_sink, mut aspects_sink, mut store, comment_spans) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || write_comments(rx));
        let read = (|| -> Result<()> {
            loop {
                check_stop(cfg)?;
                let mut batch = Vec::with_capacity(batch_size);
                let mut batch_rejects = Vec::new();
                let mut text_bytes = 0;
                while batch.len() < batch_size && text_bytes < batch_text_bytes {
                    match stream.next_record()? {
                        None => break,
                        Some(CommentRecord::Comment(c)) => {
                            text_bytes += c.text.len();
                            batch.push(c)
                        }
                        Some(CommentRecord::Rejected(r)) => batch_rejects.push(r),
                    }
                }
                let n_rejected = batch_rejects.len() as u64;
                comment_acc.rejected += n_rejected;
                rejects.write(batch_rejects)?;
                if batch.is_empty() {
                    if n_rejected == 0 {
                        return Ok(());
                    }
                    continue;
                }
                let mut processed = prepare_batch(&pool, batch, |c| texts.comment(c), &mut redactions);
                pool.install(|| texts.classify_comments(&mut processed))?;
                comment_acc.accepted += processed.len() as u64;
                let n = processed.len() as u64;
                if tx.send(processed).is_err() {
                    // The writer stopped on an error, which its result reports.
                    return Ok(());
                }
                pb.inc(n + n_rejected);
            }
        })();
        drop(tx);
        let written = writer.join().map_err(|_| anyhow::anyhow!("internal error: the comment writer panicked"))?;
        read?;
        written
    })?;
    let segments_table = segments_sink.finish(staging.dir())?;
    // Counted apart from the table: the segmenter's spans against the rows written.
    if segments_table.rows != comment_spans {
        bail!("row accounting failed: {comment_spans} comment sentences but {} segments rows", segments_table.rows);
    }
    let comments_table = comments_sink.finish(staging.dir())?;
    timings.process_comments_ms = t.elapsed().as_millis() as u64;
    let comment_records = std::mem::take(&mut stream.records_per_file);
    comment_acc.read = comment_records.iter().sum();
    let spilled_comment_id_runs = stream.spilled_id_runs() as u64;
    // The spilled ids are no longer needed.
    drop(stream);

    // Transcripts, file by file, processed in batches of transcripts.
    let t = Instant::now();
    let visit_map = match &cfg.transcript_map {
        Some(p) => transcripts::read_visit_map(p)?,
        None => HashMap::new(),
    };
    let mut turns_sink = sink("turns")?;
    let limits = transcripts::Limits { max_file_bytes: cfg.max_transcript_bytes, max_turn_chars: cfg.max_text_chars };
    let mut transcript_acc = Accounting::default();
    let mut transcript_records = Vec::with_capacity(transcript_files.len());
    let mut pending: Vec<Transcript> = Vec::new();
    let mut flush =
        |pending: &mut Vec<Transcript>, redactions: &mut RedactionCounts, store: &mut VisitStore| -> Result<u64> {
            let batch = std::mem::take(pending);
            let mut processed = prepare_batch(&pool, batch, |t| texts.transcript(t), redactions);
            pool.install(|| texts.classify_transcripts(&mut processed))?;
            for p in &processed {
                store.add_transcript(&p.transcript.visit_id, &TranscriptTally::of_transcript(p))?;
            }
            turns_sink.write(&tables::turns(&processed, &stamp)?)?;
            aspects_sink.write(&tables::transcript_aspects(&processed, &stamp)?)?;
            Ok(processed.len() as u64)
        };
    for (path, format) in &transcript_files {
        check_stop(cfg)?;
        let records = transcripts::read_file(path, *format, &visit_map, &cfg.roles, &limits)?;
        transcript_records.push(records.len() as u64);
        let mut file_rejects = Vec::new();
        for r in records {
            match r {
                TranscriptRecord::Transcript(t) => pending.push(t),
                TranscriptRecord::Rejected { file, line, raw, reason } => file_rejects.push(Reject {
                    input: InputKind::Transcripts,
                    file,
                    row: line,
                    column: None,
                    raw,
                    reason,
                }),
            }
        }
        transcript_acc.rejected += file_rejects.len() as u64;
        rejects.write(file_rejects)?;
        if pending.iter().map(|t| t.turns.len()).sum::<usize>() >= batch_size {
            transcript_acc.accepted += flush(&mut pending, &mut redactions, &mut store)?;
        }
    }
    if !pending.is_empty() {
        transcript_acc.accepted += flush(&mut pending, &mut redactions, &mut store)?;
    }
    pb.finish_and_clear();
    let turns_table = turns_sink.finish(staging.dir())?;
    let aspects_table = aspects_sink.finish(staging.dir())?;
    transcript_acc.read = transcript_records.iter().sum();
    timings.process_transcripts_ms = t.elapsed().as_millis() as u64;
    check_stop(cfg)?;

    // The checklist, read last (its header was checked first): each answer goes to its
    // visit's tally and to the table, written in chunks.
    let t = Instant::now();
    let mut checklist_sink = sink("checklist")?;
    let checklist = match &cfg.checklist {
        Some(p) => {
            let (mut chunk, mut rejected): (Vec<ChecklistAnswer>, Vec<Reject>) = (Vec::new(), Vec::new());
            let seen = SeenKeys::spilling(&staging.path(SPILL_DIR), "checklist-keys", cfg.memory.checklist_keys());
            let read = checklist::read(
                p,
                Format::resolve(p, cfg.checklist_format)?,
                cfg.checklist_layout,
                &cfg.columns,
                &criteria,
                seen,
                |record| {
                    match record {
                        ChecklistRecord::Answer(a) => {
                            store.add_answer(&a)?;
                            chunk.push(a);
                            if chunk.len() >= ROW_CHUNK {
                                checklist_sink.write(&tables::checklist(&chunk, &stamp)?)?;
                                chunk.clear();
                            }
                        }
                        ChecklistRecord::Rejected(r) => {
                            rejected.push(r);
                            if rejected.len() >= batch_size {
                                rejects.write(std::mem::take(&mut rejected))?;
                            }
                        }
                    }
                    check_stop(cfg)
                },
            )?;
            checklist_sink.write(&tables::checklist(&chunk, &stamp)?)?;
            rejects.write(rejected)?;
            read
        }
        None => checklist::Checklist::default(),
    };
    let checklist_table = checklist_sink.finish(staging.dir())?;
    timings.read_checklist_ms += t.elapsed().as_millis() as u64;

    // Visits: the union of every source, met with the checklist.
    let t = Instant::now();
    let mut visits_sink = sink("visits")?;
    let spilled_visit_runs = store.spilled_runs() as u64;
    // Every sentence is in one visit row: the rows give the sentences per category.
    let mut per_category = [0u64; 4];
    join_visits(&visits, store, VISIT_CHUNK, |rows| {
        for row in &rows {
            for (total, n) in per_category.iter_mut().zip(row.text.per_category) {
                *total += u64::from(n);
            }
        }
        visits_sink.write(&tables::visits(&rows, &visits.extra_columns, &stamp)?)
    })?;
    let visits_table = visits_sink.finish(staging.dir())?;
    // The spill files are not part of the output: gone before the commit.
    remove_spill(&staging)?;
    redactions.add(&rejects.redactions);
    let reject_tally = rejects.tally.clone();
    let rejects_table = rejects.sink.finish(staging.dir())?;
    timings.join_visits_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    let mut inputs = Vec::new();
    for (i, (p, f)) in comment_files.iter().enumerate() {
        inputs.push(input_file("comments", p, f.as_str(), comment_records[i])?);
    }
    for (i, (p, f)) in transcript_files.iter().enumerate() {
        inputs.push(input_file("transcripts", p, f.as_str(), transcript_records[i])?);
    }
    if let Some(p) = &cfg.checklist {
        inputs.push(input_file("checklist", p, Format::resolve(p, cfg.checklist_format)?.as_str(), checklist.records)?);
    }
    if let Some(p) = &cfg.visits {
        inputs.push(input_file("visits", p, Format::resolve(p, cfg.visits_format)?.as_str(), visits.records)?);
    }
    timings.hash_inputs_ms = t.elapsed().as_millis() as u64;

    let segments = segments_table.rows;
    let turn_rows = turns_table.rows;
    let classified = segments + turn_rows;
    let classify_ms = timings.process_comments_ms + timings.process_transcripts_ms;
    let accounting = RunAccounting {
        comments: comment_acc,
        transcripts: transcript_acc,
        checklist: Accounting { read: checklist.records, accepted: checklist.accepted, rejected: checklist.rejected },
        visits: Accounting {
            read: visits.records,
            accepted: visits.by_id.len() as u64,
            rejected: visits.records - visits.by_id.len() as u64,
        },
    };

    // Data that is mostly rejected is a wrong file or a wrong mapping, not a result.
    let text_read = accounting.comments.read + accounting.transcripts.read;
    if accounting.comments.accepted + accounting.transcripts.accepted == 0 {
        let reasons = ["comments", "transcripts"]
            .iter()
            .map(|i| format!("{i}: {}", top_reasons(&reject_tally, i)))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(RunError::NothingAccepted { read: text_read, reasons: format!("Rejects — {reasons}") }.into());
    }
    for (input, acc) in [
        ("comments", accounting.comments),
        ("transcripts", accounting.transcripts),
        ("checklist", accounting.checklist),
        ("visits", accounting.visits),
    ] {
        if acc.read > 0 && acc.rejected as f64 > cfg.max_reject_rate * acc.read as f64 {
            return Err(RunError::TooManyRejects {
                input: input.into(),
                rejected: acc.rejected,
                read: acc.read,
                max_rate: cfg.max_reject_rate,
                reasons: top_reasons(&reject_tally, input),
            }
            .into());
        }
    }

    timings.total_ms = t0.elapsed().as_millis() as u64;
    let mut manifest = Manifest {
        irritant_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: run_id.clone(),
        started_at,
        model: ModelRef { id: classifier.id().to_string(), sha256: classifier.sha256().to_string() },
        threads,
        mode: if cfg.append { "append" } else { "replace" }.into(),
        partition_by: cfg.partition_by.map(|p| p.column().to_string()),
        inputs,
        skipped_files,
        accounting,
        rejects: reject_tally.summary(),
        outputs: vec![
            segments_table,
            turns_table,
            aspects_table,
            comments_table,
            visits_table,
            checklist_table,
            rejects_table,
        ],
        segments,
        turn_sentences: turn_rows,
        sentences_per_category: crate::taxonomy::Irritant::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), per_category[c.index()]))
            .collect(),
        segments_per_second: classified as f64 / (classify_ms.max(1) as f64 / 1000.0),
        redaction: Redaction::new(redactor.map_or(&[], Redactor::kinds), &redactions),
        timings,
        peak_rss_bytes: manifest::peak_rss_bytes(),
        memory: MemoryUse {
            limit_bytes: cfg.memory.total,
            spilled_comment_id_runs,
            spilled_checklist_key_runs: checklist.spilled_key_runs as u64,
            spilled_visit_runs,
        },
        resumed_batches: checkpoints.reused(),
    };
    manifest.check()?;
    let t = Instant::now();
    std::fs::create_dir(staging.path("_runs")).context("cannot create the staging _runs folder")?;
    write_file_atomically(&staging.path(&format!("_runs/{run_id}.json")), &manifest.to_json())?;
    manifest.timings.write_ms = t.elapsed().as_millis() as u64;
    write_file_atomically(&staging.path(MANIFEST), &manifest.to_json())?;
    check_stop(cfg)?;
    let mut names: Vec<&str> = schema::RUN_TABLES.to_vec();
    names.extend(["_runs", MANIFEST]);
    let (mode, obsolete): (CommitMode, &[&str]) =
        if cfg.append { (CommitMode::Append, &[]) } else { (CommitMode::Replace, &OBSOLETE_OUTPUTS) };
    staging.commit(&names, obsolete, mode)?;
    if let Err(e) = checkpoints.remove() {
        eprintln!("irritant: warning: the run is committed, but its checkpoints are left: {e:#}");
    }
    Ok(manifest)
}

/// The staging folder's subfolder for the spill files of duplicate detection and of
/// the visit tallies.
const SPILL_DIR: &str = "_spill";

/// Rows of the checklist table built and written at a time.
const ROW_CHUNK: usize = 65_536;
/// Rows of the visits table built and written at a time: a visit row holds its tallies.
const VISIT_CHUNK: usize = 8_192;

fn remove_spill(staging: &Staging) -> Result<()> {
    let dir = staging.path(SPILL_DIR);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", dir.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::linear::LinearModel;
    use crate::ingest::truncate_raw;

    /// The default model, but one prediction short: a backend bug that would shift rows.
    struct DropsOne(LinearModel);

    impl Classifier for DropsOne {
        fn id(&self) -> &str {
            "drops-one"
        }
        fn sha256(&self) -> &str {
            self.0.sha256()
        }
        fn classify(&self, inputs: &[SegmentInput<'_>]) -> Result<Vec<Prediction>> {
            let mut p = self.0.classify(inputs)?;
            p.pop();
            Ok(p)
        }
    }

    fn comment(id: &str, text: &str) -> Comment {
        Comment {
            comment_id: id.into(),
            visit_id: "V1".into(),
            text: text.into(),
            lang: None,
            channel: None,
            criterion: None,
            created_at: None,
            file_index: 0,
            row: 1,
            invalid_utf8: false,
        }
    }

    #[test]
    fn a_model_that_loses_a_prediction_stops_the_run() {
        let model = LinearModel::embedded_default().unwrap();
        let redactor = Redactor::new();
        let detector = LanguageDetector::default();
        let rules = SegmentRules::default();
        let texts = |classifier: &dyn Classifier, batch: Vec<Comment>| {
            let pipeline = TextPipeline {
                detector: &detector,
                classifier,
                rules: &rules,
                redactor: Some(&redactor),
                model_redactor: &redactor,
                checkpoints: None,
            };
            let mut processed: Vec<ProcessedComment> = batch.into_iter().map(|c| pipeline.comment(c).0).collect();
            pipeline.classify_comments(&mut processed).map(|_| processed)
        };
        let batch = || vec![comment("c1", "La caisse était fermée. L'appli plante."), comment("c2", "Rien à dire.")];
        let ok = texts(&model, batch()).unwrap();
        assert_eq!(ok.iter().map(|p| p.predictions.len()).sum::<usize>(), 3);
        let err = texts(&DropsOne(LinearModel::embedded_default().unwrap()), batch()).unwrap_err();
        assert!(err.to_string().contains("model drops-one returned 2 predictions for 3 segments"), "{err}");
    }

    #[test]
    fn rejects_are_redacted_before_the_cut() {
        let redactor = Redactor::new();
        // A card number across the written cut, then across the reader's cut.
        for before in [REJECT_RAW_CHARS - 8, RAW_CHARS - 8] {
            let record = format!("{} 4970 1012 3456 7893 {}", "x".repeat(before), "y".repeat(300));
            let (raw, counts) = written_raw(&truncate_raw(&record), Some(&redactor));
            assert!(!raw.contains("4970") && !raw.contains("3456"), "{before}: {}", &raw[raw.len() - 40..]);
            assert!(raw.chars().count() <= REJECT_RAW_CHARS + 1 && raw.ends_with('…'));
            assert_eq!(counts.card, u32::from(before < REJECT_RAW_CHARS));
        }
        let (raw, _) = written_raw(&truncate_raw(&"é".repeat(5000)), None);
        assert_eq!(raw.chars().count(), REJECT_RAW_CHARS + 1);
        assert_eq!(written_raw("court, 06 12 34 56 78", Some(&redactor)).0, "court, [PHONE]");
        assert_eq!(written_raw("court", None).0, "court");
    }
}
