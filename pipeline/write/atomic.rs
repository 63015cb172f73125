//! Atomic outputs. A run writes every table into a hidden staging directory inside the
//! output directory and moves them into place only once all of them are complete and the
//! row accounting adds up; the manifest moves last, so its presence marks a finished run.
//! What a commit replaces is first moved aside, and moved back if the commit fails half
//! way. A run that fails or is interrupted removes its staging directory, and the output
//! directory too when the run created it and it is still empty; one that is killed leaves
//! only hidden folders, which the next run into the same directory removes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Prefix of a run's staging directory inside the output directory.
const STAGING_PREFIX: &str = ".irritant-staging-";
/// Prefix of the folder holding what a commit replaces, until the commit is done.
const REPLACED_PREFIX: &str = ".irritant-replaced-";

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().context("output path has no file name")?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// How a commit treats what the output directory already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// Each committed entry replaces the one of the same name.
    Replace,
    /// Folders are merged: the new files are added beside the existing ones (a file of the
    /// same path is replaced); files at the top level are replaced.
    Append,
}

/// A staging directory for one run's outputs.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    /// The output directory did not exist before this run.
    created_out: bool,
    committed: bool,
    /// Leftovers of killed runs that were removed.
    pub removed_stale: Vec<PathBuf>,
}

