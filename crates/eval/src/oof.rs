//! Out-of-fold predictions of one configuration and everything derived from them: per-item votes over repeats,
//! majority-vote correctness, pooled and per-repeat confusion matrices.
//!
//! This is the one implementation of these rules: the runner, the report's error analysis and the gate all build an
//! [`OutOfFold`] (the report and the gate from the `predictions` of a [`ConfigResult`](super::results::ConfigResult)).

use super::metrics::Confusion;
use super::results::PredictionRecord;

/// One configuration's out-of-fold predictions, `[repeat][item]`, with per-item vote counts.
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfFold {
    predictions: Vec<Vec<Option<PredictionRecord>>>,
    /// `votes[item][class]`: how many repeats predicted `class` for `item`.
    votes: Vec<Vec<u32>>,
}

impl OutOfFold {
    /// Builds the votes from predictions stored `[repeat][item]` over `n_classes` classes.
    pub fn new(predictions: Vec<Vec<Option<PredictionRecord>>>, n_classes: usize) -> OutOfFold {
        let n_items = predictions.first().map_or(0, Vec::len);
        let mut votes = vec![vec![0u32; n_classes]; n_items];
        for rep in &predictions {
            for (i, p) in rep.iter().enumerate() {
                if let Some(p) = p {
                    votes[i][p.class] += 1;
                }
            }
        }
        OutOfFold { predictions, votes }
    }

    /// The predictions, `[repeat][item]`.
    pub fn predictions(&self) -> &[Vec<Option<PredictionRecord>>] {
        &self.predictions
    }

    /// Gives the predictions back (for the report), dropping the votes.
    pub fn into_predictions(self) -> Vec<Vec<Option<PredictionRecord>>> {
        self.predictions
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.votes.len()
    }

    /// How often each class was predicted for `item`, over repeats.
    pub fn votes(&self, item: usize) -> &[u32] {
        &self.votes[item]
    }

    /// How many repeats tested `item` (0 when a fixed split never tests it).
    pub fn times_tested(&self, item: usize) -> u32 {
        self.votes[item].iter().sum()
    }

    /// Per item: whether a strict majority of its repeats predicted the gold class (`None` if never tested).
    pub fn majority_correct(&self, gold: &[usize]) -> Vec<Option<bool>> {
        (0..self.n_items())
            .map(|i| {
                let total = self.times_tested(i);
                (total > 0).then(|| 2 * self.votes[i][gold[i]] > total)
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
        let mut conf = Confusion::new(self.votes.first().map_or(0, Vec::len));
        for &i in items {
            let w = weights.map_or(1.0, |w| f64::from(w[i]));
            if w == 0.0 {
                continue;
            }
            for (p, &cnt) in self.votes[i].iter().enumerate() {
                if cnt > 0 {
                    conf.add(gold[i], p, w * f64::from(cnt));
                }
            }
        }
        conf
    }

    /// The confusion matrix of one repeat alone.
    pub fn repeat_confusion(&self, repeat: usize, gold: &[usize], n_classes: usize) -> Confusion {
        let mut c = Confusion::new(n_classes);
        for (i, p) in self.predictions[repeat].iter().enumerate() {
            if let Some(p) = p {
                c.add(gold[i], p.class, 1.0);
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
}
