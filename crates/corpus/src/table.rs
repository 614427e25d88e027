//! Any labelled CSV: the path by which engineers run the harness on their own corpora.
//!
//! The experiment names the columns (`text`, `label`, and optionally `id`, `group`, `holder`, `split`). Rows whose
//! label is not among the experiment's classes are left out (and counted), exactly as the gold path leaves out
//! `neutral` for a support-vs-oppose experiment.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{sha256_hex, CorpusError, Dataset, Item, SplitRole};
use stance_core::diag::{excerpt, CsvLines, Diagnostic, Diagnostics};

/// Which columns of a labelled CSV to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The CSV file (relative paths are resolved against the working directory).
    pub path: PathBuf,
    /// Column holding the statement.
    pub text: String,
    /// Column holding the label.
    pub label: String,
    /// Column holding a stable row id; defaults to `row-<line>`.
    #[serde(default)]
    pub id: Option<String>,
    /// Column used for grouping (group k-fold, leave-one-group-out, cluster bootstrap), e.g. a topic.
    #[serde(default)]
    pub group: Option<String>,
    /// Column naming the stance holder, if the corpus has one (used by holder masking).
    #[serde(default)]
    pub holder: Option<String>,
    /// Column assigning rows to a fixed train/test split (used by the `fixed-split` scheme).
    #[serde(default)]
    pub split: Option<String>,
    /// Values of the split column that mean "train". Defaults to `["train"]`.
    #[serde(default = "default_train_values")]
    pub train_values: Vec<String>,
    /// Values of the split column that mean "test". Defaults to `["test"]`.
    #[serde(default = "default_test_values")]
    pub test_values: Vec<String>,
    /// Renames raw label values, e.g. `{ "1" = "pro", "-1" = "con" }`; unmapped values keep their name.
    #[serde(default)]
    pub label_names: BTreeMap<String, String>,
    /// The classes to keep, in report order (after renaming). Defaults to every label found, sorted.
    #[serde(default)]
    pub classes: Vec<String>,
    /// Keep a stratified random sample of this many rows (seeded by the experiment seed). Defaults to all rows.
    #[serde(default)]
    pub sample: Option<usize>,
}

fn default_train_values() -> Vec<String> {
    vec!["train".into()]
}

fn default_test_values() -> Vec<String> {
    vec!["test".into()]
}

/// What was left out when reading a table (reported, never silent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableStats {
    /// Rows read.
    pub rows: usize,
    /// Rows left out because their label is not one of the experiment's classes, by label.
    pub dropped_by_label: BTreeMap<String, usize>,
    /// Rows left out because their split value is neither a train nor a test value.
    pub dropped_by_split: usize,
}

/// Reads a labelled CSV into a [`Dataset`] with the given classes (or, when `classes` is empty, every label found,
/// sorted). Problems are collected and returned together.
pub fn read_table(
    spec: &TableSpec,
    classes: &[String],
) -> Result<(Dataset, TableStats), CorpusError> {
    let bytes = fs::read(&spec.path).map_err(|source| CorpusError::Io {
        path: spec.path.clone(),
        source,
    })?;
    parse_table(spec, &bytes, classes)
}

/// Like [`read_table`], on the file's bytes already in memory (`spec.path` names the file in messages).
///
/// Linear in the size of the input: line numbers are counted incrementally, never from the start of the file per
/// record.
pub fn parse_table(
    spec: &TableSpec,
    bytes: &[u8],
    classes: &[String],
) -> Result<(Dataset, TableStats), CorpusError> {
    let path = &spec.path;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(invalid(
            path,
            1,
            format!(
                "the file is empty; expected a header row naming the columns (at least '{}' and '{}') and one row per statement",
                excerpt(&spec.text),
                excerpt(&spec.label)
            ),
        ));
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| invalid(path, 1, format!("cannot parse the header: {e}")))?
        .clone();
    let cols = Columns::find(spec, &headers)?;
    let mut problems = Vec::new();
    let mut stats = TableStats::default();
    let raw_items = read_rows(
        spec,
        bytes,
        &mut rdr,
        &headers,
        &cols,
        &mut problems,
        &mut stats,
    );
    if problems.is_empty() && stats.rows == 0 {
        problems.push(Diagnostic::at(
            path,
            1,
            "the file has a header but no rows; add one row per labelled statement",
        ));
    }
    if !problems.is_empty() {
        return Err(CorpusError::Invalid {
            problems: Diagnostics(problems),
        });
    }
    let classes: Vec<String> = if classes.is_empty() {
        let mut found: Vec<String> = raw_items.iter().map(|(_, l, _)| l.clone()).collect();
        found.sort();
        found.dedup();
        found
    } else {
        classes.to_vec()
    };
    let items = number_labels(spec, &classes, raw_items, &mut stats)?;
    let mut input_hashes = BTreeMap::new();
    input_hashes.insert(format!("data:{}", path.display()), sha256_hex(bytes));
    Ok((
        Dataset {
            classes,
            items,
            input_hashes,
        },
        stats,
    ))
}

