//! Multinomial naive Bayes on CSR rows: scikit-learn's `MultinomialNB(alpha, fit_prior=True)`.
//!
//! `feature_log_prob[j, c] = log(N_cj + α) − log(Σ_j (N_cj + α))` with `N_cj` the sum of column `j` over the
//! training rows of class `c`; `class_log_prior[c] = log(n_c / n)`; the joint log-likelihood of a row is
//! `xᵀ feature_log_prob[:, c] + class_log_prior[c]`, normalised by log-sum-exp for probabilities.

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2};
use stance_matrix::FeatureView;

use super::{check_n_classes, check_positive, prepare, Features, LinearError, Rows};

const MODEL: &str = "sparse multinomial naive Bayes";

/// Parameters of [`SparseNb`], as declared; [`SparseNbParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseNbParams {
    /// Additive (Lidstone) smoothing; must be finite and > 0 (scikit-learn's `alpha`, default 1).
    pub alpha: f64,
    /// Number of classes of the output; `None` infers `max(target) + 1`.
    pub n_classes: Option<usize>,
}

impl Default for SparseNbParams {
    /// Laplace smoothing, `alpha = 1`.
    fn default() -> Self {
        SparseNbParams {
            alpha: 1.0,
            n_classes: None,
        }
    }
}

/// Validated [`SparseNbParams`]; the only thing that fits.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSparseNbParams(SparseNbParams);

impl SparseNbParams {
    /// Validates the parameters: `alpha` finite and > 0, `n_classes ≥ 2` when given.
    pub fn check(&self) -> Result<ValidSparseNbParams, LinearError> {
        check_positive(MODEL, "alpha", self.alpha)?;
        check_n_classes(MODEL, self.n_classes)?;
        Ok(ValidSparseNbParams(self.clone()))
    }
}

impl ValidSparseNbParams {
    /// The validated parameters.
    pub fn params(&self) -> &SparseNbParams {
        &self.0
    }

    /// Fits on the rows of `x` (borrowed, never copied; every value must be ≥ 0) and class indices `y`.
    /// Fits on a CSR matrix alone (no dense block): [`fit_rows`](Self::fit_rows) of its view.
    pub fn fit_csr(
        &self,
        x: sprs::CsMatView<'_, f64>,
        y: &[usize],
    ) -> Result<SparseNb, LinearError> {
        self.fit_rows(FeatureView::of_sparse(x), y)
    }

    pub fn fit_rows(&self, x: FeatureView<'_>, y: &[usize]) -> Result<SparseNb, LinearError> {
        let (rows, n_classes, present) = prepare(MODEL, x, y, self.0.n_classes)?;
        let nf = rows.ncols;
        // Class-major counts so each row's scatter touches one contiguous stretch.
        let mut counts = Array2::<f64>::zeros((n_classes, nf));
        let mut class_count = vec![0usize; n_classes];
        for (i, &c) in y.iter().enumerate() {
            let (idx, val) = rows.row(i);
            let mut row = counts.row_mut(c);
            for (&j, &v) in idx.iter().zip(val) {
                if v < 0.0 || v.is_nan() {
                    return Err(LinearError::NegativeFeature {
                        model: MODEL,
                        column: j,
                        row: i,
                        value: v,
                    });
                }
                row[j] += v;
            }
            for (k, &v) in rows.dense_row(i).iter().enumerate() {
                if v < 0.0 || v.is_nan() {
                    return Err(LinearError::NegativeFeature {
                        model: MODEL,
                        column: rows.sparse_cols + k,
                        row: i,
                        value: v,
                    });
                }
                row[rows.sparse_cols + k] += v;
            }
            class_count[c] += 1;
        }
        let alpha = self.0.alpha;
        let n = y.len() as f64;
        let mut feature_log_prob = Array2::zeros((nf, n_classes));
        let mut class_log_prior = Array1::from_elem(n_classes, f64::NEG_INFINITY);
        for &c in &present {
            let total: f64 = counts.row(c).iter().map(|v| v + alpha).sum();
            let log_total = total.ln();
            for j in 0..nf {
                feature_log_prob[[j, c]] = (counts[[c, j]] + alpha).ln() - log_total;
            }
            class_log_prior[c] = (class_count[c] as f64).ln() - n.ln();
        }
        Ok(SparseNb {
            feature_log_prob,
            class_log_prior,
            present,
        })
    }
}

impl<'a> Fit<Features<'a>, Array1<usize>, LinearError> for ValidSparseNbParams {
    type Object = SparseNb;

    fn fit(
        &self,
        dataset: &DatasetBase<Features<'a>, Array1<usize>>,
    ) -> Result<SparseNb, LinearError> {
        let y = dataset.targets.to_vec();
        self.fit_rows(dataset.records.0, &y)
    }
}

/// A fitted sparse multinomial naive Bayes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SparseNb {
    /// features × classes; columns of absent classes are 0 and unused.
    feature_log_prob: Array2<f64>,
    /// `-inf` for classes absent from training (written as `null` in model files: JSON has no infinity).
    #[serde(with = "crate::json_forms::neg_inf_as_null")]
    class_log_prior: Array1<f64>,
    present: Vec<usize>,
}

