//! Ranking and comparisons: the leaderboard order, every configuration against the best, what the data can
//! resolve, and the warnings a reader needs.

use std::fmt;

use rayon::prelude::*;

use super::bootstrap::Replicates;
use super::metrics::{MetricName, Scores};
use super::oof::OutOfFold;
use super::permutation::{Pairing, PermutationTest, Tail};
use super::plan::Cell;
use super::results::{Comparison, ConfigResult, CorrectedT, Estimate, McNemar, Power};
use super::stats::{
    corrected_resampled_t, derive_seed, holm, mcnemar_exact, min_discordant_for_significance,
};

/// Something a reader should know about a run. Rendered by the report (see [`fmt::Display`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// A training fold lacks some classes, so no model can predict them there.
    FoldMissingClasses {
        /// Which fold.
        fold: String,
        /// The classes it lacks.
        missing: Vec<String>,
    },
    /// A class has few evaluated items.
    SmallClass {
        /// The class.
        class: String,
        /// Its evaluated items.
        count: usize,
    },
    /// No difference between two models can reach significance with this many resampling units.
    NothingCanBeSignificant {
        /// Resampling units (items, or documents when the run resamples documents).
        n_units: usize,
        /// The significance level.
        alpha: f64,
        /// The fewest differing units the exact paired test needs.
        min_discordant: u64,
    },
}

/// Classes with fewer evaluated items than this get a [`Warning::SmallClass`].
pub const SMALL_CLASS: usize = 30;

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::FoldMissingClasses { fold, missing } => write!(
                f,
                "{fold}: the training rows have no '{}' items, so no model can predict that class there",
                missing.join("', '")
            ),
            Warning::SmallClass { class, count } => write!(
                f,
                "class '{class}' has only {count} evaluated item(s): per-class scores move by {:.2} or more when a \
                 single item flips, and every interval is wide",
                1.0 / (*count).max(1) as f64
            ),
            Warning::NothingCanBeSignificant {
                n_units,
                alpha,
                min_discordant,
            } => write!(
                f,
                "with {n_units} resampling units no difference between two models can be significant at alpha = \
                 {alpha} (the exact paired permutation test needs predictions that differ on at least \
                 {min_discordant} of them)"
            ),
        }
    }
}

/// The leaderboard: cells at the largest training fraction, by headline (descending), ties by id; and the best
/// cell the harness cross-validated (not a baseline, not an outside system: a system's predictions were made
/// elsewhere, maybe by a model trained on these very items, so it is ranked and compared but never the best).
pub fn rank(cells: &[Cell], points: &[Scores], headline: MetricName) -> (Vec<usize>, usize) {
    let last = cells.iter().map(|c| c.fraction).max().unwrap_or(0);
    let value = |ci: usize| points[ci].get(headline).unwrap_or(0.0);
    let mut ranked: Vec<usize> = (0..cells.len())
        .filter(|&ci| cells[ci].fraction == last)
        .collect();
    ranked.sort_by(|&a, &b| {
        value(b)
            .total_cmp(&value(a))
            .then_with(|| cells[a].id.cmp(&cells[b].id))
    });
    let best = *ranked
        .iter()
        .find(|&&ci| cells[ci].variant().is_some())
        .expect("a plan has at least one model");
    (ranked, best)
}

/// What the comparisons need to see.
pub struct Evidence<'a> {
    /// The cells.
    pub cells: &'a [Cell],
    /// Their out-of-fold predictions.
    pub oof: &'a [OutOfFold],
    /// Gold class per item.
    pub gold: &'a [usize],
    /// Point scores per cell.
    pub points: &'a [Scores],
    /// Bootstrap replicates.
    pub replicates: &'a Replicates,
    /// The headline metric.
    pub headline: MetricName,
    /// Per cell, the headline per fold (aligned across cells), for the corrected resampled t-test.
    pub fold_headlines: &'a [Vec<f64>],
    /// Mean training and test sizes of a fold, when the scheme is k-fold (the t-test's correction needs them): the
    /// training size is that of the compared cells (a learning curve's largest fraction), not the full fold's.
    pub fold_sizes: Option<(f64, f64)>,
    /// What the exact paired test swaps: the bootstrap's resampling units, gold labels, classes.
    pub pairing: Pairing<'a>,
    /// The run's seed (Monte Carlo patterns of the permutation test, beyond its exact limit).
    pub seed: u64,
}

