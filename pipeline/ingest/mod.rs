//! Reading inputs: comments, the checklist and visit metadata, from CSV, JSON Lines or
//! Parquet, as streams of records.
//!
//! [`rows`] turns any supported file into records of named text fields, decoding bytes
//! that are not valid UTF-8 instead of failing; [`comments`], [`checklist`] and [`visits`]
//! validate those records into domain rows, and every record they cannot use becomes a
//! [`Reject`] naming the file, the row and the reason. Nothing is dropped silently.
//! [`dates`] reads the dates of comments and visits. Text inputs named `.gz` or `.zst` are
//! decompressed on the fly ([`open_input`]), and a file that is something else than its
//! name says (a spreadsheet, an archive, a PDF...) is refused with one line saying what it
//! is.

pub mod checklist;
pub mod comments;
pub mod dates;
pub mod rows;
pub mod seen;
pub mod transcripts;
pub mod visits;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::error::{escape_controls, InputError, Location};

/// File formats irritant reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
}

impl Format {
    /// The format implied by a file name: `.csv`/`.tsv`, `.jsonl`/`.ndjson`, each optionally
    /// compressed (`.csv.gz`, `.jsonl.zst`, see [`Compression`]), or `.parquet`/`.pq`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let compressed = Compression::from_path(path) != Compression::None;
        match format_extension(path)?.as_str() {
            "csv" | "tsv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "parquet" | "pq" if !compressed => Some(Format::Parquet),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }

    /// `forced` when given, else the extension's format, else an error naming the file.
    pub fn resolve(path: &Path, forced: Option<Format>) -> Result<Format, InputError> {
        forced.or_else(|| Format::from_path(path)).ok_or_else(|| {
            let compression = Compression::from_path(path);
            let parquet = matches!(format_extension(path).as_deref(), Some("parquet" | "pq"));
            InputError::new(
                Location::file(path),
                if parquet && compression != Compression::None {
                    format!(
                        "a {} Parquet file: Parquet compresses its own pages, decompress the file and read the .parquet",
                        compression.as_str()
                    )
                } else {
                    "unknown file extension: expected .csv, .tsv, .jsonl or .ndjson (each optionally .gz or .zst), .parquet or .pq (or name the format with a flag)".into()
                },
            )
        })
    }
}

/// How an input file is compressed, from its last extension: `.gz` (gzip) or `.zst`
/// (zstd). Compressed files are decompressed while they are read, never whole in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn from_path(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("gz") => Compression::Gzip,
            Some("zst") => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// `gzip`, `zstd` or `uncompressed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip-compressed",
            Compression::Zstd => "zstd-compressed",
        }
    }
}

/// The file name without its compression extension: `a.csv.gz` → `a.csv`.
pub fn uncompressed_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    Some(match Compression::from_path(path) {
        Compression::None => name,
        _ => Path::new(&name).file_stem().map_or(name.clone(), |s| s.to_string_lossy().into_owned()),
    })
}

/// The extension that names a file's format, lower-cased: the last one, or the one
/// before `.gz`/`.zst`.
pub fn format_extension(path: &Path) -> Option<String> {
    let name = uncompressed_name(path)?;
    Some(Path::new(&name).extension()?.to_str()?.to_ascii_lowercase())
}

/// What an input file should hold, for the messages of [`open_input`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Csv,
    Jsonl,
    Parquet,
    Transcript,
}

impl Expected {
    fn what(self) -> &'static str {
        match self {
            Expected::Csv => "CSV",
            Expected::Jsonl => "JSON Lines",
            Expected::Parquet => "Parquet",
            Expected::Transcript => "a transcript",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Expected::Transcript => "export it as UTF-8 text, WebVTT, SRT or JSON Lines",
            _ => "export the sheet as CSV (UTF-8) or Parquet",
        }
    }
}

impl From<Format> for Expected {
    fn from(f: Format) -> Self {
        match f {
            Format::Csv => Expected::Csv,
            Format::Jsonl => Expected::Jsonl,
            Format::Parquet => Expected::Parquet,
        }
    }
}

