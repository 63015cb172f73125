//! The labelled corpus in `data/labelled/` meets its contract: the sizes and balances the
//! models and evaluations rely on, labels from the taxonomy only, unique ids, and no text
//! (or near-copy of a text) in two splits, so the test split measures generalisation.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use irritant::classify::features::{fold, tokens};
use irritant::classify::labelled;

const SPLITS: [&str; 3] = ["train", "dev", "test"];
/// Word-set Jaccard similarity above which two texts count as near-duplicates.
const NEAR_DUPLICATE: f64 = 0.8;

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
    let fr = all.iter().filter(|s| s.lang == "fr").count();
    let en = all.iter().filter(|s| s.lang == "en").count();
    assert!(share(fr) >= 0.55, "French {:.3}", share(fr));
    assert!(share(en) >= 0.30, "English {:.3}", share(en));
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
    assert!(transcripts.len() >= 40, "{} transcripts", transcripts.len());
    for (field, value) in [("channel", "phone"), ("channel", "chat"), ("lang", "fr"), ("lang", "en")] {
        let k = transcripts.iter().filter(|t| t[field] == value).count();
        assert!(k >= 10, "{k} transcripts with {field} {value}");
    }
    for t in &transcripts {
        for turn in t["turns"].as_array().unwrap() {
            let speaker = turn["speaker"].as_str().unwrap();
            assert!(speaker == "shopper" || speaker == "staff", "{}: speaker {speaker}", t["id"]);
        }
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

/// Every text of a split (segments and transcript turns).
fn split_texts(split: &str) -> Vec<SplitText> {
    let mut out = Vec::new();
    for file in [format!("{split}.jsonl"), format!("transcripts/{split}.jsonl")] {
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
