//! Multinomial naive Bayes on sparse rows ([`super::linear::bayes`]), scikit-learn's `MultinomialNB(alpha,
//! fit_prior=True)`.
//!
//! Written in the project instead of taken from linfa-bayes 0.8.1 for reasons found by reading its source:
//! `MultinomialNb::fit_with` contains a leftover `dbg!` (`multinomial_nb.rs:78`) that writes every class histogram
//! to stderr on every fit; its `predict` takes the arg-max over a `HashMap`, so tied classes fall in a per-process
//! random order; and it needs dense records.

use serde::{Deserialize, Serialize};
use stance_matrix::FeatureView;

use stance_core::tunable::Tunable;

use super::linear::bayes::{SparseNb, SparseNbParams};
use super::SavedClassifier;
use super::{
    predictions_from_scores, priors, Explanation, FittedClassifier, ModelError, Prediction,
};

/// Naive Bayes parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NaiveBayesParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// Additive (Lidstone) smoothing. Defaults to `1.0` (Laplace). A list is tuned by nested cross-validation.
    #[serde(default = "one")]
    pub alpha: Tunable<f64>,
}

fn one() -> Tunable<f64> {
    Tunable::One(1.0)
}

impl NaiveBayesParams {
    pub(super) fn check(&self, name: &str) -> Result<(), ModelError> {
        self.alpha
            .check_each("alpha", |a| {
                if a.is_finite() && *a > 0.0 && *a <= 1e12 {
                    Ok(())
                } else {
                    Err(format!("must be in (0, 1e12], got {a}"))
                }
            })
            .map_err(|(param, message)| ModelError::InvalidParam {
                classifier: name.into(),
                param,
                message,
            })
    }
}

/// A fitted multinomial naive Bayes with its training class priors (for ties).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedNb {
    model: SparseNb,
    prior: Vec<f64>,
}

pub(super) fn fit(
    p: &NaiveBayesParams,
    name: &str,
    x: FeatureView<'_>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    let params = SparseNbParams {
        alpha: *p.alpha.value(),
        n_classes: Some(n_classes),
    };
    let model = params
        .check()
        .and_then(|v| v.fit_rows(x, y))
        .map_err(|e| ModelError::from(e).named(name))?;
    Ok(Box::new(FittedNb {
        model,
        prior: priors(y, n_classes),
    }))
}

impl FittedNb {
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        self.model.check_shape(n_features, n_classes)?;
        crate::baseline::check_prior(&self.prior, n_classes)
    }
}

impl FittedClassifier for FittedNb {
    fn to_saved(&self) -> SavedClassifier {
        SavedClassifier::NaiveBayes(self.clone())
    }

    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction> {
        let proba = self
            .model
            .predict_proba(x)
            .expect("rows have the training columns and non-negative values");
        predictions_from_scores(&proba, &self.prior, true)
    }

    fn explain(&self) -> Explanation {
        Explanation::ClassWeights(self.model.weights())
    }
}
