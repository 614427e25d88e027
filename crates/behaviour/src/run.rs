//! Evaluating cases with any predictor.

use serde::{Deserialize, Serialize};

use super::{Case, Expectation};
use stance_models::Prediction;

/// The outcome of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The expectation holds.
    Pass,
    /// It does not.
    Fail,
    /// It cannot be judged for this configuration (class not predicted by it, no probabilities, no opposite).
    Skipped,
}

impl Outcome {
    /// `pass`, `fail` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One case with its predictions and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// Predicted class name for each of `case.texts`, in order.
    pub predicted: Vec<String>,
    /// Pass, fail or skipped, as tested.
    pub outcome: Outcome,
    /// The strict reading of INV and DIR cases ("invariant and correct"): a pass whose original is not predicted
    /// as its known label fails. Equal to `outcome` for MFT cases and for cases without a known original label.
    /// Reports written before the strict reading existed read as skipped (not judged), so an old baseline stays
    /// readable by `stance check`.
    #[serde(default = "not_judged")]
    pub strict: Outcome,
    /// Why, in a few words (which text changed, the probabilities compared, why skipped); empty on a plain pass.
    pub reason: String,
}

fn not_judged() -> Outcome {
    Outcome::Skipped
}

/// Predicts every text of every case in one batch and judges each case.
///
/// `classes` are the configuration's class names, indexed by [`Prediction::class`]; a case expecting a class the
/// configuration does not have is skipped, not failed, so a binary support/oppose model is not charged for
/// neutral items. When the predictor returns the wrong number of predictions every case is skipped with that
/// reason instead of panicking.
pub fn evaluate(
    cases: &[Case],
    classes: &[String],
    predict: &dyn Fn(&[&str]) -> Vec<Prediction>,
) -> Vec<CaseResult> {
    let texts: Vec<&str> = cases
        .iter()
        .flat_map(|c| c.texts.iter().map(String::as_str))
        .collect();
    let preds = if texts.is_empty() {
        Vec::new()
    } else {
        predict(&texts)
    };
    if preds.len() != texts.len() {
        let reason = format!(
            "the predictor returned {} predictions for {} texts",
            preds.len(),
            texts.len()
        );
        return cases
            .iter()
            .map(|c| CaseResult {
                case: c.clone(),
                predicted: Vec::new(),
                outcome: Outcome::Skipped,
                strict: Outcome::Skipped,
                reason: reason.clone(),
            })
            .collect();
    }
    let mut at = 0;
    cases
        .iter()
        .map(|c| {
            let p = &preds[at..at + c.texts.len()];
            at += c.texts.len();
            judge(c, classes, p)
        })
        .collect()
}

fn class_name(classes: &[String], i: usize) -> String {
    classes.get(i).cloned().unwrap_or_else(|| format!("#{i}"))
}

fn judge(case: &Case, classes: &[String], p: &[Prediction]) -> CaseResult {
    let predicted: Vec<String> = p.iter().map(|x| class_name(classes, x.class)).collect();
    let has = |c: &str| classes.iter().any(|k| k == c);
    let (outcome, reason) = match &case.expectation {
        Expectation::Label(c) | Expectation::FlipTo(c) if !has(c) => (
            Outcome::Skipped,
            format!("class '{c}' is not among this configuration's classes"),
        ),
        Expectation::Label(c) => {
            if &predicted[0] == c {
                (Outcome::Pass, String::new())
            } else {
                (Outcome::Fail, format!("predicted {}", predicted[0]))
            }
        }
        // The prediction must *move* to the target: a model that already gave the target to the original (say,
        // "support" for both "must" and "must not") has not reacted to the perturbation at all.
        Expectation::FlipTo(c) if &predicted[0] == c => (
            Outcome::Fail,
            format!("unchanged: the original was already predicted {c}"),
        ),
        Expectation::FlipTo(c) => match predicted[1..].iter().position(|x| x != c) {
            None => (Outcome::Pass, String::new()),
            Some(i) => (
                Outcome::Fail,
                format!(
                    "perturbed text {} predicted {} (original {})",
                    i + 1,
                    predicted[i + 1],
                    predicted[0]
                ),
            ),
        },
        Expectation::SameAsOriginal => match predicted[1..].iter().position(|x| x != &predicted[0])
        {
            None => (Outcome::Pass, String::new()),
            Some(i) => (
                Outcome::Fail,
                format!(
                    "changed from {} to {} on perturbed text {}",
                    predicted[0],
                    predicted[i + 1],
                    i + 1
                ),
            ),
        },
        Expectation::Opposite(a, b) => {
            let want = if &predicted[0] == a {
                Some(b)
            } else if &predicted[0] == b {
                Some(a)
            } else {
                None
            };
            match want {
                None => (
                    Outcome::Skipped,
                    format!("original predicted {}, which has no opposite", predicted[0]),
                ),
                Some(w) => match predicted[1..].iter().position(|x| x != w) {
                    None => (Outcome::Pass, String::new()),
                    Some(i) => (
                        Outcome::Fail,
                        format!(
                            "expected {w} after perturbation, got {} (original {})",
                            predicted[i + 1],
                            predicted[0]
                        ),
                    ),
                },
            }
        }
        Expectation::LowerConfidence => lower_confidence(classes, p),
    };
    let strict = match (&case.original, outcome) {
        (Some(label), Outcome::Pass) if case.kind != super::TestType::Mft => {
            if !has(label) {
                Outcome::Skipped
            } else if &predicted[0] != label {
                Outcome::Fail
            } else {
                Outcome::Pass
            }
        }
        _ => outcome,
    };
    let reason = if strict == Outcome::Fail && outcome == Outcome::Pass {
        format!(
            "strict: the original is {}, predicted {}",
            case.original.as_deref().unwrap_or("?"),
            predicted[0]
        )
    } else {
        reason
    };
    CaseResult {
        case: case.clone(),
        predicted,
        outcome,
        strict,
        reason,
    }
}

fn lower_confidence(classes: &[String], p: &[Prediction]) -> (Outcome, String) {
    let Some(p0) = &p[0].proba else {
        return (
            Outcome::Skipped,
            "the model has no probabilities".to_string(),
        );
    };
    let c = p[0].class;
    let Some(&base) = p0.get(c) else {
        return (
            Outcome::Skipped,
            "probabilities do not cover the predicted class".into(),
        );
    };
    for (i, q) in p[1..].iter().enumerate() {
        let Some(after) = q.proba.as_ref().and_then(|v| v.get(c)).copied() else {
            return (
                Outcome::Skipped,
                "the model has no probabilities".to_string(),
            );
        };
        // Strictly lower: a model that ignores the hedge gives the same probability, and that is the failure.
        if after >= base {
            return (
                Outcome::Fail,
                format!(
                    "p({}) {base:.3} -> {after:.3} on perturbed text {}",
                    class_name(classes, c),
                    i + 1
                ),
            );
        }
    }
    (Outcome::Pass, String::new())
}
