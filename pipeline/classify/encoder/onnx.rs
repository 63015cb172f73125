//! Running an ONNX encoder: tokenise, batch by length, run a pool of sessions, pool the
//! token states.
//!
//! Segments are sorted by token count and cut into batches of at most
//! [`EncoderOptions::batch_tokens`] padded tokens, so each batch pads only to its own
//! longest segment. The batching depends only on the texts, never on the thread count,
//! so a given input always meets the same batches. `Session::run` takes `&mut self`, so
//! sessions sit in a pool; all of them share one thread budget with the rayon workers
//! (`sessions × intra-op threads = threads`), so two cores are never asked to run four
//! busy threads.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{anyhow, bail, ensure, Result};
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;
use rayon::prelude::*;
use tokenizers::Tokenizer;

use super::config::{EncoderConfig, Pooling};
use super::runtime;
use crate::classify::SegmentInput;
use crate::digest::{hex_sha256, sha256_file};

/// How to run an encoder on this machine.
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    /// ONNX Runtime library (see [`runtime::locate`]).
    pub ort_lib: Option<PathBuf>,
    /// Thread budget shared by the sessions; 0 for one per core.
    pub threads: usize,
    /// Sessions in the pool; 0 picks one, which on two cores ran within 5% of two
    /// single-threaded sessions with 450 MiB less memory (fp32).
    pub sessions: usize,
    /// Upper bound on a batch's padded size (segments × longest segment, in tokens).
    pub batch_tokens: usize,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions { ort_lib: None, threads: 0, sessions: 0, batch_tokens: 1024 }
    }
}

/// One segment's encoder output.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The raw output row: the pooled (and, if configured, normalised) vector for a
    /// token-state model, the logits for a sequence classifier.
    pub vector: Vec<f32>,
    /// Each pooled token's state (`hidden` floats each), or for a `logits` model with a
    /// `token_output` its share of each logit, for attribution; empty when not asked for.
    pub states: Vec<f32>,
    /// Each token's byte range in the segment's text; `None` for the prefix and specials.
    pub offsets: Vec<Option<(usize, usize)>>,
    /// L2 norm of the pooled vector before normalisation (1 when not normalised).
    pub norm: f32,
}

/// An ONNX encoder with its tokenizer and a pool of sessions.
pub struct OnnxEncoder {
    pub config: EncoderConfig,
    tokenizer: Tokenizer,
    sessions: Vec<Mutex<Session>>,
    feeds_token_types: bool,
    pad_id: i64,
    batch_tokens: usize,
    /// SHA-256 over the ONNX file, the tokenizer and the config.
    pub sha256: String,
    /// `id`, or `id:variant`.
    pub name: String,
}

