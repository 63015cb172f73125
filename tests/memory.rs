//! Bounded memory: a run whose budget forces every spill (comment ids, checklist answer
//! keys, visit tallies) writes the same tables, byte for byte, as a run that keeps
//! everything in memory; and `--memory-limit` is read, checked and recorded.

mod common;

use std::path::{Path, PathBuf};

use common::{irritant, manifest, part_files, run_ok, sample};
use irritant::run::{run, MemoryBudget, RunConfig};

/// The README's sample run, with a budget and a fixed run id.
fn sample_run(out: &Path, memory: MemoryBudget) -> irritant::write::manifest::Manifest {
    let cfg = RunConfig {
        comments: vec![sample("comments.csv").into()],
        transcripts: vec![sample("transcripts").into()],
        transcript_map: Some(sample("transcript_map.csv").into()),
        checklist: Some(sample("checklist.csv").into()),
        visits: Some(sample("visits.csv").into()),
        out: out.to_path_buf(),
        run_id: Some("memory-test".into()),
        threads: 2,
        progress: false,
        memory,
        ..RunConfig::default()
    };
    run(&cfg).unwrap_or_else(|e| panic!("{e:#}"))
}

fn tables(out: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for table in ["segments", "turns", "aspects", "comments", "visits", "checklist", "rejects"] {
        files.extend(part_files(&out.join(table)));
    }
    files
}

#[test]
fn a_run_that_spills_everything_writes_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (roomy, tight) = (dir.path().join("roomy"), dir.path().join("tight"));
    let a = sample_run(&roomy, MemoryBudget { total: 1 << 30 });
    // 64 KiB: 16 KiB of comment ids and of visit tallies, 4 KiB of checklist keys, 1 KiB
    // of text a batch: every structure spills several times on the sample.
    let b = sample_run(&tight, MemoryBudget { total: 64 << 10 });
    assert_eq!(a.memory.spilled_comment_id_runs + a.memory.spilled_visit_runs, 0, "{:?}", a.memory);
    assert_eq!(a.memory.spilled_checklist_key_runs, 0);
    assert!(b.memory.spilled_comment_id_runs >= 1, "{:?}", b.memory);
    assert!(b.memory.spilled_checklist_key_runs >= 2, "{:?}", b.memory);
    assert!(b.memory.spilled_visit_runs >= 2, "{:?}", b.memory);
    assert_eq!(b.memory.limit_bytes, 64 << 10);
    assert_eq!(a.accounting, b.accounting);
    assert_eq!(a.sentences_per_category, b.sentences_per_category);
    let (ta, tb) = (tables(&roomy), tables(&tight));
    assert_eq!(ta.len(), 7);
    for (fa, fb) in ta.iter().zip(&tb) {
        assert_eq!(fa.strip_prefix(&roomy).unwrap(), fb.strip_prefix(&tight).unwrap());
        assert!(std::fs::read(fa).unwrap() == std::fs::read(fb).unwrap(), "{} differs", fb.display());
    }
    // The spill folder is not part of the output.
    for out in [&roomy, &tight] {
        let names: Vec<String> =
            std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(!names.iter().any(|n| n.contains("spill")), "{names:?}");
    }
}

#[test]
fn duplicates_are_found_across_spilled_runs() {
    let dir = tempfile::tempdir().unwrap();
    // The sample's comments twice, the second copy under another name: every id of the
    // second file is a duplicate of the first, whichever run its first occurrence went to.
    let copy = dir.path().join("again.csv");
    std::fs::copy(sample("comments.csv"), &copy).unwrap();
    let cfg = RunConfig {
        comments: vec![sample("comments.csv").into(), copy.clone()],
        out: dir.path().join("out"),
        threads: 1,
        progress: false,
        memory: MemoryBudget { total: 32 << 10 },
        max_reject_rate: 1.0,
        ..RunConfig::default()
    };
    let m = run(&cfg).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(m.memory.spilled_comment_id_runs >= 2, "{:?}", m.memory);
    let c = &m.accounting.comments;
    assert_eq!(c.read, 2 * (c.read / 2));
    assert_eq!(c.rejected, c.read / 2 + (c.read / 2 - c.accepted), "{c:?}");
    let reasons = &m.rejects["comments"].top_reasons;
    assert!(reasons.iter().any(|(r, _)| r.starts_with("duplicate comment_id")), "{reasons:?}");
}

#[test]
fn memory_limit_is_checked_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let comments = sample("comments.csv");
    for (value, message) in [("lots", "is not a size"), ("2X", "unknown unit"), ("1M", "at least 64 MiB")] {
        let o = irritant(&["run", "--comments", &comments, "--out", out_s, "--memory-limit", value]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{value}: {err}");
        assert!(err.contains(message), "{value}: {err}");
    }
    run_ok(&["run", "--comments", &comments, "--out", out_s, "--memory-limit", "512MiB", "--quiet"]);
    assert_eq!(manifest(&out).memory.limit_bytes, 512 << 20);
}
