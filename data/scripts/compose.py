#!/usr/bin/env python3
"""Turns labelled text in the compact authoring format into the JSON Lines shapes of
TAXONOMY.md (comments and transcripts), deriving `irritants` from the irritant aspects so
that the rule "irritants = categories of irritant aspects" holds by construction.

    python3 data/scripts/compose.py SOURCE.txt OUT.jsonl

The format, one unit (sentence or turn) a line, a header before each comment or transcript:

    ## c-frrev-0001 fr review food_delivery            (comment: id lang source sector [mixed])
    commande passée sur uber eats a 20h | neu |
    le livreur a mis 1h15 et tout etait froid | neg | delivery-
    bon au moins le resto avait bien emballé | pos | online_order+ | ctx

    ## t-ph-0001 fr phone bank asr                     (transcript: id lang channel sector [asr])
    staff: banque horizon bonjour | neu |
    shopper: euh oui bonjour ça fait vingt minutes que j'attends | neg | remote_contact-

Fields are separated by " | ": the text, the sentiment (neg, neu, pos), the aspects (the
part after the dot in data/taxonomy.json, `-` for irritant, `+` for praise, space
separated), and `ctx` when the labels cannot be decided without the units before.
Lines starting with a single `#` are notes and are skipped. Errors name the line.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAXONOMY = json.load(open(os.path.join(ROOT, "data", "taxonomy.json"), encoding="utf-8"))
BY_SHORT = {a["name"].split(".", 1)[1]: a["name"] for a in TAXONOMY["aspects"]}
SENTIMENT = {"neg": "negative", "neu": "neutral", "pos": "positive"}
UNIT = re.compile(r"^(?:(shopper|staff): )?(.*?) \| (neg|neu|pos) \|(.*)$")


def compose(lines):
    out, current, errors = [], None, []
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\n").strip()
        if not line or (line.startswith("#") and not line.startswith("##")):
            continue
        if line.startswith("##"):
            f = line[2:].split()
            if len(f) < 4:
                errors.append(f"line {n}: header needs id, lang, source or channel, sector")
                continue
            current = {"id": f[0], "lang": f[1]}
            if f[2] in ("phone", "chat"):
                current.update(channel=f[2], sector=f[3], turns=[])
                if "asr" in f[4:]:
                    current["asr"] = True
            else:
                current.update(source=f[2], sector=f[3], sentences=[])
            if "mixed" in f[4:]:
                current["mixed"] = True
            out.append(current)
            continue
        m = UNIT.match(line)
        if current is None or not m:
            errors.append(f"line {n}: not a unit line (TEXT | neg/neu/pos | aspects [| ctx]): {line[:80]}")
            continue
        speaker, text, sent, rest = m.groups()
        parts = [p.strip() for p in rest.split("|")]
        codes, flags = parts[0].split(), parts[1:]
        aspects = []
        for code in codes:
            short, pol = code[:-1], code[-1:]
            if short not in BY_SHORT or pol not in "+-":
                errors.append(f"line {n}: unknown aspect code {code!r}")
                continue
            aspects.append({"aspect": BY_SHORT[short], "polarity": "irritant" if pol == "-" else "praise"})
        irritants = []
        for a in aspects:
            cat = a["aspect"].split(".")[0]
            if a["polarity"] == "irritant" and cat not in irritants:
                irritants.append(cat)
        order = TAXONOMY["categories"]
        unit = {"text": text.strip(), "irritants": sorted(irritants, key=order.index),
                "sentiment": SENTIMENT[sent], "aspects": aspects}
        if any(f not in ("ctx", "") for f in flags):
            errors.append(f"line {n}: unknown flag in {flags}")
        if "ctx" in flags:
            unit["needs_context"] = True
        if "turns" in current:
            if not speaker:
                errors.append(f"line {n}: a transcript turn starts with `shopper: ` or `staff: `")
                continue
            unit = {"speaker": speaker, **unit}
            current["turns"].append(unit)
        else:
            current["sentences"].append(unit)
    return out, errors


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, errors = compose(open(sys.argv[1], encoding="utf-8"))
    for e in errors:
        print(f"{sys.argv[1]}: {e}")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    print(f"{len(out)} lines written to {sys.argv[2]}, {len(errors)} problems", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
