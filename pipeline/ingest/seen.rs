//! Keys seen so far (comment ids, checklist answers), in bounded memory.
//!
//! Duplicate detection must remember every key of a run, and a month of exports holds
//! tens of millions of comments: a `HashMap<String, _>` of them costs about 100 bytes a
//! comment. Each key is kept instead as a 128-bit fingerprint (the first 16 bytes of its
//! SHA-256) with where it was first seen (a file index and a row, packed in 8 bytes), in
//! a hash table of 24-byte entries. When the table would grow past its memory budget it
//! is sorted and written to a *run* file in the spill folder, and emptied. A run keeps in
//! memory only a Bloom filter (10 bits a key, about 1% false positives) and every 128th
//! fingerprint, so a lookup reads the disk only when the filter says "maybe", and then a
//! single block of 3 KiB. This is the design of the sorted runs of a log-structured
//! merge tree, without the merging: a run is written once and only read.
//!
//! Memory is therefore the budget (and, while a run is written, a sorted copy of the
//! table's entries) plus 1.4 bytes per key spilled (filter and index). Two different keys share a fingerprint with probability about n²/2¹²⁹: about
//! 1.5·10⁻²¹ at a billion keys. Such a pair would be reported as a duplicate, naming the
//! first key's file and row, so even that case is visible in the rejects, never silent.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// Bytes of one entry on disk: the fingerprint and the packed location.
const ENTRY_BYTES: usize = 24;
/// Entries between two fingerprints kept in memory for a run (one block read a lookup).
const BLOCK_ENTRIES: usize = 128;
/// Bloom filter bits per key, and hash functions: about 1% false positives.
const BLOOM_BITS_PER_KEY: usize = 10;
const BLOOM_HASHES: u32 = 7;
/// Bits of the packed location given to the row; the file index takes the rest.
const ROW_BITS: u32 = 40;
/// Memory of one slot of the in-memory table: the entry and hashbrown's control byte.
const SLOT_BYTES: usize = ENTRY_BYTES + 1;

/// Where a key was first seen: the index of its file among the inputs, and its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstSeen {
    pub file: usize,
    pub row: u64,
}

impl FirstSeen {
    fn pack(self) -> Result<u64> {
        if self.row >= 1 << ROW_BITS || self.file >= 1 << (64 - ROW_BITS) {
            bail!("row {} of input file #{} is past what duplicate detection can address", self.row, self.file);
        }
        Ok(((self.file as u64) << ROW_BITS) | self.row)
    }

    fn unpack(v: u64) -> Self {
        FirstSeen { file: (v >> ROW_BITS) as usize, row: v & ((1 << ROW_BITS) - 1) }
    }
}

/// The fingerprints are uniformly distributed already: the table hashes with their low
/// 64 bits instead of hashing them again.
#[derive(Default)]
struct TakeLow(u64);

impl Hasher for TakeLow {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

fn fingerprint(key: &str) -> u128 {
    let digest = Sha256::digest(key.as_bytes());
    u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"))
}

/// The set of keys seen, with where each was first seen; see the module documentation.
pub struct SeenKeys {
    memory: HashMap<u128, u64, BuildHasherDefault<TakeLow>>,
    /// Bytes the in-memory table may take before it is spilled.
    budget: usize,
    /// Where runs are written; `None` keeps everything in memory.
    dir: Option<PathBuf>,
    /// A name for the run files, so two sets can share a folder.
    name: String,
    runs: Vec<Run>,
}

impl SeenKeys {
    /// A set that never spills, for small inputs and tests.
    pub fn in_memory() -> Self {
        SeenKeys { memory: HashMap::default(), budget: usize::MAX, dir: None, name: String::new(), runs: Vec::new() }
    }

    /// A set whose table takes at most `budget` bytes, spilling runs named `name-N.bin`
    /// into `dir` (created when first needed).
    pub fn spilling(dir: &Path, name: &str, budget: usize) -> Self {
        SeenKeys {
            memory: HashMap::default(),
            budget,
            dir: Some(dir.to_path_buf()),
            name: name.to_string(),
            runs: Vec::new(),
        }
    }

