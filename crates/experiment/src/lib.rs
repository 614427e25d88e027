//! Experiment files: what a run compares, on which data, under which evaluation scheme.
//!
//! An experiment is a TOML file (see `experiments/*.toml` and the README for the full reference). Loading has two
//! steps: the schema (serde rejects unknown keys and wrong types), then one check per section (top level, data,
//! evaluation, kind with its ablation / learning-curve table, gate, feature sets, classifiers) for everything serde
//! cannot see: unique names, sizes within their allowed ranges, known metrics, fractions in range. Every error
//! names `file:line`, the line taken from the TOML parser's span of the offending value (see `spans`), so a
//! comment or description mentioning the same word cannot mislead it.
//!
//! Relative paths inside an experiment (`data.seeds`, `data.labels`, `data.path`, `behaviour.suites`, and the
//! defaults used when they are left out) are resolved against the folder of the experiment file, so an experiment
//! runs the same from any working directory and a CSV can sit next to its TOML. Experiment text without a file
//! ([`Experiment::from_source`] with `None`) resolves against the working directory; the built-in copy of
//! `experiments/default.toml` that `stance run` falls back to resolves as if it were that file, i.e. against
//! `./experiments`, so its `../seeds` is `./seeds`. A path that does not exist is reported with its resolved
//! absolute path and the folder it was resolved against ([`ConfigError::NotFound`], [`ConfigError::NoProject`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use stance_eval::metrics::MetricName;
pub use stance_eval::splits::{GroupBy, Scheme};

use stance_behaviour::{BehaviourError, Case};
use stance_eval::plan::{ablation_variants, Clusters, Kind, Plan, Variant};
use stance_eval::splits::Split;

use stance_corpus::gold::{load_gold, select_units, UnitSelection};
use stance_corpus::table::{read_table, TableSpec, TableStats};
use stance_corpus::{sha256_hex, CorpusError, Dataset, Item};
use stance_features::lexicon::LexiconParams;
use stance_features::{ExtractorSpec, FeatureError, FeatureSet, FeatureSetSpec};
use stance_models::{Classifier, ClassifierSpec, ModelError};

/// The built-in default experiment (the same bytes as `experiments/default.toml`).
pub const DEFAULT_EXPERIMENT: &str = include_str!("../../../experiments/default.toml");

/// Where `stance run` looks for the default experiment before using the built-in copy.
pub const DEFAULT_EXPERIMENT_PATH: &str = "experiments/default.toml";

/// Errors in an experiment file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the experiment file")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a wrong type.
    #[error("{origin}:{line}")]
    Parse {
        /// The file (or `<built-in default>`).
        origin: String,
        /// 1-based line.
        line: u64,
        /// The parser's error: what is wrong.
        source: stance_core::errors::TomlCause,
    },
    /// A value is out of range or inconsistent with another.
    #[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        origin: String,
        /// 1-based line, when it can be located.
        line: Option<u64>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A feature set is invalid.
    #[error("{origin}{}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Feature {
        /// The file.
        origin: String,
        /// Line of the feature set's name, when found.
        line: Option<u64>,
        /// The feature error.
        source: FeatureError,
    },
    /// A classifier is invalid.
    #[error("{origin}{}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Model {
        /// The file.
        origin: String,
        /// Line of the classifier, when found.
        line: Option<u64>,
        /// The model error.
        source: ModelError,
    },
    /// The data the experiment names could not be loaded.
    #[error(transparent)]
    Data(#[from] CorpusError),
    /// The data does not fit the experiment (e.g. a class with no items).
    #[error("{0}")]
    DataMismatch(String),
    /// A behavioural suite could not be loaded or expanded.
    #[error(transparent)]
    Behaviour(#[from] BehaviourError),
    /// A path the experiment names (or defaults to) does not exist (boxed: it is the largest variant).
    #[error("{0}")]
    NotFound(Box<MissingPath>),
    /// `stance run` / `stance check` without an experiment, outside a stance project: the built-in default
    /// experiment's gold data is not there.
    #[error(
        "no stance project here: looked for {} (the gold data of the built-in default experiment; no {} either). \
         Run inside a stance project (a folder holding seeds/, labels/ and experiments/), or pass an experiment \
         file whose [data] points at your data, e.g. `stance run my-experiment.toml` with [data] source = \"csv\" \
         and path = \"my-data.csv\" (relative to the experiment file; see \"Running on your own data\" in the README)",
        looked_for.display(), DEFAULT_EXPERIMENT_PATH
    )]
    NoProject {
        /// The absolute path looked for (`<working directory>/seeds/manifest.csv`).
        looked_for: PathBuf,
    },
}

/// A path in an experiment that resolves to nothing, for [`ConfigError::NotFound`].
#[derive(Debug, thiserror::Error)]
#[error(
    "{origin}: {field} = \"{}\"{} names {}, which does not exist (relative paths in an experiment are resolved \
     against the experiment file's folder, {}); correct the path in the experiment file",
    written.display(),
    if *defaulted { " (its default when left out)" } else { "" },
    resolved.display(),
    base.display()
)]
pub struct MissingPath {
    /// The experiment file.
    pub origin: String,
    /// The key, e.g. `data.seeds`.
    pub field: String,
    /// Whether the value is the key's default (the file may leave the key out).
    pub defaulted: bool,
    /// The path as written (or its default).
    pub written: PathBuf,
    /// The absolute path it resolved to.
    pub resolved: PathBuf,
    /// The folder it was resolved against.
    pub base: PathBuf,
}

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

fn default_seeds() -> PathBuf {
    PathBuf::from("seeds")
}
fn default_labels() -> PathBuf {
    PathBuf::from("labels/gold.csv")
}
fn default_unit() -> UnitSelection {
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

fn one_usize() -> usize {
    1
}

/// `evaluation.group`: `doc` or `holder`; `group` still parses so [`check_grouping`] can say how to fix it; any
/// other word is taken for a column name and answered with where column names go.
fn grouping<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<GroupBy>, D::Error> {
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

/// CI gate settings (`stance check`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// Metrics the gate compares. Defaults to the headline metric and accuracy.
    #[serde(default)]
    pub metrics: Vec<MetricName>,
    /// Allowed absolute drop per metric. Defaults to `0.0` for each gated metric.
    #[serde(default)]
    pub tolerance: BTreeMap<MetricName, f64>,
    /// Also require an exact McNemar test (baseline vs candidate predictions) to find the drop significant.
    #[serde(default)]
    pub require_significance: bool,
    /// Bounds on behavioural-test failure rates.
    #[serde(default)]
    pub behaviour: Option<BehaviourGateSpec>,
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

fn yes() -> bool {
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
}

fn default_kind() -> ExperimentKind {
    ExperimentKind::Compare
}
fn default_bootstrap() -> usize {
    2000
}
fn default_headline() -> MetricName {
    MetricName::MacroF1
}
fn default_alpha() -> f64 {
    0.05
}

/// Where an experiment came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentSource {
    /// The file, or `None` for the built-in default.
    pub path: Option<PathBuf>,
    /// sha256 of the experiment's bytes.
    pub sha256: String,
    /// The absolute folder relative paths in the experiment resolve against: the experiment file's folder; the
    /// working directory for text without a file; `./experiments` for the built-in default.
    pub base_dir: PathBuf,
    /// Whether this is the built-in copy of `experiments/default.toml`.
    pub built_in: bool,
}

impl ExperimentSource {
    /// How to name the source in messages.
    pub fn origin(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("<built-in {DEFAULT_EXPERIMENT_PATH}>"),
        }
    }

    /// The absolute path `p` names: `p` itself when absolute, else `p` under [`base_dir`](Self::base_dir),
    /// with `.` and `..` removed lexically (the folder may not exist, e.g. for the built-in default).
    pub fn resolve(&self, p: &Path) -> PathBuf {
        normalise(&self.base_dir.join(p))
    }
}

/// The working directory, absolute and with symbolic links resolved when possible (`.` if it cannot be read).
fn working_dir() -> PathBuf {
    std::env::current_dir()
        .map(|d| d.canonicalize().unwrap_or(d))
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `p` with `.` components dropped and each `..` removing the component before it (lexically).
fn normalise(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// How a resolved path is handed to the loaders, and so named in their messages and in `report.json`'s input
/// keys: relative to the working directory when it lies inside it (the same text as before paths were resolved
/// against the experiment file, so a baseline made from the project root stays comparable), else absolute.
fn shown(resolved: &Path) -> PathBuf {
    match resolved.strip_prefix(working_dir()) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => resolved.to_path_buf(),
    }
}

/// A validated experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The declaration.
    pub file: ExperimentFile,
    /// Where it came from.
    pub source: ExperimentSource,
    /// Validated feature sets, in declaration order.
    pub feature_sets: Vec<FeatureSet>,
    /// Validated classifiers, in declaration order.
    pub classifiers: Vec<Classifier>,
    /// The line of every value the file spells out, by key path (`evaluation.k`, `features[0].name`), for
    /// errors found once the data is loaded.
    lines: BTreeMap<String, u64>,
}

