//! Transcripts of mystery calls and chats, read into turns that carry a speaker, a role and
//! times: JSON Lines, speaker-prefixed plain text, WebVTT and SRT.
//!
//! Mystery calls and chats reach us in whatever shape the recorder, the speech-to-text
//! service, the chat export or the shopper produced. The classifier works turn by turn and
//! a report must say whether an irritant was voiced by the shopper or by the staff, so every
//! format is brought to the same shape: a [`Transcript`] of [`Turn`]s, each with the
//! speaker label as written, a [`Role`] and its times.
//!
//! # What this module guarantees
//!
//! * **Times are milliseconds** from the start of the recording (`start_ms`, `end_ms`),
//!   whatever the file wrote (`00:01:02.500`, `01:02,5`, `62.5` seconds); `None` when the
//!   file gives none. `end_ms` is never before `start_ms`.
//! * **Every turn has text** (trimmed, never empty) and a role: `shopper` or `staff`, or
//!   `unknown` for text that no speaker mark covers. [`Transcript::role_source`] says how
//!   the roles were obtained (see *Speakers and roles*).
//! * **Nothing is dropped silently and nothing panics.** Each transcript file gives
//!   [`TranscriptRecord`]s: a transcript, or a reject with the file, the line when one is
//!   to blame, the raw content (truncated) and the reason. Only a file that cannot be read
//!   at all, or that is another kind of file (a spreadsheet, zip archive, PDF, Parquet,
//!   compressed data not named `.gz`/`.zst`), is an [`InputError`]. Files named `.gz` or
//!   `.zst` are decompressed. Bytes that are not valid UTF-8 are decoded (see
//!   [`decode_bytes`](crate::normalise::mojibake::decode_bytes)) and the transcript is
//!   flagged `invalid_utf8`, never rejected; UTF-16 with a byte-order mark is decoded as
//!   such.
//!
//! # Formats (from the extension, see [`TranscriptFormat`])
//!
//! * **JSON Lines** (`.jsonl`, `.ndjson`): one transcript per non-blank line, in the
//!   transcript shape of `TAXONOMY.md` plus a required `visit_id`, optional `id` (else
//!   `<file stem>:<line>`), `channel`, `lang`, and per turn optional `start`/`end` in
//!   seconds (a number) or as `"HH:MM:SS(.mmm)"`/`"MM:SS(.mmm)"`. Labels (`irritants`,
//!   `sentiment`) are ignored here. `speaker` is `shopper`/`staff` or any label.
//! * **Plain text** (`.txt`): one turn per speaker line, `Client : Bonjour…`,
//!   `Agent: …`, `[Agent] …`, optionally after a timestamp `[00:01:23]`, `[01:23]` or
//!   `(00:01:23)` that becomes the turn's start (text files give no end). A line without a
//!   speaker mark continues the previous turn (joined with a space); blank lines are
//!   ignored; lines starting with `#` are comments, and `# visit_id: V00012`, `# id:`,
//!   `# channel:`, `# lang:` among them are the header (the first value of a key wins).
//!   Other lines before the first turn (a title) are not part of any turn. Two speaker
//!   lines of the same speaker stay two turns, as written.
//! * **WebVTT** (`.vtt`): the `WEBVTT` header block (`Language: fr` gives `lang`), cues
//!   with optional ids and `HH:MM:SS.mmm --> HH:MM:SS.mmm` (or `MM:SS.mmm`) timings,
//!   `NOTE` blocks (a `NOTE visit_id: V00310` line, or such a line inside a note, gives the
//!   visit id), `STYLE` and `REGION` blocks skipped. Speakers come from voice tags
//!   (`<v Name>`, `<v.class Name>`), or from a prefix in the cue text (`SPEAKER_00: …`,
//!   `[Agent] …`) or dialogue dashes (below). Other tags (`<i>`, `<b>`, `<c.x>`, timestamp
//!   tags) are removed and character references (`&amp;`, `&nbsp;`, `&#233;`) decoded.
//! * **SRT** (`.srt`): numbered cues with `HH:MM:SS,mmm --> HH:MM:SS,mmm` timings (a dot
//!   is accepted too), speakers as prefixes (`SPEAKER_01:`, `Agent:`, `[Agent]`) or
//!   dialogue dashes; `<i>`-style tags and `{\an8}` overrides are removed.
//!
//! In WebVTT and SRT a cue line without a speaker mark continues the current speaker (long
//! utterances are split over several cues), and **consecutive cues of the same speaker are
//! merged into one turn** that keeps the first start and the last (latest) end. A cue
//! holding several speakers (two voice tags, two dashes) gives its interval to each of
//! them. A block without a timing line after a cue continues that cue's text (a blank line
//! typed inside a cue); a file without the `WEBVTT` line is still read.
//! Dialogue dashes (`- Bonjour.` / `- Bonjour, je…`) mark a change of speaker without
//! naming one: each dash line goes to the speaker before the current one, or to a new
//! anonymous `Speaker A`, `Speaker B`… when there is none. Non-speech annotations such as
//! `[Musique d'attente]` are kept as text (they can be evidence of an irritant).
//!
//! # Which line starts a turn
//!
//! A label before a colon (at most 4 words and 40 characters, starting with a letter, no
//! sentence punctuation, not a time such as `10:30` nor a URL) or inside leading brackets
//! is a speaker when:
//!
//! 1. the [`RoleMap`] knows it (`Client`, `Conseillère`, `Agent 2`, `Agent Julie`, and the
//!    `--speaker-role` overrides), or it is an anonymous diarisation label (`SPEAKER_00`,
//!    `Speaker 1`, `spk_0`, `Intervenant 1`, `Locuteur 2`, `S1`); or
//! 2. it looks like a name (every word capitalised: `Julie`, `M. Dupont`) and opens at
//!    least two lines of the file, and it is not an annotation word (`Note`, `NB`, `PS`,
//!    `Remarque`, `Question`, `Ensuite`, `Musique`, `Rires`…).
//!
//! So `Note : le client a raccroché` inside a turn stays text: `Note` is not a role, it is
//! an annotation word, and a one-off capitalised label is not taken for a speaker.
//! Speakers' names recur; one-off labels in prose do not. A lowercase word after the colon
//! is not used as a test, because chats are typed in lowercase (`Client : bonjour`).
//!
//! # Speakers and roles
//!
//! [`Transcript::role_source`] is [`RoleSource::Given`] when every JSONL speaker is literally
//! `shopper` or `staff`; [`RoleSource::Mapping`] when every label is known to the
//! [`RoleMap`] (case-insensitive, accents folded, with a numbering or a capitalised name
//! after the role word allowed); [`RoleSource::Heuristic`] when at least one label had to
//! be resolved by this heuristic, applied to the labels the map does not know (anonymous
//! diarisation labels or first names), using each speaker's first turn:
//!
//! 1. a speaker whose first turn holds a company greeting formula is **staff**: `à votre
//!    écoute`, `je vous écoute`, `bienvenue chez`, `vous êtes bien chez`, `que puis-je
//!    (faire) pour vous`, `comment / en quoi puis-je vous aider`, `merci de votre appel`,
//!    `thank you for calling`, `how can/may I help`, `welcome to`, `you've reached`…,
//!    unless the same turn also holds a caller formula (step 2), which makes it ambiguous.
//!    The weaker `service client` / `customer service` counts only when the turn holds no
//!    caller formula (a shopper says `j'appelle le service client`). When every speaker
//!    of a transcript would be staff this way, only the first to speak is;
//! 2. when no speaker is known as staff or shopper yet, a speaker whose first turn holds a
//!    caller formula is **shopper**: `je vous appelle`, `je voudrais`, `je souhaiterais`,
//!    `j'aimerais`, `I'm calling`, `I'd like`, `I was wondering`…;
//! 3. the remaining speakers get the role that is still missing: all shopper when staff is
//!    known, all staff when the shopper is known; when neither is known, **the first to
//!    speak is staff** and the others shopper (the mystery shopper calls, staff answers);
//!    when both are known already (a third voice), `unknown`.
//!
//! Who asks the first question is deliberately *not* used: the staff greeting itself
//! usually ends with a question (`Que puis-je faire pour vous ?`, `How can I help?`), so
//! that rule picks the wrong speaker exactly on the calls where the greeting formula list
//! misses the company's wording. A formula found in the opening turn is the strongest sign;
//! the answering order is the fallback.
//!
//! # Visit ids of whole-file formats (text, WebVTT, SRT)
//!
//! 1. The file's own header (`# visit_id:` in text, `visit_id:` in a WebVTT header or
//!    `NOTE`) and the mapping file (`--transcript-map`, matched on the file name, then on
//!    the name without `.gz`/`.zst`, then on the file stem) must agree when both give one;
//!    a disagreement is a reject.
//! 2. Either one alone gives the visit id.
//! 3. Otherwise, when no mapping file was given, the file stem is the visit id. When a
//!    mapping file was given but does not list the file, the file is rejected (a map that
//!    misses a file is a mistake to report, not a licence to guess).
//!
//! The transcript id is the header's `id`, else the file stem (`call.vtt.gz` → `call`). JSONL lines carry their own
//! `visit_id` (required); the mapping file does not apply to them.
//!
//! # Rejects
//!
//! An empty file; a binary file (NUL bytes, or more than 5% control bytes; in JSONL, where
//! each line stands alone, a line with a NUL byte); a WebVTT or SRT timing line that does
//! not parse (the reason names the line), a time over 48 hours ([`MAX_TIME_MS`]) or
//! negative, a cue that ends before it starts, text before the first cue, no cue at all, cues without any speaker mark; a
//! text file where no line starts with a speaker; a transcript without any text; no
//! resolvable visit id, or conflicting ones; a JSONL line that is not a JSON object, lacks
//! `visit_id`, has no turns, or a turn without speaker, with empty text or a bad time.
//!
//! # Where the code is
//!
//! This file holds the types above, the reading of a file and the choice of its parser.
//! Text, WebVTT and SRT are whole-file formats, each a `WholeFileParser`: `text.rs`,
//! `webvtt.rs` and `srt.rs`, the last two sharing the reading of cues in `cues.rs` (each
//! says what sets it apart as a `CueDialect`). JSON Lines, one transcript per line, is
//! read by `jsonl.rs`. What they share:
//!
//! * `decode.rs`: decoding a whole file (UTF-16, invalid UTF-8, binary and empty files);
//! * `clock.rs`: clock times, cue timing lines, timestamps, [`MAX_TIME_MS`];
//! * `markup.rs`: tags, character references, voice tags and dialogue dashes in cue text;
//! * `labels.rs`: the labels a line opens with and which are speakers (*Which line starts
//!   a turn*);
//! * `speakers.rs`: [`RoleMap`], the folding of labels, anonymous labels, names and
//!   annotation words;
//! * `roles.rs`: greeting and caller formulas and the role heuristic (*Speakers and roles*);
//! * `pieces.rs`: stretches of speech and their merging into turns;
//! * `meta.rs`: a file's header, its stem and its visit id (*Visit ids*), and
//!   [`read_visit_map`];
//! * `speaker_words.rs`: the word lists of labels, annotations and formulas, which are data
//!   in `speaker_words.toml`.

