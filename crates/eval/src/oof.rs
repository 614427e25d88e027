//! Out-of-fold predictions of one configuration and everything derived from them: per-item votes over repeats,
//! majority-vote correctness, pooled and per-repeat confusion matrices.
//!
//! This is the one implementation of these rules: the runner, the report's error analysis and the gate all build an
//! [`OutOfFold`] (the report and the gate from the `predictions` of a [`ConfigResult`](super::results::ConfigResult)).

use super::metrics::Confusion;
use super::results::PredictionRecord;

/// Set in a [`OutOfFold`] code when the training prior broke a tie between top scores.
const TIED: u32 = 1 << 31;

/// One configuration's out-of-fold predicted classes, `[repeat][item]`, with per-item vote counts: a few bytes a
/// prediction, and everything every statistic reads (class probabilities are kept apart, by
/// [`super::store::Predictions`], since only the predictions file needs them).
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfFold {
    n_items: usize,
    n_classes: usize,
    repeats: usize,
    /// `codes[repeat * n_items + item]`: 0 when that repeat did not test the item, else 1 + the predicted class,
    /// with [`TIED`] set when the prior decided.
    codes: Vec<u32>,
    /// `votes[item * n_classes + class]`: how many repeats predicted `class` for `item`.
    votes: Vec<u32>,
}

impl OutOfFold {
    /// Builds the votes from predictions stored `[repeat][item]` over `n_classes` classes (the item count is the
    /// first repeat's).
    pub fn new(predictions: Vec<Vec<Option<PredictionRecord>>>, n_classes: usize) -> OutOfFold {
        let n_items = predictions.first().map_or(0, Vec::len);
        let mut oof = OutOfFold::empty(n_items, predictions.len(), n_classes);
        for (r, rep) in predictions.iter().enumerate() {
            for (i, p) in rep.iter().enumerate() {
                if let Some(p) = p {
                    oof.set(r, i, p.class, p.tied);
                }
            }
        }
        oof
    }

    /// No predictions yet for `n_items` items over `repeats` repeats.
    pub fn empty(n_items: usize, repeats: usize, n_classes: usize) -> OutOfFold {
        OutOfFold {
            n_items,
            n_classes,
            repeats,
            codes: vec![0; n_items * repeats],
            votes: vec![0; n_items * n_classes],
        }
    }

