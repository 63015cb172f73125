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
//! a prediction is reported per term, which a person can read, rather than per n-gram,
//! and as the text writes it: each term keeps its place in the folded text, and a
//! [`SourceMap`] leads from there back to the text.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde::{Deserialize, Serialize};

use super::SegmentInput;
use crate::normalise::fold::fold_char;
use crate::redact::PiiKind;

/// Which n-grams to extract and how many hash buckets to use. Fields added after the
/// first model format default to "off", so an older model reads its features unchanged.
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
    /// Value of the words (and entity kinds) of the previous segment, relative to a word
    /// of the segment; 0 reads each segment alone. Context features have their own
    /// hash namespace, so "appli" before and "appli" in the segment are two features.
    #[serde(default)]
    pub context_weight: f32,
    /// A feature for the speaker's role (`shopper`, `staff`) of a transcript turn.
    #[serde(default)]
    pub speaker: bool,
    /// Letters repeated three times or more count once ("trèèès" reads as "tres").
    #[serde(default)]
    pub fold_elongations: bool,
    /// A hashtag is read as its words ("#ServiceClientNul" as "service client nul").
    #[serde(default)]
    pub split_hashtags: bool,
}

impl Default for FeatureConfig {
    /// The configuration `irritant train` uses: context and the speaker's role improved
    /// the dev split; folding elongations and splitting hashtags changed nothing there
    /// (the dev split holds few of either), so they stay off (README, "Models").
    fn default() -> Self {
        FeatureConfig {
            bits: 20,
            word_ngrams: 2,
            char_min: 3,
            char_max: 5,
            char_weight: 0.1,
            context_weight: 0.3,
            speaker: true,
            fold_elongations: false,
            split_hashtags: false,
        }
    }
}

/// Names the model should know as kinds of actor or device: each alias (folded, as
/// tokens) with the entity kind (`carrier`, `in_store_device`, ...) and the aspect it
/// suggests. A name in the list fires a feature for its kind and one for its aspect, so
/// a carrier never seen in training still counts as a carrier. Stored in the model file,
/// so a model reads the names it was trained with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lexicon {
    pub entities: Vec<LexiconEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LexiconEntry {
    /// Folded alias, e.g. `chrono post`.
    pub alias: String,
    pub kind: String,
    pub aspect: String,
}

/// The project's entity list, `data/entities.tsv`, compiled into the binary.
pub const ENTITIES_TSV: &str = include_str!("../../data/entities.tsv");

impl Lexicon {
    /// Reads an entity list with the columns of `data/entities.tsv` (name, aliases
    /// separated by `|`, kind, markets, aspect); `source` names it in errors.
    pub fn from_entities_tsv(text: &str, source: &str) -> anyhow::Result<Self> {
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, h)| h).unwrap_or_default();
        anyhow::ensure!(
            header.split('\t').collect::<Vec<_>>() == ["name", "aliases", "kind", "markets", "aspect"],
            "{source}: line 1 must be the header name, aliases, kind, markets, aspect"
        );
        let mut entities = Vec::new();
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            anyhow::ensure!(cols.len() == 5, "{source}: line {}: {} columns, expected 5", i + 1, cols.len());
            anyhow::ensure!(
                crate::taxonomy::aspect_index(cols[4]).is_some(),
                "{source}: line {}: unknown aspect {:?}",
                i + 1,
                cols[4]
            );
            for name in std::iter::once(cols[0]).chain(cols[1].split('|')).filter(|n| !n.trim().is_empty()) {
                let alias = tokens(&fold(name)).join(" ");
                if !alias.is_empty() && !entities.iter().any(|e: &LexiconEntry| e.alias == alias) {
                    entities.push(LexiconEntry { alias, kind: cols[2].to_string(), aspect: cols[4].to_string() });
                }
            }
        }
        Ok(Lexicon { entities })
    }

    /// The project's own list.
    pub fn project() -> Self {
        Self::from_entities_tsv(ENTITIES_TSV, "data/entities.tsv").expect("data/entities.tsv is valid (tested)")
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
    /// Terms as features read them (folded).
    pub terms: Vec<String>,
    /// For each term, its byte range in the prepared text, from its first token's start
    /// to its last token's end: with the text's [`SourceMap`], how the segment writes it
    /// ([`written`]).
    pub spans: Vec<(u32, u32)>,
}

