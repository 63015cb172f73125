//! Phone and card numbers, written in digits or, for phones, said in words as
//! speech-to-text writes them. The rules are those of the **Phone** and **Card** items of
//! the [module documentation](super).
//!
//! One recogniser finds both: a chain of digit groups is cut into numbers from its start,
//! each window of groups read first as a card then as a phone, so which one a group
//! belongs to depends on the other kind's rules.

use std::cell::OnceCell;

use regex::Regex;

use super::boundaries::{
    boundary_after, boundary_before, ceil_char_boundary, contains_ignore_ascii_case, number_boundary_after,
    number_boundary_before,
};
use super::iban::Ibans;
use super::{compile, PiiKind, Recogniser, Span};

/// Finds card and phone numbers.
#[derive(Debug, Clone)]
pub(super) struct Numbers {
    chain: Regex,
    group: Regex,
    id_cue: Regex,
    spelt: Regex,
    /// Strings shaped like an IBAN hide the numbers inside them.
    ibans: Ibans,
}

impl Numbers {
    /// The kinds it reports, known before it is built: [`super::Redactor::with_kinds`]
    /// compiles only the recognisers it needs.
    pub(super) const KINDS: &'static [PiiKind] = &[PiiKind::Card, PiiKind::Phone];

    /// Compiles its regexes.
    pub(super) fn new() -> Self {
        Numbers {
            chain: compile(NUMBER_CHAIN),
            group: compile(NUMBER_GROUP),
            id_cue: compile(ID_CUE),
            spelt: compile(SPELT_NUMBER),
            ibans: Ibans::new(),
        }
    }

    /// Card and phone numbers written in digits, outside the strings shaped like an IBAN
    /// whose checksum fails (a valid IBAN wins over the numbers inside it when the spans
    /// are resolved). Those are looked for only once a number is found: most texts with
    /// digits hold none.
    fn digits(&self, text: &str, out: &mut Vec<Span>) {
        let look_alikes = OnceCell::new();
        let mut groups = Vec::new();
        for chain in self.chain.find_iter(text) {
            let plus = chain.as_str().starts_with('+') || chain.as_str().starts_with("(+");
            groups.clear();
            let mut previous_end = chain.start();
            for g in self.group.captures_iter(chain.as_str()) {
                let (Some(whole), Some(digits)) = (g.get(0), g.get(1).or_else(|| g.get(2))) else {
                    continue;
                };
                let start = chain.start() + whole.start();
                groups.push(Group {
                    start,
                    end: chain.start() + whole.end(),
                    digits: digits.as_str(),
                    // `(+33)` is a country code, read as if written `+33`.
                    paren: g.get(1).is_some() && !whole.as_str().starts_with("(+"),
                    sep: text[previous_end..start].chars().next(),
                });
                previous_end = chain.start() + whole.end();
            }
            let mut i = 0;
            while i < groups.len() {
                let last = (i + MAX_NUMBER_GROUPS).min(groups.len());
                let found = (i..last).rev().find_map(|j| {
                    let window = &groups[i..=j];
                    let start = if i == 0 && plus { chain.start() } else { window[0].start };
                    self.classify_number(text, window, i == 0 && plus, start)
                        .filter(|span| {
                            let look_alikes = look_alikes.get_or_init(|| self.ibans.look_alikes(text));
                            !look_alikes.iter().any(|&(s, e)| s < span.end && span.start < e)
                        })
                        .map(|span| (j, span))
                });
                match found {
                    Some((j, span)) => {
                        out.push(span);
                        i = j + 1;
                    }
                    None => i += 1,
                }
            }
        }
    }

