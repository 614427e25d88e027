//! `stance merge`: assembles a run's report folder from the shard files of `stance run --shard`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use stance::report::write_report_folder;
use stance::results::RunReport;
use stance::shard::{expand_inputs, merge};

use stance::outputs::Io;

use super::{harness_info, reads_experiment, CommonArgs};

/// Merge the shard files of one run into its report folder: byte-identical to a single `stance run` of the
/// experiment, timings.json aside.
///
/// SHARD is a file written by `stance run EXPERIMENT --shard I/N`, or a directory holding such files
/// (shard-I-of-N.json). Every shard 0..N-1 must be given exactly once. Refuses, naming the file, and writes nothing:
/// a truncated or corrupt shard file, shards of different data, experiments, behavioural suites or harness builds
/// (the merging build must be the one that ran the shards), a missing or duplicate shard.
///
/// Run it where the shards' inputs are, as for `stance run` (data paths in the experiment are relative to the
/// working directory): it re-reads the data, checks its sha256 against the shards', and runs the rest of the
/// evaluation — bootstrap, tests, the refit of every model on all items, behavioural tests. Cost: that part of a
/// run (seconds on the gold data; see docs/SCALE.md at scale) plus reading the shard files.
///
/// Writes reports/<experiment name>/ (or --out), replacing a previous report there atomically, and prints the
/// leaderboard, like `stance run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shard files, or directories holding them.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Report folder. Defaults to reports/<experiment name>. An existing folder is replaced only if it is a
    /// stance report folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    args.common.setup_threads()?;
    let started = Instant::now();
    let paths = expand_inputs(&args.shards)?;
    let io_of = |out: &Path| {
        let mut io = Io::new();
        for p in args.shards.iter().chain(&paths) {
            io.reads("the shard file (or folder)", p);
        }
        io.writes_folder("--out", out);
        io
    };
    // Cheap first (before the evaluation the merge finishes): --out against the shard files given.
    if let Some(out) = &args.out {
        io_of(out).check()?;
    }
    let merged = merge(&paths, &harness_info(), &args.common.systems())?;
    let name = merged.experiment.file.name.clone();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(&name));
    let mut io = io_of(&out);
    reads_experiment(&mut io, &merged.experiment);
    io.check()?;
    let bytes: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    eprintln!(
        "read {} shard file(s) of '{name}' ({:.1} MB) in {:.1} s, reloaded the data in {:.1} s",
        paths.len(),
        bytes as f64 / 1e6,
        merged.read_seconds,
        merged.load_seconds
    );
    let load_seconds = merged.read_seconds + merged.load_seconds;
    let (report, mut timings) =
        RunReport::assemble(&merged.experiment, &merged.data, merged.run, harness_info());
    timings.load_seconds = load_seconds;
    timings.total_seconds = started.elapsed().as_secs_f64();
    let written = write_report_folder(&out, &report, &timings)?;
    super::run::print_written(&report, &out, &written, started);
    Ok(ExitCode::SUCCESS)
}
