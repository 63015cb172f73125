//! `encoder.json`: what irritant needs to know about an ONNX encoder besides its weights.
//!
//! ```json
//! {
//!   "id": "e5-small",
//!   "onnx": "model.onnx",
//!   "variants": { "int8": "model.int8.onnx" },
//!   "tokenizer": "tokenizer.json",
//!   "prefix": "query: ",
//!   "max_length": 512,
//!   "pooling": "mean",
//!   "normalize": true,
//!   "output": "last_hidden_state",
//!   "head": { "kind": "trained", "dir": "heads" }
//! }
//! ```
//!
//! `head` is either `trained` (heads fitted by `irritant train --encoder DIR` on the pooled
//! vectors, stored in `dir`) or `logits`: the model itself is a sequence classifier whose
//! output `output` has one column per entry of `labels`, each a category, a sentiment or an
//! aspect of the taxonomy (all four categories and three sentiments must appear; aspects
//! are named as heads, `physical.wait:irritant`), with `pairs` when it reads a segment
//! after its context.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::classify::heads::HeadLayout;
use crate::taxonomy::Sentiment;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderConfig {
    /// Name written to the manifest and reports.
    pub id: String,
    /// The ONNX file, relative to the model directory.
    #[serde(default = "default_onnx")]
    pub onnx: String,
    /// Other ONNX files of the same model, by name (`--model DIR:NAME` picks one).
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
    #[serde(default = "default_tokenizer")]
    pub tokenizer: String,
    /// Text put before every segment (E5 models expect `query: ` or `passage: `).
    #[serde(default)]
    pub prefix: String,
    /// Longest input in tokens, specials included; longer segments are truncated.
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    #[serde(default)]
    pub pooling: Pooling,
    /// L2-normalise the pooled vector.
    #[serde(default = "yes")]
    pub normalize: bool,
    /// Name of the output read: token states `[batch, sequence, hidden]` for a trained
    /// head, logits `[batch, labels]` for a `logits` head.
    #[serde(default = "default_output")]
    pub output: String,
    /// For a `logits` head: an output `[batch, sequence, labels]` holding each token's
    /// share of each logit (summing over the tokens to the logits, up to a constant per
    /// label). Evidence reads it; without it, evidence is measured by occlusion.
    #[serde(default)]
    pub token_output: Option<String>,
    pub head: HeadConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Mean of the token states over the attention mask, specials included.
    #[default]
    Mean,
    /// The first token's state.
    Cls,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum HeadConfig {
    /// Heads trained by irritant on the pooled vectors, in `dir` (a model directory with
    /// `model.irm`, relative to the encoder's).
    Trained {
        #[serde(default = "default_heads")]
        dir: String,
    },
    /// The model outputs one logit per label.
    Logits {
        labels: Vec<String>,
        /// Decision threshold per category or aspect; 0.5 when absent.
        #[serde(default)]
        thresholds: BTreeMap<String, f32>,
        /// Read a segment with a previous sentence or turn as the pair (context, segment),
        /// as the model was trained to.
        #[serde(default)]
        pairs: bool,
    },
}

/// Where each taxonomy label sits among a `logits` head's columns: the columns are the
/// heads of a [`HeadLayout`], in order. A sentiment may be named bare (`negative`) or as a
/// head (`sentiment:negative`); aspects are named as heads (`physical.wait:irritant`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMap {
    pub layout: HeadLayout,
    /// Decision threshold of each column (0.5 unless `head.thresholds` names it).
    pub thresholds: Vec<f32>,
}

impl LabelMap {
    pub fn new(labels: &[String], thresholds: &BTreeMap<String, f32>) -> Result<Self> {
        let names: Vec<String> = labels
            .iter()
            .map(|l| if l.parse::<Sentiment>().is_ok() { format!("sentiment:{l}") } else { l.clone() })
            .collect();
        let layout = HeadLayout::from_names(&names).context("head.labels")?;
        let mut t = vec![0.5; layout.len()];
        for (k, v) in thresholds {
            match labels.iter().position(|l| l == k) {
                Some(i) if layout.heads()[i].is_logistic() => t[i] = *v,
                _ => bail!("head.thresholds: {k:?} is not a category or aspect of head.labels"),
            }
        }
        Ok(LabelMap { layout, thresholds: t })
    }

    /// Columns of the model's output.
    pub fn width(&self) -> usize {
        self.layout.len()
    }
}

impl EncoderConfig {
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("encoder.json");
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let cfg: EncoderConfig = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a valid encoder config", path.display()))?;
        if cfg.max_length < 3 {
            bail!("{}: max_length {} is too small", path.display(), cfg.max_length);
        }
        Ok(cfg)
    }

    /// The ONNX file of a variant (`None`: the main one).
    pub fn onnx_file(&self, variant: Option<&str>) -> Result<&str> {
        match variant {
            None => Ok(&self.onnx),
            Some(v) => self.variants.get(v).map(String::as_str).with_context(|| {
                let known: Vec<&str> = self.variants.keys().map(String::as_str).collect();
                format!("model {} has no variant {v:?} (it has: {})", self.id, known.join(", "))
            }),
        }
    }
}

fn default_onnx() -> String {
    "model.onnx".into()
}
fn default_tokenizer() -> String {
    "tokenizer.json".into()
}
fn default_max_length() -> usize {
    512
}
fn default_output() -> String {
    "last_hidden_state".into()
}
fn default_heads() -> String {
    "heads".into()
}
fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Irritant;

    #[test]
    fn minimal_config_takes_defaults() {
        let c: EncoderConfig = serde_json::from_str(r#"{"id": "x", "head": {"kind": "trained"}}"#).unwrap();
        assert_eq!(c.onnx, "model.onnx");
        assert_eq!(c.max_length, 512);
        assert_eq!(c.pooling, Pooling::Mean);
        assert!(c.normalize);
        assert_eq!(c.head, HeadConfig::Trained { dir: "heads".into() });
        assert!(c.onnx_file(Some("int8")).unwrap_err().to_string().contains("no variant"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_json::from_str::<EncoderConfig>(
            r#"{"id": "x", "pooling": "mean", "pool": 1, "head": {"kind": "trained"}}"#,
        );
        assert!(e.is_err());
    }

    #[test]
    fn label_map_needs_all_seven_labels() {
        let labels: Vec<String> =
            ["negative", "neutral", "positive", "digital", "phygital_bridge", "third_party", "physical"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let m = LabelMap::new(&labels, &BTreeMap::from([("physical".to_string(), 0.4)])).unwrap();
        assert_eq!(m.layout.category(Irritant::Digital), 3);
        assert_eq!(m.layout.sentiment(Sentiment::Negative), 0);
        assert_eq!(m.thresholds[m.layout.category(Irritant::Physical)], 0.4);
        assert!(LabelMap::new(&labels, &BTreeMap::from([("negative".to_string(), 0.4)])).is_err());
        let err = format!("{:#}", LabelMap::new(&labels[..6], &BTreeMap::new()).unwrap_err());
        assert!(err.contains("physical"), "{err}");
    }
}
