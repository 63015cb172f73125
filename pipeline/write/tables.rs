//! Rows to Arrow record batches, one function per table, each building its columns
//! straight from the pipeline's values and naming each one: [`finish`] puts them in the
//! order of the schema in [`super::schema`] and fails on a missing, extra or mistyped
//! column, so two columns of the same type cannot be swapped silently. The run's
//! `run_id` and `model_id` columns are added there too.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float32Builder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    StringBuilder, StructBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{Fields, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::dataset::{constant_strings, RunStamp};
use super::schema;
use crate::classify::Prediction;
use crate::ingest::checklist::ChecklistAnswer;
use crate::ingest::Reject;
use crate::join::{ProcessedComment, ProcessedTranscript, TextTally, VisitRow};
use crate::taxonomy::{AspectLabel, Irritant, IrritantSet, Polarity, Sentiment};

/// Columns of a batch being built, each with its name.
type Named = Vec<(String, ArrayRef)>;

fn named(name: &str, array: impl arrow::array::Array + 'static) -> (String, ArrayRef) {
    (name.to_string(), Arc::new(array))
}

/// Assembles named columns in the order of `schema`, adding the run's columns when the
/// schema has them. A column missing, left over or of the wrong type is an error.
fn finish(schema: SchemaRef, columns: Named, stamp: Option<&RunStamp>) -> Result<RecordBatch> {
    let rows = columns.first().map_or(0, |(_, a)| a.len());
    let mut by_name: std::collections::HashMap<String, ArrayRef> = columns.into_iter().collect();
    if let Some(stamp) = stamp {
        for (name, value) in schema::RUN_COLUMNS.iter().zip([&stamp.run_id, &stamp.model_id]) {
            if schema.field_with_name(name).is_ok() {
                by_name.insert(name.to_string(), constant_strings(value, rows));
            }
        }
    }
    let mut ordered = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        match by_name.remove(f.name()) {
            Some(a) => ordered.push(a),
            None => bail!("internal error: no column {:?} was built for this table", f.name()),
        }
    }
    if let Some(extra) = by_name.keys().next() {
        bail!("internal error: column {extra:?} is not in the table's schema");
    }
    RecordBatch::try_new(schema, ordered).context("internal error: a batch does not match its schema")
}

fn struct_list(fields: Vec<arrow::datatypes::Field>) -> ListBuilder<StructBuilder> {
    let fields = Fields::from(fields);
    ListBuilder::new(StructBuilder::from_fields(fields, 0))
}

/// Appends a set of categories, in taxonomy order, as one list value.
pub fn push_irritants(b: &mut ListBuilder<StringBuilder>, set: IrritantSet) {
    for c in set.iter() {
        b.values().append_value(c.as_str());
    }
    b.append(true);
}

/// Appends the distinct aspects of `aspects` with polarity `polarity`, in taxonomy
/// order, as one list value.
fn push_aspects(b: &mut ListBuilder<StringBuilder>, aspects: &BTreeSet<AspectLabel>, polarity: Polarity) {
    for a in aspects.iter().filter(|a| a.polarity == polarity) {
        b.values().append_value(a.name());
    }
    b.append(true);
}

/// Builders of the prediction columns shared by `segments` and `turns`.
struct PredictionColumns {
    flags: Vec<BooleanBuilder>,
    probs: Vec<Float32Builder>,
    irritants: ListBuilder<StringBuilder>,
    sentiment: StringBuilder,
    sentiment_probs: Vec<Float32Builder>,
    evidence: ListBuilder<StructBuilder>,
    aspects: ListBuilder<StructBuilder>,
    context_chars: Int32Builder,
}

