//! The mystery-shopping checklist: scored criteria per visit.
//!
//! Long format has one answer per row: `visit_id`, `criterion`, `score`, `max_score`,
//! optional `section` and `category` (the irritant category the criterion measures).
//! Wide format has one row per visit and one column per criterion, every criterion
//! scored out of the same maximum. An optional criteria file (`criterion`, `section`,
//! `category`, `max_score`) fills in what a row does not say, and is what gives a wide
//! checklist its sections, categories and per-criterion maxima.
//!
//! N/A answers (`NA`, `N/A`, `n.a.`, `-`, `NC`, `sans objet`, `non applicable`, or an
//! empty score in long format) are kept and excluded from scores. Decimal commas are
//! accepted. A record is the unit of accounting: a row in long format, a non-empty cell
//! in wide format (an empty cell means the criterion was not on that visit's grid; a row
//! that cannot be parsed counts one rejected record per criterion column).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::rows::{Columns, Item, RowReader};
use super::seen::{FirstSeen, SeenKeys};
use super::{ColumnNames, Format, InputKind, Reject};
use crate::error::{InputError, Location};
use crate::taxonomy::Irritant;

/// The fields of a checklist answer, as `--column checklist.FIELD=NAME` names them.
pub const FIELDS: [&str; 6] = ["visit_id", "criterion", "score", "max_score", "section", "category"];

/// One answer of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistAnswer {
    pub visit_id: String,
    pub criterion: String,
    pub section: Option<String>,
    pub category: Option<Irritant>,
    /// `None` for N/A.
    pub score: Option<f64>,
    pub max_score: f64,
    pub file: PathBuf,
    pub row: u64,
}

impl ChecklistAnswer {
    /// `score / max_score`, or `None` for N/A.
    pub fn normalised(&self) -> Option<f64> {
        self.score.map(|s| s / self.max_score)
    }
}

/// What the criteria file says about a criterion.
#[derive(Debug, Clone, Default)]
pub struct CriterionInfo {
    pub section: Option<String>,
    pub category: Option<Irritant>,
    pub max_score: Option<f64>,
}

/// How the checklist file is laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Layout {
    Long,
    /// One column per criterion; the default maximum score of every criterion.
    Wide {
        max_score: f64,
    },
}

/// One record of the checklist: an answer, or a reject with its reason.
#[derive(Debug)]
pub enum ChecklistRecord {
    Answer(ChecklistAnswer),
    Rejected(Reject),
}

/// What reading a checklist counted; its records go one by one to the caller (see
/// [`read`]).
#[derive(Debug, Default)]
pub struct Checklist {
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Runs of answer keys that duplicate detection spilled to disk.
    pub spilled_key_runs: usize,
}

/// True for the spellings of "not applicable".
pub fn is_not_applicable(s: &str) -> bool {
    let t = s.trim().to_lowercase();
    matches!(
        t.as_str(),
        "" | "na"
            | "n/a"
            | "n.a."
            | "n.a"
            | "-"
            | "nc"
            | "n/c"
            | "sans objet"
            | "so"
            | "non applicable"
            | "not applicable"
            | "null"
            | "none"
    )
}

/// Parses a number with a decimal point or comma.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim().replace(',', ".");
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_category(s: Option<&str>) -> Result<Option<Irritant>, String> {
    match s.map(str::trim) {
        None | Some("") | Some("none") => Ok(None),
        Some(c) => c.parse::<Irritant>().map(Some),
    }
}

/// Reads the criteria file.
pub fn read_criteria(path: &Path, format: Format) -> Result<HashMap<String, CriterionInfo>, InputError> {
    let columns = Columns::Named {
        wanted: ["criterion", "section", "category", "max_score"].map(String::from).to_vec(),
        required: vec!["criterion".into()],
    };
    let mut reader = RowReader::open(path, format, &columns)?;
    let mut out = HashMap::new();
    while let Some(item) = reader.next_item()? {
        let rec = match item {
            Item::Malformed { row, reason, .. } => return Err(InputError::new(Location::row(path, row), reason)),
            Item::Record(r) => r,
        };
        let loc = Location::row(path, rec.row);
        let Some(name) = rec.fields[0].clone() else {
            return Err(InputError::new(loc, "missing criterion"));
        };
        let category = parse_category(rec.fields[2].as_deref()).map_err(|e| InputError::new(loc.clone(), e))?;
        let max_score =
            match rec.fields[3].as_deref() {
                None => None,
                Some(m) => Some(parse_number(m).filter(|m| *m > 0.0).ok_or_else(|| {
                    InputError::new(loc.clone(), format!("max_score {m:?} is not a positive number"))
                })?),
            };
        out.insert(name, CriterionInfo { section: rec.fields[1].clone(), category, max_score });
    }
    Ok(out)
}

