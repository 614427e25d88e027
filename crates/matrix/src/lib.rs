//! # stance-matrix — the feature matrix every layer passes
//!
//! A [`FeatureMatrix`] is a sparse CSR block (bags of terms, lexicon cues, shapes: columns `0..s`) and a dense
//! row-major block (sentence embeddings, vectors computed elsewhere, pooled word vectors: columns `s..s + d`) side by
//! side, one row per statement. Feature extractors produce it, classifiers read it through a [`FeatureView`].
//!
//! Why two blocks rather than one CSR matrix: an embedding row is 384 non-zero values; stored sparse, each carries a
//! column index that the linear solvers would read on every pass (twice the memory traffic) for columns that are
//! always `s..s + d`. Why not one dense matrix: a word 1–2-gram matrix of 30,000 statements has 160,000 columns and
//! about 30 values per row. Each block keeps the representation its features have, and the solvers' inner loops
//! walk the sparse part by index and the dense part as a contiguous slice.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses no other `stance-*` crate;
//! never a crate above it.
#![deny(missing_docs)]

use ndarray::{Array2, ArrayView2, Axis};
use sprs::{CsMat, CsMatView};

/// Why two blocks do not make one matrix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatrixError {
    /// The blocks have different row counts.
    #[error("the sparse block has {sparse} rows and the dense block {dense}; they must describe the same statements")]
    RowMismatch {
        /// Rows of the sparse block.
        sparse: usize,
        /// Rows of the dense block.
        dense: usize,
    },
    /// The sparse block is stored column-major.
    #[error("the sparse block must be CSR (row-major)")]
    NotCsr,
}

/// A feature matrix: a CSR block (columns `0..sparse_cols`) beside a dense row-major block (the columns after).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    sparse: CsMat<f64>,
    dense: Array2<f64>,
}

impl FeatureMatrix {
    /// Joins a CSR block and a dense block of the same rows (the dense block may have no columns).
    pub fn new(sparse: CsMat<f64>, dense: Array2<f64>) -> Result<FeatureMatrix, MatrixError> {
        if !sparse.is_csr() {
            return Err(MatrixError::NotCsr);
        }
        if sparse.rows() != dense.nrows() {
            return Err(MatrixError::RowMismatch {
                sparse: sparse.rows(),
                dense: dense.nrows(),
            });
        }
        // The solvers slice rows of the dense block as contiguous memory.
        let dense = if dense.is_standard_layout() {
            dense
        } else {
            dense.as_standard_layout().into_owned()
        };
        Ok(FeatureMatrix { sparse, dense })
    }

    /// A matrix with only a sparse block (CSR).
    pub fn sparse(sparse: CsMat<f64>) -> FeatureMatrix {
        let sparse = if sparse.is_csr() {
            sparse
        } else {
            sparse.to_csr()
        };
        let rows = sparse.rows();
        FeatureMatrix {
            sparse,
            dense: Array2::zeros((rows, 0)),
        }
    }

    /// A matrix with only a dense block.
    pub fn dense(dense: Array2<f64>) -> FeatureMatrix {
        let rows = dense.nrows();
        FeatureMatrix::new(CsMat::zero((rows, 0)), dense).expect("the blocks have the same rows")
    }

    /// The borrowed view classifiers read.
    pub fn view(&self) -> FeatureView<'_> {
        FeatureView {
            sparse: self.sparse.view(),
            dense: self.dense.view(),
        }
    }

    /// Rows (statements).
    pub fn rows(&self) -> usize {
        self.sparse.rows()
    }

    /// Columns of both blocks.
    pub fn cols(&self) -> usize {
        self.sparse.cols() + self.dense.ncols()
    }

    /// The sparse block.
    pub fn sparse_block(&self) -> &CsMat<f64> {
        &self.sparse
    }

    /// The dense block (rows × dense columns; no columns when the matrix has none).
    pub fn dense_block(&self) -> &Array2<f64> {
        &self.dense
    }

    /// Both blocks as one dense matrix.
    pub fn to_dense(&self) -> Array2<f64> {
        self.view().to_dense()
    }

    /// Stored values: the sparse block's non-zeros plus every dense value.
    pub fn stored(&self) -> usize {
        self.sparse.nnz() + self.dense.len()
    }
}

/// Returns the sparse block's index and value storage to [`recycled`], for the next matrix built. Why: a grid
/// builds a training and a test matrix for every fold and feature set and drops them when the task's fits are
/// done; character n-gram matrices are over 100 MB each, which the allocator takes from (and gives back to) the
/// kernel, so every new matrix was written on fresh pages that the kernel first zeroes (the grid's page faults).
/// Storage kept here is already resident.
impl Drop for FeatureMatrix {
    fn drop(&mut self) {
        let sparse = std::mem::replace(
            &mut self.sparse,
            CsMat::empty(sprs::CompressedStorage::CSR, 0),
        );
        let (_, indices, data) = sparse.into_raw_storage();
        recycle(indices, data);
    }
}

