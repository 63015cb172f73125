//! Text normalisation of one comment before segmentation and classification.
//!
//! Comments arrive from survey tools, spreadsheets and CRMs with mojibake, Windows line
//! endings, tabs, no-break spaces from French typography, invisible characters pasted from
//! web pages and Unicode in decomposed form. Matching keywords or feeding a model needs one
//! spelling of the same text, so [`normalise`] produces it and reports what it changed.
//!
//! Guarantees on [`Normalised::text`]:
//!
//! * mojibake is repaired as far as it can be decided (see [`super::mojibake`]);
//! * it is in Unicode NFC;
//! * it holds no control or invisible format character: the only line separator is `\n`
//!   and the only space is U+0020; the zero-width joiner U+200D is kept only between two
//!   emoji-like characters, where it builds one emoji (`👨‍👩‍👧`);
//! * no line starts or ends with a space, no run of two spaces, at most one blank line in a
//!   row (single line breaks are kept: they mark bullet lists for the segmenter), no
//!   leading or trailing whitespace;
//! * [`normalise`] is idempotent: normalising its output changes nothing and reports no
//!   repair (mojibake repair runs a bounded number of rounds, which only contrived input
//!   could exhaust; a generated-input test checks it).

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::chars::is_pictographic;
use super::mojibake::repair_mojibake;

/// What normalisation changed, reported per comment so dashboards can filter repaired rows.
///
/// A flag is set only when its step changed the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Mojibake was repaired ([`super::mojibake::repair_mojibake`] changed the text).
    pub mojibake: bool,
    /// Control characters (C0 other than line breaks and tab, DEL, C1) or invisible format
    /// characters (zero-width space and non-joiner, a joiner outside an emoji, BOM, soft
    /// hyphen, word joiner, bidirectional marks) were removed.
    pub control_chars: bool,
    /// Whitespace inside the text changed: a no-break or other Unicode space, a tab, a CR,
    /// CRLF or other line separator was replaced, spaces were collapsed, removed at a line
    /// start or end, or blank lines were collapsed. Trimming the whitespace at the very
    /// start and end of the text alone does not set it: nearly every exported field has a
    /// stray trailing space or newline, and flagging those would drown the real repairs.
    pub whitespace: bool,
    /// Composing to Unicode NFC changed the text.
    pub nfc: bool,
}

/// A normalised comment and what normalisation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// The normalised text, with the guarantees of the module documentation.
    pub text: String,
    /// What normalisation changed in the raw text.
    pub repairs: Repairs,
}

/// Normalises one raw comment.
///
/// Steps, in order: mojibake repair; removal of control and invisible characters and
/// canonicalisation of whitespace (CR, CRLF, VT, FF, NEL, U+2028 and U+2029 become `\n`;
/// tab, no-break spaces U+00A0 and U+202F and the other Unicode spaces become a space; runs
/// of spaces become one; spaces at the start and end of each line are removed; three or
/// more line breaks become two; the text is trimmed); Unicode NFC. NFC runs last so that
/// removing an invisible character between a letter and its combining accent still yields
/// composed text; composition never produces a space, a line break or a control
/// character, so it cannot undo the cleaning (a test checks every code point).
///
/// When cleaning or composing brought the pieces of a mojibake sequence together (an
/// invisible character or a tab inside it), mojibake repair and the steps after it run
/// again, at most twice, so that the result is stable.
///
/// Leading spaces of a line are removed too (not only trailing ones) so that a bullet line
/// always starts with its marker (`- `, `• `) for the segmenter.
///
/// Pure ASCII text with nothing to fix is copied with a single allocation.
pub fn normalise(raw: &str) -> Normalised {
    let mut repairs = Repairs::default();
    let mut text = match repair_mojibake(raw) {
        Some(repaired) => {
            repairs.mojibake = true;
            clean_and_compose(&repaired, &mut repairs)
        }
        None => clean_and_compose(raw, &mut repairs),
    };
    // Removing an invisible character, turning a tab into a space or composing an accent
    // can bring the pieces of a mojibake sequence together (`Ã\u{200B}©`, `Ã\t`): repair
    // again until nothing changes, so that the result is stable.
    for _ in 0..MAX_EXTRA_ROUNDS {
        if text.is_ascii() || !(repairs.control_chars || repairs.whitespace || repairs.nfc) {
            break;
        }
        let Some(repaired) = repair_mojibake(&text) else {
            break;
        };
        repairs.mojibake = true;
        text = clean_and_compose(&repaired, &mut repairs);
    }
    Normalised { text, repairs }
}

