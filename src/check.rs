//! The CI gate: compare a fresh run with a committed baseline, so a regression on gold data fails CI and a change
//! that does nothing does not.
//!
//! A baseline is a `report.json` ([`RunReport`]). Before comparing anything, [`stale_reasons`] refuses a baseline
//! whose seeds, labels or data changed, or whose experiment changed what is measured (data selection, evaluation
//! scheme, seed, bootstrap, kind): those results are not comparable, and the fix is to re-baseline on purpose.
//! A changed feature-set or classifier definition is *not* stale — judging such a change is the gate's job — and
//! is listed so the reader knows why numbers moved.
//!
//! For each configuration × gated metric the gate reports old, new, change, tolerance and a verdict. A regression
//! is a drop larger than the metric's tolerance and, when `require_significance` is set, one that McNemar's exact
//! test on the two runs' per-item predictions finds significant.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::eval::results::ConfigResult;
use crate::eval::stats::mcnemar_exact;
use crate::experiment::MetricName;
use crate::report::model::RunReport;

/// Gate settings after command-line overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// Metrics compared.
    pub metrics: Vec<MetricName>,
    /// Allowed absolute drop per metric (missing = 0).
    pub tolerance: BTreeMap<MetricName, f64>,
    /// Whether a drop must also be significant.
    pub require_significance: bool,
    /// Significance level.
    pub alpha: f64,
}

/// Why a baseline cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleReason {
    /// What changed (`labels:labels/gold.csv`, `experiment`, …).
    pub input: String,
    /// How it changed.
    pub detail: String,
}

/// Lists every reason the baseline is stale relative to the candidate (empty when comparable).
pub fn stale_reasons(baseline: &RunReport, candidate: &RunReport) -> Vec<StaleReason> {
    let mut out = Vec::new();
    if baseline.experiment.name != candidate.experiment.name {
        out.push(StaleReason {
            input: "experiment".into(),
            detail: format!(
                "the baseline is for experiment '{}', this run is '{}'",
                baseline.experiment.name, candidate.experiment.name
            ),
        });
    }
    let data_inputs = |r: &RunReport| -> BTreeMap<String, String> {
        r.inputs
            .iter()
            .filter(|(k, _)| !k.starts_with("experiment:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (old, new) = (data_inputs(baseline), data_inputs(candidate));
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for k in keys {
        match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) if a != b => out.push(StaleReason {
                input: k.clone(),
                detail: format!(
                    "changed (sha256 {} in the baseline, {} now)",
                    short(a),
                    short(b)
                ),
            }),
            (Some(_), None) => out.push(StaleReason {
                input: k.clone(),
                detail: "is no longer an input".into(),
            }),
            (None, Some(_)) => out.push(StaleReason {
                input: k.clone(),
                detail: "is a new input".into(),
            }),
            _ => {}
        }
    }
    if baseline.experiment.identity != candidate.experiment.identity {
        let (a, b) = (&baseline.experiment.config, &candidate.experiment.config);
        let mut parts = Vec::new();
        let differs = |x: serde_json::Value, y: serde_json::Value| x != y;
        if differs(serde_json::json!(a.data), serde_json::json!(b.data)) {
            parts.push("[data]");
        }
        if differs(
            serde_json::json!(a.evaluation),
            serde_json::json!(b.evaluation),
        ) {
            parts.push("[evaluation]");
        }
        if a.seed != b.seed {
            parts.push("seed");
        }
        if a.bootstrap != b.bootstrap {
            parts.push("bootstrap");
        }
        if a.alpha != b.alpha {
            parts.push("alpha");
        }
        if a.kind != b.kind || a.ablation != b.ablation || a.learning_curve != b.learning_curve {
            parts.push("kind / [ablation] / [learning_curve]");
        }
        out.push(StaleReason {
            input: "experiment".into(),
            detail: format!(
                "what the experiment measures changed ({}); its results are not comparable with the baseline's",
                if parts.is_empty() { "settings".to_string() } else { parts.join(", ") }
            ),
        });
    }
    out
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// The verdict of one configuration × metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Within tolerance (or not significant when significance is required).
    Pass,
    /// Better than the baseline by more than the tolerance.
    Improved,
    /// Worse beyond tolerance (and significant when required).
    Regression,
    /// In the baseline but not in this run.
    Missing,
    /// In this run but not in the baseline (not gated).
    New,
}

impl Verdict {
    /// Whether the verdict fails the gate.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Regression | Verdict::Missing)
    }
}

/// One row of the gate's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateRow {
    /// Configuration id.
    pub config: String,
    /// Metric key.
    pub metric: String,
    /// Baseline value.
    pub old: Option<f64>,
    /// Candidate value.
    pub new: Option<f64>,
    /// `new − old`.
    pub change: Option<f64>,
    /// Allowed drop.
    pub tolerance: f64,
    /// McNemar's exact p-value, baseline vs candidate (items right in most repeats).
    pub p_value: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// A statement whose out-of-fold prediction changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flip {
    /// Configuration id.
    pub config: String,
    /// Item id.
    pub item: String,
    /// The statement.
    pub text: String,
    /// Gold class.
    pub gold: String,
    /// Prediction(s) before, e.g. `support` or `support 7/10, oppose 3/10`.
    pub before: String,
    /// Prediction(s) after.
    pub after: String,
}

