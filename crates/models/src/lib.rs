//! Stage 3 — models: classifiers and baselines behind one fit/predict interface. The linear models (logistic
//! regression, naive Bayes, linear SVM) are the project's own sparse solvers, implementing linfa's `Fit`/`Predict`
//! traits; the decision tree is linfa-trees'; the baselines are a few lines each.
//!
//! [`ClassifierSpec`] is what an experiment declares (`{ type = "logistic", alpha = 1.0 }`). [`ClassifierSpec::check`]
//! validates it once into a [`Classifier`]; [`Classifier::fit`] takes a sparse (CSR) training matrix and class
//! indices and returns a boxed [`FittedClassifier`], the only thing that predicts.
//!
//! | type | implementation | probabilities | top features |
//! |---|---|---|---|
//! | `logistic` | [`linear::logistic`]: TRON, liblinear's objective (one-vs-rest for 3+ classes) | yes | weights |
//! | `naive-bayes` | [`linear::bayes`]: multinomial NB (see [`bayes`] for why not linfa-bayes) | yes | log-probability contrasts |
//! | `linear-svm` | [`linear::svm`]: dual coordinate descent, seeded (one-vs-rest for 3+ classes) | no (margins) | weights |
//! | `decision-tree` | linfa-trees on dense rows, within [`DENSE_BUDGET_BYTES`] (one-vs-rest for 3+ classes) | leaf frequencies | impurity importance |
//! | `majority` | baseline | training priors | — |
//! | `stratified-random` | baseline, seeded | training priors | — |
//!
//! The linear models never densify: a fit's memory is O(non-zeros + features × classes). Predictions always range
//! over the experiment's full class list, so a class absent from a training fold simply gets probability 0.
//!
//! **Ties.** When two classes share the top score (a tree's uniform row, equal probabilities), the class with
//! the larger training prior wins, then the lower index ([`decide`]); the prediction is marked `tied`, so the
//! report can count them. Class order alone never decides.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`; never a crate
//! above it.

pub mod baseline;
pub mod bayes;
pub mod gaussian;
mod json_forms;
pub mod linear;
pub mod logistic;
pub mod svm;
pub mod tree;

use std::fmt::Debug;

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use stance_matrix::FeatureView;

use stance_core::tunable::ParamGrid;

/// Errors of the model layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A parameter is out of range.
    #[error("classifier '{classifier}': parameter '{param}' {message}")]
    InvalidParam {
        /// Classifier name.
        classifier: String,
        /// Parameter name.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// The training rows hold fewer than two classes.
    #[error(
        "classifier '{classifier}' needs at least two classes in its training rows, found {found}"
    )]
    TooFewClasses {
        /// Classifier name.
        classifier: String,
        /// Distinct classes found.
        found: usize,
    },
    /// Multinomial naive Bayes got a negative feature value.
    #[error(
        "classifier '{classifier}' (multinomial naive Bayes) needs non-negative features (it counts words); feature \
         column {column} has {value}: for embeddings, vectors and other signed features use `gaussian-nb`, \
         `logistic` or `linear-svm`"
    )]
    NegativeFeature {
        /// Classifier name.
        classifier: String,
        /// Column index.
        column: usize,
        /// The value.
        value: f64,
    },
    /// A dense-only model would need more memory than the budget allows.
    #[error(
        "classifier '{classifier}' needs a dense {rows} × {cols} matrix ({:.1} GiB), over the {:.1} GiB budget for \
         dense models; lower the feature set's max_features, or use a linear classifier (logistic, linear-svm, \
         naive-bayes), which stay sparse",
        *bytes as f64 / GIB, *budget as f64 / GIB
    )]
    TooLargeForDense {
        /// Classifier name.
        classifier: String,
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Bytes the dense matrix would take.
        bytes: u64,
        /// The budget.
        budget: u64,
    },
    /// linfa returned an error.
    #[error("classifier '{classifier}'")]
    Linfa {
        /// Classifier name.
        classifier: String,
        /// linfa's error (boxed: it is large, and every fit's `Result` would carry its size).
        source: Box<linfa::Error>,
    },
    /// The sparse linear solvers refused their input (a shape or class-index mismatch, or linfa's own error).
    #[error("classifier '{classifier}'")]
    Linear {
        /// Classifier name.
        classifier: String,
        /// The solvers' error (boxed, as linfa's).
        source: Box<linear::LinearError>,
    },
}