    /// Decides whether a window of digit groups is a card or a phone number.
    fn classify_number(&self, text: &str, window: &[Group<'_>], plus: bool, start: usize) -> Option<Span> {
        let len: usize = window.iter().map(|g| g.digits.len()).sum();
        if !(7..=19).contains(&len) {
            return None;
        }
        let end = window[window.len() - 1].end;
        if !number_boundary_before(text, start) || !number_boundary_after(text, end) {
            return None;
        }
        let digits: String = window.iter().map(|g| g.digits).collect();
        let kind = if !plus && is_card(window, &digits) {
            PiiKind::Card
        } else if is_phone(window, &digits, plus) {
            PiiKind::Phone
        } else {
            return None;
        };
        let cue = self.id_cue_before(text, start);
        let suppressed = match kind {
            PiiKind::Card => cue == Some(IdCue::Scheme),
            _ => cue.is_some(),
        };
        (!suppressed).then_some(Span { start, end, kind })
    }

    /// The identifier cue that directly precedes `start`, if any.
    fn id_cue_before(&self, text: &str, start: usize) -> Option<IdCue> {
        let from = ceil_char_boundary(text, start.saturating_sub(ID_CUE_WINDOW));
        let caps = self.id_cue.captures(&text[from..start])?;
        if caps.get(1).is_some() {
            Some(IdCue::Scheme)
        } else {
            Some(IdCue::Other)
        }
    }

    /// Phone numbers said in words, as speech-to-text writes them: `zéro six trente-neuf
    /// quatre-vingt-dix-huit…`, `oh seven seven double oh nine…`.
    fn spelt(&self, text: &str, out: &mut Vec<Span>) {
        for m in self.spelt.find_iter(text) {
            // The run must be a number of its own, not the end of a longer one.
            let before = text[..m.start()].trim_end_matches([' ', ',', '-']);
            let previous_word = before.rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
            if !boundary_before(text, m.start())
                || !boundary_after(text, m.end())
                || (before.len() < m.start() && is_number_word(previous_word))
                // `OH 2 2 7 5 1` is the letters and digits of a reference, read out.
                || m.as_str().starts_with("OH")
                || self.id_cue_before(text, m.start()).is_some()
            {
                continue;
            }
            out.push(Span { start: m.start(), end: m.end(), kind: PiiKind::Phone });
        }
    }
}

impl Recogniser for Numbers {
    fn kinds(&self) -> &'static [PiiKind] {
        Self::KINDS
    }

    fn find(&self, text: &str, out: &mut Vec<Span>) {
        if text.bytes().any(|b| b.is_ascii_digit()) {
            self.digits(text, out);
        }
        if ["zéro", "zero", "oh"].iter().any(|word| contains_ignore_ascii_case(text, word)) {
            self.spelt(text, out);
        }
    }
}

/// Digit groups joined by at most one space, dot, hyphen or slash, or by two spaces,
/// with an optional leading `+` and parenthesised groups (`(0)`, `(415)`, `(+33)`).
const NUMBER_CHAIN: &str = concat!(
    r"(?:\+[ \x{A0}]?)?(?:\(\+?[0-9]{1,4}\)|[0-9]+)",
    r"(?:(?:[ .\-/\x{A0}\x{202F}]|  )?(?:\(\+?[0-9]{1,4}\)|[0-9]+))*",
);

/// One group of a chain: parenthesised digits (1), a leading `+` in the parentheses
/// marking a country code (`(+33)`), or digits (2).
const NUMBER_GROUP: &str = r"\(\+?([0-9]{1,4})\)|([0-9]+)";

/// The most groups a phone or card number is written in.
const MAX_NUMBER_GROUPS: usize = 8;

/// How far back, in bytes, an identifier cue is looked for.
const ID_CUE_WINDOW: usize = 48;

/// An identifier cue that ends right where a number starts: only separators and linking
/// words (`n°`, `de`, `number`, `is`…) between them. Group 1: identifiers that may pass
/// Luhn by design (they suppress cards too); the other cues only suppress phones.
const ID_CUE: &str = concat!(
    r"(?i)(?:(?-u:\b)(siret|siren|imei|ean|gtin|upc|serial|s[ée]rie|tva|vat)",
    r"|(?-u:\b)(?:orders?|commandes?|cmd|cde|tickets?|suivi|tracking|track|r[ée]f[ée]rences?",
    r"|r[ée]f|ref|factures?|invoices?|dossiers?|colis|parcels?|packages?|shipments?",
    r"|exp[ée]ditions?|contrats?|contracts?|accounts?|comptes?|transactions?|cases?",
    r"|incidents?|lot|sku|articles?|codes?|confirmation|booking|r[ée]servations?",
    r"|reservation|vol|flight|billets?|receipt|rma|avoir|devis|quote|loyalty",
    r"|(?:n[°º]|num[ée]ro|no\.?)[ \t]*(?:de[ \t]+|d['’][ \t]*)?(?:client|adh[ée]rent|membre|fid[ée]lit[ée])",
    r"|(?:customer|member(?:ship)?|client)[ \t]+(?:number|no|id|n[°º]))",
    r"|n[°º]|#)",
    r"(?:[ \t\x{A0}:.#°º\-]|n[°º]|(?-u:\b)(?:de|du|d['’]|le|la|the|number|num[ée]ro|no|nr|is|est",
    r"|was|[ée]tait|id|client|customer)(?-u:\b))*$",
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdCue {
    /// An identifier scheme whose numbers may pass Luhn (SIRET, IMEI…).
    Scheme,
    /// Any other reference (order, ticket, tracking…).
    Other,
}

/// A group of digits in a number chain.
#[derive(Debug, Clone, Copy)]
struct Group<'a> {
    /// Byte offset of the group in the text, parentheses included.
    start: usize,
    /// Byte offset of the group's end in the text, parentheses included.
    end: usize,
    /// The digits, without parentheses.
    digits: &'a str,
    /// The group was written in parentheses.
    paren: bool,
    /// The separator written before the group, if any.
    sep: Option<char>,
}

