//! Rows to Arrow record batches, one function per table, each building its columns
//! straight from the pipeline's values against the schema in [`super::schema`].

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float32Builder, Float64Builder, ListBuilder, StringBuilder,
    StringDictionaryBuilder, StructBuilder, TimestampMicrosecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow::datatypes::{Fields, Int32Type};
use arrow::record_batch::RecordBatch;

use super::schema;
use crate::classify::Prediction;
use crate::ingest::checklist::ChecklistAnswer;
use crate::ingest::Reject;
use crate::join::{ProcessedComment, ProcessedTranscript, TextTally, VisitRow};
use crate::taxonomy::{AspectLabel, Irritant, IrritantSet, Polarity, Sentiment};

type Dict = StringDictionaryBuilder<Int32Type>;

fn finish(schema: arrow::datatypes::SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    RecordBatch::try_new(schema, columns).context("internal error: a batch does not match its schema")
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
    sentiment: Dict,
    sentiment_probs: Vec<Float32Builder>,
    evidence: ListBuilder<StructBuilder>,
    aspects: ListBuilder<StructBuilder>,
    context_chars: UInt32Builder,
}

impl PredictionColumns {
    fn with_capacity(n: usize) -> Self {
        PredictionColumns {
            flags: Irritant::ALL.iter().map(|_| BooleanBuilder::with_capacity(n)).collect(),
            probs: Irritant::ALL.iter().map(|_| Float32Builder::with_capacity(n)).collect(),
            irritants: ListBuilder::new(StringBuilder::new()),
            sentiment: Dict::new(),
            sentiment_probs: Sentiment::ALL.iter().map(|_| Float32Builder::with_capacity(n)).collect(),
            evidence: struct_list(schema::evidence_fields()),
            aspects: struct_list(schema::aspect_fields()),
            context_chars: UInt32Builder::with_capacity(n),
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
        self.context_chars.append_value(context_chars);
    }

    /// Appends the finished columns in schema order.
    fn finish_into(mut self, cols: &mut Vec<ArrayRef>) {
        for (f, p) in self.flags.iter_mut().zip(self.probs.iter_mut()) {
            cols.push(Arc::new(f.finish()));
            cols.push(Arc::new(p.finish()));
        }
        cols.push(Arc::new(self.irritants.finish()));
        cols.push(Arc::new(self.sentiment.finish()));
        for s in self.sentiment_probs.iter_mut() {
            cols.push(Arc::new(s.finish()));
        }
        cols.push(Arc::new(self.evidence.finish()));
        cols.push(Arc::new(self.aspects.finish()));
        cols.push(Arc::new(self.context_chars.finish()));
    }
}

/// `segments.parquet` rows for a run of processed comments.
pub fn segments(comments: &[ProcessedComment]) -> Result<RecordBatch> {
    let n: usize = comments.iter().map(|c| c.spans.len()).sum();
    let mut comment_id = StringBuilder::with_capacity(n, n * 8);
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut index = UInt32Builder::with_capacity(n);
    let mut start = UInt32Builder::with_capacity(n);
    let mut end = UInt32Builder::with_capacity(n);
    let mut text = StringBuilder::with_capacity(n, n * 64);
    let mut lang = Dict::new();
    let mut predictions = PredictionColumns::with_capacity(n);
    for c in comments {
        for (i, ((span, p), cx)) in c.spans.iter().zip(&c.predictions).zip(&c.context_chars).enumerate() {
            comment_id.append_value(&c.comment.comment_id);
            visit_id.append_value(&c.comment.visit_id);
            index.append_value(i as u32);
            start.append_value(span.char_start as u32);
            end.append_value(span.char_end as u32);
            text.append_value(&c.normalised.text[span.byte_start..span.byte_end]);
            lang.append_value(c.lang.as_str());
            predictions.append(p, *cx);
        }
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(comment_id.finish()),
        Arc::new(visit_id.finish()),
        Arc::new(index.finish()),
        Arc::new(start.finish()),
        Arc::new(end.finish()),
        Arc::new(text.finish()),
        Arc::new(lang.finish()),
    ];
    predictions.finish_into(&mut cols);
    finish(schema::segments(), cols)
}

/// `turns.parquet` rows for a run of processed transcripts: one per sentence of a turn.
pub fn turns(transcripts: &[ProcessedTranscript]) -> Result<RecordBatch> {
    let n: usize = transcripts.iter().flat_map(|t| &t.turns).map(|t| t.spans.len()).sum();
    let mut transcript_id = StringBuilder::with_capacity(n, n * 8);
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut turn_index = UInt32Builder::with_capacity(n);
    let mut sentence_index = UInt32Builder::with_capacity(n);
    let mut speaker = StringBuilder::with_capacity(n, n * 8);
    let mut role = Dict::new();
    let mut start_ms = UInt64Builder::with_capacity(n);
    let mut end_ms = UInt64Builder::with_capacity(n);
    let mut start = UInt32Builder::with_capacity(n);
    let mut end = UInt32Builder::with_capacity(n);
    let mut text = StringBuilder::with_capacity(n, n * 64);
    let mut lang = Dict::new();
    let mut predictions = PredictionColumns::with_capacity(n);
    for t in transcripts {
        for (ti, (turn, p)) in t.transcript.turns.iter().zip(&t.turns).enumerate() {
            for (si, ((span, pred), cx)) in p.spans.iter().zip(&p.predictions).zip(&p.context_chars).enumerate() {
                transcript_id.append_value(&t.transcript.transcript_id);
                visit_id.append_value(&t.transcript.visit_id);
                turn_index.append_value(ti as u32);
                sentence_index.append_value(si as u32);
                speaker.append_value(&turn.speaker);
                role.append_value(turn.role.as_str());
                start_ms.append_option(turn.start_ms);
                end_ms.append_option(turn.end_ms);
                start.append_value(span.char_start as u32);
                end.append_value(span.char_end as u32);
                text.append_value(&p.normalised.text[span.byte_start..span.byte_end]);
                lang.append_value(t.lang.as_str());
                predictions.append(pred, *cx);
            }
        }
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(transcript_id.finish()),
        Arc::new(visit_id.finish()),
        Arc::new(turn_index.finish()),
        Arc::new(sentence_index.finish()),
        Arc::new(speaker.finish()),
        Arc::new(role.finish()),
        Arc::new(start_ms.finish()),
        Arc::new(end_ms.finish()),
        Arc::new(start.finish()),
        Arc::new(end.finish()),
        Arc::new(text.finish()),
        Arc::new(lang.finish()),
    ];
    predictions.finish_into(&mut cols);
    finish(schema::turns(), cols)
}

/// Builders of `aspects.parquet`.
struct AspectRows {
    visit_id: StringBuilder,
    source: Dict,
    comment_id: StringBuilder,
    transcript_id: StringBuilder,
    turn_index: UInt32Builder,
    segment_index: UInt32Builder,
    role: Dict,
    aspect: Dict,
    category: Dict,
    polarity: Dict,
    probability: Float32Builder,
    sentiment: Dict,
}

/// Where a sentence sits: a comment's sentence, or a transcript turn's.
enum Place<'a> {
    Comment { comment_id: &'a str },
    Turn { transcript_id: &'a str, turn_index: u32, role: &'a str },
}

impl AspectRows {
    fn new() -> Self {
        AspectRows {
            visit_id: StringBuilder::new(),
            source: Dict::new(),
            comment_id: StringBuilder::new(),
            transcript_id: StringBuilder::new(),
            turn_index: UInt32Builder::new(),
            segment_index: UInt32Builder::new(),
            role: Dict::new(),
            aspect: Dict::new(),
            category: Dict::new(),
            polarity: Dict::new(),
            probability: Float32Builder::new(),
            sentiment: Dict::new(),
        }
    }

