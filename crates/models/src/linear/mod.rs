//! Sparse linear classifiers: CSR in, no dense matrices, deterministic, with scikit-learn's objectives.
//!
//! | model | objective (same as) | solver |
//! |---|---|---|
//! | [`logistic::SparseLogisticParams`] | `LogisticRegression(solver="liblinear", C)` = liblinear `-s 0` | preconditioned trust-region Newton (TRON, `tron.rs`) |
//! | [`svm::SparseSvmParams`] | `LinearSVC(C)` (squared hinge) = liblinear `-s 1` (dual) / `-s 2` (primal) | dual coordinate descent with shrinking, or TRON on the primal when rows ≥ columns |
//! | [`bayes::SparseNbParams`] | `MultinomialNB(alpha)`, `fit_prior=True` | closed form |
//!
//! All three read a [`sprs::CsMatView`] in CSR order and never densify it: the working memory of a fit is
//! O(rows + features × classes), not O(rows × features).
//!
//! # Why a pure-Rust solver rather than bindings to the C liblinear
//!
//! * **Determinism and thread safety.** Upstream liblinear's dual coordinate-descent solvers (`-s 1`, `-s 3`,
//!   `-s 7`, Crammer–Singer) shuffle the coordinate order with C `rand()`, whose state is process-global: two
//!   fits running on rayon threads interleave their draws, so the result depends on scheduling, and a fit's
//!   output depends on whatever else called `rand()` earlier. scikit-learn patched its vendored copy
//!   (`sklearn/svm/src/newrand/newrand.h`: a `std::mt19937` reseeded by `set_seed(random_state)`), but that
//!   generator is still one static shared by every thread. Here each binary sub-problem owns a
//!   [`rand_chacha::ChaCha8Rng`] seeded from the caller's seed and the class index, so one-vs-rest machines can be
//!   fitted in parallel and the result is the same on every run and every thread count.
//! * **TRON needs no randomness at all**, so the logistic model is a pure function of its inputs.
//! * **No C toolchain, no BLAS**: the harness already builds pure Rust; the inner loops are sparse dot products
//!   and axpys over CSR rows, which need no BLAS.
//!
//! # Intercept
//!
//! As liblinear (and therefore scikit-learn with `intercept_scaling=1`), the intercept is the weight of an extra
//! constant feature of value 1 appended to every row, and that weight **is regularised**. It is not a column of
//! the caller's matrix: the solvers add it on the fly.
//!
//! # Stopping rules (checked against scikit-learn 1.9's vendored liblinear, `linear.cpp` and `tron.cpp`)
//!
//! * Logistic/TRON: stop when `‖∇f(w)‖ ≤ ε'·‖∇f(0)‖` with `ε' = tol·max(min(#pos, #neg), 1)/#rows`, or after
//!   `max_iter` accepted Newton steps (scikit-learn's `max_iter`, default 100). The CG inner solve stops at
//!   `‖r‖ ≤ 0.1·‖∇f‖` or at the trust-region boundary.
//! * Linear SVM/dual CD: stop when the spread of projected gradients over one pass, `max PG − min PG`, is
//!   `≤ tol` *on the full (unshrunk) set* — an absolute tolerance. scikit-learn passes its `tol` (default `1e-4`)
//!   straight through as liblinear's `eps`, so `LinearSVC()` is a thousand times stricter than the liblinear
//!   command line's default `-e 0.1`; `max_iter` (default 1000) counts outer passes.
//!
//! # Measured (2-core machine shared with other jobs, load average 5–6, so ±50% noise between runs)
//!
//! IBM ArgQ 30k (`stance_WA` binary), TF-IDF uni+bigrams, sublinear tf: 30 497 × 160 174, 1 014 149 stored
//! values. `scripts/linear_fit_compare.py` times scikit-learn 1.9.1 and writes the matrix;
//! `cargo run --release --example fit_linear -- DUMP` times these models on the same matrix (best of 3):
//!
//! | model | scikit-learn | here | training accuracy (both) | ‖coef‖ sklearn / here |
//! |---|---|---|---|---|
//! | logistic, C=1, tol=1e-4 | 1.76–2.29 s (5 Newton steps) | 0.22–0.31 s (5 steps) | 0.90029 | 72.596510 / 72.596511 |
//! | linear SVM, C=1, tol=1e-4 | 0.25–0.49 s (41 passes) | 0.22–0.50 s (40 passes) | 0.99636 | 96.981794 / 96.981792 |
//! | multinomial NB, alpha=1 | — | 0.007–0.017 s | 0.93678 (here) | — |
//!
//! `benches/linear.rs` (20 000 × 50 000, ~20 values per row): logistic ≈ 30 ms, SVM ≈ 140 ms, NB ≈ 3 ms.
//!
//! # Classes
//!
//! Targets are class indices `0..n_classes`. With exactly two classes present in the training rows one binary
//! machine is fitted for the higher index (scikit-learn's `coef_` row); with three or more, one machine per
//! present class, one-vs-rest (as liblinear). Every output still ranges over all `n_classes`: a class absent from
//! training gets probability 0, decision value `-inf` and zero weights.

