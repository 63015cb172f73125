//! Helpers shared by the end-to-end tests: running the binary and reading its Parquet
//! outputs back.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use irritant::write::manifest::Manifest;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> String {
    root().join("tests/fixtures").join(name).display().to_string()
}

pub fn sample(name: &str) -> String {
    root().join("data/sample").join(name).display().to_string()
}

pub fn irritant(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_irritant")).args(args).output().expect("the binary runs")
}

pub fn run_ok(args: &[&str]) -> Output {
    let out = irritant(args);
    assert!(out.status.success(), "irritant {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The Parquet files of a table folder (recursively, partitions included), in name order.
pub fn part_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(part_files(&p));
        } else if p.extension().is_some_and(|e| e == "parquet") {
            out.push(p);
        }
    }
    out
}

/// A table: one Parquet file, or every part file of a table folder, concatenated.
pub fn read_table(path: &Path) -> RecordBatch {
    if path.is_dir() {
        let parts: Vec<RecordBatch> = part_files(path).iter().map(|p| read_file(p)).collect();
        assert!(!parts.is_empty(), "{} holds no part file", path.display());
        return arrow::compute::concat_batches(&parts[0].schema(), &parts).unwrap();
    }
    read_file(path)
}

fn read_file(path: &Path) -> RecordBatch {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let schema = batches.first().map(|b| b.schema()).unwrap_or_else(|| {
        ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().schema().clone()
    });
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// A column as optional strings, whatever its (string or dictionary) type.
pub fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let col = batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
    let col = cast(col, &DataType::Utf8).unwrap();
    let s = col.as_string::<i32>();
    (0..s.len()).map(|i| s.is_valid(i).then(|| s.value(i).to_string())).collect()
}

pub fn bools(batch: &RecordBatch, name: &str) -> Vec<bool> {
    let c = batch.column_by_name(name).unwrap().as_boolean();
    (0..c.len()).map(|i| c.value(i)).collect()
}

pub fn i32s(batch: &RecordBatch, name: &str) -> Vec<i32> {
    batch.column_by_name(name).unwrap().as_primitive::<Int32Type>().values().to_vec()
}

pub fn i64s(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let c = batch.column_by_name(name).unwrap().as_primitive::<Int64Type>();
    (0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i))).collect()
}

pub fn manifest(out: &Path) -> Manifest {
    Manifest::read(&out.join("_manifest.json")).expect("_manifest.json")
}

/// Every output file is there, row counts match the manifest, and every record read is
/// accepted or rejected.
pub fn assert_accounts(out: &Path) -> Manifest {
    let m = manifest(out);
    m.check().expect("accounting adds up");
    for o in &m.outputs {
        let t = read_table(&out.join(&o.table));
        assert_eq!(t.num_rows() as u64, o.rows, "{} rows", o.table);
        let listed: HashSet<PathBuf> = o.files.iter().map(|f| out.join(f)).collect();
        let found: HashSet<PathBuf> = part_files(&out.join(&o.table)).into_iter().collect();
        assert_eq!(listed, found, "the manifest lists {}'s part files", o.table);
        for col in irritant::write::schema::RUN_COLUMNS {
            assert!(strings(&t, col).iter().all(|v| v.is_some()), "{}.{col} is set on every row", o.table);
        }
        assert!(strings(&t, "run_id").iter().all(|v| v.as_deref() == Some(m.run_id.as_str())));
    }
    let names: HashSet<String> =
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let mut expected: HashSet<String> = irritant::write::schema::RUN_TABLES.iter().map(|s| s.to_string()).collect();
    expected.extend(["_manifest.json".to_string(), "_runs".to_string()]);
    assert_eq!(names, expected, "exactly the outputs, no temporary file left");
    m
}
