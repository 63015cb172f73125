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
//!   [`decode_bytes`]) and the transcript is flagged `invalid_utf8`, never rejected; UTF-16
//!   with a byte-order mark is decoded as such.
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

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::rows::{Columns, Item, RowReader};
use super::{
    catch_decoder_panic, format_extension, open_input, split_lines, truncate_raw, uncompressed_name, Expected, Format,
};
use crate::error::{escape_controls, InputError, Location};
use crate::normalise::is_blank;
use crate::normalise::mojibake::decode_bytes;

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
    /// Some bytes were not valid UTF-8 and were decoded with [`decode_bytes`].
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
// Role table
// ---------------------------------------------------------------------------------------

/// Default labels of the shopper's side, folded (lower case, no accents).
const SHOPPER_LABELS: &[&str] = &[
    "client",
    "cliente",
    "client mystere",
    "cliente mystere",
    "customer",
    "shopper",
    "mystery shopper",
    "mystery caller",
    "caller",
    "clt",
    "visiteur",
    "visiteuse",
    "acheteur",
    "acheteuse",
    "enqueteur",
    "enqueteuse",
    "enqueteur mystere",
    "appelant",
    "appelante",
    "passager",
    "passagere",
    "passenger",
    "user",
    "utilisateur",
    "utilisatrice",
    "moi",
];

/// Default labels of the staff's side, folded.
const STAFF_LABELS: &[&str] = &[
    "conseiller",
    "conseillere",
    "conseiller clientele",
    "conseillere clientele",
    "teleconseiller",
    "teleconseillere",
    "agent",
    "staff",
    "advisor",
    "adviser",
    "vendeur",
    "vendeuse",
    "operateur",
    "operatrice",
    "operator",
    "support",
    "hotesse",
    "hostess",
    "service client",
    "service clientele",
    "customer service",
    "customer care",
    "customer support",
    "client service",
    "client services",
    "client support",
    "support client",
    "service apres vente",
    "sav",
    "hotline",
    "helpdesk",
    "help desk",
    "bot",
    "chatbot",
    "assistant",
    "assistante",
    "assistant virtuel",
    "assistante virtuelle",
    "virtual assistant",
    "receptionist",
    "receptionniste",
    "standardiste",
    "serveur vocal",
    "ivr",
    "svi",
];

/// Speaker labels (case-insensitive, accents folded) and the role each stands for.
///
/// A label is looked up whole, then without a trailing numbering (`Agent 2`, `Client #1`,
/// `Conseiller B`), then as a role word followed by capitalised words (`Agent Julie`,
/// `Service client Orange`), then outside and inside parentheses (`Conseillère (Julie)`).
#[derive(Debug, Clone)]
pub struct RoleMap {
    labels: HashMap<String, Role>,
}

impl Default for RoleMap {
    /// client, cliente, customer, shopper, caller, clt, visiteur, acheteur, enquêteur,
    /// mystery shopper (and their feminines, `passager`, `user`, `moi`…) → shopper;
    /// conseiller, conseillère, agent, staff, advisor, adviser, vendeur, vendeuse,
    /// opérateur, operator, support, hôtesse, service client, bot, chatbot, assistant
    /// (and `réceptionniste`, `serveur vocal`, `IVR`…) → staff.
    fn default() -> Self {
        let mut labels = HashMap::new();
        for l in SHOPPER_LABELS {
            labels.insert((*l).to_string(), Role::Shopper);
        }
        for l in STAFF_LABELS {
            labels.insert((*l).to_string(), Role::Staff);
        }
        RoleMap { labels }
    }
}

impl RoleMap {
    /// The default table with `LABEL=ROLE` pairs (from `--speaker-role`) added or replacing
    /// defaults; ROLE is `shopper`, `staff` or `unknown` (`unknown` keeps a label such as a
    /// voice server out of the heuristic).
    pub fn with_overrides(pairs: &[String]) -> Result<Self, String> {
        let mut map = RoleMap::default();
        for p in pairs {
            let (label, role) = p
                .rsplit_once('=')
                .ok_or_else(|| format!("--speaker-role {p:?}: expected LABEL=ROLE, e.g. SPEAKER_00=staff"))?;
            let key = fold_label(label);
            if key.is_empty() {
                return Err(format!("--speaker-role {p:?}: the label is empty"));
            }
            let role = Role::parse(role)
                .ok_or_else(|| format!("--speaker-role {p:?}: ROLE must be shopper, staff or unknown"))?;
            map.labels.insert(key, role);
        }
        Ok(map)
    }

    /// The role of a speaker label, `None` when the table does not know it.
    pub fn role_of(&self, label: &str) -> Option<Role> {
        if let Some(role) = self.plain(label) {
            return Some(role);
        }
        let (open, close) = (label.find('(')?, label.rfind(')')?);
        if open >= close {
            return None;
        }
        let outside = format!("{} {}", &label[..open], &label[close + 1..]);
        self.plain(&outside).or_else(|| self.plain(&label[open + 1..close]))
    }

    fn plain(&self, label: &str) -> Option<Role> {
        let words: Vec<&str> = label.split(|c: char| c.is_whitespace() || c == '_').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return None;
        }
        if let Some(role) = self.get(&words) {
            return Some(role);
        }
        let n = words.len();
        if n >= 2 && is_numbering(words[n - 1]) {
            if let Some(role) = self.get(&words[..n - 1]) {
                return Some(role);
            }
        }
        (1..n)
            .rev()
            .filter(|&k| words[k..].iter().all(|w| starts_upper_or_digit(w)))
            .find_map(|k| self.get(&words[..k]))
    }

    fn get(&self, words: &[&str]) -> Option<Role> {
        self.labels.get(&fold_label(&words.join(" "))).copied()
    }
}

/// `2`, `#2`, `B`: the numbering of a speaker.
fn is_numbering(word: &str) -> bool {
    let w = word.strip_prefix('#').unwrap_or(word);
    (!w.is_empty() && w.len() <= 3 && w.bytes().all(|b| b.is_ascii_digit()))
        || (w.len() == 1 && w.bytes().all(|b| b.is_ascii_uppercase()))
}

fn starts_upper_or_digit(word: &str) -> bool {
    word.trim_start_matches(['(', '"', '\'']).chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Lower case, accents removed, `_ - . ' ’ /` as spaces, whitespace collapsed: the key of
/// a speaker label.
fn fold_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            '_' | '-' | '.' | '\'' | '\u{2019}' | '/' => out.push(' '),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words that stand for an anonymous voice when followed by a number or a letter.
const ANONYMOUS_WORDS: &[&str] = &[
    "speaker",
    "spk",
    "spkr",
    "intervenant",
    "intervenante",
    "locuteur",
    "locutrice",
    "interlocuteur",
    "interlocutrice",
    "voice",
    "voix",
    "participant",
    "participante",
    "person",
    "personne",
    "unknown",
    "inconnu",
];

/// Whether a label is an anonymous diarisation label: `SPEAKER_00`, `Speaker 1`, `spk_0`,
/// `spk0`, `Intervenant 1`, `Locuteur B`, `S1`.
fn is_anonymous_label(label: &str) -> bool {
    let folded = fold_label(label);
    let cut = folded.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(folded.len());
    let (word, rest) = folded.split_at(cut);
    let index: String = rest.chars().filter(|c| !matches!(c, ' ' | '#')).collect();
    let digits = (1..=3).contains(&index.len()) && index.bytes().all(|b| b.is_ascii_digit());
    let letter = index.len() == 1 && index.bytes().all(|b| b.is_ascii_lowercase());
    (ANONYMOUS_WORDS.contains(&word) && (digits || letter))
        || (matches!(word, "s" | "l" | "p") && digits && index.len() <= 2)
}

/// First words (folded) of a label that is an annotation or a non-speech mark, never a
/// speaker found by the name rule.
const NOT_SPEAKERS: &[&str] = &[
    // annotations, French and English
    "note",
    "nb",
    "n b",
    "ps",
    "p s",
    "remarque",
    "remarques",
    "rq",
    "attention",
    "important",
    "info",
    "infos",
    "information",
    "rappel",
    "objet",
    "sujet",
    "re",
    "tr",
    "fwd",
    "edit",
    "update",
    "resume",
    "conclusion",
    "bilan",
    "verdict",
    "commentaire",
    "commentaires",
    "observation",
    "observations",
    "contexte",
    "precision",
    "exemple",
    "ex",
    "question",
    "reponse",
    "q",
    "r",
    "ensuite",
    "puis",
    "alors",
    "donc",
    "mais",
    "enfin",
    "bref",
    "resultat",
    "total",
    "prix",
    "tarif",
    "montant",
    "date",
    "heure",
    "horaires",
    "duree",
    "adresse",
    "tel",
    "telephone",
    "email",
    "mail",
    "site",
    "lien",
    "url",
    "ref",
    "reference",
    "numero",
    "motif",
    "statut",
    "etape",
    "step",
    "summary",
    "subject",
    "warning",
    "reminder",
    "result",
    "example",
    "answer",
    "tip",
    "fyi",
    "then",
    "so",
    "but",
    "also",
    "price",
    "address",
    "phone",
    "hours",
    "time",
    "duration",
    "status",
    "order",
    "commande",
    "dossier",
    "vol",
    "flight",
    "booking",
    "reservation",
    // non-speech marks
    "musique",
    "music",
    "rires",
    "rire",
    "laughs",
    "laughter",
    "laughing",
    "inaudible",
    "incomprehensible",
    "unintelligible",
    "indistinct",
    "silence",
    "bruit",
    "bruits",
    "noise",
    "background",
    "sonnerie",
    "ringing",
    "rings",
    "applause",
    "applaudissements",
    "pause",
    "crosstalk",
    "toux",
    "cough",
    "coughs",
    "soupir",
    "sigh",
    "sighs",
    "hold",
    "attente",
    "tonalite",
    "bip",
    "bips",
    "beep",
    "beeps",
    "blank",
];

/// Lowercase words allowed inside a capitalised name (`Jean de La Fontaine`).
const NAME_PARTICLES: &[&str] = &["de", "du", "des", "d'", "la", "le", "van", "von", "of", "the"];

/// Whether a label looks like a person's name: every word capitalised (or a particle), the
/// first one a capitalised letter.
fn looks_like_name(label: &str) -> bool {
    let mut words = label.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    first.chars().next().is_some_and(char::is_uppercase)
        && words.all(|w| {
            let w = w.trim_matches(['(', ')']);
            w.is_empty() || starts_upper_or_digit(w) || NAME_PARTICLES.contains(&w)
        })
}

fn is_annotation(label: &str) -> bool {
    let folded = fold_label(label);
    let first = folded.split(' ').next().unwrap_or("");
    NOT_SPEAKERS.contains(&first) || NOT_SPEAKERS.contains(&folded.as_str())
}

// ---------------------------------------------------------------------------------------
// Line-level parsers
// ---------------------------------------------------------------------------------------

/// Parses a clock time into milliseconds: `HH:MM:SS`, `MM:SS`, each optionally followed by
/// a fraction after `.` or `,` (`00:01:02.5` is 62,500 ms; digits past the millisecond are
/// dropped). Hours may have any number of digits; minutes and seconds are below 60 when
/// hours are given. `None` for anything else.
pub fn parse_clock(s: &str) -> Option<u64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [m, sec] => ("0", *m, *sec),
        [h, m, sec] => (*h, *m, *sec),
        _ => return None,
    };
    let number = |p: &str, max_len: usize| -> Option<u64> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let h = number(hours, 6)?;
    let m = number(minutes, if parts.len() == 3 { 2 } else { 4 })?;
    let (whole, fraction) = match seconds.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (seconds, None),
    };
    let sec = number(whole, 2)?;
    if sec >= 60 || (parts.len() == 3 && m >= 60) {
        return None;
    }
    let ms = match fraction {
        None => 0,
        Some(f) => {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{f:0<3}");
            padded[..3].parse::<u64>().ok()?
        }
    };
    h.checked_mul(60)?.checked_add(m)?.checked_mul(60)?.checked_add(sec)?.checked_mul(1000)?.checked_add(ms)
}

