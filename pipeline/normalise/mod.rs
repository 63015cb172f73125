//! Normalisation: from the text as read to the text that is segmented, classified and
//! written. Encodings are repaired ([`mojibake`]), the text is cleaned ([`text`]), and
//! the language is detected ([`language`]). Segment offsets point into the normalised
//! text, which is what `comments.parquet` stores.

pub mod language;
pub mod mojibake;
pub mod text;

pub use text::{normalise, Normalised, Repairs};