/// The methods every machine-based model (logistic, SVM) has, written once over its `machines` field:
/// decision values, classes, weights and scikit-learn's `coef_`/`intercept_`, and linfa's `PredictInplace`.
macro_rules! shared_machine_api {
    ($model:ident) => {
        impl $model {
            /// Decision values, rows × classes: the machine's margin for its class (binary: `+m` for the higher
            /// class, `−m` for the lower), `-inf` for classes absent from training.
            pub fn decision_function(
                &self,
                x: stance_matrix::FeatureView<'_>,
            ) -> Result<ndarray::Array2<f64>, LinearError> {
                let m = self.machines.margins(x, MODEL)?;
                Ok(self.machines.decision(&m))
            }

            /// Predicted class per row (binary: the higher class when its margin is > 0).
            pub fn predict_classes(
                &self,
                x: stance_matrix::FeatureView<'_>,
            ) -> Result<ndarray::Array1<usize>, LinearError> {
                let m = self.machines.margins(x, MODEL)?;
                Ok(self.machines.classes(&m))
            }

            /// Weights as features × classes, positive pushing toward the class (binary: `w` and `−w`); no
            /// intercept.
            pub fn weights(&self) -> ndarray::Array2<f64> {
                self.machines.weights()
            }

            /// scikit-learn's `coef_`: one row per machine (one row in the binary case), features as columns.
            pub fn coef(&self) -> ndarray::Array2<f64> {
                self.machines.coef()
            }

            /// scikit-learn's `intercept_` (the regularised bias feature's weight), one per machine.
            pub fn intercept(&self) -> ndarray::Array1<f64> {
                self.machines.intercept()
            }

            /// The class each machine (row of [`coef`](Self::coef)) scores positively.
            pub fn machine_classes(&self) -> &[usize] {
                &self.machines.positive
            }

            /// Number of classes of the output.
            pub fn n_classes(&self) -> usize {
                self.machines.n_classes
            }

            /// Iterations (Newton steps or passes) and convergence per machine.
            pub fn solve_info(&self) -> &[SolveInfo] {
                &self.machines.info
            }
        }

        impl<'a> linfa::traits::PredictInplace<Features<'a>, ndarray::Array1<usize>> for $model {
            /// # Panics
            ///
            /// If `x` is CSC or has a different column count than the training matrix (linfa's signature has no
            /// error).
            fn predict_inplace<'b>(&'b self, x: &'b Features<'a>, y: &mut ndarray::Array1<usize>) {
                let classes = self.predict_classes(x.0).unwrap_or_else(|e| panic!("{e}"));
                y.assign(&classes);
            }

            fn default_target(&self, x: &Features<'a>) -> ndarray::Array1<usize> {
                ndarray::Array1::zeros(x.0.rows())
            }
        }
    };
}

pub mod bayes;
pub mod logistic;
pub mod svm;
mod tron;

use linfa::dataset::Records;
use ndarray::{Array1, Array2};
use stance_matrix::FeatureView;

use super::ModelError;

/// Errors of the sparse linear models.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinearError {
    /// A parameter is out of range.
    #[error("{model}: parameter '{param}' {message}")]
    InvalidParam {
        /// Model name.
        model: &'static str,
        /// Parameter name.
        param: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The training rows hold fewer than two distinct classes.
    #[error("{model} needs at least two classes in its training rows, found {found}")]
    TooFewClasses {
        /// Model name.
        model: &'static str,
        /// Distinct classes found.
        found: usize,
    },
    /// A target is not below the class count.
    #[error("{model}: target {target} of row {row} is not below the class count {n_classes}")]
    ClassOutOfRange {
        /// Model name.
        model: &'static str,
        /// Row index.
        row: usize,
        /// The target.
        target: usize,
        /// Class count.
        n_classes: usize,
    },
    /// Records and targets disagree, or prediction columns differ from training.
    #[error("{model}: {message}")]
    Shape {
        /// Model name.
        model: &'static str,
        /// What disagrees.
        message: String,
    },
    /// The matrix is stored column-major (CSC); the solvers walk rows.
    #[error("{model}: the feature matrix must be CSR (row-major); convert it with `to_csr()`")]
    NotCsr {
        /// Model name.
        model: &'static str,
    },
    /// Multinomial naive Bayes got a negative feature value.
    #[error(
        "{model} needs non-negative features; feature column {column} (row {row}) has {value}"
    )]
    NegativeFeature {
        /// Model name.
        model: &'static str,
        /// Column index.
        column: usize,
        /// Row index.
        row: usize,
        /// The value.
        value: f64,
    },
    /// An error from linfa itself (required by `linfa::traits::Fit`).
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

impl From<LinearError> for ModelError {
    fn from(e: LinearError) -> Self {
        match e {
            LinearError::InvalidParam {
                model,
                param,
                message,
            } => ModelError::InvalidParam {
                classifier: model.into(),
                param: param.into(),
                message,
            },
            LinearError::TooFewClasses { model, found } => ModelError::TooFewClasses {
                classifier: model.into(),
                found,
            },
            LinearError::NegativeFeature {
                model,
                column,
                value,
                ..
            } => ModelError::NegativeFeature {
                classifier: model.into(),
                column,
                value,
            },
            other => ModelError::Linear {
                classifier: "sparse linear".into(),
                source: Box::new(other),
            },
        }
    }
}

/// A borrowed feature matrix as linfa records: linfa 0.8.1 implements [`Records`] only for ndarray arrays,
/// datasets, `()` and references, not for `sprs` matrices or a sparse block beside a dense one, so this newtype
/// carries the view.
#[derive(Debug, Clone, Copy)]
pub struct Features<'a>(pub FeatureView<'a>);

impl Records for Features<'_> {
    type Elem = f64;

    fn nsamples(&self) -> usize {
        self.0.rows()
    }

    fn nfeatures(&self) -> usize {
        self.0.cols()
    }
}

/// Raw CSR slices with the view's offset removed, so inner loops index plain slices, and the dense block's rows
/// (columns `sparse_cols..ncols`) as one contiguous slice.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a> {
    indptr: &'a [usize],
    /// The sparse block as packed entries ([`Rows::with_packed`]), which the inner loops then read instead of
    /// `indices` and `data`.
    packed: Option<&'a [Entry]>,
    offset: usize,
    pub(crate) indices: &'a [usize],
    pub(crate) data: &'a [f64],
    /// The dense block, row-major (empty when there is none).
    dense: &'a [f64],
    /// The dense block's whole aligned quads of rows (`4q..4q + 4`) as [`stored`] reads them, interleaved: row
    /// `4q + l`'s value in dense column `k` at `(q · dense_cols + k) · 4 + l` ([`Rows::with_dense_quads`]).
    quads: Option<&'a [f32]>,
    pub(crate) sparse_cols: usize,
    pub(crate) dense_cols: usize,
    /// All columns: the sparse block's, then the dense block's.
    pub(crate) ncols: usize,
}

