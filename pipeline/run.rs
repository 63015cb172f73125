//! `irritant run`: one batch job from input files to committed output tables.
//!
//! Comments are streamed in batches of [`RunConfig::batch_size`]: each batch is read in
//! order, processed in parallel (normalise, detect language, segment, classify) on a
//! rayon pool of [`RunConfig::threads`] threads, and written in input order, so the
//! output content does not depend on the thread count. Only per-visit tallies, the
//! checklist, the visits file and the set of comment ids seen stay in memory.

use std::collections::HashMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::classify::{self, Classifier};
use crate::ingest::checklist::{self, Layout};
use crate::ingest::comments::{Comment, CommentRecord, CommentStream};
use crate::ingest::visits::{self, Visits};
use crate::ingest::{expand_paths, ColumnNames, Format, Reject};
use crate::join::{join_visits, LangSource, ProcessedComment, TextTally};
use crate::normalise::language::{Language, LanguageDetector};
use crate::normalise::normalise;
use crate::segment::{segment, SegmentRules};
use crate::write::atomic::{write_file_atomically, Staging};
use crate::write::manifest::{self, Accounting, InputFile, Manifest, ModelRef, OutputFile, RunAccounting, Timings};
use crate::write::parquet_table::TableWriter;
use crate::write::{schema, tables};

/// Everything a run needs, built once from the command line and handed down.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Comment files or directories.
    pub comments: Vec<PathBuf>,
    pub comments_format: Option<Format>,
    pub checklist: Option<PathBuf>,
    pub checklist_format: Option<Format>,
    pub checklist_layout: Layout,
    /// Optional criteria file (criterion, section, category, max_score).
    pub criteria: Option<PathBuf>,
    pub visits: Option<PathBuf>,
    pub visits_format: Option<Format>,
    pub columns: ColumnNames,
    pub out: PathBuf,
    /// Model name or directory; `None` for the embedded default.
    pub model: Option<String>,
    /// Worker threads; 0 for one per core.
    pub threads: usize,
    /// Comments per batch.
    pub batch_size: usize,
    /// Comments longer than this (in characters) are rejected.
    pub max_text_chars: usize,
    pub segment_rules: SegmentRules,
    /// Draw a progress bar (only ever on a terminal).
    pub progress: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            comments: Vec::new(),
            comments_format: None,
            checklist: None,
            checklist_format: None,
            checklist_layout: Layout::Long,
            criteria: None,
            visits: None,
            visits_format: None,
            columns: ColumnNames::default(),
            out: PathBuf::from("out"),
            model: None,
            threads: 0,
            batch_size: 4096,
            max_text_chars: 100_000,
            segment_rules: SegmentRules::default(),
            progress: true,
        }
    }
}

/// Output files, in the order they are committed (the manifest last).
pub const OUTPUTS: [&str; 6] =
    ["segments.parquet", "comments.parquet", "visits.parquet", "checklist.parquet", "rejects.parquet", "manifest.json"];

fn sha256_file(path: &Path) -> Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).with_context(|| format!("{}: cannot read", path.display()))?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((format!("{:x}", h.finalize()), n))
}

fn input_file(input: &str, path: &Path, format: Format, records: u64) -> Result<InputFile> {
    let (sha256, bytes) = sha256_file(path)?;
    Ok(InputFile {
        input: input.into(),
        path: path.display().to_string(),
        format: format.as_str().into(),
        bytes,
        sha256,
        records,
    })
}

