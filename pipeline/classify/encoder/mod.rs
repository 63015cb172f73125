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
//! so the head's linear term is a sum over tokens, each measured from the training
//! vectors' mean), added up per word. It costs no extra
//! encoder pass. The token states are contextual, so a word's share also carries what the
//! encoder read around it. A `logits` model whose heads are linear on a mean of token
//! states can output that split itself (`token_output`, as e5-small-ft does): each token's
//! share of each logit, added up per word the same way, at no extra pass. A `logits` model
//! without it gets evidence by occlusion, re-running the model on the segment with one
//! word removed, for the first [`OCCLUSION_WORDS`] words of segments with a predicted
//! category (so at most that many extra passes per such segment). Gradients (gradient ×
//! input) would need a backward pass that ONNX Runtime does not run at inference.

pub mod config;
pub mod onnx;
pub mod runtime;

use std::path::Path;

use anyhow::{ensure, Context, Result};
use rayon::prelude::*;

use self::config::{EncoderConfig, HeadConfig, LabelMap, Pooling};
use self::onnx::{Encoded, EncoderOptions, OnnxEncoder};
use super::features::fold;
use super::heads::HeadLayout;
use super::linear::LinearModel;
use super::{Classifier, Evidence, Prediction, SegmentInput, Term};
use crate::digest::hex_sha256;
use crate::normalise::chars::char_after;

/// Segments encoded per call to the encoder, bounding the token states held at once.
const CHUNK: usize = 1024;
/// Words tried by occlusion per segment, for a `logits` head.
pub const OCCLUSION_WORDS: usize = 16;

/// A classifier made of an ONNX encoder and its heads.
pub struct EncoderClassifier {
    encoder: OnnxEncoder,
    head: Head,
    sha256: String,
}

enum Head {
    Trained {
        heads: Box<LinearModel>,
        directions: Option<(Vec<Vec<f32>>, Vec<f32>)>,
    },
    /// `token_split`: the model also outputs each token's share of the logits.
    Logits {
        map: LabelMap,
        pairs: bool,
        token_split: bool,
    },
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
            HeadConfig::Logits { labels, thresholds, pairs } => {
                let token_split = config.token_output.is_some();
                Head::Logits { map: LabelMap::new(labels, thresholds)?, pairs: *pairs, token_split }
            }
        };
        let encoder = OnnxEncoder::load(dir, variant, opts)?;
        let width = encoder.encode(&["."], false)?[0].vector.len();
        match &head {
            Head::Trained { heads, .. } => {
                let dim = heads.header.dense.as_ref().map_or(0, |d| d.dim());
                ensure!(width == dim, "the encoder gives vectors of {width} values, the heads read {dim}");
            }
            Head::Logits { map, .. } => {
                ensure!(width == map.width(), "the model outputs {width} logits, head.labels names {}", map.width())
            }
        }
        let heads_sha = match &head {
            Head::Trained { heads, .. } => heads.sha256().to_string(),
            Head::Logits { .. } => String::new(),
        };
        let sha256 = hex_sha256(format!("{}{}", encoder.sha256, heads_sha).as_bytes());
        Ok(EncoderClassifier { encoder, head, sha256 })
    }

    /// The encoder, e.g. to embed texts for training heads.
    pub fn encoder(&self) -> &OnnxEncoder {
        &self.encoder
    }

    /// Evidence of a `logits` head: for each segment with a predicted category, how much
    /// each of its first [`OCCLUSION_WORDS`] words lowers each column's logit when the
    /// segment is run again without it; for each predicted irritant aspect (each
    /// category, without aspect columns), the words that lower its column most come first.
    fn occlusion_evidence(
        &self,
        map: &LabelMap,
        inputs: &[SegmentInput],
        encoded: &[Encoded],
        preds: &mut [Prediction],
    ) -> Result<()> {
        let mut variants: Vec<String> = Vec::new();
        let mut owners: Vec<(usize, Term)> = Vec::new();
        for (i, (s, p)) in inputs.iter().zip(preds.iter()).enumerate() {
            if p.irritants.is_empty() {
                continue;
            }
            let t = s.text;
            for (a, b) in word_spans(t).into_iter().take(OCCLUSION_WORDS) {
                variants.push(format!("{}{}", &t[..a], &t[b..]));
                owners.push((i, Term { folded: fold(&t[a..b]), written: t[a..b].to_string() }));
            }
        }
        if variants.is_empty() {
            return Ok(());
        }
        let without_inputs: Vec<SegmentInput> =
            variants.iter().zip(&owners).map(|(v, (i, _))| SegmentInput { text: v, ..inputs[*i] }).collect();
        let without = self.encoder.encode_segments(&without_inputs, false, self.pairs())?;
        let mut drops: Vec<Vec<(Term, Vec<f32>)>> = vec![Vec::new(); inputs.len()];
        for ((i, word), e) in owners.into_iter().zip(&without) {
            let d = encoded[i].vector.iter().zip(&e.vector).map(|(a, b)| a - b).collect();
            drops[i].push((word, d));
        }
        for (p, d) in preds.iter_mut().zip(drops) {
            p.evidence = evidence_of(&map.layout, p, &d);
        }
        Ok(())
    }

    /// Whether segments are read after their context, as sentence pairs.
    fn pairs(&self) -> bool {
        match &self.head {
            Head::Trained { heads, .. } => heads.header.dense.as_ref().is_some_and(|d| d.pairs),
            Head::Logits { pairs, .. } => *pairs,
        }
    }

    fn predict(&self, input: &SegmentInput, e: &Encoded) -> Prediction {
        match &self.head {
            Head::Trained { heads, directions } => {
                let extra = match directions {
                    Some((u, b)) if !e.states.is_empty() => word_contributions(input.text, e, u, b),
                    _ => Vec::new(),
                };
                heads.predict_with(input, Some(&e.vector), extra)
            }
            Head::Logits { map, .. } => {
                let mut p = map.layout.decode(&e.vector, &map.thresholds);
                if !e.states.is_empty() {
                    let shares = word_logit_shares(input.text, e, map.width());
                    p.evidence = evidence_of(&map.layout, &p, &shares);
                }
                p
            }
        }
    }
}

