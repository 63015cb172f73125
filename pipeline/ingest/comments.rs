//! Comments: one free-text record per row, attached to a visit.
//!
//! Required columns: `comment_id`, `visit_id`, `text`; optional: `lang`, `channel`,
//! `criterion`, `created_at` (names can be remapped with `--column`). `created_at` is read
//! by the [`DateParser`] into microseconds since the Unix epoch, UTC. A record is
//! rejected, with its file, row and reason, when its id, visit or text is missing, when
//! its text is longer than the configured limit, when its `created_at` is present but not
//! a date, or when its id was already seen among accepted comments (the first occurrence
//! is kept).

use std::path::{Path, PathBuf};

use super::dates::DateParser;
use super::rows::{Columns, Item, RowReader};
use super::seen::{FirstSeen, SeenKeys};
use super::{ColumnNames, Format, InputKind, Reject};
use crate::normalise::is_blank;

/// A comment as read, before normalisation.
#[derive(Debug, Clone)]
pub struct Comment {
    pub comment_id: String,
    pub visit_id: String,
    pub text: String,
    /// Language given by the input, lower-cased, if any.
    pub lang: Option<String>,
    pub channel: Option<String>,
    pub criterion: Option<String>,
    /// Creation time, microseconds since the Unix epoch, UTC.
    pub created_at: Option<i64>,
    /// Index of the source file in the run's list of comment files.
    pub file_index: usize,
    pub row: u64,
    pub invalid_utf8: bool,
}

/// A record of the comments input: a comment, or a reject.
#[derive(Debug)]
pub enum CommentRecord {
    Comment(Comment),
    Rejected(Reject),
}

/// The fields of a comment, as `--column comments.FIELD=NAME` names them.
pub const FIELDS: [&str; 7] = ["comment_id", "visit_id", "text", "lang", "channel", "criterion", "created_at"];
const REQUIRED: [&str; 3] = ["comment_id", "visit_id", "text"];

/// Reads comment files one after the other, validating records and remembering ids
/// across files.
pub struct CommentStream {
    files: Vec<(PathBuf, Format)>,
    names: Vec<String>,
    required: Vec<String>,
    max_text_chars: usize,
    dates: DateParser,
    current: Option<(usize, RowReader)>,
    next_file: usize,
    seen: SeenKeys,
    /// Records read per file, in file order.
    pub records_per_file: Vec<u64>,
}

impl CommentStream {
    pub fn new(files: Vec<(PathBuf, Format)>, columns: &ColumnNames, max_text_chars: usize, dates: DateParser) -> Self {
        let n = files.len();
        CommentStream {
            files,
            names: FIELDS.iter().map(|f| columns.get("comments", f).to_string()).collect(),
            required: REQUIRED.iter().map(|f| columns.get("comments", f).to_string()).collect(),
            max_text_chars,
            dates,
            current: None,
            next_file: 0,
            seen: SeenKeys::in_memory(),
            records_per_file: vec![0; n],
        }
    }

    /// Remembers comment ids in `seen` (a set that spills to disk past its budget)
    /// instead of in memory only.
    pub fn with_seen(mut self, seen: SeenKeys) -> Self {
        self.seen = seen;
        self
    }

    /// Runs of comment ids spilled to disk so far.
    pub fn spilled_id_runs(&self) -> usize {
        self.seen.spilled_runs()
    }

    /// The path of a comment file by index.
    pub fn path(&self, index: usize) -> &Path {
        &self.files[index].0
    }

    /// The next record of any file, `None` when all are read. The error is an
    /// [`InputError`](crate::error::InputError) for an input that cannot be read, or a failure to use the spill
    /// folder of duplicate detection.
    pub fn next_record(&mut self) -> anyhow::Result<Option<CommentRecord>> {
        loop {
            if self.current.is_none() {
                if self.next_file == self.files.len() {
                    return Ok(None);
                }
                let (path, format) = &self.files[self.next_file];
                let columns = Columns::Named { wanted: self.names.clone(), required: self.required.clone() };
                self.current = Some((self.next_file, RowReader::open(path, *format, &columns)?));
                self.next_file += 1;
            }
            let (fi, reader) = self.current.as_mut().expect("set above");
            let fi = *fi;
            let Some(item) = reader.next_item()? else {
                self.current = None;
                continue;
            };
            self.records_per_file[fi] += 1;
            return self.validate(fi, item).map(Some);
        }
    }