const GIB: f64 = (1u64 << 30) as f64;

/// The most memory one dense matrix for a dense-only model (the decision tree) may take: 2 GiB.
pub const DENSE_BUDGET_BYTES: u64 = 2 << 30;

impl ModelError {
    /// The same error naming the classifier as the experiment does.
    pub fn named(self, name: &str) -> ModelError {
        match self {
            ModelError::InvalidParam { param, message, .. } => ModelError::InvalidParam {
                classifier: name.into(),
                param,
                message,
            },
            ModelError::TooFewClasses { found, .. } => ModelError::TooFewClasses {
                classifier: name.into(),
                found,
            },
            ModelError::NegativeFeature { column, value, .. } => ModelError::NegativeFeature {
                classifier: name.into(),
                column,
                value,
            },
            ModelError::Linfa { source, .. } => ModelError::Linfa {
                classifier: name.into(),
                source,
            },
            ModelError::Linear { source, .. } => ModelError::Linear {
                classifier: name.into(),
                source,
            },
            other => other,
        }
    }
}

/// `x` as a dense matrix, or an error when it would exceed [`DENSE_BUDGET_BYTES`].
pub fn dense_within_budget(
    x: FeatureView<'_>,
    classifier: &str,
) -> Result<Array2<f64>, ModelError> {
    let bytes = (x.rows() as u64)
        .saturating_mul(x.cols() as u64)
        .saturating_mul(8);
    if bytes > DENSE_BUDGET_BYTES {
        return Err(ModelError::TooLargeForDense {
            classifier: classifier.into(),
            rows: x.rows(),
            cols: x.cols(),
            bytes,
            budget: DENSE_BUDGET_BYTES,
        });
    }
    Ok(x.to_dense())
}

/// One prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Predicted class index.
    pub class: usize,
    /// Probability per class (over the full class list), when the model has probabilities.
    pub proba: Option<Vec<f64>>,
    /// Whether the top score was shared by several classes (decided by the training prior, see [`decide`]).
    #[serde(default)]
    pub tied: bool,
}

/// The class with the largest score; among tied scores the one with the larger training `prior`, then the lower
/// index. Returns the class and whether a tie was broken.
pub fn decide(scores: &[f64], prior: &[f64]) -> (usize, bool) {
    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut tied = scores
        .iter()
        .enumerate()
        .filter(|(_, &s)| s == top)
        .map(|(c, _)| c);
    let first = tied.next().unwrap_or(0);
    let mut best = first;
    let mut was_tied = false;
    for c in tied {
        was_tied = true;
        if prior.get(c).copied().unwrap_or(0.0) > prior.get(best).copied().unwrap_or(0.0) {
            best = c;
        }
    }
    (best, was_tied)
}

pub use baseline::priors;

/// Predictions from a rows × classes score matrix: the top class by [`decide`], with the row as probabilities
/// when `scores_are_probabilities` (otherwise margins, which are not reported).
pub fn predictions_from_scores(
    scores: &Array2<f64>,
    prior: &[f64],
    scores_are_probabilities: bool,
) -> Vec<Prediction> {
    scores
        .rows()
        .into_iter()
        .map(|row| {
            let row = row.to_vec();
            let (class, tied) = decide(&row, prior);
            Prediction {
                class,
                proba: scores_are_probabilities.then_some(row),
                tied,
            }
        })
        .collect()
}

/// How a fitted model explains itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Explanation {
    /// One weight per (feature, class): positive pushes toward the class.
    ClassWeights(Array2<f64>),
    /// One importance per feature, not tied to a class.
    Importance(Vec<f64>),
    /// Nothing to show (baselines).
    None,
}

/// A fitted classifier.
pub trait FittedClassifier: Send + Sync + Debug {
    /// Predicts every row of `x` (CSR, columns as in training).
    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction>;
    /// Feature weights or importances, for "top features" tables.
    fn explain(&self) -> Explanation;
    /// A copy in the closed form model files store ([`SavedClassifier`]).
    fn to_saved(&self) -> SavedClassifier;
}

