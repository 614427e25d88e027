//! `stance check`: the CI regression gate.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use stance::check::{compare, stale_reasons, Gate, GateResult, Verdict};
use stance::experiment::MetricName;
use stance::report::atomic::write_atomic;
use stance::report::markdown::{code, escape};
use stance::report::model::RunReport;
use stance::report::{read_report, to_json, write_report_folder};

use super::run::{execute, load_experiment};
use super::CommonArgs;
use stance::report::text::leaderboard_text;

/// Re-run an experiment and compare it with a committed baseline (the CI gate).
///
/// For every feature set × classifier and gated metric, prints old, new, change, tolerance and verdict, then
/// every statement whose out-of-fold prediction changed (the flip list). A regression is a drop larger than the
/// metric's tolerance (experiment [gate] table, or --tolerance) and, with --require-significance, one that
/// McNemar's exact test on the two runs' per-item predictions finds significant.
///
/// A baseline whose seeds, labels, data or measured settings (data, evaluation, seed, bootstrap) differ from this
/// run is stale: it is refused, not compared, and the command that re-baselines is printed.
///
/// The baseline file is never written unless --update-baseline is given. Also writes the run's report folder (as
/// `stance run` does). Cost: one full run of the experiment.
///
/// Exit codes: 0 pass; 1 regression (or a baseline configuration missing from this run); 2 input or usage error,
/// including a stale or missing baseline.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Experiment file (TOML). Defaults to experiments/default.toml.
    pub experiment: Option<PathBuf>,
    /// The baseline report (a report.json).
    #[arg(long, default_value = "reports/baseline.json", value_name = "PATH")]
    pub baseline: PathBuf,
    /// Write this run as the new baseline (atomically) instead of comparing. The only way the baseline changes.
    #[arg(long)]
    pub update_baseline: bool,
    /// Override a metric's allowed drop, e.g. `--tolerance macro_f1=0.05` (repeatable).
    #[arg(long, value_name = "METRIC=DROP", value_parser = parse_tolerance)]
    pub tolerance: Vec<(MetricName, f64)>,
    /// Count a drop as a regression only if McNemar's exact test finds it significant.
    #[arg(long)]
    pub require_significance: bool,
    /// Write a Markdown summary (for a CI step summary or a pull-request comment).
    #[arg(long, value_name = "PATH")]
    pub summary: Option<PathBuf>,
    /// Write JUnit XML: one test case per feature set × classifier × metric.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Report folder for this run. Defaults to reports/<experiment name>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