/// Formats milliseconds as `HH:MM:SS.mmm`, for messages.
fn format_clock(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    format!("{h:02}:{:02}:{:02}.{:03}", rest / 60_000, rest % 60_000 / 1000, rest % 1000)
}

/// Parses a cue timing line, `start --> end [cue settings]`, into milliseconds.
fn parse_timing(line: &str) -> Result<(u64, u64), String> {
    let (a, b) = line.split_once("-->").ok_or("no `-->` between the two times")?;
    let a = a.trim();
    let start = parse_clock(a).ok_or_else(|| format!("start {a:?} is not a time"))?;
    let b = b.split_whitespace().next().ok_or("no end time")?;
    let end = parse_clock(b).ok_or_else(|| format!("end {b:?} is not a time"))?;
    Ok((check_time(start, "start")?, check_time(end, "end")?))
}

/// Whether a line is meant as a timing line, broken or not: it has an arrow, or it starts
/// like a clock (`00:`).
fn looks_like_timing(line: &str) -> bool {
    let b = line.trim().as_bytes();
    line.contains("->")
        || line.contains('\u{2192}')
        || (b.len() >= 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b':')
}

/// A JSON time: seconds as a number or a string, or a clock string; `Ok(None)` when absent.
fn json_time(value: Option<&Value>) -> Result<Option<u64>, String> {
    let seconds = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("{n} is not a time"))?,
        Some(Value::String(s)) if s.contains(':') => {
            return parse_clock(s).map(Some).ok_or_else(|| format!("{s:?} is not a time (HH:MM:SS.mmm)"));
        }
        Some(Value::String(s)) => {
            s.trim().parse::<f64>().map_err(|_| format!("{s:?} is not a time (seconds or HH:MM:SS.mmm)"))?
        }
        Some(other) => return Err(format!("{other} is not a time")),
    };
    if seconds.is_nan() || seconds < 0.0 {
        return Err(format!("{seconds} is not a time (negative)"));
    }
    let ms = seconds * 1000.0;
    if ms > MAX_TIME_MS as f64 {
        return Err(format!(
            "{seconds} seconds is over {} hours, the longest a transcript may run",
            MAX_TIME_MS / 3_600_000
        ));
    }
    Ok(Some(ms.round() as u64))
}

/// The latest time a transcript may give (48 hours): a later one is a broken value,
/// which would overflow the sums of durations.
pub const MAX_TIME_MS: u64 = 48 * 3_600_000;

/// `Err` naming the limit when a time is after [`MAX_TIME_MS`].
fn check_time(ms: u64, what: &str) -> Result<u64, String> {
    if ms > MAX_TIME_MS {
        return Err(format!(
            "{what} {} is over {} hours, the longest a transcript may run",
            format_clock(ms),
            MAX_TIME_MS / 3_600_000
        ));
    }
    Ok(ms)
}

/// Splits a leading `[00:01:23]`, `[01:23]` or `(00:01:23)` timestamp off a line.
fn strip_timestamp(line: &str) -> (Option<u64>, &str) {
    let close = match line.as_bytes().first() {
        Some(b'[') => ']',
        Some(b'(') => ')',
        _ => return (None, line),
    };
    let Some(end) = line.find(close) else {
        return (None, line);
    };
    match parse_clock(&line[1..end]) {
        Some(ms) if ms <= MAX_TIME_MS => (Some(ms), line[end + 1..].trim_start()),
        _ => (None, line),
    }
}

/// Whether a string can be a speaker label: 1 to 4 words, at most 40 characters, starting
/// with a letter, made of letters, digits, spaces and `_ - ' ’ . ( ) # & /`.
fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= 40
        && label.split_whitespace().count() <= 4
        && label.chars().next().is_some_and(char::is_alphabetic)
        && label.chars().all(|c| {
            c.is_alphanumeric()
                || c.is_whitespace()
                || matches!(c, '_' | '-' | '\'' | '\u{2019}' | '.' | '(' | ')' | '#' | '&' | '/')
        })
}

/// `Label : rest` or `Label: rest` (any whitespace before the colon, as in French
/// typography); not a time (`à 10:30`) nor a URL (`https://`).
fn colon_label(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let label = line[..colon].trim();
    let rest = &line[colon + 1..];
    if rest.starts_with('/') {
        return None;
    }
    let digit_before = label.chars().last().is_some_and(|c| c.is_ascii_digit());
    let digit_after = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
    if (digit_before && digit_after) || !valid_label(label) {
        return None;
    }
    Some((label, rest.trim()))
}

/// `[Label] rest` or `[Label]: rest`.
fn bracket_label(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_prefix('[')?;
    let end = inner.find(']')?;
    let label = inner[..end].trim();
    let rest = inner[end + 1..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
    valid_label(label).then_some((label, rest))
}

/// The candidate labels a line opens with (bracketed first).
fn candidate_labels(line: &str) -> impl Iterator<Item = (&str, &str)> {
    bracket_label(line).into_iter().chain(colon_label(line))
}

/// Labels that look like names and open at least two of the lines.
fn recurring_names<'a>(lines: impl Iterator<Item = &'a str>) -> HashSet<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in lines {
        for (label, _) in candidate_labels(line) {
            if looks_like_name(label) && !is_annotation(label) {
                *counts.entry(fold_label(label)).or_default() += 1;
            }
        }
    }
    counts.into_iter().filter(|(_, n)| *n >= 2).map(|(k, _)| k).collect()
}

/// Decides which line-start labels are speakers (module docs, *Which line starts a turn*).
struct Detector<'a> {
    roles: &'a RoleMap,
    /// Folded names that open at least two lines of the file.
    names: HashSet<String>,
}

impl Detector<'_> {
    fn is_speaker(&self, label: &str) -> bool {
        self.roles.role_of(label).is_some() || is_anonymous_label(label) || self.names.contains(&fold_label(label))
    }

    /// `(label, rest of the line)` when the line opens with a speaker label.
    fn prefix<'l>(&self, line: &'l str) -> Option<(&'l str, &'l str)> {
        candidate_labels(line).find(|(label, _)| self.is_speaker(label))
    }
}

/// Removes markup tags (`<i>`, `</b>`, `<c.yellow>`, `<v Name>`, `<00:00:01.000>`,
/// `<font color="red">`) and SRT overrides (`{\an8}`); a `<` that opens no tag is kept.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['<', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let close = if tail.starts_with('<') { '>' } else { '}' };
        if let Some(j) = tail.find(close) {
            let inner = &tail[1..j];
            let is_tag = if close == '>' {
                let name = inner.strip_prefix('/').unwrap_or(inner);
                !inner.contains('<') && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            } else {
                inner.starts_with('\\')
            };
            if is_tag {
                rest = &tail[j + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// Decodes the character references of WebVTT and HTML: `&amp; &lt; &gt; &quot; &apos;
/// &nbsp; &lrm; &rlm;` and numeric `&#233;`, `&#xE9;`; others are kept as written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let decoded = tail[1..].find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &tail[1..end + 1];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "lrm" | "rlm" => None,
                _ => {
                    let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                        u32::from_str_radix(hex, 16).ok()?
                    } else {
                        name.strip_prefix('#')?.parse().ok()?
                    };
                    Some(char::from_u32(code)?)
                }
            };
            Some((c, end + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.extend(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Tags removed, references decoded, whitespace collapsed.
fn clean_cue_text(s: &str) -> String {
    collapse(&decode_entities(&strip_tags(s)))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a cue line at WebVTT voice tags into `(voice, raw text)` pieces, in order; text
/// before the first tag has no voice. `<v.loud Esme>` gives `Esme`.
fn split_voices(line: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut voice: Option<String> = None;
    let mut text = String::new();
    let mut rest = line;
    while let Some((at, after, name)) = find_voice_tag(rest) {
        text.push_str(&rest[..at]);
        if voice.is_some() || !text.trim().is_empty() {
            out.push((voice.take(), std::mem::take(&mut text)));
        }
        text.clear();
        voice = Some(name);
        rest = &rest[after..];
    }
    text.push_str(rest);
    if voice.is_some() || !text.trim().is_empty() {
        out.push((voice, text));
    }
    out
}

/// The next `<v …>` tag: its byte offset, the offset after it, and the voice name.
fn find_voice_tag(s: &str) -> Option<(usize, usize, String)> {
    let mut from = 0;
    while let Some(i) = s[from..].find("<v") {
        let at = from + i;
        let after_v = &s[at + 2..];
        if after_v.starts_with([' ', '\t', '.', '>']) {
            let close = after_v.find('>')?;
            let inner = &after_v[..close];
            let annotation = match inner.find(char::is_whitespace) {
                Some(space) => inner[space..].trim(),
                None => "",
            };
            return Some((at, at + 2 + close + 1, annotation.to_string()));
        }
        from = at + 2;
    }
    None
}

/// `(true, rest)` when a line opens with a dialogue dash (`- `, `– `, `—`, or `-Bonjour`).
fn strip_dash(line: &str) -> (bool, &str) {
    let mut chars = line.chars();
    match chars.next() {
        Some('-' | '\u{2013}' | '\u{2014}') => {
            let rest = chars.as_str();
            match rest.chars().next() {
                Some(c) if c.is_whitespace() => (true, rest.trim_start()),
                Some(c) if c.is_alphabetic() || matches!(c, '"' | '«' | '\u{201c}' | '[') => (true, rest),
                _ => (false, line),
            }
        }
        _ => (false, line),
    }
}

// ---------------------------------------------------------------------------------------
// Decoding files
// ---------------------------------------------------------------------------------------

enum Decoded {
    Text { text: String, invalid_utf8: bool },
    Empty,
    Binary(String),
}

/// Decodes a whole file: UTF-16 with a byte-order mark, else UTF-8 (BOM removed) with
/// [`decode_bytes`] for invalid bytes; binary content and empty files are recognised.
fn decode_file(bytes: &[u8]) -> Decoded {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Decoded::Empty;
    }
    let (text, invalid_utf8) = if let Some(text) = decode_utf16(bytes) {
        text
    } else {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if body.contains(&0) {
            return Decoded::Binary("binary file: it contains NUL bytes".into());
        }
        let controls =
            body.iter().filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f).count();
        if controls * 20 > body.len() {
            return Decoded::Binary(format!(
                "binary file: {}% of its bytes are control characters",
                controls * 100 / body.len().max(1)
            ));
        }
        decode_bytes(body)
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    };
    if text.trim().is_empty() {
        Decoded::Empty
    } else {
        Decoded::Text { text, invalid_utf8 }
    }
}

/// UTF-16 announced by a byte-order mark; the flag is set when it was not valid UTF-16.
fn decode_utf16(bytes: &[u8]) -> Option<(String, bool)> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    let units: Vec<u16> = body
        .chunks_exact(2)
        .map(|p| if little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) })
        .collect();
    let odd = body.len() % 2 == 1;
    Some(match String::from_utf16(&units) {
        Ok(text) => (text, odd),
        Err(_) => (String::from_utf16_lossy(&units), true),
    })
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
) -> Result<Vec<TranscriptRecord>, InputError> {
    catch_decoder_panic(path, || {
        let mut bytes = Vec::new();
        open_input(path, Expected::Transcript)?
            .read_to_end(&mut bytes)
            .map_err(|e| InputError::new(Location::file(path), format!("cannot read: {e}")))?;
        Ok(read_bytes(&bytes, path, format, visit_map, roles))
    })
}

