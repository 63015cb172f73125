//! Any supported file as a stream of records of text fields.
//!
//! CSV is read as bytes (delimiter sniffed from the header: comma, semicolon or tab),
//! JSON Lines line by line, Parquet batch by batch with only the needed columns; none is
//! held whole in memory. A field whose bytes are not valid UTF-8 is decoded as
//! Windows-1252 and the record is flagged, so a legacy export never stops a run. A
//! record that cannot be parsed (a JSON syntax error, a CSV row with the wrong number of
//! fields) comes out as [`Item::Malformed`] with a reason; only problems with the file as
//! a whole (unreadable, not Parquet, a required column missing) are errors.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, StringArray};
use arrow::datatypes::{DataType, Date32Type, Int64Type, TimeUnit};
use arrow::error::ArrowError;
use arrow::temporal_conversions;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

use super::Format;
use crate::error::{InputError, Location};
use crate::normalise::mojibake::decode_bytes;

/// Which columns to read.
#[derive(Debug, Clone)]
pub enum Columns {
    /// These names, in this order; `required` ones must exist in a file with a header.
    Named { wanted: Vec<String>, required: Vec<String> },
    /// Every column of the header (CSV and Parquet only).
    All,
}

/// One record: the selected fields (empty strings read as `None`).
#[derive(Debug, Clone)]
pub struct Record {
    /// Data row (CSV, Parquet) or line (JSONL), from 1.
    pub row: u64,
    pub fields: Vec<Option<String>>,
    /// Some bytes were not valid UTF-8 and were decoded as Windows-1252.
    pub invalid_utf8: bool,
    /// The record as read, for the rejects table.
    pub raw: String,
}

/// What a reader yields.
#[derive(Debug, Clone)]
pub enum Item {
    Record(Record),
    Malformed { row: u64, raw: String, reason: String },
}

/// Rows per Parquet batch.
const PARQUET_BATCH: usize = 8192;

enum Inner {
    Csv {
        reader: csv::Reader<BufReader<File>>,
        indices: Vec<Option<usize>>,
        width: usize,
        delimiter: u8,
        record: csv::ByteRecord,
    },
    Jsonl {
        reader: BufReader<File>,
        buf: Vec<u8>,
    },
    Parquet {
        reader: ParquetRecordBatchReader,
        columns: Vec<Option<TextColumn>>,
        next: usize,
        len: usize,
    },
}

/// A stream of records from one file.
pub struct RowReader {
    path: PathBuf,
    names: Vec<String>,
    inner: Inner,
    row: u64,
}

fn open_file(path: &Path) -> Result<File, InputError> {
    File::open(path).map_err(|e| InputError::new(Location::file(path), format!("cannot open: {e}")))
}

/// Picks the delimiter that occurs most in the header line: `,`, `;` or tab.
fn sniff_delimiter(path: &Path) -> Result<u8, InputError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv")) {
        return Ok(b'\t');
    }
    let mut first = Vec::new();
    BufReader::new(open_file(path)?)
        .take(1 << 16)
        .read_until(b'\n', &mut first)
        .map_err(|e| InputError::new(Location::file(path), format!("cannot read: {e}")))?;
    let count = |d: u8| first.iter().filter(|&&b| b == d).count();
    Ok([b',', b';', b'\t'].into_iter().max_by_key(|&d| (count(d), d == b',')).unwrap_or(b','))
}

