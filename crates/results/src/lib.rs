//! The report's data model: a [`RunReport`] is the evaluation's [`Run`] plus what identifies it (harness,
//! experiment, inputs, data summary). `report.json` is its serialisation, and every renderer and the gate read it.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-models`,
//! `stance-behaviour`, `stance-eval`, `stance-experiment`; never a crate above it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

mod consistency;
pub use consistency::{consistency, describe_predictions};

use stance_behaviour::run::{CaseResult, Outcome};
use stance_behaviour::summary::{csv_rows, summarize, BehaviourSummary};
use stance_eval::oof::OutOfFold;
use stance_eval::results::*;
use stance_eval::run::{Run, RunOutput};
use stance_eval::store::{SharedPredictions, SpillError};
use stance_eval::MetricName;
use stance_experiment::{Experiment, ExperimentFile, LoadedData};
use stance_models::ClassifierKind;

/// Version of the `report.json` schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

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

/// Everything a run produced, except timings: the evaluation's [`Run`] and what identifies it.
///
/// `report.json` is its serialisation: the run's fields sit in place between `data` and `behaviour` (serde's
/// `flatten`), so the file reads as one flat object.
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
    /// The evaluation's results: scheme, items, folds, configurations, ranking, comparisons, power, views,
    /// warnings.
    #[serde(flatten)]
    pub run: Run,
    /// Behavioural tests, when the experiment runs suites.
    pub behaviour: Option<BehaviourReport>,
    /// Set when the out-of-fold predictions and item texts were left out of `report.json` to keep it small (more
    /// than [`MAX_JSON_PREDICTIONS`] predictions); `predictions.csv.gz` ([`PREDICTIONS_CSV_GZ`]) holds every one of
    /// them.
    #[serde(default)]
    pub predictions_omitted: bool,
    /// The file holding every out-of-fold prediction, named in `report.json` only when it is not
    /// `predictions.csv` (so small reports are unchanged): [`PREDICTIONS_CSV_GZ`] for a bounded report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions_file: Option<String>,
    /// `behaviour.csv`'s rows (one per configuration × case). Not part of `report.json`: the file holds them.
    #[serde(skip)]
    pub behaviour_rows: Vec<[String; 10]>,
    /// The predictions of a run above [`MAX_JSON_PREDICTIONS`], whose configurations then hold none: the report
    /// writes `predictions.csv.gz` from here (see [`RunReport::repeat_predictions`]). Not part of `report.json`;
    /// `None` for a report read back from one, or for a smaller run.
    #[serde(skip)]
    pub predictions_store: Option<SharedPredictions>,
}

/// Behavioural test results in `report.json`: compact enough for a baseline, complete in `behaviour.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviourReport {
    /// Case ids, in case order.
    pub cases: Vec<String>,
    /// Per configuration, one character per case: `p` pass, `f` fail, `s` skipped (the outcome as tested, not the
    /// strict reading).
    pub outcomes: BTreeMap<String, String>,
    /// Per case, a digest of what it tests ([`stance_behaviour::Case::digest`]), so the gate compares a case's
    /// outcomes only when both runs tested the same thing (empty in reports written before it existed).
    #[serde(default)]
    pub digests: Vec<String>,
    /// Per configuration, failure rates per test (at most [`BEHAVIOUR_EXAMPLES`] failed cases kept as examples).
    pub summaries: Vec<BehaviourSummary>,
}

pub use stance_eval::results::MAX_JSON_PREDICTIONS;

/// The predictions file of a run at or below [`MAX_JSON_PREDICTIONS`]: plain CSV.
pub const PREDICTIONS_CSV: &str = "predictions.csv";

/// The predictions file of a run above [`MAX_JSON_PREDICTIONS`]: the same CSV, gzip-compressed (deterministic
/// bytes: no name or time in the header, fixed level), since it is then the only copy of the predictions and
/// runs to hundreds of megabytes uncompressed.
pub const PREDICTIONS_CSV_GZ: &str = "predictions.csv.gz";

/// The report as `report.json` holds it: the report itself, or — above [`MAX_JSON_PREDICTIONS`] — a copy without
/// the out-of-fold predictions and item texts, marked `predictions_omitted: true` and naming `predictions_file`.
/// The copy leaves out exactly the parts that grow with items × repeats × configurations, so it stays small.
#[derive(Debug, Clone)]
pub enum BoundedReport<'a> {
    /// Small enough to write whole.
    Whole(&'a RunReport),
    /// Trimmed.
    Trimmed(Box<RunReport>),
}