impl<'a> Rows<'a> {
    pub(crate) fn new(x: FeatureView<'a>, model: &'static str) -> Result<Self, LinearError> {
        if !x.sparse.is_csr() {
            return Err(LinearError::NotCsr { model });
        }
        let sparse_cols = x.sparse_cols();
        let dense_cols = x.dense_cols();
        let dense: &'a [f64] = if dense_cols == 0 {
            &[]
        } else {
            x.dense.to_slice().ok_or(LinearError::Shape {
                model,
                message: "the dense block is not in row-major layout".into(),
            })?
        };
        // A view's raw slices live as long as the borrowed matrix, unlike the accessor methods' `&self` borrows.
        let (indptr, indices, data) = x.sparse.into_raw_storage();
        Ok(Rows {
            indptr,
            packed: None,
            quads: None,
            offset: indptr[0],
            indices,
            data,
            dense,
            sparse_cols,
            dense_cols,
            ncols: sparse_cols + dense_cols,
        })
    }

    /// The sparse block as one run of packed entries (a 32-bit column beside its value as [`stored`] reads it),
    /// when every column fits in 32 bits. Why: every solver pass visits all rows (the dual SVM in a random order),
    /// and each visit reads a row's columns and values; packed, that is 8 bytes per stored value instead of 16, in
    /// one contiguous run per row instead of two. The unpacked reads round alike and the order of the arithmetic is
    /// the same, so packed or not, results keep their bits. The solvers make this copy through
    /// [`Rows::with_packed_buffer`].
    fn pack_into(&self, buf: &mut Vec<Entry>) -> bool {
        buf.clear();
        if u32::try_from(self.ncols).is_err() {
            return false;
        }
        buf.extend(self.indices.iter().zip(self.data).map(|(&j, &v)| Entry {
            j: j as u32,
            v: v as f32,
        }));
        true
    }

    /// A fresh packed copy ([`Rows::pack_into`]), for tests that compare it with the unpacked rows.
    #[cfg(test)]
    pub(crate) fn packed(&self) -> Option<Vec<Entry>> {
        let mut buf = Vec::new();
        self.pack_into(&mut buf).then_some(buf)
    }

    /// Runs `f` on these rows reading a packed copy of their sparse block (as [`Rows::pack_into`] makes it, so the
    /// same bits), made in a buffer this thread keeps from one fit to the next. Why: a grid fits several
    /// classifiers on every fold's matrix, and a fresh copy per fit touched fresh pages each time (a third of the
    /// 30k grid's page faults, ~0.6 M); the kept buffer is already resident. It holds the largest packed copy
    /// the thread has made, memory that every such fit needs while it runs anyway.
    pub(crate) fn with_packed_buffer<R>(self, f: impl FnOnce(Rows<'_>) -> R) -> R {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<Entry>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        // Taken out while `f` runs, so a nested fit on this thread simply makes its own.
        let mut buf = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
        let out = if self.pack_into(&mut buf) {
            f(self.with_packed(Some(&buf)))
        } else {
            f(self)
        };
        BUFFER.with(|b| *b.borrow_mut() = buf);
        out
    }

    /// Runs `f` on these rows with their dense block's quads ([`Rows::quads_into`]) made in a buffer this thread
    /// keeps, as [`Rows::with_packed_buffer`] does for the sparse block; without a dense block, on the rows as
    /// they are. Why: TRON's passes (the Gauss-Newton product, the margins) form four rows' dot products side by
    /// side ([`Rows::dots`]); read from the row-major block, each row's chain is scalar, while from the
    /// interleaved quads the four chains are one vector of four sums, each row's terms still added in its order.
    pub(crate) fn with_dense_quads<R>(self, f: impl FnOnce(Rows<'_>) -> R) -> R {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        // Unpacked rows never reach the four-row path of `dots` (it falls back to one row at a time), so a copy
        // would go unread.
        if self.dense_cols == 0 || self.packed.is_none() {
            return f(self);
        }
        let mut buf = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
        self.quads_into(&mut buf);
        let out = f(self.with_quads(Some(&buf)));
        BUFFER.with(|b| *b.borrow_mut() = buf);
        out
    }

    /// Writes the dense block's whole aligned quads of rows into `buf`, interleaved and rounded as [`stored`]
    /// rounds (the layout of the `quads` field); rows past the last whole quad are left out.
    pub(crate) fn quads_into(&self, buf: &mut Vec<f32>) {
        buf.clear();
        let d = self.dense_cols;
        for q in 0..self.nrows() / 4 {
            let r = [0, 1, 2, 3].map(|l| self.dense_row(4 * q + l));
            for k in 0..d {
                buf.extend(r.map(|row| row[k] as f32));
            }
        }
    }

    /// These rows reading `quads` (from [`Rows::quads_into`] of the same rows) for their dense block's quads.
    pub(crate) fn with_quads(self, quads: Option<&'a [f32]>) -> Rows<'a> {
        Rows { quads, ..self }
    }

    /// These rows reading `packed` (from [`Rows::pack_into`] of the same rows) for their sparse block.
    pub(crate) fn with_packed(self, packed: Option<&'a [Entry]>) -> Rows<'a> {
        Rows { packed, ..self }
    }

    /// Asks the CPU to start loading row `i` (its [`span`](Self::span) given, as the dual SVM keeps it beside the
    /// row) while another row is being worked on (the dual SVM's rows come in a random order, which the hardware
    /// prefetcher cannot guess).
    #[inline]
    pub(crate) fn prefetch_at(&self, i: usize, (a, b): (usize, usize)) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let line = |p: *const u8, bytes: usize| {
                for k in (0..bytes).step_by(64) {
                    // SAFETY: a prefetch is a hint; it never faults or changes memory, and the pointer stays
                    // within the slice it was taken from.
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(k).cast()) }
                }
            };
            match self.packed {
                Some(e) => line(
                    e[a..b].as_ptr().cast(),
                    (b - a) * std::mem::size_of::<Entry>(),
                ),
                None => {
                    line(self.indices[a..b].as_ptr().cast(), (b - a) * 8);
                    line(self.data[a..b].as_ptr().cast(), (b - a) * 8);
                }
            }
            let dense = self.dense_row(i);
            line(dense.as_ptr().cast(), std::mem::size_of_val(dense));
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (i, a, b);
    }

    /// Asks the CPU to start loading the packed entries that lie [`STREAM_AHEAD`] bytes beyond rows
    /// `first..last`, for a pass that reads the rows in order (the Gauss-Newton product, the margins, the
    /// gradient, the diagonal); calls for consecutive rows cover the buffer without gaps. Why: measured on the 30k
    /// grid's host, the hardware prefetcher alone left these passes waiting on memory (a pass of dot products in row
    /// order over a fold-sized packed block, 24,000 rows, ran 2.2× faster with the hint in `bench/stream_probe.rs`). A prefetch is a
    /// hint: it changes no value read, so results keep their bits.
    #[inline]
    pub(crate) fn stream_ahead(&self, first: usize, last: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(e) = self.packed {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let size = std::mem::size_of::<Entry>();
            let end = std::mem::size_of_val(e);
            let from = (self.span(first).0 * size + STREAM_AHEAD) & !63;
            let to = (self.span(last - 1).1 * size + STREAM_AHEAD).min(end);
            let base = e.as_ptr().cast::<u8>();
            let mut at = from;
            while at < to {
                // SAFETY: a prefetch is a hint that never faults or changes memory, and `at < to <= end` keeps the
                // pointer inside the packed buffer.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(base.add(at).cast()) };
                at += 64;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (first, last);
    }

    /// Row `i` of the dense block (empty without one).
    #[inline]
    pub(crate) fn dense_row(&self, i: usize) -> &'a [f64] {
        &self.dense[i * self.dense_cols..(i + 1) * self.dense_cols]
    }

    /// `w · x_i` over both blocks, the bias weight not included. The sparse block is summed first in stored
    /// order, exactly as before there was a dense block, so sparse-only results keep their bits.
    #[inline]
    pub(crate) fn dot(&self, i: usize, w: &[f64]) -> f64 {
        let (a, b) = self.span(i);
        let s = match self.packed {
            Some(e) => packed_dot(w, &e[a..b]),
            None => sparse_dot(w, &self.indices[a..b], &self.data[a..b]),
        };
        if self.dense_cols == 0 {
            s
        } else {
            s + dense_dot(&w[self.sparse_cols..self.ncols], self.dense_row(i))
        }
    }

    /// `w · x_i` like [`Rows::dot`], but the sparse terms summed in four interleaved partial sums (terms
    /// `0, 4, 8, …` in one, `1, 5, 9, …` in the next, …, combined as `(s0 + s1) + (s2 + s3)`). Why: the dual
    /// SVM's dot product feeds the very next update, so nothing else can overlap its chain of additions; four
    /// chains let the additions of one overlap the others' waits. The order is fixed, so results are still
    /// deterministic, but not bitwise those of [`Rows::dot`].
    #[inline]
    #[cfg(test)]
    pub(crate) fn dot_split(&self, i: usize, w: &[f64]) -> f64 {
        self.dot_split_at(i, self.span(i), w)
    }

    /// [`Rows::dot_split`] of row `i` whose [`span`](Self::span) the caller already holds.
    #[inline]
    pub(crate) fn dot_split_at(&self, i: usize, (a, b): (usize, usize), w: &[f64]) -> f64 {
        let s = match self.packed {
            Some(e) => packed_dot_split(w, &e[a..b]),
            None => sparse_dot_split(w, &self.indices[a..b], &self.data[a..b]),
        };
        if self.dense_cols == 0 {
            s
        } else {
            s + dense_dot(&w[self.sparse_cols..self.ncols], self.dense_row(i))
        }
    }

    /// `[w · x_i for i in rows]`, each exactly as [`Rows::dot`] computes it. Why: a row's dot product is one
    /// chain of additions, each waiting for the last; where the rows' products are independent of each other
    /// (every pass that reads a fixed vector: the Gauss-Newton product, the objective's margins), the chains of
    /// four rows are run side by side so the additions of one overlap the waits of the others. Each row's terms are
    /// still added in their stored order, so every sum keeps its bits.
    #[inline]
    pub(crate) fn dots(&self, rows: [usize; 4], w: &[f64]) -> [f64; 4] {
        let Some(e) = self.packed else {
            return rows.map(|i| self.dot(i, w));
        };
        let lanes = rows.map(|i| {
            let (a, b) = self.span(i);
            &e[a..b]
        });
        // Lanes by length, shortest first: the first stage runs all four lanes up to the shortest's end, the next
        // the remaining three up to the second shortest's, and so on.
        let mut order = [0usize, 1, 2, 3];
        order.sort_unstable_by_key(|&l| lanes[l].len());
        let mut acc = [0.0f64; 4];
        let mut from = 0;
        for stage in 0..4 {
            let to = lanes[order[stage]].len();
            match stage {
                0 => run_lanes(&lanes, &order, &mut acc, from, to, w),
                1 => run_lanes(&lanes, &order[1..], &mut acc, from, to, w),
                2 => run_lanes(&lanes, &order[2..], &mut acc, from, to, w),
                _ => {
                    let l = order[3];
                    acc[l] = lanes[l][from..to]
                        .iter()
                        .fold(acc[l], |s, &Entry { j, v }| {
                            s + w[j as usize] * f64::from(v)
                        })
                }
            }
            from = to;
        }
        if self.dense_cols != 0 {
            let wd = &w[self.sparse_cols..self.ncols];
            let d = match self.quad(rows) {
                Some(q) => quad_dots(wd, q),
                None => dense_dots(wd, rows.map(|i| self.dense_row(i))),
            };
            for (s, d) in acc.iter_mut().zip(d) {
                *s += d;
            }
        }
        acc
    }

    /// The interleaved dense values of `rows` when they are one whole aligned quad (`4q..4q + 4`) and the quads
    /// were made ([`Rows::with_dense_quads`]).
    #[inline]
    fn quad(&self, rows: [usize; 4]) -> Option<&'a [f32]> {
        let quads = self.quads?;
        let first = rows[0];
        let d = self.dense_cols;
        let aligned = first.is_multiple_of(4) && rows == [first, first + 1, first + 2, first + 3];
        let at = first * d;
        (aligned && at + 4 * d <= quads.len()).then(|| &quads[at..at + 4 * d])
    }

    /// `w += t_l · x_{first + l}` for the four rows of one whole aligned quad of a dense-only matrix, read from
    /// its interleaved copy, bias feature included; `false` (and nothing done) when there is no such quad. Each
    /// element receives the four rows' terms in row order, exactly as four [`Rows::axpy`] calls add them, so the
    /// same bits; but one pass over the quad's 4-byte copy instead of four over 8-byte rows.
    #[inline]
    pub(crate) fn quad_axpy(&self, first: usize, t: [f64; 4], w: &mut [f64]) -> bool {
        if self.sparse_cols != 0 {
            return false;
        }
        let Some(q) = self.quad([first, first + 1, first + 2, first + 3]) else {
            return false;
        };
        for (o, x) in w[..self.dense_cols].iter_mut().zip(q.chunks_exact(4)) {
            *o = (((*o + t[0] * f64::from(x[0])) + t[1] * f64::from(x[1]))
                + t[2] * f64::from(x[2]))
                + t[3] * f64::from(x[3]);
        }
        let bias = &mut w[self.ncols];
        *bias = (((*bias + t[0]) + t[1]) + t[2]) + t[3];
        true
    }

    /// Whether [`Rows::dots`] of whole aligned quads reads the interleaved dense copy and nothing else: a
    /// dense-only matrix with its quads made, where the Gauss-Newton product walks the rows by quads.
    pub(crate) fn dense_quads_only(&self) -> bool {
        self.sparse_cols == 0 && self.quads.is_some()
    }

    /// `out[i] = w · x_i + w[ncols]` (the bias weight included) for every row, each dot product exactly as
    /// [`Rows::dot`] computes it, four rows at a time through [`Rows::dots`]: an objective's margins at a point.
    pub(crate) fn margins(&self, w: &[f64], out: &mut [f64]) {
        let bias = w[self.ncols];
        let n = self.nrows();
        let whole = n - n % 4;
        for i in (0..whole).step_by(4) {
            self.stream_ahead(i, i + 4);
            let d = self.dots([i, i + 1, i + 2, i + 3], w);
            for (o, s) in out[i..i + 4].iter_mut().zip(d) {
                *o = s + bias;
            }
        }
        for (i, o) in out.iter_mut().enumerate().take(n).skip(whole) {
            *o = self.dot(i, w) + bias;
        }
    }

    /// `w += a · x_i` over both blocks, bias feature included (its weight is `w[ncols]`).
    #[inline]
    pub(crate) fn axpy(&self, i: usize, a: f64, w: &mut [f64]) {
        self.axpy_at(i, self.span(i), a, w);
    }

    /// [`Rows::axpy`] of row `i` whose [`span`](Self::span) the caller already holds.
    #[inline]
    pub(crate) fn axpy_at(&self, i: usize, (lo, hi): (usize, usize), a: f64, w: &mut [f64]) {
        match self.packed {
            Some(e) => packed_axpy(w, a, &e[lo..hi], self.ncols),
            None => sparse_axpy(w, a, &self.indices[lo..hi], &self.data[lo..hi], self.ncols),
        }
        if self.dense_cols != 0 {
            dense_axpy(&mut w[self.sparse_cols..self.ncols], a, self.dense_row(i));
        }
    }

    /// `out_j += a · x_ij²` over both blocks (no bias).
    pub(crate) fn add_squares(&self, i: usize, a: f64, out: &mut [f64]) {
        let (lo, hi) = self.span(i);
        match self.packed {
            Some(e) => {
                for &Entry { j, v } in &e[lo..hi] {
                    let v = f64::from(v);
                    out[j as usize] += a * v * v;
                }
            }
            None => {
                for (&j, &v) in self.indices[lo..hi].iter().zip(&self.data[lo..hi]) {
                    let v = stored(v);
                    out[j] += a * v * v;
                }
            }
        }
        if self.dense_cols != 0 {
            for (o, v) in out[self.sparse_cols..self.ncols]
                .iter_mut()
                .zip(self.dense_row(i))
            {
                *o += a * v * v;
            }
        }
    }

    /// `‖x_i‖²` over both blocks (the bias feature's 1 not included).
    pub(crate) fn sq_norm(&self, i: usize) -> f64 {
        let s: f64 = self.row(i).1.iter().map(|&v| stored(v) * stored(v)).sum();
        if self.dense_cols == 0 {
            s
        } else {
            s + self
                .dense_row(i)
                .iter()
                .map(|&v| stored(v) * stored(v))
                .sum::<f64>()
        }
    }

    #[inline]
    pub(crate) fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    #[inline]
    pub(crate) fn row(&self, i: usize) -> (&'a [usize], &'a [f64]) {
        let (a, b) = self.span(i);
        (&self.indices[a..b], &self.data[a..b])
    }

    /// Where row `i` lies in [`indices`](Self::indices) and [`data`](Self::data).
    #[inline]
    pub(crate) fn span(&self, i: usize) -> (usize, usize) {
        (
            self.indptr[i] - self.offset,
            self.indptr[i + 1] - self.offset,
        )
    }
}