mod clock;
mod cues;
mod decode;
mod jsonl;
mod labels;
mod markup;
mod meta;
mod pieces;
mod roles;
mod speaker_words;
mod speakers;
mod srt;
mod text;
mod webvtt;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use clock::{parse_clock, MAX_TIME_MS};
pub use meta::read_visit_map;
pub use speakers::RoleMap;

use super::{catch_decoder_panic, format_extension, open_input, truncate_raw, Expected};
use crate::error::{escape_controls, InputError, Location};
use decode::{decode_file, Decoded};
use meta::{file_stem, resolve_visit, Meta};

/// Who speaks in a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The mystery shopper or customer.
    Shopper,
    /// The brand's side: adviser, sales staff, chatbot, voice server.
    Staff,
    /// Not known: text before any speaker mark, or a third voice the heuristic cannot place.
    Unknown,
}

impl Role {
    /// `shopper`, `staff` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Shopper => "shopper",
            Role::Staff => "staff",
            Role::Unknown => "unknown",
        }
    }

    /// Parses `shopper`, `staff` or `unknown`, in any case.
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shopper" => Some(Role::Shopper),
            "staff" => Some(Role::Staff),
            "unknown" => Some(Role::Unknown),
            _ => None,
        }
    }
}

/// How the roles of a transcript were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    /// Every JSONL speaker was literally `shopper` or `staff`.
    Given,
    /// Every speaker label was found in the [`RoleMap`].
    Mapping,
    /// At least one label was resolved by the documented heuristic (module docs).
    Heuristic,
}

