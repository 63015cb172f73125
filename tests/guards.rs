//! The command line never fails silently: exit statuses by kind, a failed or interrupted
//! run leaves `--out` as it found it, leftovers of killed runs are cleaned, mostly
//! rejected inputs fail the run, and the settings (config file, threads, models by name,
//! dry run, JSON summary) do what they say.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Every file under `dir` with its bytes, to tell whether a directory changed.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn sample_run(out: &str) -> Vec<String> {
    [
        "run",
        "--comments",
        &sample("comments.csv"),
        "--checklist",
        &sample("checklist.csv"),
        "--visits",
        &sample("visits.csv"),
        "--out",
        out,
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_checklist_given_as_visits_fails_the_run_and_leaves_the_outputs_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.display().to_string();
    run_ok(&args(&sample_run(&o)));
    let before = snapshot(&out);

    // The checklist has many rows per visit: as a visits file, nearly all are duplicates.
    let mut wrong = sample_run(&o);
    let at = wrong.iter().position(|a| a == "--visits").unwrap();
    wrong[at + 1] = sample("checklist.csv");
    let r = irritant(&args(&wrong));
    assert_eq!(r.status.code(), Some(4), "{}", String::from_utf8_lossy(&r.stderr));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("visits records rejected") && err.contains("--max-reject-rate 50.0%"), "{err}");
    assert!(err.contains("duplicate visit_id"), "the message gives the main reason: {err}");
    assert_eq!(snapshot(&out), before, "the earlier outputs are untouched");

    // Raised on purpose, the limit lets the run through, and the summary says why rows went.
    wrong.extend(["--max-reject-rate".into(), "1".into()]);
    let r = run_ok(&args(&wrong));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("rejected visits: ") && err.contains("× duplicate visit_id"), "{err}");
    assert!(err.contains(&format!("every reject, with its file, row and reason: {}", out.join("rejects").display())));
}

#[test]
fn a_run_with_no_accepted_comment_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "comment_id,visit_id,text\nc1,v1,\nc2,,du texte\n").unwrap();
    let out = dir.path().join("never");
    let r = irritant(&[
        "run",
        "--comments",
        &csv.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--max-reject-rate",
        "1",
    ]);
    assert_eq!(r.status.code(), Some(5), "{}", String::from_utf8_lossy(&r.stderr));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("no comment or transcript was accepted (2 read)"), "{err}");
    assert!(err.contains("1 × empty text") && err.contains("1 × missing visit_id"), "{err}");
    assert!(!out.exists(), "the output directory the run would have created is not there");
}

#[test]
fn leftovers_of_a_killed_run_are_removed_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // What kill -9 leaves: a hidden staging folder of a process that is gone.
    let stale = out.join(".irritant-staging-4294967-20260101T000000Z-deadbeef");
    std::fs::create_dir_all(stale.join("segments")).unwrap();
    std::fs::write(stale.join("segments/part-00000-x.parquet"), b"").unwrap();
    let r = run_ok(&args(&sample_run(&out.display().to_string())));
    assert!(!stale.exists());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains(&format!("cleaned up {}, left by an interrupted run", stale.display())), "{err}");
    // Beside the output, where this version stages its runs.
    let beside = dir.path().join(".out.irritant-staging-4294967-20260101T000000Z-deadbeef");
    std::fs::create_dir_all(beside.join("segments")).unwrap();
    run_ok(&args(&sample_run(&out.display().to_string())));
    assert!(!beside.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.ends_with(".irritant-lock"))
        .collect();
    assert_eq!(left, vec!["out"], "only the output is left (and its lock file)");
    assert_accounts(&out);
}

/// Starts a run on `comments` rows and sends `signal` once its staging folder exists.
fn interrupt(signal: &str, expect: i32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&args(&sample_run(&out.display().to_string())));
    let before = snapshot(&out);

    let csv = dir.path().join("many.csv");
    let mut text = String::from("comment_id,visit_id,text\n");
    for i in 0..300_000 {
        text.push_str(&format!("c{i},v{},L'appli plante au paiement et la caisse est fermée.\n", i % 997));
    }
    std::fs::write(&csv, text).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_irritant"))
        .args(["run", "--comments", &csv.display().to_string(), "--out", &out.display().to_string(), "--quiet"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let staging = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(".out.irritant-staging"))
    };
    while !staging() {
        assert!(started.elapsed() < Duration::from_secs(60), "the run never started writing");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let killed = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(expect), "{err}");
    let name = signal.trim_start_matches('-');
    assert_eq!(
        err.trim(),
        format!("irritant: error: interrupted by SIG{name}: stopped reading; no output was written"),
        "one line"
    );
    assert_eq!(snapshot(&out), before, "the earlier outputs intact");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".irritant-staging"))
        .collect();
    assert!(left.is_empty(), "no staging folder left: {left:?}");
}