/// One fitted classifier in the closed form model files store (`stance train`), tagged by its type as in
/// experiment files.
///
/// [`Classifier::fit`] returns a trait object, which serde cannot read back; this enum names every kind, so a file
/// says which model it holds and loading rebuilds the same object. It lives at the crate root, beside the trait,
/// because it is the closed set of this crate's models: adding a classifier means adding a variant here (and
/// bumping the model file's schema version).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SavedClassifier {
    /// Logistic regression.
    Logistic(logistic::FittedLogistic),
    /// Multinomial naive Bayes.
    NaiveBayes(bayes::FittedNb),
    /// Linear SVM.
    LinearSvm(svm::FittedSvm),
    /// Decision tree.
    DecisionTree(tree::FittedTree),
    /// Gaussian naive Bayes.
    GaussianNb(gaussian::FittedGaussianNb),
    /// Majority baseline.
    Majority(baseline::Majority),
    /// Stratified-random baseline.
    StratifiedRandom(baseline::Stratified),
}

impl SavedClassifier {
    /// The classifier as the pipeline uses it.
    pub fn into_fitted(self) -> Box<dyn FittedClassifier> {
        match self {
            SavedClassifier::Logistic(m) => Box::new(m),
            SavedClassifier::NaiveBayes(m) => Box::new(m),
            SavedClassifier::LinearSvm(m) => Box::new(m),
            SavedClassifier::DecisionTree(m) => Box::new(m),
            SavedClassifier::GaussianNb(m) => Box::new(m),
            SavedClassifier::Majority(m) => Box::new(m),
            SavedClassifier::StratifiedRandom(m) => Box::new(m),
        }
    }

    /// Whether this model fits `n_features` feature columns and `n_classes` classes, as the model file around it
    /// declares them: every shape, class index, prior and tree split that prediction and explanation index by.
    /// A file whose sha256 was recomputed after an edit (a cut coefficient vector, a class list of the wrong
    /// length) is refused with what is wrong instead of panicking later. Returns what is wrong.
    pub fn check_shape(&self, n_features: usize, n_classes: usize) -> Result<(), String> {
        match self {
            SavedClassifier::Logistic(m) => m.check_shape(n_features, n_classes),
            SavedClassifier::NaiveBayes(m) => m.check_shape(n_features, n_classes),
            SavedClassifier::LinearSvm(m) => m.check_shape(n_features, n_classes),
            SavedClassifier::DecisionTree(m) => m.check_shape(n_features, n_classes),
            SavedClassifier::GaussianNb(m) => m.check_shape(n_features, n_classes),
            SavedClassifier::Majority(m) => m.check_shape(n_classes),
            SavedClassifier::StratifiedRandom(m) => m.check_shape(n_classes),
        }
    }

    /// The deepest decision tree's depth (root = 0); 0 for the other models.
    pub fn tree_depth(&self) -> usize {
        match self {
            SavedClassifier::DecisionTree(t) => t.depth(),
            _ => 0,
        }
    }
}

/// A classifier as declared in an experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClassifierSpec {
    /// L2-regularised logistic regression (the project's trust-region Newton solver, liblinear's objective).
    Logistic(logistic::LogisticParams),
    /// Multinomial naive Bayes.
    NaiveBayes(bayes::NaiveBayesParams),
    /// Linear support vector machine (the project's dual coordinate descent).
    LinearSvm(svm::SvmParams),
    /// CART decision tree (linfa-trees).
    DecisionTree(tree::TreeParams),
    /// Gaussian naive Bayes, for dense signed features (embeddings).
    GaussianNb(gaussian::GaussianNbParams),
    /// Predicts the most frequent training class.
    Majority(baseline::BaselineParams),
    /// Predicts a class drawn from the training class frequencies (seeded).
    StratifiedRandom(baseline::BaselineParams),
}

/// A classifier's type, the one thing that decides whether it is a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassifierKind {
    /// L2-regularised logistic regression.
    Logistic,
    /// Multinomial naive Bayes.
    NaiveBayes,
    /// Linear support vector machine.
    LinearSvm,
    /// CART decision tree.
    DecisionTree,
    /// Gaussian naive Bayes.
    GaussianNb,
    /// The most frequent training class.
    Majority,
    /// A class drawn from the training class frequencies.
    StratifiedRandom,
}

