//! Normalisation: from the text as read to the text that is segmented, classified and
//! written. Encodings are repaired ([`mojibake`]), the text is cleaned ([`text`]), and
//! the language is detected ([`language`]). Segment offsets point into the normalised
//! text, which is what `comments.parquet` stores. [`fold`] (accents and case) and
//! [`chars`] (emoji classes, the characters around an offset) are shared with the stages
//! after it.

pub mod chars;
pub mod fold;
pub mod language;
pub mod mojibake;
pub mod text;

pub use text::{is_blank, normalise, Normalised, Repairs};

use crate::redact::{RedactionCounts, Redactor};

/// What every text goes through before it is segmented and classified, in a run, in
/// training and in evaluation alike: normalisation, then redaction of personal data
/// when a redactor is given, so offsets point into the text that is written and a model
/// is trained and scored on the text a run shows it.
pub fn clean_text(raw: &str, redactor: Option<&Redactor>) -> (Normalised, RedactionCounts) {
    let mut normalised = normalise(raw);
    let mut counts = RedactionCounts::default();
    if let Some(r) = redactor {
        let (text, c) = r.redact(&normalised.text);
        normalised.text = text;
        counts = c;
    }
    (normalised, counts)
}
