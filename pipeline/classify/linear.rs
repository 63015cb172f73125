//! The default classifier: a linear model over hashed word and character n-grams, with
//! one logistic head per irritant category (one-vs-rest) and a softmax head for sentiment.
//!
//! A model is a directory holding `model.irm` (the weights) and `card.json` (how it was
//! trained and how well it did on the dev split; `MODEL_CARD.md` is the same for people).
//! `model.irm` is versioned: the magic `IRLM`, a little-endian `u32` format version, then
//! a zstd frame holding a JSON header ([`ModelHeader`]) and the non-zero weight rows, each
//! a bucket index and one `f32` per head, sorted by bucket. The default model is compiled
//! into the binary, so `irritant run` needs no file at run time.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};

use super::features::{written, Extractor, FeatureConfig, Features, FnvKey, Lexicon};
use super::heads::HeadLayout;
use super::{Classifier, Evidence, Prediction, SegmentInput, Term};
use crate::digest::hex_sha256;
use crate::taxonomy::Irritant;

const MAGIC: &[u8; 4] = b"IRLM";
/// Segments a worker classifies in order, reusing each one's prepared text as the next
/// one's context.
const CLASSIFY_CHUNK: usize = 256;
/// Version of the `model.irm` layout this build writes; it also reads version 1.
pub const FORMAT_VERSION: u32 = 2;

/// What inference needs besides the weights; stored at the start of `model.irm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    pub id: String,
    pub features: FeatureConfig,
    /// The heads, by name, in output order ([`HeadLayout`]).
    pub heads: Vec<String>,
    /// Decision threshold of each head (unused for the sentiment heads, which take the
    /// most probable).
    pub thresholds: Vec<f32>,
    /// Bias of each head.
    pub bias: Vec<f32>,
    /// Names whose kind is a feature.
    #[serde(default)]
    pub lexicon: Lexicon,
    /// The dense input read beside the n-grams, for heads trained on an encoder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense: Option<DenseInput>,
    /// Step of each head's 8-bit weights: a stored `q` stands for `q * scale`.
    #[serde(default)]
    pub scales: Vec<f32>,
}

/// The header of format 1: four category heads and three sentiment heads, in that order.
#[derive(Deserialize)]
struct HeaderV1 {
    id: String,
    features: FeatureConfig,
    thresholds: [f32; 4],
    bias: [f32; 7],
    #[serde(default)]
    dense: Option<DenseInput>,
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
    /// The vectors read a segment after its context, as a sentence pair
    /// ([`crate::classify::encoder::onnx::OnnxEncoder::encode_segments`]).
    #[serde(default)]
    pub pairs: bool,
}

