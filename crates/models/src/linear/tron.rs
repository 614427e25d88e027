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
    /// The diagonal of `∇²f` at the last `gradient` point, into `out`.
    fn hess_diagonal(&self, out: &mut [f64]);
}

/// `out = (I + Xᵀ D X) v` with the bias feature, one pass over the rows: each row is read once for its dot
/// product and, while it is still in cache, for its axpy.
pub(super) fn gauss_newton_product(rows: Rows<'_>, d: &[f64], v: &[f64], out: &mut [f64]) {
    let b = rows.ncols;
    out.copy_from_slice(v);
    // Every row's dot product reads `v`, never `out`, so four rows' products are formed together
    // ([`Rows::dots`]) and their axpys then follow in row order: the same sums, added to `out` in the same order.
    let mut block = [0usize; 4];
    let mut n = 0;
    let apply = |i: usize, dot: f64, out: &mut [f64]| {
        let t = (dot + v[b]) * d[i];
        if t != 0.0 {
            rows.axpy(i, t, out);
        }
    };
    if rows.dense_quads_only() {
        // Whole aligned quads, so that every quad's four dot products are read from the interleaved copy
        // ([`Rows::dots`]); a row with no curvature is still skipped for its axpy, as below.
        let whole = d.len() - d.len() % 4;
        for i in (0..whole).step_by(4) {
            let quad = [i, i + 1, i + 2, i + 3];
            if quad.iter().all(|&k| d[k] == 0.0) {
                continue;
            }
            let dots = rows.dots(quad, v);
            // All four rows adding a non-zero multiple: one pass over the quad ([`Rows::quad_axpy`]); otherwise
            // row by row, skipping what adds nothing (adding `0 · x` could turn a `-0.0` into `+0.0`).
            let t = [0, 1, 2, 3].map(|l| (dots[l] + v[b]) * d[i + l]);
            if t.iter().all(|&t| t != 0.0) && rows.quad_axpy(i, t, out) {
                continue;
            }
            for (&k, &dot) in quad.iter().zip(&dots) {
                if d[k] != 0.0 {
                    apply(k, dot, out);
                }
            }
        }
        for (i, &di) in d.iter().enumerate().skip(whole) {
            if di != 0.0 {
                apply(i, rows.dot(i, v), out);
            }
        }
        return;
    }
    for (i, &di) in d.iter().enumerate() {
        // A row with no curvature (the squared hinge's rows beyond the margin) adds nothing: skipping its dot
        // product changes no bit, since `x · 0 = 0` for the finite values stored.
        if di == 0.0 {
            continue;
        }
        block[n] = i;
        n += 1;
        if n == 4 {
            // The block's rows lie in order, so one hint covers them (and any skipped between).
            rows.stream_ahead(block[0], block[3] + 1);
            let dots = rows.dots(block, v);
            for (&i, &dot) in block.iter().zip(&dots) {
                apply(i, dot, out);
            }
            n = 0;
        }
    }
    for &i in &block[..n] {
        apply(i, rows.dot(i, v), out);
    }
}

