"""Writes a probe of names never seen in training: the test-split comments, transcripts and
segments that name an entity of data/entities.tsv, with each such name replaced by another
name of the same kind that no training file contains. Evaluating a model on the probe and
on the same lines unchanged shows how much of what it finds rests on having seen the
names, and what the entity features recover.

    python3 data/scripts/entity_swap.py OUT_DIR
    irritant eval --gold OUT_DIR/original.jsonl --model ...
    irritant eval --gold OUT_DIR/swapped.jsonl --model ...

The choice of replacement is deterministic (SHA-256 of the line id and the name)."""

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "data" / "labelled"
SPLIT_FILES = ["{}.jsonl", "comments/{}.jsonl", "transcripts/{}.jsonl"]


def fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s.lower())
    return "".join(c for c in s if not unicodedata.combining(c)).replace("\u2019", "'")


def entities():
    rows = (ROOT / "data" / "entities.tsv").read_text(encoding="utf-8").splitlines()[1:]
    by_kind = {}
    for row in rows:
        if not row.strip():
            continue
        name, aliases, kind, _markets, _aspect = row.split("\t")
        names = [name] + [a for a in aliases.split("|") if a.strip()]
        by_kind.setdefault(kind, []).append(names)
    return by_kind


def pattern(name: str) -> re.Pattern:
    return re.compile(r"(?<![\w])" + re.escape(fold(name)) + r"(?![\w])")


def texts(line: dict):
    for key in ("sentences", "turns"):
        if key in line:
            return line[key]
    return [line]


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    train = " ".join(fold(t["text"]) for f in SPLIT_FILES for l in (LABELLED / f.format("train")).read_text(encoding="utf-8").splitlines() for t in texts(json.loads(l)))
    by_kind = entities()
    # Every (alias, kind) and, per kind, the entities none of whose names occur in training.
    aliases = sorted(((a, k) for k, ents in by_kind.items() for names in ents for a in names), key=lambda x: -len(x[0]))
    unseen = {k: [names[0] for names in ents if not any(pattern(a).search(train) for a in names)] for k, ents in by_kind.items()}
    originals, swapped, n_names = [], [], 0
    for f in SPLIT_FILES:
        for raw in (LABELLED / f.format("test")).read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            changed = False
            new = json.loads(raw)
            for unit in texts(new):
                text = unit["text"]
                for alias, kind in aliases:
                    if not unseen.get(kind):
                        continue
                    m = re.compile(r"(?<![\w])" + re.escape(alias) + r"(?![\w])", re.IGNORECASE).search(text)
                    if m is None:
                        continue
                    h = int(hashlib.sha256(f"{line['id']}:{alias}".encode()).hexdigest(), 16)
                    text = text[: m.start()] + unseen[kind][h % len(unseen[kind])] + text[m.end() :]
                    changed = True
                    n_names += 1
                    break
                unit["text"] = text
            if changed:
                new["id"] = new["id"] + "~swap"
                originals.append(raw)
                swapped.append(json.dumps(new, ensure_ascii=False))
    (out / "original.jsonl").write_text("\n".join(originals) + "\n", encoding="utf-8")
    (out / "swapped.jsonl").write_text("\n".join(swapped) + "\n", encoding="utf-8")
    kinds = {k: len(v) for k, v in unseen.items()}
    print(f"{len(swapped)} test lines, {n_names} names swapped for names no training file holds (unseen entities per kind: {kinds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
