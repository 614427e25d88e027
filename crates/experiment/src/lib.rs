//! Experiment files: what a run compares, on which data, under which evaluation scheme.
//!
//! An experiment is a TOML file (see `experiments/*.toml` and the README for the full reference). Loading has two
//! steps: the schema (serde rejects unknown keys and wrong types), then one check per section (top level, data,
//! evaluation, kind with its ablation / learning-curve table, gate, feature sets, classifiers) for everything serde
//! cannot see: unique names, sizes within their allowed ranges, known metrics, fractions in range. Every error
//! names `file:line`, the line taken from the TOML parser's span of the offending value (see `spans`), so a
//! comment or description mentioning the same word cannot mislead it.
//!
//! Outside systems (`[[systems]]`, a predictions file or a command judged beside the grid) are [`systems`]'s.
//!
//! Relative paths inside an experiment (`data.seeds`, `data.labels`, `data.path`, `behaviour.suites`, and the
//! defaults used when they are left out) are resolved against the folder of the experiment file, so an experiment
//! runs the same from any working directory and a CSV can sit next to its TOML. Experiment text without a file
//! ([`Experiment::from_source`] with `None`) resolves against the working directory; the built-in copy of
//! `experiments/default.toml` that `stance run` falls back to resolves as if it were that file, i.e. against
//! `./experiments`, so its `../seeds` is `./seeds`. A path that does not exist is reported with its resolved
//! absolute path and the folder it was resolved against ([`ConfigError::NotFound`], [`ConfigError::NoProject`]).
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`,
//! `stance-corpus`, `stance-features`, `stance-models`, `stance-behaviour`, `stance-eval`; never a crate above it.

mod check;
mod data;
mod errors;
mod identity;
mod paths;
mod schema;
mod spans;
pub mod systems;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use stance_eval::metrics::MetricName;
pub use stance_eval::splits::{GroupBy, Scheme};

pub use data::{stratified_sample, LoadedData};
pub use errors::{ConfigError, MissingPath};
pub use identity::Identity;
pub use paths::ExperimentSource;
pub use schema::{
    default_top_features, AblationSpec, BehaviourGateSpec, BehaviourSpec, DataSpec, EvalSpec,
    ExperimentFile, ExperimentKind, GateSpec, GoldSpec, LearningCurveSpec, ReportSpec, SystemSpec,
    DEFAULT_BEHAVIOUR_DIR, DEFAULT_BEHAVIOUR_SUITES, DEFAULT_MAX_BROKEN, DEFAULT_RIGHT_SHARE,
};
pub use systems::{SystemError, SystemOptions};

use check::*;
use paths::*;
use schema::*;
use spans::Locator;

use stance_eval::plan::{ablation_variants, Clusters, Explain, Kind, Plan, Variant};
use stance_eval::splits::Split;

use stance_corpus::sha256_hex;
use stance_features::FeatureSet;
use stance_models::Classifier;

/// The built-in default experiment (the same bytes as `experiments/default.toml`).
pub const DEFAULT_EXPERIMENT: &str = include_str!("../../../experiments/default.toml");

/// Where `stance run` looks for the default experiment before using the built-in copy.
pub const DEFAULT_EXPERIMENT_PATH: &str = "experiments/default.toml";

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
    /// What the feature sets read besides the data, with sha256: `encoder:<folder>`, `vectors:<file>`,
    /// `word-vectors:<file>`, paths named as the data's are (relative to the working directory when inside it).
    pub fn feature_inputs(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for fs in &self.feature_sets {
            for (key, sha) in fs.input_hashes() {
                let key = match key.split_once(':') {
                    Some((kind, path)) => format!("{kind}:{}", shown(Path::new(path)).display()),
                    None => key,
                };
                out.insert(key, sha);
            }
        }
        out
    }

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
        check_tuning_size(&feature_sets, &classifiers, &at)?;
        check_report(&file, &feature_sets, &classifiers, &at)?;
        systems::check_systems(&file, &at)?;
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
    /// an ablation variant whose remaining extractors do not form a valid feature set. Its outside systems have no
    /// answers yet: a run needs [`plan_answered`](Self::plan_answered).
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
            top_features: self
                .top_features()
                .iter()
                .map(|e| Explain::parse(e))
                .collect(),
            systems: self.declared_systems(),
        })
    }

    /// `[report] top_features` as declared, or its default (`["best"]`).
    pub fn top_features(&self) -> Vec<String> {
        self.file
            .report
            .as_ref()
            .map_or_else(default_top_features, |r| r.top_features.clone())
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
}

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod plan_tests;