fn select(path: &Path, header: &[String], columns: &Columns) -> Result<(Vec<String>, Vec<Option<usize>>), InputError> {
    match columns {
        Columns::All => Ok((header.to_vec(), (0..header.len()).map(Some).collect())),
        Columns::Named { wanted, required } => {
            for r in required {
                if !header.iter().any(|h| h == r) {
                    return Err(InputError::new(
                        Location::file(path),
                        format!("missing required column {r:?} (columns found: {})", header.join(", ")),
                    ));
                }
            }
            let idx = wanted.iter().map(|w| header.iter().position(|h| h == w)).collect();
            Ok((wanted.clone(), idx))
        }
    }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// A Parquet column, value by value as text.
enum TextColumn {
    /// Strings, and every type rendered as text (numbers, booleans, dates, timestamps).
    Text(StringArray),
    /// Byte arrays without the string annotation, decoded like CSV fields.
    Bytes(BinaryArray),
}

impl TextColumn {
    /// Value `i` and whether its bytes had to be decoded as Windows-1252; `None` for null.
    fn value(&self, i: usize) -> Option<(String, bool)> {
        match self {
            TextColumn::Text(a) => a.is_valid(i).then(|| (a.value(i).to_string(), false)),
            TextColumn::Bytes(a) => a.is_valid(i).then(|| decode_bytes(a.value(i))),
        }
    }
}

/// A timestamp as RFC 3339 text the date parser reads back: in UTC with `Z` when the
/// column has a time zone (Arrow stores those instants in UTC), without an offset when it
/// has none (a naive time, which the parser reads as UTC too). `None` out of range.
fn render_timestamp(value: i64, unit: TimeUnit, zoned: bool) -> Option<String> {
    let dt = match unit {
        TimeUnit::Second => temporal_conversions::timestamp_s_to_datetime(value),
        TimeUnit::Millisecond => temporal_conversions::timestamp_ms_to_datetime(value),
        TimeUnit::Microsecond => temporal_conversions::timestamp_us_to_datetime(value),
        TimeUnit::Nanosecond => temporal_conversions::timestamp_ns_to_datetime(value),
    }?;
    Some(dt.format(if zoned { "%Y-%m-%dT%H:%M:%S%.fZ" } else { "%Y-%m-%dT%H:%M:%S%.f" }).to_string())
}

/// Reads a Parquet column as text: strings as they are, byte arrays to be decoded, dates
/// as `YYYY-MM-DD`, timestamps as RFC 3339 ([`render_timestamp`]), anything else through
/// Arrow's cast to text (numbers, booleans, decimals). A value out of range is written as
/// its raw number, which the date parser then rejects with the row.
fn text_column(col: &ArrayRef) -> Result<TextColumn, ArrowError> {
    use arrow::compute::cast;
    let is_binary = |t: &DataType| {
        matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_))
    };
    let text = match col.data_type() {
        t if is_binary(t) => return Ok(TextColumn::Bytes(cast(col, &DataType::Binary)?.as_binary::<i32>().clone())),
        DataType::Dictionary(_, v) if is_binary(v) => {
            return Ok(TextColumn::Bytes(cast(col, &DataType::Binary)?.as_binary::<i32>().clone()))
        }
        DataType::Timestamp(unit, tz) => {
            let (unit, zoned) = (*unit, tz.is_some());
            let values = cast(col, &DataType::Int64)?;
            values
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(|v| render_timestamp(v, unit, zoned).unwrap_or_else(|| v.to_string())))
                .collect::<StringArray>()
        }
        DataType::Date32 => col
            .as_primitive::<Date32Type>()
            .iter()
            .map(|v| {
                v.map(|v| {
                    temporal_conversions::date32_to_datetime(v)
                        .map_or_else(|| v.to_string(), |d| d.format("%Y-%m-%d").to_string())
                })
            })
            .collect::<StringArray>(),
        DataType::Date64 => {
            let values = cast(col, &DataType::Int64)?;
            values
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| {
                    v.map(|v| {
                        let whole_day = v.rem_euclid(86_400_000) == 0;
                        temporal_conversions::date64_to_datetime(v).map_or_else(
                            || v.to_string(),
                            |d| d.format(if whole_day { "%Y-%m-%d" } else { "%Y-%m-%dT%H:%M:%S%.f" }).to_string(),
                        )
                    })
                })
                .collect::<StringArray>()
        }
        _ => cast(col, &DataType::Utf8)?.as_string::<i32>().clone(),
    };
    Ok(TextColumn::Text(text))
}

