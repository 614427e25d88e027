//! Summaries of results: failure rates with Wilson intervals, CSV rows, the report section, and gate checks.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::run::{CaseResult, Outcome};
use super::stats::{wilson, Z95};
use super::TestType;

/// The failure rate of one test under one configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSummary {
    /// Suite file name.
    pub suite: String,
    /// Test name.
    pub test: String,
    /// MFT, INV or DIR.
    pub kind: TestType,
    /// The test's description.
    pub description: String,
    /// All cases of the test.
    pub cases: u64,
    /// Cases judged (not skipped).
    pub evaluated: u64,
    /// Failed cases.
    pub failures: u64,
    /// Skipped cases.
    pub skipped: u64,
    /// `failures / evaluated`, `None` when nothing was judged.
    pub failure_rate: Option<f64>,
    /// Wilson 95% interval of the failure rate, `None` when nothing was judged.
    pub interval: Option<(f64, f64)>,
    /// The most common reason for skipping, if any case was skipped.
    pub skip_reason: Option<String>,
    /// Cases whose original has a known label (gold, or stated in the suite): the strict reading applies to them.
    #[serde(default)]
    pub labelled: u64,
    /// Cases judged under the strict reading ("invariant and correct", see [`CaseResult::strict`]).
    #[serde(default)]
    pub strict_evaluated: u64,
    /// Cases failed under the strict reading.
    #[serde(default)]
    pub strict_failures: u64,
    /// `strict_failures / strict_evaluated` for INV and DIR tests, `None` when nothing was judged or for MFT
    /// tests (where both readings are one).
    #[serde(default)]
    pub strict_failure_rate: Option<f64>,
    /// Wilson 95% interval of the strict failure rate.
    #[serde(default)]
    pub strict_interval: Option<(f64, f64)>,
}

impl TestSummary {
    /// The failure rate a reader should compare models on: the strict one for INV and DIR tests (a constant
    /// predictor passes every plain invariance test), else the rate as tested.
    pub fn headline_rate(&self) -> Option<f64> {
        self.strict_failure_rate.or(self.failure_rate)
    }
}

/// All tests of one configuration, plus its failed results for examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviourSummary {
    /// Configuration name.
    pub config: String,
    /// One row per (suite, test), in case order.
    pub tests: Vec<TestSummary>,
    /// Failed cases, in case order.
    pub failures: Vec<CaseResult>,
}

impl BehaviourSummary {
    /// The summaries of tests with this name (one per suite that has it).
    pub fn test<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a TestSummary> + 'a {
        self.tests.iter().filter(move |t| t.test == name)
    }
}

/// Summarises one configuration's results per test, in the order tests first appear.
pub fn summarize(config: &str, results: &[CaseResult]) -> BehaviourSummary {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut by: BTreeMap<(String, String), Vec<&CaseResult>> = BTreeMap::new();
    for r in results {
        let key = (r.case.suite.clone(), r.case.test.clone());
        if !by.contains_key(&key) {
            order.push(key.clone());
        }
        by.entry(key).or_default().push(r);
    }
    let tests = order
        .into_iter()
        .map(|key| {
            let rs = &by[&key];
            let count = |o: Outcome| rs.iter().filter(|r| r.outcome == o).count() as u64;
            let failures = count(Outcome::Fail);
            let evaluated = failures + count(Outcome::Pass);
            let strict = |o: Outcome| rs.iter().filter(|r| r.strict == o).count() as u64;
            let strict_failures = strict(Outcome::Fail);
            let strict_evaluated = strict_failures + strict(Outcome::Pass);
            let dir_or_inv = rs[0].case.kind != TestType::Mft;
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            for r in rs.iter().filter(|r| r.outcome == Outcome::Skipped) {
                *reasons.entry(r.reason.as_str()).or_default() += 1;
            }
            let skip_reason = reasons
                .iter()
                .max_by_key(|(r, n)| (**n, std::cmp::Reverse(*r)))
                .map(|(r, _)| r.to_string());
            TestSummary {
                suite: key.0.clone(),
                test: key.1.clone(),
                kind: rs[0].case.kind,
                description: rs[0].case.description.clone(),
                cases: rs.len() as u64,
                evaluated,
                failures,
                skipped: count(Outcome::Skipped),
                failure_rate: (evaluated > 0).then(|| failures as f64 / evaluated as f64),
                interval: (evaluated > 0).then(|| wilson(failures, evaluated, Z95)),
                skip_reason,
                labelled: rs.iter().filter(|r| r.case.original.is_some()).count() as u64,
                strict_evaluated,
                strict_failures,
                strict_failure_rate: (dir_or_inv && strict_evaluated > 0)
                    .then(|| strict_failures as f64 / strict_evaluated as f64),
                strict_interval: (dir_or_inv && strict_evaluated > 0)
                    .then(|| wilson(strict_failures, strict_evaluated, Z95)),
            }
        })
        .collect();
    BehaviourSummary {
        config: config.to_string(),
        tests,
        failures: results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .cloned()
            .collect(),
    }
}