/// Storage of dropped matrices' sparse blocks, largest first, at most [`KEPT`] pairs.
static POOL: std::sync::Mutex<Vec<(Vec<usize>, Vec<f64>)>> = std::sync::Mutex::new(Vec::new());

/// Pairs the pool keeps: a training and a test matrix for each of two worker threads. What is kept is at most
/// what those matrices held while they were alive, so the pool does not raise a run's peak memory.
const KEPT: usize = 4;

/// Pairs smaller than this are not worth keeping (the allocator reuses small blocks without the kernel).
const MIN_KEPT_VALUES: usize = 1 << 16;

fn recycle(mut indices: Vec<usize>, mut data: Vec<f64>) {
    if indices.capacity().min(data.capacity()) < MIN_KEPT_VALUES {
        return;
    }
    indices.clear();
    data.clear();
    // A poisoned pool only means another thread panicked while holding it; its contents are still valid vectors.
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    pool.push((indices, data));
    pool.sort_by_key(|(i, d)| std::cmp::Reverse(i.capacity().min(d.capacity())));
    pool.truncate(KEPT);
}

/// Pairs in the pool now.
#[cfg(test)]
fn kept() -> usize {
    POOL.lock().unwrap_or_else(|e| e.into_inner()).len()
}

/// Empty index and value vectors with room for at least `values` entries each: the smallest pair that dropped
/// matrices left behind with room for `values` but not more than twice that, else fresh ones reserved with an
/// eighth to spare, so that the next fold's matrix of about the same size fits in them. A builder of a CSR block
/// that knows a bound on its values calls this instead of `Vec::with_capacity`.
///
/// Why the upper limit: pages a vector once filled stay resident while it is kept, so a large matrix's storage
/// reused for a small one would hold memory the small one does not need. When nothing fits, every kept pair is
/// given back: the run has moved on to matrices of another size.
pub fn recycled(values: usize) -> (Vec<usize>, Vec<f64>) {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let room = |(i, d): &(Vec<usize>, Vec<f64>)| i.capacity().min(d.capacity());
    let fit = pool
        .iter()
        .rposition(|p| room(p) >= values && room(p) <= values.saturating_mul(2));
    match fit {
        Some(k) => pool.remove(k),
        None => {
            pool.clear();
            let reserve = values.saturating_add(values / 8);
            (Vec::with_capacity(reserve), Vec::with_capacity(reserve))
        }
    }
}

/// A borrowed [`FeatureMatrix`]: what a classifier fits on and predicts from.
#[derive(Debug, Clone, Copy)]
pub struct FeatureView<'a> {
    /// Columns `0..sparse.cols()`, CSR.
    pub sparse: CsMatView<'a, f64>,
    /// The columns after, row-major (possibly none).
    pub dense: ArrayView2<'a, f64>,
}

impl<'a> FeatureView<'a> {
    /// A view of a CSR matrix alone.
    pub fn of_sparse(sparse: CsMatView<'a, f64>) -> FeatureView<'a> {
        FeatureView {
            sparse,
            dense: ArrayView2::from_shape((sparse.rows(), 0), &[]).expect("an empty block"),
        }
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.sparse.rows()
    }

    /// Columns of both blocks.
    pub fn cols(&self) -> usize {
        self.sparse.cols() + self.dense.ncols()
    }

    /// Columns of the sparse block (the dense block's first column is this index).
    pub fn sparse_cols(&self) -> usize {
        self.sparse.cols()
    }

    /// Columns of the dense block.
    pub fn dense_cols(&self) -> usize {
        self.dense.ncols()
    }

    /// Row `i` of the dense block, contiguous (empty when there is no dense block).
    pub fn dense_row(&self, i: usize) -> &'a [f64] {
        let d = self.dense.ncols();
        if d == 0 {
            return &[];
        }
        let all = self
            .dense
            .to_slice()
            .expect("dense blocks are kept in standard layout");
        &all[i * d..(i + 1) * d]
    }

    /// Both blocks as one dense matrix (for the models that need one, such as the decision tree).
    pub fn to_dense(&self) -> Array2<f64> {
        if self.dense.ncols() == 0 {
            return self.sparse.to_dense();
        }
        if self.sparse.cols() == 0 {
            return self.dense.to_owned();
        }
        let sparse = self.sparse.to_dense();
        let joined = ndarray::concatenate(Axis(1), &[sparse.view(), self.dense.view()])
            .expect("the blocks have the same rows");
        joined
    }

