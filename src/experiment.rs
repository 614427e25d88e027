//! Experiment files: what a run compares, on which data, under which evaluation scheme.
//!
//! An experiment is a TOML file (see `experiments/*.toml` and the README for the full reference). Parsing rejects
//! unknown keys and wrong types with `file:line`; [`Experiment::from_source`] then checks everything serde cannot
//! (unique names, k ≥ 2, known metrics, fractions in range) and validates every feature set and classifier once.
//!
//! Relative paths inside an experiment (seeds, labels, CSV) are resolved against the working directory, so the
//! README's commands work from the repository root, and so does the built-in copy of `experiments/default.toml`
//! that `stance run` falls back to when the file is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use crate::eval::metrics::MetricName;
pub use crate::eval::splits::{GroupBy, Scheme};

use crate::eval::plan::{ablation_variants, Clusters, Kind, Plan, Variant};
use crate::eval::splits::Split;

use crate::corpus::gold::{load_gold, select_units, UnitSelection};
use crate::corpus::table::{read_table, TableSpec, TableStats};
use crate::corpus::{sha256_hex, CorpusError, Dataset, Item};
use crate::features::{FeatureError, FeatureSet, FeatureSetSpec};
use crate::models::{Classifier, ClassifierSpec, ModelError};

/// The built-in default experiment (the same bytes as `experiments/default.toml`).
pub const DEFAULT_EXPERIMENT: &str = include_str!("../experiments/default.toml");

/// Where `stance run` looks for the default experiment before using the built-in copy.
pub const DEFAULT_EXPERIMENT_PATH: &str = "experiments/default.toml";

/// Errors in an experiment file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the experiment file: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a wrong type.
    #[error("{origin}:{line}: {message}")]
    Parse {
        /// The file (or `<built-in default>`).
        origin: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
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
    #[error("{origin}{}: {source}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Feature {
        /// The file.
        origin: String,
        /// Line of the feature set's name, when found.
        line: Option<u64>,
        /// The feature error.
        source: FeatureError,
    },
    /// A classifier is invalid.
    #[error("{origin}{}: {source}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Model {
        /// The file.
        origin: String,
        /// Line of the classifier, when found.
        line: Option<u64>,
        /// The model error.
        source: ModelError,
    },
    /// The data the experiment names could not be loaded.
    #[error("{0}")]
    Data(#[from] CorpusError),
    /// The data does not fit the experiment (e.g. a class with no items).
    #[error("{0}")]
    DataMismatch(String),
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
    /// Grouping for group schemes. Defaults to `doc`.
    #[serde(default)]
    pub group: Option<GroupBy>,
}

fn one_usize() -> usize {
    1
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
}

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
}

impl ExperimentSource {
    /// How to name the source in messages.
    pub fn origin(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("<built-in {DEFAULT_EXPERIMENT_PATH}>"),
        }
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
}

