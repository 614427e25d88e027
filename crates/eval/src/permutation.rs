//! The paired permutation (sign-flip) test: the verdict of every comparison between two sets of out-of-fold
//! predictions of the same items, on any metric.
//!
//! Why not the paired bootstrap's p-value: at the gold data's size it is anti-conservative. Two models that
//! disagree on 4 of 11 items, all one way, get a bootstrap p of about 0.015, while no test that respects the
//! pairing can go below 2/2⁴ = 0.125 there; under the null the bootstrap test rejects 12.5% of the time with 4
//! discordant items (nominal 5%). The permutation test is exact instead: under the null hypothesis that the two
//! configurations are exchangeable, swapping their predictions of one resampling unit (an item, or a document's
//! items) leaves the joint distribution unchanged, so the observed difference is compared with the difference of
//! every one of the 2^d swap patterns of the d units on which the predictions differ (units on which they agree
//! swap to themselves). Its size is at most α by construction, whatever the metric, the number of repeats or the
//! class balance (`tests::the_test_has_size_at_most_alpha_at_n_11` enumerates it).
//!
//! Predictions are pooled over repeats exactly as the point scores are (a unit's votes move as a whole), so the
//! statistic is the reported difference itself. Up to [`MAX_EXACT_UNITS`] differing units the 2^d patterns are
//! enumerated (Gray-code order, one unit swapped per step, so each step is one update of two confusion matrices);
//! beyond that [`MONTE_CARLO_DRAWS`] seeded random patterns give the p-value `(b + 1) / (B + 1)`, which is valid
//! (never below the exact p in expectation) for a finite number of draws.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::metrics::{score_with, Confusion, MetricName};
use super::oof::OutOfFold;
use super::stats::rng_for;

/// Most differing units whose 2^d swap patterns are enumerated (65,536 patterns); beyond, Monte Carlo.
pub const MAX_EXACT_UNITS: usize = 16;

/// Random swap patterns drawn when there are more than [`MAX_EXACT_UNITS`] differing units.
pub const MONTE_CARLO_DRAWS: usize = 9_999;

/// Coordinate tag of the Monte Carlo patterns in [`super::stats::derive_seed`].
const PERMUTATION_TAG: u64 = 0x9E27;

/// Differences within this of the observed one count as at least as extreme: pooled scores of integer vote
/// counts that are mathematically equal may differ in the last bits.
const TIE: f64 = 1e-10;

/// Which differences count as extreme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tail {
    /// `|Δ*| ≥ |Δ|`: is there any difference?
    TwoSided,
    /// `Δ* ≤ Δ` with `Δ = metric(a) − metric(b)`: is `a` worse than `b`? (the gate's question)
    Less,
}

// `Method` lives with the report's data model, which stores it; re-exported here beside the test that sets it.
pub use super::results::Method;

/// A permutation test's result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PermutationTest {
    /// The p-value.
    pub p_value: f64,
    /// Exact enumeration or Monte Carlo.
    pub method: Method,
    /// Swap patterns evaluated (2^d when exact, the draws otherwise).
    pub patterns: u64,
    /// Resampling units on which the two prediction sets differ (d).
    pub differing_units: usize,
}

/// What a comparison pairs on: the gold labels, the resampling units (the bootstrap's: items, or documents'
/// items), and how the metric is scored.
#[derive(Debug, Clone, Copy)]
pub struct Pairing<'a> {
    /// Gold class per item.
    pub gold: &'a [usize],
    /// The units that swap as a whole; together they are the evaluated items.
    pub units: &'a [Vec<usize>],
    /// Class names.
    pub classes: &'a [String],
    /// The classes F_avg averages.
    pub favg: &'a [usize],
}

/// One unit's contribution of `a` minus that of `b`, as (gold, predicted, votes) entries.
type Delta = Vec<(usize, usize, f64)>;

