//! L2-regularised squared-hinge linear SVM on CSR rows, solved in the dual by coordinate descent.
//!
//! Primal per binary machine: `min_w ½‖w‖² + C Σ_i max(0, 1 − y_i wᵀx_i)²` (bias feature appended) —
//! scikit-learn's default `LinearSVC(C)`, liblinear `-s 1`. The solver is Algorithm 3 of Hsieh, Chang, Lin,
//! Keerthi & Sundararajan (2008), "A dual coordinate descent method for large-scale linear SVM": the dual
//! `min_α ½αᵀ(Q + I/(2C))α − eᵀα, α ≥ 0` is minimised one coordinate at a time in closed form while
//! `w = Σ α_i y_i x_i` is kept up to date, with the paper's shrinking heuristic. The coordinate order is a fresh
//! permutation on each pass, drawn from a [`ChaCha8Rng`] seeded with the caller's seed on the stream of the
//! machine's index, so results are reproducible and independent of thread scheduling.

use linfa::dataset::DatasetBase;
use linfa::traits::Fit;
use ndarray::Array1;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stance_matrix::FeatureView;

use super::tron::{gauss_newton_diagonal, gauss_newton_product, tron, Objective};
use super::{
    check_iter, check_n_classes, check_positive, prepare, Features, LinearError, Machines, Rows,
    SolveInfo,
};

const MODEL: &str = "sparse linear SVM";

/// Parameters of [`SparseSvm`], as declared; [`SparseSvmParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseSvmParams {
    /// Inverse regularisation strength (scikit-learn's `C`). Must be finite and > 0.
    pub c: f64,
    /// Absolute stopping tolerance on `max PG − min PG` over a full pass (scikit-learn's `tol`, passed to
    /// liblinear as `eps`).
    pub tol: f64,
    /// Maximum passes over the data per binary machine (scikit-learn's `max_iter`).
    pub max_iter: usize,
    /// Seed of the coordinate permutations.
    pub seed: u64,
    /// Temporarily drop coordinates stuck at the bound (Hsieh et al. §3.2); the final check is on all of them.
    pub shrinking: bool,
    /// Number of classes of the output; `None` infers `max(target) + 1`.
    pub n_classes: Option<usize>,
}

impl Default for SparseSvmParams {
    /// scikit-learn's defaults: `C = 1`, `tol = 1e-4`, `max_iter = 1000`; shrinking on; seed 0.
    fn default() -> Self {
        SparseSvmParams {
            c: 1.0,
            tol: 1e-4,
            max_iter: 1000,
            seed: 0,
            shrinking: true,
            n_classes: None,
        }
    }
}

/// Validated [`SparseSvmParams`]; the only thing that fits.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSparseSvmParams(SparseSvmParams);

impl SparseSvmParams {
    /// Validates the parameters: `c` and `tol` finite and > 0, `max_iter ≥ 1`, `n_classes ≥ 2` when given.
    pub fn check(&self) -> Result<ValidSparseSvmParams, LinearError> {
        check_positive(MODEL, "c", self.c)?;
        check_positive(MODEL, "tol", self.tol)?;
        check_iter(MODEL, self.max_iter)?;
        check_n_classes(MODEL, self.n_classes)?;
        Ok(ValidSparseSvmParams(self.clone()))
    }
}

impl ValidSparseSvmParams {
    /// The validated parameters.
    pub fn params(&self) -> &SparseSvmParams {
        &self.0
    }

    /// Fits on the rows of `x` (borrowed, never copied) and class indices `y`.
    /// Fits on a CSR matrix alone (no dense block): [`fit_rows`](Self::fit_rows) of its view.
    pub fn fit_csr(
        &self,
        x: sprs::CsMatView<'_, f64>,
        y: &[usize],
    ) -> Result<SparseSvm, LinearError> {
        self.fit_rows(FeatureView::of_sparse(x), y)
    }

