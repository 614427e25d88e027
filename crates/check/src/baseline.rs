//! The baseline, read and vetted before anything runs: it must parse, be internally consistent, and measure the
//! same thing as the experiment about to run ([`Identity`], input hashes). Only then is it worth a run to compare.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use stance_experiment::Identity;
use stance_experiment::{Experiment, ExperimentFile};
use stance_results::RunReport;
use stance_results::{consistency, read_report, ReadError};

/// Why a baseline cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleReason {
    /// What changed (`labels:labels/gold.csv`, `experiment`, …).
    pub input: String,
    /// How it changed.
    pub detail: String,
}

/// Why a baseline was refused before anything ran.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// There is no baseline file.
    #[error("{}: no baseline to compare with", path.display())]
    Missing {
        /// The baseline path.
        path: PathBuf,
    },
    /// The file is not a readable `report.json` of this schema version.
    #[error(transparent)]
    Unreadable(#[from] ReadError),
    /// The file parses but contradicts itself (hand-edited or truncated).
    #[error("{}: not a usable baseline: {detail}", path.display())]
    Inconsistent {
        /// The baseline path.
        path: PathBuf,
        /// The first contradiction found.
        detail: String,
    },
    /// The baseline measured something else than the experiment now declares.
    #[error("{}: the baseline is stale and was not compared", path.display())]
    Stale {
        /// The baseline path.
        path: PathBuf,
        /// Every reason, in reading order.
        reasons: Vec<StaleReason>,
        /// The experiment the baseline was made for (when it is another experiment's, re-baselining must not
        /// overwrite it: the hint then names this experiment's own baseline file).
        experiment: String,
    },
}

/// Where an experiment's baseline lives unless `--baseline` says otherwise: `reports/baselines/<name>.json`.
///
/// One file per experiment, so re-baselining one experiment never touches another's. Not inside the report
/// folder `reports/<name>/`: every `stance run` replaces that folder as a whole (see
/// [`stance_report::write_report_folder`]), which would delete a baseline kept there. `reports/baselines/` holds
/// only baselines; an experiment named `baselines` cannot take it over, because a run refuses to replace a folder
/// that is not a report folder.
pub fn default_baseline_path(experiment: &str) -> PathBuf {
    Path::new("reports")
        .join("baselines")
        .join(format!("{experiment}.json"))
}

/// Reads the baseline at `path` and refuses it unless it is consistent and comparable with `exp` run on data whose
/// input hashes are `inputs` (the loaded dataset's; the experiment file's own hash is not compared).
pub fn load_baseline(
    path: &Path,
    exp: &Experiment,
    inputs: &BTreeMap<String, String>,
) -> Result<RunReport, BaselineError> {
    if !path.exists() {
        return Err(BaselineError::Missing {
            path: path.to_path_buf(),
        });
    }
    let baseline = read_report(path)?;
    consistency(&baseline).map_err(|detail| BaselineError::Inconsistent {
        path: path.to_path_buf(),
        detail,
    })?;
    let reasons = stale_reasons(&baseline, &exp.file, inputs);
    if !reasons.is_empty() {
        return Err(BaselineError::Stale {
            path: path.to_path_buf(),
            reasons,
            experiment: baseline.experiment.name.clone(),
        });
    }
    Ok(baseline)
}

/// Lists every reason the baseline is stale relative to the experiment `file` run on data with `inputs` (empty
/// when comparable).
pub fn stale_reasons(
    baseline: &RunReport,
    file: &ExperimentFile,
    inputs: &BTreeMap<String, String>,
) -> Vec<StaleReason> {
    let mut out = Vec::new();
    if baseline.experiment.name != file.name {
        out.push(StaleReason {
            input: "experiment".into(),
            detail: format!(
                "the baseline is for experiment '{}', this run is '{}'",
                baseline.experiment.name, file.name
            ),
        });
    }
    out.extend(changed_inputs(&baseline.inputs, inputs));
    let identity = Identity::of(file);
    // Recomputed from the baseline's own declaration rather than read from its stored fingerprint, so a change to
    // what the identity covers (e.g. leaving out data paths) does not make every older baseline stale.
    if Identity::of(&baseline.experiment.config).fingerprint() != identity.fingerprint() {
        let parts = Identity::of(&baseline.experiment.config).changes(&identity);
        out.push(StaleReason {
            input: "experiment".into(),
            detail: format!(
                "what the experiment measures changed ({}); its results are not comparable with the baseline's",
                if parts.is_empty() {
                    "settings".to_string()
                } else {
                    parts.join(", ")
                }
            ),
        });
    }
    out
}

/// Data inputs added, removed or changed (the experiment file's own hash is left to [`Identity`]).
/// Input keys that are not data: the experiment file and the files its feature sets read.
const FEATURE_INPUT_PREFIXES: [&str; 4] = ["experiment:", "encoder:", "vectors:", "word-vectors:"];

fn changed_inputs(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<StaleReason> {
    // The experiment file and what its feature sets read (model folders, vectors files) define what is compared,
    // which is the gate's to judge; only the data makes a baseline incomparable.
    let data = |k: &&String| !FEATURE_INPUT_PREFIXES.iter().any(|p| k.starts_with(p));
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).filter(data).collect();
    let mut out = Vec::new();
    for k in keys {
        let detail = match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) if a != b => format!(
                "changed (sha256 {} in the baseline, {} now)",
                short(a),
                short(b)
            ),
            (Some(_), None) => "is no longer an input".into(),
            (None, Some(_)) => "is a new input".into(),
            _ => continue,
        };
        out.push(StaleReason {
            input: k.clone(),
            detail,
        });
    }
    out
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
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
        name = "lexicon"
        extractors = [{ type = "lexicon" }]
        [[classifiers]]
        type = "naive-bayes"
    "#;

    #[test]
    fn the_identity_fingerprint_is_the_experiments() {
        let a = Experiment::from_source(MINIMAL, None).unwrap();
        assert_eq!(
            Identity::of(&a.file).fingerprint(),
            a.identity_fingerprint()
        );
        let b = Experiment::from_source(&MINIMAL.replace("seed = 1", "seed = 2"), None).unwrap();
        assert_eq!(
            Identity::of(&a.file).changes(&Identity::of(&b.file)),
            vec!["seed"]
        );
        assert_ne!(
            Identity::of(&b.file).fingerprint(),
            a.identity_fingerprint()
        );
    }

    #[test]
    fn inconsistent_baselines_are_refused() {
        let good = stance_fixtures::sample_report();
        assert_eq!(consistency(&good), Ok(()));
        let mut short = good.clone();
        short.run.configs[0].predictions[1].pop();
        let msg = consistency(&short).unwrap_err();
        assert!(
            msg.contains("repeat 2: 10 predictions for 11 items"),
            "{msg}"
        );
        let mut out_of_range = good.clone();
        out_of_range.run.configs[0].predictions[0][3]
            .as_mut()
            .expect("tested")
            .class = 7;
        let msg = consistency(&out_of_range).unwrap_err();
        assert!(
            msg.contains("predicted class index 7 but there are 2 classes"),
            "{msg}"
        );
        let mut bad_gold = good;
        bad_gold.run.items[0].gold = 2;
        assert!(consistency(&bad_gold)
            .unwrap_err()
            .contains("gold class index 2"));
    }
}

#[cfg(test)]
#[path = "baseline_fuzz_tests.rs"]
mod fuzz_tests;
