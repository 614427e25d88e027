//! The results of a run as data: what `report.json` holds and every report renders from.
//!
//! Nothing here is recomputed by the renderers. Timings are kept apart (the report's `Timings`), so two
//! runs with the same inputs give byte-identical result files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metrics::MetricName;
use super::splits::{GroupBy, Scheme};
use stance_core::tunable::ParamGrid;
use stance_models::ClassifierKind;

/// How a permutation p-value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Every swap pattern was enumerated.
    #[default]
    Exact,
    /// Seeded random swap patterns, p = (b + 1) / (B + 1).
    MonteCarlo,
}

/// Above this many out-of-fold predictions (configurations × repeats × items), `report.json` leaves them and the
/// item texts out and points to the predictions file: at 30,000 items × 10 repeats × 26 configurations they would
/// make it over a gigabyte. It lives here, with the results, because the evaluation's memory estimate
/// ([`crate::budget`]) needs it as much as the report does.
pub const MAX_JSON_PREDICTIONS: usize = 250_000;

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

/// What the bootstrap resamples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootstrapUnit {
    /// Items.
    Item,
    /// Gold documents.
    Doc,
    /// The CSV's groups.
    Group,
}

impl std::fmt::Display for BootstrapUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            BootstrapUnit::Item => "item",
            BootstrapUnit::Doc => "doc",
            BootstrapUnit::Group => "group",
        })
    }
}

/// How the evaluation was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationInfo {
    /// The scheme.
    pub scheme: Scheme,
    /// Folds per repeat, when fixed.
    pub k: Option<usize>,
    /// Repeats.
    pub repeats: usize,
    /// Total folds.
    pub n_folds: usize,
    /// Grouping, for group schemes.
    pub group: Option<GroupBy>,
    /// The seed.
    pub seed: u64,
    /// Bootstrap replicates.
    pub bootstrap: usize,
    /// What the bootstrap resamples.
    pub bootstrap_unit: BootstrapUnit,
    /// Number of resampling units.
    pub bootstrap_units: usize,
    /// Interval level.
    pub confidence_level: f64,
    /// Significance level.
    pub alpha: f64,
    /// Headline metric.
    pub headline: MetricName,
    /// Per-group models, when the run trains one model per group (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_group: Option<PerGroupModels>,
}

/// How a per-group run trained its models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerGroupModels {
    /// What groups items.
    pub by: GroupBy,
    /// Distinct groups that got a model.
    pub groups: usize,
    /// Models trained per configuration (groups × folds, counting only folds where the group has test items).
    pub models: usize,
}

/// One item as evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// Item id.
    pub id: String,
    /// The statement (written empty in a bounded `report.json`, see `RunReport::bounded`).
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
    /// Whether the top score was shared and the training prior decided (absent when false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tied: bool,
}

/// Every metric on one part of the predictions: one fold of one repeat, or a whole repeat (`fold` absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitScore {
    /// Repeat.
    pub repeat: usize,
    /// Fold within the repeat; `None` for the whole repeat.
    pub fold: Option<usize>,
    /// Test items scored.
    pub n: usize,
    /// Metric values.
    pub metrics: BTreeMap<MetricName, f64>,
}

/// Every metric on the items of one group (document, topic, target…), predictions pooled over repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupScore {
    /// The group.
    pub group: String,
    /// Items in the group.
    pub n: usize,
    /// Metric values.
    pub metrics: BTreeMap<MetricName, f64>,
}

/// Why a configuration's predictions carry no information beyond the class frequencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Degenerate {
    /// Every out-of-fold prediction equals the majority baseline's.
    EqualsMajority,
    /// Every out-of-fold prediction is the same class.
    SingleClass {
        /// The class.
        class: String,
    },
}

impl std::fmt::Display for Degenerate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Degenerate::EqualsMajority => f.write_str("≡ majority"),
            Degenerate::SingleClass { class } => write!(f, "only '{class}'"),
        }
    }
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

/// Where an outside system's predictions come from. Its predictions were made elsewhere: the harness did not
/// cross-validate it, and it may have been trained on the very items it is scored on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SystemSource {
    /// A predictions file (`id,predicted[,p_<class>…]`): one prediction per item, the same in every repeat. It
    /// cannot label new text, so behavioural cases are skipped for it.
    Predictions {
        /// The file, as the experiment names it (relative to the working directory when inside it).
        path: String,
    },
    /// A command that reads `{"id","text"}` JSON lines on its standard input and writes
    /// `{"id","label"[,"probabilities"]}` lines: run once on the items and once on the behavioural cases' texts.
    Command {
        /// The command line, as the experiment writes it (no shell).
        argv: Vec<String>,
    },
}

impl SystemSource {
    /// Whether the system can label text it was not given beforehand (the behavioural cases).
    pub fn labels_new_text(&self) -> bool {
        matches!(self, SystemSource::Command { .. })
    }

