//! `--resume`: what the classifier said about each finished batch is kept on disk, so a
//! run that was killed does not classify again what it had classified.
//!
//! Classification is where a run spends its time; reading, writing and the join are
//! deterministic and quick next to it. So a checkpoint is not a snapshot of half-written
//! tables but the classifier's predictions for one batch, written once the batch is
//! classified, in order: `P/.OUT.irritant-checkpoints/batch-000042.bin.zst` beside the
//! output folder `P/OUT`, under the output's lock. A resumed run reads its inputs again
//! and takes each batch's predictions from its checkpoint while there is one, then
//! classifies the rest: every row is built as an uninterrupted run builds it, so the
//! tables are the same bytes (the run id is the interrupted run's). A checkpoint folder
//! records a fingerprint of what decides the batches and the predictions (the inputs'
//! names, sizes and times, the model, the batch size, the text options); `--resume` on
//! another fingerprint is refused, and a run without `--resume` removes the folder. A
//! committed run removes its checkpoints.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::RunConfig;
use crate::classify::Prediction;
use crate::digest::hex_sha256;
use crate::error::UsageError;
use crate::write::atomic::{beside_output, write_file_atomically};

/// The file naming a checkpoint folder's run and fingerprint.
const RUN_FILE: &str = "run.json";

#[derive(Debug, Serialize, Deserialize)]
struct RunRecord {
    run_id: String,
    fingerprint: String,
}

/// The checkpoints of one run.
pub struct Checkpoints {
    dir: PathBuf,
    /// The next batch's number, and how many were read back from disk.
    state: Mutex<(usize, u64)>,
    /// Stop the process after writing this batch (fault injection for tests).
    fail_after: Option<usize>,
}

/// What decides a run's batches and their predictions, hashed: the comment and
/// transcript files (names, sizes, modification times), the model, and the options that
/// change what is read, how it is cut into batches and what the classifier reads.
pub fn fingerprint(cfg: &RunConfig, model_sha256: &str, inputs: &[&Path]) -> Result<String> {
    let mut description = String::new();
    for path in inputs {
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        description += &format!("{}\t{}\t{:?}\n", path.display(), meta.len(), modified);
    }
    description += &format!(
        "model {model_sha256}\nbatch {} memory {} max_text_chars {} max_transcript_bytes {}\n\
         redact {} {:?}\nsegments {:?}\ncolumns {:?}\nroles {:?}\nformat {:?}\ndates {:?}\nmap {:?}\n",
        cfg.batch_size,
        cfg.memory.total,
        cfg.max_text_chars,
        cfg.max_transcript_bytes,
        cfg.redact,
        cfg.redact_kinds,
        cfg.segment_rules,
        cfg.columns.sorted(),
        cfg.roles.sorted(),
        cfg.comments_format,
        cfg.date_format,
        cfg.transcript_map,
    );
    Ok(hex_sha256(description.as_bytes()))
}

/// The checkpoint folder of an output folder.
pub fn folder(out: &Path) -> Result<PathBuf> {
    beside_output(out, "checkpoints")
}

/// The run id a `--resume` continues: the interrupted run's, when it left checkpoints.
pub fn interrupted_run_id(out: &Path) -> Option<String> {
    let bytes = std::fs::read(folder(out).ok()?.join(RUN_FILE)).ok()?;
    serde_json::from_slice::<RunRecord>(&bytes).ok().map(|r| r.run_id)
}