    /// Records that `repeat` predicted `class` for `item` (`tied`: the prior decided). Each (repeat, item) is set
    /// at most once: a repeat tests an item in one fold.
    pub fn set(&mut self, repeat: usize, item: usize, class: usize, tied: bool) {
        assert!(
            class < self.n_classes,
            "class {class} of {}",
            self.n_classes
        );
        let code = &mut self.codes[repeat * self.n_items + item];
        if let Some(old) = decode(*code) {
            self.votes[item * self.n_classes + old] -= 1;
        }
        *code = (class as u32 + 1) | if tied { TIED } else { 0 };
        self.votes[item * self.n_classes + class] += 1;
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// Number of repeats.
    pub fn n_repeats(&self) -> usize {
        self.repeats
    }

    /// The class `repeat` predicted for `item` (`None`: not tested in that repeat).
    pub fn class(&self, repeat: usize, item: usize) -> Option<usize> {
        decode(self.codes[repeat * self.n_items + item])
    }

    /// Whether the training prior decided `repeat`'s prediction for `item` after a tie.
    pub fn tied(&self, repeat: usize, item: usize) -> bool {
        self.codes[repeat * self.n_items + item] & TIED != 0
    }

    /// Every prediction's class, repeat by repeat, item by item (`None` where a repeat did not test an item).
    pub fn classes(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        self.codes.iter().map(|&c| decode(c))
    }

    /// Predictions the training prior decided after a tie.
    pub fn tied_count(&self) -> u64 {
        self.codes.iter().filter(|&&c| c & TIED != 0).count() as u64
    }

    /// `repeat`'s prediction for `item` as the report records it, with its fold and probabilities.
    pub fn record(
        &self,
        repeat: usize,
        item: usize,
        fold: usize,
        proba: Option<Vec<f64>>,
    ) -> Option<PredictionRecord> {
        self.class(repeat, item).map(|class| PredictionRecord {
            fold,
            class,
            proba,
            tied: self.tied(repeat, item),
        })
    }

    /// How often each class was predicted for `item`, over repeats.
    pub fn votes(&self, item: usize) -> &[u32] {
        &self.votes[item * self.n_classes..(item + 1) * self.n_classes]
    }

    /// How many repeats tested `item` (0 when a fixed split never tests it).
    pub fn times_tested(&self, item: usize) -> u32 {
        self.votes(item).iter().sum()
    }

    /// Per item: whether a strict majority of its repeats predicted the gold class (`None` if never tested).
    pub fn majority_correct(&self, gold: &[usize]) -> Vec<Option<bool>> {
        (0..self.n_items())
            .map(|i| {
                let total = self.times_tested(i);
                (total > 0).then(|| 2 * self.votes(i)[gold[i]] > total)
            })
            .collect()
    }

    /// Confusion counts pooled over repeats for the given items, each weighted by `weights[item]` (a bootstrap
    /// multiplicity) when given.
    pub fn pooled_confusion(
        &self,
        gold: &[usize],
        items: &[usize],
        weights: Option<&[u32]>,
    ) -> Confusion {
        // Every term is a whole number, so summing in integers gives exactly the f64 sums (and is what makes the
        // bootstrap's millions of items per replicate cheap).
        let k = self.n_classes;
        let mut counts = vec![0u64; k * k];
        for &i in items {
            let w = weights.map_or(1, |w| u64::from(w[i]));
            if w == 0 {
                continue;
            }
            let row = &mut counts[gold[i] * k..(gold[i] + 1) * k];
            for (c, &cnt) in row.iter_mut().zip(self.votes(i)) {
                *c += w * u64::from(cnt);
            }
        }
        let mut conf = Confusion::new(k);
        for g in 0..k {
            for p in 0..k {
                if counts[g * k + p] > 0 {
                    conf.add(g, p, counts[g * k + p] as f64);
                }
            }
        }
        conf
    }

    /// The confusion matrix of one repeat alone.
    pub fn repeat_confusion(&self, repeat: usize, gold: &[usize], n_classes: usize) -> Confusion {
        let mut c = Confusion::new(n_classes);
        for (i, &g) in gold.iter().enumerate().take(self.n_items) {
            if let Some(p) = self.class(repeat, i) {
                c.add(g, p, 1.0);
            }
        }
        c
    }

    /// McNemar's discordant counts against another configuration on majority-vote correctness:
    /// (items only `self` got right, items only `other` got right).
    pub fn discordant(&self, other: &OutOfFold, gold: &[usize]) -> (u64, u64) {
        let (a, b) = (self.majority_correct(gold), other.majority_correct(gold));
        let mut only_a = 0;
        let mut only_b = 0;
        for (x, y) in a.iter().zip(&b) {
            match (x, y) {
                (Some(true), Some(false)) => only_a += 1,
                (Some(false), Some(true)) => only_b += 1,
                _ => {}
            }
        }
        (only_a, only_b)
    }
}

fn decode(code: u32) -> Option<usize> {
    let class = code & !TIED;
    (class > 0).then(|| class as usize - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(class: usize) -> Option<PredictionRecord> {
        Some(PredictionRecord {
            fold: 0,
            class,
            proba: None,
            tied: false,
        })
    }

    #[test]
    fn votes_and_majorities_follow_the_repeats() {
        // Item 0: 2 of 3 correct; item 1: 1 of 3 correct; item 2: never tested.
        let oof = OutOfFold::new(
            vec![
                vec![rec(0), rec(1), None],
                vec![rec(0), rec(0), None],
                vec![rec(1), rec(0), None],
            ],
            2,
        );
        assert_eq!(oof.votes(0), &[2, 1]);
        assert_eq!(oof.times_tested(2), 0);
        assert_eq!(
            oof.majority_correct(&[0, 1, 0]),
            vec![Some(true), Some(false), None]
        );
        let c = oof.pooled_confusion(&[0, 1, 0], &[0, 1, 2], None);
        assert_eq!(c.rows(), vec![vec![2, 1], vec![2, 1]]);
        let w = oof.pooled_confusion(&[0, 1, 0], &[0, 1, 2], Some(&[2, 0, 5]));
        assert_eq!(w.rows(), vec![vec![4, 2], vec![0, 0]]);
        assert_eq!(
            oof.repeat_confusion(1, &[0, 1, 0], 2).rows(),
            vec![vec![1, 0], vec![1, 0]]
        );
    }

    #[test]
    fn discordant_counts_are_symmetric() {
        let a = OutOfFold::new(vec![vec![rec(0), rec(0), rec(1)]], 2);
        let b = OutOfFold::new(vec![vec![rec(1), rec(0), rec(0)]], 2);
        let gold = [0, 0, 0];
        assert_eq!(a.discordant(&b, &gold), (1, 1));
        let c = OutOfFold::new(vec![vec![rec(1), rec(1), rec(1)]], 2);
        assert_eq!(a.discordant(&c, &gold), (2, 0));
        assert_eq!(c.discordant(&a, &gold), (0, 2));
    }

    proptest::proptest! {
        /// The compact layout gives what the nested records give: votes, classes, ties, and the weighted pooled
        /// confusion exactly as f64 sums over the records (the implementation this one replaced).
        #[test]
        fn compact_votes_and_confusions_match_the_records(
            n in 1usize..12,
            repeats in 1usize..4,
            k in 2usize..4,
            cells in proptest::collection::vec(0usize..5, 48),
            weights in proptest::collection::vec(0u32..4, 12),
        ) {
            let preds: Vec<Vec<Option<PredictionRecord>>> = (0..repeats)
                .map(|r| (0..n).map(|i| {
                    let v = cells[(r * n + i) % cells.len()];
                    (v < k + 1 && v > 0).then(|| PredictionRecord {
                        fold: 0,
                        class: v - 1,
                        proba: None,
                        tied: (r + i) % 3 == 0,
                    })
                }).collect())
                .collect();
            let gold: Vec<usize> = (0..n).map(|i| i % k).collect();
            let items: Vec<usize> = (0..n).collect();
            let oof = OutOfFold::new(preds.clone(), k);
            let mut reference = Confusion::new(k);
            for rep in &preds {
                for (i, p) in rep.iter().enumerate() {
                    if let Some(p) = p {
                        reference.add(gold[i], p.class, f64::from(weights[i]));
                    }
                }
            }
            let compact = oof.pooled_confusion(&gold, &items, Some(&weights[..n]));
            for g in 0..k {
                for p in 0..k {
                    proptest::prop_assert_eq!(compact.get(g, p).to_bits(), reference.get(g, p).to_bits());
                }
            }
            for (r, rep) in preds.iter().enumerate() {
                for (i, p) in rep.iter().enumerate() {
                    proptest::prop_assert_eq!(oof.class(r, i), p.as_ref().map(|p| p.class));
                    proptest::prop_assert_eq!(oof.tied(r, i), p.as_ref().is_some_and(|p| p.tied));
                }
            }
            let ties = preds.iter().flatten().flatten().filter(|p| p.tied).count() as u64;
            proptest::prop_assert_eq!(oof.tied_count(), ties);
        }
    }

    #[test]
    fn setting_a_prediction_again_moves_its_vote() {
        let mut oof = OutOfFold::empty(2, 1, 3);
        oof.set(0, 1, 2, false);
        oof.set(0, 1, 0, true);
        assert_eq!(oof.votes(1), &[1, 0, 0]);
        assert_eq!((oof.class(0, 1), oof.tied(0, 1)), (Some(0), true));
        assert_eq!(oof.times_tested(0), 0);
    }
}