impl Experiment {
    /// Reads and validates an experiment file.
    pub fn load(path: &Path) -> Result<Experiment, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Experiment::from_source(&text, Some(path))
    }

    /// The experiment `stance run` uses with no argument: `experiments/default.toml` if present, else the built-in
    /// copy of it.
    ///
    /// The built-in copy resolves its paths as if it were `./experiments/default.toml`; outside a stance project
    /// [`load_data`](Self::load_data) then fails with [`ConfigError::NoProject`], which says what it looked for.
    pub fn load_default() -> Result<Experiment, ConfigError> {
        let p = Path::new(DEFAULT_EXPERIMENT_PATH);
        if p.exists() {
            Experiment::load(p)
        } else {
            let base = working_dir().join("experiments");
            Experiment::parse(DEFAULT_EXPERIMENT, None, base, true)
        }
    }

    /// Parses and validates experiment text; `path` is used in messages, and relative paths in the experiment
    /// resolve against its folder (against the working directory when `path` is `None`).
    ///
    /// Two steps: the schema (serde rejects unknown keys and wrong types), then one check per section. Every
    /// message carries the line of the offending value as the TOML parser saw it.
    pub fn from_source(text: &str, path: Option<&Path>) -> Result<Experiment, ConfigError> {
        let cwd = working_dir();
        let base = match path.and_then(Path::parent) {
            Some(dir) if !dir.as_os_str().is_empty() => {
                let dir = cwd.join(dir);
                dir.canonicalize().unwrap_or_else(|_| normalise(&dir))
            }
            _ => cwd,
        };
        Experiment::parse(text, path, base, false)
    }

    fn parse(
        text: &str,
        path: Option<&Path>,
        base_dir: PathBuf,
        built_in: bool,
    ) -> Result<Experiment, ConfigError> {
        let source = ExperimentSource {
            path: path.map(Path::to_path_buf),
            sha256: sha256_hex(text.as_bytes()),
            base_dir,
            built_in,
        };
        let file = parse_schema(text, &source.origin())?;
        let at = Locator::new(source.origin(), text);
        check_top_level(&file, &at)?;
        check_data(&file.data, &at)?;
        check_evaluation(&file.evaluation, &at)?;
        check_grouping(&file.data, &file.evaluation, &at)?;
        check_kind(&file, &at)?;
        check_gate(&file.gate, &at)?;
        let feature_sets = check_feature_sets(&lexicons_resolved(&file.features, &source), &at)?;
        let classifiers = check_classifiers(&file.classifiers, &at)?;
        check_inner_k(&file.evaluation, &feature_sets, &classifiers, &at)?;
        let lines = at
            .starts
            .iter()
            .map(|(k, off)| (k.clone(), stance_core::diag::line_of_offset(text, *off)))
            .collect();
        Ok(Experiment {
            file,
            source,
            feature_sets,
            classifiers,
            lines,
        })
    }

    /// The typed plan the evaluation stage runs. Everything was validated at load, so this cannot fail except for
    /// an ablation variant whose remaining extractors do not form a valid feature set.
    pub fn plan(&self) -> Result<Plan, ConfigError> {
        let f = &self.file;
        let eval = &f.evaluation;
        let k = eval.k.unwrap_or(0);
        // Left out, groups are the natural ones: gold data's seed documents, a CSV's `data.group` column.
        let by = eval.group.unwrap_or(match f.data {
            DataSpec::Gold(_) => GroupBy::Doc,
            DataSpec::Csv(_) => GroupBy::Group,
        });
        let split = match eval.scheme {
            Scheme::StratifiedKfold => Split::StratifiedKfold {
                k,
                repeats: eval.repeats,
            },
            Scheme::LeaveOneOut => Split::LeaveOneOut,
            Scheme::LeaveOneGroupOut => Split::LeaveOneGroupOut { by },
            Scheme::GroupKfold => Split::GroupKfold {
                k,
                repeats: eval.repeats,
                by,
            },
            Scheme::FixedSplit => Split::FixedSplit,
        };
        let (kind, variants) = match (f.kind, &f.ablation, &f.learning_curve) {
            (ExperimentKind::Ablation, Some(a), _) => {
                let full = self
                    .feature_sets
                    .iter()
                    .find(|fs| fs.spec().name == a.feature_set)
                    .expect("checked at load");
                let variants =
                    ablation_variants(full).map_err(|(name, source)| ConfigError::Feature {
                        origin: format!("{} (ablation variant '{name}')", self.source.origin()),
                        line: None,
                        source,
                    })?;
                (Kind::Ablation, variants)
            }
            (ExperimentKind::LearningCurve, _, Some(lc)) => (
                Kind::LearningCurve {
                    fractions: lc.fractions.clone(),
                },
                self.declared_variants(),
            ),
            _ => (Kind::Compare, self.declared_variants()),
        };
        Ok(Plan {
            variants,
            classifiers: self.classifiers.clone(),
            split,
            kind,
            seed: f.seed,
            bootstrap: f.bootstrap,
            clusters: match &f.data {
                DataSpec::Gold(_) => Clusters::Doc,
                DataSpec::Csv(t) if t.group.is_some() => Clusters::Group,
                DataSpec::Csv(_) => Clusters::None,
            },
            headline: f.headline,
            alpha: f.alpha,
            behaviour: self.behaviour_cases()?,
            per_group: eval.per_group.then_some(by),
            favg_classes: f.favg_classes.clone(),
            inner_k: eval.inner_k.unwrap_or(stance_eval::tune::DEFAULT_INNER_K),
        })
    }

    /// The line of the first of `keys` the experiment file spells out (later ones are fallbacks, e.g. the
    /// enclosing table when a key was left to its default).
    pub fn line_of(&self, keys: &[&str]) -> Option<u64> {
        keys.iter().find_map(|k| self.lines.get(*k)).copied()
    }

    /// An error about the value of the first of `keys` present, at its `file:line`.
    fn invalid_at(&self, keys: &[&str], message: String) -> ConfigError {
        ConfigError::Invalid {
            origin: self.source.origin(),
            line: self.line_of(keys),
            message,
        }
    }

    /// Refuses, before anything is fitted, a plan the loaded data cannot run (more folds than items in a class,
    /// too few groups, inner folds tuning cannot fill, …), naming the key to change at its `file:line` with a value
    /// the parser accepts. The rules are the run's own (see [`stance_eval::feasible`]).
    pub fn check_against(&self, plan: &Plan, ds: &Dataset) -> Result<(), ConfigError> {
        stance_eval::feasible::check(plan, ds).map_err(|e| {
            let keys: Vec<&str> = e.keys.iter().map(String::as_str).collect();
            self.invalid_at(&keys, e.message)
        })
    }

    /// Refuses a run whose estimated peak memory (see [`stance_eval::budget`]) exceeds `limit` bytes (the
    /// `--memory-limit` given) or, without one, what the machine has available, before anything runs. The message
    /// gives the estimate, its largest part and the keys that drive it at their `file:line`. Where the machine's
    /// memory cannot be read (not Linux) and no limit is given, nothing is refused.
    pub fn check_memory(
        &self,
        plan: &Plan,
        ds: &Dataset,
        jobs: usize,
        limit: Option<u64>,
    ) -> Result<(), ConfigError> {
        use stance_eval::budget::{self, human, Available};
        let available = match limit {
            Some(bytes) => Available {
                bytes,
                source: "--memory-limit".into(),
            },
            None => match budget::available() {
                Some(a) => a,
                None => return Ok(()),
            },
        };
        let estimate = budget::estimate(plan, ds, jobs);
        let total = estimate.total();
        let Some(top) = estimate.dominant().filter(|_| total > available.bytes) else {
            return Ok(());
        };
        let origin = self.source.origin();
        let driven: Vec<String> = top
            .keys
            .iter()
            .filter_map(|k| self.line_of(&[k]).map(|l| format!("{k} ({origin}:{l})")))
            .collect();
        let others: Vec<String> = estimate
            .terms
            .iter()
            .filter(|t| t.what != top.what)
            .take(3)
            .map(|t| format!("{} {}", t.what, human(t.bytes)))
            .collect();
        let keys: Vec<&str> = top.keys.iter().map(String::as_str).collect();
        Err(self.invalid_at(
            &keys,
            format!(
                "this run needs an estimated {} of memory, more than the {} available ({}), so it was not \
                 started; the largest part is the {}, {}: {}{}; then {}. Make the run smaller (fewer \
                 evaluation.repeats, a data.sample, fewer configurations, a smaller bootstrap), use fewer --jobs, \
                 or pass --memory-limit SIZE (e.g. --memory-limit 32GiB) if the machine can give more",
                human(total),
                human(available.bytes),
                available.source,
                top.what,
                human(top.bytes),
                top.detail,
                if driven.is_empty() {
                    String::new()
                } else {
                    format!(", driven by {}", driven.join(", "))
                },
                others.join(", ")
            ),
        ))
    }

    /// The expanded behavioural cases this experiment runs: `[behaviour] suites` (resolved against the
    /// experiment's folder), or for gold data the `behaviour` folder beside the gold labels when it exists
    /// (`labels/behaviour` for the default `labels/gold.csv`); none when disabled.
    pub fn behaviour_cases(&self) -> Result<Vec<Case>, ConfigError> {
        let dir = match (&self.file.behaviour, &self.file.data) {
            (Some(b), _) if !b.enabled => return Ok(Vec::new()),
            (
                Some(BehaviourSpec {
                    suites: Some(d), ..
                }),
                _,
            ) => self.existing("behaviour.suites", d)?,
            (_, DataSpec::Gold(g)) => {
                let labels = self.source.resolve(&g.labels);
                let beside = if labels.is_dir() {
                    labels.join(DEFAULT_BEHAVIOUR_DIR)
                } else {
                    match labels.parent() {
                        Some(p) => p.join(DEFAULT_BEHAVIOUR_DIR),
                        None => return Ok(Vec::new()),
                    }
                };
                if !beside.is_dir() {
                    return Ok(Vec::new());
                }
                shown(&beside)
            }
            _ => return Ok(Vec::new()),
        };
        let suites = stance_behaviour::suite::load_dir(&dir)?;
        Ok(stance_behaviour::expand::expand_all(&suites)?)
    }

    fn declared_variants(&self) -> Vec<Variant> {
        self.feature_sets
            .iter()
            .map(|fs| Variant {
                features: fs.clone(),
                left_out: None,
            })
            .collect()
    }

    /// The metrics the gate compares.
    pub fn gate_metrics(&self) -> Vec<MetricName> {
        if self.file.gate.metrics.is_empty() {
            let mut m = vec![self.file.headline];
            if self.file.headline != MetricName::Accuracy {
                m.push(MetricName::Accuracy);
            }
            m
        } else {
            self.file.gate.metrics.clone()
        }
    }

    /// Fingerprint of everything that defines *what is measured* (data, evaluation, seed, kind): when it changes,
    /// old and new results are not comparable.
    pub fn identity_fingerprint(&self) -> String {
        Identity::of(&self.file).fingerprint()
    }

    /// `written` (the value of `field`) resolved against the experiment's folder, as the loaders should see it
    /// (see `shown`), or [`ConfigError::NotFound`] / [`ConfigError::NoProject`] when nothing is there.
    fn existing(&self, field: &str, written: &Path) -> Result<PathBuf, ConfigError> {
        let resolved = self.source.resolve(written);
        if resolved.exists() {
            return Ok(shown(&resolved));
        }
        if self.source.built_in {
            // The usual way to get here: the binary run outside a project, with no experiment named.
            return Err(self.no_project());
        }
        // A left-out key shows its default value: say so, so the message does not seem to quote a missing line.
        let defaulted = match field {
            "data.seeds" => written == default_seeds(),
            "data.labels" => written == default_labels(),
            _ => false,
        };
        Err(ConfigError::NotFound(Box::new(MissingPath {
            origin: self.source.origin(),
            field: field.to_string(),
            defaulted,
            written: written.to_path_buf(),
            resolved,
            base: self.source.base_dir.clone(),
        })))
    }

    /// [`ConfigError::NoProject`], naming the seed manifest the experiment's gold data would need.
    fn no_project(&self) -> ConfigError {
        let seeds = match &self.file.data {
            DataSpec::Gold(g) => g.seeds.clone(),
            DataSpec::Csv(_) => default_seeds(),
        };
        ConfigError::NoProject {
            looked_for: self
                .source
                .resolve(&seeds)
                .join(stance_corpus::seeds::MANIFEST_FILE),
        }
    }

    /// Loads the data the experiment names, keeping only its classes. Relative paths resolve against the
    /// experiment file's folder.
    pub fn load_data(&self) -> Result<LoadedData, ConfigError> {
        match &self.file.data {
            DataSpec::Gold(g) => {
                let seeds = self.existing("data.seeds", &g.seeds)?;
                if !seeds.join(stance_corpus::seeds::MANIFEST_FILE).exists() && self.source.built_in
                {
                    return Err(self.no_project());
                }
                let labels = self.existing("data.labels", &g.labels)?;
                let check = load_gold(&seeds, &labels)?;
                // Label files are named relative to the folder holding the seeds folder (the project), so the keys
                // (`labels:labels/gold.csv`) depend neither on the working directory nor on where the experiment
                // file sits; seeds are already keyed by file name.
                let project = self.source.resolve(&g.seeds);
                let project = project.parent().unwrap_or(&project);
                let input_hashes = check
                    .input_hashes()
                    .into_iter()
                    .map(|(k, v)| match k.strip_prefix("labels:") {
                        Some(p) => {
                            let abs = normalise(&working_dir().join(p));
                            let rel = abs.strip_prefix(project).unwrap_or(&abs);
                            (format!("labels:{}", rel.display()), v)
                        }
                        None => (k, v),
                    })
                    .collect();
                let units = select_units(&check.units, g.unit);
                for c in &g.classes {
                    if !stance_corpus::GOLD_STANCES.contains(&c.as_str()) {
                        return Err(self.invalid_at(
                            &["data.classes", "data"],
                            format!(
                                "data.classes lists '{c}', which is not a gold stance; use support, oppose and/or \
                                 neutral"
                            ),
                        ));
                    }
                }
                let mut items = Vec::new();
                let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
                for u in units {
                    match g.classes.iter().position(|c| *c == u.stance) {
                        Some(label) => items.push(Item {
                            id: u.id.clone(),
                            text: u.text.clone(),
                            label,
                            doc: Some(u.doc.clone()),
                            holder: Some(u.holder.clone()),
                            group: Some(u.doc.clone()),
                            split: None,
                        }),
                        None => *dropped.entry(u.stance.clone()).or_default() += 1,
                    }
                }
                let ds = Dataset {
                    classes: g.classes.clone(),
                    items,
                    input_hashes,
                };
                self.finish_data(
                    ds,
                    TableStats {
                        rows: 0,
                        dropped_by_label: dropped,
                        dropped_by_split: 0,
                    },
                )
            }
            DataSpec::Csv(t) => {
                let t = TableSpec {
                    path: self.existing("data.path", &t.path)?,
                    ..t.clone()
                };
                let (mut ds, stats) = read_table(&t, &t.classes)?;
                // Keyed by file name: stable whatever the working directory or the experiment file's folder.
                let key = |p: &Path| format!("data:{}", p.display());
                if let (Some(hash), Some(name)) =
                    (ds.input_hashes.remove(&key(&t.path)), t.path.file_name())
                {
                    ds.input_hashes.insert(key(Path::new(name)), hash);
                }
                let ds = match t.sample {
                    Some(n) if n < ds.items.len() => stratified_sample(&ds, n, self.file.seed),
                    _ => ds,
                };
                self.finish_data(ds, stats)
            }
        }
    }

    fn finish_data(&self, ds: Dataset, stats: TableStats) -> Result<LoadedData, ConfigError> {
        let counts = ds.class_counts();
        if ds.classes.len() < 2 {
            return Err(self.invalid_at(
                &["data.classes", "data.label", "data"],
                format!(
                    "the data has {} class(es) ({}); a stance experiment needs at least two: list two or more in \
                     data.classes, or point data.label at the column holding the stances",
                    ds.classes.len(),
                    ds.classes.join(", ")
                ),
            ));
        }
        for (c, n) in ds.classes.iter().zip(&counts) {
            if *n == 0 {
                return Err(self.invalid_at(
                    &["data.classes", "data.sample", "data"],
                    format!(
                        "class '{c}' has no items in the data (after data.unit, data.split and data.sample are \
                         applied); remove it from data.classes, or label items of it"
                    ),
                ));
            }
        }
        if let Some(c) = self
            .file
            .favg_classes
            .iter()
            .flatten()
            .find(|c| !ds.classes.contains(c))
        {
            return Err(self.invalid_at(
                &["favg_classes"],
                format!(
                    "favg_classes lists '{c}', which the data does not have (classes: {}); use names from the \
                     data's classes (after data.label_names)",
                    ds.classes.join(", ")
                ),
            ));
        }
        if self.file.favg_classes.is_none()
            && (self.file.headline == MetricName::FAvg
                || self.gate_metrics().contains(&MetricName::FAvg))
        {
            let has = |s: &str| ds.classes.iter().any(|c| c == s);
            if !(has("support") && has("oppose")) {
                return Err(self.invalid_at(
                    &["headline", "gate.metrics", "data"],
                    format!(
                        "F_avg is the mean F1 of the classes 'support' and 'oppose', which this data does not have \
                         (classes: {}); declare favg_classes (e.g. [\"pro\", \"con\"]), rename them with \
                         data.label_names, or choose another headline",
                        ds.classes.join(", ")
                    ),
                ));
            }
        }
        Ok(LoadedData { dataset: ds, stats })
    }
}