    fn validate(&mut self, fi: usize, item: Item) -> anyhow::Result<CommentRecord> {
        let reject_column = |row: u64, column: Option<&str>, raw: &str, reason: String| {
            Ok(CommentRecord::Rejected(Reject::new(
                InputKind::Comments,
                &self.files[fi].0,
                Some(row),
                column,
                raw,
                reason,
            )))
        };
        let reject = |row: u64, raw: &str, reason: String| reject_column(row, None, raw, reason);
        let rec = match item {
            Item::Malformed { row, raw, reason } => return reject(row, &raw, reason),
            Item::Record(r) => r,
        };
        let mut f = rec.fields.into_iter();
        let (id, visit, text) = (f.next().flatten(), f.next().flatten(), f.next().flatten());
        let (lang, channel, criterion, created_at) =
            (f.next().flatten(), f.next().flatten(), f.next().flatten(), f.next().flatten());
        let Some(comment_id) = id else {
            return reject(rec.row, &rec.raw, format!("missing {}", self.names[0]));
        };
        let Some(visit_id) = visit else {
            return reject(rec.row, &rec.raw, format!("missing {}", self.names[1]));
        };
        // Empty once cleaned as normalisation cleans it: only spaces, control or
        // invisible characters (a zero-width space alone is no comment).
        let text = match text {
            Some(t) if !is_blank(&t) => t,
            _ => return reject(rec.row, &rec.raw, "empty text".into()),
        };
        let chars = text.chars().count();
        if chars > self.max_text_chars {
            return reject(
                rec.row,
                &rec.raw,
                format!("text has {chars} characters, over the limit of {} (--max-text-chars)", self.max_text_chars),
            );
        }
        let created_at = match created_at.map(|v| self.dates.parse_timestamp(&v)).transpose() {
            Ok(t) => t,
            Err(e) => {
                let column = &self.names[6];
                return reject_column(rec.row, Some(column), &rec.raw, format!("{column}: {e}"));
            }
        };
        if let Some(first) = self.seen.first_seen(&comment_id, FirstSeen { file: fi, row: rec.row })? {
            return reject(
                rec.row,
                &rec.raw,
                format!(
                    "duplicate comment_id {comment_id:?}: first seen in {}, row {}",
                    self.files[first.file].0.display(),
                    first.row
                ),
            );
        }
        Ok(CommentRecord::Comment(Comment {
            comment_id,
            visit_id,
            text,
            lang: lang.map(|l| l.to_ascii_lowercase()),
            channel,
            criterion,
            created_at,
            file_index: fi,
            row: rec.row,
            invalid_utf8: rec.invalid_utf8,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads comment files written into a temporary directory: (name, content) pairs.
    fn read_files(files: &[(&str, &[u8])], dates: DateParser) -> (Vec<CommentRecord>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let paths = files
            .iter()
            .map(|(name, bytes)| {
                let p = dir.path().join(name);
                std::fs::write(&p, bytes).unwrap();
                let f = Format::from_path(&p).unwrap();
                (p, f)
            })
            .collect();
        let mut stream = CommentStream::new(paths, &ColumnNames::default(), 1000, dates);
        let mut out = Vec::new();
        while let Some(r) = stream.next_record().unwrap_or_else(|e| panic!("{e}")) {
            out.push(r);
        }
        (out, dir)
    }

    fn read(name: &str, bytes: &[u8]) -> Vec<CommentRecord> {
        read_files(&[(name, bytes)], DateParser::default()).0
    }

    fn comment(r: &CommentRecord) -> &Comment {
        match r {
            CommentRecord::Comment(c) => c,
            CommentRecord::Rejected(r) => panic!("rejected: {}", r.reason),
        }
    }

    fn rejected(r: &CommentRecord) -> &Reject {
        match r {
            CommentRecord::Rejected(r) => r,
            CommentRecord::Comment(c) => panic!("accepted: {}", c.comment_id),
        }
    }

    #[test]
    fn created_at_is_read_in_any_supported_format_and_a_bad_one_rejects_the_row() {
        let csv = "comment_id;visit_id;text;created_at\n\
                   C1;V1;Bonjour;2026-01-05T14:03:00+01:00\n\
                   C2;V1;Bonjour;7 janv. 2026\n\
                   C3;V1;Bonjour;\n\
                   C4;V1;Bonjour;7 janvx 2026\n\
                   C5;V1;Bonjour;31/02/2026\n\
                   C4;V1;Bonjour;05/01/2026 14:03\n";
        let records = read("c.csv", csv.as_bytes());
        assert_eq!(comment(&records[0]).created_at, Some(1_767_618_180_000_000));
        assert_eq!(comment(&records[1]).created_at, Some(1_767_744_000_000_000));
        assert_eq!(comment(&records[2]).created_at, None, "an empty field is no date");
        let r = rejected(&records[3]);
        assert_eq!(r.row, Some(4));
        assert_eq!(r.column.as_deref(), Some("created_at"));
        assert_eq!(
            r.reason,
            "created_at: unparsable date \"7 janvx 2026\": expected ISO 8601 (2026-01-07 or 2026-01-07T14:03:00+01:00), dd/mm/yyyy [HH:MM[:SS]], or a day, month name and year; see --date-format"
        );
        assert_eq!(rejected(&records[4]).reason, "created_at: invalid date \"31/02/2026\": 2026-02 has no day 31");
        // The rejected C4 did not claim its id: the next C4 is accepted.
        assert_eq!(comment(&records[5]).created_at, Some(1_767_621_780_000_000));
    }

    #[test]
    fn a_custom_date_format_is_tried_first_and_the_column_can_be_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        std::fs::write(
            &p,
            "{\"comment_id\": \"C1\", \"visit_id\": \"V1\", \"text\": \"x\", \"quand\": \"01/07/2026 14h03\"}\n",
        )
        .unwrap();
        let columns = ColumnNames::parse(&["comments.created_at=quand".into()]).unwrap();
        let dates = DateParser::new(Some("%m/%d/%Y %Hh%M")).unwrap();
        let mut stream = CommentStream::new(vec![(p, Format::Jsonl)], &columns, 1000, dates);
        let c = stream.next_record().unwrap().unwrap();
        assert_eq!(comment(&c).created_at, Some(1_767_794_580_000_000));
    }

    #[test]
    fn missing_fields_long_texts_and_malformed_rows_are_rejected_with_their_reason() {
        let long = "x".repeat(1001);
        let csv = format!(
            "comment_id,visit_id,text,lang\nC1,V1,Bonjour,FR\n,V1,Sans id,\nC2,,Sans visite,\nC3,V1,  ,\nC4,V1,{long},\nC5,V1\nC6,V1,\"a, b\",,extra\nC7,V1,ok,\n"
        );
        let records = read("c.csv", csv.as_bytes());
        assert_eq!(records.len(), 8);
        let c = comment(&records[0]);
        assert_eq!((c.lang.as_deref(), c.channel.as_deref(), c.criterion.as_deref()), (Some("fr"), None, None));
        let reasons: Vec<(Option<u64>, &str)> =
            records[1..7].iter().map(|r| (rejected(r).row, rejected(r).reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (Some(2), "missing comment_id"),
                (Some(3), "missing visit_id"),
                (Some(4), "empty text"),
                (Some(5), "text has 1001 characters, over the limit of 1000 (--max-text-chars)"),
                (Some(6), "expected 4 fields, found 2"),
                (Some(7), "expected 4 fields, found 5"),
            ]
        );
        assert_eq!(rejected(&records[5]).raw, "C5,V1");
        assert_eq!(comment(&records[7]).comment_id, "C7");
    }

    #[test]
    fn duplicate_ids_are_rejected_naming_the_first_file_and_row() {
        let (records, dir) = read_files(
            &[
                ("a.csv", b"comment_id,visit_id,text\nC1,V1,un\nC2,V1,deux\n"),
                ("b.jsonl", b"{\"comment_id\": \"C2\", \"visit_id\": \"V2\", \"text\": \"encore\"}\n"),
            ],
            DateParser::default(),
        );
        assert_eq!(records.len(), 3);
        let r = rejected(&records[2]);
        assert_eq!(r.file, dir.path().join("b.jsonl"));
        assert_eq!(r.row, Some(1));
        assert_eq!(
            r.reason,
            format!("duplicate comment_id \"C2\": first seen in {}, row 2", dir.path().join("a.csv").display())
        );
    }

    #[test]
    fn windows_1252_comments_are_decoded_and_flagged_in_csv_and_jsonl() {
        let (records, _dir) = read_files(
            &[
                ("a.csv", b"comment_id;visit_id;text\nC1;V1;Caisse ferm\xe9e \x96 attente\nC2;V1;ok\n"),
                ("b.jsonl", b"{\"comment_id\": \"C3\", \"visit_id\": \"V1\", \"text\": \"d\xe9j\xe0 vu\"}\n"),
            ],
            DateParser::default(),
        );
        assert_eq!(comment(&records[0]).text, "Caisse fermée – attente");
        assert!(comment(&records[0]).invalid_utf8);
        assert!(!comment(&records[1]).invalid_utf8);
        assert_eq!(comment(&records[2]).text, "déjà vu");
        assert!(comment(&records[2]).invalid_utf8);
    }

    #[test]
    fn a_missing_required_column_stops_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        std::fs::write(&p, "comment_id,visit_id,verbatim\nC1,V1,x\n").unwrap();
        let mut stream =
            CommentStream::new(vec![(p.clone(), Format::Csv)], &ColumnNames::default(), 10, DateParser::default());
        let e = stream.next_record().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: missing required column \"text\" (columns found: comment_id, visit_id, verbatim)",
                p.display()
            )
        );
    }