/// File types recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    Zip,
    Ole2,
    Gzip,
    Zstd,
    Pdf,
    Parquet,
}

/// Bytes enough to tell every [`Signature`].
const HEAD: usize = 8;

fn signature(head: &[u8]) -> Option<Signature> {
    Some(match head {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, ..] => Signature::Zip,
        [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, ..] => Signature::Ole2,
        [0x1F, 0x8B, ..] => Signature::Gzip,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => Signature::Zstd,
        [b'%', b'P', b'D', b'F', b'-', ..] => Signature::Pdf,
        [b'P', b'A', b'R', b'1', ..] => Signature::Parquet,
        _ => return None,
    })
}

/// Checks that the first bytes of a file (of its content once decompressed, when
/// `decompressed`) are not those of a format irritant does not read as `expected`.
fn check_signature(path: &Path, head: &[u8], expected: Expected, decompressed: bool) -> Result<(), InputError> {
    let Some(sig) = signature(head) else {
        return Ok(());
    };
    let transcript = expected == Expected::Transcript;
    let what = expected.what();
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let is = if decompressed { "once decompressed, this is" } else { "this is" };
    let reason = match sig {
        Signature::Parquet if expected == Expected::Parquet => return Ok(()),
        Signature::Zip if transcript => {
            format!("{is} a Word or Excel document or a zip archive, not {what}; {}", expected.advice())
        }
        Signature::Zip => format!("{is} an Excel workbook or a zip archive, not {what}; {}", expected.advice()),
        Signature::Ole2 if transcript => {
            format!("{is} an old Word (.doc) or other Office document, not {what}; {}", expected.advice())
        }
        Signature::Ole2 => {
            format!("{is} an old Excel workbook (.xls) or other Office document, not {what}; {}", expected.advice())
        }
        Signature::Pdf => format!("{is} a PDF document, not {what}; {}", expected.advice()),
        Signature::Parquet if transcript => {
            format!("{is} a Parquet file, not {what}; transcripts are read from text, WebVTT, SRT or JSON Lines")
        }
        Signature::Parquet => format!(
            "{is} a Parquet file, not {what}; name it .parquet (or name the format with a flag, e.g. --comments-format parquet)"
        ),
        Signature::Gzip | Signature::Zstd if decompressed || expected == Expected::Parquet => {
            let kind = if sig == Signature::Gzip { "gzip" } else { "zstd" };
            format!("{is} {kind}-compressed data, not {what}")
        }
        Signature::Gzip | Signature::Zstd => {
            let (kind, ext) = if sig == Signature::Gzip { ("gzip", "gz") } else { ("zstd", "zst") };
            let plain = if transcript { "a plain transcript".to_string() } else { format!("plain {what}") };
            format!("{is} {kind}-compressed data, not {plain}; rename it {name}.{ext} to have it decompressed")
        }
    };
    Err(InputError::new(Location::file(path), reason))
}

/// Reads up to [`HEAD`] bytes, fewer only at the end of the stream.
fn read_head(reader: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    reader.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Opens an input file as a stream of its (decompressed) bytes, after checking from its
/// first bytes that it is not something else: a spreadsheet or zip archive, an old Office
/// document, a PDF, Parquet where text is expected, compressed data under a plain name,
/// or plain data under a `.gz`/`.zst` name. Each is an error naming the file and what it
/// is.
pub fn open_input(path: &Path, expected: Expected) -> Result<Box<dyn BufRead + Send>, InputError> {
    let loc = || Location::file(path);
    let mut file = File::open(path).map_err(|e| InputError::new(loc(), format!("cannot open: {e}")))?;
    let head = read_head(&mut file).map_err(|e| InputError::new(loc(), format!("cannot read: {e}")))?;
    let compression = Compression::from_path(path);
    let sig = signature(&head);
    let expected_sig = match compression {
        Compression::None => None,
        Compression::Gzip => Some(Signature::Gzip),
        Compression::Zstd => Some(Signature::Zstd),
    };
    if expected_sig.is_some() && sig != expected_sig && !head.is_empty() {
        return Err(InputError::new(
            loc(),
            format!(
                "named .{} but not {} data",
                path.extension().unwrap_or_default().to_string_lossy(),
                compression.as_str()
            ),
        ));
    }
    if compression == Compression::None {
        check_signature(path, &head, expected, false)?;
    }
    let raw = BufReader::with_capacity(1 << 16, Cursor::new(head.clone()).chain(file));
    let mut decoded: Box<dyn Read + Send> = match compression {
        Compression::None => return Ok(utf16_to_utf8(&head, Box::new(raw), expected)),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(raw)
                .map_err(|e| InputError::new(loc(), format!("cannot start zstd decompression: {e}")))?,
        ),
    };
    let head = read_head(&mut decoded).map_err(|e| InputError::new(loc(), format!("cannot decompress: {e}")))?;
    check_signature(path, &head, expected, true)?;
    let stream = Box::new(BufReader::with_capacity(1 << 16, Cursor::new(head.clone()).chain(decoded)));
    Ok(utf16_to_utf8(&head, stream, expected))
}

