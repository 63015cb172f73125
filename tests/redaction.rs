//! Redaction leaves the model's decisions unchanged. Run, training and evaluation read
//! text through one function (`normalise::clean_text`, redaction on), so the model reads
//! redacted text even when a run writes the personal data (`--no-redact`, or
//! `--redact-kinds` naming some kinds only), and the placeholders it reads (`[PHONE]`,
//! `[EMAIL]`, ...) are no words to it. On comments holding phone numbers, e-mail
//! addresses, card numbers and IBANs, the runs give the same categories, aspects and
//! sentiment to every segment. `--redact-kinds` redacts the kinds it names and writes the
//! others as they are, and the manifest says which.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

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
    let some = dir.path().join("some");
    let input = fixture("personal_data.csv");
    run_ok(&["run", "--comments", &input, "--out", redacted.to_str().unwrap(), "--quiet"]);
    run_ok(&["run", "--comments", &input, "--out", kept.to_str().unwrap(), "--no-redact", "--quiet"]);
    let out = some.to_str().unwrap();
    run_ok(&["run", "--comments", &input, "--out", out, "--redact-kinds", "email,phone", "--quiet"]);

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
    let (segments_some, aspects_some) = decisions(&some);
    assert_eq!(segments_redacted, segments_some);
    assert_eq!(aspects_redacted, aspects_some);
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

/// `--redact-kinds email,phone` redacts e-mail addresses and phone numbers and writes the
/// names, card numbers and IBANs as they are, in the comments, segments and the raw
/// content of rejects; the manifest lists the two kinds and counts only them. A default
/// run lists every kind, a `--no-redact` one none.
#[test]
fn redact_kinds_leaves_the_other_kinds_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let (some, all, none) = (dir.path().join("some"), dir.path().join("all"), dir.path().join("none"));
    let input = fixture("comments_pii.csv");
    let out = some.to_str().unwrap();
    run_ok(&["run", "--comments", &input, "--out", out, "--redact-kinds", "email,phone", "--quiet"]);
    run_ok(&["run", "--comments", &input, "--out", all.to_str().unwrap(), "--quiet"]);
    run_ok(&["run", "--comments", &input, "--out", none.to_str().unwrap(), "--no-redact", "--quiet"]);

    let joined = |table: &std::path::Path, column: &str| -> String {
        strings(&read_table(table), column).into_iter().flatten().collect::<Vec<_>>().join("\n")
    };
    let comments = joined(&some.join("comments"), "text");
    let segments = joined(&some.join("segments"), "text");
    let raw = joined(&some.join("rejects"), "raw");
    for text in [&comments, &segments] {
        assert!(text.contains("[EMAIL]") && !text.contains("claire.martin"), "{text}");
        assert!(text.contains("[PHONE]") && !text.contains("06 12 34 56 78"), "{text}");
        assert!(text.contains("Madame Dupont"), "names are kept: {text}");
        assert!(text.contains("4111 1111 1111 1111") && text.contains("FR76 3000"), "{text}");
        assert!(!text.contains("[NAME]") && !text.contains("[CARD]") && !text.contains("[IBAN]"), "{text}");
    }
    assert!(raw.contains("Sarah Connor") && raw.contains("[PHONE]") && !raw.contains("7946"), "{raw}");

    let r = manifest(&some).redaction;
    assert!(r.enabled);
    assert_eq!(r.kinds, ["email", "phone"]);
    assert_eq!((r.email, r.phone, r.card, r.iban, r.name), (1, 2, 0, 0, 0));
    let r = manifest(&all).redaction;
    assert_eq!(r.kinds, ["email", "phone", "card", "iban", "name"]);
    assert_eq!((r.email, r.phone, r.card, r.iban, r.name), (1, 2, 1, 1, 2));
    let r = manifest(&none).redaction;
    assert!(!r.enabled && r.kinds.is_empty());

    // An unknown kind is a usage error that lists the kinds.
    let o = dir.path().join("bad").display().to_string();
    let bad = irritant(&["run", "--comments", &input, "--out", &o, "--redact-kinds", "email,address"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{err}");
    assert!(err.contains("address") && err.contains("email, phone, card, iban, name"), "{err}");
    let both = irritant(&["run", "--comments", &input, "--out", &o, "--redact-kinds", "name", "--no-redact"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(!dir.path().join("bad").exists());

    // The same from `irritant.toml`; `--no-redact` on the command line wins over the file.
    let cfg = dir.path().join("irritant.toml");
    std::fs::write(&cfg, "[run]\nredact_kinds = [\"email\", \"phone\"]\nquiet = true\n").unwrap();
    let (cfg, from_file) = (cfg.display().to_string(), dir.path().join("from-file").display().to_string());
    run_ok(&["run", "--config", &cfg, "--comments", &input, "--out", &from_file]);
    assert_eq!(manifest(Path::new(&from_file)).redaction.kinds, ["email", "phone"]);
    run_ok(&["run", "--config", &cfg, "--comments", &input, "--out", &from_file, "--no-redact"]);
    assert!(!manifest(Path::new(&from_file)).redaction.enabled);
}

/// Recall and false positives per kind on `tests/fixtures/redaction_cases.jsonl`, printed
/// as a table (`cargo test --test redaction per_kind -- --nocapture`). Per case and kind,
/// the spans found up to the number expected are hits, the ones expected and not found
/// misses, and the ones found beyond those expected false positives; a case counts as
/// exact when its whole redacted text is the expected one. The fixture test in
/// `pipeline/redact/tests.rs` requires every case to be exact; this one gives the numbers.
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
