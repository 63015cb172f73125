//! Where a word or a number may start and end, and the other small text helpers the
//! recognisers share.
//!
//! Boundaries are checked in code after a match rather than with `\b` in the regexes: a
//! Unicode `\b` keeps the regex crate off its fast automata. The helpers take byte
//! offsets that are character boundaries, as regex matches give them.

pub(super) use crate::normalise::chars::{char_after, char_before};

/// A letter, a digit or `_`: what `\w` matches.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// No letter or digit right before `i`.
pub(super) fn boundary_before(text: &str, i: usize) -> bool {
    !char_before(text, i).is_some_and(is_word_char)
}

/// No letter or digit right after `i`.
pub(super) fn boundary_after(text: &str, i: usize) -> bool {
    !char_after(text, i).is_some_and(is_word_char)
}

/// A number may start at `start`: not glued to a word, a reference (`#`) or a currency,
/// and not the continuation of a longer number (`3.06…`, `S-PAR-0…`).
pub(super) fn number_boundary_before(text: &str, start: usize) -> bool {
    match char_before(text, start) {
        None => true,
        Some(c) if is_word_char(c) => false,
        Some('#' | '\\' | '€' | '$' | '£' | '@' | '+' | '&' | '=') => false,
        Some(c @ ('-' | '.' | ',')) => {
            let before = char_before(text, start - c.len_utf8());
            !before.is_some_and(|b| b.is_ascii_digit() || (c == '-' && b.is_alphanumeric()))
        }
        Some(_) => true,
    }
}

/// A number may end at `end`: not glued to a word, not followed by more digits after a
/// separator (`0612345678,50`), and not followed by a currency or a unit. A `/` between
/// two numbers separates them (`06 39 98 12 34/06 39 98 56 78`).
pub(super) fn number_boundary_after(text: &str, end: usize) -> bool {
    let rest = &text[end..];
    let mut chars = rest.chars();
    match chars.next() {
        None => return true,
        Some(c) if is_word_char(c) => return false,
        Some('%' | '€' | '$' | '£' | '‰' | '@' | '°') => return false,
        Some('-' | '.' | ',' | ':') if chars.next().is_some_and(|d| d.is_ascii_digit()) => {
            return false;
        }
        Some(_) => {}
    }
    // One space, then a currency or a unit word.
    let after_space = rest.strip_prefix([' ', '\u{A0}', '\u{202F}']).unwrap_or(rest);
    if after_space.starts_with(['€', '$', '£', '%']) {
        return false;
    }
    let word_len = after_space.find(|c: char| !c.is_alphabetic()).unwrap_or(after_space.len());
    if word_len == 0 {
        return true;
    }
    let word = after_space[..word_len].to_lowercase();
    let next = after_space[word_len..].chars().next();
    let whole_word = !next.is_some_and(|c| c.is_alphanumeric() || c == '\'' || c == '’');
    !(whole_word && UNITS.contains(&word.as_str()))
}

/// Words after a number that make it a quantity or an amount, not a phone or a card.
const UNITS: &[&str] = &[
    "eur", "euro", "euros", "usd", "gbp", "chf", "dollars", "pounds", "livres", "kg", "g", "mg", "km", "cm", "mm",
    "ml", "cl", "min", "mn", "minutes", "secondes", "seconds", "ans", "pts", "points", "ko", "mo", "go", "kb", "mb",
    "gb", "centimes", "cents", "pence",
];

/// The first character boundary at or after `i`: a window of bytes cut before a match may
/// start inside a character.
pub(super) fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The last character boundary at or before `i`.
pub(super) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Whether `haystack` holds `needle` in any ASCII case: the cheap checks that decide
/// whether a recogniser's regexes run at all.
pub(super) fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}
