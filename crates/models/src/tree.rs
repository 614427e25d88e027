//! CART decision tree from linfa-trees, with two adjustments for reproducibility (found by reading its source):
//!
//! * linfa-trees picks a leaf's class by iterating a `HashMap` of class frequencies, so an exact tie is broken by
//!   a per-process random order (and the pruning that follows can then differ too). Training rows therefore carry
//!   weight `1 + 1e-5` for the first class of each binary problem and `1` otherwise, which breaks exact ties toward
//!   it without changing any non-tied decision on data below 100 000 rows per node.
//! * Its split search sums class impurities over a `HashMap`; with two classes that sum is exact in any order, with
//!   three or more it is not, so equal-score splits could be chosen differently from run to run. Three or more
//!   classes are therefore fitted one-vs-rest (one binary tree per class, probabilities normalised).
//!
//! Probabilities are leaf frequencies: the share of each class among the training rows that reach the leaf.

use std::collections::BTreeMap;

use linfa::prelude::*;
use linfa_trees::{DecisionTree, SplitQuality, TreeNode};
use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use stance_matrix::FeatureView;

use super::SavedClassifier;
use super::{
    classes_present, decide, dense_within_budget, priors, Explanation, FittedClassifier,
    ModelError, Prediction,
};

/// Split criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// Gini impurity.
    Gini,
    /// Entropy (information gain).
    Entropy,
}

/// Decision tree parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
    /// Maximum depth. Defaults to unlimited.
    #[serde(default)]
    pub max_depth: Option<usize>,
    /// Minimum (weighted) rows to split a node. Defaults to `2`.
    #[serde(default = "two")]
    pub min_samples_split: f32,
    /// Minimum (weighted) rows in a leaf. Defaults to `1`.
    #[serde(default = "one")]
    pub min_samples_leaf: f32,
    /// `gini` or `entropy`. Defaults to `gini`.
    #[serde(default = "gini")]
    pub criterion: Criterion,
}

/// An `f32` parameter as the experiment file writes it (`nan`, `inf`), else as `f32` prints it (`1.5`, not the
/// `1.5000000xx` of its `f64` widening).
fn shown(v: f32) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        stance_core::diag::number(f64::from(v))
    }
}

/// Largest `max_depth`: a tree on a billion rows is at most ~30 levels deep when balanced; 10,000 allows any
/// real tree while refusing a mistyped one that would only deepen recursion.
const MAX_DEPTH: usize = 10_000;
/// Largest `min_samples_split` / `min_samples_leaf`: a billion rows.
const MAX_SAMPLES: f32 = 1e9;

fn two() -> f32 {
    2.0
}
fn one() -> f32 {
    1.0
}
fn gini() -> Criterion {
    Criterion::Gini
}

/// Extra weight that breaks exact frequency ties toward the first class of a binary problem.
const TIE_BREAK: f32 = 1e-5;

impl TreeParams {
    pub(super) fn check(&self, name: &str) -> Result<(), ModelError> {
        let bad = |param: &str, message: String| ModelError::InvalidParam {
            classifier: name.into(),
            param: param.into(),
            message,
        };
        if let Some(d) = self.max_depth.filter(|d| !(1..=MAX_DEPTH).contains(d)) {
            return Err(bad(
                "max_depth",
                format!("must be in 1..={MAX_DEPTH} (omit it for no limit), got {d}"),
            ));
        }
        if !(self.min_samples_split.is_finite()
            && (1.0..=MAX_SAMPLES).contains(&self.min_samples_split))
        {
            return Err(bad(
                "min_samples_split",
                format!(
                    "must be in [1, {MAX_SAMPLES:e}], got {}",
                    shown(self.min_samples_split)
                ),
            ));
        }
        if !(self.min_samples_leaf.is_finite()
            && (1.0..=MAX_SAMPLES).contains(&self.min_samples_leaf))
        {
            return Err(bad(
                "min_samples_leaf",
                format!(
                    "must be in [1, {MAX_SAMPLES:e}], got {}",
                    shown(self.min_samples_leaf)
                ),
            ));
        }
        Ok(())
    }
}

