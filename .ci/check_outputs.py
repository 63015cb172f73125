"""Checks irritant's outputs with the readers data teams use, none of them irritant's own:
DuckDB, pyarrow datasets, polars, pandas and a local Spark (local[2]).

    check_outputs.py OUT COMMENTS_CSV CHECKLIST_CSV VISITS_CSV TRANSCRIPTS_DIR COMBINED

OUT is one run on the sample data. Every table folder is read whole by each reader: row
counts must match the manifest, the types must be the ones every reader takes as they are
(signed integers, dates, UTC timestamps, plain strings), and `n_physical - n_digital` must
come out the same, negative where it should, in each. The input records (counted here
with Python) must all be accounted for as output rows or rejects.

COMBINED is a folder that two runs wrote into (the second with --append, both with
--partition-by visit_month): each reader must read it as one dataset per table, with the
`visit_month` partition column, and tell the two runs apart by `run_id`.
"""

import csv
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

TABLES = ["segments", "turns", "aspects", "comments", "visits", "checklist", "rejects"]
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def count_csv_rows(path: str) -> int:
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def glob(out: Path, table: str) -> str:
    return f"{out / table}/**/*.parquet"


def check_arrow_types(table: str, schema: pa.Schema) -> None:
    """Signed integers, no dictionary, dates and UTC timestamps where expected."""

    def walk(name: str, t: pa.DataType):
        yield name, t
        if pa.types.is_list(t):
            yield from walk(name + "[]", t.value_type)
        elif pa.types.is_struct(t):
            for sub in t:
                yield from walk(f"{name}.{sub.name}", sub.type)

    bad = [
        f"{name}: {t}"
        for f in schema
        for name, t in walk(f.name, f.type)
        if pa.types.is_unsigned_integer(t) or pa.types.is_dictionary(t)
    ]
    check(not bad, f"pyarrow: {table} has no unsigned or dictionary column {bad}")
    if table == "visits":
        check(schema.field("visit_date").type == pa.date32(), "pyarrow: visits.visit_date is a date")
    if table == "comments":
        t = schema.field("created_at").type
        check(pa.types.is_timestamp(t) and t.unit == "us" and t.tz == "UTC", f"pyarrow: comments.created_at is {t}")
    for col in ("run_id", "model_id"):
        check(schema.field(col).type == pa.string(), f"pyarrow: {table}.{col} is a string")