/// Rounds of mojibake repair after cleaning brought new sequences together; real text needs
/// none, contrived text one.
const MAX_EXTRA_ROUNDS: usize = 2;

/// Cleaning, then composition to NFC: see [`normalise`].
fn clean_and_compose(src: &str, repairs: &mut Repairs) -> String {
    let text = clean(src, repairs);
    if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return text;
    }
    let composed: String = text.nfc().collect();
    if composed == text {
        return text;
    }
    repairs.nfc = true;
    composed
}

/// Whether [`normalise`] leaves nothing of a text: it holds only whitespace, control and
/// invisible characters (zero-width spaces, joiners, BOMs, bidirectional marks...). The
/// same rule as the cleaning, without building the text: comments so empty are rejected.
pub fn is_blank(raw: &str) -> bool {
    raw.chars().all(|c| class(c) != Class::Keep)
}

/// How the cleaning step treats one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Kept as it is.
    Keep,
    /// A space; `true` for U+0020 itself, `false` for a character that becomes one.
    Space(bool),
    /// A line break; `true` for `\n` itself, `false` for one that becomes `\n`.
    Newline(bool),
    /// The zero-width joiner: kept inside an emoji sequence, removed elsewhere.
    Joiner,
    /// A control or invisible format character, removed.
    Drop,
}

fn class(c: char) -> Class {
    match c {
        ' ' => Class::Space(true),
        '\n' => Class::Newline(true),
        '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Class::Newline(false),
        '\t' | '\u{A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
            Class::Space(false)
        }
        '\u{200D}' => Class::Joiner,
        '\u{200B}'
        | '\u{200C}'
        | '\u{FEFF}'
        | '\u{AD}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061C}'
        | '\u{180E}' => Class::Drop,
        c if c.is_control() => Class::Drop,
        _ => Class::Keep,
    }
}

/// A run of whitespace waiting for the next visible character, which decides whether it is
/// written (inside the text) or dropped (at its start or end).
#[derive(Debug, Default)]
struct Run {
    spaces: usize,
    newlines: usize,
    /// The run holds a character other than U+0020 and `\n`.
    converted: bool,
}

impl Run {
    fn is_empty(&self) -> bool {
        self.spaces == 0 && self.newlines == 0
    }

    /// Writes the run in its canonical form (one space, or one or two line breaks) unless
    /// nothing was written yet, and tells whether that differs from the raw run.
    fn flush(&mut self, out: &mut String) -> bool {
        let run = std::mem::take(self);
        if run.is_empty() || out.is_empty() {
            return false;
        }
        let canonical = match run.newlines {
            0 => {
                out.push(' ');
                run.spaces == 1
            }
            n => {
                out.push('\n');
                if n >= 2 {
                    out.push('\n');
                }
                run.spaces == 0 && n <= 2
            }
        };
        !canonical || run.converted
    }
}

