//! Stage 4 — evaluation: splitters, the parallel deterministic grid, metrics, bootstrap intervals and tests.
//!
//! * [`splits`] builds folds (stratified k-fold repeated with seeds, leave-one-out, leave-one-group-out, group
//!   k-fold, a fixed split column);
//! * [`runner`] runs the grid and assembles a [`results::RunReport`];
//! * [`metrics`] computes scores from a confusion matrix (rows = gold, columns = predicted);
//! * [`stats`] holds the bootstrap, McNemar's exact test, Holm's correction and seed derivation.

pub mod metrics;
pub mod results;
pub mod runner;
pub mod splits;
pub mod stats;

pub use results::{RunReport, Timings};
pub use runner::{run, RunOptions};

use crate::features::FeatureError;
use crate::models::ModelError;

/// Errors of the evaluation layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// Stratified k-fold with more folds than items in the smallest class.
    #[error(
        "k = {k} folds is more than the {count} item(s) of class '{class}': stratified k-fold needs every fold to \
         hold each class; set evaluation.k to at most {count}, or use scheme = \"leave-one-out\""
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
    #[error("feature set '{config}': {source}")]
    Feature {
        /// Feature set or configuration.
        config: String,
        /// The error.
        source: FeatureError,
    },
    /// Fitting a classifier failed.
    #[error("{config}, {fold}: {source}")]
    Model {
        /// Configuration id.
        config: String,
        /// Which fold.
        fold: String,
        /// The error.
        source: ModelError,
    },
}
