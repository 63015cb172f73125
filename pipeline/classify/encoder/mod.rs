//! The encoder backend: an ONNX transformer (multilingual-e5-small by default, or a
//! model of the user's) turns each segment into a vector, and heads turn the vector into
//! categories and a sentiment.
//!
//! A model directory holds `encoder.json` ([`config::EncoderConfig`]), the ONNX file(s),
//! `tokenizer.json`, and, for a trained head, a `heads/` directory written by
//! `irritant train --encoder DIR`. Those heads are the linear model's: they read the
//! encoder's sentence vector beside the hashed n-grams (see [`super::linear::DenseInput`]).
//!
//! Evidence for a trained head is an exact split of each category's logit: the n-gram
//! terms' contributions as in the linear model, plus, for mean pooling, each token's
//! share of the vector's contribution (the pooled vector is the mean of the token states,
//! so the head's linear term is a sum over tokens), added up per word. It costs no extra
//! encoder pass. The token states are contextual, so a word's share also carries what the
//! encoder read around it. A `logits` head gives probabilities without evidence.

pub mod config;
pub mod onnx;
pub mod runtime;

use std::path::Path;

use anyhow::{ensure, Context, Result};
use rayon::prelude::*;

use self::config::{EncoderConfig, HeadConfig, LabelMap, Pooling};
use self::onnx::{Encoded, EncoderOptions, OnnxEncoder};
use super::features::fold;
use super::linear::{argmax, hex_sha256, sigmoid, softmax3, LinearModel};
use super::{Classifier, Prediction};
use crate::taxonomy::{Irritant, IrritantSet, Sentiment};

/// Segments encoded per call to the encoder, bounding the token states held at once.
const CHUNK: usize = 1024;

/// A classifier made of an ONNX encoder and its heads.
pub struct EncoderClassifier {
    encoder: OnnxEncoder,
    head: Head,
    sha256: String,
}

enum Head {
    Trained { heads: Box<LinearModel>, directions: Option<[Vec<f32>; 4]> },
    Logits(LabelMap),
}

impl EncoderClassifier {
    /// Loads the encoder in `dir` (its `variant` ONNX file when given) and its heads.
    pub fn load(dir: &Path, variant: Option<&str>, opts: &EncoderOptions) -> Result<Self> {
        let config = EncoderConfig::load(dir)?;
        let head = match &config.head {
            HeadConfig::Trained { dir: heads_dir } => {
                let hdir = dir.join(heads_dir);
                ensure!(
                    hdir.join("model.irm").is_file(),
                    "{} has no trained heads: train them with `irritant train --encoder {} --data ... --dev ... --out {}`",
                    dir.display(),
                    dir.display(),
                    hdir.display()
                );
                let heads = LinearModel::load_dir(&hdir)?;
                let dense = heads.header.dense.as_ref().with_context(|| {
                    format!("{}: these heads read no encoder vector; they are a plain linear model", hdir.display())
                })?;
                ensure!(
                    dense.encoder == config.id,
                    "{}: heads trained on encoder {:?}, not {:?}",
                    hdir.display(),
                    dense.encoder,
                    config.id
                );
                let directions = if config.pooling == Pooling::Mean { heads.dense_directions() } else { None };
                Head::Trained { heads: Box::new(heads), directions }
            }
            HeadConfig::Logits { labels, thresholds } => Head::Logits(LabelMap::new(labels, thresholds)?),
        };
        let encoder = OnnxEncoder::load(dir, variant, opts)?;
        let width = encoder.encode(&["."], false)?[0].vector.len();
        match &head {
            Head::Trained { heads, .. } => {
                let dim = heads.header.dense.as_ref().map_or(0, |d| d.dim());
                ensure!(width == dim, "the encoder gives vectors of {width} values, the heads read {dim}");
            }
            Head::Logits(map) => {
                ensure!(width == map.width, "the model outputs {width} logits, head.labels names {}", map.width)
            }
        }
        let heads_sha = match &head {
            Head::Trained { heads, .. } => heads.sha256().to_string(),
            Head::Logits(_) => String::new(),
        };
        let sha256 = hex_sha256(format!("{}{}", encoder.sha256, heads_sha).as_bytes());
        Ok(EncoderClassifier { encoder, head, sha256 })
    }

    /// The encoder, e.g. to embed texts for training heads.
    pub fn encoder(&self) -> &OnnxEncoder {
        &self.encoder
    }

