//! Sentence segmentation of normalised mystery-shopping comments (French and English).
//!
//! # Why this exists
//!
//! Irritants are detected and scored per sentence, and every sentence is written out
//! with its position in the comment so that analysts can highlight it from Python or
//! DuckDB. Generic splitters trip over what shoppers actually type: French spacing
//! before `!` and `?`, prices such as `12,90 €`, `M. Dupont`, a missing space after a
//! full stop, bullet lists, and emoji used as full stops. This module encodes those
//! rules in one linear scan, without dependencies.
//!
//! # Guarantees
//!
//! For any input string (normalised or not):
//!
//! * `char_start..char_end` counts Unicode scalar values (what [`str::chars`] counts, the
//!   indices of Python's `str` and DuckDB's `substring`), end exclusive;
//!   `byte_start..byte_end` is the same span in UTF-8 bytes, for slicing in Rust;
//! * spans are in text order, do not overlap and are never empty;
//! * a span neither starts nor ends with whitespace and never contains `\n`;
//! * a span has at most `max_chars` characters (a cap of 0 is treated as 1);
//! * time is linear in the length of the text, and the only allocation is the output.
//!
//! # Rules
//!
//! * `\n` always ends a segment. At the start of a line, bullet markers (`-`, `*`, `+`,
//!   `•`, `–`, `—`, `→`, `>` and similar, runs such as `--`, and `1.`, `1)`, `(1)`, `a)`,
//!   `(a)`, `iv)`) are left out of the span. A symbol bullet must be followed by a space
//!   or a letter, so `-20 %` keeps its sign; a letter with a full stop (`A.`) is an
//!   initial, not a marker.
//! * A run of `.` `!` `?` `…` `‼` `⁉` is a candidate end. Closing quotes and brackets
//!   after it stay with the sentence, including a French `»` after a space; so do emoji
//!   and emoticons after it (`Génial !!! 😍 Je reviendrai` → `Génial !!! 😍`).
//! * A run with `!` or `?` ends the sentence, unless it was followed by a closing quote or
//!   bracket and the text goes on in lowercase (`« Pourquoi ? » a-t-il dit`). Directly
//!   followed by a letter (`Super!Merci`) it ends the sentence too.
//! * An ellipsis (`…`, or two or more dots) ends the sentence only when an uppercase
//!   letter follows.
//! * A single `.` followed by a space ends the sentence unless the word before it is a
//!   known abbreviation: titles and references (`M.`, `Mme.`, `Dr.`, `Mr.`, `St.`, `cf.`,
//!   `vs.`, `env.`, `e.g.`, `i.e.`, `p. ex.`, `c.-à-d.`, `N.B.` …) and initials (`J.`,
//!   `J.-P.`) never end a sentence; `No.` does not when a number follows; words that
//!   may close a sentence (`etc.`, `approx.`, `min.`, months, units, a single lowercase
//!   letter, dotted acronyms such as `U.S.A.` …) end it only when an uppercase letter
//!   follows. Matching is case-insensitive. If a closing quote or bracket followed the
//!   `.` and the text goes on in lowercase, the sentence goes on too.
//! * Missing space after a full stop (`bon état.produit`, `Prix.Le`): split when at least
//!   two letters precede the dot, the word is not an abbreviation, and the following
//!   word is not a lowercase top-level domain or file extension (`fr`, `com`, `net`,
//!   `org`, `io`, `eu`, `be`, `ch`, `uk`, `co`, `info`, `pdf`, …). A dot after a closing
//!   bracket, quote or symbol (`12 €.Le`) splits before any letter. A dot after a digit
//!   (`3.5`, `1.200 €`, `19.99$`, `10.30am`, `v2.3.1`) splits only before a capitalised
//!   word (`8/10.Très bien`, not `2.B`); a dot after a single letter never splits.
//! * Tokens that are URLs (`://`, `www.`), e-mail addresses or domain names ending in a
//!   known top-level domain are never split inside; punctuation after them still counts.
//! * An emoji run (emoji, with their modifiers, ZWJ sequences and spaces between them)
//!   or an emoticon token (`:)`, `:-(`, `;)`, `:D`, `^^`, `<3` …) ends the sentence when an
//!   uppercase letter follows (`Super accueil 😀 Mais …`).
//! * `;` and `:` never split.
//! * Text with no letter or digit between two boundaries (a stray `...`, a leading
//!   emoji) is attached to the previous segment of the same line, or to the next one
//!   when it comes first. A whole line without letters or digits is dropped (`-`,
//!   `...`, `***`) unless it holds an emoji or emoticon, which carries sentiment and is
//!   kept as its own segment (`😡😡`).
//! * A segment longer than `max_chars` is cut before the cap: after the last `,` or `;`
//!   followed by a space, else before the last ` mais `/` but `/` et `/` and `, else at
//!   the last space, else (one word longer than the cap) exactly at the cap. Punctuation
//!   and connectors are only used when they leave at least a quarter of the cap in the
//!   piece before them, so that cuts do not produce crumbs.
//!
//! # Known limits
//!
//! * A single capital letter ending a sentence is read as an initial (`le plan B. Puis`
//!   stays one segment), and a dotted acronym before a capital splits (`A.B. Durand`).
//! * Inline enumerations are not bullets: `Points : 1. accueil 2. caisse` splits after
//!   each number; markers are only recognised at the start of a line.
//! * Nothing is split inside a URL, e-mail or domain token, even when a sentence follows
//!   without a space (`www.site.fr.Merci`).
//! * A capitalised proper noun after an emoji starts a new segment (`J'adore 😀 Carrefour`).
//! * The abbreviation lists are curated, not exhaustive; unknown abbreviations are
//!   ordinary words and their full stop ends the sentence.

use crate::normalise::chars::{char_after, char_before, is_emoji, is_emoji_component};

/// Default cap on the length of a segment, in characters.
pub const DEFAULT_MAX_CHARS: usize = 400;

/// A sentence's span in the normalised text, in characters (Unicode scalar values), end
/// exclusive. `byte_start..byte_end` is the same span in UTF-8 bytes, for slicing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First character of the span (index in `text.chars()`).
    pub char_start: usize,
    /// One past the last character of the span.
    pub char_end: usize,
    /// First byte of the span; always a `char` boundary.
    pub byte_start: usize,
    /// One past the last byte of the span; always a `char` boundary.
    pub byte_end: usize,
}

impl Span {
    /// The span's text, sliced from the text it was computed on.
    ///
    /// # Panics
    /// If `text` is not the string the span was computed on and the offsets do not fit.
    pub fn as_str<'a>(&self, text: &'a str) -> &'a str {
        &text[self.byte_start..self.byte_end]
    }

    /// Length in characters.
    pub fn char_len(&self) -> usize {
        self.char_end - self.char_start
    }
}

