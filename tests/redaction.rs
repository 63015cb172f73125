//! Redaction leaves the model's decisions unchanged. Run, training and evaluation read
//! text through one function (`normalise::clean_text`, redaction on), so the model reads
//! redacted text even when a run writes the personal data (`--no-redact`), and the
//! placeholders it reads (`[PHONE]`, `[EMAIL]`, ...) are no words to it. On comments
//! holding phone numbers, e-mail addresses, card numbers and IBANs, the two runs give
//! the same categories, aspects and sentiment to every segment.

mod common;

use std::collections::BTreeSet;

use arrow::array::{Array, AsArray};
use common::*;

/// An aspect found in a comment's segment: comment, segment index, aspect, polarity.
type Found = (String, i32, String, String);

/// Per segment, its categories and sentiment; and every aspect found.
fn decisions(out: &std::path::Path) -> (Vec<String>, BTreeSet<Found>) {
    let segments = read_table(&out.join("segments"));
    let ids = strings(&segments, "comment_id");
    let index = i32s(&segments, "segment_index");
    let sentiment = strings(&segments, "sentiment");
    let flags: Vec<Vec<bool>> =
        ["digital", "phygital_bridge", "third_party", "physical"].iter().map(|c| bools(&segments, c)).collect();
    let per_segment = (0..segments.num_rows())
        .map(|i| {
            let cats: Vec<bool> = flags.iter().map(|f| f[i]).collect();
            format!("{}#{} {:?} {}", ids[i].as_deref().unwrap(), index[i], cats, sentiment[i].as_deref().unwrap())
        })
        .collect();
    let aspects = read_table(&out.join("aspects"));
    let (ids, index) = (strings(&aspects, "comment_id"), i32s(&aspects, "segment_index"));
    let (names, polarity) = (strings(&aspects, "aspect"), strings(&aspects, "polarity"));
    let found = (0..aspects.num_rows())
        .map(|i| (ids[i].clone().unwrap(), index[i], names[i].clone().unwrap(), polarity[i].clone().unwrap()))
        .collect();
    (per_segment, found)
}

#[test]
fn redaction_leaves_the_decisions_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (redacted, kept) = (dir.path().join("redacted"), dir.path().join("kept"));
    let input = fixture("personal_data.csv");
    run_ok(&["run", "--comments", &input, "--out", redacted.to_str().unwrap(), "--quiet"]);
    run_ok(&["run", "--comments", &input, "--out", kept.to_str().unwrap(), "--no-redact", "--quiet"]);

    // Every comment holds personal data, which one run wrote and the other did not.
    let texts = |out: &std::path::Path| strings(&read_table(&out.join("comments")), "text");
    let (with, without) = (texts(&kept), texts(&redacted));
    assert!(with.len() >= 20);
    for (a, b) in with.iter().zip(&without) {
        assert_ne!(a, b, "the fixture's comments all hold personal data");
        assert!(b.as_deref().unwrap().contains('['), "{b:?}");
    }

    let (segments_redacted, aspects_redacted) = decisions(&redacted);
    let (segments_kept, aspects_kept) = decisions(&kept);
    assert_eq!(segments_redacted, segments_kept);
    assert_eq!(aspects_redacted, aspects_kept);
    assert!(!aspects_redacted.is_empty(), "the fixture's complaints name aspects");

    // No placeholder surfaces as evidence.
    let segments = read_table(&redacted.join("segments"));
    let col = segments.column_by_name("evidence").unwrap();
    let items = col.as_list::<i32>().values().as_struct();
    let terms = items.column_by_name("term").unwrap().as_string::<i32>();
    for i in 0..terms.len() {
        assert!(!["phone", "email", "card", "iban", "name"].contains(&terms.value(i)), "{}", terms.value(i));
    }
}

/// Recall and false positives per kind on `tests/fixtures/redaction_cases.jsonl`, printed
/// as a table (`cargo test --test redaction per_kind -- --nocapture`). Per case and kind,
/// the spans found up to the number expected are hits, the ones expected and not found
/// misses, and the ones found beyond those expected false positives; a case counts as
/// exact when its whole redacted text is the expected one. The fixture test in
/// `pipeline/redact.rs` requires every case to be exact; this one gives the numbers.
#[test]
fn per_kind_recall_and_false_positives_on_the_cases() {
    use irritant::redact::{PiiKind, Redactor};
    let content = std::fs::read_to_string(fixture("redaction_cases.jsonl")).unwrap();
    let redactor = Redactor::new();
    let mut table: Vec<(u32, u32, u32)> = vec![(0, 0, 0); PiiKind::ALL.len()];
    let (mut cases, mut exact, mut clean, mut clean_kept) = (0, 0, 0, 0);
    for line in content.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let (text, expected) = (case["text"].as_str().unwrap(), case["expected"].as_str().unwrap());
        let kinds: Vec<&str> = case["kinds"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
        let (got, counts) = redactor.redact(text);
        cases += 1;
        exact += u32::from(got == expected);
        if kinds.is_empty() {
            clean += 1;
            clean_kept += u32::from(got == text);
        }
        for (i, kind) in PiiKind::ALL.iter().enumerate() {
            let want = kinds.iter().filter(|k| **k == kind.as_str()).count() as u32;
            let found = counts.get(*kind);
            table[i].0 += want.min(found);
            table[i].1 += want.saturating_sub(found);
            table[i].2 += found.saturating_sub(want);
        }
    }
    println!("kind   recall         false positives");
    for (kind, (hit, miss, extra)) in PiiKind::ALL.iter().zip(&table) {
        println!("{:<6} {:>3}/{:<3}        {}", kind.as_str(), hit, hit + miss, extra);
    }
    let (hits, all): (u32, u32) = table.iter().fold((0, 0), |(h, a), t| (h + t.0, a + t.0 + t.1));
    println!("all    {hits}/{all}; {exact}/{cases} cases exact; {clean_kept}/{clean} cases without personal data kept");
    assert!(cases > 0);
}