/// Largest `bootstrap` accepted: beyond this, intervals no longer get visibly tighter but runs get much slower.
const MAX_BOOTSTRAP: usize = 100_000;
/// Smallest non-zero `bootstrap`: fewer resamples cannot place the tails of a 95% interval.
const MIN_BOOTSTRAP: usize = 100;
/// Largest `evaluation.repeats`: every repeat re-trains every configuration k times.
const MAX_REPEATS: usize = 1000;
/// Largest `evaluation.k`.
const MAX_K: usize = 1000;
/// Most `learning_curve.fractions`: each one re-runs the whole grid.
const MAX_FRACTIONS: usize = 20;

/// The schema step: TOML syntax, unknown keys and wrong types, located by the parser's own span.
fn parse_schema(text: &str, origin: &str) -> Result<ExperimentFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        origin: origin.to_string(),
        line: e
            .span()
            .map(|s| stance_core::diag::line_of_offset(text, s.start))
            .unwrap_or(1),
        source: stance_core::errors::TomlCause::from(e),
    })
}

/// Turns a key path into the `file:line` of its value, from the spans the TOML parser recorded.
struct Locator<'a> {
    origin: String,
    text: &'a str,
    starts: BTreeMap<String, usize>,
}

impl<'a> Locator<'a> {
    fn new(origin: String, text: &'a str) -> Locator<'a> {
        Locator {
            origin,
            text,
            starts: spans::value_starts(text),
        }
    }

    /// The line of the first of `paths` that the file spells out (later ones are fallbacks, e.g. the enclosing
    /// table when a key was left to its default).
    fn line(&self, paths: &[&str]) -> Option<u64> {
        paths
            .iter()
            .find_map(|p| self.starts.get(*p))
            .map(|off| stance_core::diag::line_of_offset(self.text, *off))
    }

    /// A value error located at the first of `paths` present.
    fn invalid(&self, paths: &[&str], message: String) -> ConfigError {
        ConfigError::Invalid {
            origin: self.origin.clone(),
            line: self.line(paths),
            message,
        }
    }
}

/// Name, non-empty sections, `alpha` and `bootstrap`.
fn check_top_level(file: &ExperimentFile, at: &Locator<'_>) -> Result<(), ConfigError> {
    if file.name.trim().is_empty() || file.name.contains(['/', '\\']) || file.name.starts_with('.')
    {
        return Err(at.invalid(
            &["name"],
            format!("name '{}' must be non-empty, without slashes, and not start with '.'; it names the report folder", file.name),
        ));
    }
    if file.features.is_empty() {
        return Err(at.invalid(
            &["features"],
            "declare at least one [[features]] set".into(),
        ));
    }
    if file.classifiers.iter().all(|c| c.is_baseline()) {
        return Err(at.invalid(
            &["classifiers"],
            "declare at least one classifier that is not a baseline".into(),
        ));
    }
    if !(file.alpha > 0.0 && file.alpha < 1.0) {
        return Err(at.invalid(
            &["alpha"],
            format!("alpha must be in (0, 1), got {}", file.alpha),
        ));
    }
    check_favg_classes(file, at)?;
    let b = file.bootstrap;
    if b != 0 && b < MIN_BOOTSTRAP {
        return Err(at.invalid(
            &["bootstrap"],
            format!("bootstrap = {b} is too few for a 95% interval; use 0 (no intervals) or {MIN_BOOTSTRAP}..={MAX_BOOTSTRAP}"),
        ));
    }
    if b > MAX_BOOTSTRAP {
        return Err(at.invalid(
            &["bootstrap"],
            format!("bootstrap = {b} is too many; use 0 (no intervals) or {MIN_BOOTSTRAP}..={MAX_BOOTSTRAP}"),
        ));
    }
    Ok(())
}

/// Sizes in `[data]`.
fn check_data(data: &DataSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    if let DataSpec::Csv(TableSpec {
        sample: Some(0), ..
    }) = data
    {
        return Err(at.invalid(
            &["data.sample"],
            "data.sample must be at least 1 (allowed: 1 or more rows; leave it out to keep every row)".into(),
        ));
    }
    Ok(())
}

/// `favg_classes`: at least one class, none twice, each one of the classes `[data]` declares (when it declares
/// them; otherwise the loaded data is checked in [`Experiment::load_data`]).
fn check_favg_classes(file: &ExperimentFile, at: &Locator<'_>) -> Result<(), ConfigError> {
    let Some(list) = &file.favg_classes else {
        return Ok(());
    };
    if list.is_empty() {
        return Err(at.invalid(
            &["favg_classes"],
            "favg_classes is empty; list the classes F_avg averages (e.g. [\"support\", \"oppose\"]) or remove it"
                .into(),
        ));
    }
    for (i, c) in list.iter().enumerate() {
        if list[..i].contains(c) {
            return Err(at.invalid(
                &["favg_classes"],
                format!("favg_classes lists '{c}' twice; list each class once"),
            ));
        }
    }
    let declared = match &file.data {
        DataSpec::Gold(g) => &g.classes,
        DataSpec::Csv(t) => &t.classes,
    };
    if let Some(c) = list
        .iter()
        .find(|c| !declared.is_empty() && !declared.contains(c))
    {
        return Err(at.invalid(
            &["favg_classes"],
            format!(
                "favg_classes lists '{c}', which is not one of the experiment's classes ({}); use names from \
                 data.classes",
                declared.join(", ")
            ),
        ));
    }
    Ok(())
}

/// `[evaluation]`: `k` and `repeats` in range and only where the scheme uses them; `group` only for group schemes.
fn check_evaluation(eval: &EvalSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    let needs_k = matches!(eval.scheme, Scheme::StratifiedKfold | Scheme::GroupKfold);
    match (needs_k, eval.k) {
        (true, None) => {
            return Err(at.invalid(
                &["evaluation.scheme", "evaluation"],
                "this scheme needs `k` (the number of folds)".into(),
            ))
        }
        (true, Some(k)) if !(2..=MAX_K).contains(&k) => {
            return Err(at.invalid(
                &["evaluation.k"],
                format!("k must be at least 2 and at most {MAX_K} (allowed: 2..={MAX_K}), got {k}"),
            ))
        }
        (false, Some(_)) => {
            return Err(at.invalid(
                &["evaluation.k"],
                format!("`k` does not apply to scheme {:?}; remove it", eval.scheme),
            ))
        }
        _ => {}
    }
    if !(1..=MAX_REPEATS).contains(&eval.repeats) {
        return Err(at.invalid(
            &["evaluation.repeats"],
            format!(
                "repeats must be at least 1 and at most {MAX_REPEATS} (allowed: 1..={MAX_REPEATS}), got {}",
                eval.repeats
            ),
        ));
    }
    if eval.repeats > 1 && !needs_k {
        return Err(at.invalid(
            &["evaluation.repeats"],
            "repeats > 1 only makes sense for shuffled schemes (stratified-kfold, group-kfold)"
                .into(),
        ));
    }
    let group_scheme = matches!(eval.scheme, Scheme::LeaveOneGroupOut | Scheme::GroupKfold);
    if !group_scheme && !eval.per_group && eval.group.is_some() {
        return Err(at.invalid(
            &["evaluation.group"],
            "`group` applies only to leave-one-group-out, group-kfold and per_group = true".into(),
        ));
    }
    if group_scheme && eval.per_group {
        return Err(at.invalid(
            &["evaluation.per_group"],
            format!(
                "per_group = true trains each group's model on that group's training items, but {} holds whole \
                 groups out of training, so a held-out group would have no model; use stratified-kfold, \
                 leave-one-out or fixed-split with per_group",
                eval.scheme
            ),
        ));
    }
    Ok(())
}

/// `[evaluation] inner_k` is in 2..=20, and given only when some feature set or classifier lists values to tune.
fn check_inner_k(
    eval: &EvalSpec,
    feature_sets: &[FeatureSet],
    classifiers: &[Classifier],
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let Some(k) = eval.inner_k else {
        return Ok(());
    };
    if !(2..=MAX_INNER_K).contains(&k) {
        return Err(at.invalid(
            &["evaluation.inner_k"],
            format!("inner_k must be at least 2 and at most {MAX_INNER_K} (allowed: 2..={MAX_INNER_K}), got {k}"),
        ));
    }
    let tuned = feature_sets.iter().any(FeatureSet::is_tuned)
        || classifiers.iter().any(Classifier::is_tuned);
    if !tuned {
        return Err(at.invalid(
            &["evaluation.inner_k"],
            "inner_k sets the inner folds of tuning, but no parameter is given as a list of values to tune; \
             remove it, or give a parameter as a list (alpha = [0.1, 1, 10])"
                .into(),
        ));
    }
    Ok(())
}

/// Largest `evaluation.inner_k`: every inner fold re-fits every candidate on every outer fold.
const MAX_INNER_K: usize = 20;

/// The one way to name the grouping column: `data.group` (CSV). `evaluation.group` only chooses between the
/// natural groups (left out, or `"doc"` for gold data) and `"holder"`; the older spelling `group = "group"` and
/// `"doc"` on CSV data are refused with the fix. A group scheme on CSV data needs a column to group by.
fn check_grouping(data: &DataSpec, eval: &EvalSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    let here = ["evaluation.group", "evaluation"];
    let column = match data {
        DataSpec::Csv(t) => t.group.as_deref(),
        DataSpec::Gold(_) => None,
    };
    match (data, eval.group) {
        (DataSpec::Csv(_), Some(GroupBy::Group)) => {
            let fix = match column {
                Some(c) => format!("remove the line: group schemes group by the column data.group names ('{c}')"),
                None => "remove the line and name the column in [data] instead, e.g. group = \"topic\"".into(),
            };
            Err(at.invalid(
                &here,
                format!("evaluation.group = \"group\" is no longer accepted; the grouping column is named in one place, data.group: {fix}"),
            ))
        }
        (DataSpec::Gold(_), Some(GroupBy::Group)) => Err(at.invalid(
            &here,
            "evaluation.group = \"group\" is no longer accepted; gold data groups by seed document: remove the line \
             (or write group = \"holder\" to group by stance holder)"
                .into(),
        )),
        (DataSpec::Csv(_), Some(GroupBy::Doc)) => Err(at.invalid(
            &here,
            format!(
                "evaluation.group = \"doc\" applies to gold data (seed documents); CSV data groups by the column \
                 data.group names{}: remove the line (or write group = \"holder\" to group by data.holder)",
                column.map(|c| format!(" ('{c}')")).unwrap_or_default()
            ),
        )),
        (DataSpec::Csv(_), None) if column.is_none() && eval.per_group => Err(at.invalid(
            &["evaluation.per_group", "evaluation"],
            "per_group = true trains one model per group: name the CSV column that holds each row's group (target, \
             topic) in [data], e.g. group = \"topic\" (or set evaluation.group = \"holder\" to group by data.holder)"
                .into(),
        )),
        (DataSpec::Csv(_), None)
            if column.is_none()
                && matches!(eval.scheme, Scheme::GroupKfold | Scheme::LeaveOneGroupOut) =>
        {
            Err(at.invalid(
                &["evaluation.scheme", "evaluation"],
                format!(
                    "scheme {} needs groups: name the CSV column to group by in [data], e.g. group = \"topic\" \
                     (or set evaluation.group = \"holder\" to group by data.holder)",
                    eval.scheme.name()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// `kind` has the table it needs and no other; then that table's own checks.
fn check_kind(file: &ExperimentFile, at: &Locator<'_>) -> Result<(), ConfigError> {
    match (file.kind, &file.ablation, &file.learning_curve) {
        (ExperimentKind::Ablation, None, _) => Err(at.invalid(
            &["kind"],
            "kind = \"ablation\" needs an [ablation] table naming feature_set".into(),
        )),
        (ExperimentKind::LearningCurve, _, None) => Err(at.invalid(
            &["kind"],
            "kind = \"learning-curve\" needs a [learning_curve] table with fractions".into(),
        )),
        (ExperimentKind::Compare, Some(_), _) | (ExperimentKind::Compare, _, Some(_)) => Err(at
            .invalid(
                &["kind", "ablation", "learning_curve"],
                "[ablation] / [learning_curve] need kind = \"ablation\" / \"learning-curve\""
                    .into(),
            )),
        (_, ablation, learning_curve) => {
            if let Some(a) = ablation {
                check_ablation(a, &file.features, at)?;
            }
            match learning_curve {
                Some(lc) => check_learning_curve(lc, at),
                None => Ok(()),
            }
        }
    }
}

/// `[ablation]` names a declared feature set with something to leave out.
fn check_ablation(
    a: &AblationSpec,
    features: &[FeatureSetSpec],
    at: &Locator<'_>,
) -> Result<(), ConfigError> {
    let here = ["ablation.feature_set", "ablation"];
    match features.iter().find(|f| f.name == a.feature_set) {
        None => Err(at.invalid(
            &here,
            format!(
                "[ablation] feature_set '{}' is not one of the [[features]] names",
                a.feature_set
            ),
        )),
        Some(f) if f.extractors.len() < 2 => Err(at.invalid(
            &here,
            format!(
                "feature set '{}' has one extractor; nothing to leave out",
                f.name
            ),
        )),
        _ => Ok(()),
    }
}

/// `[learning_curve] fractions`: 1..=20 strictly increasing values in (0, 1].
fn check_learning_curve(lc: &LearningCurveSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    let all = "learning_curve.fractions";
    let len = lc.fractions.len();
    if len == 0 || len > MAX_FRACTIONS {
        return Err(at.invalid(
            &[all],
            format!("fractions must be a non-empty list of at most {MAX_FRACTIONS} numbers in (0, 1] (allowed: 1..={MAX_FRACTIONS} values), got {len}"),
        ));
    }
    if let Some(i) = lc.fractions.iter().position(|f| !(*f > 0.0 && *f <= 1.0)) {
        return Err(at.invalid(
            &[&format!("{all}[{i}]"), all],
            format!(
                "fractions must be a non-empty list of numbers in (0, 1]; got {}",
                lc.fractions[i]
            ),
        ));
    }
    if let Some(i) = lc.fractions.windows(2).position(|w| w[0] >= w[1]) {
        return Err(at.invalid(
            &[&format!("{all}[{}]", i + 1), all],
            "fractions must be strictly increasing".into(),
        ));
    }
    Ok(())
}

/// `[gate]` tolerances are finite and non-negative.
fn check_gate(gate: &GateSpec, at: &Locator<'_>) -> Result<(), ConfigError> {
    if let Some(b) = &gate.behaviour {
        for (test, max) in &b.max_failure_rate {
            if !(0.0..=1.0).contains(max) {
                return Err(at.invalid(
                    &[
                        &format!("gate.behaviour.max_failure_rate.{test}"),
                        "gate.behaviour.max_failure_rate",
                        "gate.behaviour",
                    ],
                    format!("the failure-rate bound of behaviour test '{test}' must be in [0, 1], got {max}"),
                ));
            }
        }
    }
    for (m, t) in &gate.tolerance {
        if !(t.is_finite() && *t >= 0.0) {
            return Err(at.invalid(
                &[&format!("gate.tolerance.{}", m.key()), "gate.tolerance"],
                format!("gate tolerance for {m} must be >= 0, got {t}"),
            ));
        }
    }
    Ok(())
}

/// The feature sets with every lexicon `path` resolved against the experiment's folder (absolute), for
/// validation, which reads the lexicon; the declaration itself keeps the path as written.
fn lexicons_resolved(specs: &[FeatureSetSpec], source: &ExperimentSource) -> Vec<FeatureSetSpec> {
    let mut specs = specs.to_vec();
    for e in specs.iter_mut().flat_map(|fs| fs.extractors.iter_mut()) {
        if let ExtractorSpec::Lexicon(LexiconParams { path: Some(p), .. }) = e {
            *p = source.resolve(p);
        }
    }
    specs
}

/// Unique names, then each feature set's own validation.
fn check_feature_sets(
    specs: &[FeatureSetSpec],
    at: &Locator<'_>,
) -> Result<Vec<FeatureSet>, ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (i, fs) in specs.iter().enumerate() {
        if !names.insert(fs.name.as_str()) {
            return Err(at.invalid(
                &[&format!("features[{i}].name"), &format!("features[{i}]")],
                format!("feature set name '{}' is used twice", fs.name),
            ));
        }
    }
    specs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            f.check().map_err(|source| ConfigError::Feature {
                origin: at.origin.clone(),
                line: at.line(&[&format!("features[{i}].name"), &format!("features[{i}]")]),
                source,
            })
        })
        .collect()
}

/// Unique names, then each classifier's own validation, located at the parameter it names when it names one.
fn check_classifiers(
    specs: &[ClassifierSpec],
    at: &Locator<'_>,
) -> Result<Vec<Classifier>, ConfigError> {
    let mut names = std::collections::HashSet::new();
    for (i, c) in specs.iter().enumerate() {
        if !names.insert(c.name()) {
            return Err(at.invalid(
                &[
                    &format!("classifiers[{i}].name"),
                    &format!("classifiers[{i}].type"),
                ],
                format!(
                    "classifier name '{}' is used twice; give one of them a `name`",
                    c.name()
                ),
            ));
        }
    }
    specs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.check().map_err(|source| {
                let param = match &source {
                    ModelError::InvalidParam { param, .. } => format!("classifiers[{i}].{param}"),
                    _ => String::new(),
                };
                ConfigError::Model {
                    origin: at.origin.clone(),
                    line: at.line(&[
                        &param,
                        &format!("classifiers[{i}].type"),
                        &format!("classifiers[{i}]"),
                    ]),
                    source,
                }
            })
        })
        .collect()
}

/// Where each value of an experiment file starts, read from the TOML parser's spans.
///
/// serde's `Spanned<T>` only reports the span of a value it also deserializes, and fails outright on values the
/// parser kept no span for (implicit tables). So this walks the document generically, asking toml for the span of
/// every value through the same private struct name `Spanned` uses, and records each by its key path
/// (`evaluation.k`, `features[1].name`, `learning_curve.fractions[2]`).
mod spans {
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    // The names toml 0.8 (through serde_spanned 0.6) recognises as a request for a value's span.
    const NAME: &str = "$__serde_spanned_private_Spanned";
    const START: &str = "$__serde_spanned_private_start";
    const END: &str = "$__serde_spanned_private_end";
    const VALUE: &str = "$__serde_spanned_private_value";
    const FIELDS: &[&str] = &[START, END, VALUE];

    /// Byte offset of every value's start, by key path.
    pub(super) fn value_starts(text: &str) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        // A parse error here was already reported by the schema step; whatever was recorded is still usable.
        let _ = Located {
            path: String::new(),
            out: &mut out,
        }
        .deserialize(toml::Deserializer::new(text));
        out
    }

    /// A value whose span is asked for, then recorded under `path`.
    struct Located<'o> {
        path: String,
        out: &'o mut BTreeMap<String, usize>,
    }