impl BoundedReport<'_> {
    /// Whether serialising leaves the predictions and item texts out.
    pub fn omits_predictions(&self) -> bool {
        matches!(self, BoundedReport::Trimmed(_))
    }

    /// The report to serialise.
    pub fn report(&self) -> &RunReport {
        match self {
            BoundedReport::Whole(r) => r,
            BoundedReport::Trimmed(r) => r,
        }
    }
}

impl Serialize for BoundedReport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.report().serialize(s)
    }
}

/// Failed cases kept per configuration in `report.json` (all of them are in `behaviour.csv`).
pub const BEHAVIOUR_EXAMPLES: usize = 10;

impl BehaviourReport {
    fn new(results: &[(String, Vec<CaseResult>)]) -> Option<BehaviourReport> {
        let first = &results.first()?.1;
        let code = |o: Outcome| match o {
            Outcome::Pass => 'p',
            Outcome::Fail => 'f',
            Outcome::Skipped => 's',
        };
        Some(BehaviourReport {
            cases: first.iter().map(|r| r.case.id.clone()).collect(),
            digests: first.iter().map(|r| r.case.digest()).collect(),
            outcomes: results
                .iter()
                .map(|(c, rs)| (c.clone(), rs.iter().map(|r| code(r.outcome)).collect()))
                .collect(),
            summaries: results
                .iter()
                .map(|(c, rs)| {
                    let mut s = summarize(c, rs);
                    s.failures.truncate(BEHAVIOUR_EXAMPLES);
                    s
                })
                .collect(),
        })
    }

    /// One configuration's summary.
    pub fn summary(&self, config: &str) -> Option<&BehaviourSummary> {
        self.summaries.iter().find(|s| s.config == config)
    }
}

/// Wall-clock measurements, kept apart from results so result files can be compared byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// The whole command until the report folder was written (this file aside), seconds.
    pub total_seconds: f64,
    /// Reading and checking the data, seconds.
    pub load_seconds: f64,
    /// Tokenising and interning every item once per feature set, seconds.
    pub extract_seconds: f64,
    /// Cross-validation grid, wall-clock seconds.
    pub grid_seconds: f64,
    /// Fitting and applying feature sets on folds, CPU seconds summed over threads.
    pub grid_features_cpu_seconds: f64,
    /// Fitting classifiers, CPU seconds summed over threads.
    pub grid_fit_cpu_seconds: f64,
    /// Predicting test folds, CPU seconds summed over threads.
    pub grid_predict_cpu_seconds: f64,
    /// Bootstrap and tests, seconds.
    pub statistics_seconds: f64,
    /// Refitting on all items for top features, seconds.
    pub refit_seconds: f64,
    /// Rendering and writing the report folder (JSON, CSV, Markdown, charts), seconds.
    pub render_seconds: f64,
    /// Summed fit+predict seconds per configuration (across threads).
    pub per_config_seconds: BTreeMap<String, f64>,
    /// Worker threads used.
    pub threads: usize,
    /// Operating system and architecture.
    pub platform: String,
    /// Logical CPUs.
    pub cpus: usize,
}

impl RunReport {
    /// The configuration with this id.
    pub fn config(&self, id: &str) -> Option<&ConfigResult> {
        self.run.configs.iter().find(|c| c.id == id)
    }

    /// Out-of-fold predictions held (configurations × repeats × items).
    pub fn prediction_count(&self) -> usize {
        if let Some(store) = &self.predictions_store {
            return store.count();
        }
        self.run
            .configs
            .iter()
            .map(|c| c.predictions.len() * self.run.items.len())
            .sum()
    }

    /// The repeats configuration `config` (an index into `run.configs`) has predictions for.
    pub fn repeats_of(&self, config: usize) -> usize {
        match &self.predictions_store {
            Some(store) => store.oof(config).n_repeats(),
            None => self.run.configs[config].predictions.len(),
        }
    }

