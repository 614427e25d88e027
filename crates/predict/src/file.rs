//! Model files: a [`TrainedModel`] saved by `stance train` and loaded by `stance predict --model`.
//!
//! A model file is one JSON object:
//!
//! ```text
//! {"format":"stance-model","schema_version":1,"sha256":"…","model":{"info":{…},"features":{…},"classifier":{…}}}
//! ```
//!
//! * `format` and `schema_version` come first and are checked before anything else, so a file of another kind or
//!   version is refused with a message saying which version this harness reads and how to retrain;
//! * `sha256` is the hash of the `model` object's JSON as written: loading re-serialises what it read and compares,
//!   so a file edited or damaged after `stance train` wrote it is refused instead of predicting nonsense (or
//!   panicking on mismatched lengths);
//! * `model.info` says what the model is: configuration id, class names, training class counts, the feature-set
//!   and classifier declarations, the experiment (name, file, sha256, identity) and the sha256 of every input the
//!   data came from, and the harness that trained it;
//! * `model.features` and `model.classifier` are the fitted state (vocabulary, idf, scalers, holder names, weights,
//!   trees), in the closed forms of `stance_features::saved` and `stance_models::saved`.
//!
//! JSON because the report files are JSON and every number round-trips exactly (`serde_json`'s `float_roundtrip`),
//! so a loaded model predicts bit for bit what the trained one did. Files are written atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TrainedModel;
use stance_core::atomic::WriteError;
use stance_corpus::{sha256_hex, Dataset};
use stance_experiment::Experiment;
use stance_features::{FeatureSetSpec, FittedFeatureSet};
use stance_models::ClassifierSpec;
use stance_models::SavedClassifier;
use stance_results::HarnessInfo;

/// The `format` value of every model file.
pub const FORMAT: &str = "stance-model";

/// Version of the model file schema; bumped on any change to what a file holds or how it is read.
pub const SCHEMA_VERSION: u32 = 1;

/// The deepest decision tree a model file holds. A tree is nested JSON, one level per tree level, and the JSON
/// reader stops at 128 levels (so that a hostile file cannot exhaust the stack); 100 leaves room for the wrapping.
pub const MAX_TREE_DEPTH: usize = 100;

/// Errors writing or reading a model file. Every message names the file and says how to get a good one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelFileError {
    /// The file cannot be read.
    #[error("{path}: cannot read the model file")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file cannot be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The file ends early.
    #[error(
        "{path}: the model file ends early (line {line}, column {column}): it was truncated, or cut off while \
         copying; copy it again or retrain it with `stance train [EXPERIMENT] --model {path}`"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Line where the text ends.
        line: usize,
        /// Column where the text ends.
        column: usize,
    },
    /// The file is not a model file.
    #[error("{path} is not a stance model file ({why}); write one with `stance train [EXPERIMENT] --model {path}`")]
    NotAModel {
        /// The file.
        path: PathBuf,
        /// Why not.
        why: String,
    },
    /// The file is not JSON.
    #[error("{path} is not a stance model file (not a JSON object); write one with `stance train [EXPERIMENT] --model {path}`")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The file has another schema version.
    #[error(
        "{path}: model file schema version {found}, but this stance ({}) reads version {} only; retrain it with \
         `stance train{experiment} --config \"{config}\" --model {path}`",
        env!("CARGO_PKG_VERSION"),
        SCHEMA_VERSION
    )]
    WrongVersion {
        /// The file.
        path: PathBuf,
        /// The version found (as written).
        found: String,
        /// ` EXPERIMENT` for the hint, when the file names its experiment file.
        experiment: String,
        /// The file's configuration, or a placeholder.
        config: String,
    },
    /// The file parses as JSON but its content is wrong.
    #[error("{path}: damaged model file: {message}; retrain it with `stance train [EXPERIMENT] --model {path}`")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file is JSON but its model does not have the expected fields or types.
    #[error(
        "{path}: damaged model file; retrain it with `stance train [EXPERIMENT] --model {path}`"
    )]
    DamagedJson {
        /// The file.
        path: PathBuf,
        /// The parser's error: what is missing or wrong, with line and column.
        source: serde_json::Error,
    },
    /// A decision tree too deep for the file format.
    #[error(
        "configuration '{config}': its decision tree is {depth} levels deep, and model files hold trees up to \
         {max} levels; set max_depth = {max} (or lower) on the classifier in the experiment, or save another \
         configuration"
    )]
    TreeTooDeep {
        /// The configuration.
        config: String,
        /// The tree's depth.
        depth: usize,
        /// [`MAX_TREE_DEPTH`].
        max: usize,
    },
    /// The model could not be written as JSON.
    #[error("configuration '{config}': cannot save the model")]
    Unsavable {
        /// The configuration.
        config: String,
        /// The serialiser's error.
        source: serde_json::Error,
    },
    /// The model as written does not read back (a bug in the model file code, caught before writing).
    #[error("configuration '{config}': cannot save the model: it does not read back")]
    NoReadBack {
        /// The configuration.
        config: String,
        /// Why reading it back failed.
        source: Box<ModelFileError>,
    },
    /// The target exists and is something else.
    #[error(
        "{path} exists and is not a stance model file; refusing to replace it — choose another --model path, or \
         remove the file"
    )]
    WouldClobber {
        /// The file.
        path: PathBuf,
    },
}

