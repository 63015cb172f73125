//! JSON Lines (`.jsonl`, `.ndjson`): one transcript per non-blank line, each line decoded
//! and rejected alone (module docs, *Formats*). Not a `WholeFileParser`: the lines carry
//! their own `visit_id`, and the mapping file does not apply to them.

use std::path::Path;

use serde_json::{Map, Value};

use super::clock::{format_clock, parse_clock, MAX_TIME_MS};
use super::decode::decode_utf16;
use super::meta::file_stem;
use super::roles::resolve_roles;
use super::speakers::RoleMap;
use super::{reject, Role, Transcript, TranscriptRecord, Turn};
use crate::ingest::split_lines;
use crate::normalise::is_blank;
use crate::normalise::mojibake::decode_bytes;

/// Reads a JSON Lines file: one record per non-blank line.
pub(super) fn read(bytes: &[u8], path: &Path, roles: &RoleMap) -> Vec<TranscriptRecord> {
    // Lines end at LF, CRLF or a lone CR; a line with a NUL byte (or any other garbage)
    // is rejected alone, with its line number, and the others are read.
    let lines: Vec<(String, bool, bool)> = if let Some((text, bad)) = decode_utf16(bytes) {
        split_lines(text.as_bytes())
            .into_iter()
            .map(|l| (String::from_utf8_lossy(l).into_owned(), bad, l.contains(&0)))
            .collect()
    } else {
        split_lines(bytes)
            .into_iter()
            .map(|l| {
                let (text, bad) = decode_bytes(l);
                (text, bad, l.contains(&0))
            })
            .collect()
    };
    let mut out = Vec::new();
    for (i, (line, invalid_utf8, nul)) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        if *nul {
            out.push(reject(path, Some(n), line, "binary content: the line contains NUL bytes".into()));
            continue;
        }
        out.push(match parse_jsonl_line(line, path, n, roles) {
            Ok(mut t) => {
                t.invalid_utf8 = *invalid_utf8;
                TranscriptRecord::Transcript(t)
            }
            Err(reason) => reject(path, Some(n), line, reason),
        });
    }
    if out.is_empty() {
        out.push(reject(path, None, "", "empty file".into()));
    }
    out
}

/// A text field: a non-blank string (trimmed) or a number (as written); `Ok(None)` when
/// absent, null or blank; an error naming the field and the type for a boolean, a list
/// or an object.
fn text_field(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    Ok(match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if is_blank(s) => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => return Err(format!("{key} is a JSON boolean ({b}), expected a string or a number")),
        Some(Value::Array(_)) => return Err(format!("{key} is a JSON list, expected a string or a number")),
        Some(Value::Object(_)) => return Err(format!("{key} is a JSON object, expected a string or a number")),
    })
}

fn parse_jsonl_line(line: &str, path: &Path, n: u64, roles: &RoleMap) -> Result<Transcript, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = value.as_object().ok_or("expected a JSON object")?;
    let visit_id = text_field(obj, "visit_id")?.ok_or("missing visit_id")?;
    let items = match obj.get("turns") {
        None | Some(Value::Null) => return Err("missing turns".into()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("turns is not a list".into()),
    };
    if items.is_empty() {
        return Err("no turns".into());
    }
    let mut turns = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let k = i + 1;
        let turn = item.as_object().ok_or_else(|| format!("turn {k} is not an object"))?;
        let speaker = text_field(turn, "speaker")
            .map_err(|e| format!("turn {k}: {e}"))?
            .ok_or_else(|| format!("turn {k} has no speaker"))?;
        let text = match turn.get("text") {
            Some(Value::String(s)) if !is_blank(s) => s.trim().to_string(),
            Some(Value::String(_)) => return Err(format!("turn {k} has empty text")),
            None | Some(Value::Null) => return Err(format!("turn {k} has no text")),
            Some(_) => return Err(format!("turn {k}: text is not a string")),
        };
        let start_ms = json_time(turn.get("start")).map_err(|e| format!("turn {k}: start {e}"))?;
        let end_ms = json_time(turn.get("end")).map_err(|e| format!("turn {k}: end {e}"))?;
        if let (Some(s), Some(e)) = (start_ms, end_ms) {
            if e < s {
                return Err(format!("turn {k} ends before it starts ({} < {})", format_clock(e), format_clock(s)));
            }
        }
        turns.push(Turn { speaker, role: Role::Unknown, start_ms, end_ms, text });
    }
    let role_source = resolve_roles(&mut turns, roles, true);
    Ok(Transcript {
        transcript_id: text_field(obj, "id")?.unwrap_or_else(|| format!("{}:{n}", file_stem(path))),
        visit_id,
        channel: text_field(obj, "channel")?,
        lang: text_field(obj, "lang")?.map(|l| l.to_lowercase()),
        file: path.to_path_buf(),
        line: n,
        turns,
        invalid_utf8: false,
        role_source,
    })
}

