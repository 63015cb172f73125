//! The `irritant` command line: `run`, `train`, `eval`, `examples` and `schema`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use std::io::Write;

use irritant::classify::encoder::config::HeadConfig;
use irritant::classify::encoder::onnx::{EncoderOptions, OnnxEncoder};
use irritant::classify::features::{FeatureConfig, Lexicon};
use irritant::classify::linear::DenseInput;
use irritant::classify::metrics::fmt3;
use irritant::classify::{self, labelled, train};
use irritant::error::{exit, InputError, RunError, UsageError};
use irritant::evaluate;
use irritant::ingest::checklist::Layout;
use irritant::ingest::transcripts::RoleMap;
use irritant::ingest::{ColumnNames, Format};
use irritant::redact::PiiKind;
use irritant::run::{run, RunConfig};
use irritant::segment::SegmentRules;
use irritant::write::atomic::{write_file_atomically, CommitMode, Staging};
use irritant::write::dataset::PartitionBy;
use irritant::write::parquet_table::TableWriter;
use irritant::write::schema;

/// Find irritants (customer-journey pain points) and sentiment in mystery-shopping
/// comments, and write Parquet tables joined with the checklist scores.
#[derive(Parser)]
#[command(name = "irritant", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Exit statuses, listed under `--help`.
const EXIT_CODES: &str =
    "Exit status: 0 done; 1 other failure (an output that cannot be written, a model that cannot load); \
2 wrong command line or config file; 3 an input that cannot be read (missing file or column, binary data); \
4 an input's rejected share over --max-reject-rate; 5 no comment or transcript accepted; 130 SIGINT; 143 SIGTERM. \
A run that does not exit 0 leaves --out as it found it.";

#[derive(Subcommand)]
enum Command {
    /// Classify comments and transcripts; write the segments, turns, aspects, comments, visits, checklist and rejects tables.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Train a linear model, or an encoder's heads, from labelled JSONL (the formats of TAXONOMY.md).
    Train(TrainArgs),
    /// Score a model on gold labelled JSONL (segments, or transcripts turn by turn).
    Eval(EvalArgs),
    /// Write labelled segments as a classifier reads them (prepared text, context, labels as head names) to JSONL,
    /// for training a model outside irritant.
    Examples(ExamplesArgs),
    /// Print the schema of the output tables.
    Schema(SchemaArgs),
}

