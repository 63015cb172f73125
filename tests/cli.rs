//! End-to-end tests of the `irritant` binary on the sample data and on malformed inputs:
//! exit codes, error messages, the rejects table and the manifest's row accounting,
//! read back with the Parquet reader.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use arrow::array::{Array, AsArray};
use common::*;

#[test]
fn sample_run_keeps_every_row_and_flags_missing_sides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.display().to_string();
    // The README's first command.
    run_ok(&[
        "run",
        "--comments",
        &sample("comments.csv"),
        "--transcripts",
        &sample("transcripts"),
        "--transcript-map",
        &sample("transcript_map.csv"),
        "--checklist",
        &sample("checklist.csv"),
        "--visits",
        &sample("visits.csv"),
        "--out",
        &o,
    ]);
    let m = assert_accounts(&out);
    assert_eq!(m.accounting.transcripts.rejected, 0);
    assert!(m.accounting.transcripts.accepted >= 20 && m.turn_sentences > 0);
    assert!(m.accounting.comments.read >= 800);
    // The sample ends with three faulty export rows: an empty text, a repeated id and a
    // missing visit.
    assert_eq!(m.accounting.comments.rejected, 3);
    let reasons = strings(&read_table(&out.join("rejects")), "reason");
    assert_eq!(reasons[0].as_deref(), Some("empty text"));
    assert!(reasons[1].as_deref().unwrap().starts_with("duplicate comment_id \"C000899\""));
    assert_eq!(reasons[2].as_deref(), Some("missing visit_id"));
    assert_eq!(m.model.id, "linear-fr-en");
    assert_eq!(m.model.sha256.len(), 64);

    // Segment offsets are characters of the normalised comment text.
    let comments = read_table(&out.join("comments"));
    let text_of: HashMap<String, String> = strings(&comments, "comment_id")
        .into_iter()
        .zip(strings(&comments, "text"))
        .map(|(k, v)| (k.unwrap(), v.unwrap()))
        .collect();
    let segments = read_table(&out.join("segments"));
    let (ids, texts) = (strings(&segments, "comment_id"), strings(&segments, "text"));
    let (starts, ends) = (i32s(&segments, "char_start"), i32s(&segments, "char_end"));
    for i in 0..segments.num_rows() {
        let full = &text_of[ids[i].as_ref().unwrap()];
        let slice: String = full.chars().skip(starts[i] as usize).take((ends[i] - starts[i]) as usize).collect();
        assert_eq!(Some(slice), texts[i], "segment {i} offsets");
    }
    // Every category is found somewhere in the sample, and so is text with none.
    for c in ["digital", "phygital_bridge", "third_party", "physical"] {
        assert!(bools(&segments, c).iter().any(|b| *b), "no {c} segment predicted");
    }
    let n_segs = i32s(&comments, "n_segments");
    assert_eq!(n_segs.iter().map(|n| *n as u64).sum::<u64>(), m.segments);

    // Visits: the union of the three inputs, with flags.
    let visits = read_table(&out.join("visits"));
    let vid = strings(&visits, "visit_id");
    let (meta, check, comm) =
        (bools(&visits, "has_metadata"), bools(&visits, "has_checklist"), bools(&visits, "has_comments"));
    let row = |id: &str| vid.iter().position(|v| v.as_deref() == Some(id)).unwrap();
    for unknown in ["V00106", "V00260", "V00399"] {
        let r = row(unknown);
        assert!(!meta[r] && !check[r] && comm[r], "{unknown} is a comment-only visit");
    }
    assert!((0..vid.len()).any(|r| check[r] && !comm[r]), "checklist-only visits are kept");
    assert!(strings(&visits, "region").iter().any(|r| r.is_some()), "extra columns pass through");
}

#[test]
fn thread_count_does_not_change_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        run_ok(&[
            "run",
            "--comments",
            &sample("comments.csv"),
            "--checklist",
            &sample("checklist.csv"),
            "--out",
            &out.display().to_string(),
            "--threads",
            threads,
            "--batch-size",
            "37",
            "--run-id",
            "same-run",
        ]);
        outs.push(out);
    }
    for table in ["segments", "comments", "visits", "checklist", "rejects"] {
        let f = format!("{table}/part-00000-same-run.parquet");
        let a = std::fs::read(outs[0].join(&f)).unwrap();
        let b = std::fs::read(outs[1].join(&f)).unwrap();
        assert!(a == b, "{f} differs between --threads 1 and --threads 2");
    }
    assert_eq!(manifest(&outs[0]).threads, 1);
    assert_eq!(manifest(&outs[1]).threads, 2);
}