impl Checkpoints {
    /// Opens the checkpoints of `out` for the run `run_id` with `fingerprint`: reuses the
    /// folder with `resume` (the fingerprint must match), otherwise starts it afresh;
    /// returns whether an interrupted run's checkpoints were removed.
    pub fn open(out: &Path, run_id: &str, fingerprint: &str, resume: bool) -> Result<(Self, bool)> {
        let dir = folder(out)?;
        let mut removed = false;
        if dir.exists() {
            let record: Option<RunRecord> =
                std::fs::read(dir.join(RUN_FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok());
            match record {
                Some(r) if resume && r.fingerprint == fingerprint && r.run_id == run_id => {}
                Some(r) if resume && r.fingerprint != fingerprint => {
                    return Err(UsageError(format!(
                        "--resume: the checkpoints in {} are of run {:?} on other inputs or settings; run without --resume to start again",
                        dir.display(),
                        r.run_id
                    ))
                    .into())
                }
                _ => {
                    std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
                    removed = true;
                }
            }
        } else if resume {
            return Err(UsageError(format!(
                "--resume: no checkpoints in {}: nothing to resume (the last run was committed, or none was interrupted)",
                dir.display()
            ))
            .into());
        }
        if !dir.exists() {
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let record = RunRecord { run_id: run_id.to_string(), fingerprint: fingerprint.to_string() };
            write_file_atomically(&dir.join(RUN_FILE), &serde_json::to_vec_pretty(&record)?)?;
        }
        let fail_after =
            std::env::var("IRRITANT_FAIL_AT").ok().and_then(|v| v.strip_prefix("batch:").and_then(|n| n.parse().ok()));
        Ok((Checkpoints { dir, state: Mutex::new((0, 0)), fail_after }, removed))
    }

    /// The predictions of the next batch of `segments` segments: read from its
    /// checkpoint when there is one, otherwise computed by `classify` and written.
    pub fn batch(
        &self,
        segments: usize,
        classify: impl FnOnce() -> Result<Vec<Prediction>>,
    ) -> Result<Vec<Prediction>> {
        let mut state = self.state.lock().expect("checkpoint state");
        let number = state.0;
        state.0 += 1;
        let path = self.dir.join(format!("batch-{number:06}.bin.zst"));
        if let Some(predictions) = read_batch(&path) {
            if predictions.len() != segments {
                bail!(
                    "--resume: checkpoint {} holds {} segments where the inputs give {segments}; run without --resume",
                    path.display(),
                    predictions.len()
                );
            }
            state.1 += 1;
            return Ok(predictions);
        }
        let predictions = classify()?;
        write_file_atomically(&path, &zstd::bulk::compress(&codec::encode(&predictions), 1)?)?;
        if self.fail_after == Some(number) {
            // As a kill would: no clean-up, no commit.
            std::process::abort();
        }
        Ok(predictions)
    }

    /// Batches whose predictions were read back from an interrupted run.
    pub fn reused(&self) -> u64 {
        self.state.lock().expect("checkpoint state").1
    }

    /// Removes the checkpoints, once the run is committed.
    pub fn remove(self) -> Result<()> {
        std::fs::remove_dir_all(&self.dir).with_context(|| format!("cannot remove {}", self.dir.display()))
    }
}

/// A batch's checkpoint, `None` when absent or unreadable (a write cut short is redone).
fn read_batch(path: &Path) -> Option<Vec<Prediction>> {
    let bytes = zstd::stream::decode_all(std::fs::File::open(path).ok()?).ok()?;
    codec::decode(&bytes)
}

/// The predictions of a batch as bytes: what the classifier said, exactly (probabilities
/// as their `f32` bits), in a plain little-endian layout that is quick to write next to
/// classification (JSON cost a quarter of a run of the default model). After the magic
/// `IRCK1` and the count, each prediction is: the category probabilities (a count, then
/// `f32`s), the categories (one bit each, in [`Irritant::ALL`] order), the sentiment
/// probabilities and the sentiment's index, the evidence (a count, then for each: the
/// category's index, the aspect (`u32::MAX` for none) and its polarity, the term's UTF-8
/// length and bytes, the weight), and the aspects (a count, then aspect, polarity and
/// probability).
mod codec {
    use crate::classify::{AspectScore, Evidence, Prediction};
    use crate::taxonomy::{AspectLabel, Irritant, Polarity, Sentiment};

    const MAGIC: &[u8] = b"IRCK1";

