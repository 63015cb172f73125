//! The schema of every output table, in one place. The writers build their Arrow arrays
//! against these schemas, `irritant schema` prints them, and the README's schema section
//! is that command's Markdown output (a test keeps them equal).
//!
//! Conventions: offsets are in characters (Unicode scalar values) of the normalised
//! comment text, `char_end` exclusive, so `substr(text, char_start + 1, char_end -
//! char_start)` in DuckDB or `text[char_start:char_end]` in Python gives the segment.
//! Probabilities are raw model outputs in 0..1, not calibrated. Types are the ones every
//! reader takes as they are: signed integers (pandas, polars and DuckDB subtract them
//! without wrapping around; Spark has no unsigned types), `date32` and UTC timestamps in
//! microseconds, and plain strings for categorical columns (Parquet still stores them
//! with dictionary pages; an Arrow dictionary type would come back as a pandas or polars
//! categorical, whose joins to plain strings fail). Each field carries its description in
//! the field metadata under the key `description`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

use crate::taxonomy::{Irritant, Sentiment};

/// The output tables, in the order `irritant schema` lists them: the seven of
/// `irritant run`, then `predictions`, written by `irritant eval`.
pub const TABLES: [&str; 8] =
    ["segments", "turns", "aspects", "comments", "visits", "checklist", "rejects", "predictions"];

/// The tables of `irritant run`, each a folder of the output directory, in the order a
/// run commits them.
pub const RUN_TABLES: [&str; 7] = ["segments", "turns", "aspects", "comments", "visits", "checklist", "rejects"];

/// The columns every table of `irritant run` ends with (before a visits file's
/// pass-through columns), so rows of several runs read together stay apart.
pub const RUN_COLUMNS: [&str; 2] = ["run_id", "model_id"];

fn run_columns(f: &mut Vec<Field>) {
    f.push(col(
        "run_id",
        DataType::Utf8,
        false,
        "The run that wrote the row (`_manifest.json`'s `run_id`; `_runs/RUN_ID.json` keeps each run's manifest).",
    ));
    f.push(col(
        "model_id",
        DataType::Utf8,
        false,
        "The model that classified the text (`_manifest.json`'s `model.id`).",
    ));
}

fn with_run_columns(mut f: Vec<Field>) -> SchemaRef {
    run_columns(&mut f);
    Arc::new(Schema::new(f))
}

fn col(name: &str, data_type: DataType, nullable: bool, description: &str) -> Field {
    Field::new(name, data_type, nullable)
        .with_metadata(HashMap::from([("description".to_string(), description.to_string())]))
}

/// A list of strings (the item field is nullable, as Arrow writers expect).
pub fn string_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

fn struct_list(fields: Vec<Field>) -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Struct(Fields::from(fields)), true)))
}

/// Item type of `segments.evidence`.
pub fn evidence_fields() -> Vec<Field> {
    vec![
        Field::new("irritant", DataType::Utf8, false),
        Field::new("aspect", DataType::Utf8, true),
        Field::new("term", DataType::Utf8, false),
        Field::new("weight", DataType::Float32, false),
    ]
}

