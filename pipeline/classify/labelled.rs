//! Reads labelled data in the three JSON Lines shapes of `TAXONOMY.md` (segments;
//! comments, whose sentences are labelled in order; transcripts, whose turns are) into
//! labelled segments that keep their place in their comment or transcript, so that
//! training and evaluation can give a model each segment with its context.
//!
//! Any label outside the taxonomy, and any segment whose categories break the rule
//! "irritants = the categories of the irritant aspects", is an error naming the file and
//! line: training or evaluating on a misspelt label would silently measure something else.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::heads::HeadLayout;
use super::SegmentInput;
use crate::error::{InputError, Location};
use crate::taxonomy::{self, irritants_of, AspectLabel, Irritant, IrritantSet, Sentiment};

/// The style of lone segments, which carry no `source`.
pub const SEGMENT_STYLE: &str = "segment";

/// Which of the three shapes of `TAXONOMY.md` a segment was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A line holding one segment.
    Segment,
    /// A sentence of a comment (`sentences`).
    Comment,
    /// A turn of a transcript (`turns`).
    Transcript,
}

/// One labelled segment (a sentence of a comment, or a transcript turn).
#[derive(Debug, Clone)]
pub struct LabelledSegment {
    /// `id` of the line, with `#N` appended for the N-th sentence or turn (from 0).
    pub id: String,
    /// The id of the comment or transcript the segment belongs to (its own id for a lone
    /// segment); unique across the files read together.
    pub unit: String,
    pub shape: Shape,
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
        (p.shape != Shape::Segment && p.unit == data[i].unit).then_some(p)
    }
}

/// The segments' texts as a run prepares what it reads (normalised, personal data
/// redacted: [`crate::normalise::clean_text`]), in order, so models are trained and
/// scored on the text they will see.
pub fn prepared_texts(data: &[LabelledSegment]) -> Vec<String> {
    use rayon::prelude::*;
    let redactor = crate::redact::Redactor::new();
    data.par_iter().map(|s| crate::normalise::clean_text(&s.text, Some(&redactor)).0.text).collect()
}

/// Each segment of `data` with its context, reading the texts of [`prepared_texts`]: the
/// previous sentence of its comment or turn of its transcript, and a turn's speaker.
pub fn inputs<'a>(data: &'a [LabelledSegment], texts: &'a [String]) -> Vec<SegmentInput<'a>> {
    (0..data.len())
        .map(|i| SegmentInput {
            text: &texts[i],
            previous: LabelledSegment::previous(data, i).map(|_| texts[i - 1].as_str()),
            speaker: data[i].speaker.as_deref(),
        })
        .collect()
}

/// A labelled segment as a classifier reads it, for training a model outside irritant
/// (`irritant examples`): the prepared text and context of [`inputs`], and its labels as
/// the names of the heads of [`HeadLayout::full`] whose target is 1.
#[derive(Debug, Serialize)]
pub struct Example<'a> {
    pub id: &'a str,
    pub unit: &'a str,
    pub lang: &'a str,
    pub style: &'a str,
    pub speaker: Option<&'a str>,
    pub text: &'a str,
    pub previous: Option<&'a str>,
    pub labels: Vec<String>,
    /// Whether the segment's aspects are labelled (else its aspect heads learn nothing from it).
    pub aspects_labelled: bool,
}

/// [`Example`]s of `data`, whose prepared texts are `texts`.
pub fn examples<'a>(data: &'a [LabelledSegment], texts: &'a [String]) -> Vec<Example<'a>> {
    let layout = HeadLayout::full();
    let names = layout.names();
    data.iter()
        .zip(inputs(data, texts))
        .map(|(s, input)| {
            let (y, _) = layout.targets(s.irritants, s.sentiment, s.aspects.as_deref());
            Example {
                id: &s.id,
                unit: &s.unit,
                lang: &s.lang,
                style: &s.style,
                speaker: input.speaker,
                text: input.text,
                previous: input.previous,
                labels: names.iter().zip(&y).filter(|(_, &t)| t == 1.0).map(|(n, _)| n.clone()).collect(),
                aspects_labelled: s.aspects.is_some(),
            }
        })
        .collect()
}