    /// Configuration `config`'s predictions in `repeat`, by item: from its results, or read from the store of a
    /// large run (which may mean reading a spill file back).
    pub fn repeat_predictions(
        &self,
        config: usize,
        repeat: usize,
    ) -> Result<Cow<'_, [Option<PredictionRecord>]>, SpillError> {
        match &self.predictions_store {
            Some(store) => Ok(Cow::Owned(store.records(config, repeat)?)),
            None => Ok(Cow::Borrowed(&self.run.configs[config].predictions[repeat])),
        }
    }

    /// Configuration `config`'s predicted classes and votes.
    pub fn oof(&self, config: usize) -> Cow<'_, OutOfFold> {
        match &self.predictions_store {
            Some(store) => Cow::Borrowed(store.oof(config)),
            None => Cow::Owned(OutOfFold::new(
                self.run.configs[config].predictions.clone(),
                self.data.classes.len(),
            )),
        }
    }

    /// The report as `report.json` holds it: itself, or without predictions and item texts when those would make
    /// the file large (see [`MAX_JSON_PREDICTIONS`]). A borrowed view: nothing is copied.
    pub fn bounded(&self) -> BoundedReport<'_> {
        self.bounded_at(MAX_JSON_PREDICTIONS)
    }

    /// [`bounded`](Self::bounded) with another limit (tests use a small one).
    pub fn bounded_at(&self, max_json_predictions: usize) -> BoundedReport<'_> {
        if !self.is_large(max_json_predictions) {
            return BoundedReport::Whole(self);
        }
        let run = &self.run;
        BoundedReport::Trimmed(Box::new(RunReport {
            schema_version: self.schema_version,
            harness: self.harness.clone(),
            experiment: self.experiment.clone(),
            inputs: self.inputs.clone(),
            data: self.data.clone(),
            run: Run {
                evaluation: run.evaluation.clone(),
                items: run
                    .items
                    .iter()
                    .map(|i| ItemRecord {
                        text: String::new(),
                        ..i.clone()
                    })
                    .collect(),
                folds: run.folds.clone(),
                configs: run
                    .configs
                    .iter()
                    .map(ConfigResult::without_predictions)
                    .collect(),
                leaderboard: run.leaderboard.clone(),
                best: run.best.clone(),
                comparisons: run.comparisons.clone(),
                power: run.power.clone(),
                ablation: run.ablation.clone(),
                learning_curve: run.learning_curve.clone(),
                warnings: run.warnings.clone(),
            },
            behaviour: self.behaviour.clone(),
            predictions_omitted: true,
            predictions_file: Some(
                self.predictions_file
                    .clone()
                    .unwrap_or_else(|| PREDICTIONS_CSV_GZ.to_string()),
            ),
            behaviour_rows: Vec::new(),
            predictions_store: None,
        }))
    }

    /// Whether this run is past `max_json_predictions` (or was already written as such: a `report.json` read back
    /// with its predictions omitted).
    pub fn is_large(&self, max_json_predictions: usize) -> bool {
        self.predictions_omitted || self.prediction_count() > max_json_predictions
    }

    /// The name of the predictions file in this run's report folder: [`PREDICTIONS_CSV`], or
    /// [`PREDICTIONS_CSV_GZ`] past [`MAX_JSON_PREDICTIONS`].
    pub fn predictions_file(&self) -> &str {
        match &self.predictions_file {
            Some(f) => f,
            None if self.is_large(MAX_JSON_PREDICTIONS) => PREDICTIONS_CSV_GZ,
            None => PREDICTIONS_CSV,
        }
    }

    /// The files the run read, as far as the report can tell: its experiment file and data (the seeds folder and
    /// the gold labels, or the CSV), resolved as the run resolved them — against the experiment file's folder,
    /// taken relative to the working directory (where the run was started, usually the project). Commands that
    /// write beside a report (`stance submission --gold`, `stance diff --out`) check their outputs against these
    /// too, so they never write over the data the report came from.
    pub fn source_paths(&self) -> Vec<(String, PathBuf)> {
        let source = &self.experiment.source;
        let (file, base) = if source.starts_with('<') {
            (None, PathBuf::from("experiments"))
        } else {
            let p = PathBuf::from(source);
            let base = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            (Some(p), base)
        };
        let mut out: Vec<(String, PathBuf)> = file
            .into_iter()
            .map(|p| ("the experiment file the report came from".to_string(), p))
            .collect();
        match &self.experiment.config.data {
            stance_experiment::DataSpec::Gold(g) => {
                out.push(("the seeds the report came from".into(), base.join(&g.seeds)));
                out.push((
                    "the gold labels the report came from".into(),
                    base.join(&g.labels),
                ));
            }
            stance_experiment::DataSpec::Csv(t) => {
                out.push(("the data the report came from".into(), base.join(&t.path)));
            }
        }
        out
    }

    /// The majority-class baseline, when the run has one: the ranked one (so learning curves use the largest
    /// training fraction), else any. Decided by classifier type, never by name.
    pub fn majority_baseline(&self) -> Option<&ConfigResult> {
        let is_majority = |c: &&ConfigResult| c.classifier_type == Some(ClassifierKind::Majority);
        self.run
            .leaderboard
            .iter()
            .filter_map(|id| self.config(id))
            .find(is_majority)
            .or_else(|| self.run.configs.iter().find(is_majority))
    }

    /// The headline metric.
    pub fn headline(&self) -> MetricName {
        self.run.evaluation.headline
    }

    /// Joins an evaluation's results with what identifies them; returns the report and the run's timings.
    pub fn assemble(
        exp: &Experiment,
        data: &LoadedData,
        output: RunOutput,
        harness: HarnessInfo,
    ) -> (RunReport, Timings) {
        let RunOutput {
            run,
            behaviour,
            predictions,
            timings: t,
        } = output;
        let ds = &data.dataset;
        let mut inputs = data.inputs();
        inputs.insert(
            format!("experiment:{}", exp.source.origin()),
            exp.source.sha256.clone(),
        );
        inputs.extend(exp.feature_inputs());
        let groups: BTreeSet<&String> = ds.items.iter().filter_map(|i| i.doc.as_ref()).collect();
        let report = RunReport {
            schema_version: SCHEMA_VERSION,
            harness,
            experiment: ExperimentInfo {
                name: exp.file.name.clone(),
                source: exp.source.origin(),
                sha256: exp.source.sha256.clone(),
                identity: exp.identity_fingerprint(),
                config: exp.file.clone(),
            },
            inputs,
            data: DataSummary {
                n_items: ds.items.len(),
                classes: ds.classes.clone(),
                class_counts: ds.class_counts(),
                dropped_by_label: data.stats.dropped_by_label.clone(),
                dropped_by_split: data.stats.dropped_by_split,
                n_groups: (!groups.is_empty()).then_some(groups.len()),
            },
            run,
            behaviour: BehaviourReport::new(&behaviour),
            predictions_omitted: false,
            predictions_file: None,
            behaviour_rows: behaviour
                .iter()
                .flat_map(|(c, rs)| csv_rows(c, rs))
                .collect(),
            predictions_store: predictions,
        };
        let timings = Timings {
            total_seconds: 0.0,
            load_seconds: 0.0,
            extract_seconds: t.extract_seconds,
            grid_seconds: t.grid_seconds,
            grid_features_cpu_seconds: t.grid_stages.features,
            grid_fit_cpu_seconds: t.grid_stages.fit,
            grid_predict_cpu_seconds: t.grid_stages.predict,
            statistics_seconds: t.statistics_seconds,
            refit_seconds: t.refit_seconds,
            render_seconds: 0.0,
            per_config_seconds: t.per_config_seconds,
            threads: rayon::current_num_threads(),
            platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        (report, timings)
    }
}

