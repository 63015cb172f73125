"""Quality, throughput and peak memory of irritant's models side by side, in one run on
one machine: the embedded default (`linear-fr-en`), e5-small (frozen encoder with trained
heads) and e5-small-ft (fine-tuned), fp32 and int8.

Usage, from the repository root, after `cargo build --release` and
`models/e5-small-ft/setup.sh`:

    python3 benches/models_compare.py [--threads 2] [--json FILE] [--models M ...]

Each model runs `irritant eval` on the test splits of the three shapes (2,785 segments:
lone segments, comments sentence by sentence, transcripts turn by turn, each read with
the segment before it), in its own process, one after the other. Reported per model:
category (irritant) macro F1, aspect macro F1 and sentiment macro F1 with their 95%
bootstrap intervals; the same per source style and per language; the segments/s of the
classification itself as `irritant eval` measures it (normalisation, context, encoder,
heads and evidence included; loading the model is not); and the process's peak RSS,
read with wait4.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLD = ["data/labelled/test.jsonl", "data/labelled/comments/test.jsonl", "data/labelled/transcripts/test.jsonl"]
MODELS = ["linear-fr-en", "e5-small", "e5-small:int8", "e5-small-ft", "e5-small-ft:int8"]


def run_eval(binary, model, threads):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "metrics.json")
        cmd = [binary, "eval", "--model", model, "--threads", str(threads), "--json"]
        for g in GOLD:
            cmd += ["--gold", os.path.join(ROOT, g)]
        started = time.time()
        with open(out, "wb") as f:
            p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.PIPE, cwd=ROOT)
            _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit(f"{' '.join(cmd)} failed: {p.stderr.read().decode()}")
        m = json.load(open(out))
        m["peak_rss_mib"] = usage.ru_maxrss / 1024
        m["wall_seconds"] = time.time() - started
        return m


def ci(v):
    return f"{v[0]:.3f}–{v[1]:.3f}" if v else "n/a"


def f3(x):
    return "n/a" if x is None else f"{x:.3f}"


def aspect_f1(group):
    a = group.get("aspects")
    return a["scores"]["macro_f1"] if a and a.get("scores") else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", nargs="+", default=MODELS)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "irritant"))
    ap.add_argument("--json", help="also write every model's metrics here")
    args = ap.parse_args()
    results = {}
    for m in args.models:
        print(f"evaluating {m} ...", file=sys.stderr, flush=True)
        results[m] = run_eval(args.binary, m, args.threads)

    print(f"## Test splits ({results[args.models[0]]['n']} segments), {args.threads} threads\n")
    print("| model | category macro F1 (95% CI) | aspect macro F1 | sentiment macro F1 (95% CI) | "
          "comment-level category macro F1 | segments/s | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for m, r in results.items():
        i, s = r["irritants"], r["sentiment"]
        print(f"| `{m}` | {f3(i['macro_f1'])} ({ci(i['macro_f1_ci95'])}) | {f3(aspect_f1(r))} | "
              f"{f3(s['macro_f1'])} ({ci(s['macro_f1_ci95'])}) | {f3(r['comments']['irritants']['macro_f1'])} | "
              f"{r['predict_segments_per_second']:.0f} | {r['peak_rss_mib']:.0f} |")
    for title, key in (("source style", "by_style"), ("language", "by_lang")):
        groups = list(results[args.models[0]][key])
        print(f"\n## Category macro F1 (95% CI) by {title}\n")
        print("| model | " + " | ".join(f"{g} ({results[args.models[0]][key][g]['n']})" for g in groups) + " |")
        print("|---|" + "---|" * len(groups))
        for m, r in results.items():
            cells = [f"{f3(r[key][g]['irritants']['macro_f1'])} ({ci(r[key][g]['irritant_macro_f1_ci95'])})"
                     for g in groups]
            print(f"| `{m}` | " + " | ".join(cells) + " |")
        print(f"\n## Aspect macro F1 by {title}\n")
        print("| model | " + " | ".join(groups) + " |")
        print("|---|" + "---|" * len(groups))
        for m, r in results.items():
            print(f"| `{m}` | " + " | ".join(f3(aspect_f1(r[key][g])) for g in groups) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
