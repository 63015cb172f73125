//! Reads labelled data in the three JSON Lines shapes of `TAXONOMY.md` (segments;
//! comments, whose sentences are labelled in order; transcripts, whose turns are) into
//! labelled segments that keep their place in their comment or transcript, so that
//! training and evaluation can give a model each segment with its context.
//!
//! Any label outside the taxonomy, and any segment whose categories break the rule
//! "irritants = the categories of the irritant aspects", is an error naming the file and
//! line: training or evaluating on a misspelt label would silently measure something else.

use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use crate::error::{InputError, Location};
use crate::taxonomy::{irritants_of, AspectLabel, Irritant, IrritantSet, Sentiment};

/// The style of standalone segments, which carry no `source`.
pub const SEGMENT_STYLE: &str = "segment";

/// One labelled segment (a sentence of a comment, or a transcript turn).
#[derive(Debug, Clone)]
pub struct LabelledSegment {
    /// `id` of the line, with `#N` appended for the N-th sentence or turn (from 0).
    pub id: String,
    /// The comment or transcript the segment belongs to (its own id for a lone segment).
    pub unit: String,
    pub lang: String,
    /// Where such text comes from: the comment's `source` (`report`, `review`, `social`,
    /// `survey`), the transcript's channel (`phone`, `chat`), or [`SEGMENT_STYLE`].
    pub style: String,
    /// `shopper` or `staff`, for a transcript turn.
    pub speaker: Option<String>,
    pub text: String,
    pub irritants: IrritantSet,
    pub sentiment: Sentiment,
    /// The aspects the segment judges; `None` in data labelled before version 2.
    pub aspects: Option<Vec<AspectLabel>>,
}

impl LabelledSegment {
    /// The segment before this one in the same comment or transcript: the context a
    /// reader has when reaching it. `data` is the slice this segment was read into.
    pub fn previous(data: &[LabelledSegment], i: usize) -> Option<&LabelledSegment> {
        let p = data.get(i.checked_sub(1)?)?;
        (p.unit == data[i].unit).then_some(p)
    }
}

/// The segments' texts normalised as a run normalises what it reads, in order, so models
/// are trained and scored on the text they will see.
pub fn normalised_texts(data: &[LabelledSegment]) -> Vec<String> {
    use rayon::prelude::*;
    data.par_iter().map(|s| crate::normalise::normalise(&s.text).text).collect()
}

#[derive(Deserialize)]
struct Line {
    id: String,
    #[serde(default)]
    lang: String,
    source: Option<String>,
    channel: Option<String>,
    #[serde(flatten)]
    unit: Option<Unit>,
    sentences: Option<Vec<Unit>>,
    turns: Option<Vec<Unit>>,
}

#[derive(Deserialize)]
struct Unit {
    text: String,
    irritants: Vec<String>,
    sentiment: String,
    aspects: Option<Vec<AspectLine>>,
    speaker: Option<String>,
}

#[derive(Deserialize)]
struct AspectLine {
    aspect: String,
    polarity: String,
}