/// Why a `report.json` (or a baseline, which is one) cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be read.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A JSON file is not valid JSON.
    #[error("{path}: not valid JSON (line {}, column {})", source.line(), source.column())]
    JsonSyntax {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A JSON file is valid JSON but not a stance report.
    #[error("{path}: not a stance report")]
    NotAReport {
        /// The file.
        path: PathBuf,
        /// The parser's error: what is missing or of the wrong type.
        source: serde_json::Error,
    },
    /// A JSON file has content this harness cannot use.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Reads a `report.json` (or a baseline, which is one).
pub fn read_report(path: &Path) -> Result<RunReport, ReadError> {
    let bytes = fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_report(path, &bytes)
}

/// Parses the bytes of a `report.json` read from `path` (named in errors).
pub fn parse_report(path: &Path, bytes: &[u8]) -> Result<RunReport, ReadError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|source| ReadError::JsonSyntax {
            path: path.to_path_buf(),
            source,
        })?;
    let version = value.get("schema_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(ReadError::Json {
            path: path.to_path_buf(),
            message: format!(
                "schema_version is {}, this harness reads version {}; re-create it with this version",
                version.map(|v| v.to_string()).unwrap_or_else(|| "missing".into()),
                SCHEMA_VERSION
            ),
        });
    }
    serde_json::from_value(value).map_err(|source| ReadError::NotAReport {
        path: path.to_path_buf(),
        source,
    })
}
