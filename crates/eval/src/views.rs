//! The ablation and learning-curve views: the same results, arranged for the question those runs ask.

use super::compare::Evidence;
use super::plan::{Cell, Learner, Plan};
use super::results::{AblationRow, ConfigResult, Estimate, LearningPoint};

/// Per model, the full feature set and each leave-one-out variant, with its headline difference from the full set
/// (paired bootstrap interval; exact paired permutation p-value) and McNemar's test against it.
pub fn ablation(plan: &Plan, ev: &Evidence<'_>, results: &[ConfigResult]) -> Vec<AblationRow> {
    let cell_of = |variant: usize, classifier: usize| {
        ev.cells
            .iter()
            .position(|c| {
                c.learner
                    == Learner::Model {
                        variant,
                        classifier,
                    }
                    && c.fraction == 0
            })
            .expect("every variant × model is a cell")
    };
    let mut rows = Vec::new();
    for c in plan.models() {
        let full = cell_of(0, c);
        for (v, variant) in plan.variants.iter().enumerate() {
            let ci = cell_of(v, c);
            let is_full = v == 0;
            rows.push(AblationRow {
                variant: if is_full {
                    "full".to_string()
                } else {
                    format!("− {}", variant.left_out.clone().unwrap_or_default())
                },
                left_out: variant.left_out.clone(),
                classifier: plan.classifiers[c].name().to_string(),
                config: ev.cells[ci].id.clone(),
                headline: results[ci].metrics[&ev.headline],
                delta: if is_full {
                    Estimate {
                        point: 0.0,
                        lower: Some(0.0),
                        upper: Some(0.0),
                    }
                } else {
                    ev.headline_difference(ci, full)
                },
                p_value: (!is_full).then(|| ev.permutation(ci, full).p_value),
                mcnemar_p: if is_full { 1.0 } else { ev.mcnemar(full, ci).2 },
            });
        }
    }
    rows
}

/// One point per fitted cell (outside systems have no training set to shrink): its training fraction, mean
/// training size and headline.
pub fn learning_curve(
    plan: &Plan,
    cells: &[Cell],
    results: &[ConfigResult],
    train_sizes: &[Vec<usize>],
) -> Vec<LearningPoint> {
    cells
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.fitted().is_some())
        .map(|(ci, cell)| LearningPoint {
            feature_set: results[ci].feature_set.clone(),
            classifier: results[ci].classifier.clone().unwrap_or_default(),
            fraction: plan.fractions()[cell.fraction],
            train_size: mean(&train_sizes[ci]),
            headline: results[ci].metrics[&plan.headline],
            config: cell.id.clone(),
        })
        .collect()
}

/// Mean of counts (0 for none).
pub fn mean(v: &[usize]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
    }
}