impl RoleSource {
    /// `given`, `mapping` or `heuristic`.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Given => "given",
            RoleSource::Mapping => "mapping",
            RoleSource::Heuristic => "heuristic",
        }
    }
}

/// One turn: what one speaker said before another spoke.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The speaker label as written (`Conseillère`, `SPEAKER_00`, `Julie`); `Speaker A`,
    /// `Speaker B`… for unnamed dialogue dashes; empty for cue text before any speaker mark.
    pub speaker: String,
    pub role: Role,
    /// Start, in milliseconds from the start of the recording.
    pub start_ms: Option<u64>,
    /// End, in milliseconds; never before `start_ms`.
    pub end_ms: Option<u64>,
    /// The text, trimmed and never empty; tags removed in WebVTT and SRT.
    pub text: String,
}

/// A transcript of one mystery call or chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// The file's or line's `id`, else the file stem (whole-file formats) or
    /// `<file stem>:<line>` (JSONL).
    pub transcript_id: String,
    pub visit_id: String,
    pub channel: Option<String>,
    /// Language given by the file, lower-cased.
    pub lang: Option<String>,
    pub file: PathBuf,
    /// 1 for whole-file formats, the line for JSONL.
    pub line: u64,
    pub turns: Vec<Turn>,
    /// Some bytes were not valid UTF-8 and were decoded with
    /// [`decode_bytes`](crate::normalise::mojibake::decode_bytes).
    pub invalid_utf8: bool,
    pub role_source: RoleSource,
}

