//! `--resume`: what the classifier said about each finished batch is kept on disk, so a
//! run that was killed does not classify again what it had classified.
//!
//! Classification is where a run spends its time; reading, writing and the join are
//! deterministic and quick next to it. So a checkpoint is not a snapshot of half-written
//! tables but the classifier's predictions for one batch, written once the batch is
//! classified, in order: `P/.OUT.irritant-checkpoints/batch-000042.json.zst` beside the
//! output folder `P/OUT`, under the output's lock. A resumed run reads its inputs again
//! and takes each batch's predictions from its checkpoint while there is one, then
//! classifies the rest: every row is built as an uninterrupted run builds it, so the
//! tables are the same bytes (the run id is the interrupted run's). A checkpoint folder
//! records a fingerprint of what decides the batches and the predictions (the inputs'
//! names, sizes and times, the model, the batch size, the text options); `--resume` on
//! another fingerprint is refused, and a run without `--resume` removes the folder. A
//! committed run removes its checkpoints.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use sha2::Digest;

use super::RunConfig;
use crate::classify::Prediction;
use crate::error::UsageError;

/// The file naming a checkpoint folder's run and fingerprint.
const RUN_FILE: &str = "run.json";

#[derive(Debug, Serialize, Deserialize)]
struct RunRecord {
    run_id: String,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Batch {
    segments: usize,
    predictions: Vec<Prediction>,
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
    Ok(format!("{:x}", sha2::Sha256::digest(description.as_bytes())))
}

/// The checkpoint folder of an output folder.
pub fn folder(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    out.with_file_name(format!(".{name}.irritant-checkpoints"))
}

/// The run id a `--resume` continues: the interrupted run's, when it left checkpoints.
pub fn interrupted_run_id(out: &Path) -> Option<String> {
    let bytes = std::fs::read(folder(out).join(RUN_FILE)).ok()?;
    serde_json::from_slice::<RunRecord>(&bytes).ok().map(|r| r.run_id)
}

impl Checkpoints {
    /// Opens the checkpoints of `out` for the run `run_id` with `fingerprint`: reuses the
    /// folder with `resume` (the fingerprint must match), otherwise starts it afresh;
    /// returns whether an interrupted run's checkpoints were removed.
    pub fn open(out: &Path, run_id: &str, fingerprint: &str, resume: bool) -> Result<(Self, bool)> {
        let dir = folder(out);
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
            write_atomically(&dir.join(RUN_FILE), &serde_json::to_vec_pretty(&record)?)?;
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
        let path = self.dir.join(format!("batch-{number:06}.json.zst"));
        if let Some(batch) = read_batch(&path) {
            if batch.segments != segments || batch.predictions.len() != segments {
                bail!(
                    "--resume: checkpoint {} holds {} segments where the inputs give {segments}; run without --resume",
                    path.display(),
                    batch.segments
                );
            }
            state.1 += 1;
            return Ok(batch.predictions);
        }
        let predictions = classify()?;
        let batch = Batch { segments, predictions };
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 1)?;
        serde_json::to_writer(&mut encoder, &batch)?;
        write_atomically(&path, &encoder.finish()?)?;
        if self.fail_after == Some(number) {
            // As a kill would: no clean-up, no commit.
            std::process::abort();
        }
        Ok(batch.predictions)
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
fn read_batch(path: &Path) -> Option<Batch> {
    let file = std::fs::File::open(path).ok()?;
    let mut json = Vec::new();
    zstd::stream::read::Decoder::new(file).ok()?.read_to_end(&mut json).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Writes `bytes` to a temporary name and renames it, so a file either is whole or is
/// not there.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.sync_all().with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
