//! WebVTT (`.vtt`): the `WEBVTT` header block, cues with optional ids, and `NOTE`,
//! `STYLE` and `REGION` blocks; the cues themselves are read in `cues.rs`.

use super::cues::{parse_cues, CueDialect};
use super::meta::Meta;
use super::speakers::RoleMap;
use super::{Parsed, Problem, WholeFileParser};

/// WebVTT.
pub(super) struct WebVtt;

impl WholeFileParser for WebVtt {
    fn parse(&self, text: &str, roles: &RoleMap) -> Result<Parsed, Problem> {
        parse_cues(text, self, roles)
    }
}

impl CueDialect for WebVtt {
    /// The `WEBVTT` block: its `key: value` lines (`Language: fr`) are the header.
    fn read_header(&self, block: &[(u64, &str)], meta: &mut Meta) -> bool {
        let opening = block[0].1;
        let is_header = opening.strip_prefix("WEBVTT").is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']));
        if is_header {
            for (_, line) in &block[1..] {
                meta.read_pair(line);
            }
        }
        is_header
    }

    /// A `NOTE` block is read for header lines (`NOTE visit_id: V00310`); `STYLE` and
    /// `REGION` blocks are skipped.
    fn other_block(&self, block: &[(u64, &str)], meta: &mut Meta) -> bool {
        let first = block[0].1;
        if let Some(note) = first.strip_prefix("NOTE").filter(|r| r.is_empty() || r.starts_with([' ', '\t'])) {
            meta.read_pair(note);
            for (_, line) in &block[1..] {
                meta.read_pair(line);
            }
            return true;
        }
        first == "STYLE" || first == "REGION"
    }

    /// WebVTT cue ids are free text: none is taken for a number that needs a timing line.
    fn is_cue_number(&self, _line: &str) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use crate::ingest::transcripts::tests::{one, roles_of};
    use crate::ingest::transcripts::{read_bytes, Role, RoleMap, RoleSource, TranscriptFormat, TranscriptRecord};

    #[test]
    fn vtt_speech_to_text_with_diarisation_labels() {
        let t = one("stt_call_fr.vtt");
        assert_eq!((t.visit_id.as_str(), t.lang.as_deref()), ("V00045", Some("fr")), "map by stem");
        assert_eq!(t.role_source, RoleSource::Heuristic);
        let speakers: Vec<&str> = t.turns.iter().map(|t| t.speaker.as_str()).collect();
        assert_eq!(speakers, ["SPEAKER_01", "SPEAKER_00", "SPEAKER_01", "SPEAKER_00", "SPEAKER_01"]);
        assert_eq!(roles_of(&t), ["shopper", "staff", "shopper", "staff", "shopper"]);
        assert_eq!(t.turns[1].text, "Air Azur bonjour, Thomas à votre écoute, que puis-je faire pour vous ?");
        assert_eq!((t.turns[1].start_ms, t.turns[1].end_ms), (Some(2_300), Some(6_900)), "cues 2 and 3 merged");
        assert_eq!(
            t.turns[2].text,
            "Oui bonjour, je voudrais changer la date de mon vol mais le site plante au moment du paiement."
        );
        assert_eq!(
            t.turns[3].text,
            "D'accord, je vais le faire par téléphone. Il y aura des frais de vingt-cinq euros."
        );
        assert_eq!(
            (t.turns[3].start_ms, t.turns[3].end_ms),
            (Some(13_200), Some(19_450)),
            "an unlabelled cue continues"
        );
        assert_eq!(t.turns[4].text, "Vingt-cinq euros ? Alors que c'est votre site qui ne marche pas !");
    }

    #[test]
    fn vtt_chat_with_voice_tags() {
        let t = one("retail_chat_en.vtt");
        assert_eq!((t.visit_id.as_str(), t.lang.as_deref()), ("V00310", Some("en")), "visit id from a NOTE");
        assert_eq!(t.transcript_id, "retail_chat_en");
        assert_eq!(t.role_source, RoleSource::Mapping);
        let got: Vec<(&str, Role, Option<u64>, Option<u64>)> =
            t.turns.iter().map(|t| (t.speaker.as_str(), t.role, t.start_ms, t.end_ms)).collect();
        assert_eq!(
            got,
            [
                ("Agent", Role::Staff, Some(1_000), Some(4_000)),
                ("Customer", Role::Shopper, Some(9_000), Some(18_000)),
                ("Agent", Role::Staff, Some(20_000), Some(26_000)),
                ("Customer", Role::Shopper, Some(20_000), Some(26_000)),
            ]
        );
        assert_eq!(
            t.turns[1].text,
            "I ordered a lamp for home delivery and the tracking page says delivered, but nothing arrived. The courier didn't ring either."
        );
        assert_eq!(t.turns[2].text, "I'm sorry. I've opened a claim with the carrier & you'll hear back in 48h.");
        assert_eq!(t.turns[3].text, "OK, thanks.");
    }

    #[test]
    fn cue_ids_may_hold_an_arrow() {
        let text = "WEBVTT\n\nintro->1\n00:00:01.000 --> 00:00:02.000\n<v Agent>Hello.\n";
        let records = read_bytes(
            text.as_bytes(),
            Path::new("V8.vtt"),
            TranscriptFormat::WebVtt,
            &HashMap::new(),
            &RoleMap::default(),
        );
        assert!(matches!(&records[0], TranscriptRecord::Transcript(t) if t.turns[0].start_ms == Some(1_000)));
    }
}