impl PredictionColumns {
    fn with_capacity(n: usize) -> Self {
        PredictionColumns {
            flags: Irritant::ALL.iter().map(|_| BooleanBuilder::with_capacity(n)).collect(),
            probs: Irritant::ALL.iter().map(|_| Float32Builder::with_capacity(n)).collect(),
            irritants: ListBuilder::new(StringBuilder::new()),
            sentiment: StringBuilder::new(),
            sentiment_probs: Sentiment::ALL.iter().map(|_| Float32Builder::with_capacity(n)).collect(),
            evidence: struct_list(schema::evidence_fields()),
            aspects: struct_list(schema::aspect_fields()),
            context_chars: Int32Builder::with_capacity(n),
        }
    }

    fn append(&mut self, p: &Prediction, context_chars: u32) {
        for k in Irritant::ALL {
            self.flags[k.index()].append_value(p.irritants.contains(k));
            self.probs[k.index()].append_value(p.irritant_probs[k.index()]);
        }
        push_irritants(&mut self.irritants, p.irritants);
        self.sentiment.append_value(p.sentiment.as_str());
        for s in Sentiment::ALL {
            self.sentiment_probs[s.index()].append_value(p.sentiment_probs[s.index()]);
        }
        let items = self.evidence.values();
        for e in &p.evidence {
            items.field_builder::<StringBuilder>(0).unwrap().append_value(e.irritant.as_str());
            items.field_builder::<StringBuilder>(1).unwrap().append_option(e.aspect.map(|a| a.name()));
            items.field_builder::<StringBuilder>(2).unwrap().append_value(&e.term);
            items.field_builder::<Float32Builder>(3).unwrap().append_value(e.weight);
            items.append(true);
        }
        self.evidence.append(true);
        let items = self.aspects.values();
        for a in &p.aspects {
            items.field_builder::<StringBuilder>(0).unwrap().append_value(a.label.name());
            items.field_builder::<StringBuilder>(1).unwrap().append_value(a.label.category().as_str());
            items.field_builder::<StringBuilder>(2).unwrap().append_value(a.label.polarity.as_str());
            items.field_builder::<Float32Builder>(3).unwrap().append_value(a.probability);
            items.append(true);
        }
        self.aspects.append(true);
        self.context_chars.append_value(i32_of(context_chars as usize));
    }

    /// The finished columns, named.
    fn finish_into(mut self, cols: &mut Named) {
        for (k, (f, p)) in Irritant::ALL.iter().zip(self.flags.iter_mut().zip(self.probs.iter_mut())) {
            cols.push(named(k.as_str(), f.finish()));
            cols.push(named(&format!("{k}_prob"), p.finish()));
        }
        cols.push(named("irritants", self.irritants.finish()));
        cols.push(named("sentiment", self.sentiment.finish()));
        for (s, b) in Sentiment::ALL.iter().zip(self.sentiment_probs.iter_mut()) {
            cols.push(named(&format!("sentiment_{s}"), b.finish()));
        }
        cols.push(named("evidence", self.evidence.finish()));
        cols.push(named("aspects", self.aspects.finish()));
        cols.push(named("context_chars", self.context_chars.finish()));
    }
}