fn find_line(src: &str, needle: &str) -> Option<u64> {
    src.find(needle)
        .map(|off| crate::diag::line_of_offset(src, off))
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
    pub fn load_default() -> Result<Experiment, ConfigError> {
        let p = Path::new(DEFAULT_EXPERIMENT_PATH);
        if p.exists() {
            Experiment::load(p)
        } else {
            Experiment::from_source(DEFAULT_EXPERIMENT, None)
        }
    }

    /// Parses and validates experiment text; `path` is used in messages.
    pub fn from_source(text: &str, path: Option<&Path>) -> Result<Experiment, ConfigError> {
        let source = ExperimentSource {
            path: path.map(Path::to_path_buf),
            sha256: sha256_hex(text.as_bytes()),
        };
        let origin = source.origin();
        let file: ExperimentFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.clone(),
            line: e
                .span()
                .map(|s| crate::diag::line_of_offset(text, s.start))
                .unwrap_or(1),
            message: e.message().trim().to_string(),
        })?;
        let invalid = |needle: &str, message: String| ConfigError::Invalid {
            origin: origin.clone(),
            line: find_line(text, needle),
            message,
        };
        if file.name.trim().is_empty()
            || file.name.contains(['/', '\\'])
            || file.name.starts_with('.')
        {
            return Err(invalid(
                "name",
                format!("name '{}' must be non-empty, without slashes, and not start with '.'; it names the report folder", file.name),
            ));
        }
        if file.features.is_empty() {
            return Err(invalid(
                "[data]",
                "declare at least one [[features]] set".into(),
            ));
        }
        if file.classifiers.iter().all(|c| c.is_baseline()) {
            return Err(invalid(
                "[[classifiers]]",
                "declare at least one classifier that is not a baseline".into(),
            ));
        }
        if !(file.alpha > 0.0 && file.alpha < 1.0) {
            return Err(invalid(
                "alpha",
                format!("alpha must be in (0, 1), got {}", file.alpha),
            ));
        }
        if file.bootstrap != 0 && file.bootstrap < 100 {
            return Err(invalid(
                "bootstrap",
                format!("bootstrap = {} is too few for a 95% interval; use 0 (no intervals) or at least 100", file.bootstrap),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for fs in &file.features {
            if !names.insert(fs.name.clone()) {
                return Err(invalid(
                    &format!("\"{}\"", fs.name),
                    format!("feature set name '{}' is used twice", fs.name),
                ));
            }
        }
        let mut cnames = std::collections::HashSet::new();
        for c in &file.classifiers {
            if !cnames.insert(c.name()) {
                return Err(invalid(
                    &format!("\"{}\"", c.name()),
                    format!(
                        "classifier name '{}' is used twice; give one of them a `name`",
                        c.name()
                    ),
                ));
            }
        }
        let eval = &file.evaluation;
        let needs_k = matches!(eval.scheme, Scheme::StratifiedKfold | Scheme::GroupKfold);
        match (needs_k, eval.k) {
            (true, None) => {
                return Err(invalid(
                    "scheme",
                    "this scheme needs `k` (the number of folds)".into(),
                ))
            }
            (true, Some(k)) if k < 2 => {
                return Err(invalid("k =", format!("k must be at least 2, got {k}")))
            }
            (false, Some(_)) => {
                return Err(invalid(
                    "k =",
                    format!("`k` does not apply to scheme {:?}; remove it", eval.scheme),
                ))
            }
            _ => {}
        }
        if eval.repeats == 0 {
            return Err(invalid("repeats", "repeats must be at least 1".into()));
        }
        if eval.repeats > 1 && !needs_k {
            return Err(invalid(
                "repeats",
                "repeats > 1 only makes sense for shuffled schemes (stratified-kfold, group-kfold)"
                    .into(),
            ));
        }
        if matches!(
            eval.scheme,
            Scheme::StratifiedKfold | Scheme::LeaveOneOut | Scheme::FixedSplit
        ) && eval.group.is_some()
        {
            return Err(invalid(
                "group",
                "`group` applies only to leave-one-group-out and group-kfold".into(),
            ));
        }
        match (file.kind, &file.ablation, &file.learning_curve) {
            (ExperimentKind::Ablation, None, _) => {
                return Err(invalid(
                    "kind",
                    "kind = \"ablation\" needs an [ablation] table naming feature_set".into(),
                ))
            }
            (ExperimentKind::LearningCurve, _, None) => {
                return Err(invalid(
                    "kind",
                    "kind = \"learning-curve\" needs a [learning_curve] table with fractions"
                        .into(),
                ))
            }
            (ExperimentKind::Compare, Some(_), _) | (ExperimentKind::Compare, _, Some(_)) => {
                return Err(invalid(
                    "kind",
                    "[ablation] / [learning_curve] need kind = \"ablation\" / \"learning-curve\""
                        .into(),
                ))
            }
            _ => {}
        }
        if let Some(a) = &file.ablation {
            match file.features.iter().find(|f| f.name == a.feature_set) {
                None => {
                    return Err(invalid(
                        "[ablation]",
                        format!(
                            "[ablation] feature_set '{}' is not one of the [[features]] names",
                            a.feature_set
                        ),
                    ))
                }
                Some(f) if f.extractors.len() < 2 => {
                    return Err(invalid(
                        "[ablation]",
                        format!(
                            "feature set '{}' has one extractor; nothing to leave out",
                            f.name
                        ),
                    ))
                }
                _ => {}
            }
        }
        if let Some(lc) = &file.learning_curve {
            if lc.fractions.is_empty() || lc.fractions.iter().any(|f| !(*f > 0.0 && *f <= 1.0)) {
                return Err(invalid(
                    "fractions",
                    "fractions must be a non-empty list of numbers in (0, 1]".into(),
                ));
            }
            if lc.fractions.windows(2).any(|w| w[0] >= w[1]) {
                return Err(invalid(
                    "fractions",
                    "fractions must be strictly increasing".into(),
                ));
            }
        }
        for (m, t) in &file.gate.tolerance {
            if !(t.is_finite() && *t >= 0.0) {
                return Err(invalid(
                    "tolerance",
                    format!("gate tolerance for {m} must be >= 0, got {t}"),
                ));
            }
        }
        let feature_sets = file
            .features
            .iter()
            .map(|f| {
                f.check().map_err(|source| ConfigError::Feature {
                    origin: origin.clone(),
                    line: find_line(text, &format!("\"{}\"", f.name)),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let classifiers = file
            .classifiers
            .iter()
            .map(|c| {
                c.check().map_err(|source| ConfigError::Model {
                    origin: origin.clone(),
                    line: find_line(text, &format!("\"{}\"", c.kind())),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Experiment {
            file,
            source,
            feature_sets,
            classifiers,
        })
    }

    /// The typed plan the evaluation stage runs. Everything was validated at load, so this cannot fail except for
    /// an ablation variant whose remaining extractors do not form a valid feature set.
    pub fn plan(&self) -> Result<Plan, ConfigError> {
        let f = &self.file;
        let eval = &f.evaluation;
        let k = eval.k.unwrap_or(0);
        let by = eval.group.unwrap_or(GroupBy::Doc);
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
        })
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
        let f = &self.file;
        let v = serde_json::json!({
            "data": f.data, "evaluation": f.evaluation, "seed": f.seed, "bootstrap": f.bootstrap,
            "kind": f.kind, "ablation": f.ablation, "learning_curve": f.learning_curve, "alpha": f.alpha,
        });
        sha256_hex(v.to_string().as_bytes())
    }

    /// Loads the data the experiment names, keeping only its classes.
    pub fn load_data(&self) -> Result<LoadedData, ConfigError> {
        match &self.file.data {
            DataSpec::Gold(g) => {
                let check = load_gold(&g.seeds, &g.labels)?;
                let units = select_units(&check.units, g.unit);
                for c in &g.classes {
                    if !crate::corpus::GOLD_STANCES.contains(&c.as_str()) {
                        return Err(ConfigError::DataMismatch(format!(
                            "{}: data.classes lists '{c}', which is not a gold stance (support, oppose, neutral)",
                            self.source.origin()
                        )));
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
                    input_hashes: check.input_hashes(),
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
                let (ds, stats) = read_table(t, &t.classes)?;
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
            return Err(ConfigError::DataMismatch(format!(
                "{}: the data has {} class(es); a stance experiment needs at least two",
                self.source.origin(),
                ds.classes.len()
            )));
        }
        for (c, n) in ds.classes.iter().zip(&counts) {
            if *n == 0 {
                return Err(ConfigError::DataMismatch(format!(
                    "{}: class '{c}' has no items in the data; check data.classes",
                    self.source.origin()
                )));
            }
        }
        if self.file.headline == MetricName::FAvg || self.gate_metrics().contains(&MetricName::FAvg)
        {
            let has = |s: &str| ds.classes.iter().any(|c| c == s);
            if !(has("support") && has("oppose")) {
                return Err(ConfigError::DataMismatch(format!(
                    "{}: F_avg is the mean F1 of the classes 'support' and 'oppose', which this data does not have \
                     (classes: {}); rename them with data.label_names or choose another headline",
                    self.source.origin(),
                    ds.classes.join(", ")
                )));
            }
        }
        Ok(LoadedData { dataset: ds, stats })
    }
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
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.toml:10:"), "{err}");
        assert!(err.contains("unknown field `shuffle`"), "{err}");
        let bad = MINIMAL.replace("seed = 1", "seed = \"one\"");
        let err = Experiment::from_source(&bad, Some(Path::new("x.toml")))
            .unwrap_err()
            .to_string();
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
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "wanted '{want}' in: {err}");
        }
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
}
