//! Repair of mojibake: UTF-8 text that was decoded as Windows-1252 (or Latin-1) once, or
//! twice, before it reached us (`Ã©tÃ©` for `été`, `Lâ€™accueil` for `L’accueil`).
//!
//! Survey exports pass through spreadsheets, CRMs and e-mail gateways; each hop that guesses
//! the wrong encoding turns every non-ASCII character of a comment into two to four
//! characters of garbage, and keyword or model matching on the comment then silently fails.
//!
//! # How the repair works
//!
//! Every character of Windows-1252 stands for one byte, so a damaged stretch of text can be
//! turned back into the bytes it came from and those bytes decoded as UTF-8. Whole stretches
//! are not decoded at once: a comment often mixes real accents with damaged ones
//! (`Ça va, mais lâ€™accueil`), and re-encoding `Ça` gives a byte that is not valid UTF-8,
//! which would make the whole stretch fail. Instead each *candidate sequence* is judged on
//! its own: a lead character (`Â` `Ã` `â` `Å` `Ð` `ð` …, bytes 0xC2–0xF4) followed by
//! exactly the number of continuation characters (bytes 0x80–0xBF) that UTF-8 requires.
//! Bytes 0x80–0x9F are read both from the 27 characters Windows-1252 maps there and from
//! the C1 controls U+0080–U+009F that Latin-1 decoding (and Windows-1252 decoding of its 5
//! undefined bytes 0x81 0x8D 0x8F 0x90 0x9D) produces.
//!
//! A sequence that decodes to valid UTF-8 is replaced only if the character it stands for
//! is plausible, judged from its lead and the character decoded:
//!
//! * *strong*, always replaced, where real text never writes those characters side by
//!   side: `Ã` + anything (→ U+00C0–U+00FF), `Â` + symbol (→ U+00A0–U+00BF), `Ä`/`Å` +
//!   anything (Latin Extended-A, `Å“` → `œ`), `â` + two (punctuation, `€`, `™`, arrows,
//!   symbols, dingbats), `ðŸ` + two (emoji), `ï»¿` (BOM), `ï¿½` (U+FFFD), `ï¸` + one
//!   (variation selectors), Greek and basic Cyrillic letters, and a few characters of the
//!   Latin Extended-B, spacing-modifier and combining-accent blocks (`ƒ`, `Ș ș Ț ț`, `ʼ`,
//!   `ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝`, combining accents U+0300–U+030C and U+0323–U+0328 after a letter,
//!   from decomposed text);
//! * *weak*, where real text can produce the sequence by accident: `fermé…»` re-encodes to
//!   the UTF-8 of a CJK ideograph, `Straße“` to an NKo letter, `ALLÔ !` (with a no-break
//!   space) to a Cyrillic letter. Every lead that is a lowercase accented letter other
//!   than `â` `ï` `ð` (Indic, Thai, Vietnamese, CJK, Hangul), the leads `Ò`–`ß` (Cyrillic
//!   supplement, Armenian, Hebrew, Arabic …), and any otherwise strong sequence (Latin
//!   Extended-A, Romanian, Greek, Cyrillic) whose continuation is punctuation that follows
//!   a word in real text (no-break space, `…`, `’`, `”`, `»`, `›`, `–`, `—`, `·`, `™`,
//!   `®`: `PÅ…`, `HAÏ…`). A weak sequence is replaced only when it touches another replaced
//!   sequence (`æ—¥æœ¬` → `日本`, `Ð¿Ð»` → `пл`), which real accented text never does;
//! * *rejected* otherwise: whatever an accented capital such as `É`, `Ç` or `Í` turns
//!   into (IPA letters and the like), C1 controls, private-use characters, specials.
//!
//! The scan is repeated (at most 3 passes) so that double mojibake (`ÃƒÂ©` → `Ã©` → `é`)
//! is undone too; a pass that changes nothing stops the loop.
//!
//! # Damaged forms
//!
//! When a byte of the original was lost or changed, there is no valid sequence left. After
//! each pass these rules run, and only these (anything else is left as it is):
//!
//! 1. `Ã` + space → `à`. The second byte of `à` is 0xA0, the no-break space, which is very
//!    often turned into a plain space or dropped. Applied when `Ã` follows a lowercase
//!    letter (`déjÃ `, `voilÃ `) or stands alone before a word (`Ã  la`, `jusqu’Ã 10h`).
//!    When two spaces follow, the first is the lost 0xA0 and is removed. Not applied after
//!    a capital (`IRMÃ `, `MAÇÃ ` are real Portuguese) nor when nothing follows.
//! 2. `Â` + space → space. `Â` is the first byte of the no-break space (`12Â 000`); `Â`
//!    never ends a real word. Likewise `Â` between a letter or digit and `! ? ; : % € »` or
//!    a digit becomes a space (its 0xA0 was dropped: `prixÂ!`).
//! 3. `â€` + lost byte → `”`. The third byte of `”` is 0x9D, undefined in Windows-1252 and
//!    the one most often lost, so `â€` at a quote position (before a space, punctuation,
//!    U+FFFD or the end) becomes `”`; a U+FFFD standing for the lost byte is removed, a
//!    `?` is kept (it may be the user's). Between two emoji, the lost byte was the 0x8D of
//!    the zero-width joiner U+200D, which is restored.
//!
//! Left unrepaired, because the original cannot be decided: `Ã` + U+FFFD or `?` (one of
//! `Á Í Ï Ð Ý`, whose second bytes are undefined in Windows-1252), `â€` before a letter
//! (`”` or the hyphen U+2010), `Ã` before a letter or at the end with its 0xA0 lost
//! (`Ãla`, `voilÃ`), `Â` before a letter (`Âge` is a real word), sequences whose
//! undefined byte was dropped rather than kept as a C1 control, other than those above,
//! and weak sequences that stand alone: a single CJK, Hebrew or Arabic character, or a
//! lone Greek or Cyrillic letter before look-alike punctuation, is left damaged rather
//! than risk breaking real text.

