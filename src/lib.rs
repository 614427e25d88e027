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
//! let run = stance::eval::run(&exp.plan()?, &data.dataset, &Default::default())?;
//! assert_eq!(run.items.len(), 11);
//! assert_eq!(run.leaderboard.len(), 2);
//! let best = run.configs.iter().find(|c| c.id == run.best).expect("the best is a configuration");
//! assert!((0.0..=1.0).contains(&best.metrics[&stance::eval::MetricName::MacroF1].point));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod behaviour;
pub mod check;
pub mod corpus;
pub mod diag;
pub mod errors;
pub mod eval;
pub mod experiment;
pub mod features;
pub mod models;
pub mod plot;
pub mod predict;
pub mod report;
pub mod shard;
pub mod tunable;
