//! The output directory as a set of Parquet datasets: one folder per table
//! (`OUT/segments/`, `OUT/comments/`, …) holding part files, and the run's manifest as
//! `OUT/_manifest.json` (Spark, pyarrow and polars skip names starting with `_` or `.`).
//! `spark.read.parquet("OUT/segments")`, `pyarrow.dataset.dataset("OUT/segments")`,
//! polars' `scan_parquet("OUT/segments/**/*.parquet")` and DuckDB's
//! `read_parquet('OUT/segments/**/*.parquet')` each read a table whole.
//!
//! Part files are named `part-NNNNN-RUN_ID.parquet`, so the parts of several runs can sit
//! in one folder (`--append`) and every row carries its `run_id` and `model_id`. With
//! `--partition-by visit_month`, the tables keyed by visit are split Hive-style into
//! `visit_month=YYYY-MM/` folders (`visit_month=unknown` for visits without a date: the
//! null partition of Spark, `__HIVE_DEFAULT_PARTITION__`, is one that pandas cannot read
//! back beside others).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow::array::{Array, ArrayRef, AsArray, StringArray, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use super::parquet_table::TableWriter;

/// The partition of rows whose visit has no date.
pub const NULL_PARTITION: &str = "unknown";

/// How the tables keyed by visit are split into folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PartitionBy {
    /// `visit_month=YYYY-MM`, the month of the visit's `visit_date` in the visits file.
    #[value(name = "visit_month", alias = "visit-month")]
    VisitMonth,
}

impl PartitionBy {
    pub fn column(self) -> &'static str {
        match self {
            PartitionBy::VisitMonth => "visit_month",
        }
    }
}

/// The partition of each visit, for the tables that have a `visit_id` column.
#[derive(Debug, Clone)]
pub struct Partitioning {
    pub by: PartitionBy,
    /// Partition value per visit id; visits not in it get [`NULL_PARTITION`].
    pub of_visit: HashMap<String, String>,
}

/// What every row of a run carries: which run wrote it, with which model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStamp {
    pub run_id: String,
    pub model_id: String,
}

impl RunStamp {
    /// A run id that sorts by start time and differs between runs started in the same
    /// second: `20261201T213501Z-1a2b3c4d`.
    pub fn new_run_id(started: std::time::SystemTime) -> String {
        use sha2::{Digest, Sha256};
        let stamp = humantime::format_rfc3339_seconds(started).to_string().replace(['-', ':'], "");
        let nanos = started.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let digest = Sha256::digest(format!("{nanos}:{}:{host}", std::process::id()).as_bytes());
        let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{stamp}-{suffix}")
    }

    /// Checks a run id given by the user: it names files, so it must be a plain token.
    pub fn check_run_id(id: &str) -> Result<()> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !id.starts_with(['.', '_', '-']);
        if !ok {
            bail!("--run-id {id:?}: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.', '_' or '-'");
        }
        Ok(())
    }
}

/// One table being written into the staging directory: a part file per partition.
pub struct TableSink {
    name: &'static str,
    dir: PathBuf,
    schema: SchemaRef,
    run_id: String,
    partitioning: Option<Arc<Partitioning>>,
    writers: BTreeMap<Option<String>, TableWriter>,
    rows: u64,
}

/// A finished table: its name, rows, and part files relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrittenTable {
    pub table: String,
    pub rows: u64,
    pub files: Vec<String>,
}

