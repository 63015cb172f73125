"""Checks a run's outputs with DuckDB: every table opens, row counts match the manifest,
and the input records (counted here with Python, not by irritant) are all accounted for
as output rows or rejects."""

import csv
import json
import sys
from pathlib import Path

import duckdb


def count_csv_rows(path: str) -> int:
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def main() -> int:
    out = Path(sys.argv[1])
    comments_csv, checklist_csv, visits_csv, transcripts_dir = sys.argv[2:6]
    manifest = json.loads((out / "manifest.json").read_text())
    con = duckdb.connect()
    failures = []

    def check(ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    rows = {}
    for o in manifest["outputs"]:
        path = out / o["file"]
        n = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
        rows[o["file"]] = n
        check(n == o["rows"], f"{o['file']}: DuckDB reads {n} rows, manifest says {o['rows']}")

    def rejected(kind: str) -> int:
        return con.execute(
            f"SELECT count(*) FROM read_parquet('{out / 'rejects.parquet'}') WHERE input = ?", [kind]
        ).fetchone()[0]

    n_comments = count_csv_rows(comments_csv)
    check(
        n_comments == rows["comments.parquet"] + rejected("comments"),
        f"comments: {n_comments} input rows = {rows['comments.parquet']} in comments.parquet + {rejected('comments')} rejected",
    )
    n_checklist = count_csv_rows(checklist_csv)
    check(
        n_checklist == rows["checklist.parquet"] + rejected("checklist"),
        f"checklist: {n_checklist} input rows = {rows['checklist.parquet']} in checklist.parquet + {rejected('checklist')} rejected",
    )
    n_visits = count_csv_rows(visits_csv)
    in_visits = con.execute(
        f"SELECT count(*) FROM read_parquet('{out / 'visits.parquet'}') WHERE has_metadata"
    ).fetchone()[0]
    check(
        n_visits == in_visits + rejected("visits"),
        f"visits: {n_visits} input rows = {in_visits} visits with metadata + {rejected('visits')} rejected",
    )
    # Transcripts: one record per non-blank JSONL line, one per text, WebVTT or SRT file.
    n_transcripts = 0
    for f in sorted(Path(transcripts_dir).iterdir()):
        if f.suffix == ".jsonl":
            n_transcripts += sum(1 for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
        elif f.suffix in (".txt", ".vtt", ".srt"):
            n_transcripts += 1
    accepted = con.execute(
        f"SELECT count(DISTINCT transcript_id) FROM read_parquet('{out / 'turns.parquet'}')"
    ).fetchone()[0]
    check(
        n_transcripts == accepted + rejected("transcripts"),
        f"transcripts: {n_transcripts} input records = {accepted} in turns.parquet + {rejected('transcripts')} rejected",
    )
    turn_visits = con.execute(
        f"""SELECT count(*) FROM (SELECT visit_id, count(DISTINCT transcript_id) n
            FROM read_parquet('{out / 'turns.parquet'}') GROUP BY visit_id) t
            JOIN read_parquet('{out / 'visits.parquet'}') v USING (visit_id) WHERE v.n_transcripts <> t.n"""
    ).fetchone()[0]
    check(turn_visits == 0, "visits.n_transcripts matches turns.parquet for every visit")

    for kind, acc in manifest["accounting"].items():
        check(acc["read"] == acc["accepted"] + acc["rejected"], f"manifest {kind}: {acc}")

    segs = con.execute(
        f"""SELECT count(*) FROM read_parquet('{out / 'segments.parquet'}') s
            JOIN read_parquet('{out / 'comments.parquet'}') c USING (comment_id)
            WHERE substr(c.text, s.char_start + 1, s.char_end - s.char_start) <> s.text"""
    ).fetchone()[0]
    check(segs == 0, f"segment offsets slice the comment text in DuckDB ({segs} mismatches)")
    per_comment = con.execute(
        f"""SELECT count(*) FROM read_parquet('{out / 'comments.parquet'}') c
            WHERE n_segments <> (SELECT count(*) FROM read_parquet('{out / 'segments.parquet'}') s
                                 WHERE s.comment_id = c.comment_id)"""
    ).fetchone()[0]
    check(per_comment == 0, "n_segments matches segments.parquet for every comment")

    seg, turn, asp = (out / "segments.parquet", out / "turns.parquet", out / "aspects.parquet")
    listed = con.execute(
        f"""SELECT (SELECT coalesce(sum(len(aspects)), 0) FROM read_parquet('{seg}'))
                 + (SELECT coalesce(sum(len(aspects)), 0) FROM read_parquet('{turn}'))"""
    ).fetchone()[0]
    check(listed == rows["aspects.parquet"], f"aspects.parquet has one row per listed aspect ({listed})")
    check(listed > 0, "the default model finds aspects in the sample data")
    rule = con.execute(
        f"""SELECT count(*) FROM read_parquet('{seg}') s
            WHERE list_sort(irritants) <> list_sort(list_distinct(coalesce(
                list_transform(list_filter(aspects, lambda a: a.polarity = 'irritant'), lambda a: a.category),
                []::VARCHAR[])))"""
    ).fetchone()[0]
    check(rule == 0, f"every segment's categories are those of its irritant aspects ({rule} breaks)")
    joined = con.execute(
        f"""SELECT count(*) FROM read_parquet('{asp}') a
            LEFT JOIN read_parquet('{seg}') s USING (comment_id, segment_index)
            WHERE a.source = 'comment' AND s.comment_id IS NULL"""
    ).fetchone()[0]
    check(joined == 0, "aspects.parquet rows of comments join segments.parquet")

    print(f"{len(failures)} failed" if failures else "all output checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
