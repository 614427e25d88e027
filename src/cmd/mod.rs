//! One file per subcommand: its `Args` (the doc comments are its `--help`) and a `run` function.

pub mod check;
pub mod diff;
pub mod embed;
pub mod merge;
pub mod predict;
pub mod run;
pub mod segment;
pub mod submission;
pub mod train;
pub mod validate;

use std::io::IsTerminal;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stance::embed::EmbeddingCache;
use stance::features::dense::{EncodeOptions, EncoderHandle};
use stance::outputs::Io;
use stance::results::HarnessInfo;

/// Options shared by the commands that run experiments.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Worker threads for the grid and the bootstrap (1..=1024). Results are identical for any value. Defaults to
    /// the number of CPUs (or RAYON_NUM_THREADS, bounded alike).
    #[arg(long, short = 'j', value_name = "N", allow_hyphen_values = true,
          value_parser = stance::eval::budget::parse_jobs)]
    pub jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Memory the run may use (e.g. 2GiB, 512MiB). Before it starts, a run is refused when its estimated peak
    /// memory exceeds this, or by default what the machine has available (MemAvailable in /proc/meminfo, or a
    /// lower cgroup limit); the refusal gives the estimate and the experiment keys that drive it. Set it higher
    /// when you know the machine can give more (e.g. swap, or memory another program is about to free). Used by
    /// run and check; merge ignores it.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true,
          value_parser = stance::eval::budget::parse_size)]
    pub memory_limit: Option<u64>,
    /// Pass the stderr of outside systems' commands ([[systems]] command = […]) through to this terminal; without
    /// it their stderr is captured and its last lines quoted when a command fails.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    #[command(flatten)]
    pub encoders: EncoderArgs,
}

/// Options of the commands that may run a sentence encoder (an `encoder` extractor, `stance embed`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EncoderArgs {
    /// Folder of the embedding cache: each text's embedding is stored there, keyed by the sha256 of the model's
    /// files and of the text, so a second run, check, train or predict does not encode it again (a damaged entry is
    /// ignored and rewritten). Defaults to $XDG_CACHE_HOME/stance, else ~/.cache/stance.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Encode without the embedding cache: read nothing from it, write nothing to it.
    #[arg(long, conflicts_with = "cache")]
    pub no_cache: bool,
}

impl EncoderArgs {
    /// The cache to use: none with --no-cache; --cache DIR (refused when it cannot be created); else the default
    /// folder, skipped quietly when it cannot be created (a cache only saves time).
    pub fn cache(&self) -> anyhow::Result<Option<Arc<EmbeddingCache>>> {
        if self.no_cache {
            return Ok(None);
        }
        match &self.cache {
            Some(dir) => Ok(Some(Arc::new(EmbeddingCache::open(dir)?))),
            None => Ok(stance::embed::default_cache_dir()
                .and_then(|d| EmbeddingCache::open(&d).ok())
                .map(Arc::new)),
        }
    }

    /// Gives every encoder the cache and a progress bar (hidden when `quiet` or stderr is not a terminal), which
    /// clears itself when a batch of texts is encoded.
    pub fn attach(&self, handles: &[&Arc<EncoderHandle>], quiet: bool) -> anyhow::Result<()> {
        if handles.is_empty() {
            return Ok(());
        }
        let cache = self.cache()?;
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template(
                "encoding [{bar:30}] {pos}/{len} texts ({per_sec}, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        let progress: Arc<dyn Fn(usize, usize) + Send + Sync> = Arc::new(move |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if done >= total {
                bar.finish_and_clear();
            }
        });
        for h in handles {
            h.set_options(EncodeOptions {
                cache: cache.clone(),
                progress: Some(Arc::clone(&progress)),
            });
        }
        Ok(())
    }
}

impl CommonArgs {
    /// How outside systems' commands run.
    pub fn systems(&self) -> stance::experiment::SystemOptions {
        stance::experiment::SystemOptions {
            verbose: self.verbose,
        }
    }

    /// Sizes rayon's global pool.
    pub fn setup_threads(&self) -> anyhow::Result<()> {
        if self.jobs.is_none() {
            // rayon reads the variable itself, unbounded: the same bound as --jobs applies.
            // 0 is rayon's spelling of "the default".
            if let Ok(v) = std::env::var("RAYON_NUM_THREADS").map(|v| v.trim().to_string()) {
                if v == "0" {
                    return Ok(());
                }
                if let Err(why) = stance::eval::budget::parse_jobs(&v) {
                    anyhow::bail!("RAYON_NUM_THREADS={}: {why}", stance::diag::excerpt(&v));
                }
            }
        }
        if let Some(j) = self.jobs {
            anyhow::ensure!(j >= 1, "--jobs must be at least 1");
            rayon::ThreadPoolBuilder::new()
                .num_threads(j)
                .build_global()
                .context("cannot start the thread pool")?;
        }
        Ok(())
    }

    /// The checks between loading the data and running: the plan must fit the data (folds, groups, tuning) and
    /// the machine's memory. Nothing has been written when they refuse.
    pub fn preflight(
        &self,
        exp: &stance::experiment::Experiment,
        plan: &stance::eval::Plan,
        ds: &stance::corpus::Dataset,
    ) -> anyhow::Result<()> {
        // The experiment's encoders get the cache and a progress bar before anything is encoded.
        let handles: Vec<&Arc<EncoderHandle>> =
            exp.feature_sets.iter().flat_map(|f| f.encoders()).collect();
        self.encoders.attach(&handles, self.quiet)?;
        // Memory first: it is arithmetic, while the plan check builds every fold's index lists.
        exp.check_memory(plan, ds, rayon::current_num_threads(), self.memory_limit)?;
        exp.check_against(plan, ds)?;
        Ok(())
    }

