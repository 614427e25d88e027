//! `stance check` (not built yet).
use std::process::ExitCode;
/// Compare a fresh run with a committed baseline (not built yet).
#[derive(Debug, clap::Args)]
pub struct Args {}
/// Runs the command.
pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("stance check is not built yet")
}