    #[test]
    fn compressed_comment_files_are_read_and_binary_ones_refused() {
        use crate::ingest::rows::tests::{gzip, zstd};
        let csv = b"comment_id;visit_id;text;created_at\nC1;V1;Tr\xe8s long;05/01/2026\n";
        let jsonl = b"{\"comment_id\": \"C2\", \"visit_id\": \"V2\", \"text\": \"Rapide\"}\n";
        let (records, _dir) =
            read_files(&[("a.csv.gz", &gzip(csv)), ("b.jsonl.zst", &zstd(jsonl))], DateParser::default());
        let c = comment(&records[0]);
        assert_eq!((c.text.as_str(), c.created_at, c.invalid_utf8), ("Très long", Some(1_767_571_200_000_000), true));
        assert_eq!(comment(&records[1]).text, "Rapide");

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("export.csv");
        std::fs::write(&p, b"PK\x03\x04\x14\x00\x06\x00\x08\x00").unwrap();
        let mut stream =
            CommentStream::new(vec![(p.clone(), Format::Csv)], &ColumnNames::default(), 10, DateParser::default());
        assert_eq!(
            stream.next_record().unwrap_err().to_string(),
            format!(
                "{}: this is an Excel workbook or a zip archive, not CSV; export the sheet as CSV (UTF-8) or Parquet",
                p.display()
            )
        );
    }