impl Evidence<'_> {
    fn headline(&self, ci: usize) -> f64 {
        self.points[ci].get(self.headline).unwrap_or(0.0)
    }

    /// Headline of `a` minus headline of `b`, with its 95% paired bootstrap interval.
    pub fn headline_difference(&self, a: usize, b: usize) -> Estimate {
        self.replicates
            .difference(a, b, self.headline, self.headline(a) - self.headline(b))
    }

    /// The exact paired permutation test of `a`'s headline minus `b`'s (two-sided), seeded by the pair.
    pub fn permutation(&self, a: usize, b: usize) -> PermutationTest {
        self.pairing.test(
            &self.oof[a],
            &self.oof[b],
            self.headline,
            Tail::TwoSided,
            derive_seed(self.seed, &[a as u64, b as u64]),
        )
    }

    /// McNemar's exact p-value between two cells' majority-vote correctness, with the discordant counts.
    pub fn mcnemar(&self, a: usize, b: usize) -> (u64, u64, f64) {
        let (only_a, only_b) = self.oof[a].discordant(&self.oof[b], self.gold);
        (only_a, only_b, mcnemar_exact(only_a, only_b))
    }

    /// The corrected resampled t-test of `a` minus `b` on per-fold headlines.
    fn corrected_t(&self, a: usize, b: usize) -> Option<(f64, usize, f64)> {
        let (n_train, n_test) = self.fold_sizes?;
        let d: Vec<f64> = self.fold_headlines[a]
            .iter()
            .zip(&self.fold_headlines[b])
            .map(|(x, y)| x - y)
            .collect();
        corrected_resampled_t(&d, n_train, n_test)
    }
}

/// Every ranked cell other than the best against the best. The verdict is the exact paired permutation test of the
/// headline difference ([`super::permutation`]), Holm-adjusted over the comparisons: the star, the p column and the
/// report's words all come from it. The paired bootstrap's 95% interval of the difference is reported as an
/// interval only; McNemar (accuracy) and the corrected t-test are reported beside it, each Holm-adjusted on its own.
pub fn against_best(
    ev: &Evidence<'_>,
    ranked: &[usize],
    best: usize,
    alpha: f64,
) -> Vec<Comparison> {
    let others: Vec<usize> = ranked.iter().copied().filter(|&ci| ci != best).collect();
    let tests: Vec<PermutationTest> = others
        .par_iter()
        .map(|&ci| ev.permutation(ci, best))
        .collect();
    let p_holm = holm(&tests.iter().map(|t| t.p_value).collect::<Vec<_>>());
    let mcnemar: Vec<(u64, u64, f64)> = others.iter().map(|&ci| ev.mcnemar(best, ci)).collect();
    let mcnemar_holm = holm(&mcnemar.iter().map(|t| t.2).collect::<Vec<_>>());
    let t_tests: Vec<Option<(f64, usize, f64)>> =
        others.iter().map(|&ci| ev.corrected_t(ci, best)).collect();
    let t_holm = holm_optional(&t_tests.iter().map(|t| t.map(|t| t.2)).collect::<Vec<_>>());
    others
        .iter()
        .enumerate()
        .map(|(k, &ci)| Comparison {
            config: ev.cells[ci].id.clone(),
            best: ev.cells[best].id.clone(),
            difference: ev.headline_difference(ci, best),
            p_value: tests[k].p_value,
            p_holm: p_holm[k],
            significant: p_holm[k] < alpha,
            method: tests[k].method,
            patterns: tests[k].patterns,
            differing_units: tests[k].differing_units,
            mcnemar: McNemar {
                best_only_correct: mcnemar[k].0,
                config_only_correct: mcnemar[k].1,
                p_value: mcnemar[k].2,
                p_holm: mcnemar_holm[k],
            },
            corrected_t: t_tests[k].map(|(t, df, p)| CorrectedT {
                t: t.is_finite().then_some(t),
                df,
                p_value: p,
                p_holm: t_holm[k].unwrap_or(1.0),
            }),
        })
        .collect()
}