    /// Records `key` as seen at `at`, or returns where it was first seen.
    pub fn first_seen(&mut self, key: &str, at: FirstSeen) -> Result<Option<FirstSeen>> {
        let fp = fingerprint(key);
        if let Some(v) = self.memory.get(&fp) {
            return Ok(Some(FirstSeen::unpack(*v)));
        }
        for run in &self.runs {
            if let Some(v) = run.get(fp)? {
                return Ok(Some(FirstSeen::unpack(v)));
            }
        }
        let packed = at.pack()?;
        if self.memory.len() == self.memory.capacity() && self.dir.is_some() {
            // The next insert doubles the table: spill instead when that passes the budget.
            let slots_after = ((self.memory.capacity() + 1) * 8 / 7).next_power_of_two();
            if slots_after * SLOT_BYTES > self.budget && !self.memory.is_empty() {
                self.spill()?;
            }
        }
        self.memory.insert(fp, packed);
        Ok(None)
    }

    /// Keys held, in memory and on disk.
    pub fn len(&self) -> u64 {
        self.memory.len() as u64 + self.runs.iter().map(|r| r.len).sum::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Run files written so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> Result<()> {
        let dir = self.dir.as_ref().expect("only a spilling set spills");
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the spill folder {}", dir.display()))?;
        let path = dir.join(format!("{}-{}.bin", self.name, self.runs.len()));
        let mut entries: Vec<(u128, u64)> = self.memory.drain().collect();
        entries.sort_unstable_by_key(|e| e.0);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut index = Vec::with_capacity(entries.len().div_ceil(BLOCK_ENTRIES));
        let mut bloom = Bloom::new(entries.len());
        for (i, (fp, v)) in entries.iter().enumerate() {
            if i % BLOCK_ENTRIES == 0 {
                index.push(*fp);
            }
            bloom.insert(*fp);
            out.write_all(&fp.to_le_bytes())?;
            out.write_all(&v.to_le_bytes())?;
        }
        out.flush().with_context(|| format!("cannot write {}", path.display()))?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        self.runs.push(Run { file, path, len: entries.len() as u64, index, bloom });
        // A fresh table: the drained one would keep its capacity.
        self.memory = HashMap::default();
        Ok(())
    }
}

impl Drop for SeenKeys {
    fn drop(&mut self) {
        for run in &self.runs {
            let _ = std::fs::remove_file(&run.path);
        }
    }
}

/// One spilled, sorted run.
struct Run {
    file: File,
    path: PathBuf,
    len: u64,
    /// The fingerprint opening each block of [`BLOCK_ENTRIES`] entries.
    index: Vec<u128>,
    bloom: Bloom,
}

impl Run {
    fn get(&self, fp: u128) -> Result<Option<u64>> {
        if !self.bloom.may_contain(fp) {
            return Ok(None);
        }
        // The last block whose first fingerprint is not after `fp`.
        let block = match self.index.partition_point(|first| *first <= fp) {
            0 => return Ok(None),
            n => n - 1,
        };
        let start = block * BLOCK_ENTRIES;
        let n = BLOCK_ENTRIES.min(self.len as usize - start);
        let mut buf = vec![0u8; n * ENTRY_BYTES];
        read_exact_at(&self.file, &mut buf, (start * ENTRY_BYTES) as u64)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        let entry = |i: usize| {
            let e = &buf[i * ENTRY_BYTES..(i + 1) * ENTRY_BYTES];
            (
                u128::from_le_bytes(e[..16].try_into().expect("16 bytes")),
                u64::from_le_bytes(e[16..].try_into().expect("8 bytes")),
            )
        };
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let (key, v) = entry(mid);
            match key.cmp(&fp) {
                std::cmp::Ordering::Equal => return Ok(Some(v)),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Ok(None)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_read(buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// A Bloom filter over fingerprints, probed by double hashing of their two halves.
struct Bloom {
    bits: Vec<u64>,
}

impl Bloom {
    fn new(keys: usize) -> Self {
        let words = (keys * BLOOM_BITS_PER_KEY).div_ceil(64).max(1);
        Bloom { bits: vec![0; words] }
    }

    /// The bits of a fingerprint: `h1 + i·h2` for `i < BLOOM_HASHES`, modulo the size.
    fn probes(words: usize, fp: u128) -> impl Iterator<Item = usize> {
        let (h1, h2) = (fp as u64, (fp >> 64) as u64 | 1);
        let n = words as u64 * 64;
        (0..u64::from(BLOOM_HASHES)).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % n) as usize)
    }

    fn insert(&mut self, fp: u128) {
        for p in Self::probes(self.bits.len(), fp) {
            self.bits[p / 64] |= 1 << (p % 64);
        }
    }

    fn may_contain(&self, fp: u128) -> bool {
        Self::probes(self.bits.len(), fp).all(|p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(file: usize, row: u64) -> FirstSeen {
        FirstSeen { file, row }
    }

    #[test]
    fn finds_the_first_occurrence() {
        let mut seen = SeenKeys::in_memory();
        assert_eq!(seen.first_seen("C1", at(0, 1)).unwrap(), None);
        assert_eq!(seen.first_seen("C2", at(0, 2)).unwrap(), None);
        assert_eq!(seen.first_seen("C1", at(1, 7)).unwrap(), Some(at(0, 1)));
        // The duplicate is not recorded again: its first occurrence stays the answer.
        assert_eq!(seen.first_seen("C1", at(2, 9)).unwrap(), Some(at(0, 1)));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn spilled_keys_are_still_found_with_their_location() {
        let dir = tempfile::tempdir().unwrap();
        // A budget of a few hundred entries: 20,000 keys make several runs.
        let mut seen = SeenKeys::spilling(dir.path(), "ids", 16 << 10);
        for i in 0..20_000u64 {
            assert_eq!(seen.first_seen(&format!("id-{i}"), at((i % 3) as usize, i)).unwrap(), None, "id-{i}");
        }
        assert!(seen.spilled_runs() >= 10, "{} runs", seen.spilled_runs());
        assert_eq!(seen.len(), 20_000);
        for i in (0..20_000u64).step_by(7) {
            let again = seen.first_seen(&format!("id-{i}"), at(5, 0)).unwrap();
            assert_eq!(again, Some(at((i % 3) as usize, i)), "id-{i}");
        }
        for i in 0..2_000u64 {
            assert_eq!(seen.first_seen(&format!("new-{i}"), at(9, i)).unwrap(), None);
        }
        assert_eq!(seen.len(), 22_000);
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, seen.spilled_runs());
        drop(seen);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "runs are removed with the set");
    }

    #[test]
    fn the_table_stays_within_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let budget = 64 << 10;
        let mut seen = SeenKeys::spilling(dir.path(), "ids", budget);
        for i in 0..50_000u64 {
            seen.first_seen(&i.to_string(), at(0, i)).unwrap();
            let slots =
                if seen.memory.capacity() == 0 { 0 } else { (seen.memory.capacity() * 8 / 7).next_power_of_two() };
            assert!(slots * SLOT_BYTES <= budget, "{slots} slots after {i} keys");
        }
    }

    #[test]
    fn locations_out_of_range_are_errors() {
        let mut seen = SeenKeys::in_memory();
        let e = seen.first_seen("x", at(0, 1 << ROW_BITS)).unwrap_err().to_string();
        assert!(e.contains("past what duplicate detection can address"), "{e}");
    }

    #[test]
    fn bloom_filter_false_positive_rate_is_about_one_percent() {
        let mut bloom = Bloom::new(10_000);
        for i in 0..10_000 {
            bloom.insert(fingerprint(&format!("in-{i}")));
        }
        assert!((0..10_000).all(|i| bloom.may_contain(fingerprint(&format!("in-{i}")))));
        let false_positives = (0..100_000).filter(|i| bloom.may_contain(fingerprint(&format!("out-{i}")))).count();
        assert!(false_positives < 2_000, "{false_positives} false positives in 100,000");
    }
}
