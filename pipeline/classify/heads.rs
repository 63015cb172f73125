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

    /// Every label of the taxonomy: categories, sentiments, then each aspect as an
    /// irritant and as praise.
    pub fn full() -> Self {
        let mut heads = Self::categories_and_sentiments().heads;
        for aspect in 0..aspects().len() {
            for polarity in Polarity::ALL {
                heads.push(Head::Aspect(AspectLabel { aspect, polarity }));
            }
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
        Ok(HeadLayout { heads, categories, sentiments, aspects: aspect_heads })
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
        let m = self.sentiments.iter().map(|&h| logits[h]).fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = self.sentiments.iter().map(|&h| (logits[h] - m).exp()).sum();
        for &h in &self.sentiments {
            p[h] = (logits[h] - m).exp() / sum;
        }
        p
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

    /// Turns head probabilities into a prediction (without evidence), applying the
    /// per-head `thresholds` as the module docs say.
    pub fn decode(&self, probs: &[f32], thresholds: &[f32]) -> Prediction {
        let irritant_probs: Vec<f32> = self.categories.iter().map(|&h| probs[h]).collect();
        let irritants: IrritantSet =
            Irritant::ALL.into_iter().filter(|c| probs[self.category(*c)] >= thresholds[self.category(*c)]).collect();
        let sentiment_probs: Vec<f32> = self.sentiments.iter().map(|&h| probs[h]).collect();
        let sentiment = Sentiment::ALL[argmax(&sentiment_probs)];
        let mut aspects = Vec::new();
        for &(label, h) in &self.aspects {
            let over = probs[h] >= thresholds[h];
            let keep = match label.polarity {
                Polarity::Praise => over,
                Polarity::Irritant => {
                    irritants.contains(label.category())
                        && (over || self.best_irritant_aspect(label.category(), probs) == h)
                }
            };
            if keep {
                aspects.push(AspectScore { label, probability: probs[h] });
            }
        }
        Prediction { irritant_probs, irritants, sentiment_probs, sentiment, evidence: Vec::new(), aspects }
    }

    /// The most probable irritant aspect head of category `c` (the first on a tie).
    fn best_irritant_aspect(&self, c: Irritant, probs: &[f32]) -> usize {
        let mut best = usize::MAX;
        for &(a, h) in &self.aspects {
            if a.polarity == Polarity::Irritant && a.category() == c && (best == usize::MAX || probs[h] > probs[best]) {
                best = h;
            }
        }
        best
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
        let mut probs = vec![0.01f32; layout.len()];
        let thresholds = vec![0.5f32; layout.len()];
        let wait = layout.aspects().iter().find(|(a, _)| *a == aspect("physical.wait", "irritant")).unwrap().1;
        let staff = layout.aspects().iter().find(|(a, _)| *a == aspect("physical.advice", "irritant")).unwrap().1;
        let app = layout.aspects().iter().find(|(a, _)| *a == aspect("digital.app_website", "irritant")).unwrap().1;
        let welcome = layout.aspects().iter().find(|(a, _)| *a == aspect("physical.welcome", "praise")).unwrap().1;
        // physical predicted with no aspect over its threshold: its best aspect is named.
        probs[layout.category(Irritant::Physical)] = 0.9;
        probs[wait] = 0.3;
        probs[staff] = 0.2;
        // an aspect over its threshold whose category is not predicted is dropped.
        probs[app] = 0.8;
        probs[welcome] = 0.7;
        probs[layout.sentiment(Sentiment::Negative)] = 0.6;
        let p = layout.decode(&probs, &thresholds);
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
    fn sentiment_heads_share_a_softmax() {
        let layout = HeadLayout::categories_and_sentiments();
        let p = layout.probabilities(&[0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0]);
        let s: f32 = Sentiment::ALL.iter().map(|s| p[layout.sentiment(*s)]).sum();
        assert!((s - 1.0).abs() < 1e-6);
        assert!((p[0] - 0.5).abs() < 1e-6);
    }
}
