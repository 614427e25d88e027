//! The gate's verdict for its three readers: the terminal ([`text`]), a pull request or CI step summary
//! ([`summary_markdown`]) and a CI test report ([`junit_xml`]). Rendering only: nothing here decides a verdict.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Gate, GateResult, GateRow, StaleReason, Verdict};
use stance_report::format::{change, code, escape, opt};
use stance_results::RunReport;

/// How a verdict is printed (failures in capitals, so they stand out in a log).
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Improved => "improved",
        Verdict::Regression => "REGRESSION",
        Verdict::Missing => "MISSING",
        Verdict::New => "new",
    }
}

/// The message refusing a stale baseline, ending with the command that re-baselines.
pub fn stale_message(baseline: &Path, reasons: &[StaleReason], rebaseline: &str) -> String {
    let mut msg = format!(
        "{}: the baseline is stale and was not compared:\n",
        baseline.display()
    );
    for s in reasons {
        let _ = writeln!(msg, "  - {} {}", s.input, s.detail);
    }
    let _ = write!(
        msg,
        "if the change is intended, re-baseline with:\n  {rebaseline}\nto compare two runs whatever their \
         settings, use `stance diff OLD NEW` (two report folders)"
    );
    msg
}

/// The terminal report: the full table, changed definitions, the flip list and PASS / FAIL.
pub fn text(r: &GateResult, gate: &Gate, rebaseline: &str) -> String {
    let mut s = String::new();
    let width = r
        .rows
        .iter()
        .map(|x| x.config.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:<width$}  {:<10}  {:>7}  {:>7}  {:>7}  {:>9}  {:>9}  verdict",
        "config", "metric", "old", "new", "change", "tolerance", "p(McNem)"
    );
    for row in &r.rows {
        let _ = writeln!(
            s,
            "{:<width$}  {:<10}  {:>7}  {:>7}  {:>7}  {:>9.3}  {:>9}  {}",
            row.config,
            row.metric,
            opt(row.old),
            opt(row.new),
            change(row.change),
            row.tolerance,
            opt(row.p_value),
            verdict_word(row.verdict)
        );
    }
    if !r.changed_definitions.is_empty() {
        let _ = writeln!(
            s,
            "\nchanged since the baseline: {}",
            r.changed_definitions.join(", ")
        );
    }
    text_flips(&mut s, r);
    for v in &r.behaviour_violations {
        let _ = writeln!(s, "BEHAVIOUR REGRESSION {v}");
    }
    if !r.behaviour_flips.is_empty() {
        let _ = writeln!(
            s,
            "\n{} behavioural case(s) changed outcome:",
            r.behaviour_flips.len()
        );
        for f in r.behaviour_flips.iter().take(50) {
            let _ = writeln!(s, "  {f}");
        }
    }
    let failures = r.failures();
    if failures == 0 {
        let _ = writeln!(
            s,
            "\nPASS: no gated metric dropped beyond its tolerance{}",
            if gate.require_significance {
                " with significance"
            } else {
                ""
            }
        );
    } else {
        let _ = writeln!(
            s,
            "\nFAIL: {failures} regression(s). Inspect the flip list; if the change is intended, re-baseline with:\n  {rebaseline}"
        );
    }
    s
}

fn text_flips(s: &mut String, r: &GateResult) {
    if r.flips_unavailable {
        let _ = writeln!(
            s,
            "\nno flip list: a run this large keeps its predictions in predictions.csv.gz, not in report.json \
             (predictions_omitted), so only the metrics are compared"
        );
        return;
    }
    if r.flips.is_empty() {
        let _ = writeln!(s, "\nno out-of-fold prediction changed");
        return;
    }
    let _ = writeln!(
        s,
        "\n{} changed prediction(s) (config | item | gold | before -> after | text):",
        r.flips.len()
    );
    for f in &r.flips {
        let _ = writeln!(
            s,
            "  {} | {} | {} | {} -> {} | {}",
            f.config, f.item, f.gold, f.before, f.after, f.text
        );
    }
}

/// The path of `target` relative to the directory holding `from` (for Markdown links).
pub fn relative_link(from: &Path, target: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let from_dir = abs(from)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let target = abs(target);
    let fc: Vec<_> = from_dir.components().collect();
    let tc: Vec<_> = target.components().collect();
    let common = fc.iter().zip(&tc).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..fc.len() {
        rel.push("..");
    }
    for c in &tc[common..] {
        rel.push(c);
    }
    rel.to_string_lossy().replace('\\', "/")
}

