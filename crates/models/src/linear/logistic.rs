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
        let machines = Machines::fit(rows, y, n_classes, &present, |labels, _| {
            tron_logistic(rows, labels, p.c, p.tol, p.max_iter)
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

impl LogisticLoss<'_> {
    fn bias(&self) -> usize {
        self.rows.ncols
    }

    fn value(&mut self, w: &[f64]) -> f64 {
        let b = self.bias();
        let mut f = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
        let mut loss = 0.0;
        for i in 0..self.rows.nrows() {
            let zi = self.rows.dot(i, w) + w[b];
            self.z[i] = zi;
            loss += log1p_exp_neg(self.labels[i] * zi);
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
            self.rows.axpy(i, self.c * (s - 1.0) * yi, g);
        }
    }

    /// `out = (I + Xᵀ D X) v`, one pass over the rows.
    fn hess_vec(&self, v: &[f64], out: &mut [f64]) {
        let b = self.bias();
        out.copy_from_slice(v);
        for i in 0..self.rows.nrows() {
            let t = (self.rows.dot(i, v) + v[b]) * self.d[i];
            if t != 0.0 {
                self.rows.axpy(i, t, out);
            }
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
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

/// Trust-region Newton: Lin, Weng & Keerthi (2008), Algorithm 1 with the step-size rules of their Section 2.
fn tron(fun: &mut LogisticLoss<'_>, n: usize, eps: f64, max_iter: usize) -> (Vec<f64>, SolveInfo) {
    // Acceptance thresholds on actual/predicted reduction and trust-region scaling factors from the paper.
    const ETA0: f64 = 1e-4;
    const ETA1: f64 = 0.25;
    const ETA2: f64 = 0.75;
    const SIGMA1: f64 = 0.25;
    const SIGMA2: f64 = 0.5;
    const SIGMA3: f64 = 4.0;

    let mut w = vec![0.0; n];
    let mut w_new = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut s = vec![0.0; n];
    let mut r = vec![0.0; n];
    let mut cg = CgBuffers {
        d: vec![0.0; n],
        hd: vec![0.0; n],
    };

    let mut f = fun.value(&w);
    fun.gradient(&w, &mut g);
    let gnorm0 = norm(&g);
    let mut delta = gnorm0;
    let mut steps = 0;
    let mut converged = gnorm0 <= eps * gnorm0;

    while !converged && steps < max_iter {
        trust_region_cg(fun, delta, &g, &mut s, &mut r, &mut cg);
        for ((wn, wi), si) in w_new.iter_mut().zip(&w).zip(&s) {
            *wn = wi + si;
        }
        let gs = dot(&g, &s);
        // Model decrease −(gᵀs + ½sᵀHs); the CG residual r = −g − Hs gives sᵀHs = −sᵀr − gᵀs.
        let prered = -0.5 * (gs - dot(&s, &r));
        let fnew = fun.value(&w_new);
        let actred = f - fnew;
        let snorm = norm(&s);
        if steps == 0 {
            delta = delta.min(snorm);
        }
        // Minimiser of the 1-D quadratic through f, f' = gs and fnew along s, as a multiple of the step.
        let alpha = if fnew - f - gs <= 0.0 {
            SIGMA3
        } else {
            SIGMA1.max(-0.5 * (gs / (fnew - f - gs)))
        };
        delta = if actred < ETA0 * prered {
            (alpha.max(SIGMA1) * snorm).min(SIGMA2 * delta)
        } else if actred < ETA1 * prered {
            (SIGMA1 * delta).max((alpha * snorm).min(SIGMA2 * delta))
        } else if actred < ETA2 * prered {
            (SIGMA1 * delta).max((alpha * snorm).min(SIGMA3 * delta))
        } else {
            delta.max((alpha * snorm).min(SIGMA3 * delta))
        };
        if actred > ETA0 * prered {
            steps += 1;
            std::mem::swap(&mut w, &mut w_new);
            f = fnew;
            // `value(w_new)` just cached the margins of the accepted point.
            fun.gradient(&w, &mut g);
            if norm(&g) <= eps * gnorm0 {
                converged = true;
                break;
            }
        }
        // No further progress is representable: stop rather than loop on rejected steps.
        if (actred.abs() <= 0.0 && prered <= 0.0)
            || (actred.abs() <= 1e-12 * f.abs() && prered.abs() <= 1e-12 * f.abs())
        {
            break;
        }
    }
    (
        w,
        SolveInfo {
            iterations: steps,
            converged,
        },
    )
}

struct CgBuffers {
    d: Vec<f64>,
    hd: Vec<f64>,
}

/// Steihaug conjugate gradients for `H s = −g` inside `‖s‖ ≤ delta`; leaves the residual `−g − Hs` in `r`.
fn trust_region_cg(
    fun: &LogisticLoss<'_>,
    delta: f64,
    g: &[f64],
    s: &mut [f64],
    r: &mut [f64],
    buf: &mut CgBuffers,
) {
    let CgBuffers { d, hd } = buf;
    s.fill(0.0);
    for ((ri, di), gi) in r.iter_mut().zip(d.iter_mut()).zip(g) {
        *ri = -gi;
        *di = -gi;
    }
    let tol = 0.1 * norm(g);
    let mut rtr = dot(r, r);
    while rtr.sqrt() > tol {
        fun.hess_vec(d, hd);
        let alpha = rtr / dot(d, hd);
        for (si, di) in s.iter_mut().zip(d.iter()) {
            *si += alpha * di;
        }
        if norm(s) > delta {
            // Step back and go to the boundary: solve ‖s + τd‖ = delta for τ ≥ 0 in the stable form.
            for (si, di) in s.iter_mut().zip(d.iter()) {
                *si -= alpha * di;
            }
            let std = dot(s, d);
            let sts = dot(s, s);
            let dtd = dot(d, d);
            let dsq = delta * delta;
            let rad = (std * std + dtd * (dsq - sts)).sqrt();
            let tau = if std >= 0.0 {
                (dsq - sts) / (std + rad)
            } else {
                (rad - std) / dtd
            };
            for (si, di) in s.iter_mut().zip(d.iter()) {
                *si += tau * di;
            }
            for (ri, hi) in r.iter_mut().zip(hd.iter()) {
                *ri -= tau * hi;
            }
            return;
        }
        for (ri, hi) in r.iter_mut().zip(hd.iter()) {
            *ri -= alpha * hi;
        }
        let rtr_new = dot(r, r);
        let beta = rtr_new / rtr;
        for (di, ri) in d.iter_mut().zip(r.iter()) {
            *di = ri + beta * *di;
        }
        rtr = rtr_new;
    }
}
