//! IBANs: two letters, two check digits, then letters and digits, kept only when the
//! length is the country's and the ISO 13616 mod-97 check passes. The rules are those of
//! the **IBAN** item of the [module documentation](super).

use regex::Regex;

use super::boundaries::{boundary_after, boundary_before};
use super::{compile, PiiKind, Recogniser, Span};

/// Finds IBANs, and for the numbers recogniser the strings shaped like one whose checksum
/// fails ([`Ibans::look_alikes`]).
#[derive(Debug, Clone)]
pub(super) struct Ibans {
    candidate: Regex,
}

impl Ibans {
    /// The kinds it reports, known before it is built: [`super::Redactor::with_kinds`]
    /// compiles only the recognisers it needs.
    pub(super) const KINDS: &'static [PiiKind] = &[PiiKind::Iban];

    /// Compiles its regexes.
    pub(super) fn new() -> Self {
        Ibans { candidate: compile(IBAN) }
    }

    /// The strings that have an IBAN's country and length but fail its checksum (a typo,
    /// a made-up code), as byte ranges: their digit groups are no phone or card either.
    pub(super) fn look_alikes(&self, text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        self.scan(text, |start, candidate| {
            if let IbanCandidate::LookAlike(end) = candidate {
                found.push((start, end));
            }
        });
        found
    }

    /// Calls `each` with the start of every string that has an IBAN's country and length,
    /// and what [`iban_end`] makes of it, in text order.
    fn scan(&self, text: &str, mut each: impl FnMut(usize, IbanCandidate)) {
        let mut pos = 0;
        while let Some(m) = self.candidate.find_at(text, pos) {
            let candidate = iban_end(text, m.start(), m.as_str());
            match candidate {
                IbanCandidate::Valid(end) | IbanCandidate::LookAlike(end) => {
                    each(m.start(), candidate);
                    pos = end;
                }
                IbanCandidate::No => {
                    // The greedy match may have swallowed an IBAN after a false start.
                    pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
    }
}

impl Recogniser for Ibans {
    fn kinds(&self) -> &'static [PiiKind] {
        Self::KINDS
    }

    fn find(&self, text: &str, out: &mut Vec<Span>) {
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            return;
        }
        self.scan(text, |start, candidate| {
            if let IbanCandidate::Valid(end) = candidate {
                out.push(Span { start, end, kind: PiiKind::Iban });
            }
        });
    }
}

/// Two letters, two check digits, then letters and digits with single spaces or hyphens
/// anywhere; the country length is applied in code ([`iban_end`]).
const IBAN: &str = r"[A-Za-z]{2}[0-9]{2}(?:[ \x{A0}\-]?[A-Za-z0-9]){10,32}";

/// The end of the IBAN that starts a candidate, if its country, length and checksum fit.
fn iban_end(text: &str, start: usize, candidate: &str) -> IbanCandidate {
    if !boundary_before(text, start) {
        return IbanCandidate::No;
    }
    let Some(len) = candidate.get(..2).and_then(|country| iban_length(&country.to_ascii_uppercase())) else {
        return IbanCandidate::No;
    };
    let mut compact = String::with_capacity(len);
    for (i, c) in candidate.char_indices() {
        if c.is_ascii_alphanumeric() {
            compact.push(c.to_ascii_uppercase());
            if compact.len() == len {
                let end = start + i + 1;
                return match (boundary_after(text, end), iban_checksum_ok(&compact)) {
                    (false, _) => IbanCandidate::No,
                    (true, true) => IbanCandidate::Valid(end),
                    (true, false) => IbanCandidate::LookAlike(end),
                };
            }
        }
    }
    IbanCandidate::No
}

/// What [`iban_end`] makes of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IbanCandidate {
    /// An IBAN, ending at this byte offset.
    Valid(usize),
    /// The country and length of an IBAN with a failing checksum (a typo, a made-up
    /// code), ending at this byte offset.
    LookAlike(usize),
    /// Not an IBAN.
    No,
}

/// The IBAN length of a country of the ISO 13616 registry.
fn iban_length(country: &str) -> Option<usize> {
    const LENGTHS: &str = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 \
        DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 \
        GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 \
        LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 \
        PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 \
        TL23 TN24 TR26 UA29 VA22 VG24 XK20";
    if country.len() != 2 {
        return None;
    }
    LENGTHS.split(' ').find(|entry| entry.starts_with(country)).and_then(|entry| entry[2..].parse().ok())
}

/// The ISO 13616 check of a compact, uppercase IBAN: check digits 02 to 98, and the
/// number made of the BBAN, the country (letters as 10 to 35) and the check digits is 1
/// modulo 97.
fn iban_checksum_ok(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if bytes.len() < 5
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let check = u32::from(bytes[2] - b'0') * 10 + u32::from(bytes[3] - b'0');
    if !(2..=98).contains(&check) {
        return false;
    }
    let mut remainder: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        remainder = if b.is_ascii_digit() {
            (remainder * 10 + u32::from(b - b'0')) % 97
        } else {
            (remainder * 100 + u32::from(b - b'A') + 10) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::tests::redact;
    use crate::redact::Redactor;

    #[test]
    fn iban_checksum() {
        for valid in [
            "FR7630006000011234567890189",
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "BE68539007547034",
            "CH9300762011623852957",
            "NL91ABNA0417164300",
        ] {
            assert!(iban_checksum_ok(valid), "{valid}");
            assert_eq!(iban_length(&valid[..2]), Some(valid.len()), "{valid}");
        }
        for invalid in [
            "FR7630006000011234567890188",
            "GB82WEST12345698765433",
            "DE00370400440532013000",
            "DE8937040044053201300",
            "fr7630006000011234567890189",
            "",
        ] {
            assert!(!iban_checksum_ok(invalid), "{invalid}");
        }
        assert_eq!(iban_length("XX"), None);
    }

    #[test]
    fn country_lengths_are_well_formed() {
        let mut ibans = 0;
        for entry in "AD FR GB DE BE CH ES IT NL LU PT IE MC XK".split(' ') {
            assert!(iban_length(entry).is_some(), "{entry}");
        }
        for code in ('A'..='Z').flat_map(|a| ('A'..='Z').map(move |b| format!("{a}{b}"))) {
            if let Some(len) = iban_length(&code) {
                assert!((15..=34).contains(&len), "{code}");
                ibans += 1;
            }
        }
        assert!(ibans > 80);
    }

    #[test]
    fn an_iban_ends_at_its_country_length() {
        assert_eq!(redact("IBAN : FR76 3000 6000 0112 3456 7890 189 merci"), "IBAN : [IBAN] merci");
        assert_eq!(redact("iban fr7630006000011234567890189."), "iban [IBAN].");
    }

    /// With IBANs off, an IBAN is written whole: it still claims its text, so its digit
    /// groups are not redacted as a phone or a card number.
    #[test]
    fn switched_off_ibans_are_kept_whole_and_the_other_kinds_redacted() {
        let others: Vec<PiiKind> = PiiKind::ALL.into_iter().filter(|k| *k != PiiKind::Iban).collect();
        let redactor = Redactor::with_kinds(&others);
        assert_eq!(
            redactor.redact("IBAN FR76 3000 6000 0112 3456 7890 189, carte 4111 1111 1111 1111, Madame Dupont").0,
            "IBAN FR76 3000 6000 0112 3456 7890 189, carte [CARD], Madame [NAME]"
        );
        let rib = "RIB DE89 3704 0044 0532 0130 00.";
        assert_eq!(redact(rib), "RIB [IBAN].");
        assert_eq!(redactor.redact(rib), (rib.to_owned(), Default::default()));
    }
}