/// A count or offset as the tables' `int32`; texts are capped far below its range.
fn i32_of(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A row number or a time as the tables' `int64`.
fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `segments` rows for a run of processed comments.
pub fn segments(comments: &[ProcessedComment], stamp: &RunStamp) -> Result<RecordBatch> {
    let n: usize = comments.iter().map(|c| c.spans.len()).sum();
    let mut comment_id = StringBuilder::with_capacity(n, n * 8);
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut index = Int32Builder::with_capacity(n);
    let mut start = Int32Builder::with_capacity(n);
    let mut end = Int32Builder::with_capacity(n);
    let mut text = StringBuilder::with_capacity(n, n * 64);
    let mut lang = StringBuilder::new();
    let mut predictions = PredictionColumns::with_capacity(n);
    for c in comments {
        for (i, ((span, p), cx)) in c.spans.iter().zip(&c.predictions).zip(&c.context_chars).enumerate() {
            comment_id.append_value(&c.comment.comment_id);
            visit_id.append_value(&c.comment.visit_id);
            index.append_value(i32_of(i));
            start.append_value(i32_of(span.char_start));
            end.append_value(i32_of(span.char_end));
            text.append_value(&c.normalised.text[span.byte_start..span.byte_end]);
            lang.append_value(c.lang.as_str());
            predictions.append(p, *cx);
        }
    }
    let mut cols = vec![
        named("comment_id", comment_id.finish()),
        named("visit_id", visit_id.finish()),
        named("segment_index", index.finish()),
        named("char_start", start.finish()),
        named("char_end", end.finish()),
        named("text", text.finish()),
        named("lang", lang.finish()),
    ];
    predictions.finish_into(&mut cols);
    finish(schema::segments(), cols, Some(stamp))
}

/// `turns` rows for a run of processed transcripts: one per sentence of a turn.
pub fn turns(transcripts: &[ProcessedTranscript], stamp: &RunStamp) -> Result<RecordBatch> {
    let n: usize = transcripts.iter().flat_map(|t| &t.turns).map(|t| t.spans.len()).sum();
    let mut transcript_id = StringBuilder::with_capacity(n, n * 8);
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut channel = StringBuilder::new();
    let mut turn_index = Int32Builder::with_capacity(n);
    let mut sentence_index = Int32Builder::with_capacity(n);
    let mut speaker = StringBuilder::with_capacity(n, n * 8);
    let mut role = StringBuilder::new();
    let mut role_source = StringBuilder::new();
    let mut start_ms = Int64Builder::with_capacity(n);
    let mut end_ms = Int64Builder::with_capacity(n);
    let mut start = Int32Builder::with_capacity(n);
    let mut end = Int32Builder::with_capacity(n);
    let mut text = StringBuilder::with_capacity(n, n * 64);
    let mut lang = StringBuilder::new();
    let mut repaired_encoding = BooleanBuilder::with_capacity(n);
    let mut source_file = StringBuilder::new();
    let mut source_line = Int64Builder::with_capacity(n);
    let mut predictions = PredictionColumns::with_capacity(n);
    for t in transcripts {
        let file = t.transcript.file.display().to_string();
        for (ti, (turn, p)) in t.transcript.turns.iter().zip(&t.turns).enumerate() {
            for (si, ((span, pred), cx)) in p.spans.iter().zip(&p.predictions).zip(&p.context_chars).enumerate() {
                transcript_id.append_value(&t.transcript.transcript_id);
                visit_id.append_value(&t.transcript.visit_id);
                channel.append_option(t.transcript.channel.as_deref());
                turn_index.append_value(i32_of(ti));
                sentence_index.append_value(i32_of(si));
                speaker.append_value(&turn.speaker);
                role.append_value(turn.role.as_str());
                role_source.append_value(t.transcript.role_source.as_str());
                start_ms.append_option(turn.start_ms.map(i64_of));
                end_ms.append_option(turn.end_ms.map(i64_of));
                start.append_value(i32_of(span.char_start));
                end.append_value(i32_of(span.char_end));
                text.append_value(&p.normalised.text[span.byte_start..span.byte_end]);
                lang.append_value(t.lang.as_str());
                repaired_encoding.append_value(t.transcript.invalid_utf8);
                source_file.append_value(&file);
                source_line.append_value(i64_of(t.transcript.line));
                predictions.append(pred, *cx);
            }
        }
    }
    let mut cols = vec![
        named("transcript_id", transcript_id.finish()),
        named("visit_id", visit_id.finish()),
        named("channel", channel.finish()),
        named("turn_index", turn_index.finish()),
        named("sentence_index", sentence_index.finish()),
        named("speaker", speaker.finish()),
        named("role", role.finish()),
        named("role_source", role_source.finish()),
        named("start_ms", start_ms.finish()),
        named("end_ms", end_ms.finish()),
        named("char_start", start.finish()),
        named("char_end", end.finish()),
        named("text", text.finish()),
        named("lang", lang.finish()),
        named("repaired_encoding", repaired_encoding.finish()),
        named("source_file", source_file.finish()),
        named("source_line", source_line.finish()),
    ];
    predictions.finish_into(&mut cols);
    finish(schema::turns(), cols, Some(stamp))
}

/// Builders of `aspects`.
#[derive(Default)]
struct AspectRows {
    visit_id: StringBuilder,
    source: StringBuilder,
    comment_id: StringBuilder,
    transcript_id: StringBuilder,
    turn_index: Int32Builder,
    segment_index: Int32Builder,
    role: StringBuilder,
    aspect: StringBuilder,
    category: StringBuilder,
    polarity: StringBuilder,
    probability: Float32Builder,
    sentiment: StringBuilder,
}

/// Where a sentence sits: a comment's sentence, or a transcript turn's.
enum Place<'a> {
    Comment { comment_id: &'a str },
    Turn { transcript_id: &'a str, turn_index: usize, role: &'a str },
}

impl AspectRows {
    fn add(&mut self, visit_id: &str, place: &Place, segment_index: usize, p: &Prediction) {
        for a in &p.aspects {
            self.visit_id.append_value(visit_id);
            match place {
                Place::Comment { comment_id } => {
                    self.source.append_value("comment");
                    self.comment_id.append_value(comment_id);
                    self.transcript_id.append_null();
                    self.turn_index.append_null();
                    self.role.append_null();
                }
                Place::Turn { transcript_id, turn_index, role } => {
                    self.source.append_value("transcript");
                    self.comment_id.append_null();
                    self.transcript_id.append_value(transcript_id);
                    self.turn_index.append_value(i32_of(*turn_index));
                    self.role.append_value(role);
                }
            }
            self.segment_index.append_value(i32_of(segment_index));
            self.aspect.append_value(a.label.name());
            self.category.append_value(a.label.category().as_str());
            self.polarity.append_value(a.label.polarity.as_str());
            self.probability.append_value(a.probability);
            self.sentiment.append_value(p.sentiment.as_str());
        }
    }

    fn finish(mut self, stamp: &RunStamp) -> Result<RecordBatch> {
        let cols = vec![
            named("visit_id", self.visit_id.finish()),
            named("source", self.source.finish()),
            named("comment_id", self.comment_id.finish()),
            named("transcript_id", self.transcript_id.finish()),
            named("turn_index", self.turn_index.finish()),
            named("segment_index", self.segment_index.finish()),
            named("role", self.role.finish()),
            named("aspect", self.aspect.finish()),
            named("category", self.category.finish()),
            named("polarity", self.polarity.finish()),
            named("probability", self.probability.finish()),
            named("sentiment", self.sentiment.finish()),
        ];
        finish(schema::aspects(), cols, Some(stamp))
    }
}

/// `aspects` rows for the sentences of processed comments.
pub fn comment_aspects(comments: &[ProcessedComment], stamp: &RunStamp) -> Result<RecordBatch> {
    let mut rows = AspectRows::default();
    for c in comments {
        let place = Place::Comment { comment_id: &c.comment.comment_id };
        for (i, p) in c.predictions.iter().enumerate() {
            rows.add(&c.comment.visit_id, &place, i, p);
        }
    }
    rows.finish(stamp)
}

/// `aspects` rows for the sentences of processed transcripts.
pub fn transcript_aspects(transcripts: &[ProcessedTranscript], stamp: &RunStamp) -> Result<RecordBatch> {
    let mut rows = AspectRows::default();
    for t in transcripts {
        for (ti, (turn, p)) in t.transcript.turns.iter().zip(&t.turns).enumerate() {
            let place =
                Place::Turn { transcript_id: &t.transcript.transcript_id, turn_index: ti, role: turn.role.as_str() };
            for (si, pred) in p.predictions.iter().enumerate() {
                rows.add(&t.transcript.visit_id, &place, si, pred);
            }
        }
    }
    rows.finish(stamp)
}

/// `comments` rows; `source_names[i]` is the path of comment file `i`.
pub fn comments(comments: &[ProcessedComment], source_names: &[String], stamp: &RunStamp) -> Result<RecordBatch> {
    let n = comments.len();
    let mut comment_id = StringBuilder::with_capacity(n, n * 8);
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut source_file = StringBuilder::new();
    let mut source_row = Int64Builder::with_capacity(n);
    let mut text = StringBuilder::with_capacity(n, n * 128);
    let mut lang = StringBuilder::new();
    let mut lang_source = StringBuilder::new();
    let mut channel = StringBuilder::new();
    let mut criterion = StringBuilder::new();
    let mut created_at = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut n_segments = Int32Builder::with_capacity(n);
    let mut irritants = ListBuilder::new(StringBuilder::new());
    let mut irritant_aspects = ListBuilder::new(StringBuilder::new());
    let mut praise_aspects = ListBuilder::new(StringBuilder::new());
    let mut counts: Vec<Int32Builder> = Irritant::ALL.iter().map(|_| Int32Builder::with_capacity(n)).collect();
    let mut sentiment_min = StringBuilder::new();
    let mut sentiment_mean = Float64Builder::with_capacity(n);
    let mut repaired_encoding = BooleanBuilder::with_capacity(n);
    let mut repaired_mojibake = BooleanBuilder::with_capacity(n);
    let mut removed_control = BooleanBuilder::with_capacity(n);
    let mut whitespace = BooleanBuilder::with_capacity(n);
    for c in comments {
        let t = TextTally::of_comment(&c.predictions);
        comment_id.append_value(&c.comment.comment_id);
        visit_id.append_value(&c.comment.visit_id);
        source_file.append_value(&source_names[c.comment.file_index]);
        source_row.append_value(i64_of(c.comment.row));
        text.append_value(&c.normalised.text);
        lang.append_value(c.lang.as_str());
        lang_source.append_value(c.lang_source.as_str());
        channel.append_option(c.comment.channel.as_deref());
        criterion.append_option(c.comment.criterion.as_deref());
        created_at.append_option(c.comment.created_at);
        n_segments.append_value(i32_of(t.n_segments as usize));
        push_irritants(&mut irritants, t.irritants);
        push_aspects(&mut irritant_aspects, &t.aspects, Polarity::Irritant);
        push_aspects(&mut praise_aspects, &t.aspects, Polarity::Praise);
        for (b, v) in counts.iter_mut().zip(t.per_category) {
            b.append_value(i32_of(v as usize));
        }
        sentiment_min.append_option(t.sentiment_min.map(Sentiment::as_str));
        sentiment_mean.append_option(t.sentiment_mean());
        let r = c.normalised.repairs;
        repaired_encoding.append_value(c.comment.invalid_utf8);
        repaired_mojibake.append_value(r.mojibake);
        removed_control.append_value(r.control_chars);
        whitespace.append_value(r.whitespace);
    }
    let mut cols = vec![
        named("comment_id", comment_id.finish()),
        named("visit_id", visit_id.finish()),
        named("source_file", source_file.finish()),
        named("source_row", source_row.finish()),
        named("text", text.finish()),
        named("lang", lang.finish()),
        named("lang_source", lang_source.finish()),
        named("channel", channel.finish()),
        named("criterion", criterion.finish()),
        named("created_at", created_at.finish()),
        named("n_segments", n_segments.finish()),
        named("irritants", irritants.finish()),
        named("irritant_aspects", irritant_aspects.finish()),
        named("praise_aspects", praise_aspects.finish()),
        named("sentiment_min", sentiment_min.finish()),
        named("sentiment_mean", sentiment_mean.finish()),
        named("repaired_encoding", repaired_encoding.finish()),
        named("repaired_mojibake", repaired_mojibake.finish()),
        named("removed_control_chars", removed_control.finish()),
        named("normalised_whitespace", whitespace.finish()),
    ];
    for (k, b) in Irritant::ALL.iter().zip(counts.iter_mut()) {
        cols.push(named(&format!("n_{k}"), b.finish()));
    }
    finish(schema::comments(), cols, Some(stamp))
}

/// `visits` rows, with the pass-through columns of the visits file.
pub fn visits(rows: &[VisitRow], extra_columns: &[String], stamp: &RunStamp) -> Result<RecordBatch> {
    let n = rows.len();
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut store_id = StringBuilder::new();
    let mut visit_date = Date32Builder::with_capacity(n);
    let mut channel = StringBuilder::new();
    let mut has_metadata = BooleanBuilder::with_capacity(n);
    let mut has_checklist = BooleanBuilder::with_capacity(n);
    let mut has_comments = BooleanBuilder::with_capacity(n);
    let mut has_transcripts = BooleanBuilder::with_capacity(n);
    let mut score = Float64Builder::with_capacity(n);
    let mut answered = Int32Builder::with_capacity(n);
    let mut na = Int32Builder::with_capacity(n);
    let mut sections = struct_list(schema::section_score_fields());
    let mut n_comments = Int32Builder::with_capacity(n);
    let mut n_segments = Int32Builder::with_capacity(n);
    let mut counts: Vec<Int32Builder> = Irritant::ALL.iter().map(|_| Int32Builder::with_capacity(n)).collect();
    let mut irritants = ListBuilder::new(StringBuilder::new());
    let mut irritant_aspects = ListBuilder::new(StringBuilder::new());
    let mut praise_aspects = ListBuilder::new(StringBuilder::new());
    let mut negative_share = Float64Builder::with_capacity(n);
    let mut sentiment_mean = Float64Builder::with_capacity(n);
    let mut n_transcripts = Int32Builder::with_capacity(n);
    let mut n_turns = Int32Builder::with_capacity(n);
    let mut first_answer = Int64Builder::with_capacity(n);
    let mut duration = Int64Builder::with_capacity(n);
    let mut hold_transfer = Int32Builder::with_capacity(n);
    let mut shopper_irritants = ListBuilder::new(StringBuilder::new());
    let mut shopper_negative = Float64Builder::with_capacity(n);
    let mut dissonances = struct_list(schema::dissonance_fields());
    let mut extra: Vec<StringBuilder> = extra_columns.iter().map(|_| StringBuilder::new()).collect();
    for r in rows {
        visit_id.append_value(&r.visit_id);
        let meta = r.meta.as_ref();
        store_id.append_option(meta.and_then(|m| m.store_id.as_deref()));
        visit_date.append_option(meta.and_then(|m| m.visit_date));
        channel.append_option(meta.and_then(|m| m.channel.as_deref()));
        has_metadata.append_value(meta.is_some());
        has_checklist.append_value(r.has_checklist);
        has_comments.append_value(r.text.n_comments > 0);
        has_transcripts.append_value(r.transcripts.n_transcripts > 0);
        score.append_option(r.checklist.score());
        answered.append_value(i32_of(r.checklist.answered as usize));
        na.append_value(i32_of(r.checklist.not_applicable as usize));
        let items = sections.values();
        for (name, t) in &r.sections {
            if let Some(s) = t.score() {
                items.field_builder::<StringBuilder>(0).unwrap().append_value(name);
                items.field_builder::<Float64Builder>(1).unwrap().append_value(s);
                items.field_builder::<Int32Builder>(2).unwrap().append_value(i32_of(t.answered as usize));
                items.append(true);
            }
        }
        sections.append(true);
        n_comments.append_value(i32_of(r.text.n_comments as usize));
        n_segments.append_value(i32_of(r.text.n_segments as usize));
        for (b, v) in counts.iter_mut().zip(r.text.per_category) {
            b.append_value(i32_of(v as usize));
        }
        push_irritants(&mut irritants, r.irritants());
        let aspects = r.aspects();
        push_aspects(&mut irritant_aspects, &aspects, Polarity::Irritant);
        push_aspects(&mut praise_aspects, &aspects, Polarity::Praise);
        negative_share.append_option(r.text.negative_share());
        sentiment_mean.append_option(r.text.sentiment_mean());
        let calls = &r.transcripts;
        n_transcripts.append_value(i32_of(calls.n_transcripts as usize));
        n_turns.append_value(i32_of(calls.n_turns as usize));
        first_answer.append_option(calls.first_staff_answer_ms().map(i64_of));
        duration.append_option(calls.duration_ms.map(i64_of));
        hold_transfer.append_value(i32_of(calls.hold_transfer_mentions as usize));
        push_irritants(&mut shopper_irritants, calls.shopper_irritants);
        shopper_negative.append_option(calls.shopper_negative_share());
        let items = dissonances.values();
        for d in &r.dissonances {
            items.field_builder::<StringBuilder>(0).unwrap().append_value(&d.criterion);
            items.field_builder::<StringBuilder>(1).unwrap().append_value(d.category.as_str());
            items.field_builder::<Float64Builder>(2).unwrap().append_value(d.score);
            items.field_builder::<StringBuilder>(3).unwrap().append_value(d.kind.as_str());
            items.append(true);
        }
        dissonances.append(true);
        for (i, b) in extra.iter_mut().enumerate() {
            b.append_option(meta.and_then(|m| m.extra.get(i).cloned().flatten()));
        }
    }
    let mut cols = vec![
        named("visit_id", visit_id.finish()),
        named("store_id", store_id.finish()),
        named("visit_date", visit_date.finish()),
        named("channel", channel.finish()),
        named("has_metadata", has_metadata.finish()),
        named("has_checklist", has_checklist.finish()),
        named("has_comments", has_comments.finish()),
        named("has_transcripts", has_transcripts.finish()),
        named("checklist_score", score.finish()),
        named("checklist_answered", answered.finish()),
        named("checklist_na", na.finish()),
        named("section_scores", sections.finish()),
        named("n_comments", n_comments.finish()),
        named("n_segments", n_segments.finish()),
        named("irritants", irritants.finish()),
        named("irritant_aspects", irritant_aspects.finish()),
        named("praise_aspects", praise_aspects.finish()),
        named("negative_share", negative_share.finish()),
        named("sentiment_mean", sentiment_mean.finish()),
        named("n_transcripts", n_transcripts.finish()),
        named("n_turns", n_turns.finish()),
        named("first_staff_answer_ms", first_answer.finish()),
        named("duration_ms", duration.finish()),
        named("hold_transfer_mentions", hold_transfer.finish()),
        named("shopper_irritants", shopper_irritants.finish()),
        named("shopper_negative_share", shopper_negative.finish()),
        named("dissonances", dissonances.finish()),
    ];
    for (k, b) in Irritant::ALL.iter().zip(counts.iter_mut()) {
        cols.push(named(&format!("n_{k}"), b.finish()));
    }
    for (name, b) in extra_columns.iter().zip(extra.iter_mut()) {
        cols.push(named(name, b.finish()));
    }
    finish(schema::visits(extra_columns), cols, Some(stamp))
}

/// `checklist` rows.
pub fn checklist(answers: &[ChecklistAnswer], stamp: &RunStamp) -> Result<RecordBatch> {
    let n = answers.len();
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut criterion = StringBuilder::with_capacity(n, n * 16);
    let mut section = StringBuilder::new();
    let mut category = StringBuilder::new();
    let mut score = Float64Builder::with_capacity(n);
    let mut max_score = Float64Builder::with_capacity(n);
    let mut normalised = Float64Builder::with_capacity(n);
    let mut na = BooleanBuilder::with_capacity(n);
    let mut source_file = StringBuilder::new();
    let mut source_row = Int64Builder::with_capacity(n);
    for a in answers {
        visit_id.append_value(&a.visit_id);
        criterion.append_value(&a.criterion);
        section.append_option(a.section.as_deref());
        category.append_option(a.category.map(Irritant::as_str));
        score.append_option(a.score);
        max_score.append_value(a.max_score);
        normalised.append_option(a.normalised());
        na.append_value(a.score.is_none());
        source_file.append_value(a.file.display().to_string());
        source_row.append_value(i64_of(a.row));
    }
    let cols = vec![
        named("visit_id", visit_id.finish()),
        named("criterion", criterion.finish()),
        named("section", section.finish()),
        named("category", category.finish()),
        named("score", score.finish()),
        named("max_score", max_score.finish()),
        named("score_normalised", normalised.finish()),
        named("not_applicable", na.finish()),
        named("source_file", source_file.finish()),
        named("source_row", source_row.finish()),
    ];
    finish(schema::checklist(), cols, Some(stamp))
}

/// `rejects` rows.
pub fn rejects(rejects: &[Reject], stamp: &RunStamp) -> Result<RecordBatch> {
    let mut source_file = StringBuilder::new();
    let mut input = StringBuilder::new();
    let mut row = Int64Builder::with_capacity(rejects.len());
    let mut column = StringBuilder::new();
    let mut raw = StringBuilder::new();
    let mut reason = StringBuilder::new();
    for r in rejects {
        source_file.append_value(r.file.display().to_string());
        input.append_value(r.input.as_str());
        row.append_option(r.row.map(i64_of));
        column.append_option(r.column.as_deref());
        raw.append_value(&r.raw);
        reason.append_value(&r.reason);
    }
    let cols = vec![
        named("source_file", source_file.finish()),
        named("input", input.finish()),
        named("source_row", row.finish()),
        named("column", column.finish()),
        named("raw", raw.finish()),
        named("reason", reason.finish()),
    ];
    finish(schema::rejects(), cols, Some(stamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int32Array;
    use arrow::datatypes::{DataType, Field, Schema};

    fn schema2() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, false), Field::new("b", DataType::Int32, false)]))
    }

    #[test]
    fn columns_land_by_name_whatever_the_order_built() {
        let cols = vec![named("b", Int32Array::from(vec![2])), named("a", Int32Array::from(vec![1]))];
        let batch = finish(schema2(), cols, None).unwrap();
        assert_eq!(batch.column(0).as_any().downcast_ref::<Int32Array>().unwrap().value(0), 1);
        assert_eq!(batch.column(1).as_any().downcast_ref::<Int32Array>().unwrap().value(0), 2);
    }

    #[test]
    fn a_missing_or_extra_column_is_an_error() {
        let missing = vec![named("a", Int32Array::from(vec![1]))];
        assert!(finish(schema2(), missing, None).unwrap_err().to_string().contains("\"b\""));
        let extra = vec![
            named("a", Int32Array::from(vec![1])),
            named("b", Int32Array::from(vec![1])),
            named("c", Int32Array::from(vec![1])),
        ];
        assert!(finish(schema2(), extra, None).unwrap_err().to_string().contains("\"c\""));
    }

    #[test]
    fn run_columns_are_added_to_every_row() {
        let stamp = RunStamp { run_id: "r1".into(), model_id: "m1".into() };
        let batch = rejects(
            &[Reject {
                input: crate::ingest::InputKind::Comments,
                file: "a.csv".into(),
                row: Some(3),
                column: None,
                raw: "x".into(),
                reason: "empty text".into(),
            }],
            &stamp,
        )
        .unwrap();
        let run_id = batch.column_by_name("run_id").unwrap();
        let run_id = run_id.as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        assert_eq!(run_id.value(0), "r1");
        assert_eq!(batch.schema().field_with_name("source_row").unwrap().data_type(), &DataType::Int64);
    }
}
