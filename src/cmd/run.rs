//! `stance run`: runs an experiment and writes its report folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use stance::eval::results::RunReport;
use stance::eval::{run as run_experiment, RunOptions};
use stance::experiment::Experiment;
use stance::report::write_report_folder;

use super::{harness_info, CommonArgs};

/// Run an experiment: cross-validate every feature set × classifier and write the report folder.
///
/// With no EXPERIMENT, runs experiments/default.toml (or the copy built into the binary when that file is
/// absent): support vs oppose on the bundled gold sentences. Cost: fits (feature sets × classifiers + baselines)
/// × repeats × folds models, plus one refit per model on all items for its top features, plus a bootstrap of
/// the pooled predictions; seconds on the gold data, minutes on tens of thousands of rows.
///
/// Writes reports/<experiment name>/ (or --out): report.md, report.json, metrics.csv, predictions.csv,
/// metrics.json, timings.json and charts/*.png, replacing a previous report there atomically. Prints the
/// leaderboard.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Experiment file (TOML). Defaults to experiments/default.toml.
    pub experiment: Option<PathBuf>,
    /// Report folder. Defaults to reports/<experiment name>. An existing folder is replaced only if it is a
    /// stance report folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Loads an experiment (or the default one).
pub fn load_experiment(path: Option<&Path>) -> anyhow::Result<Experiment> {
    Ok(match path {
        Some(p) => Experiment::load(p)?,
        None => Experiment::load_default()?,
    })
}

/// Runs an experiment with a progress bar; shared with `stance check`.
pub fn execute(
    exp: &Experiment,
    common: &CommonArgs,
) -> anyhow::Result<(RunReport, stance::eval::Timings)> {
    let data = exp.load_data()?;
    let bar = common.progress_bar(&exp.file.name);
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let opts = RunOptions {
        harness: Some(harness_info()),
        progress: Some(&progress),
    };
    let result = run_experiment(exp, &data, &opts);
    bar.finish_and_clear();
    Ok(result?)
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    args.common.setup_threads()?;
    let started = Instant::now();
    let exp = load_experiment(args.experiment.as_deref())?;
    let (report, timings) = execute(&exp, &args.common)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(&exp.file.name));
    let written = write_report_folder(&out, &report, &timings)?;
    print!("{}", leaderboard_text(&report));
    println!(
        "\nwrote {}/ ({} files: {}) in {:.1} s",
        out.display(),
        written.len(),
        written
            .iter()
            .map(|w| w.name.as_str())
            .filter(|n| !n.starts_with("charts/"))
            .collect::<Vec<_>>()
            .join(", ")
            + ", charts/*.png",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn pct(v: f64) -> String {
    format!("{v:.3}")
}

/// The plain-text leaderboard printed by `stance run`.
pub fn leaderboard_text(r: &RunReport) -> String {
    use std::fmt::Write;
    let h = r.headline();
    let mut s = String::new();
    let counts: Vec<String> = r
        .data
        .classes
        .iter()
        .zip(&r.data.class_counts)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    let _ = writeln!(
        s,
        "experiment {} ({}): {} items ({}), {}{}{}, seed {}, {} bootstrap resamples",
        r.experiment.name,
        r.experiment.source,
        r.data.n_items,
        counts.join(", "),
        r.evaluation.scheme,
        r.evaluation
            .k
            .map(|k| format!(" k={k}"))
            .unwrap_or_default(),
        if r.evaluation.repeats > 1 {
            format!(" × {} repeats", r.evaluation.repeats)
        } else {
            String::new()
        },
        r.evaluation.seed,
        r.evaluation.bootstrap,
    );
    let width = r
        .leaderboard
        .iter()
        .map(|id| id.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "\n{:>4}  {:<width$}  {:>8}  {:<15}  {:>8}  vs best (McNemar, Holm)",
        "rank", "config", h, "95% interval", "accuracy"
    );
    for (rank, id) in r.leaderboard.iter().enumerate() {
        let c = r.config(id).expect("leaderboard ids exist");
        let e = c.metrics[h];
        let ci = match (e.lower, e.upper) {
            (Some(lo), Some(hi)) => format!("[{}, {}]", pct(lo), pct(hi)),
            _ => "—".into(),
        };
        let vs = if *id == r.best {
            "best".to_string()
        } else {
            match r.comparisons.iter().find(|x| x.config == *id) {
                Some(x) => format!(
                    "{:+.3}  p={}{}",
                    x.difference.point,
                    if x.p_holm < 0.001 {
                        "<0.001".to_string()
                    } else {
                        format!("{:.3}", x.p_holm)
                    },
                    if x.significant { " *" } else { "" }
                ),
                None => String::new(),
            }
        };
        let name = if c.baseline {
            format!("{id} (baseline)")
        } else {
            id.clone()
        };
        let _ = writeln!(
            s,
            "{:>4}  {:<width$}  {:>8}  {:<15}  {:>8}  {}",
            rank + 1,
            name,
            pct(e.point),
            ci,
            pct(c.metrics["accuracy"].point),
            vs,
        );
    }
    let p = &r.power;
    let _ = writeln!(
        s,
        "\n{} items: no accuracy difference between two models smaller than {:.3} ({} items) can reach p < {} under McNemar's exact test.",
        p.n_items,
        p.min_detectable_accuracy_difference,
        p.min_discordant,
        r.evaluation.alpha,
    );
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}