    fn add(&mut self, visit_id: &str, place: &Place, segment_index: u32, p: &Prediction) {
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
                    self.turn_index.append_value(*turn_index);
                    self.role.append_value(role);
                }
            }
            self.segment_index.append_value(segment_index);
            self.aspect.append_value(a.label.name());
            self.category.append_value(a.label.category().as_str());
            self.polarity.append_value(a.label.polarity.as_str());
            self.probability.append_value(a.probability);
            self.sentiment.append_value(p.sentiment.as_str());
        }
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.visit_id.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.comment_id.finish()),
            Arc::new(self.transcript_id.finish()),
            Arc::new(self.turn_index.finish()),
            Arc::new(self.segment_index.finish()),
            Arc::new(self.role.finish()),
            Arc::new(self.aspect.finish()),
            Arc::new(self.category.finish()),
            Arc::new(self.polarity.finish()),
            Arc::new(self.probability.finish()),
            Arc::new(self.sentiment.finish()),
        ];
        finish(schema::aspects(), cols)
    }
}

/// `aspects.parquet` rows for the sentences of processed comments.
pub fn comment_aspects(comments: &[ProcessedComment]) -> Result<RecordBatch> {
    let mut rows = AspectRows::new();
    for c in comments {
        let place = Place::Comment { comment_id: &c.comment.comment_id };
        for (i, p) in c.predictions.iter().enumerate() {
            rows.add(&c.comment.visit_id, &place, i as u32, p);
        }
    }
    rows.finish()
}

