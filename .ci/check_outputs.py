"""Checks a run's outputs with DuckDB: every table opens, row counts match the manifest,
and the input rows (counted here with Python's csv module, not by irritant) are all
accounted for as output rows or rejects."""

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
    comments_csv, checklist_csv, visits_csv = sys.argv[2:5]
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

    print(f"{len(failures)} failed" if failures else "all output checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
