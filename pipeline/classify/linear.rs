//! The default classifier: a linear model over hashed word and character n-grams, with
//! one logistic head per irritant category (one-vs-rest) and a softmax head for sentiment.
//!
//! A model is a directory holding `model.irm` (the weights) and `card.json` (how it was
//! trained and how well it did on the dev split; `MODEL_CARD.md` is the same for people).
//! `model.irm` is versioned: the magic `IRLM`, a little-endian `u32` format version, then
//! a zstd frame holding a JSON header ([`ModelHeader`]) and the non-zero weight rows, each
//! a bucket index and one `f32` per head, sorted by bucket. The default model is compiled
//! into the binary, so `irritant run` needs no file at run time.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};

use super::features::{extract, FeatureConfig};
use super::{Classifier, Evidence, Prediction};
use crate::digest::hex_sha256;
use crate::taxonomy::{Irritant, IrritantSet, Sentiment};

/// Heads: the four irritant categories, then the three sentiments.
pub const HEADS: usize = 7;
const SENTIMENT0: usize = 4;
const MAGIC: &[u8; 4] = b"IRLM";
/// Version of the `model.irm` layout this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// What inference needs besides the weights; stored at the start of `model.irm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    pub id: String,
    pub features: FeatureConfig,
    /// Decision threshold of each irritant head, in [`Irritant::ALL`] order.
    pub thresholds: [f32; 4],
    /// Bias of each head: four irritant heads, then three sentiment heads.
    pub bias: [f32; HEADS],
    /// The dense input read beside the n-grams, for heads trained on an encoder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense: Option<DenseInput>,
}

/// A dense vector read by the heads: component `d` of a vector `e` enters as the feature
/// `weight * (e[d] - mean[d]) * inv_std[d]`, standardised on the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenseInput {
    /// The encoder whose vectors these are (its id and SHA-256), so heads are not used on
    /// the vectors of another model.
    pub encoder: String,
    pub encoder_sha256: String,
    pub weight: f32,
    pub mean: Vec<f32>,
    pub inv_std: Vec<f32>,
}

impl DenseInput {
    /// The standardisation of `vectors` (per-component mean and inverse standard
    /// deviation), for the vectors of `encoder`, weighted `weight`.
    pub fn standardise(encoder: &str, encoder_sha256: &str, weight: f32, vectors: &[Vec<f32>]) -> Self {
        let dim = vectors.first().map_or(0, Vec::len);
        let n = vectors.len().max(1) as f64;
        let mut mean = vec![0f64; dim];
        for v in vectors {
            for (m, x) in mean.iter_mut().zip(v) {
                *m += *x as f64 / n;
            }
        }
        let mut var = vec![0f64; dim];
        for v in vectors {
            for ((s, x), m) in var.iter_mut().zip(v).zip(&mean) {
                *s += (*x as f64 - m).powi(2) / n;
            }
        }
        DenseInput {
            encoder: encoder.to_string(),
            encoder_sha256: encoder_sha256.to_string(),
            weight,
            mean: mean.iter().map(|m| *m as f32).collect(),
            inv_std: var.iter().map(|v| (1.0 / (v.sqrt() + 1e-6)) as f32).collect(),
        }
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// The feature value of component `d` of `e`.
    pub fn value(&self, e: &[f32], d: usize) -> f32 {
        self.weight * (e[d] - self.mean[d]) * self.inv_std[d]
    }
}

impl ModelHeader {
    /// Rows of the weight table: the hashed buckets, then one per dense component.
    pub fn rows(&self) -> usize {
        (1usize << self.features.bits) + self.dense.as_ref().map_or(0, DenseInput::dim)
    }
}

/// A linear model ready for inference. Weights are held dense (`2^bits` rows of
/// [`HEADS`] floats), which keeps lookups a single index.
#[derive(Debug, Clone)]
pub struct LinearModel {
    pub header: ModelHeader,
    pub weights: Vec<f32>,
    sha256: String,
}

static EMBEDDED_MODEL: &[u8] = include_bytes!("../../models/linear-fr-en/model.irm");

impl LinearModel {
    /// Builds a model from trained parts; its hash is that of its serialised form.
    pub fn new(header: ModelHeader, weights: Vec<f32>) -> Self {
        let mut m = LinearModel { header, weights, sha256: String::new() };
        m.sha256 = hex_sha256(&m.to_bytes());
        m
    }