/// `aspects.parquet` rows for the sentences of processed transcripts.
pub fn transcript_aspects(transcripts: &[ProcessedTranscript]) -> Result<RecordBatch> {
    let mut rows = AspectRows::new();
    for t in transcripts {
        for (ti, (turn, p)) in t.transcript.turns.iter().zip(&t.turns).enumerate() {
            let place = Place::Turn {
                transcript_id: &t.transcript.transcript_id,
                turn_index: ti as u32,
                role: turn.role.as_str(),
            };
            for (si, pred) in p.predictions.iter().enumerate() {
                rows.add(&t.transcript.visit_id, &place, si as u32, pred);
            }
        }
    }
    rows.finish()
}

/// `comments.parquet` rows; `source_names[i]` is the path of comment file `i`.
pub fn comments(comments: &[ProcessedComment], source_names: &[String]) -> Result<RecordBatch> {
    let n = comments.len();
    let mut comment_id = StringBuilder::with_capacity(n, n * 8);
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut source_file = Dict::new();
    let mut source_row = UInt64Builder::with_capacity(n);
    let mut text = StringBuilder::with_capacity(n, n * 128);
    let mut lang = Dict::new();
    let mut lang_source = Dict::new();
    let mut channel = Dict::new();
    let mut criterion = StringBuilder::new();
    let mut created_at = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut n_segments = UInt32Builder::with_capacity(n);
    let mut irritants = ListBuilder::new(StringBuilder::new());
    let mut irritant_aspects = ListBuilder::new(StringBuilder::new());
    let mut praise_aspects = ListBuilder::new(StringBuilder::new());
    let mut counts: Vec<UInt32Builder> = Irritant::ALL.iter().map(|_| UInt32Builder::with_capacity(n)).collect();
    let mut sentiment_min = Dict::new();
    let mut sentiment_mean = Float64Builder::with_capacity(n);
    let mut repairs: Vec<BooleanBuilder> = (0..4).map(|_| BooleanBuilder::with_capacity(n)).collect();
    for c in comments {
        let t = TextTally::of_comment(&c.predictions);
        comment_id.append_value(&c.comment.comment_id);
        visit_id.append_value(&c.comment.visit_id);
        source_file.append_value(&source_names[c.comment.file_index]);
        source_row.append_value(c.comment.row);
        text.append_value(&c.normalised.text);
        lang.append_value(c.lang.as_str());
        lang_source.append_value(c.lang_source.as_str());
        channel.append_option(c.comment.channel.as_deref());
        criterion.append_option(c.comment.criterion.as_deref());
        created_at.append_option(c.comment.created_at);
        n_segments.append_value(t.n_segments);
        push_irritants(&mut irritants, t.irritants);
        push_aspects(&mut irritant_aspects, &t.aspects, Polarity::Irritant);
        push_aspects(&mut praise_aspects, &t.aspects, Polarity::Praise);
        for (b, v) in counts.iter_mut().zip(t.per_category) {
            b.append_value(v);
        }
        sentiment_min.append_option(t.sentiment_min.map(Sentiment::as_str));
        sentiment_mean.append_option(t.sentiment_mean());
        let r = c.normalised.repairs;
        for (b, v) in repairs.iter_mut().zip([c.comment.invalid_utf8, r.mojibake, r.control_chars, r.whitespace]) {
            b.append_value(v);
        }
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(comment_id.finish()),
        Arc::new(visit_id.finish()),
        Arc::new(source_file.finish()),
        Arc::new(source_row.finish()),
        Arc::new(text.finish()),
        Arc::new(lang.finish()),
        Arc::new(lang_source.finish()),
        Arc::new(channel.finish()),
        Arc::new(criterion.finish()),
        Arc::new(created_at.finish()),
        Arc::new(n_segments.finish()),
        Arc::new(irritants.finish()),
        Arc::new(irritant_aspects.finish()),
        Arc::new(praise_aspects.finish()),
    ];
    cols.extend(counts.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.push(Arc::new(sentiment_min.finish()));
    cols.push(Arc::new(sentiment_mean.finish()));
    cols.extend(repairs.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    finish(schema::comments(), cols)
}

/// `visits.parquet` rows, with the pass-through columns of the visits file.
pub fn visits(rows: &[VisitRow], extra_columns: &[String]) -> Result<RecordBatch> {
    let n = rows.len();
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut store_id = StringBuilder::new();
    let mut visit_date = Date32Builder::with_capacity(n);
    let mut channel = Dict::new();
    let mut has: Vec<BooleanBuilder> = (0..4).map(|_| BooleanBuilder::with_capacity(n)).collect();
    let mut score = Float64Builder::with_capacity(n);
    let mut answered = UInt32Builder::with_capacity(n);
    let mut na = UInt32Builder::with_capacity(n);
    let mut sections = struct_list(schema::section_score_fields());
    let mut n_comments = UInt32Builder::with_capacity(n);
    let mut n_segments = UInt32Builder::with_capacity(n);
    let mut counts: Vec<UInt32Builder> = (0..4).map(|_| UInt32Builder::with_capacity(n)).collect();
    let mut irritants = ListBuilder::new(StringBuilder::new());
    let mut irritant_aspects = ListBuilder::new(StringBuilder::new());
    let mut praise_aspects = ListBuilder::new(StringBuilder::new());
    let mut negative_share = Float64Builder::with_capacity(n);
    let mut sentiment_mean = Float64Builder::with_capacity(n);
    let mut n_transcripts = UInt32Builder::with_capacity(n);
    let mut n_turns = UInt32Builder::with_capacity(n);
    let mut first_answer = UInt64Builder::with_capacity(n);
    let mut duration = UInt64Builder::with_capacity(n);
    let mut hold_transfer = UInt32Builder::with_capacity(n);
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
        let flags = [meta.is_some(), r.has_checklist, r.text.n_comments > 0, r.transcripts.n_transcripts > 0];
        for (b, v) in has.iter_mut().zip(flags) {
            b.append_value(v);
        }
        score.append_option(r.checklist.score());
        answered.append_value(r.checklist.answered);
        na.append_value(r.checklist.not_applicable);
        let items = sections.values();
        for (name, t) in &r.sections {
            if let Some(s) = t.score() {
                items.field_builder::<StringBuilder>(0).unwrap().append_value(name);
                items.field_builder::<Float64Builder>(1).unwrap().append_value(s);
                items.field_builder::<UInt32Builder>(2).unwrap().append_value(t.answered);
                items.append(true);
            }
        }
        sections.append(true);
        n_comments.append_value(r.text.n_comments);
        n_segments.append_value(r.text.n_segments);
        for (b, v) in counts.iter_mut().zip(r.text.per_category) {
            b.append_value(v);
        }
        push_irritants(&mut irritants, r.irritants());
        let aspects = r.aspects();
        push_aspects(&mut irritant_aspects, &aspects, Polarity::Irritant);
        push_aspects(&mut praise_aspects, &aspects, Polarity::Praise);
        negative_share.append_option(r.text.negative_share());
        sentiment_mean.append_option(r.text.sentiment_mean());
        let calls = &r.transcripts;
        n_transcripts.append_value(calls.n_transcripts);
        n_turns.append_value(calls.n_turns);
        first_answer.append_option(calls.first_staff_answer_ms());
        duration.append_option(calls.duration_ms);
        hold_transfer.append_value(calls.hold_transfer_mentions);
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
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(visit_id.finish()),
        Arc::new(store_id.finish()),
        Arc::new(visit_date.finish()),
        Arc::new(channel.finish()),
    ];
    cols.extend(has.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.push(Arc::new(score.finish()));
    cols.push(Arc::new(answered.finish()));
    cols.push(Arc::new(na.finish()));
    cols.push(Arc::new(sections.finish()));
    cols.push(Arc::new(n_comments.finish()));
    cols.push(Arc::new(n_segments.finish()));
    cols.extend(counts.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.push(Arc::new(irritants.finish()));
    cols.push(Arc::new(irritant_aspects.finish()));
    cols.push(Arc::new(praise_aspects.finish()));
    cols.push(Arc::new(negative_share.finish()));
    cols.push(Arc::new(sentiment_mean.finish()));
    cols.push(Arc::new(n_transcripts.finish()));
    cols.push(Arc::new(n_turns.finish()));
    cols.push(Arc::new(first_answer.finish()));
    cols.push(Arc::new(duration.finish()));
    cols.push(Arc::new(hold_transfer.finish()));
    cols.push(Arc::new(shopper_irritants.finish()));
    cols.push(Arc::new(shopper_negative.finish()));
    cols.push(Arc::new(dissonances.finish()));
    cols.extend(extra.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    finish(schema::visits(extra_columns), cols)
}

/// `checklist.parquet` rows.
pub fn checklist(answers: &[ChecklistAnswer]) -> Result<RecordBatch> {
    let n = answers.len();
    let mut visit_id = StringBuilder::with_capacity(n, n * 8);
    let mut criterion = StringBuilder::with_capacity(n, n * 16);
    let mut section = Dict::new();
    let mut category = Dict::new();
    let mut score = Float64Builder::with_capacity(n);
    let mut max_score = Float64Builder::with_capacity(n);
    let mut normalised = Float64Builder::with_capacity(n);
    let mut na = BooleanBuilder::with_capacity(n);
    let mut source_file = Dict::new();
    let mut source_row = UInt64Builder::with_capacity(n);
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
        source_row.append_value(a.row);
    }
    finish(
        schema::checklist(),
        vec![
            Arc::new(visit_id.finish()),
            Arc::new(criterion.finish()),
            Arc::new(section.finish()),
            Arc::new(category.finish()),
            Arc::new(score.finish()),
            Arc::new(max_score.finish()),
            Arc::new(normalised.finish()),
            Arc::new(na.finish()),
            Arc::new(source_file.finish()),
            Arc::new(source_row.finish()),
        ],
    )
}

/// `rejects.parquet` rows.
pub fn rejects(rejects: &[Reject]) -> Result<RecordBatch> {
    let mut source_file = Dict::new();
    let mut input = Dict::new();
    let mut row = UInt64Builder::with_capacity(rejects.len());
    let mut column = StringBuilder::new();
    let mut raw = StringBuilder::new();
    let mut reason = StringBuilder::new();
    for r in rejects {
        source_file.append_value(r.file.display().to_string());
        input.append_value(r.input.as_str());
        row.append_option(r.row);
        column.append_option(r.column.as_deref());
        raw.append_value(&r.raw);
        reason.append_value(&r.reason);
    }
    finish(
        schema::rejects(),
        vec![
            Arc::new(source_file.finish()),
            Arc::new(input.finish()),
            Arc::new(row.finish()),
            Arc::new(column.finish()),
            Arc::new(raw.finish()),
            Arc::new(reason.finish()),
        ],
    )
}
