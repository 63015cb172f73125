//! irritant: finds the irritants (customer-journey pain points) and the sentiment in what
//! mystery shoppers and customers write, and writes Parquet tables joined with the
//! mystery-shopping checklist scores.
//!
//! The modules follow the data flow of a run:
//!
//! `ingest` (read comments, checklist and visits as streams of rows) →
//! `normalise` (repair encodings, clean text, detect the language) → `redact` (replace
//! personal data by placeholders) →
//! `segment` (sentences with character offsets) →
//! `classify` (irritant categories and sentiment, with evidence) →
//! `join` (aggregate per comment and per visit, meet the checklist) →
//! `write` (Parquet tables, rejects and manifest, written atomically).
//!
//! `taxonomy` holds the labels of `TAXONOMY.md`, the labelling contract every model and
//! data file follows; `run` drives a whole batch job from a [`run::RunConfig`]; `config`
//! reads its settings from `irritant.toml`; `digest` names inputs and models by their
//! SHA-256; `rng` is the seeded generator of shuffles, bootstrap samples and test data.

pub mod classify;
pub mod config;
pub mod digest;
pub mod error;
pub mod evaluate;
pub mod ingest;
pub mod join;
pub mod normalise;
pub mod redact;
pub mod rng;
pub mod run;
pub mod segment;
pub mod taxonomy;
pub mod write;
