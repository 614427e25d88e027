//! Scores of parts of a configuration's predictions: per fold, per repeat, per group; and whether the predictions
//! are degenerate (the majority baseline's, or a single class).

use std::collections::BTreeMap;

use super::metrics::{score_with, Confusion, MetricName, Scores};
use super::oof::OutOfFold;
use super::results::{Degenerate, GroupScore, SplitScore};
use super::splits::Fold;

fn values(s: &Scores, metrics: &[MetricName]) -> BTreeMap<MetricName, f64> {
    metrics
        .iter()
        .map(|&m| (m, s.get(m).unwrap_or(0.0)))
        .collect()
}

/// Every metric on each fold's test items (the prediction made in that fold).
pub fn per_fold(
    oof: &OutOfFold,
    folds: &[Fold],
    gold: &[usize],
    classes: &[String],
    favg: &[usize],
    metrics: &[MetricName],
) -> Vec<SplitScore> {
    folds
        .iter()
        .map(|f| {
            let mut c = Confusion::new(classes.len());
            for &i in &f.test {
                if let Some(p) = oof.class(f.repeat, i) {
                    c.add(gold[i], p, 1.0);
                }
            }
            SplitScore {
                repeat: f.repeat,
                fold: Some(f.index),
                n: f.test.len(),
                metrics: values(&score_with(&c, classes, favg), metrics),
            }
        })
        .collect()
}

/// Every metric on each repeat's predictions (every item once).
pub fn per_repeat(
    oof: &OutOfFold,
    gold: &[usize],
    classes: &[String],
    favg: &[usize],
    metrics: &[MetricName],
) -> Vec<SplitScore> {
    (0..oof.n_repeats())
        .map(|r| {
            let c = oof.repeat_confusion(r, gold, classes.len());
            SplitScore {
                repeat: r,
                fold: None,
                n: c.total() as usize,
                metrics: values(&score_with(&c, classes, favg), metrics),
            }
        })
        .collect()
}

/// Every metric per group, predictions pooled over repeats; empty when no item has a group.
pub fn per_group(
    oof: &OutOfFold,
    groups: &[Option<String>],
    gold: &[usize],
    classes: &[String],
    favg: &[usize],
    metrics: &[MetricName],
) -> Vec<GroupScore> {
    let mut by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        if let Some(g) = g {
            if oof.times_tested(i) > 0 {
                by.entry(g.as_str()).or_default().push(i);
            }
        }
    }
    by.into_iter()
        .map(|(g, items)| GroupScore {
            group: g.to_string(),
            n: items.len(),
            metrics: values(
                &score_with(&oof.pooled_confusion(gold, &items, None), classes, favg),
                metrics,
            ),
        })
        .collect()
}

/// Whether `oof` carries no information beyond class frequencies: every prediction equals the majority
/// baseline's (`majority`, when the run has one), or every prediction is one class.
pub fn degenerate(
    oof: &OutOfFold,
    majority: Option<&OutOfFold>,
    classes: &[String],
) -> Option<Degenerate> {
    if let Some(m) = majority {
        if (m.n_repeats(), m.n_items()) == (oof.n_repeats(), oof.n_items())
            && m.classes().eq(oof.classes())
        {
            return Some(Degenerate::EqualsMajority);
        }
    }
    let mut predicted = oof.classes().flatten();
    let first = predicted.next()?;
    predicted
        .all(|c| c == first)
        .then(|| Degenerate::SingleClass {
            class: classes[first].clone(),
        })
}

/// Predictions decided by the training prior after a tie.
pub fn tied(oof: &OutOfFold) -> u64 {
    oof.tied_count()
}
