//! Behavioural tests for stance (CheckList-style, Ribeiro et al., ACL 2020).
//!
//! Held-out accuracy says how often a model is right on text like the gold set; it does not say *which* linguistic
//! capabilities the model has. A bag-of-words model can score well and still ignore "not". Behavioural tests probe
//! capabilities directly, with three kinds of test:
//!
//! - **MFT** (minimum functionality): short, unambiguous items with a known label ("Ukraine must be allowed to hit
//!   targets in Russia with ATACMS." → `support`).
//! - **INV** (invariance): a perturbation that must *not* change the prediction (another city, another number, a
//!   typo, punctuation, the order of two sentences, another speaker on the same side).
//! - **DIR** (directional): a perturbation that must change the prediction in a known way (negation flips
//!   `support`↔`oppose`; attributing the position to someone who rejects it; hedging lowers the probability of the
//!   original class).
//!
//! ## Design
//!
//! Tests are **data**, not code: hand-written TOML suites in `labels/behaviour/*.toml` ([`suite`]), so a reviewer
//! can read every item and every case can be traced to its file and line. A suite holds templates with slots whose
//! fill lists expand deterministically ([`expand`]), explicit original/perturbed pairs, and tests that apply a
//! named perturbation function ([`perturb`]) to templates or to the gold sentences themselves. Loading checks
//! everything up front and names file, line and key in every error, because a suite that fails half-way through a
//! long run wastes the run.
//!
//! Class names in suites are the guideline's (`support`, `oppose`, `neutral`). A suite may map them to another
//! corpus's class names (`classes = { support = "1", oppose = "-1" }`), so the same tests can target a model
//! trained on another labelled corpus; expansion writes the mapped names into the [`Case`]s.
//!
//! [`run::evaluate`] takes any predictor (`&[&str] -> Vec<Prediction>`), so the module does not depend on how a
//! configuration turns text into features. [`summary`] turns results into failure rates with Wilson score
//! intervals ([`stats::wilson`]), CSV rows, a Markdown report section, and the two gate checks (bounds on failure
//! rates, and cases whose outcome flipped against a baseline).
//!
//! ```
//! use std::path::Path;
//! use stance_behaviour::{self as behaviour, run::evaluate, summary::summarize};
//! use stance_models::Prediction;
//!
//! let suites = behaviour::suite::load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../labels/behaviour")))?;
//! let cases = behaviour::expand::expand_all(&suites)?;
//! let classes = vec!["support".to_string(), "oppose".to_string(), "neutral".to_string()];
//! // A model that says `support` to everything passes the support MFT and fails the oppose MFT.
//! let always_support = |texts: &[&str]| {
//!     texts.iter().map(|_| Prediction { class: 0, proba: None, tied: false }).collect()
//! };
//! let results = evaluate(&cases, &classes, &always_support);
//! let summary = summarize("always-support", &results);
//! assert!(summary.tests.iter().any(|t| t.failures == t.evaluated && t.evaluated > 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`,
//! `stance-corpus`, `stance-models`; never a crate above it.

pub mod expand;
pub mod perturb;
pub mod run;
pub mod stats;
pub mod suite;
pub mod summary;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use expand::expand_all;
pub use run::{evaluate, CaseResult, Outcome};
pub use suite::{load_dir, Suite};
pub use summary::{csv_rows, markdown_section, summarize, BehaviourSummary};

/// Errors of loading and expanding behavioural suites; each names the file, and the line and key when known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BehaviourError {
    /// A file or directory could not be read.
    #[error("{}: cannot read", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML does not parse, or does not match the schema.
    #[error("{}:{line}", path.display())]
    Toml {
        /// The suite file.
        path: PathBuf,
        /// 1-based line of the problem (1 when the parser gave no position).
        line: usize,
        /// The parser's error.
        source: stance_core::errors::TomlCause,
    },
    /// A value parses but is not valid (unknown slot, unknown perturbation, class not in the mapping…).
    #[error("{}:{line}: key '{key}': {message}", path.display())]
    Invalid {
        /// The suite file.
        path: PathBuf,
        /// 1-based line of the offending value.
        line: usize,
        /// The key holding the value.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The gold labels a suite refers to could not be loaded.
    #[error("{}:{line}: key 'gold'", path.display())]
    Gold {
        /// The suite file.
        path: PathBuf,
        /// 1-based line of the `[gold]` table.
        line: usize,
        /// The corpus layer's error (all of its problems).
        source: stance_corpus::CorpusError,
    },
}

