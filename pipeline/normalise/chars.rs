//! Character classes and look-ups around a byte offset that cleaning, mojibake repair and
//! segmentation share, so that "an emoji" means the same to each of them.
//!
//! Two emoji classes, on purpose: [`is_pictographic`] is broad and only decides whether a
//! zero-width joiner sits inside an emoji sequence (a joiner kept between two symbols is
//! harmless), while [`is_emoji`] decides where a segment ends, so in the blocks that mix
//! emoji with symbols of running text (`⌀ 30 cm`, `⏎`, arrows) it takes only the emoji.
//! Neither contains the other: the four emoji of the CJK blocks (`〰 〽 ㊗ ㊙`) are
//! [`is_emoji`] only, so a joiner next to one of them is removed in cleaning.

/// Emoji-like characters: Miscellaneous Technical (U+2300–U+23FF), Miscellaneous Symbols
/// and Dingbats (U+2600–U+27BF), Miscellaneous Symbols and Arrows (U+2B00–U+2BFF), the
/// emoji variation selector U+FE0F, and the pictograph planes U+1F000–U+1FAFF (mahjong and
/// playing cards, enclosed characters, emoticons, transport, supplemental symbols).
/// What a zero-width joiner may stand between when it is kept (in text cleaning) or
/// restored (in mojibake repair); VS16 counts because a joiner often follows one
/// (`❤️‍🔥` is `❤ U+FE0F U+200D 🔥`).
pub fn is_pictographic(c: char) -> bool {
    matches!(u32::from(c), 0x2300..=0x23FF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x1F000..=0x1FAFF)
}

/// Characters that start an emoji in segmentation: the pictograph planes
/// U+1F000–U+1FAFF, Miscellaneous Symbols and Dingbats (U+2600–U+27BF), and only the
/// emoji of the technical, arrow and CJK blocks (`⌚ ⌛ ⌨ ⏏ ⏩–⏳ ⏸–⏺ ⬅–⬇ ⬛ ⬜ ⭐ ⭕ 〰 〽 ㊗ ㊙`),
/// not the rest of those blocks. Narrower than [`is_pictographic`]; the variation
/// selector is an [`is_emoji_component`].
pub fn is_emoji(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1F000..=0x1FAFF
            | 0x2600..=0x27BF
            | 0x2B05..=0x2B07
            | 0x2B1B
            | 0x2B1C
            | 0x2B50
            | 0x2B55
            | 0x231A
            | 0x231B
            | 0x2328
            | 0x23CF
            | 0x23E9..=0x23F3
            | 0x23F8..=0x23FA
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
    )
}

/// Characters that continue an emoji: the zero-width joiner U+200D, the variation
/// selectors U+FE0E and U+FE0F, the keycap U+20E3, and the tags U+E0020–U+E007F of flag
/// sequences. Skin tones (U+1F3FB–U+1F3FF) are in [`is_emoji`]'s range already.
pub fn is_emoji_component(c: char) -> bool {
    matches!(u32::from(c), 0x200D | 0xFE0E | 0xFE0F | 0x20E3 | 0xE0020..=0xE007F)
}

/// The character that ends just before byte `i` of `text` (a char boundary), if any.
pub fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

/// The character that starts at byte `i` of `text` (a char boundary), if any.
pub fn char_after(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_classes() {
        for c in ['😀', '👍', '🏽', '❤', '✅', '⭐', '⌚'] {
            assert!(is_emoji(c) && is_pictographic(c), "{c:?}");
        }
        // The emoji of the CJK blocks start an emoji but are no place for a joiner.
        for c in ['〰', '〽', '㊗', '㊙'] {
            assert!(is_emoji(c) && !is_pictographic(c), "{c:?}");
        }
        // Symbols of running text: pictographic for a joiner, not the start of an emoji.
        for c in ['⌀', '⏎', '⬌', '⮕'] {
            assert!(is_pictographic(c) && !is_emoji(c), "{c:?}");
        }
        for c in ['a', 'é', '€', '→', '•', '\u{200D}'] {
            assert!(!is_emoji(c) && !is_pictographic(c), "{c:?}");
        }
        for c in ['\u{200D}', '\u{FE0F}', '\u{20E3}', '\u{E0067}'] {
            assert!(is_emoji_component(c) && !is_emoji(c), "{c:?}");
        }
    }

    #[test]
    fn chars_around_an_offset() {
        let t = "é😀a";
        assert_eq!((char_before(t, 0), char_after(t, 0)), (None, Some('é')));
        assert_eq!((char_before(t, 2), char_after(t, 2)), (Some('é'), Some('😀')));
        assert_eq!((char_before(t, 7), char_after(t, 7)), (Some('a'), None));
    }
}
