//! E-mail addresses: plain (`local@domain.tld`), obfuscated (`jean[at]gmail[dot]com`,
//! `jean.dupont at gmail dot com`) and read out without a top-level domain (`jean arobase
//! orange`). The rules are those of the **E-mail** item of the [module documentation](super).

use regex::Regex;

use super::boundaries::{boundary_after, boundary_before, contains_ignore_ascii_case};
use super::{compile, PiiKind, Recogniser, Span};

/// Finds e-mail addresses in all their written forms.
#[derive(Debug, Clone)]
pub(super) struct Emails {
    plain: Regex,
    obfuscated: Regex,
    spoken: Regex,
}

impl Emails {
    /// The kinds it reports, known before it is built: [`super::Redactor::with_kinds`]
    /// compiles only the recognisers it needs.
    pub(super) const KINDS: &'static [PiiKind] = &[PiiKind::Email];

    /// Compiles its regexes.
    pub(super) fn new() -> Self {
        Emails { plain: compile(EMAIL), obfuscated: compile(EMAIL_OBFUSCATED), spoken: compile(EMAIL_SPOKEN) }
    }

    /// Plain addresses, without the punctuation a match may start with.
    fn plain(&self, text: &str, out: &mut Vec<Span>) {
        for m in self.plain.find_iter(text) {
            let start = m.start() + leading_punctuation(m.as_str());
            if start < m.end() && boundary_after(text, m.end()) {
                out.push(Span { start, end: m.end(), kind: PiiKind::Email });
            }
        }
    }

    /// Obfuscated addresses, when the obfuscation is unambiguous: a bracketed at or
    /// ` arobase `, or the English ` at ` with an address-like local part or a webmail.
    fn obfuscated(&self, text: &str, out: &mut Vec<Span>) {
        for caps in self.obfuscated.captures_iter(text) {
            let (Some(whole), Some(local), Some(at), Some(domain), Some(dot)) =
                (caps.get(0), caps.get(1), caps.get(2), caps.get(3), caps.get(5))
            else {
                continue;
            };
            if !boundary_after(text, whole.end()) {
                continue;
            }
            let at = at.as_str().trim().to_ascii_lowercase();
            let dot_spelt = dot.as_str().trim() != ".";
            let local_text = local.as_str().trim_matches(['.', '-', '+', '_', '%']);
            let addressy =
                local_text.contains(['.', '_', '-', '+', ' ']) || local_text.bytes().any(|b| b.is_ascii_digit());
            let webmail = is_webmail(domain.as_str());
            let accepted = match at.as_str() {
                // A plain `@` with a plain dot is an ordinary address, found by `plain`.
                "@" => dot_spelt,
                // The English word: a spelt-out dot and an address-like local part or a
                // webmail, or a plain dot and both (`jean.dupont at gmail.com`, not
                // `bought it at orange.fr`).
                "at" => {
                    if dot_spelt {
                        addressy || webmail
                    } else {
                        addressy && webmail
                    }
                }
                _ => true,
            };
            if accepted {
                let start = local.start() + leading_punctuation(local.as_str());
                if start < local.end() {
                    out.push(Span { start, end: whole.end(), kind: PiiKind::Email });
                }
            }
        }
    }

    /// Addresses read out without their top-level domain: `jean point dupont at gmail`,
    /// `jean arobase orange`. The English ` at ` needs a dot spelt out in the local part.
    fn spoken(&self, text: &str, out: &mut Vec<Span>) {
        for caps in self.spoken.captures_iter(text) {
            let (Some(whole), Some(local), Some(at)) = (caps.get(0), caps.get(1), caps.get(2)) else {
                continue;
            };
            let spelt_dot = local.as_str().contains(' ');
            if boundary_before(text, whole.start())
                && boundary_after(text, whole.end())
                && (spelt_dot || at.as_str().eq_ignore_ascii_case("arobase"))
            {
                out.push(Span { start: whole.start(), end: whole.end(), kind: PiiKind::Email });
            }
        }
    }
}

impl Recogniser for Emails {
    fn kinds(&self) -> &'static [PiiKind] {
        Self::KINDS
    }

    fn find(&self, text: &str, out: &mut Vec<Span>) {
        if text.contains('@') {
            self.plain(text, out);
        }
        if may_hold_obfuscated_email(text) {
            self.obfuscated(text, out);
            self.spoken(text, out);
        }
    }
}

/// Bytes of `.`, `-`, `+`, `_`, `%` a match starts with (an ellipsis before an address).
fn leading_punctuation(s: &str) -> usize {
    s.len() - s.trim_start_matches(['.', '-', '+', '_', '%']).len()
}