/// Median half-width of the comparisons' 95% difference intervals (`None` without intervals).
pub fn difference_halfwidth(comparisons: &[Comparison]) -> Option<f64> {
    let mut w: Vec<f64> = comparisons
        .iter()
        .filter_map(|c| c.difference.width())
        .map(|w| w / 2.0)
        .collect();
    if w.is_empty() {
        return None;
    }
    w.sort_by(f64::total_cmp);
    let m = w.len() / 2;
    Some(if w.len() % 2 == 1 {
        w[m]
    } else {
        (w[m - 1] + w[m]) / 2.0
    })
}

/// Holm's adjustment over the p-values that exist.
fn holm_optional(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let present: Vec<f64> = p.iter().flatten().copied().collect();
    let mut adjusted = holm(&present).into_iter();
    p.iter().map(|v| v.and_then(|_| adjusted.next())).collect()
}

/// What the data can resolve, and the warnings that follow from it: the fewest differing units the exact paired
/// test needs, and the smallest pooled-accuracy and headline differences it can call significant (by
/// construction from the best configuration's predictions, see
/// [`Pairing::smallest_significant_difference`]).
pub fn power(
    ev: &Evidence<'_>,
    results: &[ConfigResult],
    ranked: &[usize],
    best: usize,
    class_counts: &[usize],
    alpha: f64,
) -> (Power, Vec<Warning>) {
    let classes = ev.pairing.classes;
    let n_items: usize = class_counts.iter().sum();
    let n_units = ev.pairing.units.len();
    let min_discordant = min_discordant_for_significance(alpha);
    let widths: Vec<f64> = ranked
        .iter()
        .filter(|&&ci| !results[ci].baseline && results[ci].system.is_none())
        .filter_map(|&ci| results[ci].metrics[&ev.headline].width())
        .collect();
    let smallest = |metric: MetricName| {
        ev.pairing.smallest_significant_difference(
            &ev.oof[best],
            metric,
            alpha,
            min_discordant as usize,
        )
    };
    let votes: u32 = ev
        .pairing
        .units
        .iter()
        .flatten()
        .map(|&i| ev.oof[best].times_tested(i))
        .sum();
    let power = Power {
        n_items,
        per_class: classes
            .iter()
            .cloned()
            .zip(class_counts.iter().copied())
            .collect(),
        min_discordant,
        min_detectable_accuracy_difference: if n_units >= min_discordant as usize {
            (min_discordant as f64 / f64::from(votes.max(1))).min(1.0)
        } else {
            1.0
        },
        min_detectable_headline_difference: smallest(ev.headline),
        votes_per_item: if n_items > 0 {
            f64::from(votes) / n_items as f64
        } else {
            0.0
        },
        n_units,
        best_interval_width: results[best].metrics[&ev.headline].width(),
        mean_interval_width: (!widths.is_empty())
            .then(|| widths.iter().sum::<f64>() / widths.len() as f64),
        headline_difference_halfwidth: None,
    };
    let mut warnings: Vec<Warning> = classes
        .iter()
        .zip(class_counts)
        .filter(|(_, &count)| count < SMALL_CLASS)
        .map(|(class, &count)| Warning::SmallClass {
            class: class.clone(),
            count,
        })
        .collect();
    if min_discordant as usize > n_units {
        warnings.push(Warning::NothingCanBeSignificant {
            n_units,
            alpha,
            min_discordant,
        });
    }
    (power, warnings)
}
