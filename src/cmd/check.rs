//! `stance check`: the CI regression gate's command line — arguments, printing and the exit code; the gate itself
//! is [`stance::check`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use stance::atomic::prepare;
use stance::check::{self, render, BaselineError, Gate};
use stance::experiment::{Experiment, LoadedData, MetricName};
use stance::outputs::Io;
use stance::report::text::leaderboard_text;
use stance::report::{to_json, write_report_folder};
use stance::results::{RunReport, Timings};

use super::{harness_info, reads_experiment, CommonArgs};

/// Re-run an experiment and compare it with a committed baseline (the CI gate).
///
/// Gates only the configurations that matter: the baseline's best and any the experiment's [gate] configs names.
/// For each it fails on (1) more than gate.max_broken items the baseline got right in at least gate.right_share of
/// its repeats that are now wrong in most repeats; (2) a gated metric that dropped beyond its tolerance (default
/// 0) and that the exact paired permutation test finds significantly worse; (3) a behavioural test whose cases
/// went from pass to fail significantly more often than back (exact binomial test). Every p-value is
/// Holm-adjusted over the gate's tests. Prints the rows, the broken items and every statement of a gated
/// configuration whose out-of-fold prediction changed (the flip list). docs/METHODS.md gives the gate's measured
/// false-alarm and detection rates.
///
/// A baseline whose seeds, labels, data or measured settings (data, evaluation, seed, bootstrap) differ from this
/// run is stale: it is refused, not compared, and the command that re-baselines is printed.
///
/// The baseline is read and vetted before the run: a missing, unreadable, inconsistent or stale baseline stops the
/// command with nothing written. The baseline file is never written unless --update-baseline is given. Also
/// writes the run's report folder (as `stance run` does). Cost: one full run of the experiment.
///
/// Exit codes: 0 pass; 1 regression (or a baseline configuration missing from this run); 2 input or usage error,
/// including a stale or missing baseline.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Experiment file (TOML). Defaults to experiments/default.toml.
    pub experiment: Option<PathBuf>,
    /// The baseline report (a report.json). Defaults to reports/baselines/<experiment name>.json: one baseline per
    /// experiment, outside the report folder that every run replaces.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// Write this run as the new baseline (atomically) instead of comparing. The only way the baseline changes.
    #[arg(long)]
    pub update_baseline: bool,
    /// Override a metric's allowed drop, e.g. `--tolerance macro_f1=0.05` (repeatable).
    #[arg(long, value_name = "METRIC=DROP", value_parser = parse_tolerance)]
    pub tolerance: Vec<(MetricName, f64)>,
    /// Count a drop as a regression only if the exact paired permutation test finds it significant (the default
    /// unless the experiment sets gate.require_significance = false).
    #[arg(long)]
    pub require_significance: bool,
    /// Write a Markdown summary (for a CI step summary or a pull-request comment).
    #[arg(long, value_name = "PATH")]
    pub summary: Option<PathBuf>,
    /// Write JUnit XML: one test case per gated configuration × metric, item rule and changed behavioural test.
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

