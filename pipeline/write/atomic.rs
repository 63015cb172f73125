//! Atomic, durable outputs: a run's outputs become visible all at once, or not at all.
//!
//! The protocol, for an output directory `OUT` in folder `P`:
//!
//! 1. The run writes its whole new version of `OUT` into a hidden staging folder beside
//!    it, `P/.OUT.irritant-staging-PID-TAG` (same file system, so renames are atomic).
//! 2. At commit, what the new version keeps of the current `OUT` is hard-linked into the
//!    staging folder: entries the run does not own (a user's notes), and with
//!    [`CommitMode::Append`] the earlier part files of the tables. Nothing in `OUT`
//!    changes.
//! 3. Every file and folder of the staging folder is flushed to disk (`fsync`).
//! 4. One atomic step swaps the two folders: `renameat2(RENAME_EXCHANGE)` on Linux (or a
//!    plain rename when `OUT` does not exist yet), then the parent folder is flushed.
//!    A reader listing `OUT` sees the old version before this step and the new one after,
//!    never a mix; files it has open stay readable.
//! 5. The old version, now under the staging name, is removed.
//!
//! Where the exchange is not supported (another OS, some network file systems), step 4
//! is two renames (`OUT` aside, staging in), with a moment where `OUT` is missing but
//! never mixed; a run killed in between leaves the old version aside, and the next run
//! puts it back before anything else.
//!
//! One run at a time writes a given `OUT`: each holds an exclusive lock on
//! `P/.OUT.irritant-lock` from its start to the end of its commit, and a second one stops
//! at once with a message. So every staging folder found beside `OUT` by the lock holder
//! is a leftover of a killed run. A run that fails or is stopped removes its staging
//! folder and leaves `OUT` as it found it (it does not even create it); one killed
//! outright leaves only the hidden folder, which the next run into the same `OUT`
//! removes.
//!
//! `IRRITANT_FAIL_AT=commit:N` aborts the process at step N of a commit (1: after the
//! links, 2: after the flush, 3: after the swap, before the old version is removed), so
//! tests can kill a run at every step.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Marks a staging folder in its name.
const STAGING_MARK: &str = ".irritant-staging-";
/// Marks the old version set aside by the two-rename fallback.
const REPLACED_MARK: &str = ".irritant-replaced-";

/// Writes `bytes` to `path` through a temporary file in the same directory, flushed to
/// disk, and a rename.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().context("output path has no file name")?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    write().with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// How a commit treats what the output directory already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// Each committed entry replaces the one of the same name.
    Replace,
    /// Folders are merged: the earlier files are kept beside the new ones (a file of the
    /// same path is the new one); files at the top level are replaced.
    Append,
}

/// A staging folder for one run's version of the output directory.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    committed: bool,
    /// The exclusive lock on the output, released when the staging is dropped.
    _lock: std::fs::File,
    /// Leftovers of killed runs that were removed (or, for an old version left aside, put
    /// back).
    pub removed_stale: Vec<PathBuf>,
}

/// The hidden path `P/.OUT.irritant-WHAT` that irritant keeps beside the output `P/OUT`
/// (`lock`, `checkpoints`), found as the commit finds `OUT`: through a symbolic link.
pub fn beside_output(out: &Path, what: &str) -> Result<PathBuf> {
    let (_, parent, name) = locate(out)?;
    Ok(beside(&parent, &name.to_string_lossy(), what))
}

fn beside(parent: &Path, name: &str, what: &str) -> PathBuf {
    parent.join(format!(".{name}.irritant-{what}"))
}