#[derive(Args)]
struct ExamplesArgs {
    /// Labelled JSONL file (the formats of TAXONOMY.md); repeatable.
    #[arg(long, required = true, value_name = "FILE")]
    data: Vec<PathBuf>,
    /// JSONL file to write (replaced atomically).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Args)]
struct EvalArgs {
    /// Model name (a folder of models/, e.g. e5-small or e5-small:int8) or directory; the embedded default when omitted.
    #[arg(long, value_name = "NAME_OR_DIR")]
    model: Option<String>,
    /// Gold labelled JSONL file; repeatable.
    #[arg(long, required = true, value_name = "FILE")]
    gold: Vec<PathBuf>,
    /// Write metrics.json and predictions.parquet into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the metrics JSON alone on stdout instead of the Markdown report.
    #[arg(long)]
    json: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// ONNX Runtime shared library, for encoder models (else ORT_DYLIB_PATH, else the onnxruntime Python package).
    #[arg(long, value_name = "FILE")]
    ort_lib: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    /// Comment file (CSV, JSONL or Parquet) or directory of them; repeatable.
    #[arg(long, value_name = "PATH", required_unless_present = "transcripts")]
    comments: Vec<PathBuf>,
    /// Transcript file (JSONL, speaker-prefixed .txt, WebVTT .vtt, SRT .srt) or directory of them; repeatable.
    #[arg(long, value_name = "PATH")]
    transcripts: Vec<PathBuf>,
    /// CSV mapping transcript files to visits (`file,visit_id`; file name or stem).
    #[arg(long, value_name = "FILE")]
    transcript_map: Option<PathBuf>,
    /// A speaker label and its role, beside the built-in table: LABEL=shopper or LABEL=staff; repeatable.
    #[arg(long = "speaker-role", value_name = "LABEL=ROLE")]
    speaker_roles: Vec<String>,
    /// Keep personal data (e-mails, phone numbers, card numbers, IBANs, names) in the outputs.
    #[arg(long)]
    no_redact: bool,
    /// Redact only these kinds of personal data, comma-separated (default: all of them); the others are written as
    /// they are, and the kinds named are redacted as when all are.
    #[arg(long, value_name = "KIND", value_delimiter = ',', value_parser = redact_kind_parser(), conflicts_with = "no_redact")]
    redact_kinds: Vec<PiiKind>,
    /// Checklist file, long format (visit_id, criterion, score, max_score, [section], [category]).
    #[arg(long, value_name = "FILE")]
    checklist: Option<PathBuf>,
    /// Read the checklist in wide format (one row per visit, one column per criterion),
    /// every criterion scored out of MAX unless the criteria file says otherwise.
    #[arg(long, value_name = "MAX")]
    checklist_wide: Option<f64>,
    /// Criteria file (criterion, [section], [category], [max_score]) completing the checklist.
    #[arg(long, value_name = "FILE")]
    criteria: Option<PathBuf>,
    /// Visit metadata (visit_id, [store_id], [visit_date], [channel], further columns kept).
    #[arg(long, value_name = "FILE")]
    visits: Option<PathBuf>,
    /// Output directory: one folder per table, `_manifest.json` (created if missing; a run's tables replace the
    /// directory's atomically, or are added beside them with --append).
    #[arg(long, short, value_name = "DIR", required_unless_present = "dry_run")]
    out: Option<PathBuf>,
    /// Add this run's part files to the tables already in --out (same columns and partitioning required) instead of
    /// replacing them; rows tell runs apart by `run_id`.
    #[arg(long)]
    append: bool,
    /// Split the tables keyed by visit into Hive-style folders (`visit_month=YYYY-MM`, from the visits file's dates).
    #[arg(long, value_enum, value_name = "COLUMN")]
    partition_by: Option<PartitionBy>,
    /// The `run_id` written on every row and naming the part files (default: start time and a random suffix).
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,
    /// Fail (exit 4, nothing written) when more than this share of an input's records is rejected.
    #[arg(long, default_value_t = irritant::run::DEFAULT_MAX_REJECT_RATE, value_name = "SHARE")]
    max_reject_rate: f64,
    /// Print what would be read (files, formats, columns, row estimates, model) and exit without running.
    #[arg(long)]
    dry_run: bool,
    /// How to print the run's summary: a few lines on stderr, or JSON on stdout.
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    summary: SummaryFormat,
    /// Settings file (a [run] table whose keys are these flags' names); `irritant.toml` in the current directory is
    /// read when present. Flags given here win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Model name (a folder of models/, e.g. e5-small or e5-small:int8) or directory; the embedded default when omitted.
    #[arg(long, value_name = "NAME_OR_DIR")]
    model: Option<String>,
    /// Worker threads (0: one per core; more than the cores is clamped), shared with an encoder's ONNX Runtime sessions.
    /// The output is the same for any value.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// ONNX Runtime shared library, for encoder models (else ORT_DYLIB_PATH, else the onnxruntime Python package).
    #[arg(long, value_name = "FILE")]
    ort_lib: Option<PathBuf>,
    /// Format of the comment files, when their extension does not say.
    #[arg(long, value_enum)]
    comments_format: Option<Format>,
    /// Format of the checklist file, when its extension does not say.
    #[arg(long, value_enum)]
    checklist_format: Option<Format>,
    /// Format of the visits file, when its extension does not say.
    #[arg(long, value_enum)]
    visits_format: Option<Format>,
    /// A column's name in the input when it differs: TABLE.FIELD=NAME, e.g. comments.text=verbatim; repeatable.
    #[arg(long = "column", value_name = "TABLE.FIELD=NAME")]
    columns: Vec<String>,
    /// Date format of comments.created_at and visits.visit_date, tried before the built-in ones (ISO 8601,
    /// dd/mm/yyyy, day month-name year): chrono strftime syntax, e.g. "%m/%d/%Y %H:%M".
    #[arg(long, value_name = "FMT")]
    date_format: Option<String>,
    /// Comments per processing batch.
    #[arg(long, default_value_t = 4096)]
    batch_size: usize,
    /// Reject comments, and transcripts with a turn, longer than this many characters.
    #[arg(long, default_value_t = 100_000)]
    max_text_chars: usize,
    /// Reject transcript files larger than this once decompressed (a transcript is read whole).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = irritant::run::parse_size)]
    max_transcript_bytes: u64,
    /// Continue the run that was interrupted on this --out: batches it classified are read back from its
    /// checkpoints (beside --out), the rest classified; the tables are those an uninterrupted run writes.
    #[arg(long)]
    resume: bool,
    /// Peak memory the run aims to stay under: duplicate detection and per-visit tallies spill to disk past their
    /// shares of it, and batches are cut to keep their text within a sixty-fourth (K, M, G, T: powers of 1024).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_memory_limit)]
    memory_limit: u64,
    /// Cut sentences longer than this many characters.
    #[arg(long, default_value_t = 400)]
    max_segment_chars: usize,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// How `irritant run` reports what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SummaryFormat {
    Text,
    Json,
}

#[derive(Args)]
struct TrainArgs {
    /// Labelled JSONL files to train on; repeatable.
    #[arg(long, required = true, value_name = "FILE")]
    data: Vec<PathBuf>,
    /// Labelled JSONL dev split: tunes the thresholds and gives the card's metrics.
    #[arg(long, value_name = "FILE")]
    dev: Vec<PathBuf>,
    /// Model directory to write (model.irm, card.json, MODEL_CARD.md); with --encoder, its heads directory by default.
    #[arg(long, value_name = "DIR", required_unless_present = "encoder")]
    out: Option<PathBuf>,
    /// Train heads that read this encoder's sentence vector beside the n-grams (a folder of
    /// models/ such as e5-small, or a directory with encoder.json).
    #[arg(long, value_name = "NAME_OR_DIR")]
    encoder: Option<String>,
    /// Weight of the encoder's standardised vector relative to the n-grams.
    #[arg(long, default_value_t = 0.05)]
    dense_weight: f32,
    /// ONNX Runtime shared library, with --encoder (else ORT_DYLIB_PATH, else the onnxruntime Python package).
    #[arg(long, value_name = "FILE")]
    ort_lib: Option<PathBuf>,
    /// Worker threads for --encoder (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Model id; defaults to the output directory's name.
    #[arg(long)]
    id: Option<String>,
    /// Hash buckets: 2^BITS.
    #[arg(long, default_value_t = FeatureConfig::default().bits)]
    bits: u32,
    /// Word n-grams up to this length.
    #[arg(long, default_value_t = FeatureConfig::default().word_ngrams)]
    word_ngrams: u32,
    /// Smallest character n-gram (0: none).
    #[arg(long, default_value_t = FeatureConfig::default().char_min)]
    char_min: u32,
    /// Largest character n-gram.
    #[arg(long, default_value_t = FeatureConfig::default().char_max)]
    char_max: u32,
    /// Value of a character n-gram relative to a word.
    #[arg(long, default_value_t = FeatureConfig::default().char_weight)]
    char_weight: f32,
    /// Value of a word of the previous sentence or turn relative to a word of the segment (0: read each segment alone).
    #[arg(long, default_value_t = FeatureConfig::default().context_weight)]
    context_weight: f32,
    /// A feature for the speaker's role in transcripts.
    #[arg(long, default_value_t = FeatureConfig::default().speaker, action = clap::ArgAction::Set, value_name = "BOOL")]
    speaker: bool,
    /// Count letters repeated three times or more once ("trèèès").
    #[arg(long, default_value_t = FeatureConfig::default().fold_elongations, action = clap::ArgAction::Set, value_name = "BOOL")]
    fold_elongations: bool,
    /// Read hashtags as their words ("#ServiceClientNul").
    #[arg(long, default_value_t = FeatureConfig::default().split_hashtags, action = clap::ArgAction::Set, value_name = "BOOL")]
    split_hashtags: bool,
    /// Entity list whose names fire features for their kind and aspect (columns of data/entities.tsv); the project's list by default.
    #[arg(long, value_name = "FILE", conflicts_with = "no_entities")]
    entities: Option<PathBuf>,
    /// No entity features.
    #[arg(long)]
    no_entities: bool,
    /// With --encoder: read each segment after its context as a sentence pair (off by default: on the dev split it
    /// scored as the n-gram context features alone, at a quarter of the encoder's speed).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, value_name = "BOOL")]
    encoder_pairs: bool,
    #[arg(long, default_value_t = train::TrainConfig::default().epochs)]
    epochs: u32,
    #[arg(long, default_value_t = train::TrainConfig::default().learning_rate)]
    learning_rate: f32,
    /// L2 regularisation.
    #[arg(long, default_value_t = train::TrainConfig::default().l2)]
    l2: f32,
    #[arg(long, default_value_t = train::TrainConfig::default().seed)]
    seed: u64,
    /// Also run K-fold cross-validation on the training data and record it in the card.
    #[arg(long, value_name = "K")]
    cv: Option<usize>,
}

#[derive(Args)]
struct SchemaArgs {
    /// One table (segments, comments, visits, checklist, rejects); all when omitted.
    table: Option<String>,
    /// Print Markdown tables (as in the README).
    #[arg(long)]
    markdown: bool,
}

/// The values of `--redact-kinds`: the kinds as the manifest names them, listed by `--help`
/// and in the error for an unknown one.
fn redact_kind_parser() -> impl TypedValueParser<Value = PiiKind> {
    PossibleValuesParser::new(PiiKind::ALL.map(PiiKind::as_str))
        .map(|name| PiiKind::from_name(&name).expect("a possible value names a kind"))
}

/// The thread count to use: 0 means one per core, and more than the cores is clamped
/// (with a warning), since extra threads only add switching.
fn clamp_threads(requested: usize) -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if requested > cores {
        eprintln!("irritant: warning: --threads {requested} is more than the {cores} cores; using {cores}");
        cores
    } else {
        requested
    }
}