/// Item type of `segments.aspects`.
pub fn aspect_fields() -> Vec<Field> {
    vec![
        Field::new("aspect", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("polarity", DataType::Utf8, false),
        Field::new("probability", DataType::Float32, false),
    ]
}

/// Item type of `visits.section_scores`.
pub fn section_score_fields() -> Vec<Field> {
    vec![
        Field::new("section", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("answered", DataType::Int32, false),
    ]
}

/// Item type of `visits.dissonances`.
pub fn dissonance_fields() -> Vec<Field> {
    vec![
        Field::new("criterion", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("kind", DataType::Utf8, false),
    ]
}

/// The prediction columns shared by `segments` and `turns`: a flag and a probability per
/// category, the category list, the sentiment with its probabilities, and the evidence.
fn prediction_columns(f: &mut Vec<Field>) {
    for c in Irritant::ALL {
        f.push(col(
            c.as_str(),
            DataType::Boolean,
            false,
            &format!("Reports a `{c}` irritant (probability at or above the model's threshold)."),
        ));
        f.push(col(
            &format!("{c}_prob"),
            DataType::Float32,
            false,
            &format!("Probability of `{c}` (raw model output, 0..1)."),
        ));
    }
    f.push(col("irritants", string_list(), false, "Predicted categories, in taxonomy order; empty for none."));
    f.push(col("sentiment", DataType::Utf8, false, "Most probable sentiment: negative, neutral or positive."));
    for s in Sentiment::ALL {
        f.push(col(
            &format!("sentiment_{s}"),
            DataType::Float32,
            false,
            &format!("Probability of `{s}` sentiment (softmax; the three sum to 1)."),
        ));
    }
    f.push(col(
        "evidence",
        struct_list(evidence_fields()),
        false,
        "For each predicted irritant aspect (each predicted category, for a model without aspect heads), up to three terms that pushed it most, with the aspect and the contribution to its head's logit. A term is a word, a word pair or an entity name, as the segment writes it; stop words alone are never evidence.",
    ));
    f.push(col(
        "aspects",
        struct_list(aspect_fields()),
        false,
        "Predicted aspects (`category.aspect`, its category, `irritant` or `praise`, the head's probability), in taxonomy order. Their irritant aspects give exactly the predicted categories; empty for a model without aspect heads.",
    ));
    f.push(col(
        "context_chars",
        DataType::Int32,
        false,
        "Characters of context the model read with the segment: the previous sentence of the comment (of the transcript, across turns); 0 when it read the segment alone.",
    ));
}

/// `aspects.parquet`: one row per aspect predicted in a sentence of a comment or a
/// transcript, so dashboards count and filter aspects without unnesting lists.
pub fn aspects() -> SchemaRef {
    with_run_columns(vec![
        col("visit_id", DataType::Utf8, false, "Visit of the comment or transcript."),
        col("source", DataType::Utf8, false, "`comment` (a row of segments) or `transcript` (a row of turns)."),
        col("comment_id", DataType::Utf8, true, "Comment of the sentence; null for a transcript."),
        col("transcript_id", DataType::Utf8, true, "Transcript of the sentence; null for a comment."),
        col("turn_index", DataType::Int32, true, "Turn of the sentence; null for a comment."),
        col(
            "segment_index",
            DataType::Int32,
            false,
            "Position of the sentence in its comment (`segments.segment_index`) or its turn (`turns.sentence_index`).",
        ),
        col(
            "role",
            DataType::Utf8,
            true,
            "Speaker's role (shopper, staff, unknown) for a transcript; null for a comment.",
        ),
        col("aspect", DataType::Utf8, false, "`category.aspect`, as in TAXONOMY.md."),
        col("category", DataType::Utf8, false, "The aspect's category."),
        col("polarity", DataType::Utf8, false, "`irritant` or `praise`."),
        col("probability", DataType::Float32, false, "The aspect head's probability (raw model output, 0..1)."),
        col("sentiment", DataType::Utf8, false, "The sentence's predicted sentiment."),
    ])
}

/// `segments.parquet`: one row per sentence of a comment.
pub fn segments() -> SchemaRef {
    let mut f = vec![
        col("comment_id", DataType::Utf8, false, "Comment the segment belongs to."),
        col("visit_id", DataType::Utf8, false, "Visit of that comment."),
        col("segment_index", DataType::Int32, false, "Position of the segment in its comment, from 0."),
        col(
            "char_start",
            DataType::Int32,
            false,
            "Start offset in the comment's normalised text, in characters, from 0.",
        ),
        col("char_end", DataType::Int32, false, "End offset (exclusive), in characters."),
        col("text", DataType::Utf8, false, "The segment's text."),
        col("lang", DataType::Utf8, false, "Language of the comment: fr, en or other."),
    ];
    prediction_columns(&mut f);
    with_run_columns(f)
}

/// `turns.parquet`: one row per sentence of a transcript turn.
pub fn turns() -> SchemaRef {
    let mut f = vec![
        col("transcript_id", DataType::Utf8, false, "Transcript identifier: the JSONL `id` (else `<file stem>:<line>`), or for a whole file its `# id:` header, else its stem."),
        col("visit_id", DataType::Utf8, false, "Visit of the transcript."),
        col("channel", DataType::Utf8, true, "Channel of the transcript (e.g. phone, chat), when the input gives one."),
        col("turn_index", DataType::Int32, false, "Position of the turn in the transcript, from 0."),
        col("sentence_index", DataType::Int32, false, "Position of the sentence in its turn, from 0."),
        col("speaker", DataType::Utf8, false, "Speaker label as found in the transcript."),
        col("role", DataType::Utf8, false, "shopper, staff or unknown."),
        col(
            "role_source",
            DataType::Utf8,
            false,
            "How the transcript's roles were found: `given` (every speaker is literally shopper or staff), `mapping` (every label is in the role table or `--speaker-role`) or `heuristic` (at least one label was guessed).",
        ),
        col("start_ms", DataType::Int64, true, "Start of the turn in milliseconds, when the transcript has times."),
        col("end_ms", DataType::Int64, true, "End of the turn in milliseconds, when the transcript has times."),
        col("char_start", DataType::Int32, false, "Start offset of the sentence in the turn's normalised text, in characters."),
        col("char_end", DataType::Int32, false, "End offset (exclusive), in characters."),
        col("text", DataType::Utf8, false, "The sentence's text."),
        col("lang", DataType::Utf8, false, "Language of the transcript: fr, en or other."),
        col(
            "repaired_encoding",
            DataType::Boolean,
            false,
            "The transcript's bytes were not valid UTF-8 and were decoded as Windows-1252.",
        ),
        col("source_file", DataType::Utf8, false, "Input file of the transcript."),
        col("source_line", DataType::Int64, false, "Line of the transcript in that file (a JSONL line; 1 for a whole-file transcript)."),
    ];
    prediction_columns(&mut f);
    with_run_columns(f)
}

/// `comments.parquet`: one row per accepted comment.
pub fn comments() -> SchemaRef {
    let mut f = vec![
        col("comment_id", DataType::Utf8, false, "Comment identifier from the input."),
        col("visit_id", DataType::Utf8, false, "Visit identifier from the input."),
        col("source_file", DataType::Utf8, false, "Input file the comment was read from."),
        col("source_row", DataType::Int64, false, "Data row (CSV, Parquet) or line (JSONL) in that file, from 1."),
        col("text", DataType::Utf8, false, "Normalised text; segment offsets point into it."),
        col("lang", DataType::Utf8, false, "Language: fr, en or other."),
        col("lang_source", DataType::Utf8, false, "`input` when the file gave the language, `detected` otherwise."),
        col("channel", DataType::Utf8, true, "Channel from the input, if any."),
        col("criterion", DataType::Utf8, true, "Checklist criterion the comment is attached to, if any."),
        col(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
            "Creation time from the input, in UTC (a time given without an offset is taken as UTC).",
        ),
        col("n_segments", DataType::Int32, false, "Number of segments."),
        col("irritants", string_list(), false, "Union of the segments' categories, in taxonomy order."),
        col(
            "irritant_aspects",
            string_list(),
            false,
            "Aspects the segments judge as irritants, each once, in taxonomy order (`list_contains` filters on one); counts per aspect are in aspects.parquet.",
        ),
        col("praise_aspects", string_list(), false, "Aspects the segments praise, each once, in taxonomy order."),
    ];
    for c in Irritant::ALL {
        f.push(col(&format!("n_{c}"), DataType::Int32, false, &format!("Segments reporting `{c}`.")));
    }
    f.extend([
        col(
            "sentiment_min",
            DataType::Utf8,
            true,
            "Most negative segment sentiment; null for a comment without segments.",
        ),
        col(
            "sentiment_mean",
            DataType::Float64,
            true,
            "Mean segment sentiment on -1 (negative), 0 (neutral), +1 (positive).",
        ),
        col(
            "repaired_encoding",
            DataType::Boolean,
            false,
            "The raw bytes were not valid UTF-8 and were decoded as Windows-1252.",
        ),
        col(
            "repaired_mojibake",
            DataType::Boolean,
            false,
            "Mojibake (UTF-8 read as Windows-1252/Latin-1) was repaired.",
        ),
        col("removed_control_chars", DataType::Boolean, false, "Control or invisible characters were removed."),
        col("normalised_whitespace", DataType::Boolean, false, "Whitespace was collapsed or normalised."),
    ]);
    with_run_columns(f)
}

/// `visits.parquet`: one row per visit found in any input, followed by the further
/// columns of the visits file as strings.
pub fn visits(extra_columns: &[String]) -> SchemaRef {
    let mut f = vec![
        col("visit_id", DataType::Utf8, false, "Visit identifier."),
        col("store_id", DataType::Utf8, true, "Store, from the visits file."),
        col("visit_date", DataType::Date32, true, "Visit date, from the visits file."),
        col("channel", DataType::Utf8, true, "Channel, from the visits file."),
        col("has_metadata", DataType::Boolean, false, "The visit is in the visits file."),
        col("has_checklist", DataType::Boolean, false, "The visit has at least one checklist answer."),
        col("has_comments", DataType::Boolean, false, "The visit has at least one accepted comment."),
        col("has_transcripts", DataType::Boolean, false, "The visit has at least one accepted transcript."),
        col(
            "checklist_score",
            DataType::Float64,
            true,
            "Sum of scores over sum of maximum scores, N/A answers excluded; null without answers.",
        ),
        col("checklist_answered", DataType::Int32, false, "Criteria answered (not N/A)."),
        col("checklist_na", DataType::Int32, false, "Criteria answered N/A."),
        col(
            "section_scores",
            struct_list(section_score_fields()),
            false,
            "The same score per checklist section, sections in name order.",
        ),
        col("n_comments", DataType::Int32, false, "Accepted comments."),
        col(
            "n_segments",
            DataType::Int32,
            false,
            "Sentences of the visit's text: its comments' segments and its transcripts' turn sentences alike (every `n_*` and sentiment column of this table counts both).",
        ),
    ];
    for c in Irritant::ALL {
        f.push(col(
            &format!("n_{c}"),
            DataType::Int32,
            false,
            &format!("Sentences (of comments and transcripts) reporting `{c}`."),
        ));
    }
    f.extend([
        col(
            "irritants",
            string_list(),
            false,
            "Categories reported anywhere in the visit's comments or transcripts, in taxonomy order.",
        ),
        col(
            "irritant_aspects",
            string_list(),
            false,
            "Aspects judged as irritants anywhere in the visit's comments or transcripts, each once, in taxonomy order.",
        ),
        col("praise_aspects", string_list(), false, "Aspects praised anywhere in the visit's comments or transcripts, each once."),
        col("negative_share", DataType::Float64, true, "Share of negative sentences (comments and transcripts); null without sentences."),
        col("sentiment_mean", DataType::Float64, true, "Mean sentence sentiment (comments and transcripts) on -1..+1; null without sentences."),
        col("n_transcripts", DataType::Int32, false, "Accepted transcripts (calls and chats)."),
        col("n_turns", DataType::Int32, false, "Turns of those transcripts."),
        col(
            "first_staff_answer_ms",
            DataType::Int64,
            true,
            "Time from the shopper's first turn (or the start, when staff speaks first) to the first staff turn, in ms, averaged over the transcripts with times.",
        ),
        col("duration_ms", DataType::Int64, true, "Total duration of the transcripts with times, in ms."),
        col("hold_transfer_mentions", DataType::Int32, false, "Turns that mention being put on hold or transferred."),
        col("shopper_irritants", string_list(), false, "Categories raised in shopper turns, in taxonomy order."),
        col(
            "shopper_negative_share",
            DataType::Float64,
            true,
            "Share of shopper turns with a negative sentence; null without shopper turns.",
        ),
        col(
            "dissonances",
            struct_list(dissonance_fields()),
            false,
            "Criteria whose score disagrees with the text, for visits with comments or transcripts: `high_score_text_irritant` (normalised score >= 0.8 while the text reports an irritant of the criterion's category) and `low_score_no_text_irritant` (score < 0.5 and no such irritant in the text).",
        ),
    ]);
    run_columns(&mut f);
    for name in extra_columns {
        f.push(col(name, DataType::Utf8, true, "Passed through from the visits file."));
    }
    Arc::new(Schema::new(f))
}

/// `checklist.parquet`: the checklist in long format, one row per answer.
pub fn checklist() -> SchemaRef {
    with_run_columns(vec![
        col("visit_id", DataType::Utf8, false, "Visit identifier."),
        col("criterion", DataType::Utf8, false, "Criterion name."),
        col("section", DataType::Utf8, true, "Section of the grid, if given."),
        col("category", DataType::Utf8, true, "Irritant category the criterion measures, if given."),
        col("score", DataType::Float64, true, "Score as given; null for N/A."),
        col("max_score", DataType::Float64, false, "Maximum score of the criterion."),
        col("score_normalised", DataType::Float64, true, "score / max_score in 0..1; null for N/A."),
        col("not_applicable", DataType::Boolean, false, "The answer was N/A."),
        col("source_file", DataType::Utf8, false, "Input file."),
        col("source_row", DataType::Int64, false, "Data row in that file, from 1."),
    ])
}

/// `rejects.parquet`: every input record that did not make it into a table, and why.
pub fn rejects() -> SchemaRef {
    with_run_columns(vec![
        col("source_file", DataType::Utf8, false, "Input file."),
        col("input", DataType::Utf8, false, "Which input: comments, transcripts, checklist or visits."),
        col("source_row", DataType::Int64, true, "Data row (CSV, Parquet) or line (JSONL), from 1."),
        col(
            "column",
            DataType::Utf8,
            true,
            "Column concerned, when one is (a wide checklist's criterion, an unparsable date).",
        ),
        col("raw", DataType::Utf8, false, "The raw record, truncated to 1,000 characters."),
        col("reason", DataType::Utf8, false, "Why it was rejected."),
    ])
}

/// `predictions.parquet` of `irritant eval`: one row per gold segment or turn.
pub fn predictions() -> SchemaRef {
    let mut f = vec![
        col("id", DataType::Utf8, false, "Gold id (`#N` appended for sentence or turn N of a comment or transcript)."),
        col(
            "unit",
            DataType::Utf8,
            false,
            "The comment or transcript the segment belongs to (its own id for a lone segment).",
        ),
        col(
            "style",
            DataType::Utf8,
            false,
            "Source style: `report`, `review`, `social`, `survey`, `phone`, `chat` or `segment`.",
        ),
        col("lang", DataType::Utf8, false, "Language given by the gold file."),
        col("text", DataType::Utf8, false, "The gold text."),
        col(
            "gold_aspects",
            string_list(),
            true,
            "Gold aspects as `aspect:polarity`; null in data labelled before aspects.",
        ),
        col("gold_irritants", string_list(), false, "Gold categories."),
        col("irritants", string_list(), false, "Predicted categories."),
        col(
            "aspects",
            string_list(),
            false,
            "Predicted aspects as `aspect:polarity`, in taxonomy order; empty for a model without aspect heads.",
        ),
    ];
    for c in Irritant::ALL {
        f.push(col(&format!("{c}_prob"), DataType::Float32, false, &format!("Probability of `{c}`.")));
    }
    f.push(col("gold_sentiment", DataType::Utf8, false, "Gold sentiment."));
    f.push(col("sentiment", DataType::Utf8, false, "Predicted sentiment."));
    for s in Sentiment::ALL {
        f.push(col(&format!("sentiment_{s}"), DataType::Float32, false, &format!("Probability of `{s}` sentiment.")));
    }
    f.push(col("irritants_correct", DataType::Boolean, false, "All four category decisions are right."));
    f.push(col("sentiment_correct", DataType::Boolean, false, "The sentiment is right."));
    Arc::new(Schema::new(f))
}

/// The schema of a table by name (`visits` without pass-through columns).
pub fn by_name(table: &str) -> Option<SchemaRef> {
    Some(match table {
        "segments" => segments(),
        "turns" => turns(),
        "aspects" => aspects(),
        "comments" => comments(),
        "visits" => visits(&[]),
        "checklist" => checklist(),
        "rejects" => rejects(),
        "predictions" => predictions(),
        _ => return None,
    })
}

/// Human-readable type name for docs.
pub fn type_name(t: &DataType) -> String {
    match t {
        DataType::Dictionary(_, v) => format!("{} (dictionary)", type_name(v)),
        DataType::Utf8 => "string".into(),
        DataType::Boolean => "bool".into(),
        DataType::Int32 => "uint32".into(),
        DataType::Int64 => "uint64".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Date32 => "date32".into(),
        DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) => format!("timestamp[us, tz={tz}]"),
        DataType::List(item) => format!("list<{}>", type_name(item.data_type())),
        DataType::Struct(fields) => format!(
            "struct<{}>",
            fields.iter().map(|f| format!("{}: {}", f.name(), type_name(f.data_type()))).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// The schemas as Markdown, as in the README.
pub fn markdown() -> String {
    let mut s = String::new();
    for t in TABLES {
        let schema = by_name(t).expect("known table");
        if t == "predictions" {
            s.push_str(&format!("#### `{t}.parquet`\n\n"));
            s.push_str("Written by `irritant eval --out DIR`, beside `metrics.json`.\n\n");
        } else {
            s.push_str(&format!("#### `{t}/`\n\n"));
        }
        s.push_str("| column | type | null | description |\n|---|---|---|---|\n");
        for f in schema.fields() {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                f.name(),
                type_name(f.data_type()),
                if f.is_nullable() { "yes" } else { "no" },
                f.metadata().get("description").map(String::as_str).unwrap_or("")
            ));
        }
        if t == "visits" {
            s.push_str("| … | string | yes | Further columns of the visits file, passed through. |\n");
        }
        s.push('\n');
    }
    s
}
