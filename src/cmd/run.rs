//! `stance run`: runs an experiment and writes its report folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use stance::eval::{run as run_experiment, RunOptions};
use stance::experiment::Experiment;
use stance::report::text::leaderboard_text;
use stance::report::{write_report_folder, Written};
use stance::results::RunReport;
use stance::shard::ShardFile;

use stance::outputs::Io;

use super::{harness_info, reads_experiment, CommonArgs};

/// Run an experiment: cross-validate every feature set × classifier and write the report folder.
///
/// With no EXPERIMENT, runs experiments/default.toml (or the copy built into the binary when that file is
/// absent): support vs oppose on the bundled gold sentences. Cost: fits (feature sets × classifiers + baselines)
/// × repeats × folds models, plus one refit per model on all items for its top features, plus a bootstrap of
/// the pooled predictions; seconds on the gold data, minutes on tens of thousands of rows.
///
/// Writes reports/<experiment name>/ (or --out): report.md, report.html, report.json, metrics.csv, predictions.csv
/// (predictions.csv.gz above 250,000 predictions), metrics.json, timings.json and charts/*.png, replacing a previous
/// report there atomically. Prints the leaderboard.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Experiment file (TOML). Defaults to experiments/default.toml.
    pub experiment: Option<PathBuf>,
    /// Report folder. Defaults to reports/<experiment name>. An existing folder is replaced only if it is a
    /// stance report folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only shard INDEX of COUNT of the grid (counted from 0: 0/3, 1/3, 2/3) and write a shard file,
    /// <DIR>/shard-INDEX-of-COUNT.json (--out DIR, default shards/<experiment name>), instead of a report;
    /// `stance merge` then writes the report. `auto` reads the shard from the environment: STANCE_SHARD_INDEX and
    /// STANCE_SHARD_COUNT, else JOB_COMPLETION_INDEX (Kubernetes) with STANCE_SHARD_COUNT, else
    /// SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN with SLURM_ARRAY_TASK_COUNT. COUNT is at most 100000. See
    /// docs/SCALE.md.
    #[arg(long, value_name = "INDEX/COUNT|auto", allow_hyphen_values = true)]
    pub shard: Option<String>,
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

/// Runs an experiment with a progress bar and times its stages (load, evaluation); `stance check` runs through
/// `stance::check::run_experiment` instead.
pub fn execute(
    exp: &Experiment,
    common: &CommonArgs,
) -> anyhow::Result<(RunReport, stance::results::Timings)> {
    let started = Instant::now();
    let data = exp.load_data()?;
    let load_seconds = started.elapsed().as_secs_f64();
    let mut plan = exp.plan()?;
    common.preflight(exp, &plan, &data.dataset)?;
    // Outside systems' commands run once, after the cheap checks and before the grid.
    exp.answer_systems(&mut plan, &data, &common.systems())?;
    let bar = common.progress_bar(&exp.file.name);
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let opts = RunOptions {
        progress: Some(&progress),
    };
    let result = run_experiment(&plan, &data.dataset, &opts);
    bar.finish_and_clear();
    let (report, mut timings) = RunReport::assemble(exp, &data, result?, harness_info());
    timings.load_seconds = load_seconds;
    timings.total_seconds = started.elapsed().as_secs_f64();
    Ok((report, timings))
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if let Some(spec) = &args.shard {
        return run_shard(args, spec);
    }
    args.common.setup_threads()?;
    let started = Instant::now();
    let exp = load_experiment(args.experiment.as_deref())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(&exp.file.name));
    let mut io = Io::new();
    reads_experiment(&mut io, &exp);
    io.writes_folder("--out", &out).check()?;
    let (report, timings) = execute(&exp, &args.common)?;
    let written = write_report_folder(&out, &report, &timings)?;
    print_written(&report, &out, &written, started);
    Ok(ExitCode::SUCCESS)
}

/// Prints the leaderboard and what was written (`stance run` and `stance merge`).
pub fn print_written(report: &RunReport, out: &Path, written: &[Written], started: Instant) {
    print!("{}", leaderboard_text(report));
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
}

/// `--shard`: runs one shard's tasks and writes its shard file.
fn run_shard(args: &Args, spec: &str) -> anyhow::Result<ExitCode> {
    args.common.setup_threads()?;
    let started = Instant::now();
    let (shard, from) = if spec == "auto" {
        let (s, from) = stance::shard::from_env(|k| std::env::var(k).ok())?;
        (s, format!(" (from {from})"))
    } else {
        (stance::shard::parse_spec(spec)?, String::new())
    };
    let (exp, text) = stance::shard::read_experiment(args.experiment.as_deref())?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("shards").join(&exp.file.name));
    let mut io = Io::new();
    reads_experiment(&mut io, &exp);
    io.writes_file("--out", dir.join(stance::shard::shard_file_name(shard)))
        .check()?;
    let data = exp.load_data()?;
    let load_seconds = started.elapsed().as_secs_f64();
    let plan = exp.plan()?;
    args.common.preflight(&exp, &plan, &data.dataset)?;
    let bar = args
        .common
        .progress_bar(&format!("{} shard {shard}", exp.file.name));
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let opts = RunOptions {
        progress: Some(&progress),
    };
    let result = stance::eval::partition::run_shard(&plan, &data.dataset, shard, &opts);
    bar.finish_and_clear();
    let run = result?;
    let (mine, total) = (run.outputs.len(), run.n_tasks);
    let mut file = ShardFile::new(&exp, text, &data, &plan, harness_info(), shard, run);
    file.times.load_seconds = load_seconds;
    let (path, bytes) = file.write(&dir)?;
    println!(
        "{}: shard {shard}{from} ran {mine} of {total} tasks",
        exp.file.name
    );
    println!(
        "wrote {} ({:.1} MB) in {:.1} s; when every shard is done: stance merge {}/shard-*-of-{}.json",
        path.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        dir.display(),
        shard.count
    );
    Ok(ExitCode::SUCCESS)
}
