//! Classifiers: from a segment's text to irritant categories, a sentiment, and the
//! evidence behind them.
//!
//! [`Classifier`] is the one interface the pipeline, `train` and evaluation use, so a new
//! backend (an ONNX encoder, say) plugs in beside [`linear::LinearModel`] without touching
//! the rest. Probabilities are the model's raw outputs (logistic for each category,
//! softmax for sentiment), not calibrated frequencies; a category is predicted when its
//! probability reaches that category's threshold, stored with the model.

pub mod encoder;
pub mod features;
pub mod heads;
pub mod labelled;
pub mod linear;
pub mod metrics;
pub mod stopwords;
pub mod train;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::taxonomy::{AspectLabel, Irritant, IrritantSet, Sentiment};

/// One term that pushed a label up: a word, a pair of words or an entity name of the
/// segment, as the segment writes it, and its contribution to the label's logit.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub irritant: Irritant,
    /// The irritant aspect the term supports, for models that predict aspects.
    pub aspect: Option<AspectLabel>,
    pub term: String,
    pub weight: f32,
}

/// A term that can be evidence: its folded form (the one features read, on which
/// repeats and stop words are matched) and how the segment writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub folded: String,
    pub written: String,
}

/// Evidence terms kept per predicted category or aspect.
pub const EVIDENCE_PER_CATEGORY: usize = 3;

impl Evidence {
    /// The terms that pushed head `head` most, strongest first: `candidates` are terms in
    /// the order of the segment (folded, as written) with their contributions to every
    /// head's logit; only positive contributions count, and ties go to the earlier term,
    /// so evidence is deterministic. A term made only of stop words
    /// ([`stopwords::is_filler`]) is never evidence: the next strongest takes its place.
    /// The evidence is filed under `irritant` and `aspect`, each term as written.
    pub fn strongest<'a>(
        irritant: Irritant,
        aspect: Option<AspectLabel>,
        head: usize,
        candidates: impl Iterator<Item = (&'a str, &'a str, &'a [f32])>,
    ) -> Vec<Evidence> {
        let mut scored: Vec<(&str, &str, f32)> =
            candidates.map(|(f, t, w)| (f, t, w[head])).filter(|(_, _, w)| *w > 0.0).collect();
        // A stable sort keeps equal weights in segment order.
        scored.sort_by(|a, b| b.2.total_cmp(&a.2));
        scored
            .into_iter()
            .filter(|(folded, _, _)| !stopwords::is_filler(folded))
            .take(EVIDENCE_PER_CATEGORY)
            .map(|(_, term, weight)| Evidence { irritant, aspect, term: term.to_string(), weight })
            .collect()
    }
}

/// An aspect a classifier found in a segment, with its head's probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AspectScore {
    pub label: AspectLabel,
    pub probability: f32,
}

/// What a classifier says about one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Probability of each category, in [`Irritant::ALL`] order.
    pub irritant_probs: Vec<f32>,
    /// Categories whose probability reached their threshold.
    pub irritants: IrritantSet,
    /// Probability of each sentiment, in [`Sentiment::ALL`] order; they sum to 1.
    pub sentiment_probs: Vec<f32>,
    /// The most probable sentiment.
    pub sentiment: Sentiment,
    /// For each predicted irritant aspect (or category, for a model without aspect
    /// heads), the terms that pushed it most, strongest first.
    pub evidence: Vec<Evidence>,
    /// Predicted aspects with their probabilities, in taxonomy order, for models that
    /// predict aspects ([`Classifier::predicts_aspects`]); empty otherwise. Their
    /// irritant aspects give exactly the predicted categories ([`heads`]).
    pub aspects: Vec<AspectScore>,
}

/// A segment to classify with its context, all normalised (and redacted) as a run
/// prepares text: the segment before it in its comment or transcript (the sentence or
/// turn a reader has just read), and, in a transcript, the role of who speaks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentInput<'a> {
    pub text: &'a str,
    pub previous: Option<&'a str>,
    /// `shopper` or `staff` (or `unknown`) for a transcript turn.
    pub speaker: Option<&'a str>,
}

impl<'a> SegmentInput<'a> {
    /// A segment read without context.
    pub fn alone(text: &'a str) -> Self {
        SegmentInput { text, previous: None, speaker: None }
    }
}

