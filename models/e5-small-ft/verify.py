#!/usr/bin/env python3
"""Verifies the merged e5-small-ft against the training framework's own outputs.

`reference.json` holds, for a fixed, seeded sample of dev segments (half read after
their context as a pair, half alone), the token ids and the logits the trained PyTorch
model gave, every layer recomputed from the ids. This script checks that:

- `tokenizer.json` gives the same ids for each (context, segment) input;
- `model.onnx` run by ONNX Runtime gives the same logits: |Δ| <= 2e-3 on every logit
  (fp32 against fp32, operators fused differently);
- `token_logits` splits each logit exactly: its sum over the tokens plus the constant
  `b + w · μ` equals `logits` (|Δ| <= 1e-3);
- `model.int8.onnx` stays close: |Δ| <= 4 on every logit, mean |Δ| <= 0.6, and the
  same decision on >= 97% of (segment, label) pairs at the thresholds of `encoder.json`.
  Dynamic int8 quantizes the activations of every layer, and the heads read the pooled
  vector standardised, so a logit moves by about 0.4 on average; the decisions, which are
  what a run reports, move on about 0.5% of pairs, and `irritant eval` measures the rest.

Writes `verification.json` into the model folder; exits non-zero when a check fails.

Usage: verify.py [--model-dir models/e5-small-ft]
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FP32_MAX = 2e-3
SPLIT_MAX = 1e-3
INT8_MAX, INT8_MEAN, INT8_AGREE = 4.0, 0.6, 0.97


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=HERE)
    args = ap.parse_args()
    import onnxruntime as ort
    from tokenizers import Tokenizer

    d = args.model_dir
    ref = json.load(open(os.path.join(d, "reference.json")))
    cfg = json.load(open(os.path.join(d, "encoder.json")))
    labels = cfg["head"]["labels"]
    if labels != ref["labels"]:
        sys.exit("encoder.json and reference.json name different labels")
    thresholds = np.array([cfg["head"]["thresholds"].get(l, 0.5) for l in labels], np.float32)
    logistic = np.array([not l.startswith("sentiment:") for l in labels])
    tok = Tokenizer.from_file(os.path.join(d, cfg["tokenizer"]))
    tok.no_padding()
    tok.enable_truncation(cfg["max_length"])
    prefix = cfg["prefix"]
    failures = []
    for e in ref["examples"]:
        ids = (tok.encode(prefix + e["previous"], e["text"]) if e["previous"] is not None
               else tok.encode(prefix + e["text"])).ids
        if ids != e["ids"]:
            failures.append(f"token ids differ for {e['text']!r}")
    want = np.array([e["logits"] for e in ref["examples"]], np.float32)

    def run(path):
        s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        out, split = [], []
        for e in ref["examples"]:  # one at a time: no padding, as in training
            ids = np.array([e["ids"]], np.int64)
            logits, tokens = s.run(["logits", cfg["token_output"]], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            out.append(logits[0])
            split.append(tokens[0].sum(0))
        return np.array(out), np.array(split)

    def decisions(logits):
        p = 1 / (1 + np.exp(-logits))
        return (p >= thresholds)[:, logistic]

    fp32, split = run(os.path.join(d, cfg["onnx"]))
    int8, _ = run(os.path.join(d, cfg["variants"]["int8"]))
    # The constant of the split, b + w · μ, is what a segment at the mean would score.
    constant = (fp32 - split).mean(0)
    split_error = float(np.abs(split + constant - fp32).max())
    report = {
        "examples": len(want),
        "fp32_max_abs_diff": float(np.abs(fp32 - want).max()),
        "token_split_max_abs_diff": split_error,
        "int8_max_abs_diff": float(np.abs(int8 - want).max()),
        "int8_mean_abs_diff": float(np.abs(int8 - want).mean()),
        "int8_decision_agreement": float((decisions(int8) == decisions(want)).mean()),
        "fp32_decision_agreement": float((decisions(fp32) == decisions(want)).mean()),
        "tolerances": {"fp32_max_abs_diff": FP32_MAX, "int8_max_abs_diff": INT8_MAX,
                       "token_split_max_abs_diff": SPLIT_MAX, "int8_mean_abs_diff": INT8_MEAN, "int8_decision_agreement": INT8_AGREE},
    }
    if report["fp32_max_abs_diff"] > FP32_MAX:
        failures.append(f"fp32 logits differ by {report['fp32_max_abs_diff']:.2e} > {FP32_MAX}")
    if split_error > SPLIT_MAX:
        failures.append(f"token_logits do not add up to the logits (|Δ| {split_error:.2e})")
    if report["int8_max_abs_diff"] > INT8_MAX or report["int8_mean_abs_diff"] > INT8_MEAN:
        failures.append(f"int8 logits differ by up to {report['int8_max_abs_diff']:.3f} "
                        f"(mean {report['int8_mean_abs_diff']:.3f})")
    if report["int8_decision_agreement"] < INT8_AGREE:
        failures.append(f"int8 decisions agree on {report['int8_decision_agreement']:.3f} < {INT8_AGREE}")
    report["failures"] = failures
    with open(os.path.join(d, "verification.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"e5-small-ft: fp32 max |Δlogit| {report['fp32_max_abs_diff']:.2e}, int8 max {report['int8_max_abs_diff']:.3f} "
          f"(mean {report['int8_mean_abs_diff']:.3f}), int8 decisions agree {report['int8_decision_agreement']:.3f} "
          f"on {len(want)} reference segments", file=sys.stderr)
    if failures:
        sys.exit("verification failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
