//! # stance — a stance-classification evaluation harness
//!
//! The harness answers "which feature set predicts stance better, by how much, and how sure are we?" on
//! hand-labelled gold data, and guards that answer in CI. This crate is the `stance` binary and a facade over the
//! workspace's layers (`crates/*`), re-exported under one name. The pipeline, one crate per stage, each using only
//! the ones above it in this list:
//!
//! 1. [`corpus`] — seeds, gold labels (checked against the seeds byte for byte), any labelled CSV;
//! 2. [`features`] — extractors validated once, fitted on training folds only;
//! 3. [`models`] — classifiers behind one fit/predict interface: the project's own sparse linear solvers (behind
//!    linfa's `Fit`/`Predict` traits), linfa-trees' decision tree, baselines;
//! 4. [`eval`] — splitters, the parallel deterministic grid, metrics, bootstrap intervals, significance;
//! 5. [`report`] and `plot` — JSON, CSV, Markdown and PNG written atomically; [`check`] — the CI gate.
//!
//! [`experiment`] reads the TOML files that declare a run. The library never prints and never exits: the `stance`
//! binary does both. [`shard`] splits a run over processes (`stance run --shard`) and merges it (`stance merge`).
//!
//! ```
//! use stance::experiment::Experiment;
//!
//! // Support vs oppose on the bundled gold sentences: one feature set, one model and a baseline.
//! let exp = Experiment::from_source(
//!     r#"
//!     name = "example"
//!     seed = 1
//!     bootstrap = 0
//!     [data]
//!     source = "gold"
//!     classes = ["support", "oppose"]
//!     [evaluation]
//!     scheme = "stratified-kfold"
//!     k = 3
//!     [[features]]
//!     name = "lexicon"
//!     extractors = [{ type = "lexicon" }]
//!     [[classifiers]]
//!     type = "naive-bayes"
//!     [[classifiers]]
//!     type = "majority"
//!     "#,
//!     None,
//! )?;
//! let data = exp.load_data()?;
//! let run = stance::eval::run(&exp.plan()?, &data.dataset, &Default::default())?.run;
//! assert_eq!(run.items.len(), 11);
//! assert_eq!(run.leaderboard.len(), 2);
//! let best = run.configs.iter().find(|c| c.id == run.best).expect("the best is a configuration");
//! assert!((0.0..=1.0).contains(&best.metrics[&stance::eval::MetricName::MacroF1].point));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub use stance_core::{atomic, diag, errors, outputs, tunable};

pub use stance_behaviour as behaviour;
pub use stance_charts as charts;
pub use stance_check as check;
pub use stance_core as core;
pub use stance_corpus as corpus;
pub use stance_diff as diff;
pub use stance_embed as embed;
pub use stance_eval as eval;
pub use stance_experiment as experiment;
pub use stance_features as features;
pub use stance_models as models;
pub use stance_predict as predict;
pub use stance_report as report;
pub use stance_results as results;
pub use stance_shard as shard;
