#!/usr/bin/env python3
"""Agreement between the corpus labels and an independent second labelling pass.

    python3 data/scripts/agreement.py [data/agreement/second_pass.jsonl]

The second pass holds one line per unit, `{"unit": "<comment or transcript id>#<k>",
"sentiment", "aspects"}`, labelled without seeing the corpus labels. Units are matched with
the corpus by id; categories are derived from irritant aspects on both sides. Prints
Cohen's kappa per category, for "any irritant", for sentiment and per aspect (irritant
polarity), and the macro F1 of one pass scored against the other.
"""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_labelled import ASPECTS, CATEGORIES, corpus_files, read, units  # noqa: E402

ORDER = ["digital", "phygital_bridge", "third_party", "physical"]


def kappa(pairs):
    """Cohen's kappa of (a, b) label pairs."""
    n = len(pairs)
    if n == 0:
        return float("nan")
    po = sum(a == b for a, b in pairs) / n
    ca, cb = collections.Counter(a for a, _ in pairs), collections.Counter(b for _, b in pairs)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


def f1(pairs):
    """F1 of pass 2 against pass 1; None where pass 1 has no positive."""
    tp = sum(a and b for a, b in pairs)
    fp = sum(b and not a for a, b in pairs)
    fn = sum(a and not b for a, b in pairs)
    return None if tp + fn == 0 else (2 * tp / (2 * tp + fp + fn))


def fmt(v):
    return "n/a" if v is None or v != v else f"{v:.3f}"


def main():
    second_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "agreement", "second_pass.jsonl")
    second = {o["unit"]: o for o in (json.loads(l) for l in open(second_path, encoding="utf-8") if l.strip())}
    first = {}
    for f in corpus_files():
        for _, obj in read(f, []):
            kind, us = units(obj)
            if kind != "segment":
                for k, u in enumerate(us):
                    first[f"{obj['id']}#{k}"] = u
    both = [(first[k], second[k]) for k in second if k in first]
    missing = len(second) - len(both)
    cats = lambda u: {a["aspect"].split(".")[0] for a in u["aspects"] if a["polarity"] == "irritant"}
    asp = lambda u: {(a["aspect"], a["polarity"]) for a in u["aspects"]}
    comments = {k.split("#")[0] for k in second if k in first}
    print(f"{len(both)} units of {len(comments)} comments and transcripts compared ({missing} not found in the corpus)\n")
    print("| label | units in pass 1 | units in pass 2 | Cohen's kappa | F1 of pass 2 against pass 1 |")
    print("|---|---|---|---|---|")
    f1s = []
    for c in ORDER:
        pairs = [(c in cats(a), c in cats(b)) for a, b in both]
        f1s.append(f1(pairs))
        print(f"| {c} | {sum(p[0] for p in pairs)} | {sum(p[1] for p in pairs)} | {fmt(kappa(pairs))} | {fmt(f1s[-1])} |")
    pairs = [(bool(cats(a)), bool(cats(b))) for a, b in both]
    print(f"| any irritant | {sum(p[0] for p in pairs)} | {sum(p[1] for p in pairs)} | {fmt(kappa(pairs))} | {fmt(f1(pairs))} |")
    pairs = [(a["sentiment"], b["sentiment"]) for a, b in both]
    print(f"| sentiment (3 classes) | | | {fmt(kappa(pairs))} | |")
    defined = [f for f in f1s if f is not None]
    print(f"\nCategory macro F1 of pass 2 against pass 1: {fmt(sum(defined) / len(defined) if defined else None)}")
    rows, aspect_f1 = [], []
    for name in ASPECTS:
        for pol in ("irritant", "praise"):
            pairs = [((name, pol) in asp(a), (name, pol) in asp(b)) for a, b in both]
            n1 = sum(p[0] for p in pairs)
            if n1:
                aspect_f1.append(f1(pairs))
            rows.append((name, pol, n1, sum(p[1] for p in pairs), kappa(pairs), f1(pairs)))
    print(f"Aspect macro F1 of pass 2 against pass 1 (aspect-polarity classes in pass 1): "
          f"{fmt(sum(aspect_f1) / len(aspect_f1) if aspect_f1 else None)} over {len(aspect_f1)} classes\n")
    print("| aspect | polarity | pass 1 | pass 2 | kappa | F1 |\n|---|---|---|---|---|---|")
    for name, pol, n1, n2, k, f in rows:
        if n1 or n2:
            print(f"| {name} | {pol} | {n1} | {n2} | {fmt(k)} | {fmt(f)} |")


if __name__ == "__main__":
    main()
