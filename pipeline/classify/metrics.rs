//! Quality measures of a classifier against gold labels, computed the same way wherever
//! they are reported (model cards, evaluations).
//!
//! Irritants are multi-label: precision, recall and F1 per category, micro F1 (pooled
//! counts), macro F1 (mean over the categories), and the exact-match ratio (all four
//! decisions right). Aspects are multi-label too, one class per aspect and polarity.
//! Sentiment is single-label: accuracy and macro F1 over the three classes. A class absent
//! from the gold labels has no recall or F1 (`null`, "n/a" in reports) and is left out of
//! the macro averages, so a gold file without, say, phygital segments does not pull the
//! macro F1 down with a zero it did not measure; its false positives still show, in its
//! precision (0) and in the micro F1. A class present in gold but never predicted has
//! precision 0. A macro or micro F1 over nothing to measure is `None` too.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::taxonomy::{aspects, AspectLabel, Irritant, IrritantSet, Polarity, Sentiment};

/// Precision, recall and F1 of one class, with the counts behind them. Recall and F1 are
/// `None` when the class is absent from the gold labels; precision is `None` when it is
/// also never predicted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    /// Gold positives.
    pub support: u64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
}

impl ClassScores {
    fn from_counts(tp: u64, fp: u64, fn_: u64) -> Self {
        let defined = tp + fn_ > 0;
        let p = ratio(tp, tp + fp);
        let r = ratio(tp, tp + fn_);
        let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        ClassScores {
            precision: (defined || fp > 0).then_some(p),
            recall: defined.then_some(r),
            f1: defined.then_some(f1),
            support: tp + fn_,
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
        }
    }

    /// The Markdown cells `precision | recall | F1 | support` of a report row.
    pub fn markdown_cells(&self) -> String {
        format!("{} | {} | {} | {}", fmt3(self.precision), fmt3(self.recall), fmt3(self.f1), self.support)
    }
}

/// A figure with three decimals, or "n/a" when it is undefined.
pub fn fmt3(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"))
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Mean F1 of the classes present in gold (`None` when none is).
fn macro_f1<'a>(classes: impl Iterator<Item = &'a ClassScores>) -> Option<f64> {
    let f1s: Vec<f64> = classes.filter_map(|c| c.f1).collect();
    (!f1s.is_empty()).then(|| f1s.iter().sum::<f64>() / f1s.len() as f64)
}

/// F1 of pooled counts (`None` when there is nothing in gold nor predicted).
fn micro_f1(tp: u64, fp: u64, fn_: u64) -> Option<f64> {
    (tp + fp + fn_ > 0).then(|| 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64)
}

/// Scores of a multi-label problem over named classes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelScores {
    /// Per class, keyed by name.
    pub per_class: BTreeMap<String, ClassScores>,
    pub micro_f1: Option<f64>,
    pub macro_f1: Option<f64>,
    /// Classes present in gold, over which the macro F1 is taken.
    pub classes_in_gold: usize,
}

/// Scores multi-label predictions: `gold[i]` and `pred[i]` list the class indices (into
/// `names`) of example `i`, each at most once.
pub fn label_scores(names: &[String], gold: &[Vec<usize>], pred: &[Vec<usize>]) -> LabelScores {
    assert_eq!(gold.len(), pred.len());
    let mut counts = vec![(0u64, 0u64, 0u64); names.len()];
    for (g, p) in gold.iter().zip(pred) {
        for &c in p {
            if g.contains(&c) {
                counts[c].0 += 1;
            } else {
                counts[c].1 += 1;
            }
        }
        for &c in g.iter().filter(|c| !p.contains(c)) {
            counts[c].2 += 1;
        }
    }
    let per_class: BTreeMap<String, ClassScores> = names
        .iter()
        .zip(&counts)
        .map(|(n, &(tp, fp, fn_))| (n.clone(), ClassScores::from_counts(tp, fp, fn_)))
        .collect();
    let pooled = counts.iter().fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
    LabelScores {
        micro_f1: micro_f1(pooled.0, pooled.1, pooled.2),
        macro_f1: macro_f1(per_class.values()),
        classes_in_gold: per_class.values().filter(|c| c.f1.is_some()).count(),
        per_class,
    }
}

/// The `aspect:polarity` class names, in taxonomy order, irritant before praise.
pub fn aspect_class_names() -> Vec<String> {
    aspects().iter().flat_map(|a| Polarity::ALL.map(|p| format!("{}:{}", a.name, p.as_str()))).collect()
}

pub fn aspect_class(a: AspectLabel) -> usize {
    a.aspect * Polarity::ALL.len() + Polarity::ALL.iter().position(|p| *p == a.polarity).unwrap_or(0)
}

/// Aspect scores, one class per `aspect:polarity`: `gold[i]` and `pred[i]` are the
/// aspects of example `i`.
pub fn aspect_scores(gold: &[&[AspectLabel]], pred: &[Vec<AspectLabel>]) -> LabelScores {
    let classes = |v: &[AspectLabel]| {
        let mut c: Vec<usize> = v.iter().copied().map(aspect_class).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let g: Vec<Vec<usize>> = gold.iter().map(|a| classes(a)).collect();
    let p: Vec<Vec<usize>> = pred.iter().map(|a| classes(a)).collect();
    label_scores(&aspect_class_names(), &g, &p)
}

/// Multi-label irritant scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IrritantScores {
    /// Per category, keyed by label.
    pub per_class: BTreeMap<String, ClassScores>,
    pub micro_f1: Option<f64>,
    pub macro_f1: Option<f64>,
    pub exact_match: f64,
    /// "Any irritant" versus none.
    pub any: ClassScores,
}