/// The three CheckList test types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestType {
    /// Minimum functionality: a text with a known label.
    Mft,
    /// Invariance: a perturbation must not change the prediction.
    Inv,
    /// Directional: a perturbation must change the prediction in a known way.
    Dir,
}

impl TestType {
    /// The name used in suites, CSV and reports (`MFT`, `INV`, `DIR`).
    pub fn as_str(self) -> &'static str {
        match self {
            TestType::Mft => "MFT",
            TestType::Inv => "INV",
            TestType::Dir => "DIR",
        }
    }
}

impl fmt::Display for TestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a case expects of the predictions. Class names are the target corpus's (after a suite's mapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expectation {
    /// MFT: the text must be predicted as this class.
    Label(String),
    /// INV: every perturbed text must get the original's predicted class.
    SameAsOriginal,
    /// DIR with a known original label: the perturbed text must be predicted as this class, and the original
    /// must not be (the prediction has to move, not merely sit on the target).
    FlipTo(String),
    /// DIR with an unknown original label: the perturbed text must get the opposite of the original's
    /// *prediction* (the pair holds the two opposite classes); skipped when the original is predicted as neither.
    Opposite(String, String),
    /// DIR: the probability of the original's predicted class must drop on the perturbed text; skipped for
    /// models without probabilities.
    LowerConfidence,
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Label(c) => write!(f, "{c}"),
            Expectation::SameAsOriginal => f.write_str("same as original"),
            Expectation::FlipTo(c) => write!(f, "{c} after perturbation"),
            Expectation::Opposite(a, b) => write!(f, "opposite ({a}<->{b})"),
            Expectation::LowerConfidence => f.write_str("lower confidence"),
        }
    }
}

/// One expanded test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The suite file name (e.g. `negation.toml`).
    pub suite: String,
    /// The test's name inside the suite.
    pub test: String,
    /// The test's description, for reports.
    pub description: String,
    /// MFT, INV or DIR.
    pub kind: TestType,
    /// Stable id, `<test>.<NNN>` numbered in expansion order from 000.
    pub id: String,
    /// 1-based line in the suite file of the template, text or test the case comes from.
    pub line: usize,
    /// The gold unit id when the case was generated from a gold sentence.
    pub origin: Option<String>,
    /// `texts[0]` is the item (MFT) or the original (INV/DIR); `texts[1..]` are perturbed versions.
    pub texts: Vec<String>,
    /// What the predictions must satisfy.
    pub expectation: Expectation,
    /// The original's known label (target corpus class), when the suite states it or the case comes from a gold
    /// sentence: the strict ("invariant and correct") reading of INV and DIR cases also requires the original to be
    /// predicted as this.
    #[serde(default)]
    pub original: Option<String>,
}

impl Case {
    /// A digest of what the case tests (suite, test, texts, expectation, the original's label): two runs' cases
    /// with the same id and digest are the same case, so a gate can compare their outcomes; an edited suite gives
    /// its changed cases new digests. FNV-1a, so it does not change with the standard library's hasher.
    pub fn digest(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |s: &str| {
            for b in s.bytes().chain([0x1f]) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        feed(&self.suite);
        feed(&self.test);
        for t in &self.texts {
            feed(t);
        }
        feed(&self.expectation.to_string());
        feed(self.original.as_deref().unwrap_or(""));
        format!("{h:016x}")
    }
}

#[cfg(test)]
mod tests;
