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

use arrow::array::{Array, StringArray};
use arrow::datatypes::DataType;
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
        columns: Vec<Option<StringArray>>,
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
                        let text = arrow::compute::cast(col, &DataType::Utf8).map_err(|e| {
                            InputError::new(
                                Location::file(path),
                                format!("column {name:?} of type {} cannot be read as text: {e}", col.data_type()),
                            )
                        })?;
                        let text = text
                            .as_any()
                            .downcast_ref::<StringArray>()
                            .expect("cast to Utf8 gives a StringArray")
                            .clone();
                        columns.push(Some(text));
                    }
                    *next = 0;
                    *len = batch.num_rows();
                }
                let i = *next;
                *next += 1;
                self.row += 1;
                let fields: Vec<Option<String>> = columns
                    .iter()
                    .map(|c| {
                        c.as_ref().filter(|c| c.is_valid(i)).and_then(|c| non_empty(c.value(i).trim().to_string()))
                    })
                    .collect();
                let raw = self
                    .names
                    .iter()
                    .zip(&fields)
                    .map(|(n, f)| format!("{n}={}", f.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("; ");
                Ok(Some(Item::Record(Record { row: self.row, fields, invalid_utf8: false, raw })))
            }
        }
    }
}
