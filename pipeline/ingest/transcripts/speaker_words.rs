//! The word lists that tell speakers and roles apart, as data: `speaker_words.toml`,
//! embedded in the binary and read once. The file says what each list is for and how its
//! entries are written; the tests check that they are written that way.

use std::sync::LazyLock;

use serde::Deserialize;

/// The lists of `speaker_words.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SpeakerWords {
    /// Default labels of the shopper's side, label-folded.
    pub(super) shopper_labels: Vec<String>,
    /// Default labels of the staff's side, label-folded.
    pub(super) staff_labels: Vec<String>,
    /// Words that stand for an anonymous voice when followed by a number or a letter.
    pub(super) anonymous_words: Vec<String>,
    /// Annotations and non-speech marks, never speakers found by the name rule.
    pub(super) not_speakers: Vec<String>,
    /// Lowercase words allowed inside a capitalised name, as written.
    pub(super) name_particles: Vec<String>,
    /// Greeting formulas that only the answering side says, phrase-folded.
    pub(super) staff_formulas: Vec<String>,
    /// Names of a service, which a caller may also say, phrase-folded.
    pub(super) weak_staff_formulas: Vec<String>,
    /// Openings of the calling side, phrase-folded.
    pub(super) shopper_formulas: Vec<String>,
}

/// The lists, read from the embedded file on first use.
pub(super) fn speaker_words() -> &'static SpeakerWords {
    static WORDS: LazyLock<SpeakerWords> = LazyLock::new(|| {
        toml::from_str(include_str!("speaker_words.toml")).expect("speaker_words.toml is valid (checked by the tests)")
    });
    &WORDS
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::ingest::transcripts::roles::fold_phrase;
    use crate::ingest::transcripts::speakers::fold_label;

    fn lists(w: &SpeakerWords) -> [(&'static str, &[String]); 8] {
        [
            ("shopper_labels", &w.shopper_labels),
            ("staff_labels", &w.staff_labels),
            ("anonymous_words", &w.anonymous_words),
            ("not_speakers", &w.not_speakers),
            ("name_particles", &w.name_particles),
            ("staff_formulas", &w.staff_formulas),
            ("weak_staff_formulas", &w.weak_staff_formulas),
            ("shopper_formulas", &w.shopper_formulas),
        ]
    }

    #[test]
    fn every_list_is_non_empty_and_holds_no_entry_twice() {
        let w = speaker_words();
        for (name, list) in lists(w) {
            assert!(!list.is_empty(), "{name} is empty");
            let mut seen = HashSet::new();
            for e in list {
                assert!(seen.insert(e), "{name}: {e:?} twice");
            }
        }
        let shopper: HashSet<&String> = w.shopper_labels.iter().collect();
        let both: Vec<&String> = w.staff_labels.iter().filter(|l| shopper.contains(l)).collect();
        assert!(both.is_empty(), "labels of both sides: {both:?}");
        let staff: HashSet<&String> = w.staff_formulas.iter().chain(&w.weak_staff_formulas).collect();
        let both: Vec<&String> = w.shopper_formulas.iter().filter(|f| staff.contains(f)).collect();
        assert!(both.is_empty(), "formulas of both sides: {both:?}");
    }

    #[test]
    fn entries_are_written_the_way_they_are_compared() {
        let w = speaker_words();
        // Compared with folded labels (whole, or their first word).
        for (name, list) in [
            ("shopper_labels", &w.shopper_labels),
            ("staff_labels", &w.staff_labels),
            ("anonymous_words", &w.anonymous_words),
            ("not_speakers", &w.not_speakers),
        ] {
            for e in list {
                assert_eq!(&fold_label(e), e, "{name}: {e:?} is not label-folded");
            }
        }
        // Compared with the letters a folded label opens with.
        for e in &w.anonymous_words {
            assert!(e.bytes().all(|b| b.is_ascii_lowercase()), "anonymous_words: {e:?} is not letters a-z");
        }
        // Compared with a label's words as written: one lowercase word each.
        for e in &w.name_particles {
            assert!(!e.is_empty() && !e.contains(char::is_whitespace), "name_particles: {e:?} is not one word");
            assert_eq!(&e.to_lowercase(), e, "name_particles: {e:?} is not lower case");
        }
        // Matched as whole words of a phrase-folded turn.
        for (name, list) in [
            ("staff_formulas", &w.staff_formulas),
            ("weak_staff_formulas", &w.weak_staff_formulas),
            ("shopper_formulas", &w.shopper_formulas),
        ] {
            for e in list {
                assert_eq!(fold_phrase(e), format!(" {e} "), "{name}: {e:?} is not phrase-folded");
            }
        }
    }
}