    pub fn fit_rows(&self, x: FeatureView<'_>, y: &[usize]) -> Result<SparseSvm, LinearError> {
        let p = &self.0;
        let (rows, n_classes, present) = prepare(MODEL, x, y, p.n_classes)?;
        let row_sq: Vec<f64> = (0..rows.nrows()).map(|i| rows.sq_norm(i)).collect();
        // Every pass visits all rows in a random order, so reading the rows is most of its cost (see
        // `Rows::pack_into`).
        let machines = rows.with_packed_buffer(|rows| {
            Machines::fit(rows, y, n_classes, &present, |labels, m| {
                dual_cd(rows, &row_sq, labels, p, m as u64)
            })
        });
        Ok(SparseSvm { machines })
    }

    /// Solves the primal (trust-region Newton) when there are at least as many rows as columns, the dual
    /// otherwise — scikit-learn's `LinearSVC(dual="auto")` rule. Both minimise the same objective; on tall
    /// matrices the dual's `α` has a coordinate per row and its coordinate descent needs many passes (binary
    /// unscaled unigrams: hundreds), where Newton needs a handful of steps of a few products each.
    pub fn fit_auto(&self, x: FeatureView<'_>, y: &[usize]) -> Result<SparseSvm, LinearError> {
        if x.rows() >= x.cols() {
            self.fit_primal(x, y)
        } else {
            self.fit_rows(x, y)
        }
    }

    /// Fits by trust-region Newton on the primal (liblinear `-s 2`, `LinearSVC(dual=False)`): stops when
    /// `‖∇f‖ ≤ tol·max(min(#pos,#neg),1)/#rows · ‖∇f(0)‖`, or after `max_iter` Newton steps.
    pub fn fit_primal(&self, x: FeatureView<'_>, y: &[usize]) -> Result<SparseSvm, LinearError> {
        let p = &self.0;
        let (rows, n_classes, present) = prepare(MODEL, x, y, p.n_classes)?;
        let machines = rows.with_packed_buffer(|rows| {
            rows.with_dense_quads(|rows| {
                Machines::fit(rows, y, n_classes, &present, |labels, _| {
                    let l = rows.nrows();
                    let pos = labels.iter().filter(|&&v| v > 0.0).count();
                    // liblinear's primal tolerance, as for the logistic loss.
                    let eps = p.tol * (pos.min(l - pos).max(1) as f64) / l as f64;
                    let mut fun = SquaredHinge {
                        rows,
                        labels,
                        c: p.c,
                        z: vec![0.0; l],
                        d: vec![0.0; l],
                    };
                    tron(&mut fun, rows.ncols + 1, eps, p.max_iter)
                })
            })
        });
        Ok(SparseSvm { machines })
    }
}

impl<'a> Fit<Features<'a>, Array1<usize>, LinearError> for ValidSparseSvmParams {
    type Object = SparseSvm;

    fn fit(
        &self,
        dataset: &DatasetBase<Features<'a>, Array1<usize>>,
    ) -> Result<SparseSvm, LinearError> {
        let y = dataset.targets.to_vec();
        self.fit_rows(dataset.records.0, &y)
    }
}

/// A fitted sparse linear SVM (binary, or one-vs-rest for three or more present classes). No probabilities.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SparseSvm {
    machines: Machines,
}

shared_machine_api!(SparseSvm);

impl SparseSvm {
    /// See `Machines::check_shape`.
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        self.machines.check_shape(n_features, n_classes)
    }
}

/// The squared-hinge objective over CSR rows, with the margins of the last `value` call and the generalised
/// Hessian's weights (`2C` on the rows inside the margin, 0 elsewhere) of the last `gradient` call.
struct SquaredHinge<'a> {
    rows: Rows<'a>,
    labels: &'a [f64],
    c: f64,
    z: Vec<f64>,
    d: Vec<f64>,
}