/// Rules for splitting; `max_chars` caps run-on text.
#[derive(Debug, Clone, Copy)]
pub struct SegmentRules {
    /// Longest segment allowed, in characters; longer sentences are cut (see the module
    /// documentation). 0 is treated as 1.
    pub max_chars: usize,
}

impl Default for SegmentRules {
    fn default() -> Self {
        SegmentRules { max_chars: DEFAULT_MAX_CHARS }
    }
}

/// Splits `text` into sentence spans, in order. Empty or whitespace-only text gives none.
pub fn segment(text: &str, rules: &SegmentRules) -> Vec<Span> {
    let mut out = Vec::new();
    segment_into(text, rules, &mut out);
    out
}

/// Like [`segment`], but appends to `out` so that a caller can reuse one vector across
/// many comments. Offsets are relative to `text`.
pub fn segment_into(text: &str, rules: &SegmentRules, out: &mut Vec<Span>) {
    let mut sink = Sink { text, out, max: rules.max_chars.max(1), byte: 0, chars: 0 };
    let bytes = text.as_bytes();
    let mut line_start = 0;
    loop {
        let line_end = bytes[line_start..].iter().position(|&b| b == b'\n').map_or(text.len(), |p| line_start + p);
        segment_line(text, line_start, line_end, &mut sink);
        if line_end >= text.len() {
            break;
        }
        line_start = line_end + 1;
    }
}

// ---------------------------------------------------------------------------------------
// Character classes
// ---------------------------------------------------------------------------------------

/// The character starting at byte `i` (a char boundary below `text.len()`).
fn char_at(text: &str, i: usize) -> char {
    char_after(text, i).unwrap_or('\0')
}

fn skip_ws(text: &str, mut i: usize, end: usize) -> usize {
    while i < end {
        let c = char_at(text, i);
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    i
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‼' | '⁉' | '⁈' | '⁇')
}

fn is_opener(c: char) -> bool {
    matches!(c, '(' | '[' | '{' | '"' | '\'' | '«' | '“' | '‘' | '‹' | '„' | '‚' | '¿' | '¡')
}

fn is_closer(c: char) -> bool {
    matches!(c, ')' | ']' | '}' | '"' | '\'' | '»' | '”' | '’' | '›')
}

/// Closers that may follow a terminator after a (French) space: `« Non ! »`.
fn is_spaced_closer(c: char) -> bool {
    matches!(c, '»' | '”' | '›')
}

fn is_bullet_symbol(c: char) -> bool {
    matches!(
        c,
        '-' | '*'
            | '+'
            | '>'
            | '•'
            | '◦'
            | '‣'
            | '⁃'
            | '∙'
            | '·'
            | '▪'
            | '▫'
            | '■'
            | '□'
            | '●'
            | '○'
            | '►'
            | '▶'
            | '▸'
            | '→'
            | '➔'
            | '➢'
            | '➤'
            | '–'
            | '—'
    )
}

/// End of the emoticon token starting at `i` (`:)`, `:-(`, `;)`, `:D`, `^^`, `<3` …),
/// which must be followed by whitespace or the end of the line.
fn emoticon_end(text: &str, i: usize, end: usize) -> Option<usize> {
    let b = &text.as_bytes()[i..end];
    let len = if b.starts_with(b"^_^") {
        3
    } else if b.starts_with(b"^^") || b.starts_with(b"<3") {
        2
    } else if matches!(b.first(), Some(b':' | b';' | b'=')) {
        let mut j = 1;
        if matches!(b.get(j), Some(b'-' | b'\'')) {
            j += 1;
        }
        let mouth = j;
        while matches!(b.get(j), Some(b')' | b'(' | b'D' | b'P' | b'p' | b'O' | b'o' | b'/' | b'|' | b'[' | b']')) {
            j += 1;
        }
        if j == mouth {
            return None;
        }
        j
    } else {
        return None;
    };
    let e = i + len;
    (e == end || char_at(text, e).is_whitespace()).then_some(e)
}

/// End of one emoji (with its modifiers) or emoticon starting at `i`.
fn emoji_unit_end(text: &str, i: usize, end: usize) -> Option<usize> {
    if i >= end {
        return None;
    }
    let c = char_at(text, i);
    if !is_emoji(c) {
        return emoticon_end(text, i, end);
    }
    let mut j = i + c.len_utf8();
    while j < end {
        let d = char_at(text, j);
        if !(is_emoji(d) || is_emoji_component(d)) {
            break;
        }
        j += d.len_utf8();
    }
    Some(j)
}

/// End of the run of emoji and emoticons (spaces between them allowed) starting at `i`.
fn emoji_run_end(text: &str, i: usize, end: usize) -> Option<usize> {
    let mut j = emoji_unit_end(text, i, end)?;
    while let Some(e) = emoji_unit_end(text, skip_ws(text, j, end), end) {
        j = e;
    }
    Some(j)
}

/// First character after whitespace and opening quotes/brackets, `None` at line end.
fn next_significant(text: &str, from: usize, end: usize) -> Option<char> {
    let mut p = skip_ws(text, from, end);
    while p < end {
        let c = char_at(text, p);
        if !is_opener(c) {
            return Some(c);
        }
        p += c.len_utf8();
    }
    None
}

/// Top-level domains and file extensions that may follow a dot without a space.
fn is_tld(word: &str) -> bool {
    matches!(
        word,
        "fr" | "com"
            | "net"
            | "org"
            | "io"
            | "eu"
            | "be"
            | "ch"
            | "uk"
            | "co"
            | "info"
            | "biz"
            | "gouv"
            | "gov"
            | "edu"
            | "lu"
            | "nl"
            | "tv"
            | "html"
            | "htm"
            | "php"
            | "pdf"
            | "jpg"
            | "png"
            | "js"
    )
}

/// Whether the lowercase ASCII word at `p` (a whole word) is a known TLD or extension.
fn next_word_is_tld(text: &str, p: usize, end: usize) -> bool {
    let b = &text.as_bytes()[p..end];
    let n = b.iter().take(8).take_while(|x| x.is_ascii_lowercase()).count();
    if n == 0 || n == 8 {
        return false;
    }
    if p + n < end && char_at(text, p + n).is_alphabetic() {
        return false;
    }
    is_tld(&text[p..p + n])
}

// ---------------------------------------------------------------------------------------
// Abbreviations
// ---------------------------------------------------------------------------------------

/// What the word before a single `.` says about a sentence end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordClass {
    /// Ordinary word, number or symbol: the dot ends the sentence.
    Plain,
    /// Title or reference abbreviation (`Dr.`, `cf.`, `e.g.`): never ends a sentence.
    Title,
    /// Initial (`J.`, `J.-P.`): never ends a sentence.
    Initial,
    /// `No.`: not an end before a number.
    Number,
    /// May close a sentence (`etc.`, `min.`): an end only before an uppercase letter.
    Flexible,
}

const MAX_ABBR_BYTES: usize = 16;

