//! Trains the linear model from labelled segments, tunes each category's decision
//! threshold on a dev split, and writes a model directory with its card.
//!
//! Training is sequential AdaGrad over a seeded shuffle (SplitMix64), so the same data,
//! configuration and seed give byte-identical model files on any machine. The dev split
//! is used for the thresholds and the card's metrics, never for the weights; because the
//! thresholds are tuned on it, the dev metrics are slightly optimistic, and a model's
//! quality is judged on a test split it has never seen.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use serde::{Deserialize, Serialize};

use super::features::{extract, FeatureConfig, Features};
use super::labelled::LabelledSegment;
use super::linear::{heads_to_probs, DenseInput, LinearModel, ModelHeader, HEADS};
use super::metrics::{fmt3, irritant_scores, sentiment_scores, IrritantScores, SentimentScores};
use crate::digest::sha256_file;
use crate::normalise::normalise;
use crate::taxonomy::{Irritant, IrritantSet, Sentiment};
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
    /// Per-category thresholds, tuned on the dev split (0.5 without one).
    pub thresholds: std::collections::BTreeMap<String, f32>,
    pub train_label_counts: std::collections::BTreeMap<String, usize>,
    pub dev_irritants: Option<IrritantScores>,
    pub dev_sentiment: Option<SentimentScores>,
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
    for fold in 0..k {
        let (mut fit_on, mut held) = (Vec::new(), Vec::new());
        for (i, s) in data.iter().enumerate() {
            if fold_of[unit_of[i]] == fold {
                held.push(s.clone());
            } else {
                fit_on.push(s.clone());
            }
        }
        let mut model = fit(&fit_on, cfg, None)?;
        if !dev.is_empty() {
            model.header.thresholds = tune_thresholds(&model, dev, None);
        }
        let (i, s) = score(&model, &held, None);
        // A fold with nothing to measure (possible only on tiny data) is left out.
        irr.extend(i.macro_f1);
        sent.extend(s.macro_f1);
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

/// SplitMix64: a tiny, fixed PRNG so shuffles are identical everywhere.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

fn featurise(data: &[LabelledSegment], cfg: &FeatureConfig) -> Vec<Features> {
    data.iter().map(|s| extract(&normalise(&s.text).text, cfg)).collect()
}

fn targets(s: &LabelledSegment) -> [f32; HEADS] {
    let mut y = [0f32; HEADS];
    for c in s.irritants.iter() {
        y[c.index()] = 1.0;
    }
    y[4 + s.sentiment.index()] = 1.0;
    y
}

/// Dense vectors for heads that read an encoder's embedding beside the n-grams: the
/// standardisation (fitted on `train`) and one vector per segment of each split.
pub struct DenseData<'a> {
    pub input: DenseInput,
    pub train: &'a [Vec<f32>],
    pub dev: &'a [Vec<f32>],
}

/// Fits the weights (thresholds at 0.5); see [`train`] for the whole procedure. With
/// `dense`, each segment's vector (same order as `data`) is read beside its n-grams.
pub fn fit(
    data: &[LabelledSegment],
    cfg: &TrainConfig,
    dense: Option<(&DenseInput, &[Vec<f32>])>,
) -> Result<LinearModel> {
    ensure!(!data.is_empty(), "no training data");
    if let Some((_, vectors)) = dense {
        ensure!(vectors.len() == data.len(), "{} vectors for {} segments", vectors.len(), data.len());
    }
    let feats = featurise(data, &cfg.features);
    let header = ModelHeader {
        id: cfg.id.clone(),
        features: cfg.features,
        thresholds: [0.5; 4],
        bias: [0.0; HEADS],
        dense: dense.map(|(input, _)| input.clone()),
    };
    let base = 1usize << cfg.features.bits;
    let rows = header.rows();
    let mut w = vec![0f32; rows * HEADS];
    let mut g2 = vec![0f32; rows * HEADS];
    let mut bias = [0f32; HEADS];
    let mut bias_g2 = [0f32; HEADS];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = SplitMix64(cfg.seed);
    let eps = 1e-8f32;
    // (row, value) of every feature of every segment: the hashed buckets, then the dense part.
    let inputs: Vec<Vec<(usize, f32)>> = feats
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut x: Vec<(usize, f32)> = f.buckets.iter().zip(&f.values).map(|(&b, &v)| (b as usize, v)).collect();
            if let Some((input, vectors)) = dense {
                x.extend((0..input.dim()).map(|d| (base + d, input.value(&vectors[i], d))));
            }
            x
        })
        .collect();
    for _ in 0..cfg.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for &i in &order {
            let y = targets(&data[i]);
            let mut z = bias;
            for &(r, v) in &inputs[i] {
                let row = &w[r * HEADS..(r + 1) * HEADS];
                for h in 0..HEADS {
                    z[h] += row[h] * v;
                }
            }
            let (pi, ps) = heads_to_probs(&z);
            let mut grad = [0f32; HEADS];
            for h in 0..4 {
                grad[h] = pi[h] - y[h];
            }
            for h in 0..3 {
                grad[4 + h] = ps[h] - y[4 + h];
            }
            for h in 0..HEADS {
                bias_g2[h] += grad[h] * grad[h];
                bias[h] -= cfg.learning_rate * grad[h] / (bias_g2[h].sqrt() + eps);
            }
            for &(r, v) in &inputs[i] {
                let base = r * HEADS;
                for h in 0..HEADS {
                    let g = grad[h] * v + cfg.l2 * w[base + h];
                    g2[base + h] += g * g;
                    w[base + h] -= cfg.learning_rate * g / (g2[base + h].sqrt() + eps);
                }
            }
        }
    }
    Ok(LinearModel::new(ModelHeader { bias, ..header }, w))
}

