//! What a whole file says about itself (its `key: value` header) and which visit it
//! belongs to: the header, the mapping file (`--transcript-map`) or the file stem (module
//! docs, *Visit ids of whole-file formats*).

use std::collections::HashMap;
use std::path::Path;

use super::speakers::fold_label;
use crate::error::{InputError, Location};
use crate::ingest::rows::{Columns, Item, RowReader};
use crate::ingest::{uncompressed_name, Format};

/// Metadata a file gives about itself.
#[derive(Debug, Default)]
pub(super) struct Meta {
    pub(super) visit_id: Option<String>,
    pub(super) id: Option<String>,
    pub(super) channel: Option<String>,
    pub(super) lang: Option<String>,
}

impl Meta {
    /// Reads a `key: value` (or `key = value`) header line; unknown keys are ignored and the
    /// first value of a key wins.
    pub(super) fn read_pair(&mut self, s: &str) {
        let Some((key, value)) = s.split_once([':', '=']) else {
            return;
        };
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let slot = match fold_label(key).as_str() {
            "visit id" | "visitid" | "visit" | "visite" | "id visite" => &mut self.visit_id,
            "id" | "transcript id" => &mut self.id,
            "channel" | "canal" => &mut self.channel,
            "lang" | "language" | "langue" => &mut self.lang,
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(value.to_string());
        }
    }

    pub(super) fn finish(mut self) -> Self {
        self.lang = self.lang.map(|l| l.to_lowercase());
        self
    }
}

/// The file name without its compression and format extensions: `call.vtt.gz` → `call`.
pub(super) fn file_stem(path: &Path) -> String {
    uncompressed_name(path)
        .and_then(|n| Path::new(&n).file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// The visit id of a whole-file transcript (module docs, *Visit ids*).
pub(super) fn resolve_visit(
    header: Option<&str>,
    path: &Path,
    visit_map: &HashMap<String, String>,
) -> Result<String, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let mapped = name
        .as_ref()
        .and_then(|n| visit_map.get(n))
        .or_else(|| uncompressed_name(path).and_then(|n| visit_map.get(&n)))
        .or_else(|| visit_map.get(&file_stem(path)));
    match (header, mapped) {
        (Some(h), Some(m)) if h != m => {
            Err(format!("visit id conflict: the file says {h:?}, the mapping file says {m:?}"))
        }
        (Some(h), _) => Ok(h.to_string()),
        (None, Some(m)) => Ok(m.clone()),
        (None, None) if visit_map.is_empty() => {
            let stem = file_stem(path);
            if stem.trim().is_empty() {
                Err("no visit id: no visit_id header and no file stem".into())
            } else {
                Ok(stem)
            }
        }
        (None, None) => {
            Err("no visit id: the file has no visit_id header and is not in the mapping file (--transcript-map)".into())
        }
    }
}

/// Parses the mapping CSV (`file,visit_id`; `file` is a file name or stem, a directory
/// part is ignored), read like any CSV input (delimiter sniffed, bytes decoded). A row
/// with only one of the two fields, or a file mapped to two different visits, stops the
/// run: the map is configuration.
pub fn read_visit_map(path: &Path) -> Result<HashMap<String, String>, InputError> {
    let columns = Columns::Named {
        wanted: vec!["file".into(), "visit_id".into()],
        required: vec!["file".into(), "visit_id".into()],
    };
    let mut reader = RowReader::open(path, Format::Csv, &columns)?;
    let mut map = HashMap::new();
    while let Some(item) = reader.next_item()? {
        let record = match item {
            Item::Malformed { row, reason, .. } => return Err(InputError::new(Location::row(path, row), reason)),
            Item::Record(r) => r,
        };
        let loc = Location::row(path, record.row);
        let (file, visit) = match (&record.fields[0], &record.fields[1]) {
            (None, None) => continue,
            (Some(f), Some(v)) => (f, v),
            (None, _) => return Err(InputError::new(loc, "empty file")),
            (_, None) => return Err(InputError::new(loc, "empty visit_id")),
        };
        let key = file.rsplit(['/', '\\']).next().unwrap_or(file).to_string();
        if let Some(previous) = map.get(&key) {
            if previous != visit {
                return Err(InputError::new(loc, format!("{key:?} is mapped to both {previous:?} and {visit:?}")));
            }
        }
        map.insert(key, visit.clone());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::transcripts::tests::{map, read, rejected};
    use crate::ingest::transcripts::TranscriptRecord;

    #[test]
    fn visit_id_precedence() {
        // Header and map disagree.
        let conflict: HashMap<String, String> = [("bank_call_fr".to_string(), "V99999".to_string())].into();
        let (_, reason) = rejected("bank_call_fr.txt", &conflict);
        assert_eq!(reason, "visit id conflict: the file says \"V00012\", the mapping file says \"V99999\"");
        // No map: the header, else the stem.
        let none = HashMap::new();
        assert!(
            matches!(&read("bank_call_fr.txt", &none)[0], TranscriptRecord::Transcript(t) if t.visit_id == "V00012")
        );
        assert!(
            matches!(&read("airline_call_en.txt", &none)[0], TranscriptRecord::Transcript(t) if t.visit_id == "airline_call_en")
        );
        // A map that does not list the file.
        let other: HashMap<String, String> = [("elsewhere.txt".to_string(), "V1".to_string())].into();
        let (line, reason) = rejected("airline_call_en.txt", &other);
        assert_eq!(line, None);
        assert!(reason.starts_with("no visit id"), "{reason}");
        // The file name is tried before the stem.
        let both: HashMap<String, String> =
            [("airline_call_en".to_string(), "V2".to_string()), ("airline_call_en.txt".to_string(), "V3".to_string())]
                .into();
        assert!(
            matches!(&read("airline_call_en.txt", &both)[0], TranscriptRecord::Transcript(t) if t.visit_id == "V3")
        );
    }

    #[test]
    fn visit_map_file() {
        let m = map();
        assert_eq!(m.len(), 7);
        assert_eq!(m["stt_call_fr"], "V00045");
        assert_eq!(m["airline_call_en.srt"], "V00033", "directory part dropped");
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let semi = write("semi.csv", "\u{feff}file;visit_id\na.vtt ; V1\n;\n");
        assert_eq!(read_visit_map(&semi).unwrap()["a.vtt"], "V1");
        let twice = write("twice.csv", "file,visit_id\na.vtt,V1\na.vtt,V2\n");
        let e = read_visit_map(&twice).unwrap_err();
        assert_eq!(e.location.row, Some(2));
        assert!(e.reason.contains("mapped to both"), "{}", e.reason);
        let missing = write("missing.csv", "name,visit\na,V1\n");
        assert!(read_visit_map(&missing).unwrap_err().reason.contains("missing required column \"file\""));
        let half = write("half.csv", "file,visit_id\na.vtt,\n");
        assert_eq!(read_visit_map(&half).unwrap_err().reason, "empty visit_id");
    }
}
