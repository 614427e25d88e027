//! Baselines: the floor every result is read against.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use stance_matrix::FeatureView;

use super::SavedClassifier;
use super::{decide, Explanation, FittedClassifier, Prediction};

/// Baseline parameters (only a name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineParams {
    /// Report name. Defaults to the type.
    #[serde(default)]
    pub name: Option<String>,
}

/// Share of each class in `y` (the training prior), over all `n_classes`.
pub fn priors(y: &[usize], n_classes: usize) -> Vec<f64> {
    let mut p = vec![0.0; n_classes];
    for &c in y {
        p[c] += 1.0;
    }
    let n = y.len().max(1) as f64;
    p.iter_mut().for_each(|v| *v /= n);
    p
}

/// A training prior over `n_classes` classes (what ties are broken by, and baselines predict), or what is wrong.
pub(crate) fn check_prior(prior: &[f64], n_classes: usize) -> Result<(), String> {
    if prior.len() != n_classes {
        return Err(format!(
            "its class prior has {} entries for {n_classes} classes",
            prior.len()
        ));
    }
    if prior.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
        return Err("its class prior holds a value that is not a share in [0, 1]".into());
    }
    Ok(())
}

/// The fitted majority baseline: the training class frequencies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Majority {
    priors: Vec<f64>,
}

/// Predicts the most frequent training class (ties: the first in class order), with the priors as probabilities.
pub fn fit_majority(y: &[usize], n_classes: usize) -> Box<dyn FittedClassifier> {
    Box::new(Majority {
        priors: priors(y, n_classes),
    })
}

impl Majority {
    pub(crate) fn check_shape(&self, n_classes: usize) -> Result<(), String> {
        check_prior(&self.priors, n_classes)
    }
}

impl Stratified {
    pub(crate) fn check_shape(&self, n_classes: usize) -> Result<(), String> {
        check_prior(&self.priors, n_classes)
    }
}

impl FittedClassifier for Majority {
    fn to_saved(&self) -> SavedClassifier {
        SavedClassifier::Majority(self.clone())
    }
    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction> {
        let (class, tied) = decide(&self.priors, &self.priors);
        (0..x.rows())
            .map(|_| Prediction {
                class,
                proba: Some(self.priors.clone()),
                tied,
            })
            .collect()
    }
    fn explain(&self) -> Explanation {
        Explanation::None
    }
}

/// The fitted stratified-random baseline: the training class frequencies and the seed of its draws.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stratified {
    priors: Vec<f64>,
    seed: u64,
}

/// Predicts a class drawn from the training frequencies. The draw for a batch depends only on `seed`, so a fold
/// predicts the same way in every run and on any number of threads.
pub fn fit_stratified(y: &[usize], n_classes: usize, seed: u64) -> Box<dyn FittedClassifier> {
    Box::new(Stratified {
        priors: priors(y, n_classes),
        seed,
    })
}

impl FittedClassifier for Stratified {
    fn to_saved(&self) -> SavedClassifier {
        SavedClassifier::StratifiedRandom(self.clone())
    }
    fn predict(&self, x: FeatureView<'_>) -> Vec<Prediction> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        (0..x.rows())
            .map(|_| {
                let u: f64 = rng.gen();
                let mut acc = 0.0;
                let mut class = self.priors.iter().rposition(|p| *p > 0.0).unwrap_or(0);
                for (c, p) in self.priors.iter().enumerate() {
                    acc += p;
                    if u < acc {
                        class = c;
                        break;
                    }
                }
                Prediction {
                    class,
                    proba: Some(self.priors.clone()),
                    tied: false,
                }
            })
            .collect()
    }
    fn explain(&self) -> Explanation {
        Explanation::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_predicts_the_most_frequent_class() {
        let m = fit_majority(&[1, 1, 0], 3);
        let p = m.predict(sprs::CsMat::zero((2, 1)).view().into());
        assert_eq!(p[0].class, 1);
        assert_eq!(
            p[0].proba.as_ref().unwrap(),
            &vec![1.0 / 3.0, 2.0 / 3.0, 0.0]
        );
    }

    #[test]
    fn stratified_draws_follow_priors_and_are_seeded() {
        let y: Vec<usize> = (0..100).map(|i| usize::from(i % 4 == 0)).collect();
        let m = fit_stratified(&y, 2, 42);
        let a: Vec<usize> = m
            .predict(sprs::CsMat::zero((4000, 1)).view().into())
            .iter()
            .map(|p| p.class)
            .collect();
        let b: Vec<usize> = fit_stratified(&y, 2, 42)
            .predict(sprs::CsMat::zero((4000, 1)).view().into())
            .iter()
            .map(|p| p.class)
            .collect();
        assert_eq!(a, b);
        let share = a.iter().filter(|&&c| c == 1).count() as f64 / 4000.0;
        assert!((share - 0.25).abs() < 0.03, "{share}");
        assert!(a.iter().all(|&c| c < 2));
    }
}