/// Stops a run cleanly on SIGINT or SIGTERM: the first signal is stored for the run to
/// see between batches; a second one exits at once (the next run removes what is left).
fn install_signal_handlers() -> Result<Arc<AtomicUsize>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for (signal, code) in [(SIGINT, exit::INTERRUPTED), (SIGTERM, exit::TERMINATED)] {
        signal_hook::flag::register_conditional_shutdown(signal, code as i32, seen.clone())?;
        signal_hook::flag::register(signal, seen.clone())?;
        signal_hook::flag::register_usize(signal, stop.clone(), signal as usize)?;
    }
    Ok(stop)
}

/// `--memory-limit`: a size of at least [`irritant::run::MIN_MEMORY_LIMIT`].
fn parse_memory_limit(s: &str) -> Result<u64, String> {
    let bytes = irritant::run::parse_size(s)?;
    if bytes < irritant::run::MIN_MEMORY_LIMIT {
        return Err(format!("{s}: at least {} MiB", irritant::run::MIN_MEMORY_LIMIT >> 20));
    }
    Ok(bytes)
}

fn run_config(a: &RunArgs) -> Result<RunConfig> {
    let columns = ColumnNames::parse(&a.columns).map_err(UsageError)?;
    Ok(RunConfig {
        comments: a.comments.clone(),
        comments_format: a.comments_format,
        transcripts: a.transcripts.clone(),
        transcript_map: a.transcript_map.clone(),
        roles: RoleMap::with_overrides(&a.speaker_roles).map_err(UsageError)?,
        redact: !a.no_redact,
        redact_kinds: if a.redact_kinds.is_empty() { PiiKind::ALL.to_vec() } else { a.redact_kinds.clone() },
        checklist: a.checklist.clone(),
        checklist_format: a.checklist_format,
        checklist_layout: match a.checklist_wide {
            Some(max) if max > 0.0 => Layout::Wide { max_score: max },
            Some(max) => {
                return Err(UsageError(format!("--checklist-wide {max}: the maximum score must be positive")).into())
            }
            None => Layout::Long,
        },
        criteria: a.criteria.clone(),
        visits: a.visits.clone(),
        visits_format: a.visits_format,
        columns,
        date_format: a.date_format.clone(),
        out: a.out.clone().unwrap_or_default(),
        model: a.model.clone(),
        threads: clamp_threads(a.threads),
        ort_lib: a.ort_lib.clone(),
        batch_size: a.batch_size,
        max_text_chars: a.max_text_chars,
        max_transcript_bytes: a.max_transcript_bytes,
        memory: irritant::run::MemoryBudget { total: a.memory_limit },
        segment_rules: SegmentRules { max_chars: a.max_segment_chars.max(20) },
        progress: !a.quiet,
        partition_by: a.partition_by,
        append: a.append,
        run_id: a.run_id.clone(),
        max_reject_rate: a.max_reject_rate,
        stop: None,
        resume: a.resume,
    })
}