/// [`read_file`] on bytes already read; `path` names the records and gives the stem.
pub fn read_bytes(
    bytes: &[u8],
    path: &Path,
    format: TranscriptFormat,
    visit_map: &HashMap<String, String>,
    roles: &RoleMap,
) -> Vec<TranscriptRecord> {
    if format == TranscriptFormat::Jsonl {
        return read_jsonl(bytes, path, roles);
    }
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
    let parsed = match format {
        TranscriptFormat::Text => parse_text(&text, roles),
        TranscriptFormat::WebVtt => parse_cues(&text, true, roles),
        TranscriptFormat::Srt | TranscriptFormat::Jsonl => parse_cues(&text, false, roles),
    };
    let parsed = match parsed {
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

/// The file name without its compression and format extensions: `call.vtt.gz` → `call`.
fn file_stem(path: &Path) -> String {
    uncompressed_name(path)
        .and_then(|n| Path::new(&n).file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// The visit id of a whole-file transcript (module docs, *Visit ids*).
fn resolve_visit(header: Option<&str>, path: &Path, visit_map: &HashMap<String, String>) -> Result<String, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let mapped = name
        .as_ref()
        .and_then(|n| visit_map.get(n))
        .or_else(|| uncompressed_name(path).and_then(|n| visit_map.get(&n)))
        .or_else(|| visit_map.get(&file_stem(path)));
    match (header, mapped) {
        (Some(h), Some(m)) if h != m => {
            Err(format!("visit id conflict: the file says {h:?}, the mapping file says {m:?}"))
        }
        (Some(h), _) => Ok(h.to_string()),
        (None, Some(m)) => Ok(m.clone()),
        (None, None) if visit_map.is_empty() => {
            let stem = file_stem(path);
            if stem.trim().is_empty() {
                Err("no visit id: no visit_id header and no file stem".into())
            } else {
                Ok(stem)
            }
        }
        (None, None) => {
            Err("no visit id: the file has no visit_id header and is not in the mapping file (--transcript-map)".into())
        }
    }
}

/// Parses the mapping CSV (`file,visit_id`; `file` is a file name or stem, a directory
/// part is ignored), read like any CSV input (delimiter sniffed, bytes decoded). A row
/// with only one of the two fields, or a file mapped to two different visits, stops the
/// run: the map is configuration.
pub fn read_visit_map(path: &Path) -> Result<HashMap<String, String>, InputError> {
    let columns = Columns::Named {
        wanted: vec!["file".into(), "visit_id".into()],
        required: vec!["file".into(), "visit_id".into()],
    };
    let mut reader = RowReader::open(path, Format::Csv, &columns)?;
    let mut map = HashMap::new();
    while let Some(item) = reader.next_item()? {
        let record = match item {
            Item::Malformed { row, reason, .. } => return Err(InputError::new(Location::row(path, row), reason)),
            Item::Record(r) => r,
        };
        let loc = Location::row(path, record.row);
        let (file, visit) = match (&record.fields[0], &record.fields[1]) {
            (None, None) => continue,
            (Some(f), Some(v)) => (f, v),
            (None, _) => return Err(InputError::new(loc, "empty file")),
            (_, None) => return Err(InputError::new(loc, "empty visit_id")),
        };
        let key = file.rsplit(['/', '\\']).next().unwrap_or(file).to_string();
        if let Some(previous) = map.get(&key) {
            if previous != visit {
                return Err(InputError::new(loc, format!("{key:?} is mapped to both {previous:?} and {visit:?}")));
            }
        }
        map.insert(key, visit.clone());
    }
    Ok(map)
}

// ---------------------------------------------------------------------------------------
// JSON Lines
// ---------------------------------------------------------------------------------------

fn read_jsonl(bytes: &[u8], path: &Path, roles: &RoleMap) -> Vec<TranscriptRecord> {
    // Lines end at LF, CRLF or a lone CR; a line with a NUL byte (or any other garbage)
    // is rejected alone, with its line number, and the others are read.
    let lines: Vec<(String, bool, bool)> = if let Some((text, bad)) = decode_utf16(bytes) {
        split_lines(text.as_bytes())
            .into_iter()
            .map(|l| (String::from_utf8_lossy(l).into_owned(), bad, l.contains(&0)))
            .collect()
    } else {
        split_lines(bytes)
            .into_iter()
            .map(|l| {
                let (text, bad) = decode_bytes(l);
                (text, bad, l.contains(&0))
            })
            .collect()
    };
    let mut out = Vec::new();
    for (i, (line, invalid_utf8, nul)) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        if *nul {
            out.push(reject(path, Some(n), line, "binary content: the line contains NUL bytes".into()));
            continue;
        }
        out.push(match parse_jsonl_line(line, path, n, roles) {
            Ok(mut t) => {
                t.invalid_utf8 = *invalid_utf8;
                TranscriptRecord::Transcript(t)
            }
            Err(reason) => reject(path, Some(n), line, reason),
        });
    }
    if out.is_empty() {
        out.push(reject(path, None, "", "empty file".into()));
    }
    out
}

/// A text field: a non-blank string (trimmed) or a number (as written); `Ok(None)` when
/// absent, null or blank; an error naming the field and the type for a boolean, a list
/// or an object.
fn text_field(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    Ok(match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if is_blank(s) => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => return Err(format!("{key} is a JSON boolean ({b}), expected a string or a number")),
        Some(Value::Array(_)) => return Err(format!("{key} is a JSON list, expected a string or a number")),
        Some(Value::Object(_)) => return Err(format!("{key} is a JSON object, expected a string or a number")),
    })
}

fn parse_jsonl_line(line: &str, path: &Path, n: u64, roles: &RoleMap) -> Result<Transcript, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = value.as_object().ok_or("expected a JSON object")?;
    let visit_id = text_field(obj, "visit_id")?.ok_or("missing visit_id")?;
    let items = match obj.get("turns") {
        None | Some(Value::Null) => return Err("missing turns".into()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("turns is not a list".into()),
    };
    if items.is_empty() {
        return Err("no turns".into());
    }
    let mut turns = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let k = i + 1;
        let turn = item.as_object().ok_or_else(|| format!("turn {k} is not an object"))?;
        let speaker = text_field(turn, "speaker")
            .map_err(|e| format!("turn {k}: {e}"))?
            .ok_or_else(|| format!("turn {k} has no speaker"))?;
        let text = match turn.get("text") {
            Some(Value::String(s)) if !is_blank(s) => s.trim().to_string(),
            Some(Value::String(_)) => return Err(format!("turn {k} has empty text")),
            None | Some(Value::Null) => return Err(format!("turn {k} has no text")),
            Some(_) => return Err(format!("turn {k}: text is not a string")),
        };
        let start_ms = json_time(turn.get("start")).map_err(|e| format!("turn {k}: start {e}"))?;
        let end_ms = json_time(turn.get("end")).map_err(|e| format!("turn {k}: end {e}"))?;
        if let (Some(s), Some(e)) = (start_ms, end_ms) {
            if e < s {
                return Err(format!("turn {k} ends before it starts ({} < {})", format_clock(e), format_clock(s)));
            }
        }
        turns.push(Turn { speaker, role: Role::Unknown, start_ms, end_ms, text });
    }
    let role_source = resolve_roles(&mut turns, roles, true);
    Ok(Transcript {
        transcript_id: text_field(obj, "id")?.unwrap_or_else(|| format!("{}:{n}", file_stem(path))),
        visit_id,
        channel: text_field(obj, "channel")?,
        lang: text_field(obj, "lang")?.map(|l| l.to_lowercase()),
        file: path.to_path_buf(),
        line: n,
        turns,
        invalid_utf8: false,
        role_source,
    })
}

// ---------------------------------------------------------------------------------------
// Whole-file formats
// ---------------------------------------------------------------------------------------

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

/// Metadata a file gives about itself.
#[derive(Debug, Default)]
struct Meta {
    visit_id: Option<String>,
    id: Option<String>,
    channel: Option<String>,
    lang: Option<String>,
}

impl Meta {
    /// Reads a `key: value` (or `key = value`) header line; unknown keys are ignored and the
    /// first value of a key wins.
    fn read_pair(&mut self, s: &str) {
        let Some((key, value)) = s.split_once([':', '=']) else {
            return;
        };
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let slot = match fold_label(key).as_str() {
            "visit id" | "visitid" | "visit" | "visite" | "id visite" => &mut self.visit_id,
            "id" | "transcript id" => &mut self.id,
            "channel" | "canal" => &mut self.channel,
            "lang" | "language" | "langue" => &mut self.lang,
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(value.to_string());
        }
    }

    fn finish(mut self) -> Self {
        self.lang = self.lang.map(|l| l.to_lowercase());
        self
    }
}

/// A stretch of speech before merging: one speaker line, or one speaker's part of a cue.
#[derive(Debug, Clone, PartialEq)]
struct Piece {
    speaker: Option<String>,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
    text: String,
}