    pub fn encode(predictions: &[Prediction]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + predictions.len() * 96);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, predictions.len() as u32);
        for p in predictions {
            put_f32s(&mut out, &p.irritant_probs);
            out.push(p.irritants.iter().map(|c| 1u8 << c.index()).sum());
            put_f32s(&mut out, &p.sentiment_probs);
            out.push(p.sentiment.index() as u8);
            put_u32(&mut out, p.evidence.len() as u32);
            for e in &p.evidence {
                out.push(e.irritant.index() as u8);
                put_label(&mut out, e.aspect);
                put_u32(&mut out, e.term.len() as u32);
                out.extend_from_slice(e.term.as_bytes());
                out.extend_from_slice(&e.weight.to_le_bytes());
            }
            put_u32(&mut out, p.aspects.len() as u32);
            for a in &p.aspects {
                put_label(&mut out, Some(a.label));
                out.extend_from_slice(&a.probability.to_le_bytes());
            }
        }
        out
    }

    /// The predictions, `None` for bytes that are not a whole checkpoint.
    pub fn decode(bytes: &[u8]) -> Option<Vec<Prediction>> {
        let mut r = Reader { bytes: bytes.strip_prefix(MAGIC)? };
        let n = r.u32()? as usize;
        let mut out = Vec::with_capacity(n.min(1 << 20));
        for _ in 0..n {
            let irritant_probs = r.f32s()?;
            let bits = r.u8()?;
            let irritants = Irritant::ALL.into_iter().filter(|c| bits & (1 << c.index()) != 0).collect();
            let sentiment_probs = r.f32s()?;
            let sentiment = *Sentiment::ALL.get(r.u8()? as usize)?;
            let mut evidence = Vec::new();
            for _ in 0..r.u32()? {
                let irritant = *Irritant::ALL.get(r.u8()? as usize)?;
                let aspect = r.label()?;
                let len = r.u32()? as usize;
                let term = String::from_utf8(r.take(len)?.to_vec()).ok()?;
                evidence.push(Evidence { irritant, aspect, term, weight: r.f32()? });
            }
            let mut aspects = Vec::new();
            for _ in 0..r.u32()? {
                let label = r.label()??;
                aspects.push(AspectScore { label, probability: r.f32()? });
            }
            out.push(Prediction { irritant_probs, irritants, sentiment_probs, sentiment, evidence, aspects });
        }
        r.bytes.is_empty().then_some(out)
    }

    fn put_u32(out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&v.to_le_bytes());
    }

    fn put_f32s(out: &mut Vec<u8>, values: &[f32]) {
        out.push(values.len() as u8);
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn put_label(out: &mut Vec<u8>, label: Option<AspectLabel>) {
        match label {
            Some(l) => {
                put_u32(out, l.aspect as u32);
                out.push(matches!(l.polarity, Polarity::Praise) as u8);
            }
            None => {
                put_u32(out, u32::MAX);
                out.push(0);
            }
        }
    }

    struct Reader<'a> {
        bytes: &'a [u8],
    }

    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            let (head, rest) = (self.bytes.get(..n)?, self.bytes.get(n..)?);
            self.bytes = rest;
            Some(head)
        }
        fn u8(&mut self) -> Option<u8> {
            Some(self.take(1)?[0])
        }
        fn u32(&mut self) -> Option<u32> {
            Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
        }
        fn f32(&mut self) -> Option<f32> {
            Some(f32::from_le_bytes(self.take(4)?.try_into().ok()?))
        }
        fn f32s(&mut self) -> Option<Vec<f32>> {
            let n = self.u8()? as usize;
            (0..n).map(|_| self.f32()).collect()
        }
        /// An aspect label, `Some(None)` for none.
        fn label(&mut self) -> Option<Option<AspectLabel>> {
            let (aspect, praise) = (self.u32()?, self.u8()?);
            if aspect == u32::MAX {
                return Some(None);
            }
            let polarity = if praise == 1 { Polarity::Praise } else { Polarity::Irritant };
            Some(Some(AspectLabel { aspect: aspect as usize, polarity }))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::classify::{linear::LinearModel, Classifier, SegmentInput};

        #[test]
        fn predictions_come_back_exactly() {
            let model = LinearModel::embedded_default().unwrap();
            let texts = [
                "Le colis a été laissé devant la porte sans sonner, et l'appli plante au paiement.",
                "Accueil très chaleureux, merci Julie !",
                "The click and collect order could not be found at the desk.",
                "ok",
            ];
            let inputs: Vec<SegmentInput> =
                texts.iter().map(|t| SegmentInput { text: t, previous: None, speaker: None }).collect();
            let predictions = model.classify(&inputs).unwrap();
            assert!(predictions.iter().any(|p| !p.evidence.is_empty() && !p.aspects.is_empty()));
            let bytes = encode(&predictions);
            assert_eq!(decode(&bytes).unwrap(), predictions);
            // A checkpoint cut short is not one.
            for cut in [0, 5, bytes.len() / 2, bytes.len() - 1] {
                assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
            }
            assert_eq!(decode(&[bytes.as_slice(), b"x"].concat()), None);
        }
    }
}