#[test]
fn malformed_rows_are_rejected_with_file_row_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        "--comments",
        &fixture("comments_malformed.csv"),
        "--comments",
        &fixture("comments.jsonl"),
        "--checklist",
        &fixture("checklist.csv"),
        "--visits",
        &fixture("visits.csv"),
        "--out",
        &out.display().to_string(),
        // These files are mostly bad rows on purpose.
        "--max-reject-rate",
        "0.7",
    ]);
    let m = assert_accounts(&out);
    assert_eq!(m.accounting.comments.read, 7 + 5);
    assert_eq!(m.accounting.comments.rejected, 5 + 2);
    let rejects = read_table(&out.join("rejects"));
    let files = strings(&rejects, "source_file");
    let rows = i64s(&rejects, "source_row");
    let reasons = strings(&rejects, "reason");
    let found: Vec<(String, i64, String)> = (0..rejects.num_rows())
        .map(|i| {
            let f = files[i].clone().unwrap();
            let f = Path::new(&f).file_name().unwrap().to_string_lossy().to_string();
            (f, rows[i].unwrap(), reasons[i].clone().unwrap())
        })
        .collect();
    let has = |file: &str, row: i64, reason: &str| {
        assert!(
            found.iter().any(|(f, r, why)| f == file && *r == row && why.contains(reason)),
            "no reject {file} row {row} {reason:?} in {found:#?}"
        )
    };
    has("comments_malformed.csv", 2, "empty text");
    has("comments_malformed.csv", 3, "empty text");
    has("comments_malformed.csv", 4, "duplicate comment_id \"M001\"");
    has("comments_malformed.csv", 5, "missing visit_id");
    has("comments_malformed.csv", 7, "expected 4 fields, found 5");
    has("comments.jsonl", 4, "invalid JSON");
    has("comments.jsonl", 5, "expected a JSON object");
    has("checklist.csv", 8, "neither a number nor N/A");
    has("visits.csv", 4, "duplicate visit_id");
    has("visits.csv", 5, "missing visit_id");

    // The unknown visit V999 is kept and flagged, not rejected.
    let visits = read_table(&out.join("visits"));
    let vid = strings(&visits, "visit_id");
    let r = vid.iter().position(|v| v.as_deref() == Some("V999")).expect("V999 kept");
    assert!(!bools(&visits, "has_metadata")[r] && !bools(&visits, "has_checklist")[r]);
    // The JSONL numeric id was read as text, after a blank line that is not a record.
    let comments = read_table(&out.join("comments"));
    let ids = strings(&comments, "comment_id");
    let rows = i64s(&comments, "source_row");
    let k = ids.iter().position(|i| i.as_deref() == Some("4")).unwrap();
    assert_eq!(rows[k], Some(6));
}

#[test]
fn invalid_utf8_is_decoded_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&["run", "--comments", &fixture("comments_invalid_utf8.csv"), "--out", &out.display().to_string()]);
    assert_accounts(&out);
    let comments = read_table(&out.join("comments"));
    let text = strings(&comments, "text");
    let flags = bools(&comments, "repaired_encoding");
    assert_eq!(text[0].as_deref(), Some("Café froid et attente très longue à la caisse."));
    assert!(flags[0]);
    assert_eq!(text[1].as_deref(), Some("Le site était en panne."));
    assert!(!flags[1]);
    assert!(text[2].as_deref().unwrap().contains("très bon accueil"), "{:?}", text[2]);
}