/// Columns of `behaviour.csv`: `pass` as tested, `strict_pass` the strict reading (the original predicted as its
/// known label too).
pub const CSV_HEADER: [&str; 10] = [
    "config",
    "suite",
    "test",
    "type",
    "case_id",
    "text",
    "expected",
    "predicted",
    "pass",
    "strict_pass",
];

/// Joins an original and its perturbed versions in one cell.
const ARROW: &str = " => ";

/// One `behaviour.csv` row per result, columns as [`CSV_HEADER`]; `pass` and `strict_pass` are `true`, `false`
/// or `skipped`.
pub fn csv_rows(config: &str, results: &[CaseResult]) -> Vec<[String; 10]> {
    let word = |o: Outcome| {
        match o {
            Outcome::Pass => "true",
            Outcome::Fail => "false",
            Outcome::Skipped => "skipped",
        }
        .to_string()
    };
    results
        .iter()
        .map(|r| {
            [
                config.to_string(),
                r.case.suite.clone(),
                r.case.test.clone(),
                r.case.kind.to_string(),
                r.case.id.clone(),
                r.case.texts.join(ARROW),
                r.case.expectation.to_string(),
                r.predicted.join(ARROW),
                word(r.outcome),
                word(r.strict),
            ]
        })
        .collect()
}

/// Makes text safe for one Markdown table cell.
pub fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// How many failed cases the report shows as examples.
const MAX_EXAMPLES: usize = 10;

/// The "Behavioural tests" section of `report.md` for one or more configurations.
pub fn markdown_section(summaries: &[BehaviourSummary]) -> String {
    let mut s = String::new();
    s.push_str("## Behavioural tests\n\n");
    s.push_str(
        "Hand-written CheckList-style tests (Ribeiro et al., ACL 2020) probe single capabilities rather than \
         accuracy: **MFT** items have a known label; **INV** perturbations (another place, number or speaker of the \
         same side, typos, punctuation, sentence order) must not change the prediction; **DIR** perturbations must \
         change it in a known way (negation flips support and oppose; a hedge must lower the probability of the \
         original class). Suites live in `labels/behaviour/`; each case's id and line are in `behaviour.csv`. \
         INV and DIR rates are **strict** (CheckList's \"invariant and correct\": the original must also be \
         predicted as its known label, else the case fails), because a constant predictor is invariant to \
         everything; the rate as tested follows in parentheses. \
         The interval is the Wilson 95% score interval of the failure rate; a skipped case (a class the \
         configuration does not predict, or a confidence test for a model without probabilities) is not counted.\n\n",
    );
    let Some(first) = summaries.first() else {
        s.push_str("No configuration was evaluated.\n");
        return s;
    };

    s.push_str("| suite | test | type | cases | what it checks |\n|---|---|---|---:|---|\n");
    for t in &first.tests {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            cell(&t.suite),
            cell(&t.test),
            t.kind,
            t.cases,
            cell(&t.description)
        );
    }

    s.push_str("\n**Failure rate** (failed / judged, [95% interval]):\n\n| test | type |");
    for sm in summaries {
        let _ = write!(s, " {} |", cell(&sm.config));
    }
    s.push_str("\n|---|---|");
    for _ in summaries {
        s.push_str("---|");
    }
    s.push('\n');
    for t in &first.tests {
        let _ = write!(s, "| {} | {} |", cell(&t.test), t.kind);
        for sm in summaries {
            let row = sm
                .tests
                .iter()
                .find(|x| x.suite == t.suite && x.test == t.test);
            let text = match row {
                Some(x) => match (x.strict_failure_rate, x.strict_interval, x.failure_rate) {
                    (Some(r), Some((lo, hi)), Some(tested)) => format!(
                        "{} ({}/{}) [{}, {}] (as tested {})",
                        pct(r),
                        x.strict_failures,
                        x.strict_evaluated,
                        pct(lo),
                        pct(hi),
                        pct(tested)
                    ),
                    _ => match (x.failure_rate, x.interval) {
                        (Some(r), Some((lo, hi))) => format!(
                            "{} ({}/{}) [{}, {}]",
                            pct(r),
                            x.failures,
                            x.evaluated,
                            pct(lo),
                            pct(hi)
                        ),
                        _ => format!(
                            "skipped: {}",
                            x.skip_reason.as_deref().unwrap_or("nothing judged")
                        ),
                    },
                },
                None => "—".to_string(),
            };
            let _ = write!(s, " {} |", cell(&text));
        }
        s.push('\n');
    }

    // The worst failures: from the tests with the highest failure rate, one example per (config, test) first, so
    // a single bad test does not crowd out the others.
    let mut ranked: Vec<(&BehaviourSummary, &TestSummary)> = summaries
        .iter()
        .flat_map(|sm| sm.tests.iter().map(move |t| (sm, t)))
        .filter(|(_, t)| t.failures > 0)
        .collect();
    ranked.sort_by(|a, b| {
        b.1.failure_rate
            .unwrap_or(0.0)
            .total_cmp(&a.1.failure_rate.unwrap_or(0.0))
    });
    if ranked.is_empty() {
        s.push_str("\nNo case failed.\n");
        return s;
    }
    s.push_str("\n**Worst failures**:\n\n| config | test | case | text | expected | predicted |\n|---|---|---|---|---|---|\n");
    for (sm, t) in ranked.into_iter().take(MAX_EXAMPLES) {
        if let Some(r) = sm
            .failures
            .iter()
            .find(|r| r.case.suite == t.suite && r.case.test == t.test)
        {
            let _ = writeln!(
                s,
                "| {} | {} | {}:{} {} | {} | {} | {} |",
                cell(&sm.config),
                cell(&t.test),
                cell(&r.case.suite),
                r.case.line,
                cell(&r.case.id),
                cell(&r.case.texts.join(ARROW)),
                cell(&r.case.expectation.to_string()),
                cell(&if r.reason.is_empty() {
                    r.predicted.join(ARROW)
                } else {
                    format!("{} ({})", r.predicted.join(ARROW), r.reason)
                }),
            );
        }
    }
    s
}