/// Positions in the header of the columns the experiment names.
struct Columns {
    text: usize,
    label: usize,
    id: Option<usize>,
    group: Option<usize>,
    holder: Option<usize>,
    split: Option<usize>,
}

impl Columns {
    fn find(spec: &TableSpec, headers: &csv::StringRecord) -> Result<Columns, CorpusError> {
        let col = |name: &str, field: &str| -> Result<usize, CorpusError> {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                invalid(
                    &spec.path,
                    1,
                    format!(
                        "the experiment's data.{field} names column '{}', which is not in the header (columns: {}); \
                         fix data.{field} or the header",
                        excerpt(name),
                        excerpt(&headers.iter().collect::<Vec<_>>().join(", "))
                    ),
                )
            })
        };
        let optional =
            |c: &Option<String>, field: &str| c.as_deref().map(|c| col(c, field)).transpose();
        Ok(Columns {
            text: col(&spec.text, "text")?,
            label: col(&spec.label, "label")?,
            id: optional(&spec.id, "id")?,
            group: optional(&spec.group, "group")?,
            holder: optional(&spec.holder, "holder")?,
            split: optional(&spec.split, "split")?,
        })
    }
}

/// Reads every record into an item with its raw label and line (so later checks, duplicate ids, can point at the
/// row), collecting a problem per bad row; stops at the first record the CSV reader cannot parse.
fn read_rows(
    spec: &TableSpec,
    bytes: &[u8],
    rdr: &mut csv::Reader<&[u8]>,
    headers: &csv::StringRecord,
    cols: &Columns,
    problems: &mut Vec<Diagnostic>,
    stats: &mut TableStats,
) -> Vec<(Item, String, u64)> {
    let path = &spec.path;
    let mut raw_items: Vec<(Item, String, u64)> = Vec::new();
    let mut lines = CsvLines::new(bytes);
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = lines.line(e.position());
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => format!(
                        "column '{}' is not valid UTF-8 (at byte {} of the field); save the file as UTF-8",
                        excerpt(headers.get(err.field()).unwrap_or("?")),
                        err.valid_up_to()
                    ),
                    _ => format!(
                        "cannot parse the CSV from here on: {e}; check this row for an unclosed quote"
                    ),
                };
                problems.push(Diagnostic::at(path, line, message));
                break;
            }
        };
        stats.rows += 1;
        let line = lines.line(record.position());
        if record.len() != headers.len() {
            problems.push(Diagnostic::at(
                path,
                line,
                format!(
                    "expected {} fields like the header, found {}",
                    headers.len(),
                    record.len()
                ),
            ));
            continue;
        }
        if let Some(item) = row_item(spec, cols, &record, line, problems, stats) {
            raw_items.push(item);
        }
    }
    raw_items
}

/// One well-formed record as an item with its raw label, or `None` when the row is rejected (a problem) or
/// outside the configured splits (counted).
fn row_item(
    spec: &TableSpec,
    cols: &Columns,
    record: &csv::StringRecord,
    line: u64,
    problems: &mut Vec<Diagnostic>,
    stats: &mut TableStats,
) -> Option<(Item, String, u64)> {
    let path = &spec.path;
    let text = record[cols.text].to_string();
    if text.trim().is_empty() {
        problems.push(Diagnostic::at(
            path,
            line,
            format!("column '{}' is empty", excerpt(&spec.text)),
        ));
        return None;
    }
    let raw_label = record[cols.label].trim().to_string();
    if raw_label.is_empty() {
        problems.push(Diagnostic::at(
            path,
            line,
            format!("column '{}' (the label) is empty", excerpt(&spec.label)),
        ));
        return None;
    }
    let label = spec
        .label_names
        .get(&raw_label)
        .cloned()
        .unwrap_or(raw_label);
    let split = match cols.split {
        None => None,
        Some(c) => {
            let v = record[c].trim();
            if spec.train_values.iter().any(|t| t == v) {
                Some(SplitRole::Train)
            } else if spec.test_values.iter().any(|t| t == v) {
                Some(SplitRole::Test)
            } else {
                stats.dropped_by_split += 1;
                return None;
            }
        }
    };
    let id = match cols.id {
        Some(c) => record[c].to_string(),
        None => format!("row-{line}"),
    };
    let group = cols.group.map(|c| record[c].to_string());
    let item = Item {
        id,
        text,
        label: 0,
        doc: group.clone(),
        holder: cols.holder.map(|c| record[c].to_string()),
        group,
        split,
    };
    Some((item, label, line))
}

