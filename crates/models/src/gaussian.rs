//! Gaussian naive Bayes (`type = "gaussian-nb"`): scikit-learn's `GaussianNB(var_smoothing=1e-9)`, the naive
//! Bayes that suits embeddings and other signed, continuous features (multinomial naive Bayes counts words and
//! refuses a negative value).
//!
//! Per class `c` and feature `j`: the mean `θ_cj` and the variance `σ²_cj` of the training rows of `c`, plus
//! `ε = var_smoothing · max_j Var(x_j)` (the largest feature variance over all training rows, as scikit-learn);
//! the class prior is its share of the training rows. A row's joint log-likelihood is
//! `log P(c) − ½ Σ_j [log(2π σ²_cj) + (x_j − θ_cj)² / σ²_cj]`, and probabilities are its log-sum-exp softmax
//! over the classes present.
//!
//! Written here rather than taken from linfa-bayes 0.8.1 for what its source shows: `predict_log_proba`
//! normalises with `ln(Σ exp(jll))` without subtracting the maximum, which overflows to `inf − inf = NaN` on
//! embedding-sized likelihoods (384 dimensions of small variances give `|jll|` in the hundreds); its class
//! statistics live in a `HashMap`, whose per-process random order decides ties; and it reads dense records only,
//! while here the sparse block is read in place.

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use stance_matrix::FeatureView;

use super::{
    dense_within_budget, predictions_from_scores, priors, Explanation, FittedClassifier,
    ModelError, Prediction, SavedClassifier,
};

/// Gaussian naive Bayes parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaussianNbParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// Share of the largest feature variance added to every variance, for stability. Defaults to `1e-9`
    /// (scikit-learn's).
    #[serde(default = "default_smoothing")]
    pub var_smoothing: f64,
}

fn default_smoothing() -> f64 {
    1e-9
}

impl GaussianNbParams {
    pub(super) fn check(&self, name: &str) -> Result<(), ModelError> {
        if self.var_smoothing.is_finite() && (0.0..=1.0).contains(&self.var_smoothing) {
            Ok(())
        } else {
            Err(ModelError::InvalidParam {
                classifier: name.into(),
                param: "var_smoothing".into(),
                message: format!(
                    "must be in [0, 1], got {}",
                    stance_core::diag::number(self.var_smoothing)
                ),
            })
        }
    }
}

/// A fitted Gaussian naive Bayes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedGaussianNb {
    /// classes × features; rows of absent classes are 0 and unused.
    theta: Array2<f64>,
    /// classes × features, smoothing included.
    var: Array2<f64>,
    /// log P(class) of the present classes (absent classes are not scored).
    log_prior: Vec<f64>,
    present: Vec<usize>,
    prior: Vec<f64>,
}

pub(super) fn fit(
    p: &GaussianNbParams,
    name: &str,
    x: FeatureView<'_>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    let x = dense_within_budget(x, name)?;
    let (n, d) = x.dim();
    let mut count = vec![0usize; n_classes];
    let mut theta = Array2::<f64>::zeros((n_classes, d));
    for (i, &c) in y.iter().enumerate() {
        count[c] += 1;
        let mut row = theta.row_mut(c);
        row += &x.row(i);
    }
    let present: Vec<usize> = (0..n_classes).filter(|&c| count[c] > 0).collect();
    for &c in &present {
        let mut row = theta.row_mut(c);
        row /= count[c] as f64;
    }
    let mut var = Array2::<f64>::zeros((n_classes, d));
    for (i, &c) in y.iter().enumerate() {
        for j in 0..d {
            let e = x[[i, j]] - theta[[c, j]];
            var[[c, j]] += e * e;
        }
    }
    for &c in &present {
        let mut row = var.row_mut(c);
        row /= count[c] as f64;
    }
    // scikit-learn's epsilon: var_smoothing times the largest variance of any feature over all training rows.
    let overall_mean = x
        .mean_axis(ndarray::Axis(0))
        .unwrap_or_else(|| ndarray::Array1::zeros(d));
    let max_var = (0..d)
        .map(|j| {
            x.column(j)
                .iter()
                .map(|v| (v - overall_mean[j]).powi(2))
                .sum::<f64>()
                / n.max(1) as f64
        })
        .fold(0.0, f64::max);
    let eps = p.var_smoothing * max_var;
    var.mapv_inplace(|v| v + eps);
    // A feature constant within a class (and overall) would give a zero variance: keep it finite.
    if eps == 0.0 {
        var.mapv_inplace(|v| if v > 0.0 { v } else { f64::MIN_POSITIVE });
    }
    let log_prior = present
        .iter()
        .map(|&c| (count[c] as f64 / n as f64).ln())
        .collect();
    Ok(Box::new(FittedGaussianNb {
        theta,
        var,
        log_prior,
        present,
        prior: priors(y, n_classes),
    }))
}