/// The experiment a model was trained from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperimentRef {
    /// Its name.
    pub name: String,
    /// The file it came from (or the built-in default), as `report.json` names it.
    pub source: String,
    /// sha256 of the experiment's bytes.
    pub sha256: String,
    /// Fingerprint of what defines the measurement (see `Experiment::identity_fingerprint`).
    pub identity: String,
}

/// What a model file says about its model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The harness that trained it.
    pub harness: HarnessInfo,
    /// The experiment.
    pub experiment: ExperimentRef,
    /// sha256 of every input: the data files and the experiment file (as in `report.json`).
    pub inputs: BTreeMap<String, String>,
    /// The configuration id, as reports print it.
    pub config: String,
    /// Class names, in order; predictions index this list.
    pub classes: Vec<String>,
    /// Training items per class.
    pub class_counts: Vec<usize>,
    /// The experiment's seed (the fit's seed).
    pub seed: u64,
    /// Feature columns (0 for baselines).
    pub n_features: usize,
    /// The feature set's declaration (`null` for baselines).
    pub feature_set: Option<FeatureSetSpec>,
    /// The classifier's declaration.
    pub classifier: ClassifierSpec,
}

/// `model` as written.
#[derive(Serialize)]
struct BodyOut<'a> {
    info: &'a ModelInfo,
    features: Option<&'a FittedFeatureSet>,
    classifier: SavedClassifier,
}

/// `model` as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyIn {
    info: ModelInfo,
    features: Option<FittedFeatureSet>,
    classifier: SavedClassifier,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    #[allow(dead_code)]
    format: String,
    #[allow(dead_code)]
    schema_version: u32,
    sha256: String,
    model: BodyIn,
}

/// The first fields of any version's file; the rest is skipped.
#[derive(Deserialize)]
struct Head {
    format: Option<serde_json::Value>,
    schema_version: Option<serde_json::Value>,
}

/// A loaded model and what its file says about it.
#[derive(Debug)]
pub struct LoadedModel {
    /// The model.
    pub model: TrainedModel,
    /// What the file says about it.
    pub info: ModelInfo,
}

/// What `save` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Bytes written.
    pub bytes: usize,
    /// sha256 of the `model` object.
    pub sha256: String,
}

/// The description of `model`, trained from `exp` on `data`.
pub fn model_info(
    model: &TrainedModel,
    exp: &Experiment,
    data: &Dataset,
    harness: HarnessInfo,
) -> ModelInfo {
    let mut inputs = data.input_hashes.clone();
    inputs.insert(
        format!("experiment:{}", exp.source.origin()),
        exp.source.sha256.clone(),
    );
    ModelInfo {
        harness,
        experiment: ExperimentRef {
            name: exp.file.name.clone(),
            source: exp.source.origin(),
            sha256: exp.source.sha256.clone(),
            identity: exp.identity_fingerprint(),
        },
        inputs,
        config: model.config.clone(),
        classes: model.classes.clone(),
        class_counts: model.class_counts.clone(),
        seed: exp.file.seed,
        n_features: model.n_features(),
        feature_set: model.feature_spec.clone(),
        classifier: model.classifier_spec.clone(),
    }
}