impl TableSink {
    /// A sink for `name` under `staging`; `partitioning` applies when the schema has a
    /// `visit_id` column.
    pub fn create(
        staging: &Path,
        name: &'static str,
        schema: SchemaRef,
        stamp: &RunStamp,
        partitioning: Option<Arc<Partitioning>>,
    ) -> Result<Self> {
        let dir = staging.join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let partitioning = partitioning.filter(|_| schema.field_with_name("visit_id").is_ok());
        Ok(TableSink {
            name,
            dir,
            schema,
            run_id: stamp.run_id.clone(),
            partitioning,
            writers: BTreeMap::new(),
            rows: 0,
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    fn writer(&mut self, partition: Option<String>) -> Result<&mut TableWriter> {
        if !self.writers.contains_key(&partition) {
            let dir = match (&partition, &self.partitioning) {
                (Some(value), Some(p)) => self.dir.join(format!("{}={value}", p.by.column())),
                _ => self.dir.clone(),
            };
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join(format!("part-00000-{}.parquet", self.run_id));
            let w = TableWriter::create(&path, self.schema.clone())?;
            self.writers.insert(partition.clone(), w);
        }
        Ok(self.writers.get_mut(&partition).expect("inserted above"))
    }

    /// Appends a batch of the table's schema, split by partition when partitioned.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.rows += batch.num_rows() as u64;
        let Some(p) = self.partitioning.clone() else {
            return self.writer(None)?.write(batch);
        };
        let visits = batch
            .column_by_name("visit_id")
            .and_then(|c| c.as_string_opt::<i32>())
            .context("internal error: a partitioned table without a string visit_id")?;
        let mut rows: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for i in 0..visits.len() {
            let key = p.of_visit.get(visits.value(i)).map(String::as_str).unwrap_or(NULL_PARTITION);
            rows.entry(key).or_default().push(i as u32);
        }
        if rows.len() == 1 {
            let key = rows.into_keys().next().expect("one key").to_string();
            return self.writer(Some(key))?.write(batch);
        }
        for (key, idx) in rows {
            let part = take_record_batch(batch, &UInt32Array::from(idx))?;
            self.writer(Some(key.to_string()))?.write(&part)?;
        }
        Ok(())
    }

    /// Closes every part file (an empty table still gets one, so readers find its
    /// schema) and returns what was written.
    pub fn finish(mut self, out_root: &Path) -> Result<WrittenTable> {
        if self.writers.is_empty() {
            // A partitioned table keeps its layout even empty, so a later --append matches
            // it and readers never meet a part file beside partition folders.
            let partition = self.partitioning.as_ref().map(|_| NULL_PARTITION.to_string());
            self.writer(partition)?;
        }
        let mut files = Vec::new();
        for (_, w) in std::mem::take(&mut self.writers) {
            let path = w.path().to_path_buf();
            w.finish()?;
            let rel = path.strip_prefix(out_root).unwrap_or(&path);
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
        Ok(WrittenTable { table: self.name.to_string(), rows: self.rows, files })
    }
}

/// A column of `n` copies of `value`, stored as a one-entry dictionary would be by
/// Parquet: cheap to build whatever `n`.
pub fn constant_strings(value: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, n)))
}

/// The schema of an existing dataset folder (the first part file found), to check that an
/// appended run writes the same columns.
pub fn existing_schema(table_dir: &Path) -> Result<Option<SchemaRef>> {
    let Some(file) = first_part_file(table_dir)? else { return Ok(None) };
    let f = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .with_context(|| format!("{}: not a Parquet file", file.display()))?;
    Ok(Some(builder.schema().clone()))
}

fn first_part_file(dir: &Path) -> Result<Option<PathBuf>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(['.', '_'])))
        .collect();
    entries.sort();
    for p in &entries {
        if p.is_file() && p.extension().is_some_and(|e| e == "parquet") {
            return Ok(Some(p.clone()));
        }
    }
    for p in &entries {
        if p.is_dir() {
            if let Some(f) = first_part_file(p)? {
                return Ok(Some(f));
            }
        }
    }
    Ok(None)
}

/// Whether the folder is partitioned (holds `NAME=VALUE` folders).
pub fn is_partitioned(table_dir: &Path) -> bool {
    std::fs::read_dir(table_dir)
        .map(|rd| rd.filter_map(|e| e.ok()).any(|e| e.path().is_dir() && e.file_name().to_string_lossy().contains('=')))
        .unwrap_or(false)
}
