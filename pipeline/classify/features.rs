//! Hashed word and character n-gram features: what the linear model sees of a segment.
//!
//! Text is folded (lower case, accents removed, digits turned to `0`, curly apostrophes
//! straightened) so that "Très", "tres" and "TRES" are one feature and "12,90 €" and
//! "24,50 €" share a shape. Each feature is hashed into `2^bits` buckets with FNV-1a,
//! a hash fixed by this file and not by the standard library, so model files stay valid
//! across Rust versions and platforms.
//!
//! Every feature remembers the *term* it came from (a word, or a pair of words for a
//! bigram): character n-grams count towards the word they were cut from. The evidence of
//! a prediction is reported per term, which a person can read, rather than per n-gram.

use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Which n-grams to extract and how many hash buckets to use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// `2^bits` hash buckets.
    pub bits: u32,
    /// Word n-grams from 1 to `word_ngrams` (1 = unigrams, 2 = with bigrams).
    pub word_ngrams: u32,
    /// Smallest character n-gram, cut from each word padded as `<word>`; 0 disables them.
    pub char_min: u32,
    /// Largest character n-gram.
    pub char_max: u32,
    /// Value of a character n-gram feature relative to a word feature (1.0). A word
    /// yields many n-grams, so without a lower weight they drown the words and bigrams.
    pub char_weight: f32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig { bits: 20, word_ngrams: 2, char_min: 3, char_max: 5, char_weight: 0.1 }
    }
}

/// The features of one text: bucket indices, their values, and the term each one came
/// from. Values are 1 for words and word pairs and `char_weight` for character n-grams,
/// then scaled so that the vector has unit length: a long segment does not score higher
/// just for being long.
#[derive(Debug, Default, Clone)]
pub struct Features {
    pub buckets: Vec<u32>,
    pub values: Vec<f32>,
    /// For each bucket above, an index into `terms` (`u32::MAX` for the constant feature).
    pub term_of: Vec<u32>,
    pub terms: Vec<String>,
}

/// Lower-cases, strips accents, maps digits to `0` and apostrophes to `'`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            '0'..='9' => out.push('0'),
            '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => out.push('\''),
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Splits folded text into tokens: runs of letters and digits (an apostrophe ends a token
/// and is kept on it, so `l'appli` gives `l'` and `appli`), and single symbols that carry
/// tone or meaning (`!`, `?`, `€`, `$`, `%`, emoji).
pub fn tokens(folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in folded.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            if c == '\'' {
                out.push(&folded[s..i + 1]);
                continue;
            }
            out.push(&folded[s..i]);
        }
        if is_signal_symbol(c) {
            out.push(&folded[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        out.push(&folded[s..]);
    }
    out
}

fn is_signal_symbol(c: char) -> bool {
    matches!(c, '!' | '?' | '€' | '$' | '£' | '%' | '…' | '+')
        || (c as u32 >= 0x1F300 && c as u32 <= 0x1FAFF)
        || (c as u32 >= 0x2600 && c as u32 <= 0x27BF)
}

/// FNV-1a over a namespace byte and the feature's bytes.
fn hash(namespace: u8, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(namespace);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            eat(b' ');
        }
        for &b in p.as_bytes() {
            eat(b);
        }
    }
    h
}

/// Extracts the hashed features of a (normalised) text.
pub fn extract(text: &str, cfg: &FeatureConfig) -> Features {
    let folded = fold(text);
    let toks = tokens(&folded);
    let mask = (1u64 << cfg.bits) - 1;
    let mut f = Features::default();
    f.buckets.push((hash(b'B', &[]) & mask) as u32); // bias-like feature present in every text
    f.values.push(1.0);
    f.term_of.push(u32::MAX);
    let mut grams = String::new();
    for (ti, tok) in toks.iter().enumerate() {
        let term = ti as u32;
        f.terms.push((*tok).to_string());
        f.buckets.push((hash(b'W', &[tok]) & mask) as u32);
        f.values.push(1.0);
        f.term_of.push(term);
        if cfg.char_min > 0 && tok.chars().next().is_some_and(char::is_alphanumeric) {
            grams.clear();
            grams.push('<');
            grams.push_str(tok);
            grams.push('>');
            let idx: Vec<usize> = grams.char_indices().map(|(i, _)| i).chain(std::iter::once(grams.len())).collect();
            let nchars = idx.len() - 1;
            for n in cfg.char_min as usize..=cfg.char_max as usize {
                if n > nchars || (n == nchars && nchars <= 3) {
                    break;
                }
                for s in 0..=nchars - n {
                    let g = &grams[idx[s]..idx[s + n]];
                    f.buckets.push((hash(b'C', &[g]) & mask) as u32);
                    f.values.push(cfg.char_weight);
                    f.term_of.push(term);
                }
            }
        }
    }
    if cfg.word_ngrams >= 2 {
        for w in 0..toks.len().saturating_sub(1) {
            let term = f.terms.len() as u32;
            f.terms.push(format!("{} {}", toks[w], toks[w + 1]));
            f.buckets.push((hash(b'G', &[toks[w], toks[w + 1]]) & mask) as u32);
            f.values.push(1.0);
            f.term_of.push(term);
        }
    }
    let norm = f.values.iter().map(|v| v * v).sum::<f32>().sqrt();
    for v in &mut f.values {
        *v /= norm;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_accents_case_and_digits() {
        assert_eq!(fold("Très ÉTÉ 12,90 €"), "tres ete 00,00 €");
        assert_eq!(fold("L’appli"), "l'appli");
        assert_eq!(fold("cœur"), "coeur");
    }

    #[test]
    fn tokens_keep_elision_and_signal_symbols() {
        let f = fold("L'appli plante!!! 😡 prix 19,99€");
        assert_eq!(tokens(&f), vec!["l'", "appli", "plante", "!", "!", "!", "😡", "prix", "00", "00", "€"]);
    }

    #[test]
    fn accents_and_case_do_not_change_features() {
        let cfg = FeatureConfig::default();
        let a = extract("Très longue attente en caisse", &cfg);
        let b = extract("tres LONGUE attente en caisse", &cfg);
        assert_eq!(a.buckets, b.buckets);
    }

    #[test]
    fn every_feature_maps_to_a_term_and_stays_in_range() {
        let cfg = FeatureConfig { bits: 12, ..FeatureConfig::default() };
        let f = extract("Le livreur a laissé le colis devant la porte.", &cfg);
        assert_eq!(f.buckets.len(), f.term_of.len());
        assert_eq!(f.buckets.len(), f.values.len());
        let norm: f32 = f.values.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(f.buckets.iter().all(|&b| b < 1 << 12));
        assert!(f.term_of[1..].iter().all(|&t| (t as usize) < f.terms.len()));
        assert!(f.terms.contains(&"livreur".to_string()));
        assert!(f.terms.contains(&"le colis".to_string()));
    }

    #[test]
    fn hashing_is_stable() {
        // Model files depend on these exact values (FNV-1a 64 of namespace + text): a change
        // here invalidates every saved model.
        assert_eq!(hash(b'W', &["caisse"]), 0x9720_1c79_6460_b736);
        assert_eq!(hash(b'G', &["le", "colis"]), 0x353e_ef8f_b342_5fe7);
    }
}
