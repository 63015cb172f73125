//! The labels of the labelling contract (`TAXONOMY.md`): four irritant categories, a
//! segment carrying any subset of them, and exactly one of three sentiments.
//!
//! Every table, model file and evaluation spells the labels with [`Irritant::as_str`] and
//! [`Sentiment::as_str`], so a label means the same thing everywhere.

use std::fmt;
use std::str::FromStr;

/// An irritant category. The order of [`Irritant::ALL`] is the order of model heads and
/// of the per-category columns in every output table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Irritant {
    /// A remote touchpoint with no hand-off to a physical place (site, app, phone, e-mail).
    Digital,
    /// The seam between online and offline (click & collect, price mismatch, in-store devices).
    PhygitalBridge,
    /// An actor outside the brand in the service chain (carrier, pickup point, marketplace seller).
    ThirdParty,
    /// The physical point of sale and in-person service.
    Physical,
}

impl Irritant {
    /// All categories, in head and column order.
    pub const ALL: [Irritant; 4] =
        [Irritant::Digital, Irritant::PhygitalBridge, Irritant::ThirdParty, Irritant::Physical];

    /// The label as written in data files and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Irritant::Digital => "digital",
            Irritant::PhygitalBridge => "phygital_bridge",
            Irritant::ThirdParty => "third_party",
            Irritant::Physical => "physical",
        }
    }

    /// Position in [`Irritant::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Irritant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Irritant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Irritant::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            format!("unknown irritant category {s:?} (expected digital, phygital_bridge, third_party or physical)")
        })
    }
}

/// The customer's stance in a segment. Ordered from most negative to most positive, which
/// is the order of the sentiment head and of the probability columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

impl Sentiment {
    /// All sentiments, in head and column order.
    pub const ALL: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

    /// The label as written in data files and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
            Sentiment::Positive => "positive",
        }
    }

    /// Position in [`Sentiment::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The sentiment on a -1 (negative) .. +1 (positive) scale, used for means.
    pub fn score(self) -> f64 {
        match self {
            Sentiment::Negative => -1.0,
            Sentiment::Neutral => 0.0,
            Sentiment::Positive => 1.0,
        }
    }
}

impl fmt::Display for Sentiment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Sentiment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sentiment::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown sentiment {s:?} (expected negative, neutral or positive)"))
    }
}

/// A set of irritant categories, one bit per category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct IrritantSet(u8);

impl IrritantSet {
    pub fn insert(&mut self, c: Irritant) {
        self.0 |= 1 << c.index();
    }
    pub fn contains(self, c: Irritant) -> bool {
        self.0 & (1 << c.index()) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn union(self, other: IrritantSet) -> IrritantSet {
        IrritantSet(self.0 | other.0)
    }
    /// Members in [`Irritant::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Irritant> {
        Irritant::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Irritant> for IrritantSet {
    fn from_iter<T: IntoIterator<Item = Irritant>>(iter: T) -> Self {
        let mut s = IrritantSet::default();
        for c in iter {
            s.insert(c);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for c in Irritant::ALL {
            assert_eq!(c.as_str().parse::<Irritant>().unwrap(), c);
        }
        for s in Sentiment::ALL {
            assert_eq!(s.as_str().parse::<Sentiment>().unwrap(), s);
        }
        assert!("Digital".parse::<Irritant>().is_err());
        assert!("none".parse::<Irritant>().is_err());
    }

    #[test]
    fn set_keeps_column_order() {
        let s: IrritantSet = [Irritant::Physical, Irritant::Digital].into_iter().collect();
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![Irritant::Digital, Irritant::Physical]);
        assert_eq!(s.len(), 2);
        assert!(!s.contains(Irritant::ThirdParty));
    }
}