/// One record of the transcripts input: a transcript, or a reject with a reason.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptRecord {
    Transcript(Transcript),
    Rejected {
        file: PathBuf,
        /// The line to blame (JSONL line, broken timing line), `None` for the whole file.
        line: Option<u64>,
        /// The raw line or file content, truncated to [`super::RAW_CHARS`] characters.
        raw: String,
        reason: String,
    },
}

/// Transcript file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TranscriptFormat {
    Jsonl,
    Text,
    #[value(name = "vtt")]
    WebVtt,
    Srt,
}

impl TranscriptFormat {
    /// The format implied by a file name: `.jsonl`/`.ndjson`, `.txt`, `.vtt`, `.srt`, each
    /// optionally compressed (`.vtt.gz`, `.txt.zst`).
    pub fn from_path(path: &Path) -> Option<TranscriptFormat> {
        match format_extension(path)?.as_str() {
            "jsonl" | "ndjson" => Some(TranscriptFormat::Jsonl),
            "txt" => Some(TranscriptFormat::Text),
            "vtt" => Some(TranscriptFormat::WebVtt),
            "srt" => Some(TranscriptFormat::Srt),
            _ => None,
        }
    }

    /// The extension's format, or an error naming the file.
    pub fn resolve(path: &Path) -> Result<TranscriptFormat, InputError> {
        TranscriptFormat::from_path(path).ok_or_else(|| {
            InputError::new(
                Location::file(path),
                "unknown transcript file extension: expected .jsonl, .ndjson, .txt, .vtt or .srt (each optionally .gz or .zst)",
            )
        })
    }

    /// `jsonl`, `text`, `vtt` or `srt`.
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptFormat::Jsonl => "jsonl",
            TranscriptFormat::Text => "text",
            TranscriptFormat::WebVtt => "vtt",
            TranscriptFormat::Srt => "srt",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------------------

/// A whole-file format (text, WebVTT, SRT): the decoded text of one file, its line ends
/// made `\n`, into one transcript's turns and what the file says about itself. JSON Lines
/// is not one: each of its lines is a transcript of its own, decoded and rejected alone
/// (`jsonl.rs`).
trait WholeFileParser {
    /// The transcript of one file, or why the file is rejected.
    fn parse(&self, text: &str, roles: &RoleMap) -> Result<Parsed, Problem>;
}

/// The parser of a whole-file format; `None` for JSON Lines.
fn whole_file_parser(format: TranscriptFormat) -> Option<&'static dyn WholeFileParser> {
    match format {
        TranscriptFormat::Jsonl => None,
        TranscriptFormat::Text => Some(&text::Text),
        TranscriptFormat::WebVtt => Some(&webvtt::WebVtt),
        TranscriptFormat::Srt => Some(&srt::Srt),
    }
}