/// The Luhn checksum of a string of ASCII digits.
fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A payment card number: grouping, length for its major industry identifier, Luhn.
fn is_card(window: &[Group<'_>], digits: &str) -> bool {
    let len = digits.len();
    if !(13..=19).contains(&len) || window.iter().any(|g| g.paren) {
        return false;
    }
    let sizes: Vec<usize> = window.iter().map(|g| g.digits.len()).collect();
    let grouped = match sizes.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.len() >= 2 && init.iter().all(|&s| s == 4) && *last <= 4,
        [] => false,
    };
    if !grouped || window.iter().skip(1).any(|g| !matches!(g.sep, Some(' ' | '-' | '.' | '\u{A0}' | '\u{202F}'))) {
        return false;
    }
    // Dots only throughout (`4970.1012.3456.7890`): a dot next to another separator is
    // a decimal or a version.
    if window.len() > 1
        && window.iter().skip(1).any(|g| g.sep == Some('.'))
        && !window.iter().skip(1).all(|g| g.sep == Some('.'))
    {
        return false;
    }
    let b = digits.as_bytes();
    let length_fits = match (b[0], b[1]) {
        (b'4', _) => matches!(len, 13 | 16 | 19),
        (b'3', b'4' | b'7') => len == 15,
        (b'3', b'0' | b'6' | b'8' | b'9') => matches!(len, 14..=16 | 19),
        (b'3', b'5') => (16..=19).contains(&len),
        (b'2', _) => len == 16,
        (b'5' | b'6', _) => (16..=19).contains(&len),
        _ => false,
    };
    length_fits && luhn_ok(digits)
}