/// Normalises, segments and classifies one comment.
pub fn process_comment(
    comment: Comment,
    detector: &LanguageDetector,
    classifier: &dyn Classifier,
    rules: &SegmentRules,
) -> ProcessedComment {
    let normalised = normalise(&comment.text);
    let (lang, lang_source) = match comment.lang.as_deref().and_then(Language::from_code) {
        Some(l) => (l, LangSource::Input),
        None => (detector.detect(&normalised.text), LangSource::Detected),
    };
    let spans = segment(&normalised.text, rules);
    let texts: Vec<&str> = spans.iter().map(|s| &normalised.text[s.byte_start..s.byte_end]).collect();
    let predictions = classifier.classify_batch(&texts);
    ProcessedComment { comment, normalised, lang, lang_source, spans, predictions }
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

/// Runs the job; on success the outputs are in `cfg.out` and the manifest is returned.
pub fn run(cfg: &RunConfig) -> Result<Manifest> {
    let t0 = Instant::now();
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut timings = Timings::default();
    let classifier = classify::load(cfg.model.as_deref())?;
    let threads =
        if cfg.threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { cfg.threads };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("cannot start worker threads")?;

    let comment_files: Vec<(PathBuf, Format)> = expand_paths(&cfg.comments)?
        .into_iter()
        .map(|p| Format::resolve(&p, cfg.comments_format).map(|f| (p, f)))
        .collect::<Result<_, _>>()?;

    let staging = Staging::new(&cfg.out)?;
    let mut rejects_writer = TableWriter::create(&staging.path("rejects.parquet"), schema::rejects())?;
    let write_rejects = |w: &mut TableWriter, r: &[Reject]| -> Result<()> {
        if !r.is_empty() {
            w.write(&tables::rejects(r)?)?;
        }
        Ok(())
    };

    // Visits and checklist are small next to the comments: read them whole.
    let t = Instant::now();
    let visits = match &cfg.visits {
        Some(p) => visits::read(p, Format::resolve(p, cfg.visits_format)?, &cfg.columns)?,
        None => Visits::default(),
    };
    write_rejects(&mut rejects_writer, &visits.rejects)?;
    timings.read_visits_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    let criteria = match &cfg.criteria {
        Some(p) => checklist::read_criteria(p, Format::resolve(p, None)?)?,
        None => HashMap::new(),
    };
    let checklist = match &cfg.checklist {
        Some(p) => checklist::read(
            p,
            Format::resolve(p, cfg.checklist_format)?,
            cfg.checklist_layout,
            &cfg.columns,
            &criteria,
        )?,
        None => checklist::Checklist::default(),
    };
    write_rejects(&mut rejects_writer, &checklist.rejects)?;
    let mut checklist_writer = TableWriter::create(&staging.path("checklist.parquet"), schema::checklist())?;
    checklist_writer.write(&tables::checklist(&checklist.answers)?)?;
    let checklist_rows = checklist_writer.finish()?;
    timings.read_checklist_ms = t.elapsed().as_millis() as u64;

    // Comments, streamed.
    let t = Instant::now();
    let detector = LanguageDetector::default();
    let source_names: Vec<String> = comment_files.iter().map(|(p, _)| p.display().to_string()).collect();
    let mut stream = CommentStream::new(comment_files.clone(), &cfg.columns, cfg.max_text_chars);
    let mut segments_writer = TableWriter::create(&staging.path("segments.parquet"), schema::segments())?;
    let mut comments_writer = TableWriter::create(&staging.path("comments.parquet"), schema::comments())?;
    let mut texts: HashMap<String, TextTally> = HashMap::new();
    let mut comment_acc = Accounting::default();
    let pb = progress_bar(cfg.progress);
    let batch_size = cfg.batch_size.max(1);
    loop {
        let mut batch = Vec::with_capacity(batch_size);
        let mut batch_rejects = Vec::new();
        while batch.len() < batch_size {
            match stream.next_record()? {
                None => break,
                Some(CommentRecord::Comment(c)) => batch.push(c),
                Some(CommentRecord::Rejected(r)) => batch_rejects.push(r),
            }
        }
        comment_acc.rejected += batch_rejects.len() as u64;
        write_rejects(&mut rejects_writer, &batch_rejects)?;
        if batch.is_empty() {
            if batch_rejects.is_empty() {
                break;
            }
            continue;
        }
        let processed: Vec<ProcessedComment> = pool.install(|| {
            batch
                .into_par_iter()
                .map(|c| process_comment(c, &detector, classifier.as_ref(), &cfg.segment_rules))
                .collect()
        });
        comment_acc.accepted += processed.len() as u64;
        segments_writer.write(&tables::segments(&processed)?)?;
        comments_writer.write(&tables::comments(&processed, &source_names)?)?;
        for p in &processed {
            texts.entry(p.comment.visit_id.clone()).or_default().add(&TextTally::of_comment(&p.predictions));
        }
        pb.inc(processed.len() as u64 + batch_rejects.len() as u64);
    }
    pb.finish_and_clear();
    let segments = segments_writer.finish()?;
    let comment_rows = comments_writer.finish()?;
    timings.process_comments_ms = t.elapsed().as_millis() as u64;
    comment_acc.read = stream.records_per_file.iter().sum();

    // Visits: the union of every source, met with the checklist.
    let t = Instant::now();
    let visit_rows = join_visits(&visits, &checklist.answers, &texts);
    let mut visits_writer =
        TableWriter::create(&staging.path("visits.parquet"), schema::visits(&visits.extra_columns))?;
    visits_writer.write(&tables::visits(&visit_rows, &visits.extra_columns)?)?;
    let visit_table_rows = visits_writer.finish()?;
    let reject_rows = rejects_writer.finish()?;
    timings.join_visits_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    let mut inputs = Vec::new();
    for (i, (p, f)) in comment_files.iter().enumerate() {
        inputs.push(input_file("comments", p, *f, stream.records_per_file[i])?);
    }
    if let Some(p) = &cfg.checklist {
        inputs.push(input_file("checklist", p, Format::resolve(p, cfg.checklist_format)?, checklist.records)?);
    }
    if let Some(p) = &cfg.visits {
        inputs.push(input_file("visits", p, Format::resolve(p, cfg.visits_format)?, visits.records)?);
    }
    timings.hash_inputs_ms = t.elapsed().as_millis() as u64;
    timings.total_ms = t0.elapsed().as_millis() as u64;

    let manifest = Manifest {
        irritant_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        model: ModelRef { id: classifier.id().to_string(), sha256: classifier.sha256().to_string() },
        threads,
        inputs,
        accounting: RunAccounting {
            comments: comment_acc,
            checklist: Accounting {
                read: checklist.records,
                accepted: checklist.answers.len() as u64,
                rejected: checklist.rejects.len() as u64,
            },
            visits: Accounting {
                read: visits.records,
                accepted: visits.by_id.len() as u64,
                rejected: visits.rejects.len() as u64,
            },
        },
        outputs: vec![
            OutputFile { file: "segments.parquet".into(), rows: segments },
            OutputFile { file: "comments.parquet".into(), rows: comment_rows },
            OutputFile { file: "visits.parquet".into(), rows: visit_table_rows },
            OutputFile { file: "checklist.parquet".into(), rows: checklist_rows },
            OutputFile { file: "rejects.parquet".into(), rows: reject_rows },
        ],
        segments,
        segments_per_second: segments as f64 / (timings.process_comments_ms.max(1) as f64 / 1000.0),
        timings,
        peak_rss_bytes: manifest::peak_rss_bytes(),
    };
    manifest.check()?;
    write_file_atomically(&staging.path("manifest.json"), &manifest.to_json())?;
    staging.commit(&OUTPUTS)?;
    Ok(manifest)
}