    /// A value's content: tables and arrays recurse, scalars end the walk.
    struct Content<'o> {
        path: String,
        out: &'o mut BTreeMap<String, usize>,
    }

    impl<'de> DeserializeSeed<'de> for Located<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_struct(NAME, FIELDS, self)
        }
    }

    impl<'de> DeserializeSeed<'de> for Content<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Located<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any TOML value")
        }
        // No span kept for this value: toml hands over the content itself.
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            Content {
                path: self.path,
                out: self.out,
            }
            .visit_seq(seq)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let Some(first) = map.next_key::<String>()? else {
                return Ok(());
            };
            if first != START {
                return Content {
                    path: self.path,
                    out: self.out,
                }
                .rest_of_table(first, map);
            }
            let start: usize = map.next_value()?;
            self.out.insert(self.path.clone(), start);
            while let Some(key) = map.next_key::<String>()? {
                if key == VALUE {
                    map.next_value_seed(Content {
                        path: self.path.clone(),
                        out: &mut *self.out,
                    })?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }

    impl<'de> Content<'_> {
        fn child(&mut self, key: &str) -> Located<'_> {
            let path = if self.path.is_empty() {
                key.to_string()
            } else {
                format!("{}.{key}", self.path)
            };
            Located {
                path,
                out: &mut *self.out,
            }
        }

        fn rest_of_table<A: MapAccess<'de>>(
            mut self,
            first: String,
            mut map: A,
        ) -> Result<(), A::Error> {
            map.next_value_seed(self.child(&first))?;
            while let Some(key) = map.next_key::<String>()? {
                map.next_value_seed(self.child(&key))?;
            }
            Ok(())
        }
    }

    impl<'de> Visitor<'de> for Content<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any TOML value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0;
            while seq
                .next_element_seed(Located {
                    path: format!("{}[{i}]", self.path),
                    out: &mut *self.out,
                })?
                .is_some()
            {
                i += 1;
            }
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            match map.next_key::<String>()? {
                Some(first) => self.rest_of_table(first, map),
                None => Ok(()),
            }
        }
    }
}

