//! A Parquet file being written batch by batch, with the settings every output shares:
//! zstd compression, dictionary pages for repeated values (free-text columns excepted),
//! row groups of 128Ki rows, and the Arrow schema embedded so Arrow readers get the
//! dictionary (categorical) types back.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

/// Rows per row group.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Columns of free text, whose values rarely repeat: a dictionary would only cost time.
const FREE_TEXT: [&str; 3] = ["text", "raw", "reason"];

/// One output table being written.
pub struct TableWriter {
    writer: ArrowWriter<File>,
    path: PathBuf,
    rows: u64,
}

impl TableWriter {
    /// Creates the file and writes nothing yet.
    pub fn create(path: &Path, schema: SchemaRef) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("irritant {}", env!("CARGO_PKG_VERSION")));
        for name in FREE_TEXT {
            if schema.field_with_name(name).is_ok() {
                props = props.set_column_dictionary_enabled(ColumnPath::from(name), false);
            }
        }
        let writer = ArrowWriter::try_new(file, schema, Some(props.build()))
            .with_context(|| format!("cannot start Parquet file {}", path.display()))?;
        Ok(TableWriter { writer, path: path.to_path_buf(), rows: 0 })
    }

    /// Appends a batch (its schema must be the table's).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).with_context(|| format!("cannot write to {}", self.path.display()))
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the footer and returns the number of rows.
    pub fn finish(self) -> Result<u64> {
        self.writer.close().with_context(|| format!("cannot finish {}", self.path.display()))?;
        Ok(self.rows)
    }
}
