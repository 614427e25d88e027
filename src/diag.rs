//! Diagnostics that point at a place in a user's file.
//!
//! Every stage that reads user input (seeds, gold labels, labelled CSVs, experiment files) reports problems as
//! `file:line: message`, the format editors and CI log viewers turn into links. Collecting them as values (instead
//! of failing on the first) is what lets `stance validate` list every problem in one pass.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem found in a user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in.
    pub path: PathBuf,
    /// The 1-based line, when the problem has one.
    pub line: Option<u64>,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

impl Diagnostic {
    /// A problem at `path:line`.
    pub fn at(path: &Path, line: u64, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: Some(line),
            message: message.into(),
        }
    }

    /// A problem with a whole file.
    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// A list of diagnostics shown one per line (used inside error messages).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Converts a byte offset in `text` into a 1-based line number.
pub fn line_of_offset(text: &str, offset: usize) -> u64 {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
}

/// The 1-based line a CSV record (or error) starts on, computed from its byte offset.
///
/// The `csv` crate's own `Position::line()` is one too low for files with CRLF line endings (the record's start is
/// recorded before the `\n` of the previous `\r\n` is consumed), so lines are counted here instead.
pub fn csv_line(bytes: &[u8], pos: Option<&csv::Position>) -> u64 {
    let Some(pos) = pos else { return 0 };
    let mut off = (pos.byte() as usize).min(bytes.len());
    while off < bytes.len() && (bytes[off] == b'\n' || bytes[off] == b'\r') {
        off += 1;
    }
    1 + bytes[..off].iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_file_and_line() {
        let d = Diagnostic::at(Path::new("labels/gold.csv"), 7, "unknown stance 'maybe'");
        assert_eq!(d.to_string(), "labels/gold.csv:7: unknown stance 'maybe'");
        let d = Diagnostic::file(Path::new("seeds/manifest.csv"), "missing");
        assert_eq!(d.to_string(), "seeds/manifest.csv: missing");
    }

    #[test]
    fn csv_lines_are_right_for_lf_and_crlf_files() {
        for data in [
            "a,b\nx,1\n\"y\nz\",2\nw,3\n",
            "a,b\r\nx,1\r\n\"y\r\nz\",2\r\nw,3\r\n",
        ] {
            let mut rdr = csv::Reader::from_reader(data.as_bytes());
            let lines: Vec<u64> = rdr
                .records()
                .map(|r| csv_line(data.as_bytes(), r.unwrap().position()))
                .collect();
            assert_eq!(lines, vec![2, 3, 5], "{data:?}");
        }
    }

    #[test]
    fn line_of_offset_counts_newlines() {
        let t = "a\nbb\nccc";
        assert_eq!(line_of_offset(t, 0), 1);
        assert_eq!(line_of_offset(t, 2), 2);
        assert_eq!(line_of_offset(t, 5), 3);
        assert_eq!(line_of_offset(t, 100), 3);
    }
}