fn labelled_unit(
    loc: &Location,
    what: &str,
    u: &Unit,
) -> Result<(IrritantSet, Sentiment, Option<Vec<AspectLabel>>), InputError> {
    let err = |e: String| InputError::new(loc.clone(), format!("{what}: {e}"));
    let mut set = IrritantSet::default();
    for i in &u.irritants {
        set.insert(i.parse::<Irritant>().map_err(err)?);
    }
    let sentiment = u.sentiment.parse::<Sentiment>().map_err(err)?;
    let aspects = match &u.aspects {
        None => None,
        Some(list) => {
            let labels = list
                .iter()
                .map(|a| AspectLabel::parse(&a.aspect, &a.polarity))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            let implied = irritants_of(&labels);
            if implied != set {
                let names = |s: IrritantSet| s.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
                return Err(err(format!(
                    "irritants [{}] are not the categories of its irritant aspects [{}]",
                    names(set),
                    names(implied)
                )));
            }
            Some(labels)
        }
    };
    Ok((set, sentiment, aspects))
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
        let l: Line = serde_json::from_str(&line)
            .map_err(|e| InputError::new(loc.clone(), format!("not a labelled JSON object: {e}")))?;
        let (units, style, numbered) = match (l.sentences, l.turns, l.unit) {
            (Some(s), None, _) => {
                let source = l.source.ok_or_else(|| InputError::new(loc.clone(), "a comment needs its `source`"))?;
                (s, source, true)
            }
            (None, Some(t), _) => (t, l.channel.unwrap_or_else(|| "transcript".into()), true),
            (None, None, Some(u)) => (vec![u], SEGMENT_STYLE.to_string(), false),
            _ => {
                return Err(InputError::new(
                    loc,
                    "a labelled line needs `text`, `irritants` and `sentiment`, or `sentences`, or `turns`",
                ))
            }
        };
        for (t, u) in units.into_iter().enumerate() {
            let what = if numbered { format!("unit {}", t + 1) } else { "segment".into() };
            let (irritants, sentiment, aspects) = labelled_unit(&loc, &what, &u)?;
            out.push(LabelledSegment {
                id: if numbered { format!("{}#{}", l.id, t) } else { l.id.clone() },
                unit: l.id.clone(),
                lang: l.lang.clone(),
                style: style.clone(),
                speaker: u.speaker,
                text: u.text,
                irritants,
                sentiment,
                aspects,
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<LabelledSegment>, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gold.jsonl");
        std::fs::write(&path, text).unwrap();
        read_file(&path)
    }

    #[test]
    fn reads_the_three_shapes_with_their_context() {
        let data = read(concat!(
            r#"{"id": "s1", "lang": "fr", "text": "Pas d'attente.", "irritants": [], "sentiment": "positive", "aspects": [{"aspect": "physical.wait", "polarity": "praise"}]}"#,
            "\n",
            r#"{"id": "c1", "lang": "en", "source": "review", "sentences": [{"text": "ordered for pickup", "irritants": [], "sentiment": "neutral", "aspects": []}, {"text": "never sent lol", "irritants": ["phygital_bridge"], "sentiment": "negative", "aspects": [{"aspect": "phygital_bridge.click_collect", "polarity": "irritant"}]}]}"#,
            "\n\n",
            r#"{"id": "t1", "lang": "en", "channel": "phone", "turns": [{"speaker": "shopper", "text": "On hold for ages.", "irritants": ["digital"], "sentiment": "negative"}]}"#,
            "\n"
        ))
        .unwrap();
        let ids: Vec<&str> = data.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["s1", "c1#0", "c1#1", "t1#0"]);
        let styles: Vec<&str> = data.iter().map(|s| s.style.as_str()).collect();
        assert_eq!(styles, [SEGMENT_STYLE, "review", "review", "phone"]);
        assert_eq!(LabelledSegment::previous(&data, 2).map(|s| s.text.as_str()), Some("ordered for pickup"));
        assert!(LabelledSegment::previous(&data, 1).is_none(), "a comment's first sentence has no context");
        assert!(LabelledSegment::previous(&data, 3).is_none(), "context never crosses units");
        assert_eq!(data[2].aspects.as_ref().unwrap()[0].name(), "phygital_bridge.click_collect");
        assert!(data[3].aspects.is_none(), "turns labelled before version 2 have unknown aspects");
        assert_eq!(data[3].speaker.as_deref(), Some("shopper"));
    }

    #[test]
    fn a_category_without_its_aspect_is_an_error_naming_the_line() {
        let e = read(concat!(
            "\n",
            r#"{"id": "s1", "lang": "fr", "text": "x", "irritants": ["digital"], "sentiment": "negative", "aspects": [{"aspect": "physical.wait", "polarity": "irritant"}]}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("row 2") && e.contains("irritants [digital]") && e.contains("[physical]"), "{e}");
        let e = read(r#"{"id": "s1", "text": "x", "irritants": [], "sentiment": "neutral", "aspects": [{"aspect": "physical.queue", "polarity": "praise"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown aspect \"physical.queue\""), "{e}");
        let e = read(r#"{"id": "c1", "sentences": []}"#).unwrap_err().to_string();
        assert!(e.contains("source"), "{e}");
    }
}