impl Objective for SquaredHinge<'_> {
    fn value(&mut self, w: &[f64]) -> f64 {
        self.rows.margins(w, &mut self.z);
        let mut loss = 0.0;
        for (&zi, &yi) in self.z.iter().zip(self.labels) {
            let m = 1.0 - yi * zi;
            if m > 0.0 {
                loss += m * m;
            }
        }
        0.5 * w.iter().map(|v| v * v).sum::<f64>() + self.c * loss
    }

    fn gradient(&mut self, w: &[f64], g: &mut [f64]) {
        g.copy_from_slice(w);
        let twice_c = 2.0 * self.c;
        for i in 0..self.rows.nrows() {
            let (yi, zi) = (self.labels[i], self.z[i]);
            if yi * zi < 1.0 {
                self.d[i] = twice_c;
                self.rows.stream_ahead(i, i + 1);
                // d/dw C(1 − y z)² = 2C(z − y)x, since y² = 1.
                self.rows.axpy(i, twice_c * (zi - yi), g);
            } else {
                self.d[i] = 0.0;
            }
        }
    }

    fn hess_vec(&self, v: &[f64], out: &mut [f64]) {
        gauss_newton_product(self.rows, &self.d, v, out);
    }

    fn hess_diagonal(&self, out: &mut [f64]) {
        gauss_newton_diagonal(self.rows, &self.d, out);
    }
}

/// One row as the dual visits it: where its entries lie, its label, `Q_ii` and its `α`. Why: the passes
/// permute these slots themselves rather than row numbers, so a visit reads one slot next to the last one
/// instead of four arrays (the row's bounds, label, `Q_ii`, `α`) at a random row each; on the 30k grid those scattered
/// reads were a quarter of the dual's samples (bench/README.md, seventh pass). Same permutation, same arithmetic,
/// so the same weights to the bit.
#[derive(Clone, Copy)]
struct Slot {
    row: usize,
    span: (usize, usize),
    y: f64,
    qd: f64,
    alpha: f64,
}

/// One binary machine by dual coordinate descent; returns the weights (features then bias).
pub(super) fn dual_cd(
    rows: Rows<'_>,
    row_sq: &[f64],
    labels: &[f64],
    p: &SparseSvmParams,
    stream: u64,
) -> (Vec<f64>, SolveInfo) {
    let l = rows.nrows();
    let b = rows.ncols;
    // Squared hinge: no upper bound on α, and the dual Hessian gains 1/(2C) on its diagonal.
    let diag = 0.5 / p.c;
    // ‖x_i‖² includes the bias feature's 1².
    let mut slots: Vec<Slot> = (0..l)
        .map(|i| Slot {
            row: i,
            span: rows.span(i),
            y: labels[i],
            qd: row_sq[i] + 1.0 + diag,
            alpha: 0.0,
        })
        .collect();
    let mut w = vec![0.0; b + 1];
    let mut active = l;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    rng.set_stream(stream);
    // Shrinking thresholds from the previous pass (±inf: shrink nothing).
    let mut pg_max_old = f64::INFINITY;
    let mut passes = 0;
    let mut converged = false;

    while passes < p.max_iter {
        for k in 0..active {
            let j = rng.gen_range(k..active);
            slots.swap(k, j);
        }
        let mut pg_max = f64::NEG_INFINITY;
        let mut pg_min = f64::INFINITY;
        let mut s = 0;
        while s < active {
            if s + 1 < active {
                let next = &slots[s + 1];
                rows.prefetch_at(next.row, next.span);
            }
            let slot = &mut slots[s];
            let yi = slot.y;
            let g =
                yi * (rows.dot_split_at(slot.row, slot.span, &w) + w[b]) - 1.0 + slot.alpha * diag;
            let pg = if slot.alpha == 0.0 {
                if p.shrinking && g > pg_max_old {
                    // At the bound and pushing into it harder than anything violated last pass: set aside.
                    active -= 1;
                    slots.swap(s, active);
                    continue;
                }
                g.min(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = slot.alpha;
                slot.alpha = (old - g / slot.qd).max(0.0);
                rows.axpy_at(slot.row, slot.span, (slot.alpha - old) * yi, &mut w);
            }
            s += 1;
        }
        passes += 1;
        if pg_max - pg_min <= p.tol {
            if active == l {
                converged = true;
                break;
            }
            // Converged on the shrunk set only: bring everything back and check again.
            active = l;
            pg_max_old = f64::INFINITY;
            continue;
        }
        // Without an upper bound the lower-side threshold (PGmin) never shrinks anything, so only PGmax is kept.
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
    }
    (
        w,
        SolveInfo {
            iterations: passes,
            converged,
        },
    )
}