#[test]
fn a_missing_required_column_stops_the_run_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = irritant(&["run", "--comments", &fixture("comments_no_text.csv"), "--out", &out.display().to_string()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("comments_no_text.csv"), "{err}");
    assert!(err.contains("missing required column \"text\""), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
    assert_eq!(o.status.code(), Some(3), "an unreadable input exits 3");
    assert!(!out.exists(), "the run created no output directory: {:?}", std::fs::read_dir(&out).ok());

    // The same file with the column mapped is fine.
    run_ok(&[
        "run",
        "--comments",
        &fixture("comments_no_text.csv"),
        "--column",
        "comments.text=verbatim",
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(assert_accounts(&out).accounting.comments.accepted, 1);
}

#[test]
fn a_truncated_parquet_file_is_an_error_and_a_whole_one_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o =
        irritant(&["run", "--comments", &fixture("comments_truncated.parquet"), "--out", &out.display().to_string()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("comments_truncated.parquet") && err.contains("not a readable Parquet file"), "{err}");
    assert!(!out.exists(), "a failed run leaves no output directory");

    run_ok(&["run", "--comments", &fixture("comments.parquet"), "--out", &out.display().to_string()]);
    let m = assert_accounts(&out);
    assert_eq!((m.accounting.comments.read, m.accounting.comments.accepted), (5, 5));
    assert_eq!(m.inputs[0].format, "parquet");
}

#[test]
fn a_one_megabyte_comment_is_rejected_by_default_and_capped_when_allowed() {
    // Built here rather than stored: a 1 MB fixture would dwarf the repository's others.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("big.csv");
    let sentence = "la file d'attente en caisse était interminable et personne ne venait aider les clients ";
    let mut text = String::new();
    while text.len() < 1 << 20 {
        text.push_str(sentence);
    }
    std::fs::write(&csv, format!("comment_id,visit_id,text\nBIG,V1,\"{text}\"\nOK,V1,Accueil parfait.\n")).unwrap();
    let out = dir.path().join("out");
    let o = out.display().to_string();
    run_ok(&["run", "--comments", &csv.display().to_string(), "--out", &o]);
    let m = assert_accounts(&out);
    assert_eq!((m.accounting.comments.accepted, m.accounting.comments.rejected), (1, 1));
    let rejects = read_table(&out.join("rejects"));
    let reason = strings(&rejects, "reason")[0].clone().unwrap();
    assert!(reason.contains("over the limit of 100000"), "{reason}");
    let raw = strings(&rejects, "raw")[0].clone().unwrap();
    assert!(raw.chars().count() <= 1001, "raw content is truncated");

    run_ok(&["run", "--comments", &csv.display().to_string(), "--out", &o, "--max-text-chars", "2000000"]);
    let m = assert_accounts(&out);
    assert_eq!(m.accounting.comments.accepted, 2);
    let segments = read_table(&out.join("segments"));
    let lengths: Vec<i32> =
        i32s(&segments, "char_end").iter().zip(i32s(&segments, "char_start")).map(|(e, s)| e - s).collect();
    assert!(lengths.len() > 2000, "run-on text is cut into many segments");
    assert!(lengths.iter().all(|l| *l <= 400));
}

#[test]
fn wide_checklist_with_criteria_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        "--comments",
        &fixture("comments.csv"),
        "--checklist",
        &fixture("checklist_wide.csv"),
        "--checklist-wide",
        "5",
        "--criteria",
        &fixture("criteria.csv"),
        "--out",
        &out.display().to_string(),
    ]);
    let m = assert_accounts(&out);
    // 3 rows × 3 criteria, one cell empty (not on that visit's grid): 8 answers, 1 out of range.
    assert_eq!(m.accounting.checklist.read, 8);
    assert_eq!(m.accounting.checklist.rejected, 1);
    let rejects = read_table(&out.join("rejects"));
    assert_eq!(strings(&rejects, "column")[0].as_deref(), Some("checkout_wait"));
    let visits = read_table(&out.join("visits"));
    let vid = strings(&visits, "visit_id");
    let r = vid.iter().position(|v| v.as_deref() == Some("V001")).unwrap();
    let scores = visits.column_by_name("checklist_score").unwrap().as_primitive::<arrow::datatypes::Float64Type>();
    assert!((scores.value(r) - 11.0 / 15.0).abs() < 1e-9);
}

#[test]
fn readme_documents_the_schema_the_binary_prints() {
    let o = run_ok(&["schema", "--markdown"]);
    let printed = String::from_utf8(o.stdout).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains(printed.trim()), "README's schema section is stale: paste `irritant schema --markdown`");
}

