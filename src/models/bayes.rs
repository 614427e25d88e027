//! Multinomial naive Bayes.
//!
//! Written here instead of taken from linfa-bayes 0.8.1 for two reasons found by reading its source:
//! `MultinomialNb::fit_with` contains a leftover `dbg!` (`multinomial_nb.rs:78`) that writes every class histogram
//! to stderr on every fit, even in release builds, which would flood the CLI; and its `predict` takes the arg-max
//! over a `HashMap`, so tied classes are broken by a per-process random order, which breaks byte-identical reports.
//! The model is the textbook one (scikit-learn's `MultinomialNB(alpha, fit_prior=True)`); a unit test checks it
//! against linfa-bayes's own `predict_proba` and against scikit-learn's values.

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use super::{argmax, softmax, Explanation, FittedClassifier, ModelError, Prediction};

/// Naive Bayes parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NaiveBayesParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// Additive (Lidstone) smoothing. Defaults to `1.0` (Laplace).
    #[serde(default = "one")]
    pub alpha: f64,
}

fn one() -> f64 {
    1.0
}

impl NaiveBayesParams {
    pub(super) fn check(&self, name: &str) -> Result<(), ModelError> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(ModelError::InvalidParam {
                classifier: name.into(),
                param: "alpha".into(),
                message: format!("must be > 0, got {}", self.alpha),
            });
        }
        Ok(())
    }
}

#[derive(Debug)]
struct FittedNb {
    /// log P(feature | class), features × classes; columns of absent classes are unused.
    feature_log_prob: Array2<f64>,
    /// log P(class); `None` for classes absent from training.
    log_prior: Vec<Option<f64>>,
}

pub(super) fn fit(
    p: &NaiveBayesParams,
    name: &str,
    x: &Array2<f64>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    if let Some(((_, column), value)) = x.indexed_iter().find(|(_, v)| **v < 0.0) {
        return Err(ModelError::NegativeFeature {
            classifier: name.into(),
            column,
            value: *value,
        });
    }
    let d = x.ncols();
    let mut counts = Array2::<f64>::zeros((d, n_classes));
    let mut class_count = vec![0usize; n_classes];
    for (row, &c) in x.axis_iter(Axis(0)).zip(y) {
        class_count[c] += 1;
        let mut col = counts.column_mut(c);
        col += &row;
    }
    let mut feature_log_prob = Array2::<f64>::zeros((d, n_classes));
    for c in 0..n_classes {
        let total: f64 = counts.column(c).sum() + p.alpha * d as f64;
        let col: Array1<f64> = counts.column(c).mapv(|v| ((v + p.alpha) / total).ln());
        feature_log_prob.column_mut(c).assign(&col);
    }
    let n = y.len() as f64;
    let log_prior = class_count
        .iter()
        .map(|&k| (k > 0).then(|| (k as f64 / n).ln()))
        .collect();
    Ok(Box::new(FittedNb {
        feature_log_prob,
        log_prior,
    }))
}

impl FittedClassifier for FittedNb {
    fn predict(&self, x: &Array2<f64>) -> Vec<Prediction> {
        let jll = x.dot(&self.feature_log_prob);
        jll.rows()
            .into_iter()
            .map(|row| {
                let present: Vec<(usize, f64)> = self
                    .log_prior
                    .iter()
                    .enumerate()
                    .filter_map(|(c, prior)| prior.map(|pr| (c, row[c] + pr)))
                    .collect();
                let local = softmax(&present.iter().map(|(_, s)| *s).collect::<Vec<_>>());
                let mut proba = vec![0.0; self.log_prior.len()];
                for ((c, _), p) in present.iter().zip(local) {
                    proba[*c] = p;
                }
                Prediction {
                    class: argmax(&proba),
                    proba: Some(proba),
                }
            })
            .collect()
    }

    fn explain(&self) -> Explanation {
        // How much more likely a feature is under a class than on average over the training classes.
        let present: Vec<usize> = (0..self.log_prior.len())
            .filter(|&c| self.log_prior[c].is_some())
            .collect();
        let mut m = Array2::zeros(self.feature_log_prob.raw_dim());
        for j in 0..m.nrows() {
            let mean = present
                .iter()
                .map(|&c| self.feature_log_prob[[j, c]])
                .sum::<f64>()
                / present.len() as f64;
            for &c in &present {
                m[[j, c]] = self.feature_log_prob[[j, c]] - mean;
            }
        }
        Explanation::ClassWeights(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::prelude::*;
    use linfa_bayes::{MultinomialNb, NaiveBayes};
    use ndarray::array;

    fn data() -> (Array2<f64>, Vec<usize>) {
        (
            array![
                [2.0, 1.0, 0.0],
                [1.0, 0.0, 1.0],
                [0.0, 1.0, 3.0],
                [0.0, 2.0, 1.0],
                [1.0, 1.0, 1.0]
            ],
            vec![0, 0, 1, 1, 1],
        )
    }

    /// scikit-learn `MultinomialNB(alpha=1.0).predict_proba` on the same data (`scripts/crosscheck.py`,
    /// section "naive_bayes").
    #[test]
    fn probabilities_match_scikit_learn() {
        let (x, y) = data();
        let p = NaiveBayesParams {
            name: None,
            alpha: 1.0,
        };
        let fitted = fit(&p, "nb", &x, &y, 2).unwrap();
        let got: Vec<f64> = fitted
            .predict(&x)
            .iter()
            .map(|p| p.proba.as_ref().unwrap()[0])
            .collect();
        let want = [
            0.820_694_807_620_470_9,
            0.539_936_102_236_421_9,
            0.064_430_914_025_189_51,
            0.132_373_320_479_604_9,
            0.432_735_867_638_369_35,
        ];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "got {g}, scikit-learn {w}");
        }
    }

    #[test]
    fn agrees_with_linfa_bayes() {
        let (x, y) = data();
        let fitted = fit(
            &NaiveBayesParams {
                name: None,
                alpha: 1.0,
            },
            "nb",
            &x,
            &y,
            2,
        )
        .unwrap();
        let ds = Dataset::new(x.clone(), Array1::from(y.clone()));
        let linfa_model = MultinomialNb::params().alpha(1.0).fit(&ds).unwrap();
        let (linfa_proba, classes) = linfa_model.predict_proba(x.view());
        assert_eq!(classes, vec![&0, &1]);
        for (ours, row) in fitted.predict(&x).iter().zip(linfa_proba.rows()) {
            let ours = ours.proba.as_ref().unwrap();
            assert!(
                (ours[0] - row[0]).abs() < 1e-9 && (ours[1] - row[1]).abs() < 1e-9,
                "{ours:?} vs {row}"
            );
        }
    }

    #[test]
    fn rejects_negative_features() {
        let x = array![[1.0, -0.5], [0.0, 1.0]];
        let err = fit(
            &NaiveBayesParams {
                name: None,
                alpha: 1.0,
            },
            "nb",
            &x,
            &[0, 1],
            2,
        )
        .unwrap_err();
        assert!(
            matches!(err, ModelError::NegativeFeature { column: 1, .. }),
            "{err}"
        );
    }
}