/// How far ahead of the row being read [`Rows::stream_ahead`] asks for the packed buffer: about two rows of the
/// char n-gram matrices (about 275 entries of 8 bytes), a hundred of the word ones. In `bench/stream_probe.rs`
/// (bench/README.md, seventh pass), 4–16 KiB ahead ran alike and 2 KiB fell short.
const STREAM_AHEAD: usize = 4096;

/// Checks records against targets and returns the CSR rows, the class count and the classes present.
pub(crate) fn prepare<'a>(
    model: &'static str,
    x: FeatureView<'a>,
    y: &[usize],
    n_classes: Option<usize>,
) -> Result<(Rows<'a>, usize, Vec<usize>), LinearError> {
    let rows = Rows::new(x, model)?;
    if rows.nrows() != y.len() {
        return Err(LinearError::Shape {
            model,
            message: format!("{} rows but {} targets", rows.nrows(), y.len()),
        });
    }
    let n_classes = n_classes.unwrap_or_else(|| y.iter().max().map_or(0, |m| m + 1));
    let mut seen = vec![false; n_classes];
    for (row, &target) in y.iter().enumerate() {
        if target >= n_classes {
            return Err(LinearError::ClassOutOfRange {
                model,
                row,
                target,
                n_classes,
            });
        }
        seen[target] = true;
    }
    let present: Vec<usize> = (0..n_classes).filter(|&c| seen[c]).collect();
    if present.len() < 2 {
        return Err(LinearError::TooFewClasses {
            model,
            found: present.len(),
        });
    }
    Ok((rows, n_classes, present))
}

