"""irritant's linear model against fastText, on the same splits and the same machine.

Run from the repository root (needs `pip install fasttext==0.9.3`, which compiles fastText):

    python3 benches/fasttext_compare.py

Both models are fitted on the train split (data/labelled/train.jsonl, the sentences of
data/labelled/comments/train.jsonl and the turns of data/labelled/transcripts/train.jsonl).
Their choices are made on the dev split only (the same three shapes): fastText's
hyper-parameters (a small grid) and, for both, the per-category decision thresholds. Both
are then scored once on the test split of the three shapes with the same metric
definitions as `irritant eval` (macro F1 = mean of the per-class F1s). fastText is
used as a skilled user would: one one-vs-all model for the multi-label irritants (with
the same word bigrams and character 3..5-grams as irritant), one softmax model for
sentiment, text lower-cased with punctuation split off. Throughput is measured on the
test texts repeated to 30,000 segments; fastText's Python API predicts on one thread, so
irritant is timed with one thread and with all cores.
"""

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import fasttext

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = ["digital", "phygital_bridge", "third_party", "physical"]
SENTIMENTS = ["negative", "neutral", "positive"]
BIN = os.path.join(ROOT, "target", "release", "irritant")


def read(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            if "turns" in o or "sentences" in o:
                rows.extend(o.get("turns") or o["sentences"])
            else:
                rows.append(o)
    return rows


def prep(text):
    text = text.lower().replace("\n", " ")
    return re.sub(r"([.,!?;:()\"«»…/])", r" \1 ", text)


def f1(tp, fp, fn):
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def irritant_macro_f1(gold, pred):
    scores = []
    for c in LABELS:
        tp = sum(c in g and c in p for g, p in zip(gold, pred))
        fp = sum(c not in g and c in p for g, p in zip(gold, pred))
        fn = sum(c in g and c not in p for g, p in zip(gold, pred))
        scores.append(f1(tp, fp, fn))
    return sum(scores) / len(scores)


def sentiment_macro_f1(gold, pred):
    scores = []
    for s in SENTIMENTS:
        tp = sum(g == s and p == s for g, p in zip(gold, pred))
        fp = sum(g != s and p == s for g, p in zip(gold, pred))
        fn = sum(g == s and p != s for g, p in zip(gold, pred))
        scores.append(f1(tp, fp, fn))
    return sum(scores) / len(scores)


def write_ft(rows, path, kind):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            if kind == "irritants":
                labels = " ".join(f"__label__{c}" for c in r["irritants"]) or "__label__none"
            else:
                labels = f"__label__{r['sentiment']}"
            f.write(f"{labels} {prep(r['text'])}\n")


def ft_probs(model, text):
    # The low-level call: fastText 0.9.3's wrapper breaks on NumPy 2.
    out = model.f.predict(prep(text), -1, 0.0, "strict")
    return {label.replace("__label__", ""): p for p, label in out}


def tune_thresholds(probs, gold):
    out = {}
    for c in LABELS:
        best = (-1.0, 1.0, 0.5)
        for step in range(5, 96):
            t = step / 100
            tp = sum(p.get(c, 0) >= t and c in g for p, g in zip(probs, gold))
            fp = sum(p.get(c, 0) >= t and c not in g for p, g in zip(probs, gold))
            fn = sum(p.get(c, 0) < t and c in g for p, g in zip(probs, gold))
            score = f1(tp, fp, fn)
            if score > best[0] + 1e-12 or (abs(score - best[0]) <= 1e-12 and abs(t - 0.5) < best[1]):
                best = (score, abs(t - 0.5), t)
        out[c] = best[2]
    return out


def top_sentiment(model, text, fallback):
    probs = ft_probs(model, text)
    return max(probs.items(), key=lambda kv: kv[1])[0] if probs else fallback


def decide(probs, thresholds):
    return [{c for c in LABELS if p.get(c, 0) >= thresholds[c]} for p in probs]


def irritant_eval(model_dir, gold_paths, threads):
    gold = [a for p in gold_paths for a in ("--gold", p)]
    out = subprocess.run(
        [BIN, "eval", "--model", model_dir, *gold, "--json", "--threads", str(threads)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def main():
    split = lambda s: [os.path.join(ROOT, "data/labelled", f"{shape}{s}.jsonl") for shape in ("", "comments/", "transcripts/")]
    train = [r for p in split("train") for r in read(p)]
    dev = [r for p in split("dev") for r in read(p)]
    test_paths = split("test")
    test = [r for p in test_paths for r in read(p)]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="irritant-ft-")

    # irritant: the default recipe, fitted on train, thresholds on dev.
    model_dir = os.path.join(tmp, "linear")
    t0 = time.perf_counter()
    subprocess.run(
        [BIN, "train", *[a for p in split("train") for a in ("--data", p)],
         *[a for p in split("dev") for a in ("--dev", p)], "--out", model_dir],
        check=True, capture_output=True,
    )
    irr_train_s = time.perf_counter() - t0
    irr = irritant_eval(model_dir, test_paths, 0)

    # fastText: grid on dev, thresholds on dev.
    ft_irr_path, ft_sent_path = os.path.join(tmp, "irr.txt"), os.path.join(tmp, "sent.txt")
    write_ft(train, ft_irr_path, "irritants")
    write_ft(train, ft_sent_path, "sentiment")
    dev_gold = [set(r["irritants"]) for r in dev]
    # fastText predicts nothing for a text with no token it knows: fall back to the
    # training split's most frequent sentiment.
    majority = max(SENTIMENTS, key=lambda s: sum(r["sentiment"] == s for r in train))
    grid = list(itertools.product([10, 25, 50], [0.1, 0.5, 1.0], [(0, 0), (3, 5)]))
    best_irr, best_sent = None, None
    for epoch, lr, (minn, maxn) in grid:
        args = dict(epoch=epoch, lr=lr, wordNgrams=2, minn=minn, maxn=maxn, dim=50, seed=42, thread=1, verbose=0)
        try:
            m = fasttext.train_supervised(ft_irr_path, loss="ova", **args)
        except RuntimeError:
            continue
        probs = [ft_probs(m, r["text"]) for r in dev]
        th = tune_thresholds(probs, dev_gold)
        score = irritant_macro_f1(dev_gold, decide(probs, th))
        if best_irr is None or score > best_irr[0]:
            best_irr = (score, args, th)
        try:
            s = fasttext.train_supervised(ft_sent_path, loss="softmax", **args)
        except RuntimeError:
            continue
        pred = [top_sentiment(s, r["text"], majority) for r in dev]
        score = sentiment_macro_f1([r["sentiment"] for r in dev], pred)
        if best_sent is None or score > best_sent[0]:
            best_sent = (score, args)

    t0 = time.perf_counter()
    ft_irr = fasttext.train_supervised(ft_irr_path, loss="ova", **best_irr[1])
    ft_sent = fasttext.train_supervised(ft_sent_path, loss="softmax", **best_sent[1])
    ft_train_s = time.perf_counter() - t0
    test_gold = [set(r["irritants"]) for r in test]
    ft_irr_f1 = irritant_macro_f1(test_gold, decide([ft_probs(ft_irr, r["text"]) for r in test], best_irr[2]))
    ft_sent_pred = [top_sentiment(ft_sent, r["text"], majority) for r in test]
    ft_sent_f1 = sentiment_macro_f1([r["sentiment"] for r in test], ft_sent_pred)

    # Throughput on the same 30,000 segments.
    texts = [r["text"] for r in test]
    reps = -(-30000 // len(texts))
    big = os.path.join(tmp, "throughput.jsonl")
    with open(big, "w", encoding="utf-8") as f:
        for i in range(reps):
            for j, r in enumerate(test):
                f.write(json.dumps({"id": f"{i}-{j}", "lang": r.get("lang", ""), "text": r["text"],
                                    "irritants": r["irritants"], "sentiment": r["sentiment"]}, ensure_ascii=False) + "\n")
    n = reps * len(texts)
    t0 = time.perf_counter()
    for _ in range(reps):
        for t in texts:
            ft_irr.f.predict(prep(t), -1, 0.0, "strict")
            ft_sent.f.predict(prep(t), 1, 0.0, "strict")
    ft_rate = n / (time.perf_counter() - t0)
    irr_rate_1 = irritant_eval(model_dir, [big], 1)["predict_segments_per_second"]
    irr_all = irritant_eval(model_dir, [big], 0)
    irr_rate_all, threads = irr_all["predict_segments_per_second"], irr_all["threads"]

    print(f"Test split: {len(test)} segments; train {len(train)}, dev {len(dev)}. fastText settings chosen on dev: "
          f"irritants {best_irr[1]}, sentiment {best_sent[1]}.")
    print()
    print("| model | irritant macro F1 (test) | sentiment macro F1 (test) | train time | segments/s, 1 thread | segments/s, all threads |")
    print("|---|---|---|---|---|---|")
    ci = irr["irritants"]["macro_f1_ci95"]
    print(f"| irritant linear | {irr['irritants']['macro_f1']:.3f} (95% CI {ci[0]:.3f}–{ci[1]:.3f}) | "
          f"{irr['sentiment']['macro_f1']:.3f} | {irr_train_s:.1f} s | {irr_rate_1:,.0f} | {irr_rate_all:,.0f} ({threads} threads) |")
    print(f"| fastText 0.9.3 (ova + softmax) | {ft_irr_f1:.3f} | {ft_sent_f1:.3f} | {ft_train_s:.1f} s | {ft_rate:,.0f} | n/a (Python API predicts on one thread) |")


if __name__ == "__main__":
    sys.exit(main())
