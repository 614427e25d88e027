//! A system's predictions file: `id,predicted[,p_<class>…]`, one row per item, checked row by row at its
//! `file:line`.
//!
//! Rows are matched to items by id. A row whose id is no item of the run (an item `data.classes` or `data.sample`
//! left out, a fixed split's training side) is counted and ignored rather than refused, so one file written for
//! the whole corpus serves every experiment on it; the run's warnings say how many. Other columns (a text column
//! kept for reading) are ignored too. Every scored item needs exactly one row.

use std::collections::HashMap;
use std::path::Path;

use stance_core::diag::{excerpt, CsvLines};
use stance_corpus::Dataset;
use stance_eval::system::Answers;

use super::{Labels, SystemError};

/// The column holding item ids.
pub const ID_COLUMN: &str = "id";

/// The column holding the predicted label.
pub const PREDICTED_COLUMN: &str = "predicted";

/// The prefix of a probability column: `p_support`.
pub const PROBABILITY_PREFIX: &str = "p_";

/// Reads the predictions file `path` (its `bytes`) for the items of `ds` (`scored` marks those that need a row).
pub(super) fn read(
    path: &Path,
    bytes: &[u8],
    ds: &Dataset,
    scored: &[bool],
    labels: &Labels<'_>,
) -> Result<Answers, SystemError> {
    let shown = path.display().to_string();
    let at = |line: u64| format!("{shown}:{line}");
    let mut rdr = csv::ReaderBuilder::new().from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|source| SystemError::Csv { at: at(1), source })?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(id_col), Some(label_col)) = (column(ID_COLUMN), column(PREDICTED_COLUMN)) else {
        return Err(SystemError::Line {
            at: at(1),
            message: format!(
                "the header is `{}`; a predictions file has the columns {ID_COLUMN},{PREDICTED_COLUMN} and, \
                 optionally, one {PROBABILITY_PREFIX}<class> column per class",
                excerpt(&headers.iter().collect::<Vec<_>>().join(","))
            ),
        });
    };
    let proba_cols: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter_map(|(c, h)| Some((c, h.strip_prefix(PROBABILITY_PREFIX)?.to_string())))
        .collect();
    let index: HashMap<&str, usize> = ds
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id.as_str(), i))
        .collect();
    let mut items = vec![None; ds.items.len()];
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut ignored = 0;
    let mut lines = CsvLines::new(bytes);
    for rec in rdr.records() {
        let rec = rec.map_err(|source| SystemError::Csv {
            at: at(lines.line(source.position())),
            source,
        })?;
        let line = lines.line(rec.position());
        let id = rec.get(id_col).unwrap_or("");
        if let Some(first) = first_line.insert(id.to_string(), line) {
            return Err(SystemError::Line {
                at: at(line),
                message: format!(
                    "id '{}' has a row already (line {first}); give every item exactly one prediction",
                    excerpt(id)
                ),
            });
        }
        let Some(&i) = index.get(id).filter(|&&i| scored[i]) else {
            ignored += 1;
            continue;
        };
        let proba: Option<Vec<(String, f64)>> = if proba_cols.is_empty() {
            None
        } else {
            let mut v = Vec::with_capacity(proba_cols.len());
            for (c, class) in &proba_cols {
                let text = rec.get(*c).unwrap_or("").trim();
                let p: f64 = text.parse().map_err(|_| SystemError::Line {
                    at: at(line),
                    message: format!(
                        "column {PROBABILITY_PREFIX}{class} is '{}', not a number; give a probability in [0, 1]",
                        excerpt(text)
                    ),
                })?;
                v.push((class.clone(), p));
            }
            Some(v)
        };
        let label = rec.get(label_col).unwrap_or("").trim();
        items[i] = Some(labels.prediction(&at(line), label, proba.as_deref())?);
    }
    let missing: Vec<usize> = (0..items.len())
        .filter(|&i| scored[i] && items[i].is_none())
        .collect();
    if let Some(&first) = missing.first() {
        return Err(SystemError::Missing {
            what: shown,
            item: ds.items[first].id.clone(),
            missing: missing.len(),
            total: scored.iter().filter(|&&s| s).count(),
            hint: String::new(),
        });
    }
    Ok(Answers {
        items,
        cases: None,
        ignored,
    })
}
