//! `irritant run --dry-run`: what a run would read and with what, without reading it:
//! the files (directories expanded, with the files skipped), their formats and an
//! estimate of their records, the column mapping, the model and the output layout.

use std::io::Read;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::RunConfig;
use crate::classify;
use crate::error::{InputError, Location};
use crate::ingest::transcripts::TranscriptFormat;
use crate::ingest::{
    catch_decoder_panic, check_parquet, expand_paths, open_input, read_line, Compression, Expected, Format,
};

/// One input file as a run would read it.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedFile {
    pub input: String,
    pub path: String,
    pub format: String,
    pub bytes: u64,
    /// Records (rows, lines), exact for Parquet and for text files read to the end,
    /// extrapolated from the first MiB for large text files; `None` when unknown.
    pub records: Option<u64>,
    pub exact: bool,
}

/// What a run would do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub files: Vec<PlannedFile>,
    /// Files of directory inputs that would not be read, with the reason.
    pub skipped: Vec<String>,
    /// `TABLE.FIELD = name in the files`, for the fields remapped with `--column`.
    pub columns: Vec<String>,
    pub model: String,
    pub out: String,
    pub mode: String,
    pub partition_by: Option<String>,
    pub threads: usize,
}

/// Text files up to this size are counted to the end.
const COUNT_WHOLE: u64 = 64 << 20;

/// Records of a file: Parquet's row count from its footer; CSV records and non-blank
/// JSONL lines, counted (through the decompressor for a compressed file) or, for a large
/// plain file, extrapolated from the lines of its first MiB.
fn estimate(path: &Path, format: Option<Format>) -> Result<(Option<u64>, bool)> {
    let bytes = std::fs::metadata(path)?.len();
    if format == Some(Format::Parquet) {
        use parquet::file::reader::FileReader;
        // The footer is read behind the run's panic guard: a corrupt file makes the count
        // unknown, as any unreadable one does, rather than crash the dry run.
        let rows = check_parquet(path).and_then(|()| {
            catch_decoder_panic(path, || {
                let file = std::fs::File::open(path)
                    .map_err(|e| InputError::new(Location::file(path), format!("cannot open: {e}")))?;
                let reader = parquet::file::serialized_reader::SerializedFileReader::new(file)
                    .map_err(|e| InputError::new(Location::file(path), format!("not a readable Parquet file: {e}")))?;
                Ok(reader.metadata().file_metadata().num_rows().max(0) as u64)
            })
        });
        return Ok(rows.map_or((None, false), |n| (Some(n), true)));
    }
    let header = u64::from(format == Some(Format::Csv));
    let expected = if format == Some(Format::Csv) { Expected::Csv } else { Expected::Jsonl };
    // The same checks and decompression as a run: a binary file is named here too.
    let mut reader = open_input(path, expected)?;
    if bytes <= COUNT_WHOLE || Compression::from_path(path) != Compression::None {
        if format == Some(Format::Csv) {
            // Records, not lines: a quoted text may hold line breaks.
            let mut csv = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(reader);
            let mut record = csv::ByteRecord::new();
            let mut n = 0u64;
            loop {
                match csv.read_byte_record(&mut record) {
                    Ok(true) => n += 1,
                    Ok(false) => return Ok((Some(n), true)),
                    // The run will say which row; the count so far is a lower bound.
                    Err(_) => return Ok((Some(n), false)),
                }
            }
        }
        let mut lines = 0u64;
        let mut buf = Vec::new();
        // Lines as the JSONL readers split them (LF, CRLF or a lone CR).
        while read_line(&mut reader, &mut buf)? > 0 {
            if buf.iter().any(|b| !b.is_ascii_whitespace()) {
                lines += 1;
            }
            buf.clear();
        }
        return Ok((Some(lines), true));
    }
    let mut head = Vec::new();
    reader.take(1 << 20).read_to_end(&mut head)?;
    let lines = head.iter().filter(|&&b| b == b'\n').count() as u64;
    if lines == 0 {
        return Ok((None, false));
    }
    Ok((Some((bytes * lines / head.len() as u64).saturating_sub(header)), false))
}