/// Takes the output's lock, or says which run holds it.
fn lock_output(parent: &Path, name: &str) -> Result<std::fs::File> {
    let path = beside(parent, name, "lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot create the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!("another irritant run is writing this output (it holds {}); wait for it to end", path.display())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// `out` made absolute, through a symbolic link if it is one, with its parent and name.
fn locate(out: &Path) -> Result<(PathBuf, PathBuf, OsString)> {
    let abs = if out.exists() {
        out.canonicalize().with_context(|| format!("cannot resolve {}", out.display()))?
    } else {
        std::path::absolute(out).with_context(|| format!("cannot resolve {}", out.display()))?
    };
    let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
        bail!("{}: the output must be a folder with a parent folder", out.display());
    };
    if out.exists() && !abs.is_dir() {
        bail!("{}: the output exists and is not a folder", out.display());
    }
    Ok((abs.clone(), parent.to_path_buf(), name.to_os_string()))
}

/// Cleans what killed runs left for `out` (the caller holds the output's lock, so no
/// other run is writing): staging folders beside `out`, or inside it as an earlier
/// version of irritant put them, and an old version left aside by the fallback, which
/// goes back into place if `out` is missing.
fn recover(out: &Path, parent: &Path, name: &str) -> Result<Vec<PathBuf>> {
    let mut done = Vec::new();
    let prefix = format!(".{name}");
    let beside = std::fs::read_dir(parent).into_iter().flatten().filter_map(|e| e.ok()).filter_map(|e| {
        let n = e.file_name().to_string_lossy().to_string();
        let ours = n
            .strip_prefix(&prefix)
            .is_some_and(|rest| rest.starts_with(STAGING_MARK) || rest.starts_with(REPLACED_MARK));
        ours.then(|| (e.path(), n))
    });
    let inside = std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| (e.path(), e.file_name().to_string_lossy().to_string()))
        .filter(|(_, n)| n.starts_with(STAGING_MARK) || n.starts_with(REPLACED_MARK));
    let mut found: Vec<(PathBuf, String)> = beside.chain(inside).collect();
    found.sort();
    for (path, n) in found {
        if n.contains(REPLACED_MARK) && !out.exists() && path.parent() == Some(parent) {
            std::fs::rename(&path, out).with_context(|| format!("cannot restore {}", path.display()))?;
        } else {
            std::fs::remove_dir_all(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        done.push(path);
    }
    Ok(done)
}

/// Aborts the process at commit step `step` when `IRRITANT_FAIL_AT=commit:STEP` asks.
fn fail_point(step: u32) {
    if std::env::var("IRRITANT_FAIL_AT").is_ok_and(|v| v == format!("commit:{step}")) {
        eprintln!("irritant: IRRITANT_FAIL_AT=commit:{step}: aborting");
        std::process::abort();
    }
}

/// Hard-links every file under `from` into the same place under `to`, keeping a file
/// already there; folders are created as needed and symbolic links recreated as links
/// (never followed). Falls back to a copy where a link fails.
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(from).with_context(|| format!("cannot read {}", from.display()))?;
    if meta.is_dir() {
        std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
        std::fs::set_permissions(to, meta.permissions()).ok();
        for e in std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
            let e = e?;
            link_tree(&e.path(), &to.join(e.file_name()))?;
        }
    } else if std::fs::symlink_metadata(to).is_ok() {
        // The new version's file of the same path wins.
    } else if meta.file_type().is_symlink() {
        let target = std::fs::read_link(from)?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, to).with_context(|| format!("cannot link {}", to.display()))?;
        #[cfg(not(unix))]
        let _ = target;
    } else if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// Flushes every regular file and folder under `path` to disk, folders after their
/// content; links and special files are left alone.
fn sync_tree(path: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        for e in std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))? {
            sync_tree(&e?.path())?;
        }
        sync_path(path)
    } else if meta.is_file() {
        sync_path(path)
    } else {
        Ok(())
    }
}

fn sync_path(path: &Path) -> Result<()> {
    std::fs::File::open(path).and_then(|f| f.sync_all()).with_context(|| format!("cannot flush {}", path.display()))
}

/// After the swap the run is committed: what fails then is reported, not an error.
fn warn_after_commit(what: Result<()>) {
    if let Err(e) = what {
        eprintln!("irritant: warning: the outputs are committed, but: {e:#}");
    }
}

/// Swaps two paths in one step; `Ok(false)` when the system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let ca = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let cb = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths relative to the current directory.
    let rc =
        unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) | Some(libc::EXDEV) => Ok(false),
        _ => Err(err).with_context(|| format!("cannot swap {} and {}", a.display(), b.display())),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> Result<bool> {
    Ok(false)
}