#[test]
fn sigint_stops_the_run_cleanly() {
    interrupt("-INT", 130);
}

#[test]
fn sigterm_stops_the_run_cleanly() {
    interrupt("-TERM", 143);
}

#[test]
fn threads_beyond_the_cores_are_clamped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut a = sample_run(&out.display().to_string());
    a.extend(["--threads".into(), "100000".into()]);
    let r = run_ok(&args(&a));
    let cores = std::thread::available_parallelism().unwrap().get();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains(&format!("--threads 100000 is more than the {cores} cores; using {cores}")), "{err}");
    assert_eq!(manifest(&out).threads, cores);
}

#[test]
fn models_are_found_by_name_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run_in = |cwd: &Path, extra: &[&str], env: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_irritant"));
        c.current_dir(cwd)
            .args(["run", "--dry-run", "--comments", &sample("comments.csv")])
            .args(extra)
            .env_remove("IRRITANT_MODELS");
        if let Some(e) = env {
            c.env("IRRITANT_MODELS", e);
        }
        c.output().unwrap()
    };
    // A name from the repository's models/, run from elsewhere.
    let o = run_in(dir.path(), &["--model", "e5-small"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plan = String::from_utf8_lossy(&o.stdout);
    assert!(plan.contains(&format!("model: e5-small ({})", root().join("models/e5-small").display())), "{plan}");

    // IRRITANT_MODELS comes first; a model found there runs for real.
    let shelf = root().join("benches/baseline").display().to_string();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_irritant"))
        .current_dir(dir.path())
        .env("IRRITANT_MODELS", &shelf)
        .args(["run", "--comments", &sample("comments.csv"), "--model", "linear-fr-en-v1", "--out", "out", "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("benches/baseline/linear-fr-en-v1/card.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest(&out).model.sha256,
        card["model_sha256"].as_str().unwrap(),
        "the v1 model, not the embedded one"
    );

    // An earlier folder of the same name without weights gives way to one with them.
    let unbuilt = dir.path().join("unbuilt");
    std::fs::create_dir_all(unbuilt.join("linear-fr-en-v1")).unwrap();
    std::fs::write(unbuilt.join("linear-fr-en-v1/README.md"), "weights not built here").unwrap();
    let shelves = std::env::join_paths([unbuilt.clone(), root().join("benches/baseline")]).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_irritant"))
        .current_dir(dir.path())
        .env("IRRITANT_MODELS", &shelves)
        .args(["run", "--comments", &sample("comments.csv"), "--model", "linear-fr-en-v1", "--out", "out2", "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // An unknown name says where it looked and what there is.
    let o = run_in(dir.path(), &["--model", "e5-smal"], Some(&shelf));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown model \"e5-smal\"") && err.contains(&shelf), "{err}");
    for found in ["linear-fr-en (embedded)", "e5-small", "e5-small-ft", "linear-fr-en-v1"] {
        assert!(err.contains(found), "{found} not listed: {err}");
    }
}

#[test]
fn dry_run_describes_the_inputs_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(sample("comments.csv"), inputs.join("comments.csv")).unwrap();
    std::fs::write(inputs.join("notes.txt"), "à lire").unwrap();
    let out = dir.path().join("out");
    let o = run_ok(&[
        "run",
        "--dry-run",
        "--comments",
        &inputs.display().to_string(),
        "--comments",
        &fixture("comments.parquet"),
        "--column",
        "comments.text=text",
        "--out",
        &out.display().to_string(),
    ]);
    let plan = String::from_utf8_lossy(&o.stdout);
    // Records, counted as a CSV reader counts them (some texts hold line breaks).
    assert!(plan.contains(&format!("bytes  {} records", sample_records())), "{plan}");
    assert!(plan.contains("bytes  5 records") && plan.contains("parquet"), "the Parquet footer's count: {plan}");
    assert!(plan.contains("skipped comments: ") && plan.contains("notes.txt"), "{plan}");
    assert!(plan.contains("columns: comments.text=text"), "{plan}");
    assert!(plan.contains("model: linear-fr-en (embedded)"), "{plan}");
    assert!(!out.exists(), "a dry run writes nothing");

    // JSONL records are counted as the readers split lines: a file ending lines with a
    // lone CR holds three.
    let o = run_ok(&["run", "--dry-run", "--comments", &fixture("robustness/comments_cr.jsonl")]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("bytes  3 records"), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn json_summary_on_stdout_gives_counts_reasons_and_categories() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut a = sample_run(&out.display().to_string());
    a.extend(["--summary".into(), "json".into()]);
    let o = run_ok(&args(&a));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON alone on stdout");
    let m = manifest(&out);
    assert_eq!(s["run_id"], m.run_id.as_str());
    assert_eq!(s["inputs"]["comments"]["accepted"], m.accounting.comments.accepted);
    assert_eq!(s["rejects"]["comments"]["rejected"], m.accounting.comments.rejected);
    let reasons: Vec<&str> =
        s["rejects"]["comments"]["top_reasons"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap()).collect();
    assert!(reasons.contains(&"empty text"), "{reasons:?}");
    let segments = read_table(&out.join("segments"));
    let physical = bools(&segments, "physical").iter().filter(|b| **b).count();
    assert_eq!(s["sentences_per_category"]["physical"], physical as u64);
    assert!(s["timings"]["total_ms"].as_u64().is_some());
}

#[test]
fn a_config_file_holds_the_settings_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    std::fs::copy(sample("comments.csv"), dir.path().join("exports/comments.csv")).unwrap();
    std::fs::write(
        dir.path().join("irritant.toml"),
        "[run]\ncomments = [\"exports/comments.csv\"]\nout = \"from-config\"\nrun_id = \"nightly\"\nquiet = true\n",
    )
    .unwrap();
    let irritant_in = |cwd: &Path, a: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_irritant")).current_dir(cwd).args(a).output().unwrap()
    };
    // Paths in the file are relative to the file, wherever the command runs from.
    let elsewhere = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("irritant.toml").display().to_string();
    let o = irritant_in(elsewhere.path(), &["run", "--config", &cfg, "--run-id", "by-hand"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest(&dir.path().join("from-config"));
    assert_eq!(m.run_id, "by-hand", "the flag wins over the file");
    assert_eq!(m.accounting.comments.read, sample_records());

    // irritant.toml in the current directory is read without --config.
    let o = irritant_in(dir.path(), &["run", "--out", "by-flag"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(manifest(&dir.path().join("by-flag")).run_id, "nightly");

    std::fs::write(dir.path().join("irritant.toml"), "[run]\nthread = 2\n").unwrap();
    let o = irritant_in(dir.path(), &["run", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown setting \"thread\" in [run]; valid: ") && err.contains("threads"), "{err}");
}

fn sample_records() -> u64 {
    let mut r = csv::Reader::from_path(sample("comments.csv")).unwrap();
    r.records().count() as u64
}

#[test]
fn append_refuses_a_dataset_with_other_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.display().to_string();
    run_ok(&args(&sample_run(&o)));
    let before = snapshot(&out);
    // Without the visits file, the visits table has none of its pass-through columns.
    let r = irritant(&["run", "--comments", &sample("comments.csv"), "--out", &o, "--append", "-q"]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("--append: visits in") && err.contains("has other columns than this run writes"), "{err}");
    assert_eq!(snapshot(&out), before);

    // The same inputs append, and the two runs read back apart.
    let mut again = sample_run(&o);
    again.extend(["--append".into(), "--run-id".into(), "second".into()]);
    run_ok(&args(&again));
    let runs: Vec<_> = std::fs::read_dir(out.join("_runs")).unwrap().collect();
    assert_eq!(runs.len(), 2);
    let segments = read_table(&out.join("segments"));
    let ids = strings(&segments, "run_id");
    let second = ids.iter().filter(|r| r.as_deref() == Some("second")).count();
    assert_eq!(second * 2, segments.num_rows(), "each run's rows once");
    assert_eq!(manifest(&out).run_id, "second");
}

#[test]
fn a_run_killed_at_any_step_of_its_commit_leaves_the_old_outputs_or_the_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    for step in 1..=3 {
        let out = dir.path().join(format!("out{step}"));
        let o = out.display().to_string();
        let mut first = sample_run(&o);
        first.extend(["--run-id".into(), "old".into()]);
        run_ok(&args(&first));
        let before = snapshot(&out);
        let mut second = sample_run(&o);
        second.extend(["--run-id".into(), "new".into()]);
        let killed = Command::new(env!("CARGO_BIN_EXE_irritant"))
            .args(args(&second))
            .env("IRRITANT_FAIL_AT", format!("commit:{step}"))
            .output()
            .unwrap();
        assert!(!killed.status.success() && killed.status.code().is_none(), "step {step}: aborted by a signal");
        // Old or new, whole: the manifest's run and exactly its part files.
        let m = assert_accounts(&out);
        match m.run_id.as_str() {
            "old" => assert_eq!(snapshot(&out), before, "step {step}: the old outputs, untouched"),
            "new" => assert!(step >= 3, "step {step}: the swap comes after the flush"),
            other => panic!("step {step}: run {other}"),
        }
        // The next run cleans what the killed one left beside the output.
        run_ok(&args(&sample_run(&o)));
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with(&format!(".out{step}.irritant-")) && !n.ends_with("-lock"))
            .collect();
        assert!(left.is_empty(), "step {step}: {left:?}");
    }
}

#[test]
fn partitioned_runs_append_even_with_empty_tables_and_never_reuse_a_run_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").display().to_string();
    // Comments only: turns and checklist are empty, and stay partitioned.
    let run = |id: &str| {
        irritant(&[
            "run",
            "--comments",
            &sample("comments.csv"),
            "--visits",
            &sample("visits.csv"),
            "--out",
            &out,
            "--partition-by",
            "visit_month",
            "--append",
            "--run-id",
            id,
            "-q",
        ])
    };
    assert!(run("first").status.success());
    let second = run("second");
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let out = Path::new(&out);
    for table in ["turns", "checklist", "segments"] {
        let parts = part_files(&out.join(table));
        assert!(
            parts.iter().all(|p| p
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("visit_month=")),
            "{table}: every part file in a partition: {parts:?}"
        );
    }
    let before = snapshot(out);
    let again = run("second");
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already holds a run \"second\""), "{err}");
    assert_eq!(snapshot(out), before);
}