/// A plain address. Boundaries are checked in code: `\b` on Unicode text would keep the
/// regex engine off its fast automata.
const EMAIL: &str = r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}";

/// An obfuscated address: local part (1, with dots maybe spelt out), at (2), domain
/// labels (3, with an inner separator 4), the separator before the top-level domain (5)
/// and the domain (6).
const EMAIL_OBFUSCATED: &str = concat!(
    r"(?i)([\p{L}\p{N}._%+\-]+(?:(?: dot | point )[\p{L}\p{N}._%+\-]+)*)",
    r"( ?(?:\[at\]|\(at\)|\{at\}|\[@\]|\(@\)|\[arobase\]|\(arobase\)) ?| at | arobase |@)",
    r"([\p{L}\p{N}\-]+(?:( ?(?:\.|\[dot\]|\(dot\)|\{dot\}|\[point\]|\(point\)) ?| dot | point )[\p{L}\p{N}\-]+)*)",
    r"( ?(?:\.|\[dot\]|\(dot\)|\{dot\}|\[point\]|\(point\)) ?| dot | point )",
    r"(com|fr|net|org|eu|be|ch|ca|uk|de|es|it|io|info|biz|lu|mc|nl|pt|ie|me|co)",
);

/// An address read out without its top-level domain: a local part (1) with dots maybe
/// spelt out, ` at ` or ` arobase ` (2), and a webmail domain.
const EMAIL_SPOKEN: &str = concat!(
    r"(?i)([\p{L}\p{N}._\-]+(?: (?:dot|point) [\p{L}\p{N}._\-]+)*) (at|arobase) ",
    r"(?:gmail|googlemail|hotmail|outlook|live|yahoo|icloud|orange|wanadoo|free|sfr|laposte|gmx|protonmail)",
);

/// Whether the text may hold an obfuscated address (an at spelt out or in brackets).
fn may_hold_obfuscated_email(text: &str) -> bool {
    ["[at]", "(at)", "{at}", "[@]", "(@)", "arobase", " at "]
        .iter()
        .any(|needle| contains_ignore_ascii_case(text, needle))
}

/// Webmail domains (first label): after the bare word ` at `, they make an address of
/// any local part.
const WEBMAIL: &str =
    "gmail googlemail hotmail outlook live msn yahoo icloud me aol gmx protonmail proton orange wanadoo \
    free sfr laposte neuf bbox numericable club-internet btinternet sky mail web";

/// Whether the first label of a domain is a webmail's.
fn is_webmail(domain: &str) -> bool {
    let first = domain.split(|c: char| !(c.is_alphanumeric() || c == '-')).next().unwrap_or("").to_ascii_lowercase();
    WEBMAIL.split(' ').any(|w| w == first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::tests::redact;
    use crate::redact::Redactor;

    #[test]
    fn webmail_list_is_lowercase_words() {
        for word in WEBMAIL.split(' ') {
            assert!(!word.is_empty() && word == word.to_lowercase(), "{word:?}");
        }
    }

    #[test]
    fn plain_obfuscated_and_spoken_forms() {
        assert_eq!(redact("Écrivez-moi à Prenom.Nom+tag@sous.domaine.fr svp"), "Écrivez-moi à [EMAIL] svp");
        assert_eq!(redact("jean.dupont at gmail dot com"), "[EMAIL]");
        assert_eq!(redact("jean point dupont arobase orange"), "[EMAIL]");
        for unchanged in ["I shopped at amazon.fr", "I bought it at Orange.fr"] {
            assert_eq!(redact(unchanged), unchanged);
        }
    }

    /// With e-mails off, every address is written as it is, digits included: an address
    /// still claims its text, so no phone number is read inside it.
    #[test]
    fn switched_off_addresses_are_kept_and_the_other_kinds_redacted() {
        let others: Vec<PiiKind> = PiiKind::ALL.into_iter().filter(|k| *k != PiiKind::Email).collect();
        let redactor = Redactor::with_kinds(&others);
        let text = "Écrivez à claire.martin@example.fr ou jean[at]gmail[dot]com, au 06 12 34 56 78, Madame Dupont.";
        assert_eq!(
            redactor.redact(text).0,
            "Écrivez à claire.martin@example.fr ou jean[at]gmail[dot]com, au [PHONE], Madame [NAME]."
        );
        let sms = "sms: 06.39.98.12.34.jean@sms.example.fr";
        assert_eq!(redact(sms), "sms: [EMAIL]");
        assert_eq!(redactor.redact(sms), (sms.to_owned(), Default::default()));
    }
}