/// The gate's full result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// One row per configuration × metric.
    pub rows: Vec<GateRow>,
    /// Every changed prediction.
    pub flips: Vec<Flip>,
    /// Feature sets or classifiers whose definition changed since the baseline.
    pub changed_definitions: Vec<String>,
}

impl GateResult {
    /// Number of failing rows.
    pub fn failures(&self) -> usize {
        self.rows.iter().filter(|r| r.verdict.fails()).count()
    }
}

fn majority_correct(r: &RunReport, c: &ConfigResult) -> Vec<Option<bool>> {
    (0..r.items.len())
        .map(|i| {
            let preds: Vec<usize> = c
                .predictions
                .iter()
                .filter_map(|rep| rep[i].as_ref().map(|p| p.class))
                .collect();
            (!preds.is_empty())
                .then(|| 2 * preds.iter().filter(|&&p| p == r.items[i].gold).count() > preds.len())
        })
        .collect()
}

fn describe_predictions(r: &RunReport, c: &ConfigResult, i: usize) -> String {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    let mut total = 0;
    for rep in &c.predictions {
        if let Some(p) = &rep[i] {
            *counts.entry(p.class).or_default() += 1;
            total += 1;
        }
    }
    if total == 0 {
        return "—".into();
    }
    if counts.len() == 1 {
        return r.data.classes[*counts.keys().next().expect("one")].clone();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{} {n}/{total}", r.data.classes[*k]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compares a candidate run with a (non-stale) baseline.
pub fn compare(baseline: &RunReport, candidate: &RunReport, gate: &Gate) -> GateResult {
    let mut rows = Vec::new();
    let mut flips = Vec::new();
    let ids: Vec<String> = {
        let mut seen = BTreeSet::new();
        baseline
            .configs
            .iter()
            .chain(&candidate.configs)
            .map(|c| c.id.clone())
            .filter(|id| seen.insert(id.clone()))
            .collect()
    };
    for id in &ids {
        let (old, new) = (baseline.config(id), candidate.config(id));
        let p_value = match (old, new) {
            (Some(o), Some(n)) => {
                let (a, b) = (
                    majority_correct(baseline, o),
                    majority_correct(candidate, n),
                );
                let mut only_old = 0;
                let mut only_new = 0;
                for (x, y) in a.iter().zip(&b) {
                    match (x, y) {
                        (Some(true), Some(false)) => only_old += 1,
                        (Some(false), Some(true)) => only_new += 1,
                        _ => {}
                    }
                }
                for i in 0..candidate.items.len().min(baseline.items.len()) {
                    let changed = o.predictions.iter().zip(&n.predictions).any(|(ro, rn)| {
                        ro.get(i).map(|p| p.as_ref().map(|p| p.class))
                            != rn.get(i).map(|p| p.as_ref().map(|p| p.class))
                    });
                    if changed {
                        flips.push(Flip {
                            config: id.clone(),
                            item: candidate.items[i].id.clone(),
                            text: candidate.items[i].text.clone(),
                            gold: candidate.data.classes[candidate.items[i].gold].clone(),
                            before: describe_predictions(baseline, o, i),
                            after: describe_predictions(candidate, n, i),
                        });
                    }
                }
                Some(mcnemar_exact(only_old, only_new))
            }
            _ => None,
        };
        for m in &gate.metrics {
            let key = m.key();
            let tolerance = gate.tolerance.get(m).copied().unwrap_or(0.0);
            let o = old.and_then(|c| c.metrics.get(m)).map(|e| e.point);
            let n = new.and_then(|c| c.metrics.get(m)).map(|e| e.point);
            let change = o.zip(n).map(|(a, b)| b - a);
            // A tiny epsilon absorbs floating-point noise in recomputed metrics.
            let eps = 1e-12;
            let verdict = match (o, n, change) {
                (Some(_), None, _) => Verdict::Missing,
                (None, Some(_), _) => Verdict::New,
                (Some(_), Some(_), Some(d)) if d < -(tolerance + eps) => {
                    if gate.require_significance && p_value.is_some_and(|p| p >= gate.alpha) {
                        Verdict::Pass
                    } else {
                        Verdict::Regression
                    }
                }
                (Some(_), Some(_), Some(d)) if d > tolerance + eps => Verdict::Improved,
                _ => Verdict::Pass,
            };
            rows.push(GateRow {
                config: id.clone(),
                metric: key.into(),
                old: o,
                new: n,
                change,
                tolerance,
                p_value,
                verdict,
            });
        }
    }
    let mut changed_definitions = Vec::new();
    let (a, b) = (&baseline.experiment.config, &candidate.experiment.config);
    for f in &b.features {
        match a.features.iter().find(|x| x.name == f.name) {
            Some(old) if old != f => changed_definitions.push(format!("feature set '{}'", f.name)),
            _ => {}
        }
    }
    for c in &b.classifiers {
        match a.classifiers.iter().find(|x| x.name() == c.name()) {
            Some(old) if old != c => changed_definitions.push(format!("classifier '{}'", c.name())),
            _ => {}
        }
    }
    GateResult {
        rows,
        flips,
        changed_definitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_respect_tolerance_and_significance() {
        assert!(Verdict::Regression.fails());
        assert!(Verdict::Missing.fails());
        assert!(!Verdict::Improved.fails());
        assert!(!Verdict::New.fails());
    }
}
