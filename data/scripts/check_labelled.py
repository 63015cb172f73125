#!/usr/bin/env python3
"""Checks labelled JSON Lines files against the labelling contract (TAXONOMY.md, version 2)
before they join the corpus, and prints their statistics.

    python3 data/scripts/check_labelled.py FILE...          # check FILEs against the corpus
    python3 data/scripts/check_labelled.py --stats FILE...  # counts per language, source, aspect

Checks: valid JSON of one of the three shapes (segments, comments, transcripts); labels and
aspects from data/taxonomy.json; the rule "irritants = categories of irritant aspects";
ids unique across every file of data/labelled/; no near-duplicate, within the files or
against data/labelled/ (identical folded letters and digits for texts of 3 words or more,
word-set Jaccard above 0.8 for texts of 6 words or more, above 0.7 for whole comments and
transcripts). Exit status 1 when anything fails, with file, line and reason.
"""
import argparse
import collections
import glob
import json
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAXONOMY = json.load(open(os.path.join(ROOT, "data", "taxonomy.json"), encoding="utf-8"))
CATEGORIES = set(TAXONOMY["categories"])
SENTIMENTS = set(TAXONOMY["sentiments"])
POLARITIES = set(TAXONOMY["polarities"])
SOURCES = set(TAXONOMY["sources"])
ASPECTS = [a["name"] for a in TAXONOMY["aspects"]]
SENTENCE_JACCARD, WHOLE_JACCARD = 0.8, 0.7


def fold(text):
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text):
    return set(re.findall(r"[^\W_]+", fold(text)))


def units(obj):
    """The labelled units of one line: (kind, list of dicts)."""
    if "sentences" in obj:
        return "comment", obj["sentences"]
    if "turns" in obj:
        return "transcript", obj["turns"]
    return "segment", [obj]


def check_unit(u, where, errors):
    for field in ("text", "irritants", "sentiment", "aspects"):
        if field not in u:
            errors.append(f"{where}: missing `{field}`")
            return
    if not isinstance(u["text"], str) or not u["text"].strip():
        errors.append(f"{where}: empty text")
    bad = [c for c in u["irritants"] if c not in CATEGORIES]
    if bad:
        errors.append(f"{where}: unknown categories {bad}")
    if len(set(u["irritants"])) != len(u["irritants"]):
        errors.append(f"{where}: a category twice")
    if u["sentiment"] not in SENTIMENTS:
        errors.append(f"{where}: unknown sentiment {u['sentiment']!r}")
    seen = set()
    for a in u["aspects"]:
        if not isinstance(a, dict) or a.get("aspect") not in ASPECTS or a.get("polarity") not in POLARITIES:
            errors.append(f"{where}: bad aspect {a!r}")
            continue
        key = (a["aspect"], a["polarity"])
        if key in seen:
            errors.append(f"{where}: aspect {key} twice")
        seen.add(key)
    implied = {a["aspect"].split(".")[0] for a in u["aspects"] if isinstance(a, dict) and a.get("polarity") == "irritant"}
    if implied != set(u["irritants"]):
        errors.append(f"{where}: irritants {sorted(u['irritants'])} but irritant aspects imply {sorted(implied)}")


def check_line(obj, where, errors):
    kind, us = units(obj)
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        errors.append(f"{where}: missing id")
    if obj.get("lang") not in ("fr", "en"):
        errors.append(f"{where}: lang must be fr or en, not {obj.get('lang')!r}")
    if kind == "comment" and obj.get("source") not in SOURCES:
        errors.append(f"{where}: source must be one of {sorted(SOURCES)}, not {obj.get('source')!r}")
    if kind == "transcript":
        if obj.get("channel") not in ("phone", "chat"):
            errors.append(f"{where}: channel must be phone or chat")
        for i, t in enumerate(us):
            if t.get("speaker") not in ("shopper", "staff"):
                errors.append(f"{where} turn {i + 1}: speaker must be shopper or staff")
    if not us:
        errors.append(f"{where}: no {kind} units")
    for i, u in enumerate(us):
        check_unit(u, f"{where} {kind if kind == 'segment' else 'unit ' + str(i + 1)}", errors)


def read(path, errors):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{path}:{n}: not JSON: {e}")
                continue
            if not isinstance(obj, dict):
                errors.append(f"{path}:{n}: not a JSON object")
                continue
            out.append((f"{path}:{n}", obj))
    return out


