//! Outside systems: configurations whose predictions come from outside the harness (a predictions file, or a
//! command such as a fine-tuned transformer or a prompted LLM), judged exactly like the grid's cells.
//!
//! A system is trained elsewhere, so there is nothing to fit per fold: its out-of-fold prediction of an item is
//! the one prediction it gave that item, placed in the fold that tests the item in each repeat. Every score,
//! interval, paired test, ≡ mark, per-class table and flip list downstream then treats it like any configuration,
//! and its repeat-to-repeat spread is 0 by construction. What this cannot say, and the report does: the harness
//! did not cross-validate the system, which may have seen the very items it is scored on.
//!
//! Reading a predictions file and running a command are the experiment layer's (they name files, lines and
//! processes); this module takes their answers as data.

use std::collections::BTreeMap;

use super::oof::OutOfFold;
use super::results::{PredictionRecord, SystemSource};
use super::splits::Fold;
use super::store::Probabilities;
use super::EvalError;
use stance_behaviour::run::{evaluate, CaseResult, Outcome};
use stance_behaviour::Case;
use stance_models::Prediction;

/// An outside system as a run sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct System {
    /// Its name, which is also its configuration id.
    pub name: String,
    /// Where its predictions come from.
    pub source: SystemSource,
    /// Its predictions; `None` until the experiment layer has read or run it.
    pub answers: Option<Answers>,
}

/// What an outside system answered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answers {
    /// One prediction per item, in data order; `None` for items the scheme never tests (a fixed split's training
    /// side), which need no prediction.
    pub items: Vec<Option<Prediction>>,
    /// Its predictions of the behavioural cases' texts, by text; `None` when it cannot label new text (a
    /// predictions file), so every case is skipped for it.
    pub cases: Option<BTreeMap<String, Prediction>>,
    /// Rows of a predictions file naming ids that are not items of this run (left out by `data.classes`,
    /// `data.sample`, …), which were ignored.
    pub ignored: usize,
}

impl System {
    /// Its answers, or the error a run gets when nobody added them.
    pub fn answers(&self) -> Result<&Answers, EvalError> {
        self.answers
            .as_ref()
            .ok_or_else(|| EvalError::SystemUnanswered {
                system: self.name.clone(),
            })
    }

    /// Its out-of-fold predictions over `n_classes`: in every repeat, each item's prediction in the fold that tests
    /// it. An item a fold tests must have a prediction.
    pub fn out_of_fold(
        &self,
        folds: &[Fold],
        n_items: usize,
        n_classes: usize,
    ) -> Result<OutOfFold, EvalError> {
        let answers = self.answers()?;
        let repeats = folds.iter().map(|f| f.repeat).max().map_or(1, |r| r + 1);
        let mut preds: Vec<Vec<Option<PredictionRecord>>> = vec![vec![None; n_items]; repeats];
        for fold in folds {
            for &i in &fold.test {
                let p = answers
                    .items
                    .get(i)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| EvalError::SystemIncomplete {
                        system: self.name.clone(),
                        item: i,
                    })?;
                preds[fold.repeat][i] = Some(PredictionRecord {
                    fold: fold.index,
                    class: p.class,
                    proba: p.proba.clone(),
                    tied: p.tied,
                });
            }
        }
        Ok(OutOfFold::new(preds, n_classes))
    }

    /// Keeps its class probabilities (where it gave them) as configuration `cell`'s, each in the fold that tests
    /// the item, so the predictions file and the error analysis read them like a fitted model's. Call after
    /// [`System::out_of_fold`], which has checked that every tested item has a prediction.
    pub fn put_probabilities(
        &self,
        folds: &[Fold],
        cell: usize,
        proba: &mut Probabilities,
    ) -> Result<(), EvalError> {
        let answers = self.answers()?;
        for fold in folds {
            let rows: Vec<(usize, Prediction)> = fold
                .test
                .iter()
                .filter_map(|&i| {
                    answers
                        .items
                        .get(i)
                        .and_then(Option::as_ref)
                        .map(|p| (i, p.clone()))
                })
                .filter(|(_, p)| p.proba.is_some())
                .collect();
            if !rows.is_empty() {
                proba.put(cell, fold.repeat, &rows)?;
            }
        }
        Ok(())
    }

    /// Its behavioural results: the cases judged on its answers, or every case skipped when it cannot label new
    /// text.
    pub fn behaviour(
        &self,
        cases: &[Case],
        classes: &[String],
    ) -> Result<Vec<CaseResult>, EvalError> {
        let answers = self.answers()?;
        let Some(by_text) = &answers.cases else {
            return Ok(cases
                .iter()
                .map(|c| CaseResult {
                    case: c.clone(),
                    predicted: Vec::new(),
                    outcome: Outcome::Skipped,
                    strict: Outcome::Skipped,
                    reason: "a predictions file labels only the data's items, not new text".into(),
                })
                .collect());
        };
        // A text the system was not asked about gives fewer predictions than texts, which `evaluate` turns into
        // every case skipped with that reason rather than a wrong judgement.
        let predict = |texts: &[&str]| -> Vec<Prediction> {
            texts
                .iter()
                .filter_map(|t| by_text.get(*t).cloned())
                .collect()
        };
        Ok(evaluate(cases, classes, &predict))
    }
}

/// Every distinct text of the behavioural cases, in first-seen order: what a command system is asked to label.
pub fn case_texts(cases: &[Case]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    cases
        .iter()
        .flat_map(|c| c.texts.iter().map(String::as_str))
        .filter(|t| seen.insert(*t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::splits::stratified_kfold;

    fn system(items: Vec<Option<Prediction>>) -> System {
        System {
            name: "outside".into(),
            source: SystemSource::Predictions {
                path: "p.csv".into(),
            },
            answers: Some(Answers {
                items,
                cases: None,
                ignored: 0,
            }),
        }
    }

    fn p(class: usize) -> Option<Prediction> {
        Some(Prediction {
            class,
            proba: None,
            tied: false,
        })
    }

    #[test]
    fn every_repeat_holds_the_one_prediction_in_the_fold_that_tests_the_item() {
        let labels = [0, 1, 0, 1, 0, 1, 0, 1, 0];
        let folds: Vec<Fold> = (0..3)
            .flat_map(|r| stratified_kfold(&labels, 2, 3, r, 7))
            .collect();
        let given: Vec<usize> = vec![1, 1, 0, 0, 1, 0, 1, 1, 0];
        let oof = system(given.iter().map(|&c| p(c)).collect())
            .out_of_fold(&folds, 9, 2)
            .unwrap();
        assert_eq!(oof.n_repeats(), 3);
        for fold in &folds {
            for &i in &fold.test {
                assert_eq!(oof.class(fold.repeat, i), Some(given[i]));
            }
        }
        // Unanimous votes: every item predicted the same in all three repeats.
        for (i, &c) in given.iter().enumerate() {
            assert_eq!(oof.votes(i)[c], 3);
        }
    }

    #[test]
    fn a_tested_item_without_a_prediction_and_a_system_never_answered_are_errors() {
        let labels = [0, 1, 0, 1];
        let folds = stratified_kfold(&labels, 2, 2, 0, 1);
        let err = system(vec![p(0), p(1), None, p(1)])
            .out_of_fold(&folds, 4, 2)
            .unwrap_err();
        assert!(
            matches!(err, EvalError::SystemIncomplete { item: 2, .. }),
            "{err}"
        );
        let mut s = system(Vec::new());
        s.answers = None;
        assert!(matches!(
            s.out_of_fold(&folds, 4, 2),
            Err(EvalError::SystemUnanswered { .. })
        ));
    }
}
