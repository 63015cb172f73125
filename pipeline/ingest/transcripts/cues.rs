//! The cues of WebVTT and SRT: blocks, timing lines, speakers from voice tags, prefixes
//! and dialogue dashes, and consecutive cues of a speaker merged into one turn (module
//! docs, *Formats*). What sets the two formats apart is a [`CueDialect`] (`webvtt.rs`,
//! `srt.rs`).

use super::clock::{format_clock, looks_like_timing, parse_timing};
use super::labels::{recurring_names, Detector};
use super::markup::{clean_cue_text, split_voices, strip_dash};
use super::meta::Meta;
use super::pieces::{merge, Piece};
use super::roles::resolve_roles;
use super::speakers::{fold_label, RoleMap};
use super::{Parsed, Problem};

/// What sets WebVTT and SRT apart; the rest of reading cues is shared. Blocks are the
/// file's runs of non-blank lines, trimmed, with their line numbers.
pub(super) trait CueDialect {
    /// Reads the file's first block into `meta` when it is a header; `true` when it was.
    fn read_header(&self, block: &[(u64, &str)], meta: &mut Meta) -> bool;

    /// Reads or skips a block that is not a cue (a WebVTT `NOTE`, `STYLE` or `REGION`);
    /// `true` when it was one.
    fn other_block(&self, block: &[(u64, &str)], meta: &mut Meta) -> bool;

    /// Whether the first line of a block is a cue number, which a timing line must follow.
    fn is_cue_number(&self, line: &str) -> bool;
}

/// A cue of WebVTT or SRT.
#[derive(Debug)]
struct Cue {
    start_ms: u64,
    end_ms: u64,
    payload: Vec<String>,
}

/// Reads the cues of a WebVTT or SRT file (`dialect` says which) into turns.
pub(super) fn parse_cues(text: &str, dialect: &dyn CueDialect, roles: &RoleMap) -> Result<Parsed, Problem> {
    let mut blocks: Vec<Vec<(u64, &str)>> = Vec::new();
    let mut block: Vec<(u64, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
        } else {
            block.push((i as u64 + 1, line));
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    let mut meta = Meta::default();
    let mut blocks = blocks.as_slice();
    if let Some((first, rest)) = blocks.split_first() {
        if dialect.read_header(first, &mut meta) {
            blocks = rest;
        }
    }
    let mut cues: Vec<Cue> = Vec::new();
    for block in blocks {
        let (n0, first) = block[0];
        if dialect.other_block(block, &mut meta) {
            continue;
        }
        let numbered = dialect.is_cue_number(first);
        let second = block.get(1).map(|(_, l)| *l);
        let timing_at = if first.contains("-->") {
            Some(0)
        } else if second.is_some_and(|l| l.contains("-->")) {
            Some(1)
        } else if looks_like_timing(first) {
            Some(0)
        } else if second.is_some_and(|l| numbered || looks_like_timing(l)) {
            Some(1)
        } else if numbered {
            return Err(Problem::at(n0, format!("cue {first} has no timing line")));
        } else {
            None
        };
        let Some(t) = timing_at else {
            // A block without timing: the cue text went on after a blank line.
            match cues.last_mut() {
                Some(cue) => cue.payload.extend(block.iter().map(|(_, l)| l.to_string())),
                None => {
                    return Err(Problem::at(
                        n0,
                        "text before the first cue (expected a timing line such as `00:00:01.000 --> 00:00:04.000`)",
                    ))
                }
            }
            continue;
        };
        let (tn, timing) = block[t];
        let (start_ms, end_ms) =
            parse_timing(timing).map_err(|why| Problem::at(tn, format!("broken timestamp line {timing:?}: {why}")))?;
        if end_ms < start_ms {
            return Err(Problem::at(
                tn,
                format!("cue ends before it starts ({} --> {})", format_clock(start_ms), format_clock(end_ms)),
            ));
        }
        let payload = block[t + 1..].iter().map(|(_, l)| l.to_string()).collect();
        cues.push(Cue { start_ms, end_ms, payload });
    }
    if cues.is_empty() {
        return Err(Problem::file("no cues: no timing line such as `00:00:01.000 --> 00:00:04.000`"));
    }
    let cleaned: Vec<String> = cues
        .iter()
        .flat_map(|c| &c.payload)
        .map(|l| {
            let clean = clean_cue_text(l);
            strip_dash(&clean).1.to_string()
        })
        .collect();
    let detector = Detector { roles, names: recurring_names(cleaned.iter().map(String::as_str)) };
    let mut track = SpeakerTrack::default();
    let mut pieces = Vec::new();
    for cue in &cues {
        for line in &cue.payload {
            for (mark, text) in line_marks(line, &detector) {
                let speaker = track.apply(mark);
                if !text.is_empty() {
                    pieces.push(Piece { speaker, start_ms: Some(cue.start_ms), end_ms: Some(cue.end_ms), text });
                }
            }
        }
    }
    if pieces.is_empty() {
        return Err(Problem::file("no cue has any text"));
    }
    if pieces.iter().all(|p| p.speaker.is_none()) {
        return Err(Problem::file(
            "no speaker found: no cue has a voice tag (`<v Name>`), a speaker prefix (`SPEAKER_00:`, `[Agent]`) or dialogue dashes",
        ));
    }
    let mut turns = merge(pieces);
    let role_source = resolve_roles(&mut turns, roles, false);
    Ok(Parsed { meta: meta.finish(), turns, role_source })
}

/// How a stretch of cue text is attributed.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    /// A voice tag or a speaker prefix named the speaker.
    Named(String),
    /// A dialogue dash: a change of speaker without a name.
    Dash,
    /// No mark: the current speaker goes on.
    Continue,
}