/// Sentiment scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SentimentScores {
    pub accuracy: f64,
    pub macro_f1: Option<f64>,
    pub per_class: BTreeMap<String, ClassScores>,
    /// `confusion[gold][predicted]`, in [`Sentiment::ALL`] order.
    pub confusion: [[u64; 3]; 3],
}

/// Scores irritant predictions against gold sets.
pub fn irritant_scores(gold: &[IrritantSet], pred: &[IrritantSet]) -> IrritantScores {
    assert_eq!(gold.len(), pred.len());
    let names: Vec<String> = Irritant::ALL.iter().map(|c| c.as_str().to_string()).collect();
    let members =
        |v: &[IrritantSet]| v.iter().map(|s| s.iter().map(Irritant::index).collect()).collect::<Vec<Vec<usize>>>();
    let labels = label_scores(&names, &members(gold), &members(pred));
    let exact = gold.iter().zip(pred).filter(|(g, p)| g == p).count();
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (g, p) in gold.iter().zip(pred) {
        match (!g.is_empty(), !p.is_empty()) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            _ => {}
        }
    }
    IrritantScores {
        per_class: labels.per_class,
        micro_f1: labels.micro_f1,
        macro_f1: labels.macro_f1,
        exact_match: ratio(exact as u64, gold.len() as u64),
        any: ClassScores::from_counts(tp, fp, fn_),
    }
}

/// Scores sentiment predictions against gold labels.
pub fn sentiment_scores(gold: &[Sentiment], pred: &[Sentiment]) -> SentimentScores {
    assert_eq!(gold.len(), pred.len());
    let mut out = SentimentScores::default();
    for (g, p) in gold.iter().zip(pred) {
        out.confusion[g.index()][p.index()] += 1;
    }
    let correct: u64 = (0..3).map(|i| out.confusion[i][i]).sum();
    out.accuracy = ratio(correct, gold.len() as u64);
    for s in Sentiment::ALL {
        let i = s.index();
        let tp = out.confusion[i][i];
        let fp: u64 = (0..3).filter(|&g| g != i).map(|g| out.confusion[g][i]).sum();
        let fn_: u64 = (0..3).filter(|&p| p != i).map(|p| out.confusion[i][p]).sum();
        out.per_class.insert(s.as_str().to_string(), ClassScores::from_counts(tp, fp, fn_));
    }
    out.macro_f1 = macro_f1(out.per_class.values());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Irritant::*;

    fn set(cs: &[Irritant]) -> IrritantSet {
        cs.iter().copied().collect()
    }

    #[test]
    fn irritant_scores_count_by_hand() {
        let gold = [set(&[Digital]), set(&[Physical, ThirdParty]), set(&[]), set(&[Digital])];
        let pred = [set(&[Digital]), set(&[Physical]), set(&[Digital]), set(&[])];
        let s = irritant_scores(&gold, &pred);
        let d = s.per_class["digital"];
        assert_eq!((d.true_positives, d.false_positives, d.false_negatives), (1, 1, 1));
        assert!((d.f1.unwrap() - 0.5).abs() < 1e-12);
        assert!((s.per_class["physical"].f1.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(s.per_class["third_party"].f1, Some(0.0));
        let absent = s.per_class["phygital_bridge"];
        assert_eq!((absent.support, absent.f1, absent.precision), (0, None, None), "absent from gold: n/a");
        // pooled: tp 2, fp 1, fn 2 -> p 2/3, r 1/2
        assert!((s.micro_f1.unwrap() - (2.0 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5))).abs() < 1e-12);
        // Over the three categories present in gold, not four.
        assert!((s.macro_f1.unwrap() - (0.5 + 1.0 + 0.0) / 3.0).abs() < 1e-12);
        assert!((s.exact_match - 0.25).abs() < 1e-12);
        assert_eq!((s.any.true_positives, s.any.false_positives, s.any.false_negatives), (2, 1, 1));
    }

    #[test]
    fn sentiment_scores_use_the_confusion_matrix() {
        use Sentiment::*;
        let gold = [Negative, Negative, Neutral, Positive];
        let pred = [Negative, Neutral, Neutral, Positive];
        let s = sentiment_scores(&gold, &pred);
        assert!((s.accuracy - 0.75).abs() < 1e-12);
        assert_eq!(s.confusion[0], [1, 1, 0]);
        let neg = s.per_class["negative"];
        assert!((neg.precision.unwrap() - 1.0).abs() < 1e-12 && (neg.recall.unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn label_scores_pool_and_average_over_classes_in_gold() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let gold = vec![vec![0], vec![0, 1], vec![]];
        let pred = vec![vec![0], vec![2], vec![2]];
        let s = label_scores(&names, &gold, &pred);
        // a: tp 1, fn 1 -> p 1, r 1/2, F1 2/3; b: fn 1 -> F1 0; c: absent from gold.
        assert!((s.per_class["a"].f1.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.per_class["b"].f1, Some(0.0));
        // c: absent from gold but predicted twice: no F1, precision 0, and in the micro F1.
        let c = s.per_class["c"];
        assert_eq!((c.f1, c.recall, c.precision, c.false_positives), (None, None, Some(0.0), 2));
        assert_eq!(s.classes_in_gold, 2);
        assert!((s.macro_f1.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        // pooled: tp 1, fp 2, fn 2 -> p 1/3, r 1/3
        assert!((s.micro_f1.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let nothing = label_scores(&names, &[vec![], vec![]], &[vec![], vec![]]);
        assert_eq!((nothing.macro_f1, nothing.micro_f1, nothing.classes_in_gold), (None, None, 0));
    }
}