fn cmd_run(a: RunArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&a.max_reject_rate) {
        return Err(UsageError(format!("--max-reject-rate {}: give a share between 0 and 1", a.max_reject_rate)).into());
    }
    let mut cfg = run_config(&a)?;
    if a.dry_run {
        print!("{}", irritant::run::plan(&cfg)?.render());
        return Ok(());
    }
    cfg.stop = Some(install_signal_handlers()?);
    let m = run(&cfg)?;
    match a.summary {
        SummaryFormat::Json => {
            let mut json = serde_json::to_vec_pretty(&irritant::run::Summary::of(&m, &cfg.out))?;
            json.push(b'\n');
            std::io::stdout().write_all(&json)?;
        }
        SummaryFormat::Text => eprint!("{}", irritant::run::Summary::of(&m, &cfg.out).render()),
    }
    Ok(())
}

fn cmd_train(a: TrainArgs) -> Result<()> {
    let encoder = match &a.encoder {
        None => None,
        Some(name) => {
            let dir = classify::model_dir(name)?;
            let opts = EncoderOptions { ort_lib: a.ort_lib.clone(), threads: a.threads, ..Default::default() };
            Some((OnnxEncoder::load(&dir, None, &opts)?, dir))
        }
    };
    let out = match (&a.out, &encoder) {
        (Some(o), _) => o.clone(),
        (None, Some((enc, dir))) => match &enc.config.head {
            HeadConfig::Trained { dir: heads } => dir.join(heads),
            HeadConfig::Logits { .. } => bail!("{} has a logits head: there are no heads to train", dir.display()),
        },
        (None, None) => bail!("--out is required"),
    };
    let id = match (a.id, &encoder) {
        (Some(id), _) => id,
        (None, Some((enc, _))) => format!("{}-heads", enc.config.id),
        (None, None) => out
            .file_name()
            .and_then(|n| n.to_str())
            .context("--out has no directory name to use as the model id; give --id")?
            .to_string(),
    };
    let cfg = train::TrainConfig {
        id,
        features: FeatureConfig {
            bits: a.bits,
            word_ngrams: a.word_ngrams,
            char_min: a.char_min,
            char_max: a.char_max,
            char_weight: a.char_weight,
            context_weight: a.context_weight,
            speaker: a.speaker,
            fold_elongations: a.fold_elongations,
            split_hashtags: a.split_hashtags,
        },
        epochs: a.epochs,
        learning_rate: a.learning_rate,
        l2: a.l2,
        seed: a.seed,
    };
    if !(8..=24).contains(&cfg.features.bits) {
        bail!("--bits {}: choose between 8 and 24", cfg.features.bits);
    }
    if cfg.features.char_min > cfg.features.char_max {
        bail!("--char-min must not exceed --char-max");
    }
    if !(0.0..=1.0).contains(&cfg.features.context_weight) {
        bail!("--context-weight {}: choose between 0 and 1", cfg.features.context_weight);
    }
    let lexicon = match (&a.entities, a.no_entities) {
        (_, true) => Lexicon::default(),
        (Some(p), false) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            Lexicon::from_entities_tsv(&text, &p.display().to_string())?
        }
        (None, false) => Lexicon::project(),
    };
    let describe = |paths: &[PathBuf]| -> Result<(Vec<_>, Vec<_>)> {
        let mut all = Vec::new();
        let mut files = Vec::new();
        for p in paths {
            let segs = labelled::read_file(p)?;
            files.push(train::describe_file(p, segs.len())?);
            all.extend(segs);
        }
        Ok((all, files))
    };
    let (train_data, train_files) = describe(&a.data)?;
    let (dev_data, dev_files) = describe(&a.dev)?;
    let vectors = match &encoder {
        None => None,
        Some((enc, _)) => {
            let t = std::time::Instant::now();
            let train_v = embed_segments(enc, &train_data, a.threads, a.encoder_pairs)?;
            let dev_v = embed_segments(enc, &dev_data, a.threads, a.encoder_pairs)?;
            eprintln!(
                "irritant: embedded {} segments with {} in {:.1} s",
                train_v.len() + dev_v.len(),
                enc.name,
                t.elapsed().as_secs_f64()
            );
            Some((enc, train_v, dev_v))
        }
    };
    let dense = vectors.as_ref().map(|(enc, train_v, dev_v)| train::DenseData {
        input: DenseInput::standardise(&enc.config.id, &enc.sha256, a.dense_weight, a.encoder_pairs, train_v),
        train: train_v,
        dev: dev_v,
    });
    if dense.is_some() && a.cv.is_some() {
        bail!("--cv applies to the linear model only");
    }
    let (model, mut card) = train::train(&train_data, train_files, &dev_data, dev_files, &cfg, &lexicon, dense)?;
    if let Some(k) = a.cv {
        let cv = train::cross_validate(&train_data, &dev_data, k, &cfg, &lexicon)?;
        eprintln!(
            "cross-validation ({k} folds): irritant macro F1 {:.3} ± {:.3}, sentiment macro F1 {:.3} ± {:.3}",
            cv.irritant_macro_f1_mean, cv.irritant_macro_f1_std, cv.sentiment_macro_f1_mean, cv.sentiment_macro_f1_std
        );
        card.cross_validation = Some(cv);
    }
    train::save(&out, &model, &card)?;
    eprintln!("irritant: trained {} on {} segments → {}", card.id, train_data.len(), out.display());
    if let (Some(i), Some(s)) = (&card.dev_irritants, &card.dev_sentiment) {
        eprintln!(
            "dev: irritant macro F1 {}, micro F1 {}; sentiment accuracy {:.3}, macro F1 {}",
            fmt3(i.macro_f1),
            fmt3(i.micro_f1),
            s.accuracy,
            fmt3(s.macro_f1)
        );
    }
    Ok(())
}