def check_run(out: Path, comments_csv: str, checklist_csv: str, visits_csv: str, transcripts_dir: str, spark) -> None:
    manifest = json.loads((out / "_manifest.json").read_text())
    rows = {o["table"]: o["rows"] for o in manifest["outputs"]}
    check(set(rows) == set(TABLES), f"the manifest lists the seven tables {sorted(rows)}")
    check(not (out / "manifest.json").exists(), "no manifest beside the tables (Spark and pyarrow would read it)")
    con = duckdb.connect()

    for table in TABLES:
        n_duck = con.execute(f"SELECT count(*) FROM read_parquet('{glob(out, table)}')").fetchone()[0]
        dataset = ds.dataset(out / table, format="parquet", partitioning="hive")
        n_arrow = dataset.count_rows()
        n_polars = pl.scan_parquet(glob(out, table)).select(pl.len()).collect().item()
        n_pandas = len(pd.read_parquet(out / table))
        n_spark = spark.read.parquet(str(out / table)).count()
        counts = [n_duck, n_arrow, n_polars, n_pandas, n_spark]
        check(
            all(n == rows[table] for n in counts),
            f"{table}: DuckDB, pyarrow, polars, pandas, Spark read {counts} rows; manifest {rows[table]}",
        )
        check_arrow_types(table, dataset.schema)
        run_ids = con.execute(f"SELECT DISTINCT run_id FROM read_parquet('{glob(out, table)}')").fetchall()
        check(
            rows[table] == 0 or run_ids == [(manifest["run_id"],)],
            f"{table}: every row carries the run's run_id",
        )

    # Types as each reader sees them, and the arithmetic that used to wrap around.
    visits = glob(out, "visits")
    exact = [
        r[0]
        for r in con.execute(
            f"SELECT n_physical - n_digital FROM read_parquet('{visits}') ORDER BY visit_id"
        ).fetchall()
    ]
    check(min(exact) < 0, f"DuckDB: n_physical - n_digital goes below 0 ({min(exact)}) without an error")
    pl_df = pl.read_parquet(visits).sort("visit_id")
    check(
        pl_df.schema["n_physical"] == pl.Int32 and pl_df.schema["visit_date"] == pl.Date,
        f"polars: n_physical {pl_df.schema['n_physical']}, visit_date {pl_df.schema['visit_date']}",
    )
    check(
        not any(isinstance(t, pl.Categorical) for t in pl_df.schema.values()),
        "polars: no categorical column (joins to plain strings work)",
    )
    check(
        (pl_df["n_physical"] - pl_df["n_digital"]).to_list() == exact,
        "polars: n_physical - n_digital equals DuckDB's",
    )
    pd_df = pd.read_parquet(out / "visits").sort_values("visit_id")
    check(str(pd_df["n_physical"].dtype) == "int32", f"pandas: n_physical is {pd_df['n_physical'].dtype}")
    check(
        not any(isinstance(t, pd.CategoricalDtype) for t in pd_df.dtypes),
        "pandas: no categorical column",
    )
    check(
        (pd_df["n_physical"] - pd_df["n_digital"]).tolist() == exact,
        "pandas: n_physical - n_digital equals DuckDB's",
    )
    pd_comments = pd.read_parquet(out / "comments")
    check(
        str(pd_comments["created_at"].dtype).startswith("datetime64[us, UTC]"),
        f"pandas: comments.created_at is {pd_comments['created_at'].dtype}",
    )
    sdf = spark.read.parquet(str(out / "visits"))
    types = dict(sdf.dtypes)
    check(
        types["n_physical"] == "int" and types["visit_date"] == "date" and types["first_staff_answer_ms"] == "bigint",
        f"Spark: n_physical {types['n_physical']}, visit_date {types['visit_date']}, first_staff_answer_ms {types['first_staff_answer_ms']}",
    )
    check(
        dict(spark.read.parquet(str(out / "comments")).dtypes)["created_at"] == "timestamp",
        "Spark: comments.created_at is a timestamp",
    )
    spark_diff = [
        r[0] for r in sdf.selectExpr("n_physical - n_digital AS d", "visit_id").orderBy("visit_id").collect()
    ]
    check(spark_diff == exact, "Spark: n_physical - n_digital equals DuckDB's")

    # Every input record is an output row or a reject.
    def rejected(kind: str) -> int:
        return con.execute(
            f"SELECT count(*) FROM read_parquet('{glob(out, 'rejects')}') WHERE input = ?", [kind]
        ).fetchone()[0]

    n_comments = count_csv_rows(comments_csv)
    check(
        n_comments == rows["comments"] + rejected("comments"),
        f"comments: {n_comments} input rows = {rows['comments']} rows + {rejected('comments')} rejected",
    )
    n_checklist = count_csv_rows(checklist_csv)
    check(
        n_checklist == rows["checklist"] + rejected("checklist"),
        f"checklist: {n_checklist} input rows = {rows['checklist']} rows + {rejected('checklist')} rejected",
    )
    n_visits = count_csv_rows(visits_csv)
    in_visits = con.execute(f"SELECT count(*) FROM read_parquet('{visits}') WHERE has_metadata").fetchone()[0]
    check(
        n_visits == in_visits + rejected("visits"),
        f"visits: {n_visits} input rows = {in_visits} visits with metadata + {rejected('visits')} rejected",
    )
    n_transcripts = 0
    for f in sorted(Path(transcripts_dir).iterdir()):
        if f.suffix == ".jsonl":
            n_transcripts += sum(1 for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
        elif f.suffix in (".txt", ".vtt", ".srt"):
            n_transcripts += 1
    turns = glob(out, "turns")
    accepted = con.execute(f"SELECT count(DISTINCT transcript_id) FROM read_parquet('{turns}')").fetchone()[0]
    check(
        n_transcripts == accepted + rejected("transcripts"),
        f"transcripts: {n_transcripts} input records = {accepted} in turns + {rejected('transcripts')} rejected",
    )
    for kind, acc in manifest["accounting"].items():
        check(acc["read"] == acc["accepted"] + acc["rejected"], f"manifest {kind}: {acc}")

    # Tallies and joins across tables.
    mismatched = con.execute(
        f"""SELECT count(*) FROM (SELECT visit_id, count(DISTINCT transcript_id) n
            FROM read_parquet('{turns}') GROUP BY visit_id) t
            JOIN read_parquet('{visits}') v USING (visit_id) WHERE v.n_transcripts <> t.n"""
    ).fetchone()[0]
    check(mismatched == 0, "visits.n_transcripts matches turns for every visit")
    seg, com, asp = glob(out, "segments"), glob(out, "comments"), glob(out, "aspects")
    tallies = con.execute(
        f"""WITH s AS (SELECT visit_id, count(*) n, count(*) FILTER (WHERE phygital_bridge) p
                       FROM (SELECT visit_id, phygital_bridge FROM read_parquet('{seg}')
                             UNION ALL SELECT visit_id, phygital_bridge FROM read_parquet('{turns}'))
                       GROUP BY visit_id)
            SELECT count(*) FROM read_parquet('{visits}') v LEFT JOIN s USING (visit_id)
            WHERE v.n_segments <> coalesce(s.n, 0) OR v.n_phygital_bridge <> coalesce(s.p, 0)
               OR (list_contains(v.irritants, 'phygital_bridge') <> (coalesce(s.p, 0) > 0))"""
    ).fetchone()[0]
    check(tallies == 0, f"visits' tallies count comment and transcript sentences alike ({tallies} visits differ)")
    channels = con.execute(f"SELECT count(*) FROM read_parquet('{turns}') WHERE channel IS NOT NULL").fetchone()[0]
    check(channels > 0, f"turns carry the transcripts' channel ({channels} rows)")
    segs = con.execute(
        f"""SELECT count(*) FROM read_parquet('{seg}') s JOIN read_parquet('{com}') c USING (comment_id)
            WHERE substr(c.text, s.char_start + 1, s.char_end - s.char_start) <> s.text"""
    ).fetchone()[0]
    check(segs == 0, f"segment offsets slice the comment text in DuckDB ({segs} mismatches)")
    listed = con.execute(
        f"""SELECT (SELECT coalesce(sum(len(aspects)), 0) FROM read_parquet('{seg}'))
                 + (SELECT coalesce(sum(len(aspects)), 0) FROM read_parquet('{turns}'))"""
    ).fetchone()[0]
    check(listed == rows["aspects"] and listed > 0, f"aspects has one row per listed aspect ({listed})")
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
    check(joined == 0, "aspects rows of comments join segments")


def check_combined(out: Path, spark) -> None:
    runs = {}
    for f in sorted((out / "_runs").glob("*.json")):
        m = json.loads(f.read_text())
        runs[m["run_id"]] = {o["table"]: o["rows"] for o in m["outputs"]}
    check(len(runs) == 2, f"{out}: _runs keeps both runs' manifests ({sorted(runs)})")
    con = duckdb.connect()
    for table in TABLES:
        expect = {r: rows[table] for r, rows in runs.items() if rows[table] > 0}
        duck = dict(
            con.execute(
                f"SELECT run_id, count(*) FROM read_parquet('{glob(out, table)}', hive_partitioning = true) GROUP BY run_id"
            ).fetchall()
        )
        arrow = (
            ds.dataset(out / table, format="parquet", partitioning="hive")
            .to_table(columns=["run_id"])
            .group_by("run_id")
            .aggregate([("run_id", "count")])
            .to_pylist()
        )
        arrow = {r["run_id"]: r["run_id_count"] for r in arrow}
        polars = dict(
            pl.scan_parquet(glob(out, table), hive_partitioning=True)
            .group_by("run_id")
            .len()
            .collect()
            .iter_rows()
        )
        pandas = pd.read_parquet(out / table).groupby("run_id").size().to_dict()
        spark_counts = {r[0]: r[1] for r in spark.read.parquet(str(out / table)).groupBy("run_id").count().collect()}
        check(
            duck == arrow == polars == pandas == spark_counts == expect,
            f"{table}: rows per run_id in DuckDB, pyarrow, polars, pandas, Spark = the runs' manifests {expect}",
        )
    months = spark.read.parquet(str(out / "segments")).select("visit_month").distinct().count()
    check(months > 1, f"Spark reads the visit_month partitions of segments ({months} months)")
    months_duck = con.execute(
        f"SELECT count(DISTINCT visit_month) FROM read_parquet('{glob(out, 'visits')}', hive_partitioning = true)"
    ).fetchone()[0]
    check(months_duck > 1, f"DuckDB reads the visit_month partitions of visits ({months_duck} months)")


def main() -> int:
    out, comments_csv, checklist_csv, visits_csv, transcripts_dir, combined = sys.argv[1:7]
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("irritant-check-outputs")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        check_run(Path(out), comments_csv, checklist_csv, visits_csv, transcripts_dir, spark)
        check_combined(Path(combined), spark)
    finally:
        spark.stop()
    print(f"{len(failures)} failed" if failures else "all output checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
