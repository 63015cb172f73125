//! The labelled corpus in `data/labelled/` meets its contract: the sizes and balances the
//! models and evaluations rely on, labels and aspects from the taxonomy only and following
//! its rule, unique ids, every comment and transcript in the split of its id's hash, and
//! no text (or near-copy of a text) in two splits, so the test split measures
//! generalisation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use irritant::classify::features::{fold, tokens};
use irritant::classify::labelled;
use irritant::taxonomy;
use sha2::{Digest, Sha256};

const SPLITS: [&str; 3] = ["train", "dev", "test"];
/// Word-set Jaccard similarity above which two texts count as near-duplicates.
const NEAR_DUPLICATE: f64 = 0.8;
/// Sentences of comments judging each aspect as an irritant, and as praise, at the least.
const IRRITANT_SENTENCES_PER_ASPECT: usize = 150;
const PRAISE_SENTENCES_PER_ASPECT: usize = 40;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/labelled").join(name)
}

fn raw_lines(name: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// At least these shares of French and English units.
fn assert_languages(all: &[labelled::LabelledSegment], french: f64, english: f64) {
    let share = |lang: &str| all.iter().filter(|s| s.lang == lang).count() as f64 / all.len() as f64;
    assert!(share("fr") >= french, "French {:.3}", share("fr"));
    assert!(share("en") >= english, "English {:.3}", share("en"));
}

#[test]
fn segment_corpus_meets_its_counts() {
    let mut all = Vec::new();
    let mut raw = Vec::new();
    for s in SPLITS {
        all.extend(labelled::read_file(&path(&format!("{s}.jsonl"))).expect("valid labels"));
        raw.extend(raw_lines(&format!("{s}.jsonl")));
    }
    let n = all.len();
    assert!(n >= 5000, "{n} segments");
    let share = |k: usize| k as f64 / n as f64;
    assert_languages(&all, 0.55, 0.30);
    let mixed = raw.iter().filter(|r| r["mixed"] == true).count();
    assert!(mixed >= 100, "{mixed} mixed French/English segments");
    for c in irritant::taxonomy::Irritant::ALL {
        let k = all.iter().filter(|s| s.irritants.contains(c)).count();
        assert!(k >= 600, "{c}: {k} segments");
    }
    let none = all.iter().filter(|s| s.irritants.is_empty()).count();
    assert!(none >= 1500, "{none} segments with no irritant");
    let two = all.iter().filter(|s| s.irritants.len() >= 2).count();
    assert!(two >= 250, "{two} segments with two categories");
    for s in irritant::taxonomy::Sentiment::ALL {
        let k = all.iter().filter(|x| x.sentiment == s).count();
        assert!(share(k) >= 0.15, "{s}: {:.3}", share(k));
    }
    let sectors: BTreeSet<&str> = raw.iter().filter_map(|r| r["sector"].as_str()).collect();
    assert!(sectors.len() >= 15, "sectors: {sectors:?}");
    let ids: HashSet<&str> = all.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), n, "ids are unique across splits");
}

#[test]
fn transcript_corpus_meets_its_counts() {
    let mut transcripts = Vec::new();
    for s in SPLITS {
        transcripts.extend(raw_lines(&format!("transcripts/{s}.jsonl")));
        labelled::read_file(&path(&format!("transcripts/{s}.jsonl"))).expect("valid labels");
    }
    assert!(transcripts.len() >= 190, "{} transcripts", transcripts.len());
    let written_for_v2 = transcripts.iter().filter(|t| t["id"].as_str().unwrap().starts_with("t-")).count();
    assert!(written_for_v2 >= 150, "{written_for_v2} transcripts written for corpus v2");
    for (field, value) in [("channel", "phone"), ("channel", "chat"), ("lang", "fr"), ("lang", "en")] {
        let k = transcripts.iter().filter(|t| t[field] == value).count();
        assert!(k >= 60, "{k} transcripts with {field} {value}");
    }
    let asr = transcripts.iter().filter(|t| t["asr"] == true).count();
    assert!(asr >= 40, "{asr} phone calls as speech-to-text writes them");
    for t in &transcripts {
        for turn in t["turns"].as_array().unwrap() {
            let speaker = turn["speaker"].as_str().unwrap();
            assert!(speaker == "shopper" || speaker == "staff", "{}: speaker {speaker}", t["id"]);
        }
    }
}