/// A phone number, international (leading `+` or `00`) or national.
fn is_phone(window: &[Group<'_>], digits: &str, plus: bool) -> bool {
    // Slashes only in the French `06/12/71/14/71`, between every pair of digits: dates
    // (`06/12/2026`, `06/12/26`) have other groupings.
    let slashes = window.iter().skip(1).filter(|g| g.sep == Some('/')).count();
    if slashes > 0 {
        let sizes_ok = window.iter().all(|g| g.digits.len() == 2 && !g.paren);
        return !plus && slashes == window.len() - 1 && window.len() == 5 && sizes_ok && national_phone(window, digits);
    }
    if plus || (!window[0].paren && window[0].digits.starts_with("00")) {
        international_phone(window, plus)
    } else {
        national_phone(window, digits)
    }
}

/// Country calling codes and the lengths of their national significant numbers
/// (`code:length` or `code:min-max`).
const COUNTRY_CODES: &str = "1:10 7:10 20:10 27:9 30:10 31:9 32:8-9 33:9 34:9 36:8-9 39:6-11 40:9 41:9 43:4-13 \
    44:9-10 45:8 46:7-13 47:8 48:9 49:6-13 52:10 55:10-11 61:9 81:9-10 86:11 90:10 91:10 \
    212:9 213:8-9 216:8 221:9 225:8-10 262:9 351:9 352:4-11 353:7-9 356:8 377:8-9 590:9 \
    594:9 596:9 687:6 689:6-8 971:8-9";

fn country_lengths(code: &str) -> Option<(usize, usize)> {
    let lengths = COUNTRY_CODES.split(' ').find_map(|entry| entry.strip_prefix(code)?.strip_prefix(':'))?;
    match lengths.split_once('-') {
        Some((min, max)) => Some((min.parse().ok()?, max.parse().ok()?)),
        None => lengths.parse().ok().map(|len| (len, len)),
    }
}

fn international_phone(window: &[Group<'_>], plus: bool) -> bool {
    let mut groups: Vec<(&str, bool)> = window.iter().map(|g| (g.digits, g.paren)).collect();
    if !plus {
        groups[0].0 = &groups[0].0[2..];
        if groups[0].0.is_empty() {
            groups.remove(0);
        }
    }
    let Some(&(first, first_paren)) = groups.first() else {
        return false;
    };
    if first_paren || first.is_empty() {
        return false;
    }
    let (code, mut national): (String, String) = if groups.len() > 1 && first.len() <= 3 {
        let mut rest = &groups[1..];
        // The trunk prefix written in parentheses: `+33 (0)6…`.
        if rest.first().is_some_and(|&(d, paren)| paren && d == "0") {
            rest = &rest[1..];
        }
        (first.to_owned(), rest.iter().map(|(d, _)| *d).collect())
    } else {
        let all: String = groups.iter().map(|(d, _)| *d).collect();
        match (1..=3).find(|&l| all.len() > l && country_lengths(&all[..l]).is_some()) {
            Some(l) => (all[..l].to_owned(), all[l..].to_owned()),
            None => return groups.len() == 1 && (8..=15).contains(&all.len()),
        }
    };
    if code.starts_with('0') || national.is_empty() {
        return false;
    }
    // A trunk `0` written without parentheses after the code (`+33 06…`), except in Italy
    // where it belongs to the number.
    if national.starts_with('0') && code != "39" {
        national.remove(0);
    }
    match country_lengths(&code) {
        Some((min, max)) => (min..=max).contains(&national.len()),
        None => (6..=12).contains(&national.len()) && code.len() + national.len() <= 15,
    }
}

fn national_phone(window: &[Group<'_>], digits: &str) -> bool {
    let sizes: Vec<usize> = window.iter().map(|g| g.digits.len()).collect();
    let b = digits.as_bytes();
    // North America: (415) 555-0132, 415-555-0132, 415.555.0132.
    if sizes == [3, 3, 4] && (b'2'..=b'9').contains(&b[0]) && (b'2'..=b'9').contains(&b[3]) {
        let seps = (window[1].sep, window[2].sep);
        let separated = matches!(seps, (Some('-'), Some('-')) | (Some('.'), Some('.')));
        let area_code = window[0].paren && matches!(seps, (Some(' ') | None, Some('-' | ' ')));
        return !window[1].paren && !window[2].paren && (separated || area_code);
    }
    if window.iter().any(|g| g.paren) || b[0] != b'0' || b.get(1).is_none_or(|&d| d == b'0') {
        return false;
    }
    const FR_CH_BE_10: &[&[usize]] =
        &[&[10], &[2, 2, 2, 2, 2], &[1, 3, 3, 3], &[4, 3, 3], &[4, 2, 2, 2], &[3, 3, 2, 2], &[2, 4, 4], &[2, 2, 2, 4]];
    const UK_11: &[&[usize]] = &[&[11], &[3, 4, 4], &[5, 6], &[4, 3, 4], &[5, 3, 3], &[4, 7], &[3, 8]];
    const BE_9: &[&[usize]] = &[&[2, 3, 2, 2], &[3, 2, 2, 2]];
    let patterns = match digits.len() {
        9 => BE_9,
        10 => FR_CH_BE_10,
        11 => UK_11,
        _ => return false,
    };
    patterns.contains(&sizes.as_slice())
}

/// A phone number said in words: `zéro`, `zero` or `oh`, then at least four more number
/// words or digits (five words are the shortest way to say a French or British number).
const SPELT_NUMBER: &str = concat!(
    r"(?i)(?-u:\b)(?:z[ée]ro|zero|oh)(?:(?:[ ,]+|-)",
    r"(?:z[ée]ro|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize",
    r"|quatorze|quinze|seize|vingts?|trente|quarante|cinquante|soixante|septante|octante",
    r"|huitante|nonante|cents?|et|zero|oh|one|two|three|four|five|six|seven|eight|nine|ten",
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty",
    r"|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|double|triple|[0-9]{1,2})",
    r"(?-u:\b)){4,}",
);

/// Whether a word is one of the number words of [`SPELT_NUMBER`] (then a run that follows
/// it is the end of a longer number, not a phone number of its own).
fn is_number_word(word: &str) -> bool {
    const WORDS: &str = "zéro zero un une deux trois quatre cinq six sept huit neuf dix onze \
        douze treize quatorze quinze seize vingt vingts trente quarante cinquante soixante \
        septante octante huitante nonante cent cents one two three four five seven eight \
        nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen \
        nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred double triple";
    let lower = word.to_lowercase();
    lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() || WORDS.split(' ').any(|w| w == lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::tests::redact;
    use crate::redact::Redactor;

    #[test]
    fn luhn_checksum() {
        for valid in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "30569309025904",
            "4222222222222",
            "79927398713",
            "0",
        ] {
            assert!(luhn_ok(valid), "{valid}");
        }
        for invalid in ["4111111111111112", "1234567812345678", "79927398710", "", "12a4"] {
            assert!(!luhn_ok(invalid), "{invalid}");
        }
    }

    #[test]
    fn country_codes_are_well_formed() {
        for entry in COUNTRY_CODES.split(' ') {
            let (code, _) = entry.split_once(':').unwrap_or_default();
            let lengths = country_lengths(code);
            assert!(lengths.is_some_and(|(min, max)| 4 <= min && min <= max && max <= 13), "{entry}");
        }
        assert_eq!(country_lengths("33"), Some((9, 9)));
        assert_eq!(country_lengths("32"), Some((8, 9)));
        assert_eq!(country_lengths("3"), None);
        assert_eq!(country_lengths("999"), None);
    }

    #[test]
    fn cards_phones_and_their_look_alikes() {
        assert_eq!(redact("Rappelez-moi au +33 (0)6 39 98 12 34."), "Rappelez-moi au [PHONE].");
        assert_eq!(redact("Payé avec la carte 4111 1111 1111 1111 hier."), "Payé avec la carte [CARD] hier.");
        assert_eq!(redact("zéro six trente-neuf quatre-vingt-dix-huit douze trente-quatre"), "[PHONE]");
        for unchanged in [
            "commande n° 4587 1236 9874 livrée le 12/03/2026 à 14h30, 19,99 €",
            "order #123-456-7890, 4111 1111 1111 1112 refused",
            "le 06/12/2026, 0612345678,50 €",
        ] {
            assert_eq!(redact(unchanged), unchanged);
        }
    }

    #[test]
    fn identifier_cues_must_touch_the_number() {
        assert_eq!(redact("commande : 0639981234"), "commande : 0639981234");
        assert_eq!(
            redact("Commande passée, rappelez-moi au 06 39 98 12 34"),
            "Commande passée, rappelez-moi au [PHONE]"
        );
        // Order cues do not hide a card; identifiers that pass Luhn by design do.
        assert_eq!(redact("commande n° 4111 1111 1111 1111"), "commande n° [CARD]");
        assert_eq!(redact("SIRET 36252187900035"), "SIRET 36252187900035");
        assert_eq!(redact("paiement 36252187900035"), "paiement [CARD]");
    }

    /// The kinds left on other than `off`.
    fn all_but(off: PiiKind) -> Redactor {
        let others: Vec<PiiKind> = PiiKind::ALL.into_iter().filter(|k| *k != off).collect();
        Redactor::with_kinds(&others)
    }

    #[test]
    fn switched_off_phones_are_kept_and_the_other_kinds_redacted() {
        let redactor = all_but(PiiKind::Phone);
        let text = "Rappelez Madame Dupont au 06 12 34 56 78 ou au zéro six douze trente-quatre cinquante-six \
            soixante-dix-huit, carte 4111 1111 1111 1111, jean@example.fr";
        assert_eq!(
            redactor.redact(text).0,
            "Rappelez Madame [NAME] au 06 12 34 56 78 ou au zéro six douze trente-quatre cinquante-six \
            soixante-dix-huit, carte [CARD], [EMAIL]"
        );
    }

    /// With cards off, a card number is written whole: its groups are read as a card
    /// first, so no phone number is taken from them.
    #[test]
    fn switched_off_cards_are_kept_whole_and_the_other_kinds_redacted() {
        let redactor = all_but(PiiKind::Card);
        let text = "carte 4111 1111 1111 1111 et 4970.1012.3456.7893, rappel au 06 12 34 56 78, Madame Dupont";
        assert_eq!(
            redactor.redact(text).0,
            "carte 4111 1111 1111 1111 et 4970.1012.3456.7893, rappel au [PHONE], Madame [NAME]"
        );
    }
}