/// Whether a file's first bytes are UTF-16 text, and its byte order (`true`: little
/// endian): a byte-order mark, or ASCII characters each followed (little endian) or
/// preceded (big endian) by a NUL byte, as Excel's "Unicode text" export writes them.
fn utf16_order(head: &[u8]) -> Option<bool> {
    match head {
        [0xFF, 0xFE, ..] => Some(true),
        [0xFE, 0xFF, ..] => Some(false),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Some(true),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => Some(false),
        _ => None,
    }
}

/// A CSV or JSON Lines stream in UTF-16 (see [`utf16_order`]) decoded to UTF-8 as it is
/// read; any other stream (transcripts decode UTF-16 themselves) as it is.
fn utf16_to_utf8(head: &[u8], stream: Box<dyn BufRead + Send>, expected: Expected) -> Box<dyn BufRead + Send> {
    match utf16_order(head) {
        Some(little) if matches!(expected, Expected::Csv | Expected::Jsonl) => {
            let decoder = Utf16Decoder { inner: stream, little, pending: Vec::new(), out: Vec::new(), pos: 0 };
            Box::new(BufReader::with_capacity(1 << 16, decoder))
        }
        _ => stream,
    }
}

/// Decodes a UTF-16 byte stream to UTF-8, chunk by chunk; unpaired surrogates and an odd
/// last byte become U+FFFD. A byte-order mark comes out as the UTF-8 one, which the
/// readers skip.
struct Utf16Decoder {
    inner: Box<dyn BufRead + Send>,
    little: bool,
    /// Bytes read but not decoded yet: an odd byte, or a high surrogate waiting for its pair.
    pending: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
}

impl Read for Utf16Decoder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.out.len() {
            self.out.clear();
            self.pos = 0;
            let chunk = self.inner.fill_buf()?;
            let eof = chunk.is_empty();
            if eof && self.pending.is_empty() {
                return Ok(0);
            }
            self.pending.extend_from_slice(chunk);
            let used = chunk.len();
            self.inner.consume(used);
            let mut units: Vec<u16> = self
                .pending
                .chunks_exact(2)
                .map(|p| if self.little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) })
                .collect();
            let mut keep = self.pending.len() % 2;
            if !eof && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
                units.pop();
                keep += 2;
            }
            for c in char::decode_utf16(units) {
                let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
                self.out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            let from = self.pending.len() - keep;
            self.pending.drain(..from);
            if eof {
                if !self.pending.is_empty() {
                    self.out.extend_from_slice("\u{FFFD}".as_bytes());
                }
                self.pending.clear();
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads one line into `buf`, ending at `\n`, `\r\n` or a lone `\r` (old Mac files,
/// some exporters), the break included; 0 at the end of the stream. JSON never holds a raw
/// CR inside a value (it must be escaped), so a lone CR can only be a line break.
pub fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let start = buf.len();
    loop {
        let (done, used) = {
            let chunk = match reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(buf.len() - start);
            }
            // A CR that ended the previous chunk: take the LF that may follow it.
            if buf.len() > start && buf.last() == Some(&b'\r') {
                if chunk[0] == b'\n' {
                    buf.push(b'\n');
                    reader.consume(1);
                }
                return Ok(buf.len() - start);
            }
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) if chunk[i] == b'\n' => {
                    buf.extend_from_slice(&chunk[..=i]);
                    (true, i + 1)
                }
                Some(i) if i + 1 < chunk.len() => {
                    let end = if chunk[i + 1] == b'\n' { i + 2 } else { i + 1 };
                    buf.extend_from_slice(&chunk[..end]);
                    (true, end)
                }
                Some(i) => {
                    buf.extend_from_slice(&chunk[..=i]);
                    (false, i + 1)
                }
                None => {
                    buf.extend_from_slice(chunk);
                    (false, chunk.len())
                }
            }
        };
        reader.consume(used);
        if done {
            return Ok(buf.len() - start);
        }
    }
}

