//! Trains the linear model from labelled segments, tunes each category's decision
//! threshold on a dev split, and writes a model directory with its card.
//!
//! Training is sequential AdaGrad over a seeded shuffle ([`SplitMix64`]), so the same data,
//! configuration and seed give byte-identical model files on any machine. The dev split
//! is used for the thresholds and the card's metrics, never for the weights; because the
//! thresholds are tuned on it, the dev metrics are slightly optimistic, and a model's
//! quality is judged on a test split it has never seen.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use serde::{Deserialize, Serialize};

use super::features::{Extractor, FeatureConfig, Lexicon};
use super::heads::{Head, HeadLayout};
use super::labelled::{inputs, prepared_texts, LabelledSegment};
use super::linear::{DenseInput, LinearModel, ModelHeader};
use super::metrics::{fmt3, irritant_scores, sentiment_scores, IrritantScores, LabelScores, SentimentScores};
use super::Prediction;
use crate::digest::sha256_file;
use crate::rng::SplitMix64;
use crate::taxonomy::{AspectLabel, IrritantSet, Sentiment};
use crate::write::atomic::write_file_atomically;

/// Hyper-parameters of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub id: String,
    pub features: FeatureConfig,
    pub epochs: u32,
    pub learning_rate: f32,
    /// L2 penalty applied to each weight when it is updated.
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            id: super::DEFAULT_MODEL.to_string(),
            features: FeatureConfig::default(),
            epochs: 25,
            learning_rate: 0.2,
            l2: 1e-5,
            seed: 42,
        }
    }
}

/// A labelled file that went into training, identified by content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    pub path: String,
    pub sha256: String,
    pub segments: usize,
}

/// Everything known about how a model was made and how it did on the dev split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub id: String,
    pub kind: String,
    pub format_version: u32,
    pub model_sha256: String,
    pub irritant_version: String,
    pub hyperparameters: TrainConfig,
    pub train_data: Vec<DataFile>,
    pub dev_data: Vec<DataFile>,
    /// Heads of the model (categories, sentiments, aspects × polarity).
    pub heads: usize,
    /// Entity names whose kinds are features.
    pub entities: usize,
    /// Rows of the weight table with a non-zero weight, and what the table takes in
    /// memory once loaded.
    pub weight_rows: usize,
    pub weight_bytes_in_memory: usize,
    /// Per-head thresholds of the logistic heads, tuned on the dev split (0.5 without
    /// one, or with too few dev positives).
    pub thresholds: std::collections::BTreeMap<String, f32>,
    pub train_label_counts: std::collections::BTreeMap<String, usize>,
    pub dev_irritants: Option<IrritantScores>,
    pub dev_sentiment: Option<SentimentScores>,
    /// Aspect scores on the dev split, per `aspect:polarity`.
    pub dev_aspects: Option<LabelScores>,
    /// Dev figures per source style (transcript channel, `segment` for lone segments).
    pub dev_by_style: std::collections::BTreeMap<String, StyleScores>,
    /// The encoder whose sentence vectors the heads read beside the n-grams, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoder: Option<String>,
    /// K-fold cross-validation on the training data, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_validation: Option<CrossValidation>,
}