fn parse_tolerance(s: &str) -> Result<(MetricName, f64), String> {
    let (m, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected METRIC=DROP, got '{s}'"))?;
    let metric = MetricName::from_key(m.trim()).ok_or_else(|| {
        format!(
            "unknown metric '{m}'; one of: {}",
            MetricName::ALL
                .iter()
                .map(|m| m.key())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let value: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("'{v}' is not a number"))?;
    if !(value.is_finite() && value >= 0.0) {
        return Err(format!("tolerance must be >= 0, got {value}"));
    }
    Ok((metric, value))
}

fn rebaseline_command(args: &Args) -> String {
    let exp = args
        .experiment
        .as_ref()
        .map(|p| format!(" {}", p.display()))
        .unwrap_or_default();
    format!(
        "stance check{exp} --baseline {} --update-baseline",
        args.baseline.display()
    )
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    args.common.setup_threads()?;
    let exp = load_experiment(args.experiment.as_deref())?;
    if !args.update_baseline && !args.baseline.exists() {
        anyhow::bail!(
            "{}: no baseline to compare with; create it with `{}` and commit it",
            args.baseline.display(),
            rebaseline_command(args)
        );
    }
    let (candidate, timings) = execute(&exp, &args.common)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(&exp.file.name));
    write_report_folder(&out, &candidate, &timings)?;

    if args.update_baseline {
        write_atomic(&args.baseline, &to_json(&candidate))
            .with_context(|| format!("cannot write the baseline {}", args.baseline.display()))?;
        print!("{}", leaderboard_text(&candidate));
        println!(
            "\nbaseline written to {} — commit it to make it the gate's reference",
            args.baseline.display()
        );
        return Ok(ExitCode::SUCCESS);
    }

    let baseline = read_report(&args.baseline)?;
    let stale = stale_reasons(&baseline, &candidate);
    if !stale.is_empty() {
        let mut msg = format!(
            "{}: the baseline is stale and was not compared:\n",
            args.baseline.display()
        );
        for s in &stale {
            let _ = writeln!(msg, "  - {} {}", s.input, s.detail);
        }
        let _ = write!(
            msg,
            "if the change is intended, re-baseline with:\n  {}",
            rebaseline_command(args)
        );
        anyhow::bail!(msg);
    }

    let mut tolerance = exp.file.gate.tolerance.clone();
    for (m, v) in &args.tolerance {
        tolerance.insert(*m, *v);
    }
    let mut metrics = exp.gate_metrics();
    for (m, _) in &args.tolerance {
        if !metrics.contains(m) {
            metrics.push(*m);
        }
    }
    let gate = Gate {
        metrics,
        tolerance,
        require_significance: args.require_significance || exp.file.gate.require_significance,
        alpha: exp.file.alpha,
    };
    let result = compare(&baseline, &candidate, &gate);
    print!("{}", text_report(&result, &gate, args));
    if let Some(path) = &args.summary {
        let chart = relative_link(path, &out.join("charts/leaderboard.png"));
        write_atomic(
            path,
            summary_markdown(&result, &gate, &candidate, &chart, args).as_bytes(),
        )
        .with_context(|| format!("cannot write the summary {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        write_atomic(path, &junit_xml(&result, &candidate)?)
            .with_context(|| format!("cannot write the JUnit report {}", path.display()))?;
    }
    Ok(if result.failures() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "—".into())
}

fn fmt_change(v: Option<f64>) -> String {
    v.map(|c| format!("{c:+.3}")).unwrap_or_else(|| "—".into())
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Improved => "improved",
        Verdict::Regression => "REGRESSION",
        Verdict::Missing => "MISSING",
        Verdict::New => "new",
    }
}

fn text_report(r: &GateResult, gate: &Gate, args: &Args) -> String {
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
            fmt_opt(row.old),
            fmt_opt(row.new),
            fmt_change(row.change),
            row.tolerance,
            fmt_opt(row.p_value),
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
    if r.flips.is_empty() {
        let _ = writeln!(s, "\nno out-of-fold prediction changed");
    } else {
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
            "\nFAIL: {failures} regression(s). Inspect the flip list; if the change is intended, re-baseline with:\n  {}",
            rebaseline_command(args)
        );
    }
    s
}

/// The path of `target` relative to the directory holding `from` (for Markdown links).
fn relative_link(from: &Path, target: &Path) -> String {
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

fn summary_markdown(
    r: &GateResult,
    gate: &Gate,
    candidate: &RunReport,
    chart: &str,
    args: &Args,
) -> String {
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
        args.baseline.display(),
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
    let _ = writeln!(s, "![leaderboard]({chart})\n");
    let shown: Vec<_> = r
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
                fmt_opt(row.old),
                fmt_opt(row.new),
                fmt_change(row.change),
                row.tolerance,
                fmt_opt(row.p_value),
                verdict_word(row.verdict)
            );
        }
        let _ = writeln!(
            s,
            "\n(Rows that pass are omitted; {} checks in all.)\n",
            r.rows.len()
        );
    }
    if !r.flips.is_empty() {
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
    if failures > 0 {
        let _ = writeln!(
            s,
            "If the change is intended, re-baseline with `{}` and commit the baseline.",
            rebaseline_command(args)
        );
    }
    s
}

fn junit_xml(r: &GateResult, candidate: &RunReport) -> anyhow::Result<Vec<u8>> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("stance check");
    let mut suite = TestSuite::new(format!("stance check {}", candidate.experiment.name));
    for row in &r.rows {
        let message = format!(
            "{} {}: old {}, new {}, change {}, tolerance {:.3}, McNemar p {}",
            row.config,
            row.metric,
            fmt_opt(row.old),
            fmt_opt(row.new),
            fmt_change(row.change),
            row.tolerance,
            fmt_opt(row.p_value)
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