struct AnswerCheck<'a> {
    criteria: &'a HashMap<String, CriterionInfo>,
    /// `visit_id` and criterion of every answer, joined by a unit separator.
    seen: SeenKeys,
}

/// Why an answer is not taken: a reason for the rejects, or a failure of duplicate
/// detection's spill folder that stops the run.
enum Refused {
    Reject(String),
    Fatal(anyhow::Error),
}

impl From<String> for Refused {
    fn from(reason: String) -> Self {
        Refused::Reject(reason)
    }
}

impl From<&str> for Refused {
    fn from(reason: &str) -> Self {
        Refused::Reject(reason.to_string())
    }
}

impl AnswerCheck<'_> {
    /// Validates one answer's fields into an answer or a reason.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &mut self,
        visit_id: Option<String>,
        criterion: Option<String>,
        score: Option<&str>,
        max_score: Option<f64>,
        section: Option<String>,
        category: Option<&str>,
        file: &Path,
        row: u64,
    ) -> Result<ChecklistAnswer, Refused> {
        let visit_id = visit_id.ok_or("missing visit_id")?;
        let criterion = criterion.ok_or("missing criterion")?;
        let info = self.criteria.get(&criterion).cloned().unwrap_or_default();
        let max_score =
            max_score.or(info.max_score).ok_or_else(|| format!("no max_score for criterion {criterion:?}"))?;
        if max_score <= 0.0 {
            return Err(format!("max_score {max_score} is not positive").into());
        }
        let score = match score {
            Some(s) if !is_not_applicable(s) => {
                let v = parse_number(s).ok_or_else(|| format!("score {s:?} is neither a number nor N/A"))?;
                if v < 0.0 || v > max_score {
                    return Err(format!("score {v} outside 0..={max_score}").into());
                }
                Some(v)
            }
            _ => None,
        };
        let category = match category {
            Some(_) => parse_category(category)?,
            None => info.category,
        };
        let key = format!("{visit_id}\u{1f}{criterion}");
        match self.seen.first_seen(&key, FirstSeen { file: 0, row }) {
            Err(e) => return Err(Refused::Fatal(e)),
            Ok(Some(first)) => {
                return Err(Refused::Reject(format!(
                    "duplicate answer for visit {visit_id:?}, criterion {criterion:?} (first at row {})",
                    first.row
                )))
            }
            Ok(None) => {}
        }
        Ok(ChecklistAnswer {
            visit_id,
            criterion,
            section: section.or(info.section),
            category,
            score,
            max_score,
            file: file.to_path_buf(),
            row,
        })
    }
}

/// Opens the checklist to check its required columns, before a run spends its time on
/// the text: the checklist itself is read last, once the visits' text is known.
pub fn check_header(path: &Path, format: Format, layout: Layout, names: &ColumnNames) -> Result<(), InputError> {
    open(path, format, layout, names).map(drop)
}

/// A checklist opened with the columns its layout needs.
enum Opened {
    Long(RowReader),
    /// `id_pos` is the position of the `visit_id` column; every other one is a criterion.
    Wide {
        reader: RowReader,
        id_pos: usize,
        max_score: f64,
    },
}

fn open(path: &Path, format: Format, layout: Layout, names: &ColumnNames) -> Result<Opened, InputError> {
    let n = |f: &str| names.get("checklist", f).to_string();
    match layout {
        Layout::Long => {
            let columns = Columns::Named {
                wanted: FIELDS.iter().map(|f| n(f)).collect(),
                required: FIELDS[..3].iter().map(|f| n(f)).collect(),
            };
            Ok(Opened::Long(RowReader::open(path, format, &columns)?))
        }
        Layout::Wide { max_score } => {
            let reader = RowReader::open(path, format, &Columns::All)?;
            let id_col = n("visit_id");
            match reader.names().iter().position(|h| *h == id_col) {
                Some(id_pos) => Ok(Opened::Wide { reader, id_pos, max_score }),
                None => Err(InputError::new(
                    Location::file(path),
                    format!("missing required column {id_col:?} (columns found: {})", reader.names().join(", ")),
                )),
            }
        }
    }
}