/// A line of any shape; which fields it must hold depends on the shape.
#[derive(Deserialize)]
struct Line {
    id: String,
    #[serde(default)]
    lang: String,
    source: Option<String>,
    channel: Option<String>,
    sentences: Option<Vec<Unit>>,
    turns: Option<Vec<Unit>>,
    #[serde(flatten)]
    labels: Unit,
}

/// The labels of one segment, sentence or turn.
#[derive(Deserialize, Default)]
struct Unit {
    text: Option<String>,
    irritants: Option<Vec<String>>,
    sentiment: Option<String>,
    aspects: Option<Vec<AspectLine>>,
    speaker: Option<String>,
}

#[derive(Deserialize)]
struct AspectLine {
    aspect: String,
    polarity: String,
}

/// A unit's labels, checked against the taxonomy and its rule.
type Labels = (String, IrritantSet, Sentiment, Option<Vec<AspectLabel>>);

fn labelled_unit(u: Unit) -> Result<Labels, String> {
    let (Some(text), Some(irritants), Some(sentiment)) = (u.text, u.irritants, u.sentiment) else {
        return Err("needs `text`, `irritants` and `sentiment`".into());
    };
    let mut set = IrritantSet::default();
    for i in &irritants {
        set.insert(i.parse::<Irritant>()?);
    }
    let sentiment = sentiment.parse::<Sentiment>()?;
    let aspects = match u.aspects {
        None => None,
        Some(list) => {
            let labels =
                list.iter().map(|a| AspectLabel::parse(&a.aspect, &a.polarity)).collect::<Result<Vec<_>, _>>()?;
            let implied = irritants_of(&labels);
            if implied != set {
                let names = |s: IrritantSet| s.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
                return Err(format!(
                    "irritants [{}] are not the categories of its irritant aspects [{}]",
                    names(set),
                    names(implied)
                ));
            }
            Some(labels)
        }
    };
    Ok((text, set, sentiment, aspects))
}

/// The units of a line, with its shape and style.
fn shape_of(l: &mut Line) -> Result<(Shape, String, Vec<Unit>), String> {
    let has_labels = l.labels.text.is_some() || l.labels.irritants.is_some() || l.labels.sentiment.is_some();
    match (l.sentences.take(), l.turns.take(), has_labels) {
        (Some(s), None, false) => {
            let source = l.source.take().ok_or("a comment needs its `source`")?;
            if !taxonomy::sources().contains(&source) {
                return Err(format!("unknown source {source:?} (expected {})", taxonomy::sources().join(", ")));
            }
            Ok((Shape::Comment, source, s))
        }
        (None, Some(t), false) => {
            let channel = l.channel.take().ok_or("a transcript needs its `channel`")?;
            if !CHANNELS.contains(&channel.as_str()) {
                return Err(format!("unknown channel {channel:?} (expected phone or chat)"));
            }
            Ok((Shape::Transcript, channel, t))
        }
        (None, None, _) => Ok((Shape::Segment, SEGMENT_STYLE.to_string(), vec![std::mem::take(&mut l.labels)])),
        _ => Err("a labelled line is one of three shapes: a segment (`text`, `irritants`, `sentiment`), a comment (`sentences`) or a transcript (`turns`), not several".into()),
    }
}

const CHANNELS: [&str; 2] = ["phone", "chat"];
const SPEAKERS: [&str; 2] = ["shopper", "staff"];

/// Reads one labelled JSONL file. Blank lines are skipped.
pub fn read_file(path: &Path) -> Result<Vec<LabelledSegment>, InputError> {
    read_files(&[path])
}

