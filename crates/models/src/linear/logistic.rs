//! L2-regularised logistic regression on CSR rows, solved by a trust-region Newton method (TRON).
//!
//! Objective per binary machine (labels `y_i ∈ {−1, +1}`, `x_i` extended by the constant bias feature 1):
//! `min_w ½‖w‖² + C Σ_i log(1 + exp(−y_i wᵀx_i))` — liblinear `-s 0`, scikit-learn
//! `LogisticRegression(solver="liblinear", C)`. The solver follows Lin, Weng & Keerthi (2008), "Trust region
//! Newton method for large-scale logistic regression": each outer step minimises the quadratic model inside a
//! trust region by conjugate gradients whose only use of the Hessian `I + C Xᵀ D X` is a Hessian-vector product,
//! one pass over the CSR rows. No randomness is involved.

use linfa::dataset::DatasetBase;
use linfa::traits::Fit;
use ndarray::{Array1, Array2};
use stance_matrix::FeatureView;

use super::tron::{gauss_newton_diagonal, gauss_newton_product, tron, Objective};
use super::{
    check_iter, check_n_classes, check_positive, prepare, Features, LinearError, Machines, Rows,
    SolveInfo,
};

const MODEL: &str = "sparse logistic regression";

/// Parameters of [`SparseLogistic`], as declared; [`SparseLogisticParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseLogisticParams {
    /// Inverse regularisation strength (scikit-learn's `C`). Must be finite and > 0.
    pub c: f64,
    /// scikit-learn's `tol`: TRON stops when `‖∇f‖ ≤ tol·max(min(#pos,#neg),1)/#rows · ‖∇f(0)‖`.
    pub tol: f64,
    /// Maximum accepted Newton steps per binary machine (scikit-learn's `max_iter`).
    pub max_iter: usize,
    /// Number of classes of the output; `None` infers `max(target) + 1`.
    pub n_classes: Option<usize>,
}

impl Default for SparseLogisticParams {
    /// scikit-learn's defaults: `C = 1`, `tol = 1e-4`, `max_iter = 100`.
    fn default() -> Self {
        SparseLogisticParams {
            c: 1.0,
            tol: 1e-4,
            max_iter: 100,
            n_classes: None,
        }
    }
}

/// Validated [`SparseLogisticParams`]; the only thing that fits.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSparseLogisticParams(SparseLogisticParams);

impl SparseLogisticParams {
    /// Validates the parameters: `c` and `tol` finite and > 0, `max_iter ≥ 1`, `n_classes ≥ 2` when given.
    pub fn check(&self) -> Result<ValidSparseLogisticParams, LinearError> {
        check_positive(MODEL, "c", self.c)?;
        check_positive(MODEL, "tol", self.tol)?;
        check_iter(MODEL, self.max_iter)?;
        check_n_classes(MODEL, self.n_classes)?;
        Ok(ValidSparseLogisticParams(self.clone()))
    }
}

impl ValidSparseLogisticParams {
    /// The validated parameters.
    pub fn params(&self) -> &SparseLogisticParams {
        &self.0
    }

    /// Fits on the rows of `x` (borrowed, never copied) and class indices `y`.
    /// Fits on a CSR matrix alone (no dense block): [`fit_rows`](Self::fit_rows) of its view.
    pub fn fit_csr(
        &self,
        x: sprs::CsMatView<'_, f64>,
        y: &[usize],
    ) -> Result<SparseLogistic, LinearError> {
        self.fit_rows(FeatureView::of_sparse(x), y)
    }

    pub fn fit_rows(&self, x: FeatureView<'_>, y: &[usize]) -> Result<SparseLogistic, LinearError> {
        let p = &self.0;
        let (rows, n_classes, present) = prepare(MODEL, x, y, p.n_classes)?;
        let machines = rows.with_packed_buffer(|rows| {
            rows.with_dense_quads(|rows| {
                Machines::fit(rows, y, n_classes, &present, |labels, _| {
                    tron_logistic(rows, labels, p.c, p.tol, p.max_iter)
                })
            })
        });
        Ok(SparseLogistic { machines })
    }
}

impl<'a> Fit<Features<'a>, Array1<usize>, LinearError> for ValidSparseLogisticParams {
    type Object = SparseLogistic;

    fn fit(
        &self,
        dataset: &DatasetBase<Features<'a>, Array1<usize>>,
    ) -> Result<SparseLogistic, LinearError> {
        let y = dataset.targets.to_vec();
        self.fit_rows(dataset.records.0, &y)
    }
}

