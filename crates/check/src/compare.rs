//! The comparison itself, built around what 11 gold items can support (docs/METHODS.md, "The CI gate"):
//!
//! * **Only the configurations that matter are gated**: the baseline's best and any `[gate] configs` name. The
//!   other rows of a 26-configuration leaderboard move by chance whenever a random stream moves, and a family of
//!   52 tolerance checks fails on noise almost surely.
//! * **Items, not metric drops**: an item the baseline got right in at least `right_share` of its repeats that the
//!   candidate gets wrong in most of its repeats is *broken*. Broken items are listed, and more than `max_broken`
//!   of them fail the gate. This catches a real regression (3 of 11 items turned wrong) that no significance test
//!   on 11 items can (McNemar 3–0 is p = 0.25), while a change of random streams rarely breaks a stable item.
//! * **The exact paired test** ([`stance_eval::permutation`], one-sided: is the candidate worse?) on each gated
//!   metric: a drop beyond the metric's tolerance is a regression only when the test finds it significant
//!   (Holm over the gate's tests), unless `require_significance = false`.
//! * **The behavioural suites** as a second signal: per gated configuration and behavioural test, the cases that
//!   went from pass to fail against those that went from fail to pass, with the exact binomial (sign) test —
//!   hundreds of cases give the power the gold items lack. Cases are matched by id and by a digest of their texts
//!   and expectation, so an edited suite is not read as a changed model.
//!
//! Every p-value of the gate (metric rows and behavioural tests) is Holm-adjusted as one family. The flip list
//! names every changed prediction of the gated configurations; the other configurations' changes are counted.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Gate;
use stance_behaviour::summary::check_bounds;
use stance_eval::metrics::{favg_for, score_with};
use stance_eval::oof::OutOfFold;
use stance_eval::permutation::{units_of, Pairing, Tail};
use stance_eval::results::{BootstrapUnit, ConfigResult};
use stance_eval::stats::{binomial_upper_tail, derive_seed, holm};
use stance_results::{describe_predictions, RunReport};

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing the gate counts as a regression.
    Pass,
    /// Better than the baseline beyond the tolerance.
    Improved,
    /// A regression: a significant drop, too many broken items, or a behavioural test that got significantly worse.
    Regression,
    /// A gated configuration missing from this run (or from both runs).
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

/// One gated configuration × metric.
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
    /// One-sided exact paired permutation p-value that the candidate is worse (`None` without predictions).
    pub p_value: Option<f64>,
    /// `p_value` Holm-adjusted over every test of the gate.
    pub p_holm: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// An item a gated configuration got right in the baseline and gets wrong now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenItem {
    /// Item id.
    pub item: String,
    /// The statement.
    pub text: String,
    /// Gold class.
    pub gold: String,
    /// The baseline's predictions over repeats.
    pub before: String,
    /// The candidate's.
    pub after: String,
}

/// The item rule of one gated configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemCheck {
    /// Configuration id.
    pub config: String,
    /// Why it is gated: `best` (the baseline's best) or `named` (`[gate] configs`).
    pub reason: String,
    /// Items the baseline got right in at least `right_share` of its repeats (the ones that can break).
    pub stable: usize,
    /// Those the candidate gets wrong in most of its repeats.
    pub broken: Vec<BrokenItem>,
    /// The most broken items allowed.
    pub max_broken: usize,
    /// Pass, Regression (too many broken), or Missing (the configuration is not in both runs).
    pub verdict: Verdict,
}

