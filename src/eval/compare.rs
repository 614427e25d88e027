//! Ranking and comparisons: the leaderboard order, every configuration against the best, what the data can
//! resolve, and the warnings a reader needs.

use std::fmt;

use super::bootstrap::Replicates;
use super::metrics::{MetricName, Scores};
use super::oof::OutOfFold;
use super::plan::Cell;
use super::results::{Comparison, ConfigResult, Power};
use super::stats::{holm, mcnemar_exact, min_discordant_for_significance};

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
    /// No difference between two models can reach significance with this many items.
    NothingCanBeSignificant {
        /// Evaluated items.
        n_items: usize,
        /// The significance level.
        alpha: f64,
        /// The fewest discordant items McNemar's test needs.
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
                n_items,
                alpha,
                min_discordant,
            } => write!(
                f,
                "with {n_items} items no difference between two models can be significant at alpha = {alpha} \
                 (McNemar needs at least {min_discordant} discordant items)"
            ),
        }
    }
}

/// The leaderboard: cells at the largest training fraction, by headline (descending), ties by id; and the best
/// cell that is not a baseline.
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
        .find(|&&ci| cells[ci].variant.is_some())
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
}

impl Evidence<'_> {
    /// Headline of `a` minus headline of `b`, with its paired bootstrap interval.
    pub fn headline_difference(&self, a: usize, b: usize) -> super::results::Estimate {
        let h = |ci: usize| self.points[ci].get(self.headline).unwrap_or(0.0);
        self.replicates.difference(a, b, self.headline, h(a) - h(b))
    }

    /// McNemar's exact p-value between two cells' majority-vote correctness, with the discordant counts.
    pub fn mcnemar(&self, a: usize, b: usize) -> (u64, u64, f64) {
        let (only_a, only_b) = self.oof[a].discordant(&self.oof[b], self.gold);
        (only_a, only_b, mcnemar_exact(only_a, only_b))
    }
}

/// Every ranked cell other than the best against the best, Holm-adjusted over the family.
pub fn against_best(
    ev: &Evidence<'_>,
    ranked: &[usize],
    best: usize,
    alpha: f64,
) -> Vec<Comparison> {
    let others: Vec<usize> = ranked.iter().copied().filter(|&ci| ci != best).collect();
    let tests: Vec<(u64, u64, f64)> = others.iter().map(|&ci| ev.mcnemar(best, ci)).collect();
    let adjusted = holm(&tests.iter().map(|t| t.2).collect::<Vec<_>>());
    others
        .iter()
        .zip(tests.iter().zip(&adjusted))
        .map(
            |(&ci, (&(best_only, config_only, p), &p_holm))| Comparison {
                config: ev.cells[ci].id.clone(),
                best: ev.cells[best].id.clone(),
                difference: ev.headline_difference(ci, best),
                best_only_correct: best_only,
                config_only_correct: config_only,
                p_value: p,
                p_holm,
                significant: p_holm < alpha,
            },
        )
        .collect()
}

/// What the data can resolve, and the warnings that follow from it.
pub fn power(
    results: &[ConfigResult],
    ranked: &[usize],
    best: usize,
    classes: &[String],
    class_counts: &[usize],
    headline: MetricName,
    alpha: f64,
) -> (Power, Vec<Warning>) {
    let n_items: usize = class_counts.iter().sum();
    let min_discordant = min_discordant_for_significance(alpha);
    let widths: Vec<f64> = ranked
        .iter()
        .filter(|&&ci| !results[ci].baseline)
        .filter_map(|&ci| results[ci].metrics[&headline].width())
        .collect();
    let power = Power {
        n_items,
        per_class: classes
            .iter()
            .cloned()
            .zip(class_counts.iter().copied())
            .collect(),
        min_discordant,
        min_detectable_accuracy_difference: (min_discordant as f64 / n_items.max(1) as f64)
            .min(1.0),
        best_interval_width: results[best].metrics[&headline].width(),
        mean_interval_width: (!widths.is_empty())
            .then(|| widths.iter().sum::<f64>() / widths.len() as f64),
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
    if min_discordant as usize > n_items {
        warnings.push(Warning::NothingCanBeSignificant {
            n_items,
            alpha,
            min_discordant,
        });
    }
    (power, warnings)
}
