//! Visit metadata: one row per visit (`visit_id`; optional `store_id`, `visit_date`,
//! `channel`), every further column passed through to `visits.parquet` as text. A record
//! without a visit id, or repeating one already seen, is rejected.

use std::collections::HashMap;
use std::path::Path;

use super::rows::{Columns, Item, RowReader};
use super::{truncate_raw, ColumnNames, Format, InputKind, Reject};
use crate::error::InputError;

/// One visit's metadata.
#[derive(Debug, Clone, Default)]
pub struct VisitMeta {
    pub store_id: Option<String>,
    pub visit_date: Option<String>,
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

const FIXED: [&str; 4] = ["visit_id", "store_id", "visit_date", "channel"];

/// Reads a visits file.
pub fn read(path: &Path, format: Format, names: &ColumnNames) -> Result<Visits, InputError> {
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
        let mut reject = |row: u64, raw: &str, reason: String| {
            out.rejects.push(Reject {
                input: InputKind::Visits,
                file: path.to_path_buf(),
                row: Some(row),
                column: None,
                raw: truncate_raw(raw),
                reason,
            })
        };
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
        if let Some(first) = first_row.get(&id) {
            reject(rec.row, &rec.raw, format!("duplicate visit_id {id:?}: first seen at row {first}"));
            continue;
        }
        first_row.insert(id.clone(), rec.row);
        out.by_id.insert(
            id,
            VisitMeta {
                store_id: get(fixed_idx[1]),
                visit_date: get(fixed_idx[2]),
                channel: get(fixed_idx[3]),
                extra: extra_idx.iter().map(|&i| rec.fields[i].clone()).collect(),
            },
        );
    }
    Ok(out)
}