/// Lower-cases, strips accents, maps digits to `0` and apostrophes to `'`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(c, &mut out);
    }
    out
}

/// Appends the folded form of one character ([`crate::normalise::fold::fold_char`]: the
/// accents of a text in NFD fall away the same way, as marks of their own), with the
/// digits, apostrophes and ligatures of the features mapped.
fn push_folded(c: char, out: &mut String) {
    fold_char(c, |c| match c {
        '0'..='9' => out.push('0'),
        '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => out.push('\''),
        'œ' => out.push_str("oe"),
        'æ' => out.push_str("ae"),
        _ => out.push(c),
    });
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

/// For each byte of a prepared text ([`Extractor::prepare`]), the byte range of the
/// original text it comes from: the character it was folded from, the whole run for a
/// folded elongation, the whole placeholder for the space that replaces one.
pub type SourceMap = Vec<(u32, u32)>;

/// Text made ready for tokens: the placeholders of redaction removed (they stand for
/// personal data, not for words: `[PHONE]` must not read as the word "phone"),
/// hashtags split into words when asked, then folded, and elongations folded when asked.
/// With `source`, also where each byte of the result comes from; the text is the same
/// either way.
fn prepare(text: &str, cfg: &FeatureConfig, mut source: Option<&mut SourceMap>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut emit = |c: char, from: usize, to: usize, out: &mut String| {
        push_folded(c, out);
        if let Some(map) = source.as_deref_mut() {
            map.resize(out.len(), (from as u32, to as u32));
        }
    };
    let mut hashtags = Hashtags::default();
    let mut skip_to = 0;
    for (i, c) in text.char_indices() {
        if i < skip_to {
            continue;
        }
        let placeholder = match c {
            '[' => PiiKind::ALL.iter().map(|k| k.placeholder()).find(|p| text[i..].starts_with(p)),
            _ => None,
        };
        let (c, to) = match placeholder {
            Some(p) => (' ', i + p.len()),
            None => (c, i + c.len_utf8()),
        };
        skip_to = to;
        if cfg.split_hashtags {
            hashtags.feed(c, |c, inserted| emit(c, i, if inserted { i } else { to }, &mut out));
        } else {
            emit(c, i, to, &mut out);
        }
    }
    if cfg.fold_elongations {
        fold_elongations(&out, source)
    } else {
        out
    }
}

/// Reads a hashtag as its words: `#ServiceClientNul` becomes ` Service Client Nul`, the
/// `#` and each `_` turned to a space and a space put before each capital that follows a
/// lower-case letter.
#[derive(Default)]
struct Hashtags {
    in_tag: bool,
    prev_lower: bool,
}

impl Hashtags {
    /// Passes `c` on to `emit`, with a space inserted before it where a word starts
    /// (`emit(' ', true)`).
    fn feed(&mut self, c: char, mut emit: impl FnMut(char, bool)) {
        if c == '#' {
            self.in_tag = true;
            self.prev_lower = false;
            return emit(' ', false);
        }
        if self.in_tag {
            if c == '_' {
                self.prev_lower = false;
                return emit(' ', false);
            }
            if !c.is_alphanumeric() {
                self.in_tag = false;
            } else if c.is_uppercase() && self.prev_lower {
                emit(' ', true);
            }
            self.prev_lower = c.is_lowercase();
        }
        emit(c, false)
    }
}

/// Runs of three or more of the same letter become one: "treees", "nuuul" read as "tres",
/// "nul". (Two stay two: "cool", "appli".) With `source` (where each byte of `folded`
/// comes from), it is rewritten for the result: a run's letter comes from the whole run.
fn fold_elongations(folded: &str, source: Option<&mut SourceMap>) -> String {
    let chars: Vec<(usize, char)> = folded.char_indices().collect();
    let mut out = String::with_capacity(folded.len());
    let mut map = SourceMap::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let mut j = i + 1;
        while j < chars.len() && chars[j].1 == c {
            j += 1;
        }
        let collapse = c.is_alphabetic() && j - i >= 3;
        for k in i..if collapse { i + 1 } else { j } {
            out.push(c);
            if let Some(src) = source.as_deref() {
                let from = src[chars[k].0];
                let to = if collapse { src[chars[j - 1].0] } else { from };
                map.resize(out.len(), (from.0, to.1));
            }
        }
        i = j;
    }
    if let Some(src) = source {
        *src = map;
    }
    out
}