/// A fitted sparse logistic regression (binary, or one-vs-rest for three or more present classes).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SparseLogistic {
    machines: Machines,
}

impl SparseLogistic {
    /// See `Machines::check_shape`.
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        self.machines.check_shape(n_features, n_classes)
    }

    /// Class probabilities, rows × classes, as scikit-learn's liblinear model: binary `σ(m)` and `1 − σ(m)`;
    /// one-vs-rest each class's `σ(m_c)` divided by their sum. Absent classes get 0.
    pub fn predict_proba(&self, x: FeatureView<'_>) -> Result<Array2<f64>, LinearError> {
        let margins = self.machines.margins(x, MODEL)?;
        let mac = &self.machines;
        let mut out = Array2::zeros((margins.nrows(), mac.n_classes));
        for (i, r) in margins.rows().into_iter().enumerate() {
            match mac.negative {
                Some(neg) => {
                    let p = sigmoid(r[0]);
                    out[[i, mac.positive[0]]] = p;
                    out[[i, neg]] = 1.0 - p;
                }
                None => {
                    let sum: f64 = r.iter().map(|&v| sigmoid(v)).sum();
                    for (m, &c) in mac.positive.iter().enumerate() {
                        out[[i, c]] = sigmoid(r[m]) / sum;
                    }
                }
            }
        }
        Ok(out)
    }
}

shared_machine_api!(SparseLogistic);

/// scikit-learn's `expit`, written the same way so probabilities agree to the last bits.
#[inline]
fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// `log(1 + exp(−t))` without overflow for large `|t|`.
#[inline]
fn log1p_exp_neg(t: f64) -> f64 {
    if t >= 0.0 {
        (-t).exp().ln_1p()
    } else {
        -t + t.exp().ln_1p()
    }
}

/// The logistic objective over CSR rows with its cached margins and Hessian weights.
struct LogisticLoss<'a> {
    rows: Rows<'a>,
    labels: &'a [f64],
    c: f64,
    /// Margins `wᵀx_i` of the last `value` call.
    z: Vec<f64>,
    /// `C·σ_i(1 − σ_i)` at the last `gradient` point: the Hessian's diagonal weights.
    d: Vec<f64>,
}

impl Objective for LogisticLoss<'_> {
    fn value(&mut self, w: &[f64]) -> f64 {
        let mut f = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
        self.rows.margins(w, &mut self.z);
        let mut loss = 0.0;
        for (&zi, &yi) in self.z.iter().zip(self.labels) {
            loss += log1p_exp_neg(yi * zi);
        }
        f += self.c * loss;
        f
    }

    /// Gradient at the point of the last `value` call (its margins are reused), and the Hessian weights there.
    fn gradient(&mut self, w: &[f64], g: &mut [f64]) {
        g.copy_from_slice(w);
        for i in 0..self.rows.nrows() {
            let yi = self.labels[i];
            let s = sigmoid(yi * self.z[i]);
            self.d[i] = self.c * s * (1.0 - s);
            self.rows.stream_ahead(i, i + 1);
            self.rows.axpy(i, self.c * (s - 1.0) * yi, g);
        }
    }

    /// `out = (I + Xᵀ D X) v`, one pass over the rows.
    fn hess_vec(&self, v: &[f64], out: &mut [f64]) {
        gauss_newton_product(self.rows, &self.d, v, out);
    }

    fn hess_diagonal(&self, out: &mut [f64]) {
        gauss_newton_diagonal(self.rows, &self.d, out);
    }
}

/// Fits one binary machine; returns the weights (features then bias) and how the solve ended.
fn tron_logistic(
    rows: Rows<'_>,
    labels: &[f64],
    c: f64,
    tol: f64,
    max_iter: usize,
) -> (Vec<f64>, SolveInfo) {
    let l = rows.nrows();
    let pos = labels.iter().filter(|&&v| v > 0.0).count();
    let neg = l - pos;
    // liblinear scales the relative gradient tolerance by the minority-class share (scikit-learn keeps this).
    let eps = tol * (pos.min(neg).max(1) as f64) / l as f64;
    let mut fun = LogisticLoss {
        rows,
        labels,
        c,
        z: vec![0.0; l],
        d: vec![0.0; l],
    };
    tron(&mut fun, rows.ncols + 1, eps, max_iter)
}