/// What a whole-file parser gives: the turns, their roles and what the file says about
/// itself.
struct Parsed {
    meta: Meta,
    turns: Vec<Turn>,
    role_source: RoleSource,
}

/// Why a whole file is rejected, and the line to blame.
#[derive(Debug)]
struct Problem {
    line: Option<u64>,
    reason: String,
}

impl Problem {
    fn file(reason: impl Into<String>) -> Self {
        Problem { line: None, reason: reason.into() }
    }
    fn at(line: u64, reason: impl std::fmt::Display) -> Self {
        Problem { line: Some(line), reason: format!("line {line}: {reason}") }
    }
}

// ---------------------------------------------------------------------------------------
// Reading files
// ---------------------------------------------------------------------------------------

/// Reads one file, decompressing a `.gz` or `.zst` one: JSONL gives one record per
/// non-blank line; the other formats one record for the whole file. Only a file that
/// cannot be read at all, or that is another kind of file (a spreadsheet, a zip archive,
/// a PDF, Parquet, compressed data under a plain name: see [`open_input`]), is an error.
pub fn read_file(
    path: &Path,
    format: TranscriptFormat,
    visit_map: &HashMap<String, String>,
    roles: &RoleMap,
    limits: &Limits,
) -> Result<Vec<TranscriptRecord>, InputError> {
    catch_decoder_panic(path, || {
        let mut bytes = Vec::new();
        open_input(path, Expected::Transcript)?
            .take(limits.max_file_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| InputError::new(Location::file(path), format!("cannot read: {e}")))?;
        if bytes.len() as u64 > limits.max_file_bytes {
            let reason = format!("file is over the limit of {} bytes (--max-transcript-bytes)", limits.max_file_bytes);
            return Ok(vec![reject(path, None, &format!("<over {} bytes>", limits.max_file_bytes), reason)]);
        }
        Ok(read_bytes(&bytes, path, format, visit_map, roles).into_iter().map(|r| limits.check(r)).collect())
    })
}

/// Size limits of transcripts, as comments have theirs: a transcript is read whole, so
/// its file is bounded, and each turn is bounded as a comment's text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a transcript file, after decompression (`--max-transcript-bytes`).
    pub max_file_bytes: u64,
    /// Characters of one turn (`--max-text-chars`, shared with comments).
    pub max_turn_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_file_bytes: 64 << 20, max_turn_chars: 100_000 }
    }
}

impl Limits {
    /// The transcript, or a reject when one of its turns is over the limit.
    fn check(&self, record: TranscriptRecord) -> TranscriptRecord {
        let TranscriptRecord::Transcript(t) = &record else {
            return record;
        };
        for (i, turn) in t.turns.iter().enumerate() {
            let chars = turn.text.chars().count();
            if chars > self.max_turn_chars {
                let reason = format!(
                    "turn {} has {chars} characters, over the limit of {} (--max-text-chars)",
                    i + 1,
                    self.max_turn_chars
                );
                return reject(&t.file, Some(t.line), &turn.text, reason);
            }
        }
        record
    }
}