    /// The source in a few words: `predictions file preds.csv`, `command python3 model.py`.
    pub fn describe(&self) -> String {
        match self {
            SystemSource::Predictions { path } => format!("predictions file {path}"),
            SystemSource::Command { argv } => format!("command {}", argv.join(" ")),
        }
    }
}

/// Everything measured for one feature set × classifier (× training fraction), baseline or outside system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigResult {
    /// Unique id, e.g. `words + logistic`.
    pub id: String,
    /// Feature set name (none for baselines).
    pub feature_set: Option<String>,
    /// Classifier name (absent for outside systems).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<String>,
    /// Classifier type (absent for outside systems).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier_type: Option<ClassifierKind>,
    /// Where an outside system's predictions came from (absent for the harness's own configurations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemSource>,
    /// Whether this is a baseline.
    pub baseline: bool,
    /// Share of each training fold used.
    pub train_fraction: f64,
    /// Mean number of features over folds.
    pub mean_features: f64,
    /// Metrics by key (`macro_f1`, …) on pooled out-of-fold predictions, with intervals.
    pub metrics: BTreeMap<MetricName, Estimate>,
    /// Standard deviation of each metric across repeats (split-to-split variation), when repeats > 1.
    pub repeat_sd: BTreeMap<MetricName, f64>,
    /// Per-class precision, recall and F1.
    pub per_class: Vec<ClassResult>,
    /// Confusion counts pooled over repeats; rows = gold, columns = predicted, in class order.
    pub confusion: Vec<Vec<u64>>,
    /// Quantities that hit a zero denominator on the pooled predictions (reported as 0).
    pub zero_division: Vec<String>,
    /// Out-of-fold predictions: `[repeat][item]`, `None` where an item was not tested (fixed split). Written empty
    /// in a bounded `report.json` (see `RunReport::bounded`).
    pub predictions: Vec<Vec<Option<PredictionRecord>>>,
    /// Top features of the model refitted on all items (non-baselines at full training size).
    pub top_features: Option<TopFeatures>,
    /// Every metric per fold of every repeat.
    pub per_fold: Vec<SplitScore>,
    /// Every metric per repeat.
    pub per_repeat: Vec<SplitScore>,
    /// Every metric per group, when items have groups (documents, topics…); empty otherwise.
    pub per_group: Vec<GroupScore>,
    /// Set when the predictions are degenerate (equal to the majority baseline's, or a single class).
    pub degenerate: Option<Degenerate>,
    /// Predictions whose top score was tied and decided by the training prior.
    pub tied_predictions: u64,
    /// How nested cross-validation tuned the parameters given as lists; absent for untuned configurations (so
    /// their JSON is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<TuningResult>,
}

impl ConfigResult {
    /// This configuration without its out-of-fold predictions, the part that grows with the data: what a bounded
    /// `report.json` holds (every field is named, so a new one cannot be forgotten here).
    pub fn without_predictions(&self) -> ConfigResult {
        ConfigResult {
            id: self.id.clone(),
            feature_set: self.feature_set.clone(),
            classifier: self.classifier.clone(),
            classifier_type: self.classifier_type,
            system: self.system.clone(),
            baseline: self.baseline,
            train_fraction: self.train_fraction,
            mean_features: self.mean_features,
            metrics: self.metrics.clone(),
            repeat_sd: self.repeat_sd.clone(),
            per_class: self.per_class.clone(),
            confusion: self.confusion.clone(),
            zero_division: self.zero_division.clone(),
            predictions: Vec::new(),
            top_features: self.top_features.clone(),
            per_fold: self.per_fold.clone(),
            per_repeat: self.per_repeat.clone(),
            per_group: self.per_group.clone(),
            degenerate: self.degenerate.clone(),
            tied_predictions: self.tied_predictions,
            tuning: self.tuning.clone(),
        }
    }
}

/// How one configuration was tuned: its grid, the value chosen on each outer training fold, and the value the
/// refit on all items used (see [`super::tune`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningResult {
    /// The parameters given as lists, with their values.
    pub grid: Vec<ParamGrid>,
    /// Every candidate's setting (`ngram=[1,2], alpha=0.1`), in grid order.
    pub candidates: Vec<String>,
    /// The inner scheme, e.g. `stratified 3-fold on each outer training fold`.
    pub inner: String,
    /// The metric candidates were compared on (the headline).
    pub metric: MetricName,
    /// How many outer folds chose each candidate, in grid order.
    pub chosen_counts: Vec<usize>,
    /// The choice on each outer training fold, in fold order.
    pub per_fold: Vec<TuningChoice>,
    /// The choice of the refit on all items (top features, behavioural tests), when there was a refit.
    pub refit: Option<TuningChoice>,
}

/// What tuning chose on one training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningChoice {
    /// Outer repeat (`None` for the refit on all items).
    pub repeat: Option<usize>,
    /// Outer fold within the repeat (`None` for the refit on all items).
    pub fold: Option<usize>,
    /// The chosen candidate's setting.
    pub chosen: String,
    /// Inner folds the scores are means over (0: one candidate, nothing compared).
    pub inner_folds: usize,
    /// Mean inner-validation metric of every candidate, in grid order (empty when nothing was compared).
    pub inner_scores: Vec<f64>,
}

