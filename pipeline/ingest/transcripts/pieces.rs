//! Stretches of speech (one speaker line, one speaker's part of a cue) and how they
//! become turns.

use super::speakers::fold_label;
use super::{Role, Turn};

/// A stretch of speech before merging: one speaker line, or one speaker's part of a cue.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Piece {
    pub(super) speaker: Option<String>,
    pub(super) start_ms: Option<u64>,
    pub(super) end_ms: Option<u64>,
    pub(super) text: String,
}

pub(super) fn to_turn(p: Piece) -> Turn {
    Turn {
        speaker: p.speaker.unwrap_or_default(),
        role: Role::Unknown,
        start_ms: p.start_ms,
        end_ms: p.end_ms,
        text: p.text,
    }
}

pub(super) fn append(text: &mut String, more: &str) {
    let more = more.trim();
    if more.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(more);
}

/// Merges consecutive pieces of the same speaker into one turn: texts joined with a space,
/// the first start and the last end kept.
pub(super) fn merge(pieces: Vec<Piece>) -> Vec<Turn> {
    let mut out: Vec<Piece> = Vec::new();
    for piece in pieces {
        if let Some(last) = out.last_mut() {
            let same = match (&last.speaker, &piece.speaker) {
                (Some(a), Some(b)) => fold_label(a) == fold_label(b),
                (None, None) => true,
                _ => false,
            };
            if same {
                append(&mut last.text, &piece.text);
                last.end_ms = last.end_ms.max(piece.end_ms);
                continue;
            }
        }
        out.push(piece);
    }
    out.into_iter().map(to_turn).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_pieces_of_a_speaker_merge() {
        let p = |s: Option<&str>, a: u64, b: u64, t: &str| Piece {
            speaker: s.map(String::from),
            start_ms: Some(a),
            end_ms: Some(b),
            text: t.into(),
        };
        let turns = merge(vec![
            p(None, 0, 500, "[Musique]"),
            p(Some("SPEAKER_00"), 500, 2_000, "Bonjour,"),
            p(Some("speaker_00"), 2_000, 3_500, "je vous écoute."),
            p(Some("SPEAKER_01"), 4_000, 5_000, "Bonjour."),
            p(Some("SPEAKER_00"), 5_000, 6_000, "Oui ?"),
        ]);
        assert_eq!(turns.len(), 4);
        assert_eq!(turns[0].speaker, "");
        assert_eq!(turns[1].speaker, "SPEAKER_00", "the first label is kept");
        assert_eq!(turns[1].text, "Bonjour, je vous écoute.");
        assert_eq!((turns[1].start_ms, turns[1].end_ms), (Some(500), Some(3_500)));
        assert_eq!(turns[3].text, "Oui ?");
    }
}
