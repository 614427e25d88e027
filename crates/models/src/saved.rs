//! Fitted classifiers in a closed form that model files can store (`stance train`).
//!
//! [`Classifier::fit`](super::Classifier::fit) returns a trait object, which serde cannot read back;
//! [`SavedClassifier`] names every kind, so a file says which model it holds and loading rebuilds the same object.
//! Adding a classifier means adding a variant here (and bumping the model file's schema version).

use serde::{Deserialize, Serialize};

use super::baseline::{Majority, Stratified};
use super::bayes::FittedNb;
use super::logistic::FittedLogistic;
use super::svm::FittedSvm;
use super::tree::FittedTree;
use super::FittedClassifier;

/// One fitted classifier, tagged by its type as in experiment files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SavedClassifier {
    /// Logistic regression.
    Logistic(FittedLogistic),
    /// Multinomial naive Bayes.
    NaiveBayes(FittedNb),
    /// Linear SVM.
    LinearSvm(FittedSvm),
    /// Decision tree.
    DecisionTree(FittedTree),
    /// Majority baseline.
    Majority(Majority),
    /// Stratified-random baseline.
    StratifiedRandom(Stratified),
}

impl SavedClassifier {
    /// The classifier as the pipeline uses it.
    pub fn into_fitted(self) -> Box<dyn FittedClassifier> {
        match self {
            SavedClassifier::Logistic(m) => Box::new(m),
            SavedClassifier::NaiveBayes(m) => Box::new(m),
            SavedClassifier::LinearSvm(m) => Box::new(m),
            SavedClassifier::DecisionTree(m) => Box::new(m),
            SavedClassifier::Majority(m) => Box::new(m),
            SavedClassifier::StratifiedRandom(m) => Box::new(m),
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

/// `#[serde(with = …)]` for a map whose keys are not strings: a list of `[key, value]` pairs (JSON keys are strings).
pub(crate) mod map_as_pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub(crate) fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// `#[serde(with = …)]` for log-probabilities that may be `-inf` (a class absent from training): `null` stands for
/// `-inf`, since JSON has no infinities.
pub(crate) mod neg_inf_as_null {
    use ndarray::Array1;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Array1<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| (x != f64::NEG_INFINITY).then_some(x)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array1<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(|x| x.unwrap_or(f64::NEG_INFINITY))
            .collect())
    }
}
