//! Quality measures of a classifier against gold labels, computed the same way wherever
//! they are reported (model cards, evaluations).
//!
//! Irritants are multi-label: precision, recall and F1 per category, micro F1 (pooled
//! counts), macro F1 (mean of the four), and the exact-match ratio (all four decisions
//! right). Sentiment is single-label: accuracy and macro F1 over the three classes. An F1
//! whose precision and recall are both undefined (no gold and no predicted positive) is 0.

use serde::{Deserialize, Serialize};

use crate::taxonomy::{Irritant, IrritantSet, Sentiment};

/// Precision, recall and F1 of one class, with the counts behind them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Gold positives.
    pub support: u64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
}

impl ClassScores {
    fn from_counts(tp: u64, fp: u64, fn_: u64) -> Self {
        let p = ratio(tp, tp + fp);
        let r = ratio(tp, tp + fn_);
        ClassScores {
            precision: p,
            recall: r,
            f1: if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 },
            support: tp + fn_,
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Multi-label irritant scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IrritantScores {
    /// Per category, keyed by label, in [`Irritant::ALL`] order.
    pub per_class: std::collections::BTreeMap<String, ClassScores>,
    pub micro_f1: f64,
    pub macro_f1: f64,
    pub exact_match: f64,
    /// "Any irritant" versus none.
    pub any: ClassScores,
}

/// Sentiment scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SentimentScores {
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: std::collections::BTreeMap<String, ClassScores>,
    /// `confusion[gold][predicted]`, in [`Sentiment::ALL`] order.
    pub confusion: [[u64; 3]; 3],
}

/// Scores irritant predictions against gold sets.
pub fn irritant_scores(gold: &[IrritantSet], pred: &[IrritantSet]) -> IrritantScores {
    assert_eq!(gold.len(), pred.len());
    let mut out = IrritantScores::default();
    let (mut tp_all, mut fp_all, mut fn_all) = (0, 0, 0);
    for c in Irritant::ALL {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for (g, p) in gold.iter().zip(pred) {
            match (g.contains(c), p.contains(c)) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                _ => {}
            }
        }
        tp_all += tp;
        fp_all += fp;
        fn_all += fn_;
        out.per_class.insert(c.as_str().to_string(), ClassScores::from_counts(tp, fp, fn_));
    }
    out.micro_f1 = ClassScores::from_counts(tp_all, fp_all, fn_all).f1;
    out.macro_f1 = out.per_class.values().map(|s| s.f1).sum::<f64>() / 4.0;
    let exact = gold.iter().zip(pred).filter(|(g, p)| g == p).count();
    out.exact_match = ratio(exact as u64, gold.len() as u64);
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (g, p) in gold.iter().zip(pred) {
        match (!g.is_empty(), !p.is_empty()) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            _ => {}
        }
    }
    out.any = ClassScores::from_counts(tp, fp, fn_);
    out
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
    out.macro_f1 = out.per_class.values().map(|s| s.f1).sum::<f64>() / 3.0;
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
        assert!((d.f1 - 0.5).abs() < 1e-12);
        assert!((s.per_class["physical"].f1 - 1.0).abs() < 1e-12);
        assert_eq!(s.per_class["third_party"].f1, 0.0);
        assert_eq!(s.per_class["phygital_bridge"].support, 0);
        // pooled: tp 2, fp 1, fn 2 -> p 2/3, r 1/2
        assert!((s.micro_f1 - (2.0 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5))).abs() < 1e-12);
        assert!((s.macro_f1 - (0.5 + 1.0) / 4.0).abs() < 1e-12);
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
        assert!((neg.precision - 1.0).abs() < 1e-12 && (neg.recall - 0.5).abs() < 1e-12);
    }
}