/// Macro F1s of a K-fold cross-validation: each fold scored by a model fitted on the
/// others (thresholds tuned on the dev split when there is one, else 0.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    pub folds: usize,
    pub irritant_macro_f1: Vec<f64>,
    pub sentiment_macro_f1: Vec<f64>,
    pub irritant_macro_f1_mean: f64,
    pub irritant_macro_f1_std: f64,
    pub sentiment_macro_f1_mean: f64,
    pub sentiment_macro_f1_std: f64,
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// K-fold cross-validation of `cfg` on `data`; folds are drawn with the training seed.
pub fn cross_validate(
    data: &[LabelledSegment],
    dev: &[LabelledSegment],
    k: usize,
    cfg: &TrainConfig,
    lexicon: &Lexicon,
) -> Result<CrossValidation> {
    // Folds are drawn by comment or transcript, so no fold is scored on sentences whose
    // neighbours it was fitted on.
    let mut units: Vec<&str> = Vec::new();
    let mut unit_of: Vec<usize> = Vec::with_capacity(data.len());
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for s in data {
        let next = units.len();
        let u = *index.entry(s.unit.as_str()).or_insert(next);
        if u == next {
            units.push(&s.unit);
        }
        unit_of.push(u);
    }
    ensure!(k >= 2 && k <= units.len(), "--cv needs between 2 and {} folds", units.len());
    let mut order: Vec<usize> = (0..units.len()).collect();
    let mut rng = SplitMix64(cfg.seed ^ 0x00c0_ffee);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut fold_of = vec![0; units.len()];
    for (pos, &u) in order.iter().enumerate() {
        fold_of[u] = pos % k;
    }
    let (mut irr, mut sent) = (Vec::new(), Vec::new());
    let dev = Examples::new(dev);
    // Texts are prepared once and shared out to the folds.
    let texts = prepared_texts(data);
    for fold in 0..k {
        let (mut fit_on, mut fit_texts, mut held, mut held_texts) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, s) in data.iter().enumerate() {
            if fold_of[unit_of[i]] == fold {
                held.push(s.clone());
                held_texts.push(texts[i].clone());
            } else {
                fit_on.push(s.clone());
                fit_texts.push(texts[i].clone());
            }
        }
        let mut model = fit(&Examples { data: &fit_on, texts: fit_texts }, cfg, lexicon, None)?;
        if !dev.is_empty() {
            let thresholds = tune_thresholds(&model, &dev, None);
            model = model.with_thresholds(thresholds)?;
        }
        let s = score(&model, &Examples { data: &held, texts: held_texts }, None);
        // A fold with nothing to measure (possible only on tiny data) is left out.
        irr.extend(s.irritants.macro_f1);
        sent.extend(s.sentiment.macro_f1);
    }
    let (im, is) = mean_std(&irr);
    let (sm, ss) = mean_std(&sent);
    Ok(CrossValidation {
        folds: k,
        irritant_macro_f1: irr,
        sentiment_macro_f1: sent,
        irritant_macro_f1_mean: im,
        irritant_macro_f1_std: is,
        sentiment_macro_f1_mean: sm,
        sentiment_macro_f1_std: ss,
    })
}

/// Labelled segments with their texts prepared as a run prepares text.
pub struct Examples<'a> {
    pub data: &'a [LabelledSegment],
    texts: Vec<String>,
}

impl<'a> Examples<'a> {
    pub fn new(data: &'a [LabelledSegment]) -> Self {
        Examples { data, texts: prepared_texts(data) }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Each segment with its context.
    pub fn inputs(&self) -> Vec<super::SegmentInput<'_>> {
        inputs(self.data, &self.texts)
    }
}

/// Dense vectors for heads that read an encoder's embedding beside the n-grams: the
/// standardisation (fitted on `train`) and one vector per segment of each split.
pub struct DenseData<'a> {
    pub input: DenseInput,
    pub train: &'a [Vec<f32>],
    pub dev: &'a [Vec<f32>],
}

/// The heads a model learns from `data`: every label of the taxonomy when the data
/// carries aspects, else the categories and sentiments.
pub fn layout_for(data: &[LabelledSegment]) -> HeadLayout {
    if data.iter().any(|s| s.aspects.is_some()) {
        HeadLayout::full()
    } else {
        HeadLayout::categories_and_sentiments()
    }
}

