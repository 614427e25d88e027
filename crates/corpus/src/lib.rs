//! Stage 1 — the corpus: seed documents, the gold labels taken from them, and any other labelled CSV.
//!
//! This crate owns everything that turns files on disk into labelled [`Item`]s:
//!
//! * [`seeds`] reads `seeds/manifest.csv` and checks every seed's bytes against its sha256;
//! * [`gold`] reads the gold label file (`id,doc,start,end,unit,holder,stance,text,note`) and checks every row
//!   against the seed it claims to come from (offsets, text, overlaps, coverage), collecting *all* problems;
//! * [`segment`] proposes sentence units for a new seed, the first step of labelling it;
//! * [`table`] reads an arbitrary labelled CSV (text / label / group columns) so the harness runs on any corpus.
//!
//! Later stages only see [`Dataset`]: items with a text, a class index and optional grouping metadata.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-core`; never a crate
//! above it.

pub mod gold;
pub mod sample;
pub mod seeds;
pub mod segment;
pub mod table;

#[cfg(test)]
pub(crate) mod fuzz_tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use stance_core::diag::Diagnostics;

/// The stance labels the gold data may use, in their canonical order.
pub const GOLD_STANCES: [&str; 3] = ["support", "oppose", "neutral"];

/// The unit levels a gold row may have.
pub const UNIT_LEVELS: [&str; 2] = ["sentence", "clause"];

/// Errors of the corpus layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CorpusError {
    /// A file could not be read.
    #[error("{path}: cannot read")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input has problems; every one is listed, one per line, as `file:line: message`.
    #[error("{problems}")]
    Invalid {
        /// The problems.
        problems: Diagnostics,
    },
}

/// Split membership for datasets that come with a fixed train/test column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitRole {
    /// The row is used for training.
    Train,
    /// The row is used for testing.
    Test,
}

/// One labelled statement, as every later stage sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable identifier (the gold id, or `row-N` / the id column for CSVs).
    pub id: String,
    /// The statement.
    pub text: String,
    /// Index into [`Dataset::classes`].
    pub label: usize,
    /// The document the statement comes from (gold), or the group column's value (CSV), if any.
    pub doc: Option<String>,
    /// Who holds the stance, when known.
    pub holder: Option<String>,
    /// The value of the grouping column, when the data declares one.
    pub group: Option<String>,
    /// The fixed train/test role, when the data declares a split column.
    pub split: Option<SplitRole>,
}

/// A labelled dataset ready for evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Class names; an item's `label` indexes this list. The order is the one the experiment declares.
    pub classes: Vec<String>,
    /// The items, in file order.
    pub items: Vec<Item>,
    /// sha256 of every input file that defines the items (seeds, labels, CSV), keyed by a stable name.
    pub input_hashes: BTreeMap<String, String>,
}

impl Dataset {
    /// Number of items per class, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for item in &self.items {
            counts[item.label] += 1;
        }
        counts
    }

    /// The gold labels as class indices.
    pub fn labels(&self) -> Vec<usize> {
        self.items.iter().map(|i| i.label).collect()
    }
}

/// Hex-encoded sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input_is_the_known_constant() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
