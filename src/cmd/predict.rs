//! `stance predict` (not built yet).
use std::process::ExitCode;
/// Label new statements (not built yet).
#[derive(Debug, clap::Args)]
pub struct Args {}
/// Runs the command.
pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("stance predict is not built yet")
}