#[test]
fn training_is_reproducible_and_the_default_model_comes_from_the_committed_data() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("linear-fr-en");
    let m = model.display().to_string();
    let data = |f: &str| root().join("data/labelled").join(f).display().to_string();
    run_ok(&[
        "train",
        "--data",
        &data("train.jsonl"),
        "--data",
        &data("comments/train.jsonl"),
        "--data",
        &data("transcripts/train.jsonl"),
        "--dev",
        &data("dev.jsonl"),
        "--dev",
        &data("comments/dev.jsonl"),
        "--dev",
        &data("transcripts/dev.jsonl"),
        "--out",
        &m,
    ]);
    let trained = std::fs::read(model.join("model.irm")).unwrap();
    let committed = std::fs::read(root().join("models/linear-fr-en/model.irm")).unwrap();
    assert!(trained == committed, "models/linear-fr-en is not what `irritant train` makes from data/labelled");
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("card.json")).unwrap()).unwrap();
    assert!(card["dev_irritants"]["macro_f1"].as_f64().unwrap() > 0.5);
}

#[test]
fn a_bad_label_in_training_data_names_file_and_line() {
    let o = irritant(&["train", "--data", &fixture("labelled_bad.jsonl"), "--out", "/nonexistent/never"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("labelled_bad.jsonl, row 2") && err.contains("unknown irritant category \"store\""), "{err}");
}

#[test]
fn eval_scores_transcripts_turn_by_turn_and_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let o = run_ok(&[
        "eval",
        "--gold",
        &fixture("gold_transcripts.jsonl"),
        "--gold",
        &root().join("data/labelled/test.jsonl").display().to_string(),
        "--out",
        &out.display().to_string(),
        "--json",
    ]);
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON alone");
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(printed, written);
    let test_lines = std::fs::read_to_string(root().join("data/labelled/test.jsonl")).unwrap().lines().count();
    let n = printed["n"].as_u64().unwrap() as usize;
    assert_eq!(n, 6 + test_lines, "four and two transcript turns, plus the test split");
    let macro_f1 = printed["irritants"]["macro_f1"].as_f64().unwrap();
    let ci = printed["irritants"]["macro_f1_ci95"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() <= macro_f1 && macro_f1 <= ci[1].as_f64().unwrap());
    assert!(printed["sentiment"]["accuracy"].as_f64().unwrap() > 0.5);
    assert!(printed["by_lang"]["fr"]["n"].as_u64().unwrap() > 0 && printed["by_lang"]["en"]["n"].as_u64().unwrap() > 0);
    let preds = read_table(&out.join("predictions.parquet"));
    assert_eq!(preds.num_rows(), n);
    // Each category's F1, recounted here from the written predictions, is the one reported.
    let lists = |name: &str| -> Vec<Vec<String>> {
        let col = preds.column_by_name(name).unwrap().as_list::<i32>();
        (0..col.len())
            .map(|i| {
                let v = col.value(i);
                let v = v.as_string::<i32>();
                (0..v.len()).map(|j| v.value(j).to_string()).collect()
            })
            .collect()
    };
    let (gold, predicted) = (lists("gold_irritants"), lists("irritants"));
    for c in ["digital", "phygital_bridge", "third_party", "physical"] {
        let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
        for (g, p) in gold.iter().zip(&predicted) {
            match (g.iter().any(|x| x == c), p.iter().any(|x| x == c)) {
                (true, true) => tp += 1.0,
                (false, true) => fp += 1.0,
                (true, false) => fn_ += 1.0,
                _ => {}
            }
        }
        let f1 = if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fn_) };
        let reported = printed["irritants"]["per_class"][c]["f1"].as_f64().unwrap();
        assert!((f1 - reported).abs() < 1e-9, "{c}: recounted F1 {f1}, reported {reported}");
    }
    let ids = strings(&preds, "id");
    assert_eq!(ids[1].as_deref(), Some("tx1#1"));
    // The default model beats always answering "no irritant": its macro F1 on the held-out
    // test split is well above 0 (what that baseline scores).
    assert!(macro_f1 > 0.5, "macro F1 {macro_f1}");
}