    /// The first negative value in row order (row, column, value), if any.
    pub fn first_negative(&self) -> Option<(usize, usize, f64)> {
        let s = self.sparse.cols();
        for i in 0..self.rows() {
            if let Some(row) = self.sparse.outer_view(i) {
                if let Some((j, &v)) = row.iter().find(|(_, &v)| v < 0.0) {
                    return Some((i, j, v));
                }
            }
            if let Some((j, &v)) = self.dense_row(i).iter().enumerate().find(|(_, &v)| v < 0.0) {
                return Some((i, s + j, v));
            }
        }
        None
    }
}

impl<'a> From<CsMatView<'a, f64>> for FeatureView<'a> {
    fn from(sparse: CsMatView<'a, f64>) -> Self {
        FeatureView::of_sparse(sparse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use sprs::TriMat;

    /// A dropped matrix's storage comes back for a matrix of about its size (the same allocation), and is given
    /// back rather than reused for one under half its size. The sizes are far above anything the other tests here
    /// build, which stay below `MIN_KEPT_VALUES` and never reach the pool.
    #[test]
    fn dropped_storage_is_reused_for_a_matrix_of_about_its_size_only() {
        let n = 3 * MIN_KEPT_VALUES;
        let (mut indices, mut data) = recycled(n);
        indices.extend(0..n);
        data.extend((0..n).map(|v| v as f64));
        let (pi, pd) = (indices.as_ptr(), data.as_ptr());
        let indptr = vec![0, n];
        let m = FeatureMatrix::sparse(CsMat::new((1, n), indptr, indices, data));
        drop(m);
        let (again_i, again_d) = recycled(n - n / 10);
        assert_eq!((again_i.as_ptr(), again_d.as_ptr()), (pi, pd));
        assert!(
            again_i.is_empty() && again_d.is_empty(),
            "handed out cleared"
        );
        let m = FeatureMatrix::sparse(CsMat::new((1, 0), vec![0, 0], again_i, again_d));
        drop(m);
        assert_eq!(kept(), 1);
        let (small_i, _) = recycled(n / 4);
        assert!(
            small_i.capacity() < n,
            "a quarter-size matrix gets its own storage"
        );
        assert_eq!(kept(), 0, "the large storage was given back, not kept");
    }

    fn csr() -> CsMat<f64> {
        let mut t = TriMat::new((2, 3));
        t.add_triplet(0, 1, 2.0);
        t.add_triplet(1, 0, -1.0);
        t.to_csr()
    }

    #[test]
    fn blocks_sit_side_by_side() {
        let m = FeatureMatrix::new(csr(), array![[0.5, 0.25], [1.0, -2.0]]).unwrap();
        let v = m.view();
        assert_eq!(
            (v.rows(), v.cols(), v.sparse_cols(), v.dense_cols()),
            (2, 5, 3, 2)
        );
        assert_eq!(v.dense_row(1), &[1.0, -2.0]);
        assert_eq!(
            v.to_dense(),
            array![[0.0, 2.0, 0.0, 0.5, 0.25], [-1.0, 0.0, 0.0, 1.0, -2.0]]
        );
        assert_eq!(m.stored(), 2 + 4);
        assert_eq!(v.first_negative(), Some((1, 0, -1.0)));
    }

    #[test]
    fn a_sparse_only_matrix_has_an_empty_dense_block() {
        let m = FeatureMatrix::sparse(csr());
        let v = m.view();
        assert_eq!((v.cols(), v.dense_cols()), (3, 0));
        assert!(v.dense_row(0).is_empty());
        assert_eq!(v.to_dense(), csr().to_dense());
    }

    #[test]
    fn mismatched_rows_and_csc_are_refused() {
        assert_eq!(
            FeatureMatrix::new(csr(), Array2::zeros((3, 1))).unwrap_err(),
            MatrixError::RowMismatch {
                sparse: 2,
                dense: 3
            }
        );
        assert_eq!(
            FeatureMatrix::new(csr().to_csc(), Array2::zeros((2, 1))).unwrap_err(),
            MatrixError::NotCsr
        );
    }

    #[test]
    fn a_dense_only_matrix_has_no_sparse_columns() {
        let m = FeatureMatrix::dense(array![[0.0, -0.5]]);
        let v = m.view();
        assert_eq!((v.sparse_cols(), v.dense_cols()), (0, 2));
        assert_eq!(v.first_negative(), Some((0, 1, -0.5)));
    }
}
