//! Extractors of a few dense columns scaled by a fitted [`MaxAbsScaler`]: the lexicon and shape extractors.
//!
//! Both compute a short vector of counts per document from settings fixed at validation (a [`DenseSource`]), and
//! learn only each column's maximum on the training fold. [`Scaled`] is that learned part, written once.

use std::fmt::Debug;

use serde::{Deserialize, Serialize};
use sprs::CsMat;

use super::SavedExtractor;
use super::{Block, FeatureError, FittedExtractor, Prepared};

/// Per-column maximum absolute value learned on training rows; scales columns into `[-1, 1]` on those rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaxAbsScaler {
    scale: Vec<f64>,
}

impl MaxAbsScaler {
    /// Learns each column's maximum absolute value (1 where a column is all zero, so it stays zero).
    pub fn fit(rows: &[Vec<f64>], n_cols: usize) -> MaxAbsScaler {
        let mut scale = vec![0.0f64; n_cols];
        for r in rows {
            for (s, v) in scale.iter_mut().zip(r) {
                *s = s.max(v.abs());
            }
        }
        for s in scale.iter_mut() {
            if *s == 0.0 {
                *s = 1.0;
            }
        }
        MaxAbsScaler { scale }
    }

    /// Scales dense rows into a sparse matrix.
    pub fn transform(&self, rows: &[Vec<f64>]) -> CsMat<f64> {
        let mut indptr = vec![0];
        let mut indices = Vec::new();
        let mut data = Vec::new();
        for r in rows {
            for (j, (v, s)) in r.iter().zip(&self.scale).enumerate() {
                if *v != 0.0 {
                    indices.push(j);
                    data.push(v / s);
                }
            }
            indptr.push(indices.len());
        }
        CsMat::new((rows.len(), self.scale.len()), indptr, indices, data)
    }
}

/// A validated dense extractor (what `check` returns): its columns and their raw values for one document. Only it
/// can [`fit`](DenseSource::fit).
pub trait DenseSource: Clone + Debug + Send + Sync + Sized + 'static {
    /// Whether the settings agree with themselves (a model file may hold anything); what is wrong when not.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
    /// Number of columns.
    fn n_features(&self) -> usize;
    /// Readable name of column `j`.
    fn feature_name(&self, j: usize) -> String;
    /// The unscaled values of one document, one per column.
    fn raw(&self, doc: &Prepared) -> Vec<f64>;
    /// The fitted extractor in the closed form model files store.
    fn saved(fitted: Scaled<Self>) -> SavedExtractor;

    /// Learns each column's scale from the training documents.
    fn fit(&self, docs: &[Prepared]) -> Scaled<Self> {
        let rows: Vec<Vec<f64>> = docs.iter().map(|d| self.raw(d)).collect();
        Scaled {
            scaler: MaxAbsScaler::fit(&rows, self.n_features()),
            source: self.clone(),
        }
    }
}

/// A dense extractor fitted on training documents: its settings and the per-column scale.
///
/// Model files store the source's fields next to `scaler`, the layout the separate fitted lexicon and shape types
/// used to have.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scaled<E> {
    #[serde(flatten)]
    source: E,
    scaler: MaxAbsScaler,
}

impl<E: DenseSource> FittedExtractor for Scaled<E> {
    fn check(&self) -> Result<(), String> {
        self.source.check()?;
        let (n, scales) = (self.source.n_features(), self.scaler.scale.len());
        if n != scales {
            return Err(format!("{scales} column scales for {n} columns"));
        }
        Ok(())
    }
    fn to_saved(&self) -> SavedExtractor {
        E::saved(self.clone())
    }
    fn n_features(&self) -> usize {
        self.source.n_features()
    }
    fn feature_name(&self, j: usize) -> String {
        self.source.feature_name(j)
    }
    fn transform(&self, docs: &[Prepared]) -> Result<Block, FeatureError> {
        let rows: Vec<Vec<f64>> = docs.iter().map(|d| self.source.raw(d)).collect();
        Ok(Block::Sparse(self.scaler.transform(&rows)))
    }
    fn vocabulary(&self) -> Vec<String> {
        Vec::new()
    }
}
