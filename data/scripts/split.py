#!/usr/bin/env python3
"""Adds labelled lines to the corpus, each in the split that the hash of its id decides,
so that a whole comment or transcript stays in one split and adding lines never moves
the ones already there.

    python3 data/scripts/split.py FILE...

Each line goes, by its shape, to data/labelled/{split}.jsonl (segments),
data/labelled/comments/{split}.jsonl or data/labelled/transcripts/{split}.jsonl. A line
whose id is already in the corpus replaces it (in whatever split it was). The split is
SHA-256 of `irritant-split-v1:<id>` read as a big-endian integer, modulo 100: below 70
train, below 85 dev, else test (tests/corpus.rs checks every line against it).
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LABELLED = os.path.join(ROOT, "data", "labelled")
SPLITS = ("train", "dev", "test")
FOLDERS = {"segment": "", "comment": "comments", "transcript": "transcripts"}


def split_of(unit_id):
    h = int.from_bytes(hashlib.sha256(f"irritant-split-v1:{unit_id}".encode()).digest(), "big") % 100
    return "train" if h < 70 else "dev" if h < 85 else "test"


def shape(obj):
    return "comment" if "sentences" in obj else "transcript" if "turns" in obj else "segment"


def path(kind, split):
    return os.path.join(LABELLED, FOLDERS[kind], f"{split}.jsonl")


def read(p):
    if not os.path.exists(p):
        return []
    return [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    corpus = {k: {} for k in FOLDERS}  # kind -> id -> line, in corpus order
    for kind in FOLDERS:
        for s in SPLITS:
            for obj in read(path(kind, s)):
                corpus[kind][obj["id"]] = obj
    added = replaced = 0
    for f in sys.argv[1:]:
        for obj in read(f):
            bucket = corpus[shape(obj)]
            replaced += obj["id"] in bucket
            added += obj["id"] not in bucket
            bucket[obj["id"]] = obj
    for kind, lines in corpus.items():
        if not lines:
            continue
        os.makedirs(os.path.dirname(path(kind, "train")), exist_ok=True)
        out = {s: [] for s in SPLITS}
        for obj in lines.values():
            out[split_of(obj["id"])].append(obj)
        for s, objs in out.items():
            tmp = path(kind, s) + ".tmp"
            with open(tmp, "w", encoding="utf-8") as w:
                for obj in objs:
                    w.write(json.dumps(obj, ensure_ascii=False) + "\n")
            os.replace(tmp, path(kind, s))
    print(f"{added} lines added, {replaced} replaced", file=sys.stderr)


if __name__ == "__main__":
    main()