#[test]
fn eval_reads_comments_and_reports_styles_comment_level_and_aspects() {
    let o = run_ok(&["eval", "--gold", &fixture("gold_comments.jsonl"), "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["n"], 6, "the six sentences of three comments");
    for (style, n) in [("review", 3), ("social", 1), ("survey", 2)] {
        assert_eq!(r["by_style"][style]["n"], n, "{style}");
        assert_eq!(r["by_style"][style]["comments"]["n"], 1, "{style}");
    }
    assert_eq!(r["comments"]["n"], 3);
    // Comment level unites the sentences' categories: gc1 is phygital only, gc2 digital and
    // third party, gc3 physical; so every category has one gold comment.
    for c in ["digital", "phygital_bridge", "third_party", "physical"] {
        assert_eq!(r["comments"]["irritants"]["per_class"][c]["support"], 1, "{c}");
    }
    let aspects = &r["aspects"];
    assert_eq!(aspects["n"], 6);
    assert_eq!(aspects["by_gold_aspect"]["physical.welcome:praise"]["support"], 2);
    assert_eq!(aspects["by_gold_aspect"]["third_party.delivery:irritant"]["support"], 1);
    assert!(aspects["by_gold_aspect"]["physical.ambiance:irritant"]["category_predicted"].is_null());
    let scores = &aspects["scores"];
    assert!(scores["micro_f1"].is_number(), "the default predicts aspects, scored per aspect: {scores}");
    assert_eq!(scores["per_class"]["physical.welcome:praise"]["support"], 2);
    assert!(scores["per_class"]["physical.ambiance:irritant"]["f1"].is_null(), "absent from gold: n/a");
    let survey = &r["by_style"]["survey"]["aspects"]["by_gold_aspect"];
    assert_eq!(survey["physical.wait:irritant"]["support"], 1);
    assert_eq!(survey["third_party.delivery:irritant"]["support"], 0, "gc2 is a social post");
    // French alone holds no digital, third-party or physical gold segment: those are n/a
    // and the macro F1 is the phygital F1 alone.
    let fr = &r["by_lang"]["fr"]["irritants"];
    assert!(fr["per_class"]["digital"]["f1"].is_null());
    assert_eq!(fr["macro_f1"], fr["per_class"]["phygital_bridge"]["f1"]);
    // Each group has its own bootstrap interval.
    for (_, g) in r["by_style"].as_object().unwrap().iter().chain(r["by_lang"].as_object().unwrap()) {
        let ci = g["sentiment_macro_f1_ci95"].as_array().expect("an interval per group");
        assert!(ci[0].as_f64().unwrap() <= ci[1].as_f64().unwrap());
    }
    let md = String::from_utf8(run_ok(&["eval", "--gold", &fixture("gold_comments.jsonl")]).stdout).unwrap();
    assert!(md.contains("## By source style") && md.contains("| survey | 2 |") && md.contains("| n/a |"), "{md}");
}

#[test]
fn examples_are_written_as_the_classifier_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("examples.jsonl");
    run_ok(&["examples", "--data", &fixture("gold_comments.jsonl"), "--out", &out.display().to_string()]);
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "the six sentences of three comments");
    for (i, e) in lines.iter().enumerate() {
        // The first sentence of a comment is read alone, the others after the one before.
        let first = i == 0 || lines[i - 1]["unit"] != e["unit"];
        assert_eq!(e["previous"].is_null(), first, "{e}");
        if !first {
            assert_eq!(e["previous"], lines[i - 1]["text"]);
        }
        let labels: Vec<&str> = e["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
        assert_eq!(labels.iter().filter(|l| l.starts_with("sentiment:")).count(), 1, "{labels:?}");
        // A category is a label exactly when one of its irritant aspects is.
        for c in ["digital", "phygital_bridge", "third_party", "physical"] {
            let aspect = labels.iter().any(|l| l.starts_with(&format!("{c}.")) && l.ends_with(":irritant"));
            assert_eq!(labels.contains(&c), aspect, "{c} in {labels:?}");
        }
        assert_eq!(e["aspects_labelled"], true);
    }
    let bad = irritant(&["examples", "--data", &fixture("labelled_bad.jsonl"), "--out", &out.display().to_string()]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("labelled_bad.jsonl"));
}

#[test]
fn transcripts_in_four_formats_become_turns_and_visit_measures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        "--transcripts",
        &fixture("transcripts"),
        "--transcript-map",
        &fixture("transcripts/map.csv"),
        "--out",
        &out.display().to_string(),
    ]);
    let m = assert_accounts(&out);
    let t = m.accounting.transcripts;
    assert_eq!(m.accounting.comments.read, 0);
    // 17 files: the JSONL files give one record per line, the others one per file.
    assert_eq!((t.read, t.accepted, t.rejected), (21, 13, 8));
    let formats: HashSet<&str> = m.inputs.iter().map(|i| i.format.as_str()).collect();
    assert_eq!(formats, HashSet::from(["jsonl", "text", "vtt", "srt"]));

    let turns = read_table(&out.join("turns"));
    assert_eq!(turns.num_rows() as u64, m.turn_sentences);
    let ids = strings(&turns, "transcript_id");
    let roles = strings(&turns, "role");
    let speakers = strings(&turns, "speaker");
    let starts = i64s(&turns, "start_ms");
    let texts = strings(&turns, "text");
    // The speech-to-text call: anonymous labels resolved to roles, times in milliseconds.
    let stt: Vec<usize> = (0..turns.num_rows()).filter(|&i| ids[i].as_deref() == Some("stt_call_fr")).collect();
    assert!(!stt.is_empty());
    assert!(stt.iter().all(|&i| speakers[i].as_deref().unwrap().starts_with("SPEAKER_")));
    assert!(stt.iter().any(|&i| roles[i].as_deref() == Some("staff")));
    assert!(stt.iter().any(|&i| roles[i].as_deref() == Some("shopper")));
    assert!(stt.iter().all(|&i| starts[i].is_some()));
    // Names heard in a greeting are redacted in turns too.
    assert!(texts.iter().flatten().any(|t| t.contains("[NAME]")));
    assert!(m.redaction.enabled && m.redaction.name > 0);

    let visits = read_table(&out.join("visits"));
    let vid = strings(&visits, "visit_id");
    let r = vid.iter().position(|v| v.as_deref() == Some("V00012")).expect("the bank call's visit");
    assert!(bools(&visits, "has_transcripts")[r] && !bools(&visits, "has_comments")[r]);
    assert!(i32s(&visits, "n_turns")[r] >= 5);
    let answer = i64s(&visits, "first_staff_answer_ms")[r];
    let duration = i64s(&visits, "duration_ms")[r];
    assert!(answer.is_some() && duration.unwrap() > answer.unwrap());
    assert!(i32s(&visits, "hold_transfer_mentions")[r] >= 1, "the bank call mentions a hold");
    // One rule for the visit's tallies: its transcripts' sentences count as comments' do.
    let visit_ids = strings(&turns, "visit_id");
    let flags = bools(&turns, "phygital_bridge");
    for (i, v) in vid.iter().enumerate() {
        let rows: Vec<usize> = (0..turns.num_rows()).filter(|&t| visit_ids[t] == *v).collect();
        assert_eq!(i32s(&visits, "n_segments")[i] as usize, rows.len(), "{v:?}");
        let phygital = rows.iter().filter(|&&t| flags[t]).count();
        assert_eq!(i32s(&visits, "n_phygital_bridge")[i] as usize, phygital, "{v:?}");
        let listed = visits.column_by_name("irritants").unwrap().as_list::<i32>().value(i);
        let listed = listed.as_string::<i32>();
        assert_eq!((0..listed.len()).any(|j| listed.value(j) == "phygital_bridge"), phygital > 0, "{v:?}");
    }
    // Turns say where they come from and how their roles were found.
    let (channels, sources) = (strings(&turns, "channel"), strings(&turns, "role_source"));
    let (files, lines) = (strings(&turns, "source_file"), i64s(&turns, "source_line"));
    let chat = (0..turns.num_rows()).find(|&i| ids[i].as_deref() == Some("chat-fr-01")).unwrap();
    assert_eq!(channels[chat].as_deref(), Some("chat"));
    assert!(files[chat].as_deref().unwrap().ends_with("chats.jsonl") && lines[chat] == Some(1));
    assert_eq!(sources[chat].as_deref(), Some("mapping"), "chatbot, client and conseillère are in the role table");
    let m1 = (0..turns.num_rows()).find(|&i| ids[i].as_deref() == Some("m1")).unwrap();
    assert_eq!(channels[m1].as_deref(), Some("phone"));
    assert_eq!(lines[m1], Some(1));
    assert!(stt.iter().all(|&i| sources[i].as_deref() == Some("heuristic") && lines[i] == Some(1)));
    let latin1 = (0..turns.num_rows()).find(|&i| files[i].as_deref().unwrap().ends_with("latin1_call_fr.txt")).unwrap();
    assert!(bools(&turns, "repaired_encoding")[latin1]);

    let rejects = read_table(&out.join("rejects"));
    let reasons = strings(&rejects, "reason");
    let inputs = strings(&rejects, "input");
    assert!(inputs.iter().all(|i| i.as_deref() == Some("transcripts")));
    for expected in ["broken timestamp", "binary file", "empty file", "ends before it starts", "missing visit_id"] {
        assert!(reasons.iter().flatten().any(|r| r.contains(expected)), "no reject for {expected}: {reasons:?}");
    }
}