/// The Markdown summary: verdict, gate settings, the leaderboard chart (`chart`, a link relative to the summary),
/// the rows that did not simply pass, and the flip list folded away.
pub fn summary_markdown(
    r: &GateResult,
    gate: &Gate,
    candidate: &RunReport,
    baseline: &Path,
    chart: &str,
    rebaseline: &str,
) -> String {
    let mut s = summary_header(r, gate, candidate, baseline);
    let _ = writeln!(s, "![leaderboard]({chart})\n");
    let shown: Vec<&GateRow> = r
        .rows
        .iter()
        .filter(|x| x.verdict != Verdict::Pass)
        .collect();
    if shown.is_empty() {
        let _ = writeln!(
            s,
            "All {} configuration × metric checks pass with no change beyond tolerance.\n",
            r.rows.len()
        );
    } else {
        summary_rows(&mut s, &shown, r.rows.len());
    }
    summary_flips(&mut s, r);
    if r.failures() > 0 {
        let _ = writeln!(
            s,
            "If the change is intended, re-baseline with `{rebaseline}` and commit the baseline."
        );
    }
    s
}

fn summary_header(r: &GateResult, gate: &Gate, candidate: &RunReport, baseline: &Path) -> String {
    let mut s = String::new();
    let failures = r.failures();
    let _ = writeln!(
        s,
        "## stance check: {} — {}\n",
        escape(&candidate.experiment.name),
        if failures == 0 {
            "✅ pass".to_string()
        } else {
            format!("❌ {failures} regression(s)")
        }
    );
    let _ = writeln!(
        s,
        "Baseline `{}`; gated metrics: {}; tolerance: {}{}.\n",
        baseline.display(),
        gate.metrics
            .iter()
            .map(|m| m.key())
            .collect::<Vec<_>>()
            .join(", "),
        gate.metrics
            .iter()
            .map(|m| format!(
                "{} {:.3}",
                m.key(),
                gate.tolerance.get(m).copied().unwrap_or(0.0)
            ))
            .collect::<Vec<_>>()
            .join(", "),
        if gate.require_significance {
            "; drops must be significant (McNemar)"
        } else {
            ""
        }
    );
    s
}

fn summary_rows(s: &mut String, shown: &[&GateRow], all: usize) {
    let _ = writeln!(
        s,
        "| configuration | metric | old | new | change | tolerance | McNemar p | verdict |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---|");
    for row in shown {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.3} | {} | {} |",
            code(&row.config),
            row.metric,
            opt(row.old),
            opt(row.new),
            change(row.change),
            row.tolerance,
            opt(row.p_value),
            verdict_word(row.verdict)
        );
    }
    let _ = writeln!(s, "\n(Rows that pass are omitted; {all} checks in all.)\n");
}

fn summary_flips(s: &mut String, r: &GateResult) {
    if r.flips.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<details><summary>{} changed prediction(s)</summary>\n",
        r.flips.len()
    );
    let _ = writeln!(
        s,
        "| configuration | item | gold | before | after | statement |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for f in &r.flips {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            code(&f.config),
            escape(&f.item),
            escape(&f.gold),
            escape(&f.before),
            escape(&f.after),
            escape(&f.text)
        );
    }
    let _ = writeln!(s, "\n</details>\n");
}

/// JUnit XML: one test case per configuration × metric, failing where the verdict fails.
pub fn junit_xml(
    r: &GateResult,
    candidate: &RunReport,
) -> Result<Vec<u8>, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("stance check");
    let mut suite = TestSuite::new(format!("stance check {}", candidate.experiment.name));
    for row in &r.rows {
        let message = format!(
            "{} {}: old {}, new {}, change {}, tolerance {:.3}, McNemar p {}",
            row.config,
            row.metric,
            opt(row.old),
            opt(row.new),
            change(row.change),
            row.tolerance,
            opt(row.p_value)
        );
        let status = if row.verdict.fails() {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(message.clone());
            st.set_type(verdict_word(row.verdict));
            st
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(format!("{} :: {}", row.config, row.metric), status);
        case.set_classname(candidate.experiment.name.clone());
        case.set_system_out(message);
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    Ok(report.to_string()?.into_bytes())
}
