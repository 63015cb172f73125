//! The heads of a model: which label each output of a classifier stands for, and how the
//! outputs become a [`Prediction`].
//!
//! A model's heads are data: a list of names (`digital`, `sentiment:negative`,
//! `physical.wait:irritant`, ...) stored with its weights and resolved against the
//! taxonomy when it loads, so a model with the 22 aspects × 2 polarities of
//! `TAXONOMY.md` (51 heads) reads no differently from one with the four categories and
//! three sentiments (7 heads), and a taxonomy with other aspects is a different file, not
//! different code.
//!
//! Decoding keeps the rule of the taxonomy by construction: a category is predicted when
//! its category head reaches its threshold, and then so is at least one of its irritant
//! aspects (every irritant aspect of the category at or over its own threshold, or the
//! category's most probable irritant aspect when none is); an irritant aspect of a
//! category that is not predicted never is. A category's probability is its own head's.
//! Praise aspects are decided one by one against their thresholds.

use anyhow::{bail, ensure, Result};

use super::{AspectScore, Prediction};
use crate::taxonomy::{aspects, AspectLabel, Irritant, IrritantSet, Polarity, Sentiment};

/// What one output of a model stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    Category(Irritant),
    Sentiment(Sentiment),
    Aspect(AspectLabel),
}

impl Head {
    /// The name stored in model files: `digital`, `sentiment:neutral`, `physical.wait:praise`.
    pub fn name(self) -> String {
        match self {
            Head::Category(c) => c.as_str().to_string(),
            Head::Sentiment(s) => format!("sentiment:{}", s.as_str()),
            Head::Aspect(a) => format!("{}:{}", a.name(), a.polarity.as_str()),
        }
    }

    /// Reads a name written by [`Head::name`].
    pub fn parse(name: &str) -> Result<Head, String> {
        if let Some(s) = name.strip_prefix("sentiment:") {
            return s.parse().map(Head::Sentiment);
        }
        match name.rsplit_once(':') {
            Some((aspect, polarity)) => AspectLabel::parse(aspect, polarity).map(Head::Aspect),
            None => name.parse().map(Head::Category),
        }
    }

    /// Whether the head is a logistic (yes/no) head; sentiment heads share a softmax.
    pub fn is_logistic(self) -> bool {
        !matches!(self, Head::Sentiment(_))
    }
}

/// The heads of a model in output order, with where each label's head is.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadLayout {
    heads: Vec<Head>,
    /// Head of each category, by [`Irritant::index`].
    categories: Vec<usize>,
    /// Head of each sentiment, by [`Sentiment::index`].
    sentiments: Vec<usize>,
    /// Aspect heads in output order.
    aspects: Vec<(AspectLabel, usize)>,
    /// Heads from here on are irritant aspects, grouped by category: a model needs them
    /// only for the categories it predicts ([`Self::irritant_aspect_heads`]).
    deferred_from: usize,
    /// The deferred heads of each category, by [`Irritant::index`].
    deferred: Vec<std::ops::Range<usize>>,
}

impl HeadLayout {
    /// The four categories and three sentiments only (the heads of format-1 models).
    pub fn categories_and_sentiments() -> Self {
        let heads: Vec<Head> = Irritant::ALL
            .into_iter()
            .map(Head::Category)
            .chain(Sentiment::ALL.into_iter().map(Head::Sentiment))
            .collect();
        Self::new(heads).expect("every category and sentiment")
    }

    /// Every label of the taxonomy: categories, sentiments, each aspect as praise, then
    /// each aspect as an irritant (grouped by category, as the taxonomy lists them, so a
    /// model computes them only for the categories it predicts).
    pub fn full() -> Self {
        let mut heads = Self::categories_and_sentiments().heads;
        for polarity in [Polarity::Praise, Polarity::Irritant] {
            heads.extend((0..aspects().len()).map(|aspect| Head::Aspect(AspectLabel { aspect, polarity })));
        }
        Self::new(heads).expect("every label of the taxonomy")
    }

    /// The layout of heads named as in a model file.
    pub fn from_names(names: &[String]) -> Result<Self> {
        let heads = names
            .iter()
            .map(|n| Head::parse(n).map_err(|e| anyhow::anyhow!("head {n:?}: {e}")))
            .collect::<Result<Vec<_>>>()?;
        Self::new(heads)
    }