/// Splits bytes into lines at `\n`, `\r\n` or a lone `\r`, breaks excluded, as
/// [`read_line`] does for a stream. Bytes ending with a break give no empty last line.
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&bytes[start..i]);
                start = i + 1;
            }
            b'\r' => {
                out.push(&bytes[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

/// Checks a file to be read as Parquet: not compressed by name, and not a spreadsheet,
/// PDF or compressed file by content (a damaged Parquet file is the Parquet reader's to
/// report).
pub fn check_parquet(path: &Path) -> Result<(), InputError> {
    let loc = || Location::file(path);
    if Compression::from_path(path) != Compression::None {
        return Err(InputError::new(
            loc(),
            format!(
                "a {} Parquet file: Parquet compresses its own pages, decompress the file and read the .parquet",
                Compression::from_path(path).as_str()
            ),
        ));
    }
    let mut file = File::open(path).map_err(|e| InputError::new(loc(), format!("cannot open: {e}")))?;
    let head = read_head(&mut file).map_err(|e| InputError::new(loc(), format!("cannot read: {e}")))?;
    check_signature(path, &head, Expected::Parquet, false)
}

/// Runs one step of decoding a file (opening it, reading a batch or a record, parsing a
/// whole transcript) and turns a panic inside it into an [`InputError`] naming the file:
/// `cannot be decoded (a corrupt file?)`, without the panic's message and backtrace on
/// stderr. No panic of a decoder reaches the user.
///
/// The parquet crate panics on some corrupt files instead of returning an error: a
/// footer whose column chunk has a negative offset (`column start and length should not
/// be negative`), a page whose byte-array decoder divides by zero, slices out of bounds.
/// To reproduce, overwrite single bytes of `tests/fixtures/comments.parquet` (e.g. the
/// byte 6,620 from the end with 0xFF, or 10,250 from the end with 0x00) and read it;
/// `tests/robustness.rs` keeps such files as regression tests.
pub fn catch_decoder_panic<T>(path: &Path, step: impl FnOnce() -> Result<T, InputError>) -> Result<T, InputError> {
    quietly(step).unwrap_or_else(|| Err(corrupt(path)))
}

/// Runs `step`, `None` when it panicked, without the panic's output on stderr.
pub(crate) fn quietly<T>(step: impl FnOnce() -> T) -> Option<T> {
    install_quiet_panic_hook();
    QUIET_PANICS.with(|q| q.set(q.get() + 1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step));
    QUIET_PANICS.with(|q| q.set(q.get() - 1));
    result.ok()
}

/// The error of a file whose decoder panicked.
pub(crate) fn corrupt(path: &Path) -> InputError {
    InputError::new(Location::file(path), "cannot be decoded (a corrupt file?)")
}

thread_local! {
    /// How many [`catch_decoder_panic`] calls this thread is inside: while above zero, a
    /// panic is caught and reported as an input error, so the hook stays quiet.
    static QUIET_PANICS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Wraps the panic hook once: it stays quiet on a thread inside [`catch_decoder_panic`]
/// and calls the hook it replaced everywhere else, so a bug elsewhere still reports.
fn install_quiet_panic_hook() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET_PANICS.with(|q| q.get()) == 0 {
                previous(info);
            }
        }));
    });
}

