//! Evidence a person can read: on the sample data, run with the default model, every
//! evidence term is written as its segment writes it (accents, case and digits as they
//! are; a `prev:` term as the segment before it writes it), and no term is only stop
//! words. `tests/encoder.rs` checks the same of the encoder models.

mod common;

use arrow::array::{Array, AsArray, RecordBatch};
use common::*;
use irritant::classify::features::{fold, tokens};
use irritant::classify::stopwords::is_stop_word;

/// The evidence terms of each row of a segments or turns table.
fn evidence_terms(table: &RecordBatch) -> Vec<Vec<String>> {
    let lists = table.column_by_name("evidence").unwrap().as_list::<i32>();
    (0..lists.len())
        .map(|row| {
            let items = lists.value(row);
            let terms = items.as_struct().column_by_name("term").unwrap().as_string::<i32>().clone();
            (0..terms.len()).map(|i| terms.value(i).to_string()).collect()
        })
        .collect()
}

/// Checks every term of `table` (whose rows are in reading order within each `unit`) and
/// returns them all.
fn check_terms(table: &RecordBatch, unit: &str) -> Vec<String> {
    let texts: Vec<String> = strings(table, "text").into_iter().map(Option::unwrap).collect();
    let units = strings(table, unit);
    let mut all = Vec::new();
    for (row, terms) in evidence_terms(table).into_iter().enumerate() {
        for term in terms {
            let (text, written) = match term.strip_prefix("prev:") {
                Some(w) => {
                    assert!(row > 0 && units[row - 1] == units[row], "{term:?} has no segment before it");
                    (&texts[row - 1], w)
                }
                None => (&texts[row], term.as_str()),
            };
            assert!(text.contains(written), "{term:?} is not written so in {text:?}");
            let folded = fold(written);
            assert!(!tokens(&folded).iter().all(|w| is_stop_word(w)), "{term:?} is only stop words, in {text:?}");
            all.push(term);
        }
    }
    all
}

#[test]
fn evidence_is_written_as_in_the_segment_and_never_a_lone_stop_word() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        "--comments",
        &sample("comments.csv"),
        "--transcripts",
        &sample("transcripts"),
        "--transcript-map",
        &sample("transcript_map.csv"),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    let mut terms = check_terms(&read_table(&out.join("segments")), "comment_id");
    let from_comments = terms.len();
    terms.extend(check_terms(&read_table(&out.join("turns")), "transcript_id"));
    assert!(from_comments > 1000 && terms.len() > from_comments, "{from_comments} of {} terms", terms.len());
    // The fillers of the issue, whatever their case, are gone; accents are back.
    for filler in ["le", "la", "les", "en", "de", "et", "à", "a", "the", "and", "to", "of"] {
        assert!(!terms.iter().any(|t| t.to_lowercase() == filler), "{filler:?} is evidence");
    }
    for word in ["réponse", "reçu", "refusé"] {
        assert!(terms.iter().any(|t| t.contains(word)), "no evidence holds {word:?}");
    }
    // Negations are no stop words.
    assert!(terms.iter().any(|t| t == "pas"));
}
