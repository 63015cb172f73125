#!/usr/bin/env python3
"""The style profile of labelled text, measured the way ../shared/REAL_TEXT.md measures
real customer text: length (median, 90th percentile, in characters), share entirely
lower-case, share without final punctuation, share with an @mention or #hashtag, share
with repeated `!!` or `??`.

    python3 data/scripts/profile.py [FILE...]     (default: every file of data/labelled/)

Rows: whole comments per source style and language (a comment's sentences joined by a
space), all sentences of comments, lone segments, and transcript turns.
"""
import collections
import glob
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_labelled import corpus_files, read, units  # noqa: E402


def profile(texts):
    lengths = sorted(len(t) for t in texts)
    letters = lambda t: [c for c in t if c.isalpha()]
    lower = sum(1 for t in texts if letters(t) and all(c.islower() for c in letters(t)))
    no_final = sum(1 for t in texts if not re.search(r"[.!?…)\]]\s*$|[\U0001F300-\U0001FAFF]\s*$", t.strip()))
    tags = sum(1 for t in texts if re.search(r"(^|\s)[@#]\w", t))
    repeated = sum(1 for t in texts if re.search(r"!!|\?\?", t))
    n = len(texts)
    pct = lambda k: f"{100 * k / n:.0f}%"
    p90 = lengths[min(n - 1, int(0.9 * n))]
    return f"| {n:,} | {statistics.median(lengths):.0f} | {p90} | {pct(lower)} | {pct(no_final)} | {pct(tags)} | {pct(repeated)} |"


def main():
    files = sys.argv[1:] or corpus_files()
    groups = collections.defaultdict(list)
    for f in files:
        for _, obj in read(f, []):
            kind, us = units(obj)
            texts = [u["text"] for u in us]
            if kind == "comment":
                groups[f"comments, {obj['source']}, {obj['lang']}, whole"].append(" ".join(texts))
                groups["comment sentences, all"].extend(texts)
            elif kind == "transcript":
                groups[f"transcript turns, {obj['channel']}{' (speech-to-text)' if obj.get('asr') else ''}"].extend(texts)
            else:
                groups["lone segments (corpus v1)"].extend(texts)
    print("| collection | texts | median length | 90th percentile | all lower-case | no final punctuation | @mention or #hashtag | repeated `!!`/`??` |")
    print("|---|---|---|---|---|---|---|---|")
    for name in sorted(groups):
        print(f"| {name} {profile(groups[name])}")


if __name__ == "__main__":
    main()