impl DenseInput {
    /// The standardisation of `vectors` (per-component mean and inverse standard
    /// deviation), for the vectors of `encoder`, weighted `weight`.
    pub fn standardise(encoder: &str, encoder_sha256: &str, weight: f32, pairs: bool, vectors: &[Vec<f32>]) -> Self {
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
            pairs,
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

/// The weight table, quantised to 8 bits a weight: the rows that have a non-zero weight,
/// each with one value per head, and for every row of the table the position of its
/// stored row. Most buckets of a 2^20 table are never hit, and most weights are small: a
/// 51-head model stores 3 MB and holds about 30 MB in memory instead of the 214 MB of a
/// dense `f32` table. Rows stay 8-bit in memory too, each padded to a power of two and
/// aligned so that a row of up to 64 heads sits in one cache line: fetching rows, not
/// multiplying, is what inference spends its time on.
#[derive(Debug)]
struct Weights {
    heads: usize,
    /// For each table row, its index among the stored rows (`u32::MAX`: all zero).
    row_of: Vec<u32>,
    /// Stored rows, `stride` bytes apart from the first 64-byte boundary of the buffer;
    /// the first `heads` of each are the weights `q × scales[h]`.
    values: Vec<i8>,
    scales: Vec<f32>,
}

impl Clone for Weights {
    /// A copy whose rows sit at the boundary of its own buffer.
    fn clone(&self) -> Self {
        let n = self.stored_rows();
        let mut w = Weights {
            heads: self.heads,
            row_of: self.row_of.clone(),
            values: row_buffer(n, self.heads),
            scales: self.scales.clone(),
        };
        for i in 0..n {
            w.row_mut(i).copy_from_slice(self.stored(i));
        }
        w
    }
}

impl PartialEq for Weights {
    fn eq(&self, other: &Self) -> bool {
        self.heads == other.heads
            && self.row_of == other.row_of
            && self.scales == other.scales
            && self.stored_rows() == other.stored_rows()
            && (0..self.stored_rows()).all(|i| self.stored(i) == other.stored(i))
    }
}

/// Bytes between stored rows of `heads` weights.
fn stride(heads: usize) -> usize {
    heads.next_power_of_two().max(1)
}

/// A buffer for `rows` stored rows, with room to start them at a 64-byte boundary.
fn row_buffer(rows: usize, heads: usize) -> Vec<i8> {
    vec![0; rows * stride(heads) + 63]
}

impl Weights {
    /// Quantises dense `f32` weights (`rows × heads`, row-major): each head's step is its
    /// largest absolute weight over 127, and a weight rounds to the nearest step.
    fn quantise(dense: &[f32], heads: usize) -> Self {
        let rows = dense.len() / heads;
        let scales: Vec<f32> = (0..heads)
            .map(|h| {
                let max = (0..rows).map(|r| dense[r * heads + h].abs()).fold(0f32, f32::max);
                if max > 0.0 {
                    max / 127.0
                } else {
                    1.0
                }
            })
            .collect();
        let mut row_of = vec![u32::MAX; rows];
        let mut kept: Vec<Vec<i8>> = Vec::new();
        let mut q = vec![0i8; heads];
        for (r, slot) in row_of.iter_mut().enumerate() {
            for h in 0..heads {
                q[h] = (dense[r * heads + h] / scales[h]).round().clamp(-127.0, 127.0) as i8;
            }
            if q.iter().any(|v| *v != 0) {
                *slot = kept.len() as u32;
                kept.push(q.clone());
            }
        }
        let mut w = Weights { heads, row_of, values: row_buffer(kept.len(), heads), scales };
        for (i, row) in kept.iter().enumerate() {
            w.row_mut(i).copy_from_slice(row);
        }
        w
    }

    /// Offset of the first stored row: the buffer's first 64-byte boundary.
    fn base(&self) -> usize {
        self.values.as_ptr().align_offset(64).min(63)
    }

    fn row_mut(&mut self, i: usize) -> &mut [i8] {
        let at = self.base() + i * stride(self.heads);
        &mut self.values[at..at + self.heads]
    }

    /// The `i`-th stored row.
    fn stored(&self, i: usize) -> &[i8] {
        let at = self.base() + i * stride(self.heads);
        &self.values[at..at + self.heads]
    }

    /// The stored values of row `r`, if any is non-zero.
    fn row(&self, r: usize) -> Option<&[i8]> {
        let i = self.row_of[r];
        (i != u32::MAX).then(|| self.stored(i as usize))
    }

    /// Weight of row `r`, head `h`.
    fn get(&self, r: usize, h: usize) -> f32 {
        self.row(r).map_or(0.0, |q| q[h] as f32 * self.scales[h])
    }

    fn stored_rows(&self) -> usize {
        (self.values.len() - 63) / stride(self.heads)
    }
}

/// A linear model ready for inference.
#[derive(Debug, Clone)]
pub struct LinearModel {
    pub header: ModelHeader,
    layout: HeadLayout,
    extractor: Extractor,
    weights: Weights,
    sha256: String,
}

static EMBEDDED_MODEL: &[u8] = include_bytes!("../../models/linear-fr-en/model.irm");

impl LinearModel {
    /// Builds a model from trained parts (`dense` holds `rows × heads` weights,
    /// row-major), quantising the weights; its hash is that of its serialised form.
    pub fn new(mut header: ModelHeader, dense: &[f32]) -> Result<Self> {
        let layout = HeadLayout::from_names(&header.heads)?;
        ensure!(dense.len() == header.rows() * layout.len(), "weight table has the wrong size");
        let weights = Weights::quantise(dense, layout.len());
        header.scales = weights.scales.clone();
        let mut m = Self::assemble(header, weights, String::new())?;
        m.sha256 = hex_sha256(&m.to_bytes());
        Ok(m)
    }

    fn assemble(header: ModelHeader, weights: Weights, sha256: String) -> Result<Self> {
        let layout = HeadLayout::from_names(&header.heads)?;
        ensure!(
            header.thresholds.len() == layout.len(),
            "{} thresholds for {} heads",
            header.thresholds.len(),
            layout.len()
        );
        ensure!(header.bias.len() == layout.len(), "{} biases for {} heads", header.bias.len(), layout.len());
        let extractor = Extractor::new(&header.features, &header.lexicon);
        Ok(LinearModel { header, layout, extractor, weights, sha256 })
    }

    /// The same model with other decision thresholds (one per head).
    pub fn with_thresholds(mut self, thresholds: Vec<f32>) -> Result<Self> {
        ensure!(
            thresholds.len() == self.layout.len(),
            "{} thresholds for {} heads",
            thresholds.len(),
            self.layout.len()
        );
        self.header.thresholds = thresholds;
        self.sha256 = hex_sha256(&self.to_bytes());
        Ok(self)
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

    pub fn layout(&self) -> &HeadLayout {
        &self.layout
    }

    /// Non-zero rows stored, and bytes the weight table takes in memory.
    pub fn weight_footprint(&self) -> (usize, usize) {
        (self.weights.stored_rows(), self.weights.values.len() + self.weights.row_of.len() * 4)
    }

    /// Parses the `model.irm` format (version 2, or version 1 with its seven heads).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        ensure!(bytes.len() >= 8 && &bytes[..4] == MAGIC, "missing the IRLM magic");
        let version = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
        if version != 1 && version != FORMAT_VERSION {
            bail!("model format version {version}, this build reads versions 1 and {FORMAT_VERSION}");
        }
        let mut payload = Vec::new();
        zstd::stream::read::Decoder::new(&bytes[8..])?.read_to_end(&mut payload)?;
        let mut cur = payload.as_slice();
        let header_len = take_u32(&mut cur)? as usize;
        ensure!(cur.len() >= header_len, "truncated header");
        let header_json = &cur[..header_len];
        cur = &cur[header_len..];
        if version == 1 {
            return Self::from_v1(header_json, cur, bytes);
        }
        let header: ModelHeader = serde_json::from_slice(header_json)?;
        check_header(&header.features, header.dense.as_ref())?;
        let heads = header.heads.len();
        ensure!(header.scales.len() == heads, "{} scales for {heads} heads", header.scales.len());
        let rows = header.rows();
        let n = take_u32(&mut cur)? as usize;
        ensure!(cur.len() == n * (4 + heads), "weight table has the wrong size");
        let mut row_of = vec![u32::MAX; rows];
        let mut last = None;
        for i in 0..n {
            let r = take_u32(&mut cur)? as usize;
            ensure!(r < rows, "row {r} out of range");
            ensure!(last.is_none_or(|l| r > l), "rows out of order");
            last = Some(r);
            row_of[r] = i as u32;
        }
        let mut weights = Weights { heads, row_of, values: row_buffer(n, heads), scales: header.scales.clone() };
        for (i, row) in cur.chunks(heads.max(1)).enumerate() {
            for (v, b) in weights.row_mut(i).iter_mut().zip(row) {
                *v = *b as i8;
            }
        }
        Self::assemble(header, weights, hex_sha256(bytes))
    }

    /// A format-1 file: dense `f32` rows of seven heads, quantised on load.
    fn from_v1(header_json: &[u8], mut cur: &[u8], bytes: &[u8]) -> Result<Self> {
        let v1: HeaderV1 = serde_json::from_slice(header_json)?;
        check_header(&v1.features, v1.dense.as_ref())?;
        let layout = HeadLayout::categories_and_sentiments();
        let mut thresholds = v1.thresholds.to_vec();
        thresholds.extend([0.5; 3]);
        let header = ModelHeader {
            id: v1.id,
            features: v1.features,
            heads: layout.names(),
            thresholds,
            bias: v1.bias.to_vec(),
            lexicon: Lexicon::default(),
            dense: v1.dense,
            scales: Vec::new(),
        };
        let heads = layout.len();
        let rows = header.rows();
        let mut dense = vec![0f32; rows * heads];
        let n = take_u32(&mut cur)? as usize;
        ensure!(cur.len() == n * 4 * (1 + heads), "weight table has the wrong size");
        for _ in 0..n {
            let idx = take_u32(&mut cur)? as usize;
            ensure!(idx < rows, "bucket {idx} out of range");
            for h in 0..heads {
                dense[idx * heads + h] = f32::from_le_bytes(take4(&mut cur)?);
            }
        }
        let mut m = Self::new(header, &dense)?;
        m.sha256 = hex_sha256(bytes);
        Ok(m)
    }

    /// Serialises to the `model.irm` format (version 2): the magic, the version, then a
    /// zstd frame with the JSON header, the number of stored rows, their table indices
    /// (ascending `u32`) and their 8-bit weights, row by row. The same model always gives
    /// the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut payload = Vec::new();
        let header = serde_json::to_vec(&self.header).expect("header serialises");
        payload.extend_from_slice(&(header.len() as u32).to_le_bytes());
        payload.extend_from_slice(&header);
        let w = &self.weights;
        let mut order: Vec<(usize, u32)> =
            w.row_of.iter().enumerate().filter(|(_, i)| **i != u32::MAX).map(|(r, i)| (r, *i)).collect();
        order.sort_unstable();
        payload.extend_from_slice(&(order.len() as u32).to_le_bytes());
        for (r, _) in &order {
            payload.extend_from_slice(&(*r as u32).to_le_bytes());
        }
        for (_, i) in &order {
            payload.extend(w.stored(*i as usize).iter().map(|v| *v as u8));
        }
        let mut out = Vec::with_capacity(payload.len() / 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let mut enc = zstd::stream::write::Encoder::new(out, 19).expect("zstd encoder");
        enc.write_all(&payload).expect("in-memory write");
        enc.finish().expect("in-memory write")
    }

    /// Raw logits of every head for a segment's features (and its dense vector, for
    /// heads that read one).
    fn logits(&self, f: &Features, dense: Option<&[f32]>) -> Vec<f32> {
        let mut z = self.header.bias.clone();
        self.add_logits(f, dense, 0..self.layout.len(), &mut z);
        z
    }

    /// Adds to `z` the contributions of the features (and dense vector) to `heads`.
    fn add_logits(&self, f: &Features, dense: Option<&[f32]>, heads: std::ops::Range<usize>, z: &mut [f32]) {
        let mut acc = vec![0f32; heads.len()];
        for (&b, &v) in f.buckets.iter().zip(&f.values) {
            let Some(q) = self.weights.row(b as usize) else { continue };
            for (a, &x) in acc.iter_mut().zip(&q[heads.clone()]) {
                *a += x as f32 * v;
            }
        }
        if let (Some(input), Some(e)) = (&self.header.dense, dense) {
            let base = 1usize << self.header.features.bits;
            for d in 0..input.dim() {
                let v = input.value(e, d);
                let Some(q) = self.weights.row(base + d) else { continue };
                for (a, &x) in acc.iter_mut().zip(&q[heads.clone()]) {
                    *a += x as f32 * v;
                }
            }
        }
        for ((zh, a), s) in z[heads.clone()].iter_mut().zip(&acc).zip(&self.weights.scales[heads]) {
            *zh += a * s;
        }
    }

    /// Each term's contribution to the logits of `heads` (`terms × heads.len()`,
    /// row-major); only asked for the heads a prediction's evidence is about.
    fn term_contributions(&self, f: &Features, heads: &[usize]) -> Vec<f32> {
        let k = heads.len();
        let mut out = vec![0f32; f.terms.len() * k];
        for ((&b, &t), &v) in f.buckets.iter().zip(&f.term_of).zip(&f.values) {
            if t == u32::MAX {
                continue;
            }
            let Some(q) = self.weights.row(b as usize) else { continue };
            for (j, &h) in heads.iter().enumerate() {
                out[t as usize * k + j] += q[h] as f32 * self.weights.scales[h] * v;
            }
        }
        out
    }

    /// Probabilities of every head, in layout order.
    pub fn probabilities(&self, input: &SegmentInput, dense: Option<&[f32]>) -> Vec<f32> {
        self.layout.probabilities(&self.logits(&self.extractor.extract(input), dense))
    }

    /// For each head, the direction `u` in the dense space and the offset `b` such that
    /// the head's logit moves by `u · e - b` with the vector `e` (standardisation folded
    /// in); used to split that contribution over the tokens an encoder pooled.
    pub fn dense_directions(&self) -> Option<(Vec<Vec<f32>>, Vec<f32>)> {
        let input = self.header.dense.as_ref()?;
        let base = 1usize << self.header.features.bits;
        let u: Vec<Vec<f32>> = (0..self.layout.len())
            .map(|h| {
                (0..input.dim()).map(|d| self.weights.get(base + d, h) * input.weight * input.inv_std[d]).collect()
            })
            .collect();
        let b = u.iter().map(|u| u.iter().zip(&input.mean).map(|(x, m)| x * m).sum()).collect();
        Some((u, b))
    }

    /// Classifies one normalised segment of a model without dense input.
    pub fn predict(&self, input: &SegmentInput) -> Prediction {
        self.predict_with(input, None, Vec::new())
    }

    /// Classifies one normalised segment. `dense` is its vector, for heads that read one;
    /// `extra_terms` are further per-term contributions to every head's logit (an
    /// encoder's words), merged with the n-gram terms for the evidence.
    pub fn predict_with(
        &self,
        input: &SegmentInput,
        dense: Option<&[f32]>,
        extra_terms: Vec<(Term, Vec<f32>)>,
    ) -> Prediction {
        self.predict_features(input.text, self.extractor.extract(input), dense, extra_terms)
    }

    /// Classifies a segment from its features (`text` is the segment's, for the evidence).
    /// The irritant aspect heads of a category are computed only when the category is
    /// predicted: decoding reads no other (see [`HeadLayout::first_heads`]).
    fn predict_features(
        &self,
        text: &str,
        f: Features,
        dense: Option<&[f32]>,
        extra_terms: Vec<(Term, Vec<f32>)>,
    ) -> Prediction {
        let mut z = self.header.bias.clone();
        self.add_logits(&f, dense, self.layout.first_heads(), &mut z);
        for c in Irritant::ALL {
            if self.layout.predicts(c, &z, &self.header.thresholds) {
                self.add_logits(&f, dense, self.layout.irritant_aspect_heads(c), &mut z);
            }
        }
        let mut p = self.layout.decode(&z, &self.header.thresholds);
        if !p.irritants.is_empty() {
            p.evidence = self.evidence(&p, text, f, extra_terms);
        }
        p
    }

    /// The evidence of a prediction: for each predicted irritant aspect (each predicted
    /// category, for a model without aspect heads), the terms that pushed its head most.
    /// A term that occurs twice counts once, with its contributions summed, and is
    /// written as it is the first time in `text`, the segment's.
    fn evidence(&self, p: &Prediction, text: &str, f: Features, extra_terms: Vec<(Term, Vec<f32>)>) -> Vec<Evidence> {
        let targets = self.layout.evidence_targets(p);
        let heads: Vec<usize> = targets.iter().map(|t| t.2).collect();
        let k = heads.len();
        let mut per_term = self.term_contributions(&f, &heads);
        let source = self.extractor.source_map(text);
        // As features read them, and as written (as read, should a span not map back).
        let mut terms: Vec<&str> = f.terms.iter().map(String::as_str).collect();
        let mut spelled: Vec<&str> = f
            .spans
            .iter()
            .zip(&terms)
            .map(|(&span, &t)| Some(written(text, &source, span)).filter(|w| !w.is_empty()).unwrap_or(t))
            .collect();
        for (t, c) in &extra_terms {
            terms.push(&t.folded);
            spelled.push(&t.written);
            per_term.extend(heads.iter().map(|&h| c[h]));
        }
        // Distinct terms in order of first occurrence, with their contributions summed.
        let mut order: Vec<usize> = Vec::with_capacity(terms.len());
        let mut sums: Vec<f32> = Vec::with_capacity(per_term.len());
        let mut first: HashMap<&str, usize, BuildHasherDefault<FnvKey>> = HashMap::default();
        for (t, w) in per_term.chunks(k.max(1)).enumerate() {
            match first.get(terms[t]) {
                Some(&i) => {
                    for (sum, x) in sums[i * k..(i + 1) * k].iter_mut().zip(w) {
                        *sum += x;
                    }
                }
                None => {
                    first.insert(terms[t], order.len());
                    order.push(t);
                    sums.extend_from_slice(w);
                }
            }
        }
        let mut evidence = Vec::new();
        for (j, (category, aspect, _)) in targets.into_iter().enumerate() {
            let candidates = order.iter().zip(sums.chunks(k)).map(|(t, w)| (terms[*t], spelled[*t], w));
            evidence.extend(Evidence::strongest(category, aspect, j, candidates));
        }
        evidence
    }
}

fn check_header(features: &FeatureConfig, dense: Option<&DenseInput>) -> Result<()> {
    ensure!(features.bits <= 24, "hash bits {} out of range", features.bits);
    if let Some(d) = dense {
        ensure!(d.inv_std.len() == d.dim(), "dense input: {} means but {} scales", d.dim(), d.inv_std.len());
    }
    Ok(())
}

impl Classifier for LinearModel {
    fn id(&self) -> &str {
        &self.header.id
    }
    fn sha256(&self) -> &str {
        &self.sha256
    }
    fn classify(&self, inputs: &[SegmentInput<'_>]) -> Result<Vec<Prediction>> {
        use rayon::prelude::*;
        // In runs of consecutive segments, a segment's previous one is usually the
        // segment just classified: its prepared text is reused as context.
        Ok(inputs
            .par_chunks(CLASSIFY_CHUNK)
            .flat_map_iter(|chunk| {
                let mut last: Option<(&str, String)> = None;
                chunk.iter().map(move |s| {
                    let text = self.extractor.prepare(s.text);
                    let previous = match (s.previous.filter(|_| self.reads_context()), last.take()) {
                        (Some(p), Some((l, prepared))) if std::ptr::eq(p, l) => Some(prepared),
                        (Some(p), _) => Some(self.extractor.prepare(p)),
                        (None, _) => None,
                    };
                    let f = self.extractor.extract_prepared(s, &text, previous.as_deref());
                    last = Some((s.text, text));
                    self.predict_features(s.text, f, None, Vec::new())
                })
            })
            .collect())
    }
    fn predicts_aspects(&self) -> bool {
        self.layout.has_aspects()
    }
    fn reads_context(&self) -> bool {
        self.header.features.context_weight > 0.0
    }
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
    use crate::taxonomy::{Irritant, Sentiment};

    /// Seven heads; `caisse` pushes physical and negative.
    fn toy() -> LinearModel {
        toy_with(&[("caisse", 2.0)])
    }

    /// Seven heads; each word (its word and character n-gram features) pushes physical
    /// by its weight, and negative by half of it.
    fn toy_with(words: &[(&str, f32)]) -> LinearModel {
        let features = FeatureConfig { bits: 10, context_weight: 0.0, ..FeatureConfig::default() };
        let layout = HeadLayout::categories_and_sentiments();
        let heads = layout.len();
        let mut weights = vec![0f32; (1 << 10) * heads];
        for &(word, w) in words {
            let f = Extractor::new(&features, &Lexicon::default()).extract(&SegmentInput::alone(word));
            for &b in &f.buckets[1..] {
                weights[b as usize * heads + layout.category(Irritant::Physical)] = w;
                weights[b as usize * heads + layout.sentiment(Sentiment::Negative)] = w / 2.0;
            }
        }
        let mut bias = vec![-1.0; 4];
        bias.extend([0.0; 3]);
        LinearModel::new(
            ModelHeader {
                id: "toy".into(),
                features,
                heads: layout.names(),
                thresholds: vec![0.5; heads],
                bias,
                lexicon: Lexicon::default(),
                dense: None,
                scales: Vec::new(),
            },
            &weights,
        )
        .unwrap()
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
    fn quantised_weights_stay_within_half_a_step() {
        let dense: Vec<f32> = (0..64).map(|i| ((i * 37 % 29) as f32 - 14.0) / 7.0).collect();
        let w = Weights::quantise(&dense, 4);
        for (i, x) in dense.iter().enumerate() {
            let (r, h) = (i / 4, i % 4);
            assert!((w.get(r, h) - x).abs() <= w.scales[h] / 2.0 + 1e-6, "row {r} head {h}");
        }
        let zeros = Weights::quantise(&[0.0; 8], 4);
        assert_eq!(zeros.stored_rows(), 0, "all-zero rows are not stored");
        let copy = w.clone();
        assert_eq!(copy, w);
        assert_eq!(copy.values.as_ptr().wrapping_add(copy.base()) as usize % 64, 0, "rows start on a cache line");
        assert!((0..16).all(|r| copy.get(r, 1) == w.get(r, 1)));
    }

    #[test]
    fn evidence_names_the_term_that_fired() {
        let m = toy();
        let p = m.predict(&SegmentInput::alone("Attente en caisse"));
        assert!(p.irritants.contains(Irritant::Physical));
        assert!(!p.irritants.contains(Irritant::Digital));
        assert_eq!(p.evidence[0].term, "caisse");
        assert_eq!(p.evidence[0].irritant, Irritant::Physical);
        assert_eq!(p.sentiment, Sentiment::Negative);
        let s: f32 = p.sentiment_probs.iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }

    #[test]
    fn a_repeated_term_is_one_piece_of_evidence_written_as_it_first_is() {
        let p = toy().predict(&SegmentInput::alone("Caisse fermée, attente en caisse"));
        let caisse: Vec<_> = p.evidence.iter().filter(|e| e.term.to_lowercase() == "caisse").collect();
        assert_eq!(caisse.len(), 1);
        assert_eq!(caisse[0].term, "Caisse");
        let once = toy().predict(&SegmentInput::alone("Attente en caisse"));
        assert!(caisse[0].weight > once.evidence[0].weight);
    }

    #[test]
    fn stop_words_are_never_evidence_and_leave_room_for_the_next_term() {
        // `Le` and `en` push most, but say nothing on their own.
        let m = toy_with(&[("le", 6.0), ("en", 5.0), ("caisse", 2.0), ("réponse", 1.0)]);
        let text = "Le temps en caisse, aucune réponse.";
        let p = m.predict(&SegmentInput::alone(text));
        assert!(p.irritants.contains(Irritant::Physical));
        let terms: Vec<&str> = p.evidence.iter().map(|e| e.term.as_str()).collect();
        assert_eq!(terms[..2], ["caisse", "réponse"], "{p:?}");
        assert!(terms.iter().all(|t| !["Le", "en"].contains(t)), "{p:?}");
        // Without the filter they would have come first.
        let f = m.extractor.extract(&SegmentInput::alone(text));
        let physical = m.layout.category(Irritant::Physical);
        let c = m.term_contributions(&f, &[physical]);
        let le = f.terms.iter().position(|t| t == "le").unwrap();
        let caisse = f.terms.iter().position(|t| t == "caisse").unwrap();
        assert!(c[le] > c[caisse]);
    }

    #[test]
    fn embedded_default_predicts_aspects_that_follow_the_rule() {
        let m = LinearModel::embedded_default().unwrap();
        assert!(m.predicts_aspects());
        let p = m.predict(&SegmentInput::alone("L'appli plante à chaque fois que je veux payer."));
        assert!(p.irritants.contains(Irritant::Digital), "{p:?}");
        let p = m.predict(&SegmentInput::alone("Le livreur a laissé le colis devant la porte sans sonner."));
        assert!(p.irritants.contains(Irritant::ThirdParty), "{p:?}");
        assert!(p.aspects.iter().any(|a| a.label.name() == "third_party.delivery"), "{p:?}");
        let labels: Vec<_> = p.aspects.iter().map(|a| a.label).collect();
        assert_eq!(crate::taxonomy::irritants_of(&labels), p.irritants);
        assert!(p.evidence.iter().all(|e| e.aspect.is_some_and(|a| a.category() == e.irritant)));
    }
}
