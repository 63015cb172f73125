//! SRT (`.srt`): numbered cues without a header or other blocks; the cues themselves are
//! read in `cues.rs`.

use super::cues::{parse_cues, CueDialect};
use super::meta::Meta;
use super::speakers::RoleMap;
use super::{Parsed, Problem, WholeFileParser};

/// SRT.
pub(super) struct Srt;

impl WholeFileParser for Srt {
    fn parse(&self, text: &str, roles: &RoleMap) -> Result<Parsed, Problem> {
        parse_cues(text, self, roles)
    }
}

impl CueDialect for Srt {
    fn read_header(&self, _block: &[(u64, &str)], _meta: &mut Meta) -> bool {
        false
    }

    fn other_block(&self, _block: &[(u64, &str)], _meta: &mut Meta) -> bool {
        false
    }

    /// `1`, `2`…: the cue's number.
    fn is_cue_number(&self, line: &str) -> bool {
        line.bytes().all(|b| b.is_ascii_digit())
    }
}

#[cfg(test)]
mod tests {
    use crate::ingest::transcripts::tests::{one, roles_of};
    use crate::ingest::transcripts::RoleSource;

    #[test]
    fn srt_with_dialogue_dashes() {
        let t = one("telecom_call_fr.srt");
        assert_eq!(t.visit_id, "V00052");
        assert_eq!(t.role_source, RoleSource::Heuristic);
        let got: Vec<(&str, &str, Option<u64>, Option<u64>)> =
            t.turns.iter().map(|t| (t.speaker.as_str(), t.role.as_str(), t.start_ms, t.end_ms)).collect();
        assert_eq!(
            got,
            [
                ("Speaker A", "staff", Some(1_000), Some(4_000)),
                ("Speaker B", "shopper", Some(1_000), Some(4_000)),
                ("Speaker A", "staff", Some(4_500), Some(9_000)),
                ("Speaker B", "shopper", Some(4_500), Some(12_000)),
                ("Speaker A", "staff", Some(12_500), Some(16_000)),
                ("Speaker B", "shopper", Some(12_500), Some(16_000)),
            ]
        );
        assert_eq!(t.turns[3].text, "Oui, trois fois, et l'appli dit que tout va bien.");
    }

    #[test]
    fn srt_with_speaker_prefixes() {
        let t = one("airline_call_en.srt");
        assert_eq!(t.visit_id, "V00033", "map entry with a directory part, matched on the file name");
        let got: Vec<(&str, &str, Option<u64>, Option<u64>)> =
            t.turns.iter().map(|t| (t.speaker.as_str(), t.role.as_str(), t.start_ms, t.end_ms)).collect();
        assert_eq!(
            got,
            [
                ("SPEAKER_00", "shopper", Some(800), Some(2_900)),
                ("SPEAKER_01", "staff", Some(3_100), Some(9_000)),
                ("SPEAKER_00", "shopper", Some(9_600), Some(15_200)),
                ("SPEAKER_01", "staff", Some(15_900), Some(24_300)),
                ("SPEAKER_00", "shopper", Some(25_000), Some(27_100)),
            ]
        );
        assert_eq!(t.turns[4].text, "Finally. Thank you.");
    }

    #[test]
    fn srt_with_bracket_labels_keeps_annotations_as_text() {
        let t = one("hotel_call_en.srt");
        assert_eq!((t.visit_id.as_str(), t.role_source), ("V00060", RoleSource::Mapping));
        assert_eq!(roles_of(&t), ["staff", "shopper", "staff"]);
        assert_eq!(
            t.turns[2].text,
            "One moment please, I'll check. [Hold music] I'm back. I can't find any booking under your name."
        );
        assert_eq!((t.turns[2].start_ms, t.turns[2].end_ms), (Some(9_500), Some(105_000)));
    }
}