/// Fits the weights (thresholds at 0.5); see [`train`] for the whole procedure. With
/// `dense`, each segment's vector (same order as the examples) is read beside its
/// n-grams; `lexicon` names the entities whose kinds are features.
pub fn fit(
    ex: &Examples,
    cfg: &TrainConfig,
    lexicon: &Lexicon,
    dense: Option<(&DenseInput, &[Vec<f32>])>,
) -> Result<LinearModel> {
    use rayon::prelude::*;
    let data = ex.data;
    ensure!(!data.is_empty(), "no training data");
    if let Some((_, vectors)) = dense {
        ensure!(vectors.len() == data.len(), "{} vectors for {} segments", vectors.len(), data.len());
    }
    let layout = layout_for(data);
    let heads = layout.len();
    let extractor = Extractor::new(&cfg.features, lexicon);
    let header = ModelHeader {
        id: cfg.id.clone(),
        features: cfg.features,
        heads: layout.names(),
        thresholds: vec![0.5; heads],
        bias: vec![0.0; heads],
        lexicon: lexicon.clone(),
        dense: dense.map(|(input, _)| input.clone()),
        scales: Vec::new(),
    };
    let base = 1usize << cfg.features.bits;
    let rows = header.rows();
    let mut w = vec![0f32; rows * heads];
    let mut g2 = vec![0f32; rows * heads];
    let mut bias = vec![0f32; heads];
    let mut bias_g2 = vec![0f32; heads];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = SplitMix64(cfg.seed);
    let eps = 1e-8f32;
    // (row, value) of every feature of every segment: the hashed buckets, then the dense part.
    let segment_inputs = ex.inputs();
    let inputs: Vec<Vec<(usize, f32)>> = segment_inputs
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let f = extractor.extract(s);
            let mut x: Vec<(usize, f32)> = f.buckets.iter().zip(&f.values).map(|(&b, &v)| (b as usize, v)).collect();
            if let Some((input, vectors)) = dense {
                x.extend((0..input.dim()).map(|d| (base + d, input.value(&vectors[i], d))));
            }
            x
        })
        .collect();
    let targets: Vec<(Vec<f32>, Vec<bool>)> =
        data.iter().map(|s| layout.targets(s.irritants, s.sentiment, s.aspects.as_deref())).collect();
    let mut z = vec![0f32; heads];
    let mut grad = vec![0f32; heads];
    for _ in 0..cfg.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for &i in &order {
            let (y, learns) = &targets[i];
            z.copy_from_slice(&bias);
            for &(r, v) in &inputs[i] {
                for (zh, wh) in z.iter_mut().zip(&w[r * heads..(r + 1) * heads]) {
                    *zh += wh * v;
                }
            }
            let p = layout.probabilities(&z);
            for h in 0..heads {
                grad[h] = if learns[h] { p[h] - y[h] } else { 0.0 };
            }
            for h in 0..heads {
                bias_g2[h] += grad[h] * grad[h];
                bias[h] -= cfg.learning_rate * grad[h] / (bias_g2[h].sqrt() + eps);
            }
            for &(r, v) in &inputs[i] {
                let row = r * heads;
                for h in (0..heads).filter(|&h| learns[h]) {
                    let g = grad[h] * v + cfg.l2 * w[row + h];
                    g2[row + h] += g * g;
                    w[row + h] -= cfg.learning_rate * g / (g2[row + h].sqrt() + eps);
                }
            }
        }
    }
    LinearModel::new(ModelHeader { bias, ..header }, &w)
}

/// A head's dev decisions need at least this many positives to tune its threshold;
/// below it the head keeps 0.5.
pub const MIN_DEV_POSITIVES: usize = 3;

/// Whether labelled segment `s` carries the label of logistic head `h` (`None` when its
/// labels cannot say: an aspect head on a segment without aspects).
fn gold_of(h: Head, s: &LabelledSegment) -> Option<bool> {
    match h {
        Head::Category(c) => Some(s.irritants.contains(c)),
        Head::Aspect(a) => s.aspects.as_ref().map(|l| l.contains(&a)),
        Head::Sentiment(_) => None,
    }
}