/// What one binary solve reports besides its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SolveInfo {
    /// Outer iterations used (Newton steps for TRON, passes for dual CD).
    pub iterations: usize,
    /// Whether the stopping rule was met before `max_iter`.
    pub converged: bool,
}

/// Binary or one-vs-rest linear machines over the full class list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Machines {
    pub(crate) n_classes: usize,
    pub(crate) n_features: usize,
    /// One row per machine: the feature weights followed by the intercept (the bias feature's weight).
    pub(crate) coef: Array2<f64>,
    /// The class each machine scores positively.
    pub(crate) positive: Vec<usize>,
    /// In the binary case, the class scored by the negated machine.
    pub(crate) negative: Option<usize>,
    pub(crate) info: Vec<SolveInfo>,
}

/// Class indices that are in range and strictly ascending (what a fit produces), or what is wrong.
pub(crate) fn check_class_list(
    what: &str,
    classes: &[usize],
    n_classes: usize,
) -> Result<(), String> {
    if let Some(c) = classes.iter().find(|&&c| c >= n_classes) {
        return Err(format!(
            "{what} names class {c}, but the model has {n_classes} classes"
        ));
    }
    if classes.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!(
            "{what} is not in ascending class order without repeats"
        ));
    }
    Ok(())
}

impl Machines {
    /// Whether the machines fit `n_features` columns and `n_classes` classes: one coefficient row per machine of
    /// `n_features + 1` weights (the intercept last), machine classes in range, and the binary case as a fit makes
    /// it (one machine, a negative class apart from the positive one). What prediction and explanation index by.
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        if self.n_classes != n_classes || self.n_features != n_features {
            return Err(format!(
                "the classifier says {} classes and {} features, the file {n_classes} and {n_features}",
                self.n_classes, self.n_features
            ));
        }
        if self.positive.is_empty() {
            return Err("the classifier has no machine".into());
        }
        check_class_list("a machine", &self.positive, n_classes)?;
        match self.negative {
            Some(neg)
                if self.positive.len() != 1 || neg >= n_classes || neg == self.positive[0] =>
            {
                return Err(format!(
                    "the binary machine's classes ({} and {neg}) do not fit {n_classes} classes",
                    self.positive[0]
                ))
            }
            _ => {}
        }
        let (rows, cols) = self.coef.dim();
        if rows != self.positive.len() || Some(cols) != n_features.checked_add(1) {
            return Err(format!(
                "its coefficients are {rows} × {cols}, but {} machine(s) over {n_features} features need {} × {}",
                self.positive.len(),
                self.positive.len(),
                n_features.saturating_add(1)
            ));
        }
        Ok(())
    }

    /// Fits one machine per positive class with `solve(labels ±1, machine index)`, in parallel: each solve owns
    /// its state (and RNG), so the result does not depend on scheduling.
    pub(crate) fn fit<F>(
        rows: Rows<'_>,
        y: &[usize],
        n_classes: usize,
        present: &[usize],
        solve: F,
    ) -> Self
    where
        F: Fn(&[f64], usize) -> (Vec<f64>, SolveInfo) + Sync,
    {
        use rayon::prelude::*;
        let (positive, negative) = if present.len() == 2 {
            (vec![present[1]], Some(present[0]))
        } else {
            (present.to_vec(), None)
        };
        let n_features = rows.ncols;
        let solved: Vec<(Vec<f64>, SolveInfo)> = positive
            .par_iter()
            .enumerate()
            .map(|(m, &pos)| {
                let labels: Vec<f64> = y
                    .iter()
                    .map(|&c| if c == pos { 1.0 } else { -1.0 })
                    .collect();
                solve(&labels, m)
            })
            .collect();
        let mut coef = Array2::zeros((positive.len(), n_features + 1));
        let mut info = Vec::with_capacity(positive.len());
        for (m, (w, i)) in solved.into_iter().enumerate() {
            coef.row_mut(m).assign(&Array1::from(w));
            info.push(i);
        }
        Machines {
            n_classes,
            n_features,
            coef,
            positive,
            negative,
            info,
        }
    }

    /// Raw margins, rows × machines.
    pub(crate) fn margins(
        &self,
        x: FeatureView<'_>,
        model: &'static str,
    ) -> Result<Array2<f64>, LinearError> {
        let rows = Rows::new(x, model)?;
        if rows.ncols != self.n_features {
            return Err(LinearError::Shape {
                model,
                message: format!(
                    "trained on {} feature columns, asked to predict {}",
                    self.n_features, rows.ncols
                ),
            });
        }
        let nm = self.coef.nrows();
        let mut out = Array2::zeros((rows.nrows(), nm));
        for i in 0..rows.nrows() {
            for m in 0..nm {
                let w = self.coef.row(m);
                let w = w.as_slice().expect("standard layout");
                out[[i, m]] = rows.dot(i, w) + w[self.n_features];
            }
        }
        Ok(out)
    }

    /// Margins spread over the full class list: rows × classes, `-inf` for classes without a machine.
    pub(crate) fn decision(&self, margins: &Array2<f64>) -> Array2<f64> {
        let mut out = Array2::from_elem((margins.nrows(), self.n_classes), f64::NEG_INFINITY);
        for (m, &c) in self.positive.iter().enumerate() {
            out.column_mut(c).assign(&margins.column(m));
            if let Some(neg) = self.negative {
                out.column_mut(neg).assign(&margins.column(m).mapv(|v| -v));
            }
        }
        out
    }

    /// Predicted classes from margins: binary is `margin > 0` (scikit-learn), else the arg-max with ties toward
    /// the lowest class index.
    pub(crate) fn classes(&self, margins: &Array2<f64>) -> Array1<usize> {
        margins
            .rows()
            .into_iter()
            .map(|r| match self.negative {
                Some(neg) => {
                    if r[0] > 0.0 {
                        self.positive[0]
                    } else {
                        neg
                    }
                }
                None => {
                    let mut best = 0;
                    for m in 1..r.len() {
                        // Machines are in increasing class order, so strict `>` keeps the lowest class on ties.
                        if r[m] > r[best] {
                            best = m;
                        }
                    }
                    self.positive[best]
                }
            })
            .collect()
    }

    /// Weights as features × classes, positive pushing toward the class; the intercept is not included.
    pub(crate) fn weights(&self) -> Array2<f64> {
        let mut out = Array2::zeros((self.n_features, self.n_classes));
        for (m, &c) in self.positive.iter().enumerate() {
            let w = self.coef.row(m);
            let w = w.slice(ndarray::s![..self.n_features]);
            out.column_mut(c).assign(&w);
            if let Some(neg) = self.negative {
                out.column_mut(neg).assign(&w.mapv(|v| -v));
            }
        }
        out
    }

    pub(crate) fn coef(&self) -> Array2<f64> {
        self.coef
            .slice(ndarray::s![.., ..self.n_features])
            .to_owned()
    }

    pub(crate) fn intercept(&self) -> Array1<f64> {
        self.coef.column(self.n_features).to_owned()
    }
}