/// The marked stretches of one cue line, text cleaned.
fn line_marks(line: &str, detector: &Detector) -> Vec<(Mark, String)> {
    let mut out = Vec::new();
    for (voice, raw) in split_voices(line) {
        let text = clean_cue_text(&raw);
        match voice {
            Some(name) if !name.is_empty() => out.push((Mark::Named(name), text)),
            Some(_) => out.push((Mark::Continue, text)),
            None => {
                let (dash, rest) = strip_dash(&text);
                out.push(match detector.prefix(rest) {
                    Some((label, body)) => (Mark::Named(label.to_string()), body.to_string()),
                    None if dash => (Mark::Dash, rest.to_string()),
                    None => (Mark::Continue, rest.to_string()),
                });
            }
        }
    }
    out
}

/// The current and the previous speaker while reading cues, to resolve dialogue dashes.
#[derive(Debug, Default)]
struct SpeakerTrack {
    current: Option<String>,
    previous: Option<String>,
    anonymous: u32,
}

impl SpeakerTrack {
    fn apply(&mut self, mark: Mark) -> Option<String> {
        let next = match mark {
            Mark::Continue => return self.current.clone(),
            Mark::Named(label) => label,
            Mark::Dash => match (&self.current, &self.previous) {
                (Some(_), Some(previous)) => previous.clone(),
                _ => {
                    let letter = char::from(b'A' + (self.anonymous % 26) as u8);
                    self.anonymous += 1;
                    format!("Speaker {letter}")
                }
            },
        };
        let same = self.current.as_deref().is_some_and(|c| fold_label(c) == fold_label(&next));
        if !same {
            self.previous = self.current.replace(next);
        }
        self.current.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::ingest::transcripts::tests::rejected;
    use crate::ingest::transcripts::{read_bytes, TranscriptFormat, TranscriptRecord};

    #[test]
    fn dashes_alternate_speakers() {
        let mut track = SpeakerTrack::default();
        let got: Vec<Option<String>> =
            [Mark::Dash, Mark::Dash, Mark::Continue, Mark::Dash, Mark::Named("Agent".into()), Mark::Dash]
                .into_iter()
                .map(|m| track.apply(m))
                .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(got, [s("Speaker A"), s("Speaker B"), s("Speaker B"), s("Speaker A"), s("Agent"), s("Speaker A")]);
    }

    #[test]
    fn broken_timestamp_names_its_line() {
        let (line, reason) = rejected("bad_timestamp.srt", &HashMap::new());
        assert_eq!(line, Some(10));
        assert_eq!(
            reason,
            "line 10: broken timestamp line \"00:00:08,500 -> 00:00:1O,000\": no `-->` between the two times"
        );
    }

    #[test]
    fn cue_ending_before_its_start_is_rejected() {
        let (line, reason) = rejected("end_before_start.vtt", &HashMap::new());
        assert_eq!(line, Some(6));
        assert_eq!(reason, "line 6: cue ends before it starts (00:00:09.000 --> 00:00:07.500)");
    }

    #[test]
    fn cue_files_without_speakers_or_cues_are_rejected() {
        let path = Path::new("x.vtt");
        let reason =
            |text: &str, format| match read_bytes(text.as_bytes(), path, format, &HashMap::new(), &RoleMap::default())
                .pop()
            {
                Some(TranscriptRecord::Rejected { reason, .. }) => reason,
                other => panic!("{other:?}"),
            };
        let vtt = TranscriptFormat::WebVtt;
        assert!(reason("WEBVTT\n\n00:01.000 --> 00:02.000\nBonjour.\n", vtt).starts_with("no speaker found"));
        assert!(reason("WEBVTT\n\nNOTE rien\n", vtt).starts_with("no cues"));
        assert!(reason("WEBVTT\n\nBonjour.\n\n00:01.000 --> 00:02.000\n- Oui.\n", vtt)
            .starts_with("line 3: text before the first cue"));
        assert_eq!(
            reason("1\n00:00:01,000 --> 00:00:02,000\n- Oui.\n\n2\nBonjour\n", TranscriptFormat::Srt),
            "line 6: broken timestamp line \"Bonjour\": no `-->` between the two times"
        );
    }
}
