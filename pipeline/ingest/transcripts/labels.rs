//! Which line starts a turn: the labels a line may open with (`Client :`, `[Agent]`) and
//! which of them are speakers (module docs, *Which line starts a turn*).

use std::collections::{HashMap, HashSet};

use super::speakers::{fold_label, is_annotation, is_anonymous_label, looks_like_name, RoleMap};

/// Whether a string can be a speaker label: 1 to 4 words, at most 40 characters, starting
/// with a letter, made of letters, digits, spaces and `_ - ' ’ . ( ) # & /`.
fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= 40
        && label.split_whitespace().count() <= 4
        && label.chars().next().is_some_and(char::is_alphabetic)
        && label.chars().all(|c| {
            c.is_alphanumeric()
                || c.is_whitespace()
                || matches!(c, '_' | '-' | '\'' | '\u{2019}' | '.' | '(' | ')' | '#' | '&' | '/')
        })
}

/// `Label : rest` or `Label: rest` (any whitespace before the colon, as in French
/// typography); not a time (`à 10:30`) nor a URL (`https://`).
fn colon_label(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let label = line[..colon].trim();
    let rest = &line[colon + 1..];
    if rest.starts_with('/') {
        return None;
    }
    let digit_before = label.chars().last().is_some_and(|c| c.is_ascii_digit());
    let digit_after = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
    if (digit_before && digit_after) || !valid_label(label) {
        return None;
    }
    Some((label, rest.trim()))
}

/// `[Label] rest` or `[Label]: rest`.
fn bracket_label(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_prefix('[')?;
    let end = inner.find(']')?;
    let label = inner[..end].trim();
    let rest = inner[end + 1..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
    valid_label(label).then_some((label, rest))
}

/// The candidate labels a line opens with (bracketed first).
fn candidate_labels(line: &str) -> impl Iterator<Item = (&str, &str)> {
    bracket_label(line).into_iter().chain(colon_label(line))
}

/// Labels that look like names and open at least two of the lines.
pub(super) fn recurring_names<'a>(lines: impl Iterator<Item = &'a str>) -> HashSet<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in lines {
        for (label, _) in candidate_labels(line) {
            if looks_like_name(label) && !is_annotation(label) {
                *counts.entry(fold_label(label)).or_default() += 1;
            }
        }
    }
    counts.into_iter().filter(|(_, n)| *n >= 2).map(|(k, _)| k).collect()
}

/// Decides which line-start labels are speakers (module docs, *Which line starts a turn*).
pub(super) struct Detector<'a> {
    pub(super) roles: &'a RoleMap,
    /// Folded names that open at least two lines of the file.
    pub(super) names: HashSet<String>,
}

impl Detector<'_> {
    fn is_speaker(&self, label: &str) -> bool {
        self.roles.role_of(label).is_some() || is_anonymous_label(label) || self.names.contains(&fold_label(label))
    }

    /// `(label, rest of the line)` when the line opens with a speaker label.
    pub(super) fn prefix<'l>(&self, line: &'l str) -> Option<(&'l str, &'l str)> {
        candidate_labels(line).find(|(label, _)| self.is_speaker(label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_prefixes_and_what_is_not_one() {
        let roles = RoleMap::default();
        let d = Detector { roles: &roles, names: HashSet::new() };
        assert_eq!(d.prefix("Client : Bonjour"), Some(("Client", "Bonjour")));
        assert_eq!(d.prefix("Client\u{a0}: bonjour"), Some(("Client", "bonjour")));
        assert_eq!(d.prefix("Conseillère (Julie): Oui"), Some(("Conseillère (Julie)", "Oui")));
        assert_eq!(d.prefix("SPEAKER_00: hello"), Some(("SPEAKER_00", "hello")));
        assert_eq!(d.prefix("[Agent] Hello"), Some(("Agent", "Hello")));
        assert_eq!(d.prefix("[SPEAKER_01]: hi"), Some(("SPEAKER_01", "hi")));
        assert_eq!(d.prefix("Agent:"), Some(("Agent", "")));
        // Not speakers.
        assert_eq!(d.prefix("Note : le client a raccroché"), None);
        assert_eq!(d.prefix("Le conseiller m'a dit : Vous devez rappeler"), None);
        assert_eq!(d.prefix("Agent immobilier m'a dit : Non"), None);
        assert_eq!(d.prefix("Voir https://banque.example/rdv"), None);
        assert_eq!(d.prefix("Rendez-vous à 10:30 demain"), None);
        assert_eq!(d.prefix("Le client du magasin de Lyon : non"), None, "over 4 words");
        assert_eq!(d.prefix("Julie : Bonjour"), None, "a name seen once");
        assert_eq!(d.prefix("[Musique d'attente]"), None);
        assert_eq!(d.prefix("Bon, alors : non"), None, "punctuation in the label");
    }

    #[test]
    fn recurring_names_become_speakers_but_annotations_do_not() {
        let lines = [
            "Julie : Bonjour",
            "Marc : bonjour",
            "Julie : Oui ?",
            "MARC : ok",
            "le client : non",
            "le client : toujours pas",
            "Note : Le client attend.",
            "Note : Toujours.",
            "Ensuite : Rien.",
        ];
        let names = recurring_names(lines.into_iter());
        assert!(names.contains("julie"));
        assert!(names.contains("marc"), "case-insensitive count");
        assert!(!names.contains("note"));
        assert!(!names.contains("ensuite"));
        assert!(!names.contains("le client"), "not a name");
        assert!(looks_like_name("Jean de La Fontaine"));
        assert!(looks_like_name("M. Dupont"));
        assert!(!looks_like_name("le client"));
    }
}