/// One behavioural test of one gated configuration, baseline against candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BehaviourCheck {
    /// Configuration id.
    pub config: String,
    /// Behavioural test name.
    pub test: String,
    /// Cases matched in both runs (same id, same texts and expectation) and judged in both.
    pub matched: usize,
    /// Cases that passed in the baseline and fail now.
    pub broken: u64,
    /// Cases that failed in the baseline and pass now.
    pub fixed: u64,
    /// One-sided exact binomial p-value of `broken` among `broken + fixed` discordant cases.
    pub p_value: f64,
    /// Holm-adjusted over every test of the gate.
    pub p_holm: f64,
    /// Pass or Regression.
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
    /// One row per gated configuration × gated metric.
    pub rows: Vec<GateRow>,
    /// The item rule per gated configuration.
    pub items: Vec<ItemCheck>,
    /// Behavioural tests of the gated configurations whose outcome changed on some case.
    pub behaviour_tests: Vec<BehaviourCheck>,
    /// Why the behavioural signal is unavailable, when it is (no suites, a baseline without case digests…).
    pub behaviour_unavailable: Option<String>,
    /// Every changed prediction of the gated configurations.
    pub flips: Vec<Flip>,
    /// Configurations not gated whose predictions changed (counted, not judged).
    pub ungated_changed: Vec<String>,
    /// Feature sets or classifiers whose definition changed since the baseline.
    pub changed_definitions: Vec<String>,
    /// Whether either run left its predictions out of `report.json` (large runs): then there is no flip list, no
    /// item rule and no exact test, and a drop beyond tolerance fails on its own.
    pub flips_unavailable: bool,
    /// Behavioural failure-rate bounds the candidate breaks (`config: violation`).
    pub behaviour_violations: Vec<String>,
    /// Behavioural cases of the gated configurations whose outcome changed since the baseline
    /// (`config: case pass -> fail`).
    pub behaviour_flips: Vec<String>,
    /// Tests in the gate's Holm family.
    pub family: usize,
}

impl GateResult {
    /// Number of failing checks.
    pub fn failures(&self) -> usize {
        self.rows.iter().filter(|r| r.verdict.fails()).count()
            + self.items.iter().filter(|r| r.verdict.fails()).count()
            + self
                .behaviour_tests
                .iter()
                .filter(|r| r.verdict.fails())
                .count()
            + self.behaviour_violations.len()
    }
}

/// The configurations the gate judges, each with why: the baseline's best, then `[gate] configs` in order.
pub fn gated_configs(baseline: &RunReport, gate: &Gate) -> Vec<(String, &'static str)> {
    let mut out = vec![(baseline.run.best.clone(), "best")];
    for c in &gate.configs {
        if !out.iter().any(|(id, _)| id == c) {
            out.push((c.clone(), "named"));
        }
    }
    out
}

/// Both runs' predictions of one configuration, scored on the items both tested.
struct Paired<'a> {
    baseline: &'a RunReport,
    candidate: &'a RunReport,
    gold: Vec<usize>,
    units: Vec<Vec<usize>>,
    favg: Vec<usize>,
}

impl<'a> Paired<'a> {
    fn new(baseline: &'a RunReport, candidate: &'a RunReport) -> Paired<'a> {
        let gold: Vec<usize> = candidate.run.items.iter().map(|i| i.gold).collect();
        let evaluated: Vec<usize> = (0..gold.len().min(baseline.run.items.len())).collect();
        let clustered = candidate.run.evaluation.bootstrap_unit != BootstrapUnit::Item;
        let doc = |i: usize| candidate.run.items[i].doc.clone();
        Paired {
            baseline,
            candidate,
            units: units_of(&evaluated, &doc, clustered),
            favg: favg_for(
                candidate.experiment.config.favg_classes.as_deref(),
                &candidate.data.classes,
            ),
            gold,
        }
    }

    fn pairing(&self) -> Pairing<'_> {
        Pairing {
            gold: &self.gold,
            units: &self.units,
            classes: &self.candidate.data.classes,
            favg: &self.favg,
        }
    }

    fn score(&self, r: &RunReport, c: &ConfigResult, m: stance_eval::MetricName) -> Option<f64> {
        c.metrics.get(&m)?;
        let items: Vec<usize> = self.units.iter().flatten().copied().collect();
        let conf = self.oof(c).pooled_confusion(&self.gold, &items, None);
        score_with(&conf, &r.data.classes, &self.favg).get(m)
    }

    fn oof(&self, c: &ConfigResult) -> OutOfFold {
        OutOfFold::new(c.predictions.clone(), self.candidate.data.classes.len())
    }
}