impl ClassifierKind {
    /// The type as written in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            ClassifierKind::Logistic => "logistic",
            ClassifierKind::NaiveBayes => "naive-bayes",
            ClassifierKind::LinearSvm => "linear-svm",
            ClassifierKind::DecisionTree => "decision-tree",
            ClassifierKind::GaussianNb => "gaussian-nb",
            ClassifierKind::Majority => "majority",
            ClassifierKind::StratifiedRandom => "stratified-random",
        }
    }

    /// Whether this type is a baseline (a floor, not a model under comparison).
    pub fn is_baseline(self) -> bool {
        matches!(
            self,
            ClassifierKind::Majority | ClassifierKind::StratifiedRandom
        )
    }
}

impl std::fmt::Display for ClassifierKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ClassifierSpec {
    /// The classifier's type.
    pub fn kind(&self) -> ClassifierKind {
        match self {
            ClassifierSpec::Logistic(_) => ClassifierKind::Logistic,
            ClassifierSpec::NaiveBayes(_) => ClassifierKind::NaiveBayes,
            ClassifierSpec::LinearSvm(_) => ClassifierKind::LinearSvm,
            ClassifierSpec::DecisionTree(_) => ClassifierKind::DecisionTree,
            ClassifierSpec::GaussianNb(_) => ClassifierKind::GaussianNb,
            ClassifierSpec::Majority(_) => ClassifierKind::Majority,
            ClassifierSpec::StratifiedRandom(_) => ClassifierKind::StratifiedRandom,
        }
    }

    /// The name reports use: the declared `name`, or the type.
    pub fn name(&self) -> String {
        let declared = match self {
            ClassifierSpec::Logistic(p) => &p.name,
            ClassifierSpec::NaiveBayes(p) => &p.name,
            ClassifierSpec::LinearSvm(p) => &p.name,
            ClassifierSpec::DecisionTree(p) => &p.name,
            ClassifierSpec::GaussianNb(p) => &p.name,
            ClassifierSpec::Majority(p) => &p.name,
            ClassifierSpec::StratifiedRandom(p) => &p.name,
        };
        declared.clone().unwrap_or_else(|| self.kind().to_string())
    }

    /// Whether this is a baseline (decided by its type).
    pub fn is_baseline(&self) -> bool {
        self.kind().is_baseline()
    }

    /// Validates the parameters once (every value of a list of values to tune over).
    pub fn check(&self) -> Result<Classifier, ModelError> {
        let name = self.name();
        match self {
            ClassifierSpec::Logistic(p) => p.check(&name)?,
            ClassifierSpec::NaiveBayes(p) => p.check(&name)?,
            ClassifierSpec::LinearSvm(p) => p.check(&name)?,
            ClassifierSpec::DecisionTree(p) => p.check(&name)?,
            ClassifierSpec::GaussianNb(p) => p.check(&name)?,
            ClassifierSpec::Majority(_) | ClassifierSpec::StratifiedRandom(_) => {}
        }
        let (grid, candidates) = match self.tuned_param() {
            Some((param, values)) if values.len() > stance_core::tunable::MAX_GRID => {
                return Err(ModelError::InvalidParam {
                    classifier: name,
                    param: param.into(),
                    message: format!(
                        "lists {} values to tune, more than {}; shorten the list",
                        values.len(),
                        stance_core::tunable::MAX_GRID
                    ),
                })
            }
            Some((param, values)) => {
                let candidates = (0..values.len())
                    .map(|i| {
                        let fixed = self.pick(i);
                        (
                            format!("{param}={}", values[i]),
                            Classifier {
                                spec: fixed,
                                name: name.clone(),
                                grid: Vec::new(),
                                candidates: Vec::new(),
                            },
                        )
                    })
                    .collect();
                (
                    vec![ParamGrid {
                        param: param.to_string(),
                        values,
                    }],
                    candidates,
                )
            }
            None => (Vec::new(), Vec::new()),
        };
        Ok(Classifier {
            spec: self.clone(),
            name,
            grid,
            candidates,
        })
    }

    /// The parameter given as a list, with its values as written in reports: `alpha` (logistic, naive Bayes) or
    /// `c` (linear SVM). Other parameters and types take one value.
    fn tuned_param(&self) -> Option<(&'static str, Vec<String>)> {
        let (param, t) = match self {
            ClassifierSpec::Logistic(p) => ("alpha", &p.alpha),
            ClassifierSpec::NaiveBayes(p) => ("alpha", &p.alpha),
            ClassifierSpec::LinearSvm(p) => ("c", &p.c),
            _ => return None,
        };
        t.is_grid()
            .then(|| (param, t.values().iter().map(|v| v.to_string()).collect()))
    }

