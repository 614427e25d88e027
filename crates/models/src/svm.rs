//! Linear support vector machine on sparse rows: the crate's own dual coordinate-descent or primal Newton
//! solver ([`super::linear::svm`], chosen by [`SvmSolver`]), scikit-learn's `LinearSVC(C)` objective (squared
//! hinge, L2, intercept as a regularised constant feature). Three or more classes are one-vs-rest, prediction by
//! the largest margin. The dual's coordinate order is drawn from a ChaCha stream seeded by the grid, so fits are
//! reproducible on any thread count. No probabilities are reported (Platt scaling on folds of a few items would
//! be noise dressed up as calibration).
//!
//! This replaced linfa-svm's SMO solver on dense matrices, which slowed down badly with many features.

use serde::{Deserialize, Serialize};
use stance_matrix::FeatureView;

use stance_core::tunable::Tunable;

use super::linear::svm::{SparseSvm, SparseSvmParams};
use super::SavedClassifier;
use super::{
    predictions_from_scores, priors, Explanation, FittedClassifier, ModelError, Prediction,
};

/// Linear SVM parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SvmParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// Soft-margin penalty C. Defaults to `1.0`. A list is tuned by nested cross-validation.
    #[serde(default = "one")]
    pub c: Tunable<f64>,
    /// Stopping tolerance on the projected-gradient spread (scikit-learn's `tol`). Defaults to `1e-4`.
    #[serde(default = "tol", alias = "eps")]
    pub tol: f64,
    /// Passes over the data at most (scikit-learn's `max_iter`). Defaults to `1000`.
    #[serde(default = "passes")]
    pub max_iterations: u64,
    /// Which form of the problem is solved. Defaults to `auto`.
    #[serde(default)]
    pub solver: SvmSolver,
}

/// Which form of the same objective the linear SVM solves (scikit-learn's `LinearSVC(dual=…)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SvmSolver {
    /// The primal when the training matrix has at least as many rows as columns, else the dual
    /// (scikit-learn's `dual="auto"`).
    #[default]
    Auto,
    /// Dual coordinate descent with shrinking (liblinear `-s 1`); `tol` bounds the projected-gradient spread and
    /// `max_iterations` counts passes.
    Dual,
    /// Trust-region Newton on the primal (liblinear `-s 2`); `tol` is relative to the first gradient's norm and
    /// `max_iterations` counts Newton steps.
    Primal,
}

fn one() -> Tunable<f64> {
    Tunable::One(1.0)
}
fn tol() -> f64 {
    1e-4
}
fn passes() -> u64 {
    1000
}

impl SvmParams {
    pub(super) fn check(&self, name: &str) -> Result<(), ModelError> {
        let bad = |param: &str, message: String| ModelError::InvalidParam {
            classifier: name.into(),
            param: param.into(),
            message,
        };
        self.c
            .check_each("c", |c| {
                if c.is_finite() && *c > 0.0 && *c <= 1e12 {
                    Ok(())
                } else {
                    Err(format!("must be in (0, 1e12], got {c}"))
                }
            })
            .map_err(|(param, message)| bad(&param, message))?;
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(bad(
                "tol",
                format!("must be > 0, got {}", stance_core::diag::number(self.tol)),
            ));
        }
        if self.max_iterations == 0 || self.max_iterations > 100_000 {
            return Err(bad(
                "max_iterations",
                format!("must be in 1..=100000, got {}", self.max_iterations),
            ));
        }
        Ok(())
    }
}

/// A fitted linear SVM with its training class priors (for ties).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedSvm {
    model: SparseSvm,
    prior: Vec<f64>,
}

pub(super) fn fit(
    p: &SvmParams,
    name: &str,
    x: FeatureView<'_>,
    y: &[usize],
    n_classes: usize,
    seed: u64,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    let params = SparseSvmParams {
        c: *p.c.value(),
        tol: p.tol,
        max_iter: p.max_iterations as usize,
        seed,
        shrinking: true,
        n_classes: Some(n_classes),
    };
    let model = params
        .check()
        .and_then(|v| match p.solver {
            SvmSolver::Auto => v.fit_auto(x, y),
            SvmSolver::Dual => v.fit_rows(x, y),
            SvmSolver::Primal => v.fit_primal(x, y),
        })
        .map_err(|e| ModelError::from(e).named(name))?;
    Ok(Box::new(FittedSvm {
        model,
        prior: priors(y, n_classes),
    }))
}

impl FittedSvm {
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        self.model.check_shape(n_features, n_classes)?;
        crate::baseline::check_prior(&self.prior, n_classes)
    }
}

impl FittedClassifier for FittedSvm {
    fn to_saved(&self) -> SavedClassifier {
        SavedClassifier::LinearSvm(self.clone())
    }

    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction> {
        let margins = self
            .model
            .decision_function(x)
            .expect("rows have the training columns");
        predictions_from_scores(&margins, &self.prior, false)
    }

    fn explain(&self) -> Explanation {
        Explanation::ClassWeights(self.model.weights())
    }
}
