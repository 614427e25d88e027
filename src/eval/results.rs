//! The results of a run as data: what `report.json` holds and every report renders from.
//!
//! Nothing here is recomputed by the renderers. Timings live in [`Timings`], written to their own file, so two
//! runs with the same inputs give byte-identical result files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::experiment::ExperimentFile;

/// Version of the `report.json` schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A point estimate with its bootstrap percentile interval (absent when the experiment sets `bootstrap = 0`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The value on the pooled out-of-fold predictions.
    pub point: f64,
    /// Lower bound of the interval.
    pub lower: Option<f64>,
    /// Upper bound of the interval.
    pub upper: Option<f64>,
}

impl Estimate {
    /// Interval width, when there is an interval.
    pub fn width(&self) -> Option<f64> {
        Some(self.upper? - self.lower?)
    }
}

/// The harness that produced the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarnessInfo {
    /// Crate version.
    pub version: String,
    /// Git commit of the working tree, when known (`+dirty` when it had uncommitted changes).
    pub git_commit: Option<String>,
}

/// The experiment, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentInfo {
    /// Its name.
    pub name: String,
    /// The file it came from (or the built-in default).
    pub source: String,
    /// sha256 of the experiment's bytes.
    pub sha256: String,
    /// Fingerprint of what defines the measurement (data, evaluation, seed); see `Experiment::identity_fingerprint`.
    pub identity: String,
    /// The resolved declaration (defaults filled in).
    pub config: ExperimentFile,
}

/// The data as evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    /// Items evaluated.
    pub n_items: usize,
    /// Class names, in order; predictions index this list.
    pub classes: Vec<String>,
    /// Items per class.
    pub class_counts: Vec<usize>,
    /// Rows left out because their label is not one of the classes.
    pub dropped_by_label: BTreeMap<String, usize>,
    /// Rows left out because of their split value.
    pub dropped_by_split: usize,
    /// Distinct documents or groups, when known.
    pub n_groups: Option<usize>,
}

/// How the evaluation was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationInfo {
    /// Scheme name.
    pub scheme: String,
    /// Folds per repeat, when fixed.
    pub k: Option<usize>,
    /// Repeats.
    pub repeats: usize,
    /// Total folds.
    pub n_folds: usize,
    /// Grouping, for group schemes.
    pub group: Option<String>,
    /// The seed.
    pub seed: u64,
    /// Bootstrap replicates.
    pub bootstrap: usize,
    /// What the bootstrap resamples: `item`, `doc` or `group`.
    pub bootstrap_unit: String,
    /// Number of resampling units.
    pub bootstrap_units: usize,
    /// Interval level.
    pub confidence_level: f64,
    /// Significance level.
    pub alpha: f64,
    /// Headline metric key.
    pub headline: String,
}

/// One item as evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// Item id.
    pub id: String,
    /// The statement.
    pub text: String,
    /// Gold class index.
    pub gold: usize,
    /// Holder, when known.
    pub holder: Option<String>,
    /// Document or group, when known.
    pub doc: Option<String>,
}

/// Sizes of one fold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldRecord {
    /// Repeat.
    pub repeat: usize,
    /// Fold within the repeat.
    pub fold: usize,
    /// Training items.
    pub train: usize,
    /// Test items.
    pub test: usize,
    /// Held-out group, for leave-one-group-out.
    pub group: Option<String>,
}

/// One out-of-fold prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRecord {
    /// The fold in which the item was tested.
    pub fold: usize,
    /// Predicted class index.
    pub class: usize,
    /// Class probabilities, when the model has them.
    pub proba: Option<Vec<f64>>,
}

/// Metrics of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassResult {
    /// Class name.
    pub class: String,
    /// Precision.
    pub precision: Estimate,
    /// Recall.
    pub recall: Estimate,
    /// F1.
    pub f1: Estimate,
    /// Gold items (per repeat).
    pub support: usize,
}

/// Top features of a model fitted on all items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TopFeatures {
    /// Largest weights toward each class.
    PerClass {
        /// One list per class.
        classes: Vec<ClassFeatures>,
    },
    /// Largest importances (trees).
    Importance {
        /// (feature, importance), largest first.
        features: Vec<(String, f64)>,
    },
}

/// The features that push most toward one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassFeatures {
    /// Class name.
    pub class: String,
    /// (feature, weight), largest first.
    pub features: Vec<(String, f64)>,
}

/// Everything measured for one feature set × classifier (× training fraction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigResult {
    /// Unique id, e.g. `words + logistic`.
    pub id: String,
    /// Feature set name (none for baselines).
    pub feature_set: Option<String>,
    /// Classifier name.
    pub classifier: String,
    /// Classifier type.
    pub classifier_type: String,
    /// Whether this is a baseline.
    pub baseline: bool,
    /// Share of each training fold used.
    pub train_fraction: f64,
    /// Mean number of features over folds.
    pub mean_features: f64,
    /// Metrics by key (`macro_f1`, …) on pooled out-of-fold predictions, with intervals.
    pub metrics: BTreeMap<String, Estimate>,
    /// Standard deviation of each metric across repeats (split-to-split variation), when repeats > 1.
    pub repeat_sd: BTreeMap<String, f64>,
    /// Per-class precision, recall and F1.
    pub per_class: Vec<ClassResult>,
    /// Confusion counts pooled over repeats; rows = gold, columns = predicted, in class order.
    pub confusion: Vec<Vec<u64>>,
    /// Quantities that hit a zero denominator on the pooled predictions (reported as 0).
    pub zero_division: Vec<String>,
    /// Out-of-fold predictions: `[repeat][item]`, `None` where an item was not tested (fixed split).
    pub predictions: Vec<Vec<Option<PredictionRecord>>>,
    /// Top features of the model refitted on all items (non-baselines at full training size).
    pub top_features: Option<TopFeatures>,
}