/// The model file's bytes. Fails when the model cannot be stored faithfully (a tree deeper than
/// [`MAX_TREE_DEPTH`], a value JSON cannot hold): the bytes are read back with [`from_bytes`] before they are
/// returned, so whatever this returns loads.
pub fn to_bytes(model: &TrainedModel, info: &ModelInfo) -> Result<Vec<u8>, ModelFileError> {
    let classifier = model.model.to_saved();
    let depth = classifier.tree_depth();
    if depth > MAX_TREE_DEPTH {
        return Err(ModelFileError::TreeTooDeep {
            config: model.config.clone(),
            depth,
            max: MAX_TREE_DEPTH,
        });
    }
    let body = serde_json::to_vec(&BodyOut {
        info,
        features: model.features.as_ref(),
        classifier,
    })
    .map_err(|source| ModelFileError::Unsavable {
        config: model.config.clone(),
        source,
    })?;
    let mut out = Vec::with_capacity(body.len() + 160);
    out.extend_from_slice(
        format!(
            "{{\"format\":{},\"schema_version\":{SCHEMA_VERSION},\"sha256\":\"{}\",\"model\":",
            serde_json::Value::from(FORMAT),
            sha256_hex(&body)
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    out.extend_from_slice(b"}\n");
    from_bytes(&out, Path::new("<model being saved>")).map_err(|e| ModelFileError::NoReadBack {
        config: model.config.clone(),
        source: Box::new(e),
    })?;
    Ok(out)
}

/// Writes `model` to `path` atomically. Refuses to replace a file that is not a model file.
pub fn save(model: &TrainedModel, info: &ModelInfo, path: &Path) -> Result<Saved, ModelFileError> {
    if path.exists() && !is_model_file(path) {
        return Err(ModelFileError::WouldClobber {
            path: path.to_path_buf(),
        });
    }
    let bytes = to_bytes(model, info)?;
    stance_core::atomic::write_atomic(path, &bytes)?;
    Ok(Saved {
        bytes: bytes.len(),
        sha256: sha_field(&bytes),
    })
}

/// The `sha256` field of bytes [`to_bytes`] wrote (at a fixed place after the header).
fn sha_field(bytes: &[u8]) -> String {
    let key = b"\"sha256\":\"";
    bytes
        .windows(key.len())
        .position(|w| w == key)
        .and_then(|i| bytes.get(i + key.len()..i + key.len() + 64))
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .unwrap_or_default()
}

/// Whether `path` starts the way every model file does (so replacing it loses no other kind of file).
fn is_model_file(path: &Path) -> bool {
    use std::io::Read;
    let prefix = format!("{{\"format\":\"{FORMAT}\"");
    let mut buf = vec![0u8; prefix.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok_and(|()| buf == prefix.as_bytes())
}

/// Reads a model file.
pub fn load(path: &Path) -> Result<LoadedModel, ModelFileError> {
    let bytes = std::fs::read(path).map_err(|source| ModelFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes, path)
}

/// Whether serde_json's `line`:`column` (1-based, counting bytes) is the last byte of `bytes`.
fn at_end(bytes: &[u8], line: usize, column: usize) -> bool {
    let lines = 1 + bytes.iter().filter(|&&b| b == b'\n').count();
    let last = bytes.len() - bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    line == lines && column >= last
}

/// Reads a model file's bytes; `path` names it in messages.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<LoadedModel, ModelFileError> {
    let p = || path.to_path_buf();
    let head: Head = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        // A file cut in the middle of a number or a literal fails as a syntax error at its last byte, not as an
        // end of input: still a truncation.
        serde_json::error::Category::Eof | serde_json::error::Category::Syntax
            if e.classify() == serde_json::error::Category::Eof
                || at_end(bytes, e.line(), e.column()) =>
        {
            ModelFileError::Truncated {
                path: p(),
                line: e.line(),
                column: e.column(),
            }
        }
        _ => ModelFileError::NotJson {
            path: p(),
            source: e,
        },
    })?;
    match &head.format {
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        Some(other) => {
            return Err(ModelFileError::NotAModel {
                path: p(),
                why: format!("its format is {other}, not \"{FORMAT}\""),
            })
        }
        None => {
            return Err(ModelFileError::NotAModel {
                path: p(),
                why: "it has no \"format\" field".into(),
            })
        }
    }
    match &head.schema_version {
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        other => return Err(wrong_version(bytes, path, other.as_ref())),
    }
    let file: FileIn = serde_json::from_slice(bytes)
        .map_err(|source| ModelFileError::DamagedJson { path: p(), source })?;
    let BodyIn {
        info,
        features,
        classifier,
    } = file.model;
    let again = serde_json::to_vec(&BodyOut {
        info: &info,
        features: features.as_ref(),
        classifier: classifier.clone(),
    })
    .map_err(|source| ModelFileError::DamagedJson { path: p(), source })?;
    if sha256_hex(&again) != file.sha256 {
        return Err(ModelFileError::Damaged {
            path: p(),
            message: "its content does not match its sha256 (it was edited or damaged after `stance train` \
                      wrote it)"
                .into(),
        });
    }
    let n_features = features.as_ref().map_or(0, FittedFeatureSet::n_features);
    if info.classes.len() != info.class_counts.len() || info.n_features != n_features {
        return Err(ModelFileError::Damaged {
            path: p(),
            message: "its class list or feature count disagrees with its fitted state".into(),
        });
    }
    // A sealed file is one `stance train` wrote, or one edited and re-sealed: check what prediction will index
    // by, so an inconsistent file is refused here rather than panicking (or predicting nonsense) later.
    let damaged = |field: &str, why: String| ModelFileError::Damaged {
        path: p(),
        message: format!("{field}: {why}"),
    };
    if info.classes.len() < 2 {
        return Err(damaged(
            "model.info.classes",
            format!(
                "{} class(es); a model separates at least two",
                info.classes.len()
            ),
        ));
    }
    if let Some(f) = &features {
        f.check().map_err(|why| damaged("model.features", why))?;
    }
    classifier
        .check_shape(n_features, info.classes.len())
        .map_err(|why| {
            damaged(
                "model.classifier",
                format!(
                    "{why} (model.info says {} classes and {n_features} features)",
                    info.classes.len()
                ),
            )
        })?;
    let model = classifier.into_fitted();
    let explanation = model.explain();
    Ok(LoadedModel {
        model: TrainedModel {
            config: info.config.clone(),
            feature_spec: info.feature_set.clone(),
            classifier_spec: info.classifier.clone(),
            features,
            model,
            classes: info.classes.clone(),
            class_counts: info.class_counts.clone(),
            explanation,
        },
        info,
    })
}