/// For each predicted irritant aspect (each predicted category, for a layout without
/// aspects), the strongest of `candidates` (terms with one contribution per head).
fn evidence_of(layout: &HeadLayout, p: &Prediction, candidates: &[(Term, Vec<f32>)]) -> Vec<Evidence> {
    let mut out = Vec::new();
    for (category, aspect, head) in layout.evidence_targets(p) {
        let terms = candidates.iter().map(|(t, w)| (t.folded.as_str(), t.written.as_str(), w.as_slice()));
        out.extend(Evidence::strongest(category, aspect, head, terms));
    }
    out
}

impl Classifier for EncoderClassifier {
    fn id(&self) -> &str {
        &self.encoder.name
    }
    fn sha256(&self) -> &str {
        &self.sha256
    }
    fn classify(&self, inputs: &[SegmentInput<'_>]) -> Result<Vec<Prediction>> {
        let with_states =
            matches!(&self.head, Head::Trained { directions: Some(_), .. } | Head::Logits { token_split: true, .. });
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(CHUNK) {
            let encoded = self.encoder.encode_segments(chunk, with_states, self.pairs())?;
            let mut preds: Vec<Prediction> = chunk.par_iter().zip(&encoded).map(|(s, e)| self.predict(s, e)).collect();
            if let Head::Logits { map, token_split: false, .. } = &self.head {
                self.occlusion_evidence(map, chunk, &encoded, &mut preds)?;
            }
            out.extend(preds);
        }
        Ok(out)
    }
    fn predicts_aspects(&self) -> bool {
        match &self.head {
            Head::Trained { heads, .. } => heads.layout().has_aspects(),
            Head::Logits { map, .. } => map.layout.has_aspects(),
        }
    }
    fn reads_context(&self) -> bool {
        match &self.head {
            Head::Trained { heads, .. } => heads.reads_context() || self.pairs(),
            Head::Logits { pairs, .. } => *pairs,
        }
    }
}

/// Each word's share of the vector's contribution to every head's logit. With mean
/// pooling over `n` tokens, the vector is `e = Σ state_t / (n · norm)` and a head adds
/// `u · e - b` where `b = u · mean` (the training vectors' mean), so token `t` adds
/// `(u · state_t / norm - b) / n`: its pull away from the average segment. The shares sum
/// to the contribution exactly.
fn word_contributions(text: &str, e: &Encoded, u: &[Vec<f32>], b: &[f32]) -> Vec<(Term, Vec<f32>)> {
    let hidden = u.first().map_or(0, Vec::len);
    let n = e.offsets.len();
    if n == 0 || e.states.len() != n * hidden {
        return Vec::new();
    }
    per_word(text, &e.offsets, u.len(), |t, acc| {
        let state = &e.states[t * hidden..(t + 1) * hidden];
        for (h, dir) in u.iter().enumerate() {
            let dot = dir.iter().zip(state).map(|(x, y)| x * y).sum::<f32>();
            acc[h] += (dot / e.norm - b[h]) / n as f32;
        }
    })
}

/// Each word's share of every logit, from a `logits` model's own split of its logits over
/// the tokens (its `token_output`: `width` values a token, summing to the logits up to a
/// constant).
fn word_logit_shares(text: &str, e: &Encoded, width: usize) -> Vec<(Term, Vec<f32>)> {
    if e.offsets.is_empty() || e.states.len() != e.offsets.len() * width {
        return Vec::new();
    }
    per_word(text, &e.offsets, width, |t, acc| {
        acc.iter_mut().zip(&e.states[t * width..(t + 1) * width]).for_each(|(a, x)| *a += x)
    })
}

/// Adds each token's shares (`add(token, word's shares)`) to the word (run of letters and
/// digits) the token starts in; the prefix and special tokens go to none. A word followed
/// by an apostrophe keeps it (`l'`, or `L’` as written), as the n-gram terms do.
fn per_word(
    text: &str,
    offsets: &[Option<(usize, usize)>],
    width: usize,
    add: impl Fn(usize, &mut [f32]),
) -> Vec<(Term, Vec<f32>)> {
    let words = word_spans(text);
    let mut shares = vec![vec![0f32; width]; words.len()];
    for (t, off) in offsets.iter().enumerate() {
        let Some((start, end)) = *off else { continue };
        let Some(w) = words.iter().position(|&(ws, we)| start < we && end > ws) else { continue };
        add(t, &mut shares[w]);
    }
    words
        .into_iter()
        .zip(shares)
        .map(|((a, b), c)| {
            let mut folded = fold(&text[a..b]);
            let end = match char_after(text, b) {
                Some(q @ ('\'' | '\u{2019}')) => {
                    folded.push('\'');
                    b + q.len_utf8()
                }
                _ => b,
            };
            (Term { folded, written: text[a..end].to_string() }, c)
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
    fn a_models_token_split_is_added_up_per_word() {
        // Four tokens (a special, "col" + "is", "perdu"), two labels each.
        let text = "colis perdu";
        let e = Encoded {
            vector: vec![],
            states: vec![9.0, 9.0, 0.5, -1.0, 0.25, 0.0, -0.5, 2.0],
            offsets: vec![None, Some((0, 3)), Some((3, 5)), Some((6, 11))],
            norm: 1.0,
        };
        let w = word_logit_shares(text, &e, 2);
        let term = |w: &str| Term { folded: w.to_string(), written: w.to_string() };
        assert_eq!(w, vec![(term("colis"), vec![0.75, -1.0]), (term("perdu"), vec![-0.5, 2.0])]);
        // A split of the wrong width is not read.
        assert!(word_logit_shares(text, &e, 3).is_empty());
    }

    #[test]
    fn token_shares_sum_to_the_vector_contribution() {
        // Three tokens (one a special with no offsets) over two words, hidden size 2.
        let text = "colis perdu";
        let states = vec![1.0, 0.0, 2.0, 1.0, 0.5, 3.0];
        let norm = 2.0;
        let e =
            Encoded { vector: vec![], states: states.clone(), offsets: vec![None, Some((0, 5)), Some((6, 11))], norm };
        let u = [vec![1.0, 1.0], vec![0.0, 1.0], vec![1.0, 0.0], vec![0.0, 0.0]];
        let b = [0.3, 0.0, 0.1, 0.0];
        let c = word_contributions(text, &e, &u, &b);
        assert_eq!((c[0].0.written.as_str(), c[1].0.written.as_str()), ("colis", "perdu"));
        // Token 1 (state [2, 1]) on head 0: (3 / 2 - 0.3) / 3.
        assert!((c[0].1[0] - 0.4).abs() < 1e-6);
        // Words plus the special token add up to u · e - b, e being the mean state / norm.
        for h in 0..4 {
            let e_vec: Vec<f32> = (0..2).map(|d| (states[d] + states[2 + d] + states[4 + d]) / (3.0 * norm)).collect();
            let whole = u[h].iter().zip(&e_vec).map(|(x, y)| x * y).sum::<f32>() - b[h];
            let special = (u[h][0] * states[0] + u[h][1] * states[1]) / norm / 3.0 - b[h] / 3.0;
            assert!((c[0].1[h] + c[1].1[h] + special - whole).abs() < 1e-6, "head {h}");
        }
    }
}