    fn predict(&self, text: &str, e: &Encoded) -> Prediction {
        match &self.head {
            Head::Trained { heads, directions } => {
                let extra = match directions {
                    Some(u) if !e.states.is_empty() => word_contributions(text, e, u),
                    _ => Vec::new(),
                };
                heads.predict_with(text, Some(&e.vector), extra)
            }
            Head::Logits(map) => {
                let z = &e.vector;
                let irritant_probs: [f32; 4] = std::array::from_fn(|c| sigmoid(z[map.irritant_columns[c]]));
                let sentiment_probs = softmax3(std::array::from_fn(|s| z[map.sentiment_columns[s]]));
                let irritants: IrritantSet = Irritant::ALL
                    .into_iter()
                    .filter(|c| irritant_probs[c.index()] >= map.thresholds[c.index()])
                    .collect();
                Prediction {
                    irritant_probs,
                    irritants,
                    sentiment_probs,
                    sentiment: Sentiment::ALL[argmax(&sentiment_probs)],
                    evidence: Vec::new(),
                }
            }
        }
    }
}

impl Classifier for EncoderClassifier {
    fn id(&self) -> &str {
        &self.encoder.name
    }
    fn sha256(&self) -> &str {
        &self.sha256
    }
    fn classify_batch(&self, texts: &[&str]) -> Result<Vec<Prediction>> {
        let with_states = matches!(&self.head, Head::Trained { directions: Some(_), .. });
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(CHUNK) {
            let encoded = self.encoder.encode(chunk, with_states)?;
            out.par_extend(chunk.par_iter().zip(&encoded).map(|(t, e)| self.predict(t, e)));
        }
        Ok(out)
    }
}

/// Each word's share of the vector's contribution to the four irritant logits: token `t`
/// adds `u · state_t / (n · norm)` for mean pooling over `n` tokens of a vector of norm
/// `norm`; tokens are credited to the word (run of letters and digits) they start in.
fn word_contributions(text: &str, e: &Encoded, u: &[Vec<f32>; 4]) -> Vec<(String, [f32; 4])> {
    let hidden = u[0].len();
    let n = e.offsets.len();
    if n == 0 || e.states.len() != n * hidden {
        return Vec::new();
    }
    let words = word_spans(text);
    let mut per_word = vec![[0f32; 4]; words.len()];
    let scale = 1.0 / (n as f32 * e.norm);
    for (t, off) in e.offsets.iter().enumerate() {
        let Some((a, b)) = *off else { continue };
        let Some(w) = words.iter().position(|&(ws, we)| a < we && b > ws) else { continue };
        let state = &e.states[t * hidden..(t + 1) * hidden];
        for (h, dir) in u.iter().enumerate() {
            per_word[w][h] += dir.iter().zip(state).map(|(x, y)| x * y).sum::<f32>() * scale;
        }
    }
    words
        .into_iter()
        .zip(per_word)
        .map(|((a, b), c)| {
            let mut term = fold(&text[a..b]);
            if text[b..].starts_with(['\'', '\u{2019}']) {
                term.push('\'');
            }
            (term, c)
        })
        .collect()
}

/// Byte ranges of the runs of letters and digits of `text`.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_spans_are_letter_and_digit_runs() {
        let t = "L'appli plante, 12 fois!";
        let w: Vec<&str> = word_spans(t).into_iter().map(|(a, b)| &t[a..b]).collect();
        assert_eq!(w, vec!["L", "appli", "plante", "12", "fois"]);
    }

    #[test]
    fn token_shares_sum_to_the_vector_contribution() {
        // Two words, three tokens (one a special with no offsets), hidden size 2.
        let text = "colis perdu";
        let states = vec![1.0, 0.0, 2.0, 1.0, 0.5, 3.0];
        let e = Encoded { vector: vec![], states, offsets: vec![None, Some((0, 5)), Some((6, 11))], norm: 2.0 };
        let u = [vec![1.0, 1.0], vec![0.0, 1.0], vec![1.0, 0.0], vec![0.0, 0.0]];
        let c = word_contributions(text, &e, &u);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].0, "colis");
        assert_eq!(c[1].0, "perdu");
        // Token 1 (state [2, 1]) over n = 3 tokens and norm 2: u0 gives 3 / 6.
        assert!((c[0].1[0] - 0.5).abs() < 1e-6);
        assert!((c[1].1[1] - 0.5).abs() < 1e-6);
        assert!((c[1].1[2] - 0.5 / 6.0).abs() < 1e-6);
    }
}
