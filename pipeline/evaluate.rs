//! `irritant eval`: how good a classifier is on gold data it was not trained on.
//!
//! Gold files are labelled JSONL in the shapes of `TAXONOMY.md`; transcripts are scored
//! turn by turn. The report holds, for irritants, precision, recall and F1 per category,
//! micro and macro F1, the exact-match ratio and "any irritant" versus none; for
//! sentiment, accuracy, macro F1 and the confusion matrix; the same per language; 95%
//! bootstrap confidence intervals of both macro F1s (1,000 resamples, seeded); the
//! expected calibration error of the probabilities (10 equal-width bins); and the worst
//! errors. Every figure is computed by [`crate::classify::metrics`], the code that also
//! fills the model cards.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Result;
use arrow::array::{ArrayRef, BooleanBuilder, Float32Builder, ListBuilder, StringBuilder, StringDictionaryBuilder};
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::classify::labelled::normalised_texts;
use crate::classify::labelled::LabelledSegment;
use crate::classify::metrics::{irritant_scores, sentiment_scores, IrritantScores, SentimentScores};
use crate::classify::train::SplitMix64;
use crate::classify::{Classifier, Prediction};
use crate::taxonomy::{Irritant, IrritantSet, Sentiment};
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
    /// 95% bootstrap interval of the macro F1.
    pub macro_f1_ci95: [f64; 2],
    /// Expected calibration error of the four category probabilities, pooled.
    pub ece: f64,
}

/// Sentiment figures with their interval and calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentimentReport {
    #[serde(flatten)]
    pub scores: SentimentScores,
    pub macro_f1_ci95: [f64; 2],
    /// Expected calibration error of the top sentiment's probability.
    pub ece: f64,
}

/// The figures for one language.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LanguageReport {
    pub n: usize,
    pub irritants: IrritantScores,
    pub sentiment: SentimentScores,
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
    pub by_lang: BTreeMap<String, LanguageReport>,
    pub worst_errors: Vec<ErrorExample>,
    /// Classification throughput of this evaluation (normalisation included), on the
    /// threads it ran with.
    pub predict_segments_per_second: f64,
    pub threads: usize,
}

fn names(set: IrritantSet) -> Vec<String> {
    set.iter().map(|c| c.as_str().to_string()).collect()
}

/// Classifies the gold texts (normalised as in a run), in one batch, in order.
pub fn predict(classifier: &dyn Classifier, gold: &[LabelledSegment]) -> Result<Vec<Prediction>> {
    let texts = normalised_texts(gold);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    classifier.classify_batch(&refs)
}

fn percentile_interval(mut v: Vec<f64>) -> [f64; 2] {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    [at(0.025), at(0.975)]
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

    // Bootstrap: resample examples with replacement, score each resample.
    let mut rng = SplitMix64(BOOTSTRAP_SEED);
    let n = gold.len();
    let (mut irr_f1, mut sent_f1) = (Vec::new(), Vec::new());
    if n > 0 {
        for _ in 0..BOOTSTRAP_SAMPLES {
            let idx: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
            let pick_i = |v: &[IrritantSet]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
            let pick_s = |v: &[Sentiment]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
            irr_f1.push(irritant_scores(&pick_i(&gi), &pick_i(&pi)).macro_f1);
            sent_f1.push(sentiment_scores(&pick_s(&gs), &pick_s(&ps)).macro_f1);
        }
    } else {
        irr_f1.push(0.0);
        sent_f1.push(0.0);
    }

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

    let mut by_lang: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in gold.iter().enumerate() {
        let lang = if s.lang.is_empty() { "unknown" } else { s.lang.as_str() };
        by_lang.entry(lang.to_string()).or_default().push(i);
    }
    let by_lang = by_lang
        .into_iter()
        .map(|(lang, idx)| {
            let pick_i = |v: &[IrritantSet]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
            let pick_s = |v: &[Sentiment]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
            let r = LanguageReport {
                n: idx.len(),
                irritants: irritant_scores(&pick_i(&gi), &pick_i(&pi)),
                sentiment: sentiment_scores(&pick_s(&gs), &pick_s(&ps)),
            };
            (lang, r)
        })
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

    let report = EvalReport {
        model: classifier.id().to_string(),
        model_sha256: classifier.sha256().to_string(),
        gold: gold_files,
        n,
        irritants: IrritantReport {
            scores: irritant_scores(&gi, &pi),
            macro_f1_ci95: percentile_interval(irr_f1),
            ece: expected_calibration_error(&irr_pairs),
        },
        sentiment: SentimentReport {
            scores: sentiment_scores(&gs, &ps),
            macro_f1_ci95: percentile_interval(sent_f1),
            ece: expected_calibration_error(&sent_pairs),
        },
        by_lang,
        worst_errors: errors,
        predict_segments_per_second: n as f64 / predict_seconds.max(1e-9),
        threads: rayon::current_num_threads(),
    };
    Ok((report, preds))
}

