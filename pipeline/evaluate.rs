//! `irritant eval`: how good a classifier is on gold data it was not trained on.
//!
//! Gold files are labelled JSONL in the three shapes of `TAXONOMY.md`; the sentences of
//! a comment and the turns of a transcript are classified in order, each with the one
//! before it. The report holds, for irritants, precision, recall and F1 per category,
//! micro and macro F1, the exact-match ratio and "any irritant" versus none; for
//! sentiment, accuracy, macro F1 and the confusion matrix; comment-level irritant scores
//! (categories united per comment or transcript); for aspects, how often the model finds
//! the category of each gold aspect, and P/R/F1 per aspect and polarity for models that
//! predict aspects; the same per language and per source style; 95% bootstrap confidence
//! intervals of both macro F1s (1,000 resamples of whole comments and transcripts,
//! seeded); the expected calibration error of the probabilities (10 equal-width bins); and
//! the worst errors. Classes absent from the gold are "n/a" and left out of macro
//! averages. Every figure is computed by [`crate::classify::metrics`], the code that also
//! fills the model cards.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Result;
use arrow::array::{ArrayRef, BooleanBuilder, Float32Builder, ListBuilder, StringBuilder};
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::classify::labelled::{inputs, prepared_texts, LabelledSegment, Shape};
use crate::classify::metrics::{
    aspect_class, aspect_class_names, fmt3, irritant_scores, sentiment_scores, IrritantScores, LabelScores,
    SentimentScores,
};
use crate::classify::train::aspect_scores;
use crate::classify::{Classifier, Prediction};
use crate::rng::SplitMix64;
use crate::taxonomy::{aspects, Irritant, IrritantSet, Polarity, Sentiment};
use crate::write::schema;
use crate::write::tables::push_irritants;

/// Bootstrap resamples for the confidence intervals.
pub const BOOTSTRAP_SAMPLES: usize = 1000;
/// Seed of the bootstrap, fixed so reports are reproducible.
pub const BOOTSTRAP_SEED: u64 = 2024;
/// Errors listed in the report.
pub const WORST_ERRORS: usize = 20;
const ECE_BINS: usize = 10;

/// Irritant figures with their interval and calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IrritantReport {
    #[serde(flatten)]
    pub scores: IrritantScores,
    /// 95% bootstrap interval of the macro F1 (`None` when there is nothing to measure).
    pub macro_f1_ci95: Option<[f64; 2]>,
    /// Expected calibration error of the four category probabilities, pooled.
    pub ece: f64,
}

/// Sentiment figures with their interval and calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentimentReport {
    #[serde(flatten)]
    pub scores: SentimentScores,
    pub macro_f1_ci95: Option<[f64; 2]>,
    /// Expected calibration error of the top sentiment's probability.
    pub ece: f64,
}

/// The figures for one group of segments (a language, a source style).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupReport {
    pub n: usize,
    pub irritants: IrritantScores,
    /// 95% bootstrap interval of the group's irritant macro F1.
    pub irritant_macro_f1_ci95: Option<[f64; 2]>,
    pub sentiment: SentimentScores,
    pub sentiment_macro_f1_ci95: Option<[f64; 2]>,
    /// Comment-level irritant scores of the group's comments and transcripts.
    pub comments: Option<CommentReport>,
    /// Aspect figures of the group's segments labelled with aspects.
    pub aspects: Option<AspectReport>,
}

/// Irritants judged per comment or transcript: the categories of its segments united, in
/// gold and in prediction. Lone segments (the segments shape) are left out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommentReport {
    /// Comments and transcripts scored.
    pub n: usize,
    pub irritants: IrritantScores,
}

/// How the model's categories relate to one gold aspect and polarity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoldAspectRow {
    /// Gold segments with this aspect and polarity.
    pub support: usize,
    /// Share of them where the model predicted the aspect's category: for an irritant
    /// aspect, the category's recall on it; for praise (with no gold irritant of that
    /// category), the share misread as an irritant.
    pub category_predicted: Option<f64>,
}