impl Pairing<'_> {
    fn items(&self) -> Vec<usize> {
        self.units.iter().flatten().copied().collect()
    }

    fn value(&self, c: &Confusion, metric: MetricName) -> f64 {
        score_with(c, self.classes, self.favg)
            .get(metric)
            .unwrap_or(0.0)
    }

    /// `metric(a) − metric(b)` on the pooled predictions of the units' items: the statistic the test refers to
    /// its permutation distribution (the reported difference, to the last bit).
    pub fn difference(&self, a: &OutOfFold, b: &OutOfFold, metric: MetricName) -> f64 {
        let items = self.items();
        self.value(&a.pooled_confusion(self.gold, &items, None), metric)
            - self.value(&b.pooled_confusion(self.gold, &items, None), metric)
    }

    /// The units whose votes differ, with their contribution of `a` minus `b`.
    fn deltas(&self, a: &OutOfFold, b: &OutOfFold) -> Vec<Delta> {
        self.units
            .iter()
            .filter_map(|unit| {
                let mut d: Delta = Vec::new();
                for &i in unit {
                    for (p, (&va, &vb)) in a.votes(i).iter().zip(b.votes(i)).enumerate() {
                        if va != vb {
                            d.push((self.gold[i], p, f64::from(va) - f64::from(vb)));
                        }
                    }
                }
                (!d.is_empty()).then_some(d)
            })
            .collect()
    }

    /// The paired permutation test of `metric(a) − metric(b)`; `seed` drives the Monte Carlo patterns only.
    pub fn test(
        &self,
        a: &OutOfFold,
        b: &OutOfFold,
        metric: MetricName,
        tail: Tail,
        seed: u64,
    ) -> PermutationTest {
        let items = self.items();
        let a0 = a.pooled_confusion(self.gold, &items, None);
        let b0 = b.pooled_confusion(self.gold, &items, None);
        let observed = self.value(&a0, metric) - self.value(&b0, metric);
        let deltas = self.deltas(a, b);
        let extreme = |t: f64| match tail {
            Tail::TwoSided => t.abs() >= observed.abs() - TIE,
            Tail::Less => t <= observed + TIE,
        };
        let d = deltas.len();
        if d <= MAX_EXACT_UNITS {
            let (mut ca, mut cb) = (a0, b0);
            let mut swapped = vec![false; d];
            let mut count = u64::from(extreme(observed));
            let total = 1u64 << d;
            for step in 1..total {
                // Gray code: step `s` toggles unit `trailing_zeros(s)`, so every pattern is visited once.
                let j = step.trailing_zeros() as usize;
                let sign = if swapped[j] { 1.0 } else { -1.0 };
                swapped[j] = !swapped[j];
                for &(g, p, v) in &deltas[j] {
                    ca.add(g, p, sign * v);
                    cb.add(g, p, -sign * v);
                }
                count += u64::from(extreme(self.value(&ca, metric) - self.value(&cb, metric)));
            }
            PermutationTest {
                p_value: count as f64 / total as f64,
                method: Method::Exact,
                patterns: total,
                differing_units: d,
            }
        } else {
            // Units with the same contribution are interchangeable: a pattern moves the confusion matrices by how
            // many of a kind it swaps, so each kind's units take consecutive bits of the random words and a
            // popcount replaces one draw and one matrix update per unit. Each unit is still swapped with
            // probability ½, independently, so the patterns have the distribution the test needs.
            let kinds = kinds_of(&deltas);
            let mut rng = rng_for(seed, &[PERMUTATION_TAG]);
            let mut count = 0u64;
            for _ in 0..MONTE_CARLO_DRAWS {
                let (mut ca, mut cb) = (a0.clone(), b0.clone());
                for (delta, members) in &kinds {
                    let swapped = swapped_among(&mut rng, *members);
                    if swapped > 0 {
                        let times = swapped as f64;
                        for &(g, p, v) in delta.iter() {
                            ca.add(g, p, -v * times);
                            cb.add(g, p, v * times);
                        }
                    }
                }
                count += u64::from(extreme(self.value(&ca, metric) - self.value(&cb, metric)));
            }
            PermutationTest {
                p_value: (count + 1) as f64 / (MONTE_CARLO_DRAWS + 1) as f64,
                method: Method::MonteCarlo,
                patterns: MONTE_CARLO_DRAWS as u64,
                differing_units: d,
            }
        }
    }

    /// The smallest `|metric difference|` from `best` that the two-sided test can call significant at `alpha`,
    /// found by construction: another prediction set that differs from `best` by one vote on each of
    /// `min_units` units (the fewest that can reach `p < alpha`), all in one direction, on the units whose single
    /// vote moves the metric least. `None` when there are fewer units than that, or no such set reaches
    /// `p < alpha`. A statement "a difference as small as this can be significant" is therefore true by example;
    /// differences from fewer than `min_units` units cannot be significant at all.
    pub fn smallest_significant_difference(
        &self,
        best: &OutOfFold,
        metric: MetricName,
        alpha: f64,
        min_units: usize,
    ) -> Option<f64> {
        let n_classes = self.classes.len();
        let base = best.pooled_confusion(self.gold, &self.items(), None);
        let base_value = self.value(&base, metric);
        let mut smallest: Option<f64> = None;
        for worse in [true, false] {
            // Per unit, the single-vote change (item, repeat, new class) that moves the metric least.
            let mut candidates: Vec<(f64, usize, usize, usize)> = Vec::new();
            for unit in self.units {
                let mut pick: Option<(f64, usize, usize, usize)> = None;
                for &i in unit {
                    let Some((r, class)) = one_vote(best, i, self.gold[i], n_classes, worse) else {
                        continue;
                    };
                    // One vote moves one count of the pooled matrix, so the changed matrix is the base one with
                    // that count moved (whole numbers: the same f64 values as pooling the changed predictions,
                    // without a copy of every prediction and a pass over all items per candidate).
                    let mut alt = base.clone();
                    if let Some(old) = best.class(r, i) {
                        alt.add(self.gold[i], old, -1.0);
                        alt.add(self.gold[i], class, 1.0);
                    }
                    let moved = (self.value(&alt, metric) - base_value).abs();
                    if pick.is_none_or(|p| moved < p.0) {
                        pick = Some((moved, i, r, class));
                    }
                }
                candidates.extend(pick);
            }
            if candidates.len() < min_units {
                continue;
            }
            candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            let changes: Vec<(usize, usize, usize)> = candidates[..min_units]
                .iter()
                .map(|&(_, i, r, c)| (i, r, c))
                .collect();
            let alt = with_vote(best, &changes);
            let t = self.test(&alt, best, metric, Tail::TwoSided, 0);
            if t.p_value < alpha {
                let d = self.difference(&alt, best, metric).abs();
                smallest = Some(smallest.map_or(d, |s: f64| s.min(d)));
            }
        }
        smallest
    }
}