    /// A progress bar on stderr; hidden with `--quiet` or when stderr is not a terminal.
    pub fn progress_bar(&self, what: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if self.quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} fits ({elapsed}, eta {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }
}

/// Texts from the command line, else from a CSV column, else one per line from stdin (refused when stdin is a
/// terminal). A CSV problem names the file and line; `flag` is the command's option that names the column, which
/// a missing column's message tells the user to set.
pub fn read_texts(
    given: &[String],
    csv: Option<&Path>,
    column: &str,
    flag: &str,
) -> anyhow::Result<Vec<String>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    if let Some(path) = csv {
        let bytes =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let mut rdr = csv::Reader::from_reader(bytes.as_slice());
        let headers = rdr
            .headers()
            .with_context(|| format!("{}:1: cannot parse the header", path.display()))?
            .clone();
        let col = headers.iter().position(|h| h == column).with_context(|| {
            format!(
                "{}:1: no column '{}' (columns: {}); choose one with {flag}",
                path.display(),
                column,
                headers.iter().collect::<Vec<_>>().join(", ")
            )
        })?;
        let mut out = Vec::new();
        let mut lines = stance::diag::CsvLines::new(&bytes);
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = lines.line(e.position());
                anyhow::anyhow!("{}:{line}: {e}", path.display())
            })?;
            let text = rec.get(col).unwrap_or("");
            if text.trim().is_empty() {
                let line = lines.line(rec.position());
                anyhow::bail!(
                    "{}:{line}: column '{}' is empty; every row needs a statement to label",
                    path.display(),
                    stance::diag::excerpt(column)
                );
            }
            out.push(text.to_string());
        }
        return Ok(out);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        anyhow::bail!(
            "no statements: pass them as arguments, with --csv, or on stdin (one per line)"
        );
    }
    let mut out = Vec::new();
    for line in stdin.lock().lines() {
        let line = line.context("cannot read stdin")?;
        if !line.trim().is_empty() {
            out.push(line);
        }
    }
    Ok(out)
}

/// Adds everything a run of `exp` reads (the experiment file, its data, suites and feature files) to `io`, the
/// list a command checks its outputs against before writing ([`stance::outputs`]).
pub fn reads_experiment(io: &mut Io, exp: &stance::experiment::Experiment) {
    for (what, path) in exp.read_paths() {
        io.reads(what, path);
    }
}

/// The harness version and the commit it was built from.
pub fn harness_info() -> HarnessInfo {
    HarnessInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("STANCE_GIT_COMMIT").map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    //! Argument parsing, checked on raw argv the way a user types it.

    use clap::Parser;

    use crate::{Cli, Command};

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        let argv = std::iter::once("stance").chain(args.iter().copied());
        Cli::try_parse_from(argv).map(|c| c.command)
    }

    #[test]
    fn run_takes_an_optional_experiment_and_common_options() {
        match parse(&["run"]).unwrap() {
            Command::Run(a) => {
                assert!(a.experiment.is_none() && a.out.is_none());
                assert_eq!(a.common.jobs, None);
                assert!(!a.common.quiet);
            }
            other => panic!("parsed as {other:?}"),
        }
        match parse(&["run", "experiments/x.toml", "--out", "o", "-j", "2", "-q"]).unwrap() {
            Command::Run(a) => {
                assert_eq!(a.experiment.unwrap().to_str(), Some("experiments/x.toml"));
                assert_eq!(a.out.unwrap().to_str(), Some("o"));
                assert_eq!(a.common.jobs, Some(2));
                assert!(a.common.quiet);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn bad_values_and_unknown_flags_are_usage_errors() {
        for argv in [
            &["run", "--jobs", "two"][..],
            &["run", "--bogus"],
            &["frobnicate"],
            &["check", "--tolerance"],
        ] {
            let e = parse(argv).expect_err("must not parse");
            assert_ne!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{argv:?}");
        }
    }

    #[test]
    fn validate_has_repository_defaults() {
        match parse(&["validate"]).unwrap() {
            Command::Validate(a) => {
                assert_eq!(a.seeds.to_str(), Some("seeds"));
                assert_eq!(a.labels.to_str(), Some("labels/gold.csv"));
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn check_parses_repeatable_tolerances() {
        let argv = [
            "check",
            "--baseline",
            "b.json",
            "--tolerance",
            "macro_f1=0.05",
            "--tolerance",
            "accuracy=0",
        ];
        match parse(&argv).unwrap() {
            Command::Check(a) => {
                assert_eq!(a.baseline.as_deref(), Some(std::path::Path::new("b.json")));
                assert_eq!(
                    a.tolerance,
                    vec![
                        (stance::eval::MetricName::MacroF1, 0.05),
                        (stance::eval::MetricName::Accuracy, 0.0)
                    ]
                );
                assert!(!a.update_baseline);
            }
            other => panic!("parsed as {other:?}"),
        }
        assert!(parse(&["check", "--baseline", "b", "--tolerance", "nope=1"]).is_err());
        assert!(parse(&["check", "--baseline", "b", "--tolerance", "macro_f1=-1"]).is_err());
    }

    #[test]
    fn every_subcommand_has_help() {
        for sub in [
            "validate",
            "segment",
            "run",
            "check",
            "predict",
            "submission",
            "merge",
            "diff",
            "train",
        ] {
            let e = parse(&[sub, "--help"]).expect_err("help exits early");
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{sub}");
        }
    }
}