/// Reads several files, in order. An id used twice (in one file or across them) is an
/// error: comment-level scores and context are gathered by id.
pub fn read_files(paths: &[impl AsRef<Path>]) -> Result<Vec<LabelledSegment>, InputError> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, Location> = HashMap::new();
    for path in paths {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| InputError::new(Location::file(path), format!("cannot open: {e}")))?;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let loc = Location::row(path, n as u64 + 1);
            let line = line.map_err(|e| InputError::new(loc.clone(), format!("cannot read: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let mut l: Line = serde_json::from_str(&line)
                .map_err(|e| InputError::new(loc.clone(), format!("not a labelled JSON object: {e}")))?;
            let (shape, style, units) = shape_of(&mut l).map_err(|e| InputError::new(loc.clone(), e))?;
            if units.is_empty() {
                return Err(InputError::new(loc, format!("{} has no units", l.id)));
            }
            if let Some(first) = seen.insert(l.id.clone(), loc.clone()) {
                return Err(InputError::new(loc, format!("id {:?} is already used at {first}", l.id)));
            }
            for (k, u) in units.into_iter().enumerate() {
                let id = if shape == Shape::Segment { l.id.clone() } else { format!("{}#{k}", l.id) };
                let what = match shape {
                    Shape::Segment => "segment".to_string(),
                    Shape::Comment => format!("sentence {} (`{id}`)", k + 1),
                    Shape::Transcript => format!("turn {} (`{id}`)", k + 1),
                };
                let err = |e: String| InputError::new(loc.clone(), format!("{what}: {e}"));
                let speaker = u.speaker.clone();
                match (&speaker, shape) {
                    (Some(s), Shape::Transcript) if !SPEAKERS.contains(&s.as_str()) => {
                        return Err(err(format!("unknown speaker {s:?} (expected shopper or staff)")))
                    }
                    (None, Shape::Transcript) => return Err(err("a turn needs its `speaker`".into())),
                    _ => {}
                }
                let (text, irritants, sentiment, aspects) = labelled_unit(u).map_err(err)?;
                out.push(LabelledSegment {
                    id,
                    unit: l.id.clone(),
                    shape,
                    lang: l.lang.clone(),
                    style: style.clone(),
                    speaker,
                    text,
                    irritants,
                    sentiment,
                    aspects,
                });
            }
        }
    }
    Ok(out)
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

    #[test]
    fn malformed_lines_are_errors_that_say_what_is_wrong() {
        let turn = |speaker: &str| {
            format!(r#"{{"speaker": "{speaker}", "text": "x", "irritants": [], "sentiment": "neutral"}}"#)
        };
        for (line, expected) in [
            (r#"{"id": "s1", "text": "x", "sentiment": "neutral"}"#.to_string(), "needs `text`, `irritants` and `sentiment`"),
            (r#"{"id": "s1", "text": "x", "irritants": "physical", "sentiment": "neutral"}"#.to_string(), "invalid type"),
            (
                r#"{"id": "c1", "source": "review", "text": "x", "sentences": [{"text": "y", "irritants": [], "sentiment": "neutral"}]}"#.to_string(),
                "not several",
            ),
            (r#"{"id": "c1", "source": "review", "sentences": []}"#.to_string(), "c1 has no units"),
            (r#"{"id": "c1", "source": "blog", "sentences": []}"#.to_string(), "unknown source \"blog\""),
            (format!(r#"{{"id": "t1", "turns": [{}]}}"#, turn("staff")), "needs its `channel`"),
            (format!(r#"{{"id": "t1", "channel": "fax", "turns": [{}]}}"#, turn("staff")), "unknown channel"),
            (
                format!(r#"{{"id": "t1", "channel": "chat", "turns": [{}, {}]}}"#, turn("staff"), turn("robot")),
                "turn 2 (`t1#1`): unknown speaker \"robot\"",
            ),
        ] {
            let e = read(&line).unwrap_err().to_string();
            assert!(e.contains("row 1") && e.contains(expected), "{line}\n→ {e}");
        }
    }

    #[test]
    fn an_id_used_twice_is_an_error_even_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        let line = r#"{"id": "c1", "lang": "en", "source": "survey", "sentences": [{"text": "slow", "irritants": [], "sentiment": "negative"}]}"#;
        std::fs::write(&a, line).unwrap();
        std::fs::write(&b, format!("\n{line}")).unwrap();
        assert_eq!(read_files(&[&a]).unwrap().len(), 1);
        let e = read_files(&[&a, &b]).unwrap_err().to_string();
        assert!(
            e.contains("b.jsonl, row 2") && e.contains("\"c1\" is already used at") && e.contains("a.jsonl, row 1"),
            "{e}"
        );
    }
}