/// [`read_file`] on bytes already read; `path` names the records and gives the stem.
pub fn read_bytes(
    bytes: &[u8],
    path: &Path,
    format: TranscriptFormat,
    visit_map: &HashMap<String, String>,
    roles: &RoleMap,
) -> Vec<TranscriptRecord> {
    let Some(parser) = whole_file_parser(format) else {
        return jsonl::read(bytes, path, roles);
    };
    let (text, invalid_utf8) = match decode_file(bytes) {
        Decoded::Text { text, invalid_utf8 } => (text, invalid_utf8),
        Decoded::Empty => return vec![reject(path, None, "", "empty file".into())],
        Decoded::Binary(reason) => {
            let raw = format!("<{} bytes of binary content>", bytes.len());
            return vec![reject(path, None, &raw, reason)];
        }
    };
    // `str::lines` ends lines at LF and CRLF: a lone CR (old Mac files) ends one too.
    let text = if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n") } else { text };
    let parsed = match parser.parse(&text, roles) {
        Ok(p) => p,
        Err(Problem { line, reason }) => return vec![reject(path, line, &text, reason)],
    };
    let visit_id = match resolve_visit(parsed.meta.visit_id.as_deref(), path, visit_map) {
        Ok(v) => v,
        Err(reason) => return vec![reject(path, None, &text, reason)],
    };
    vec![TranscriptRecord::Transcript(Transcript {
        transcript_id: parsed.meta.id.unwrap_or_else(|| file_stem(path)),
        visit_id,
        channel: parsed.meta.channel,
        lang: parsed.meta.lang,
        file: path.to_path_buf(),
        line: 1,
        turns: parsed.turns,
        invalid_utf8,
        role_source: parsed.role_source,
    })]
}