/// For each category, the threshold in 0.05..=0.95 (steps of 0.01) that maximises F1 on
/// the dev split; among equal F1s the one closest to 0.5. `dense` holds the dev vectors
/// for heads that read them.
pub fn tune_thresholds(model: &LinearModel, dev: &[LabelledSegment], dense: Option<&[Vec<f32>]>) -> [f32; 4] {
    let probs: Vec<[f32; 4]> = dev
        .iter()
        .enumerate()
        .map(|(i, s)| model.probabilities(&normalise(&s.text).text, dense.map(|d| d[i].as_slice())).0)
        .collect();
    let mut out = [0.5f32; 4];
    for c in Irritant::ALL {
        let mut best = (f64::MIN, f32::MAX, 0.5f32);
        for step in 5..=95 {
            let t = step as f32 / 100.0;
            let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
            for (p, s) in probs.iter().zip(dev) {
                match (p[c.index()] >= t, s.irritants.contains(c)) {
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
        out[c.index()] = best.2;
    }
    out
}

/// Scores a model on labelled segments (with their vectors, for heads that read them).
pub fn score(
    model: &LinearModel,
    data: &[LabelledSegment],
    dense: Option<&[Vec<f32>]>,
) -> (IrritantScores, SentimentScores) {
    let preds: Vec<_> = data
        .iter()
        .enumerate()
        .map(|(i, s)| model.predict_with(&normalise(&s.text).text, dense.map(|d| d[i].as_slice()), Vec::new()))
        .collect();
    let gold_i: Vec<IrritantSet> = data.iter().map(|s| s.irritants).collect();
    let pred_i: Vec<IrritantSet> = preds.iter().map(|p| p.irritants).collect();
    let gold_s: Vec<Sentiment> = data.iter().map(|s| s.sentiment).collect();
    let pred_s: Vec<Sentiment> = preds.iter().map(|p| p.sentiment).collect();
    (irritant_scores(&gold_i, &pred_i), sentiment_scores(&gold_s, &pred_s))
}

/// Fits on `train`, tunes thresholds on `dev` when given, and builds the card. With
/// `dense`, the heads read an encoder's vectors beside the n-grams.
pub fn train(
    train: &[LabelledSegment],
    train_files: Vec<DataFile>,
    dev: &[LabelledSegment],
    dev_files: Vec<DataFile>,
    cfg: &TrainConfig,
    dense: Option<DenseData>,
) -> Result<(LinearModel, ModelCard)> {
    let mut model = fit(train, cfg, dense.as_ref().map(|d| (&d.input, d.train)))?;
    let dev_vectors = dense.as_ref().map(|d| d.dev);
    if !dev.is_empty() {
        model.header.thresholds = tune_thresholds(&model, dev, dev_vectors);
        model = LinearModel::new(model.header.clone(), std::mem::take(&mut model.weights));
    }
    let (dev_irritants, dev_sentiment) = if dev.is_empty() {
        (None, None)
    } else {
        let (i, s) = score(&model, dev, dev_vectors);
        (Some(i), Some(s))
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
    }
    let (kind, encoder) = match &dense {
        None => ("linear hashed n-grams (one-vs-rest logistic irritant heads, softmax sentiment)".to_string(), None),
        Some(d) => (
            format!(
                "linear heads over the {} sentence embedding (weight {}) and hashed n-grams (one-vs-rest logistic irritant heads, softmax sentiment)",
                d.input.encoder, d.input.weight
            ),
            Some(format!("{} (sha256 {})", d.input.encoder, d.input.encoder_sha256)),
        ),
    };
    let card = ModelCard {
        id: cfg.id.clone(),
        kind,
        format_version: super::linear::FORMAT_VERSION,
        model_sha256: super::Classifier::sha256(&model).to_string(),
        irritant_version: env!("CARGO_PKG_VERSION").to_string(),
        hyperparameters: cfg.clone(),
        train_data: train_files,
        dev_data: dev_files,
        thresholds: Irritant::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), model.header.thresholds[c.index()]))
            .collect(),
        train_label_counts: counts,
        dev_irritants,
        dev_sentiment,
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

/// The card as Markdown for people.
pub fn render_card(card: &ModelCard) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# Model card: `{}`\n", card.id);
    let _ = writeln!(s, "- Kind: {}", card.kind);
    let _ = writeln!(s, "- File format: `model.irm` version {}", card.format_version);
    let _ = writeln!(s, "- SHA-256 of `model.irm`: `{}`", card.model_sha256);
    let _ = writeln!(s, "- Trained by irritant {}", card.irritant_version);
    if let Some(e) = &card.encoder {
        let _ = writeln!(s, "- Encoder: {e}");
    }
    let h = &card.hyperparameters;
    let _ = writeln!(
        s,
        "- Hyper-parameters: {} hash bits, word n-grams 1..{}, character n-grams {}..{} weighted {}, {} epochs of AdaGrad, learning rate {}, L2 {}, seed {}\n",
        h.features.bits, h.features.word_ngrams, h.features.char_min, h.features.char_max, h.features.char_weight, h.epochs, h.learning_rate, h.l2, h.seed
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
    for (k, v) in &card.thresholds {
        let _ = writeln!(s, "- `{k}`: {v:.2}");
    }
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
        let a = fit(&data, &cfg, None).unwrap().to_bytes();
        let b = fit(&data, &cfg, None).unwrap().to_bytes();
        assert_eq!(a, b);
        let c = fit(&data, &TrainConfig { seed: 7, ..cfg }, None).unwrap().to_bytes();
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
        let model = fit(&data, &cfg, None).unwrap();
        let (i, s) = score(&model, &data, None);
        assert!(i.macro_f1.unwrap() > 0.9, "{i:?}");
        assert!(s.accuracy > 0.9, "{s:?}");
    }
}