#[test]
fn personal_data_is_redacted_everywhere_unless_asked_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.display().to_string();
    run_ok(&["run", "--comments", &fixture("comments_pii.csv"), "--out", &o]);
    let m = assert_accounts(&out);
    let r = m.redaction;
    assert!(r.enabled);
    assert_eq!((r.email, r.phone, r.card, r.iban), (1, 2, 1, 1));
    assert_eq!(r.name, 2, "Madame Dupont, and Sarah Connor in the rejected row's raw content");
    let comments = read_table(&out.join("comments"));
    let text = strings(&comments, "text");
    let all: String = text.iter().flatten().cloned().collect::<Vec<_>>().join("\n");
    for secret in ["06 12 34 56 78", "claire.martin", "Dupont", "4111", "FR76"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
    // Look-alikes survive: order and tracking numbers, prices, dates, times.
    for kept in ["4587 1236 9874", "19,99 €", "12/03/2026", "14h30", "1Z999AA10123456784"] {
        assert!(all.contains(kept), "{kept} was redacted: {all}");
    }
    assert!(all.contains("[PHONE]") && all.contains("[EMAIL]") && all.contains("[CARD]") && all.contains("[IBAN]"));
    let segments = read_table(&out.join("segments"));
    assert!(strings(&segments, "text").iter().flatten().all(|t| !t.contains("Dupont")));
    let raw = strings(&read_table(&out.join("rejects")), "raw");
    assert!(raw[0].as_deref().unwrap().contains("[NAME]") && !raw[0].as_deref().unwrap().contains("Connor"));

    run_ok(&["run", "--comments", &fixture("comments_pii.csv"), "--out", &o, "--no-redact"]);
    let m = assert_accounts(&out);
    assert!(!m.redaction.enabled);
    let text = strings(&read_table(&out.join("comments")), "text");
    assert!(text[0].as_deref().unwrap().contains("06 12 34 56 78"));
}

