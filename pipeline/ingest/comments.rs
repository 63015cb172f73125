//! Comments: one free-text record per row, attached to a visit.
//!
//! Required columns: `comment_id`, `visit_id`, `text`; optional: `lang`, `channel`,
//! `criterion`, `created_at` (names can be remapped with `--column`). A record is
//! rejected, with its file, row and reason, when its id, visit or text is missing, when
//! its text is longer than the configured limit, or when its id was already seen (the
//! first occurrence is kept).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::rows::{Columns, Item, RowReader};
use super::{truncate_raw, ColumnNames, Format, InputKind, Reject};
use crate::error::InputError;

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
    pub created_at: Option<String>,
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

const FIELDS: [&str; 7] = ["comment_id", "visit_id", "text", "lang", "channel", "criterion", "created_at"];
const REQUIRED: [&str; 3] = ["comment_id", "visit_id", "text"];

/// Reads comment files one after the other, validating records and remembering ids
/// across files.
pub struct CommentStream {
    files: Vec<(PathBuf, Format)>,
    names: Vec<String>,
    required: Vec<String>,
    max_text_chars: usize,
    current: Option<(usize, RowReader)>,
    next_file: usize,
    seen: HashMap<String, (usize, u64)>,
    /// Records read per file, in file order.
    pub records_per_file: Vec<u64>,
}

impl CommentStream {
    pub fn new(files: Vec<(PathBuf, Format)>, columns: &ColumnNames, max_text_chars: usize) -> Self {
        let n = files.len();
        CommentStream {
            files,
            names: FIELDS.iter().map(|f| columns.get("comments", f).to_string()).collect(),
            required: REQUIRED.iter().map(|f| columns.get("comments", f).to_string()).collect(),
            max_text_chars,
            current: None,
            next_file: 0,
            seen: HashMap::new(),
            records_per_file: vec![0; n],
        }
    }

    /// The path of a comment file by index.
    pub fn path(&self, index: usize) -> &Path {
        &self.files[index].0
    }

    /// The next record of any file, `None` when all are read.
    pub fn next_record(&mut self) -> Result<Option<CommentRecord>, InputError> {
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
            return Ok(Some(self.validate(fi, item)));
        }
    }

    fn validate(&mut self, fi: usize, item: Item) -> CommentRecord {
        let reject = |row: u64, raw: &str, reason: String| {
            CommentRecord::Rejected(Reject {
                input: InputKind::Comments,
                file: self.files[fi].0.clone(),
                row: Some(row),
                column: None,
                raw: truncate_raw(raw),
                reason,
            })
        };
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
        let text = match text {
            Some(t) if !t.trim().is_empty() => t,
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
        if let Some((first_file, first_row)) = self.seen.get(&comment_id) {
            return reject(
                rec.row,
                &rec.raw,
                format!(
                    "duplicate comment_id {comment_id:?}: first seen in {}, row {first_row}",
                    self.files[*first_file].0.display()
                ),
            );
        }
        self.seen.insert(comment_id.clone(), (fi, rec.row));
        CommentRecord::Comment(Comment {
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
        })
    }
}