/// A JSON time: seconds as a number or a string, or a clock string; `Ok(None)` when absent.
fn json_time(value: Option<&Value>) -> Result<Option<u64>, String> {
    let seconds = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("{n} is not a time"))?,
        Some(Value::String(s)) if s.contains(':') => {
            return parse_clock(s).map(Some).ok_or_else(|| format!("{s:?} is not a time (HH:MM:SS.mmm)"));
        }
        Some(Value::String(s)) => {
            s.trim().parse::<f64>().map_err(|_| format!("{s:?} is not a time (seconds or HH:MM:SS.mmm)"))?
        }
        Some(other) => return Err(format!("{other} is not a time")),
    };
    if seconds.is_nan() || seconds < 0.0 {
        return Err(format!("{seconds} is not a time (negative)"));
    }
    let ms = seconds * 1000.0;
    if ms > MAX_TIME_MS as f64 {
        return Err(format!(
            "{seconds} seconds is over {} hours, the longest a transcript may run",
            MAX_TIME_MS / 3_600_000
        ));
    }
    Ok(Some(ms.round() as u64))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::ingest::transcripts::tests::{map, read, roles_of};
    use crate::ingest::transcripts::{read_bytes, RoleSource, TranscriptFormat};

    #[test]
    fn json_times_in_seconds_or_clock() {
        let t = |v: Value| json_time(Some(&v));
        assert_eq!(t(serde_json::json!(3.25)), Ok(Some(3_250)));
        assert_eq!(t(serde_json::json!(20.125)), Ok(Some(20_125)));
        assert_eq!(t(serde_json::json!("00:01:30.5")), Ok(Some(90_500)));
        assert_eq!(t(serde_json::json!("12.5")), Ok(Some(12_500)));
        assert_eq!(t(Value::Null), Ok(None));
        assert_eq!(json_time(None), Ok(None));
        assert!(t(serde_json::json!(-1)).is_err());
        assert!(t(serde_json::json!("bientôt")).is_err());
        assert!(t(serde_json::json!("00:99:00")).is_err());
        assert!(t(serde_json::json!([1])).is_err());
    }

    #[test]
    fn jsonl_chats() {
        let records = read("chats.jsonl", &HashMap::new());
        let ts: Vec<&Transcript> = records
            .iter()
            .map(|r| match r {
                TranscriptRecord::Transcript(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ts.len(), 3);
        let fr = ts[0];
        assert_eq!((fr.transcript_id.as_str(), fr.visit_id.as_str(), fr.line), ("chat-fr-01", "V00101", 1));
        assert_eq!(fr.role_source, RoleSource::Mapping);
        assert_eq!(roles_of(fr), ["staff", "shopper", "staff"]);
        assert_eq!(fr.turns[2].speaker, "conseillère");
        let times: Vec<(Option<u64>, Option<u64>)> = fr.turns.iter().map(|t| (t.start_ms, t.end_ms)).collect();
        assert_eq!(times, [(Some(0), None), (Some(41_000), None), (Some(90_500), Some(112_000))]);
        let en = ts[1];
        assert_eq!((en.transcript_id.as_str(), en.line), ("chats:3", 3), "id from the stem and line");
        assert_eq!((en.lang.as_deref(), en.role_source), (Some("en"), RoleSource::Given));
        assert_eq!((en.turns[1].start_ms, en.turns[1].end_ms), (Some(12_000), Some(20_125)));
        assert_eq!((en.turns[0].start_ms, en.turns[0].end_ms), (Some(3_250), Some(5_000)));
        let stt = ts[2];
        assert_eq!(stt.role_source, RoleSource::Heuristic);
        assert_eq!(roles_of(stt), ["shopper", "staff", "shopper"]);
    }

    #[test]
    fn jsonl_mixed_good_and_bad_lines() {
        let records = read("mixed.jsonl", &map());
        assert_eq!(records.len(), 4);
        assert!(matches!(&records[0], TranscriptRecord::Transcript(t) if t.turns.len() == 2 && t.visit_id == "V00201"));
        let rejects: Vec<(Option<u64>, &str)> = records[1..]
            .iter()
            .map(|r| match r {
                TranscriptRecord::Rejected { line, reason, .. } => (*line, reason.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(rejects[0].0, Some(2));
        assert!(rejects[0].1.starts_with("invalid JSON"), "{}", rejects[0].1);
        assert_eq!(rejects[1], (Some(3), "missing visit_id"));
        assert_eq!(rejects[2], (Some(4), "turn 2 has empty text"));
        if let TranscriptRecord::Rejected { raw, .. } = &records[2] {
            assert!(raw.contains("No visit id on this line."));
        }
    }

    #[test]
    fn jsonl_other_line_problems() {
        let path = Path::new("inline.jsonl");
        let reasons = |text: &str| -> Vec<String> {
            read_bytes(text.as_bytes(), path, TranscriptFormat::Jsonl, &HashMap::new(), &RoleMap::default())
                .into_iter()
                .map(|r| match r {
                    TranscriptRecord::Rejected { reason, .. } => reason,
                    TranscriptRecord::Transcript(t) => format!("ok {}", t.transcript_id),
                })
                .collect()
        };
        assert_eq!(reasons(r#"{"visit_id": "V1", "turns": []}"#), ["no turns"]);
        assert_eq!(reasons(r#"{"visit_id": "V1"}"#), ["missing turns"]);
        assert_eq!(reasons(r#"[1, 2]"#), ["expected a JSON object"]);
        assert_eq!(reasons(r#"{"visit_id": "V1", "turns": [{"text": "x"}]}"#), ["turn 1 has no speaker"]);
        assert_eq!(
            reasons(r#"{"visit_id": 17, "turns": [{"speaker": "client", "text": "x", "start": 5, "end": 4}]}"#),
            ["turn 1 ends before it starts (00:00:04.000 < 00:00:05.000)"]
        );
        assert_eq!(
            reasons(r#"{"visit_id": "V1", "turns": [{"speaker": "client", "text": "x", "start": "soon"}]}"#)[0],
            "turn 1: start \"soon\" is not a time (seconds or HH:MM:SS.mmm)"
        );
        assert_eq!(reasons("\n  \n"), ["empty file"]);
        assert_eq!(
            reasons("\u{feff}{\"visit_id\": 17, \"turns\": [{\"speaker\": \"client\", \"text\": \"x\"}]}\r\n"),
            ["ok inline:1"]
        );
    }
}