    fn new(heads: Vec<Head>) -> Result<Self> {
        let mut categories = vec![usize::MAX; Irritant::ALL.len()];
        let mut sentiments = vec![usize::MAX; Sentiment::ALL.len()];
        let mut aspect_heads = Vec::new();
        for (i, h) in heads.iter().enumerate() {
            let slot = match *h {
                Head::Category(c) => &mut categories[c.index()],
                Head::Sentiment(s) => &mut sentiments[s.index()],
                Head::Aspect(a) => {
                    ensure!(!aspect_heads.iter().any(|(b, _)| *b == a), "head {} appears twice", h.name());
                    aspect_heads.push((a, i));
                    continue;
                }
            };
            ensure!(*slot == usize::MAX, "head {} appears twice", h.name());
            *slot = i;
        }
        for (i, c) in Irritant::ALL.iter().enumerate() {
            ensure!(categories[i] != usize::MAX, "no head for category {c}");
        }
        for (i, s) in Sentiment::ALL.iter().enumerate() {
            ensure!(sentiments[i] != usize::MAX, "no head for sentiment {s}");
        }
        // A category with aspect heads needs at least one irritant aspect, or decoding
        // could not name the aspect of a predicted category.
        if !aspect_heads.is_empty() {
            for c in Irritant::ALL {
                if !aspect_heads.iter().any(|(a, _)| a.polarity == Polarity::Irritant && a.category() == c) {
                    bail!("aspect heads but none for an irritant of {c}");
                }
            }
        }
        let is_deferrable = |h: &Head| matches!(h, Head::Aspect(a) if a.polarity == Polarity::Irritant);
        let mut deferred_from = heads.iter().rposition(|h| !is_deferrable(h)).map_or(0, |i| i + 1);
        let mut deferred = vec![0..0; Irritant::ALL.len()];
        for c in Irritant::ALL {
            let of_c: Vec<usize> = (deferred_from..heads.len())
                .filter(|&i| matches!(heads[i], Head::Aspect(a) if a.category() == c))
                .collect();
            match (of_c.first(), of_c.last()) {
                (Some(&a), Some(&b)) if b - a + 1 == of_c.len() => deferred[c.index()] = a..b + 1,
                (None, None) => {}
                // Not grouped by category: nothing is deferred.
                _ => deferred_from = heads.len(),
            }
        }
        if deferred_from == heads.len() {
            deferred = vec![0..0; Irritant::ALL.len()];
        }
        Ok(HeadLayout { heads, categories, sentiments, aspects: aspect_heads, deferred_from, deferred })
    }

    /// The heads every prediction needs; the others ([`Self::irritant_aspect_heads`]) only
    /// when their category is predicted.
    pub fn first_heads(&self) -> std::ops::Range<usize> {
        0..self.deferred_from
    }

    /// The irritant aspect heads of category `c` that [`Self::first_heads`] leaves out.
    pub fn irritant_aspect_heads(&self, c: Irritant) -> std::ops::Range<usize> {
        self.deferred[c.index()].clone()
    }

    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    pub fn heads(&self) -> &[Head] {
        &self.heads
    }

    pub fn names(&self) -> Vec<String> {
        self.heads.iter().map(|h| h.name()).collect()
    }

    /// The head of category `c`.
    pub fn category(&self, c: Irritant) -> usize {
        self.categories[c.index()]
    }

    /// The head of sentiment `s`.
    pub fn sentiment(&self, s: Sentiment) -> usize {
        self.sentiments[s.index()]
    }

    /// Aspect heads, in output order.
    pub fn aspects(&self) -> &[(AspectLabel, usize)] {
        &self.aspects
    }

    pub fn has_aspects(&self) -> bool {
        !self.aspects.is_empty()
    }

    /// Probabilities of raw head outputs: a sigmoid for logistic heads, a softmax over the
    /// sentiment heads.
    pub fn probabilities(&self, logits: &[f32]) -> Vec<f32> {
        let mut p: Vec<f32> = logits.iter().map(|&z| sigmoid(z)).collect();
        for (&h, s) in self.sentiments.iter().zip(self.sentiment_probabilities(logits)) {
            p[h] = s;
        }
        p
    }

