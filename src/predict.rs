//! Training one feature set + classifier on all labelled items and labelling new statements (`stance predict`).

use crate::corpus::Dataset;
use crate::eval::splits::groups_of;
use crate::eval::tune::{
    all_items_coords, config_key, tune_on, Candidates, Settings, DEFAULT_INNER_K,
};
use crate::eval::EvalError;
use crate::experiment::Experiment;
use crate::features::{Doc, FittedFeatureSet};
use crate::models::{Explanation, FittedClassifier};

/// A model trained on every item of an experiment's data.
#[derive(Debug)]
pub struct TrainedModel {
    features: FittedFeatureSet,
    model: Box<dyn FittedClassifier>,
    classes: Vec<String>,
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

/// Errors selecting what to train.
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
    /// Training failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
}

impl TrainedModel {
    /// Trains the named feature set and classifier on all items of `data`.
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
        // A tuned configuration is tuned on all items exactly as the report's refit is (same folds and seeds).
        let texts: Vec<&str> = data.items.iter().map(|i| i.text.as_str()).collect();
        let extracted = (fs.is_tuned() || clf.is_tuned())
            .then(|| fs.extract(&texts))
            .flatten();
        let (fs, clf) = if fs.is_tuned() || clf.is_tuned() {
            let settings = Settings {
                seed: exp.file.seed,
                headline: exp.file.headline,
                inner_k: exp.file.evaluation.inner_k.unwrap_or(DEFAULT_INNER_K),
                groups: match exp.plan().ok().and_then(|p| p.split.group()) {
                    Some(by) => Some(groups_of(data, by)?),
                    None => None,
                },
            };
            let cands = Candidates::of(fs, extracted.as_ref(), clf);
            let all: Vec<usize> = (0..data.items.len()).collect();
            let (_, (fs, _), clf) = tune_on(
                &cands,
                data,
                &all,
                &settings,
                (
                    &format!("{feature_set} + {classifier}"),
                    config_key(feature_set, classifier),
                ),
                &all_items_coords(),
                "all items",
            )?;
            (fs, clf)
        } else {
            (fs, clf)
        };
        let docs: Vec<Doc<'_>> = data
            .items
            .iter()
            .map(|i| Doc {
                text: &i.text,
                holder: i.holder.as_deref(),
            })
            .collect();
        let features = fs.fit(&docs).map_err(|source| EvalError::Feature {
            config: feature_set.into(),
            source,
        })?;
        let x = features.transform(&texts);
        let model = clf
            .fit(x.view(), &data.labels(), data.classes.len(), exp.file.seed)
            .map_err(|source| EvalError::Model {
                config: format!("{feature_set} + {classifier}"),
                fold: "all items".into(),
                source,
            })?;
        let explanation = model.explain();
        Ok(TrainedModel {
            features,
            model,
            classes: data.classes.clone(),
            explanation,
        })
    }

    /// Labels statements; `top` is how many evidence features to keep per statement.
    pub fn label(&self, texts: &[&str], top: usize) -> Vec<Labelled> {
        let x = self.features.transform(texts);
        let preds = self.model.predict(x.view());
        preds
            .into_iter()
            .zip(x.outer_iterator())
            .map(|(p, row)| {
                let mut evidence: Vec<(usize, f64)> = match &self.explanation {
                    Explanation::ClassWeights(w) => row
                        .iter()
                        .filter(|(_, &v)| v != 0.0)
                        .map(|(j, &v)| (j, v * w[[j, p.class]]))
                        .collect(),
                    Explanation::Importance(imp) => row
                        .iter()
                        .filter(|(j, &v)| v != 0.0 && imp[*j] > 0.0)
                        .map(|(j, _)| (j, imp[j]))
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
                        .map(|(j, c)| (self.features.feature_name(j), c))
                        .collect(),
                }
            })
            .collect()
    }

    /// The class names, in order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }
}
