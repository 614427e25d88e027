//! The `stance` command: parses arguments, calls the library, prints, and maps errors to exit codes.
//!
//! Exit codes: 0 success; 1 `stance check` found a regression; 2 bad input or usage (every error).

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Stance-classification evaluation harness.
///
/// Gold data from seed documents, feature sets × classifiers (the harness's own sparse linear solvers behind linfa's
/// traits, linfa-trees' decision tree) × cross-validation, reports with honest intervals, and a CI gate. Start with `stance run` (the default experiment on the bundled gold data).
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
    Embed(cmd::embed::Args),
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
        Command::Embed(a) => cmd::embed::run(a),
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

/// The error and its causes on one line, joined by `": "`. Each library error names its cause only as its source,
/// never in its own message (the convention of `stance::errors`), so every cause appears exactly once.
fn render_error(e: &anyhow::Error) -> String {
    e.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
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

#[cfg(test)]
mod tests {
    use std::error::Error;
    use std::path::{Path, PathBuf};

    use stance::eval::EvalError;
    use stance::experiment::{ConfigError, Experiment};
    use stance::features::FeatureError;
    use stance::models::ModelError;
    use stance::predict::ModelFileError;
    use stance::results::ReadError;

    /// Renders `e` as the CLI does and checks that every link of its chain appears exactly once.
    fn rendered_once(e: impl Into<anyhow::Error>) -> String {
        let e: anyhow::Error = e.into();
        let out = super::render_error(&e);
        for link in e.chain() {
            let text = link.to_string();
            assert!(!text.is_empty());
            assert_eq!(
                out.matches(text.as_str()).count(),
                1,
                "'{text}' should appear once in: {out}"
            );
        }
        out
    }

    fn json_error() -> serde_json::Error {
        serde_json::from_str::<Vec<u8>>("[1").unwrap_err()
    }

    #[test]
    fn nested_errors_print_each_cause_once() {
        // Three layers: experiment file → feature set → I/O.
        let lexicon = ConfigError::Feature {
            origin: "x.toml".into(),
            line: Some(7),
            source: FeatureError::LexiconIo {
                origin: "cues.toml".into(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file"),
            },
        };
        assert_eq!(
            rendered_once(lexicon),
            "x.toml:7: cues.toml: cannot read: No such file"
        );

        // A TOML parser error: the message names the line, the cause says what is wrong (no excerpt).
        let parse = Experiment::from_source("name = 1\n", Some(Path::new("x.toml"))).unwrap_err();
        let out = rendered_once(parse);
        assert!(out.starts_with("x.toml:1: "), "{out}");
        assert!(!out.contains('\n'), "{out}");

        // linfa's error kept as a source, under a fold.
        let linfa = EvalError::Model {
            config: "words + decision-tree".into(),
            fold: "fold 1".into(),
            source: ModelError::Linfa {
                classifier: "decision-tree".into(),
                source: Box::new(linfa::Error::Parameters(
                    "min weight must be positive".into(),
                )),
            },
        };
        let out = rendered_once(linfa);
        assert!(
            out.starts_with("words + decision-tree, fold 1: classifier 'decision-tree': "),
            "{out}"
        );
        assert!(out.contains("min weight must be positive"), "{out}");

        // serde_json's errors, two levels down.
        let back = ModelFileError::NoReadBack {
            config: "words + logistic".into(),
            source: Box::new(ModelFileError::DamagedJson {
                path: PathBuf::from("<model being saved>"),
                source: json_error(),
            }),
        };
        let out = rendered_once(back);
        assert!(
            out.contains("EOF while parsing a list at line 1 column 2"),
            "{out}"
        );
        let report = ReadError::NotAReport {
            path: PathBuf::from("r.json"),
            source: json_error(),
        };
        assert_eq!(
            rendered_once(report),
            "r.json: not a stance report: EOF while parsing a list at line 1 column 2"
        );
    }

    #[test]
    fn transparent_wrappers_add_no_link() {
        let inner = ReadError::NotAReport {
            path: PathBuf::from("r.json"),
            source: json_error(),
        };
        let text = super::render_error(&anyhow::Error::from(inner));
        let wrapped = stance::diff::DiffError::Unreadable(ReadError::NotAReport {
            path: PathBuf::from("r.json"),
            source: json_error(),
        });
        assert!(wrapped.source().is_some());
        assert_eq!(rendered_once(wrapped), text);
    }
}