/// A binary tree (label 0 vs label 1) with the training class counts of each leaf, keyed by the leaf's path.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BinaryTree {
    tree: DecisionTree<f64, usize>,
    /// A list of (path, counts) pairs in model files: JSON keys are strings only.
    #[serde(with = "crate::json_forms::map_as_pairs")]
    leaves: BTreeMap<Vec<bool>, [usize; 2]>,
}

fn leaf_of<'a>(
    root: &'a TreeNode<f64, usize>,
    row: ArrayView1<'_, f64>,
) -> (Vec<bool>, &'a TreeNode<f64, usize>) {
    let mut node = root;
    let mut path = Vec::new();
    while !node.is_leaf() {
        let (feature, value, _) = node.split();
        // Same rule as linfa-trees' own prediction: strictly less goes left.
        let right = row[feature] >= value;
        let children = node.children();
        match children[usize::from(right)] {
            Some(child) => {
                path.push(right);
                node = child;
            }
            None => break,
        }
    }
    (path, node)
}

impl BinaryTree {
    fn fit(
        p: &TreeParams,
        name: &str,
        x: &Array2<f64>,
        labels: &[usize],
    ) -> Result<BinaryTree, ModelError> {
        let weights: Array1<f32> = labels
            .iter()
            .map(|&l| if l == 0 { 1.0 + TIE_BREAK } else { 1.0 })
            .collect();
        let ds = Dataset::new(x.clone(), Array1::from(labels.to_vec())).with_weights(weights);
        let tree = DecisionTree::params()
            .max_depth(p.max_depth)
            .min_weight_split(p.min_samples_split)
            .min_weight_leaf(p.min_samples_leaf)
            .split_quality(match p.criterion {
                Criterion::Gini => SplitQuality::Gini,
                Criterion::Entropy => SplitQuality::Entropy,
            })
            .fit(&ds)
            .map_err(|e| ModelError::Linfa {
                classifier: name.into(),
                source: Box::new(e),
            })?;
        let mut leaves: BTreeMap<Vec<bool>, [usize; 2]> = BTreeMap::new();
        for (row, &l) in x.rows().into_iter().zip(labels) {
            let (path, _) = leaf_of(tree.root_node(), row);
            leaves.entry(path).or_default()[l] += 1;
        }
        Ok(BinaryTree { tree, leaves })
    }

    /// (predicted label, share of label 1 among the leaf's training rows).
    fn predict_row(&self, row: ArrayView1<'_, f64>) -> (usize, f64) {
        let (path, leaf) = leaf_of(self.tree.root_node(), row);
        let label = leaf.prediction().unwrap_or(0);
        let share = match self.leaves.get(&path) {
            Some([a, b]) if a + b > 0 => *b as f64 / (a + b) as f64,
            _ => label as f64,
        };
        (label, share)
    }