    #[test]
    fn parquet_created_at_may_be_a_timestamp_in_any_zone_or_a_date() {
        use std::sync::Arc;

        use arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray, TimestampMillisecondArray};

        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, created_at: ArrayRef| {
            let p = dir.path().join(name);
            let ids = StringArray::from(vec![format!("{name}:1"), format!("{name}:2")]);
            let batch = RecordBatch::try_from_iter([
                ("comment_id", Arc::new(ids) as ArrayRef),
                ("visit_id", Arc::new(StringArray::from(vec!["V1", "V1"])) as ArrayRef),
                ("text", Arc::new(StringArray::from(vec!["un", "deux"])) as ArrayRef),
                ("created_at", created_at),
            ])
            .unwrap();
            crate::ingest::rows::tests::write_parquet(&p, &batch);
            p
        };
        // 2026-01-05T14:03:00+01:00 stored in a Europe/Paris column: 13:03 UTC.
        let paris = write(
            "paris.parquet",
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(1_767_618_180_000), None]).with_timezone("Europe/Paris"),
            ),
        );
        let days = write("days.parquet", Arc::new(Date32Array::from(vec![20458, 0])));
        let files = vec![(paris, Format::Parquet), (days, Format::Parquet)];
        let mut stream = CommentStream::new(files, &ColumnNames::default(), 10, DateParser::default());
        let mut got = Vec::new();
        while let Some(r) = stream.next_record().unwrap() {
            got.push(comment(&r).created_at);
        }
        assert_eq!(got, [Some(1_767_618_180_000_000), None, Some(1_767_571_200_000_000), Some(0)]);
    }
}