/// The best configuration against another, on the same items and folds.
///
/// The verdict tests the **headline** metric with the exact paired permutation test ([`crate::permutation`]):
/// exact enumeration of the swap patterns of the resampling units on which the two differ, Monte Carlo beyond
/// [`crate::permutation::MAX_EXACT_UNITS`] of them, Holm-adjusted over every comparison with the best;
/// `significant` is `p_holm < alpha`. `difference` carries the paired bootstrap's 95% interval, which is an
/// interval, not the test. McNemar's test (accuracy, majority vote over repeats) and, for repeated k-fold, the
/// corrected resampled t-test are reported beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The configuration compared with the best.
    pub config: String,
    /// The best configuration.
    pub best: String,
    /// Headline of `config` minus headline of `best`, with its 95% paired-bootstrap interval.
    pub difference: Estimate,
    /// Two-sided p-value of the headline difference, exact paired permutation test (reports of schema 2 written
    /// before it held the paired bootstrap's p here; `null` there reads as 1).
    #[serde(deserialize_with = "p_or_one")]
    pub p_value: f64,
    /// Holm-adjusted `p_value`.
    #[serde(deserialize_with = "p_or_one")]
    pub p_holm: f64,
    /// Whether the headline difference is significant after Holm's adjustment (`p_holm < alpha`).
    pub significant: bool,
    /// Exact enumeration or Monte Carlo.
    #[serde(default)]
    pub method: Method,
    /// Swap patterns evaluated (2^differing_units when exact).
    #[serde(default)]
    pub patterns: u64,
    /// Resampling units on which the two configurations' predictions differ.
    #[serde(default)]
    pub differing_units: usize,
    /// McNemar's exact test on majority-vote correctness: a test of accuracy, not of the headline.
    pub mcnemar: McNemar,
    /// Nadeau & Bengio's corrected resampled t-test on per-fold headline differences (repeated k-fold only).
    pub corrected_t: Option<CorrectedT>,
}

/// A p-value that older reports may have written as `null` (no bootstrap): read as 1.
fn p_or_one<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(1.0))
}

/// McNemar's exact test between two configurations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// Items only the best got right (majority vote over repeats).
    pub best_only_correct: u64,
    /// Items only the other configuration got right.
    pub config_only_correct: u64,
    /// Exact two-sided p-value.
    pub p_value: f64,
    /// Holm-adjusted over every comparison with the best.
    pub p_holm: f64,
}

/// The corrected resampled t-test (Nadeau & Bengio 2003): `t = mean(d) / sqrt((1/J + n_test/n_train) · var(d))`
/// over the J per-fold differences `d`, with J − 1 degrees of freedom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectedT {
    /// The statistic; `None` (JSON `null`) when the per-fold differences have zero variance and a non-zero mean,
    /// where t is ±∞ (JSON has no infinity, and a report must read back).
    pub t: Option<f64>,
    /// Degrees of freedom.
    pub df: usize,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Holm-adjusted over every comparison with the best.
    pub p_holm: f64,
}

/// What the data can resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Power {
    /// Items evaluated.
    pub n_items: usize,
    /// Items per class.
    pub per_class: BTreeMap<String, usize>,
    /// Fewest resampling units on which two configurations' predictions must differ (all favouring one) before
    /// the exact paired test can reach `p < alpha`: the smallest `d` with `2 / 2^d < alpha`.
    pub min_discordant: u64,
    /// The smallest difference in **pooled** accuracy the exact paired test can call significant:
    /// `min_discordant` single votes over all out-of-fold votes (one vote on each of that many units); 1 when
    /// there are fewer units.
    pub min_detectable_accuracy_difference: f64,
    /// The smallest headline difference the exact paired test can call significant, found by construction from
    /// the best configuration's predictions (`None` when nothing can be significant).
    #[serde(default)]
    pub min_detectable_headline_difference: Option<f64>,
    /// Out-of-fold votes per item (the repeats, under repeated cross-validation).
    #[serde(default)]
    pub votes_per_item: f64,
    /// Resampling units the paired tests swap (items, or documents).
    #[serde(default)]
    pub n_units: usize,
    /// Width of the best configuration's headline interval.
    pub best_interval_width: Option<f64>,
    /// Mean headline interval width over non-baseline configurations.
    pub mean_interval_width: Option<f64>,
    /// Median half-width of the 95% intervals of headline differences from the best: smaller differences are not
    /// detectable with this data.
    pub headline_difference_halfwidth: Option<f64>,
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
    /// Exact paired permutation p-value of the headline difference from the full set (`None` for the full set).
    pub p_value: Option<f64>,
    /// McNemar's exact p-value against the full set (accuracy).
    pub mcnemar_p: f64,
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