impl RowReader {
    /// Opens a file and reads its header (CSV) or metadata (Parquet).
    pub fn open(path: &Path, format: Format, columns: &Columns) -> Result<Self, InputError> {
        let (names, inner) = match format {
            Format::Csv => {
                let delimiter = sniff_delimiter(path)?;
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_reader(BufReader::with_capacity(1 << 16, open_file(path)?));
                let header: Vec<String> = reader
                    .byte_headers()
                    .map_err(|e| InputError::new(Location::file(path), format!("cannot read the header: {e}")))?
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let h = decode_bytes(h).0;
                        let h = if i == 0 { h.trim_start_matches('\u{feff}').to_string() } else { h };
                        h.trim().to_string()
                    })
                    .collect();
                if header.iter().all(String::is_empty) {
                    return Err(InputError::new(Location::file(path), "empty file: no header row"));
                }
                let (names, indices) = select(path, &header, columns)?;
                (names, Inner::Csv { reader, indices, width: header.len(), delimiter, record: csv::ByteRecord::new() })
            }
            Format::Jsonl => {
                let Columns::Named { wanted, .. } = columns else {
                    return Err(InputError::new(
                        Location::file(path),
                        "this input needs a header to list its columns; use CSV or Parquet",
                    ));
                };
                (
                    wanted.clone(),
                    Inner::Jsonl { reader: BufReader::with_capacity(1 << 16, open_file(path)?), buf: Vec::new() },
                )
            }
            Format::Parquet => {
                let builder = ParquetRecordBatchReaderBuilder::try_new(open_file(path)?).map_err(|e| {
                    InputError::new(
                        Location::file(path),
                        format!("not a readable Parquet file (truncated or corrupt?): {e}"),
                    )
                })?;
                let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
                let (names, indices) = select(path, &header, columns)?;
                let mut roots: Vec<usize> = indices.iter().flatten().copied().collect();
                roots.sort_unstable();
                roots.dedup();
                let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
                let reader = builder
                    .with_projection(mask)
                    .with_batch_size(PARQUET_BATCH)
                    .build()
                    .map_err(|e| InputError::new(Location::file(path), format!("cannot read Parquet: {e}")))?;
                (names, Inner::Parquet { reader, columns: Vec::new(), next: 0, len: 0 })
            }
        };
        Ok(RowReader { path: path.to_path_buf(), names, inner, row: 0 })
    }

    /// Names of the fields each record holds, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The next record, `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<Item>, InputError> {
        let path = &self.path;
        match &mut self.inner {
            Inner::Csv { reader, indices, width, delimiter, record } => {
                let more = reader
                    .read_byte_record(record)
                    .map_err(|e| InputError::new(Location::row(path, self.row + 1), format!("cannot read CSV: {e}")))?;
                if !more {
                    return Ok(None);
                }
                self.row += 1;
                let mut invalid = false;
                let decoded: Vec<String> = record
                    .iter()
                    .map(|f| {
                        let (s, bad) = decode_bytes(f);
                        invalid |= bad;
                        s
                    })
                    .collect();
                let raw = decoded.join(&(*delimiter as char).to_string());
                if decoded.len() != *width {
                    return Ok(Some(Item::Malformed {
                        row: self.row,
                        raw,
                        reason: format!("expected {} fields, found {}", width, decoded.len()),
                    }));
                }
                let fields = indices.iter().map(|i| i.and_then(|i| non_empty(decoded[i].trim().to_string()))).collect();
                Ok(Some(Item::Record(Record { row: self.row, fields, invalid_utf8: invalid, raw })))
            }
            Inner::Jsonl { reader, buf } => loop {
                buf.clear();
                let n = reader
                    .read_until(b'\n', buf)
                    .map_err(|e| InputError::new(Location::row(path, self.row + 1), format!("cannot read: {e}")))?;
                if n == 0 {
                    return Ok(None);
                }
                self.row += 1;
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let (line, invalid) = decode_bytes(buf);
                let line = line.trim_end_matches(['\n', '\r']).to_string();
                let value: serde_json::Value = match serde_json::from_str(&line) {
                    Ok(v) => v,
                    Err(e) => {
                        return Ok(Some(Item::Malformed {
                            row: self.row,
                            raw: line,
                            reason: format!("invalid JSON: {e}"),
                        }))
                    }
                };
                let Some(obj) = value.as_object() else {
                    return Ok(Some(Item::Malformed {
                        row: self.row,
                        raw: line,
                        reason: "expected a JSON object".into(),
                    }));
                };
                let fields = self
                    .names
                    .iter()
                    .map(|n| match obj.get(n) {
                        None | Some(serde_json::Value::Null) => None,
                        Some(serde_json::Value::String(s)) => non_empty(s.trim().to_string()),
                        Some(other) => Some(other.to_string()),
                    })
                    .collect();
                return Ok(Some(Item::Record(Record { row: self.row, fields, invalid_utf8: invalid, raw: line })));
            },
            Inner::Parquet { reader, columns, next, len } => {
                while *next >= *len {
                    let Some(batch) = reader.next() else {
                        return Ok(None);
                    };
                    let batch = batch.map_err(|e| {
                        InputError::new(Location::row(path, self.row + 1), format!("cannot read Parquet data: {e}"))
                    })?;
                    *columns = Vec::with_capacity(self.names.len());
                    for name in &self.names {
                        let Some(col) = batch.column_by_name(name) else {
                            columns.push(None);
                            continue;
                        };
                        let text = text_column(col).map_err(|e| {
                            InputError::new(
                                Location::file(path),
                                format!("column {name:?} of type {} cannot be read as text: {e}", col.data_type()),
                            )
                        })?;
                        columns.push(Some(text));
                    }
                    *next = 0;
                    *len = batch.num_rows();
                }
                let i = *next;
                *next += 1;
                self.row += 1;
                let mut invalid = false;
                let fields: Vec<Option<String>> = columns
                    .iter()
                    .map(|c| {
                        let (value, bad) = c.as_ref()?.value(i)?;
                        invalid |= bad;
                        non_empty(value.trim().to_string())
                    })
                    .collect();
                let raw = self
                    .names
                    .iter()
                    .zip(&fields)
                    .map(|(n, f)| format!("{n}={}", f.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("; ");
                Ok(Some(Item::Record(Record { row: self.row, fields, invalid_utf8: invalid, raw })))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BinaryArray, BooleanArray, Date32Array, Date64Array, Float64Array, Int64Array, RecordBatch,
        TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
    };
    use parquet::arrow::ArrowWriter;

    use super::*;

    /// Writes `batch` as a Parquet file at `path`.
    pub(crate) fn write_parquet(path: &Path, batch: &RecordBatch) {
        let mut w = ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    }

    /// Every record of a file (malformed ones as `Err(reason)`).
    pub(crate) fn read_all(path: &Path, format: Format, columns: &Columns) -> Vec<Result<Record, String>> {
        let mut r = RowReader::open(path, format, columns).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        while let Some(item) = r.next_item().unwrap() {
            out.push(match item {
                Item::Record(rec) => Ok(rec),
                Item::Malformed { reason, .. } => Err(reason),
            });
        }
        out
    }

    fn named(wanted: &[&str]) -> Columns {
        Columns::Named { wanted: wanted.iter().map(|s| s.to_string()).collect(), required: vec![] }
    }

    #[test]
    fn parquet_dates_timestamps_numbers_and_booleans_are_read_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typed.parquet");
        let day_ms = 86_400_000i64;
        let batch = RecordBatch::try_from_iter([
            ("d32", Arc::new(Date32Array::from(vec![Some(20458), None])) as ArrayRef),
            ("d64", Arc::new(Date64Array::from(vec![20458 * day_ms, 20458 * day_ms + 3_600_000])) as ArrayRef),
            (
                "ts_paris",
                Arc::new(
                    // 2026-01-05T13:03:00Z, in a column whose zone is Europe/Paris.
                    TimestampMillisecondArray::from(vec![1_767_618_180_000, 1_767_618_180_250])
                        .with_timezone("Europe/Paris"),
                ) as ArrayRef,
            ),
            (
                "ts_offset",
                Arc::new(TimestampSecondArray::from(vec![1_767_618_180, 0]).with_timezone("+01:00")) as ArrayRef,
            ),
            ("ts_naive", Arc::new(TimestampNanosecondArray::from(vec![1_767_618_180_123_456_789, 0])) as ArrayRef),
            ("int", Arc::new(Int64Array::from(vec![42, -1])) as ArrayRef),
            ("float", Arc::new(Float64Array::from(vec![3.5, 0.0])) as ArrayRef),
            ("bool", Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef),
        ])
        .unwrap();
        write_parquet(&path, &batch);
        let columns = named(&["d32", "d64", "ts_paris", "ts_offset", "ts_naive", "int", "float", "bool"]);
        let rows: Vec<Record> = read_all(&path, Format::Parquet, &columns).into_iter().map(Result::unwrap).collect();
        let f = |r: usize| rows[r].fields.iter().map(|f| f.as_deref()).collect::<Vec<_>>();
        assert_eq!(
            f(0),
            [
                Some("2026-01-05"),
                Some("2026-01-05"),
                Some("2026-01-05T13:03:00Z"),
                Some("2026-01-05T13:03:00Z"),
                Some("2026-01-05T13:03:00.123456789"),
                Some("42"),
                Some("3.5"),
                Some("true")
            ]
        );
        assert_eq!(
            f(1)[..5],
            [
                None,
                Some("2026-01-05T01:00:00"),
                Some("2026-01-05T13:03:00.250Z"),
                Some("1970-01-01T00:00:00Z"),
                Some("1970-01-01T00:00:00")
            ]
        );
        // What is rendered reads back as the same instant.
        let p = crate::ingest::dates::DateParser::default();
        assert_eq!(p.parse_timestamp(f(0)[2].unwrap()).unwrap(), 1_767_618_180_000_000);
        assert_eq!(p.parse_timestamp(f(1)[2].unwrap()).unwrap(), 1_767_618_180_250_000);
        assert_eq!(p.parse_timestamp(f(0)[4].unwrap()).unwrap(), 1_767_618_180_123_456);
        assert_eq!(p.parse_date(f(0)[0].unwrap()).unwrap(), 20458);
        assert!(rows.iter().all(|r| !r.invalid_utf8));
    }

    #[test]
    fn parquet_binary_columns_are_decoded_like_csv_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bytes.parquet");
        let batch = RecordBatch::try_from_iter([(
            "text",
            Arc::new(BinaryArray::from(vec![&b"caf\xe9 ferm\xe9"[..], "déjà".as_bytes()])) as ArrayRef,
        )])
        .unwrap();
        write_parquet(&path, &batch);
        let rows: Vec<Record> =
            read_all(&path, Format::Parquet, &named(&["text"])).into_iter().map(Result::unwrap).collect();
        assert_eq!(rows[0].fields[0].as_deref(), Some("café fermé"));
        assert!(rows[0].invalid_utf8, "Windows-1252 bytes are flagged");
        assert_eq!(rows[1].fields[0].as_deref(), Some("déjà"));
        assert!(!rows[1].invalid_utf8);
    }
}