    /// The spec with its listed parameter fixed to the `i`-th value.
    fn pick(&self, i: usize) -> ClassifierSpec {
        let mut s = self.clone();
        match &mut s {
            ClassifierSpec::Logistic(p) => p.alpha = p.alpha.pick(i),
            ClassifierSpec::NaiveBayes(p) => p.alpha = p.alpha.pick(i),
            ClassifierSpec::LinearSvm(p) => p.c = p.c.pick(i),
            _ => {}
        }
        s
    }
}

/// A validated classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    spec: ClassifierSpec,
    name: String,
    /// The parameter given as a list (empty when nothing is tuned).
    grid: Vec<ParamGrid>,
    /// One fixed classifier per value of the grid, with its setting (`alpha=0.1`), in the order listed.
    candidates: Vec<(String, Classifier)>,
}

impl Classifier {
    /// Whether a parameter was given as a list, to be tuned by nested cross-validation
    /// (`stance_eval::tune`).
    pub fn is_tuned(&self) -> bool {
        !self.grid.is_empty()
    }

    /// The listed parameters and their values (empty when nothing is tuned).
    pub fn grid(&self) -> &[ParamGrid] {
        &self.grid
    }

    /// One fixed classifier per candidate value with its setting (`alpha=0.1`), in the order listed; empty when
    /// nothing is tuned.
    pub fn candidates(&self) -> &[(String, Classifier)] {
        &self.candidates
    }

    /// The declaration.
    pub fn spec(&self) -> &ClassifierSpec {
        &self.spec
    }

    /// The report name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type.
    pub fn kind(&self) -> ClassifierKind {
        self.spec.kind()
    }

    /// Fits on `x` (CSR, rows = training items; borrowed, never copied by the linear models) and `y` (class
    /// indices below `n_classes`). `seed` drives the randomised models (the linear SVM's coordinate order, the
    /// stratified-random baseline); the others ignore it.
    pub fn fit(
        &self,
        x: FeatureView<'_>,
        y: &[usize],
        n_classes: usize,
        seed: u64,
    ) -> Result<Box<dyn FittedClassifier>, ModelError> {
        if let Some(g) = self.grid.first().filter(|g| g.values.len() > 1) {
            // A grid is fitted only through its candidates, after nested cross-validation chose one.
            return Err(ModelError::InvalidParam {
                classifier: self.name.clone(),
                param: g.param.clone(),
                message: "is a list of values to tune; fit one of the candidates chosen by nested \
                          cross-validation"
                    .into(),
            });
        }
        let present = classes_present(y, n_classes);
        if present.len() < 2 && !self.spec.is_baseline() {
            return Err(ModelError::TooFewClasses {
                classifier: self.name.clone(),
                found: present.len(),
            });
        }
        match &self.spec {
            ClassifierSpec::Logistic(p) => logistic::fit(p, &self.name, x, y, n_classes),
            ClassifierSpec::NaiveBayes(p) => bayes::fit(p, &self.name, x, y, n_classes),
            ClassifierSpec::LinearSvm(p) => svm::fit(p, &self.name, x, y, n_classes, seed),
            ClassifierSpec::DecisionTree(p) => tree::fit(p, &self.name, x, y, n_classes),
            ClassifierSpec::GaussianNb(p) => gaussian::fit(p, &self.name, x, y, n_classes),
            ClassifierSpec::Majority(_) => Ok(baseline::fit_majority(y, n_classes)),
            ClassifierSpec::StratifiedRandom(_) => Ok(baseline::fit_stratified(y, n_classes, seed)),
        }
    }
}

/// The sorted distinct class indices in `y`.
pub fn classes_present(y: &[usize], n_classes: usize) -> Vec<usize> {
    let mut seen = vec![false; n_classes];
    for &c in y {
        seen[c] = true;
    }
    (0..n_classes).filter(|&c| seen[c]).collect()
}