struct Parsed {
    meta: Meta,
    turns: Vec<Turn>,
    role_source: RoleSource,
}

fn to_turn(p: Piece) -> Turn {
    Turn {
        speaker: p.speaker.unwrap_or_default(),
        role: Role::Unknown,
        start_ms: p.start_ms,
        end_ms: p.end_ms,
        text: p.text,
    }
}

fn append(text: &mut String, more: &str) {
    let more = more.trim();
    if more.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(more);
}

/// Speaker-prefixed plain text.
fn parse_text(text: &str, roles: &RoleMap) -> Result<Parsed, Problem> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let names = recurring_names(lines.iter().filter(|l| !l.starts_with('#')).map(|l| strip_timestamp(l).1));
    let detector = Detector { roles, names };
    let mut meta = Meta::default();
    let mut pieces: Vec<Piece> = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            meta.read_pair(comment);
            continue;
        }
        let (start_ms, rest) = strip_timestamp(line);
        if let Some((label, body)) = detector.prefix(rest) {
            pieces.push(Piece { speaker: Some(label.to_string()), start_ms, end_ms: None, text: body.to_string() });
        } else if let Some(last) = pieces.last_mut() {
            append(&mut last.text, rest);
        }
        // Else: a title before the first turn, not part of any turn.
    }
    if pieces.is_empty() {
        return Err(Problem::file(
            "no speaker found: no line starts with a speaker label such as `Client :`, `Agent:` or `SPEAKER_00:`",
        ));
    }
    let mut turns: Vec<Turn> = pieces.into_iter().filter(|p| !p.text.is_empty()).map(to_turn).collect();
    if turns.is_empty() {
        return Err(Problem::file("no turn has any text"));
    }
    let role_source = resolve_roles(&mut turns, roles, false);
    Ok(Parsed { meta: meta.finish(), turns, role_source })
}

/// A cue of WebVTT or SRT.
#[derive(Debug)]
struct Cue {
    start_ms: u64,
    end_ms: u64,
    payload: Vec<String>,
}

/// WebVTT (`vtt`) or SRT.
fn parse_cues(text: &str, vtt: bool, roles: &RoleMap) -> Result<Parsed, Problem> {
    let mut blocks: Vec<Vec<(u64, &str)>> = Vec::new();
    let mut block: Vec<(u64, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
        } else {
            block.push((i as u64 + 1, line));
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    let mut meta = Meta::default();
    let mut blocks = blocks.as_slice();
    if vtt {
        if let Some((first, rest)) = blocks.split_first() {
            let opening = first[0].1;
            let is_header = opening.strip_prefix("WEBVTT").is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']));
            if is_header {
                for (_, line) in &first[1..] {
                    meta.read_pair(line);
                }
                blocks = rest;
            }
        }
    }
    let mut cues: Vec<Cue> = Vec::new();
    for block in blocks {
        let (n0, first) = block[0];
        if vtt {
            if let Some(note) = first.strip_prefix("NOTE").filter(|r| r.is_empty() || r.starts_with([' ', '\t'])) {
                meta.read_pair(note);
                for (_, line) in &block[1..] {
                    meta.read_pair(line);
                }
                continue;
            }
            if first == "STYLE" || first == "REGION" {
                continue;
            }
        }
        let numbered = !vtt && first.bytes().all(|b| b.is_ascii_digit());
        let second = block.get(1).map(|(_, l)| *l);
        let timing_at = if first.contains("-->") {
            Some(0)
        } else if second.is_some_and(|l| l.contains("-->")) {
            Some(1)
        } else if looks_like_timing(first) {
            Some(0)
        } else if second.is_some_and(|l| numbered || looks_like_timing(l)) {
            Some(1)
        } else if numbered {
            return Err(Problem::at(n0, format!("cue {first} has no timing line")));
        } else {
            None
        };
        let Some(t) = timing_at else {
            // A block without timing: the cue text went on after a blank line.
            match cues.last_mut() {
                Some(cue) => cue.payload.extend(block.iter().map(|(_, l)| l.to_string())),
                None => {
                    return Err(Problem::at(
                        n0,
                        "text before the first cue (expected a timing line such as `00:00:01.000 --> 00:00:04.000`)",
                    ))
                }
            }
            continue;
        };
        let (tn, timing) = block[t];
        let (start_ms, end_ms) =
            parse_timing(timing).map_err(|why| Problem::at(tn, format!("broken timestamp line {timing:?}: {why}")))?;
        if end_ms < start_ms {
            return Err(Problem::at(
                tn,
                format!("cue ends before it starts ({} --> {})", format_clock(start_ms), format_clock(end_ms)),
            ));
        }
        let payload = block[t + 1..].iter().map(|(_, l)| l.to_string()).collect();
        cues.push(Cue { start_ms, end_ms, payload });
    }
    if cues.is_empty() {
        return Err(Problem::file("no cues: no timing line such as `00:00:01.000 --> 00:00:04.000`"));
    }
    let cleaned: Vec<String> = cues
        .iter()
        .flat_map(|c| &c.payload)
        .map(|l| {
            let clean = clean_cue_text(l);
            strip_dash(&clean).1.to_string()
        })
        .collect();
    let detector = Detector { roles, names: recurring_names(cleaned.iter().map(String::as_str)) };
    let mut track = SpeakerTrack::default();
    let mut pieces = Vec::new();
    for cue in &cues {
        for line in &cue.payload {
            for (mark, text) in line_marks(line, &detector) {
                let speaker = track.apply(mark);
                if !text.is_empty() {
                    pieces.push(Piece { speaker, start_ms: Some(cue.start_ms), end_ms: Some(cue.end_ms), text });
                }
            }
        }
    }
    if pieces.is_empty() {
        return Err(Problem::file("no cue has any text"));
    }
    if pieces.iter().all(|p| p.speaker.is_none()) {
        return Err(Problem::file(
            "no speaker found: no cue has a voice tag (`<v Name>`), a speaker prefix (`SPEAKER_00:`, `[Agent]`) or dialogue dashes",
        ));
    }
    let mut turns = merge(pieces);
    let role_source = resolve_roles(&mut turns, roles, false);
    Ok(Parsed { meta: meta.finish(), turns, role_source })
}

/// How a stretch of cue text is attributed.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    /// A voice tag or a speaker prefix named the speaker.
    Named(String),
    /// A dialogue dash: a change of speaker without a name.
    Dash,
    /// No mark: the current speaker goes on.
    Continue,
}

/// The marked stretches of one cue line, text cleaned.
fn line_marks(line: &str, detector: &Detector) -> Vec<(Mark, String)> {
    let mut out = Vec::new();
    for (voice, raw) in split_voices(line) {
        let text = clean_cue_text(&raw);
        match voice {
            Some(name) if !name.is_empty() => out.push((Mark::Named(name), text)),
            Some(_) => out.push((Mark::Continue, text)),
            None => {
                let (dash, rest) = strip_dash(&text);
                out.push(match detector.prefix(rest) {
                    Some((label, body)) => (Mark::Named(label.to_string()), body.to_string()),
                    None if dash => (Mark::Dash, rest.to_string()),
                    None => (Mark::Continue, rest.to_string()),
                });
            }
        }
    }
    out
}

/// The current and the previous speaker while reading cues, to resolve dialogue dashes.
#[derive(Debug, Default)]
struct SpeakerTrack {
    current: Option<String>,
    previous: Option<String>,
    anonymous: u32,
}

impl SpeakerTrack {
    fn apply(&mut self, mark: Mark) -> Option<String> {
        let next = match mark {
            Mark::Continue => return self.current.clone(),
            Mark::Named(label) => label,
            Mark::Dash => match (&self.current, &self.previous) {
                (Some(_), Some(previous)) => previous.clone(),
                _ => {
                    let letter = char::from(b'A' + (self.anonymous % 26) as u8);
                    self.anonymous += 1;
                    format!("Speaker {letter}")
                }
            },
        };
        let same = self.current.as_deref().is_some_and(|c| fold_label(c) == fold_label(&next));
        if !same {
            self.previous = self.current.replace(next);
        }
        self.current.clone()
    }
}

/// Merges consecutive pieces of the same speaker into one turn: texts joined with a space,
/// the first start and the last end kept.
fn merge(pieces: Vec<Piece>) -> Vec<Turn> {
    let mut out: Vec<Piece> = Vec::new();
    for piece in pieces {
        if let Some(last) = out.last_mut() {
            let same = match (&last.speaker, &piece.speaker) {
                (Some(a), Some(b)) => fold_label(a) == fold_label(b),
                (None, None) => true,
                _ => false,
            };
            if same {
                append(&mut last.text, &piece.text);
                last.end_ms = last.end_ms.max(piece.end_ms);
                continue;
            }
        }
        out.push(piece);
    }
    out.into_iter().map(to_turn).collect()
}

// ---------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------

/// Greeting formulas that only the answering side says (folded, words separated by one
/// space).
const STAFF_FORMULAS: &[&str] = &[
    "a votre ecoute",
    "je vous ecoute",
    "bienvenue chez",
    "bienvenue sur",
    "bienvenue au",
    "bienvenue a",
    "vous etes bien chez",
    "vous etes bien au",
    "vous etes bien a",
    "vous etes en relation avec",
    "vous etes en ligne avec",
    "que puis je faire pour vous",
    "que puis je pour vous",
    "qu est ce que je peux faire pour vous",
    "en quoi puis je vous aider",
    "comment puis je vous aider",
    "en quoi puis je vous etre utile",
    "comment puis je vous etre utile",
    "merci de votre appel",
    "merci pour votre appel",
    "merci d avoir appele",
    "merci d avoir contacte",
    "merci de patienter",
    "thank you for calling",
    "thanks for calling",
    "thank you for contacting",
    "thanks for contacting",
    "how can i help",
    "how may i help",
    "how can i assist",
    "how may i assist",
    "what can i do for you",
    "welcome to",
    "you re through to",
    "you are through to",
    "you ve reached",
    "you have reached",
    "you re chatting with",
    "you are chatting with",
    "vous discutez avec",
];

/// Company names for a service, which a caller may also say (`j'appelle le service client`).
const WEAK_STAFF_FORMULAS: &[&str] = &[
    "service client",
    "service clients",
    "service clientele",
    "relation client",
    "customer service",
    "customer services",
    "customer care",
    "customer support",
];

/// Openings of the calling side.
const SHOPPER_FORMULAS: &[&str] = &[
    "je vous appelle",
    "j appelle",
    "je vous contacte",
    "je vous ecris",
    "je souhaiterais",
    "je voudrais",
    "j aimerais",
    "je souhaite",
    "je cherche",
    "je me demandais",
    "j ai une question",
    "i m calling",
    "i am calling",
    "i would like",
    "i d like",
    "i want to",
    "i wanted to",
    "i m looking for",
    "i am looking for",
    "i was wondering",
    "i have a question",
    "i ve got a question",
];

