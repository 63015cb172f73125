//! Any supported file as a stream of records of text fields.
//!
//! CSV is read as bytes (delimiter sniffed from the header: comma, semicolon or tab),
//! JSON Lines line by line, Parquet batch by batch with only the needed columns; none is
//! held whole in memory. CSV and JSON Lines files named `.gz` or `.zst` are decompressed
//! as they are read, and every file is first checked not to be another kind of file (a
//! spreadsheet, a zip archive, a PDF, Parquet read as text, unnamed compressed data: see
//! [`open_input`]). A field whose bytes are not valid UTF-8 is decoded as Windows-1252
//! and the record is flagged, so a legacy export never stops a run; in Parquet this
//! applies to binary columns (byte arrays without the string annotation), since Parquet
//! string columns are valid UTF-8 by definition (one that is not is a corrupt file, an
//! error). Parquet dates are read as `YYYY-MM-DD` and timestamps of any unit and zone as
//! RFC 3339 in UTC, numbers and booleans as text. A record that cannot be parsed (a JSON
//! syntax error, a CSV row with the wrong number of fields) comes out as
//! [`Item::Malformed`] with a reason; only problems with the file as a whole (unreadable,
//! not Parquet, a required column missing) are errors.

use std::fs::File;
use std::io::{BufRead, Cursor, Read};
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, StringArray};
use arrow::datatypes::{DataType, Date32Type, Int64Type, TimeUnit};
use arrow::error::ArrowError;
use arrow::temporal_conversions;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

use super::{
    catch_decoder_panic, check_parquet, corrupt, format_extension, open_input, quietly, read_line, Expected, Format,
};
use crate::error::{InputError, Location};
use crate::normalise::mojibake::decode_bytes;