/// The `predictions.parquet` batch.
pub fn predictions_batch(gold: &[LabelledSegment], preds: &[Prediction]) -> Result<RecordBatch> {
    let mut id = StringBuilder::new();
    let mut lang = StringDictionaryBuilder::<Int32Type>::new();
    let mut text = StringBuilder::new();
    let mut gold_irr = ListBuilder::new(StringBuilder::new());
    let mut pred_irr = ListBuilder::new(StringBuilder::new());
    let mut probs: Vec<Float32Builder> = (0..4).map(|_| Float32Builder::new()).collect();
    let mut gold_sent = StringDictionaryBuilder::<Int32Type>::new();
    let mut pred_sent = StringDictionaryBuilder::<Int32Type>::new();
    let mut sprobs: Vec<Float32Builder> = (0..3).map(|_| Float32Builder::new()).collect();
    let mut irr_ok = BooleanBuilder::new();
    let mut sent_ok = BooleanBuilder::new();
    for (g, p) in gold.iter().zip(preds) {
        id.append_value(&g.id);
        lang.append_value(&g.lang);
        text.append_value(&g.text);
        push_irritants(&mut gold_irr, g.irritants);
        push_irritants(&mut pred_irr, p.irritants);
        for (b, v) in probs.iter_mut().zip(p.irritant_probs) {
            b.append_value(v);
        }
        gold_sent.append_value(g.sentiment.as_str());
        pred_sent.append_value(p.sentiment.as_str());
        for (b, v) in sprobs.iter_mut().zip(p.sentiment_probs) {
            b.append_value(v);
        }
        irr_ok.append_value(g.irritants == p.irritants);
        sent_ok.append_value(g.sentiment == p.sentiment);
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(lang.finish()),
        Arc::new(text.finish()),
        Arc::new(gold_irr.finish()),
        Arc::new(pred_irr.finish()),
    ];
    cols.extend(probs.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.push(Arc::new(gold_sent.finish()));
    cols.push(Arc::new(pred_sent.finish()));
    cols.extend(sprobs.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    cols.push(Arc::new(irr_ok.finish()));
    cols.push(Arc::new(sent_ok.finish()));
    Ok(RecordBatch::try_new(schema::predictions(), cols)?)
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
        let _ = writeln!(s, "| {} | {:.3} | {:.3} | {:.3} | {} |", c, k.precision, k.recall, k.f1, k.support);
    }
    let a = &i.scores.any;
    let _ = writeln!(s, "| any irritant | {:.3} | {:.3} | {:.3} | {} |", a.precision, a.recall, a.f1, a.support);
    let _ = writeln!(
        s,
        "\nMacro F1 **{:.3}** (95% CI {:.3}–{:.3}), micro F1 {:.3}, exact match {:.3}, ECE {:.3}.\n",
        i.scores.macro_f1, i.macro_f1_ci95[0], i.macro_f1_ci95[1], i.scores.micro_f1, i.scores.exact_match, i.ece
    );
    let _ = writeln!(s, "## Sentiment\n\n| gold \\ predicted | negative | neutral | positive |\n|---|---|---|---|");
    for g in Sentiment::ALL {
        let row = se.scores.confusion[g.index()];
        let _ = writeln!(s, "| {} | {} | {} | {} |", g, row[0], row[1], row[2]);
    }
    let _ = writeln!(
        s,
        "\nAccuracy **{:.3}**, macro F1 **{:.3}** (95% CI {:.3}–{:.3}), ECE {:.3}.\n",
        se.scores.accuracy, se.scores.macro_f1, se.macro_f1_ci95[0], se.macro_f1_ci95[1], se.ece
    );
    let _ = writeln!(s, "Classified {:.0} segments/s on {} thread(s).\n", r.predict_segments_per_second, r.threads);
    let _ = writeln!(s, "## By language\n\n| lang | n | irritant macro F1 | micro F1 | sentiment accuracy | sentiment macro F1 |\n|---|---|---|---|---|---|");
    for (lang, l) in &r.by_lang {
        let _ = writeln!(
            s,
            "| {lang} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            l.n, l.irritants.macro_f1, l.irritants.micro_f1, l.sentiment.accuracy, l.sentiment.macro_f1
        );
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

    #[test]
    fn calibration_error_of_perfect_and_overconfident_scores() {
        let perfect = [(0.0, false), (1.0, true), (1.0, true), (0.0, false)];
        assert!(expected_calibration_error(&perfect) < 1e-12);
        let over = [(0.95, false), (0.95, false), (0.95, true), (0.95, true)];
        assert!((expected_calibration_error(&over) - 0.45).abs() < 1e-6);
    }

    #[test]
    fn interval_brackets_the_middle() {
        let v: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
        let [lo, hi] = percentile_interval(v);
        assert!((lo - 0.025).abs() < 0.002 && (hi - 0.975).abs() < 0.002);
    }
}
