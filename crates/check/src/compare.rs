//! The comparison itself: for each configuration × gated metric old, new, change and a verdict; the p-value of
//! McNemar's exact test between the two runs; every changed prediction (the flip list); and the feature sets or
//! classifiers whose definition changed. A regression is a drop larger than the metric's tolerance and, when
//! `require_significance` is set, one that the test finds significant.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Gate;
use stance_behaviour::summary::check_bounds;
use stance_eval::oof::OutOfFold;
use stance_eval::results::ConfigResult;
use stance_eval::stats::mcnemar_exact;
use stance_results::{describe_predictions, RunReport};

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
    /// Whether either run left its predictions out of `report.json` (large runs), so no flip list exists.
    pub flips_unavailable: bool,
    /// Behavioural failure-rate bounds the candidate breaks (`config: violation`).
    pub behaviour_violations: Vec<String>,
    /// Behavioural cases whose outcome changed since the baseline (`config: case pass -> fail`).
    pub behaviour_flips: Vec<String>,
}

impl GateResult {
    /// Number of failing rows.
    pub fn failures(&self) -> usize {
        self.rows.iter().filter(|r| r.verdict.fails()).count() + self.behaviour_violations.len()
    }
}

/// Per item, whether most of the configuration's repeats got it right (the one rule, [`OutOfFold`]'s).
fn majority_correct(r: &RunReport, c: &ConfigResult) -> Vec<Option<bool>> {
    let gold: Vec<usize> = r.run.items.iter().map(|i| i.gold).collect();
    OutOfFold::new(c.predictions.clone(), r.data.classes.len()).majority_correct(&gold)
}

/// Compares a candidate run with a (non-stale, consistent) baseline.
pub fn compare(baseline: &RunReport, candidate: &RunReport, gate: &Gate) -> GateResult {
    let mut rows = Vec::new();
    let mut flips = Vec::new();
    for id in &config_ids(baseline, candidate) {
        let (old, new) = (baseline.config(id), candidate.config(id));
        let p_value = match (old, new) {
            (Some(o), Some(n)) => {
                flips.extend(flips_of(baseline, o, candidate, n));
                Some(p_value(baseline, o, candidate, n))
            }
            _ => None,
        };
        for m in &gate.metrics {
            let tolerance = gate.tolerance.get(m).copied().unwrap_or(0.0);
            let o = old.and_then(|c| c.metrics.get(m)).map(|e| e.point);
            let n = new.and_then(|c| c.metrics.get(m)).map(|e| e.point);
            let change = o.zip(n).map(|(a, b)| b - a);
            rows.push(GateRow {
                config: id.clone(),
                metric: m.key().into(),
                old: o,
                new: n,
                change,
                tolerance,
                p_value,
                verdict: verdict(o, n, tolerance, p_value, gate),
            });
        }
    }
    GateResult {
        rows,
        flips,
        changed_definitions: changed_definitions(baseline, candidate),
        flips_unavailable: baseline.predictions_omitted || candidate.predictions_omitted,
        behaviour_violations: behaviour_violations(candidate, gate),
        behaviour_flips: behaviour_flips(baseline, candidate),
    }
}

/// The `[gate.behaviour]` bounds the candidate breaks, on its declared configurations (default: its best). A
/// bound on a run without behavioural results is itself a violation, so a gate cannot pass by running no suites.
fn behaviour_violations(candidate: &RunReport, gate: &Gate) -> Vec<String> {
    let Some(spec) = &gate.behaviour else {
        return Vec::new();
    };
    let Some(b) = &candidate.behaviour else {
        return vec!["[gate.behaviour] is set but the run has no behavioural results".into()];
    };
    let configs = if spec.configs.is_empty() {
        vec![candidate.run.best.clone()]
    } else {
        spec.configs.clone()
    };
    let mut out = Vec::new();
    for id in &configs {
        match b.summary(id) {
            Some(s) => out.extend(
                check_bounds(s, &spec.max_failure_rate)
                    .into_iter()
                    .map(|v| format!("{id}: {v}")),
            ),
            None => out.push(format!(
                "{id}: no behavioural results for this configuration"
            )),
        }
    }
    out
}

