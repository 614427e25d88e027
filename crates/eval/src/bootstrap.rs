//! Bootstrap replicates of every configuration's scores, with typed slots.
//!
//! Each replicate reweights the pooled out-of-fold predictions by a cluster bootstrap's item multiplicities (the
//! same draw for every configuration, so differences between configurations are paired) and scores every metric
//! and every per-class precision, recall and F1. Intervals are percentile intervals at [`CONFIDENCE_LEVEL`].

use rayon::prelude::*;

use super::metrics::{score_with, MetricName, Scores};
use super::oof::OutOfFold;
use super::results::Estimate;
use super::stats::{percentile_interval, ClusterBootstrap};

/// Interval level of every reported interval.
pub const CONFIDENCE_LEVEL: f64 = 0.95;

/// Most bootstrap replicates a run (`bootstrap` in an experiment) or a diff (`stance diff --bootstrap`) may draw:
/// beyond this, intervals no longer get visibly tighter but runs get much slower (and memory grows with them).
pub const MAX_REPLICATES: usize = 100_000;

/// Fewest non-zero replicates: fewer cannot place the tails of a 95% interval.
pub const MIN_REPLICATES: usize = 100;

/// What is wrong with `n` bootstrap replicates, or `None` when it is 0 (no intervals) or in
/// [`MIN_REPLICATES`]`..=`[`MAX_REPLICATES`]. One bound for every place a replicate count is given.
pub fn replicates_problem(n: usize) -> Option<String> {
    let allowed = format!("use 0 (no intervals) or {MIN_REPLICATES}..={MAX_REPLICATES}");
    if n != 0 && n < MIN_REPLICATES {
        return Some(format!("{n} is too few for a 95% interval; {allowed}"));
    }
    (n > MAX_REPLICATES).then(|| format!("{n} is too many; {allowed}"))
}

/// Parses a replicate count given on the command line, bounded as in an experiment file
/// ([`replicates_problem`]).
pub fn parse_replicates(s: &str) -> Result<usize, String> {
    let n: usize = s.trim().parse().map_err(|_| {
        format!(
            "'{s}' is not a whole number of replicates (0, or {MIN_REPLICATES}..={MAX_REPLICATES})"
        )
    })?;
    replicates_problem(n).map_or(Ok(n), Err)
}

/// A score a replicate records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A headline-style metric.
    Metric(MetricName),
    /// Precision of a class (by index).
    Precision(usize),
    /// Recall of a class.
    Recall(usize),
    /// F1 of a class.
    F1(usize),
}

/// Where each [`Slot`] sits in a replicate's row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    metrics: Vec<MetricName>,
}

impl Layout {
    fn index(&self, slot: Slot) -> usize {
        let m = self.metrics.len();
        match slot {
            Slot::Metric(name) => self
                .metrics
                .iter()
                .position(|&x| x == name)
                .expect("only metrics the run computes are asked for"),
            Slot::Precision(c) => m + 3 * c,
            Slot::Recall(c) => m + 3 * c + 1,
            Slot::F1(c) => m + 3 * c + 2,
        }
    }

    fn row(&self, s: &Scores) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .metrics
            .iter()
            .map(|m| s.get(*m).unwrap_or(0.0))
            .collect();
        for c in &s.per_class {
            v.extend([c.precision, c.recall, c.f1]);
        }
        v
    }
}

/// Every configuration's scores on every replicate: `values[replicate][config][slot]`.
#[derive(Debug, Clone)]
pub struct Replicates {
    layout: Layout,
    values: Vec<Vec<Vec<f64>>>,
}

/// What the replicates score: the pooled predictions of these items against these gold labels.
pub struct Scoring<'a> {
    /// Gold class per item.
    pub gold: &'a [usize],
    /// Items with at least one prediction.
    pub evaluated: &'a [usize],
    /// Class names.
    pub classes: &'a [String],
    /// Metrics to record.
    pub metrics: &'a [MetricName],
    /// The classes F_avg averages (indices into `classes`).
    pub favg: &'a [usize],
}

impl Replicates {
    /// Draws `n` replicates (in parallel; each is a pure function of its index) and scores every configuration.
    pub fn draw(
        boot: &ClusterBootstrap,
        n: usize,
        oof: &[OutOfFold],
        scoring: &Scoring<'_>,
    ) -> Replicates {
        let layout = Layout {
            metrics: scoring.metrics.to_vec(),
        };
        let values = (0..n)
            .into_par_iter()
            .map(|b| {
                let w = boot.replicate(b);
                oof.iter()
                    .map(|o| {
                        let conf = o.pooled_confusion(scoring.gold, scoring.evaluated, Some(&w));
                        layout.row(&score_with(&conf, scoring.classes, scoring.favg))
                    })
                    .collect()
            })
            .collect();
        Replicates { layout, values }
    }

    /// The percentile interval of one configuration's slot (`None`s without replicates).
    pub fn estimate(&self, config: usize, slot: Slot, point: f64) -> Estimate {
        let s = self.layout.index(slot);
        self.interval(point, |r| r[config][s])
    }

    /// Configuration `a` minus `b` on a metric, with the paired interval over the same replicates.
    pub fn difference(&self, a: usize, b: usize, metric: MetricName, point: f64) -> Estimate {
        let s = self.layout.index(Slot::Metric(metric));
        self.interval(point, |r| r[a][s] - r[b][s])
    }

    /// The paired-bootstrap test of `a` minus `b` on a metric: two-sided p-value
    /// `min(1, 2 · min(1 + #{d ≤ 0}, 1 + #{d ≥ 0}) / (B + 1))` over the replicate differences `d` (Davison &
    /// Hinkley's +1 keeps a finite number of replicates from claiming p = 0). `None` without replicates.
    pub fn difference_p(&self, a: usize, b: usize, metric: MetricName) -> Option<f64> {
        if self.values.is_empty() {
            return None;
        }
        let s = self.layout.index(Slot::Metric(metric));
        let d: Vec<f64> = self.values.iter().map(|r| r[a][s] - r[b][s]).collect();
        let le = d.iter().filter(|&&v| v <= 0.0).count();
        let ge = d.iter().filter(|&&v| v >= 0.0).count();
        let n = d.len() as f64;
        Some((2.0 * (1 + le.min(ge)) as f64 / (n + 1.0)).min(1.0))
    }

    /// `a` minus `b` on a metric with its paired percentile interval at confidence `level`.
    pub fn difference_at(
        &self,
        a: usize,
        b: usize,
        metric: MetricName,
        point: f64,
        level: f64,
    ) -> Estimate {
        let s = self.layout.index(Slot::Metric(metric));
        self.interval_at(point, level, |r| r[a][s] - r[b][s])
    }

    fn interval(&self, point: f64, value: impl Fn(&Vec<Vec<f64>>) -> f64) -> Estimate {
        self.interval_at(point, CONFIDENCE_LEVEL, value)
    }

    fn interval_at(
        &self,
        point: f64,
        level: f64,
        value: impl Fn(&Vec<Vec<f64>>) -> f64,
    ) -> Estimate {
        if self.values.is_empty() {
            return Estimate {
                point,
                lower: None,
                upper: None,
            };
        }
        let vals: Vec<f64> = self.values.iter().map(value).collect();
        let (lo, hi) = percentile_interval(&vals, level);
        Estimate {
            point,
            lower: Some(lo),
            upper: Some(hi),
        }
    }
}