/// The distinct contributions among `deltas`, each with how many units have it, in order of first appearance.
fn kinds_of(deltas: &[Delta]) -> Vec<(&Delta, usize)> {
    let mut kinds: Vec<(&Delta, usize)> = Vec::new();
    let mut at: std::collections::HashMap<Vec<(usize, usize, i64)>, usize> =
        std::collections::HashMap::new();
    for delta in deltas {
        // Vote differences are whole numbers, so the integer key identifies the contribution exactly.
        let key: Vec<(usize, usize, i64)> =
            delta.iter().map(|&(g, p, v)| (g, p, v as i64)).collect();
        match at.get(&key) {
            Some(&k) => kinds[k].1 += 1,
            None => {
                at.insert(key, kinds.len());
                kinds.push((delta, 1));
            }
        }
    }
    kinds
}

/// How many of `members` units a random pattern swaps: one fair random bit per unit, 64 to a word.
fn swapped_among<R: Rng>(rng: &mut R, members: usize) -> u32 {
    let mut swapped = 0;
    let mut left = members;
    while left > 0 {
        let word: u64 = rng.gen();
        let take = left.min(64);
        let mask = if take == 64 {
            u64::MAX
        } else {
            (1u64 << take) - 1
        };
        swapped += (word & mask).count_ones();
        left -= take;
    }
    swapped
}