/// Every comment of the corpus, read by the loader (which checks labels and the aspect rule).
fn comment_segments() -> Vec<labelled::LabelledSegment> {
    SPLITS
        .iter()
        .flat_map(|s| labelled::read_file(&path(&format!("comments/{s}.jsonl"))).expect("valid labels"))
        .collect()
}

#[test]
fn comment_corpus_meets_its_counts() {
    let raw: Vec<serde_json::Value> = SPLITS.iter().flat_map(|s| raw_lines(&format!("comments/{s}.jsonl"))).collect();
    let all = comment_segments();
    assert!(raw.len() >= 3000, "{} comments", raw.len());
    let n = all.len();
    assert!(n >= 9000, "{n} sentences in comments");
    let share = |k: usize| k as f64 / n as f64;
    assert_languages(&all, 0.40, 0.30);
    let mixed = raw.iter().filter(|r| r["mixed"] == true).count();
    assert!(mixed >= 30, "{mixed} mixed French/English comments");
    for source in ["review", "social", "survey", "report"] {
        let k = all.iter().filter(|s| s.style == source).count();
        assert!(k >= 500, "{k} sentences of {source} style");
    }
    // Every aspect, as an irritant and as praise, across many sentences.
    let mut counts: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for s in &all {
        for a in s.aspects.as_ref().expect("comments carry aspects") {
            *counts.entry((a.name().to_string(), a.polarity.as_str())).or_default() += 1;
        }
    }
    for a in taxonomy::aspects() {
        let irritant = counts.get(&(a.name.clone(), "irritant")).copied().unwrap_or(0);
        let praise = counts.get(&(a.name.clone(), "praise")).copied().unwrap_or(0);
        assert!(irritant >= IRRITANT_SENTENCES_PER_ASPECT, "{}: {irritant} irritant sentences", a.name);
        assert!(praise >= PRAISE_SENTENCES_PER_ASPECT, "{}: {praise} praise sentences", a.name);
    }
    let no_aspect = all.iter().filter(|s| s.aspects.as_ref().is_some_and(|a| a.is_empty())).count();
    assert!((0.2..=0.5).contains(&share(no_aspect)), "share with no aspect {:.3}", share(no_aspect));
    let needs_context =
        raw.iter().flat_map(|r| r["sentences"].as_array().unwrap()).filter(|s| s["needs_context"] == true).count();
    assert!(share(needs_context) >= 0.08, "share needing the sentence before {:.3}", share(needs_context));
    let sectors: BTreeSet<&str> = raw.iter().filter_map(|r| r["sector"].as_str()).collect();
    assert!(sectors.len() >= 18, "sectors: {sectors:?}");
    let ids: HashSet<&str> = raw.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), raw.len(), "comment ids are unique across splits");
}

#[test]
fn every_segment_sentence_and_turn_carries_aspects() {
    for s in SPLITS {
        for file in [format!("{s}.jsonl"), format!("comments/{s}.jsonl"), format!("transcripts/{s}.jsonl")] {
            for seg in labelled::read_file(&path(&file)).expect("valid labels, aspects following the rule") {
                assert!(seg.aspects.is_some(), "{file}: {} has no aspects", seg.id);
            }
        }
    }
}

/// The split the hash of an id decides (SHA-256 of `irritant-split-v1:<id>` as a big-endian
/// integer, modulo 100: below 70 train, below 85 dev, else test).
fn split_of(id: &str) -> &'static str {
    let digest = Sha256::digest(format!("irritant-split-v1:{id}").as_bytes());
    let h = digest.iter().fold(0u32, |r, &b| (r * 256 + b as u32) % 100);
    match h {
        0..70 => "train",
        70..85 => "dev",
        _ => "test",
    }
}

#[test]
fn every_comment_transcript_and_segment_lies_in_the_split_of_its_hash() {
    let mut per_style: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for s in SPLITS {
        for file in [format!("{s}.jsonl"), format!("comments/{s}.jsonl"), format!("transcripts/{s}.jsonl")] {
            for line in raw_lines(&file) {
                let id = line["id"].as_str().unwrap();
                assert_eq!(split_of(id), s, "{file}: {id} belongs to {}", split_of(id));
                let style = line["source"].as_str().or(line["channel"].as_str()).unwrap_or("segment");
                *per_style.entry((style.to_string(), s)).or_default() += 1;
            }
        }
    }
    for style in ["review", "social", "survey", "report", "phone", "chat"] {
        let test = per_style.get(&(style.to_string(), "test")).copied().unwrap_or(0);
        let min = if matches!(style, "phone" | "chat") { 10 } else { 60 };
        assert!(test >= min, "the test split holds {test} {style} units");
    }
}

