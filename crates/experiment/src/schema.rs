//! The experiment file's schema: the serde types a TOML file deserialises into (unknown keys and wrong types are
//! refused by serde), with their defaults. Checks serde cannot express live in [`crate::check`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use stance_corpus::gold::UnitSelection;
use stance_corpus::table::TableSpec;
use stance_eval::metrics::MetricName;
use stance_eval::splits::{GroupBy, Scheme};
use stance_features::FeatureSetSpec;
use stance_models::ClassifierSpec;

use crate::errors::*;

/// What kind of run an experiment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExperimentKind {
    /// Every feature set × every classifier.
    Compare,
    /// One feature set in full, then with each extractor left out, on identical folds.
    Ablation,
    /// Every feature set × classifier at several training-set fractions.
    LearningCurve,
}

/// Gold data selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldSpec {
    /// Seeds directory. Defaults to `seeds`.
    #[serde(default = "default_seeds")]
    pub seeds: PathBuf,
    /// Label file or directory of label files. Defaults to `labels/gold.csv`.
    #[serde(default = "default_labels")]
    pub labels: PathBuf,
    /// `sentence`, `clause` or `finest`. Defaults to `sentence`.
    #[serde(default = "default_unit")]
    pub unit: UnitSelection,
    /// Stances to keep, in report order, e.g. `["support", "oppose"]`.
    pub classes: Vec<String>,
}

pub(crate) fn default_seeds() -> PathBuf {
    PathBuf::from("seeds")
}

pub(crate) fn default_labels() -> PathBuf {
    PathBuf::from("labels/gold.csv")
}

pub(crate) fn default_unit() -> UnitSelection {
    UnitSelection::Sentence
}

/// Where an experiment's items come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum DataSpec {
    /// The gold labels over the seeds.
    Gold(GoldSpec),
    /// Any labelled CSV.
    Csv(TableSpec),
}

/// The evaluation scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalSpec {
    /// The scheme.
    pub scheme: Scheme,
    /// Number of folds (`stratified-kfold`, `group-kfold`).
    #[serde(default)]
    pub k: Option<usize>,
    /// Repeats with fresh shuffles (`stratified-kfold`, `group-kfold`). Defaults to `1`.
    #[serde(default = "one_usize")]
    pub repeats: usize,
    /// What group schemes and per-group models group by: left out, the natural groups (gold: seed documents; CSV:
    /// the column `data.group` names); `"holder"` for stance holders. The grouping column itself is named only in
    /// `[data]`.
    #[serde(default, deserialize_with = "grouping")]
    pub group: Option<GroupBy>,
    /// Train one model per group (the value of `group`) in every fold and score the concatenated predictions, the
    /// SemEval-2016 Task 6 protocol for corpora with several targets. Not with group schemes, which hold whole
    /// groups out of training.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_group: bool,
    /// Inner folds of the nested cross-validation that tunes parameters given as lists (see
    /// [`stance_eval::tune`]). Defaults to `3`; allowed only when something is tuned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_k: Option<usize>,
}

pub(crate) fn one_usize() -> usize {
    1
}

/// `evaluation.group`: `doc` or `holder`; `group` still parses so [`check_grouping`] can say how to fix it; any
/// other word is taken for a column name and answered with where column names go.
pub(crate) fn grouping<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<GroupBy>, D::Error> {
    // `null` comes from a report.json's copy of the declaration.
    let Some(word) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    match word.as_str() {
        "doc" => Ok(Some(GroupBy::Doc)),
        "holder" => Ok(Some(GroupBy::Holder)),
        "group" => Ok(Some(GroupBy::Group)),
        other => Err(serde::de::Error::custom(format!(
            "evaluation.group is \"doc\" or \"holder\", not '{other}'; to group by a CSV column, name it in [data] \
             (group = \"{other}\") and leave evaluation.group out"
        ))),
    }
}

/// Ablation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AblationSpec {
    /// The feature set to ablate (its extractors are left out one at a time).
    pub feature_set: String,
}

/// Learning-curve settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningCurveSpec {
    /// Shares of each training fold to train on, in (0, 1].
    pub fractions: Vec<f64>,
}