/// The encoder's vectors of labelled segments, prepared as in a run, in order; with
/// `pairs`, each read after its context.
fn embed_segments(
    encoder: &OnnxEncoder,
    data: &[labelled::LabelledSegment],
    threads: usize,
    pairs: bool,
) -> Result<Vec<Vec<f32>>> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let texts = pool.install(|| labelled::prepared_texts(data));
    let inputs = labelled::inputs(data, &texts);
    pool.install(|| encoder.encode_segments(&inputs, false, pairs)).map(|v| v.into_iter().map(|e| e.vector).collect())
}

fn cmd_eval(a: EvalArgs) -> Result<()> {
    let classifier =
        classify::load(a.model.as_deref(), &classify::LoadOptions { ort_lib: a.ort_lib.clone(), threads: a.threads })?;
    let gold = labelled::read_files(&a.gold)?;
    if gold.is_empty() {
        bail!("the gold files hold no labelled segment");
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(a.threads).build()?;
    let files = a.gold.iter().map(|p| p.display().to_string()).collect();
    let (report, preds) = pool.install(|| evaluate::evaluate(classifier.as_ref(), &gold, files))?;
    let mut json = serde_json::to_vec_pretty(&report)?;
    json.push(b'\n');
    if let Some(out) = &a.out {
        let staging = Staging::new(out, "eval")?;
        let mut w = TableWriter::create(&staging.path("predictions.parquet"), schema::predictions())?;
        w.write(&evaluate::predictions_batch(&gold, &preds)?)?;
        w.finish()?;
        write_file_atomically(&staging.path("metrics.json"), &json)?;
        staging.commit(&["predictions.parquet", "metrics.json"], &[], CommitMode::Replace)?;
    }
    if a.json {
        std::io::stdout().write_all(&json)?;
    } else {
        print!("{}", evaluate::render_markdown(&report));
    }
    Ok(())
}

fn cmd_examples(a: ExamplesArgs) -> Result<()> {
    let mut out = Vec::new();
    let mut n = 0;
    for path in &a.data {
        let data = labelled::read_file(path)?;
        let texts = labelled::prepared_texts(&data);
        for line in labelled::examples(&data, &texts) {
            serde_json::to_writer(&mut out, &line)?;
            out.push(b'\n');
            n += 1;
        }
    }
    write_file_atomically(&a.out, &out)?;
    eprintln!("irritant: wrote {n} examples to {}", a.out.display());
    Ok(())
}

fn cmd_schema(a: SchemaArgs) -> Result<()> {
    if a.markdown {
        if a.table.is_some() {
            bail!("--markdown prints every table; omit the table name");
        }
        print!("{}", schema::markdown());
        return Ok(());
    }
    let tables: Vec<&str> = match &a.table {
        Some(t) => vec![t.as_str()],
        None => schema::TABLES.to_vec(),
    };
    for t in tables {
        let s = schema::by_name(t)
            .with_context(|| format!("unknown table {t:?}: expected one of {}", schema::TABLES.join(", ")))?;
        println!("{}", if t == "predictions" { format!("{t}.parquet") } else { format!("{t}/") });
        for f in s.fields() {
            println!(
                "  {:<24} {:<40} {}",
                f.name(),
                format!("{}{}", schema::type_name(f.data_type()), if f.is_nullable() { " (null)" } else { "" }),
                f.metadata().get("description").map(String::as_str).unwrap_or("")
            );
        }
        println!();
    }
    Ok(())
}

/// The exit status for an error: its kind, wherever it sits in the chain.
fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(r) = cause.downcast_ref::<RunError>() {
            return r.exit_code();
        }
        if cause.is::<UsageError>() || cause.is::<irritant::config::ConfigError>() {
            return exit::USAGE;
        }
        if cause.is::<InputError>() {
            return exit::INPUT;
        }
    }
    exit::FAILURE
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("IRRITANT_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(file) = irritant::config::locate(&argv) {
        match irritant::config::merge(&<Cli as clap::CommandFactory>::command(), argv, &file) {
            Ok(merged) => argv = merged,
            Err(e) => {
                eprintln!("irritant: error: {e}");
                return ExitCode::from(exit::USAGE);
            }
        }
    }
    let cli = Cli::parse_from(argv);
    let result = match cli.command {
        Command::Run(a) => cmd_run(a),
        Command::Train(a) => cmd_train(a),
        Command::Eval(a) => cmd_eval(a),
        Command::Examples(a) => cmd_examples(a),
        Command::Schema(a) => cmd_schema(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("irritant: error: {}", chain.join(": "));
            ExitCode::from(exit_code(&e))
        }
    }
}
