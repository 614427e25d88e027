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

/// A number as an experiment file writes it, for messages: TOML spells the non-finite floats `nan`, `inf` and
/// `-inf` (Rust's `Display` would say `NaN`, and a JSON round trip `null`).
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        v.to_string()
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

/// Maps CSV record positions to 1-based lines in one forward pass over the file.
///
/// [`csv_line`] counts from the start of the file on every call, which is quadratic over a whole file (tens of
/// seconds on a 30,000-row corpus). Records arrive in file order, so counting only the bytes since the previous
/// record keeps a whole file linear. Gives the same lines as [`csv_line`], including for CRLF files.
#[derive(Debug, Clone)]
pub struct CsvLines<'a> {
    bytes: &'a [u8],
    /// Offset up to which newlines have been counted.
    off: usize,
    /// 1 + the number of `\n` in `bytes[..off]`.
    line: u64,
}

impl<'a> CsvLines<'a> {
    /// A counter over the bytes the CSV reader reads.
    pub fn new(bytes: &'a [u8]) -> Self {
        CsvLines {
            bytes,
            off: 0,
            line: 1,
        }
    }

    /// The line a record (or error) at `pos` starts on; 0 when the reader gave no position.
    pub fn line(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        let bytes = self.bytes;
        let mut target = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        // The reader records a record's start before it consumes the previous line's terminator.
        while target < bytes.len() && (bytes[target] == b'\n' || bytes[target] == b'\r') {
            target += 1;
        }
        if target < self.off {
            // Positions never go backwards for one reader; recount rather than be wrong if they ever do.
            self.off = 0;
            self.line = 1;
        }
        self.line += bytes[self.off..target]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.off = target;
        self.line
    }
}

/// The longest excerpt of user input an error message quotes, in characters.
pub const EXCERPT_CHARS: usize = 60;

/// A short excerpt of user input for an error message: at most [`EXCERPT_CHARS`] characters, then `…`.
///
/// A message that quoted a whole field would print a 10 MB line when a quote is left open; line breaks are
/// shown as `\n` so one problem stays on one line of output.
pub fn excerpt(s: &str) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == EXCERPT_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other control characters (NUL, escape sequences) would corrupt a terminal or log line.
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
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

    #[test]
    fn incremental_lines_equal_counted_lines() {
        for data in [
            "a,b\nx,1\n\"y\nz\",2\nw,3\n",
            "a,b\r\nx,1\r\n\"y\r\nz\",2\r\nw,3\r\n",
            "a,b\n\n\nx,1\n\r\ny,2",
        ] {
            let mut rdr = csv::Reader::from_reader(data.as_bytes());
            let mut lines = CsvLines::new(data.as_bytes());
            for r in rdr.records() {
                let r = r.unwrap();
                assert_eq!(
                    lines.line(r.position()),
                    csv_line(data.as_bytes(), r.position()),
                    "{data:?}"
                );
            }
        }
    }

    #[test]
    fn excerpts_are_short_and_one_line() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(1000);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt("a\nb"), "a\\nb");
        assert_eq!(excerpt("a\0\u{1b}b"), "a\\u{0}\\u{1b}b");
    }
}