/// The diagonal of `I + Xᵀ D X` with the bias feature: `1 + Σ_i d_i x_ij²`, one pass over the rows.
pub(super) fn gauss_newton_diagonal(rows: Rows<'_>, d: &[f64], out: &mut [f64]) {
    let b = rows.ncols;
    out.fill(1.0);
    for (i, &di) in d.iter().enumerate() {
        if di != 0.0 {
            rows.stream_ahead(i, i + 1);
            rows.add_squares(i, di, out);
            out[b] += di;
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Weight of the diagonal preconditioner against the identity, `M = (1 − a)·I + a·diag(H)`: liblinear's
/// `alpha_pcg`, which keeps `M` close enough to `I` that a poor diagonal cannot slow CG down much.
const PRECONDITIONER_WEIGHT: f64 = 0.01;

/// Trust-region Newton: Lin, Weng & Keerthi (2008), Algorithm 1 with the step-size rules of their Section 2, and
/// the diagonal preconditioner of Hsia, Chiang & Lin (2018), "Preconditioned conjugate gradient methods in
/// truncated Newton frameworks for large-scale linear classification" (liblinear ≥ 2.40): the trust region and the
/// step length are measured in the `M`-norm `‖s‖_M = √(sᵀMs)`. Why: on unscaled features (binary unigrams, whose
/// columns' counts range from 1 to thousands) the Hessian's diagonal spans orders of magnitude and plain CG took
/// 200–600 Hessian products per fit; the stopping rule on `‖∇f‖` is unchanged, so the solution meets the same
/// tolerance.
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
    let mut m = vec![0.0; n];
    let mut cg = CgBuffers {
        d: vec![0.0; n],
        hd: vec![0.0; n],
        z: vec![0.0; n],
    };

    let mut f = fun.value(&w);
    fun.gradient(&w, &mut g);
    preconditioner(fun, &mut m);
    let gnorm0 = norm(&g);
    let mut delta = m_inverse_norm(&g, &m);
    let mut steps = 0;
    let mut converged = gnorm0 <= eps * gnorm0;

    while !converged && steps < max_iter {
        trust_region_cg(fun, delta, &g, &m, &mut s, &mut r, &mut cg);
        for ((wn, wi), si) in w_new.iter_mut().zip(&w).zip(&s) {
            *wn = wi + si;
        }
        let gs = dot(&g, &s);
        // Model decrease −(gᵀs + ½sᵀHs); the CG residual r = −g − Hs gives sᵀHs = −sᵀr − gᵀs.
        let prered = -0.5 * (gs - dot(&s, &r));
        let fnew = fun.value(&w_new);
        let actred = f - fnew;
        let snorm = m_dot(&s, &m, &s).sqrt();
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
            preconditioner(fun, &mut m);
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

/// `M = (1 − a)·I + a·diag(∇²f)` at the last gradient point.
fn preconditioner<O: Objective>(fun: &O, m: &mut [f64]) {
    fun.hess_diagonal(m);
    for mi in m.iter_mut() {
        *mi = (1.0 - PRECONDITIONER_WEIGHT) + PRECONDITIONER_WEIGHT * *mi;
    }
}

/// `uᵀ M v` for a diagonal `M`.
fn m_dot(u: &[f64], m: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(m).zip(v).map(|((a, b), c)| a * b * c).sum()
}

/// `√(gᵀ M⁻¹ g)`.
fn m_inverse_norm(g: &[f64], m: &[f64]) -> f64 {
    g.iter().zip(m).map(|(a, b)| a * a / b).sum::<f64>().sqrt()
}

struct CgBuffers {
    d: Vec<f64>,
    hd: Vec<f64>,
    z: Vec<f64>,
}

/// Preconditioned Steihaug conjugate gradients for `H s = −g` inside `‖s‖_M ≤ delta`; leaves the residual
/// `−g − Hs` in `r`. Stops when `√(zᵀr) ≤ min(0.1, √‖g‖_{M⁻¹})·‖g‖_{M⁻¹}` (`z = M⁻¹r`), liblinear's rule.
fn trust_region_cg<O: Objective>(
    fun: &O,
    delta: f64,
    g: &[f64],
    m: &[f64],
    s: &mut [f64],
    r: &mut [f64],
    buf: &mut CgBuffers,
) {
    let CgBuffers { d, hd, z } = buf;
    s.fill(0.0);
    for ((((ri, di), zi), gi), mi) in r
        .iter_mut()
        .zip(d.iter_mut())
        .zip(z.iter_mut())
        .zip(g)
        .zip(m)
    {
        *ri = -gi;
        *zi = *ri / mi;
        *di = *zi;
    }
    let mut ztr = dot(z, r);
    let g_norm = ztr.sqrt();
    let tol = 0.1f64.min(g_norm.sqrt()) * g_norm;
    // A CG iteration per unknown would solve the model exactly; more cannot help.
    let mut left = s.len().max(5);
    while ztr.sqrt() > tol && left > 0 {
        left -= 1;
        fun.hess_vec(d, hd);
        let alpha = ztr / dot(d, hd);
        for (si, di) in s.iter_mut().zip(d.iter()) {
            *si += alpha * di;
        }
        if m_dot(s, m, s).sqrt() > delta {
            // Step back and go to the boundary: solve ‖s + τd‖_M = delta for τ ≥ 0 in the stable form.
            for (si, di) in s.iter_mut().zip(d.iter()) {
                *si -= alpha * di;
            }
            let std = m_dot(s, m, d);
            let sts = m_dot(s, m, s);
            let dtd = m_dot(d, m, d);
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
        for ((zi, ri), mi) in z.iter_mut().zip(r.iter()).zip(m) {
            *zi = ri / mi;
        }
        let ztr_new = dot(z, r);
        let beta = ztr_new / ztr;
        for (di, zi) in d.iter_mut().zip(z.iter()) {
            *di = zi + beta * *di;
        }
        ztr = ztr_new;
    }
}
