//! Which configuration to train: an id as reports print it, or the best one of the experiment's last report.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::PredictError;
use stance_experiment::Experiment;
use stance_features::FeatureSet;
use stance_models::Classifier;

/// Errors choosing the configuration from a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChooseError {
    /// The experiment has no report yet.
    #[error(
        "no report at {path} to take the best configuration from; run `stance run{arg}` first, or name one with \
         --config \"FEATURES + CLASSIFIER\""
    )]
    NoReport {
        /// Where the report was looked for.
        path: PathBuf,
        /// ` EXPERIMENT` for the hint (empty for the default experiment).
        arg: String,
    },
    /// The report cannot be read.
    #[error("{path}: cannot read the report; run `stance run{arg}` again to rewrite it, or pass --config")]
    ReportIo {
        /// The report.
        path: PathBuf,
        /// ` EXPERIMENT` for the hint.
        arg: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The report is not a stance `report.json`.
    #[error("{path}: not a stance report.json; run `stance run{arg}` again to rewrite it, or pass --config")]
    ReportJson {
        /// The report.
        path: PathBuf,
        /// ` EXPERIMENT` for the hint.
        arg: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The report belongs to another experiment.
    #[error(
        "{path} is the report of experiment '{found}', not '{expected}'; pass the matching experiment, --report, or \
         --config"
    )]
    OtherExperiment {
        /// The report.
        path: PathBuf,
        /// The report's experiment.
        found: String,
        /// The experiment given.
        expected: String,
    },
}

/// How a configuration was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Named by the user.
    Given(String),
    /// The best configuration of a report.
    Best {
        /// The configuration id.
        config: String,
        /// The report it came from.
        report: PathBuf,
        /// Whether the experiment file changed since the report was written (its sha256 differs).
        experiment_changed: bool,
    },
}

impl Choice {
    /// The configuration id.
    pub fn config(&self) -> &str {
        match self {
            Choice::Given(c) => c,
            Choice::Best { config, .. } => config,
        }
    }
}

/// The report `stance run EXPERIMENT` writes by default: `reports/<experiment name>/report.json`.
pub fn default_report(exp: &Experiment) -> PathBuf {
    Path::new("reports")
        .join(&exp.file.name)
        .join("report.json")
}

/// The part of `report.json` this needs; the rest of the report is not read, so a report of any schema version
/// with these fields will do.
#[derive(Debug, Deserialize)]
struct ReportHead {
    best: String,
    experiment: ReportExperiment,
}

#[derive(Debug, Deserialize)]
struct ReportExperiment {
    name: String,
    sha256: String,
}

/// ` PATH` of the experiment file for command hints (empty for the default experiment).
pub fn experiment_arg(exp: &Experiment) -> String {
    match &exp.source.path {
        Some(p) if p != Path::new(stance_experiment::DEFAULT_EXPERIMENT_PATH) => {
            format!(" {}", p.display())
        }
        _ => String::new(),
    }
}

/// The best configuration of the report at `report` (the experiment's default report when `None`).
pub fn best_of_report(exp: &Experiment, report: Option<&Path>) -> Result<Choice, ChooseError> {
    let path = report.map_or_else(|| default_report(exp), Path::to_path_buf);
    let arg = experiment_arg(exp);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ChooseError::NoReport { path, arg });
        }
        Err(source) => return Err(ChooseError::ReportIo { path, arg, source }),
    };
    let head: ReportHead =
        serde_json::from_slice(&bytes).map_err(|source| ChooseError::ReportJson {
            path: path.clone(),
            arg: arg.clone(),
            source,
        })?;
    if head.experiment.name != exp.file.name {
        return Err(ChooseError::OtherExperiment {
            path,
            found: head.experiment.name,
            expected: exp.file.name.clone(),
        });
    }
    Ok(Choice::Best {
        config: head.best,
        report: path,
        experiment_changed: head.experiment.sha256 != exp.source.sha256,
    })
}

/// The feature set (none for a baseline) and classifier of configuration `config`, and its id as reports print
/// it. Learning-curve ids may leave out their ` @ 100%`: a model is always trained on all items.
pub fn resolve(
    exp: &Experiment,
    config: &str,
) -> Result<(Option<FeatureSet>, Classifier, String), PredictError> {
    let wanted = config.split_whitespace().collect::<Vec<_>>().join(" ");
    let plan = exp.plan()?;
    let last = plan.fractions().len() - 1;
    let cells: Vec<_> = plan
        .cells()
        .into_iter()
        .filter(|c| c.fraction == last)
        .collect();
    // Only what the harness fits can be trained; outside systems are refused by name below.
    let trainable: Vec<(&stance_eval::plan::Cell, Option<usize>, usize)> = cells
        .iter()
        .filter_map(|c| c.fitted().map(|(v, clf)| (c, v, clf)))
        .collect();
    let bare = |v: Option<usize>, clf: usize| {
        let clf = plan.classifiers[clf].name();
        match v {
            Some(v) => format!("{} + {clf}", plan.variants[v].features.spec().name),
            None => clf.to_string(),
        }
    };
    let available = || {
        trainable
            .iter()
            .map(|&(_, v, clf)| format!("'{}'", bare(v, clf)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(s) = plan.systems.iter().find(|s| s.name == wanted) {
        return Err(PredictError::System {
            config: s.name.clone(),
            experiment: exp.file.name.clone(),
            source_text: s.source.describe(),
            available: available(),
        });
    }
    let &(_, variant, classifier) = trainable
        .iter()
        .find(|&&(c, v, clf)| c.id == wanted || bare(v, clf) == wanted)
        .ok_or_else(|| PredictError::UnknownConfig {
            config: config.into(),
            experiment: exp.file.name.clone(),
            available: available(),
        })?;
    Ok((
        variant.map(|v| plan.variants[v].features.clone()),
        plan.classifiers[classifier].clone(),
        bare(variant, classifier),
    ))
}