/// How `text` writes the part of its prepared form at `span` (a byte range of the
/// prepared text, `source` its [`SourceMap`]): from the start of what its first byte
/// comes from to the end of what its last byte comes from.
pub fn written<'t>(text: &'t str, source: &[(u32, u32)], span: (u32, u32)) -> &'t str {
    let (a, b) = (span.0 as usize, span.1 as usize);
    match (source.get(a), b.checked_sub(1).and_then(|e| source.get(e))) {
        (Some(&(from, _)), Some(&(_, to))) if a < b && from < to => &text[from as usize..to as usize],
        _ => "",
    }
}

/// A hasher for keys that are already FNV-1a hashes: it passes them through.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FnvKey(u64);

impl std::hash::Hasher for FnvKey {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Aliases by the hash of their first token: each alias's tokens and its lexicon entry.
type AliasIndex = HashMap<u64, Vec<(Vec<String>, usize)>, BuildHasherDefault<FnvKey>>;

/// Turns segments into features, with a model's configuration and names compiled once.
#[derive(Debug, Clone)]
pub struct Extractor {
    cfg: FeatureConfig,
    mask: u64,
    entities: AliasIndex,
    lexicon: Lexicon,
}

/// Builds the feature list of one segment.
struct Builder<'a> {
    x: &'a Extractor,
    f: Features,
}

impl Builder<'_> {
    fn push(&mut self, namespace: u8, parts: &[&str], value: f32, term: u32) {
        self.f.buckets.push((hash(namespace, parts) & self.x.mask) as u32);
        self.f.values.push(value);
        self.f.term_of.push(term);
    }

    fn term(&mut self, t: String, span: (u32, u32)) -> u32 {
        self.f.terms.push(t);
        self.f.spans.push(span);
        (self.f.terms.len() - 1) as u32
    }
}

impl Extractor {
    pub fn new(cfg: &FeatureConfig, lexicon: &Lexicon) -> Self {
        let mut entities = AliasIndex::default();
        for (i, e) in lexicon.entities.iter().enumerate() {
            let toks: Vec<String> = e.alias.split(' ').map(str::to_string).collect();
            entities.entry(hash(b'W', &[&toks[0]])).or_default().push((toks, i));
        }
        // Longest alias first, so "borne de commande" wins over "borne".
        for list in entities.values_mut() {
            list.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        }
        Extractor { cfg: *cfg, mask: (1u64 << cfg.bits) - 1, entities, lexicon: lexicon.clone() }
    }

    /// The entities named in `toks`: (first token, token count, entry), left to right,
    /// longest alias first, never overlapping.
    fn entities_in(&self, toks: &[&str]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        if self.entities.is_empty() {
            return out;
        }
        let mut i = 0;
        while i < toks.len() {
            let hit = self.entities.get(&hash(b'W', &[toks[i]])).and_then(|list| {
                list.iter().find(|(alias, _)| {
                    alias.len() <= toks.len() - i && alias.iter().zip(&toks[i..]).all(|(a, b)| a == b)
                })
            });
            match hit {
                Some((alias, e)) => {
                    out.push((i, alias.len(), *e));
                    i += alias.len();
                }
                None => i += 1,
            }
        }
        out
    }

    /// Extracts the hashed features of a (normalised) segment and its context.
    pub fn extract(&self, input: &SegmentInput) -> Features {
        let text = self.prepare(input.text);
        let previous = input.previous.filter(|_| self.cfg.context_weight > 0.0).map(|p| self.prepare(p));
        self.extract_prepared(input, &text, previous.as_deref())
    }

    /// A text as features read it (placeholders removed, folded); see [`Self::extract_prepared`].
    pub fn prepare(&self, text: &str) -> String {
        prepare(text, &self.cfg, None)
    }