/// Lower case, accents removed, every run of non-alphanumeric characters one space, padded
/// with a space on each side so that formulas match whole words.
fn fold_phrase(text: &str) -> String {
    let mut out = String::from(" ");
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn has_formula(folded: &str, formulas: &[&str]) -> bool {
    formulas.iter().any(|f| folded.contains(&format!(" {f} ")))
}

/// What the first turn of a speaker says about its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    Staff,
    Shopper,
    Neither,
}

fn opening(text: &str) -> Opening {
    let folded = fold_phrase(text);
    let shopper = has_formula(&folded, SHOPPER_FORMULAS);
    let strong = has_formula(&folded, STAFF_FORMULAS);
    match (strong, shopper) {
        (true, true) => Opening::Neither,
        (true, false) => Opening::Staff,
        (false, true) => Opening::Shopper,
        (false, false) if has_formula(&folded, WEAK_STAFF_FORMULAS) => Opening::Staff,
        (false, false) => Opening::Neither,
    }
}

/// Gives every turn its role (module docs, *Speakers and roles*) and says how.
fn resolve_roles(turns: &mut [Turn], roles: &RoleMap, allow_given: bool) -> RoleSource {
    let given = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "shopper" => Some(Role::Shopper),
        "staff" => Some(Role::Staff),
        _ => None,
    };
    if allow_given && turns.iter().all(|t| given(&t.speaker).is_some()) {
        for t in turns.iter_mut() {
            t.role = given(&t.speaker).unwrap_or(Role::Unknown);
        }
        return RoleSource::Given;
    }
    // Distinct labels in order of first appearance, with their first turn.
    let mut order: Vec<(String, usize)> = Vec::new();
    for (i, t) in turns.iter().enumerate() {
        let key = fold_label(&t.speaker);
        if !key.is_empty() && !order.iter().any(|(k, _)| *k == key) {
            order.push((key, i));
        }
    }
    let mut assigned: HashMap<String, Role> = HashMap::new();
    let mut open: Vec<(String, usize)> = Vec::new();
    for (key, first) in order {
        match roles.role_of(&turns[first].speaker) {
            Some(role) => {
                assigned.insert(key, role);
            }
            None => open.push((key, first)),
        }
    }
    let source = if open.is_empty() {
        RoleSource::Mapping
    } else {
        let openings: Vec<Opening> = open.iter().map(|(_, i)| opening(&turns[*i].text)).collect();
        assign_open_labels(&mut assigned, &open, &openings);
        RoleSource::Heuristic
    };
    for t in turns.iter_mut() {
        t.role = assigned.get(&fold_label(&t.speaker)).copied().unwrap_or(Role::Unknown);
    }
    source
}

