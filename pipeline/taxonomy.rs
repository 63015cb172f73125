//! The labels of the labelling contract (`TAXONOMY.md`, version 2): four irritant
//! categories, a segment carrying any subset of them, exactly one of three sentiments, and
//! the aspects each category splits into, judged as an irritant or as praise.
//!
//! Every table, model file and evaluation spells the labels with [`Irritant::as_str`],
//! [`Sentiment::as_str`] and [`Aspect::name`], so a label means the same thing everywhere.
//! The aspects are data: `data/taxonomy.json`, embedded in the binary, lists them once.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// An irritant category. The order of [`Irritant::ALL`] is the order of model heads and
/// of the per-category columns in every output table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Whether a segment judges an aspect as an irritant or as praise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Polarity {
    Irritant,
    Praise,
}

impl Polarity {
    pub const ALL: [Polarity; 2] = [Polarity::Irritant, Polarity::Praise];

    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Irritant => "irritant",
            Polarity::Praise => "praise",
        }
    }
}

impl FromStr for Polarity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Polarity::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown polarity {s:?} (expected irritant or praise)"))
    }
}

/// One aspect of the taxonomy: what exactly a segment judges (`physical.wait`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aspect {
    /// `category.aspect`, as written in data files and tables.
    pub name: String,
    /// The category whose irritants this aspect's irritant polarity stands for.
    pub category: Irritant,
    /// What it covers, in a few words.
    pub about: String,
}

/// An aspect of a segment with its polarity; `aspect` indexes [`aspects`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AspectLabel {
    pub aspect: usize,
    pub polarity: Polarity,
}

impl AspectLabel {
    /// Reads `name` and `polarity` as written in labelled data.
    pub fn parse(name: &str, polarity: &str) -> Result<Self, String> {
        let aspect = aspect_index(name).ok_or_else(|| format!("unknown aspect {name:?} (see TAXONOMY.md)"))?;
        Ok(AspectLabel { aspect, polarity: polarity.parse()? })
    }

    pub fn name(self) -> &'static str {
        &aspects()[self.aspect].name
    }

    pub fn category(self) -> Irritant {
        aspects()[self.aspect].category
    }
}

impl fmt::Display for AspectLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.polarity.as_str())
    }
}

/// The categories a segment carries by the rule of `TAXONOMY.md`: exactly those of its
/// irritant aspects.
pub fn irritants_of(labels: &[AspectLabel]) -> IrritantSet {
    labels.iter().filter(|a| a.polarity == Polarity::Irritant).map(|a| a.category()).collect()
}

#[derive(Deserialize)]
struct TaxonomyFile {
    version: u32,
    categories: Vec<String>,
    sentiments: Vec<String>,
    polarities: Vec<String>,
    sources: Vec<String>,
    aspects: Vec<AspectEntry>,
}

#[derive(Deserialize)]
struct AspectEntry {
    name: String,
    about: String,
}

/// The contents of `data/taxonomy.json`, checked against the labels this code knows.
struct Taxonomy {
    version: u32,
    sources: Vec<String>,
    aspects: Vec<Aspect>,
}

/// The version of `TAXONOMY.md` that `data/taxonomy.json` mirrors.
pub fn version() -> u32 {
    taxonomy().version
}

/// Every aspect, in the order of `data/taxonomy.json` (grouped by category).
pub fn aspects() -> &'static [Aspect] {
    &taxonomy().aspects
}

/// The `source` styles a labelled comment may have (`report`, `review`, `social`, `survey`).
pub fn sources() -> &'static [String] {
    &taxonomy().sources
}

/// Position of an aspect in [`aspects`].
pub fn aspect_index(name: &str) -> Option<usize> {
    aspects().iter().position(|a| a.name == name)
}

fn taxonomy() -> &'static Taxonomy {
    static TAXONOMY: OnceLock<Taxonomy> = OnceLock::new();
    TAXONOMY.get_or_init(|| {
        let file: TaxonomyFile = serde_json::from_str(include_str!("../data/taxonomy.json"))
            .expect("data/taxonomy.json is valid (checked by the tests)");
        let names = |v: &[&'static str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(file.categories, names(&Irritant::ALL.map(Irritant::as_str)), "categories of Irritant::ALL");
        assert_eq!(file.sentiments, names(&Sentiment::ALL.map(Sentiment::as_str)), "sentiments of Sentiment::ALL");
        assert_eq!(file.polarities, names(&Polarity::ALL.map(Polarity::as_str)), "polarities of Polarity::ALL");
        let aspects = file
            .aspects
            .into_iter()
            .map(|a| {
                let category =
                    a.name.split('.').next().unwrap_or_default().parse().expect("aspect of a known category");
                Aspect { name: a.name, category, about: a.about }
            })
            .collect();
        Taxonomy { version: file.version, sources: file.sources, aspects }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxonomy_file_has_every_aspect_of_the_contract() {
        assert_eq!(version(), 2);
        assert_eq!(aspects().len(), 22);
        assert_eq!(sources(), ["report", "review", "social", "survey"]);
        for c in Irritant::ALL {
            assert!(aspects().iter().any(|a| a.category == c), "{c} has aspects");
        }
        let wait = AspectLabel::parse("physical.wait", "irritant").unwrap();
        assert_eq!((wait.category(), wait.name()), (Irritant::Physical, "physical.wait"));
        assert!(AspectLabel::parse("physical.queue", "irritant").is_err());
        assert!(AspectLabel::parse("physical.wait", "positive").is_err());
    }

    #[test]
    fn categories_come_from_irritant_aspects_only() {
        let labels = [
            AspectLabel::parse("physical.welcome", "praise").unwrap(),
            AspectLabel::parse("phygital_bridge.price_mismatch", "irritant").unwrap(),
        ];
        assert_eq!(irritants_of(&labels).iter().collect::<Vec<_>>(), vec![Irritant::PhygitalBridge]);
    }

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