/// Aspect figures, over the segments whose gold carries aspects (version 2 labels).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AspectReport {
    /// Segments with gold aspects.
    pub n: usize,
    /// Per `aspect:polarity`.
    pub by_gold_aspect: BTreeMap<String, GoldAspectRow>,
    /// P/R/F1 per `aspect:polarity`, macro and micro over them: `None` when the model
    /// predicts no aspects.
    pub scores: Option<LabelScores>,
}

/// One misclassified example.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorExample {
    pub id: String,
    pub text: String,
    pub gold_irritants: Vec<String>,
    pub irritants: Vec<String>,
    pub irritant_probs: BTreeMap<String, f32>,
    pub gold_sentiment: String,
    pub sentiment: String,
    pub sentiment_probs: BTreeMap<String, f32>,
    /// How far the probabilities are from the gold labels (sum of absolute errors).
    pub loss: f32,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalReport {
    pub model: String,
    pub model_sha256: String,
    pub gold: Vec<String>,
    pub n: usize,
    pub irritants: IrritantReport,
    pub sentiment: SentimentReport,
    /// Comment-level scores over every comment and transcript of the gold files.
    pub comments: Option<CommentReport>,
    pub aspects: Option<AspectReport>,
    pub by_lang: BTreeMap<String, GroupReport>,
    /// Per `source` style of comments (`report`, `review`, `social`, `survey`), transcript
    /// channel (`phone`, `chat`), and `segment` for lone segments.
    pub by_style: BTreeMap<String, GroupReport>,
    pub worst_errors: Vec<ErrorExample>,
    /// Classification throughput of this evaluation (normalisation included), on the
    /// threads it ran with.
    pub predict_segments_per_second: f64,
    pub threads: usize,
}

fn names(set: IrritantSet) -> Vec<String> {
    set.iter().map(|c| c.as_str().to_string()).collect()
}

/// Classifies the gold segments (prepared as in a run) in one batch, in order, each with
/// the segment before it in its comment or transcript.
pub fn predict(classifier: &dyn Classifier, gold: &[LabelledSegment]) -> Result<Vec<Prediction>> {
    let texts = prepared_texts(gold);
    classifier.classify(&inputs(gold, &texts))
}

fn percentile_interval(mut v: Vec<f64>) -> Option<[f64; 2]> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Some([at(0.025), at(0.975)])
}