/// A feature value as the linear models read it, in fit and in predict: rounded to the nearest `f32`.
/// Why: the solvers move the whole matrix through the caches on every pass; a packed entry of a 32-bit column
/// and a 32-bit value is 8 bytes instead of 12 (measured on the 30k grid's character 2–5-grams, with the dual's
/// dot already split: dual coordinate descent ~30% faster). The rounding (relative error below
/// 2⁻²⁴, six orders of magnitude under the solvers' stopping tolerances) changed no prediction of the 30k grid's
/// nine pipelines nor of the gold data (bench/README.md). Every read of the logistic and SVM solvers goes through
/// here — packed or not, sparse block or dense, fit or predict — so a model sees the same values whatever the
/// matrix's layout, and embeddings computed in `f32` (as sentence encoders do) are read exactly. Naive Bayes sums
/// its counts from the `f64` values themselves: it makes one pass per fit and has nothing to gain.
#[inline(always)]
pub(crate) fn stored(v: f64) -> f64 {
    f64::from(v as f32)
}

/// `w · x` for one sparse row, values read through [`stored`] (the bias weight is added by the caller).
#[inline]
pub(crate) fn sparse_dot(w: &[f64], idx: &[usize], val: &[f64]) -> f64 {
    let mut s = 0.0;
    for (&j, &v) in idx.iter().zip(val) {
        s += w[j] * stored(v);
    }
    s
}

