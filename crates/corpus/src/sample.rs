//! Stratified random subsets: the one sampler behind `data.sample` (a share of a corpus) and the learning
//! curve's training fractions (a share of a fold's training rows).
//!
//! Each class keeps its share of the rows, rounded, and at least one row; a class with no rows among those given is
//! skipped (so a declared class without items cannot make the sample fail). Rows are drawn by shuffling each class
//! with the caller's generator, class by class in class order, and returned in their original order, so the draw
//! depends only on the rows, the labels and the seed.

use rand::seq::SliceRandom;
use rand::Rng;

/// A stratified random subset of `rows`. For a class with `n` of the rows, `share(n)` is the number to keep before
/// rounding (e.g. `n as f64 * 0.5`); the result is rounded and clamped to `1..=n`. Returned in ascending order.
pub fn stratified_subset<R: Rng>(
    rows: &[usize],
    labels: &[usize],
    n_classes: usize,
    share: impl Fn(usize) -> f64,
    rng: &mut R,
) -> Vec<usize> {
    let mut keep = Vec::new();
    for c in 0..n_classes {
        let mut idx: Vec<usize> = rows.iter().copied().filter(|&i| labels[i] == c).collect();
        if idx.is_empty() {
            continue;
        }
        let want = (share(idx.len()).round() as usize).clamp(1, idx.len());
        idx.shuffle(rng);
        keep.extend_from_slice(&idx[..want]);
    }
    keep.sort_unstable();
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn an_empty_class_is_skipped_not_a_failure() {
        let labels = [0, 0, 0, 0, 2, 2];
        let rows: Vec<usize> = (0..6).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let got = stratified_subset(&rows, &labels, 3, |n| n as f64 * 0.5, &mut rng);
        assert_eq!(got.iter().filter(|&&i| labels[i] == 0).count(), 2);
        assert_eq!(got.iter().filter(|&&i| labels[i] == 2).count(), 1);
    }

    proptest! {
        #[test]
        fn every_present_class_keeps_its_rounded_share_and_at_least_one(
            labels in prop::collection::vec(0usize..3, 1..60),
            f in 0.0f64..1.0,
            seed in any::<u64>(),
        ) {
            let rows: Vec<usize> = (0..labels.len()).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let got = stratified_subset(&rows, &labels, 3, |n| n as f64 * f, &mut rng);
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
            for c in 0..3 {
                let n = labels.iter().filter(|&&l| l == c).count();
                let k = got.iter().filter(|&&i| labels[i] == c).count();
                let want = if n == 0 { 0 } else { ((n as f64 * f).round() as usize).clamp(1, n) };
                prop_assert_eq!(k, want);
            }
        }
    }
}
