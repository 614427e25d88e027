//! `stance diff`: two finished runs side by side; the comparison itself is [`stance::diff`].

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use stance::atomic::write_atomic;
use stance::diff::{self, render, DiffOptions};
use stance::experiment::MetricName;
use stance::outputs::Io;
use stance::report::to_json;

/// Compare two runs side by side: any two report folders (or report.json files), whatever their scheme, seed or
/// experiment.
///
/// For every configuration both runs hold and every metric both report, prints A, B and Δ = B − A. When both runs
/// evaluated the same items (same ids and gold labels), the comparison is paired: Δ gets a 95% paired bootstrap
/// interval and p-value (both runs re-scored on the same resampled items), each configuration gets McNemar's exact
/// test on the items each run gets right in most repeats, and the flip list names every item whose majority-vote
/// correctness changed. Otherwise Δ gets an approximate interval from the two runs' own intervals (normal
/// approximation, marked ≈), and there is no test per item. Configurations only one run holds are listed.
///
/// Reads only; never runs an experiment. Exit codes: 0 compared (whatever the differences); 2 unreadable or
/// invalid input.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run A, the reference: a report folder (e.g. reports/default) or its report.json.
    pub a: PathBuf,
    /// Run B, compared with A.
    pub b: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the output to this file (atomically) instead of stdout; `-` is stdout. Refused when it is one of the
    /// runs read, or an existing device, fifo or folder.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Compare only this metric (repeatable). Defaults to every metric both runs report.
    #[arg(long = "metric", value_name = "METRIC", value_parser = parse_metric)]
    pub metrics: Vec<MetricName>,
    /// Paired bootstrap replicates: 0 (no paired interval) or 100..=100000, as `bootstrap` in an experiment.
    #[arg(long, default_value_t = diff::DEFAULT_BOOTSTRAP, value_name = "N", allow_hyphen_values = true,
          value_parser = stance::eval::bootstrap::parse_replicates)]
    pub bootstrap: usize,
    /// Seed of the paired bootstrap (same inputs and seed, same output).
    #[arg(long, default_value_t = diff::DEFAULT_SEED, value_name = "N", allow_hyphen_values = true)]
    pub seed: u64,
    /// Flips shown per configuration in text and Markdown (JSON lists every one).
    #[arg(
        long,
        default_value_t = 10,
        value_name = "N",
        allow_hyphen_values = true
    )]
    pub max_flips: usize,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for a terminal.
    Text,
    /// Markdown tables (a pull request, notes).
    Markdown,
    /// The whole comparison, every flip included.
    Json,
}

fn parse_metric(s: &str) -> Result<MetricName, String> {
    MetricName::from_key(s.trim()).ok_or_else(|| {
        format!(
            "unknown metric '{s}'; one of: {}",
            MetricName::ALL
                .iter()
                .map(|m| m.key())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let out = args.out.as_ref().filter(|p| p.as_os_str() != "-");
    if let Some(path) = out {
        let mut io = Io::new();
        io.reads("run A", &args.a)
            .reads("run B", &args.b)
            .writes_file_or_stdout("--out", path)
            .check()?;
    }
    let (path_a, a) = diff::load_run(&args.a)?;
    let (path_b, b) = diff::load_run(&args.b)?;
    if let Some(path) = out {
        // The data the runs came from is an input too (the report is read first to know it).
        let mut io = Io::new();
        for (what, p) in a.source_paths().into_iter().chain(b.source_paths()) {
            io.reads(what, p);
        }
        io.writes_file_or_stdout("--out", path).check()?;
    }
    let opts = DiffOptions {
        metrics: args.metrics.clone(),
        bootstrap: args.bootstrap,
        seed: args.seed,
    };
    let d = diff::diff(&path_a, &a, &path_b, &b, &opts);
    let bytes = match args.format {
        Format::Text => render::text(&d, args.max_flips).into_bytes(),
        Format::Markdown => render::markdown(&d, args.max_flips).into_bytes(),
        Format::Json => to_json(&d),
    };
    match out {
        Some(path) => write_atomic(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout()
            .write_all(&bytes)
            .context("cannot write to stdout")?,
    }
    Ok(ExitCode::SUCCESS)
}