/// What defines *what an experiment measures* (data, evaluation, seed, bootstrap, kind, alpha): when any of it
/// changes, old and new results are not comparable. Feature sets and classifiers are deliberately absent —
/// judging a change to them is the gate's job.
///
/// The one list of these fields: serialised it is the fingerprint stored in `report.json`
/// (`experiment.identity`), and compared field by field it says what changed.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Identity<'a> {
    /// `[data]`, without its paths (`seeds`, `labels`, `path`): the data itself is identified by the sha256 of
    /// every input file (`report.json` `inputs`), so moving an experiment file and rewriting its relative paths
    /// does not make its baselines stale.
    #[serde(serialize_with = "serialize_data_identity")]
    pub data: &'a DataSpec,
    /// `[evaluation]`.
    pub evaluation: &'a EvalSpec,
    /// The seed.
    pub seed: u64,
    /// Bootstrap resamples.
    pub bootstrap: usize,
    /// The experiment kind.
    pub kind: ExperimentKind,
    /// `[ablation]`.
    pub ablation: &'a Option<AblationSpec>,
    /// `[learning_curve]`.
    pub learning_curve: &'a Option<LearningCurveSpec>,
    /// The significance level.
    pub alpha: f64,
    /// The classes F_avg averages, when declared (left out otherwise, so older fingerprints stay valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favg_classes: &'a Option<Vec<String>>,
}

