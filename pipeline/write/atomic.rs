//! Atomic outputs. A run writes every table into a hidden staging directory inside the
//! output directory and renames the files into place only once all of them are complete
//! and the row accounting adds up; the manifest is renamed last, so its presence marks a
//! finished run. A run that fails removes its staging directory; one that is killed
//! leaves only that hidden directory, never a truncated table under its real name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().context("output path has no file name")?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// A staging directory for one run's outputs.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates `out` if needed and a fresh staging directory inside it.
    pub fn new(out: &Path) -> Result<Self> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create output directory {}", out.display()))?;
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = out.join(format!(".irritant-staging-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Staging { dir, out: out.to_path_buf(), committed: false })
    }

    /// Where a file of this run is written before it is committed.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Moves the named files into the output directory, in order, then removes the
    /// staging directory.
    pub fn commit(mut self, names: &[&str]) -> Result<()> {
        for name in names {
            let to = self.out.join(name);
            std::fs::rename(self.dir.join(name), &to)
                .with_context(|| format!("cannot move {name} into {}", self.out.display()))?;
        }
        self.committed = true;
        std::fs::remove_dir_all(&self.dir).ok();
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

    #[test]
    fn uncommitted_staging_leaves_nothing() {
        let out = tempfile::tempdir().unwrap();
        {
            let s = Staging::new(out.path()).unwrap();
            std::fs::write(s.path("segments.parquet"), b"half").unwrap();
        }
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }

    #[test]
    fn commit_moves_files_and_removes_staging() {
        let out = tempfile::tempdir().unwrap();
        let s = Staging::new(out.path()).unwrap();
        std::fs::write(s.path("a.parquet"), b"x").unwrap();
        s.commit(&["a.parquet"]).unwrap();
        let names: Vec<_> =
            std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec!["a.parquet"]);
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