impl Staging {
    /// A fresh staging folder beside `out`, after cleaning what killed runs left there.
    /// `tag` names it beside the process id (a run id). Nothing is created at `out`.
    pub fn new(out: &Path, tag: &str) -> Result<Self> {
        let (out, parent, name) = locate(out)?;
        if let Ok(cwd) = std::env::current_dir().and_then(|d| d.canonicalize()) {
            if cwd.starts_with(&out) {
                bail!(
                    "{}: the output would replace the current folder or one holding it; name a folder of its own",
                    out.display()
                );
            }
        }
        std::fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let name = name.to_string_lossy().to_string();
        let lock = lock_output(&parent, &name)?;
        #[cfg(unix)]
        if out.exists() {
            use std::os::unix::fs::MetadataExt;
            let (a, b) = (std::fs::metadata(&out)?.dev(), std::fs::metadata(&parent)?.dev());
            if a != b {
                bail!(
                    "{}: the output is a mount point (another file system than {}), where a run cannot be swapped in at once; give a folder inside it as --out",
                    out.display(),
                    parent.display()
                );
            }
        }
        let removed_stale = recover(&out, &parent, &name)?;
        let dir = parent.join(format!(".{name}{STAGING_MARK}{}-{tag}", std::process::id()));
        std::fs::create_dir(&dir)
            .with_context(|| format!("cannot create the staging folder {} beside the output", dir.display()))?;
        if let Ok(meta) = std::fs::metadata(&out) {
            std::fs::set_permissions(&dir, meta.permissions()).ok();
        }
        Ok(Staging { dir, out, committed: false, _lock: lock, removed_stale })
    }

    /// The staging folder: the future output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a file of this run is written before it is committed.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Makes the staging folder the output directory in one step (see the module's
    /// protocol). `names` are the entries this run owns: with [`CommitMode::Replace`]
    /// they replace the current ones, with [`CommitMode::Append`] the current folders'
    /// files are kept beside the new ones. `obsolete` names entries of the current
    /// output to drop (outputs of an earlier layout); every other entry is kept.
    pub fn commit(mut self, names: &[&str], obsolete: &[&str], mode: CommitMode) -> Result<()> {
        for name in names {
            if !self.dir.join(name).exists() {
                bail!("internal error: {name} was not written before the commit");
            }
        }
        if self.out.is_dir() {
            for e in std::fs::read_dir(&self.out).with_context(|| format!("cannot list {}", self.out.display()))? {
                let e = e?;
                let n = e.file_name().to_string_lossy().to_string();
                let owned = names.contains(&n.as_str());
                let keep = if owned {
                    mode == CommitMode::Append && e.path().is_dir()
                } else {
                    !obsolete.contains(&n.as_str())
                };
                if keep && !n.starts_with(STAGING_MARK) && !n.starts_with(REPLACED_MARK) {
                    link_tree(&e.path(), &self.dir.join(&n))?;
                }
            }
        }
        fail_point(1);
        sync_tree(&self.dir)?;
        fail_point(2);
        let parent = self.dir.parent().expect("beside the output").to_path_buf();
        if !self.out.exists() {
            std::fs::rename(&self.dir, &self.out)
                .with_context(|| format!("cannot move {} to {}", self.dir.display(), self.out.display()))?;
            self.committed = true;
            warn_after_commit(sync_path(&parent));
            return Ok(());
        }
        if exchange(&self.dir, &self.out)? {
            self.committed = true;
            warn_after_commit(sync_path(&parent));
            fail_point(3);
            std::fs::remove_dir_all(&self.dir).ok();
            return Ok(());
        }
        let name = self.out.file_name().expect("located").to_string_lossy().to_string();
        let aside = parent.join(format!(".{name}{REPLACED_MARK}{}", std::process::id()));
        std::fs::rename(&self.out, &aside).with_context(|| format!("cannot move {} aside", self.out.display()))?;
        if let Err(e) = std::fs::rename(&self.dir, &self.out) {
            std::fs::rename(&aside, &self.out).ok();
            return Err(e).with_context(|| format!("cannot move {} to {}", self.dir.display(), self.out.display()));
        }
        self.committed = true;
        warn_after_commit(sync_path(&parent));
        fail_point(3);
        std::fs::remove_dir_all(&aside).ok();
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_dir_all(&self.dir).ok();
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
    fn uncommitted_staging_leaves_everything_as_it_was() {
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
        assert!(!fresh.exists(), "a failed run creates no output directory");
        assert_eq!(
            names(parent.path()),
            vec![".existing.irritant-lock", ".fresh.irritant-lock", "existing"],
            "no staging folder left"
        );
    }

    #[test]
    fn commit_replaces_owned_entries_keeps_others_and_drops_obsolete_ones() {
        let out = tempfile::tempdir().unwrap();
        let out = out.path().join("out");
        std::fs::create_dir_all(out.join("segments")).unwrap();
        std::fs::write(out.join("segments/part-old.parquet"), b"old").unwrap();
        std::fs::write(out.join("segments.parquet"), b"old layout").unwrap();
        std::fs::write(out.join("NOTES.md"), b"the team's notes").unwrap();
        let s = Staging::new(&out, "r1").unwrap();
        std::fs::create_dir(s.path("segments")).unwrap();
        std::fs::write(s.path("segments/part-new.parquet"), b"new").unwrap();
        std::fs::write(s.path("_manifest.json"), b"{}").unwrap();
        s.commit(&["segments", "_manifest.json"], &["segments.parquet"], CommitMode::Replace).unwrap();
        assert_eq!(names(&out), vec!["NOTES.md", "_manifest.json", "segments"]);
        assert_eq!(names(&out.join("segments")), vec!["part-new.parquet"]);
        assert_eq!(names(out.parent().unwrap()), vec![".out.irritant-lock", "out"], "the old version is gone");
    }

    #[test]
    fn append_keeps_the_earlier_part_files() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir_all(out.join("segments/visit_month=2026-01")).unwrap();
        std::fs::write(out.join("segments/visit_month=2026-01/part-a.parquet"), b"a").unwrap();
        let s = Staging::new(&out, "r2").unwrap();
        std::fs::create_dir_all(s.path("segments/visit_month=2026-01")).unwrap();
        std::fs::create_dir_all(s.path("segments/visit_month=2026-02")).unwrap();
        std::fs::write(s.path("segments/visit_month=2026-01/part-b.parquet"), b"b").unwrap();
        std::fs::write(s.path("segments/visit_month=2026-02/part-b.parquet"), b"b").unwrap();
        s.commit(&["segments"], &[], CommitMode::Append).unwrap();
        assert_eq!(names(&out.join("segments/visit_month=2026-01")), vec!["part-a.parquet", "part-b.parquet"]);
        assert_eq!(names(&out.join("segments/visit_month=2026-02")), vec!["part-b.parquet"]);
    }