    /// Where each byte of `text` prepared by [`Self::prepare`] comes from in `text`.
    pub fn source_map(&self, text: &str) -> SourceMap {
        let mut source = SourceMap::with_capacity(text.len());
        prepare(text, &self.cfg, Some(&mut source));
        source
    }

    /// [`Self::extract`] from texts already prepared by [`Self::prepare`]: `text` for
    /// `input.text` and `previous` for `input.previous`, so a caller reading segments in
    /// order prepares each text once, as a segment and then as the next one's context.
    pub fn extract_prepared(&self, input: &SegmentInput, text: &str, previous: Option<&str>) -> Features {
        let cfg = &self.cfg;
        let toks = tokens(text);
        // Each token's byte range in `text`, of which it is a slice.
        let at = |t: &str| (t.as_ptr() as usize - text.as_ptr() as usize) as u32;
        let span = |from: usize, to: usize| (at(toks[from]), at(toks[to]) + toks[to].len() as u32);
        let mut b = Builder { x: self, f: Features::default() };
        b.push(b'B', &[], 1.0, u32::MAX); // bias-like feature present in every text
        let mut grams = String::new();
        for (ti, tok) in toks.iter().enumerate() {
            let term = b.term((*tok).to_string(), span(ti, ti));
            debug_assert_eq!(term as usize, ti);
            b.push(b'W', &[tok], 1.0, term);
            if cfg.char_min > 0 && tok.chars().next().is_some_and(char::is_alphanumeric) {
                grams.clear();
                grams.push('<');
                grams.push_str(tok);
                grams.push('>');
                let idx: Vec<usize> =
                    grams.char_indices().map(|(i, _)| i).chain(std::iter::once(grams.len())).collect();
                let nchars = idx.len() - 1;
                for n in cfg.char_min as usize..=cfg.char_max as usize {
                    if n > nchars || (n == nchars && nchars <= 3) {
                        break;
                    }
                    for s in 0..=nchars - n {
                        b.push(b'C', &[&grams[idx[s]..idx[s + n]]], cfg.char_weight, term);
                    }
                }
            }
        }
        if cfg.word_ngrams >= 2 {
            for w in 0..toks.len().saturating_sub(1) {
                let term = b.term(format!("{} {}", toks[w], toks[w + 1]), span(w, w + 1));
                b.push(b'G', &[toks[w], toks[w + 1]], 1.0, term);
            }
        }
        for (start, len, e) in self.entities_in(&toks) {
            let entry = &self.lexicon.entities[e];
            let term = if len == 1 {
                start as u32
            } else {
                b.term(toks[start..start + len].join(" "), span(start, start + len - 1))
            };
            b.push(b'E', &["kind", &entry.kind], 1.0, term);
            b.push(b'E', &["aspect", &entry.aspect], 1.0, term);
        }
        if cfg.speaker {
            if let Some(role) = input.speaker {
                b.push(b'R', &[role], 1.0, u32::MAX);
            }
        }
        if cfg.context_weight > 0.0 {
            if let Some(prepared) = previous {
                let ptoks = tokens(prepared);
                // Context features explain no term of the segment: they are left out of
                // the evidence (`u32::MAX`), which names what the segment itself says.
                let mut seen: Vec<&str> = Vec::with_capacity(ptoks.len());
                for tok in &ptoks {
                    if seen.contains(tok) {
                        continue;
                    }
                    seen.push(tok);
                    b.push(b'P', &[tok], cfg.context_weight, u32::MAX);
                }
                for (_, _, e) in self.entities_in(&ptoks) {
                    let entry = &self.lexicon.entities[e];
                    b.push(b'Q', &["kind", &entry.kind], cfg.context_weight, u32::MAX);
                    b.push(b'Q', &["aspect", &entry.aspect], cfg.context_weight, u32::MAX);
                }
            }
        }
        let mut f = b.f;
        let norm = f.values.iter().map(|v| v * v).sum::<f32>().sqrt();
        for v in &mut f.values {
            *v /= norm;
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract(text: &str, cfg: &FeatureConfig) -> Features {
        Extractor::new(cfg, &Lexicon::default()).extract(&SegmentInput::alone(text))
    }

    fn words(f: &Features) -> Vec<&str> {
        f.terms.iter().map(String::as_str).filter(|t| !t.contains(' ')).collect()
    }

    #[test]
    fn placeholders_are_not_words() {
        let cfg = FeatureConfig::default();
        let f = extract("Merci de me rappeler au [PHONE] ou par [EMAIL].", &cfg);
        assert_eq!(words(&f), vec!["merci", "de", "me", "rappeler", "au", "ou", "par"]);
        let plain = extract("Merci de me rappeler au ou par .", &cfg);
        assert_eq!(f.buckets, plain.buckets, "a placeholder adds no feature");
    }

    #[test]
    fn hashtags_and_elongations_fold_when_asked() {
        let on = FeatureConfig { split_hashtags: true, fold_elongations: true, ..FeatureConfig::default() };
        assert_eq!(
            words(&extract("#ServiceClientNul trèèès lent", &on)),
            vec!["service", "client", "nul", "tres", "lent"]
        );
        assert_eq!(words(&extract("cool appli", &on)), vec!["cool", "appli"]);
        let off = FeatureConfig { split_hashtags: false, fold_elongations: false, ..on };
        assert_eq!(words(&extract("#ServiceClientNul trèèès", &off)), vec!["serviceclientnul", "treees"]);
    }

    #[test]
    fn a_listed_name_fires_its_kind_and_aspect() {
        let cfg = FeatureConfig::default();
        let lexicon = Lexicon::from_entities_tsv(
            "name\taliases\tkind\tmarkets\taspect\nZorbex Express\tzorbex\tcarrier\tFR\tthird_party.delivery\n",
            "test",
        )
        .unwrap();
        let x = Extractor::new(&cfg, &lexicon);
        let named = x.extract(&SegmentInput::alone("colis perdu par Zorbex Express"));
        let other = x.extract(&SegmentInput::alone("colis perdu par Qwilo Express"));
        let kind = (hash(b'E', &["kind", "carrier"]) & ((1 << cfg.bits) - 1)) as u32;
        let k = named.buckets.iter().position(|b| *b == kind).expect("the carrier feature fires");
        assert_eq!(named.terms[named.term_of[k] as usize], "zorbex express");
        assert!(!other.buckets.contains(&kind));
        let alias = x.extract(&SegmentInput::alone("ZORBEX a perdu mon colis"));
        assert!(alias.buckets.contains(&kind), "aliases count too");
    }

    #[test]
    fn context_words_are_their_own_features_and_weigh_less() {
        let cfg = FeatureConfig::default();
        let x = Extractor::new(&cfg, &Lexicon::default());
        let alone = x.extract(&SegmentInput::alone("elle plante"));
        let with = x.extract(&SegmentInput {
            previous: Some("J'ai téléchargé l'appli."),
            ..SegmentInput::alone("elle plante")
        });
        assert_eq!(with.terms, alone.terms, "context words are not terms of the segment");
        let appli = (hash(b'P', &["appli"]) & ((1 << cfg.bits) - 1)) as u32;
        let k = with.buckets.iter().position(|b| *b == appli).expect("the context word is a feature");
        assert!(!alone.buckets.contains(&appli));
        let word = with
            .term_of
            .iter()
            .position(|t| with.terms.get(*t as usize).map(String::as_str) == Some("plante"))
            .unwrap();
        assert!(with.values[k] < with.values[word]);
        let none = Extractor::new(&FeatureConfig { context_weight: 0.0, ..cfg }, &Lexicon::default());
        let ignored = none.extract(&SegmentInput {
            previous: Some("J'ai téléchargé l'appli."),
            ..SegmentInput::alone("elle plante")
        });
        assert_eq!(ignored.buckets.len(), none.extract(&SegmentInput::alone("elle plante")).buckets.len());
    }

    /// Each token of `text` as the text writes it.
    fn written_tokens<'t>(x: &Extractor, text: &'t str) -> Vec<&'t str> {
        let f = x.extract(&SegmentInput::alone(text));
        let source = x.source_map(text);
        let prepared = x.prepare(text);
        assert_eq!(source.len(), prepared.len(), "one source range per byte of {prepared:?}");
        let n = tokens(&prepared).len();
        f.spans[..n].iter().map(|&span| written(text, &source, span)).collect()
    }