/// The heuristic proper, on the labels the map did not know (`open`, in order of first
/// appearance, with what their first turn says).
fn assign_open_labels(assigned: &mut HashMap<String, Role>, open: &[(String, usize)], openings: &[Opening]) {
    let has = |a: &HashMap<String, Role>, role: Role| a.values().any(|&r| r == role);
    let greeters: Vec<&String> =
        open.iter().zip(openings).filter(|(_, o)| **o == Opening::Staff).map(|((k, _), _)| k).collect();
    // Everyone greeting like staff is a misreading: only the first of them keeps staff.
    let everyone = assigned.is_empty() && greeters.len() == open.len() && open.len() >= 2;
    for key in greeters.into_iter().take(if everyone { 1 } else { usize::MAX }) {
        assigned.insert(key.clone(), Role::Staff);
    }
    if !has(assigned, Role::Staff) && !has(assigned, Role::Shopper) {
        for ((key, _), o) in open.iter().zip(openings) {
            if *o == Opening::Shopper {
                assigned.insert(key.clone(), Role::Shopper);
            }
        }
    }
    let (staff, shopper) = (has(assigned, Role::Staff), has(assigned, Role::Shopper));
    let rest: Vec<&String> = open.iter().map(|(k, _)| k).filter(|k| !assigned.contains_key(*k)).collect();
    for (n, key) in rest.into_iter().enumerate() {
        let role = match (staff, shopper) {
            (true, false) => Role::Shopper,
            (false, true) => Role::Staff,
            (false, false) if n == 0 => Role::Staff,
            (false, false) => Role::Shopper,
            (true, true) => Role::Unknown,
        };
        assigned.insert(key.clone(), role);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts").join(name)
    }

    fn map() -> HashMap<String, String> {
        read_visit_map(&fixture("map.csv")).unwrap()
    }

    fn read(name: &str, visit_map: &HashMap<String, String>) -> Vec<TranscriptRecord> {
        let path = fixture(name);
        let format = TranscriptFormat::from_path(&path).unwrap();
        read_file(&path, format, visit_map, &RoleMap::default()).unwrap()
    }

    fn one(name: &str) -> Transcript {
        match read(name, &map()).pop() {
            Some(TranscriptRecord::Transcript(t)) => t,
            other => panic!("{name}: expected a transcript, got {other:?}"),
        }
    }

    /// `(line, reason)` of the single reject a file gives.
    fn rejected(name: &str, visit_map: &HashMap<String, String>) -> (Option<u64>, String) {
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

    fn roles_of(t: &Transcript) -> Vec<&'static str> {
        t.turns.iter().map(|t| t.role.as_str()).collect()
    }

    fn turn(speaker: &str, text: &str) -> Turn {
        Turn { speaker: speaker.into(), role: Role::Unknown, start_ms: None, end_ms: None, text: text.into() }
    }

    fn resolve(turns: &mut [Turn]) -> RoleSource {
        resolve_roles(turns, &RoleMap::default(), false)
    }

    // --- time parsers -------------------------------------------------------------------

    #[test]
    fn clock_times_in_milliseconds() {
        assert_eq!(parse_clock("01:02:03.456"), Some(3_723_456));
        assert_eq!(parse_clock("00:00:01,250"), Some(1_250));
        assert_eq!(parse_clock("02:03.5"), Some(123_500));
        assert_eq!(parse_clock("1:02:03"), Some(3_723_000));
        assert_eq!(parse_clock("100:00:00.000"), Some(360_000_000));
        assert_eq!(parse_clock("75:30"), Some(4_530_000), "minutes past the hour without hours");
        assert_eq!(parse_clock("00:00:01.123456"), Some(1_123), "digits past the ms are dropped");
        for bad in ["", "12", "aa:bb", "00:61:00", "00:00:60", "00:00:01.", "00:1O:00", "1:2:3:4", "-1:00"] {
            assert_eq!(parse_clock(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn timing_lines() {
        assert_eq!(parse_timing("00:00:01.000 --> 00:00:04.500 align:start position:10%"), Ok((1_000, 4_500)));
        assert_eq!(parse_timing("00:01,000-->00:02,000"), Ok((1_000, 2_000)));
        assert!(parse_timing("00:00:01,000 -> 00:00:02,000").unwrap_err().contains("-->"));
        assert!(parse_timing("00:00:01,000 --> 00:00:0x,000").unwrap_err().contains("end"));
        assert!(parse_timing("00:00:01,000 --> ").unwrap_err().contains("no end"));
        assert!(looks_like_timing("00:00:08,500 -> 00:00:1O,000"));
        assert!(looks_like_timing("00:00:08 00:00:09"));
        assert!(!looks_like_timing("Bonjour à tous"));
    }

    #[test]
    fn json_times_in_seconds_or_clock() {
        let t = |v: Value| json_time(Some(&v));
        assert_eq!(t(serde_json::json!(3.25)), Ok(Some(3_250)));
        assert_eq!(t(serde_json::json!(20.125)), Ok(Some(20_125)));
        assert_eq!(t(serde_json::json!("00:01:30.5")), Ok(Some(90_500)));
        assert_eq!(t(serde_json::json!("12.5")), Ok(Some(12_500)));
        assert_eq!(t(Value::Null), Ok(None));
        assert_eq!(json_time(None), Ok(None));
        assert!(t(serde_json::json!(-1)).is_err());
        assert!(t(serde_json::json!("bientôt")).is_err());
        assert!(t(serde_json::json!("00:99:00")).is_err());
        assert!(t(serde_json::json!([1])).is_err());
    }

    #[test]
    fn leading_timestamps_of_text_lines() {
        assert_eq!(strip_timestamp("[00:01:23] Client : oui"), (Some(83_000), "Client : oui"));
        assert_eq!(strip_timestamp("[01:23] Client : oui"), (Some(83_000), "Client : oui"));
        assert_eq!(strip_timestamp("(00:01:23) Agent: yes"), (Some(83_000), "Agent: yes"));
        assert_eq!(strip_timestamp("[00:00:02.500]Agent: yes"), (Some(2_500), "Agent: yes"));
        assert_eq!(strip_timestamp("[Agent] yes"), (None, "[Agent] yes"));
        assert_eq!(strip_timestamp("(rires) oui"), (None, "(rires) oui"));
    }

    // --- tags, voices, prefixes ---------------------------------------------------------

    #[test]
    fn voice_tags_split_a_cue_line() {
        let v = split_voices("<v.loud Esme Jones>Hi there</v> <v Bob>Yo");
        let cleaned: Vec<(Option<String>, String)> = v.into_iter().map(|(n, t)| (n, clean_cue_text(&t))).collect();
        assert_eq!(cleaned, vec![(Some("Esme Jones".into()), "Hi there".into()), (Some("Bob".into()), "Yo".into())]);
        assert_eq!(split_voices("plain text"), vec![(None, "plain text".to_string())]);
        assert_eq!(split_voices("<v>anonymous"), vec![(Some(String::new()), "anonymous".to_string())]);
        assert_eq!(split_voices("a <very> odd line"), vec![(None, "a <very> odd line".to_string())]);
    }

    #[test]
    fn styling_tags_and_references_are_removed() {
        assert_eq!(
            clean_cue_text("<i>home</i> &amp; <c.yellow.bg_blue>away</c>  <00:00:01.000>3 < 5 > 2"),
            "home & away 3 < 5 > 2"
        );
        assert_eq!(clean_cue_text("{\\an8}<font color=\"red\">Allô</font> ?"), "Allô ?");
        assert_eq!(decode_entities("caf&#233; &#xE9;t&eacute; &lt;b&gt;&nbsp;x"), "café ét&eacute; <b>\u{a0}x");
        assert_eq!(clean_cue_text("&lrm;Bonjour&nbsp;!"), "Bonjour !");
    }

    #[test]
    fn speaker_prefixes_and_what_is_not_one() {
        let roles = RoleMap::default();
        let d = Detector { roles: &roles, names: HashSet::new() };
        assert_eq!(d.prefix("Client : Bonjour"), Some(("Client", "Bonjour")));
        assert_eq!(d.prefix("Client\u{a0}: bonjour"), Some(("Client", "bonjour")));
        assert_eq!(d.prefix("Conseillère (Julie): Oui"), Some(("Conseillère (Julie)", "Oui")));
        assert_eq!(d.prefix("SPEAKER_00: hello"), Some(("SPEAKER_00", "hello")));
        assert_eq!(d.prefix("[Agent] Hello"), Some(("Agent", "Hello")));
        assert_eq!(d.prefix("[SPEAKER_01]: hi"), Some(("SPEAKER_01", "hi")));
        assert_eq!(d.prefix("Agent:"), Some(("Agent", "")));
        // Not speakers.
        assert_eq!(d.prefix("Note : le client a raccroché"), None);
        assert_eq!(d.prefix("Le conseiller m'a dit : Vous devez rappeler"), None);
        assert_eq!(d.prefix("Agent immobilier m'a dit : Non"), None);
        assert_eq!(d.prefix("Voir https://banque.example/rdv"), None);
        assert_eq!(d.prefix("Rendez-vous à 10:30 demain"), None);
        assert_eq!(d.prefix("Le client du magasin de Lyon : non"), None, "over 4 words");
        assert_eq!(d.prefix("Julie : Bonjour"), None, "a name seen once");
        assert_eq!(d.prefix("[Musique d'attente]"), None);
        assert_eq!(d.prefix("Bon, alors : non"), None, "punctuation in the label");
    }

    #[test]
    fn recurring_names_become_speakers_but_annotations_do_not() {
        let lines = [
            "Julie : Bonjour",
            "Marc : bonjour",
            "Julie : Oui ?",
            "MARC : ok",
            "le client : non",
            "le client : toujours pas",
            "Note : Le client attend.",
            "Note : Toujours.",
            "Ensuite : Rien.",
        ];
        let names = recurring_names(lines.into_iter());
        assert!(names.contains("julie"));
        assert!(names.contains("marc"), "case-insensitive count");
        assert!(!names.contains("note"));
        assert!(!names.contains("ensuite"));
        assert!(!names.contains("le client"), "not a name");
        assert!(looks_like_name("Jean de La Fontaine"));
        assert!(looks_like_name("M. Dupont"));
        assert!(!looks_like_name("le client"));
    }

    #[test]
    fn dialogue_dashes() {
        assert_eq!(strip_dash("- Bonjour."), (true, "Bonjour."));
        assert_eq!(strip_dash("-Bonjour."), (true, "Bonjour."));
        assert_eq!(strip_dash("– Oui"), (true, "Oui"));
        assert_eq!(strip_dash("-10% sur tout"), (false, "-10% sur tout"));
        assert_eq!(strip_dash("Bonjour - oui"), (false, "Bonjour - oui"));
    }

    // --- roles --------------------------------------------------------------------------

    #[test]
    fn default_role_table() {
        let r = RoleMap::default();
        for (label, role) in [
            ("Conseillère", Role::Staff),
            ("CONSEILLERE", Role::Staff),
            ("client", Role::Shopper),
            ("Cliente", Role::Shopper),
            ("Mystery shopper", Role::Shopper),
            ("Enquêteur", Role::Shopper),
            ("Service client", Role::Staff),
            ("service_client", Role::Staff),
            ("Opérateur", Role::Staff),
            ("Hôtesse", Role::Staff),
            ("Agent 2", Role::Staff),
            ("Agent_1", Role::Staff),
            ("Client #1", Role::Shopper),
            ("Agent Julie", Role::Staff),
            ("Service client Orange", Role::Staff),
            ("Client Mystère", Role::Shopper),
            ("Conseillère (Julie)", Role::Staff),
            ("Julie (conseillère)", Role::Staff),
            ("Chatbot", Role::Staff),
            ("CLT", Role::Shopper),
        ] {
            assert_eq!(r.role_of(label), Some(role), "{label}");
        }
        for label in ["SPEAKER_00", "Julie", "agent immobilier", "Speaker 1", ""] {
            assert_eq!(r.role_of(label), None, "{label}");
        }
    }

    #[test]
    fn role_overrides() {
        let r = RoleMap::with_overrides(&[
            "SPEAKER_00=staff".into(),
            "Julie=Shopper".into(),
            "Client=staff".into(),
            "Serveur vocal=unknown".into(),
        ])
        .unwrap();
        assert_eq!(r.role_of("SPEAKER_00"), Some(Role::Staff));
        assert_eq!(r.role_of("speaker_00"), Some(Role::Staff));
        assert_eq!(r.role_of("SPEAKER_01"), None);
        assert_eq!(r.role_of("Julie"), Some(Role::Shopper));
        assert_eq!(r.role_of("Client"), Some(Role::Staff), "an override replaces a default");
        assert_eq!(r.role_of("Serveur vocal"), Some(Role::Unknown));
        assert!(RoleMap::with_overrides(&["Julie".into()]).is_err());
        assert!(RoleMap::with_overrides(&["Julie=manager".into()]).is_err());
        assert!(RoleMap::with_overrides(&["=staff".into()]).is_err());
    }

    #[test]
    fn anonymous_labels() {
        for l in ["SPEAKER_00", "Speaker 1", "speaker1", "spk_0", "Intervenant 1", "Locuteur B", "S1", "Speaker A"] {
            assert!(is_anonymous_label(l), "{l}");
        }
        for l in ["Speaker", "Client 1", "Julie", "Agent", "Sophie 1", "S123"] {
            assert!(!is_anonymous_label(l), "{l}");
        }
    }

    #[test]
    fn greeting_formula_makes_staff_even_when_speaking_second() {
        let mut turns = vec![
            turn("SPEAKER_01", "Allô ?"),
            turn("SPEAKER_00", "Banque Horizon bonjour, Julie à votre écoute."),
            turn("SPEAKER_01", "Bonjour, je voudrais un rendez-vous."),
        ];
        assert_eq!(resolve(&mut turns), RoleSource::Heuristic);
        let roles: Vec<Role> = turns.iter().map(|t| t.role).collect();
        assert_eq!(roles, [Role::Shopper, Role::Staff, Role::Shopper]);
    }

    #[test]
    fn caller_formula_without_greeting_makes_shopper() {
        let mut turns = vec![
            turn("Speaker 1", "Bonjour, je souhaiterais un rendez-vous pour un prêt."),
            turn("Speaker 2", "Oui, pour quelle date ?"),
        ];
        resolve(&mut turns);
        assert_eq!(turns[0].role, Role::Shopper);
        assert_eq!(turns[1].role, Role::Staff);
        // `service client` in the caller's mouth is not a greeting.
        let mut turns = vec![
            turn("spk_0", "Bonjour, j'appelle le service client car ma carte est bloquée."),
            turn("spk_1", "D'accord."),
        ];
        resolve(&mut turns);
        assert_eq!((turns[0].role, turns[1].role), (Role::Shopper, Role::Staff));
    }

    #[test]
    fn first_speaker_is_staff_when_nothing_else_tells() {
        let mut turns = vec![
            turn("SPEAKER_00", "Oui ?"),
            turn("SPEAKER_01", "Bonjour, c'est pour une réclamation."),
            turn("SPEAKER_00", "Je vous passe le service."),
        ];
        assert_eq!(resolve(&mut turns), RoleSource::Heuristic);
        let roles: Vec<Role> = turns.iter().map(|t| t.role).collect();
        assert_eq!(roles, [Role::Staff, Role::Shopper, Role::Staff]);
    }

    #[test]
    fn unmapped_names_take_the_missing_role() {
        let mut turns = vec![turn("Client", "Bonjour."), turn("Julie", "Bonjour monsieur.")];
        assert_eq!(resolve(&mut turns), RoleSource::Heuristic);
        assert_eq!(turns[1].role, Role::Staff);
        let mut turns = vec![turn("Client", "Bonjour."), turn("Agent", "Bonjour."), turn("Marc", "On m'a transféré.")];
        resolve(&mut turns);
        assert_eq!(turns[2].role, Role::Unknown, "a third voice when both roles are known");
        let mut turns = vec![turn("Client", "Bonjour."), turn("Conseiller", "Bonjour.")];
        assert_eq!(resolve(&mut turns), RoleSource::Mapping);
        let mut turns = vec![turn("shopper", "Hi."), turn("Staff", "Hello.")];
        assert_eq!(resolve_roles(&mut turns, &RoleMap::default(), true), RoleSource::Given);
        assert_eq!(turns[1].role, Role::Staff);
        let mut turns = vec![turn("", "[Musique]"), turn("Agent", "Bonjour.")];
        assert_eq!(resolve(&mut turns), RoleSource::Mapping);
        assert_eq!(turns[0].role, Role::Unknown);
    }

    // --- merging ------------------------------------------------------------------------

    #[test]
    fn consecutive_pieces_of_a_speaker_merge() {
        let p = |s: Option<&str>, a: u64, b: u64, t: &str| Piece {
            speaker: s.map(String::from),
            start_ms: Some(a),
            end_ms: Some(b),
            text: t.into(),
        };
        let turns = merge(vec![
            p(None, 0, 500, "[Musique]"),
            p(Some("SPEAKER_00"), 500, 2_000, "Bonjour,"),
            p(Some("speaker_00"), 2_000, 3_500, "je vous écoute."),
            p(Some("SPEAKER_01"), 4_000, 5_000, "Bonjour."),
            p(Some("SPEAKER_00"), 5_000, 6_000, "Oui ?"),
        ]);
        assert_eq!(turns.len(), 4);
        assert_eq!(turns[0].speaker, "");
        assert_eq!(turns[1].speaker, "SPEAKER_00", "the first label is kept");
        assert_eq!(turns[1].text, "Bonjour, je vous écoute.");
        assert_eq!((turns[1].start_ms, turns[1].end_ms), (Some(500), Some(3_500)));
        assert_eq!(turns[3].text, "Oui ?");
    }

    #[test]
    fn dashes_alternate_speakers() {
        let mut track = SpeakerTrack::default();
        let got: Vec<Option<String>> =
            [Mark::Dash, Mark::Dash, Mark::Continue, Mark::Dash, Mark::Named("Agent".into()), Mark::Dash]
                .into_iter()
                .map(|m| track.apply(m))
                .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(got, [s("Speaker A"), s("Speaker B"), s("Speaker B"), s("Speaker A"), s("Agent"), s("Speaker A")]);
    }

    // --- fixtures: good files -----------------------------------------------------------

    #[test]
    fn text_bank_call_fr() {
        let t = one("bank_call_fr.txt");
        assert_eq!(t.visit_id, "V00012", "header and map agree");
        assert_eq!(t.transcript_id, "bank_call_fr");
        assert_eq!((t.channel.as_deref(), t.lang.as_deref()), (Some("phone"), Some("fr")));
        assert_eq!((t.line, t.invalid_utf8, t.role_source), (1, false, RoleSource::Mapping));
        assert_eq!(t.turns.len(), 6);
        assert_eq!(roles_of(&t), ["staff", "shopper", "staff", "staff", "shopper", "staff"]);
        assert_eq!(t.turns[0].speaker, "Conseillère");
        assert_eq!(t.turns[0].text, "Banque Horizon, bonjour, Camille à votre écoute.");
        assert_eq!(t.turns[1].speaker, "Client", "no-break space before the colon");
        assert!(t.turns[1].text.ends_with(
            "prêt immobilier, j'ai essayé de prendre rendez-vous dans l'application mais le calendrier reste vide."
        ));
        assert!(t.turns[2].text.ends_with("en ce moment. Note : le client a été mis en attente pendant deux minutes."));
        let starts: Vec<Option<u64>> = t.turns.iter().map(|t| t.start_ms).collect();
        let s = |ms| Some(ms);
        assert_eq!(starts, [s(2_000), s(6_000), s(19_000), s(151_000), s(158_000), s(165_000)]);
        assert!(t.turns.iter().all(|t| t.end_ms.is_none()));
    }

    #[test]
    fn text_airline_call_en_visit_from_map() {
        let t = one("airline_call_en.txt");
        assert_eq!(t.visit_id, "V00031");
        assert_eq!(t.lang, None);
        assert_eq!(t.turns.len(), 8);
        assert_eq!(t.turns.iter().filter(|t| t.role == Role::Staff).count(), 4);
        assert_eq!(t.turns[3].text, "Sure, it's K7QX2L.");
        assert_eq!(t.turns[4].start_ms, Some(62_000), "[MM:SS]");
        assert_eq!(
            t.turns[5].text,
            "That's odd, I typed it twice on the website. The form must have cut off the last letters."
        );
        assert_eq!(t.turns[1].start_ms, Some(6_000), "(HH:MM:SS)");
    }

    #[test]
    fn text_chat_with_names_uses_the_heuristic() {
        let t = one("chat_retail_fr.txt");
        assert_eq!((t.visit_id.as_str(), t.channel.as_deref()), ("V00077", Some("chat")));
        assert_eq!(t.role_source, RoleSource::Heuristic);
        let speakers: Vec<&str> = t.turns.iter().map(|t| t.speaker.as_str()).collect();
        assert_eq!(speakers, ["Léa", "Marc", "Marc", "Léa", "Marc", "Léa"]);
        assert_eq!(roles_of(&t), ["staff", "shopper", "shopper", "staff", "shopper", "staff"]);
        assert_eq!(t.turns[4].text, "CMD-88412 Remarque : Le site indique toujours « prête à retirer ».");
    }

    #[test]
    fn text_in_windows_1252_is_decoded_and_flagged() {
        let t = one("latin1_call_fr.txt");
        assert!(t.invalid_utf8);
        assert_eq!(t.visit_id, "V00070");
        assert_eq!(roles_of(&t), ["shopper", "staff"]);
        assert!(t.turns[0].text.contains("carte de fidélité était acceptée"));
        assert!(t.turns[1].text.contains("dématérialisée"));
    }

    #[test]
    fn jsonl_chats() {
        let records = read("chats.jsonl", &HashMap::new());
        let ts: Vec<&Transcript> = records
            .iter()
            .map(|r| match r {
                TranscriptRecord::Transcript(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ts.len(), 3);
        let fr = ts[0];
        assert_eq!((fr.transcript_id.as_str(), fr.visit_id.as_str(), fr.line), ("chat-fr-01", "V00101", 1));
        assert_eq!(fr.role_source, RoleSource::Mapping);
        assert_eq!(roles_of(fr), ["staff", "shopper", "staff"]);
        assert_eq!(fr.turns[2].speaker, "conseillère");
        let times: Vec<(Option<u64>, Option<u64>)> = fr.turns.iter().map(|t| (t.start_ms, t.end_ms)).collect();
        assert_eq!(times, [(Some(0), None), (Some(41_000), None), (Some(90_500), Some(112_000))]);
        let en = ts[1];
        assert_eq!((en.transcript_id.as_str(), en.line), ("chats:3", 3), "id from the stem and line");
        assert_eq!((en.lang.as_deref(), en.role_source), (Some("en"), RoleSource::Given));
        assert_eq!((en.turns[1].start_ms, en.turns[1].end_ms), (Some(12_000), Some(20_125)));
        assert_eq!((en.turns[0].start_ms, en.turns[0].end_ms), (Some(3_250), Some(5_000)));
        let stt = ts[2];
        assert_eq!(stt.role_source, RoleSource::Heuristic);
        assert_eq!(roles_of(stt), ["shopper", "staff", "shopper"]);
    }

    #[test]
    fn jsonl_mixed_good_and_bad_lines() {
        let records = read("mixed.jsonl", &map());
        assert_eq!(records.len(), 4);
        assert!(matches!(&records[0], TranscriptRecord::Transcript(t) if t.turns.len() == 2 && t.visit_id == "V00201"));
        let rejects: Vec<(Option<u64>, &str)> = records[1..]
            .iter()
            .map(|r| match r {
                TranscriptRecord::Rejected { line, reason, .. } => (*line, reason.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(rejects[0].0, Some(2));
        assert!(rejects[0].1.starts_with("invalid JSON"), "{}", rejects[0].1);
        assert_eq!(rejects[1], (Some(3), "missing visit_id"));
        assert_eq!(rejects[2], (Some(4), "turn 2 has empty text"));
        if let TranscriptRecord::Rejected { raw, .. } = &records[2] {
            assert!(raw.contains("No visit id on this line."));
        }
    }

    #[test]
    fn jsonl_other_line_problems() {
        let path = Path::new("inline.jsonl");
        let reasons = |text: &str| -> Vec<String> {
            read_bytes(text.as_bytes(), path, TranscriptFormat::Jsonl, &HashMap::new(), &RoleMap::default())
                .into_iter()
                .map(|r| match r {
                    TranscriptRecord::Rejected { reason, .. } => reason,
                    TranscriptRecord::Transcript(t) => format!("ok {}", t.transcript_id),
                })
                .collect()
        };
        assert_eq!(reasons(r#"{"visit_id": "V1", "turns": []}"#), ["no turns"]);
        assert_eq!(reasons(r#"{"visit_id": "V1"}"#), ["missing turns"]);
        assert_eq!(reasons(r#"[1, 2]"#), ["expected a JSON object"]);
        assert_eq!(reasons(r#"{"visit_id": "V1", "turns": [{"text": "x"}]}"#), ["turn 1 has no speaker"]);
        assert_eq!(
            reasons(r#"{"visit_id": 17, "turns": [{"speaker": "client", "text": "x", "start": 5, "end": 4}]}"#),
            ["turn 1 ends before it starts (00:00:04.000 < 00:00:05.000)"]
        );
        assert_eq!(
            reasons(r#"{"visit_id": "V1", "turns": [{"speaker": "client", "text": "x", "start": "soon"}]}"#)[0],
            "turn 1: start \"soon\" is not a time (seconds or HH:MM:SS.mmm)"
        );
        assert_eq!(reasons("\n  \n"), ["empty file"]);
        assert_eq!(
            reasons("\u{feff}{\"visit_id\": 17, \"turns\": [{\"speaker\": \"client\", \"text\": \"x\"}]}\r\n"),
            ["ok inline:1"]
        );
    }

    #[test]
    fn vtt_speech_to_text_with_diarisation_labels() {
        let t = one("stt_call_fr.vtt");
        assert_eq!((t.visit_id.as_str(), t.lang.as_deref()), ("V00045", Some("fr")), "map by stem");
        assert_eq!(t.role_source, RoleSource::Heuristic);
        let speakers: Vec<&str> = t.turns.iter().map(|t| t.speaker.as_str()).collect();
        assert_eq!(speakers, ["SPEAKER_01", "SPEAKER_00", "SPEAKER_01", "SPEAKER_00", "SPEAKER_01"]);
        assert_eq!(roles_of(&t), ["shopper", "staff", "shopper", "staff", "shopper"]);
        assert_eq!(t.turns[1].text, "Air Azur bonjour, Thomas à votre écoute, que puis-je faire pour vous ?");
        assert_eq!((t.turns[1].start_ms, t.turns[1].end_ms), (Some(2_300), Some(6_900)), "cues 2 and 3 merged");
        assert_eq!(
            t.turns[2].text,
            "Oui bonjour, je voudrais changer la date de mon vol mais le site plante au moment du paiement."
        );
        assert_eq!(
            t.turns[3].text,
            "D'accord, je vais le faire par téléphone. Il y aura des frais de vingt-cinq euros."
        );
        assert_eq!(
            (t.turns[3].start_ms, t.turns[3].end_ms),
            (Some(13_200), Some(19_450)),
            "an unlabelled cue continues"
        );
        assert_eq!(t.turns[4].text, "Vingt-cinq euros ? Alors que c'est votre site qui ne marche pas !");
    }

    #[test]
    fn vtt_chat_with_voice_tags() {
        let t = one("retail_chat_en.vtt");
        assert_eq!((t.visit_id.as_str(), t.lang.as_deref()), ("V00310", Some("en")), "visit id from a NOTE");
        assert_eq!(t.transcript_id, "retail_chat_en");
        assert_eq!(t.role_source, RoleSource::Mapping);
        let got: Vec<(&str, Role, Option<u64>, Option<u64>)> =
            t.turns.iter().map(|t| (t.speaker.as_str(), t.role, t.start_ms, t.end_ms)).collect();
        assert_eq!(
            got,
            [
                ("Agent", Role::Staff, Some(1_000), Some(4_000)),
                ("Customer", Role::Shopper, Some(9_000), Some(18_000)),
                ("Agent", Role::Staff, Some(20_000), Some(26_000)),
                ("Customer", Role::Shopper, Some(20_000), Some(26_000)),
            ]
        );
        assert_eq!(
            t.turns[1].text,
            "I ordered a lamp for home delivery and the tracking page says delivered, but nothing arrived. The courier didn't ring either."
        );
        assert_eq!(t.turns[2].text, "I'm sorry. I've opened a claim with the carrier & you'll hear back in 48h.");
        assert_eq!(t.turns[3].text, "OK, thanks.");
    }

    #[test]
    fn srt_with_dialogue_dashes() {
        let t = one("telecom_call_fr.srt");
        assert_eq!(t.visit_id, "V00052");
        assert_eq!(t.role_source, RoleSource::Heuristic);
        let got: Vec<(&str, &str, Option<u64>, Option<u64>)> =
            t.turns.iter().map(|t| (t.speaker.as_str(), t.role.as_str(), t.start_ms, t.end_ms)).collect();
        assert_eq!(
            got,
            [
                ("Speaker A", "staff", Some(1_000), Some(4_000)),
                ("Speaker B", "shopper", Some(1_000), Some(4_000)),
                ("Speaker A", "staff", Some(4_500), Some(9_000)),
                ("Speaker B", "shopper", Some(4_500), Some(12_000)),
                ("Speaker A", "staff", Some(12_500), Some(16_000)),
                ("Speaker B", "shopper", Some(12_500), Some(16_000)),
            ]
        );
        assert_eq!(t.turns[3].text, "Oui, trois fois, et l'appli dit que tout va bien.");
    }

    #[test]
    fn srt_with_speaker_prefixes() {
        let t = one("airline_call_en.srt");
        assert_eq!(t.visit_id, "V00033", "map entry with a directory part, matched on the file name");
        let got: Vec<(&str, &str, Option<u64>, Option<u64>)> =
            t.turns.iter().map(|t| (t.speaker.as_str(), t.role.as_str(), t.start_ms, t.end_ms)).collect();
        assert_eq!(
            got,
            [
                ("SPEAKER_00", "shopper", Some(800), Some(2_900)),
                ("SPEAKER_01", "staff", Some(3_100), Some(9_000)),
                ("SPEAKER_00", "shopper", Some(9_600), Some(15_200)),
                ("SPEAKER_01", "staff", Some(15_900), Some(24_300)),
                ("SPEAKER_00", "shopper", Some(25_000), Some(27_100)),
            ]
        );
        assert_eq!(t.turns[4].text, "Finally. Thank you.");
    }

    #[test]
    fn srt_with_bracket_labels_keeps_annotations_as_text() {
        let t = one("hotel_call_en.srt");
        assert_eq!((t.visit_id.as_str(), t.role_source), ("V00060", RoleSource::Mapping));
        assert_eq!(roles_of(&t), ["staff", "shopper", "staff"]);
        assert_eq!(
            t.turns[2].text,
            "One moment please, I'll check. [Hold music] I'm back. I can't find any booking under your name."
        );
        assert_eq!((t.turns[2].start_ms, t.turns[2].end_ms), (Some(9_500), Some(105_000)));
    }

    // --- fixtures: rejects --------------------------------------------------------------

    #[test]
    fn empty_and_binary_files_are_rejected() {
        assert_eq!(rejected("empty.txt", &map()), (None, "empty file".to_string()));
        let (line, reason) = rejected("binary.vtt", &map());
        assert_eq!(line, None);
        assert!(reason.starts_with("binary file"), "{reason}");
    }

    #[test]
    fn broken_timestamp_names_its_line() {
        let (line, reason) = rejected("bad_timestamp.srt", &HashMap::new());
        assert_eq!(line, Some(10));
        assert_eq!(
            reason,
            "line 10: broken timestamp line \"00:00:08,500 -> 00:00:1O,000\": no `-->` between the two times"
        );
    }

    #[test]
    fn cue_ending_before_its_start_is_rejected() {
        let (line, reason) = rejected("end_before_start.vtt", &HashMap::new());
        assert_eq!(line, Some(6));
        assert_eq!(reason, "line 6: cue ends before it starts (00:00:09.000 --> 00:00:07.500)");
    }

    #[test]
    fn text_without_speakers_is_rejected() {
        let (line, reason) = rejected("no_speaker.txt", &HashMap::new());
        assert_eq!(line, None);
        assert!(reason.starts_with("no speaker found"), "{reason}");
    }

    #[test]
    fn cue_files_without_speakers_or_cues_are_rejected() {
        let path = Path::new("x.vtt");
        let reason =
            |text: &str, format| match read_bytes(text.as_bytes(), path, format, &HashMap::new(), &RoleMap::default())
                .pop()
            {
                Some(TranscriptRecord::Rejected { reason, .. }) => reason,
                other => panic!("{other:?}"),
            };
        let vtt = TranscriptFormat::WebVtt;
        assert!(reason("WEBVTT\n\n00:01.000 --> 00:02.000\nBonjour.\n", vtt).starts_with("no speaker found"));
        assert!(reason("WEBVTT\n\nNOTE rien\n", vtt).starts_with("no cues"));
        assert!(reason("WEBVTT\n\nBonjour.\n\n00:01.000 --> 00:02.000\n- Oui.\n", vtt)
            .starts_with("line 3: text before the first cue"));
        assert_eq!(
            reason("1\n00:00:01,000 --> 00:00:02,000\n- Oui.\n\n2\nBonjour\n", TranscriptFormat::Srt),
            "line 6: broken timestamp line \"Bonjour\": no `-->` between the two times"
        );
    }

    #[test]
    fn visit_id_precedence() {
        // Header and map disagree.
        let conflict: HashMap<String, String> = [("bank_call_fr".to_string(), "V99999".to_string())].into();
        let (_, reason) = rejected("bank_call_fr.txt", &conflict);
        assert_eq!(reason, "visit id conflict: the file says \"V00012\", the mapping file says \"V99999\"");
        // No map: the header, else the stem.
        let none = HashMap::new();
        assert!(
            matches!(&read("bank_call_fr.txt", &none)[0], TranscriptRecord::Transcript(t) if t.visit_id == "V00012")
        );
        assert!(
            matches!(&read("airline_call_en.txt", &none)[0], TranscriptRecord::Transcript(t) if t.visit_id == "airline_call_en")
        );
        // A map that does not list the file.
        let other: HashMap<String, String> = [("elsewhere.txt".to_string(), "V1".to_string())].into();
        let (line, reason) = rejected("airline_call_en.txt", &other);
        assert_eq!(line, None);
        assert!(reason.starts_with("no visit id"), "{reason}");
        // The file name is tried before the stem.
        let both: HashMap<String, String> =
            [("airline_call_en".to_string(), "V2".to_string()), ("airline_call_en.txt".to_string(), "V3".to_string())]
                .into();
        assert!(
            matches!(&read("airline_call_en.txt", &both)[0], TranscriptRecord::Transcript(t) if t.visit_id == "V3")
        );
    }

    #[test]
    fn visit_map_file() {
        let m = map();
        assert_eq!(m.len(), 7);
        assert_eq!(m["stt_call_fr"], "V00045");
        assert_eq!(m["airline_call_en.srt"], "V00033", "directory part dropped");
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let semi = write("semi.csv", "\u{feff}file;visit_id\na.vtt ; V1\n;\n");
        assert_eq!(read_visit_map(&semi).unwrap()["a.vtt"], "V1");
        let twice = write("twice.csv", "file,visit_id\na.vtt,V1\na.vtt,V2\n");
        let e = read_visit_map(&twice).unwrap_err();
        assert_eq!(e.location.row, Some(2));
        assert!(e.reason.contains("mapped to both"), "{}", e.reason);
        let missing = write("missing.csv", "name,visit\na,V1\n");
        assert!(read_visit_map(&missing).unwrap_err().reason.contains("missing required column \"file\""));
        let half = write("half.csv", "file,visit_id\na.vtt,\n");
        assert_eq!(read_visit_map(&half).unwrap_err().reason, "empty visit_id");
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
            read_file(path, format, map, &RoleMap::default()).unwrap_or_else(|e| panic!("{e}"))
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
            match read_file(&p, format, &HashMap::new(), &RoleMap::default()) {
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
        let records = read_file(&p, TranscriptFormat::WebVtt, &HashMap::new(), &RoleMap::default()).unwrap();
        assert!(matches!(&records[0], TranscriptRecord::Rejected { reason, .. } if reason.starts_with("binary file")));
    }

    #[test]
    fn utf16_and_unreadable_files() {
        let text = "Agent : Bonjour, je vous écoute.\nClient : Bonjour.\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let records =
            read_bytes(&bytes, Path::new("V9.txt"), TranscriptFormat::Text, &HashMap::new(), &RoleMap::default());
        match &records[0] {
            TranscriptRecord::Transcript(t) => {
                assert!(!t.invalid_utf8, "UTF-16 with a BOM is a known encoding");
                assert_eq!(t.visit_id, "V9");
                assert_eq!(t.turns[0].text, "Bonjour, je vous écoute.");
            }
            other => panic!("{other:?}"),
        }
        let err =
            read_file(Path::new("/nonexistent/x.txt"), TranscriptFormat::Text, &HashMap::new(), &RoleMap::default());
        assert!(err.unwrap_err().reason.starts_with("cannot open"));
        assert!(matches!(decode_file(b"\x01\x02\x03abc\x04\x05"), Decoded::Binary(_)));
    }

    #[test]
    fn ambiguous_openings_and_everyone_greeting() {
        // A greeting and a caller formula in the same turn say nothing.
        assert_eq!(opening("Bonjour, je vous écoute… enfin, je vous appelle pour ma carte."), Opening::Neither);
        assert_eq!(opening("Bienvenue chez Optima, que puis-je faire pour vous ?"), Opening::Staff);
        assert_eq!(opening("I'd like to change my booking."), Opening::Shopper);
        assert_eq!(opening("Customer service, hello."), Opening::Staff);
        assert_eq!(opening("Hello, I'm calling customer service about a refund."), Opening::Shopper);
        assert_eq!(opening("Bonjour."), Opening::Neither);
        let mut turns = vec![
            turn("SPEAKER_00", "Bienvenue chez Optima, je vous écoute."),
            turn("SPEAKER_01", "Oui bonjour, bienvenue à vous aussi."),
        ];
        resolve(&mut turns);
        assert_eq!((turns[0].role, turns[1].role), (Role::Staff, Role::Shopper));
    }

    #[test]
    fn text_comments_anywhere_and_titles() {
        let text = "Appel mystère du 12 mars\nAgent : Bonjour, je vous écoute.\n# lang: FR\nClient : Bonjour.\n# fin\n";
        let records = read_bytes(
            text.as_bytes(),
            Path::new("V7.txt"),
            TranscriptFormat::Text,
            &HashMap::new(),
            &RoleMap::default(),
        );
        match &records[0] {
            TranscriptRecord::Transcript(t) => {
                assert_eq!(t.lang.as_deref(), Some("fr"));
                assert_eq!(t.turns.len(), 2);
                assert_eq!(t.turns[0].text, "Bonjour, je vous écoute.");
                assert_eq!(t.turns[1].text, "Bonjour.");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cue_ids_may_hold_an_arrow() {
        let text = "WEBVTT\n\nintro->1\n00:00:01.000 --> 00:00:02.000\n<v Agent>Hello.\n";
        let records = read_bytes(
            text.as_bytes(),
            Path::new("V8.vtt"),
            TranscriptFormat::WebVtt,
            &HashMap::new(),
            &RoleMap::default(),
        );
        assert!(matches!(&records[0], TranscriptRecord::Transcript(t) if t.turns[0].start_ms == Some(1_000)));
    }

    /// Mangled copies of every fixture never panic, and what they give keeps the guarantees.
    #[test]
    fn mangled_inputs_never_panic_and_keep_the_guarantees() {
        let dir = fixture("");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let roles = RoleMap::default();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
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