/// Compares a candidate run with a (non-stale, consistent) baseline.
pub fn compare(baseline: &RunReport, candidate: &RunReport, gate: &Gate) -> GateResult {
    let gated = gated_configs(baseline, gate);
    // Item by item needs the same items, gold labels and classes in both (a vetted baseline has them; a hand-edited
    // one may not, and is then compared on its metrics alone).
    let same_items = baseline.data.classes == candidate.data.classes
        && baseline.run.items.len() == candidate.run.items.len()
        && baseline
            .run
            .items
            .iter()
            .zip(&candidate.run.items)
            .all(|(a, b)| a.id == b.id && a.gold == b.gold);
    let unavailable = baseline.predictions_omitted || candidate.predictions_omitted || !same_items;
    let paired = Paired::new(baseline, candidate);
    let mut rows = Vec::new();
    let mut items = Vec::new();
    let mut flips = Vec::new();
    for (k, (id, reason)) in gated.iter().enumerate() {
        let (old, new) = (baseline.config(id), candidate.config(id));
        let both = old.zip(new).filter(|(o, n)| {
            !unavailable && !o.predictions.is_empty() && !n.predictions.is_empty()
        });
        if let Some((o, n)) = both {
            flips.extend(flips_of(&paired, o, n));
        }
        items.push(item_check(
            &paired,
            id,
            reason,
            old.zip(new),
            both.is_none(),
            gate,
        ));
        for m in &gate.metrics {
            let tolerance = gate.tolerance.get(m).copied().unwrap_or(0.0);
            // Scored from the predictions when both runs have them (what the exact test sees; equal to the reports'
            // points, which are made of the same predictions), else the reports' points.
            let point = |r: &RunReport, c: Option<&ConfigResult>| match (both, c) {
                (Some(_), Some(c)) => paired.score(r, c, *m),
                (None, Some(c)) => c.metrics.get(m).map(|e| e.point),
                _ => None,
            };
            let (o, n) = (point(baseline, old), point(candidate, new));
            let p_value = both.map(|(o, n)| {
                paired
                    .pairing()
                    .test(
                        &paired.oof(n),
                        &paired.oof(o),
                        *m,
                        Tail::Less,
                        derive_seed(candidate.run.evaluation.seed, &[k as u64, *m as u64]),
                    )
                    .p_value
            });
            rows.push(GateRow {
                config: id.clone(),
                metric: m.key().into(),
                old: o,
                new: n,
                change: o.zip(n).map(|(a, b)| b - a),
                tolerance,
                p_value,
                p_holm: None,
                verdict: Verdict::Pass,
            });
        }
    }
    let (mut behaviour_tests, behaviour_unavailable) =
        behaviour_checks(baseline, candidate, &gated);
    let family = adjust(&mut rows, &mut behaviour_tests, gate);
    for row in &mut rows {
        row.verdict = verdict(row, gate);
    }
    let gated_ids: BTreeSet<&str> = gated.iter().map(|(id, _)| id.as_str()).collect();
    GateResult {
        rows,
        items,
        behaviour_tests,
        behaviour_unavailable,
        flips,
        ungated_changed: if unavailable {
            Vec::new()
        } else {
            changed_configs(baseline, candidate)
                .into_iter()
                .filter(|id| !gated_ids.contains(id.as_str()))
                .collect()
        },
        changed_definitions: changed_definitions(baseline, candidate),
        flips_unavailable: unavailable,
        behaviour_violations: behaviour_violations(candidate, gate),
        behaviour_flips: behaviour_flips(baseline, candidate, &gated_ids),
        family,
    }
}

