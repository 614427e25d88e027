//! # stance — a stance-classification evaluation harness
//!
//! The harness answers "which feature set predicts stance better, by how much, and how sure are we?" on
//! hand-labelled gold data, and guards that answer in CI. The pipeline, one module per stage:
//!
//! 1. [`corpus`] — seeds, gold labels (checked against the seeds byte for byte), any labelled CSV;
//! 2. [`features`] — extractors validated once, fitted on training folds only;
//! 3. [`models`] — linfa classifiers and baselines behind one fit/predict interface;
//! 4. [`eval`] — splitters, the parallel deterministic grid, metrics, bootstrap intervals, significance;
//! 5. [`report`] and [`plot`] — JSON, CSV, Markdown and PNG written atomically; [`check`] — the CI gate.
//!
//! [`experiment`] reads the TOML files that declare a run. The library never prints and never exits: the `stance`
//! binary does both.
#![deny(missing_docs)]

pub mod check;
pub mod corpus;
pub mod diag;
pub mod eval;
pub mod experiment;
pub mod features;
pub mod models;
pub mod plot;
pub mod predict;
pub mod report;