fn classify_word(word: &str) -> WordClass {
    // Only the tail matters: a longer word is Plain whatever its openers. Looking at a
    // bounded tail keeps a token made of thousands of `(` followed by dots linear.
    let mut from = word.len().saturating_sub(4 * MAX_ABBR_BYTES);
    while !word.is_char_boundary(from) {
        from += 1;
    }
    let w = word[from..].trim_start_matches(is_opener);
    let mut it = w.chars();
    let Some(first) = it.next() else {
        return WordClass::Plain;
    };
    if it.next().is_none() {
        return if !first.is_alphabetic() {
            WordClass::Plain
        } else if first.is_uppercase() {
            WordClass::Initial
        } else {
            WordClass::Flexible
        };
    }
    if w.len() > MAX_ABBR_BYTES {
        return WordClass::Plain;
    }
    // Lowercase into a stack buffer: no allocation.
    let mut buf = [0u8; MAX_ABBR_BYTES * 3];
    let mut n = 0;
    for c in w.chars().flat_map(char::to_lowercase) {
        if n + c.len_utf8() > buf.len() {
            return WordClass::Plain;
        }
        n += c.encode_utf8(&mut buf[n..]).len();
    }
    let Ok(lower) = std::str::from_utf8(&buf[..n]) else {
        return WordClass::Plain;
    };
    match lower {
        "m" | "mr" | "mrs" | "ms" | "mme" | "mmes" | "mlle" | "mlles" | "mm" | "messrs" | "dr" | "drs" | "pr"
        | "prof" | "mgr" | "st" | "ste" | "sts" | "mt" | "rev" | "hon" | "gen" | "gén" | "col" | "lt" | "sgt"
        | "capt" | "cpt" | "cf" | "vs" | "viz" | "env" | "ex" | "eg" | "ie" | "e.g" | "i.e" | "p.ex" | "c.-à-d"
        | "c-à-d" | "c.à.d" | "c.à-d" | "n.b" | "p.s" | "av" | "ave" | "bd" | "blvd" | "bld" | "boul" | "rte"
        | "pl" | "ch" | "chap" | "réf" | "ref" | "pp" | "fig" | "vol" | "bât" | "esc" | "apt" | "appt" | "dép"
        | "dpt" | "sté" | "ets" => WordClass::Title,
        "no" | "nos" | "nº" | "n°" | "num" | "nr" => WordClass::Number,
        "etc" | "approx" | "min" | "mins" | "max" | "secs" | "hr" | "hrs" | "km" | "kg" | "cm" | "mn" | "jr" | "sr"
        | "inc" | "ltd" | "co" | "corp" | "cie" | "dept" | "al" | "tel" | "tél" | "nb" | "ps" | "resp" | "suiv"
        | "qté" | "ed" | "éd" | "coll" | "dir" | "adj" | "jan" | "janv" | "feb" | "fév" | "févr" | "apr" | "avr"
        | "jun" | "jul" | "juil" | "aug" | "sep" | "sept" | "oct" | "nov" | "dec" | "déc" | "tue" | "tues" | "wed"
        | "thu" | "thur" | "thurs" | "fri" | "a.m" | "p.m" => WordClass::Flexible,
        _ if is_initials(w) => {
            if w.contains('-') {
                WordClass::Initial
            } else {
                WordClass::Flexible
            }
        }
        _ => WordClass::Plain,
    }
}

/// Single letters joined by `.` or `-`, at least two: `J.-P`, `U.S.A`, `a.m`.
fn is_initials(w: &str) -> bool {
    let mut letters = 0;
    let mut since_sep = 0;
    for c in w.chars() {
        if c.is_alphabetic() {
            since_sep += 1;
            letters += 1;
            if since_sep > 1 {
                return false;
            }
        } else if c == '.' || c == '-' {
            since_sep = 0;
        } else {
            return false;
        }
    }
    letters >= 2
}

// ---------------------------------------------------------------------------------------
// Tokens that are never split inside
// ---------------------------------------------------------------------------------------

/// If the whitespace-delimited token at `start` is a URL, an e-mail address or a domain
/// name, the end of its body (trailing punctuation and closers excluded).
fn atomic_token_end(text: &str, start: usize, end: usize) -> Option<usize> {
    let rest = &text[start..end];
    let tok = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
    if !tok.bytes().any(|b| matches!(b, b'.' | b'@' | b':')) {
        return None;
    }
    let lead = tok.len() - tok.trim_start_matches(is_opener).len();
    let body = tok[lead..].trim_end_matches(|c: char| is_terminator(c) || is_closer(c) || matches!(c, ',' | ';' | ':'));
    if body.is_empty() {
        return None;
    }
    let atomic = body.contains("://")
        || body.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("www."))
        || is_email(body)
        || is_domain(body);
    atomic.then_some(start + lead + body.len())
}

fn is_email(body: &str) -> bool {
    let Some(at) = body.find('@') else {
        return false;
    };
    let domain = &body[at + 1..];
    at > 0 && domain.starts_with(|c: char| c.is_alphanumeric()) && domain.contains('.')
}

fn is_domain(body: &str) -> bool {
    let host = &body[..body.find('/').unwrap_or(body.len())];
    host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !host.contains("..")
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && host.rsplit('.').next().is_some_and(is_tld)
}

// ---------------------------------------------------------------------------------------
// Bullet markers
// ---------------------------------------------------------------------------------------

/// Position after the bullet or enumeration marker at `start` (and the spaces after it),
/// or `start` when there is none. `start` is the first non-space of the line.
fn strip_marker(text: &str, start: usize, end: usize) -> usize {
    let mut j = start;
    while j < end {
        let c = char_at(text, j);
        if !is_bullet_symbol(c) {
            break;
        }
        j += c.len_utf8();
    }
    if j > start {
        if j >= end {
            return end;
        }
        let c = char_at(text, j);
        let marker = c.is_whitespace() || c.is_alphabetic() || is_opener(c) || is_emoji(c);
        return if marker { skip_ws(text, j, end) } else { start };
    }

    let b = text.as_bytes();
    let paren = b[j] == b'(';
    if paren {
        j += 1;
    }
    let first = j;
    while j < end && j - first < 4 && b[j].is_ascii_digit() {
        j += 1;
    }
    let digits = j - first;
    if digits > 3 {
        return start;
    }
    if digits == 0 {
        while j < end && j - first < 5 && b[j].is_ascii_alphabetic() {
            j += 1;
        }
        let letters = &b[first..j];
        let roman = letters.len() > 1 && letters.iter().all(|x| b"ivxIVX".contains(x));
        if !(letters.len() == 1 || roman) {
            return start;
        }
    }
    if j >= end {
        return start;
    }
    let delim = b[j];
    if !(delim == b')' || (delim == b'.' && digits > 0 && !paren)) {
        return start;
    }
    j += 1;
    if j >= end {
        return end;
    }
    let c = char_at(text, j);
    if c.is_whitespace() || (digits > 0 && c.is_alphabetic()) {
        skip_ws(text, j, end)
    } else {
        start
    }
}