/// Holm's adjustment over every p-value of the gate (metric rows and behavioural tests), one family; the
/// behavioural verdicts follow from it (the rows' once their tolerance is known). Returns the family's size.
fn adjust(rows: &mut [GateRow], tests: &mut [BehaviourCheck], gate: &Gate) -> usize {
    let mut p: Vec<f64> = rows.iter().filter_map(|r| r.p_value).collect();
    p.extend(tests.iter().map(|t| t.p_value));
    let mut adjusted = holm(&p).into_iter();
    for r in rows.iter_mut().filter(|r| r.p_value.is_some()) {
        r.p_holm = adjusted.next();
    }
    for t in tests.iter_mut() {
        t.p_holm = adjusted.next().unwrap_or(1.0);
        t.verdict = if t.p_holm < gate.alpha {
            Verdict::Regression
        } else {
            Verdict::Pass
        };
    }
    p.len()
}

/// Items the baseline got right in at least `right_share` of its repeats that the candidate gets wrong in most of
/// its repeats.
fn item_check(
    paired: &Paired<'_>,
    id: &str,
    reason: &str,
    both: Option<(&ConfigResult, &ConfigResult)>,
    unavailable: bool,
    gate: &Gate,
) -> ItemCheck {
    let mut check = ItemCheck {
        config: id.to_string(),
        reason: reason.to_string(),
        stable: 0,
        broken: Vec::new(),
        max_broken: gate.max_broken,
        verdict: Verdict::Missing,
    };
    let Some((o, n)) = both else {
        return check;
    };
    check.verdict = Verdict::Pass;
    if unavailable {
        return check;
    }
    let (before, after) = (paired.oof(o), paired.oof(n));
    let now_right = after.majority_correct(&paired.gold);
    for (i, &g) in paired.gold.iter().enumerate() {
        let tested = before.times_tested(i);
        if tested == 0 || f64::from(before.votes(i)[g]) < gate.right_share * f64::from(tested) {
            continue;
        }
        check.stable += 1;
        if now_right[i] == Some(false) {
            let item = &paired.candidate.run.items[i];
            check.broken.push(BrokenItem {
                item: item.id.clone(),
                text: item.text.clone(),
                gold: paired.candidate.data.classes[g].clone(),
                before: describe_predictions(paired.baseline, &before, i),
                after: describe_predictions(paired.candidate, &after, i),
            });
        }
    }
    if check.broken.len() > gate.max_broken {
        check.verdict = Verdict::Regression;
    }
    check
}