/// Which columns to read.
#[derive(Debug, Clone)]
pub enum Columns {
    /// These names, in this order; `required` ones must exist in a file with a header.
    Named { wanted: Vec<String>, required: Vec<String> },
    /// Every column of the header; for JSON Lines, which has none, every key of any line,
    /// in the order first seen (which reads the file twice: meant for small inputs).
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
        reader: csv::Reader<Box<dyn Read + Send>>,
        indices: Vec<Option<usize>>,
        width: usize,
        delimiter: u8,
        record: csv::ByteRecord,
    },
    Jsonl {
        reader: Box<dyn BufRead + Send>,
        buf: Vec<u8>,
        /// Every key is read ([`Columns::All`]): values of any type pass as JSON text.
        all: bool,
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

/// Picks the delimiter that occurs most in the header line (`,`, `;` or tab; tab for a
/// `.tsv` file), reading that line from `input` and giving back a reader that starts over
/// from the first byte.
fn sniff_delimiter(path: &Path, mut input: Box<dyn BufRead + Send>) -> Result<(u8, Box<dyn Read + Send>), InputError> {
    let mut first = Vec::new();
    read_line(&mut input.by_ref().take(1 << 16), &mut first)
        .map_err(|e| InputError::new(Location::file(path), format!("cannot read: {e}")))?;
    // A UTF-8 byte-order mark would glue itself to the first column name, and keep the
    // CSV reader from seeing the quote of a quoted first name.
    if first.starts_with(b"\xEF\xBB\xBF") {
        first.drain(..3);
    }
    let count = |d: u8| first.iter().filter(|&&b| b == d).count();
    let delimiter = if format_extension(path).as_deref() == Some("tsv") {
        b'\t'
    } else {
        [b',', b';', b'\t'].into_iter().max_by_key(|&d| (count(d), d == b',')).unwrap_or(b',')
    };
    Ok((delimiter, Box::new(Cursor::new(first).chain(input))))
}

/// The keys of a JSON object, in the order written (`serde_json::Map` sorts them).
struct ObjectKeys(Vec<String>);

impl<'de> serde::Deserialize<'de> for ObjectKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = ObjectKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ObjectKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(ObjectKeys(keys))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// Every key of the objects of a JSON Lines file, in the order first seen; lines that
/// are not objects are left to the reading proper, which reports them.
fn jsonl_keys(path: &Path) -> Result<Vec<String>, InputError> {
    let mut reader = open_input(path, Expected::Jsonl)?;
    let (mut keys, mut seen) = (Vec::new(), std::collections::HashSet::new());
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        let n = read_line(&mut *reader, &mut buf)
            .map_err(|e| InputError::new(Location::row(path, line), format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(keys);
        }
        if let Ok(ObjectKeys(k)) = serde_json::from_str(decode_bytes(&buf).0.trim_start_matches('\u{feff}')) {
            keys.extend(k.into_iter().filter(|k| seen.insert(k.clone())));
        }
    }
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

/// The name of a JSON value's type, for messages: `boolean (true)`, `list`, `object`.
fn json_type(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean ({b})"),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(_) => "list".into(),
        Value::Object(_) => "object".into(),
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
    /// Opens a file and reads its header (CSV) or metadata (Parquet). A panic of a
    /// decoder (the parquet crate's, on some corrupt files) is an error naming the file,
    /// see [`catch_decoder_panic`].
    pub fn open(path: &Path, format: Format, columns: &Columns) -> Result<Self, InputError> {
        catch_decoder_panic(path, || Self::open_unguarded(path, format, columns))
    }

    fn open_unguarded(path: &Path, format: Format, columns: &Columns) -> Result<Self, InputError> {
        let (names, inner) = match format {
            Format::Csv => {
                let (delimiter, input) = sniff_delimiter(path, open_input(path, format.into())?)?;
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(input);
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
                let names = match columns {
                    Columns::Named { wanted, .. } => wanted.clone(),
                    Columns::All => jsonl_keys(path)?,
                };
                let all = matches!(columns, Columns::All);
                (names, Inner::Jsonl { reader: open_input(path, format.into())?, buf: Vec::new(), all })
            }
            Format::Parquet => {
                check_parquet(path)?;
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

    /// The next record, `None` at the end of the file. A panic of a decoder is an error
    /// naming the file, as in [`RowReader::open`].
    pub fn next_item(&mut self) -> Result<Option<Item>, InputError> {
        quietly(|| self.next_item_unguarded()).unwrap_or_else(|| Err(corrupt(&self.path)))
    }

    fn next_item_unguarded(&mut self) -> Result<Option<Item>, InputError> {
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
            Inner::Jsonl { reader, buf, all } => loop {
                buf.clear();
                let n = read_line(&mut **reader, buf)
                    .map_err(|e| InputError::new(Location::row(path, self.row + 1), format!("cannot read: {e}")))?;
                if n == 0 {
                    return Ok(None);
                }
                self.row += 1;
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let (line, invalid) = decode_bytes(buf);
                // A byte-order mark starts the file, or a line of files concatenated.
                let line = line.trim_end_matches(['\n', '\r']).trim_start_matches('\u{feff}').to_string();
                if line.trim().is_empty() {
                    continue;
                }
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
                let mut fields = Vec::with_capacity(self.names.len());
                for n in &self.names {
                    fields.push(match obj.get(n) {
                        None | Some(serde_json::Value::Null) => None,
                        Some(serde_json::Value::String(s)) => non_empty(s.trim().to_string()),
                        Some(serde_json::Value::Number(x)) => Some(x.to_string()),
                        // Every key of the file (pass-through columns): kept as JSON text.
                        Some(other) if *all => Some(other.to_string()),
                        Some(other) => {
                            return Ok(Some(Item::Malformed {
                                row: self.row,
                                reason: format!("{n} is a JSON {}, expected a string or a number", json_type(other)),
                                raw: line,
                            }))
                        }
                    });
                }
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

    /// Gzip-compressed bytes.
    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    /// Zstd-compressed bytes.
    pub(crate) fn zstd(bytes: &[u8]) -> Vec<u8> {
        zstd::encode_all(bytes, 3).unwrap()
    }

    /// Writes a file into `dir`.
    pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn fields(r: &Result<Record, String>) -> Vec<Option<&str>> {
        r.as_ref().unwrap_or_else(|e| panic!("{e}")).fields.iter().map(|f| f.as_deref()).collect()
    }

    #[test]
    fn csv_delimiter_is_sniffed_from_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let columns = named(&["a", "b"]);
        for (name, text) in [
            ("comma.csv", "a,b\n1;x,2\n"),
            ("semicolon.csv", "\u{feff}a;b\n1,x;2\n"),
            ("tab.csv", "a\tb\n1,x\t2\n"),
            ("tab.tsv", "a\tb\n1,x\t2\n"),
        ] {
            let rows = read_all(&write(dir.path(), name, text.as_bytes()), Format::Csv, &columns);
            assert_eq!(rows.len(), 1, "{name}");
            let want = if name == "comma.csv" { [Some("1;x"), Some("2")] } else { [Some("1,x"), Some("2")] };
            assert_eq!(fields(&rows[0]), want, "{name}");
        }
        // A .tsv file is tab-separated even when its header holds commas.
        let rows = read_all(&write(dir.path(), "commas.tsv", b"a,x\tb\n1\t2\n"), Format::Csv, &named(&["a,x", "b"]));
        assert_eq!(fields(&rows[0]), [Some("1"), Some("2")]);
    }

    #[test]
    fn a_csv_row_with_the_wrong_field_count_is_malformed_and_reading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "m.csv", b"a,b,c\n1,2,3\n1,2\n1,2,3,4\n5,6,7\n");
        let rows = read_all(&p, Format::Csv, &named(&["a", "c"]));
        assert_eq!(rows.len(), 4);
        assert_eq!(fields(&rows[0]), [Some("1"), Some("3")]);
        assert_eq!(rows[1].as_ref().unwrap_err(), "expected 3 fields, found 2");
        assert_eq!(rows[2].as_ref().unwrap_err(), "expected 3 fields, found 4");
        assert_eq!(fields(&rows[3]), [Some("5"), Some("7")]);
        let mut r = RowReader::open(&p, Format::Csv, &named(&["a"])).unwrap();
        r.next_item().unwrap();
        match r.next_item().unwrap().unwrap() {
            Item::Malformed { row, raw, .. } => assert_eq!((row, raw.as_str()), (2, "1,2")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_fields_are_none_and_missing_optional_columns_too() {
        let dir = tempfile::tempdir().unwrap();
        let csv = write(dir.path(), "e.csv", b"a,b\n,  \nx,\n");
        let rows = read_all(&csv, Format::Csv, &named(&["a", "b", "absent"]));
        assert_eq!(fields(&rows[0]), [None, None, None]);
        assert_eq!(fields(&rows[1]), [Some("x"), None, None]);
        let jsonl = write(dir.path(), "e.jsonl", b"{\"a\": \"\", \"b\": null}\n\n{\"a\": \" x \", \"b\": 3}\n");
        let rows = read_all(&jsonl, Format::Jsonl, &named(&["a", "b", "absent"]));
        assert_eq!(rows.len(), 2, "blank lines are skipped");
        assert_eq!(fields(&rows[0]), [None, None, None]);
        assert_eq!(fields(&rows[1]), [Some("x"), Some("3"), None]);
        assert_eq!(rows[1].as_ref().unwrap().row, 3, "JSONL rows are line numbers");
    }

    #[test]
    fn windows_1252_bytes_are_decoded_and_flagged_in_csv_and_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let csv = write(dir.path(), "w.csv", b"a,b\ncaf\xe9,ok\nplain,ok\n");
        let rows = read_all(&csv, Format::Csv, &named(&["a", "b"]));
        assert_eq!(fields(&rows[0]), [Some("café"), Some("ok")]);
        assert!(rows[0].as_ref().unwrap().invalid_utf8);
        assert!(!rows[1].as_ref().unwrap().invalid_utf8);
        let jsonl = write(dir.path(), "w.jsonl", b"{\"a\": \"ferm\xe9 \x80 5\"}\n{\"a\": \"ok\"}\n");
        let rows = read_all(&jsonl, Format::Jsonl, &named(&["a"]));
        assert_eq!(fields(&rows[0]), [Some("fermé € 5")]);
        assert!(rows[0].as_ref().unwrap().invalid_utf8);
        assert!(!rows[1].as_ref().unwrap().invalid_utf8);
        // A header in Windows-1252 is decoded too.
        let header = write(dir.path(), "h.csv", b"r\xe9gion\nIDF\n");
        assert_eq!(RowReader::open(&header, Format::Csv, &Columns::All).unwrap().names(), ["région"]);
    }

    #[test]
    fn a_missing_required_column_is_an_error_naming_the_columns_found() {
        let dir = tempfile::tempdir().unwrap();
        let columns =
            Columns::Named { wanted: vec!["id".into(), "text".into()], required: vec!["id".into(), "text".into()] };
        let p = write(dir.path(), "r.csv", b"id;verbatim\n1;x\n");
        let Err(e) = RowReader::open(&p, Format::Csv, &columns) else { panic!("opened") };
        assert_eq!(
            e.to_string(),
            format!("{}: missing required column \"text\" (columns found: id, verbatim)", p.display())
        );
        let p = write(dir.path(), "empty.csv", b"");
        let Err(e) = RowReader::open(&p, Format::Csv, &columns) else { panic!("opened") };
        assert_eq!(e.reason, "empty file: no header row");
    }

    #[test]
    fn compressed_files_are_read_through_their_decoder() {
        let dir = tempfile::tempdir().unwrap();
        let csv = b"a;b\ncaf\xe9;1\nx;2\n".to_vec();
        let jsonl = b"{\"a\": \"x\", \"b\": 1}\n{\"a\": \"y\"}\n".to_vec();
        let columns = named(&["a", "b"]);
        for (name, bytes, format) in [
            ("c.csv.gz", gzip(&csv), Format::Csv),
            ("c.CSV.GZ", gzip(&csv), Format::Csv),
            ("c.csv.zst", zstd(&csv), Format::Csv),
            ("c.tsv.gz", gzip(b"a\tb\ncaf\xe9;x\t1\n"), Format::Csv),
            ("j.jsonl.gz", gzip(&jsonl), Format::Jsonl),
            ("j.ndjson.zst", zstd(&jsonl), Format::Jsonl),
        ] {
            let p = write(dir.path(), name, &bytes);
            assert_eq!(Format::from_path(&p), Some(format), "{name}");
            let rows = read_all(&p, format, &columns);
            assert!(!rows.is_empty() && rows.iter().all(Result::is_ok), "{name}: {rows:?}");
            let first = fields(&rows[0]);
            assert!(
                first[0] == Some("café") || first[0] == Some("café;x") || first[0] == Some("x"),
                "{name}: {first:?}"
            );
        }
        // Semicolons are sniffed through the decoder; bytes are decoded after it.
        let rows = read_all(&write(dir.path(), "s.csv.gz", &gzip(&csv)), Format::Csv, &columns);
        assert_eq!(fields(&rows[0]), [Some("café"), Some("1")]);
        assert!(rows[0].as_ref().unwrap().invalid_utf8);
        // Concatenated gzip members are one stream.
        let mut two = gzip(b"a;b\n1;2\n");
        two.extend(gzip(b"3;4\n"));
        let rows = read_all(&write(dir.path(), "two.csv.gz", &two), Format::Csv, &columns);
        assert_eq!(rows.len(), 2);
        assert_eq!(fields(&rows[1]), [Some("3"), Some("4")]);
    }

    #[test]
    fn a_truncated_compressed_file_is_an_error_not_a_short_read() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..5000).map(|i| format!("{i};texte {i}\n")).collect();
        let full = gzip(format!("a;b\n{text}").as_bytes());
        let p = write(dir.path(), "cut.csv.gz", &full[..full.len() / 2]);
        let mut r = RowReader::open(&p, Format::Csv, &named(&["a"])).unwrap();
        let e = loop {
            match r.next_item() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("a truncated file read to its end"),
                Err(e) => break e,
            }
        };
        assert!(e.reason.starts_with("cannot read CSV"), "{e}");
    }

    #[test]
    fn other_kinds_of_file_are_named_not_parsed() {
        let dir = tempfile::tempdir().unwrap();
        let err = |name: &str, bytes: &[u8], format: Format| -> String {
            let p = write(dir.path(), name, bytes);
            match RowReader::open(&p, format, &named(&["a"])) {
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with(&p.display().to_string()), "{msg}");
                    assert!(!msg.contains('\u{fffd}') && msg.chars().all(|c| !c.is_control()), "{msg:?}");
                    e.reason
                }
                Ok(_) => panic!("{name} was opened"),
            }
        };
        let xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe[Content_Types].xml";
        assert_eq!(
            err("x.csv", xlsx, Format::Csv),
            "this is an Excel workbook or a zip archive, not CSV; export the sheet as CSV (UTF-8) or Parquet"
        );
        assert_eq!(
            err("x.jsonl", xlsx, Format::Jsonl),
            "this is an Excel workbook or a zip archive, not JSON Lines; export the sheet as CSV (UTF-8) or Parquet"
        );
        assert!(err("x.parquet", xlsx, Format::Parquet)
            .starts_with("this is an Excel workbook or a zip archive, not Parquet"));
        let xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00";
        assert!(err("x.csv", xls, Format::Csv).starts_with("this is an old Excel workbook (.xls)"));
        assert!(
            err("x.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", Format::Csv).starts_with("this is a PDF document, not CSV")
        );
        assert_eq!(
            err("x.csv", &gzip(b"a\n1\n"), Format::Csv),
            "this is gzip-compressed data, not plain CSV; rename it x.csv.gz to have it decompressed"
        );
        assert_eq!(
            err("x.jsonl", &zstd(b"{}\n"), Format::Jsonl),
            "this is zstd-compressed data, not plain JSON Lines; rename it x.jsonl.zst to have it decompressed"
        );
        assert_eq!(err("x.csv.gz", b"a,b\n1,2\n", Format::Csv), "named .gz but not gzip-compressed data");
        assert_eq!(err("x.csv.zst", &gzip(b"a\n"), Format::Csv), "named .zst but not zstd-compressed data");
        assert_eq!(err("x.csv.gz", &gzip(xlsx), Format::Csv), "once decompressed, this is an Excel workbook or a zip archive, not CSV; export the sheet as CSV (UTF-8) or Parquet");
        // Parquet read as text, and compressed data read as Parquet.
        let parquet = dir.path().join("real.parquet");
        let batch = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]).unwrap();
        write_parquet(&parquet, &batch);
        let bytes = std::fs::read(&parquet).unwrap();
        assert!(err("p.csv", &bytes, Format::Csv).starts_with("this is a Parquet file, not CSV; name it .parquet"));
        assert!(err("p.jsonl", &bytes, Format::Jsonl).starts_with("this is a Parquet file, not JSON Lines"));
        assert_eq!(err("p.parquet", &gzip(&bytes), Format::Parquet), "this is gzip-compressed data, not Parquet");
        assert!(err("p.parquet.gz", &gzip(&bytes), Format::Parquet).starts_with("a gzip-compressed Parquet file"));
        // A whole Parquet file opens whatever it is named when its format is given.
        std::fs::copy(&parquet, dir.path().join("p.dat")).unwrap();
        assert_eq!(read_all(&dir.path().join("p.dat"), Format::Parquet, &named(&["a"])).len(), 1);
        // An empty file is not binary: CSV says it has no header, JSONL has no records.
        assert_eq!(err("empty.csv", b"", Format::Csv), "empty file: no header row");
        assert!(read_all(&write(dir.path(), "empty.jsonl", b""), Format::Jsonl, &named(&["a"])).is_empty());
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