/// [`Rows::dot_split`]'s sum over an unpacked row: the same four partial sums as [`packed_dot_split`], so the
/// dual SVM's weights keep their bits whether or not the rows were packed.
#[inline]
fn sparse_dot_split(w: &[f64], idx: &[usize], val: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    for (k, (&j, &v)) in idx.iter().zip(val).enumerate() {
        acc[k % 4] += w[j] * stored(v);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// One stored value of a packed sparse block ([`Rows::pack_into`]): its column beside its value, rounded to
/// `f32` ([`stored`]); 8 bytes, naturally aligned.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Entry {
    j: u32,
    v: f32,
}

/// [`sparse_dot`] over packed entries: the same terms in the same order.
#[inline]
fn packed_dot(w: &[f64], row: &[Entry]) -> f64 {
    let mut s = 0.0;
    for &Entry { j, v } in row {
        s += w[j as usize] * f64::from(v);
    }
    s
}

/// [`Rows::dot_split`]'s sum over packed entries: four partial sums by term position modulo 4.
#[inline]
fn packed_dot_split(w: &[f64], row: &[Entry]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = row.chunks_exact(4);
    for c in &mut chunks {
        acc[0] += w[c[0].j as usize] * f64::from(c[0].v);
        acc[1] += w[c[1].j as usize] * f64::from(c[1].v);
        acc[2] += w[c[2].j as usize] * f64::from(c[2].v);
        acc[3] += w[c[3].j as usize] * f64::from(c[3].v);
    }
    for (k, e) in chunks.remainder().iter().enumerate() {
        acc[k] += w[e.j as usize] * f64::from(e.v);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Adds terms `from..to` of the lanes named in `active` (2 to 4 of them, all at least `to` long) to their
/// accumulators, interleaved term by term; [`Rows::dots`].
#[inline(always)]
fn run_lanes(
    lanes: &[&[Entry]; 4],
    active: &[usize],
    acc: &mut [f64; 4],
    from: usize,
    to: usize,
    w: &[f64],
) {
    match *active {
        [a, b, c, d] => {
            let (ra, rb, rc, rd) = (
                &lanes[a][from..to],
                &lanes[b][from..to],
                &lanes[c][from..to],
                &lanes[d][from..to],
            );
            let (mut sa, mut sb, mut sc, mut sd) = (acc[a], acc[b], acc[c], acc[d]);
            for k in 0..ra.len() {
                sa += w[ra[k].j as usize] * f64::from(ra[k].v);
                sb += w[rb[k].j as usize] * f64::from(rb[k].v);
                sc += w[rc[k].j as usize] * f64::from(rc[k].v);
                sd += w[rd[k].j as usize] * f64::from(rd[k].v);
            }
            (acc[a], acc[b], acc[c], acc[d]) = (sa, sb, sc, sd);
        }
        [a, b, c] => {
            let (ra, rb, rc) = (
                &lanes[a][from..to],
                &lanes[b][from..to],
                &lanes[c][from..to],
            );
            let (mut sa, mut sb, mut sc) = (acc[a], acc[b], acc[c]);
            for k in 0..ra.len() {
                sa += w[ra[k].j as usize] * f64::from(ra[k].v);
                sb += w[rb[k].j as usize] * f64::from(rb[k].v);
                sc += w[rc[k].j as usize] * f64::from(rc[k].v);
            }
            (acc[a], acc[b], acc[c]) = (sa, sb, sc);
        }
        [a, b] => {
            let (ra, rb) = (&lanes[a][from..to], &lanes[b][from..to]);
            let (mut sa, mut sb) = (acc[a], acc[b]);
            for k in 0..ra.len() {
                sa += w[ra[k].j as usize] * f64::from(ra[k].v);
                sb += w[rb[k].j as usize] * f64::from(rb[k].v);
            }
            (acc[a], acc[b]) = (sa, sb);
        }
        _ => unreachable!("run_lanes takes two to four lanes"),
    }
}

/// [`sparse_axpy`] over packed entries.
#[inline]
fn packed_axpy(w: &mut [f64], a: f64, row: &[Entry], bias: usize) {
    for &Entry { j, v } in row {
        w[j as usize] += a * f64::from(v);
    }
    w[bias] += a;
}

/// `w · x` for one dense row (contiguous; the same left-to-right order every time).
#[inline]
pub(crate) fn dense_dot(w: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, &b) in w.iter().zip(x) {
        s += a * stored(b);
    }
    s
}

/// [`dense_dot`] of four rows at once, each row's terms added in its own left-to-right order, so each sum has
/// [`dense_dot`]'s bits. Why: one dense row's dot is one chain of dependent additions (a 384-wide embedding row,
/// 384 in a row); four independent chains side by side let the additions overlap, as [`Rows::dots`] does for
/// the sparse block.
#[inline]
fn dense_dots(w: &[f64], x: [&[f64]; 4]) -> [f64; 4] {
    let mut s = [0.0f64; 4];
    for ((((&wk, &a), &b), &c), &d) in w.iter().zip(x[0]).zip(x[1]).zip(x[2]).zip(x[3]) {
        s[0] += wk * stored(a);
        s[1] += wk * stored(b);
        s[2] += wk * stored(c);
        s[3] += wk * stored(d);
    }
    s
}

/// [`dense_dots`] of one aligned quad of rows read from its interleaved copy (`q[4k + l]` is row `l`'s value in
/// column `k`, already rounded as [`stored`] rounds): the same four chains, each row's terms in its own order, so
/// the same bits; the four sums sit side by side in memory, which the compiler turns into one vector of four.
#[inline]
fn quad_dots(w: &[f64], q: &[f32]) -> [f64; 4] {
    let mut s = [0.0f64; 4];
    for (&wk, x) in w.iter().zip(q.chunks_exact(4)) {
        for l in 0..4 {
            s[l] += wk * f64::from(x[l]);
        }
    }
    s
}

/// `w += a · x` for one dense row (no bias: the sparse part adds it).
#[inline]
pub(crate) fn dense_axpy(w: &mut [f64], a: f64, x: &[f64]) {
    for (wi, &xi) in w.iter_mut().zip(x) {
        *wi += a * stored(xi);
    }
}

/// `w += a · x` for one sparse row, bias feature included.
#[inline]
pub(crate) fn sparse_axpy(w: &mut [f64], a: f64, idx: &[usize], val: &[f64], bias: usize) {
    for (&j, &v) in idx.iter().zip(val) {
        w[j] += a * stored(v);
    }
    w[bias] += a;
}

pub(crate) fn check_positive(
    model: &'static str,
    param: &'static str,
    v: f64,
) -> Result<(), LinearError> {
    if !(v.is_finite() && v > 0.0) {
        return Err(LinearError::InvalidParam {
            model,
            param,
            message: format!(
                "must be finite and > 0, got {}",
                stance_core::diag::number(v)
            ),
        });
    }
    Ok(())
}

pub(crate) fn check_iter(model: &'static str, max_iter: usize) -> Result<(), LinearError> {
    if max_iter == 0 {
        return Err(LinearError::InvalidParam {
            model,
            param: "max_iter",
            message: "must be at least 1, got 0".into(),
        });
    }
    Ok(())
}

pub(crate) fn check_n_classes(model: &'static str, n: Option<usize>) -> Result<(), LinearError> {
    if n.is_some_and(|n| n < 2) {
        return Err(LinearError::InvalidParam {
            model,
            param: "n_classes",
            message: format!("must be at least 2 when given, got {}", n.unwrap_or(0)),
        });
    }
    Ok(())
}

#[cfg(test)]
mod sklearn_pins;
#[cfg(test)]
mod tests;