use super::chars::{char_after, char_before, is_pictographic};

/// Windows-1252 bytes 0x80–0x9F. The five undefined bytes (0x81 0x8D 0x8F 0x90 0x9D) map to
/// the C1 control of the same value, as Latin-1 and browser decoders do.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{02C6}',
    '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}',
    '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}',
    '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// How many repair passes at most: one per layer of mojibake, three layers is already rare.
const MAX_PASSES: usize = 3;

/// Characters that real text puts right after a word ending in an accented capital
/// (`FERMÉ !` with a no-break space, `CAFÉ…`, `ALLÔ »`, `EMPLOYÉ·E·S`). A sequence whose
/// continuation is one of these is never trusted on its own.
const FOLLOWS_WORD: [char; 11] = [
    '\u{A0}', '\u{2026}', '\u{2019}', '\u{201D}', '\u{BB}', '\u{203A}', '\u{2013}', '\u{2014}', '\u{B7}', '\u{2122}',
    '\u{AE}',
];

/// Decodes one byte as Windows-1252 (undefined bytes become the C1 control of that value).
fn cp1252_char(byte: u8) -> char {
    match byte {
        0x80..=0x9F => CP1252_HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// The byte a character stands for in Windows-1252, counting U+0080–U+009F (what Latin-1
/// decoding gives for 0x80–0x9F) as those bytes; `None` for characters outside the set.
fn cp1252_byte(c: char) -> Option<u8> {
    if let Ok(byte) = u8::try_from(c) {
        return Some(byte);
    }
    let byte = match c {
        '\u{20AC}' => 0x80,
        '\u{201A}' => 0x82,
        '\u{0192}' => 0x83,
        '\u{201E}' => 0x84,
        '\u{2026}' => 0x85,
        '\u{2020}' => 0x86,
        '\u{2021}' => 0x87,
        '\u{02C6}' => 0x88,
        '\u{2030}' => 0x89,
        '\u{0160}' => 0x8A,
        '\u{2039}' => 0x8B,
        '\u{0152}' => 0x8C,
        '\u{017D}' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '\u{2022}' => 0x95,
        '\u{2013}' => 0x96,
        '\u{2014}' => 0x97,
        '\u{02DC}' => 0x98,
        '\u{2122}' => 0x99,
        '\u{0161}' => 0x9A,
        '\u{203A}' => 0x9B,
        '\u{0153}' => 0x9C,
        '\u{017E}' => 0x9E,
        '\u{0178}' => 0x9F,
        _ => return None,
    };
    Some(byte)
}

/// Length of the UTF-8 sequence a lead byte opens, for the leads that can open a valid one.
fn sequence_len(lead: u8) -> Option<usize> {
    match lead {
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

/// Whether `c` stands for a UTF-8 lead byte (U+00C2 `Â` … U+00F4 `ô`).
fn is_lead_char(c: char) -> bool {
    ('\u{C2}'..='\u{F4}').contains(&c)
}

/// Repairs mojibake in `text`.
///
/// Returns `Some(repaired)` only when something changed, `None` when `text` is left as it is
/// (always the case for ASCII text, which is returned without allocating). Runs at most
/// three passes, one per layer of double or triple mojibake. Real text in French, English
/// and the usual European languages, symbols, emoji and curly quotes are left untouched;
/// see the module documentation for the exact rules and the forms left unrepaired.
pub fn repair_mojibake(text: &str) -> Option<String> {
    if text.is_ascii() {
        return None;
    }
    let mut current: Option<String> = None;
    for _ in 0..MAX_PASSES {
        let input = current.as_deref().unwrap_or(text);
        let decoded = decode_sequences(input);
        let damaged_input = decoded.as_deref().unwrap_or(input);
        let next = match repair_damaged(damaged_input) {
            Some(fixed) => fixed,
            None => match decoded {
                Some(fixed) => fixed,
                None => break,
            },
        };
        current = Some(next);
    }
    current
}

/// Decodes a raw field that may not be valid UTF-8.
///
/// Returns the text and whether the bytes were *not* valid UTF-8 (the caller flags the row).
///
/// * Valid UTF-8 is returned as is, with `false`.
/// * A field that shows UTF-8 structure (more plausible multi-byte characters such as `é`,
///   `’` or an emoji than implausible ones, or ASCII whose only fault is a sequence cut off
///   at the very end) is decoded as damaged UTF-8: the valid parts as UTF-8; an incomplete
///   sequence whose lead opens a plausible character (`Ã`, `â`, `ð` … as bytes) as one
///   U+FFFD when continuation bytes follow the lead or when it ends the field, because its
///   bytes are the fragment of a character cut by a byte-limited column, and decoding them
///   through Windows-1252 would invent mojibake (`â€`) that later stages would misread as a
///   quote; every other invalid byte through Windows-1252, because a lone invalid byte in
///   UTF-8 text is either a stray legacy byte (0xE9 pasted in is an `é`) or a lead whose
///   continuation was lost, which [`repair_mojibake`] can still repair (`Ã la` → `à la`).
/// * Anything else is a legacy Windows-1252 export, and every byte is decoded through
///   Windows-1252 (0x81 0x8D 0x8F 0x90 0x9D become the C1 control of the same value). Whole
///   decoding also keeps bytes of real legacy text that happen to form valid UTF-8, such as
///   `fermé…»`, from turning into an ideograph.
pub fn decode_bytes(raw: &[u8]) -> (String, bool) {
    if let Ok(text) = std::str::from_utf8(raw) {
        return (text.to_owned(), false);
    }
    let text = if shows_utf8_structure(raw) {
        decode_damaged_utf8(raw)
    } else {
        raw.iter().copied().map(cp1252_char).collect()
    };
    (text, true)
}

/// Whether invalid UTF-8 still looks like UTF-8 that was damaged rather than a legacy
/// single-byte encoding: see [`decode_bytes`].
fn shows_utf8_structure(raw: &[u8]) -> bool {
    let (mut plausible, mut implausible) = (0usize, 0usize);
    let mut faults = 0usize;
    let mut tail_fault = false;
    let mut rest = raw;
    while !rest.is_empty() {
        let (valid, after) = match std::str::from_utf8(rest) {
            Ok(valid) => (valid, None),
            Err(error) => {
                let valid = std::str::from_utf8(&rest[..error.valid_up_to()]).unwrap_or_default();
                (valid, Some(error))
            }
        };
        for c in valid.chars().filter(|c| !c.is_ascii()) {
            if is_plausible_text_char(c) {
                plausible += 1;
            } else {
                implausible += 1;
            }
        }
        let Some(error) = after else { break };
        faults += 1;
        match error.error_len() {
            None => {
                tail_fault = true;
                break;
            }
            Some(len) => rest = &rest[error.valid_up_to() + len..],
        }
    }
    plausible > implausible || (plausible == 0 && implausible == 0 && faults == 1 && tail_fault)
}

/// Non-ASCII characters that genuine UTF-8 text in the languages we see is made of; an
/// accidental decoding of legacy bytes lands elsewhere (CJK, Samaritan, IPA …).
fn is_plausible_text_char(c: char) -> bool {
    matches!(
        u32::from(c),
        0xA0..=0x24F | 0x300..=0x36F | 0x370..=0x4FF | 0x1E00..=0x1EFF | 0x2000..=0x2BFF
            | 0xFE0F | 0x1F000..=0x1FAFF
    )
}

/// UTF-8 lead bytes that open the characters of [`is_plausible_text_char`] (Latin, Greek,
/// Cyrillic, punctuation and symbols, variation selectors, emoji).
fn is_plausible_lead(byte: u8) -> bool {
    matches!(byte, 0xC2..=0xD3 | 0xE1 | 0xE2 | 0xEF | 0xF0)
}

/// Decodes UTF-8 with damage: see [`decode_bytes`].
fn decode_damaged_utf8(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    let mut rest = raw;
    loop {
        let error = match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(error) => error,
        };
        let (valid, invalid) = rest.split_at(error.valid_up_to());
        out.push_str(std::str::from_utf8(valid).unwrap_or_default());
        let at_end = error.error_len().is_none();
        let bad = &invalid[..error.error_len().unwrap_or(invalid.len())];
        if is_plausible_lead(bad[0]) && (bad.len() > 1 || at_end) {
            out.push(char::REPLACEMENT_CHARACTER);
        } else {
            out.extend(bad.iter().copied().map(cp1252_char));
        }
        rest = &invalid[bad.len()..];
    }
}

/// How much a decodable sequence is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confidence {
    /// Real text never writes these characters side by side: replace.
    Strong,
    /// Real text can produce it by accident: replace only next to another replacement.
    Weak,
    /// Never replace.
    Reject,
}

/// A decodable sequence found in the text, by byte offsets.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    start: usize,
    end: usize,
    decoded: char,
    confidence: Confidence,
}

/// How far a decoded sequence is trusted, from its lead byte, the decoded character, its
/// first continuation character and the character before the lead.
fn classify(lead: u8, decoded: char, first_cont: char, prev: Option<char>) -> Confidence {
    use Confidence::{Reject, Strong, Weak};
    let code = u32::from(decoded);
    let after_word = FOLLOWS_WORD.contains(&first_cont);
    match lead {
        // `Â` + symbol → U+00A0–U+00BF (`Â°`, `Â©`, `Â«`); `Â` + 0x80–0x9F is a C1 control.
        0xC2 if code >= 0xA0 => Strong,
        // `Ã` + anything → U+00C0–U+00FF.
        0xC3 => Strong,
        // Latin Extended-A (`Å“` → `œ`, `Å’` → `Œ`, `Å\u{a0}` → `Š`). `Ä` and `Å` end words
        // in Nordic and German capitals, so not before punctuation that follows a word.
        0xC4 | 0xC5 if after_word && first_cont != '\u{2019}' => Weak,
        0xC4 | 0xC5 => Strong,
        // Latin Extended-B and IPA are what accented capitals (`É…`, `Ç’`) turn into; only
        // the few characters anyone writes are kept: ƒ, Romanian Ș ș Ț ț, ʼ.
        0xC6 if decoded == '\u{192}' => Strong,
        0xC8 if (0x218..=0x21B).contains(&code) && after_word => Weak,
        0xC8 if (0x218..=0x21B).contains(&code) => Strong,
        0xCA if code == 0x2BC => Strong,
        // Spacing accents ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝ (`Ë†`).
        0xCB if matches!(code, 0x2C6..=0x2C7 | 0x2D8..=0x2DD) && !after_word => Strong,
        // Combining accents of Latin letters, from text that was decomposed (NFD) before the
        // damage: they follow a letter (`eÌ\u{81}` → `e` + U+0301).
        0xCC if matches!(code, 0x300..=0x30C | 0x323..=0x328)
            && !after_word
            && prev.is_some_and(char::is_alphabetic) =>
        {
            Strong
        }
        // Greek and basic Cyrillic letters.
        0xCE | 0xCF if (0x386..=0x3CE).contains(&code) && !after_word => Strong,
        0xD0 | 0xD1 if (0x400..=0x45F).contains(&code) && !after_word => Strong,
        0xCE..=0xD1 => Weak,
        // Cyrillic supplement, Armenian, Hebrew, Arabic, Syriac, Thaana, NKo: the leads are
        // `Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß`, common in real European text.
        0xD2..=0xDF => Weak,
        // Punctuation, €, ™, arrows, symbols, dingbats (`â€™`, `â‚¬`), but not Braille
        // and the scripts and radicals of U+2C00–U+2FFF.
        0xE2 if matches!(code, 0x2000..=0x27FF | 0x2900..=0x2BFF) => Strong,
        0xE2 => Weak,
        // Indic, Thai, Vietnamese, CJK, Hangul: leads `à á ã … í` often end real words.
        0xE0 | 0xE1 | 0xE3..=0xED => Weak,
        0xEF => match code {
            // BOM, replacement character, variation selectors (emoji presentation).
            0xFEFF | 0xFFFD | 0xFE00..=0xFE0F => Strong,
            // Private use and specials.
            0xF000..=0xF8FF | 0xFFF0..=0xFFFF => Reject,
            _ => Weak,
        },
        // Emoji and pictographs.
        0xF0 if (0x1F000..=0x1FAFF).contains(&code) => Strong,
        0xF0 => Weak,
        // Tag characters of flag emoji.
        0xF3 if (0xE0000..=0xE007F).contains(&code) => Weak,
        _ => Reject,
    }
}

/// Looks for a decodable sequence opened by a lead character standing for `lead_byte`,
/// whose following characters are `after`. Returns the decoded character, the first
/// continuation character and the byte length of the continuation characters.
fn decode_at(lead_byte: u8, after: &str) -> Option<(char, char, usize)> {
    let len = sequence_len(lead_byte)?;
    let mut bytes = [lead_byte, 0, 0, 0];
    let mut conts = after.chars();
    let mut first_cont = None;
    let mut cont_len = 0;
    for slot in bytes.iter_mut().take(len).skip(1) {
        let c = conts.next()?;
        let byte = cp1252_byte(c).filter(|b| (0x80..=0xBF).contains(b))?;
        *slot = byte;
        first_cont.get_or_insert(c);
        cont_len += c.len_utf8();
    }
    let decoded = std::str::from_utf8(&bytes[..len]).ok()?.chars().next()?;
    Some((decoded, first_cont?, cont_len))
}

/// One pass of sequence decoding; `None` when nothing was replaced.
fn decode_sequences(text: &str) -> Option<String> {
    if !text.chars().any(is_lead_char) {
        return None;
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut prev: Option<char> = None;
    let mut pos = 0;
    while let Some(c) = char_after(text, pos) {
        let after = pos + c.len_utf8();
        if is_lead_char(c) {
            // A lead character is Latin-1, so its byte is its code point.
            let lead_byte = u8::try_from(c).unwrap_or(0);
            if let Some((decoded, first_cont, cont_len)) = decode_at(lead_byte, &text[after..]) {
                let confidence = classify(lead_byte, decoded, first_cont, prev);
                if confidence != Confidence::Reject {
                    let end = after + cont_len;
                    candidates.push(Candidate { start: pos, end, decoded, confidence });
                    prev = char_before(text, end);
                    pos = end;
                    continue;
                }
            }
        }
        prev = Some(c);
        pos = after;
    }

    let accepted = |i: usize| {
        let candidate = candidates[i];
        candidate.confidence == Confidence::Strong
            || (i > 0 && candidates[i - 1].end == candidate.start)
            || candidates.get(i + 1).is_some_and(|next| next.start == candidate.end)
    };
    let mut out = String::new();
    let mut copied = 0;
    for (i, candidate) in candidates.iter().enumerate() {
        if accepted(i) {
            if out.is_empty() {
                out.reserve(text.len());
            }
            out.push_str(&text[copied..candidate.start]);
            out.push(candidate.decoded);
            copied = candidate.end;
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Whether the text after a lone `â€` shows a closing quote position.
fn is_quote_position(next: Option<char>) -> bool {
    match next {
        None => true,
        Some(c) => {
            c.is_whitespace()
                || c == char::REPLACEMENT_CHARACTER
                || matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '"' | '\'' | '\u{BB}' | '\u{2026}')
        }
    }
}

/// Rule 1 of the damaged forms: does `Ã` + space stand for `à` here? `rest` starts at the
/// space after `Ã`.
fn is_lost_a_grave(prev: Option<char>, rest: &[char]) -> bool {
    match prev {
        Some(p) if p.is_lowercase() => true,
        Some(p) if p.is_alphanumeric() => false,
        _ => rest.iter().find(|c| **c != ' ').is_some_and(|c| c.is_alphanumeric()),
    }
}

/// One pass of the damaged-form rules described in the module documentation; `None` when
/// nothing was replaced.
fn repair_damaged(text: &str) -> Option<String> {
    if !(text.contains("\u{C3} ") || text.contains('\u{C2}') || text.contains("\u{E2}\u{20AC}")) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (replacement, consumed) = match (c, next) {
            ('\u{C3}', Some(' ')) if is_lost_a_grave(prev, &chars[i + 1..]) => {
                let lost_space = chars.get(i + 2) == Some(&' ');
                (Some('à'), if lost_space { 2 } else { 1 })
            }
            ('\u{C2}', Some(' ')) => (None, 1),
            ('\u{C2}', Some(n))
                if prev.is_some_and(char::is_alphanumeric) && (n.is_ascii_digit() || "!?;:%€\u{BB}".contains(n)) =>
            {
                (Some(' '), 1)
            }
            ('\u{E2}', Some('\u{20AC}')) => {
                let after = chars.get(i + 2).copied();
                if is_quote_position(after) {
                    let replaced = usize::from(after == Some(char::REPLACEMENT_CHARACTER));
                    (Some('\u{201D}'), 2 + replaced)
                } else if after.is_some_and(is_pictographic) && prev.is_some_and(is_pictographic) {
                    (Some('\u{200D}'), 2)
                } else {
                    (Some(c), 0)
                }
            }
            _ => (Some(c), 0),
        };
        if consumed > 0 {
            changed = true;
        }
        if let Some(r) = replacement {
            out.push(r);
            prev = Some(r);
        }
        i += consumed.max(1);
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Repairs, or returns the text unchanged.
    fn fix(text: &str) -> String {
        repair_mojibake(text).unwrap_or_else(|| text.to_owned())
    }

    /// Encodes as UTF-8 and decodes the bytes as Windows-1252: makes mojibake on purpose.
    fn damage(text: &str) -> String {
        text.bytes().map(cp1252_char).collect()
    }

    #[test]
    fn cp1252_table_round_trips() {
        for byte in 0..=u8::MAX {
            assert_eq!(cp1252_byte(cp1252_char(byte)), Some(byte), "byte {byte:#04x}");
        }
        let mapped = CP1252_HIGH.iter().filter(|c| u32::from(**c) > 0xFF).count();
        assert_eq!(mapped, 27);
    }

    #[test]
    fn repairs_common_french_words() {
        assert_eq!(fix("Ã©tÃ©"), "été");
        assert_eq!(fix("trÃ¨s"), "très");
        assert_eq!(fix("Ã§a"), "ça");
        assert_eq!(fix("Ã‰tÃ©"), "Été");
        assert_eq!(fix("le caissier Ã©tait trÃ¨s aimable"), "le caissier était très aimable");
    }

    #[test]
    fn repairs_circumflex_and_other_vowels() {
        assert_eq!(fix("Ã¢"), "â");
        assert_eq!(fix("Ã´"), "ô");
        assert_eq!(fix("Ã®"), "î");
        assert_eq!(fix("Ã¹"), "ù");
        assert_eq!(fix("Ã»"), "û");
        assert_eq!(fix("NoÃ«l"), "Noël");
        assert_eq!(fix("Å“uvre"), "œuvre");
        assert_eq!(fix("Å’UVRE"), "ŒUVRE");
    }

    #[test]
    fn repairs_curly_quotes_and_apostrophes() {
        assert_eq!(fix("Lâ€™entreprise"), "L’entreprise");
        assert_eq!(fix("â€œbonâ€\u{9d}"), "“bon”");
        assert_eq!(fix("â€˜okâ€™"), "‘ok’");
        assert_eq!(fix("attenteâ€¦ longue"), "attente… longue");
        assert_eq!(fix("10 â€“ 12"), "10 – 12");
    }

    #[test]
    fn repairs_euro_and_symbols() {
        assert_eq!(fix("â‚¬"), "€");
        assert_eq!(fix("Total : 12,90 â‚¬"), "Total : 12,90 €");
        assert_eq!(fix("12Â°C"), "12°C");
        assert_eq!(fix("Â© 2024"), "© 2024");
        assert_eq!(fix("Â«\u{a0}bonjour\u{a0}Â»"), "«\u{a0}bonjour\u{a0}»");
        assert_eq!(fix("Marqueâ„¢"), "Marque™");
    }

    #[test]
    fn repairs_no_break_space_mojibake() {
        assert_eq!(fix("12Â\u{a0}000"), "12\u{a0}000");
        assert_eq!(fix("12\u{e2}\u{80}\u{af}000"), "12\u{202f}000");
    }

    #[test]
    fn repairs_capitals_with_cp1252_second_byte() {
        assert_eq!(fix("Ã€ LA CAISSE"), "À LA CAISSE");
        assert_eq!(fix("Ãˆ"), "È");
        assert_eq!(fix("Ã‡A"), "ÇA");
        assert_eq!(fix("ALLÃ”"), "ALLÔ");
        assert_eq!(fix("Ãœber"), "Über");
    }

    #[test]
    fn repairs_undefined_cp1252_bytes_read_as_c1_controls() {
        assert_eq!(fix("\u{c3}\u{81}lvaro"), "Álvaro");
        assert_eq!(fix("NA\u{c3}\u{8f}F"), "NAÏF");
        assert_eq!(fix("\u{c3}\u{9d}"), "Ý");
    }

    #[test]
    fn repairs_latin1_decoding() {
        // Latin-1 turns 0x80–0x9F into C1 controls instead of cp1252 punctuation.
        assert_eq!(fix("L\u{e2}\u{80}\u{99}accueil"), "L’accueil");
        assert_eq!(fix("\u{e2}\u{82}\u{ac}"), "€");
    }

    #[test]
    fn repairs_double_mojibake() {
        assert_eq!(fix("ÃƒÂ©tÃƒÂ©"), "été");
        assert_eq!(fix("LÃ¢â‚¬â„¢accueil"), "L’accueil");
        assert_eq!(fix(&damage(&damage("crème brûlée, à 12 €"))), "crème brûlée, à 12 €");
    }

    #[test]
    fn repairs_triple_mojibake() {
        let original = "Très déçu, l’attente était longue";
        assert_eq!(fix(&damage(&damage(&damage(original)))), original);
    }

    #[test]
    fn repairs_generated_mojibake_of_a_french_sample() {
        let samples = [
            "Ça va, mais l’accueil était lent : « 15 min » d’attente.",
            "Conseillère très aimable ; déjà venue à Noël, crème brûlée à 4,50 €.",
            "ÉTÉ – HIVER — “ok” ‘oui’ • œuvre Œ ™ ½ ° © ®",
            "Very polite staff 👍😀, but the queue… was long!",
        ];
        for sample in samples {
            assert_eq!(fix(&damage(sample)), sample, "sample {sample:?}");
        }
    }

    #[test]
    fn repairs_emoji() {
        assert_eq!(fix("ðŸ˜€"), "😀");
        assert_eq!(fix("Super ðŸ‘\u{8d}"), "Super 👍");
        assert_eq!(fix(&damage("❤️ merci")), "❤️ merci");
    }

    #[test]
    fn repairs_mixed_real_accents_and_mojibake() {
        assert_eq!(fix("Ça va, mais lâ€™accueil Ã©tait lent"), "Ça va, mais l’accueil était lent");
        assert_eq!(fix("Déjà vu : trÃ¨s bien"), "Déjà vu : très bien");
    }

    #[test]
    fn repairs_decomposed_text_mojibake() {
        assert_eq!(fix("cre\u{cc}\u{80}me"), "cre\u{300}me");
        assert_eq!(fix("e\u{cc}\u{81}te\u{cc}\u{81}"), "e\u{301}te\u{301}");
    }

    #[test]
    fn repairs_bom_and_replacement_character() {
        assert_eq!(fix("ï»¿Bonjour"), "\u{feff}Bonjour");
        assert_eq!(fix("caf\u{ef}\u{bf}\u{bd}"), "caf\u{fffd}");
    }

    #[test]
    fn repairs_other_scripts_only_in_runs() {
        assert_eq!(fix("ÐŸÑ€Ð¸Ð²ÐµÑ‚"), "Привет");
        assert_eq!(fix("Î•Î»Î»Î¬Î´Î±"), "Ελλάδα");
        assert_eq!(fix("æ—¥æœ¬"), "日本");
    }

    #[test]
    fn repairs_a_grave_whose_no_break_space_became_a_space() {
        assert_eq!(fix("Ã  la caisse"), "à la caisse");
        assert_eq!(fix("Ã la caisse"), "à la caisse");
        assert_eq!(fix("dÃ©jÃ  vu"), "déjà vu");
        assert_eq!(fix("voilÃ  !"), "voilà !");
        assert_eq!(fix("jusquâ€™Ã 10h"), "jusqu’à 10h");
        assert_eq!(fix("ÃƒÂ  la caisse"), "à la caisse");
    }

    #[test]
    fn repairs_no_break_space_whose_second_byte_was_lost() {
        assert_eq!(fix("12Â 000"), "12 000");
        assert_eq!(fix("prixÂ !"), "prix !");
        assert_eq!(fix("prixÂ!"), "prix !");
        assert_eq!(fix("12Â€"), "12 €");
    }

    #[test]
    fn repairs_closing_quote_whose_last_byte_was_lost() {
        assert_eq!(fix("â€œbonâ€ accueil"), "“bon” accueil");
        assert_eq!(fix("â€œbonâ€"), "“bon”");
        assert_eq!(fix("â€œbonâ€."), "“bon”.");
        assert_eq!(fix("â€œbonâ€\u{fffd} accueil"), "“bon” accueil");
        assert_eq!(fix("â€œbonâ€? oui"), "“bon”? oui");
    }

    #[test]
    fn repairs_zero_width_joiner_whose_last_byte_was_lost() {
        let family = "👨\u{200d}👩";
        let damaged = damage(family).replace('\u{8d}', "");
        assert_eq!(fix(&damaged), family);
    }

    #[test]
    fn leaves_legitimate_french_and_english_untouched() {
        for text in [
            "Ça va",
            "déjà",
            "Noël",
            "crème brûlée",
            "L’accueil était “parfait”, merci !",
            "FERMÉ\u{a0}!",
            "«\u{a0}c’est fermé…\u{a0}»",
            "C’EST FERMÉ… À DEMAIN",
            "EMPLOYÉ·E·S",
            "ALLÔ\u{a0}?",
            "voilà\u{a0}»",
            "ÂGE, ÎLE, HAÏ…",
            "Âme",
            "It’s a café—nice",
        ] {
            assert_eq!(repair_mojibake(text), None, "{text:?}");
        }
    }

    #[test]
    fn leaves_other_languages_untouched() {
        for text in [
            "São Paulo",
            "SÃO PAULO",
            "IRMÃ e MAÇÃ são frutas",
            "Ñandú",
            "Müller",
            "Straße“",
            "„Straße“",
            "PERCHÈ…",
            "Åsa",
            "Ørsted",
            "× 2",
        ] {
            assert_eq!(repair_mojibake(text), None, "{text:?}");
        }
    }

    #[test]
    fn leaves_symbols_and_emoji_untouched() {
        for text in ["©", "®", "°", "½", "€ 12,90", "😀👍🏽", "👨\u{200d}👩\u{200d}👧", "“bon” ‘ok’"]
        {
            assert_eq!(repair_mojibake(text), None, "{text:?}");
        }
    }

    #[test]
    fn leaves_ascii_untouched() {
        assert_eq!(repair_mojibake("Plain ASCII text, nothing to do."), None);
        assert_eq!(repair_mojibake(""), None);
    }

    #[test]
    fn leaves_undecidable_forms() {
        // One of Á Í Ï Ð Ý: cannot tell which.
        assert_eq!(repair_mojibake("NA\u{c3}\u{fffd}F"), None);
        assert_eq!(repair_mojibake("NAÃ?F"), None);
        // `”` or the hyphen U+2010 with its last byte lost, before a letter.
        assert_eq!(repair_mojibake("eâ€mail"), None);
        // `Ã` whose 0xA0 was lost before a letter; `Ã` + space after a capital.
        assert_eq!(repair_mojibake("Ãla"), None);
        assert_eq!(repair_mojibake("LÃ "), None);
        // A C1 control cannot be the intended character.
        assert_eq!(repair_mojibake("Â\u{80}"), None);
    }

    #[test]
    fn weak_sequences_alone_are_left() {
        // Valid UTF-8 once re-encoded, but each alone and in real-looking text.
        assert_eq!(repair_mojibake("fermé…»"), None);
        assert_eq!(repair_mojibake("ALLÔ\u{a0}!"), None);
        assert_eq!(repair_mojibake("voilà\u{a0}»"), None);
    }

    #[test]
    fn repair_is_stable() {
        let once = fix("LÃ¢â‚¬â„¢accueil Ã©tait trÃ¨s lent");
        assert_eq!(repair_mojibake(&once), None);
    }

    #[test]
    fn decode_bytes_keeps_valid_utf8() {
        let (text, flagged) = decode_bytes("Déjà vu 👍".as_bytes());
        assert_eq!(text, "Déjà vu 👍");
        assert!(!flagged);
    }

    #[test]
    fn decode_bytes_reads_legacy_windows_1252() {
        let (text, flagged) = decode_bytes(b"caf\xe9 cr\xe8me \x80 12 \x93ok\x94 \x81");
        assert_eq!(text, "café crème € 12 “ok” \u{81}");
        assert!(flagged);
        // Bytes that happen to form valid UTF-8 inside a legacy field stay legacy.
        let (text, _) = decode_bytes(b"ferm\xe9\x85\xbb et tr\xe8s bien");
        assert_eq!(text, "fermé…» et très bien");
    }

    #[test]
    fn decode_bytes_repairs_damaged_utf8() {
        // A stray legacy byte inside UTF-8 text.
        let mut raw = "Très bien, ".as_bytes().to_vec();
        raw.extend_from_slice(b"caf\xe9");
        let (text, flagged) = decode_bytes(&raw);
        assert_eq!(text, "Très bien, café");
        assert!(flagged);
        // Cut off in the middle of a character by a byte-limited column.
        let (text, flagged) = decode_bytes(b"A bient\xc3");
        assert_eq!(text, "A bient\u{fffd}");
        assert!(flagged);
        // An incomplete sequence in the middle of UTF-8 text.
        let mut raw = "été ".as_bytes().to_vec();
        raw.extend_from_slice(b"\xe2\x80 ok");
        let (text, _) = decode_bytes(&raw);
        assert_eq!(text, "été \u{fffd} ok");
    }
}