/// Expected calibration error of (probability, outcome) pairs.
pub fn expected_calibration_error(pairs: &[(f32, bool)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let mut bins = [(0f64, 0f64, 0usize); ECE_BINS];
    for &(p, y) in pairs {
        let b = ((p as f64 * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        bins[b].0 += p as f64;
        bins[b].1 += y as u8 as f64;
        bins[b].2 += 1;
    }
    bins.iter()
        .filter(|b| b.2 > 0)
        .map(|(p, y, n)| (*n as f64 / pairs.len() as f64) * (p / *n as f64 - y / *n as f64).abs())
        .sum()
}

/// The segments of each comment or transcript (each lone segment alone), in order.
fn unit_members(gold: &[LabelledSegment]) -> Vec<Vec<usize>> {
    let mut units: Vec<Vec<usize>> = Vec::new();
    for i in 0..gold.len() {
        match LabelledSegment::previous(gold, i) {
            Some(_) => units.last_mut().expect("a previous segment opened a unit").push(i),
            None => units.push(vec![i]),
        }
    }
    units
}

/// 95% bootstrap intervals of the irritant and sentiment macro F1 over the segments `idx`
/// (whole comments and transcripts of `gold`). Each resample draws whole comments and
/// transcripts (lone segments one by one) with replacement: the sentences of a comment
/// share a writer and a story, so resampling them one by one would understate the spread.
fn bootstrap_intervals(
    gold: &[LabelledSegment],
    preds: &[Prediction],
    idx: &[usize],
) -> (Option<[f64; 2]>, Option<[f64; 2]>) {
    let mut rng = SplitMix64(BOOTSTRAP_SEED);
    let chosen: std::collections::HashSet<usize> = idx.iter().copied().collect();
    let units: Vec<Vec<usize>> = unit_members(gold).into_iter().filter(|u| chosen.contains(&u[0])).collect();
    let (mut irr_f1, mut sent_f1) = (Vec::new(), Vec::new());
    if units.is_empty() {
        return (None, None);
    }
    for _ in 0..BOOTSTRAP_SAMPLES {
        let picked: Vec<usize> = (0..units.len()).flat_map(|_| units[rng.below(units.len())].iter().copied()).collect();
        let gi: Vec<IrritantSet> = picked.iter().map(|&i| gold[i].irritants).collect();
        let pi: Vec<IrritantSet> = picked.iter().map(|&i| preds[i].irritants).collect();
        let gs: Vec<Sentiment> = picked.iter().map(|&i| gold[i].sentiment).collect();
        let ps: Vec<Sentiment> = picked.iter().map(|&i| preds[i].sentiment).collect();
        // A resample with nothing to measure has no macro F1 and is left out.
        irr_f1.extend(irritant_scores(&gi, &pi).macro_f1);
        sent_f1.extend(sentiment_scores(&gs, &ps).macro_f1);
    }
    (percentile_interval(irr_f1), percentile_interval(sent_f1))
}

/// Comment-level scores of the comments and transcripts among segments `idx`.
fn comment_scores(gold: &[LabelledSegment], preds: &[Prediction], idx: &[usize]) -> Option<CommentReport> {
    let mut units: BTreeMap<&str, (IrritantSet, IrritantSet)> = BTreeMap::new();
    for &i in idx.iter().filter(|&&i| gold[i].shape != Shape::Segment) {
        let u = units.entry(gold[i].unit.as_str()).or_default();
        u.0 = u.0.union(gold[i].irritants);
        u.1 = u.1.union(preds[i].irritants);
    }
    if units.is_empty() {
        return None;
    }
    let (g, p): (Vec<IrritantSet>, Vec<IrritantSet>) = units.into_values().unzip();
    Some(CommentReport { n: g.len(), irritants: irritant_scores(&g, &p) })
}

/// Aspect figures of the segments `idx` whose gold carries aspects.
fn aspect_report(
    classifier: &dyn Classifier,
    gold: &[LabelledSegment],
    preds: &[Prediction],
    idx: &[usize],
) -> Option<AspectReport> {
    let labelled: Vec<usize> = idx.iter().copied().filter(|&i| gold[i].aspects.is_some()).collect();
    if labelled.is_empty() {
        return None;
    }
    let names = aspect_class_names();
    let mut rows: Vec<(usize, usize)> = vec![(0, 0); names.len()];
    for &i in &labelled {
        for &a in gold[i].aspects.iter().flatten() {
            let c = a.category();
            // Praise is counted where gold holds no irritant of the same category, so the
            // share measures praise misread as a complaint.
            if a.polarity == Polarity::Praise && gold[i].irritants.contains(c) {
                continue;
            }
            let row = &mut rows[aspect_class(a)];
            row.0 += 1;
            row.1 += preds[i].irritants.contains(c) as usize;
        }
    }
    let by_gold_aspect = names
        .iter()
        .zip(&rows)
        .map(|(n, &(support, hit))| {
            let share = (support > 0).then(|| hit as f64 / support as f64);
            (n.clone(), GoldAspectRow { support, category_predicted: share })
        })
        .collect();
    let scores = if classifier.predicts_aspects() { aspect_scores(gold, preds, &labelled) } else { None };
    Some(AspectReport { n: labelled.len(), by_gold_aspect, scores })
}

/// Figures for groups of segments, keyed by `key`.
fn groups(
    classifier: &dyn Classifier,
    gold: &[LabelledSegment],
    preds: &[Prediction],
    key: impl Fn(&LabelledSegment) -> &str,
) -> BTreeMap<String, GroupReport> {
    let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in gold.iter().enumerate() {
        let k = key(s);
        by.entry(if k.is_empty() { "unknown".into() } else { k.to_string() }).or_default().push(i);
    }
    by.into_iter()
        .map(|(k, idx)| {
            let gi: Vec<IrritantSet> = idx.iter().map(|&i| gold[i].irritants).collect();
            let pi: Vec<IrritantSet> = idx.iter().map(|&i| preds[i].irritants).collect();
            let gs: Vec<Sentiment> = idx.iter().map(|&i| gold[i].sentiment).collect();
            let ps: Vec<Sentiment> = idx.iter().map(|&i| preds[i].sentiment).collect();
            let (irritant_macro_f1_ci95, sentiment_macro_f1_ci95) = bootstrap_intervals(gold, preds, &idx);
            let r = GroupReport {
                n: idx.len(),
                irritants: irritant_scores(&gi, &pi),
                irritant_macro_f1_ci95,
                sentiment: sentiment_scores(&gs, &ps),
                sentiment_macro_f1_ci95,
                comments: comment_scores(gold, preds, &idx),
                aspects: aspect_report(classifier, gold, preds, &idx),
            };
            (k, r)
        })
        .collect()
}

/// Scores predictions against gold.
pub fn evaluate(
    classifier: &dyn Classifier,
    gold: &[LabelledSegment],
    gold_files: Vec<String>,
) -> Result<(EvalReport, Vec<Prediction>)> {
    let started = std::time::Instant::now();
    let preds = predict(classifier, gold)?;
    let predict_seconds = started.elapsed().as_secs_f64();
    let gi: Vec<IrritantSet> = gold.iter().map(|s| s.irritants).collect();
    let pi: Vec<IrritantSet> = preds.iter().map(|p| p.irritants).collect();
    let gs: Vec<Sentiment> = gold.iter().map(|s| s.sentiment).collect();
    let ps: Vec<Sentiment> = preds.iter().map(|p| p.sentiment).collect();

    let irr_pairs: Vec<(f32, bool)> = gold
        .iter()
        .zip(&preds)
        .flat_map(|(g, p)| Irritant::ALL.map(|c| (p.irritant_probs[c.index()], g.irritants.contains(c))))
        .collect();
    let sent_pairs: Vec<(f32, bool)> = gold
        .iter()
        .zip(&preds)
        .map(|(g, p)| (p.sentiment_probs[p.sentiment.index()], p.sentiment == g.sentiment))
        .collect();

    let mut errors: Vec<ErrorExample> = gold
        .iter()
        .zip(&preds)
        .filter(|(g, p)| g.irritants != p.irritants || g.sentiment != p.sentiment)
        .map(|(g, p)| {
            let loss = Irritant::ALL
                .iter()
                .map(|c| (g.irritants.contains(*c) as u8 as f32 - p.irritant_probs[c.index()]).abs())
                .sum::<f32>()
                + (1.0 - p.sentiment_probs[g.sentiment.index()]);
            ErrorExample {
                id: g.id.clone(),
                text: g.text.clone(),
                gold_irritants: names(g.irritants),
                irritants: names(p.irritants),
                irritant_probs: Irritant::ALL
                    .iter()
                    .map(|c| (c.as_str().to_string(), p.irritant_probs[c.index()]))
                    .collect(),
                gold_sentiment: g.sentiment.as_str().into(),
                sentiment: p.sentiment.as_str().into(),
                sentiment_probs: Sentiment::ALL
                    .iter()
                    .map(|s| (s.as_str().to_string(), p.sentiment_probs[s.index()]))
                    .collect(),
                loss,
            }
        })
        .collect();
    errors.sort_by(|a, b| b.loss.total_cmp(&a.loss).then(a.id.cmp(&b.id)));
    errors.truncate(WORST_ERRORS);

    let n = gold.len();
    let all: Vec<usize> = (0..n).collect();
    let (irr_ci, sent_ci) = bootstrap_intervals(gold, &preds, &all);
    let report = EvalReport {
        model: classifier.id().to_string(),
        model_sha256: classifier.sha256().to_string(),
        gold: gold_files,
        n,
        irritants: IrritantReport {
            scores: irritant_scores(&gi, &pi),
            macro_f1_ci95: irr_ci,
            ece: expected_calibration_error(&irr_pairs),
        },
        sentiment: SentimentReport {
            scores: sentiment_scores(&gs, &ps),
            macro_f1_ci95: sent_ci,
            ece: expected_calibration_error(&sent_pairs),
        },
        comments: comment_scores(gold, &preds, &all),
        aspects: aspect_report(classifier, gold, &preds, &all),
        by_lang: groups(classifier, gold, &preds, |s| s.lang.as_str()),
        by_style: groups(classifier, gold, &preds, |s| s.style.as_str()),
        worst_errors: errors,
        predict_segments_per_second: n as f64 / predict_seconds.max(1e-9),
        threads: rayon::current_num_threads(),
    };
    Ok((report, preds))
}

/// The `predictions.parquet` batch.
pub fn predictions_batch(gold: &[LabelledSegment], preds: &[Prediction]) -> Result<RecordBatch> {
    let mut id = StringBuilder::new();
    let mut unit = StringBuilder::new();
    let mut style = StringBuilder::new();
    let mut lang = StringBuilder::new();
    let mut text = StringBuilder::new();
    let mut gold_aspects = ListBuilder::new(StringBuilder::new());
    let mut gold_irr = ListBuilder::new(StringBuilder::new());
    let mut pred_irr = ListBuilder::new(StringBuilder::new());
    let mut pred_aspects = ListBuilder::new(StringBuilder::new());
    let mut probs: Vec<Float32Builder> = (0..4).map(|_| Float32Builder::new()).collect();
    let mut gold_sent = StringBuilder::new();
    let mut pred_sent = StringBuilder::new();
    let mut sprobs: Vec<Float32Builder> = (0..3).map(|_| Float32Builder::new()).collect();
    let mut irr_ok = BooleanBuilder::new();
    let mut sent_ok = BooleanBuilder::new();
    for (g, p) in gold.iter().zip(preds) {
        id.append_value(&g.id);
        unit.append_value(&g.unit);
        style.append_value(&g.style);
        lang.append_value(&g.lang);
        text.append_value(&g.text);
        match &g.aspects {
            Some(list) => {
                for a in list {
                    gold_aspects.values().append_value(format!("{}:{}", a.name(), a.polarity.as_str()));
                }
                gold_aspects.append(true);
            }
            None => gold_aspects.append(false),
        }
        push_irritants(&mut gold_irr, g.irritants);
        push_irritants(&mut pred_irr, p.irritants);
        for a in &p.aspects {
            pred_aspects.values().append_value(format!("{}:{}", a.label.name(), a.label.polarity.as_str()));
        }
        pred_aspects.append(true);
        for (b, v) in probs.iter_mut().zip(&p.irritant_probs) {
            b.append_value(*v);
        }
        gold_sent.append_value(g.sentiment.as_str());
        pred_sent.append_value(p.sentiment.as_str());
        for (b, v) in sprobs.iter_mut().zip(&p.sentiment_probs) {
            b.append_value(*v);
        }
        irr_ok.append_value(g.irritants == p.irritants);
        sent_ok.append_value(g.sentiment == p.sentiment);
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(unit.finish()),
        Arc::new(style.finish()),
        Arc::new(lang.finish()),
        Arc::new(text.finish()),
        Arc::new(gold_aspects.finish()),
        Arc::new(gold_irr.finish()),
        Arc::new(pred_irr.finish()),
        Arc::new(pred_aspects.finish()),
    ];
    cols.extend(probs.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.push(Arc::new(gold_sent.finish()));
    cols.push(Arc::new(pred_sent.finish()));
    cols.extend(sprobs.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.push(Arc::new(irr_ok.finish()));
    cols.push(Arc::new(sent_ok.finish()));
    Ok(RecordBatch::try_new(schema::predictions(), cols)?)
}

/// A 95% interval as `lo–hi`, or "n/a".
fn interval(ci: Option<[f64; 2]>) -> String {
    ci.map_or_else(|| "n/a".to_string(), |[lo, hi]| format!("{lo:.3}–{hi:.3}"))
}

/// The report as Markdown for people.
pub fn render_markdown(r: &EvalReport) -> String {
    let mut s = String::new();
    let i = &r.irritants;
    let se = &r.sentiment;
    let _ = writeln!(s, "# Evaluation of `{}` on {} segments\n", r.model, r.n);
    let _ = writeln!(s, "Gold: {}\n", r.gold.join(", "));
    let _ = writeln!(s, "## Irritants\n\n| category | precision | recall | F1 | support |\n|---|---|---|---|---|");
    for c in Irritant::ALL {
        let k = &i.scores.per_class[c.as_str()];
        let _ = writeln!(s, "| {c} | {} |", k.markdown_cells());
    }
    let a = &i.scores.any;
    let _ = writeln!(s, "| any irritant | {} |", a.markdown_cells());
    let _ = writeln!(
        s,
        "\nMacro F1 **{}** (95% CI {}), micro F1 {}, exact match {:.3}, ECE {:.3}.\n",
        fmt3(i.scores.macro_f1),
        interval(i.macro_f1_ci95),
        fmt3(i.scores.micro_f1),
        i.scores.exact_match,
        i.ece
    );
    let _ = writeln!(s, "## Sentiment\n\n| gold \\ predicted | negative | neutral | positive |\n|---|---|---|---|");
    for g in Sentiment::ALL {
        let row = se.scores.confusion[g.index()];
        let _ = writeln!(s, "| {} | {} | {} | {} |", g, row[0], row[1], row[2]);
    }
    let _ = writeln!(
        s,
        "\nAccuracy **{:.3}**, macro F1 **{}** (95% CI {}), ECE {:.3}.\n",
        se.scores.accuracy,
        fmt3(se.scores.macro_f1),
        interval(se.macro_f1_ci95),
        se.ece
    );
    let _ = writeln!(s, "Classified {:.0} segments/s on {} thread(s).\n", r.predict_segments_per_second, r.threads);
    if let Some(c) = &r.comments {
        let _ = writeln!(
            s,
            "## Comments\n\n{} comments and transcripts, categories united over their segments: macro F1 **{}**, micro F1 {}, exact match {:.3}, any-irritant F1 {}.\n",
            c.n,
            fmt3(c.irritants.macro_f1),
            fmt3(c.irritants.micro_f1),
            c.irritants.exact_match,
            fmt3(c.irritants.any.f1)
        );
    }
    for (title, groups) in [("By source style", &r.by_style), ("By language", &r.by_lang)] {
        let _ = writeln!(
            s,
            "## {title}\n\n| group | segments | irritant macro F1 (95% CI) | micro F1 | sentiment accuracy | sentiment macro F1 (95% CI) | comments | comment macro F1 |\n|---|---|---|---|---|---|---|---|"
        );
        for (name, g) in groups {
            let (cn, cf) = g
                .comments
                .as_ref()
                .map_or(("0".into(), "n/a".into()), |c| (c.n.to_string(), fmt3(c.irritants.macro_f1)));
            let _ = writeln!(
                s,
                "| {name} | {} | {} ({}) | {} | {:.3} | {} ({}) | {cn} | {cf} |",
                g.n,
                fmt3(g.irritants.macro_f1),
                interval(g.irritant_macro_f1_ci95),
                fmt3(g.irritants.micro_f1),
                g.sentiment.accuracy,
                fmt3(g.sentiment.macro_f1),
                interval(g.sentiment_macro_f1_ci95)
            );
        }
        let _ = writeln!(s);
    }
    if let Some(a) = &r.aspects {
        let _ = writeln!(
            s,
            "## Aspects\n\nOver the {} segments whose gold carries aspects. *Category found*: for an irritant aspect, the share of its segments where the model predicted its category (that category's recall on the aspect); for praise, the share misread as an irritant of that category.\n",
            a.n
        );
        let scored = a.scores.as_ref();
        let _ = writeln!(
            s,
            "| aspect | irritant support | category found | praise support | praise misread |{}\n|---|---|---|---|---|{}",
            if scored.is_some() { " irritant P / R / F1 | praise P / R / F1 |" } else { "" },
            if scored.is_some() { "---|---|" } else { "" }
        );
        for asp in aspects() {
            let row = |p: Polarity| &a.by_gold_aspect[&format!("{}:{}", asp.name, p.as_str())];
            let (irr, praise) = (row(Polarity::Irritant), row(Polarity::Praise));
            let mut line = format!(
                "| {} | {} | {} | {} | {} |",
                asp.name,
                irr.support,
                fmt3(irr.category_predicted),
                praise.support,
                fmt3(praise.category_predicted)
            );
            if let Some(sc) = scored {
                for p in Polarity::ALL {
                    let c = &sc.per_class[&format!("{}:{}", asp.name, p.as_str())];
                    let _ = write!(line, " {} / {} / {} |", fmt3(c.precision), fmt3(c.recall), fmt3(c.f1));
                }
            }
            let _ = writeln!(s, "{line}");
        }
        match scored {
            Some(sc) => {
                let _ = writeln!(
                    s,
                    "\nAspect macro F1 **{}** over the {} aspect-polarity classes present in gold, micro F1 {}.\n",
                    fmt3(sc.macro_f1),
                    sc.classes_in_gold,
                    fmt3(sc.micro_f1)
                );
            }
            None => {
                let _ = writeln!(s, "\nThis model predicts categories, not aspects: aspect P/R/F1 are n/a.\n");
            }
        }
    }
    let _ = writeln!(
        s,
        "\n## Worst errors\n\n| id | text | gold | predicted | sentiment gold → predicted |\n|---|---|---|---|---|"
    );
    for e in r.worst_errors.iter().take(10) {
        let text: String = e.text.chars().take(90).collect::<String>().replace('|', "\\|");
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} → {} |",
            e.id,
            text,
            if e.gold_irritants.is_empty() { "none".into() } else { e.gold_irritants.join(", ") },
            if e.irritants.is_empty() { "none".into() } else { e.irritants.join(", ") },
            e.gold_sentiment,
            e.sentiment
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{AspectScore, SegmentInput};
    use crate::taxonomy::AspectLabel;

    #[test]
    fn calibration_error_of_perfect_and_overconfident_scores() {
        let perfect = [(0.0, false), (1.0, true), (1.0, true), (0.0, false)];
        assert!(expected_calibration_error(&perfect) < 1e-12);
        let over = [(0.95, false), (0.95, false), (0.95, true), (0.95, true)];
        assert!((expected_calibration_error(&over) - 0.45).abs() < 1e-6);
    }

    /// Says `digital` exactly when it is given a previous segment, so the predictions show
    /// which segments reached it with context.
    struct ContextProbe;
    impl Classifier for ContextProbe {
        fn id(&self) -> &str {
            "probe"
        }
        fn sha256(&self) -> &str {
            ""
        }
        fn classify(&self, inputs: &[SegmentInput<'_>]) -> Result<Vec<Prediction>> {
            Ok(inputs
                .iter()
                .map(|s| {
                    let with = s.previous.is_some();
                    Prediction {
                        irritant_probs: vec![with as u8 as f32, 0.0, 0.0, 0.0],
                        irritants: if with {
                            [Irritant::Digital].into_iter().collect()
                        } else {
                            IrritantSet::default()
                        },
                        sentiment_probs: vec![0.0, 1.0, 0.0],
                        sentiment: Sentiment::Neutral,
                        evidence: Vec::new(),
                        aspects: Vec::new(),
                    }
                })
                .collect())
        }
    }

    #[test]
    fn segments_reach_the_model_with_the_one_before_in_their_unit() {
        let dir = tempfile::tempdir().unwrap();
        let gold = dir.path().join("gold.jsonl");
        let unit =
            |t: &str| format!(r#"{{"speaker": "staff", "text": "{t}", "irritants": [], "sentiment": "neutral"}}"#);
        let lines = [
            format!(r#"{{"id": "c1", "lang": "en", "source": "review", "sentences": [{}, {}]}}"#, unit("a"), unit("b")),
            r#"{"id": "s1", "lang": "en", "text": "c", "irritants": [], "sentiment": "neutral"}"#.to_string(),
            format!(
                r#"{{"id": "t1", "lang": "en", "channel": "chat", "turns": [{}, {}, {}]}}"#,
                unit("d"),
                unit("e"),
                unit("f")
            ),
        ];
        std::fs::write(&gold, lines.join("\n")).unwrap();
        let data = crate::classify::labelled::read_file(&gold).unwrap();
        let with: Vec<bool> = predict(&ContextProbe, &data).unwrap().iter().map(|p| !p.irritants.is_empty()).collect();
        assert_eq!(with, [false, true, false, false, true, true]);
        // The bootstrap draws the same units: the comment, the lone segment, the transcript.
        assert_eq!(unit_members(&data), [vec![0, 1], vec![2], vec![3, 4, 5]]);
    }

    /// Predicts `physical.wait` as an irritant where a text says "queue", and
    /// `physical.welcome` as an irritant where it says "staff".
    struct AspectProbe;
    impl Classifier for AspectProbe {
        fn id(&self) -> &str {
            "aspect-probe"
        }
        fn sha256(&self) -> &str {
            ""
        }
        fn classify(&self, inputs: &[SegmentInput<'_>]) -> Result<Vec<Prediction>> {
            let label = |name: &str| AspectLabel::parse(name, "irritant").unwrap();
            Ok(inputs
                .iter()
                .map(|s| {
                    let t = s.text;
                    let mut aspects = Vec::new();
                    if t.contains("queue") {
                        aspects.push(AspectScore { label: label("physical.wait"), probability: 0.9 });
                    }
                    if t.contains("staff") {
                        aspects.push(AspectScore { label: label("physical.welcome"), probability: 0.8 });
                    }
                    let irritants = crate::taxonomy::irritants_of(&aspects.iter().map(|a| a.label).collect::<Vec<_>>());
                    Prediction {
                        irritant_probs: Irritant::ALL.iter().map(|c| irritants.contains(*c) as u8 as f32).collect(),
                        irritants,
                        sentiment_probs: vec![1.0, 0.0, 0.0],
                        sentiment: Sentiment::Negative,
                        evidence: Vec::new(),
                        aspects,
                    }
                })
                .collect())
        }
        fn predicts_aspects(&self) -> bool {
            true
        }
    }

    #[test]
    fn aspects_are_scored_per_aspect_and_polarity_for_models_that_predict_them() {
        let dir = tempfile::tempdir().unwrap();
        let gold = dir.path().join("gold.jsonl");
        let wait = r#"[{"aspect": "physical.wait", "polarity": "irritant"}]"#;
        let welcome = r#"[{"aspect": "physical.welcome", "polarity": "praise"}]"#;
        let s = |text: &str, irr: &str, aspects: &str| {
            format!(r#"{{"text": "{text}", "irritants": [{irr}], "sentiment": "negative", "aspects": {aspects}}}"#)
        };
        std::fs::write(
            &gold,
            format!(
                r#"{{"id": "c1", "lang": "en", "source": "survey", "sentences": [{}, {}, {}]}}"#,
                s("long queue", r#""physical""#, wait),
                s("lovely staff", "", welcome),
                s("queue again", r#""physical""#, wait)
            ),
        )
        .unwrap();
        let data = crate::classify::labelled::read_file(&gold).unwrap();
        let (report, _) = evaluate(&AspectProbe, &data, vec![]).unwrap();
        let a = report.aspects.as_ref().unwrap();
        let sc = a.scores.as_ref().expect("the probe predicts aspects");
        assert_eq!(sc.per_class["physical.wait:irritant"].f1, Some(1.0));
        assert_eq!(sc.per_class["physical.welcome:praise"].recall, Some(0.0), "praise read as an irritant");
        let misread = &sc.per_class["physical.welcome:irritant"];
        assert_eq!((misread.f1, misread.precision, misread.false_positives), (None, Some(0.0), 1));
        assert_eq!(sc.classes_in_gold, 2);
        assert_eq!(sc.macro_f1, Some(0.5));
        assert_eq!(a.by_gold_aspect["physical.welcome:praise"].category_predicted, Some(1.0));
        let md = render_markdown(&report);
        assert!(md.contains("Aspect macro F1 **0.500** over the 2 aspect-polarity classes"), "{md}");
    }

    #[test]
    fn interval_brackets_the_middle() {
        let v: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
        let [lo, hi] = percentile_interval(v).unwrap();
        assert!((lo - 0.025).abs() < 0.002 && (hi - 0.975).abs() < 0.002);
    }
}