/// Removes control and invisible characters and canonicalises whitespace.
fn clean(src: &str, repairs: &mut Repairs) -> String {
    let mut out = String::with_capacity(src.len());
    let mut run = Run::default();
    let mut last: Option<char> = None;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match class(c) {
            Class::Space(plain) => {
                run.spaces += 1;
                run.converted |= !plain;
            }
            Class::Newline(plain) => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                run.newlines += 1;
                run.converted |= !plain;
            }
            Class::Joiner
                if run.is_empty()
                    && last.is_some_and(is_pictographic)
                    && chars.peek().copied().is_some_and(is_pictographic) =>
            {
                out.push(c);
                last = Some(c);
            }
            Class::Joiner | Class::Drop => repairs.control_chars = true,
            Class::Keep => {
                repairs.whitespace |= run.flush(&mut out);
                out.push(c);
                last = Some(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repairs(mojibake: bool, control_chars: bool, whitespace: bool, nfc: bool) -> Repairs {
        Repairs { mojibake, control_chars, whitespace, nfc }
    }

    #[test]
    fn clean_ascii_is_unchanged_and_copied_once() {
        let raw = "The queue was long.\n- item one\n- item two\n\nThanks";
        let n = normalise(raw);
        assert_eq!(n.text, raw);
        assert_eq!(n.repairs, Repairs::default());
        // One allocation of exactly the input size, never grown.
        assert_eq!(n.text.capacity(), raw.len());
    }

    #[test]
    fn empty_and_blank_text() {
        assert_eq!(normalise("").text, "");
        let n = normalise(" \t\r\n\u{a0} ");
        assert_eq!(n.text, "");
        assert_eq!(n.repairs, Repairs::default());
    }

    #[test]
    fn trimming_the_ends_alone_is_not_a_repair() {
        let n = normalise("  Bonjour, très bien.  \r\n");
        assert_eq!(n.text, "Bonjour, très bien.");
        assert_eq!(n.repairs, Repairs::default());
    }

    #[test]
    fn collapses_spaces() {
        let n = normalise("trop   d'attente  en caisse");
        assert_eq!(n.text, "trop d'attente en caisse");
        assert_eq!(n.repairs, repairs(false, false, true, false));
    }

    #[test]
    fn line_endings_become_newlines() {
        let n = normalise("ligne 1\r\nligne 2\rligne 3\u{2028}ligne 4");
        assert_eq!(n.text, "ligne 1\nligne 2\nligne 3\nligne 4");
        assert!(n.repairs.whitespace);
        assert!(!n.repairs.control_chars);
    }

    #[test]
    fn keeps_single_line_breaks_and_one_blank_line() {
        let n = normalise("Points :\n- accueil\n- attente\n\n\n\nMerci");
        assert_eq!(n.text, "Points :\n- accueil\n- attente\n\nMerci");
        assert!(n.repairs.whitespace);
        let n = normalise("a\n\nb");
        assert_eq!(n.text, "a\n\nb");
        assert!(!n.repairs.whitespace);
    }

    #[test]
    fn trims_spaces_around_each_line() {
        let n = normalise("- accueil   \n   - attente \t\n\t- caisse");
        assert_eq!(n.text, "- accueil\n- attente\n- caisse");
        assert!(n.repairs.whitespace);
    }

    #[test]
    fn no_break_spaces_and_tabs_become_spaces() {
        let n = normalise("Super\u{a0}! Prix\u{202f}: 12\u{202f}000\u{a0}€\tHT");
        assert_eq!(n.text, "Super ! Prix : 12 000 € HT");
        assert_eq!(n.repairs, repairs(false, false, true, false));
    }

    #[test]
    fn drops_control_characters() {
        let n = normalise("fac\u{0}ture\u{7} pay\u{7f}ée\u{9d}");
        assert_eq!(n.text, "facture payée");
        assert_eq!(n.repairs, repairs(false, true, false, false));
    }

    #[test]
    fn drops_zero_width_characters_and_bom() {
        let n = normalise("\u{feff}Bon\u{200b}jour, l\u{200c}a\u{200d}ccueil\u{ad}");
        assert_eq!(n.text, "Bonjour, laccueil");
        assert_eq!(n.repairs, repairs(false, true, false, false));
    }

    #[test]
    fn keeps_joiner_inside_emoji_sequences() {
        for emoji in ["👨\u{200d}👩\u{200d}👧", "🏳\u{fe0f}\u{200d}🌈", "❤\u{fe0f}\u{200d}🔥", "👩🏽\u{200d}💻"]
        {
            let raw = format!("Famille {emoji} ravie");
            let n = normalise(&raw);
            assert_eq!(n.text, raw);
            assert_eq!(n.repairs, Repairs::default(), "{emoji:?}");
        }
        // A joiner after a space or before a letter is not part of an emoji.
        let n = normalise("😀 \u{200d}a");
        assert_eq!(n.text, "😀 a");
        assert!(n.repairs.control_chars);
    }

    #[test]
    fn composes_to_nfc() {
        let n = normalise("cre\u{300}me bru\u{302}le\u{301}e");
        assert_eq!(n.text, "crème brûlée");
        assert_eq!(n.repairs, repairs(false, false, false, true));
    }

    #[test]
    fn composes_after_removing_an_invisible_character() {
        let n = normalise("caf\u{65}\u{200b}\u{301}");
        assert_eq!(n.text, "café");
        assert_eq!(n.repairs, repairs(false, true, false, true));
    }

    #[test]
    fn repairs_mojibake_first() {
        let n = normalise("Lâ€™accueil Ã©tait  trÃ¨s lent\r\n");
        assert_eq!(n.text, "L’accueil était très lent");
        assert_eq!(n.repairs, repairs(true, false, true, false));
        // The lost no-break space of `à` is repaired before spaces are collapsed.
        let n = normalise("Attente Ã  la caisse");
        assert_eq!(n.text, "Attente à la caisse");
        assert_eq!(n.repairs, repairs(true, false, false, false));
        // A mojibake no-break space ends as a plain space.
        let n = normalise("12Â\u{a0}000 â‚¬");
        assert_eq!(n.text, "12 000 €");
        assert_eq!(n.repairs, repairs(true, false, true, false));
    }

    #[test]
    fn repairs_mojibake_split_by_an_invisible_character() {
        let n = normalise("Ã\u{200b}©tÃ\u{200b}©");
        assert_eq!(n.text, "été");
        assert_eq!(n.repairs, repairs(true, true, false, false));
    }

    #[test]
    fn mojibake_bom_is_repaired_then_dropped() {
        let n = normalise("ï»¿Bonjour");
        assert_eq!(n.text, "Bonjour");
        assert!(n.repairs.mojibake && n.repairs.control_chars);
    }

    #[test]
    fn legitimate_text_is_untouched() {
        for raw in [
            "Ça va, déjà vu à Noël : crème brûlée à 4,50 € !",
            "São Paulo, Ñandú, Müller, Straße",
            "“bon” ‘ok’ © ® ° ½ 😀👍🏽",
            "It’s fine.\n- queue\n- staff",
        ] {
            let n = normalise(raw);
            assert_eq!(n.text, raw);
            assert_eq!(n.repairs, Repairs::default(), "{raw:?}");
        }
    }

    #[test]
    fn is_idempotent() {
        for raw in [
            "  a \t b\r\n\r\n\r\n c\u{a0}!  ",
            "Lâ€™accueil\u{200b} Ã  la caisse\u{feff}",
            "e\u{301}te\u{301}\n\n\n\n- x  \n- y",
            "👨\u{200d}👩 \u{200d} ok\u{0}",
        ] {
            let once = normalise(raw);
            let twice = normalise(&once.text);
            assert_eq!(twice.text, once.text, "{raw:?}");
            assert_eq!(twice.repairs, Repairs::default(), "{raw:?}");
        }
    }

    #[test]
    fn is_idempotent_on_generated_input() {
        let mut alphabet: Vec<char> =
            "aé ÃÂâ€™œ\u{9d}ð\u{9f}Ÿ…»’“”\u{fffd}?\n\r\t\u{a0}\u{200d}\u{200b}😀ÏÐ¿¸ï»ß\u{301}".chars().collect();
        alphabet.extend((0x80..=0xFF).filter_map(char::from_u32));
        let mut rng = crate::rng::SplitMix64(0x5EED);
        for _ in 0..20_000 {
            let len = rng.below(16);
            let raw: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            let once = normalise(&raw);
            let twice = normalise(&once.text);
            assert_eq!(twice.text, once.text, "{raw:?}");
            assert_eq!(twice.repairs, Repairs::default(), "{raw:?}");
        }
    }

    #[test]
    fn composition_never_produces_what_cleaning_removes() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if class(c) != Class::Keep {
                continue;
            }
            for composed in std::iter::once(c).nfc() {
                assert_eq!(class(composed), Class::Keep, "{c:?} → {composed:?}");
            }
        }
    }
}