/// A segment classifier. Implementations must be deterministic: the same input gives the
/// same predictions whatever the number of threads. (An encoder pads a segment to the
/// longest of its batch, which can move a probability in its last bits, and an int8
/// encoder quantizes activations per batch, which moves it a little more; batches depend
/// only on the input.)
pub trait Classifier: Send + Sync {
    /// Identifier written to the manifest and to evaluation reports (e.g. `linear-fr-en-v1`).
    fn id(&self) -> &str;
    /// SHA-256 of the model's files, hex, so a run names exactly the weights it used.
    fn sha256(&self) -> &str;
    /// Classifies segments given with their context, in order. Implementations spread
    /// the work over the current rayon pool; callers hand over large batches (an encoder
    /// batches by length within them).
    fn classify(&self, inputs: &[SegmentInput<'_>]) -> Result<Vec<Prediction>>;
    /// Classifies segments read alone.
    fn classify_texts(&self, texts: &[&str]) -> Result<Vec<Prediction>> {
        let inputs: Vec<SegmentInput> = texts.iter().map(|t| SegmentInput::alone(t)).collect();
        self.classify(&inputs)
    }
    /// Whether [`Prediction::aspects`] is filled.
    fn predicts_aspects(&self) -> bool {
        false
    }
    /// Whether the model reads [`SegmentInput::previous`]; the tables record the context
    /// a segment was classified with only when it is read.
    fn reads_context(&self) -> bool {
        false
    }
}

/// The name of the model that `irritant run` uses when none is given.
pub const DEFAULT_MODEL: &str = "linear-fr-en";

/// Folders where a model given by name is looked for, in order: each folder of
/// `IRRITANT_MODELS` (a path list), `models/` beside the binary, `models/` of the
/// repository the binary was built from, then `models/` of the current directory.
pub fn model_search_path() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(list) = std::env::var_os("IRRITANT_MODELS") {
        dirs.extend(std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()));
    }
    if let Some(exe_dir) = std::env::current_exe().ok().as_deref().and_then(Path::parent) {
        dirs.push(exe_dir.join("models"));
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    dirs.push(PathBuf::from("models"));
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.canonicalize().unwrap_or_else(|_| d.clone())));
    dirs
}

/// Whether a folder holds a model irritant can load.
fn is_model_dir(dir: &Path) -> bool {
    dir.join("encoder.json").is_file() || dir.join("model.irm").is_file()
}

/// Whether a model folder holds the weights its config names: `model.irm`, or for an
/// encoder its ONNX file.
fn has_weights(dir: &Path) -> bool {
    dir.join("model.irm").is_file() || dir.join("model.onnx").is_file()
}

/// The models found on [`model_search_path`], by name, with the embedded default first.
pub fn available_models() -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    for dir in model_search_path() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().filter_map(|e| e.ok()) {
            if is_model_dir(&e.path()) {
                names.insert(e.file_name().to_string_lossy().to_string());
            }
        }
    }
    let mut out = vec![format!("{DEFAULT_MODEL} (embedded)")];
    out.extend(names);
    out
}

/// The directory a model name stands for: `name` itself when it is a directory, else the
/// first folder `name` on [`model_search_path`]. An unknown name is an error that lists
/// where it looked and the models found.
pub fn model_dir(name: &str) -> Result<PathBuf> {
    let dir = Path::new(name);
    if dir.is_dir() {
        return Ok(dir.to_path_buf());
    }
    let search = model_search_path();
    // A folder that holds a model wins over an earlier one of the same name that does
    // not (a copy whose generated weights were never built, say).
    let candidates: Vec<PathBuf> = search.iter().map(|d| d.join(name)).filter(|d| d.is_dir()).collect();
    if let Some(found) = candidates.iter().find(|d| is_model_dir(d) && has_weights(d)).or(candidates.first()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = search.iter().map(|d| d.display().to_string()).collect();
    anyhow::bail!(
        "unknown model {name:?}: not a directory, nor a folder of {}; models found: {}",
        looked.join(", "),
        available_models().join(", ")
    )
}

/// Splits `NAME:VARIANT` (an encoder's other ONNX file, e.g. `e5-small:int8`) unless the
/// whole name is a path.
pub fn split_variant(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once(':') {
        Some((b, v)) if !Path::new(name).exists() && !v.contains('/') => (b, Some(v)),
        _ => (name, None),
    }
}

/// How to run a model that needs more than its files (an encoder's runtime).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// ONNX Runtime library, for encoder models (else `ORT_DYLIB_PATH` or the Python package).
    pub ort_lib: Option<PathBuf>,
    /// Thread budget (0: one per core).
    pub threads: usize,
}

/// Loads a classifier: the embedded default when `name` is `None` or the default's name,
/// or the model stored in directory `name` (a path, or a folder of `models/`): a linear
/// model (`model.irm`) or an encoder (`encoder.json`). `NAME:VARIANT` picks another ONNX
/// file of an encoder (e.g. `e5-small:int8`).
pub fn load(name: Option<&str>, opts: &LoadOptions) -> Result<Box<dyn Classifier>> {
    let n = match name {
        None => return Ok(Box::new(linear::LinearModel::embedded_default()?)),
        Some(n) if n == DEFAULT_MODEL => return Ok(Box::new(linear::LinearModel::embedded_default()?)),
        Some(n) => n,
    };
    let (base, variant) = split_variant(n);
    let dir = model_dir(base)?;
    if dir.join("encoder.json").is_file() {
        let eopts = encoder::onnx::EncoderOptions {
            ort_lib: opts.ort_lib.clone(),
            threads: opts.threads,
            ..Default::default()
        };
        let model = encoder::EncoderClassifier::load(&dir, variant, &eopts)
            .with_context(|| format!("cannot load encoder model {n:?} (from {})", dir.display()))?;
        return Ok(Box::new(model));
    }
    anyhow::ensure!(variant.is_none(), "model {n:?}: only encoder models have variants");
    let model = linear::LinearModel::load_dir(&dir)
        .with_context(|| format!("cannot load model {n:?} (looked in {})", dir.display()))?;
    Ok(Box::new(model))
}
