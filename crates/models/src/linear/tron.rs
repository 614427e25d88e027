//! Trust-region Newton (TRON) for smooth L2-regularised linear objectives over CSR rows: the logistic loss
//! (liblinear `-s 0`) and the squared hinge in the primal (liblinear `-s 2`). Both are `½‖w‖² + C Σ loss_i(wᵀx_i)`
//! with a Hessian (or generalised Hessian) `I + Xᵀ D X`, `D` diagonal, so one Hessian-vector product
//! ([`gauss_newton_product`]) serves both; only the loss, its gradient and `D` differ.

use super::{Rows, SolveInfo};

/// A smooth objective TRON minimises. `value` caches the margins of its point; `gradient` is called only at the
/// point of the last `value` call and leaves there the weights `D` that `hess_vec` uses.
pub(super) trait Objective {
    /// `f(w)`.
    fn value(&mut self, w: &[f64]) -> f64;
    /// `∇f` at the last `value` point, into `g`.
    fn gradient(&mut self, w: &[f64], g: &mut [f64]);
    /// `out = ∇²f · v` at the last `gradient` point.
    fn hess_vec(&self, v: &[f64], out: &mut [f64]);
}

/// `out = (I + Xᵀ D X) v` with the bias feature, one pass over the rows: each row is read once for its dot
/// product and, while it is still in cache, for its axpy.
pub(super) fn gauss_newton_product(rows: Rows<'_>, d: &[f64], v: &[f64], out: &mut [f64]) {
    let b = rows.ncols;
    out.copy_from_slice(v);
    for (i, &di) in d.iter().enumerate() {
        let t = (rows.dot(i, v) + v[b]) * di;
        if t != 0.0 {
            rows.axpy(i, t, out);
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Trust-region Newton: Lin, Weng & Keerthi (2008), Algorithm 1 with the step-size rules of their Section 2.
pub(super) fn tron<O: Objective>(
    fun: &mut O,
    n: usize,
    eps: f64,
    max_iter: usize,
) -> (Vec<f64>, SolveInfo) {
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
fn trust_region_cg<O: Objective>(
    fun: &O,
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