impl OnnxEncoder {
    /// Loads `dir`'s `encoder.json`, tokenizer and ONNX file (or the named variant's).
    pub fn load(dir: &Path, variant: Option<&str>, opts: &EncoderOptions) -> Result<Self> {
        let config = EncoderConfig::load(dir)?;
        let onnx_path = dir.join(config.onnx_file(variant)?);
        let tok_path = dir.join(&config.tokenizer);
        for p in [&onnx_path, &tok_path] {
            ensure!(
                p.is_file(),
                "{} is missing (for models/e5-small, run models/e5-small/setup.sh first)",
                p.display()
            );
        }
        let mut tokenizer =
            Tokenizer::from_file(&tok_path).map_err(|e| anyhow!("cannot read {}: {e}", tok_path.display()))?;
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams { max_length: config.max_length, ..Default::default() }))
            .map_err(|e| anyhow!("{e}"))?;
        tokenizer.with_padding(None);

        let (_, env) = runtime::environment(opts.ort_lib.as_deref())?;
        let threads = if opts.threads == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        } else {
            opts.threads
        };
        let n_sessions = if opts.sessions == 0 { 1 } else { opts.sessions.min(threads) };
        let intra = (threads / n_sessions).max(1);
        let mut sessions = Vec::with_capacity(n_sessions);
        for _ in 0..n_sessions {
            let session = Session::builder(env)
                .map_err(ort_err)?
                .with_optimization_level(GraphOptimizationLevel::Level3)
                .map_err(ort_err)?
                .with_intra_threads(intra)
                .map_err(ort_err)?
                .with_inter_threads(1)
                .map_err(ort_err)?
                .commit_from_file(&onnx_path)
                .map_err(|e| anyhow!("cannot load {}: {e}", onnx_path.display()))?;
            sessions.push(Mutex::new(session));
        }
        let feeds_token_types = {
            let s = sessions[0].lock().unwrap();
            let inputs: Vec<&str> = s.inputs().iter().map(|o| o.name()).collect();
            for need in ["input_ids", "attention_mask"] {
                ensure!(inputs.contains(&need), "{} has no input {need:?} (it has {inputs:?})", onnx_path.display());
            }
            for out in std::iter::once(&config.output).chain(&config.token_output) {
                ensure!(s.outputs().iter().any(|o| o.name() == out), "{} has no output {out:?}", onnx_path.display());
            }
            inputs.contains(&"token_type_ids")
        };

        let mut hashed = Vec::new();
        for p in [&onnx_path, &tok_path, &dir.join("encoder.json")] {
            hashed.extend_from_slice(sha256_file(p)?.0.as_bytes());
        }
        let pad_id = ["<pad>", "[PAD]"].iter().find_map(|t| tokenizer.token_to_id(t)).unwrap_or(0) as i64;
        let name = match variant {
            Some(v) => format!("{}:{v}", config.id),
            None => config.id.clone(),
        };
        Ok(OnnxEncoder {
            config,
            tokenizer,
            sessions,
            feeds_token_types,
            pad_id,
            batch_tokens: opts.batch_tokens.max(1),
            sha256: hex_sha256(&hashed),
            name,
        })
    }

    /// Encodes segments read alone; the output is in input order. `with_states` keeps
    /// each token's state (for attribution) as well as the pooled vector.
    pub fn encode(&self, texts: &[&str], with_states: bool) -> Result<Vec<Encoded>> {
        let inputs: Vec<SegmentInput> = texts.iter().map(|t| SegmentInput::alone(t)).collect();
        self.encode_segments(&inputs, with_states, false)
    }

    /// Encodes segments; with `pairs`, a segment with a previous one is read as the pair
    /// (previous, segment), the way the encoder reads two sentences, and its vector pools
    /// the segment's tokens only, which attended to the context. The output is in input
    /// order.
    pub fn encode_segments(&self, inputs: &[SegmentInput], with_states: bool, pairs: bool) -> Result<Vec<Encoded>> {
        let prefix = self.config.prefix.as_str();
        let texts: Vec<tokenizers::EncodeInput> = inputs
            .iter()
            .map(|s| match s.previous.filter(|_| pairs) {
                Some(p) => (format!("{prefix}{p}"), s.text.to_string()).into(),
                None => format!("{prefix}{}", s.text).into(),
            })
            .collect();
        let encodings = self.tokenizer.encode_batch(texts, true).map_err(|e| anyhow!("tokeniser: {e}"))?;
        // The tokens pooled: the second sequence of a pair, else every token.
        let ranges: Vec<(usize, usize)> = encodings
            .iter()
            .map(|e| {
                let ids = e.get_sequence_ids();
                match (ids.iter().position(|s| *s == Some(1)), ids.iter().rposition(|s| *s == Some(1))) {
                    (Some(a), Some(b)) => (a, b + 1),
                    _ => (0, ids.len()),
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| (encodings[i].get_ids().len(), i));
        let mut batches: Vec<&[usize]> = Vec::new();
        let mut rest = order.as_slice();
        while !rest.is_empty() {
            // Sorted ascending, so the last segment taken is the batch's longest.
            let mut n = 1;
            while n < rest.len() && (n + 1) * encodings[rest[n]].get_ids().len().max(1) <= self.batch_tokens {
                n += 1;
            }
            let (b, r) = rest.split_at(n);
            batches.push(b);
            rest = r;
        }
        let run = |batch: &&[usize]| -> Result<Vec<(usize, Encoded)>> {
            let slot = rayon::current_thread_index().unwrap_or(0) % self.sessions.len();
            let mut session = self.sessions[slot].lock().map_err(|_| anyhow!("an encoder session panicked"))?;
            let encs: Vec<(&tokenizers::Encoding, (usize, usize))> =
                batch.iter().map(|&i| (&encodings[i], ranges[i])).collect();
            let out = self.run_batch(&mut session, &encs, with_states)?;
            Ok(batch.iter().copied().zip(out).collect())
        };
        // One session already uses every thread of the budget: feed it from this thread
        // alone rather than have rayon workers queue on its lock.
        let results: Vec<Result<Vec<(usize, Encoded)>>> = if self.sessions.len() == 1 {
            batches.iter().map(run).collect()
        } else {
            batches.par_iter().map(run).collect()
        };
        let mut slots: Vec<Option<Encoded>> = (0..inputs.len()).map(|_| None).collect();
        for r in results {
            for (i, e) in r? {
                slots[i] = Some(e);
            }
        }
        let prefix_len = prefix.len();
        Ok(slots
            .into_iter()
            .zip(encodings.iter().zip(&ranges))
            .map(|(e, (enc, &(a, b)))| {
                let mut e = e.expect("every segment is in one batch");
                if !e.states.is_empty() {
                    // A pair's second sequence has no prefix; a lone segment's offsets
                    // count the prefix.
                    let shift = if a > 0 { 0 } else { prefix_len };
                    e.offsets = enc.get_offsets()[a..b]
                        .iter()
                        .zip(&enc.get_special_tokens_mask()[a..b])
                        .map(|(&(x, y), &special)| {
                            (special == 0 && x >= shift && y > x).then(|| (x - shift, y - shift))
                        })
                        .collect();
                }
                e
            })
            .collect())
    }

    fn run_batch(
        &self,
        session: &mut Session,
        encs: &[(&tokenizers::Encoding, (usize, usize))],
        with_states: bool,
    ) -> Result<Vec<Encoded>> {
        let b = encs.len();
        let width = encs.iter().map(|(e, _)| e.get_ids().len()).max().unwrap_or(0).max(1);
        let pad = self.pad_id;
        let mut ids = vec![pad; b * width];
        let mut mask = vec![0i64; b * width];
        let mut types = vec![0i64; b * width];
        for (r, (e, _)) in encs.iter().enumerate() {
            for (c, (&id, &t)) in e.get_ids().iter().zip(e.get_type_ids()).enumerate() {
                ids[r * width + c] = id as i64;
                mask[r * width + c] = 1;
                types[r * width + c] = t as i64;
            }
        }
        let shape = [b, width];
        let mut feed = ort::inputs![
            "input_ids" => Tensor::from_array((shape, ids))?,
            "attention_mask" => Tensor::from_array((shape, mask))?,
        ];
        if self.feeds_token_types {
            feed.push(("token_type_ids".into(), Tensor::from_array((shape, types))?.into()));
        }
        let outputs = session.run(feed)?;
        let (out_shape, data) = outputs[self.config.output.as_str()].try_extract_tensor::<f32>()?;
        let dims: Vec<i64> = out_shape.iter().copied().collect();
        match dims.as_slice() {
            [ob, ow, hidden] if *ob as usize == b && *ow as usize == width => {
                let hidden = *hidden as usize;
                Ok((0..b)
                    .map(|r| {
                        let (from, to) = encs[r].1;
                        let rows = &data[(r * width + from) * hidden..(r * width + to) * hidden];
                        self.pool(rows, hidden, to - from, with_states)
                    })
                    .collect())
            }
            [ob, labels] if *ob as usize == b => {
                let labels = *labels as usize;
                // Each token's share of the logits, over the pooled tokens, for evidence.
                let shares = match self.config.token_output.as_deref().filter(|_| with_states) {
                    Some(name) => {
                        let (s, d) = outputs[name].try_extract_tensor::<f32>()?;
                        let dims: Vec<i64> = s.iter().copied().collect();
                        ensure!(
                            dims == [b as i64, width as i64, labels as i64],
                            "output {name:?} has shape {dims:?}, expected [{b}, {width}, {labels}]"
                        );
                        Some(d)
                    }
                    None => None,
                };
                Ok((0..b)
                    .map(|r| {
                        let (from, to) = encs[r].1;
                        Encoded {
                            vector: data[r * labels..(r + 1) * labels].to_vec(),
                            states: shares.map_or_else(Vec::new, |d| {
                                d[(r * width + from) * labels..(r * width + to) * labels].to_vec()
                            }),
                            offsets: Vec::new(),
                            norm: 1.0,
                        }
                    })
                    .collect())
            }
            _ => bail!(
                "output {:?} has shape {dims:?}, expected [batch, sequence, hidden] or [batch, labels]",
                self.config.output
            ),
        }
    }

    fn pool(&self, rows: &[f32], hidden: usize, len: usize, with_states: bool) -> Encoded {
        let mut v = vec![0f32; hidden];
        match self.config.pooling {
            Pooling::Mean => {
                for t in 0..len {
                    for (acc, x) in v.iter_mut().zip(&rows[t * hidden..(t + 1) * hidden]) {
                        *acc += x;
                    }
                }
                let inv = 1.0 / len.max(1) as f32;
                v.iter_mut().for_each(|x| *x *= inv);
            }
            Pooling::Cls => v.copy_from_slice(&rows[..hidden]),
        }
        let mut norm = 1.0;
        if self.config.normalize {
            norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Encoded { vector: v, states: if with_states { rows.to_vec() } else { Vec::new() }, offsets: Vec::new(), norm }
    }

    /// The token ids the model is fed for `text` (prefix and specials included).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let e = self
            .tokenizer
            .encode(format!("{}{text}", self.config.prefix), true)
            .map_err(|e| anyhow!("tokeniser: {e}"))?;
        Ok(e.get_ids().to_vec())
    }
}

fn ort_err<R>(e: ort::Error<R>) -> anyhow::Error {
    anyhow!("ONNX Runtime: {e}")
}