class NearDuplicates:
    """Word-set Jaccard search with prefix filtering over words sorted by rarity."""

    def __init__(self, threshold):
        self.t = threshold
        self.sets, self.names, self.index = [], [], collections.defaultdict(list)
        self.freq = collections.Counter()

    def prefix(self, ws):
        order = sorted(ws, key=lambda w: (self.freq[w], w))
        keep = len(order) - int(self.t * len(order)) + 1
        return order[:keep]

    def build(self, items):
        for _, ws in items:
            self.freq.update(ws)
        for name, ws in items:
            self.add(name, ws)

    def add(self, name, ws):
        i = len(self.sets)
        self.sets.append(ws)
        self.names.append(name)
        for w in self.prefix(ws):
            self.index[w].append(i)

    def query(self, ws):
        seen = set()
        for w in self.prefix(ws):
            for i in self.index.get(w, ()):
                if i in seen:
                    continue
                seen.add(i)
                other = self.sets[i]
                if len(ws & other) / len(ws | other) > self.t:
                    yield self.names[i]


def corpus_files():
    return sorted(glob.glob(os.path.join(ROOT, "data", "labelled", "**", "*.jsonl"), recursive=True))


def duplicates(new, old, errors):
    """Near-duplicate texts among `new` and between `new` and `old` ((where, obj) lists)."""
    def texts(lines):
        sent, whole = [], []
        for where, obj in lines:
            _, us = units(obj)
            for i, u in enumerate(us):
                if isinstance(u.get("text"), str):
                    sent.append((f"{where} unit {i + 1}", u["text"]))
            if len(us) > 1:
                whole.append((where, " ".join(u.get("text", "") for u in us)))
        return sent, whole

    new_s, new_w = texts(new)
    old_s, old_w = texts(old)
    keys = {}
    new_names = {name for name, _ in new_s}
    for name, t in old_s + new_s:
        ws = words(t)
        if len(ws) < 3:
            continue
        key = "".join(c for c in fold(t) if c.isalnum())
        if key in keys and name in new_names:
            errors.append(f"{name}: same text as {keys[key]}")
        keys.setdefault(key, name)
    for threshold, minimum, old_items, new_items in (
        (SENTENCE_JACCARD, 6, old_s, new_s),
        (WHOLE_JACCARD, 6, old_w, new_w),
    ):
        index = NearDuplicates(threshold)
        old_sets = [(n, words(t)) for n, t in old_items if len(words(t)) >= minimum]
        new_sets = [(n, words(t)) for n, t in new_items if len(words(t)) >= minimum]
        index.build(old_sets + new_sets)
        index.sets, index.names, index.index = [], [], collections.defaultdict(list)
        for n, ws in old_sets:
            index.add(n, ws)
        for n, ws in new_sets:
            hits = [h for h in index.query(ws) if h.split(" unit ")[0] != n.split(" unit ")[0]]
            if hits:
                errors.append(f"{n}: near-duplicate of {hits[0]}")
            index.add(n, ws)


def stats(lines):
    c = collections.Counter()
    aspects = collections.Counter()
    for _, obj in lines:
        kind, us = units(obj)
        c[f"{kind}s"] += 1
        c[f"lang {obj.get('lang')}"] += len(us)
        c[f"source {obj.get('source') or obj.get('channel') or 'segment'}"] += len(us)
        if obj.get("mixed"):
            c["mixed lines"] += 1
        for i, u in enumerate(us):
            c["units"] += 1
            if u.get("needs_context"):
                c["units needing context"] += 1
            if not u.get("aspects"):
                c["units with no aspect"] += 1
            if not u.get("irritants"):
                c["units with no irritant"] += 1
            if len(u.get("irritants", [])) >= 2:
                c["units with two categories"] += 1
            c[f"sentiment {u.get('sentiment')}"] += 1
            for a in u.get("aspects", []):
                aspects[(a.get("aspect"), a.get("polarity"))] += 1
    for k in sorted(c):
        print(f"{k:32} {c[k]:6}")
    print(f"{'aspect':34} {'irritant':>8} {'praise':>7}")
    for a in ASPECTS:
        print(f"{a:34} {aspects[(a, 'irritant')]:8} {aspects[(a, 'praise')]:7}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--stats", action="store_true", help="print counts instead of checking")
    args = p.parse_args()
    errors = []
    new = [x for f in args.files for x in read(f, errors)]
    if args.stats:
        stats(new)
        return
    for where, obj in new:
        check_line(obj, where, errors)
    mine = {os.path.abspath(f) for f in args.files}
    # Files of the corpus that are being written while this runs may end in half a line.
    old = [x for f in corpus_files() if os.path.abspath(f) not in mine for x in read(f, [])]
    ids = collections.Counter(obj.get("id") for _, obj in old + new)
    for where, obj in new:
        if ids[obj.get("id")] > 1:
            errors.append(f"{where}: id {obj.get('id')!r} is used more than once")
    duplicates(new, old, errors)
    for e in errors:
        print(e)
    print(f"{len(new)} lines checked, {len(errors)} problems", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
