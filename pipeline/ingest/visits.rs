//! Visit metadata: one row per visit (`visit_id`; optional `store_id`, `visit_date`,
//! `channel`), every further column passed through to `visits.parquet` as text (in JSON
//! Lines, every further key of any line, in the order first seen; numbers, booleans and
//! nested values as their JSON text).
//! `visit_date` is read by the [`DateParser`] into days since 1970-01-01. A record without
//! a visit id, with a `visit_date` present but not a date, or repeating an id already
//! accepted, is rejected.

use std::collections::HashMap;
use std::path::Path;

use super::dates::DateParser;
use super::rows::{Columns, Item, RowReader};
use super::{ColumnNames, Format, InputKind, Reject};
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
    // JSON Lines has no header: its columns are the keys of its lines, and a line without
    // a visit id is rejected like an empty id in CSV.
    let mut reader = RowReader::open(path, format, &Columns::All)?;
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
            out.rejects.push(Reject::new(InputKind::Visits, path, Some(row), column, raw, reason))
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

    #[test]
    fn jsonl_visits_pass_their_further_keys_through_in_first_seen_order() {
        let v = read_file(
            "v.jsonl",
            concat!(
                "{\"visit_id\": \"V1\", \"zone\": \"Nord\", \"store_id\": \"S1\", \"visit_date\": \"2026-01-05\"}\n",
                "{\"visit_id\": \"V2\", \"shopper\": 12, \"zone\": null, \"flags\": {\"late\": true}}\n",
                "not json\n",
                "{\"store_id\": \"S3\"}\n",
                "{\"visit_id\": \"V1\", \"zone\": \"Sud\"}\n",
            )
            .as_bytes(),
        );
        assert_eq!(v.extra_columns, ["zone", "shopper", "flags"]);
        assert_eq!(v.by_id["V1"].extra, [Some("Nord".into()), None, None]);
        assert_eq!(v.by_id["V1"].store_id.as_deref(), Some("S1"));
        assert_eq!(v.by_id["V1"].visit_date, Some(20458));
        assert_eq!(v.by_id["V2"].extra, [None, Some("12".into()), Some("{\"late\":true}".into())]);
        assert_eq!(v.records, 5);
        let reasons: Vec<(Option<u64>, &str)> = v.rejects.iter().map(|r| (r.row, r.reason.as_str())).collect();
        assert_eq!(reasons[0].0, Some(3));
        assert!(reasons[0].1.starts_with("invalid JSON"), "{reasons:?}");
        assert_eq!(reasons[1], (Some(4), "missing visit_id"));
        assert_eq!(reasons[2], (Some(5), "duplicate visit_id \"V1\": first seen at row 1"));
    }

    #[test]
    fn csv_visits_pass_through_and_reject_missing_or_repeated_ids() {
        let v = read_file(
            "v.csv",
            "visit_id;store_id;région;shopper\nV1;S1;Nord;A\n;S2;Sud;B\nV1;S9;Est;C\nV3;S3;;D\n".as_bytes(),
        );
        assert_eq!(v.extra_columns, ["région", "shopper"]);
        assert_eq!(v.by_id.len(), 2);
        assert_eq!(v.by_id["V1"].extra, [Some("Nord".into()), Some("A".into())], "the first V1 is kept");
        assert_eq!(v.by_id["V3"].extra, [None, Some("D".into())]);
        assert_eq!(v.rejects[0].reason, "missing visit_id");
        assert_eq!(v.rejects[1].reason, "duplicate visit_id \"V1\": first seen at row 1");
        assert_eq!(v.rejects[1].row, Some(3));
    }

    #[test]
    fn a_visits_file_without_its_id_column_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.csv");
        std::fs::write(&p, "id,store_id\nV1,S1\n").unwrap();
        let e = read(&p, Format::Csv, &ColumnNames::default(), &DateParser::default()).unwrap_err();
        assert_eq!(e.reason, "missing required column \"visit_id\" (columns found: id, store_id)");
        let names = ColumnNames::parse(&["visits.visit_id=id".into()]).unwrap();
        let v = read(&p, Format::Csv, &names, &DateParser::default()).unwrap();
        assert_eq!(v.by_id["V1"].store_id.as_deref(), Some("S1"));
    }

    #[test]
    fn parquet_visit_dates_may_be_typed() {
        use std::sync::Arc;

        use arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray, TimestampMicrosecondArray};

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.parquet");
        let batch = RecordBatch::try_from_iter([
            ("visit_id", Arc::new(StringArray::from(vec!["V1", "V2"])) as ArrayRef),
            ("visit_date", Arc::new(Date32Array::from(vec![Some(20458), None])) as ArrayRef),
            (
                "checked_at",
                Arc::new(TimestampMicrosecondArray::from(vec![1_767_618_180_000_000, 0]).with_timezone("UTC"))
                    as ArrayRef,
            ),
        ])
        .unwrap();
        crate::ingest::rows::tests::write_parquet(&p, &batch);
        let v = read(&p, Format::Parquet, &ColumnNames::default(), &DateParser::default()).unwrap();
        assert_eq!(v.by_id["V1"].visit_date, Some(20458));
        assert_eq!(v.by_id["V2"].visit_date, None);
        assert_eq!(v.extra_columns, ["checked_at"]);
        assert_eq!(v.by_id["V1"].extra, [Some("2026-01-05T13:03:00Z".into())]);
    }
}