/// For each logistic head, the threshold in 0.05..=0.95 (steps of 0.01) that maximises
/// its F1 on the dev split; among equal F1s the one closest to 0.5. A head with fewer
/// than [`MIN_DEV_POSITIVES`] dev positives keeps 0.5. `dense` holds the dev vectors for
/// heads that read them.
pub fn tune_thresholds(model: &LinearModel, dev: &Examples, dense: Option<&[Vec<f32>]>) -> Vec<f32> {
    use rayon::prelude::*;
    let inputs = dev.inputs();
    let probs: Vec<Vec<f32>> =
        inputs.par_iter().enumerate().map(|(i, s)| model.probabilities(s, dense.map(|d| d[i].as_slice()))).collect();
    let layout = model.layout();
    let mut out = vec![0.5f32; layout.len()];
    for (h, head) in layout.heads().iter().enumerate() {
        let pairs: Vec<(f32, bool)> =
            probs.iter().zip(dev.data).filter_map(|(p, s)| gold_of(*head, s).map(|g| (p[h], g))).collect();
        if pairs.iter().filter(|(_, g)| *g).count() < MIN_DEV_POSITIVES {
            continue;
        }
        let mut best = (f64::MIN, f32::MAX, 0.5f32);
        for step in 5..=95 {
            let t = step as f32 / 100.0;
            let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
            for &(p, g) in &pairs {
                match (p >= t, g) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fn_ += 1,
                    _ => {}
                }
            }
            let f1 = if tp == 0 { 0.0 } else { 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64 };
            let dist = (t - 0.5).abs();
            if f1 > best.0 + 1e-12 || ((f1 - best.0).abs() <= 1e-12 && dist < best.1) {
                best = (f1, dist, t);
            }
        }
        out[h] = best.2;
    }
    out
}

/// A model's figures on labelled segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub irritants: IrritantScores,
    pub sentiment: SentimentScores,
    /// Over the segments labelled with aspects, for a model with aspect heads.
    pub aspects: Option<LabelScores>,
}

/// The figures of one source style (or transcript channel) in a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleScores {
    pub n: usize,
    pub irritant_macro_f1: Option<f64>,
    pub sentiment_macro_f1: Option<f64>,
    pub aspect_macro_f1: Option<f64>,
}

/// Aspect scores of predictions over the segments of `idx` labelled with aspects.
pub fn aspect_scores(data: &[LabelledSegment], preds: &[Prediction], idx: &[usize]) -> Option<LabelScores> {
    let labelled: Vec<usize> = idx.iter().copied().filter(|&i| data[i].aspects.is_some()).collect();
    if labelled.is_empty() {
        return None;
    }
    let gold: Vec<&[AspectLabel]> = labelled.iter().map(|&i| data[i].aspects.as_deref().unwrap_or_default()).collect();
    let pred: Vec<Vec<AspectLabel>> =
        labelled.iter().map(|&i| preds[i].aspects.iter().map(|a| a.label).collect()).collect();
    Some(super::metrics::aspect_scores(&gold, &pred))
}

fn predictions(model: &LinearModel, ex: &Examples, dense: Option<&[Vec<f32>]>) -> Vec<Prediction> {
    use rayon::prelude::*;
    let inputs = ex.inputs();
    inputs
        .par_iter()
        .enumerate()
        .map(|(i, s)| model.predict_with(s, dense.map(|d| d[i].as_slice()), Vec::new()))
        .collect()
}

fn scores_of(model: &LinearModel, data: &[LabelledSegment], preds: &[Prediction], idx: &[usize]) -> Scores {
    let gold_i: Vec<IrritantSet> = idx.iter().map(|&i| data[i].irritants).collect();
    let pred_i: Vec<IrritantSet> = idx.iter().map(|&i| preds[i].irritants).collect();
    let gold_s: Vec<Sentiment> = idx.iter().map(|&i| data[i].sentiment).collect();
    let pred_s: Vec<Sentiment> = idx.iter().map(|&i| preds[i].sentiment).collect();
    Scores {
        irritants: irritant_scores(&gold_i, &pred_i),
        sentiment: sentiment_scores(&gold_s, &pred_s),
        aspects: if model.layout().has_aspects() { aspect_scores(data, preds, idx) } else { None },
    }
}

