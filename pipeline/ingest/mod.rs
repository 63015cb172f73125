//! Reading inputs: comments, the checklist and visit metadata, from CSV, JSON Lines or
//! Parquet, as streams of records.
//!
//! [`rows`] turns any supported file into records of named text fields, decoding bytes
//! that are not valid UTF-8 instead of failing; [`comments`], [`checklist`] and [`visits`]
//! validate those records into domain rows, and every record they cannot use becomes a
//! [`Reject`] naming the file, the row and the reason. Nothing is dropped silently.

pub mod checklist;
pub mod comments;
pub mod dates;
pub mod rows;
pub mod transcripts;
pub mod visits;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{InputError, Location};

/// File formats irritant reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
}

impl Format {
    /// The format implied by a file name: `.csv`/`.tsv`, `.jsonl`/`.ndjson`, `.parquet`/`.pq`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }

    /// `forced` when given, else the extension's format, else an error naming the file.
    pub fn resolve(path: &Path, forced: Option<Format>) -> Result<Format, InputError> {
        forced.or_else(|| Format::from_path(path)).ok_or_else(|| {
            InputError::new(
                Location::file(path),
                "unknown file extension: expected .csv, .tsv, .jsonl, .ndjson, .parquet or .pq (or name the format with a flag)",
            )
        })
    }
}

/// Which input a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Comments,
    Transcripts,
    Checklist,
    Visits,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Comments => "comments",
            InputKind::Transcripts => "transcripts",
            InputKind::Checklist => "checklist",
            InputKind::Visits => "visits",
        }
    }
}

/// An input record that was not used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub input: InputKind,
    pub file: PathBuf,
    /// Row (CSV, Parquet) or line (JSONL), from 1; `None` when the problem is the file.
    pub row: Option<u64>,
    /// The column concerned, when one is.
    pub column: Option<String>,
    /// The raw record, truncated to [`RAW_CHARS`] characters.
    pub raw: String,
    pub reason: String,
}

/// How much of a rejected record is kept.
pub const RAW_CHARS: usize = 1000;

/// Truncates a raw record for the rejects table, marking the cut.
pub fn truncate_raw(raw: &str) -> String {
    match raw.char_indices().nth(RAW_CHARS) {
        Some((i, _)) => format!("{}…", &raw[..i]),
        None => raw.to_string(),
    }
}

/// Column names of the inputs as they are in the files, when they differ from irritant's
/// names. Keys are `TABLE.FIELD` (e.g. `comments.text`), values the file's column name.
#[derive(Debug, Clone, Default)]
pub struct ColumnNames(HashMap<String, String>);

impl ColumnNames {
    /// The tables whose columns can be renamed, and their fields.
    pub const TABLES: [(&'static str, &'static [&'static str]); 3] =
        [("comments", &comments::FIELDS), ("checklist", &checklist::FIELDS), ("visits", &visits::FIXED)];

    /// Parses `TABLE.FIELD=NAME` pairs; an unknown table or field, an empty name, or a
    /// field given two different names is an error listing what is valid.
    pub fn parse(pairs: &[String]) -> Result<Self, String> {
        let mut map: HashMap<String, String> = HashMap::new();
        for p in pairs {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("--column {p}: expected TABLE.FIELD=NAME, e.g. comments.text=verbatim"))?;
            let (table, field) = k
                .split_once('.')
                .ok_or_else(|| format!("--column {p}: the key needs a table, e.g. comments.text=verbatim"))?;
            let Some((_, fields)) = Self::TABLES.iter().find(|(t, _)| *t == table) else {
                let tables: Vec<&str> = Self::TABLES.iter().map(|(t, _)| *t).collect();
                return Err(format!("--column {p}: unknown table {table:?}; tables: {}", tables.join(", ")));
            };
            if !fields.contains(&field) {
                return Err(format!("--column {p}: unknown field {field:?} of {table}; fields: {}", fields.join(", ")));
            }
            if v.trim().is_empty() {
                return Err(format!("--column {p}: the column name after `=` is empty"));
            }
            if let Some(previous) = map.get(k).filter(|prev| *prev != v) {
                return Err(format!("--column {p}: {k} is already mapped to {previous:?}"));
            }
            map.insert(k.to_string(), v.to_string());
        }
        Ok(ColumnNames(map))
    }

    /// The file's name for a field of a table.
    pub fn get<'a>(&'a self, table: &str, field: &'a str) -> &'a str {
        self.0.get(&format!("{table}.{field}")).map(String::as_str).unwrap_or(field)
    }
}

/// Expands files and directories into the list of files to read: a directory gives its
/// files that `readable` accepts (a known extension), sorted by name (not recursive).
pub fn expand_paths(paths: &[PathBuf], readable: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| InputError::new(Location::file(p), format!("cannot list directory: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && readable(f))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(InputError::new(Location::file(p), "directory holds no file of a format irritant reads"));
            }
            out.extend(files);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(InputError::new(Location::file(p), "no such file or directory"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_map_and_validate() {
        let c = ColumnNames::parse(&["comments.text=verbatim".into()]).unwrap();
        assert_eq!(c.get("comments", "text"), "verbatim");
        assert_eq!(c.get("comments", "visit_id"), "visit_id");
        let err = |p: &str| ColumnNames::parse(&[p.to_string()]).unwrap_err();
        assert_eq!(err("text=verbatim"), "--column text=verbatim: the key needs a table, e.g. comments.text=verbatim");
        assert_eq!(
            err("comments.text"),
            "--column comments.text: expected TABLE.FIELD=NAME, e.g. comments.text=verbatim"
        );
        assert_eq!(
            err("orders.text=x"),
            "--column orders.text=x: unknown table \"orders\"; tables: comments, checklist, visits"
        );
        assert_eq!(
            err("comments.txt=verbatim"),
            "--column comments.txt=verbatim: unknown field \"txt\" of comments; fields: comment_id, visit_id, text, lang, channel, criterion, created_at"
        );
        assert_eq!(
            err("checklist.note=x"),
            "--column checklist.note=x: unknown field \"note\" of checklist; fields: visit_id, criterion, score, max_score, section, category"
        );
        assert_eq!(
            err("visits.region=x"),
            "--column visits.region=x: unknown field \"region\" of visits; fields: visit_id, store_id, visit_date, channel"
        );
        assert_eq!(err("visits.visit_id= "), "--column visits.visit_id= : the column name after `=` is empty");
        let twice = ColumnNames::parse(&["comments.text=a".into(), "comments.text=b".into()]).unwrap_err();
        assert_eq!(twice, "--column comments.text=b: comments.text is already mapped to \"a\"");
        assert!(ColumnNames::parse(&["comments.text=a".into(), "comments.text=a".into()]).is_ok());
        for (table, fields) in ColumnNames::TABLES {
            for f in fields {
                assert!(ColumnNames::parse(&[format!("{table}.{f}=x")]).is_ok(), "{table}.{f}");
            }
        }
    }

    #[test]
    fn truncation_marks_the_cut() {
        let long = "é".repeat(RAW_CHARS + 5);
        let t = truncate_raw(&long);
        assert_eq!(t.chars().count(), RAW_CHARS + 1);
        assert!(t.ends_with('…'));
        assert_eq!(truncate_raw("court"), "court");
    }
}
