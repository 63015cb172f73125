//! Criterion benchmarks of the per-comment hot path of `irritant run`, without I/O.
//!
//! * `classify/predict`: [`LinearModel::predict`] of the embedded default model (features,
//!   scoring and evidence) on 200 French and English segments; `classify/probabilities`
//!   is the same without the evidence. Throughput is in segments.
//! * `text/normalise`, `text/segment` and `text/normalise+segment`: [`normalise`] and
//!   [`segment`] on 1,000 synthetic comments of 1–4 sentences (some with bullets, line
//!   breaks, emoji or mojibake). Throughput is in comments.
//!
//! The segments and comments come from the generator of the `end_to_end` benchmark
//! (its `corpus` module, included below), with a fixed seed.
//!
//! Run it with
//!
//! ```text
//! cargo bench --bench classify
//! cargo bench --bench classify -- predict      # only the benchmarks whose name matches
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use irritant::classify::linear::LinearModel;
use irritant::classify::SegmentInput;
use irritant::normalise::normalise;
use irritant::segment::{segment, SegmentRules};

#[path = "end_to_end.rs"]
#[allow(dead_code)]
mod end_to_end;

use end_to_end::corpus::{Corpus, Lang};

/// Segments classified per iteration (half French, half English).
const SEGMENTS: usize = 200;
/// Comments normalised and segmented per iteration.
const COMMENTS: usize = 1000;

fn segments() -> Vec<String> {
    let mut corpus = Corpus::new(0x5E6_0001);
    (0..SEGMENTS).map(|i| corpus.sentence(if i % 2 == 0 { Lang::Fr } else { Lang::En })).collect()
}

fn comments() -> Vec<String> {
    let mut corpus = Corpus::new(0xC0_0001);
    (0..COMMENTS)
        .map(|_| {
            let lang = corpus.lang();
            corpus.comment(lang)
        })
        .collect()
}

/// The embedded default (51 heads, context and entity features) beside the baseline of
/// `benches/baseline/linear-fr-en-v1` (seven heads, segments read alone), each segment
/// given the one before it as context.
fn bench_classify(c: &mut Criterion) {
    let default = LinearModel::embedded_default().expect("embedded model loads");
    let baseline_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/baseline/linear-fr-en-v1");
    let baseline = LinearModel::load_dir(&baseline_dir).expect("baseline model loads");
    let segments = segments();
    let inputs: Vec<SegmentInput> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| SegmentInput {
            previous: i.checked_sub(1).map(|p| segments[p].as_str()),
            ..SegmentInput::alone(s)
        })
        .collect();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(segments.len() as u64));
    for (name, model) in [("baseline-v1", &baseline), ("default", &default)] {
        group.bench_function(format!("{name}/predict"), |b| {
            b.iter(|| {
                for s in &inputs {
                    black_box(model.predict(black_box(s)));
                }
            })
        });
        group.bench_function(format!("{name}/probabilities"), |b| {
            b.iter(|| {
                for s in &inputs {
                    black_box(model.probabilities(black_box(s), None));
                }
            })
        });
    }
    group.finish();
}

fn bench_text(c: &mut Criterion) {
    let comments = comments();
    let normalised: Vec<String> = comments.iter().map(|t| normalise(t).text).collect();
    let rules = SegmentRules::default();
    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Elements(comments.len() as u64));
    group.bench_function("normalise", |b| {
        b.iter(|| {
            for t in &comments {
                black_box(normalise(black_box(t)));
            }
        })
    });
    group.bench_function("segment", |b| {
        b.iter(|| {
            for t in &normalised {
                black_box(segment(black_box(t), &rules));
            }
        })
    });
    group.bench_function("normalise+segment", |b| {
        b.iter(|| {
            for t in &comments {
                let n = normalise(black_box(t));
                black_box(segment(&n.text, &rules));
            }
        })
    });
    group.finish();
}

/// Loading the embedded default (decompressing and indexing its 8-bit rows) beside the
/// baseline (format 1, dense `f32` rows quantised on load).
fn bench_load(c: &mut Criterion) {
    let baseline_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/baseline/linear-fr-en-v1");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("default", |b| b.iter(|| black_box(LinearModel::embedded_default().unwrap())));
    group.bench_function("baseline-v1", |b| b.iter(|| black_box(LinearModel::load_dir(&baseline_dir).unwrap())));
    group.finish();
}

criterion_group!(benches, bench_classify, bench_text, bench_load);
criterion_main!(benches);