#[test]
fn a_resumed_run_reuses_the_killed_runs_batches_and_writes_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let with = |out: &Path, extra: &[&str]| -> Vec<String> {
        let mut a = sample_run(&out.display().to_string());
        a.extend(
            ["--transcripts", &sample("transcripts"), "--transcript-map", &sample("transcript_map.csv")]
                .iter()
                .chain(["--batch-size", "64"].iter())
                .chain(extra)
                .map(|s| s.to_string()),
        );
        a
    };
    let (full, resumed) = (dir.path().join("full"), dir.path().join("resumed"));
    run_ok(&args(&with(&full, &["--run-id", "r1"])));
    // Killed (abort, no clean-up) right after the checkpoint of its sixth batch.
    let killed = Command::new(env!("CARGO_BIN_EXE_irritant"))
        .args(args(&with(&resumed, &["--run-id", "r1"])))
        .env("IRRITANT_FAIL_AT", "batch:5")
        .output()
        .unwrap();
    assert!(killed.status.code().is_none(), "killed by a signal: {:?}", killed.status);
    assert!(!resumed.exists(), "nothing committed");
    let checkpoints = dir.path().join(".resumed.irritant-checkpoints");
    let batches = std::fs::read_dir(&checkpoints)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("batch-"));
    assert_eq!(batches.count(), 6);

    // Other settings cannot resume these batches.
    let o = irritant(&args(&with(&resumed, &["--resume", "--max-segment-chars", "100"])));
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("other inputs or settings"));

    // The same run resumes: its id, six batches read back, the same table bytes.
    run_ok(&args(&with(&resumed, &["--resume"])));
    let m = manifest(&resumed);
    assert_eq!((m.run_id.as_str(), m.resumed_batches), ("r1", 6));
    assert_eq!(manifest(&full).resumed_batches, 0);
    let tables = |out: &Path| {
        let mut s = snapshot(out);
        s.retain(|name, _| !name.starts_with("_"));
        s
    };
    let (a, b) = (tables(&full), tables(&resumed));
    assert!(a.len() >= 7, "{:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(*bytes == b[name], "{name} differs from the uninterrupted run's");
    }
    assert!(!checkpoints.exists(), "a committed run removes its checkpoints");

    // Nothing left to resume.
    let o = irritant(&args(&with(&resumed, &["--resume"])));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to resume"), "{}", String::from_utf8_lossy(&o.stderr));
}
