//! Visit metadata: one row per visit (`visit_id`; optional `store_id`, `visit_date`,
//! `channel`), every further column passed through to `visits.parquet` as text.
//! `visit_date` is read by the [`DateParser`] into days since 1970-01-01. A record without
//! a visit id, with a `visit_date` present but not a date, or repeating an id already
//! accepted, is rejected.

use std::collections::HashMap;
use std::path::Path;

use super::dates::DateParser;
use super::rows::{Columns, Item, RowReader};
use super::{truncate_raw, ColumnNames, Format, InputKind, Reject};
use crate::error::InputError;

/// One visit's metadata.
#[derive(Debug, Clone, Default)]
pub struct VisitMeta {
    pub store_id: Option<String>,
    /// Visit date, days since 1970-01-01.
    pub visit_date: Option<i32>,
    pub channel: Option<String>,
    /// Values of the pass-through columns, in [`Visits::extra_columns`] order.
    pub extra: Vec<Option<String>>,
}

/// The visits file, read whole (one row per visit is small next to the comments).
#[derive(Debug, Default)]
pub struct Visits {
    pub by_id: HashMap<String, VisitMeta>,
    pub extra_columns: Vec<String>,
    pub records: u64,
    pub rejects: Vec<Reject>,
}

/// The fields of a visit that irritant reads itself, as `--column visits.FIELD=NAME`
/// names them; every other column is passed through.
pub const FIXED: [&str; 4] = ["visit_id", "store_id", "visit_date", "channel"];

/// Reads a visits file.
pub fn read(path: &Path, format: Format, names: &ColumnNames, dates: &DateParser) -> Result<Visits, InputError> {
    let fixed: Vec<String> = FIXED.iter().map(|f| names.get("visits", f).to_string()).collect();
    let columns = match format {
        Format::Jsonl => Columns::Named { wanted: fixed.clone(), required: vec![] },
        _ => Columns::All,
    };
    let mut reader = RowReader::open(path, format, &columns)?;
    let all = reader.names().to_vec();
    if format != Format::Jsonl && !all.contains(&fixed[0]) {
        return Err(InputError::new(
            crate::error::Location::file(path),
            format!("missing required column {:?} (columns found: {})", fixed[0], all.join(", ")),
        ));
    }
    let pos = |name: &str| all.iter().position(|c| c == name);
    let fixed_idx: Vec<Option<usize>> = fixed.iter().map(|f| pos(f)).collect();
    let extra_idx: Vec<usize> = (0..all.len()).filter(|i| !fixed_idx.contains(&Some(*i))).collect();
    let mut out = Visits { extra_columns: extra_idx.iter().map(|&i| all[i].clone()).collect(), ..Visits::default() };
    let mut first_row: HashMap<String, u64> = HashMap::new();
    while let Some(item) = reader.next_item()? {
        out.records += 1;
        let mut reject_column = |row: u64, column: Option<&str>, raw: &str, reason: String| {
            out.rejects.push(Reject {
                input: InputKind::Visits,
                file: path.to_path_buf(),
                row: Some(row),
                column: column.map(str::to_string),
                raw: truncate_raw(raw),
                reason,
            })
        };
        let mut reject = |row: u64, raw: &str, reason: String| reject_column(row, None, raw, reason);
        let rec = match item {
            Item::Malformed { row, raw, reason } => {
                reject(row, &raw, reason);
                continue;
            }
            Item::Record(r) => r,
        };
        let get = |i: Option<usize>| i.and_then(|i| rec.fields[i].clone());
        let Some(id) = get(fixed_idx[0]) else {
            reject(rec.row, &rec.raw, format!("missing {}", fixed[0]));
            continue;
        };
        let visit_date = match get(fixed_idx[2]).map(|v| dates.parse_date(&v)).transpose() {
            Ok(d) => d,
            Err(e) => {
                reject_column(rec.row, Some(&fixed[2]), &rec.raw, format!("{}: {e}", fixed[2]));
                continue;
            }
        };
        if let Some(first) = first_row.get(&id) {
            reject(rec.row, &rec.raw, format!("duplicate visit_id {id:?}: first seen at row {first}"));
            continue;
        }
        first_row.insert(id.clone(), rec.row);
        out.by_id.insert(
            id,
            VisitMeta {
                store_id: get(fixed_idx[1]),
                visit_date,
                channel: get(fixed_idx[3]),
                extra: extra_idx.iter().map(|&i| rec.fields[i].clone()).collect(),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a visits file written into a temporary directory.
    fn read_file(name: &str, bytes: &[u8]) -> Visits {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        read(&p, Format::from_path(&p).unwrap(), &ColumnNames::default(), &DateParser::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn visit_dates_are_days_and_a_bad_one_rejects_the_row() {
        let v = read_file(
            "v.csv",
            "visit_id,visit_date\nV1,2026-01-05\nV2,5 janvier 2026\nV3,\nV4,2026-13-45\nV5,bientôt\n".as_bytes(),
        );
        assert_eq!(v.records, 5);
        assert_eq!(v.by_id["V1"].visit_date, Some(20458));
        assert_eq!(v.by_id["V2"].visit_date, Some(20458));
        assert_eq!(v.by_id["V3"].visit_date, None);
        assert_eq!(v.rejects.len(), 2);
        assert_eq!(v.rejects[0].row, Some(4));
        assert_eq!(v.rejects[0].column.as_deref(), Some("visit_date"));
        assert_eq!(v.rejects[0].reason, "visit_date: invalid date \"2026-13-45\": there is no month 13");
        assert!(v.rejects[1].reason.starts_with("visit_date: unparsable date \"bientôt\": expected ISO 8601"));
    }
}