/// Scores a model on labelled segments (with their vectors, for heads that read them).
pub fn score(model: &LinearModel, ex: &Examples, dense: Option<&[Vec<f32>]>) -> Scores {
    let preds = predictions(model, ex, dense);
    let all: Vec<usize> = (0..ex.data.len()).collect();
    scores_of(model, ex.data, &preds, &all)
}

/// Scores per source style, and overall.
fn score_by_style(
    model: &LinearModel,
    ex: &Examples,
    dense: Option<&[Vec<f32>]>,
) -> (Scores, std::collections::BTreeMap<String, StyleScores>) {
    let preds = predictions(model, ex, dense);
    let all: Vec<usize> = (0..ex.data.len()).collect();
    let mut by: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, s) in ex.data.iter().enumerate() {
        by.entry(s.style.clone()).or_default().push(i);
    }
    let styles = by
        .into_iter()
        .map(|(k, idx)| {
            let sc = scores_of(model, ex.data, &preds, &idx);
            let r = StyleScores {
                n: idx.len(),
                irritant_macro_f1: sc.irritants.macro_f1,
                sentiment_macro_f1: sc.sentiment.macro_f1,
                aspect_macro_f1: sc.aspects.and_then(|a| a.macro_f1),
            };
            (k, r)
        })
        .collect();
    (scores_of(model, ex.data, &preds, &all), styles)
}

/// Fits on `train`, tunes thresholds on `dev` when given, and builds the card. With
/// `dense`, the heads read an encoder's vectors beside the n-grams.
pub fn train(
    train: &[LabelledSegment],
    train_files: Vec<DataFile>,
    dev: &[LabelledSegment],
    dev_files: Vec<DataFile>,
    cfg: &TrainConfig,
    lexicon: &Lexicon,
    dense: Option<DenseData>,
) -> Result<(LinearModel, ModelCard)> {
    let train_ex = Examples::new(train);
    let dev_ex = Examples::new(dev);
    let mut model = fit(&train_ex, cfg, lexicon, dense.as_ref().map(|d| (&d.input, d.train)))?;
    let dev_vectors = dense.as_ref().map(|d| d.dev);
    if !dev.is_empty() {
        let thresholds = tune_thresholds(&model, &dev_ex, dev_vectors);
        model = model.with_thresholds(thresholds)?;
    }
    let (dev_scores, dev_by_style) = if dev.is_empty() {
        (None, Default::default())
    } else {
        let (s, by) = score_by_style(&model, &dev_ex, dev_vectors);
        (Some(s), by)
    };
    let mut counts = std::collections::BTreeMap::new();
    for s in train {
        if s.irritants.is_empty() {
            *counts.entry("none".to_string()).or_insert(0) += 1;
        }
        for c in s.irritants.iter() {
            *counts.entry(c.as_str().to_string()).or_insert(0) += 1;
        }
        *counts.entry(format!("sentiment:{}", s.sentiment)).or_insert(0) += 1;
        for a in s.aspects.iter().flatten() {
            *counts.entry(Head::Aspect(*a).name()).or_insert(0) += 1;
        }
    }
    let heads = if model.layout().has_aspects() {
        "one-vs-rest logistic heads for the categories and for each aspect as irritant and as praise, softmax sentiment"
    } else {
        "one-vs-rest logistic irritant heads, softmax sentiment"
    };
    let (kind, encoder) = match &dense {
        None => (format!("linear hashed n-grams ({heads})"), None),
        Some(d) => (
            format!(
                "linear heads over the {} sentence embedding (weight {}) and hashed n-grams ({heads})",
                d.input.encoder, d.input.weight
            ),
            Some(format!("{} (sha256 {})", d.input.encoder, d.input.encoder_sha256)),
        ),
    };
    let (rows, bytes) = model.weight_footprint();
    let card = ModelCard {
        id: cfg.id.clone(),
        kind,
        format_version: super::linear::FORMAT_VERSION,
        model_sha256: super::Classifier::sha256(&model).to_string(),
        irritant_version: env!("CARGO_PKG_VERSION").to_string(),
        hyperparameters: cfg.clone(),
        train_data: train_files,
        dev_data: dev_files,
        heads: model.layout().len(),
        entities: lexicon.entities.len(),
        weight_rows: rows,
        weight_bytes_in_memory: bytes,
        thresholds: model
            .layout()
            .heads()
            .iter()
            .zip(&model.header.thresholds)
            .filter(|(h, _)| h.is_logistic())
            .map(|(h, t)| (h.name(), *t))
            .collect(),
        train_label_counts: counts,
        dev_irritants: dev_scores.as_ref().map(|s| s.irritants.clone()),
        dev_sentiment: dev_scores.as_ref().map(|s| s.sentiment.clone()),
        dev_aspects: dev_scores.and_then(|s| s.aspects),
        dev_by_style,
        encoder,
        cross_validation: None,
    };
    Ok((model, card))
}