/// A repeat and a new class that change one vote of `item`: a right vote made wrong (`worse`) or a wrong vote
/// made right.
fn one_vote(
    oof: &OutOfFold,
    item: usize,
    gold: usize,
    n_classes: usize,
    worse: bool,
) -> Option<(usize, usize)> {
    (0..oof.n_repeats()).find_map(|r| {
        let class = oof.class(r, item)?;
        match (worse, class == gold) {
            (true, true) => Some((r, (gold + 1) % n_classes)),
            (false, false) => Some((r, gold)),
            _ => None,
        }
    })
}

/// `oof` with the given (item, repeat, class) votes changed.
fn with_vote(oof: &OutOfFold, changes: &[(usize, usize, usize)]) -> OutOfFold {
    let mut changed = oof.clone();
    for &(i, r, class) in changes {
        if oof.class(r, i).is_some() {
            changed.set(r, i, class, oof.tied(r, i));
        }
    }
    changed
}

/// Resampling units for a paired comparison of two runs' predictions: the items' documents (or groups) when
/// `clustered` and every evaluated item has one and there are several, else one unit per item. The runner uses
/// its plan's clusters; the gate and `stance diff` pass the items' `doc` field of a report.
pub fn units_of(
    evaluated: &[usize],
    doc: &dyn Fn(usize) -> Option<String>,
    clustered: bool,
) -> Vec<Vec<usize>> {
    if clustered {
        let mut by: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        let mut all = true;
        for &i in evaluated {
            match doc(i) {
                Some(d) => by.entry(d).or_default().push(i),
                None => all = false,
            }
        }
        if all && by.len() > 1 {
            return by.into_values().collect();
        }
    }
    evaluated.iter().map(|&i| vec![i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::PredictionRecord;

    fn rec(class: usize) -> Option<PredictionRecord> {
        Some(PredictionRecord {
            fold: 0,
            class,
            proba: None,
            tied: false,
        })
    }

    /// One repeat: `right[i]` says whether item `i` is predicted as its gold class.
    fn oof(gold: &[usize], right: &[bool]) -> OutOfFold {
        let rep = gold
            .iter()
            .zip(right)
            .map(|(&g, &ok)| rec(if ok { g } else { 1 - g }))
            .collect();
        OutOfFold::new(vec![rep], 2)
    }

    fn classes() -> Vec<String> {
        vec!["support".into(), "oppose".into()]
    }

    /// The gold data's shape: 8 support, 3 oppose.
    const GOLD: [usize; 11] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1];

    /// The size of the test, computed exactly: under the null every one of the 2^d assignments of the d
    /// discordant items' (right, wrong) pairs to the two models is equally likely, so the rejection rate is the
    /// share of assignments whose p is below α. At n = 11 with 4, 8 and 11 discordant items, on accuracy and on
    /// macro-F1, it must not exceed α = 0.05 (the paired bootstrap's p rejects 12.5%, 7.0% and 6.5% there).
    #[test]
    fn the_test_has_size_at_most_alpha_at_n_11() {
        let classes = classes();
        let units: Vec<Vec<usize>> = (0..11).map(|i| vec![i]).collect();
        let pairing = Pairing {
            gold: &GOLD,
            units: &units,
            classes: &classes,
            favg: &[0, 1],
        };
        let alpha = 0.05;
        for d in [4usize, 8, 11] {
            // Discordant items spread over both classes; the others are right for both models.
            let discordant: Vec<usize> = (0..11).rev().take(d).collect();
            for metric in [MetricName::Accuracy, MetricName::MacroF1] {
                let mut rejected = 0u64;
                for pattern in 0u64..(1 << d) {
                    let mut ra = [true; 11];
                    let mut rb = [true; 11];
                    for (bit, &i) in discordant.iter().enumerate() {
                        if pattern >> bit & 1 == 1 {
                            ra[i] = false;
                        } else {
                            rb[i] = false;
                        }
                    }
                    let t = pairing.test(
                        &oof(&GOLD, &ra),
                        &oof(&GOLD, &rb),
                        metric,
                        Tail::TwoSided,
                        0,
                    );
                    assert_eq!(t.method, Method::Exact);
                    assert_eq!(t.differing_units, d);
                    rejected += u64::from(t.p_value <= alpha);
                }
                let rate = rejected as f64 / (1u64 << d) as f64;
                assert!(rate <= alpha, "d = {d}, {metric}: rejection rate {rate}");
                // At d = 11 the test is not empty: it rejects the most lopsided assignments.
                if d == 11 && metric == MetricName::Accuracy {
                    assert!(rate > 0.0, "{rate}");
                }
            }
        }
    }

    /// numpy enumeration (`scripts/crosscheck.py pins`, section "permutation"): the example, two models
    /// disagreeing on 4 items all one way, has exact p = 2/16 = 0.125 (the bootstrap said 0.015), and 6 items all
    /// one way give 2/64.
    #[test]
    fn lopsided_disagreements_get_the_exact_p() {
        let classes = classes();
        let units: Vec<Vec<usize>> = (0..11).map(|i| vec![i]).collect();
        let pairing = Pairing {
            gold: &GOLD,
            units: &units,
            classes: &classes,
            favg: &[0, 1],
        };
        let all = [true; 11];
        let mut four = all;
        for i in [0, 1, 2, 8] {
            four[i] = false;
        }
        let t = pairing.test(
            &oof(&GOLD, &all),
            &oof(&GOLD, &four),
            MetricName::Accuracy,
            Tail::TwoSided,
            0,
        );
        assert_eq!((t.p_value, t.patterns, t.differing_units), (0.125, 16, 4));
        let one_sided = pairing.test(
            &oof(&GOLD, &four),
            &oof(&GOLD, &all),
            MetricName::MacroF1,
            Tail::Less,
            0,
        );
        assert_eq!(one_sided.p_value, 1.0 / 16.0);
        let mut six = all;
        for i in [0, 1, 2, 3, 8, 9] {
            six[i] = false;
        }
        let t = pairing.test(
            &oof(&GOLD, &all),
            &oof(&GOLD, &six),
            MetricName::MacroF1,
            Tail::TwoSided,
            0,
        );
        assert_eq!(t.p_value, 2.0 / 64.0);
        // Identical predictions: nothing differs, p = 1.
        let t = pairing.test(
            &oof(&GOLD, &all),
            &oof(&GOLD, &all),
            MetricName::MacroF1,
            Tail::TwoSided,
            0,
        );
        assert_eq!((t.p_value, t.differing_units), (1.0, 0));
    }

    /// The example of the pooled metric: 6 items right in 6 of 10 repeats for one model and 4 of 10 for the
    /// other differ by 0.109 in pooled accuracy and are significant (p = 2/64), well below "0.545".
    #[test]
    fn pooled_differences_are_tested_on_the_pooled_metric() {
        let classes = classes();
        let units: Vec<Vec<usize>> = (0..11).map(|i| vec![i]).collect();
        let pairing = Pairing {
            gold: &GOLD,
            units: &units,
            classes: &classes,
            favg: &[0, 1],
        };
        let repeats = |right_in: &dyn Fn(usize, usize) -> bool| {
            OutOfFold::new(
                (0..10)
                    .map(|r| {
                        (0..11)
                            .map(|i| rec(if right_in(i, r) { GOLD[i] } else { 1 - GOLD[i] }))
                            .collect()
                    })
                    .collect(),
                2,
            )
        };
        let a = repeats(&|i, r| i >= 6 || r < 6);
        let b = repeats(&|i, r| i >= 6 || r < 4);
        let delta = pairing.difference(&a, &b, MetricName::Accuracy);
        assert!((delta - 12.0 / 110.0).abs() < 1e-12, "{delta}");
        let t = pairing.test(&a, &b, MetricName::Accuracy, Tail::TwoSided, 0);
        assert_eq!(t.p_value, 2.0 / 64.0);
        // The smallest significant accuracy difference from `a`: one vote on each of 6 items, 6/110.
        let s = pairing
            .smallest_significant_difference(&a, MetricName::Accuracy, 0.05, 6)
            .unwrap();
        assert!((s - 6.0 / 110.0).abs() < 1e-12, "{s}");
        // With 5 units nothing can be significant.
        assert_eq!(
            pairing.smallest_significant_difference(&a, MetricName::Accuracy, 0.05, 5),
            None
        );
    }

    /// Documents swap as a whole: two items of one document count as one differing unit.
    #[test]
    fn clusters_swap_as_a_whole() {
        let classes = classes();
        let units = vec![vec![0, 1], vec![2], vec![3]];
        let gold = [0, 0, 1, 0];
        let pairing = Pairing {
            gold: &gold,
            units: &units,
            classes: &classes,
            favg: &[0, 1],
        };
        let t = pairing.test(
            &oof(&gold, &[true, true, true, true]),
            &oof(&gold, &[false, false, true, false]),
            MetricName::Accuracy,
            Tail::TwoSided,
            0,
        );
        assert_eq!((t.differing_units, t.patterns, t.p_value), (2, 4, 0.5));
        let by_doc = units_of(
            &[0, 1, 2, 3],
            &|i| Some(["a", "a", "b", "c"][i].to_string()),
            true,
        );
        assert_eq!(by_doc, vec![vec![0, 1], vec![2], vec![3]]);
        assert_eq!(units_of(&[0, 1], &|_| None, true), vec![vec![0], vec![1]]);
    }

    /// Beyond the exact limit the p-value is Monte Carlo, seeded, and never 0.
    #[test]
    fn many_differing_units_use_seeded_monte_carlo() {
        let n = MAX_EXACT_UNITS + 4;
        let gold: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let classes = classes();
        let units: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        let pairing = Pairing {
            gold: &gold,
            units: &units,
            classes: &classes,
            favg: &[0, 1],
        };
        let a = oof(&gold, &vec![true; n]);
        let b = oof(&gold, &vec![false; n]);
        let t = pairing.test(&a, &b, MetricName::Accuracy, Tail::TwoSided, 7);
        assert_eq!(t.method, Method::MonteCarlo);
        assert_eq!(t.patterns, MONTE_CARLO_DRAWS as u64);
        assert!(t.p_value >= 1.0 / (MONTE_CARLO_DRAWS + 1) as f64);
        assert!(t.p_value < 0.01, "{}", t.p_value);
        assert_eq!(
            t,
            pairing.test(&a, &b, MetricName::Accuracy, Tail::TwoSided, 7)
        );
    }

    /// Beyond the exact limit, the Monte Carlo p (which draws how many units of each kind swap) estimates the
    /// exact p: 20 differing units of four kinds on 40 items, the exact p enumerated here over all 2^20 patterns
    /// by re-scoring every pattern from its predictions, independently of the harness's matrix updates.
    #[test]
    fn monte_carlo_agrees_with_the_enumerated_p_beyond_the_exact_limit() {
        let n = 40;
        let gold: Vec<usize> = (0..n).map(|i| usize::from(i % 3 == 0)).collect();
        let units: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        let classes = classes();
        let pairing = Pairing {
            gold: &gold,
            units: &units,
            classes: &classes,
            favg: &[0, 1],
        };
        // Items 0..20 differ: `a` is right on 12 of them, `b` on the other 8; both are right on 20..30 and wrong
        // on 30..40.
        let a_right: Vec<bool> = (0..n)
            .map(|i| (i < 20 && i % 5 < 3) || (20..30).contains(&i))
            .collect();
        let b_right: Vec<bool> = (0..n)
            .map(|i| (i < 20 && i % 5 >= 3) || (20..30).contains(&i))
            .collect();
        let (a, b) = (oof(&gold, &a_right), oof(&gold, &b_right));
        let f1 = |right: &[bool]| {
            let pred: Vec<usize> = gold
                .iter()
                .zip(right)
                .map(|(&g, &r)| if r { g } else { 1 - g })
                .collect();
            pairing.value(&Confusion::from_pairs(2, &gold, &pred), MetricName::MacroF1)
        };
        let observed = f1(&a_right) - f1(&b_right);
        let mut extreme = 0u64;
        for pattern in 0u32..1 << 20 {
            let (mut x, mut y) = (a_right.clone(), b_right.clone());
            for i in (0..20).filter(|i| pattern >> i & 1 == 1) {
                std::mem::swap(&mut x[i], &mut y[i]);
            }
            extreme += u64::from((f1(&x) - f1(&y)).abs() >= observed.abs() - TIE);
        }
        let exact = extreme as f64 / f64::from(1u32 << 20);
        let t = pairing.test(&a, &b, MetricName::MacroF1, Tail::TwoSided, 3);
        assert_eq!(t.method, Method::MonteCarlo);
        assert_eq!(t.differing_units, 20);
        assert!(exact > 0.05 && exact < 0.5, "a p worth estimating: {exact}");
        // 9,999 draws: standard error at most 0.005.
        assert!(
            (t.p_value - exact).abs() < 0.015,
            "Monte Carlo {} against exact {exact}",
            t.p_value
        );
    }

    /// The smallest significant difference, found from one matrix count moved per candidate, is the one found by
    /// changing each candidate vote in a copy of the predictions and pooling them again.
    #[test]
    fn smallest_difference_equals_repooling_every_candidate() {
        let n = 30;
        let gold: Vec<usize> = (0..n).map(|i| usize::from(i % 4 == 0)).collect();
        let units: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        let classes = classes();
        let pairing = Pairing {
            gold: &gold,
            units: &units,
            classes: &classes,
            favg: &[0, 1],
        };
        let repeat = |shift: usize| -> Vec<Option<PredictionRecord>> {
            (0..n)
                .map(|i| {
                    rec(if (i * 7 + shift) % 5 < 3 {
                        gold[i]
                    } else {
                        1 - gold[i]
                    })
                })
                .collect()
        };
        let best = OutOfFold::new(vec![repeat(0), repeat(2)], 2);
        for metric in [MetricName::Accuracy, MetricName::MacroF1] {
            for min_units in [3, 6, 9] {
                let mut reference: Option<f64> = None;
                for worse in [true, false] {
                    let mut candidates: Vec<(f64, usize, usize, usize)> = Vec::new();
                    for &i in units.iter().flatten() {
                        if let Some((r, class)) = one_vote(&best, i, gold[i], 2, worse) {
                            let alt = with_vote(&best, &[(i, r, class)]);
                            candidates.push((
                                pairing.difference(&alt, &best, metric).abs(),
                                i,
                                r,
                                class,
                            ));
                        }
                    }
                    if candidates.len() < min_units {
                        continue;
                    }
                    candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                    let changes: Vec<(usize, usize, usize)> = candidates[..min_units]
                        .iter()
                        .map(|&(_, i, r, c)| (i, r, c))
                        .collect();
                    let alt = with_vote(&best, &changes);
                    if pairing.test(&alt, &best, metric, Tail::TwoSided, 0).p_value < 0.05 {
                        let d = pairing.difference(&alt, &best, metric).abs();
                        reference = Some(reference.map_or(d, |s: f64| s.min(d)));
                    }
                }
                assert_eq!(
                    pairing.smallest_significant_difference(&best, metric, 0.05, min_units),
                    reference,
                    "{metric:?}, {min_units} units"
                );
            }
        }
    }
}