/// Which input a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Comments,
    Transcripts,
    Checklist,
    Visits,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Comments => "comments",
            InputKind::Transcripts => "transcripts",
            InputKind::Checklist => "checklist",
            InputKind::Visits => "visits",
        }
    }
}

/// An input record that was not used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub input: InputKind,
    pub file: PathBuf,
    /// Row (CSV, Parquet) or line (JSONL), from 1; `None` when the problem is the file.
    pub row: Option<u64>,
    /// The column concerned, when one is.
    pub column: Option<String>,
    /// The raw record, truncated to [`RAW_CHARS`] characters.
    pub raw: String,
    pub reason: String,
}

impl Reject {
    /// A reject with its raw record truncated ([`truncate_raw`]) and the control
    /// characters of its reason escaped ([`escape_controls`]): reasons quote the input and
    /// end up on the terminal in the run's summary. Every reader builds its rejects here.
    pub fn new(
        input: InputKind,
        file: &Path,
        row: Option<u64>,
        column: Option<&str>,
        raw: &str,
        reason: impl Into<String>,
    ) -> Self {
        Reject {
            input,
            file: file.to_path_buf(),
            row,
            column: column.map(str::to_string),
            raw: truncate_raw(raw),
            reason: escape_controls(&reason.into()),
        }
    }
}

/// How much of a rejected record a reader keeps: more than the rejects table writes
/// ([`REJECT_RAW_CHARS`]), so that redaction sees whole values around the written cut.
pub const RAW_CHARS: usize = REJECT_RAW_CHARS + RAW_MARGIN_CHARS;

/// How much of a rejected record the rejects table writes, once redacted.
pub const REJECT_RAW_CHARS: usize = 1000;

/// The end of a record cut by a reader that is never written: a value the cut split may
/// escape redaction there.
pub const RAW_MARGIN_CHARS: usize = 100;

/// Truncates a raw record for the rejects table, marking the cut.
pub fn truncate_raw(raw: &str) -> String {
    match raw.char_indices().nth(RAW_CHARS) {
        Some((i, _)) => format!("{}…", &raw[..i]),
        None => raw.to_string(),
    }
}

/// Column names of the inputs as they are in the files, when they differ from irritant's
/// names. Keys are `TABLE.FIELD` (e.g. `comments.text`), values the file's column name.
#[derive(Debug, Clone, Default)]
pub struct ColumnNames(HashMap<String, String>);