/// Describes a labelled file for the card: path as given, content hash, segment count.
pub fn describe_file(path: &Path, segments: usize) -> Result<DataFile> {
    let (sha256, _) = sha256_file(path)?;
    Ok(DataFile { path: path.display().to_string(), sha256, segments })
}

/// Writes `model.irm`, `card.json` and `MODEL_CARD.md` into `dir`, each atomically.
pub fn save(dir: &Path, model: &LinearModel, card: &ModelCard) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_file_atomically(&dir.join("model.irm"), &model.to_bytes())?;
    let mut json = serde_json::to_vec_pretty(card)?;
    json.push(b'\n');
    write_file_atomically(&dir.join("card.json"), &json)?;
    write_file_atomically(&dir.join("MODEL_CARD.md"), render_card(card).as_bytes())?;
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The card as Markdown for people.
pub fn render_card(card: &ModelCard) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# Model card: `{}`\n", card.id);
    let _ = writeln!(s, "- Kind: {}", card.kind);
    let _ = writeln!(s, "- File format: `model.irm` version {}", card.format_version);
    let _ = writeln!(s, "- SHA-256 of `model.irm`: `{}`", card.model_sha256);
    let _ = writeln!(s, "- Trained by irritant {}", card.irritant_version);
    let _ = writeln!(
        s,
        "- {} heads; {} entity names as features; {} weight rows stored at 8 bits ({:.1} MB in memory)",
        card.heads,
        card.entities,
        card.weight_rows,
        card.weight_bytes_in_memory as f64 / 1e6
    );
    if let Some(e) = &card.encoder {
        let _ = writeln!(s, "- Encoder: {e}");
    }
    let h = &card.hyperparameters;
    let _ = writeln!(
        s,
        "- Hyper-parameters: {} hash bits, word n-grams 1..{}, character n-grams {}..{} weighted {}, context words weighted {}, speaker role {}, elongations folded {}, hashtags split {}, {} epochs of AdaGrad, learning rate {}, L2 {}, seed {}\n",
        h.features.bits, h.features.word_ngrams, h.features.char_min, h.features.char_max, h.features.char_weight,
        h.features.context_weight, yes_no(h.features.speaker), yes_no(h.features.fold_elongations), yes_no(h.features.split_hashtags),
        h.epochs, h.learning_rate, h.l2, h.seed
    );
    let _ = writeln!(s, "## Data\n");
    let _ = writeln!(s, "| split | file | segments | sha256 |\n|---|---|---|---|");
    for (split, files) in [("train", &card.train_data), ("dev", &card.dev_data)] {
        for f in files {
            let _ = writeln!(s, "| {split} | `{}` | {} | `{}` |", f.path, f.segments, &f.sha256[..16]);
        }
    }
    let _ = writeln!(
        s,
        "\nTraining label counts: {}",
        card.train_label_counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(s, "\n## Thresholds\n");
    let _ =
        writeln!(s, "{}", card.thresholds.iter().map(|(k, v)| format!("`{k}` {v:.2}")).collect::<Vec<_>>().join(", "));
    if let (Some(i), Some(se)) = (&card.dev_irritants, &card.dev_sentiment) {
        let _ = writeln!(
            s,
            "\n## Dev-split metrics\n\nThe thresholds were tuned on this split, so these figures lean optimistic; judge the model on the test split with an evaluation.\n"
        );
        let _ = writeln!(s, "| category | precision | recall | F1 | support |\n|---|---|---|---|---|");
        for (k, c) in &i.per_class {
            let _ = writeln!(s, "| {k} | {} |", c.markdown_cells());
        }
        let _ = writeln!(
            s,
            "\nIrritants: macro F1 {}, micro F1 {}, exact match {:.3}, any-irritant F1 {}.  \nSentiment: accuracy {:.3}, macro F1 {}.",
            fmt3(i.macro_f1),
            fmt3(i.micro_f1),
            i.exact_match,
            fmt3(i.any.f1),
            se.accuracy,
            fmt3(se.macro_f1)
        );
    }
    if !card.dev_by_style.is_empty() {
        let _ = writeln!(s, "\n### Per source style (dev)\n");
        let _ = writeln!(
            s,
            "| style | segments | irritant macro F1 | aspect macro F1 | sentiment macro F1 |\n|---|---|---|---|---|"
        );
        for (k, v) in &card.dev_by_style {
            let _ = writeln!(
                s,
                "| {k} | {} | {} | {} | {} |",
                v.n,
                fmt3(v.irritant_macro_f1),
                fmt3(v.aspect_macro_f1),
                fmt3(v.sentiment_macro_f1)
            );
        }
    }
    if let Some(a) = &card.dev_aspects {
        let _ = writeln!(
            s,
            "\n### Per aspect (dev)\n\nAspect macro F1 {} over the {} aspect labels present in dev, micro F1 {}.\n",
            fmt3(a.macro_f1),
            a.classes_in_gold,
            fmt3(a.micro_f1)
        );
        let _ = writeln!(s, "| aspect | precision | recall | F1 | support |\n|---|---|---|---|---|");
        for (k, c) in &a.per_class {
            let _ = writeln!(s, "| {k} | {} |", c.markdown_cells());
        }
    }
    if let Some(cv) = &card.cross_validation {
        let _ = writeln!(
            s,
            "\n## Cross-validation\n\n{} folds of the training data: irritant macro F1 {:.3} ± {:.3}, sentiment macro F1 {:.3} ± {:.3} (mean ± standard deviation over folds).",
            cv.folds, cv.irritant_macro_f1_mean, cv.irritant_macro_f1_std, cv.sentiment_macro_f1_mean, cv.sentiment_macro_f1_std
        );
    }
    let limits = if card.encoder.is_some() {
        "The heads read the encoder's sentence vector, which carries paraphrases the n-grams have not seen, beside the n-grams of the training data; the encoder itself is frozen. Sarcasm and long mixed sentences stay hard."
    } else {
        "The model knows the words and word pieces of its training data; paraphrases it has not seen, sarcasm and long mixed sentences are its weak points."
    };
    let _ = writeln!(
        s,
        "\n## Use and limits\n\nProbabilities are raw model outputs, not calibrated frequencies. {limits} Labels follow `TAXONOMY.md`."
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Irritant;

    fn seg(text: &str, irr: &[Irritant], s: Sentiment) -> LabelledSegment {
        LabelledSegment {
            id: text.into(),
            unit: text.into(),
            shape: crate::classify::labelled::Shape::Segment,
            lang: "fr".into(),
            style: crate::classify::labelled::SEGMENT_STYLE.into(),
            speaker: None,
            text: text.into(),
            irritants: irr.iter().copied().collect(),
            sentiment: s,
            aspects: None,
        }
    }

    fn toy_data() -> Vec<LabelledSegment> {
        use Irritant::*;
        use Sentiment::*;
        vec![
            seg("L'appli plante au paiement.", &[Digital], Negative),
            seg("Le site me déconnecte sans arrêt.", &[Digital], Negative),
            seg("Commande click and collect introuvable au comptoir.", &[PhygitalBridge], Negative),
            seg("La borne de caisse automatique a planté.", &[PhygitalBridge], Negative),
            seg("Le livreur a laissé le colis dehors.", &[ThirdParty], Negative),
            seg("Point relais fermé à 16h.", &[ThirdParty], Negative),
            seg("Vingt minutes d'attente en caisse.", &[Physical], Negative),
            seg("Aucun vendeur disponible en rayon.", &[Physical], Negative),
            seg("Vendeuse très souriante et efficace.", &[], Positive),
            seg("J'ai demandé la taille 40.", &[], Neutral),
        ]
    }

    #[test]
    fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
        let cfg = TrainConfig {
            features: FeatureConfig { bits: 14, ..FeatureConfig::default() },
            epochs: 5,
            ..TrainConfig::default()
        };
        let data = toy_data();
        let ex = Examples::new(&data);
        let lexicon = Lexicon::default();
        let a = fit(&ex, &cfg, &lexicon, None).unwrap().to_bytes();
        let b = fit(&ex, &cfg, &lexicon, None).unwrap().to_bytes();
        assert_eq!(a, b);
        let c = fit(&ex, &TrainConfig { seed: 7, ..cfg }, &lexicon, None).unwrap().to_bytes();
        assert_ne!(a, c);
    }

    #[test]
    fn learns_its_training_data() {
        let cfg = TrainConfig {
            features: FeatureConfig { bits: 16, ..FeatureConfig::default() },
            epochs: 30,
            ..TrainConfig::default()
        };
        let data = toy_data();
        let ex = Examples::new(&data);
        let model = fit(&ex, &cfg, &Lexicon::default(), None).unwrap();
        assert!(!model.layout().has_aspects(), "data without aspects trains no aspect heads");
        let s = score(&model, &ex, None);
        assert!(s.irritants.macro_f1.unwrap() > 0.9, "{s:?}");
        assert!(s.sentiment.accuracy > 0.9, "{s:?}");
    }

    #[test]
    fn learns_aspects_and_keeps_the_rule() {
        let cfg = TrainConfig {
            features: FeatureConfig { bits: 16, ..FeatureConfig::default() },
            epochs: 30,
            ..TrainConfig::default()
        };
        let aspect = |name: &str, polarity: &str| vec![AspectLabel::parse(name, polarity).unwrap()];
        let mut data = toy_data();
        let labels = [
            aspect("digital.app_website", "irritant"),
            aspect("digital.app_website", "irritant"),
            aspect("phygital_bridge.click_collect", "irritant"),
            aspect("phygital_bridge.in_store_device", "irritant"),
            aspect("third_party.delivery", "irritant"),
            aspect("third_party.pickup_point", "irritant"),
            aspect("physical.wait", "irritant"),
            aspect("physical.welcome", "irritant"),
            aspect("physical.welcome", "praise"),
            vec![],
        ];
        for (s, a) in data.iter_mut().zip(labels.iter()) {
            s.aspects = Some(a.clone());
        }
        let ex = Examples::new(&data);
        let model = fit(&ex, &cfg, &Lexicon::default(), None).unwrap();
        assert!(model.layout().has_aspects());
        let s = score(&model, &ex, None);
        assert!(s.aspects.as_ref().unwrap().micro_f1.unwrap() > 0.9, "{s:?}");
        for input in ex.inputs() {
            let p = model.predict(&input);
            let found: Vec<AspectLabel> = p.aspects.iter().map(|a| a.label).collect();
            assert_eq!(crate::taxonomy::irritants_of(&found), p.irritants, "{}", input.text);
        }
    }
}