/// Works out what `cfg` would read, without reading it.
pub fn plan(cfg: &RunConfig) -> Result<Plan> {
    let mut files = Vec::new();
    let comments = expand_paths(&cfg.comments, |p| Format::from_path(p).is_some())?;
    let transcripts = expand_paths(&cfg.transcripts, |p| TranscriptFormat::from_path(p).is_some())?;
    let mut skipped: Vec<String> = comments.skipped.iter().map(|s| format!("comments: {s}")).collect();
    skipped.extend(transcripts.skipped.iter().map(|s| format!("transcripts: {s}")));
    for p in comments.files {
        let format = Format::resolve(&p, cfg.comments_format)?;
        files.push(planned("comments", &p, format.as_str(), Some(format))?);
    }
    for p in transcripts.files {
        let format = TranscriptFormat::resolve(&p)?;
        let as_rows = (format == TranscriptFormat::Jsonl).then_some(Format::Jsonl);
        files.push(planned("transcripts", &p, format.as_str(), as_rows)?);
    }
    for (input, path, forced) in [
        ("checklist", &cfg.checklist, cfg.checklist_format),
        ("criteria", &cfg.criteria, None),
        ("visits", &cfg.visits, cfg.visits_format),
        ("transcript_map", &cfg.transcript_map, Some(Format::Csv)),
    ] {
        if let Some(p) = path {
            let format = Format::resolve(p, forced)?;
            files.push(planned(input, p, format.as_str(), Some(format))?);
        }
    }
    let model = match cfg.model.as_deref() {
        None => format!("{} (embedded)", classify::DEFAULT_MODEL),
        Some(name) if name == classify::DEFAULT_MODEL => format!("{name} (embedded)"),
        Some(name) => {
            let (base, variant) = classify::split_variant(name);
            let dir = classify::model_dir(base)?;
            format!("{name} ({}{})", dir.display(), variant.map(|v| format!(", variant {v}")).unwrap_or_default())
        }
    };
    Ok(Plan {
        files,
        skipped,
        columns: cfg.columns.remapped(),
        model,
        out: cfg.out.display().to_string(),
        mode: if cfg.append { "append" } else { "replace" }.into(),
        partition_by: cfg.partition_by.map(|p| p.column().to_string()),
        threads: cfg.threads,
    })
}

fn planned(input: &str, path: &Path, format: &str, rows: Option<Format>) -> Result<PlannedFile> {
    let bytes = std::fs::metadata(path)?.len();
    let (records, exact) = match rows {
        Some(f) => estimate(path, Some(f))?,
        // A speaker-prefixed, WebVTT or SRT file is one transcript.
        None => (Some(1), true),
    };
    Ok(PlannedFile {
        input: input.into(),
        path: path.display().to_string(),
        format: format.into(),
        bytes,
        records,
        exact,
    })
}

impl Plan {
    /// The plan as lines for a terminal.
    pub fn render(&self) -> String {
        let mut s = String::from("irritant run --dry-run: nothing is read beyond the estimates, nothing written\n");
        s.push_str("inputs:\n");
        for f in &self.files {
            let records = match (f.records, f.exact) {
                (Some(n), true) => format!("{n} records"),
                (Some(n), false) => format!("about {n} records"),
                (None, _) => "records unknown".into(),
            };
            s.push_str(&format!(
                "  {:<14} {:<8} {:>12} bytes  {:<18} {}\n",
                f.input, f.format, f.bytes, records, f.path
            ));
        }
        for sk in &self.skipped {
            s.push_str(&format!("  skipped {sk}\n"));
        }
        if self.columns.is_empty() {
            s.push_str("columns: the default names (see README, Inputs)\n");
        } else {
            s.push_str(&format!("columns: {}\n", self.columns.join(", ")));
        }
        s.push_str(&format!("model: {}\n", self.model));
        s.push_str(&format!(
            "output: {} ({}{}), {} threads (0: one per core)\n",
            self.out,
            self.mode,
            self.partition_by.as_deref().map(|p| format!(", partitioned by {p}")).unwrap_or_default(),
            self.threads
        ));
        s
    }
}