/// CI gate settings (`stance check`); docs/METHODS.md ("The CI gate") gives the error rates of the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// Metrics the gate compares on the gated configurations. Defaults to the headline metric and accuracy.
    #[serde(default)]
    pub metrics: Vec<MetricName>,
    /// Allowed absolute drop per metric. Defaults to `0.0` for each gated metric.
    #[serde(default)]
    pub tolerance: BTreeMap<MetricName, f64>,
    /// A drop beyond the tolerance fails only when the exact paired permutation test (candidate worse than the
    /// baseline, Holm over the gate's tests) finds it significant. Defaults to `true`; `false` fails any drop
    /// beyond the tolerance, for data large enough that a tolerance is meaningful on its own.
    #[serde(default = "yes")]
    pub require_significance: bool,
    /// Configurations gated besides the baseline's best (which is always gated). Defaults to none.
    #[serde(default)]
    pub configs: Vec<String>,
    /// Most items a gated configuration may break (right in at least `right_share` of the baseline's repeats,
    /// wrong in most of the candidate's). Defaults to [`DEFAULT_MAX_BROKEN`].
    #[serde(default = "default_max_broken")]
    pub max_broken: usize,
    /// The share of the baseline's repeats an item must be right in to count as one the gate protects, in (0, 1].
    /// Defaults to [`DEFAULT_RIGHT_SHARE`].
    #[serde(default = "default_right_share")]
    pub right_share: f64,
    /// Bounds on behavioural-test failure rates.
    #[serde(default)]
    pub behaviour: Option<BehaviourGateSpec>,
}

/// `gate.max_broken` unless set. By simulation (`bench/gate_sim.py`, docs/METHODS.md "The CI gate") every value
/// below 3 catches a 3-item regression of the default experiment's best in every run and none raised a false
/// alarm on stream-salted or reseeded runs; 2, the largest such value, leaves room for an item or two that the
/// baseline got right only by a narrow majority of folds.
pub const DEFAULT_MAX_BROKEN: usize = 2;

/// `gate.right_share` unless set.
pub const DEFAULT_RIGHT_SHARE: f64 = 0.8;

pub(crate) fn default_max_broken() -> usize {
    DEFAULT_MAX_BROKEN
}

pub(crate) fn default_right_share() -> f64 {
    DEFAULT_RIGHT_SHARE
}

impl Default for GateSpec {
    fn default() -> GateSpec {
        GateSpec {
            metrics: Vec::new(),
            tolerance: BTreeMap::new(),
            require_significance: true,
            configs: Vec::new(),
            max_broken: DEFAULT_MAX_BROKEN,
            right_share: DEFAULT_RIGHT_SHARE,
            behaviour: None,
        }
    }
}

/// `[gate.behaviour]`: the highest failure rate each named behavioural test may reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourGateSpec {
    /// Configurations the bounds apply to. Defaults to the run's best configuration.
    #[serde(default)]
    pub configs: Vec<String>,
    /// Test name → highest allowed failure rate in [0, 1].
    pub max_failure_rate: BTreeMap<String, f64>,
}

/// `[behaviour]`: behavioural test suites run on every configuration (refitted on all items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourSpec {
    /// Directory of suite files (`*.toml`). Gold-data experiments default to `labels/behaviour`.
    #[serde(default)]
    pub suites: Option<PathBuf>,
    /// Set `false` to run no suites. Defaults to `true`.
    #[serde(default = "yes")]
    pub enabled: bool,
}

pub(crate) fn yes() -> bool {
    true
}

/// Where gold-data experiments find their behavioural suites unless `[behaviour]` says otherwise, with the
/// default `data.labels`: the [`DEFAULT_BEHAVIOUR_DIR`] folder beside the gold labels.
pub const DEFAULT_BEHAVIOUR_SUITES: &str = "labels/behaviour";

/// The folder, beside the gold label file (or inside a folder of label files), that gold-data experiments read
/// their behavioural suites from unless `[behaviour]` says otherwise.
pub const DEFAULT_BEHAVIOUR_DIR: &str = "behaviour";

