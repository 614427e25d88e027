//! Logistic regression on sparse rows: the crate's own TRON solver ([`super::linear::logistic`]), which minimises
//! scikit-learn's `LogisticRegression(solver="liblinear", C = 1/α)` objective, intercept included and regularised
//! as liblinear does. Three or more classes are one-vs-rest, as liblinear.
//!
//! Until the sparse core (issue "fast at any size") this was linfa-logistic's L-BFGS on dense matrices, about
//! 20 s per fit on a few thousand statements; the objective changed only in that the intercept is now
//! regularised (liblinear's convention), and 3+ classes went from multinomial to one-vs-rest.

use serde::{Deserialize, Serialize};
use stance_matrix::FeatureView;

use stance_core::tunable::Tunable;

use super::linear::logistic::{SparseLogistic, SparseLogisticParams};
use super::SavedClassifier;
use super::{
    predictions_from_scores, priors, Explanation, FittedClassifier, ModelError, Prediction,
};

/// Logistic regression parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// L2 penalty α = 1/C (scikit-learn's `C`). Must be > 0. Defaults to `1.0`. A list is tuned by nested
    /// cross-validation (`stance_eval::tune`).
    #[serde(default = "one")]
    pub alpha: Tunable<f64>,
    /// Newton steps at most per binary machine (scikit-learn's `max_iter`). Defaults to `100`.
    #[serde(default = "iterations")]
    pub max_iterations: u64,
    /// Relative gradient-norm stopping tolerance (scikit-learn's `tol`). Defaults to `1e-4`.
    #[serde(default = "tolerance")]
    pub gradient_tolerance: f64,
}

fn one() -> Tunable<f64> {
    Tunable::One(1.0)
}
fn iterations() -> u64 {
    100
}
fn tolerance() -> f64 {
    1e-4
}

impl LogisticParams {
    pub(super) fn check(&self, name: &str) -> Result<(), ModelError> {
        let bad = |param: &str, message: String| ModelError::InvalidParam {
            classifier: name.into(),
            param: param.into(),
            message,
        };
        self.alpha
            .check_each("alpha", |a| {
                if a.is_finite() && *a > 0.0 && *a <= 1e12 {
                    Ok(())
                } else {
                    Err(format!(
                        "must be a number in (0, 1e12] (it is 1/C), got {a}"
                    ))
                }
            })
            .map_err(|(param, message)| bad(&param, message))?;
        if self.max_iterations == 0 || self.max_iterations > 100_000 {
            return Err(bad(
                "max_iterations",
                format!("must be in 1..=100000, got {}", self.max_iterations),
            ));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(bad(
                "gradient_tolerance",
                format!(
                    "must be > 0, got {}",
                    stance_core::diag::number(self.gradient_tolerance)
                ),
            ));
        }
        Ok(())
    }
}

/// A fitted logistic regression with its training class priors (for ties).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedLogistic {
    model: SparseLogistic,
    prior: Vec<f64>,
}

pub(super) fn fit(
    p: &LogisticParams,
    name: &str,
    x: FeatureView<'_>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    let params = SparseLogisticParams {
        c: 1.0 / *p.alpha.value(),
        tol: p.gradient_tolerance,
        max_iter: p.max_iterations as usize,
        n_classes: Some(n_classes),
    };
    let model = params
        .check()
        .and_then(|v| v.fit_rows(x, y))
        .map_err(|e| ModelError::from(e).named(name))?;
    Ok(Box::new(FittedLogistic {
        model,
        prior: priors(y, n_classes),
    }))
}

impl FittedLogistic {
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        self.model.check_shape(n_features, n_classes)?;
        crate::baseline::check_prior(&self.prior, n_classes)
    }
}

impl FittedClassifier for FittedLogistic {
    fn to_saved(&self) -> SavedClassifier {
        SavedClassifier::Logistic(self.clone())
    }

    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction> {
        let proba = self
            .model
            .predict_proba(x)
            .expect("rows have the training columns");
        predictions_from_scores(&proba, &self.prior, true)
    }

    fn explain(&self) -> Explanation {
        Explanation::ClassWeights(self.model.weights())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_alpha_and_zero_iterations() {
        let mut p = LogisticParams {
            name: None,
            alpha: Tunable::One(0.0),
            max_iterations: 10,
            gradient_tolerance: 1e-4,
        };
        assert!(p.check("lr").is_err());
        p.alpha = Tunable::One(1.0);
        assert!(p.check("lr").is_ok());
        p.max_iterations = 0;
        assert!(p.check("lr").is_err());
    }
}