impl ColumnNames {
    /// The renamings, sorted: a stable description of them.
    pub fn sorted(&self) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        v.sort_unstable();
        v
    }

    /// The tables whose columns can be renamed, and their fields.
    pub const TABLES: [(&'static str, &'static [&'static str]); 3] =
        [("comments", &comments::FIELDS), ("checklist", &checklist::FIELDS), ("visits", &visits::FIXED)];

    /// Parses `TABLE.FIELD=NAME` pairs; an unknown table or field, an empty name, or a
    /// field given two different names is an error listing what is valid.
    pub fn parse(pairs: &[String]) -> Result<Self, String> {
        let mut map: HashMap<String, String> = HashMap::new();
        for p in pairs {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("--column {p}: expected TABLE.FIELD=NAME, e.g. comments.text=verbatim"))?;
            let (table, field) = k
                .split_once('.')
                .ok_or_else(|| format!("--column {p}: the key needs a table, e.g. comments.text=verbatim"))?;
            let Some((_, fields)) = Self::TABLES.iter().find(|(t, _)| *t == table) else {
                let tables: Vec<&str> = Self::TABLES.iter().map(|(t, _)| *t).collect();
                return Err(format!("--column {p}: unknown table {table:?}; tables: {}", tables.join(", ")));
            };
            if !fields.contains(&field) {
                return Err(format!("--column {p}: unknown field {field:?} of {table}; fields: {}", fields.join(", ")));
            }
            if v.trim().is_empty() {
                return Err(format!("--column {p}: the column name after `=` is empty"));
            }
            if let Some(previous) = map.get(k).filter(|prev| *prev != v) {
                return Err(format!("--column {p}: {k} is already mapped to {previous:?}"));
            }
            map.insert(k.to_string(), v.to_string());
        }
        Ok(ColumnNames(map))
    }

    /// The remapped fields, as `TABLE.FIELD=NAME`, sorted.
    pub fn remapped(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        v.sort();
        v
    }

    /// The file's name for a field of a table.
    pub fn get<'a>(&'a self, table: &str, field: &'a str) -> &'a str {
        self.0.get(&format!("{table}.{field}")).map(String::as_str).unwrap_or(field)
    }
}

/// A file or directory found in a directory and not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// What [`expand_paths`] found: the files to read, in order, and the entries of the
/// directories it passed over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// A name starting with a dot: editor locks, `.DS_Store`, macOS `._` companions of a
/// real file, which a directory read passes over whatever their extension.
fn is_hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Why a directory entry is not read.
fn skip_reason(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if path.is_dir() {
        return "a subdirectory (directories are not read recursively)".into();
    }
    if !path.is_file() {
        return "not a regular file".into();
    }
    if is_hidden(path) {
        return "a hidden file".into();
    }
    match format_extension(path).as_deref() {
        None => "no file extension to tell its format".into(),
        Some(ext @ ("xlsx" | "xlsm" | "xls" | "ods")) => {
            format!("a spreadsheet (.{ext}): export the sheet as CSV (UTF-8) or Parquet to have it read")
        }
        Some("parquet" | "pq") if Compression::from_path(path) != Compression::None => {
            "a compressed Parquet file: decompress it (Parquet compresses its own pages)".into()
        }
        Some(_) => {
            let ext = name.find('.').map_or(name.as_str(), |i| &name[i..]);
            format!("unknown extension {ext} for this input")
        }
    }
}

/// Expands files and directories into the files to read: a file is taken as given; a
/// directory gives its files that `readable` accepts (a known extension) and whose name
/// does not start with a dot, sorted by name, and lists everything else in it (other
/// files, subdirectories: it is not recursive) as skipped with the reason. A directory
/// without any readable file is an error.
pub fn expand_paths(paths: &[PathBuf], readable: impl Fn(&Path) -> bool) -> Result<Expanded, InputError> {
    let mut out = Expanded::default();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| InputError::new(Location::file(p), format!("cannot list directory: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            let (files, skipped): (Vec<PathBuf>, Vec<PathBuf>) =
                entries.into_iter().partition(|f| f.is_file() && !is_hidden(f) && readable(f));
            let skipped: Vec<Skipped> =
                skipped.into_iter().map(|path| Skipped { reason: skip_reason(&path), path }).collect();
            if files.is_empty() {
                let mut reason = "directory holds no file of a format irritant reads".to_string();
                if !skipped.is_empty() {
                    let names: Vec<String> = skipped
                        .iter()
                        .take(5)
                        .map(|s| s.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
                        .collect();
                    let more =
                        if skipped.len() > 5 { format!(" and {} more", skipped.len() - 5) } else { String::new() };
                    reason.push_str(&format!(" (found: {}{more})", names.join(", ")));
                }
                return Err(InputError::new(Location::file(p), reason));
            }
            out.files.extend(files);
            out.skipped.extend(skipped);
        } else if p.is_file() {
            out.files.push(p.clone());
        } else {
            return Err(InputError::new(Location::file(p), "no such file or directory"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_map_and_validate() {
        let c = ColumnNames::parse(&["comments.text=verbatim".into()]).unwrap();
        assert_eq!(c.get("comments", "text"), "verbatim");
        assert_eq!(c.get("comments", "visit_id"), "visit_id");
        let err = |p: &str| ColumnNames::parse(&[p.to_string()]).unwrap_err();
        assert_eq!(err("text=verbatim"), "--column text=verbatim: the key needs a table, e.g. comments.text=verbatim");
        assert_eq!(
            err("comments.text"),
            "--column comments.text: expected TABLE.FIELD=NAME, e.g. comments.text=verbatim"
        );
        assert_eq!(
            err("orders.text=x"),
            "--column orders.text=x: unknown table \"orders\"; tables: comments, checklist, visits"
        );
        assert_eq!(
            err("comments.txt=verbatim"),
            "--column comments.txt=verbatim: unknown field \"txt\" of comments; fields: comment_id, visit_id, text, lang, channel, criterion, created_at"
        );
        assert_eq!(
            err("checklist.note=x"),
            "--column checklist.note=x: unknown field \"note\" of checklist; fields: visit_id, criterion, score, max_score, section, category"
        );
        assert_eq!(
            err("visits.region=x"),
            "--column visits.region=x: unknown field \"region\" of visits; fields: visit_id, store_id, visit_date, channel"
        );
        assert_eq!(err("visits.visit_id= "), "--column visits.visit_id= : the column name after `=` is empty");
        let twice = ColumnNames::parse(&["comments.text=a".into(), "comments.text=b".into()]).unwrap_err();
        assert_eq!(twice, "--column comments.text=b: comments.text is already mapped to \"a\"");
        assert!(ColumnNames::parse(&["comments.text=a".into(), "comments.text=a".into()]).is_ok());
        for (table, fields) in ColumnNames::TABLES {
            for f in fields {
                assert!(ColumnNames::parse(&[format!("{table}.{f}=x")]).is_ok(), "{table}.{f}");
            }
        }
    }

    #[test]
    fn formats_and_compression_from_file_names() {
        let f = |p: &str| Format::from_path(Path::new(p));
        assert_eq!(f("a.csv"), Some(Format::Csv));
        assert_eq!(f("a.TSV"), Some(Format::Csv));
        assert_eq!(f("a.csv.gz"), Some(Format::Csv));
        assert_eq!(f("dir.v2/a.tsv.zst"), Some(Format::Csv));
        assert_eq!(f("a.jsonl.gz"), Some(Format::Jsonl));
        assert_eq!(f("a.ndjson.zst"), Some(Format::Jsonl));
        assert_eq!(f("a.pq"), Some(Format::Parquet));
        assert_eq!(f("a.parquet.gz"), None, "Parquet is compressed inside");
        for p in ["a.gz", "a.zst", "a.xlsx", "a.csv.bz2", "README.txt", "a"] {
            assert_eq!(f(p), None, "{p}");
        }
        assert_eq!(Compression::from_path(Path::new("a.csv.GZ")), Compression::Gzip);
        assert_eq!(Compression::from_path(Path::new("a.csv.zst")), Compression::Zstd);
        assert_eq!(Compression::from_path(Path::new("a.csv")), Compression::None);
        assert_eq!(uncompressed_name(Path::new("d/call.vtt.gz")).as_deref(), Some("call.vtt"));
        assert_eq!(uncompressed_name(Path::new("d/call.vtt")).as_deref(), Some("call.vtt"));
        assert_eq!(format_extension(Path::new("d/call.VTT.zst")).as_deref(), Some("vtt"));
        let e = Format::resolve(Path::new("a.parquet.gz"), None).unwrap_err();
        assert!(e.reason.starts_with("a gzip-compressed Parquet file: Parquet compresses its own pages"), "{e}");
        let e = Format::resolve(Path::new("a.xlsx"), None).unwrap_err();
        assert!(e.reason.starts_with("unknown file extension"), "{e}");
        assert_eq!(Format::resolve(Path::new("a.xlsx"), Some(Format::Csv)).unwrap(), Format::Csv);
    }

    #[test]
    fn directories_give_their_readable_files_and_say_what_they_skip() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "b.csv",
            "a.jsonl.gz",
            "c.parquet",
            "export.xlsx",
            "README.txt",
            ".DS_Store",
            "._b.csv",
            "notes",
            "x.parquet.gz",
        ] {
            std::fs::write(d.join(name), b"x").unwrap();
        }
        std::fs::create_dir(d.join("old")).unwrap();
        let single = d.join("README.txt");
        let e = expand_paths(&[d.to_path_buf(), single.clone()], |p| Format::from_path(p).is_some()).unwrap();
        assert_eq!(e.files, [d.join("a.jsonl.gz"), d.join("b.csv"), d.join("c.parquet"), single]);
        let skipped: Vec<String> = e.skipped.iter().map(|s| s.to_string()).collect();
        let at = |name: &str| d.join(name).display().to_string();
        assert_eq!(
            skipped,
            [
                format!("{}: a hidden file", at(".DS_Store")),
                format!("{}: a hidden file", at("._b.csv")),
                format!("{}: unknown extension .txt for this input", at("README.txt")),
                format!(
                    "{}: a spreadsheet (.xlsx): export the sheet as CSV (UTF-8) or Parquet to have it read",
                    at("export.xlsx")
                ),
                format!("{}: no file extension to tell its format", at("notes")),
                format!("{}: a subdirectory (directories are not read recursively)", at("old")),
                format!(
                    "{}: a compressed Parquet file: decompress it (Parquet compresses its own pages)",
                    at("x.parquet.gz")
                ),
            ]
        );
        let only_sheets = tempfile::tempdir().unwrap();
        std::fs::write(only_sheets.path().join("a.xlsx"), b"x").unwrap();
        let err = expand_paths(&[only_sheets.path().to_path_buf()], |p| Format::from_path(p).is_some()).unwrap_err();
        assert_eq!(err.reason, "directory holds no file of a format irritant reads (found: a.xlsx)");
        let err = expand_paths(&[d.join("missing.csv")], |_| true).unwrap_err();
        assert_eq!(err.reason, "no such file or directory");
    }

    #[test]
    fn lines_end_at_lf_crlf_or_a_lone_cr() {
        let text = b"a\nb\r\nc\rd\r\re";
        let want: Vec<&[u8]> = vec![b"a", b"b", b"c", b"d", b"", b"e"];
        assert_eq!(split_lines(text), want);
        assert_eq!(split_lines(b"a\r"), [b"a"]);
        // The stream reader gives the same lines whatever its buffer size (a CRLF split
        // between two reads is one break).
        for capacity in [1, 2, 3, 64] {
            let mut r = BufReader::with_capacity(capacity, &text[..]);
            let (mut lines, mut buf) = (Vec::new(), Vec::new());
            while read_line(&mut r, &mut buf).unwrap() > 0 {
                lines.push(String::from_utf8(buf.clone()).unwrap());
                buf.clear();
            }
            assert_eq!(lines, ["a\n", "b\r\n", "c\r", "d\r", "\r", "e"], "capacity {capacity}");
        }
    }

    #[test]
    fn utf16_streams_are_decoded_in_either_byte_order_with_or_without_a_bom() {
        let text = "id;texte\n1;Caisse fermée 😞\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, bom) in [(le.clone(), &[0xFF, 0xFE][..]), (be, &[0xFE, 0xFF][..])] {
            for with_bom in [true, false] {
                let mut input = if with_bom { bom.to_vec() } else { Vec::new() };
                input.extend_from_slice(&bytes);
                // A tiny buffer splits surrogate pairs and code units between reads.
                for capacity in [1, 3, 64] {
                    let stream = Box::new(BufReader::with_capacity(capacity, Cursor::new(input.clone())));
                    let mut out = String::new();
                    utf16_to_utf8(&input[..HEAD], stream, Expected::Csv).read_to_string(&mut out).unwrap();
                    assert_eq!(out.trim_start_matches('\u{feff}'), text, "bom {with_bom}, capacity {capacity}");
                }
            }
        }
        // An odd last byte is a replacement character, not an error.
        let mut odd = le.clone();
        odd.push(b'x');
        let mut out = String::new();
        utf16_to_utf8(&odd[..HEAD], Box::new(Cursor::new(odd.clone())), Expected::Jsonl)
            .read_to_string(&mut out)
            .unwrap();
        assert!(out.ends_with('\u{FFFD}'), "{out:?}");
        // UTF-8 and transcripts pass through.
        assert_eq!(utf16_order(b"id;texte"), None);
    }

    #[test]
    fn truncation_marks_the_cut() {
        let long = "é".repeat(RAW_CHARS + 5);
        let t = truncate_raw(&long);
        assert_eq!(t.chars().count(), RAW_CHARS + 1);
        assert!(t.ends_with('…'));
        assert_eq!(truncate_raw("court"), "court");
    }
}