/// The command that re-baselines this experiment into `baseline` (always named, so the reader sees which file
/// changes).
fn rebaseline_command(args: &Args, baseline: &Path) -> String {
    let exp = args
        .experiment
        .as_ref()
        .map(|p| format!(" {}", p.display()))
        .unwrap_or_default();
    format!(
        "stance check{exp} --baseline {} --update-baseline",
        baseline.display()
    )
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    args.common.setup_threads()?;
    let exp = match &args.experiment {
        Some(p) => Experiment::load(p)?,
        None => Experiment::load_default()?,
    };
    let baseline_path = args
        .baseline
        .clone()
        .unwrap_or_else(|| check::default_baseline_path(&exp.file.name));
    let rebaseline = rebaseline_command(args, &baseline_path);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(&exp.file.name));
    let mut io = Io::new();
    reads_experiment(&mut io, &exp);
    if args.update_baseline {
        io.writes_file("--update-baseline", &baseline_path);
    } else {
        io.reads("the baseline", &baseline_path);
    }
    io.writes_folder("--out", &out);
    if let Some(p) = &args.summary {
        io.writes_file("--summary", p);
    }
    if let Some(p) = &args.junit {
        io.writes_file("--junit", p);
    }
    io.check()?;
    if !args.update_baseline && !baseline_path.exists() {
        anyhow::bail!(missing_message(&baseline_path, &rebaseline));
    }
    let data = exp.load_data()?;
    args.common.preflight(&exp, &exp.plan()?, &data.dataset)?;
    // The baseline is vetted before the run, so a refused baseline costs no run and replaces no report folder.
    let baseline = if args.update_baseline {
        None
    } else {
        let inputs = &data.inputs();
        Some(
            check::load_baseline(&baseline_path, &exp, inputs).map_err(|e| match e {
                BaselineError::Missing { path } => {
                    anyhow::anyhow!(missing_message(&path, &rebaseline))
                }
                // Another experiment's baseline is never the one to overwrite: point at this experiment's own.
                BaselineError::Stale {
                    path,
                    reasons,
                    experiment,
                } if experiment != exp.file.name => {
                    let own = check::default_baseline_path(&exp.file.name);
                    anyhow::anyhow!(render::stale_message(
                        &path,
                        &reasons,
                        &rebaseline_command(args, &own)
                    ))
                }
                BaselineError::Stale { path, reasons, .. } => {
                    anyhow::anyhow!(render::stale_message(&path, &reasons, &rebaseline))
                }
                e => e.into(),
            })?,
        )
    };
    let (candidate, timings) = execute(&exp, &data, &args.common)?;
    // A new baseline is written in full before the report folder is replaced and put in place after it, so a
    // failing write (a full disk) leaves both as they were.
    let next = match baseline {
        None => Next::Update(
            stance::atomic::prepare(&baseline_path, &to_json(&candidate.bounded()))
                // The error names the file; the context says which file it is.
                .context("cannot write the baseline")?,
        ),
        Some(baseline) => Next::Gate(Box::new(baseline)),
    };
    match next {
        Next::Update(pending) => {
            write_report_folder(&out, &candidate, &timings)?;
            update_baseline(&baseline_path, pending, &candidate)
        }
        Next::Gate(baseline) => {
            let paths = Paths {
                baseline: &baseline_path,
                out: &out,
                rebaseline: &rebaseline,
            };
            gate(args, &exp, &baseline, &candidate, &timings, &paths)
        }
    }
}

/// What `check` does once the report folder is written.
enum Next {
    /// Put the new baseline (already written in full) in place.
    Update(stance::atomic::Pending),
    /// Compare with the vetted baseline.
    Gate(Box<RunReport>),
}

fn missing_message(baseline: &Path, rebaseline: &str) -> String {
    format!(
        "{}: no baseline to compare with; create it with `{rebaseline}` and commit it",
        baseline.display()
    )
}

/// Runs the experiment with a progress bar.
fn execute(
    exp: &Experiment,
    data: &LoadedData,
    common: &CommonArgs,
) -> anyhow::Result<(RunReport, Timings)> {
    let bar = common.progress_bar(&exp.file.name);
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let result = check::run_experiment(
        exp,
        data,
        harness_info(),
        &common.systems(),
        Some(&progress),
    );
    bar.finish_and_clear();
    Ok(result?)
}

fn update_baseline(
    baseline: &Path,
    pending: stance::atomic::Pending,
    candidate: &RunReport,
) -> anyhow::Result<ExitCode> {
    pending.persist().context("cannot write the baseline")?;
    print!("{}", leaderboard_text(candidate));
    println!(
        "\nbaseline written to {} — commit it to make it the gate's reference",
        baseline.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The files a gate run reads or names.
struct Paths<'a> {
    baseline: &'a Path,
    out: &'a Path,
    rebaseline: &'a str,
}

/// Compares, writes the report folder and the requested summaries, prints, and picks the exit code.
///
/// The summary and JUnit files are written in full beside their targets before the report folder is replaced, and
/// renamed into place after it (as `--update-baseline` does with the baseline): a failing write (a full disk)
/// leaves the previous report, summary and JUnit file as they were.
fn gate(
    args: &Args,
    exp: &Experiment,
    baseline: &RunReport,
    candidate: &RunReport,
    timings: &Timings,
    paths: &Paths<'_>,
) -> anyhow::Result<ExitCode> {
    let (out, rebaseline) = (paths.out, paths.rebaseline);
    let gate = Gate::for_experiment(exp, &args.tolerance, args.require_significance);
    let result = check::compare(baseline, candidate, &gate);
    let mut pending = Vec::new();
    if let Some(path) = &args.summary {
        let chart = render::relative_link(path, &out.join("charts/leaderboard.png"));
        let md = render::summary_markdown(
            &result,
            &gate,
            candidate,
            paths.baseline,
            &chart,
            rebaseline,
        );
        pending.push(
            prepare(path, md.as_bytes())
                .with_context(|| format!("cannot write the summary {}", path.display()))?,
        );
    }
    if let Some(path) = &args.junit {
        pending.push(
            prepare(path, &render::junit_xml(&result, candidate)?)
                .with_context(|| format!("cannot write the JUnit report {}", path.display()))?,
        );
    }
    write_report_folder(out, candidate, timings)?;
    for p in pending {
        p.persist().context("cannot put the summary in place")?;
    }
    print!("{}", render::text(&result, &gate, rebaseline));
    Ok(if result.failures() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
