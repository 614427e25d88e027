//! Training one configuration on all labelled items and labelling new statements (`stance train`,
//! `stance predict`).
//!
//! A [`TrainedModel`] is a fitted feature set and classifier with the class names; [`file`](mod@file) saves it as a
//! versioned model file and loads it back, and [`choose`] resolves which configuration to train (a configuration
//! id, or the best one of the experiment's last report).
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`,
//! `stance-corpus`, `stance-features`, `stance-models`, `stance-eval`, `stance-experiment`, `stance-results`; never a
//! crate above it.

pub mod choose;
pub mod file;

use sprs::CsMat;

use stance_corpus::Dataset;
use stance_eval::fit::fit_on_rows;
use stance_eval::splits::groups_of;
use stance_eval::tune::{
    all_items_coords, config_key, tune_on, Candidates, Settings, DEFAULT_INNER_K,
};
use stance_eval::EvalError;
use stance_experiment::{ConfigError, Experiment};
use stance_features::{FeatureError, FeatureMatrix, FeatureSet, FeatureSetSpec, FittedFeatureSet};
use stance_models::{Classifier, ClassifierSpec, Explanation, FittedClassifier, Prediction};

pub use self::choose::Choice;
pub use self::file::ModelFileError;

/// A model trained on every item of an experiment's data.
#[derive(Debug)]
pub struct TrainedModel {
    config: String,
    feature_spec: Option<FeatureSetSpec>,
    classifier_spec: ClassifierSpec,
    /// `None` for baselines, which see no features.
    features: Option<FittedFeatureSet>,
    model: Box<dyn FittedClassifier>,
    classes: Vec<String>,
    class_counts: Vec<usize>,
    explanation: Explanation,
}

/// One labelled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// Predicted class name.
    pub class: String,
    /// Probability of every class (class order), when the model has probabilities.
    pub proba: Option<Vec<f64>>,
    /// Features that weighed most toward the prediction: (name, contribution), largest first.
    pub evidence: Vec<(String, f64)>,
}

/// Errors selecting, training, saving or loading a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PredictError {
    /// The named feature set or classifier is not in the experiment.
    #[error("{what} '{name}' is not in the experiment; choose one of: {available}")]
    Unknown {
        /// `feature set` or `classifier`.
        what: &'static str,
        /// The name given.
        name: String,
        /// The names available.
        available: String,
    },
    /// The configuration id is not one of the experiment's.
    #[error(
        "configuration '{config}' is not in experiment '{experiment}'; choose one of: {available}"
    )]
    UnknownConfig {
        /// The id given.
        config: String,
        /// The experiment's name.
        experiment: String,
        /// The ids available, quoted.
        available: String,
    },
    /// The configuration is an outside system: its model lives outside the harness, so there is nothing to train.
    #[error(
        "'{config}' is an outside system of experiment '{experiment}' ({source_text}): its predictions come from \
         outside the harness, so stance cannot train, save or run it as a model; name one of the harness's \
         configurations with --config ({available}), or run the system itself"
    )]
    System {
        /// The system's name.
        config: String,
        /// The experiment's name.
        experiment: String,
        /// Where its predictions come from, in words.
        source_text: String,
        /// The configurations that can be trained, quoted.
        available: String,
    },
    /// Choosing the configuration from the last report failed.
    #[error(transparent)]
    Choose(#[from] choose::ChooseError),
    /// The experiment's plan could not be built.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Training failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The model's feature set cannot turn the statements into features (e.g. vectors computed elsewhere exist
    /// only for the items they were computed for).
    #[error("configuration '{config}'")]
    Features {
        /// The model's configuration.
        config: String,
        /// What the feature set could not do.
        source: FeatureError,
    },
}

impl TrainedModel {
    /// Trains the named feature set and classifier (as declared in the experiment) on all items of `data`.
    pub fn train(
        exp: &Experiment,
        data: &Dataset,
        feature_set: &str,
        classifier: &str,
    ) -> Result<TrainedModel, PredictError> {
        let fs = exp
            .feature_sets
            .iter()
            .find(|f| f.spec().name == feature_set)
            .ok_or_else(|| PredictError::Unknown {
                what: "feature set",
                name: feature_set.into(),
                available: exp
                    .feature_sets
                    .iter()
                    .map(|f| f.spec().name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let clf = exp
            .classifiers
            .iter()
            .find(|c| c.name() == classifier)
            .ok_or_else(|| PredictError::Unknown {
                what: "classifier",
                name: classifier.into(),
                available: exp
                    .classifiers
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let config = format!("{feature_set} + {classifier}");
        TrainedModel::fit_tuned(exp, Some(fs), clf, data, &config)
    }

    /// Trains the configuration `config` (an id as reports print it: `words + logistic`, `majority`) on all items
    /// of `data`.
    pub fn train_config(
        exp: &Experiment,
        data: &Dataset,
        config: &str,
    ) -> Result<TrainedModel, PredictError> {
        let (fs, clf, id) = choose::resolve(exp, config)?;
        TrainedModel::fit_tuned(exp, fs.as_ref(), &clf, data, &id)
    }

    /// [`TrainedModel::fit`] after tuning a configuration with listed parameters on all items, exactly as the
    /// report's refit tunes it (same inner folds and seeds), so the saved model holds the values the report shows
    /// for the refit. An untuned configuration is fitted as it is.
    fn fit_tuned(
        exp: &Experiment,
        fs: Option<&FeatureSet>,
        clf: &Classifier,
        data: &Dataset,
        config: &str,
    ) -> Result<TrainedModel, PredictError> {
        let Some(fs) = fs.filter(|f| f.is_tuned() || clf.is_tuned()) else {
            return TrainedModel::fit(fs, clf, data, exp.file.seed, config);
        };
        let texts: Vec<&str> = data.items.iter().map(|i| i.text.as_str()).collect();
        let ids: Vec<&str> = data.items.iter().map(|i| i.id.as_str()).collect();
        let extracted = fs
            .extract(&ids, &texts)
            .map_err(|source| EvalError::Feature {
                config: config.into(),
                source,
            })?;
        let settings = Settings {
            seed: exp.file.seed,
            headline: exp.file.headline,
            inner_k: exp.file.evaluation.inner_k.unwrap_or(DEFAULT_INNER_K),
            groups: match exp.plan()?.split.group() {
                Some(by) => Some(groups_of(data, by)?),
                None => None,
            },
            favg: exp
                .file
                .favg_classes
                .as_ref()
                .map(|names| stance_eval::metrics::favg_for(Some(names), &data.classes)),
        };
        let cands = Candidates::of(fs, extracted.as_ref(), clf);
        let all: Vec<usize> = (0..data.items.len()).collect();
        let (_, (fs, _), clf) = tune_on(
            &cands,
            data,
            &all,
            &settings,
            (config, config_key(&fs.spec().name, clf.name())),
            &all_items_coords(),
            "all items",
        )?;
        TrainedModel::fit(Some(fs), clf, data, exp.file.seed, config)
    }

    /// Fits `fs` (none for a baseline) and `clf` on all items of `data`, the same fit as the report's refit on all
    /// items (same rows, same seed).
    pub fn fit(
        fs: Option<&FeatureSet>,
        clf: &Classifier,
        data: &Dataset,
        seed: u64,
        config: &str,
    ) -> Result<TrainedModel, PredictError> {
        let all: Vec<usize> = (0..data.items.len()).collect();
        let features = fs
            .map(|fs| {
                fit_on_rows(fs, data, &all).map_err(|source| EvalError::Feature {
                    config: config.into(),
                    source,
                })
            })
            .transpose()?;
        let texts: Vec<&str> = data.items.iter().map(|i| i.text.as_str()).collect();
        let x = transform(features.as_ref(), &texts).map_err(|source| EvalError::Feature {
            config: config.into(),
            source,
        })?;
        let model = clf
            .fit(x.view(), &data.labels(), data.classes.len(), seed)
            .map_err(|source| EvalError::Model {
                config: config.into(),
                fold: "all items".into(),
                source,
            })?;
        let explanation = model.explain();
        Ok(TrainedModel {
            config: config.into(),
            feature_spec: fs.map(|f| f.spec().clone()),
            classifier_spec: clf.spec().clone(),
            features,
            model,
            classes: data.classes.clone(),
            class_counts: data.class_counts(),
            explanation,
        })
    }

    /// The feature rows of `texts`, or why this model's feature set cannot make them.
    fn features_of(&self, texts: &[&str]) -> Result<FeatureMatrix, PredictError> {
        transform(self.features.as_ref(), texts).map_err(|source| PredictError::Features {
            config: self.config.clone(),
            source,
        })
    }

    /// Predictions for `texts` (class indices into [`TrainedModel::classes`]).
    pub fn predict(&self, texts: &[&str]) -> Result<Vec<Prediction>, PredictError> {
        Ok(self.model.predict(self.features_of(texts)?.view()))
    }

    /// Labels statements; `top` is how many evidence features to keep per statement.
    pub fn label(&self, texts: &[&str], top: usize) -> Result<Vec<Labelled>, PredictError> {
        let x = self.features_of(texts)?;
        let view = x.view();
        let preds = self.model.predict(view);
        let labelled = preds
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                // The row's non-zero values, sparse block then dense block, by column.
                let s = view.sparse_cols();
                let row: Vec<(usize, f64)> = view
                    .sparse
                    .outer_view(i)
                    .into_iter()
                    .flat_map(|r| r.iter().map(|(j, &v)| (j, v)).collect::<Vec<_>>())
                    .chain(
                        view.dense_row(i)
                            .iter()
                            .enumerate()
                            .map(|(k, &v)| (s + k, v)),
                    )
                    .filter(|(_, v)| *v != 0.0)
                    .collect();
                let mut evidence: Vec<(usize, f64)> = match &self.explanation {
                    Explanation::ClassWeights(w) => {
                        row.iter().map(|&(j, v)| (j, v * w[[j, p.class]])).collect()
                    }
                    Explanation::Importance(imp) => row
                        .iter()
                        .filter(|(j, _)| imp[*j] > 0.0)
                        .map(|&(j, _)| (j, imp[j]))
                        .collect(),
                    Explanation::None => Vec::new(),
                };
                evidence.retain(|(_, c)| *c > 0.0);
                evidence.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                Labelled {
                    class: self.classes[p.class].clone(),
                    proba: p.proba,
                    evidence: evidence
                        .into_iter()
                        .take(top)
                        .map(|(j, c)| (self.feature_name(j), c))
                        .collect(),
                }
            })
            .collect();
        Ok(labelled)
    }

    fn feature_name(&self, j: usize) -> String {
        match &self.features {
            Some(f) => f.feature_name(j),
            None => format!("#{j}"),
        }
    }

    /// The class names, in order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Training items per class, in class order.
    pub fn class_counts(&self) -> &[usize] {
        &self.class_counts
    }

    /// Items the model was trained on.
    pub fn trained_on(&self) -> usize {
        self.class_counts.iter().sum()
    }

    /// The configuration id (`words + logistic`).
    pub fn config(&self) -> &str {
        &self.config
    }

    /// Number of feature columns (0 for baselines).
    pub fn n_features(&self) -> usize {
        self.features
            .as_ref()
            .map_or(0, FittedFeatureSet::n_features)
    }

    /// The sentence encoders the model's feature set uses, loaded and checked against the sha256 each was
    /// trained with (a model file refers to its encoder's folder, it does not hold the weights).
    pub fn encoders(
        &self,
    ) -> Result<Vec<std::sync::Arc<stance_features::dense::EncoderHandle>>, PredictError> {
        match &self.features {
            Some(f) => f.load_encoders().map_err(|source| PredictError::Features {
                config: self.config.clone(),
                source,
            }),
            None => Ok(Vec::new()),
        }
    }

    /// The feature set's declaration (`None` for baselines).
    pub fn feature_spec(&self) -> Option<&FeatureSetSpec> {
        self.feature_spec.as_ref()
    }

    /// The classifier's declaration.
    pub fn classifier_spec(&self) -> &ClassifierSpec {
        &self.classifier_spec
    }
}

/// The feature rows of `texts`; a baseline (no feature set) gets rows without columns, as in the grid.
fn transform(
    features: Option<&FittedFeatureSet>,
    texts: &[&str],
) -> Result<FeatureMatrix, FeatureError> {
    match features {
        Some(f) => f.transform(texts),
        None => Ok(FeatureMatrix::sparse(CsMat::zero((texts.len(), 0)))),
    }
}