/// Reads a checklist file in either layout, handing each answer or reject to `on_record` in
/// file order; duplicates of a (visit, criterion) pair are found with `seen`.
pub fn read(
    path: &Path,
    format: Format,
    layout: Layout,
    names: &ColumnNames,
    criteria: &HashMap<String, CriterionInfo>,
    seen: SeenKeys,
    mut on_record: impl FnMut(ChecklistRecord) -> anyhow::Result<()>,
) -> anyhow::Result<Checklist> {
    let mut check = AnswerCheck { criteria, seen };
    let mut out = Checklist::default();
    let on_record: &mut dyn FnMut(ChecklistRecord) -> anyhow::Result<()> = &mut on_record;
    let reject = |out: &mut Checklist,
                  on_record: &mut dyn FnMut(ChecklistRecord) -> anyhow::Result<()>,
                  row: u64,
                  column: Option<String>,
                  raw: &str,
                  reason: String| {
        out.rejected += 1;
        on_record(ChecklistRecord::Rejected(Reject::new(
            InputKind::Checklist,
            path,
            Some(row),
            column.as_deref(),
            raw,
            reason,
        )))
    };
    match open(path, format, layout, names)? {
        Opened::Long(mut reader) => {
            while let Some(item) = reader.next_item()? {
                out.records += 1;
                let rec = match item {
                    Item::Malformed { row, raw, reason } => {
                        reject(&mut out, on_record, row, None, &raw, reason)?;
                        continue;
                    }
                    Item::Record(r) => r,
                };
                let f = &rec.fields;
                let max = match f[3].as_deref() {
                    None => None,
                    Some(m) => match parse_number(m) {
                        Some(v) => Some(v),
                        None => {
                            reject(
                                &mut out,
                                on_record,
                                rec.row,
                                None,
                                &rec.raw,
                                format!("max_score {m:?} is not a number"),
                            )?;
                            continue;
                        }
                    },
                };
                match check.answer(
                    f[0].clone(),
                    f[1].clone(),
                    f[2].as_deref(),
                    max,
                    f[4].clone(),
                    f[5].as_deref(),
                    path,
                    rec.row,
                ) {
                    Ok(a) => {
                        out.accepted += 1;
                        on_record(ChecklistRecord::Answer(a))?
                    }
                    Err(Refused::Reject(reason)) => reject(&mut out, on_record, rec.row, None, &rec.raw, reason)?,
                    Err(Refused::Fatal(e)) => return Err(e),
                }
            }
        }
        Opened::Wide { mut reader, id_pos, max_score } => {
            let header = reader.names().to_vec();
            let criteria_cols: Vec<usize> = (0..header.len()).filter(|&i| i != id_pos).collect();
            while let Some(item) = reader.next_item()? {
                let rec = match item {
                    Item::Malformed { row, raw, reason } => {
                        out.records += criteria_cols.len() as u64;
                        for &c in &criteria_cols {
                            reject(&mut out, on_record, row, Some(header[c].clone()), &raw, reason.clone())?;
                        }
                        continue;
                    }
                    Item::Record(r) => r,
                };
                for &c in &criteria_cols {
                    if rec.fields[c].is_none() {
                        continue; // an empty cell: the criterion was not on this visit's grid
                    }
                    out.records += 1;
                    let criterion = header[c].clone();
                    let max = criteria.get(&criterion).and_then(|i| i.max_score).unwrap_or(max_score);
                    match check.answer(
                        rec.fields[id_pos].clone(),
                        Some(criterion.clone()),
                        rec.fields[c].as_deref(),
                        Some(max),
                        None,
                        None,
                        path,
                        rec.row,
                    ) {
                        Ok(a) => {
                            out.accepted += 1;
                            on_record(ChecklistRecord::Answer(a))?
                        }
                        Err(Refused::Reject(reason)) => {
                            reject(&mut out, on_record, rec.row, Some(criterion), &rec.raw, reason)?
                        }
                        Err(Refused::Fatal(e)) => return Err(e),
                    }
                }
            }
        }
    }
    out.spilled_key_runs = check.seen.spilled_runs();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_applicable_spellings() {
        for s in ["NA", "n/a", " N.A. ", "-", "", "Sans objet", "NC"] {
            assert!(is_not_applicable(s), "{s:?}");
        }
        for s in ["0", "3", "nan?", "ok"] {
            assert!(!is_not_applicable(s), "{s:?}");
        }
    }

    #[test]
    fn numbers_with_decimal_comma() {
        assert_eq!(parse_number("3,5"), Some(3.5));
        assert_eq!(parse_number(" 10 "), Some(10.0));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("inf"), None);
    }
}