#[test]
fn compressed_inputs_typed_dates_and_skipped_files() {
    use std::io::Write;

    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("comments");
    std::fs::create_dir(&inputs).unwrap();
    let csv = "comment_id;visit_id;text;created_at\n\
               K1;V1;Attente très longue en caisse.;2026-01-05T14:03:00+01:00\n\
               K2;V1;Appli en panne au paiement.;01/07/2026 09:30\n\
               K3;V2;Accueil souriant.;7 janv. 2026\n\
               K4;V2;Vendeur absent.;hier soir\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    std::fs::write(inputs.join("comments.csv.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(inputs.join("README.txt"), "exports of January").unwrap();
    std::fs::write(inputs.join("export.xlsx"), b"PK\x03\x04").unwrap();
    let visits = dir.path().join("visits.jsonl");
    std::fs::write(
        &visits,
        "{\"visit_id\": \"V1\", \"visit_date\": \"5 janvier 2026\", \"zone\": \"Nord\"}\n\
         {\"visit_id\": \"V2\", \"visit_date\": \"2026-01-07\", \"shopper\": 7}\n\
         {\"visit_id\": \"V3\", \"visit_date\": \"2026-02-30\"}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run_ok(&[
        "run",
        "--comments",
        &inputs.display().to_string(),
        "--visits",
        &visits.display().to_string(),
        "--date-format",
        "%m/%d/%Y %H:%M",
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    for (name, reason) in [
        ("README.txt", "unknown extension .txt for this input"),
        ("export.xlsx", "a spreadsheet (.xlsx): export the sheet as CSV (UTF-8) or Parquet to have it read"),
    ] {
        let path = inputs.join(name).display().to_string();
        let line = format!("irritant: skipped {path} (comments): {reason}");
        assert!(err.lines().any(|l| l == line), "{line}\n{err}");
        let listed = manifest(&out).skipped_files;
        assert!(listed.iter().any(|s| s.path == path && s.reason == reason && s.input == "comments"), "{listed:?}");
    }
    let m = assert_accounts(&out);
    assert_eq!((m.accounting.comments.read, m.accounting.comments.accepted), (4, 3));
    assert_eq!((m.accounting.visits.read, m.accounting.visits.accepted), (3, 2));

    let comments = read_table(&out.join("comments"));
    assert_eq!(
        comments.schema().field_with_name("created_at").unwrap().data_type(),
        &arrow::datatypes::DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into()))
    );
    let created = comments
        .column_by_name("created_at")
        .unwrap()
        .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
        .values()
        .to_vec();
    // Microseconds since the epoch of 2026-01-05T13:03Z, 2026-01-07T09:30Z, 2026-01-07T00:00Z.
    assert_eq!(created[0], 1_767_618_180_000_000, "converted to UTC");
    assert_eq!(created[1], 1_767_778_200_000_000, "--date-format: month first");
    assert_eq!(created[2], 1_767_744_000_000_000);

    let visits = read_table(&out.join("visits"));
    assert_eq!(visits.schema().field_with_name("visit_date").unwrap().data_type(), &arrow::datatypes::DataType::Date32);
    let ids = strings(&visits, "visit_id");
    let dates = strings(&visits, "visit_date");
    let at = |id: &str| ids.iter().position(|v| v.as_deref() == Some(id)).unwrap();
    assert_eq!(dates[at("V1")].as_deref(), Some("2026-01-05"));
    assert_eq!(dates[at("V2")].as_deref(), Some("2026-01-07"));
    assert_eq!(strings(&visits, "zone")[at("V1")].as_deref(), Some("Nord"), "JSONL keys pass through");
    assert_eq!(strings(&visits, "shopper")[at("V2")].as_deref(), Some("7"));

    let rejects = read_table(&out.join("rejects"));
    let reasons = strings(&rejects, "reason");
    let columns = strings(&rejects, "column");
    let r = reasons.iter().position(|r| r.as_deref().is_some_and(|r| r.contains("hier soir"))).unwrap();
    assert!(reasons[r].as_deref().unwrap().starts_with("created_at: unparsable date \"hier soir\""), "{reasons:?}");
    assert_eq!(columns[r].as_deref(), Some("created_at"));
    assert!(
        reasons.iter().any(|r| r.as_deref() == Some("visit_date: invalid date \"2026-02-30\": 2026-02 has no day 30")),
        "{reasons:?}"
    );
}

#[test]
fn spreadsheets_unknown_columns_and_bad_date_formats_stop_the_run_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").display().to_string();
    let sheet = dir.path().join("comments.csv");
    std::fs::write(&sheet, b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml").unwrap();
    let fail = |args: &[&str]| {
        let o = irritant(args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        err
    };
    let err = fail(&["run", "--comments", &sheet.display().to_string(), "--out", &out]);
    assert!(
        err.ends_with(&format!(
            "{}: this is an Excel workbook or a zip archive, not CSV; export the sheet as CSV (UTF-8) or Parquet",
            sheet.display()
        )),
        "{err}"
    );
    let err =
        fail(&["run", "--comments", &fixture("comments.csv"), "--column", "comments.txt=verbatim", "--out", &out]);
    assert!(
        err.ends_with(
            "--column comments.txt=verbatim: unknown field \"txt\" of comments; fields: comment_id, visit_id, text, lang, channel, criterion, created_at"
        ),
        "{err}"
    );
    let err = fail(&["run", "--comments", &fixture("comments.csv"), "--date-format", "%Q", "--out", &out]);
    assert!(err.contains("--date-format \"%Q\": not a valid format"), "{err}");
}