impl SparseNb {
    /// Whether the model fits `n_features` columns and `n_classes` classes: log-probabilities features × classes,
    /// one prior per class, present classes in range (at least one).
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        let (rows, cols) = self.feature_log_prob.dim();
        if (rows, cols) != (n_features, n_classes) || self.class_log_prior.len() != n_classes {
            return Err(format!(
                "its log-probabilities are {rows} × {cols} with {} class priors, but {n_features} features and \
                 {n_classes} classes need {n_features} × {n_classes} and {n_classes}",
                self.class_log_prior.len()
            ));
        }
        if self.present.is_empty() {
            return Err("it lists no class seen in training".into());
        }
        super::check_class_list("its list of trained classes", &self.present, n_classes)
    }

    /// Joint log-likelihood `log P(x, c)` up to a row constant, rows × classes; `-inf` for absent classes.
    /// Negative test values are used as given (scikit-learn does the same at predict time).
    pub fn joint_log_likelihood(&self, x: FeatureView<'_>) -> Result<Array2<f64>, LinearError> {
        let rows = Rows::new(x, MODEL)?;
        let nf = self.feature_log_prob.nrows();
        if rows.ncols != nf {
            return Err(LinearError::Shape {
                model: MODEL,
                message: format!(
                    "trained on {nf} feature columns, asked to predict {}",
                    rows.ncols
                ),
            });
        }
        let nc = self.class_log_prior.len();
        let mut out = Array2::from_elem((rows.nrows(), nc), f64::NEG_INFINITY);
        for i in 0..rows.nrows() {
            let (idx, val) = rows.row(i);
            let dense = rows.dense_row(i);
            for &c in &self.present {
                let mut s = 0.0;
                for (&j, &v) in idx.iter().zip(val) {
                    s += v * self.feature_log_prob[[j, c]];
                }
                for (k, &v) in dense.iter().enumerate() {
                    s += v * self.feature_log_prob[[rows.sparse_cols + k, c]];
                }
                out[[i, c]] = s + self.class_log_prior[c];
            }
        }
        Ok(out)
    }

    /// Class probabilities, rows × classes, by log-sum-exp over the present classes; 0 for absent classes.
    pub fn predict_proba(&self, x: FeatureView<'_>) -> Result<Array2<f64>, LinearError> {
        let mut jll = self.joint_log_likelihood(x)?;
        for mut r in jll.rows_mut() {
            let max = self
                .present
                .iter()
                .map(|&c| r[c])
                .fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = self.present.iter().map(|&c| (r[c] - max).exp()).sum();
            let lse = max + sum.ln();
            r.mapv_inplace(|v| (v - lse).exp());
        }
        Ok(jll)
    }

    /// Predicted class per row: the arg-max of the joint log-likelihood, ties toward the lowest class index.
    pub fn predict_classes(&self, x: FeatureView<'_>) -> Result<Array1<usize>, LinearError> {
        let jll = self.joint_log_likelihood(x)?;
        Ok(jll
            .rows()
            .into_iter()
            .map(|r| {
                let mut best = self.present[0];
                for &c in &self.present[1..] {
                    if r[c] > r[best] {
                        best = c;
                    }
                }
                best
            })
            .collect())
    }

    /// `log P(feature | class)`, features × classes (scikit-learn's `feature_log_prob_.T`); absent classes 0.
    pub fn feature_log_prob(&self) -> &Array2<f64> {
        &self.feature_log_prob
    }

    /// `log P(class)`; `-inf` for classes absent from training.
    pub fn class_log_prior(&self) -> &Array1<f64> {
        &self.class_log_prior
    }

    /// Number of classes of the output.
    pub fn n_classes(&self) -> usize {
        self.class_log_prior.len()
    }

    /// Features × classes contrasts for top-feature tables: how much more likely a feature is under a class
    /// than on average over the training classes (`feature_log_prob − its mean over present classes`); 0 for
    /// absent classes.
    pub fn weights(&self) -> Array2<f64> {
        let mut m = Array2::zeros(self.feature_log_prob.raw_dim());
        let k = self.present.len() as f64;
        for j in 0..m.nrows() {
            let mean = self
                .present
                .iter()
                .map(|&c| self.feature_log_prob[[j, c]])
                .sum::<f64>()
                / k;
            for &c in &self.present {
                m[[j, c]] = self.feature_log_prob[[j, c]] - mean;
            }
        }
        m
    }
}

impl<'a> PredictInplace<Features<'a>, Array1<usize>> for SparseNb {
    /// # Panics
    ///
    /// If `x` is CSC or has a different column count than the training matrix (linfa's signature has no error).
    fn predict_inplace<'b>(&'b self, x: &'b Features<'a>, y: &mut Array1<usize>) {
        let classes = self.predict_classes(x.0).unwrap_or_else(|e| panic!("{e}"));
        y.assign(&classes);
    }

    fn default_target(&self, x: &Features<'a>) -> Array1<usize> {
        Array1::zeros(x.0.rows())
    }
}
