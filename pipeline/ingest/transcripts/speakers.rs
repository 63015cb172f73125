//! What a speaker label stands for: the role table ([`RoleMap`]), the folding of labels,
//! anonymous diarisation labels (`SPEAKER_00`), labels that look like names and
//! annotation words that are never speakers. The word lists are data
//! (`speaker_words.toml`).

use std::collections::HashMap;

use crate::normalise::fold::fold_char;

use super::speaker_words::speaker_words;
use super::Role;

/// Speaker labels (case-insensitive, accents folded) and the role each stands for.
///
/// A label is looked up whole, then without a trailing numbering (`Agent 2`, `Client #1`,
/// `Conseiller B`), then as a role word followed by capitalised words (`Agent Julie`,
/// `Service client Orange`), then outside and inside parentheses (`Conseillère (Julie)`).
#[derive(Debug, Clone)]
pub struct RoleMap {
    labels: HashMap<String, Role>,
}

impl Default for RoleMap {
    /// The labels of `speaker_words.toml`: client, cliente, customer, shopper, caller, clt,
    /// visiteur, acheteur, enquêteur, mystery shopper (and their feminines, `passager`,
    /// `user`, `moi`…) → shopper; conseiller, conseillère, agent, staff, advisor, adviser,
    /// vendeur, vendeuse, opérateur, operator, support, hôtesse, service client, bot,
    /// chatbot, assistant (and `réceptionniste`, `serveur vocal`, `IVR`…) → staff.
    fn default() -> Self {
        let words = speaker_words();
        let mut labels = HashMap::new();
        for l in &words.shopper_labels {
            labels.insert(l.clone(), Role::Shopper);
        }
        for l in &words.staff_labels {
            labels.insert(l.clone(), Role::Staff);
        }
        RoleMap { labels }
    }
}

impl RoleMap {
    /// The labels and their roles, sorted: a stable description of the map.
    pub fn sorted(&self) -> Vec<(&str, Role)> {
        let mut v: Vec<(&str, Role)> = self.labels.iter().map(|(k, r)| (k.as_str(), *r)).collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// The default table with `LABEL=ROLE` pairs (from `--speaker-role`) added or replacing
    /// defaults; ROLE is `shopper`, `staff` or `unknown` (`unknown` keeps a label such as a
    /// voice server out of the heuristic).
    pub fn with_overrides(pairs: &[String]) -> Result<Self, String> {
        let mut map = RoleMap::default();
        for p in pairs {
            let (label, role) = p
                .rsplit_once('=')
                .ok_or_else(|| format!("--speaker-role {p:?}: expected LABEL=ROLE, e.g. SPEAKER_00=staff"))?;
            let key = fold_label(label);
            if key.is_empty() {
                return Err(format!("--speaker-role {p:?}: the label is empty"));
            }
            let role = Role::parse(role)
                .ok_or_else(|| format!("--speaker-role {p:?}: ROLE must be shopper, staff or unknown"))?;
            map.labels.insert(key, role);
        }
        Ok(map)
    }

    /// The role of a speaker label, `None` when the table does not know it.
    pub fn role_of(&self, label: &str) -> Option<Role> {
        if let Some(role) = self.plain(label) {
            return Some(role);
        }
        let (open, close) = (label.find('(')?, label.rfind(')')?);
        if open >= close {
            return None;
        }
        let outside = format!("{} {}", &label[..open], &label[close + 1..]);
        self.plain(&outside).or_else(|| self.plain(&label[open + 1..close]))
    }

    fn plain(&self, label: &str) -> Option<Role> {
        let words: Vec<&str> = label.split(|c: char| c.is_whitespace() || c == '_').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return None;
        }
        if let Some(role) = self.get(&words) {
            return Some(role);
        }
        let n = words.len();
        if n >= 2 && is_numbering(words[n - 1]) {
            if let Some(role) = self.get(&words[..n - 1]) {
                return Some(role);
            }
        }
        (1..n)
            .rev()
            .filter(|&k| words[k..].iter().all(|w| starts_upper_or_digit(w)))
            .find_map(|k| self.get(&words[..k]))
    }

    fn get(&self, words: &[&str]) -> Option<Role> {
        self.labels.get(&fold_label(&words.join(" "))).copied()
    }
}

/// `2`, `#2`, `B`: the numbering of a speaker.
fn is_numbering(word: &str) -> bool {
    let w = word.strip_prefix('#').unwrap_or(word);
    (!w.is_empty() && w.len() <= 3 && w.bytes().all(|b| b.is_ascii_digit()))
        || (w.len() == 1 && w.bytes().all(|b| b.is_ascii_uppercase()))
}

