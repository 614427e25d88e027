//! Logistic regression from linfa-logistic.
//!
//! linfa minimises `Σ logloss + α/2·‖w‖²` with an unpenalised intercept, which is scikit-learn's
//! `LogisticRegression(C = 1/α)`; the cross-check in `scripts/crosscheck.py` relies on that equivalence.

use linfa::prelude::*;
use linfa_logistic::{LogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::{argmax, classes_present, Explanation, FittedClassifier, ModelError, Prediction};

/// Logistic regression parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// L2 penalty α (scikit-learn's `1/C`). Defaults to `1.0`.
    #[serde(default = "one")]
    pub alpha: f64,
    /// L-BFGS iterations at most. Defaults to `200`.
    #[serde(default = "iterations")]
    pub max_iterations: u64,
    /// Gradient-norm stopping tolerance. Defaults to `1e-4` (linfa's and scikit-learn's default).
    #[serde(default = "tolerance")]
    pub gradient_tolerance: f64,
}

fn one() -> f64 {
    1.0
}
fn iterations() -> u64 {
    200
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
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(bad(
                "alpha",
                format!("must be a finite number >= 0, got {}", self.alpha),
            ));
        }
        if self.max_iterations == 0 {
            return Err(bad("max_iterations", "must be at least 1".into()));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(bad(
                "gradient_tolerance",
                format!("must be > 0, got {}", self.gradient_tolerance),
            ));
        }
        Ok(())
    }
}

#[derive(Debug)]
enum Inner {
    /// Binary model: weights, intercept, positive and negative class indices.
    Binary {
        w: Array1<f64>,
        b: f64,
        pos: usize,
        neg: usize,
    },
    /// Multinomial model: weights (features × present classes), intercepts, present class indices.
    Multi {
        w: Array2<f64>,
        b: Array1<f64>,
        classes: Vec<usize>,
    },
}

#[derive(Debug)]
struct FittedLogistic {
    inner: Inner,
    n_classes: usize,
}

pub(super) fn fit(
    p: &LogisticParams,
    name: &str,
    x: &Array2<f64>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    let present = classes_present(y, n_classes);
    let ds = Dataset::new(x.clone(), Array1::from(y.to_vec()));
    let err = |e: linfa_logistic::error::Error| ModelError::Linfa {
        classifier: name.into(),
        message: e.to_string(),
    };
    let inner = if present.len() == 2 {
        let model = LogisticRegression::default()
            .alpha(p.alpha)
            .max_iterations(p.max_iterations)
            .gradient_tolerance(p.gradient_tolerance)
            .fit(&ds)
            .map_err(err)?;
        Inner::Binary {
            w: model.params().clone(),
            b: model.intercept(),
            pos: model.labels().pos.class,
            neg: model.labels().neg.class,
        }
    } else {
        let model = MultiLogisticRegression::default()
            .alpha(p.alpha)
            .max_iterations(p.max_iterations)
            .gradient_tolerance(p.gradient_tolerance)
            .fit(&ds)
            .map_err(err)?;
        Inner::Multi {
            w: model.params().clone(),
            b: model.intercept().clone(),
            classes: model.classes().to_vec(),
        }
    };
    Ok(Box::new(FittedLogistic { inner, n_classes }))
}

impl FittedClassifier for FittedLogistic {
    fn predict(&self, x: &Array2<f64>) -> Vec<Prediction> {
        match &self.inner {
            Inner::Binary { w, b, pos, neg } => x
                .dot(w)
                .iter()
                .map(|z| {
                    let p_pos = 1.0 / (1.0 + (-(z + b)).exp());
                    let mut proba = vec![0.0; self.n_classes];
                    proba[*pos] = p_pos;
                    proba[*neg] = 1.0 - p_pos;
                    // linfa's own rule: the positive class when P(pos) >= 0.5.
                    let class = if p_pos >= 0.5 { *pos } else { *neg };
                    Prediction {
                        class,
                        proba: Some(proba),
                    }
                })
                .collect(),
            Inner::Multi { w, b, classes } => {
                let scores = x.dot(w) + b;
                scores
                    .rows()
                    .into_iter()
                    .map(|row| {
                        let local = super::softmax(row.as_slice().expect("standard layout"));
                        let mut proba = vec![0.0; self.n_classes];
                        for (k, c) in classes.iter().enumerate() {
                            proba[*c] = local[k];
                        }
                        Prediction {
                            class: argmax(&proba),
                            proba: Some(proba),
                        }
                    })
                    .collect()
            }
        }
    }

    fn explain(&self) -> Explanation {
        match &self.inner {
            Inner::Binary { w, pos, neg, .. } => {
                let mut m = Array2::zeros((w.len(), self.n_classes));
                m.column_mut(*pos).assign(w);
                m.column_mut(*neg).assign(&w.mapv(|v| -v));
                Explanation::ClassWeights(m)
            }
            Inner::Multi { w, classes, .. } => {
                let mut m = Array2::zeros((w.nrows(), self.n_classes));
                for (k, c) in classes.iter().enumerate() {
                    m.column_mut(*c).assign(&w.column(k));
                }
                Explanation::ClassWeights(m)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Pinned to scikit-learn `LogisticRegression(C=1.0, tol=1e-10)` on the same data
    /// (`scripts/crosscheck.py`, section "logistic").
    #[test]
    fn probabilities_match_scikit_learn() {
        let x = array![
            [0.0, 1.0],
            [1.0, 0.5],
            [2.0, 0.0],
            [3.0, 1.0],
            [0.5, 2.0],
            [2.5, 2.5]
        ];
        let y = [0, 0, 1, 1, 0, 1];
        let p = LogisticParams {
            name: None,
            alpha: 1.0,
            max_iterations: 500,
            gradient_tolerance: 1e-10,
        };
        let fitted = fit(&p, "lr", &x, &y, 2).unwrap();
        let probs: Vec<f64> = fitted
            .predict(&x)
            .iter()
            .map(|p| p.proba.as_ref().unwrap()[1])
            .collect();
        let expected = [
            0.138_276_811_012,
            0.356_417_163_434,
            0.656_509_734_7,
            0.862_489_062_641,
            0.222_301_870_491,
            0.764_005_357_629,
        ];
        for (got, want) in probs.iter().zip(expected) {
            assert!((got - want).abs() < 1e-5, "got {got}, scikit-learn {want}");
        }
    }

    #[test]
    fn rejects_negative_alpha_and_zero_iterations() {
        let mut p = LogisticParams {
            name: None,
            alpha: -1.0,
            max_iterations: 10,
            gradient_tolerance: 1e-4,
        };
        assert!(matches!(
            p.check("lr"),
            Err(ModelError::InvalidParam { .. })
        ));
        p.alpha = 1.0;
        p.max_iterations = 0;
        assert!(p.check("lr").is_err());
    }
}