impl FittedGaussianNb {
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        let want = (n_classes, n_features);
        if self.theta.dim() != want || self.var.dim() != want {
            return Err(format!(
                "its means are {:?} and variances {:?}, but {n_classes} classes × {n_features} features are needed",
                self.theta.dim(),
                self.var.dim()
            ));
        }
        if self.present.is_empty() || self.log_prior.len() != self.present.len() {
            return Err(format!(
                "it lists {} trained classes with {} log-priors",
                self.present.len(),
                self.log_prior.len()
            ));
        }
        crate::linear::check_class_list("its list of trained classes", &self.present, n_classes)?;
        crate::baseline::check_prior(&self.prior, n_classes)
    }

    /// Class probabilities, rows × classes (0 for absent classes).
    pub fn predict_proba(&self, x: FeatureView<'_>) -> Array2<f64> {
        let n_classes = self.theta.nrows();
        let d = self.theta.ncols();
        let s = x.sparse_cols();
        let mut out = Array2::<f64>::zeros((x.rows(), n_classes));
        let mut row = vec![0.0; d];
        // Per class, the part of the log-likelihood that does not depend on the row.
        let constant: Vec<f64> = self
            .present
            .iter()
            .map(|&c| {
                -0.5 * self
                    .var
                    .row(c)
                    .iter()
                    .map(|v| (2.0 * std::f64::consts::PI * v).ln())
                    .sum::<f64>()
            })
            .collect();
        let mut jll = vec![0.0; self.present.len()];
        for i in 0..x.rows() {
            row.iter_mut().for_each(|v| *v = 0.0);
            if let Some(r) = x.sparse.outer_view(i) {
                for (j, &v) in r.iter() {
                    row[j] = v;
                }
            }
            for (k, &v) in x.dense_row(i).iter().enumerate() {
                row[s + k] = v;
            }
            for (k, &c) in self.present.iter().enumerate() {
                let mut q = 0.0;
                for ((x, m), v) in row.iter().zip(self.theta.row(c)).zip(self.var.row(c)) {
                    let e = x - m;
                    q += e * e / v;
                }
                jll[k] = self.log_prior[k] + constant[k] - 0.5 * q;
            }
            let max = jll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = jll.iter().map(|v| (v - max).exp()).sum();
            let lse = max + sum.ln();
            for (k, &c) in self.present.iter().enumerate() {
                out[[i, c]] = (jll[k] - lse).exp();
            }
        }
        out
    }
}

impl FittedClassifier for FittedGaussianNb {
    fn to_saved(&self) -> SavedClassifier {
        SavedClassifier::GaussianNb(self.clone())
    }

    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction> {
        predictions_from_scores(&self.predict_proba(x), &self.prior, true)
    }

    /// Per (feature, class): how far the class mean sits from the mean of the class means, in the class's
    /// standard deviations — large where the feature separates the class from the others.
    fn explain(&self) -> Explanation {
        let (n_classes, d) = self.theta.dim();
        let mut w = Array2::zeros((d, n_classes));
        let k = self.present.len() as f64;
        for j in 0..d {
            let mean: f64 = self
                .present
                .iter()
                .map(|&c| self.theta[[c, j]])
                .sum::<f64>()
                / k;
            for &c in &self.present {
                w[[j, c]] = (self.theta[[c, j]] - mean) / self.var[[c, j]].sqrt();
            }
        }
        Explanation::ClassWeights(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use stance_matrix::FeatureMatrix;

    /// Pinned to scikit-learn 1.9.1: `GaussianNB().fit(X, y).predict_proba(T)` on these values.
    #[test]
    fn probabilities_match_scikit_learn() {
        let x = array![
            [-1.0, -1.0],
            [-2.0, -1.0],
            [-3.0, -2.0],
            [1.0, 1.0],
            [2.0, 1.0],
            [3.0, 2.0]
        ];
        let y = [0, 0, 0, 1, 1, 1];
        let m = FeatureMatrix::dense(x);
        let fitted = fit(
            &GaussianNbParams {
                name: None,
                var_smoothing: 1e-9,
            },
            "g",
            m.view(),
            &y,
            2,
        )
        .unwrap();
        let t = FeatureMatrix::dense(array![[-0.8, -1.0], [0.5, 0.2]]);
        let p = fitted.predict(t.view());
        assert_eq!(p[0].class, 0);
        assert_eq!(p[1].class, 1);
        let p0 = p[0].proba.as_ref().unwrap();
        let p1 = p[1].proba.as_ref().unwrap();
        // scikit-learn: [[9.999999494346746e-01, 5.056532536795868e-08],
        //                [4.496273480531634e-03, 9.955037265194688e-01]]
        assert!((p0[0] - 9.999_999_494_346_746e-1).abs() < 1e-14, "{p0:?}");
        assert!((p0[1] - 5.056_532_536_795_868e-8).abs() < 1e-18, "{p0:?}");
        assert!((p1[0] - 4.496_273_480_531_634e-3).abs() < 1e-14, "{p1:?}");
        assert!((p1[1] - 9.955_037_265_194_688e-1).abs() < 1e-14, "{p1:?}");
    }

    #[test]
    fn embedding_sized_likelihoods_stay_finite() {
        // 384 dimensions with tiny variances: |jll| in the thousands, where exp() would overflow.
        let d = 384;
        let x = Array2::from_shape_fn((40, d), |(i, j)| {
            ((i % 2) as f64) * 0.01 + ((i * 7 + j * 13) % 17) as f64 * 1e-4
        });
        let y: Vec<usize> = (0..40).map(|i| i % 2).collect();
        let m = FeatureMatrix::dense(x);
        let fitted = fit(
            &GaussianNbParams {
                name: None,
                var_smoothing: 1e-9,
            },
            "g",
            m.view(),
            &y,
            2,
        )
        .unwrap();
        for p in fitted.predict(m.view()) {
            let pr = p.proba.unwrap();
            assert!(pr.iter().all(|v| v.is_finite()), "{pr:?}");
            assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