impl<'a> Identity<'a> {
    /// The identity of an experiment declaration.
    pub fn of(f: &'a ExperimentFile) -> Identity<'a> {
        Identity {
            data: &f.data,
            evaluation: &f.evaluation,
            seed: f.seed,
            bootstrap: f.bootstrap,
            kind: f.kind,
            ablation: &f.ablation,
            learning_curve: &f.learning_curve,
            alpha: f.alpha,
            favg_classes: &f.favg_classes,
        }
    }

    /// sha256 of the identity's JSON (a `serde_json::Value`, so the key order is the one the stored fingerprints
    /// were made with).
    pub fn fingerprint(&self) -> String {
        sha256_hex(json(self).to_string().as_bytes())
    }

    /// The parts that differ, in reading order (`[data]`, `[evaluation]`, `seed`, …).
    pub fn changes(&self, other: &Identity<'_>) -> Vec<&'static str> {
        // Data and evaluation compare as JSON: that is what the fingerprint sees.
        let mut parts = Vec::new();
        if data_identity(self.data) != data_identity(other.data) {
            parts.push("[data]");
        }
        if json(self.evaluation) != json(other.evaluation) {
            parts.push("[evaluation]");
        }
        if self.seed != other.seed {
            parts.push("seed");
        }
        if self.bootstrap != other.bootstrap {
            parts.push("bootstrap");
        }
        if self.alpha != other.alpha {
            parts.push("alpha");
        }
        if self.favg_classes != other.favg_classes {
            parts.push("favg_classes");
        }
        if self.kind != other.kind
            || self.ablation != other.ablation
            || self.learning_curve != other.learning_curve
        {
            parts.push("kind / [ablation] / [learning_curve]");
        }
        parts
    }
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("experiment declarations serialise")
}

/// The keys of `[data]` that are paths, left out of [`Identity`].
const DATA_PATH_KEYS: [&str; 3] = ["seeds", "labels", "path"];

/// `[data]` as the identity sees it: everything but its paths.
fn data_identity(d: &DataSpec) -> serde_json::Value {
    let mut v = json(d);
    if let Some(table) = v.as_object_mut() {
        for k in DATA_PATH_KEYS {
            table.remove(k);
        }
    }
    v
}

fn serialize_data_identity<S: serde::Serializer>(d: &&DataSpec, s: S) -> Result<S::Ok, S::Error> {
    data_identity(d).serialize(s)
}

/// The loaded data and what was left out.
#[derive(Debug, Clone)]
pub struct LoadedData {
    /// The items.
    pub dataset: Dataset,
    /// Rows read and left out.
    pub stats: TableStats,
}

/// A stratified random sample of `n` items (class shares kept, at least one per class), in original order.
pub fn stratified_sample(ds: &Dataset, n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005A_4D50_4C45);
    let total = ds.items.len();
    let mut keep = Vec::new();
    for c in 0..ds.classes.len() {
        let mut idx: Vec<usize> = (0..total).filter(|&i| ds.items[i].label == c).collect();
        let want =
            ((idx.len() as f64 * n as f64 / total as f64).round() as usize).clamp(1, idx.len());
        idx.shuffle(&mut rng);
        keep.extend_from_slice(&idx[..want]);
    }
    keep.sort_unstable();
    Dataset {
        classes: ds.classes.clone(),
        items: keep.into_iter().map(|i| ds.items[i].clone()).collect(),
        input_hashes: ds.input_hashes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
seed = 1
[data]
source = "gold"
classes = ["support", "oppose"]
[evaluation]
scheme = "stratified-kfold"
k = 3
[[features]]
name = "words"
extractors = [{ type = "word-ngrams" }]
[[classifiers]]
type = "logistic"
"#;

    #[test]
    fn the_built_in_default_parses() {
        let e = Experiment::from_source(DEFAULT_EXPERIMENT, None).unwrap();
        assert_eq!(e.file.name, "default");
        assert!(e.source.origin().contains("built-in"));
    }

    #[test]
    fn minimal_experiment_gets_defaults() {
        let e = Experiment::from_source(MINIMAL, Some(Path::new("x.toml"))).unwrap();
        assert_eq!(e.file.bootstrap, 2000);
        assert_eq!(e.file.headline, MetricName::MacroF1);
        assert_eq!(
            e.gate_metrics(),
            vec![MetricName::MacroF1, MetricName::Accuracy]
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_line() {
        let bad = MINIMAL.replace("k = 3", "k = 3\nshuffle = true");
        let err = Experiment::from_source(&bad, Some(Path::new("x.toml")))
            .map_err(|e| stance_core::errors::chain(&e))
            .unwrap_err();
        assert!(err.starts_with("x.toml:10:"), "{err}");
        assert!(err.contains("unknown field `shuffle`"), "{err}");
        let bad = MINIMAL.replace("seed = 1", "seed = \"one\"");
        let err = Experiment::from_source(&bad, Some(Path::new("x.toml")))
            .map_err(|e| stance_core::errors::chain(&e))
            .unwrap_err();
        assert!(err.starts_with("x.toml:3:"), "{err}");
    }

    #[test]
    fn semantic_errors_are_explained() {
        let cases = [
            (MINIMAL.replace("k = 3", "k = 1"), "k must be at least 2"),
            (MINIMAL.replace("k = 3\n", ""), "needs `k`"),
            (
                MINIMAL.replace("seed = 1", "seed = 1\nbootstrap = 10"),
                "too few",
            ),
            (
                MINIMAL.replace("type = \"logistic\"", "type = \"majority\""),
                "not a baseline",
            ),
            (
                MINIMAL.replace("type = \"logistic\"", "type = \"logistic\"\nalpha = -2.0"),
                "alpha",
            ),
            (
                MINIMAL.replace("seed = 1", "seed = 1\nkind = \"ablation\""),
                "[ablation]",
            ),
        ];
        for (src, want) in cases {
            let err = Experiment::from_source(&src, Some(Path::new("x.toml")))
                .map_err(|e| stance_core::errors::chain(&e))
                .unwrap_err();
            assert!(err.contains(want), "wanted '{want}' in: {err}");
        }
    }

    /// The line `err` (a `file:line: message` string) points at.
    fn line_of(src: &str) -> (u64, String) {
        let err = Experiment::from_source(src, Some(Path::new("x.toml")))
            .map_err(|e| stance_core::errors::chain(&e))
            .unwrap_err();
        let line = err
            .strip_prefix("x.toml:")
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no line in: {err}"));
        (line, err)
    }

    #[test]
    fn bad_lists_to_tune_are_refused_at_their_line_with_the_index() {
        let cases = [
            (
                MINIMAL.replace("type = \"logistic\"", "type = \"logistic\"\nalpha = []"),
                "alpha = []",
                "'alpha' is an empty list",
            ),
            (
                MINIMAL.replace(
                    "type = \"logistic\"",
                    "type = \"logistic\"\nalpha = [0.1, -1, 10]",
                ),
                "alpha = [",
                "'alpha[1]' must be a number in (0, 1e12]",
            ),
            (
                MINIMAL.replace(
                    "type = \"logistic\"",
                    "type = \"logistic\"\nalpha = [0.1, 0.1]",
                ),
                "alpha = [",
                "'alpha[1]' lists 0.1 twice",
            ),
            (
                MINIMAL.replace(
                    "{ type = \"word-ngrams\" }",
                    "{ type = \"word-ngrams\", ngram = [[1, 1], [2, 1]] }",
                ),
                "extractors",
                "'ngram[1]' must be [min, max]",
            ),
            (
                MINIMAL.replace(
                    "{ type = \"word-ngrams\" }",
                    "{ type = \"word-ngrams\", max_features = [10, 0] }",
                ),
                "extractors",
                "'max_features[1]' must be at least 1",
            ),
            (
                MINIMAL.replace("k = 3", "k = 3\ninner_k = 3"),
                "inner_k",
                "no parameter is given as a list",
            ),
            (
                MINIMAL
                    .replace("k = 3", "k = 3\ninner_k = 1")
                    .replace("type = \"logistic\"", "type = \"logistic\"\nalpha = [1, 2]"),
                "inner_k",
                "inner_k must be at least 2",
            ),
        ];
        for (src, at, want) in cases {
            let (line, err) = line_of(&src);
            assert!(err.contains(want), "wanted '{want}' in: {err}");
            let expected = if at == "extractors" {
                line_starting(&src, "name = \"words\"")
            } else {
                line_starting(&src, at)
            };
            assert_eq!(line, expected, "{err}");
        }
    }

    #[test]
    fn lists_make_one_configuration_whose_id_shows_the_grid() {
        let src = MINIMAL
            .replace(
                "type = \"logistic\"",
                "type = \"logistic\"\nalpha = [0.01, 1, 10]",
            )
            .replace(
                "{ type = \"word-ngrams\" }",
                "{ type = \"word-ngrams\", ngram = [[1, 1], [1, 2]] }",
            );
        let e = Experiment::from_source(&src, None).unwrap();
        let plan = e.plan().unwrap();
        let ids: Vec<String> = plan.cells().into_iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            vec!["words(ngram∈{[1,1],[1,2]}) + logistic(alpha∈{0.01,1,10})"]
        );
        assert_eq!(plan.inner_k, stance_eval::tune::DEFAULT_INNER_K);
        assert_eq!(
            stance_eval::tune::settings(Some(&plan.variants[0].features), &plan.classifiers[0])[1],
            "ngram=[1,1], alpha=1"
        );
        // A fixed experiment serializes as before: no `inner_k`, plain numbers.
        let fixed = Experiment::from_source(MINIMAL, None).unwrap();
        let json = serde_json::to_string(&fixed.file).unwrap();
        assert!(
            !json.contains("inner_k") && json.contains("\"alpha\":1.0"),
            "{json}"
        );
    }

    /// 1-based line of the first line of `src` that starts with `prefix`.
    fn line_starting(src: &str, prefix: &str) -> u64 {
        src.lines().position(|l| l.starts_with(prefix)).unwrap() as u64 + 1
    }

    /// `MINIMAL` with a description and comments that mention every key the errors below are about, above the
    /// keys themselves: a substring search would point at these.
    fn decoy() -> String {
        MINIMAL.replace(
            "name = \"t\"\n",
            "name = \"t\"\ndescription = \"k, repeats, alpha, bootstrap, fractions, \\\"words\\\", \\\"logistic\\\"\"\n\
             # k = 5 repeats = 3 alpha bootstrap fractions name = \"words\" type = \"logistic\"\n",
        )
    }

    #[test]
    fn errors_point_at_the_value_not_at_a_mention() {
        let base = decoy();
        let cases: Vec<(String, &str, &str)> = vec![
            (
                base.replace("k = 3", "k = 1"),
                "k = 1",
                "k must be at least 2",
            ),
            (
                base.replace("k = 3", "k = 3\nrepeats = 0"),
                "repeats = 0",
                "repeats must be at least 1",
            ),
            (
                base.replace("seed = 1", "seed = 1\nalpha = 1.5"),
                "alpha = 1.5",
                "alpha must be in (0, 1)",
            ),
            (
                base.replace("seed = 1", "seed = 1\nbootstrap = 10"),
                "bootstrap = 10",
                "too few",
            ),
            (
                base.replace("seed = 1", "seed = 1\nkind = \"learning-curve\"")
                    + "[learning_curve]\nfractions = [0.5, 0.25]\n",
                "fractions = ",
                "strictly increasing",
            ),
            (
                base.clone()
                    + "[[features]]\nname = \"words\"\nextractors = [{ type = \"char-ngrams\" }]\n",
                "name = \"words\"\nextractors = [{ type = \"char",
                "used twice",
            ),
            (
                base.clone()
                    + "[[classifiers]]\ntype = \"logistic\"\nname = \"l2\"\nalpha = -2.0\n",
                "alpha = -2.0",
                "alpha",
            ),
        ];
        for (src, at, want) in cases {
            let (line, err) = line_of(&src);
            let expected = src
                .find(at)
                .map(|o| stance_core::diag::line_of_offset(&src, o));
            assert_eq!(Some(line), expected, "{want}: {err}\n{src}");
            assert!(err.contains(want), "wanted '{want}' in: {err}");
        }
    }

    #[test]
    fn sizes_are_bounded_with_the_allowed_range_in_the_message() {
        let lc = |fractions: &str| {
            MINIMAL.replace("seed = 1", "seed = 1\nkind = \"learning-curve\"")
                + &format!("[learning_curve]\nfractions = {fractions}\n")
        };
        let many: Vec<String> = (1..=21).map(|i| format!("{}", i as f64 / 21.0)).collect();
        let cases = [
            (
                MINIMAL.replace("seed = 1", "seed = 1\nbootstrap = 100001"),
                "bootstrap",
                "100..=100000",
            ),
            (MINIMAL.replace("k = 3", "k = 1001"), "k = ", "2..=1000"),
            (
                MINIMAL.replace("k = 3", "k = 3\nrepeats = 1001"),
                "repeats",
                "1..=1000",
            ),
            (lc(&format!("[{}]", many.join(", "))), "fractions", "1..=20"),
            (lc("[0.5, 1.5]"), "fractions", "(0, 1]"),
        ];
        for (src, key, want) in cases {
            let (line, err) = line_of(&src);
            assert_eq!(line, line_starting(&src, key), "{err}");
            assert!(err.contains(want), "wanted '{want}' in: {err}");
        }
        for ok in ["bootstrap = 0", "bootstrap = 100", "bootstrap = 100000"] {
            let src = MINIMAL.replace("seed = 1", &format!("seed = 1\n{ok}"));
            assert!(Experiment::from_source(&src, None).is_ok(), "{ok}");
        }
        let twenty: Vec<String> = (1..=20).map(|i| format!("{}", i as f64 / 20.0)).collect();
        assert!(Experiment::from_source(&lc(&format!("[{}]", twenty.join(", "))), None).is_ok());
    }

    #[test]
    fn feature_and_tree_sizes_are_bounded_but_real_values_pass() {
        let words = |extra: &str| {
            MINIMAL.replace(
                "extractors = [{ type = \"word-ngrams\" }]",
                &format!("extractors = [{{ type = \"word-ngrams\", {extra} }}]"),
            )
        };
        let tree = |extra: &str| {
            MINIMAL.replace(
                "type = \"logistic\"",
                &format!("type = \"decision-tree\"\n{extra}"),
            )
        };
        let cases = [
            (
                words("max_features = 2000000000"),
                "name = \"words\"",
                "1..=1000000000",
            ),
            (
                words("min_df = 2000000000"),
                "name = \"words\"",
                "1..=1000000000",
            ),
            (tree("max_depth = 100000"), "max_depth", "1..=10000"),
            (
                tree("min_samples_leaf = 1e30"),
                "min_samples_leaf",
                "[1, 1e9]",
            ),
            (
                tree("min_samples_split = 1e30"),
                "min_samples_split",
                "[1, 1e9]",
            ),
        ];
        for (src, key, want) in cases {
            let (line, err) = line_of(&src);
            assert_eq!(line, line_starting(&src, key), "{err}");
            assert!(err.contains(want), "wanted '{want}' in: {err}");
        }
        for ok in [
            words("max_features = 10000000, min_df = 100"),
            words("max_features = [1000, 10000000]"),
            tree("max_depth = 200\nmin_samples_leaf = 50\nmin_samples_split = 100"),
        ] {
            assert!(Experiment::from_source(&ok, None).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_csv_sample_of_zero_is_refused_at_its_line() {
        let src = MINIMAL.replace(
            "source = \"gold\"\nclasses = [\"support\", \"oppose\"]",
            "source = \"csv\"\npath = \"x.csv\"\ntext = \"t\"\nlabel = \"l\"\nsample = 0",
        );
        let (line, err) = line_of(&src);
        assert_eq!(line, line_starting(&src, "sample"), "{err}");
        assert!(err.contains("at least 1"), "{err}");
    }

    #[test]
    fn identity_fingerprint_ignores_features_but_not_data() {
        let a = Experiment::from_source(MINIMAL, None).unwrap();
        let b = Experiment::from_source(
            &MINIMAL.replace("word-ngrams\" }", "word-ngrams\", ngram = [1, 2] }"),
            None,
        )
        .unwrap();
        let c = Experiment::from_source(&MINIMAL.replace("k = 3", "k = 2"), None).unwrap();
        assert_eq!(a.identity_fingerprint(), b.identity_fingerprint());
        assert_ne!(a.identity_fingerprint(), c.identity_fingerprint());
    }

    #[test]
    fn identity_fingerprint_ignores_data_paths_but_not_other_data_keys() {
        let a = Experiment::from_source(MINIMAL, None).unwrap();
        let moved = MINIMAL.replace(
            "source = \"gold\"",
            "source = \"gold\"\nseeds = \"../seeds\"\nlabels = \"../labels/gold.csv\"",
        );
        let b = Experiment::from_source(&moved, None).unwrap();
        let c = Experiment::from_source(
            &MINIMAL.replace("source = \"gold\"", "source = \"gold\"\nunit = \"finest\""),
            None,
        )
        .unwrap();
        assert_eq!(a.identity_fingerprint(), b.identity_fingerprint());
        assert!(Identity::of(&a.file)
            .changes(&Identity::of(&b.file))
            .is_empty());
        assert_ne!(a.identity_fingerprint(), c.identity_fingerprint());
        assert_eq!(
            Identity::of(&a.file).changes(&Identity::of(&c.file)),
            vec!["[data]"]
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_experiment_folder() {
        let e = Experiment::from_source(MINIMAL, Some(Path::new("/nowhere/exps/x.toml"))).unwrap();
        assert_eq!(e.source.base_dir, Path::new("/nowhere/exps"));
        assert_eq!(
            e.source.resolve(Path::new("../seeds")),
            Path::new("/nowhere/seeds")
        );
        assert_eq!(
            e.source.resolve(Path::new("./a/./b.csv")),
            Path::new("/nowhere/exps/a/b.csv")
        );
        assert_eq!(
            e.source.resolve(Path::new("/abs/c.csv")),
            Path::new("/abs/c.csv")
        );
        // Text without a file resolves against the working directory.
        let t = Experiment::from_source(MINIMAL, None).unwrap();
        assert_eq!(t.source.base_dir, working_dir());
    }

    #[test]
    fn a_missing_data_path_names_the_resolved_path_and_its_base() {
        let e = Experiment::from_source(MINIMAL, Some(Path::new("/nowhere/exps/x.toml"))).unwrap();
        let err = e
            .load_data()
            .map_err(|e| stance_core::errors::chain(&e))
            .unwrap_err();
        assert!(
            err.starts_with("/nowhere/exps/x.toml: data.seeds = \"seeds\" (its default"),
            "{err}"
        );
        assert!(
            err.contains("names /nowhere/exps/seeds, which does not exist"),
            "{err}"
        );
        assert!(
            err.contains("against the experiment file's folder, /nowhere/exps"),
            "{err}"
        );
    }

    #[test]
    fn the_grouping_column_is_named_once() {
        let csv = MINIMAL.replace(
            "source = \"gold\"\nclasses = [\"support\", \"oppose\"]",
            "source = \"csv\"\npath = \"x.csv\"\ntext = \"t\"\nlabel = \"l\"\ngroup = \"topic\"",
        );
        let group_kfold = |src: &str, group: &str| {
            src.replace(
                "scheme = \"stratified-kfold\"",
                &format!("scheme = \"group-kfold\"{group}"),
            )
        };
        let ok = Experiment::from_source(&group_kfold(&csv, ""), None).unwrap();
        assert_eq!(
            ok.plan().unwrap().split,
            Split::GroupKfold {
                k: 3,
                repeats: 1,
                by: GroupBy::Group
            }
        );
        for (src, want) in [
            (
                group_kfold(&csv, "\ngroup = \"group\""),
                "data.group names ('topic')",
            ),
            (
                group_kfold(&csv, "\ngroup = \"doc\""),
                "applies to gold data",
            ),
            (
                group_kfold(MINIMAL, "\ngroup = \"group\""),
                "gold data groups by seed document",
            ),
            (
                group_kfold(&csv.replace("group = \"topic\"\n", ""), ""),
                "name the CSV column to group by in [data]",
            ),
        ] {
            let (line, err) = line_of(&src);
            assert!(err.contains(want), "wanted '{want}' in: {err}");
            assert!(line > 0, "{err}");
        }
        let holder = group_kfold(&csv, "\ngroup = \"holder\"");
        assert!(Experiment::from_source(&holder, None).is_ok());
    }
}

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod plan_tests;