/// An experiment file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentFile {
    /// Name; also the report folder's name.
    pub name: String,
    /// One paragraph on what the experiment asks.
    #[serde(default)]
    pub description: String,
    /// `compare`, `ablation` or `learning-curve`. Defaults to `compare`.
    #[serde(default = "default_kind")]
    pub kind: ExperimentKind,
    /// The one seed every random choice derives from.
    pub seed: u64,
    /// Bootstrap resamples for intervals. Defaults to `2000`.
    #[serde(default = "default_bootstrap")]
    pub bootstrap: usize,
    /// The metric the leaderboard is sorted by. Defaults to `macro_f1`.
    #[serde(default = "default_headline")]
    pub headline: MetricName,
    /// The classes F_avg averages the F1 of. Defaults to `support` and `oppose` when the data has both
    /// (SemEval-2016 Task 6); without either, F_avg is not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favg_classes: Option<Vec<String>>,
    /// Significance level for tests. Defaults to `0.05`.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// The data.
    pub data: DataSpec,
    /// The evaluation scheme.
    pub evaluation: EvalSpec,
    /// Feature sets.
    pub features: Vec<FeatureSetSpec>,
    /// Classifiers (baselines included).
    pub classifiers: Vec<ClassifierSpec>,
    /// Outside systems judged beside the grid (`[[systems]]`): a predictions file or a command each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<SystemSpec>,
    /// Ablation settings (for `kind = "ablation"`).
    #[serde(default)]
    pub ablation: Option<AblationSpec>,
    /// Learning-curve settings (for `kind = "learning-curve"`).
    #[serde(default)]
    pub learning_curve: Option<LearningCurveSpec>,
    /// Behavioural test suites.
    #[serde(default)]
    pub behaviour: Option<BehaviourSpec>,
    /// Gate settings.
    #[serde(default)]
    pub gate: GateSpec,
    /// What the report explains (`[report]`); left out, the defaults of [`ReportSpec`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportSpec>,
}

/// `[report]`: what the report explains beyond the scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// The configurations refitted on all items for a top-features table: `"best"` (the best configuration),
    /// `"all"` (every non-baseline configuration) or configuration ids as reports name them (`"words +
    /// logistic"`). Defaults to `["best"]`: each refit costs about one fold's fit on every item, and only what is
    /// listed here is refitted for its weights (behavioural tests still refit every configuration they test).
    #[serde(default = "default_top_features")]
    pub top_features: Vec<String>,
}

/// `[report] top_features` when not given: the best configuration only.
pub fn default_top_features() -> Vec<String> {
    vec!["best".to_string()]
}

/// `[[systems]]`: an outside system — a model trained elsewhere (a fine-tuned transformer, a prompted LLM, a rule)
/// whose predictions are judged like the grid's configurations. Exactly one of `predictions` and `command`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemSpec {
    /// Its name: its configuration id in every report (not one of the classifiers' names, without ` + `).
    pub name: String,
    /// A CSV of its predictions, `id,predicted[,p_<class>…]`, one row per item (relative to the experiment file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions: Option<PathBuf>,
    /// A command line (no shell) that reads `{"id","text"}` JSON lines on stdin and writes
    /// `{"id","label"[,"probabilities"]}` lines on stdout; run in the experiment file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Seconds each call of `command` may take before it is killed. Defaults to `600`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

pub(crate) fn default_kind() -> ExperimentKind {
    ExperimentKind::Compare
}

pub(crate) fn default_bootstrap() -> usize {
    2000
}

pub(crate) fn default_headline() -> MetricName {
    MetricName::MacroF1
}

pub(crate) fn default_alpha() -> f64 {
    0.05
}

/// The schema step: TOML syntax, unknown keys and wrong types, each at the line of the key it is about
/// ([`crate::spans::schema_culprit`]), else at the parser's own span.
pub(crate) fn parse_schema(text: &str, origin: &str) -> Result<ExperimentFile, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let culprit = crate::spans::schema_culprit(text, |doc| {
            ExperimentFile::deserialize(doc)
                .err()
                .map(|e| e.message().to_string())
        });
        let at = crate::spans::value_starts(text);
        let line = culprit
            .and_then(|path| at.get(&path).copied())
            .or_else(|| e.span().map(|s| s.start))
            .map(|off| stance_core::diag::line_of_offset(text, off))
            .unwrap_or(1);
        ConfigError::Parse {
            origin: origin.to_string(),
            line,
            source: stance_core::errors::TomlCause::from(e),
        }
    })
}