    /// The softmax of the sentiment heads, in [`Sentiment::ALL`] order.
    fn sentiment_probabilities(&self, logits: &[f32]) -> Vec<f32> {
        let m = self.sentiments.iter().map(|&h| logits[h]).fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = self.sentiments.iter().map(|&h| (logits[h] - m).exp()).collect();
        let sum: f32 = e.iter().sum();
        e.iter().map(|x| x / sum).collect()
    }

    /// Whether category `c` is predicted: its head's probability reaches its threshold.
    pub fn predicts(&self, c: Irritant, logits: &[f32], thresholds: &[f32]) -> bool {
        let h = self.category(c);
        sigmoid(logits[h]) >= thresholds[h]
    }

    /// The head of an aspect label, if the layout has one.
    pub fn aspect_head(&self, label: AspectLabel) -> Option<usize> {
        self.aspects.iter().find(|(l, _)| *l == label).map(|(_, h)| *h)
    }

    /// What the evidence of a prediction explains: each predicted irritant aspect, or
    /// each predicted category for a layout without aspects, as (category, aspect, head).
    pub fn evidence_targets(&self, p: &Prediction) -> Vec<(Irritant, Option<AspectLabel>, usize)> {
        if self.has_aspects() {
            p.aspects
                .iter()
                .filter(|a| a.label.polarity == Polarity::Irritant)
                .map(|a| (a.label.category(), Some(a.label), self.aspect_head(a.label).expect("a head of the layout")))
                .collect()
        } else {
            p.irritants.iter().map(|c| (c, None, self.category(c))).collect()
        }
    }

    /// The target of every head for a labelled segment (1 or 0), and whether each head
    /// learns from it: aspect heads do not learn from a segment without aspects.
    pub fn targets(
        &self,
        irritants: IrritantSet,
        sentiment: Sentiment,
        aspect_labels: Option<&[AspectLabel]>,
    ) -> (Vec<f32>, Vec<bool>) {
        let mut y = vec![0f32; self.len()];
        let mut learns = vec![true; self.len()];
        for c in irritants.iter() {
            y[self.category(c)] = 1.0;
        }
        y[self.sentiment(sentiment)] = 1.0;
        for &(a, h) in &self.aspects {
            match aspect_labels {
                Some(labels) => y[h] = if labels.contains(&a) { 1.0 } else { 0.0 },
                None => learns[h] = false,
            }
        }
        (y, learns)
    }