// ---------------------------------------------------------------------------------------
// Terminator runs and the decision to split
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A single `.`.
    Period,
    /// `…`, or two dots or more.
    Ellipsis,
    /// Any run with `!` or `?`.
    Strong,
}

struct TermRun {
    /// End of the run, closing quotes and brackets included.
    end: usize,
    kind: Kind,
    /// Whether closing quotes or brackets followed the terminators.
    closed: bool,
}

fn scan_terminators(text: &str, i: usize, end: usize) -> TermRun {
    let mut j = i;
    let mut dots = 0usize;
    let mut ellipsis = false;
    let mut strong = false;
    let mut closed = false;
    loop {
        while j < end {
            let c = char_at(text, j);
            match c {
                '.' => dots += 1,
                '…' => ellipsis = true,
                c if is_terminator(c) => strong = true,
                _ => break,
            }
            j += c.len_utf8();
        }
        let before = j;
        while j < end {
            let c = char_at(text, j);
            if is_closer(c) {
                j += c.len_utf8();
                continue;
            }
            if c.is_whitespace() {
                let k = j + c.len_utf8();
                if k < end && is_spaced_closer(char_at(text, k)) {
                    j = k + char_at(text, k).len_utf8();
                    continue;
                }
            }
            break;
        }
        closed |= j > before;
        if j == before || j >= end || !is_terminator(char_at(text, j)) {
            break;
        }
    }
    let kind = if strong {
        Kind::Strong
    } else if ellipsis || dots >= 2 {
        Kind::Ellipsis
    } else {
        Kind::Period
    };
    TermRun { end: j, kind, closed }
}

/// Decision when whitespace (or an emoji, or the end of the line) follows the run;
/// `next` is the first character after spaces and opening quotes.
fn split_before(kind: Kind, class: WordClass, closed: bool, next: Option<char>) -> bool {
    let Some(n) = next else {
        return true;
    };
    if closed && n.is_lowercase() {
        return false;
    }
    match kind {
        Kind::Strong => true,
        Kind::Ellipsis => n.is_uppercase(),
        Kind::Period => match class {
            WordClass::Plain => true,
            WordClass::Title | WordClass::Initial => false,
            WordClass::Number => !(n.is_numeric() || n == '#'),
            WordClass::Flexible => n.is_uppercase(),
        },
    }
}

// ---------------------------------------------------------------------------------------
// One line
// ---------------------------------------------------------------------------------------

fn segment_line(text: &str, line_start: usize, line_end: usize, sink: &mut Sink<'_, '_>) {
    let start = skip_ws(text, line_start, line_end);
    if start >= line_end {
        return;
    }
    let end = start + text[start..line_end].trim_end().len();
    let content = strip_marker(text, start, end);
    if content >= end {
        return;
    }

    let mut merger = Merger { pending: None };
    let mut piece_start = content;
    let mut alnum = false;
    let mut emoji = false;
    let mut token_start = true;
    let mut word_start = content;
    // Letters immediately before `i`.
    let mut run_len = 0usize;
    let mut i = content;
    while i < end {
        let c = char_at(text, i);
        let after_c = i + c.len_utf8();
        if c.is_whitespace() {
            token_start = true;
            run_len = 0;
            i = after_c;
            continue;
        }
        let at_token = token_start;
        token_start = false;
        if at_token {
            word_start = i;
            if let Some(body_end) = atomic_token_end(text, i, end) {
                alnum = true;
                run_len = 0;
                i = body_end;
                continue;
            }
        }

        if is_terminator(c) {
            let run = scan_terminators(text, i, end);
            let absorbed = emoji_run_end(text, skip_ws(text, run.end, end), end);
            let after = absorbed.unwrap_or(run.end);
            let gap = absorbed.is_some() || run.end >= end || char_at(text, run.end).is_whitespace();
            let class = if run.kind == Kind::Period { classify_word(&text[word_start..i]) } else { WordClass::Plain };
            let split = if gap {
                split_before(run.kind, class, run.closed, next_significant(text, after, end))
            } else {
                let d = char_at(text, run.end);
                if !d.is_alphabetic() {
                    false
                } else if run.closed {
                    split_before(run.kind, class, true, Some(d))
                } else {
                    match run.kind {
                        Kind::Strong => true,
                        Kind::Ellipsis => d.is_uppercase(),
                        Kind::Period => match run_len {
                            // After a digit: a number (`3.5`, `1.200`, `10.30am`),
                            // unless a capitalised word follows (`8/10.Très bien`).
                            // After a bracket, quote or symbol (`12 €.Le`): split.
                            0 => {
                                i > content
                                    && (!char_at_before(text, i).is_numeric()
                                        || capitalised_word_at(text, run.end, end))
                            }
                            // After a single letter: initials or `e.g`.
                            1 => false,
                            _ => match class {
                                WordClass::Title | WordClass::Initial => false,
                                WordClass::Flexible => d.is_uppercase(),
                                WordClass::Plain | WordClass::Number => {
                                    !(d.is_lowercase() && next_word_is_tld(text, run.end, end))
                                }
                            },
                        },
                    }
                }
            };
            run_len = 0;
            if split {
                emoji |= absorbed.is_some();
                merger.close(text, piece_start, after, alnum, emoji, sink);
                piece_start = after;
                word_start = after;
                alnum = false;
                emoji = false;
                i = after;
            } else {
                i = run.end;
            }
            continue;
        }

        if is_emoji(c) || (at_token && emoticon_end(text, i, end).is_some()) {
            let e = emoji_run_end(text, i, end).unwrap_or(after_c);
            emoji = true;
            run_len = 0;
            if next_significant(text, e, end).is_some_and(char::is_uppercase) {
                merger.close(text, piece_start, e, alnum, emoji, sink);
                piece_start = e;
                word_start = e;
                alnum = false;
                emoji = false;
            }
            i = e;
            continue;
        }

        if c.is_alphabetic() {
            run_len += 1;
            alnum = true;
        } else {
            run_len = 0;
            alnum |= c.is_numeric();
        }
        i = after_c;
    }
    merger.close(text, piece_start, end, alnum, emoji, sink);
    merger.finish(sink);
}

/// Whether an uppercase letter followed by a lowercase one starts at `p` (`Très`, not
/// `B2` or `A`).
fn capitalised_word_at(text: &str, p: usize, end: usize) -> bool {
    let c = char_at(text, p);
    let q = p + c.len_utf8();
    c.is_uppercase() && q < end && char_at(text, q).is_lowercase()
}

/// The character ending just before byte `i` (`i > 0`, a char boundary).
fn char_at_before(text: &str, i: usize) -> char {
    char_before(text, i).unwrap_or('\0')
}

/// A piece of a line between two boundaries, trimmed.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    alnum: bool,
    emoji: bool,
}