/// Behavioural cases whose outcome changed between the runs, per configuration both ran.
fn behaviour_flips(baseline: &RunReport, candidate: &RunReport) -> Vec<String> {
    let (Some(old), Some(new)) = (&baseline.behaviour, &candidate.behaviour) else {
        return Vec::new();
    };
    let word = |c: char| match c {
        'p' => "pass",
        'f' => "fail",
        _ => "skipped",
    };
    let mut out = Vec::new();
    for (config, now) in &new.outcomes {
        let Some(before) = old.outcomes.get(config) else {
            continue;
        };
        let before: std::collections::BTreeMap<&str, char> = old
            .cases
            .iter()
            .map(String::as_str)
            .zip(before.chars())
            .collect();
        for (case, n) in new.cases.iter().zip(now.chars()) {
            if let Some(&o) = before.get(case.as_str()) {
                if o != n {
                    out.push(format!("{config}: {case} {} -> {}", word(o), word(n)));
                }
            }
        }
    }
    out
}

/// Every configuration id of either run, the baseline's first, each once.
fn config_ids(baseline: &RunReport, candidate: &RunReport) -> Vec<String> {
    let mut seen = BTreeSet::new();
    baseline
        .run
        .configs
        .iter()
        .chain(&candidate.run.configs)
        .map(|c| c.id.clone())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// McNemar's exact p-value on the items each run gets right in most repeats.
fn p_value(baseline: &RunReport, o: &ConfigResult, candidate: &RunReport, n: &ConfigResult) -> f64 {
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
    mcnemar_exact(only_old, only_new)
}

/// The items whose prediction changed in any repeat.
fn flips_of(
    baseline: &RunReport,
    o: &ConfigResult,
    candidate: &RunReport,
    n: &ConfigResult,
) -> Vec<Flip> {
    let (oof_old, oof_new) = (
        OutOfFold::new(o.predictions.clone(), baseline.data.classes.len()),
        OutOfFold::new(n.predictions.clone(), candidate.data.classes.len()),
    );
    let mut flips = Vec::new();
    for i in 0..candidate.run.items.len().min(baseline.run.items.len()) {
        let changed = o.predictions.iter().zip(&n.predictions).any(|(ro, rn)| {
            ro.get(i).map(|p| p.as_ref().map(|p| p.class))
                != rn.get(i).map(|p| p.as_ref().map(|p| p.class))
        });
        if changed {
            let item = &candidate.run.items[i];
            flips.push(Flip {
                config: n.id.clone(),
                item: item.id.clone(),
                text: item.text.clone(),
                gold: candidate.data.classes[item.gold].clone(),
                before: describe_predictions(baseline, &oof_old, i),
                after: describe_predictions(candidate, &oof_new, i),
            });
        }
    }
    flips
}

fn verdict(
    o: Option<f64>,
    n: Option<f64>,
    tolerance: f64,
    p_value: Option<f64>,
    gate: &Gate,
) -> Verdict {
    // A tiny epsilon absorbs floating-point noise in recomputed metrics.
    let eps = 1e-12;
    match (o, n, o.zip(n).map(|(a, b)| b - a)) {
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
    }
}

/// Feature sets and classifiers present in both runs whose definition differs.
fn changed_definitions(baseline: &RunReport, candidate: &RunReport) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (&baseline.experiment.config, &candidate.experiment.config);
    for f in &b.features {
        match a.features.iter().find(|x| x.name == f.name) {
            Some(old) if old != f => out.push(format!("feature set '{}'", f.name)),
            _ => {}
        }
    }
    for c in &b.classifiers {
        match a.classifiers.iter().find(|x| x.name() == c.name()) {
            Some(old) if old != c => out.push(format!("classifier '{}'", c.name())),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use stance_eval::MetricName;
    use stance_fixtures::sample_report;

    fn gate(require_significance: bool) -> Gate {
        Gate {
            metrics: vec![MetricName::MacroF1, MetricName::Accuracy],
            tolerance: BTreeMap::from([(MetricName::MacroF1, 0.05)]),
            require_significance,
            alpha: 0.05,
            behaviour: None,
        }
    }

    /// The sample run with `delta` added to one model's macro-F1.
    fn shifted(delta: f64) -> (RunReport, String) {
        let mut r = sample_report();
        let c = r
            .run
            .configs
            .iter_mut()
            .find(|c| !c.baseline)
            .expect("a model");
        c.metrics
            .get_mut(&MetricName::MacroF1)
            .expect("macro-F1")
            .point += delta;
        let id = c.id.clone();
        (r, id)
    }

    fn verdict_of(result: &GateResult, config: &str, metric: MetricName) -> Verdict {
        let row = result
            .rows
            .iter()
            .find(|r| r.config == config && r.metric == metric.key());
        row.expect("a row per configuration and metric").verdict
    }

    #[test]
    fn verdicts_that_fail_the_gate() {
        assert!(Verdict::Regression.fails());
        assert!(Verdict::Missing.fails());
        assert!(!Verdict::Improved.fails());
        assert!(!Verdict::New.fails());
    }

    #[test]
    fn an_identical_run_passes_with_no_flips() {
        let r = sample_report();
        let result = compare(&r, &r, &gate(false));
        assert_eq!(result.failures(), 0);
        assert!(result
            .rows
            .iter()
            .all(|x| x.verdict == Verdict::Pass && x.p_value == Some(1.0)));
        assert!(result.flips.is_empty() && result.changed_definitions.is_empty());
    }

    #[test]
    fn a_drop_beyond_tolerance_is_a_regression() {
        let (candidate, id) = shifted(-0.1);
        let result = compare(&sample_report(), &candidate, &gate(false));
        assert_eq!(
            verdict_of(&result, &id, MetricName::MacroF1),
            Verdict::Regression
        );
        assert_eq!(
            verdict_of(&result, &id, MetricName::Accuracy),
            Verdict::Pass
        );
        assert_eq!(result.failures(), 1);
        // Identical predictions: McNemar cannot call the drop significant, so requiring significance passes it.
        assert_eq!(
            compare(&sample_report(), &candidate, &gate(true)).failures(),
            0
        );
    }

    #[test]
    fn changes_within_tolerance_pass_and_gains_are_improvements() {
        let (candidate, id) = shifted(-0.04);
        let result = compare(&sample_report(), &candidate, &gate(false));
        assert_eq!(verdict_of(&result, &id, MetricName::MacroF1), Verdict::Pass);
        let (candidate, id) = shifted(0.1);
        let result = compare(&sample_report(), &candidate, &gate(false));
        assert_eq!(
            verdict_of(&result, &id, MetricName::MacroF1),
            Verdict::Improved
        );
        assert_eq!(result.failures(), 0);
    }

    #[test]
    fn a_configuration_missing_from_the_run_fails() {
        let baseline = sample_report();
        let mut candidate = baseline.clone();
        let gone = candidate.run.configs.remove(0).id;
        let result = compare(&baseline, &candidate, &gate(false));
        assert_eq!(
            verdict_of(&result, &gone, MetricName::MacroF1),
            Verdict::Missing
        );
        assert_eq!(result.failures(), 2);
        // The other way round the configuration is new, which is not gated.
        let result = compare(&candidate, &baseline, &gate(false));
        assert_eq!(
            verdict_of(&result, &gone, MetricName::Accuracy),
            Verdict::New
        );
        assert_eq!(result.failures(), 0);
    }

    #[test]
    fn changed_predictions_are_listed_as_flips() {
        let baseline = sample_report();
        let mut candidate = baseline.clone();
        let c = candidate
            .run
            .configs
            .iter_mut()
            .find(|c| !c.baseline)
            .expect("a model");
        // An item both repeats predict alike, so that changing one repeat shows as a split vote.
        let class = |rep: &[Option<stance_eval::results::PredictionRecord>], i: usize| {
            rep[i].as_ref().expect("every item is tested").class
        };
        let i = (0..baseline.run.items.len())
            .find(|&i| class(&c.predictions[0], i) == class(&c.predictions[1], i))
            .expect("two repeats agree on some item");
        let p = c.predictions[0][i].as_mut().expect("tested");
        p.class = 1 - p.class;
        let id = c.id.clone();
        let result = compare(&baseline, &candidate, &gate(false));
        assert_eq!(result.flips.len(), 1);
        let flip = &result.flips[0];
        assert_eq!(
            (flip.config.as_str(), flip.item.as_str()),
            (id.as_str(), baseline.run.items[i].id.as_str())
        );
        assert_ne!(flip.before, flip.after);
        // Two repeats now disagree on the item, so "after" shows the vote.
        assert!(flip.after.contains("1/2"), "{}", flip.after);
    }
}
