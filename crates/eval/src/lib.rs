//! Stage 4 — evaluation: a typed [`Plan`] in, a [`Run`] out. It reads no experiment file (an `Experiment` is turned
//! into a plan one stage up) and writes nothing (a merge's class probabilities wait in an anonymous spill file,
//! [`stance_core::spill`], which no one else sees).
//!
//! The data flow, one module per job:
//!
//! * [`plan`] — what to run: variants, classifiers, split, kind; grid [`plan::Cell`]s and [`plan::Task`]s;
//! * [`splits`] — folds (stratified k-fold repeated with seeds, leave-one-out, leave-one-group-out, group k-fold, a
//!   fixed split column);
//! * [`fit`] — fitting a feature set on given rows (the only place anything is fitted from data);
//! * [`grid`] — the parallel fit/predict over tasks → out-of-fold predictions;
//! * [`oof`] — one configuration's out-of-fold predicted classes: votes, majority correctness, confusions;
//! * [`store`] — every configuration's out-of-fold predictions until the report is written: classes compactly,
//!   class probabilities in memory or in a spill file;
//! * [`metrics`] — scores from a confusion matrix (rows = gold, columns = predicted) and [`MetricName`];
//! * [`bootstrap`] — replicate scores in typed slots, percentile intervals;
//! * [`permutation`] — the exact paired permutation test, every comparison's verdict;
//! * [`compare`] — ranking, tests against the best, what the data can resolve, warnings;
//! * [`scores`] — per-fold, per-repeat and per-group scores; degenerate and tied predictions;
//! * [`views`] — the ablation and learning-curve arrangements;
//! * [`tune`] — nested cross-validation for parameters given as lists;
//! * [`explain`] — refits on all items and top features;
//! * [`run`](mod@run) — sequences the above into a [`Run`];
//! * [`partition`] — a deterministic share of the grid's tasks per process (a shard), and the grid put back
//!   together from them (the shard files themselves are `stance-shard`'s);
//! * [`system`] — outside systems: predictions made elsewhere, placed in the folds like a configuration's;
//! * [`stats`] — seed derivation (and the test-only stream hook), the cluster bootstrap, McNemar's exact test, the
//!   exact binomial tail, Holm's correction;
//! * [`results`] — the result types `report.json` serialises.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`,
//! `stance-corpus`, `stance-features`, `stance-models`, `stance-behaviour`; never a crate above it.

pub mod bootstrap;
pub mod budget;
pub mod compare;
pub mod explain;
pub mod feasible;
pub mod fit;
pub mod grid;
pub mod metrics;
pub mod oof;
pub mod partition;
pub mod permutation;
pub mod plan;
pub mod results;
pub mod run;
pub mod scores;
pub mod splits;
pub mod stats;
pub mod store;
pub mod system;
pub mod tune;
pub mod views;

pub use metrics::MetricName;
pub use plan::Plan;
pub use run::{run, Run, RunOptions, RunOutput};

use stance_features::FeatureError;
use stance_models::ModelError;

/// Errors of the evaluation layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// Stratified k-fold with more folds than items in the smallest class.
    #[error(
        "k = {k} folds is more than the {count} item(s) of class '{class}': stratified k-fold needs every fold to \
         hold each class; {advice}",
        advice = k_advice(class, *count)
    )]
    KTooLarge {
        /// Requested folds.
        k: usize,
        /// The smallest class.
        class: String,
        /// Its item count.
        count: usize,
    },
    /// Fewer groups than folds.
    #[error("the data has {groups} distinct group(s), too few for {k} folds; choose a smaller k or another grouping")]
    TooFewGroups {
        /// Requested folds.
        k: usize,
        /// Distinct groups.
        groups: usize,
    },
    /// Per-group models: a group has test items in a fold but no training items there.
    #[error(
        "per-group models: group '{group}' has {test} test item(s) in repeat {repeat} fold {fold} but no training \
         items there, so it can have no model; give every group items in every training fold (use stratified-kfold \
         or fixed-split with each group on both sides), or set evaluation.per_group = false"
    )]
    PerGroupNoTraining {
        /// Repeat.
        repeat: usize,
        /// Fold within the repeat.
        fold: usize,
        /// The group.
        group: String,
        /// Its test items in that fold.
        test: usize,
    },
    /// An item has no value for the grouping.
    #[error(
        "item '{item}' has no {by} to group by; choose another evaluation.group or add the column"
    )]
    MissingGroup {
        /// Item id.
        item: String,
        /// Grouping.
        by: String,
    },
    /// Fixed split without a split column.
    #[error("item '{item}' has no train/test role: scheme \"fixed-split\" needs data.split (a column of train/test values)")]
    NoSplitColumn {
        /// Item id.
        item: String,
    },
    /// A fixed split with an empty side.
    #[error("the fixed split has {train} training and {test} test items; both must be non-empty")]
    EmptySplitSide {
        /// Training items.
        train: usize,
        /// Test items.
        test: usize,
    },
    /// A training fold holds fewer than two classes.
    #[error(
        "{fold}: the training rows hold only {} (no {}), so no classifier can be trained; this scheme cannot \
         evaluate this data (e.g. every item of a class shares one holder)",
        present.join(", "),
        missing.join(", ")
    )]
    FoldMissingClasses {
        /// Which fold.
        fold: String,
        /// Classes present.
        present: Vec<String>,
        /// Classes missing.
        missing: Vec<String>,
    },
    /// Fitting a feature set failed.
    #[error("feature set '{config}'")]
    Feature {
        /// Feature set or configuration.
        config: String,
        /// The error.
        source: FeatureError,
    },
    /// Fitting a classifier failed.
    #[error("{config}, {fold}")]
    Model {
        /// Configuration id.
        config: String,
        /// Which fold.
        fold: String,
        /// The error.
        source: ModelError,
    },
    /// An outside system reached the evaluation without its predictions (the caller did not read or run it).
    #[error(
        "system '{system}' has no predictions: its predictions file was not read or its command not run before the \
         evaluation (answer the plan's systems first, `Experiment::answer_systems`)"
    )]
    SystemUnanswered {
        /// The system.
        system: String,
    },
    /// An outside system gave no prediction for an item a fold tests.
    #[error("system '{system}' has no prediction for item #{item}, which a fold tests; give every tested item one")]
    SystemIncomplete {
        /// The system.
        system: String,
        /// The item's index in the data.
        item: usize,
    },
    /// Nested tuning cannot build its inner folds on a training set.
    #[error("{config}, {fold}: {message}")]
    Tuning {
        /// Configuration id.
        config: String,
        /// Which fold (or "all items").
        fold: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The spill file that holds a large run's class probabilities could not be written or read back.
    #[error(transparent)]
    Spill(#[from] stance_core::spill::SpillError),
}

/// What to do about a class smaller than k: a k the parser accepts (at least 2), or, for a class of one item, the
/// ways out that do not involve k.
fn k_advice(class: &str, count: usize) -> String {
    if count >= 2 {
        format!("set evaluation.k to at most {count}, or use scheme = \"leave-one-out\"")
    } else {
        format!(
            "no k can do that with fewer than 2 items: add items of '{class}', leave it out of data.classes, or use \
             scheme = \"leave-one-out\""
        )
    }
}
