//! Plan versus data: whether a run can go through on the data it loaded, decided before anything is fitted.
//!
//! The parser checks each value of an experiment on its own; some problems appear only with the data: more folds
//! than items in a class, fewer groups than folds, a group with no training items for its per-group model, a
//! training fold with one class, inner folds that a tuned training set cannot fill. This module asks the same rules
//! the run asks ([`prepare`], which builds the folds through [`super::splits`], and [`tune::inner_folds`]) — it
//! holds no rule of its own — and says which experiment key drives each refusal and what value to set instead, so
//! the caller can name the key's `file:line` (see `Experiment::check_against`).

use super::grid::{subsample, SUBSAMPLE_TAG};
use super::plan::Plan;
use super::run::prepare;
use super::splits::{Fold, Split};
use super::{tune, EvalError};
use stance_corpus::Dataset;

/// Why the plan cannot run on the data.
#[derive(Debug)]
pub struct Infeasible {
    /// The experiment keys to point at, most specific first (`evaluation.k`, then `evaluation`): the first one
    /// the file spells out gives the line.
    pub keys: Vec<String>,
    /// What is wrong and how to fix it, with a value the parser accepts.
    pub message: String,
}

fn infeasible(keys: &[&str], message: String) -> Infeasible {
    Infeasible {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        message,
    }
}

/// Checks that `plan` can run on `ds`: its folds can be built and trained on, and its tuned configurations can
/// build their inner folds in every (sub-sampled) training fold. Cheap: no feature is extracted, no model fitted.
pub fn check(plan: &Plan, ds: &Dataset) -> Result<(), Infeasible> {
    let prepared = prepare(plan, ds).map_err(|e| explain(plan, e))?;
    check_tuning(plan, ds, prepared.fit_folds())
}

/// The key and advice for an error of [`prepare`].
fn explain(plan: &Plan, e: EvalError) -> Infeasible {
    match e {
        EvalError::KTooLarge { k, class, count } => {
            let fix = if count >= 2 {
                format!("set evaluation.k to at most {count} (allowed here: 2..={count})")
            } else {
                format!(
                    "no k can do that with fewer than 2 items: add items of '{class}', leave it out of \
                     data.classes, or use scheme = \"leave-one-out\""
                )
            };
            infeasible(
                &["evaluation.k", "evaluation"],
                format!(
                    "evaluation.k = {k} folds is more than the {count} item(s) of class '{class}' in the data: \
                     stratified k-fold needs every fold to hold each class; {fix}"
                ),
            )
        }
        EvalError::TooFewGroups { k, groups } => {
            let by = match plan.split.group() {
                Some(super::splits::GroupBy::Doc) => "seed documents",
                Some(super::splits::GroupBy::Holder) => "stance holders",
                _ => "values of the data.group column",
            };
            match plan.split {
                Split::GroupKfold { .. } if groups >= 2 => infeasible(
                    &["evaluation.k", "evaluation"],
                    format!(
                        "evaluation.k = {k} folds but the data has {groups} distinct groups ({by}), and group \
                         k-fold holds whole groups out; set evaluation.k to at most {groups} (allowed here: \
                         2..={groups})"
                    ),
                ),
                _ => infeasible(
                    &["evaluation.scheme", "evaluation"],
                    format!(
                        "scheme {} needs at least 2 distinct groups ({by}), but the data has {groups}; use scheme = \
                         \"stratified-kfold\" (with k = 2 or more), or group by something else",
                        plan.split.scheme().name()
                    ),
                ),
            }
        }
        EvalError::PerGroupNoTraining { .. } => {
            infeasible(&["evaluation.per_group", "evaluation"], e.to_string())
        }
        EvalError::MissingGroup { .. } => infeasible(
            &["evaluation.group", "data.group", "evaluation.scheme", "evaluation"],
            e.to_string(),
        ),
        EvalError::NoSplitColumn { .. } | EvalError::EmptySplitSide { .. } => infeasible(
            &["data.split", "evaluation.scheme", "evaluation"],
            format!(
                "{e}; name the column of train/test values in data.split, or choose another scheme (e.g. \
                 scheme = \"stratified-kfold\" with k = 5)"
            ),
        ),
        // A per-group model trains on its own group's items, which no scheme stratifies: advising
        // stratified-kfold there (often the scheme already) would not help.
        EvalError::FoldMissingClasses { .. } if plan.per_group.is_some() => infeasible(
            &["evaluation.per_group", "evaluation"],
            format!(
                "{e}: a per-group model trains on its group's items alone, and stratified folds balance classes \
                 over all the data, not within each group; give every group items of each class on the training \
                 side of every fold (more items, fewer folds{}), or set evaluation.per_group = false",
                match plan.split {
                    Split::StratifiedKfold { k, .. } | Split::GroupKfold { k, .. } => {
                        format!(": evaluation.k = {k} now")
                    }
                    _ => String::new(),
                }
            ),
        ),
        EvalError::FoldMissingClasses { .. } if matches!(plan.split, Split::StratifiedKfold { .. }) => {
            infeasible(
                &["evaluation.k", "evaluation"],
                format!("{e}; use fewer folds (evaluation.k), or add items of the missing class"),
            )
        }
        EvalError::FoldMissingClasses { .. } => infeasible(
            &["evaluation.scheme", "evaluation.group", "evaluation"],
            format!(
                "{e}; use scheme = \"stratified-kfold\", which keeps every class in every training fold"
            ),
        ),
        other => infeasible(&["evaluation"], other.to_string()),
    }
}

/// Every tuned training set (each fold, at each learning-curve fraction) must fill its inner folds.
fn check_tuning(plan: &Plan, ds: &Dataset, folds: &[Fold]) -> Result<(), Infeasible> {
    let cells = plan.cells();
    let Some(tuned) = cells.iter().find(|c| plan.is_tuned(c)) else {
        return Ok(());
    };
    let settings = tune::Settings::of(plan, ds).map_err(|e| explain(plan, e))?;
    let labels = ds.labels();
    let k = ds.classes.len();
    for fold in folds {
        for (fi, &fraction) in plan.fractions().iter().enumerate() {
            let rows = subsample(
                &fold.train,
                &labels,
                k,
                fraction,
                plan.seed,
                &[
                    SUBSAMPLE_TAG,
                    fold.repeat as u64,
                    fold.index as u64,
                    fi as u64,
                ],
            );
            let coords = [fold.repeat as u64, fold.index as u64, fi as u64];
            if let Err(message) = tune::inner_folds(&rows, &labels, k, &settings, &coords) {
                let at = if plan.fractions().len() > 1 {
                    format!(" at training fraction {fraction}")
                } else {
                    String::new()
                };
                let item = format!("learning_curve.fractions[{fi}]");
                let keys: &[&str] = if plan.fractions().len() > 1 && fraction < 1.0 {
                    &[&item, "learning_curve.fractions", "evaluation.inner_k"]
                } else {
                    &["evaluation.inner_k", "evaluation.k", "evaluation"]
                };
                return Err(infeasible(
                    keys,
                    format!(
                        "{}, {}{at}: {message} (evaluation.inner_k is 2..=20; the inner folds shrink to the \
                         smallest class or group count, and need 2)",
                        tuned.id,
                        super::splits::describe(fold)
                    ),
                ));
            }
        }
    }
    Ok(())
}
