//! What an experiment measures, as one fingerprint: the fields that make two runs comparable (or a baseline
//! stale), and which of them changed.

use serde::Serialize;

use stance_corpus::sha256_hex;

use crate::schema::*;
use crate::Experiment;

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

pub(crate) fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("experiment declarations serialise")
}

/// The keys of `[data]` that are paths, left out of [`Identity`].
pub(crate) const DATA_PATH_KEYS: [&str; 3] = ["seeds", "labels", "path"];

/// `[data]` as the identity sees it: everything but its paths.
pub(crate) fn data_identity(d: &DataSpec) -> serde_json::Value {
    let mut v = json(d);
    if let Some(table) = v.as_object_mut() {
        for k in DATA_PATH_KEYS {
            table.remove(k);
        }
    }
    v
}

pub(crate) fn serialize_data_identity<S: serde::Serializer>(
    d: &&DataSpec,
    s: S,
) -> Result<S::Ok, S::Error> {
    data_identity(d).serialize(s)
}

impl Experiment {
    /// Fingerprint of everything that defines *what is measured* (data, evaluation, seed, kind): when it changes,
    /// old and new results are not comparable.
    pub fn identity_fingerprint(&self) -> String {
        Identity::of(&self.file).fingerprint()
    }
}
