//! Language of a comment: `fr`, `en` or `other`, detected with `whatlang` (trigram
//! profiles). Detection runs over a handful of European languages so that a Spanish or
//! German comment reads `other` rather than being forced into French or English; when
//! the detector is unsure and its best guess is neither French nor English (short texts,
//! mixed French/English), the better of French and English is taken, since that is what
//! the comments of this domain almost always are.

use whatlang::{Detector, Lang};

/// A language decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    French,
    English,
    Other,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::French => "fr",
            Language::English => "en",
            Language::Other => "other",
        }
    }

    /// Maps an ISO 639-1 (or 639-3) code given by an input.
    pub fn from_code(code: &str) -> Option<Language> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" | "fra" | "fre" | "french" | "français" | "francais" => Some(Language::French),
            "en" | "eng" | "english" | "anglais" => Some(Language::English),
            "" => None,
            c if c.len() <= 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => Some(Language::Other),
            _ => None,
        }
    }
}

/// Detects languages; build once, share across threads.
pub struct LanguageDetector {
    wide: Detector,
    fr_en: Detector,
}

impl Default for LanguageDetector {
    fn default() -> Self {
        LanguageDetector {
            wide: Detector::with_allowlist(vec![
                Lang::Fra,
                Lang::Eng,
                Lang::Spa,
                Lang::Deu,
                Lang::Ita,
                Lang::Por,
                Lang::Nld,
            ]),
            fr_en: Detector::with_allowlist(vec![Lang::Fra, Lang::Eng]),
        }
    }
}

impl LanguageDetector {
    /// The language of a text; `Other` when it has no letters.
    pub fn detect(&self, text: &str) -> Language {
        let to_ours = |l: Lang| match l {
            Lang::Fra => Language::French,
            Lang::Eng => Language::English,
            _ => Language::Other,
        };
        match self.wide.detect(text) {
            Some(info) if info.is_reliable() || matches!(info.lang(), Lang::Fra | Lang::Eng) => to_ours(info.lang()),
            _ => self.fr_en.detect_lang(text).map(to_ours).unwrap_or(Language::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_english_and_others() {
        let d = LanguageDetector::default();
        assert_eq!(
            d.detect("Le vendeur était très aimable mais la file d'attente était interminable."),
            Language::French
        );
        assert_eq!(d.detect("The staff were friendly but the queue at the till was endless."), Language::English);
        assert_eq!(
            d.detect("El personal fue muy amable pero la cola en la caja era interminable y nadie ayudaba."),
            Language::Other
        );
        assert_eq!(
            d.detect("Die Mitarbeiter waren freundlich, aber die Warteschlange an der Kasse war sehr lang."),
            Language::Other
        );
        assert_eq!(d.detect("12 45 !!!"), Language::Other);
    }

    #[test]
    fn short_texts_fall_back_to_french_or_english() {
        let d = LanguageDetector::default();
        assert_eq!(d.detect("Accueil nul"), Language::French);
        assert_eq!(d.detect("Great service"), Language::English);
    }

    #[test]
    fn codes_from_inputs() {
        assert_eq!(Language::from_code("FR"), Some(Language::French));
        assert_eq!(Language::from_code("eng"), Some(Language::English));
        assert_eq!(Language::from_code("de"), Some(Language::Other));
        assert_eq!(Language::from_code("??"), None);
    }
}