/// The best configuration against another, on the same items and folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The configuration compared with the best.
    pub config: String,
    /// The best configuration.
    pub best: String,
    /// Headline of `config` minus headline of `best`, with a paired-bootstrap interval.
    pub difference: Estimate,
    /// Items only the best got right (majority vote over repeats).
    pub best_only_correct: u64,
    /// Items only `config` got right.
    pub config_only_correct: u64,
    /// McNemar's exact p-value.
    pub p_value: f64,
    /// Holm-adjusted p-value over all comparisons with the best.
    pub p_holm: f64,
    /// Whether the Holm-adjusted p-value is below alpha.
    pub significant: bool,
}

/// What the data can resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Power {
    /// Items evaluated.
    pub n_items: usize,
    /// Items per class.
    pub per_class: BTreeMap<String, usize>,
    /// Fewest discordant items that can reach significance (all favouring one side).
    pub min_discordant: u64,
    /// `min_discordant / n_items`: no smaller accuracy difference between two models can be significant.
    pub min_detectable_accuracy_difference: f64,
    /// Width of the best configuration's headline interval.
    pub best_interval_width: Option<f64>,
    /// Mean headline interval width over non-baseline configurations.
    pub mean_interval_width: Option<f64>,
}

/// One row of an ablation: a feature-set variant under one classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AblationRow {
    /// Variant name (`full` or `− <extractor>`).
    pub variant: String,
    /// The extractor left out, if any.
    pub left_out: Option<String>,
    /// Classifier name.
    pub classifier: String,
    /// Configuration id.
    pub config: String,
    /// Headline metric.
    pub headline: Estimate,
    /// Headline minus the full set's, with a paired-bootstrap interval.
    pub delta: Estimate,
    /// McNemar's exact p-value against the full set.
    pub p_value: f64,
}

/// One point of a learning curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningPoint {
    /// Feature set (none for baselines).
    pub feature_set: Option<String>,
    /// Classifier name.
    pub classifier: String,
    /// Share of each training fold used.
    pub fraction: f64,
    /// Mean training-set size at this fraction.
    pub train_size: f64,
    /// Headline metric.
    pub headline: Estimate,
    /// Configuration id.
    pub config: String,
}

/// Everything a run produced, except timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Schema version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The harness.
    pub harness: HarnessInfo,
    /// The experiment.
    pub experiment: ExperimentInfo,
    /// sha256 of every input: seeds, labels or data, experiment.
    pub inputs: BTreeMap<String, String>,
    /// The data.
    pub data: DataSummary,
    /// The evaluation scheme.
    pub evaluation: EvaluationInfo,
    /// Items, in data order.
    pub items: Vec<ItemRecord>,
    /// Folds, in order.
    pub folds: Vec<FoldRecord>,
    /// Configurations, in grid order.
    pub configs: Vec<ConfigResult>,
    /// Configuration ids by headline, best first (ties by id); learning curves rank the full fraction only.
    pub leaderboard: Vec<String>,
    /// The best non-baseline configuration.
    pub best: String,
    /// Every other ranked configuration against the best.
    pub comparisons: Vec<Comparison>,
    /// What the data can resolve.
    pub power: Power,
    /// Ablation rows (ablation experiments).
    pub ablation: Option<Vec<AblationRow>>,
    /// Learning-curve points (learning-curve experiments).
    pub learning_curve: Option<Vec<LearningPoint>>,
    /// Things a reader should know (small classes, folds missing a class, …).
    pub warnings: Vec<String>,
}

impl RunReport {
    /// The configuration with this id.
    pub fn config(&self, id: &str) -> Option<&ConfigResult> {
        self.configs.iter().find(|c| c.id == id)
    }

    /// The headline metric's key.
    pub fn headline(&self) -> &str {
        &self.evaluation.headline
    }
}

/// Wall-clock measurements, kept apart from results so result files can be compared byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Whole run, seconds.
    pub total_seconds: f64,
    /// Cross-validation grid, seconds.
    pub grid_seconds: f64,
    /// Bootstrap and tests, seconds.
    pub statistics_seconds: f64,
    /// Refitting on all items for top features, seconds.
    pub refit_seconds: f64,
    /// Summed fit+predict seconds per configuration (across threads).
    pub per_config_seconds: BTreeMap<String, f64>,
    /// Worker threads used.
    pub threads: usize,
    /// Operating system and architecture.
    pub platform: String,
    /// Logical CPUs.
    pub cpus: usize,
}