    #[test]
    fn terms_map_back_to_their_spelling_in_the_text() {
        let cfg = FeatureConfig::default();
        let x = Extractor::new(&cfg, &Lexicon::default());
        let text = "Très LONGUE attente… L’appli a planté, cœur brisé : réponse en 12 jours !!!";
        assert_eq!(
            written_tokens(&x, text),
            vec![
                "Très", "LONGUE", "attente", "…", "L’", "appli", "a", "planté", "cœur", "brisé", "réponse", "en", "12",
                "jours", "!", "!", "!"
            ]
        );
        // A pair runs from its first word to its second, as written between them.
        let f = x.extract(&SegmentInput::alone(text));
        let source = x.source_map(text);
        let pair = f.terms.iter().position(|t| t == "a plante").unwrap();
        assert_eq!(written(text, &source, f.spans[pair]), "a planté");
        let pair = f.terms.iter().position(|t| t == "plante coeur").unwrap();
        assert_eq!(written(text, &source, f.spans[pair]), "planté, cœur");
        // Placeholders are no part of any word.
        let text = "Rappelez-moi au [PHONE] svp";
        assert_eq!(written_tokens(&x, text), vec!["Rappelez", "moi", "au", "svp"]);
        // Hashtags and elongations, when folded, keep their spelling too.
        let on =
            Extractor::new(&FeatureConfig { split_hashtags: true, fold_elongations: true, ..cfg }, &Lexicon::default());
        assert_eq!(
            written_tokens(&on, "#ServiceClientNul trèèès lent"),
            vec!["Service", "Client", "Nul", "trèèès", "lent"]
        );
        assert_eq!(on.prepare("#ServiceClientNul trèèès lent"), " service client nul tres lent");
    }