    /// Turns raw head outputs (logits) into a prediction (without evidence), applying the
    /// per-head `thresholds` to the heads' probabilities as the module docs say. A
    /// probability is computed only where a decision or the prediction needs it, so the
    /// irritant aspect heads of categories that are not predicted may hold anything.
    pub fn decode(&self, logits: &[f32], thresholds: &[f32]) -> Prediction {
        let prob = |h: usize| sigmoid(logits[h]);
        let irritant_probs: Vec<f32> = self.categories.iter().map(|&h| prob(h)).collect();
        let irritants: IrritantSet =
            Irritant::ALL.into_iter().filter(|c| self.predicts(*c, logits, thresholds)).collect();
        let sentiment_probs = self.sentiment_probabilities(logits);
        let sentiment = Sentiment::ALL[argmax(&sentiment_probs)];
        // The most probable irritant aspect of each predicted category.
        let best: Vec<Option<usize>> = Irritant::ALL
            .iter()
            .map(|c| {
                irritants.contains(*c).then(|| {
                    let mut best: Option<(usize, f32)> = None;
                    for &(a, h) in &self.aspects {
                        if a.polarity == Polarity::Irritant && a.category() == *c {
                            let p = prob(h);
                            if best.is_none_or(|(_, bp)| p > bp) {
                                best = Some((h, p));
                            }
                        }
                    }
                    best.map_or(usize::MAX, |b| b.0)
                })
            })
            .collect();
        let mut aspects = Vec::new();
        for &(label, h) in &self.aspects {
            if label.polarity == Polarity::Irritant && !irritants.contains(label.category()) {
                continue;
            }
            let p = prob(h);
            let keep = p >= thresholds[h] || best[label.category().index()] == Some(h);
            if keep {
                aspects.push(AspectScore { label, probability: p });
            }
        }
        Prediction { irritant_probs, irritants, sentiment_probs, sentiment, evidence: Vec::new(), aspects }
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Index of the largest value; the first one wins a tie.
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aspect(name: &str, polarity: &str) -> AspectLabel {
        AspectLabel::parse(name, polarity).unwrap()
    }

    #[test]
    fn names_round_trip_and_the_full_layout_has_51_heads() {
        let full = HeadLayout::full();
        assert_eq!(full.len(), 4 + 3 + 2 * aspects().len());
        assert_eq!(HeadLayout::from_names(&full.names()).unwrap(), full);
        assert_eq!(Head::parse("physical.wait:praise").unwrap(), Head::Aspect(aspect("physical.wait", "praise")));
        assert_eq!(Head::parse("sentiment:neutral").unwrap(), Head::Sentiment(Sentiment::Neutral));
        assert!(Head::parse("physical.queue:irritant").is_err());
        assert!(HeadLayout::from_names(&["digital".into()]).is_err(), "a layout needs every category and sentiment");
        let mut twice = full.names();
        twice.push("digital".into());
        assert!(HeadLayout::from_names(&twice).is_err());
    }

    #[test]
    fn decoding_keeps_the_rule_of_the_taxonomy() {
        let layout = HeadLayout::full();
        // Logits: -5 is a probability of 0.007, 2.2 of 0.9, -0.85 of 0.3, -1.4 of 0.2.
        let mut logits = vec![-5f32; layout.len()];
        let thresholds = vec![0.5f32; layout.len()];
        let wait = layout.aspect_head(aspect("physical.wait", "irritant")).unwrap();
        let staff = layout.aspect_head(aspect("physical.advice", "irritant")).unwrap();
        let app = layout.aspect_head(aspect("digital.app_website", "irritant")).unwrap();
        let welcome = layout.aspect_head(aspect("physical.welcome", "praise")).unwrap();
        // physical predicted with no aspect over its threshold: its best aspect is named.
        logits[layout.category(Irritant::Physical)] = 2.2;
        logits[wait] = -0.85;
        logits[staff] = -1.4;
        // an aspect over its threshold whose category is not predicted is dropped.
        logits[app] = 1.4;
        logits[welcome] = 0.85;
        logits[layout.sentiment(Sentiment::Negative)] = 1.0;
        let p = layout.decode(&logits, &thresholds);
        assert_eq!(p.irritants.iter().collect::<Vec<_>>(), vec![Irritant::Physical]);
        let labels: Vec<AspectLabel> = p.aspects.iter().map(|a| a.label).collect();
        assert_eq!(
            labels,
            vec![aspect("physical.welcome", "praise"), aspect("physical.wait", "irritant")],
            "taxonomy order"
        );
        assert_eq!(crate::taxonomy::irritants_of(&labels), p.irritants);
        assert_eq!(p.sentiment, Sentiment::Negative);
    }

    #[test]
    fn irritant_aspects_are_deferred_by_category() {
        let full = HeadLayout::full();
        assert_eq!(full.first_heads(), 0..4 + 3 + aspects().len());
        let mut deferred = 0;
        for c in Irritant::ALL {
            let r = full.irritant_aspect_heads(c);
            assert!(!r.is_empty());
            for h in r.clone() {
                assert!(
                    matches!(full.heads()[h], Head::Aspect(a) if a.category() == c && a.polarity == Polarity::Irritant)
                );
            }
            deferred += r.len();
        }
        assert_eq!(full.first_heads().len() + deferred, full.len());
        // Heads in another order are all computed up front.
        let mut names = full.names();
        names.swap(4 + 3 + aspects().len(), full.len() - 1);
        let mixed = HeadLayout::from_names(&names).unwrap();
        assert_eq!(mixed.first_heads(), 0..mixed.len());
        let seven = HeadLayout::categories_and_sentiments();
        assert_eq!(seven.first_heads(), 0..7);
    }

    #[test]
    fn sentiment_heads_share_a_softmax() {
        let layout = HeadLayout::categories_and_sentiments();
        let p = layout.probabilities(&[0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0]);
        let s: f32 = Sentiment::ALL.iter().map(|s| p[layout.sentiment(*s)]).sum();
        assert!((s - 1.0).abs() < 1e-6);
        assert!((p[0] - 0.5).abs() < 1e-6);
    }
}
