//! How this crate's errors carry their causes, and the one way to print them.
//!
//! Every layer has one `thiserror` enum (`stance_corpus::CorpusError`, `stance_experiment::ConfigError`,
//! `stance_eval::EvalError`, …). The convention, for every variant of every one of them:
//!
//! * **A cause is attached, never interpolated.** A variant that has an underlying error (an I/O error, a TOML or
//!   JSON parser's error, a linfa error, a lower layer's error) keeps it as its `#[source]` (or `#[from]`), and its
//!   own message does not repeat the cause's text. The message says what failed and where: the file, the line, the
//!   field, the configuration, and how to fix it when that does not depend on the cause.
//! * **A wrapper that adds nothing is transparent** (`#[error(transparent)]`): its message *is* its cause's.
//! * **Text that is not an error value** (a list of problems, a reason computed here) is part of the message.
//!   Two places keep a foreign error's text on purpose: the `file:line: message` [`crate::diag::Diagnostics`]
//!   that `stance validate` collects (a list of problems, some quoting a CSV or I/O error), and
//!   `stance_charts::PlotError`, which is `Clone + Eq` while the drawing and PNG errors it quotes are neither.
//!
//! So an error's `Display` is one link, and the whole story is the chain: [`chain`] joins the links with `": "`,
//! which reads as before (`x.toml:10: unknown field ...`) and names each cause exactly once. The `stance` binary
//! prints errors with it; library code that must turn an error into text (a report field) uses it too.
//!
//! Parsers whose own `Display` repeats what the enclosing message already says (the TOML parser prints the file
//! excerpt and line the message names) are kept through a small wrapper, [`TomlCause`], that shows only the
//! parser's message while still holding the parser's error.

use std::error::Error;
use std::fmt;

/// An error and its causes on one line, each link once, joined by `": "`.
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// A TOML parser error kept as a cause. Its `Display` is the parser's message alone (`unknown field `shuffle`,
/// expected ...`): the enclosing error already names the file and the line, which the parser's own `Display` would
/// repeat with an excerpt over several lines.
///
/// Boxed: the parser's error is large, and every `Result` of the layers that hold one would carry its size.
#[derive(Debug, Clone)]
pub struct TomlCause(Box<toml::de::Error>);

impl TomlCause {
    /// The parser's error, with its span.
    pub fn parser_error(&self) -> &toml::de::Error {
        &self.0
    }
}

impl From<toml::de::Error> for TomlCause {
    fn from(e: toml::de::Error) -> Self {
        TomlCause(Box::new(e))
    }
}

impl fmt::Display for TomlCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.message().trim())
    }
}

impl Error for TomlCause {}
