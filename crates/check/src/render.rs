//! The gate's verdict for its three readers: the terminal ([`text`]), a pull request or CI step summary
//! ([`summary_markdown`]) and a CI test report ([`junit_xml`]). Rendering only: nothing here decides a verdict.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Gate, GateResult, GateRow, ItemCheck, StaleReason, Verdict};
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

/// The terminal report: what is gated, the metric rows, the item rule, the behavioural sign tests, changed
/// definitions, the flip list and PASS / FAIL.
pub fn text(r: &GateResult, gate: &Gate, rebaseline: &str) -> String {
    let mut s = String::new();
    let gated: Vec<String> = r
        .items
        .iter()
        .map(|c| match c.reason.as_str() {
            "best" => format!("{} (the baseline's best)", c.config),
            _ => c.config.clone(),
        })
        .collect();
    let _ = writeln!(
        s,
        "gated: {}; every p-value Holm-adjusted over the gate's {} test(s), alpha = {}\n",
        gated.join(", "),
        r.family,
        gate.alpha
    );
    let width = r
        .rows
        .iter()
        .map(|x| x.config.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:<width$}  {:<10}  {:>7}  {:>7}  {:>7}  {:>9}  {:>8}  {:>8}  verdict",
        "config", "metric", "old", "new", "change", "tolerance", "p(worse)", "p(Holm)"
    );
    for row in &r.rows {
        let _ = writeln!(
            s,
            "{:<width$}  {:<10}  {:>7}  {:>7}  {:>7}  {:>9.3}  {:>8}  {:>8}  {}",
            row.config,
            row.metric,
            opt(row.old),
            opt(row.new),
            change(row.change),
            row.tolerance,
            opt(row.p_value),
            opt(row.p_holm),
            verdict_word(row.verdict)
        );
    }
    let _ = writeln!(s);
    for c in &r.items {
        text_items(&mut s, c, gate, r.flips_unavailable);
    }
    text_behaviour(&mut s, r);
    if !r.changed_definitions.is_empty() {
        let _ = writeln!(
            s,
            "\nchanged since the baseline: {}",
            r.changed_definitions.join(", ")
        );
    }
    text_flips(&mut s, r);
    if !r.ungated_changed.is_empty() {
        let _ = writeln!(
            s,
            "predictions of {} configuration(s) that are not gated changed (not judged): {}",
            r.ungated_changed.len(),
            r.ungated_changed.join(", ")
        );
    }
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
            "\nPASS: no gated configuration broke more than {} item(s), dropped {} or got significantly worse on a \
             behavioural test",
            gate.max_broken,
            if gate.require_significance {
                "significantly beyond its tolerance"
            } else {
                "beyond its tolerance"
            }
        );
    } else {
        let _ = writeln!(
            s,
            "\nFAIL: {failures} regression(s). Inspect the broken items and the flip list; if the change is intended, re-baseline with:\n  {rebaseline}"
        );
    }
    s
}

/// The item rule of one gated configuration, with its broken items.
fn text_items(s: &mut String, c: &ItemCheck, gate: &Gate, unavailable: bool) {
    if c.verdict == Verdict::Missing {
        let _ = writeln!(
            s,
            "{}: MISSING from the baseline or from this run",
            c.config
        );
        return;
    }
    if unavailable {
        let _ = writeln!(
            s,
            "{}: no item rule (predictions left out of report.json)",
            c.config
        );
        return;
    }
    let _ = writeln!(
        s,
        "{}: {} of the {} item(s) right in at least {:.0}% of the baseline's repeats are now wrong in most repeats (at most {} allowed): {}",
        c.config,
        c.broken.len(),
        c.stable,
        gate.right_share * 100.0,
        c.max_broken,
        verdict_word(c.verdict)
    );
    for b in &c.broken {
        let _ = writeln!(
            s,
            "  broken {} | {} | {} -> {} | {}",
            b.item, b.gold, b.before, b.after, b.text
        );
    }
}