/// Gives each item its class index, counting rows whose label is not a class, and rejects repeated ids.
fn number_labels(
    spec: &TableSpec,
    classes: &[String],
    raw_items: Vec<(Item, String, u64)>,
    stats: &mut TableStats,
) -> Result<Vec<Item>, CorpusError> {
    let mut problems = Vec::new();
    let mut items = Vec::with_capacity(raw_items.len());
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (mut item, label, line) in raw_items {
        match classes.iter().position(|c| *c == label) {
            Some(k) => {
                if let Some(first) = first_line.get(&item.id) {
                    problems.push(Diagnostic::at(
                        &spec.path,
                        line,
                        format!(
                            "id '{}' in column '{}' was already used at line {first}; ids must be unique",
                            excerpt(&item.id),
                            excerpt(spec.id.as_deref().unwrap_or("id"))
                        ),
                    ));
                    continue;
                }
                first_line.insert(item.id.clone(), line);
                item.label = k;
                items.push(item);
            }
            None => *stats.dropped_by_label.entry(label).or_default() += 1,
        }
    }
    if !problems.is_empty() {
        return Err(CorpusError::Invalid {
            problems: Diagnostics(problems),
        });
    }
    Ok(items)
}

fn invalid(path: &Path, line: u64, message: String) -> CorpusError {
    CorpusError::Invalid {
        problems: Diagnostics(vec![Diagnostic::at(path, line, message)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: PathBuf) -> TableSpec {
        TableSpec {
            path,
            text: "argument".into(),
            label: "stance".into(),
            id: None,
            group: Some("topic".into()),
            holder: None,
            split: None,
            train_values: default_train_values(),
            test_values: default_test_values(),
            label_names: BTreeMap::from([("1".to_string(), "pro".to_string())]),
            classes: Vec::new(),
            sample: None,
        }
    }

    #[test]
    fn reads_columns_filters_classes_and_renames_labels() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        fs::write(
            &p,
            "argument,topic,stance\n\"a, b\",t1,1\nc,t2,-1\nd,t2,0\n",
        )
        .unwrap();
        let (ds, stats) = read_table(&spec(p), &["pro".to_string(), "-1".to_string()]).unwrap();
        assert_eq!(ds.items.len(), 2);
        assert_eq!(ds.items[0].text, "a, b");
        assert_eq!(ds.items[0].label, 0);
        assert_eq!(ds.items[1].label, 1);
        assert_eq!(ds.items[1].group.as_deref(), Some("t2"));
        assert_eq!(ds.items[0].id, "row-2");
        assert_eq!(stats.dropped_by_label.get("0"), Some(&1));
    }

    #[test]
    fn names_a_missing_column_and_lists_the_real_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        fs::write(&p, "text,topic,stance\nx,t,1\n").unwrap();
        let err = read_table(&spec(p), &[]).unwrap_err().to_string();
        assert!(err.contains("d.csv:1:"), "{err}");
        assert!(err.contains("column 'argument'"), "{err}");
        assert!(err.contains("columns: text, topic, stance"), "{err}");
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        fs::write(&p, "argument,topic,stance\n,t,1\nok,t\nfine,t,\n").unwrap();
        let err = read_table(&spec(p), &[]).unwrap_err().to_string();
        assert!(err.contains("d.csv:2: column 'argument' is empty"), "{err}");
        assert!(err.contains("d.csv:3: expected 3 fields"), "{err}");
        assert!(
            err.contains("d.csv:4: column 'stance' (the label) is empty"),
            "{err}"
        );
    }

    #[test]
    fn a_duplicate_id_is_reported_at_the_duplicate_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        fs::write(&p, "id,argument,topic,stance\na,x,t,1\nb,y,t,1\na,z,t,1\n").unwrap();
        let mut s = spec(p);
        s.id = Some("id".into());
        let err = read_table(&s, &[]).unwrap_err().to_string();
        assert!(
            err.contains("d.csv:4: id 'a' in column 'id' was already used at line 2"),
            "{err}"
        );
    }

    #[test]
    fn empty_and_header_only_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        fs::write(&p, "").unwrap();
        let err = read_table(&spec(p.clone()), &[]).unwrap_err().to_string();
        assert!(err.contains("d.csv:1: the file is empty"), "{err}");
        fs::write(&p, "argument,topic,stance\n").unwrap();
        let err = read_table(&spec(p), &[]).unwrap_err().to_string();
        assert!(
            err.contains("d.csv:1: the file has a header but no rows"),
            "{err}"
        );
    }

    #[test]
    fn lines_are_right_in_a_crlf_file_with_multiline_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        fs::write(&p, "argument,topic,stance\r\n\"a\r\nb\",t,1\r\n,t,1\r\n").unwrap();
        let err = read_table(&spec(p), &[]).unwrap_err().to_string();
        assert!(err.contains("d.csv:4: column 'argument' is empty"), "{err}");
    }
}