    fn importance(&self) -> Vec<f64> {
        self.tree
            .feature_importance()
            .into_iter()
            .map(|v| if v.is_finite() { v } else { 0.0 })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Inner {
    /// `neg` is label 0, `pos` is label 1.
    Binary {
        tree: BinaryTree,
        neg: usize,
        pos: usize,
    },
    /// One tree per present class (label 1 = that class).
    OneVsRest(Vec<(usize, BinaryTree)>),
}

/// A fitted decision tree (one linfa-trees tree, or one per class) with the leaves' training class counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedTree {
    inner: Inner,
    n_classes: usize,
    prior: Vec<f64>,
}

pub(super) fn fit(
    p: &TreeParams,
    name: &str,
    x: FeatureView<'_>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    // linfa-trees needs dense records: refuse a matrix that would not fit the budget before allocating it.
    let x = &dense_within_budget(x, name)?;
    fit_dense(p, name, x, y, n_classes)
}

fn fit_dense(
    p: &TreeParams,
    name: &str,
    x: &Array2<f64>,
    y: &[usize],
    n_classes: usize,
) -> Result<Box<dyn FittedClassifier>, ModelError> {
    let present = classes_present(y, n_classes);
    let inner = if present.len() == 2 {
        let labels: Vec<usize> = y.iter().map(|&c| usize::from(c == present[1])).collect();
        Inner::Binary {
            tree: BinaryTree::fit(p, name, x, &labels)?,
            neg: present[0],
            pos: present[1],
        }
    } else {
        let trees = present
            .iter()
            .map(|&k| {
                let labels: Vec<usize> = y.iter().map(|&c| usize::from(c == k)).collect();
                BinaryTree::fit(p, name, x, &labels).map(|t| (k, t))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Inner::OneVsRest(trees)
    };
    Ok(Box::new(FittedTree {
        inner,
        n_classes,
        prior: priors(y, n_classes),
    }))
}

impl FittedClassifier for FittedTree {
    fn to_saved(&self) -> SavedClassifier {
        SavedClassifier::DecisionTree(self.clone())
    }

    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction> {
        // Row by row, so prediction never needs the whole test matrix dense.
        let mut dense = Array1::zeros(x.cols());
        let s = x.sparse_cols();
        x.sparse
            .outer_iterator()
            .enumerate()
            .map(|(i, row)| {
                dense.fill(0.0);
                for (j, &v) in row.iter() {
                    dense[j] = v;
                }
                for (k, &v) in x.dense_row(i).iter().enumerate() {
                    dense[s + k] = v;
                }
                self.predict_row(dense.view())
            })
            .collect()
    }

    fn explain(&self) -> Explanation {
        self.explain_trees()
    }
}

impl BinaryTree {
    /// Every split reads a column below `n_features`, and linfa's own column count (what its importances are
    /// sized by, and indexed with every split's column) is `n_features`.
    fn check_shape(&self, n_features: usize) -> Result<(), String> {
        let declared = serde_json::to_value(&self.tree)
            .ok()
            .and_then(|v| v.get("num_features").and_then(serde_json::Value::as_u64));
        if declared != Some(n_features as u64) {
            return Err(format!(
                "a tree says it splits {} features, the file {n_features}",
                declared.map_or_else(|| "an unknown number of".into(), |n| n.to_string())
            ));
        }
        if let Some(n) = self
            .tree
            .iter_nodes()
            .find(|n| !n.is_leaf() && n.split().0 >= n_features)
        {
            return Err(format!(
                "a tree splits on feature {} of {n_features}",
                n.split().0
            ));
        }
        Ok(())
    }
}

impl FittedTree {
    pub(crate) fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        if self.n_classes != n_classes {
            return Err(format!(
                "the tree says {} classes, the file {n_classes}",
                self.n_classes
            ));
        }
        crate::baseline::check_prior(&self.prior, n_classes)?;
        match &self.inner {
            Inner::Binary { tree, neg, pos } => {
                if *neg >= n_classes || *pos >= n_classes || neg == pos {
                    return Err(format!(
                        "the binary tree's classes ({neg} and {pos}) do not fit {n_classes} classes"
                    ));
                }
                tree.check_shape(n_features)
            }
            Inner::OneVsRest(trees) => {
                if trees.is_empty() {
                    return Err("it holds no tree".into());
                }
                let classes: Vec<usize> = trees.iter().map(|(c, _)| *c).collect();
                crate::linear::check_class_list("a tree", &classes, n_classes)?;
                trees
                    .iter()
                    .try_for_each(|(_, t)| t.check_shape(n_features))
            }
        }
    }

    /// The deepest training leaf's depth (root = 0) over every tree: nesting a model file must be able to read.
    pub fn depth(&self) -> usize {
        let deepest = |t: &BinaryTree| t.leaves.keys().map(Vec::len).max().unwrap_or(0);
        match &self.inner {
            Inner::Binary { tree, .. } => deepest(tree),
            Inner::OneVsRest(trees) => trees.iter().map(|(_, t)| deepest(t)).max().unwrap_or(0),
        }
    }

    fn predict_row(&self, row: ArrayView1<'_, f64>) -> Prediction {
        self.predict_rows(std::iter::once(row)).remove(0)
    }

    fn predict_rows<'a>(&self, rows: impl Iterator<Item = ArrayView1<'a, f64>>) -> Vec<Prediction> {
        rows.into_iter()
            .map(|row| {
                let mut proba = vec![0.0; self.n_classes];
                match &self.inner {
                    Inner::Binary { tree, neg, pos } => {
                        let (label, share) = tree.predict_row(row);
                        proba[*pos] = share;
                        proba[*neg] = 1.0 - share;
                        Prediction {
                            class: if label == 1 { *pos } else { *neg },
                            proba: Some(proba),
                            tied: false,
                        }
                    }
                    Inner::OneVsRest(trees) => {
                        for (k, t) in trees {
                            proba[*k] = t.predict_row(row).1;
                        }
                        let total: f64 = proba.iter().sum();
                        if total > 0.0 {
                            proba.iter_mut().for_each(|v| *v /= total);
                        } else {
                            for (k, _) in trees {
                                proba[*k] = 1.0 / trees.len() as f64;
                            }
                        }
                        // All trees saying "not mine" gives a uniform row: the training prior decides,
                        // not the class order.
                        let (class, tied) = decide(&proba, &self.prior);
                        Prediction {
                            class,
                            proba: Some(proba),
                            tied,
                        }
                    }
                }
            })
            .collect()
    }

    fn explain_trees(&self) -> Explanation {
        match &self.inner {
            Inner::Binary { tree, .. } => Explanation::Importance(tree.importance()),
            Inner::OneVsRest(trees) => {
                let mut sum = vec![
                    0.0;
                    trees
                        .first()
                        .map(|(_, t)| t.importance().len())
                        .unwrap_or(0)
                ];
                for (_, t) in trees {
                    for (s, v) in sum.iter_mut().zip(t.importance()) {
                        *s += v / trees.len() as f64;
                    }
                }
                Explanation::Importance(sum)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn params() -> TreeParams {
        TreeParams {
            name: None,
            max_depth: None,
            min_samples_split: 2.0,
            min_samples_leaf: 1.0,
            criterion: Criterion::Gini,
        }
    }

    #[test]
    fn exact_ties_are_broken_toward_the_first_class_every_time() {
        // Two identical rows with different classes cannot be split: the leaf holds one of each.
        let x = array![[1.0], [1.0], [5.0]];
        let y = [1, 0, 1];
        for _ in 0..20 {
            let fitted = fit_dense(&params(), "t", &x, &y, 2).unwrap();
            let p = &fitted.predict(
                sprs::CsMat::csr_from_dense(array![[1.0]].view(), 0.0)
                    .view()
                    .into(),
            )[0];
            assert_eq!(p.class, 0);
            assert_eq!(p.proba.as_ref().unwrap(), &vec![0.5, 0.5]);
        }
    }

    #[test]
    fn leaf_frequencies_are_probabilities() {
        let x = array![[0.0], [0.0], [0.0], [1.0]];
        let y = [0, 0, 1, 1];
        let p = TreeParams {
            max_depth: Some(1),
            ..params()
        };
        let fitted = fit_dense(&p, "t", &x, &y, 2).unwrap();
        let pred = &fitted.predict(
            sprs::CsMat::csr_from_dense(array![[0.0]].view(), 0.0)
                .view()
                .into(),
        )[0];
        assert_eq!(pred.class, 0);
        let proba = pred.proba.as_ref().unwrap();
        assert!((proba[0] - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_zero_depth() {
        assert!(TreeParams {
            max_depth: Some(0),
            ..params()
        }
        .check("t")
        .is_err());
    }
}