/// The error for a file of another schema version, with the retraining command its own fields allow.
fn wrong_version(bytes: &[u8], path: &Path, found: Option<&serde_json::Value>) -> ModelFileError {
    let any: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let text = |ptr: &str| {
        any.pointer(ptr)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let experiment = text("/model/info/experiment/source")
        .filter(|s| !s.starts_with('<') && s != stance_experiment::DEFAULT_EXPERIMENT_PATH)
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    ModelFileError::WrongVersion {
        path: path.to_path_buf(),
        found: found.map_or_else(|| "(none)".to_string(), ToString::to_string),
        experiment,
        config: text("/model/info/config").unwrap_or_else(|| "FEATURES + CLASSIFIER".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stance_results::HarnessInfo;

    fn harness() -> HarnessInfo {
        HarnessInfo {
            version: "test".into(),
            git_commit: None,
        }
    }

    fn experiment(name: &str) -> (Experiment, Dataset) {
        let exp = Experiment::load(&stance_testkit::at_root(&format!(
            "experiments/{name}.toml"
        )))
        .unwrap();
        let data = exp.load_data().unwrap().dataset;
        (exp, data)
    }

    /// Every configuration of every shipped experiment (two and three classes, masking, ablation variants,
    /// learning-curve ids, trees, baselines): the loaded model predicts exactly what the trained one did, on the
    /// training texts and on new ones, and the same as `stance predict`'s retraining path.
    #[test]
    fn a_loaded_model_predicts_exactly_what_the_trained_one_did() {
        let new = [
            "Escalation risks a world war.",
            "Allow Kyiv to strike, it is self-defense",
            "Stoltenberg said nothing new",
            "",
        ];
        for name in ["default", "three-way", "ablation", "learning-curve"] {
            let (exp, data) = experiment(name);
            let plan = exp.plan().unwrap();
            let last = plan.fractions().len() - 1;
            let mut texts: Vec<&str> = data.items.iter().map(|i| i.text.as_str()).collect();
            texts.extend(new);
            for cell in plan.cells().into_iter().filter(|c| c.fraction == last) {
                let trained = TrainedModel::train_config(&exp, &data, &cell.id).unwrap();
                let info = model_info(&trained, &exp, &data, harness());
                let bytes = to_bytes(&trained, &info).unwrap();
                let loaded = from_bytes(&bytes, Path::new("m.json")).unwrap();
                assert_eq!(loaded.info, info, "{name}: {}", cell.id);
                let before = trained.predict(&texts).unwrap();
                assert_eq!(
                    loaded.model.predict(&texts).unwrap(),
                    before,
                    "{name}: {}",
                    cell.id
                );
                assert_eq!(
                    loaded.model.label(&texts, 5).unwrap(),
                    trained.label(&texts, 5).unwrap(),
                    "{name}: {}",
                    cell.id
                );
                // `stance predict --feature-set --classifier` retrains from the experiment's declarations (ablation
                // variants are not declared).
                let declared = match cell.learner {
                    stance_eval::plan::Learner::Model {
                        variant,
                        classifier,
                    } if plan.variants[variant].left_out.is_none() => Some((variant, classifier)),
                    _ => None,
                };
                if let Some((v, c)) = declared {
                    let retrained = TrainedModel::train(
                        &exp,
                        &data,
                        &plan.variants[v].features.spec().name,
                        plan.classifiers[c].name(),
                    )
                    .unwrap();
                    assert_eq!(
                        retrained.predict(&texts).unwrap(),
                        before,
                        "{name}: {}",
                        cell.id
                    );
                }
                // Saving is deterministic: the same model gives the same bytes.
                assert_eq!(to_bytes(&trained, &info).unwrap(), bytes);
            }
        }
    }

    fn words_logistic_bytes() -> Vec<u8> {
        let (exp, data) = experiment("default");
        let m = TrainedModel::train_config(&exp, &data, "words + logistic").unwrap();
        to_bytes(&m, &model_info(&m, &exp, &data, harness())).unwrap()
    }

    fn err(bytes: &[u8]) -> String {
        stance_core::errors::chain(&from_bytes(bytes, Path::new("m.json")).unwrap_err())
    }

    #[test]
    fn another_schema_version_is_refused_naming_both_versions_and_the_retraining_command() {
        let text = String::from_utf8(words_logistic_bytes()).unwrap();
        let other = text.replacen("\"schema_version\":1,", "\"schema_version\":7,", 1);
        let e = err(other.as_bytes());
        assert!(e.contains("m.json: model file schema version 7"), "{e}");
        assert!(e.contains("reads version 1 only"), "{e}");
        // The experiment is named unless it is the default one (loaded here by its absolute path).
        assert!(e.contains("retrain it with `stance train "), "{e}");
        assert!(
            e.contains("default.toml --config \"words + logistic\" --model m.json"),
            "{e}"
        );
        // Even when the rest of the file is of a shape this version cannot read.
        let e = err(br#"{"format":"stance-model","schema_version":2,"model":[1,2]}"#);
        assert!(
            e.contains("schema version 2") && e.contains("FEATURES + CLASSIFIER"),
            "{e}"
        );
    }

    #[test]
    fn truncated_damaged_and_foreign_files_get_clear_errors() {
        let bytes = words_logistic_bytes();
        // The middle cut lands just after a comma: the file holds absolute paths, so a plain `len / 2` moves with
        // the checkout's path and can land inside a number ("1." reads as an invalid number, not as an end).
        let mid = bytes.len() / 2;
        let mid = mid + bytes[mid..].iter().position(|&b| b == b',').unwrap() + 1;
        for cut in [1, 10, mid, bytes.len() - 3] {
            let e = err(&bytes[..cut]);
            assert!(
                e.contains("m.json: the model file ends early"),
                "{cut}: {e}"
            );
        }
        let e = err(b"");
        assert!(e.contains("ends early"), "{e}");
        let e = err(b"name = \"default\"\n");
        assert!(e.contains("m.json is not a stance model file"), "{e}");
        let e = err(br#"{"format":"something-else"}"#);
        assert!(e.contains("its format is \"something-else\""), "{e}");
        let e = err(br#"{"schema_version":1}"#);
        assert!(e.contains("no \"format\" field"), "{e}");
        // A changed weight: still valid JSON, refused by the checksum.
        let text = String::from_utf8(bytes).unwrap();
        let at = text.find("\"coef\"").unwrap();
        let at = at + text[at..].find("\"data\":[").unwrap();
        let digit = at + text[at..].find(|c: char| c.is_ascii_digit()).unwrap();
        let mut tampered = text.clone().into_bytes();
        tampered[digit] = if tampered[digit] == b'9' {
            b'8'
        } else {
            tampered[digit] + 1
        };
        let e = err(&tampered);
        assert!(e.contains("does not match its sha256"), "{e}");
        // A field this version does not know.
        let extra = text.replacen("\"model\":{", "\"model\":{\"extra\":1,", 1);
        let e = err(extra.as_bytes());
        assert!(
            e.contains("damaged model file") && e.contains("unknown field"),
            "{e}"
        );
    }

    /// A decision tree on `2n` statements of one unique word each, 40% of them of class `b`: every split can only
    /// peel off one statement, so the tree is deep (how deep depends on where linfa-trees stops; the sizes used
    /// below were measured).
    fn deep_tree(n: usize) -> (TrainedModel, Dataset) {
        let word = |i: usize| {
            let l = |k: usize| char::from(b'a' + (k % 26) as u8);
            format!("q{}{}{}", l(i / 676), l(i / 26), l(i))
        };
        let items = (0..2 * n)
            .map(|i| stance_corpus::Item {
                id: format!("r{i}"),
                text: word(i),
                label: usize::from(i % 5 < 2),
                doc: None,
                holder: None,
                group: None,
                split: None,
            })
            .collect();
        let data = Dataset {
            classes: vec!["a".into(), "b".into()],
            items,
            input_hashes: BTreeMap::new(),
        };
        let fs: FeatureSetSpec = toml::from_str(
            "name = 'u'\nextractors = [{ type = 'word-ngrams', weighting = 'binary' }]",
        )
        .unwrap();
        let clf: ClassifierSpec = toml::from_str("type = 'decision-tree'").unwrap();
        let m = TrainedModel::fit(
            Some(&fs.check().unwrap()),
            &clf.check().unwrap(),
            &data,
            1,
            "u + decision-tree",
        )
        .unwrap();
        (m, data)
    }

    #[test]
    fn deep_trees_load_up_to_the_limit_and_deeper_ones_are_refused_at_save() {
        let (exp, _) = experiment("default");
        let (m, data) = deep_tree(185);
        let depth = m.model.to_saved().tree_depth();
        assert!((90..=MAX_TREE_DEPTH).contains(&depth), "{depth}");
        let bytes = to_bytes(&m, &model_info(&m, &exp, &data, harness())).unwrap();
        let texts: Vec<&str> = data.items.iter().map(|i| i.text.as_str()).collect();
        let loaded = from_bytes(&bytes, Path::new("deep.json")).unwrap();
        assert_eq!(
            loaded.model.predict(&texts).unwrap(),
            m.predict(&texts).unwrap()
        );

        let (m, data) = deep_tree(200);
        assert!(m.model.to_saved().tree_depth() > MAX_TREE_DEPTH);
        let e = to_bytes(&m, &model_info(&m, &exp, &data, harness()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("its decision tree is") && e.contains("set max_depth = 100"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod fuzz_tests;