    #[test]
    fn entity_names_map_back_to_their_spelling() {
        let lexicon = Lexicon::from_entities_tsv(
            "name\taliases\tkind\tmarkets\taspect\nZorbex Express\tzorbex\tcarrier\tFR\tthird_party.delivery\n",
            "test",
        )
        .unwrap();
        let x = Extractor::new(&FeatureConfig::default(), &lexicon);
        let text = "colis perdu par ZORBEX  Éxpress";
        let f = x.extract(&SegmentInput::alone(text));
        let name = f.terms.iter().position(|t| t == "zorbex express").unwrap();
        assert_eq!(written(text, &x.source_map(text), f.spans[name]), "ZORBEX  Éxpress");
    }

    #[test]
    fn fold_is_a_folded_nfd_of_the_whole_text() {
        use unicode_normalization::char::is_combining_mark;
        use unicode_normalization::UnicodeNormalization;
        // The definition `fold` keeps, character by character: the text in NFD, less its
        // combining marks, the rest mapped.
        let reference = |text: &str| {
            let mut out = String::new();
            for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
                match c {
                    '0'..='9' => out.push('0'),
                    '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => out.push('\''),
                    'œ' | 'Œ' => out.push_str("oe"),
                    'æ' | 'Æ' => out.push_str("ae"),
                    _ => out.extend(c.to_lowercase()),
                }
            }
            out
        };
        let mut texts: Vec<String> = ["Ève À ÇA ﬁ Ǆ İstanbul ß ẞ Å Ω ḱ 한국어 e\u{301}\u{323} ǖ Œuvre 😡 ½ ²"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/labelled");
        for file in ["train.jsonl", "dev.jsonl", "test.jsonl", "comments/train.jsonl", "transcripts/train.jsonl"] {
            let Ok(raw) = std::fs::read_to_string(dir.join(file)) else { continue };
            for line in raw.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                texts.extend(v["text"].as_str().map(String::from));
                for part in ["sentences", "turns"] {
                    for s in v[part].as_array().into_iter().flatten() {
                        texts.extend(s["text"].as_str().map(String::from));
                    }
                }
            }
        }
        assert!(texts.len() > 1000, "the labelled data is read");
        // Every character, in blocks: the mappings are applied after lower-casing, which
        // must not let any character reach or escape them.
        let every: Vec<char> = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
        texts.extend(every.chunks(512).map(|block| block.iter().collect::<String>()));
        for t in &texts {
            assert_eq!(fold(t), reference(t), "{t:?}");
        }
    }

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
