//! Speaker-prefixed plain text: one turn per speaker line (`Client : Bonjour…`,
//! `[Agent] …`), optionally after a timestamp; `#` lines are comments and the header
//! (module docs, *Formats*).

use super::clock::strip_timestamp;
use super::labels::{recurring_names, Detector};
use super::meta::Meta;
use super::pieces::{append, to_turn, Piece};
use super::roles::resolve_roles;
use super::speakers::RoleMap;
use super::{Parsed, Problem, Turn, WholeFileParser};

/// Speaker-prefixed plain text (`.txt`).
pub(super) struct Text;

impl WholeFileParser for Text {
    fn parse(&self, text: &str, roles: &RoleMap) -> Result<Parsed, Problem> {
        parse_text(text, roles)
    }
}

fn parse_text(text: &str, roles: &RoleMap) -> Result<Parsed, Problem> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let names = recurring_names(lines.iter().filter(|l| !l.starts_with('#')).map(|l| strip_timestamp(l).1));
    let detector = Detector { roles, names };
    let mut meta = Meta::default();
    let mut pieces: Vec<Piece> = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            meta.read_pair(comment);
            continue;
        }
        let (start_ms, rest) = strip_timestamp(line);
        if let Some((label, body)) = detector.prefix(rest) {
            pieces.push(Piece { speaker: Some(label.to_string()), start_ms, end_ms: None, text: body.to_string() });
        } else if let Some(last) = pieces.last_mut() {
            append(&mut last.text, rest);
        }
        // Else: a title before the first turn, not part of any turn.
    }
    if pieces.is_empty() {
        return Err(Problem::file(
            "no speaker found: no line starts with a speaker label such as `Client :`, `Agent:` or `SPEAKER_00:`",
        ));
    }
    let mut turns: Vec<Turn> = pieces.into_iter().filter(|p| !p.text.is_empty()).map(to_turn).collect();
    if turns.is_empty() {
        return Err(Problem::file("no turn has any text"));
    }
    let role_source = resolve_roles(&mut turns, roles, false);
    Ok(Parsed { meta: meta.finish(), turns, role_source })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use crate::ingest::transcripts::tests::{one, rejected, roles_of};
    use crate::ingest::transcripts::{read_bytes, Role, RoleMap, RoleSource, TranscriptFormat, TranscriptRecord};

    #[test]
    fn text_bank_call_fr() {
        let t = one("bank_call_fr.txt");
        assert_eq!(t.visit_id, "V00012", "header and map agree");
        assert_eq!(t.transcript_id, "bank_call_fr");
        assert_eq!((t.channel.as_deref(), t.lang.as_deref()), (Some("phone"), Some("fr")));
        assert_eq!((t.line, t.invalid_utf8, t.role_source), (1, false, RoleSource::Mapping));
        assert_eq!(t.turns.len(), 6);
        assert_eq!(roles_of(&t), ["staff", "shopper", "staff", "staff", "shopper", "staff"]);
        assert_eq!(t.turns[0].speaker, "Conseillère");
        assert_eq!(t.turns[0].text, "Banque Horizon, bonjour, Camille à votre écoute.");
        assert_eq!(t.turns[1].speaker, "Client", "no-break space before the colon");
        assert!(t.turns[1].text.ends_with(
            "prêt immobilier, j'ai essayé de prendre rendez-vous dans l'application mais le calendrier reste vide."
        ));
        assert!(t.turns[2].text.ends_with("en ce moment. Note : le client a été mis en attente pendant deux minutes."));
        let starts: Vec<Option<u64>> = t.turns.iter().map(|t| t.start_ms).collect();
        let s = |ms| Some(ms);
        assert_eq!(starts, [s(2_000), s(6_000), s(19_000), s(151_000), s(158_000), s(165_000)]);
        assert!(t.turns.iter().all(|t| t.end_ms.is_none()));
    }

    #[test]
    fn text_airline_call_en_visit_from_map() {
        let t = one("airline_call_en.txt");
        assert_eq!(t.visit_id, "V00031");
        assert_eq!(t.lang, None);
        assert_eq!(t.turns.len(), 8);
        assert_eq!(t.turns.iter().filter(|t| t.role == Role::Staff).count(), 4);
        assert_eq!(t.turns[3].text, "Sure, it's K7QX2L.");
        assert_eq!(t.turns[4].start_ms, Some(62_000), "[MM:SS]");
        assert_eq!(
            t.turns[5].text,
            "That's odd, I typed it twice on the website. The form must have cut off the last letters."
        );
        assert_eq!(t.turns[1].start_ms, Some(6_000), "(HH:MM:SS)");
    }

    #[test]
    fn text_chat_with_names_uses_the_heuristic() {
        let t = one("chat_retail_fr.txt");
        assert_eq!((t.visit_id.as_str(), t.channel.as_deref()), ("V00077", Some("chat")));
        assert_eq!(t.role_source, RoleSource::Heuristic);
        let speakers: Vec<&str> = t.turns.iter().map(|t| t.speaker.as_str()).collect();
        assert_eq!(speakers, ["Léa", "Marc", "Marc", "Léa", "Marc", "Léa"]);
        assert_eq!(roles_of(&t), ["staff", "shopper", "shopper", "staff", "shopper", "staff"]);
        assert_eq!(t.turns[4].text, "CMD-88412 Remarque : Le site indique toujours « prête à retirer ».");
    }

    #[test]
    fn text_without_speakers_is_rejected() {
        let (line, reason) = rejected("no_speaker.txt", &HashMap::new());
        assert_eq!(line, None);
        assert!(reason.starts_with("no speaker found"), "{reason}");
    }

    #[test]
    fn text_comments_anywhere_and_titles() {
        let text = "Appel mystère du 12 mars\nAgent : Bonjour, je vous écoute.\n# lang: FR\nClient : Bonjour.\n# fin\n";
        let records = read_bytes(
            text.as_bytes(),
            Path::new("V7.txt"),
            TranscriptFormat::Text,
            &HashMap::new(),
            &RoleMap::default(),
        );
        match &records[0] {
            TranscriptRecord::Transcript(t) => {
                assert_eq!(t.lang.as_deref(), Some("fr"));
                assert_eq!(t.turns.len(), 2);
                assert_eq!(t.turns[0].text, "Bonjour, je vous écoute.");
                assert_eq!(t.turns[1].text, "Bonjour.");
            }
            other => panic!("{other:?}"),
        }
    }
}
