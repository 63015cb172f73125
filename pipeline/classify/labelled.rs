//! Reads labelled data in the two JSON Lines shapes of `TAXONOMY.md` (segments, and
//! transcripts whose turns are labelled) into flat labelled segments.
//!
//! Any label outside the taxonomy is an error naming the file and line: training or
//! evaluating on a misspelt label would silently measure something else.

use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use crate::error::{InputError, Location};
use crate::taxonomy::{Irritant, IrritantSet, Sentiment};

/// One labelled segment (a sentence of a comment, or a transcript turn).
#[derive(Debug, Clone)]
pub struct LabelledSegment {
    /// `id` of the line, with `#turn` appended for a transcript turn.
    pub id: String,
    pub lang: String,
    pub text: String,
    pub irritants: IrritantSet,
    pub sentiment: Sentiment,
}

/// The segments' texts normalised as a run normalises what it reads, in order, so models
/// are trained and scored on the text they will see.
pub fn normalised_texts(data: &[LabelledSegment]) -> Vec<String> {
    use rayon::prelude::*;
    data.par_iter().map(|s| crate::normalise::normalise(&s.text).text).collect()
}

#[derive(Deserialize)]
struct SegmentLine {
    id: String,
    #[serde(default)]
    lang: String,
    text: Option<String>,
    irritants: Option<Vec<String>>,
    sentiment: Option<String>,
    turns: Option<Vec<TurnLine>>,
}

#[derive(Deserialize)]
struct TurnLine {
    text: String,
    irritants: Vec<String>,
    sentiment: String,
}

fn labels(loc: &Location, irritants: &[String], sentiment: &str) -> Result<(IrritantSet, Sentiment), InputError> {
    let mut set = IrritantSet::default();
    for i in irritants {
        set.insert(i.parse::<Irritant>().map_err(|e| InputError::new(loc.clone(), e))?);
    }
    let s = sentiment.parse::<Sentiment>().map_err(|e| InputError::new(loc.clone(), e))?;
    Ok((set, s))
}

/// Reads one labelled JSONL file. Blank lines are skipped.
pub fn read_file(path: &Path) -> Result<Vec<LabelledSegment>, InputError> {
    let file =
        std::fs::File::open(path).map_err(|e| InputError::new(Location::file(path), format!("cannot open: {e}")))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let loc = Location::row(path, n as u64 + 1);
        let line = line.map_err(|e| InputError::new(loc.clone(), format!("cannot read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: SegmentLine = serde_json::from_str(&line)
            .map_err(|e| InputError::new(loc.clone(), format!("not a labelled JSON object: {e}")))?;
        if let Some(turns) = l.turns {
            for (t, turn) in turns.into_iter().enumerate() {
                let (irritants, sentiment) = labels(&loc, &turn.irritants, &turn.sentiment)?;
                out.push(LabelledSegment {
                    id: format!("{}#{}", l.id, t),
                    lang: l.lang.clone(),
                    text: turn.text,
                    irritants,
                    sentiment,
                });
            }
            continue;
        }
        let (Some(text), Some(irr), Some(sent)) = (l.text, l.irritants, l.sentiment) else {
            return Err(InputError::new(loc, "a labelled line needs `text`, `irritants` and `sentiment`, or `turns`"));
        };
        let (irritants, sentiment) = labels(&loc, &irr, &sent)?;
        out.push(LabelledSegment { id: l.id, lang: l.lang, text, irritants, sentiment });
    }
    Ok(out)
}

/// Reads several files, in order.
pub fn read_files(paths: &[impl AsRef<Path>]) -> Result<Vec<LabelledSegment>, InputError> {
    let mut all = Vec::new();
    for p in paths {
        all.extend(read_file(p.as_ref())?);
    }
    Ok(all)
}