    /// The model compiled into the binary (`models/linear-fr-en`).
    pub fn embedded_default() -> Result<Self> {
        Self::from_bytes(EMBEDDED_MODEL).context("the embedded default model is unreadable")
    }

    /// Loads `model.irm` from a model directory.
    pub fn load_dir(dir: &Path) -> Result<Self> {
        let path = dir.join("model.irm");
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("{} is not a valid model file", path.display()))
    }

    /// Parses the `model.irm` format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        ensure!(bytes.len() >= 8 && &bytes[..4] == MAGIC, "missing the IRLM magic");
        let version = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
        if version != FORMAT_VERSION {
            bail!("model format version {version}, this build reads version {FORMAT_VERSION}");
        }
        let mut payload = Vec::new();
        zstd::stream::read::Decoder::new(&bytes[8..])?.read_to_end(&mut payload)?;
        let mut cur = payload.as_slice();
        let header_len = take_u32(&mut cur)? as usize;
        ensure!(cur.len() >= header_len, "truncated header");
        let header: ModelHeader = serde_json::from_slice(&cur[..header_len])?;
        cur = &cur[header_len..];
        ensure!(header.features.bits <= 24, "hash bits {} out of range", header.features.bits);
        if let Some(d) = &header.dense {
            ensure!(d.inv_std.len() == d.dim(), "dense input: {} means but {} scales", d.dim(), d.inv_std.len());
        }
        let rows = header.rows();
        let mut weights = vec![0f32; rows * HEADS];
        let n = take_u32(&mut cur)? as usize;
        ensure!(cur.len() == n * 4 * (1 + HEADS), "weight table has the wrong size");
        for _ in 0..n {
            let idx = take_u32(&mut cur)? as usize;
            ensure!(idx < rows, "bucket {idx} out of range");
            for h in 0..HEADS {
                weights[idx * HEADS + h] = f32::from_le_bytes(take4(&mut cur)?);
            }
        }
        Ok(LinearModel { header, weights, sha256: hex_sha256(bytes) })
    }

    /// Serialises to the `model.irm` format; the same model always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut payload = Vec::new();
        let header = serde_json::to_vec(&self.header).expect("header serialises");
        payload.extend_from_slice(&(header.len() as u32).to_le_bytes());
        payload.extend_from_slice(&header);
        let rows: Vec<usize> = (0..self.header.rows())
            .filter(|r| self.weights[r * HEADS..(r + 1) * HEADS].iter().any(|w| *w != 0.0))
            .collect();
        payload.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        for r in rows {
            payload.extend_from_slice(&(r as u32).to_le_bytes());
            for w in &self.weights[r * HEADS..(r + 1) * HEADS] {
                payload.extend_from_slice(&w.to_le_bytes());
            }
        }
        let mut out = Vec::with_capacity(payload.len() / 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let mut enc = zstd::stream::write::Encoder::new(out, 19).expect("zstd encoder");
        enc.write_all(&payload).expect("in-memory write");
        enc.finish().expect("in-memory write")
    }

    /// Raw logits of every head for a text (and its dense vector, for heads that read
    /// one), and the per-term contributions to the irritant heads (used for evidence).
    fn logits(
        &self,
        text: &str,
        dense: Option<&[f32]>,
        with_terms: bool,
    ) -> ([f32; HEADS], Vec<String>, Vec<[f32; 4]>) {
        let f = extract(text, &self.header.features);
        let mut z = self.header.bias;
        let mut per_term = if with_terms { vec![[0f32; 4]; f.terms.len()] } else { Vec::new() };
        for ((&b, &t), &v) in f.buckets.iter().zip(&f.term_of).zip(&f.values) {
            let w = &self.weights[b as usize * HEADS..(b as usize + 1) * HEADS];
            for h in 0..HEADS {
                z[h] += w[h] * v;
            }
            if with_terms && t != u32::MAX {
                for (h, c) in per_term[t as usize].iter_mut().enumerate() {
                    *c += w[h] * v;
                }
            }
        }
        if let (Some(input), Some(e)) = (&self.header.dense, dense) {
            let base = 1usize << self.header.features.bits;
            for d in 0..input.dim() {
                let v = input.value(e, d);
                let w = &self.weights[(base + d) * HEADS..(base + d + 1) * HEADS];
                for h in 0..HEADS {
                    z[h] += w[h] * v;
                }
            }
        }
        (z, f.terms, per_term)
    }

    /// Probabilities of every head: sigmoid for the irritant heads, softmax for sentiment.
    pub fn probabilities(&self, text: &str, dense: Option<&[f32]>) -> ([f32; 4], [f32; 3]) {
        let (z, _, _) = self.logits(text, dense, false);
        heads_to_probs(&z)
    }

    /// For each irritant head, the direction `u` in the dense space and the offset `b`
    /// such that the head's logit moves by `u · e - b` with the vector `e`
    /// (standardisation folded in); used to split that contribution over the tokens an
    /// encoder pooled.
    pub fn dense_directions(&self) -> Option<([Vec<f32>; 4], [f32; 4])> {
        let input = self.header.dense.as_ref()?;
        let base = 1usize << self.header.features.bits;
        let u: [Vec<f32>; 4] = std::array::from_fn(|h| {
            (0..input.dim()).map(|d| self.weights[(base + d) * HEADS + h] * input.weight * input.inv_std[d]).collect()
        });
        let b = std::array::from_fn(|h| u[h].iter().zip(&input.mean).map(|(x, m)| x * m).sum());
        Some((u, b))
    }

    /// Classifies one normalised segment of a model without dense input.
    pub fn predict(&self, text: &str) -> Prediction {
        self.predict_with(text, None, Vec::new())
    }

    /// Classifies one normalised segment. `dense` is its vector, for heads that read one;
    /// `extra_terms` are further per-term contributions to the irritant logits (an
    /// encoder's words), merged with the n-gram terms for the evidence.
    pub fn predict_with(&self, text: &str, dense: Option<&[f32]>, extra_terms: Vec<(String, [f32; 4])>) -> Prediction {
        let (z, mut terms, mut per_term) = self.logits(text, dense, true);
        for (t, c) in extra_terms {
            terms.push(t);
            per_term.push(c);
        }
        let (irritant_probs, sentiment_probs) = heads_to_probs(&z);
        let irritants: IrritantSet = Irritant::ALL
            .into_iter()
            .filter(|c| irritant_probs[c.index()] >= self.header.thresholds[c.index()])
            .collect();
        let sentiment = Sentiment::ALL[argmax(&sentiment_probs)];
        let mut evidence = Vec::new();
        // A term that occurs twice counts once, with its contributions summed.
        let mut distinct: Vec<(usize, [f32; 4])> = Vec::new();
        if !irritants.is_empty() {
            let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            for (t, w) in per_term.iter().enumerate() {
                match first.get(terms[t].as_str()) {
                    Some(&k) => {
                        for (sum, x) in distinct[k].1.iter_mut().zip(w) {
                            *sum += x;
                        }
                    }
                    None => {
                        first.insert(terms[t].as_str(), distinct.len());
                        distinct.push((t, *w));
                    }
                }
            }
        }
        for c in irritants.iter() {
            evidence.extend(Evidence::strongest(c, distinct.iter().map(|(t, w)| (terms[*t].as_str(), w))));
        }
        Prediction { irritant_probs, irritants, sentiment_probs, sentiment, evidence, aspects: Vec::new() }
    }
}