fn reject(path: &Path, line: Option<u64>, raw: &str, reason: String) -> TranscriptRecord {
    TranscriptRecord::Rejected {
        file: path.to_path_buf(),
        line,
        raw: truncate_raw(raw),
        reason: escape_controls(&reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts").join(name)
    }

    pub(super) fn map() -> HashMap<String, String> {
        read_visit_map(&fixture("map.csv")).unwrap()
    }

    pub(super) fn read(name: &str, visit_map: &HashMap<String, String>) -> Vec<TranscriptRecord> {
        let path = fixture(name);
        let format = TranscriptFormat::from_path(&path).unwrap();
        read_file(&path, format, visit_map, &RoleMap::default(), &Limits::default()).unwrap()
    }

    pub(super) fn one(name: &str) -> Transcript {
        match read(name, &map()).pop() {
            Some(TranscriptRecord::Transcript(t)) => t,
            other => panic!("{name}: expected a transcript, got {other:?}"),
        }
    }

    /// `(line, reason)` of the single reject a file gives.
    pub(super) fn rejected(name: &str, visit_map: &HashMap<String, String>) -> (Option<u64>, String) {
        let records = read(name, visit_map);
        assert_eq!(records.len(), 1, "{name}: {records:?}");
        match records.into_iter().next() {
            Some(TranscriptRecord::Rejected { line, reason, file, .. }) => {
                assert_eq!(file, fixture(name));
                (line, reason)
            }
            other => panic!("{name}: expected a reject, got {other:?}"),
        }
    }

    pub(super) fn roles_of(t: &Transcript) -> Vec<&'static str> {
        t.turns.iter().map(|t| t.role.as_str()).collect()
    }

    #[test]
    fn files_and_turns_over_their_limits_are_rejected_alone() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits { max_file_bytes: 400, max_turn_chars: 60 };
        let text = dir.path().join("V1.txt");
        std::fs::write(&text, format!("Client : Bonjour.\nConseiller : {}\n", "attendez ".repeat(10))).unwrap();
        let records = read_file(&text, TranscriptFormat::Text, &HashMap::new(), &RoleMap::default(), &limits).unwrap();
        match &records[..] {
            [TranscriptRecord::Rejected { reason, line, .. }] => {
                assert_eq!(reason, "turn 2 has 89 characters, over the limit of 60 (--max-text-chars)");
                assert_eq!(*line, Some(1));
            }
            other => panic!("{other:?}"),
        }
        // In JSON Lines, only the transcript holding the long turn is rejected.
        let jsonl = dir.path().join("chats.jsonl");
        let line = |id: &str, said: &str| {
            format!(r#"{{"visit_id":"{id}","turns":[{{"speaker":"shopper","text":"{said}"}}]}}"#)
        };
        std::fs::write(&jsonl, [line("V1", "ok"), line("V2", &"x".repeat(61)), line("V3", "merci")].join("\n"))
            .unwrap();
        let records =
            read_file(&jsonl, TranscriptFormat::Jsonl, &HashMap::new(), &RoleMap::default(), &limits).unwrap();
        let kinds: Vec<_> = records.iter().map(|r| matches!(r, TranscriptRecord::Transcript(_))).collect();
        assert_eq!(kinds, [true, false, true]);
        // A file over the byte limit is one reject, read no further than the limit.
        std::fs::write(&jsonl, vec![line("V1", "ok"); 10].join("\n")).unwrap();
        let records =
            read_file(&jsonl, TranscriptFormat::Jsonl, &HashMap::new(), &RoleMap::default(), &limits).unwrap();
        match &records[..] {
            [TranscriptRecord::Rejected { reason, raw, .. }] => {
                assert_eq!(reason, "file is over the limit of 400 bytes (--max-transcript-bytes)");
                assert_eq!(raw, "<over 400 bytes>");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn formats_from_extensions() {
        let f = |p: &str| TranscriptFormat::from_path(Path::new(p));
        assert_eq!(f("a.jsonl"), Some(TranscriptFormat::Jsonl));
        assert_eq!(f("a.NDJSON"), Some(TranscriptFormat::Jsonl));
        assert_eq!(f("a.txt"), Some(TranscriptFormat::Text));
        assert_eq!(f("a.vtt"), Some(TranscriptFormat::WebVtt));
        assert_eq!(f("a.srt"), Some(TranscriptFormat::Srt));
        assert_eq!(f("a.vtt.gz"), Some(TranscriptFormat::WebVtt));
        assert_eq!(f("a.TXT.zst"), Some(TranscriptFormat::Text));
        assert_eq!(f("a.gz"), None);
        assert_eq!(f("a.csv"), None);
        assert_eq!(f("a"), None);
        assert_eq!(TranscriptFormat::WebVtt.as_str(), "vtt");
        assert_eq!(TranscriptFormat::resolve(Path::new("call.SRT")).unwrap(), TranscriptFormat::Srt);
        let e = TranscriptFormat::resolve(Path::new("call.docx")).unwrap_err();
        assert_eq!(e.location.file, Path::new("call.docx"));
    }

    #[test]
    fn compressed_transcripts_are_read_and_named_without_their_extensions() {
        use crate::ingest::rows::tests::{gzip, write, zstd};
        let dir = tempfile::tempdir().unwrap();
        let bank = std::fs::read(fixture("bank_call_fr.txt")).unwrap();
        let airline = std::fs::read(fixture("airline_call_en.srt")).unwrap();
        let chats = std::fs::read(fixture("chats.jsonl")).unwrap();
        let read = |path: &Path, map: &HashMap<String, String>| {
            let format = TranscriptFormat::from_path(path).unwrap();
            read_file(path, format, map, &RoleMap::default(), &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
        };
        let visit = |records: &[TranscriptRecord]| match &records[0] {
            TranscriptRecord::Transcript(t) => (t.transcript_id.clone(), t.visit_id.clone()),
            other => panic!("{other:?}"),
        };
        let p = write(dir.path(), "bank_call_fr.txt.gz", &gzip(&bank));
        assert_eq!(visit(&read(&p, &HashMap::new())), ("bank_call_fr".into(), "V00012".into()));
        let p = write(dir.path(), "airline_call_en.srt.zst", &zstd(&airline));
        assert_eq!(visit(&read(&p, &HashMap::new())), ("airline_call_en".into(), "airline_call_en".into()));
        // The map matches the name as given, then without .zst, then the stem.
        for key in ["airline_call_en.srt.zst", "airline_call_en.srt", "airline_call_en"] {
            let m: HashMap<String, String> = [(key.to_string(), "V7".to_string())].into();
            assert_eq!(visit(&read(&p, &m)).1, "V7", "{key}");
        }
        let p = write(dir.path(), "chats.jsonl.gz", &gzip(&chats));
        let plain = read(&fixture("chats.jsonl"), &HashMap::new());
        let records = read(&p, &HashMap::new());
        assert_eq!(records.len(), plain.len());
        assert!(matches!(&records[0], TranscriptRecord::Transcript(t) if t.visit_id == visit(&plain).1));
    }

    #[test]
    fn other_kinds_of_file_stop_the_run_with_what_they_are() {
        use crate::ingest::rows::tests::{gzip, write};
        let dir = tempfile::tempdir().unwrap();
        let err = |name: &str, bytes: &[u8]| {
            let p = write(dir.path(), name, bytes);
            let format = TranscriptFormat::from_path(&p).unwrap();
            match read_file(&p, format, &HashMap::new(), &RoleMap::default(), &Limits::default()) {
                Err(e) => {
                    assert_eq!(e.location.file, p);
                    e.reason
                }
                Ok(records) => panic!("{name}: {records:?}"),
            }
        };
        assert_eq!(
            err("call.vtt", b"PK\x03\x04\x14\x00\x06\x00word/document.xml"),
            "this is a Word or Excel document or a zip archive, not a transcript; export it as UTF-8 text, WebVTT, SRT or JSON Lines"
        );
        assert!(err("call.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0").starts_with("this is an old Word (.doc)"));
        assert!(err("call.txt", b"%PDF-1.4\n").starts_with("this is a PDF document, not a transcript"));
        assert!(err("calls.jsonl", b"PAR1\x15\x04").starts_with("this is a Parquet file, not a transcript"));
        assert_eq!(
            err("call.srt", &gzip(b"1\n")),
            "this is gzip-compressed data, not a plain transcript; rename it call.srt.gz to have it decompressed"
        );
        assert_eq!(
            err("call.srt.gz", b"1\n00:00:01,000 --> 00:00:02,000\nAgent: Bonjour\n"),
            "named .gz but not gzip-compressed data"
        );
        // Other binary content stays a reject of the file, as before.
        let p = write(dir.path(), "noise.vtt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        let records =
            read_file(&p, TranscriptFormat::WebVtt, &HashMap::new(), &RoleMap::default(), &Limits::default()).unwrap();
        assert!(matches!(&records[0], TranscriptRecord::Rejected { reason, .. } if reason.starts_with("binary file")));
    }

    /// Mangled copies of every fixture never panic, and what they give keeps the guarantees.
    #[test]
    fn mangled_inputs_never_panic_and_keep_the_guarantees() {
        let dir = fixture("");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let roles = RoleMap::default();
        let mut rng = crate::rng::SplitMix64(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.next_u64();
        for path in files {
            let original = std::fs::read(&path).unwrap();
            for round in 0..200 {
                let mut bytes = original.clone();
                let edits = 1 + next() % 6;
                for _ in 0..edits {
                    if bytes.is_empty() {
                        bytes.push(b'x');
                    }
                    let at = (next() as usize) % bytes.len();
                    match next() % 5 {
                        0 => bytes[at] = (next() % 256) as u8,
                        1 => {
                            bytes.remove(at);
                        }
                        2 => bytes.insert(at, b"\n:-><v [(&#;"[(next() % 12) as usize]),
                        3 => bytes.truncate(at),
                        _ => {
                            let end = (at + (next() as usize) % 40).min(bytes.len());
                            let chunk = bytes[at..end].to_vec();
                            bytes.splice(at..at, chunk);
                        }
                    }
                }
                for format in
                    [TranscriptFormat::Jsonl, TranscriptFormat::Text, TranscriptFormat::WebVtt, TranscriptFormat::Srt]
                {
                    for record in read_bytes(&bytes, &path, format, &HashMap::new(), &roles) {
                        match record {
                            TranscriptRecord::Transcript(t) => {
                                assert!(!t.turns.is_empty(), "{path:?} round {round}");
                                assert!(!t.visit_id.is_empty());
                                for turn in &t.turns {
                                    assert!(!turn.text.trim().is_empty(), "{path:?} round {round}: {t:?}");
                                    if let (Some(s), Some(e)) = (turn.start_ms, turn.end_ms) {
                                        assert!(e >= s, "{path:?} round {round}: {turn:?}");
                                    }
                                }
                            }
                            TranscriptRecord::Rejected { reason, raw, .. } => {
                                assert!(!reason.is_empty());
                                assert!(raw.chars().count() <= crate::ingest::RAW_CHARS + 1);
                            }
                        }
                    }
                }
            }
        }
    }
}