/// The behavioural sign tests of the gated configurations: per test, cases matched in both runs (id and digest)
/// and judged in both, pass → fail against fail → pass.
fn behaviour_checks(
    baseline: &RunReport,
    candidate: &RunReport,
    gated: &[(String, &str)],
) -> (Vec<BehaviourCheck>, Option<String>) {
    let (Some(old), Some(new)) = (&baseline.behaviour, &candidate.behaviour) else {
        return (
            Vec::new(),
            Some("one of the runs has no behavioural results".into()),
        );
    };
    if old.digests.len() != old.cases.len() || new.digests.len() != new.cases.len() {
        return (
            Vec::new(),
            Some(
                "the baseline predates behavioural case digests, so its cases cannot be matched to this run's; \
                 re-baseline to compare them"
                    .into(),
            ),
        );
    }
    let before: BTreeMap<(&str, &str), usize> = old
        .cases
        .iter()
        .zip(&old.digests)
        .enumerate()
        .map(|(k, (c, d))| ((c.as_str(), d.as_str()), k))
        .collect();
    let mut out = Vec::new();
    for (config, _) in gated {
        let (Some(was), Some(now)) = (old.outcomes.get(config), new.outcomes.get(config)) else {
            continue;
        };
        let (was, now): (Vec<char>, Vec<char>) = (was.chars().collect(), now.chars().collect());
        // Per test name: (matched, pass → fail, fail → pass), in case order.
        let mut by_test: Vec<(String, usize, u64, u64)> = Vec::new();
        for (k, (case, digest)) in new.cases.iter().zip(&new.digests).enumerate() {
            let Some(&j) = before.get(&(case.as_str(), digest.as_str())) else {
                continue;
            };
            let (b, n) = (was.get(j).copied(), now.get(k).copied());
            if !matches!(b, Some('p' | 'f')) || !matches!(n, Some('p' | 'f')) {
                continue;
            }
            let test = case.rsplit_once('.').map_or(case.as_str(), |(t, _)| t);
            let pos = match by_test.iter().position(|t| t.0 == test) {
                Some(p) => p,
                None => {
                    by_test.push((test.to_string(), 0, 0, 0));
                    by_test.len() - 1
                }
            };
            let entry = &mut by_test[pos];
            entry.1 += 1;
            match (b, n) {
                (Some('p'), Some('f')) => entry.2 += 1,
                (Some('f'), Some('p')) => entry.3 += 1,
                _ => {}
            }
        }
        for (test, matched, broken, fixed) in by_test {
            if broken + fixed == 0 {
                continue;
            }
            out.push(BehaviourCheck {
                config: config.clone(),
                test,
                matched,
                broken,
                fixed,
                p_value: binomial_upper_tail(broken, broken + fixed),
                p_holm: 1.0,
                verdict: Verdict::Pass,
            });
        }
    }
    (out, None)
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

/// Behavioural cases of the gated configurations whose outcome changed between the runs.
fn behaviour_flips(
    baseline: &RunReport,
    candidate: &RunReport,
    gated: &BTreeSet<&str>,
) -> Vec<String> {
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
        let Some(before) = old
            .outcomes
            .get(config)
            .filter(|_| gated.contains(config.as_str()))
        else {
            continue;
        };
        let before: BTreeMap<&str, char> = old
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

/// Configurations both runs hold whose predictions differ anywhere.
fn changed_configs(baseline: &RunReport, candidate: &RunReport) -> Vec<String> {
    baseline
        .run
        .configs
        .iter()
        .filter_map(|o| {
            let n = candidate.config(&o.id)?;
            (o.predictions != n.predictions).then(|| o.id.clone())
        })
        .collect()
}

/// The items whose prediction changed in any repeat.
fn flips_of(paired: &Paired<'_>, o: &ConfigResult, n: &ConfigResult) -> Vec<Flip> {
    let (baseline, candidate) = (paired.baseline, paired.candidate);
    let (oof_old, oof_new) = (paired.oof(o), paired.oof(n));
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

/// A row's verdict: a drop beyond the tolerance that the exact test finds significant (Holm), or any drop beyond
/// it when significance is not required or cannot be tested (predictions left out of a large report).
fn verdict(row: &GateRow, gate: &Gate) -> Verdict {
    // A tiny epsilon absorbs floating-point noise in recomputed metrics.
    let eps = 1e-12;
    match (row.old, row.new, row.change) {
        (Some(_), None, _) | (None, None, _) => Verdict::Missing,
        (None, Some(_), _) => Verdict::New,
        (Some(_), Some(_), Some(d)) if d < -(row.tolerance + eps) => {
            match (gate.require_significance, row.p_holm) {
                (true, Some(p)) if p >= gate.alpha => Verdict::Pass,
                _ => Verdict::Regression,
            }
        }
        (Some(_), Some(_), Some(d)) if d > row.tolerance + eps => Verdict::Improved,
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

/// The item-level scores a gate reads, recomputed from predictions (what the report's points are made of), for
/// tests and the simulation: `metric` of configuration `id` in `r`.
pub fn pooled_score(r: &RunReport, id: &str, metric: stance_eval::MetricName) -> Option<f64> {
    let c = r.config(id)?;
    let gold: Vec<usize> = r.run.items.iter().map(|i| i.gold).collect();
    let items: Vec<usize> = (0..gold.len()).collect();
    let favg = favg_for(r.experiment.config.favg_classes.as_deref(), &r.data.classes);
    let oof = OutOfFold::new(c.predictions.clone(), r.data.classes.len());
    score_with(
        &oof.pooled_confusion(&gold, &items, None),
        &r.data.classes,
        &favg,
    )
    .get(metric)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use stance_eval::results::PredictionRecord;
    use stance_eval::MetricName;
    use stance_fixtures::sample_report;

    fn gate() -> Gate {
        Gate {
            metrics: vec![MetricName::MacroF1, MetricName::Accuracy],
            tolerance: BTreeMap::new(),
            require_significance: true,
            alpha: 0.05,
            behaviour: None,
            configs: Vec::new(),
            max_broken: 2,
            right_share: 0.8,
        }
    }

    /// The sample run with `items` of its best configuration predicted wrong in every repeat.
    fn broken(items: &[usize]) -> RunReport {
        let mut r = sample_report();
        let gold: Vec<usize> = r.run.items.iter().map(|i| i.gold).collect();
        let k = r.data.classes.len();
        let best = r.run.best.clone();
        let c = r.run.configs.iter_mut().find(|c| c.id == best).unwrap();
        for rep in &mut c.predictions {
            for &i in items {
                if let Some(p) = rep[i].as_mut() {
                    p.class = (gold[i] + 1) % k;
                }
            }
        }
        r
    }

    /// Items the sample's best gets right in every repeat.
    fn always_right(r: &RunReport) -> Vec<usize> {
        let c = r.config(&r.run.best).unwrap();
        (0..r.run.items.len())
            .filter(|&i| {
                c.predictions.iter().all(|rep| {
                    rep[i]
                        .as_ref()
                        .is_some_and(|p: &PredictionRecord| p.class == r.run.items[i].gold)
                })
            })
            .collect()
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
        let result = compare(&r, &r, &gate());
        assert_eq!(result.failures(), 0);
        // Only the best is gated: one row per metric, one item check.
        assert_eq!(result.rows.len(), 2);
        assert_eq!(result.items.len(), 1);
        assert!(result
            .rows
            .iter()
            .all(|x| x.verdict == Verdict::Pass && x.p_value == Some(1.0)));
        assert!(result.items[0].broken.is_empty());
        assert!(result.flips.is_empty() && result.changed_definitions.is_empty());
        assert!(result.ungated_changed.is_empty());
    }

    /// Three stable items turned wrong in every repeat: the item rule fails the gate although no test on this many
    /// items can call it significant; two pass under `max_broken = 2`.
    #[test]
    fn more_broken_items_than_allowed_fail() {
        let base = sample_report();
        let right = always_right(&base);
        assert!(right.len() >= 3, "the sample's best gets three items right");
        let two = compare(&base, &broken(&right[..2]), &gate());
        assert_eq!(two.items[0].broken.len(), 2);
        assert_eq!(two.items[0].verdict, Verdict::Pass);
        let three = compare(&base, &broken(&right[..3]), &gate());
        assert_eq!(three.items[0].broken.len(), 3);
        assert_eq!(three.items[0].verdict, Verdict::Regression);
        assert!(three.failures() >= 1);
        let listed: Vec<&str> = three.items[0]
            .broken
            .iter()
            .map(|b| b.item.as_str())
            .collect();
        let want: Vec<&str> = right[..3]
            .iter()
            .map(|&i| base.run.items[i].id.as_str())
            .collect();
        assert_eq!(listed, want);
        // With a stricter rule (max_broken = 0) one broken item fails.
        let strict = Gate {
            max_broken: 0,
            ..gate()
        };
        assert_eq!(
            compare(&base, &broken(&right[..1]), &strict).items[0].verdict,
            Verdict::Regression
        );
    }

    /// A drop the exact test cannot call significant passes when significance is required, and fails when it is
    /// not (the old tolerance-only gate).
    #[test]
    fn a_drop_fails_only_when_significant_unless_significance_is_not_required() {
        let base = sample_report();
        let right = always_right(&base);
        let cand = broken(&right[..1]);
        let result = compare(&base, &cand, &gate());
        let row = &result.rows[0];
        assert!(row.change.unwrap() < 0.0, "{row:?}");
        assert!(row.p_value.unwrap() >= 0.05, "{row:?}");
        assert_eq!(row.verdict, Verdict::Pass);
        let loose = Gate {
            require_significance: false,
            ..gate()
        };
        assert_eq!(
            compare(&base, &cand, &loose).rows[0].verdict,
            Verdict::Regression
        );
        let tolerant = Gate {
            require_significance: false,
            tolerance: BTreeMap::from([(MetricName::MacroF1, 1.0), (MetricName::Accuracy, 1.0)]),
            ..gate()
        };
        assert_eq!(compare(&base, &cand, &tolerant).failures(), 0);
    }

    /// Every item of the best turned wrong: the exact one-sided test is significant (the rows fail too).
    #[test]
    fn a_large_drop_is_significant() {
        let base = sample_report();
        let right = always_right(&base);
        let result = compare(&base, &broken(&right), &gate());
        if right.len() >= 6 {
            assert!(
                result.rows.iter().all(|r| r.verdict == Verdict::Regression),
                "{:?}",
                result.rows
            );
        }
        assert!(result.family >= 2);
    }

    #[test]
    fn a_named_configuration_missing_from_the_run_fails() {
        let baseline = sample_report();
        let mut candidate = baseline.clone();
        let other = candidate
            .run
            .configs
            .iter()
            .find(|c| c.id != baseline.run.best)
            .unwrap()
            .id
            .clone();
        candidate.run.configs.retain(|c| c.id != other);
        let named = Gate {
            configs: vec![other.clone()],
            ..gate()
        };
        let result = compare(&baseline, &candidate, &named);
        assert_eq!(result.items[1].config, other);
        assert_eq!(result.items[1].verdict, Verdict::Missing);
        assert!(result
            .rows
            .iter()
            .filter(|r| r.config == other)
            .all(|r| r.verdict == Verdict::Missing));
        // Not named, the missing configuration is not gated.
        assert_eq!(compare(&baseline, &candidate, &gate()).failures(), 0);
    }

    #[test]
    fn changed_predictions_of_the_gated_configuration_are_listed_as_flips() {
        let baseline = sample_report();
        let mut candidate = baseline.clone();
        let best = baseline.run.best.clone();
        let c = candidate
            .run
            .configs
            .iter_mut()
            .find(|c| c.id == best)
            .expect("the best");
        let class = |rep: &[Option<PredictionRecord>], i: usize| {
            rep[i].as_ref().expect("every item is tested").class
        };
        let i = (0..baseline.run.items.len())
            .find(|&i| class(&c.predictions[0], i) == class(&c.predictions[1], i))
            .expect("two repeats agree on some item");
        let p = c.predictions[0][i].as_mut().expect("tested");
        p.class = 1 - p.class;
        let result = compare(&baseline, &candidate, &gate());
        assert_eq!(result.flips.len(), 1);
        let flip = &result.flips[0];
        assert_eq!(
            (flip.config.as_str(), flip.item.as_str()),
            (best.as_str(), baseline.run.items[i].id.as_str())
        );
        assert!(flip.after.contains("1/2"), "{}", flip.after);
        // A change to an ungated configuration is counted, not listed.
        let mut other = baseline.clone();
        let c = other.run.configs.iter_mut().find(|c| c.id != best).unwrap();
        let p = c.predictions[0][0].as_mut().unwrap();
        p.class = 1 - p.class;
        let id = c.id.clone();
        let result = compare(&baseline, &other, &gate());
        assert!(result.flips.is_empty());
        assert_eq!(result.ungated_changed, vec![id]);
    }

    #[test]
    fn recomputed_scores_are_the_reports_points() {
        let r = sample_report();
        for c in &r.run.configs {
            let p = pooled_score(&r, &c.id, MetricName::MacroF1).unwrap();
            assert!(
                (p - c.metrics[&MetricName::MacroF1].point).abs() < 1e-12,
                "{}",
                c.id
            );
        }
    }
}
