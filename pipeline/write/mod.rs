//! Writing results: the table schemas (one place, used by the writers, by
//! `irritant schema` and by the README), Parquet writers, the manifest, and the atomic
//! file handling that makes a failed run leave no half-written output.

pub mod atomic;
pub mod dataset;
pub mod manifest;
pub mod parquet_table;
pub mod schema;
pub mod tables;