/// The behavioural sign tests that saw a change.
fn text_behaviour(s: &mut String, r: &GateResult) {
    if let Some(why) = &r.behaviour_unavailable {
        let _ = writeln!(s, "behavioural tests: not compared ({why})");
        return;
    }
    if r.behaviour_tests.is_empty() {
        let _ = writeln!(
            s,
            "behavioural tests: no case of a gated configuration changed outcome"
        );
        return;
    }
    let _ = writeln!(
        s,
        "behavioural tests (cases pass -> fail vs fail -> pass, exact binomial test):"
    );
    for t in &r.behaviour_tests {
        let _ = writeln!(
            s,
            "  {} | {}: {} broken, {} fixed of {} matched case(s), p {} (Holm {}) {}",
            t.config,
            t.test,
            t.broken,
            t.fixed,
            t.matched,
            opt(Some(t.p_value)),
            opt(Some(t.p_holm)),
            verdict_word(t.verdict)
        );
    }
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
        let _ = writeln!(
            s,
            "\nno out-of-fold prediction of a gated configuration changed"
        );
        return;
    }
    let _ = writeln!(
        s,
        "\n{} changed prediction(s) of the gated configurations (config | item | gold | before -> after | text):",
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
            "All {} gated configuration × metric checks pass.\n",
            r.rows.len()
        );
    } else {
        summary_rows(&mut s, &shown, r.rows.len());
    }
    for c in &r.items {
        let _ = writeln!(
            s,
            "- {}: {} broken item(s) of {} protected (at most {}): {}",
            code(&c.config),
            c.broken.len(),
            c.stable,
            c.max_broken,
            verdict_word(c.verdict)
        );
        for b in &c.broken {
            let _ = writeln!(
                s,
                "  - {} ({}): {} → {} — {}",
                escape(&b.item),
                escape(&b.gold),
                escape(&b.before),
                escape(&b.after),
                escape(&b.text)
            );
        }
    }
    for t in &r.behaviour_tests {
        let _ = writeln!(
            s,
            "- behaviour {} / {}: {} broken, {} fixed, p (Holm) {}: {}",
            code(&t.config),
            escape(&t.test),
            t.broken,
            t.fixed,
            opt(Some(t.p_holm)),
            verdict_word(t.verdict)
        );
    }
    let _ = writeln!(s);
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
        "Baseline `{}`; gated: {}; metrics: {}; tolerance: {}{}; at most {} broken item(s) per configuration.\n",
        baseline.display(),
        r.items
            .iter()
            .map(|c| code(&c.config))
            .collect::<Vec<_>>()
            .join(", "),
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
            "; drops must be significant (exact paired permutation test, Holm)"
        } else {
            ""
        },
        gate.max_broken
    );
    s
}

fn summary_rows(s: &mut String, shown: &[&GateRow], all: usize) {
    let _ = writeln!(
        s,
        "| configuration | metric | old | new | change | tolerance | p (worse, Holm) | verdict |"
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
            opt(row.p_holm),
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

/// JUnit XML: one test case per gated configuration × metric, per item rule and per behavioural sign test, failing
/// where the verdict fails.
pub fn junit_xml(
    r: &GateResult,
    candidate: &RunReport,
) -> Result<Vec<u8>, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("stance check");
    let mut suite = TestSuite::new(format!("stance check {}", candidate.experiment.name));
    let mut add = |name: String, message: String, verdict: Verdict| {
        let status = if verdict.fails() {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(message.clone());
            st.set_type(verdict_word(verdict));
            st
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(candidate.experiment.name.clone());
        case.set_system_out(message);
        suite.add_test_case(case);
    };
    for row in &r.rows {
        add(
            format!("{} :: {}", row.config, row.metric),
            format!(
                "{} {}: old {}, new {}, change {}, tolerance {:.3}, p (worse) {}, p (Holm) {}",
                row.config,
                row.metric,
                opt(row.old),
                opt(row.new),
                change(row.change),
                row.tolerance,
                opt(row.p_value),
                opt(row.p_holm)
            ),
            row.verdict,
        );
    }
    for c in &r.items {
        let names: Vec<&str> = c.broken.iter().map(|b| b.item.as_str()).collect();
        add(
            format!("{} :: broken items", c.config),
            format!(
                "{}: {} broken item(s) of {} protected, at most {}: {}",
                c.config,
                c.broken.len(),
                c.stable,
                c.max_broken,
                names.join(", ")
            ),
            c.verdict,
        );
    }
    for t in &r.behaviour_tests {
        add(
            format!("{} :: behaviour {}", t.config, t.test),
            format!(
                "{} {}: {} broken, {} fixed of {} matched, p {}, p (Holm) {}",
                t.config,
                t.test,
                t.broken,
                t.fixed,
                t.matched,
                opt(Some(t.p_value)),
                opt(Some(t.p_holm))
            ),
            t.verdict,
        );
    }
    report.add_test_suite(suite);
    Ok(report.to_string()?.into_bytes())
}
