//! Top features: a model refitted on all items (labelled as such in the report), its weights or importances
//! turned into the largest few per class.
//!
//! **What is refitted.** Only what a report reads: the configurations `[report] top_features` names (default: the
//! best), and, when the plan has behavioural cases, every configuration they test (each needs its own model). A
//! refit costs about one fold's fit on every item, so refitting every configuration of a large grid for tables no
//! one asked for was a quarter of the run. A refitted configuration's output does not depend on which others are
//! refitted: each refit is its own function of the plan, the data and the cell.

use rayon::prelude::*;

use super::fit::fit_transform;
use super::plan::{config_id, Cell, Explain, Learner, Plan};
use super::results::{ClassFeatures, TopFeatures};
use super::tune::{all_items_coords, config_key, tune_on, Candidates, Choice, Settings};
use super::EvalError;
use stance_behaviour::run::{evaluate, CaseResult};
use stance_corpus::Dataset;
use stance_features::Extracted;
use stance_models::Explanation;

/// How many top features per class the report keeps.
pub const TOP_FEATURES: usize = 10;

/// What a refit on all items gives: the cell, its top features, its behavioural test results, and for a tuned
/// configuration what the inner cross-validation on all items chose.
pub type Refit = (usize, Option<TopFeatures>, Vec<CaseResult>, Option<Choice>);

/// The cells a run refits on all items, in cell order: the model cells at the full training fraction that
/// `plan.top_features` names (`best` is the cell ranked best, or on a learning curve the same configuration at the
/// full fraction), and every model cell at that fraction when the plan has behavioural cases.
pub fn to_refit(plan: &Plan, cells: &[Cell], best: usize) -> Vec<usize> {
    let last = plan.fractions().len() - 1;
    (0..cells.len())
        .filter(|&ci| cells[ci].fraction == last && cells[ci].variant().is_some())
        .filter(|&ci| !plan.behaviour.is_empty() || explained(plan, cells, best, ci))
        .collect()
}

/// Whether the report shows cell `ci`'s top features: `[report] top_features` names it (`all`, `best`, or its id).
pub fn explained(plan: &Plan, cells: &[Cell], best: usize, ci: usize) -> bool {
    let cell = &cells[ci];
    let Learner::Model {
        variant: v,
        classifier,
    } = cell.learner
    else {
        return false;
    };
    if cell.fraction != plan.fractions().len() - 1 {
        return false;
    }
    let id = config_id(&plan.variants[v].features, &plan.classifiers[classifier]);
    plan.top_features.iter().any(|e| match e {
        Explain::All => true,
        Explain::Best => cells[best].learner == cell.learner,
        Explain::Config(c) => *c == id,
    })
}

/// Refits the cells `which` (model cells at the full training fraction) on all items; returns their top features
/// and, when the plan has behavioural cases, their results (the same fitted model `stance predict` would use). A
/// tuned configuration is first tuned by an inner cross-validation on all items ([`super::tune`]).
pub fn refit(
    plan: &Plan,
    cells: &[Cell],
    ds: &Dataset,
    extractions: &[Option<Extracted>],
    which: &[usize],
) -> Result<Vec<Refit>, EvalError> {
    let all: Vec<usize> = (0..ds.items.len()).collect();
    let labels = ds.labels();
    let targets: Vec<(usize, usize, usize)> = which
        .iter()
        .filter_map(|&ci| match cells[ci].learner {
            Learner::Model {
                variant,
                classifier,
            } => Some((ci, variant, classifier)),
            _ => None,
        })
        .collect();
    let settings = if targets.iter().any(|&(ci, _, _)| plan.is_tuned(&cells[ci])) {
        Some(Settings::of(plan, ds)?)
    } else {
        None
    };
    targets
        .par_iter()
        .map(|&(ci, v, c)| {
            let id = &cells[ci].id;
            let fs = &plan.variants[v].features;
            let clf = &plan.classifiers[c];
            let (choice, (fs, ex), clf) = match &settings {
                Some(settings) if plan.is_tuned(&cells[ci]) => {
                    let cands = Candidates::of(fs, extractions[v].as_ref(), clf);
                    let (choice, f, c) = tune_on(
                        &cands,
                        ds,
                        &all,
                        settings,
                        (id, config_key(&fs.spec().name, clf.name())),
                        &all_items_coords(),
                        "all items",
                    )?;
                    (Some(choice), f, c)
                }
                _ => (None, (fs, extractions[v].as_ref()), clf),
            };
            let (fitted, x, _) =
                fit_transform(fs, ex, ds, &all, &[]).map_err(|source| EvalError::Feature {
                    config: id.clone(),
                    source,
                })?;
            let model = clf
                .fit(
                    x.view(),
                    &labels,
                    ds.classes.len(),
                    super::stats::fit_seed(plan.seed),
                )
                .map_err(|source| EvalError::Model {
                    config: id.clone(),
                    fold: "all items".into(),
                    source,
                })?;
            let behaviour = if plan.behaviour.is_empty() {
                Vec::new()
            } else {
                // A feature set that cannot read new text (vectors computed elsewhere) gets no predictions, and
                // the behavioural tests record every case as skipped for it.
                let predict = |texts: &[&str]| match fitted.transform(texts) {
                    Ok(x) => model.predict(x.view()),
                    Err(_) => Vec::new(),
                };
                evaluate(&plan.behaviour, &ds.classes, &predict)
            };
            Ok((
                ci,
                top_features(model.explain(), |j| fitted.feature_name(j), &ds.classes),
                behaviour,
                choice,
            ))
        })
        .collect()
}

/// The largest positive weights per class (or importances), ties by feature index.
pub fn top_features(
    explanation: Explanation,
    name: impl Fn(usize) -> String,
    classes: &[String],
) -> Option<TopFeatures> {
    match explanation {
        Explanation::ClassWeights(w) => Some(TopFeatures::PerClass {
            classes: (0..w.ncols())
                .map(|c| {
                    let mut idx: Vec<usize> = (0..w.nrows()).filter(|&j| w[[j, c]] > 0.0).collect();
                    idx.sort_by(|&a, &b| w[[b, c]].total_cmp(&w[[a, c]]).then(a.cmp(&b)));
                    ClassFeatures {
                        class: classes[c].clone(),
                        features: idx
                            .into_iter()
                            .take(TOP_FEATURES)
                            .map(|j| (name(j), w[[j, c]]))
                            .collect(),
                    }
                })
                .collect(),
        }),
        Explanation::Importance(v) => {
            let mut idx: Vec<usize> = (0..v.len()).filter(|&j| v[j] > 0.0).collect();
            idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]).then(a.cmp(&b)));
            Some(TopFeatures::Importance {
                features: idx
                    .into_iter()
                    .take(TOP_FEATURES)
                    .map(|j| (name(j), v[j]))
                    .collect(),
            })
        }
        Explanation::None => None,
    }
}
