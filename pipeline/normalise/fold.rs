//! Accent and case folding: the one definition of "the same word, whatever its accents and
//! case" (`Févr`, `fevr` and `FÉVR` fold alike).
//!
//! A character folds to its canonical decomposition (NFD) less the combining marks,
//! lower-cased. Folding a text character by character gives the same result as folding
//! the NFD of the whole text, because every character that NFD reorders is a combining
//! mark, and marks are dropped (tested below). Callers that need more (the features map
//! digits, apostrophes and ligatures) apply their mappings to the output of [`fold_char`]:
//! lower-casing never changes whether a character is alphanumeric, whitespace, an ASCII
//! digit or ASCII punctuation (tested below), so a folded character can be classified as
//! the unaccented character it comes from would be.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Calls `emit` with each character `c` folds to: its canonical decomposition less the
/// combining marks, lower-cased (`É` gives `e`, `Œ` gives `œ`, `ß` stays `ß`).
/// A callback rather than an iterator: the features fold every character of every
/// segment through it, and a decomposition buffer per character would cost them.
pub fn fold_char(c: char, mut emit: impl FnMut(char)) {
    decompose_canonical(c, |d| {
        if !is_combining_mark(d) {
            d.to_lowercase().for_each(&mut emit);
        }
    });
}

/// `text` folded: lower case, accents removed, everything else kept (`Très ÉTÉ` gives
/// `tres ete`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, |f| out.push(f));
    }
    out
}

#[cfg(test)]
mod tests {
    use unicode_normalization::char::canonical_combining_class;
    use unicode_normalization::UnicodeNormalization;

    use super::*;

    fn every_char() -> impl Iterator<Item = char> {
        (0..=0x10FFFFu32).filter_map(char::from_u32)
    }

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(fold("Très ÉTÉ, Févr. 12 €"), "tres ete, fevr. 12 €");
        assert_eq!(fold("e\u{301}te\u{301}"), "ete");
        assert_eq!(fold("Œuvre İ ß Å"), "œuvre i ß a");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn every_reordered_character_is_a_combining_mark() {
        // NFD reorders the characters of non-zero combining class; with all of them
        // dropped, per-character folding equals the fold of the whole text in NFD.
        for c in every_char() {
            if canonical_combining_class(c) != 0 {
                assert!(is_combining_mark(c), "{c:?}");
            }
        }
    }

    #[test]
    fn equals_the_whole_text_in_nfd() {
        let reference =
            |t: &str| -> String { t.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect() };
        let all: Vec<char> = every_char().collect();
        for block in all.chunks(512) {
            let text: String = block.iter().collect();
            assert_eq!(fold(&text), reference(&text), "{:04X}…", u32::from(block[0]));
        }
        for t in ["a\u{323}\u{301}b", "Ǖ\u{327}x", "\u{301}\u{300}e", "한국어 ᄀ\u{1161}"] {
            assert_eq!(fold(t), reference(t), "{t:?}");
        }
    }

    #[test]
    fn folding_keeps_what_kind_of_character_it_is() {
        // Callers classify folded characters (alphanumeric or not, punctuation, digits):
        // lower-casing never changes the class of a character without its marks.
        for c in every_char() {
            decompose_canonical(c, |d| {
                if is_combining_mark(d) {
                    return;
                }
                for l in d.to_lowercase() {
                    assert_eq!(l.is_alphanumeric(), d.is_alphanumeric(), "{c:?}");
                    assert_eq!(l.is_whitespace(), d.is_whitespace(), "{c:?}");
                    assert_eq!(l.is_ascii_punctuation(), d.is_ascii_punctuation(), "{c:?}");
                    assert_eq!(l.is_ascii_digit(), d.is_ascii_digit(), "{c:?}");
                }
            });
        }
    }
}