/// A case whose outcome changed between a baseline run and a new run of the same configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flip {
    /// Suite file name.
    pub suite: String,
    /// Test name.
    pub test: String,
    /// Case id.
    pub id: String,
    /// Outcome in the baseline.
    pub before: Outcome,
    /// Outcome in the new run.
    pub after: Outcome,
}

/// Cases (matched by suite, test and id) that went from pass to fail or from fail to pass, in the new run's order.
///
/// Changes to or from `skipped`, and cases present in only one run, are not flips: they come from a changed
/// class list or suite, which the caller reports separately if it cares.
pub fn flipped(baseline: &[CaseResult], new: &[CaseResult]) -> Vec<Flip> {
    let before: BTreeMap<(&str, &str, &str), Outcome> = baseline
        .iter()
        .map(|r| {
            (
                (
                    r.case.suite.as_str(),
                    r.case.test.as_str(),
                    r.case.id.as_str(),
                ),
                r.outcome,
            )
        })
        .collect();
    new.iter()
        .filter_map(|r| {
            let b = *before.get(&(
                r.case.suite.as_str(),
                r.case.test.as_str(),
                r.case.id.as_str(),
            ))?;
            let judged = |o| o != Outcome::Skipped;
            (judged(b) && judged(r.outcome) && b != r.outcome).then(|| Flip {
                suite: r.case.suite.clone(),
                test: r.case.test.clone(),
                id: r.case.id.clone(),
                before: b,
                after: r.outcome,
            })
        })
        .collect()
}

/// A failed bound on a test's failure rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Violation {
    /// The failure rate exceeds the bound.
    TooManyFailures {
        /// Suite file name.
        suite: String,
        /// Test name.
        test: String,
        /// Observed failure rate.
        rate: f64,
        /// Its Wilson 95% interval.
        interval: (f64, f64),
        /// The bound.
        max: f64,
    },
    /// A bound names a test that no suite has: a typo in the gate would otherwise pass silently.
    UnknownTest {
        /// The name in the bound.
        test: String,
    },
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::TooManyFailures {
                suite,
                test,
                rate,
                interval,
                max,
            } => write!(
                f,
                "behaviour test {suite}/{test}: failure rate {:.3} [{:.3}, {:.3}] exceeds {max}",
                rate, interval.0, interval.1
            ),
            Violation::UnknownTest { test } => {
                write!(f, "behaviour bound names unknown test '{test}'")
            }
        }
    }
}

/// Checks `failure_rate(test) <= max` for each bound (test name → max, applied to every suite with that test).
///
/// The point estimate is compared, not the interval: the bound is the team's tolerance for this data, and the
/// interval is shown in the message so a reader can tell noise from a regression. A test with nothing judged
/// (all cases skipped) cannot violate a bound.
pub fn check_bounds(summary: &BehaviourSummary, bounds: &BTreeMap<String, f64>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (name, &max) in bounds {
        let mut found = false;
        for t in summary.test(name) {
            found = true;
            if let (Some(rate), Some(interval)) = (t.failure_rate, t.interval) {
                if rate > max {
                    out.push(Violation::TooManyFailures {
                        suite: t.suite.clone(),
                        test: t.test.clone(),
                        rate,
                        interval,
                        max,
                    });
                }
            }
        }
        if !found {
            out.push(Violation::UnknownTest { test: name.clone() });
        }
    }
    out
}