impl Classifier for LinearModel {
    fn id(&self) -> &str {
        &self.header.id
    }
    fn sha256(&self) -> &str {
        &self.sha256
    }
    fn classify_batch(&self, texts: &[&str]) -> Result<Vec<Prediction>> {
        use rayon::prelude::*;
        Ok(texts.par_iter().map(|t| self.predict(t)).collect())
    }
}

/// Sigmoid of the irritant logits and softmax of the sentiment logits.
pub fn heads_to_probs(z: &[f32; HEADS]) -> ([f32; 4], [f32; 3]) {
    let mut irr = [0f32; 4];
    for (p, &l) in irr.iter_mut().zip(&z[..SENTIMENT0]) {
        *p = sigmoid(l);
    }
    (irr, softmax3([z[4], z[5], z[6]]))
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

pub fn softmax3(z: [f32; 3]) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = z.map(|v| (v - m).exp());
    let s: f32 = e.iter().sum();
    e.map(|v| v / s)
}

/// Index of the largest value; the first one wins a tie.
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

fn take_u32(cur: &mut &[u8]) -> Result<u32> {
    Ok(u32::from_le_bytes(take4(cur)?))
}

fn take4(cur: &mut &[u8]) -> Result<[u8; 4]> {
    ensure!(cur.len() >= 4, "unexpected end of model file");
    let (a, rest) = cur.split_at(4);
    *cur = rest;
    Ok(a.try_into().unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> LinearModel {
        let features = FeatureConfig { bits: 10, ..FeatureConfig::default() };
        let mut weights = vec![0f32; (1 << 10) * HEADS];
        let f = extract("caisse", &features);
        for &b in &f.buckets[1..] {
            weights[b as usize * HEADS + Irritant::Physical.index()] = 2.0;
            weights[b as usize * HEADS + SENTIMENT0] = 1.0;
        }
        LinearModel::new(
            ModelHeader {
                id: "toy".into(),
                features,
                thresholds: [0.5; 4],
                bias: [-1.0, -1.0, -1.0, -1.0, 0.0, 0.0, 0.0],
                dense: None,
            },
            weights,
        )
    }

    #[test]
    fn file_format_round_trips_byte_for_byte() {
        let m = toy();
        let bytes = m.to_bytes();
        let back = LinearModel::from_bytes(&bytes).unwrap();
        assert_eq!(back.header, m.header);
        assert_eq!(back.weights, m.weights);
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.sha256(), m.sha256());
    }

    #[test]
    fn rejects_other_versions_and_garbage() {
        let mut bytes = toy().to_bytes();
        bytes[4] = 9;
        let err = LinearModel::from_bytes(&bytes).unwrap_err().to_string();
        assert!(err.contains("version 9"), "{err}");
        assert!(LinearModel::from_bytes(b"PAR1....").is_err());
    }

    #[test]
    fn evidence_names_the_term_that_fired() {
        let m = toy();
        let p = m.predict("Attente en caisse");
        assert!(p.irritants.contains(Irritant::Physical));
        assert!(!p.irritants.contains(Irritant::Digital));
        assert_eq!(p.evidence[0].term, "caisse");
        assert_eq!(p.evidence[0].irritant, Irritant::Physical);
        assert_eq!(p.sentiment, Sentiment::Negative);
        let s: f32 = p.sentiment_probs.iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }

    #[test]
    fn a_repeated_term_is_one_piece_of_evidence() {
        let p = toy().predict("Caisse fermée, attente en caisse");
        let caisse: Vec<_> = p.evidence.iter().filter(|e| e.term == "caisse").collect();
        assert_eq!(caisse.len(), 1);
        let once = toy().predict("Attente en caisse");
        assert!(caisse[0].weight > once.evidence[0].weight);
    }

    #[test]
    fn embedded_default_loads_and_finds_obvious_irritants() {
        let m = LinearModel::embedded_default().unwrap();
        let p = m.predict("L'appli plante à chaque fois que je veux payer.");
        assert!(p.irritants.contains(Irritant::Digital), "{p:?}");
        let p = m.predict("Le livreur a laissé le colis devant la porte sans sonner.");
        assert!(p.irritants.contains(Irritant::ThirdParty), "{p:?}");
    }
}