/// Attaches pieces without letters or digits to a neighbour on the same line.
struct Merger {
    pending: Option<Piece>,
}

impl Merger {
    fn close(&mut self, text: &str, start: usize, end: usize, alnum: bool, emoji: bool, sink: &mut Sink<'_, '_>) {
        let s = skip_ws(text, start, end);
        if s >= end {
            return;
        }
        let piece = Piece { start: s, end: s + text[s..end].trim_end().len(), alnum, emoji };
        self.pending = Some(match self.pending.take() {
            None => piece,
            Some(mut prev) if !piece.alnum => {
                prev.end = piece.end;
                prev.emoji |= piece.emoji;
                prev
            }
            Some(prev) if !prev.alnum => Piece { start: prev.start, emoji: prev.emoji || piece.emoji, ..piece },
            Some(prev) => {
                sink.emit(prev.start, prev.end);
                piece
            }
        });
    }

    fn finish(&mut self, sink: &mut Sink<'_, '_>) {
        if let Some(p) = self.pending.take() {
            if p.alnum || p.emoji {
                sink.emit(p.start, p.end);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Output: character offsets and the length cap
// ---------------------------------------------------------------------------------------

/// Writes spans, converting byte offsets to character offsets with a cursor that only
/// moves forward, and cutting spans longer than the cap.
struct Sink<'t, 'o> {
    text: &'t str,
    out: &'o mut Vec<Span>,
    max: usize,
    byte: usize,
    chars: usize,
}

enum Window {
    /// The rest fits; its length in characters.
    Fits(usize),
    /// Cut: end of the piece, its length in characters, start of the rest.
    Cut(usize, usize, usize),
}

impl Sink<'_, '_> {
    /// Character index of byte `to`, which must not be before the cursor.
    fn advance(&mut self, to: usize) -> usize {
        self.chars += self.text[self.byte..to].chars().count();
        self.byte = to;
        self.chars
    }

    fn push(&mut self, byte_start: usize, byte_end: usize, char_start: usize, len: usize) {
        self.out.push(Span { char_start, char_end: char_start + len, byte_start, byte_end });
        self.byte = byte_end;
        self.chars = char_start + len;
    }

    /// Emits `start..end` (trimmed, not empty), cut to the cap.
    fn emit(&mut self, start: usize, end: usize) {
        let mut s = start;
        let mut s_char = self.advance(s);
        loop {
            match scan_window(self.text, s, end, self.max) {
                Window::Fits(n) => {
                    self.push(s, end, s_char, n);
                    return;
                }
                Window::Cut(piece_end, n, next) => {
                    self.push(s, piece_end, s_char, n);
                    if next >= end {
                        return;
                    }
                    s = next;
                    s_char = self.advance(next);
                }
            }
        }
    }
}

/// Whether a connector (` mais `, ` but `, ` et `, ` and `) starts at `p`, just after a
/// space.
fn connector_at(text: &str, p: usize, end: usize) -> bool {
    let b = &text.as_bytes()[p..end];
    [&b"mais"[..], b"but", b"et", b"and"]
        .iter()
        .any(|w| b.len() > w.len() && b[..w.len()].eq_ignore_ascii_case(w) && b[w.len()] == b' ')
}

/// Looks at the first `max` characters from `s` (a non-space) and says where to cut.
fn scan_window(text: &str, s: usize, end: usize, max: usize) -> Window {
    let min_keep = (max / 4).max(1);
    let mut count = 0;
    let mut punct = None;
    let mut conn = None;
    let mut space = None;
    let mut prev_ws = false;
    let mut hard = None;
    for (off, c) in text[s..end].char_indices() {
        let p = s + off;
        if count == max {
            // A space right at the cap is the best cut of all: the window is full.
            if c.is_whitespace() && !prev_ws {
                space = Some((p, count));
                if connector_at(text, p + c.len_utf8(), end) {
                    conn = Some((p, count));
                }
            }
            hard = Some(p);
            break;
        }
        if c.is_whitespace() {
            if !prev_ws && count > 0 {
                space = Some((p, count));
                if count >= min_keep && connector_at(text, p + c.len_utf8(), end) {
                    conn = Some((p, count));
                }
            }
            prev_ws = true;
        } else {
            if matches!(c, ',' | ';') && count + 1 >= min_keep && p + 1 < end && char_at(text, p + 1).is_whitespace() {
                punct = Some((p + 1, count + 1));
            }
            prev_ws = false;
        }
        count += 1;
    }
    let Some(hard) = hard else {
        return Window::Fits(count);
    };
    let (piece_end, n) = punct.or(conn).or(space).unwrap_or((hard, max));
    Window::Cut(piece_end, n, skip_ws(text, piece_end, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Segments with the given cap, checks every invariant, and returns the texts.
    fn segs_max(text: &str, max: usize) -> Vec<&str> {
        let spans = segment(text, &SegmentRules { max_chars: max });
        check_spans(text, &spans, max);
        spans.iter().map(|s| s.as_str(text)).collect()
    }

    fn segs(text: &str) -> Vec<&str> {
        segs_max(text, DEFAULT_MAX_CHARS)
    }

    /// Checks order, bounds, non-emptiness, trimming, the cap, and that character offsets
    /// agree with byte offsets (counted incrementally, so that big inputs stay fast).
    fn check_spans(text: &str, spans: &[Span], max: usize) {
        let mut prev_end = 0;
        let mut prev_chars = 0;
        for s in spans {
            assert!(s.byte_start < s.byte_end, "empty span {s:?} in {text:?}");
            assert!(s.byte_start >= prev_end, "overlap/order {s:?} in {text:?}");
            assert!(s.byte_end <= text.len(), "out of bounds {s:?}");
            assert!(text.is_char_boundary(s.byte_start) && text.is_char_boundary(s.byte_end));
            let slice = &text[s.byte_start..s.byte_end];
            let start_chars = prev_chars + text[prev_end..s.byte_start].chars().count();
            assert_eq!(s.char_start, start_chars, "{text:?}");
            assert_eq!(s.char_len(), slice.chars().count(), "{text:?}");
            prev_chars = s.char_end;
            assert!(s.char_len() <= max.max(1), "too long {slice:?} (max {max})");
            assert_eq!(slice, slice.trim(), "untrimmed span {slice:?}");
            assert!(!slice.contains('\n'), "span crosses a line {slice:?}");
            prev_end = s.byte_end;
        }
    }

    // --- basics ---

    #[test]
    fn empty_and_blank_give_nothing() {
        assert!(segs("").is_empty());
        assert!(segs("   \n  \n").is_empty());
        assert!(segs("\n").is_empty());
    }

    #[test]
    fn plain_sentences_fr_and_en() {
        assert_eq!(segs("Accueil chaleureux. Caisse trop lente."), ["Accueil chaleureux.", "Caisse trop lente."]);
        assert_eq!(
            segs("The staff was friendly. The checkout was slow!"),
            ["The staff was friendly.", "The checkout was slow!"]
        );
    }

    #[test]
    fn surrounding_whitespace_is_excluded() {
        assert_eq!(segs("   Bonjour.   Au revoir.  "), ["Bonjour.", "Au revoir."]);
    }

    #[test]
    fn char_offsets_count_scalar_values() {
        let text = "Été chaud. Ça va ? 😀 Oui.";
        let spans = segment(text, &SegmentRules::default());
        check_spans(text, &spans, DEFAULT_MAX_CHARS);
        let got: Vec<_> = spans.iter().map(|s| (s.char_start, s.char_end)).collect();
        assert_eq!(got, [(0, 10), (11, 20), (21, 25)]);
        assert_eq!(spans[1].as_str(text), "Ça va ? 😀");
        assert_eq!(spans[2].byte_start, text.find("Oui").unwrap());
    }

    // --- terminator runs ---

    #[test]
    fn exclamation_run_with_french_spacing() {
        assert_eq!(segs("Génial !!! Je reviendrai."), ["Génial !!!", "Je reviendrai."]);
    }

    #[test]
    fn interrobang_runs() {
        assert_eq!(
            segs("Vraiment ?! Personne à l'accueil. Really?! Nobody there!?"),
            ["Vraiment ?!", "Personne à l'accueil.", "Really?!", "Nobody there!?"]
        );
    }

    #[test]
    fn narrow_no_break_space_before_punctuation() {
        assert_eq!(segs("Génial\u{202F}! Merci\u{202F}? Oui."), ["Génial\u{202F}!", "Merci\u{202F}?", "Oui."]);
    }

    #[test]
    fn strong_terminators_split_before_lowercase() {
        assert_eq!(
            segs("Pourquoi ? personne ne sait. Nul ! le pire magasin."),
            ["Pourquoi ?", "personne ne sait.", "Nul !", "le pire magasin."]
        );
    }

    #[test]
    fn strong_terminator_without_space() {
        assert_eq!(segs("Super!Merci beaucoup."), ["Super!", "Merci beaucoup."]);
    }

    #[test]
    fn four_dots_then_capital() {
        assert_eq!(segs("J'ai attendu.... Personne n'est venu."), ["J'ai attendu....", "Personne n'est venu."]);
    }

    #[test]
    fn ellipsis_before_lowercase_does_not_split() {
        assert_eq!(
            segs("J'ai attendu... longtemps. Bof… le vendeur était occupé."),
            ["J'ai attendu... longtemps.", "Bof… le vendeur était occupé."]
        );
        assert_eq!(segs("We waited...and waited."), ["We waited...and waited."]);
    }

    #[test]
    fn ellipsis_before_uppercase_splits() {
        assert_eq!(
            segs("Dommage… Je reviendrai. Bof...Personne."),
            ["Dommage…", "Je reviendrai.", "Bof...", "Personne."]
        );
    }

    #[test]
    fn ellipsis_before_number_does_not_split() {
        assert_eq!(segs("Attente... 20 minutes au total."), ["Attente... 20 minutes au total."]);
    }

    // --- quotes and brackets ---

    #[test]
    fn french_quotes_stay_with_sentence() {
        assert_eq!(segs("Il a dit « non ». Puis il est parti."), ["Il a dit « non ».", "Puis il est parti."]);
        assert_eq!(segs("« C'est fermé ! » Ensuite plus rien."), ["« C'est fermé ! »", "Ensuite plus rien."]);
    }

    #[test]
    fn english_quotes_stay_with_sentence() {
        assert_eq!(
            segs("He said \"no.\" Then he left. She said 'maybe!' Then nothing."),
            ["He said \"no.\"", "Then he left.", "She said 'maybe!'", "Then nothing."]
        );
    }

    #[test]
    fn quoted_question_followed_by_lowercase_continues() {
        assert_eq!(
            segs("« Pourquoi ? » a-t-il demandé. \"Why?\" he asked."),
            ["« Pourquoi ? » a-t-il demandé.", "\"Why?\" he asked."]
        );
    }

    #[test]
    fn closing_bracket_after_terminator() {
        assert_eq!(
            segs("(Super accueil !) Le vendeur était top. (Vu en rayon.) Bien."),
            ["(Super accueil !)", "Le vendeur était top.", "(Vu en rayon.)", "Bien."]
        );
    }

    // --- abbreviations ---

    #[test]
    fn french_titles() {
        assert_eq!(
            segs("M. Dupont nous a reçus. Mme. Durand et Mlle. Petit aussi. Très bien."),
            ["M. Dupont nous a reçus.", "Mme. Durand et Mlle. Petit aussi.", "Très bien."]
        );
    }

    #[test]
    fn english_titles() {
        assert_eq!(
            segs("Dr. Smith and Mr. Jones met Mrs. Brown and Ms. White. Nice. The store on St. Patrick St. was shut."),
            [
                "Dr. Smith and Mr. Jones met Mrs. Brown and Ms. White.",
                "Nice.",
                "The store on St. Patrick St. was shut."
            ]
        );
    }

    #[test]
    fn titles_are_case_insensitive_and_work_without_space() {
        assert_eq!(segs("Vu avec DR. Martin et mr.Smith ce matin."), ["Vu avec DR. Martin et mr.Smith ce matin."]);
    }

    #[test]
    fn etc_splits_only_before_a_capital() {
        assert_eq!(
            segs("Pain, lait, etc. et beaucoup d'autres. Pain, lait, etc. Le rayon était vide."),
            ["Pain, lait, etc. et beaucoup d'autres.", "Pain, lait, etc.", "Le rayon était vide."]
        );
        assert_eq!(segs("(pain, lait, etc.) Le reste manquait."), ["(pain, lait, etc.)", "Le reste manquait."]);
    }

    #[test]
    fn eg_ie_cf() {
        assert_eq!(
            segs("Some items, e.g. Bread, were missing, i.e. the shelves were empty. Bad. See cf. Annex."),
            ["Some items, e.g. Bread, were missing, i.e. the shelves were empty.", "Bad.", "See cf. Annex."]
        );
    }

    #[test]
    fn p_ex_and_c_a_d() {
        assert_eq!(
            segs("Certains produits, p. ex. le pain, manquaient (cf. photo). Le rayon frais, c.-à-d. les yaourts, était vide."),
            [
                "Certains produits, p. ex. le pain, manquaient (cf. photo).",
                "Le rayon frais, c.-à-d. les yaourts, était vide."
            ]
        );
    }

    #[test]
    fn env_approx_min() {
        assert_eq!(
            segs("Il y avait env. 10 personnes. It took approx. 20 minutes. Attente 10 min. d'affilée. Attente 10 min. Ensuite rien."),
            [
                "Il y avait env. 10 personnes.",
                "It took approx. 20 minutes.",
                "Attente 10 min. d'affilée.",
                "Attente 10 min.",
                "Ensuite rien."
            ]
        );
    }

    #[test]
    fn number_abbreviations() {
        assert_eq!(
            segs("Caisse n° 3 fermée. Checkout No. 5 was open. No. The staff ignored me."),
            ["Caisse n° 3 fermée.", "Checkout No. 5 was open.", "No.", "The staff ignored me."]
        );
    }

    #[test]
    fn versus() {
        assert_eq!(
            segs("Prix Carrefour vs. Auchan : comparable. OK."),
            ["Prix Carrefour vs. Auchan : comparable.", "OK."]
        );
    }

    #[test]
    fn initials() {
        assert_eq!(
            segs("J. Dupont et J.-P. Martin étaient présents. Signé A. B. Durand. Merci."),
            ["J. Dupont et J.-P. Martin étaient présents.", "Signé A. B. Durand.", "Merci."]
        );
    }

    #[test]
    fn dotted_acronyms_and_times() {
        assert_eq!(
            segs("Made in the U.S.A. The box was fine. Open at 10 a.m. and closed at 6 p.m. Good."),
            ["Made in the U.S.A.", "The box was fine.", "Open at 10 a.m. and closed at 6 p.m.", "Good."]
        );
    }

    #[test]
    fn nota_bene() {
        assert_eq!(segs("N.B. Le parking était plein. Dommage."), ["N.B. Le parking était plein.", "Dommage."]);
    }

    // --- numbers, URLs, addresses ---

    #[test]
    fn prices_and_decimals() {
        assert_eq!(
            segs("Le total était de 12,90 € et non 3.5 ou 19.99$. Trop cher. Facture de 1.200 €. Ouf."),
            ["Le total était de 12,90 € et non 3.5 ou 19.99$.", "Trop cher.", "Facture de 1.200 €.", "Ouf."]
        );
    }

    #[test]
    fn times_and_versions() {
        assert_eq!(
            segs("Arrivé à 14h30. Ouvert à 10.30am. Application v2.3.1 plantée. Réinstallée."),
            ["Arrivé à 14h30.", "Ouvert à 10.30am.", "Application v2.3.1 plantée.", "Réinstallée."]
        );
    }

    #[test]
    fn urls_emails_domains() {
        assert_eq!(
            segs("Voir www.site.fr. Écrire à jean.dupont@mail.fr pour info. Lien : https://x.fr/a.b. Commande sur carrefour.fr sans souci. Fin."),
            [
                "Voir www.site.fr.",
                "Écrire à jean.dupont@mail.fr pour info.",
                "Lien : https://x.fr/a.b.",
                "Commande sur carrefour.fr sans souci.",
                "Fin."
            ]
        );
    }

    #[test]
    fn url_with_query_and_brackets() {
        assert_eq!(
            segs("Formulaire (https://x.fr/f?id=3&ok=1) inutilisable ! Bug."),
            ["Formulaire (https://x.fr/f?id=3&ok=1) inutilisable !", "Bug."]
        );
    }

    // --- missing space ---

    #[test]
    fn missing_space_after_full_stop() {
        assert_eq!(
            segs("Produit en bon état.produit cassé quand même."),
            ["Produit en bon état.", "produit cassé quand même."]
        );
        assert_eq!(segs("Prix.Le vendeur était absent."), ["Prix.", "Le vendeur était absent."]);
    }

    #[test]
    fn missing_space_exceptions() {
        // TLD after the dot, a single letter before it, a title, digits.
        assert_eq!(
            segs("Commande sur monsite.fr et boutique.com/promo ok."),
            ["Commande sur monsite.fr et boutique.com/promo ok."]
        );
        assert_eq!(segs("Vu M.Dupont hier."), ["Vu M.Dupont hier."]);
        assert_eq!(segs("Total 12€.Le reste ok."), ["Total 12€.", "Le reste ok."]);
        assert_eq!(
            segs("Note : 8/10.Très bien. Daté du 12.03.2024.Rien. Rayon 2.B fermé."),
            ["Note : 8/10.", "Très bien.", "Daté du 12.03.2024.", "Rien.", "Rayon 2.B fermé."]
        );
    }

    // --- emoji ---

    #[test]
    fn emoji_ends_a_sentence_before_uppercase() {
        assert_eq!(
            segs("Super accueil 😀 Mais la caisse était fermée"),
            ["Super accueil 😀", "Mais la caisse était fermée"]
        );
        assert_eq!(segs("Great staff 👍👍 The store was clean"), ["Great staff 👍👍", "The store was clean"]);
    }

    #[test]
    fn emoji_after_terminator_stays_before() {
        assert_eq!(segs("Génial !!! 😍 Je reviendrai"), ["Génial !!! 😍", "Je reviendrai"]);
        assert_eq!(segs("Bof. 😕 😕 Pas terrible."), ["Bof. 😕 😕", "Pas terrible."]);
    }

    #[test]
    fn emoji_before_lowercase_does_not_split() {
        assert_eq!(segs("Accueil 😀 plutôt sympa."), ["Accueil 😀 plutôt sympa."]);
    }

    #[test]
    fn emoji_sequences_with_modifiers() {
        assert_eq!(
            segs("Bravo 👍🏽 Merci 👨\u{200D}👩\u{200D}👧 Top ❤\u{FE0F} Fin"),
            ["Bravo 👍🏽", "Merci 👨\u{200D}👩\u{200D}👧", "Top ❤\u{FE0F}", "Fin"]
        );
    }

    #[test]
    fn emoticons() {
        assert_eq!(
            segs("Très bien :) Mais un peu cher :-( dommage. Top ! :D Merci"),
            ["Très bien :)", "Mais un peu cher :-( dommage.", "Top ! :D", "Merci"]
        );
    }

    #[test]
    fn leading_emoji_attaches_to_the_next_sentence() {
        assert_eq!(segs("😀 Super accueil. Caisse rapide."), ["😀 Super accueil.", "Caisse rapide."]);
    }

    #[test]
    fn emoji_only_line_is_kept() {
        assert_eq!(segs("Bof\n😡😡"), ["Bof", "😡😡"]);
    }

    // --- lines and bullets ---

    #[test]
    fn newline_always_ends_a_segment() {
        assert_eq!(segs("Accueil top\nCaisse lente\n\nM.\nDupont"), ["Accueil top", "Caisse lente", "M.", "Dupont"]);
    }

    #[test]
    fn symbol_bullets_are_excluded() {
        assert_eq!(
            segs(
                "- Accueil froid\n* Caisse lente\n• Rayons vides\n– Parking plein\n-Propreté ok\n  — Personnel absent"
            ),
            ["Accueil froid", "Caisse lente", "Rayons vides", "Parking plein", "Propreté ok", "Personnel absent"]
        );
    }

    #[test]
    fn numbered_bullets_are_excluded() {
        assert_eq!(
            segs("1. Accueil froid. Très froid.\n2) Caisse lente\na) Rayons vides\n(3) Parking\n10.Sortie\niv) Fin"),
            ["Accueil froid.", "Très froid.", "Caisse lente", "Rayons vides", "Parking", "Sortie", "Fin"]
        );
    }

    #[test]
    fn things_that_look_like_bullets_but_are_not() {
        assert_eq!(
            segs("-20% sur le rayon\n10.30 arrivée\nA. Martin m'a servi"),
            ["-20% sur le rayon", "10.30 arrivée", "A. Martin m'a servi"]
        );
    }

    #[test]
    fn lines_without_letters_are_dropped() {
        assert_eq!(segs("Points :\n-\n...\n***\n1.\nFin."), ["Points :", "Fin."]);
    }

    #[test]
    fn stray_punctuation_attaches_to_previous() {
        assert_eq!(segs("Bien. ... Mais bon."), ["Bien. ...", "Mais bon."]);
        assert_eq!(segs("... Mais bon."), ["... Mais bon."]);
    }

    #[test]
    fn semicolon_and_colon_do_not_split() {
        assert_eq!(
            segs("Accueil : correct ; caisse : lente. Staff: rude; store: dirty."),
            ["Accueil : correct ; caisse : lente.", "Staff: rude; store: dirty."]
        );
    }

    // --- the cap ---

    #[test]
    fn cap_cuts_at_last_comma() {
        let text = "Le vendeur était sympa, la caisse rapide, le rayon propre et bien rangé";
        assert_eq!(segs_max(text, 50), ["Le vendeur était sympa, la caisse rapide,", "le rayon propre et bien rangé"]);
    }

    #[test]
    fn cap_cuts_before_connector() {
        let text = "Le vendeur était très sympa et souriant mais la caisse était lente";
        assert_eq!(segs_max(text, 50), ["Le vendeur était très sympa et souriant", "mais la caisse était lente"]);
        let text = "The staff were very friendly and helpful but the queue was long";
        assert_eq!(segs_max(text, 50), ["The staff were very friendly and helpful", "but the queue was long"]);
    }

    #[test]
    fn cap_prefers_punctuation_to_connector() {
        let text = "Accueil correct, vendeur souriant et disponible mais caisse lente";
        assert_eq!(segs_max(text, 55), ["Accueil correct,", "vendeur souriant et disponible mais caisse lente"]);
    }

    #[test]
    fn cap_cuts_at_last_space() {
        let text = "un deux trois quatre cinq six sept huit";
        assert_eq!(segs_max(text, 12), ["un deux", "trois quatre", "cinq six", "sept huit"]);
    }

    #[test]
    fn cap_hard_cuts_a_long_word() {
        let text = "abcdefghijklmnopqrstuvwxyz fin";
        assert_eq!(segs_max(text, 10), ["abcdefghij", "klmnopqrst", "uvwxyz fin"]);
        let text = "éééééééééé";
        assert_eq!(segs_max(text, 4), ["éééé", "éééé", "éé"]);
    }

    #[test]
    fn cap_of_zero_is_one() {
        assert_eq!(segs_max("ab c", 0), ["a", "b", "c"]);
    }

    // --- robustness and speed ---

    #[test]
    fn segment_into_appends() {
        let mut out = vec![];
        segment_into("Un. Deux.", &SegmentRules::default(), &mut out);
        segment_into("Trois.", &SegmentRules::default(), &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].char_start, 0);
    }

    const FRAGMENTS: &[&str] = &[
        "accueil",
        "Accueil",
        "caisse",
        "Le",
        "vendeur",
        "était",
        "sympa",
        "the",
        "Staff",
        "was",
        "rude",
        ".",
        "!",
        "?",
        "?!",
        "!!!",
        "...",
        "…",
        "....",
        ". ",
        "! ",
        "\n",
        "\n- ",
        "\n1. ",
        "\na) ",
        "- ",
        "• ",
        "«",
        "»",
        "\"",
        "(",
        ")",
        "M.",
        "Mme",
        "Dr.",
        "etc.",
        "e.g.",
        "p. ex.",
        "J.",
        "n°",
        "No.",
        "12,90 €",
        "3.5",
        "19.99$",
        "1.200",
        "14h30",
        "10.30am",
        "www.site.fr",
        "jean.dupont@mail.fr",
        "https://x.fr/a.b",
        "état.produit",
        "Prix.Le",
        "😀",
        "😍",
        "👍🏽",
        "👨\u{200D}👩\u{200D}👧",
        ":)",
        "^^",
        ",",
        ";",
        ":",
        " mais ",
        " but ",
        " et ",
        "  ",
        "\u{202F}",
        "\u{A0}",
        "ééééééééééééé",
        "x",
        "Ça",
        "’",
        "\u{FE0F}",
        "\u{200D}",
        ".Le",
        "a.b",
        "..",
        "-",
        "*",
    ];

    #[test]
    fn property_random_texts() {
        let mut rng = SplitMix64(0x5eed_1234);
        let caps = [1, 2, 3, 7, 16, 40, 400];
        for _ in 0..600 {
            let n = rng.below(40);
            let mut text = String::new();
            for _ in 0..n {
                text.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
                if rng.below(3) != 0 {
                    text.push(' ');
                }
            }
            let max = caps[rng.below(caps.len())];
            let spans = segment(&text, &SegmentRules { max_chars: max });
            check_spans(&text, &spans, max);
            if text.trim().is_empty() {
                assert!(spans.is_empty());
            }
        }
    }

    #[test]
    fn property_random_characters() {
        let alphabet: Vec<char> = "aZé .!?…,;:\n\"«»()'😀\u{200D}\u{FE0F}-*•1€@/ \u{A0}".chars().collect();
        let mut rng = SplitMix64(42);
        for _ in 0..400 {
            let len = rng.below(80);
            let text: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            let max = 1 + rng.below(30);
            let spans = segment(&text, &SegmentRules { max_chars: max });
            check_spans(&text, &spans, max);
        }
    }

    #[test]
    fn large_inputs_stay_linear() {
        let words = "mot ".repeat(250_000);
        let spans = segs(&words);
        assert!(spans.len() > 2_000 && spans.iter().all(|s| s.chars().count() <= 400));

        let one_word = "a".repeat(1_000_000);
        assert_eq!(segs(&one_word).len(), 2_500);

        let dotted = "ab.".repeat(300_000);
        let n = segment(&dotted, &SegmentRules::default()).len();
        assert_eq!(n, 300_000);

        let initials = "a.".repeat(500_000);
        assert_eq!(segs(&initials).len(), 2_500);

        let openers = format!("{}{}", "(".repeat(300_000), "a.b".repeat(100_000));
        assert!(!segs(&openers).is_empty());

        let quoted = "! « ".repeat(200_000);
        assert!(segs(&quoted).is_empty());

        let emoji = "😀 ".repeat(200_000);
        assert_eq!(segs(&emoji).len(), 1_000);
    }
}