    #[test]
    fn leftovers_are_removed_and_a_second_run_on_the_same_output_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        // A killed run's staging folders, beside the output and inside it (older layout).
        let dead = root.path().join(format!(".out{STAGING_MARK}4294967-old"));
        let dead_inside = out.join(format!("{STAGING_MARK}4294967-older"));
        for d in [&dead, &dead_inside] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("segments.parquet"), b"").unwrap();
        }
        let first = Staging::new(&out, "r4").unwrap();
        assert_eq!(first.removed_stale.len(), 2);
        assert!(!dead.exists() && !dead_inside.exists());
        let second = Staging::new(&out, "r5").unwrap_err().to_string();
        assert!(second.contains("another irritant run is writing this output"), "{second}");
        assert!(first.dir().exists(), "the running one's staging folder stays");
        drop(first);
        Staging::new(&out, "r6").expect("the lock is released with the staging");
    }

    #[test]
    fn the_current_folder_is_never_the_output() {
        let cwd = std::env::current_dir().unwrap();
        let e = Staging::new(&cwd, "r7").unwrap_err().to_string();
        assert!(e.contains("current folder"), "{e}");
    }

    #[test]
    fn an_old_version_left_aside_goes_back_into_place() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let aside = root.path().join(format!(".out{REPLACED_MARK}4294967"));
        std::fs::create_dir(&aside).unwrap();
        std::fs::write(aside.join("_manifest.json"), b"old").unwrap();
        let _s = Staging::new(&out, "r5").unwrap();
        assert_eq!(std::fs::read(out.join("_manifest.json")).unwrap(), b"old");
        assert!(!aside.exists());
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