fn starts_upper_or_digit(word: &str) -> bool {
    word.trim_start_matches(['(', '"', '\'']).chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Lower case, accents removed, `_ - . ' ’ /` as spaces, whitespace collapsed: the key of
/// a speaker label.
pub(super) fn fold_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, |f| match f {
            '_' | '-' | '.' | '\'' | '\u{2019}' | '/' => out.push(' '),
            _ => out.push(f),
        });
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a label is an anonymous diarisation label: `SPEAKER_00`, `Speaker 1`, `spk_0`,
/// `spk0`, `Intervenant 1`, `Locuteur B`, `S1`.
pub(super) fn is_anonymous_label(label: &str) -> bool {
    let folded = fold_label(label);
    let cut = folded.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(folded.len());
    let (word, rest) = folded.split_at(cut);
    let index: String = rest.chars().filter(|c| !matches!(c, ' ' | '#')).collect();
    let digits = (1..=3).contains(&index.len()) && index.bytes().all(|b| b.is_ascii_digit());
    let letter = index.len() == 1 && index.bytes().all(|b| b.is_ascii_lowercase());
    (speaker_words().anonymous_words.iter().any(|w| w == word) && (digits || letter))
        || (matches!(word, "s" | "l" | "p") && digits && index.len() <= 2)
}

/// Whether a label looks like a person's name: every word capitalised (or a particle), the
/// first one a capitalised letter.
pub(super) fn looks_like_name(label: &str) -> bool {
    let mut words = label.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    first.chars().next().is_some_and(char::is_uppercase)
        && words.all(|w| {
            let w = w.trim_matches(['(', ')']);
            w.is_empty() || starts_upper_or_digit(w) || speaker_words().name_particles.iter().any(|p| p == w)
        })
}

/// Whether a label is an annotation or a non-speech mark: its first word, or the whole
/// label, folded, is one of `speaker_words.toml`'s `not_speakers`.
pub(super) fn is_annotation(label: &str) -> bool {
    let folded = fold_label(label);
    let first = folded.split(' ').next().unwrap_or("");
    let not_speakers = &speaker_words().not_speakers;
    not_speakers.iter().any(|w| w == first || *w == folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_role_table() {
        let r = RoleMap::default();
        for (label, role) in [
            ("Conseillère", Role::Staff),
            ("CONSEILLERE", Role::Staff),
            ("client", Role::Shopper),
            ("Cliente", Role::Shopper),
            ("Mystery shopper", Role::Shopper),
            ("Enquêteur", Role::Shopper),
            ("Service client", Role::Staff),
            ("service_client", Role::Staff),
            ("Opérateur", Role::Staff),
            ("Hôtesse", Role::Staff),
            ("Agent 2", Role::Staff),
            ("Agent_1", Role::Staff),
            ("Client #1", Role::Shopper),
            ("Agent Julie", Role::Staff),
            ("Service client Orange", Role::Staff),
            ("Client Mystère", Role::Shopper),
            ("Conseillère (Julie)", Role::Staff),
            ("Julie (conseillère)", Role::Staff),
            ("Chatbot", Role::Staff),
            ("CLT", Role::Shopper),
        ] {
            assert_eq!(r.role_of(label), Some(role), "{label}");
        }
        for label in ["SPEAKER_00", "Julie", "agent immobilier", "Speaker 1", ""] {
            assert_eq!(r.role_of(label), None, "{label}");
        }
    }

    #[test]
    fn role_overrides() {
        let r = RoleMap::with_overrides(&[
            "SPEAKER_00=staff".into(),
            "Julie=Shopper".into(),
            "Client=staff".into(),
            "Serveur vocal=unknown".into(),
        ])
        .unwrap();
        assert_eq!(r.role_of("SPEAKER_00"), Some(Role::Staff));
        assert_eq!(r.role_of("speaker_00"), Some(Role::Staff));
        assert_eq!(r.role_of("SPEAKER_01"), None);
        assert_eq!(r.role_of("Julie"), Some(Role::Shopper));
        assert_eq!(r.role_of("Client"), Some(Role::Staff), "an override replaces a default");
        assert_eq!(r.role_of("Serveur vocal"), Some(Role::Unknown));
        assert!(RoleMap::with_overrides(&["Julie".into()]).is_err());
        assert!(RoleMap::with_overrides(&["Julie=manager".into()]).is_err());
        assert!(RoleMap::with_overrides(&["=staff".into()]).is_err());
    }

    #[test]
    fn anonymous_labels() {
        for l in ["SPEAKER_00", "Speaker 1", "speaker1", "spk_0", "Intervenant 1", "Locuteur B", "S1", "Speaker A"] {
            assert!(is_anonymous_label(l), "{l}");
        }
        for l in ["Speaker", "Client 1", "Julie", "Agent", "Sophie 1", "S123"] {
            assert!(!is_anonymous_label(l), "{l}");
        }
    }
}
