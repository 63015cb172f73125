//! The memory budget of a run (`--memory-limit`) and how it is shared.
//!
//! What a run holds grows with three things: the batch in flight, the keys of duplicate
//! detection (one per comment and per checklist answer), and the per-visit tallies. The
//! first is capped by the budget; the second and the third spill to disk past their
//! shares (see [`crate::ingest::seen`] and [`crate::join::VisitStore`]). The rest (the
//! model, the Parquet writers' row groups, the visits file, read whole) does not depend
//! on the number of comments.

/// Default `--memory-limit`: 1 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;
/// The smallest budget accepted: below it the fixed costs alone do not fit.
pub const MIN_MEMORY_LIMIT: u64 = 64 << 20;

/// Shares of a run's memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    pub total: u64,
}

impl MemoryBudget {
    /// Bytes the table of comment ids may take before it spills: three sixteenths.
    pub fn comment_ids(self) -> usize {
        (self.total / 16 * 3) as usize
    }

    /// Bytes the per-visit tallies may take before they spill: three sixteenths.
    pub fn visits(self) -> usize {
        (self.total / 16 * 3) as usize
    }

    /// Bytes the table of checklist answers (visit, criterion) may take: a
    /// thirty-second.
    pub fn checklist_keys(self) -> usize {
        (self.total / 32) as usize
    }

    /// Bytes of comment text a batch may hold before it is closed, whatever
    /// `--batch-size` says: a batch is held twice (classified while the previous one is
    /// written) and its segments, features and rows take several times its text.
    pub fn batch_text_bytes(self) -> usize {
        (self.total / 64) as usize
    }
}

/// Parses a size: a number of bytes with an optional unit, `K`, `M`, `G`, `T` as powers
/// of 1024, written `G`, `GB`, `GiB` or `g` alike (`512M`, `1.5GiB`, `2g`, `1073741824`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim());
    let value: f64 = number.parse().map_err(|_| format!("{s:?} is not a size (e.g. 512M, 2G, 1073741824)"))?;
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use K, M, G or T)")),
    };
    let bytes = value * scale as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("{s:?} is too large"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_in_powers_of_1024() {
        assert_eq!(parse_size("1073741824"), Ok(1 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GB"), Ok(3 << 29));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert!(parse_size("lots").unwrap_err().contains("is not a size"));
        assert!(parse_size("2X").unwrap_err().contains("unknown unit"));
        assert!(parse_size("").is_err());
    }

    #[test]
    fn shares_add_up_to_less_than_the_whole() {
        let b = MemoryBudget { total: DEFAULT_MEMORY_LIMIT };
        let shares = b.comment_ids() + b.visits() + b.checklist_keys() + 2 * b.batch_text_bytes();
        // The rest is for the fixed costs: the model, the writers' row groups, the
        // allocator's slack (measured: about 250 MiB at 1M comments).
        assert!((shares as u64) < b.total / 2, "{shares}");
    }
}
