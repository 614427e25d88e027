//! The `stance` command: parses arguments, calls the library, prints, and maps errors to exit codes.
//!
//! Exit codes: 0 success; 1 `stance check` found a regression; 2 bad input or usage (every error).

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Stance-classification evaluation harness.
///
/// Gold data from seed documents, feature sets × linfa classifiers × cross-validation, reports with honest
/// intervals, and a CI gate. Start with `stance run` (the default experiment on the bundled gold data).
///
/// Exit codes: 0 success, 1 regression found by `stance check`, 2 input or usage error.
#[derive(Debug, Parser)]
#[command(
    name = "stance",
    version,
    propagate_version = true,
    max_term_width = 110
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Validate(cmd::validate::Args),
    Segment(cmd::segment::Args),
    Run(cmd::run::Args),
    Check(cmd::check::Args),
    Predict(cmd::predict::Args),
    Submission(cmd::submission::Args),
    Merge(cmd::merge::Args),
    Diff(cmd::diff::Args),
    Train(cmd::train::Args),
}

fn main() -> ExitCode {
    exit_quietly_on_broken_pipe();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Validate(a) => cmd::validate::run(a),
        Command::Segment(a) => cmd::segment::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Predict(a) => cmd::predict::run(a),
        Command::Submission(a) => cmd::submission::run(a),
        Command::Merge(a) => cmd::merge::run(a),
        Command::Diff(a) => cmd::diff::run(a),
        Command::Train(a) => cmd::train::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("stance: {}", render_error(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, skipping a cause whose text the message already contains (the library's
/// errors name their cause in their own message, which also makes them readable without a chain).
fn render_error(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `stance run | head -1` closes stdout early; `println!` then panics (exit 101 with a backtrace hint). A reader
/// that stopped reading is not an error of ours, so, like ripgrep and xsv, end quietly with success.
fn exit_quietly_on_broken_pipe() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if payload.contains("failed printing to stdout") && payload.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}