/// Texts of fewer words are left out of the check: one- and two-word turns ("Oui.",
/// "D'accord.") recur in every conversation and carry nothing a model could learn.
const MIN_WORDS: usize = 3;

/// A text of a split, as the duplicate check sees it.
struct SplitText {
    id: String,
    /// Sorted hashes of its folded words.
    words: Vec<u32>,
    /// Its folded letters and digits.
    key: String,
}

/// Every text of a split (lone segments, sentences of comments and transcript turns).
fn split_texts(split: &str) -> Vec<SplitText> {
    let mut out = Vec::new();
    for file in [format!("{split}.jsonl"), format!("comments/{split}.jsonl"), format!("transcripts/{split}.jsonl")] {
        for s in labelled::read_file(&path(&file)).unwrap() {
            let folded = fold(&s.text);
            let mut words: Vec<u32> =
                tokens(&folded).into_iter().filter(|t| t.chars().any(char::is_alphanumeric)).map(word_hash).collect();
            words.sort_unstable();
            words.dedup();
            if words.len() < MIN_WORDS {
                continue;
            }
            let key: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
            out.push(SplitText { id: s.id, words, key });
        }
    }
    out
}

/// FNV-1a, 32 bits: collisions among a few thousand words are negligible here.
fn word_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

#[test]
fn no_text_or_near_copy_is_in_two_splits() {
    let splits: Vec<(&str, Vec<SplitText>)> = SPLITS.iter().map(|s| (*s, split_texts(s))).collect();
    let mut problems = Vec::new();
    for a in 0..splits.len() {
        for b in a + 1..splits.len() {
            let (name_a, texts_a) = (&splits[a].0, &splits[a].1);
            let (name_b, texts_b) = (&splits[b].0, &splits[b].1);
            let keys: HashMap<&str, &str> = texts_a.iter().map(|t| (t.key.as_str(), t.id.as_str())).collect();
            for tb in texts_b {
                if let Some(id_a) = keys.get(tb.key.as_str()) {
                    problems.push(format!("{id_a} ({name_a}) = {} ({name_b})", tb.id));
                    continue;
                }
                for ta in texts_a {
                    // Sets whose sizes differ this much cannot reach the threshold.
                    let (x, y) = (ta.words.len().min(tb.words.len()), ta.words.len().max(tb.words.len()));
                    if (x as f64 / y as f64) <= NEAR_DUPLICATE {
                        continue;
                    }
                    if jaccard(&ta.words, &tb.words) > NEAR_DUPLICATE {
                        problems.push(format!("{} ({name_a}) ~ {} ({name_b})", ta.id, tb.id));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "texts shared across splits: {problems:#?}");
}

/// Words of a text as the models see them, joined by single spaces.
fn word_string(text: &str) -> String {
    tokens(&fold(text)).into_iter().filter(|t| t.chars().any(char::is_alphanumeric)).collect::<Vec<_>>().join(" ")
}

#[test]
fn comments_and_transcripts_name_many_third_parties_and_devices_of_the_entity_list() {
    let entities =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/entities.tsv")).unwrap();
    let mut text = String::from(" ");
    for s in SPLITS {
        for file in [format!("comments/{s}.jsonl"), format!("transcripts/{s}.jsonl")] {
            for seg in labelled::read_file(&path(&file)).unwrap() {
                text.push_str(&word_string(&seg.text));
                text.push_str(" | ");
            }
        }
    }
    let mut named: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for row in entities.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        let found = std::iter::once(f[0])
            .chain(f[1].split('|').filter(|a| !a.is_empty()))
            .any(|n| text.contains(&format!(" {} ", word_string(n))));
        if found {
            named.entry(f[2]).or_default().insert(f[0]);
        }
    }
    let total: usize = named.values().map(BTreeSet::len).sum();
    assert!(total >= 60, "{total} entities of data/entities.tsv named: {named:?}");
    assert!(named.len() >= 6, "kinds named: {:?}", named.keys());
}
