//! Why an outside system's predictions cannot be used. A module of its own, depending on nothing else of the crate,
//! so that `errors` can wrap it without importing `systems` (which imports `errors`).

use std::path::PathBuf;

/// Largest `timeout`: a day.
pub const MAX_TIMEOUT: u64 = 86_400;

/// Why an outside system's predictions cannot be used. Every message says where (the predictions file's line, or
/// the line of the command's output) and how to fix it; [`ConfigError::System`](crate::ConfigError::System) adds the system and the experiment
/// line that declares it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SystemError {
    /// The predictions file could not be read.
    #[error("{}: cannot read the predictions file", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A predictions file's row is not valid CSV.
    #[error("{at}: not a valid CSV row; quote fields that hold commas or quotes")]
    Csv {
        /// `file:line`.
        at: String,
        /// The CSV reader's error.
        source: csv::Error,
    },
    /// A line of a command's output is not JSON, or not a JSON object of the expected shape.
    #[error(
        "{at}: {} (`{excerpt}`); write one {{\"id\": …, \"label\": …}} object per line (optionally with \
         \"probabilities\": {{class: p, …}}) and nothing else on stdout — logs go to stderr",
        if *not_json { "not JSON" } else { "not an {\"id\", \"label\"[, \"probabilities\"]} object" }
    )]
    Json {
        /// Where the line is.
        at: String,
        /// The start of the line.
        excerpt: String,
        /// Whether the line is not JSON at all (rather than JSON of another shape).
        not_json: bool,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A row or line says something unusable: an unknown label or id, a repeated id, bad probabilities, a missing
    /// column.
    #[error("{at}: {message}")]
    Line {
        /// Where (`file:line`, or the line of a command's output).
        at: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Items that need a prediction have none.
    #[error("{what} has no prediction for '{item}' ({missing} of the {total} that need one have none){hint}")]
    Missing {
        /// The predictions file, or the command's output.
        what: String,
        /// The first item without one, in data order.
        item: String,
        /// How many have none.
        missing: usize,
        /// Items that need one.
        total: usize,
        /// How to fix it (where the ids come from).
        hint: String,
    },
    /// The command could not be started.
    #[error(
        "cannot start `{program}`: a bare name is looked up on PATH, a name with a slash is relative to the \
         experiment file's folder ({}); the command runs without a shell",
        dir.display()
    )]
    Spawn {
        /// The program as written.
        program: String,
        /// The folder it runs in.
        dir: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Talking to the command failed (its output could not be read).
    #[error("cannot read the output of its command on {call}")]
    Pipe {
        /// Which call.
        call: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The command exited with an error.
    #[error(
        "its command exited with {status} on {call}, so none of its predictions are used{stderr}; fix the command \
         (run with --verbose to see all it writes to stderr)"
    )]
    Failed {
        /// Which call.
        call: String,
        /// `status 3`, `signal 9`.
        status: String,
        /// The last lines of its stderr, introduced (empty when there were none or with --verbose).
        stderr: String,
    },
    /// The command did not finish in time and was killed.
    #[error(
        "its command did not finish on {call} within {seconds} s and was killed{stderr}; make it faster, or raise \
         the system's `timeout` (at most {MAX_TIMEOUT})"
    )]
    TimedOut {
        /// Which call.
        call: String,
        /// The timeout.
        seconds: u64,
        /// The last lines of its stderr, introduced.
        stderr: String,
    },
}