/// Whether a process of this id is running (Linux: `/proc`; elsewhere assumed gone).
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the hidden folders that killed runs left in `out`: staging directories and
/// replaced outputs of processes that no longer run. A replaced-outputs folder is only
/// left by a commit killed half way; its content is older than what is in place, and is
/// dropped.
fn remove_stale(out: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(out) else { return removed };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(STAGING_PREFIX).or_else(|| name.strip_prefix(REPLACED_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(process_alive) {
            continue;
        }
        if std::fs::remove_dir_all(e.path()).is_ok() {
            removed.push(e.path());
        }
    }
    removed.sort();
    removed
}

impl Staging {
    /// A fresh staging directory inside `out` (created if missing, and removed again if
    /// the run does not commit), after removing what killed runs left there. `tag` names
    /// the directory beside the process id (a run id).
    pub fn new(out: &Path, tag: &str) -> Result<Self> {
        let created_out = !out.exists();
        std::fs::create_dir_all(out).with_context(|| format!("cannot create output directory {}", out.display()))?;
        let removed_stale = remove_stale(out);
        let dir = out.join(format!("{STAGING_PREFIX}{}-{tag}", std::process::id()));
        if let Err(e) = std::fs::create_dir(&dir) {
            if created_out {
                std::fs::remove_dir(out).ok();
            }
            return Err(e).with_context(|| format!("cannot create {}", dir.display()));
        }
        Ok(Staging { dir, out: out.to_path_buf(), created_out, committed: false, removed_stale })
    }

    /// The staging directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a file of this run is written before it is committed.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Moves the named entries (files or folders) of the staging directory into the
    /// output directory, in order, the last one last; `obsolete` names entries of the
    /// output directory to remove with the commit (outputs of an earlier layout). If a
    /// move fails, what was moved is put back and the earlier outputs restored.
    pub fn commit(mut self, names: &[&str], obsolete: &[&str], mode: CommitMode) -> Result<()> {
        let aside = self.out.join(format!("{REPLACED_PREFIX}{}-{}", std::process::id(), self.tag()));
        std::fs::create_dir(&aside).with_context(|| format!("cannot create {}", aside.display()))?;
        let mut log = Vec::new();
        let result = self.move_all(names, obsolete, mode, &aside, &mut log);
        if result.is_err() {
            for step in log.into_iter().rev() {
                std::fs::rename(&step.1, &step.0).ok();
            }
        }
        std::fs::remove_dir_all(&aside).ok();
        result?;
        self.committed = true;
        std::fs::remove_dir_all(&self.dir).ok();
        Ok(())
    }

    fn tag(&self) -> String {
        let name = self.dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        name.strip_prefix(STAGING_PREFIX).and_then(|r| r.split_once('-')).map(|(_, t)| t.to_string()).unwrap_or(name)
    }

    /// Performs the moves of a commit, logging each (from, to) so it can be undone.
    fn move_all(
        &self,
        names: &[&str],
        obsolete: &[&str],
        mode: CommitMode,
        aside: &Path,
        log: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<()> {
        let mut kept = 0;
        let mut rename = |from: PathBuf, to: PathBuf| -> Result<()> {
            std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
            log.push((from, to));
            Ok(())
        };
        for name in obsolete {
            let old = self.out.join(name);
            if old.exists() {
                rename(old, aside.join(name))?;
            }
        }
        for name in names {
            let new = self.dir.join(name);
            let target = self.out.join(name);
            if mode == CommitMode::Append && new.is_dir() && target.is_dir() {
                for file in files_under(&new)? {
                    let rel = file.strip_prefix(&new).expect("under new");
                    let to = target.join(rel);
                    if let Some(parent) = to.parent() {
                        std::fs::create_dir_all(parent)
                            .with_context(|| format!("cannot create {}", parent.display()))?;
                    }
                    if to.exists() {
                        kept += 1;
                        let keep = aside.join(format!("{name}-{kept}"));
                        rename(to.clone(), keep)?;
                    }
                    rename(file, to)?;
                }
                continue;
            }
            if target.exists() {
                rename(target.clone(), aside.join(name))?;
            }
            rename(new, target)?;
        }
        Ok(())
    }
}

/// Every file under `dir`, recursively, in name order.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_dir_all(&self.dir).ok();
            if self.created_out {
                // Only if empty: never remove what another process put there meanwhile.
                std::fs::remove_dir(&self.out).ok();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        v.sort();
        v
    }

    #[test]
    fn uncommitted_staging_leaves_the_directory_as_it_was() {
        let parent = tempfile::tempdir().unwrap();
        let existing = parent.path().join("existing");
        std::fs::create_dir(&existing).unwrap();
        {
            let s = Staging::new(&existing, "r1").unwrap();
            std::fs::write(s.path("segments.parquet"), b"half").unwrap();
        }
        assert!(names(&existing).is_empty());
        let fresh = parent.path().join("fresh");
        {
            let s = Staging::new(&fresh, "r2").unwrap();
            std::fs::write(s.path("x"), b"half").unwrap();
        }
        assert!(!fresh.exists(), "a failed run removes the output directory it created");
    }

    #[test]
    fn commit_replaces_folders_and_removes_obsolete_outputs() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir(out.path().join("segments")).unwrap();
        std::fs::write(out.path().join("segments/part-old.parquet"), b"old").unwrap();
        std::fs::write(out.path().join("segments.parquet"), b"old layout").unwrap();
        let s = Staging::new(out.path(), "r1").unwrap();
        std::fs::create_dir(s.path("segments")).unwrap();
        std::fs::write(s.path("segments/part-new.parquet"), b"new").unwrap();
        std::fs::write(s.path("_manifest.json"), b"{}").unwrap();
        s.commit(&["segments", "_manifest.json"], &["segments.parquet"], CommitMode::Replace).unwrap();
        assert_eq!(names(out.path()), vec!["_manifest.json", "segments"]);
        assert_eq!(names(&out.path().join("segments")), vec!["part-new.parquet"]);
    }

    #[test]
    fn append_adds_part_files_beside_the_existing_ones() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(out.path().join("segments/visit_month=2026-01")).unwrap();
        std::fs::write(out.path().join("segments/visit_month=2026-01/part-a.parquet"), b"a").unwrap();
        let s = Staging::new(out.path(), "r2").unwrap();
        std::fs::create_dir_all(s.path("segments/visit_month=2026-01")).unwrap();
        std::fs::create_dir_all(s.path("segments/visit_month=2026-02")).unwrap();
        std::fs::write(s.path("segments/visit_month=2026-01/part-b.parquet"), b"b").unwrap();
        std::fs::write(s.path("segments/visit_month=2026-02/part-b.parquet"), b"b").unwrap();
        s.commit(&["segments"], &[], CommitMode::Append).unwrap();
        assert_eq!(names(&out.path().join("segments/visit_month=2026-01")), vec!["part-a.parquet", "part-b.parquet"]);
        assert_eq!(names(&out.path().join("segments/visit_month=2026-02")), vec!["part-b.parquet"]);
        assert_eq!(names(out.path()), vec!["segments"]);
    }

    #[test]
    fn a_failed_commit_restores_the_earlier_outputs() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir(out.path().join("segments")).unwrap();
        std::fs::write(out.path().join("segments/part-old.parquet"), b"old").unwrap();
        let s = Staging::new(out.path(), "r3").unwrap();
        std::fs::create_dir(s.path("segments")).unwrap();
        std::fs::write(s.path("segments/part-new.parquet"), b"new").unwrap();
        // `turns` is missing from the staging directory: its move fails after segments'.
        assert!(s.commit(&["segments", "turns"], &[], CommitMode::Replace).is_err());
        assert_eq!(names(out.path()), vec!["segments"]);
        assert_eq!(names(&out.path().join("segments")), vec!["part-old.parquet"]);
    }

    #[test]
    fn leftovers_of_dead_runs_are_removed_and_live_ones_kept() {
        let out = tempfile::tempdir().unwrap();
        // No process has id 4294967: a killed run's staging directory.
        let dead = out.path().join(format!("{STAGING_PREFIX}4294967-old"));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("segments.parquet"), b"").unwrap();
        let live = out.path().join(format!("{STAGING_PREFIX}1-running"));
        std::fs::create_dir(&live).unwrap();
        let s = Staging::new(out.path(), "r4").unwrap();
        assert_eq!(s.removed_stale, vec![dead.clone()]);
        assert!(!dead.exists());
        assert!(live.exists(), "process 1 is alive: its staging directory stays");
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.json");
        write_file_atomically(&p, b"first").unwrap();
        write_file_atomically(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
