//! Linear support vector machine from linfa-svm.
//!
//! linfa-svm is binary only, so three or more classes are handled one-vs-rest: one SVM per class present in the
//! training rows, prediction by the largest margin. No probabilities are reported (Platt scaling on folds of a few
//! items would be noise dressed up as calibration).

use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::{argmax, classes_present, Explanation, FittedClassifier, ModelError, Prediction};

/// Linear SVM parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SvmParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// Soft-margin penalty C for both classes. Defaults to `1.0`.
    #[serde(default = "one")]
    pub c: f64,
    /// Solver stopping tolerance. Defaults to `1e-7` (linfa's default).
    #[serde(default = "eps")]
    pub eps: f64,
}

fn one() -> f64 {
    1.0
}
fn eps() -> f64 {
    1e-7
}

impl SvmParams {
    pub(super) fn check(&self, name: &str) -> Result<(), ModelError> {
        let bad = |param: &str, v: f64| ModelError::InvalidParam {
            classifier: name.into(),
            param: param.into(),
            message: format!("must be a finite number > 0, got {v}"),
        };
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(bad("c", self.c));
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(bad("eps", self.eps));
        }
        Ok(())
    }
}

/// One binary machine: `positive` vs the rest.
#[derive(Debug)]
struct Machine {
    positive: usize,
    model: Svm<f64, bool>,
}

impl Machine {
    fn margin(&self, row: ndarray::ArrayView1<'_, f64>) -> f64 {
        self.model.weighted_sum(&row) - self.model.rho
    }
}

#[derive(Debug)]
struct FittedSvm {
    machines: Vec<Machine>,
    /// For the binary case, the class predicted when the margin is negative.
    negative: Option<usize>,
    n_classes: usize,
    n_features: usize,
}

pub(super) fn fit(
    p: &SvmParams,
    name: &str,
    x: &Array2<f64>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    let present = classes_present(y, n_classes);
    let train_one = |positive: usize| -> Result<Machine, ModelError> {
        let targets: Array1<bool> = y.iter().map(|&c| c == positive).collect();
        let ds = Dataset::new(x.clone(), targets);
        let model = Svm::<f64, bool>::params()
            .pos_neg_weights(p.c, p.c)
            .eps(p.eps)
            .linear_kernel()
            .fit(&ds)
            .map_err(|e| ModelError::Linfa {
                classifier: name.into(),
                message: e.to_string(),
            })?;
        Ok(Machine { positive, model })
    };
    let (machines, negative) = if present.len() == 2 {
        (vec![train_one(present[1])?], Some(present[0]))
    } else {
        (
            present
                .iter()
                .map(|&c| train_one(c))
                .collect::<Result<Vec<_>, _>>()?,
            None,
        )
    };
    Ok(Box::new(FittedSvm {
        machines,
        negative,
        n_classes,
        n_features: x.ncols(),
    }))
}

impl FittedClassifier for FittedSvm {
    fn predict(&self, x: &Array2<f64>) -> Vec<Prediction> {
        x.rows()
            .into_iter()
            .map(|row| {
                let class = match self.negative {
                    Some(neg) => {
                        let m = &self.machines[0];
                        if m.margin(row) >= 0.0 {
                            m.positive
                        } else {
                            neg
                        }
                    }
                    None => {
                        let margins: Vec<f64> =
                            self.machines.iter().map(|m| m.margin(row)).collect();
                        self.machines[argmax(&margins)].positive
                    }
                };
                Prediction { class, proba: None }
            })
            .collect()
    }

    fn explain(&self) -> Explanation {
        // For a linear kernel the margin is w·x − ρ, so w_j is the margin of the j-th unit vector plus ρ.
        let mut m = Array2::zeros((self.n_features, self.n_classes));
        let mut unit = Array1::zeros(self.n_features);
        for j in 0..self.n_features {
            unit[j] = 1.0;
            for machine in &self.machines {
                let w = machine.model.weighted_sum(&unit);
                m[[j, machine.positive]] = w;
                if let Some(neg) = self.negative {
                    m[[j, neg]] = -w;
                }
            }
            unit[j] = 0.0;
        }
        Explanation::ClassWeights(m)
    }
}
