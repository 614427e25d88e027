//! One file per subcommand: its `Args` (the doc comments are its `--help`) and a `run` function.

pub mod check;
pub mod predict;
pub mod run;
pub mod segment;
pub mod validate;

use std::io::IsTerminal;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stance::report::model::HarnessInfo;

/// Options shared by the commands that run experiments.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Worker threads for the grid and the bootstrap. Results are identical for any value. Defaults to the number
    /// of CPUs (or RAYON_NUM_THREADS).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl CommonArgs {
    /// Sizes rayon's global pool.
    pub fn setup_threads(&self) -> anyhow::Result<()> {
        if let Some(j) = self.jobs {
            anyhow::ensure!(j >= 1, "--jobs must be at least 1");
            rayon::ThreadPoolBuilder::new()
                .num_threads(j)
                .build_global()
                .context("cannot start the thread pool")?;
        }
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

/// The harness version and the commit it was built from.
pub fn harness_info() -> HarnessInfo {
    HarnessInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("STANCE_GIT_COMMIT").map(str::to_string),
    }
}