/// Index of the largest value; ties go to the lowest index, so predictions never depend on iteration order.
pub fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// Turns scores into probabilities with a numerically stable softmax.
pub fn softmax(scores: &[f64]) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn csr(x: &Array2<f64>) -> sprs::CsMat<f64> {
        sprs::CsMat::csr_from_dense(x.view(), 0.0)
    }

    fn spec(src: &str) -> ClassifierSpec {
        toml::from_str(src).unwrap()
    }

    #[test]
    fn parses_every_type_with_names_and_rejects_unknown_keys() {
        assert_eq!(spec("type = 'logistic'\nalpha = 0.5").name(), "logistic");
        assert_eq!(spec("type = 'naive-bayes'\nname = 'nb'").name(), "nb");
        assert!(spec("type = 'majority'").is_baseline());
        let err = toml::from_str::<ClassifierSpec>("type = 'logistic'\nalpah = 1").unwrap_err();
        assert!(err.to_string().contains("unknown field `alpah`"), "{err}");
    }

    #[test]
    fn every_classifier_fits_a_separable_problem() {
        let x = array![
            [1.0, 0.0],
            [2.0, 0.0],
            [3.0, 0.1],
            [0.0, 1.0],
            [0.1, 2.0],
            [0.0, 3.0]
        ];
        let y = [0, 0, 0, 1, 1, 1];
        for src in [
            "type = 'logistic'",
            "type = 'naive-bayes'",
            "type = 'linear-svm'",
            "type = 'decision-tree'",
        ] {
            let clf = spec(src).check().unwrap();
            let fitted = clf.fit(csr(&x).view().into(), &y, 2, 7).unwrap();
            let pred: Vec<usize> = fitted
                .predict(csr(&x).view().into())
                .iter()
                .map(|p| p.class)
                .collect();
            assert_eq!(pred, y, "{src}");
        }
    }

    #[test]
    fn three_classes_work_for_every_classifier() {
        let x = array![
            [3.0, 0.0, 0.0],
            [2.0, 0.0, 0.1],
            [0.0, 3.0, 0.0],
            [0.1, 2.0, 0.0],
            [0.0, 0.0, 3.0],
            [0.0, 0.1, 2.0]
        ];
        let y = [0, 0, 1, 1, 2, 2];
        for src in [
            "type = 'logistic'",
            "type = 'naive-bayes'",
            "type = 'linear-svm'",
            "type = 'decision-tree'",
        ] {
            let fitted = spec(src)
                .check()
                .unwrap()
                .fit(csr(&x).view().into(), &y, 3, 1)
                .unwrap();
            let preds = fitted.predict(csr(&x).view().into());
            let classes: Vec<usize> = preds.iter().map(|p| p.class).collect();
            assert_eq!(classes, y, "{src}");
            if let Some(p) = &preds[0].proba {
                assert_eq!(p.len(), 3);
                assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{src}: {p:?}");
            }
        }
    }

    #[test]
    fn a_single_training_class_is_an_error_for_models_but_not_baselines() {
        let x = array![[1.0], [2.0]];
        let err = spec("type = 'logistic'")
            .check()
            .unwrap()
            .fit(csr(&x).view().into(), &[1, 1], 2, 0)
            .unwrap_err();
        assert!(matches!(err, ModelError::TooFewClasses { found: 1, .. }));
        let fitted = spec("type = 'majority'")
            .check()
            .unwrap()
            .fit(csr(&x).view().into(), &[1, 1], 2, 0)
            .unwrap();
        assert_eq!(fitted.predict(csr(&x).view().into())[0].class, 1);
    }

    #[test]
    fn argmax_breaks_ties_toward_the_lowest_index() {
        assert_eq!(argmax(&[0.5, 0.5]), 0);
        assert_eq!(argmax(&[0.1, 0.7, 0.7]), 1);
    }
}

#[cfg(test)]
mod tie_tests {
    use super::decide;

    #[test]
    fn ties_go_to_the_larger_prior_not_the_first_class() {
        assert_eq!(decide(&[0.2, 0.5, 0.3], &[0.6, 0.1, 0.3]), (1, false));
        let third = 1.0 / 3.0;
        assert_eq!(decide(&[third; 3], &[0.2, 0.5, 0.3]), (1, true));
        assert_eq!(decide(&[third; 3], &[0.4, 0.2, 0.4]), (0, true));
        assert_eq!(decide(&[0.5, 0.5, 0.0], &[0.1, 0.1, 0.8]), (0, true));
    }
}
