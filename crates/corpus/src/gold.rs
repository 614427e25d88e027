//! The gold labels: reading them, checking every row against its seed, and summarising them.
//!
//! Format (CSV, UTF-8, header required): `id,doc,start,end,unit,holder,stance,text,note`.
//! `start`/`end` are **byte offsets** into the UTF-8 seed file, `end` exclusive, so `text` must equal
//! `seed[start..end]` and both offsets must fall on character boundaries. See `labels/GUIDELINES.md`.
//!
//! [`check_gold`] never stops at the first problem: a corrupted gold set usually has several, and fixing them one
//! run at a time is how people give up on validation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::seeds::{read_seeds, SeedSet};
use super::{sha256_hex, CorpusError, GOLD_STANCES};
use stance_core::diag::{excerpt, CsvLines, Diagnostic, Diagnostics};

/// The gold file's header, in order.
pub const GOLD_HEADER: [&str; 9] = [
    "id", "doc", "start", "end", "unit", "holder", "stance", "text", "note",
];

/// The level of a gold unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitLevel {
    /// A whole sentence; every sentence of a seed is one.
    Sentence,
    /// A clause inside a sentence that carries a different stance, or a fact beside a position.
    Clause,
}

impl UnitLevel {
    /// The name used in the gold file.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::Sentence => "sentence",
            UnitLevel::Clause => "clause",
        }
    }
}

impl fmt::Display for UnitLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the gold file that passed the per-row checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldUnit {
    /// Stable id, e.g. `doc000.s09.c1`.
    pub id: String,
    /// Seed document id.
    pub doc: String,
    /// Byte offset of the first byte in the seed.
    pub start: usize,
    /// Byte offset one past the last byte in the seed.
    pub end: usize,
    /// Sentence or clause.
    pub unit: UnitLevel,
    /// Who holds the stance.
    pub holder: String,
    /// `support`, `oppose` or `neutral`.
    pub stance: String,
    /// The exact seed slice.
    pub text: String,
    /// Free-text note on a hard call (may be empty).
    pub note: String,
    /// The gold file this row comes from.
    pub path: PathBuf,
    /// The line of that file the row starts on.
    pub line: u64,
}

/// Everything [`check_gold`] learned: the seeds, the rows that parsed, and every problem.
#[derive(Debug, Clone, Default)]
pub struct GoldCheck {
    /// The seeds (with their own problems).
    pub seeds: SeedSet,
    /// Rows that passed the per-row checks, in file order.
    pub units: Vec<GoldUnit>,
    /// Every problem found in the label file(s), in file and line order.
    pub problems: Vec<Diagnostic>,
    /// sha256 of each label file, keyed by its path as given.
    pub label_hashes: BTreeMap<String, String>,
    /// (doc, start, end) of sentence rows that failed a per-row check but whose span parsed; the coverage check
    /// counts them, so one bad stance does not also report its sentence as unlabelled.
    pub rejected_sentence_spans: Vec<(String, usize, usize)>,
    /// Every value of the `doc` column, also in rows that failed a check, so a seed with a bad row is not also
    /// reported as never labelled.
    pub docs_mentioned: std::collections::BTreeSet<String>,
}

impl GoldCheck {
    /// All problems: seeds first, then labels.
    pub fn all_problems(&self) -> Vec<Diagnostic> {
        let mut all = self.seeds.problems.clone();
        all.extend(self.problems.iter().cloned());
        all
    }

    /// sha256 of every input (seeds and label files).
    pub fn input_hashes(&self) -> BTreeMap<String, String> {
        let mut h = self.seeds.hashes();
        for (k, v) in &self.label_hashes {
            h.insert(format!("labels:{k}"), v.clone());
        }
        h
    }
}

/// Lists the label files at `path`: the file itself, or every `*.csv` directly inside a directory, sorted.
pub fn label_files(path: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|source| CorpusError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().map(|x| x == "csv").unwrap_or(false))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(CorpusError::Invalid {
                problems: Diagnostics(vec![Diagnostic::file(
                    path,
                    "no *.csv label files in this directory",
                )]),
            });
        }
        Ok(files)
    } else {
        Ok(vec![path.to_path_buf()])
    }
}

/// Reads the seeds and the gold label file(s) and checks everything a corrupted gold set can get wrong.
///
/// Never fails: every problem becomes a [`Diagnostic`]. Use [`load_gold`] when problems should be an error.
pub fn check_gold(seeds_dir: &Path, labels: &Path) -> GoldCheck {
    let seeds = read_seeds(seeds_dir);
    let mut check = GoldCheck {
        seeds,
        ..GoldCheck::default()
    };
    let files = match label_files(labels) {
        Ok(f) => f,
        Err(CorpusError::Invalid { problems }) => {
            check.problems.extend(problems.0);
            return check;
        }
        Err(e) => {
            check
                .problems
                .push(Diagnostic::file(labels, stance_core::errors::chain(&e)));
            return check;
        }
    };
    for file in &files {
        read_label_file(file, &mut check);
    }
    cross_check(
        &mut check,
        &seeds_dir.join(super::seeds::MANIFEST_FILE),
        labels,
    );
    check
}

/// The checks across rows and files, once every label file has gone through [`parse_labels`]: unique ids, seeds
/// with no labelled unit (reported at their `manifest` line), overlaps, clauses inside sentences, coverage.
/// `labels` names the label file or folder in messages. Problems end up sorted by file and line.
pub fn cross_check(check: &mut GoldCheck, manifest: &Path, labels: &Path) {
    let mut ids: HashMap<String, (PathBuf, u64)> = HashMap::new();
    for u in &check.units {
        if let Some((p, l)) = ids.get(&u.id) {
            check.problems.push(Diagnostic::at(
                &u.path,
                u.line,
                format!(
                    "duplicate id '{}' (first used at {}:{l}); ids must be unique",
                    excerpt(&u.id),
                    p.display()
                ),
            ));
        } else {
            ids.insert(u.id.clone(), (u.path.clone(), u.line));
        }
    }
    // A seed listed in the manifest but never labelled would silently contribute nothing to any experiment.
    // Only judged when every label file was readable: an unreadable file mentions no seed at all.
    let readable = check.problems.is_empty();
    for seed in check.seeds.seeds.values().filter(|_| readable) {
        if !check.docs_mentioned.contains(&seed.id) {
            check.problems.push(Diagnostic::at(
                manifest,
                seed.line,
                format!(
                    "seed '{}' ({}) has no labelled unit in {}; label it (`stance segment {}` proposes the sentences) \
                     or remove its row from the manifest",
                    excerpt(&seed.id),
                    seed.path.display(),
                    labels.display(),
                    seed.path.display()
                ),
            ));
        }
    }
    let mut structural =
        check_structure(&check.units, &check.seeds, &check.rejected_sentence_spans);
    check.problems.append(&mut structural);
    check
        .problems
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
}

/// Like [`check_gold`], but any problem (in seeds or labels) is an error listing all of them.
pub fn load_gold(seeds_dir: &Path, labels: &Path) -> Result<GoldCheck, CorpusError> {
    let check = check_gold(seeds_dir, labels);
    let problems = check.all_problems();
    if problems.is_empty() {
        Ok(check)
    } else {
        Err(CorpusError::Invalid {
            problems: Diagnostics(problems),
        })
    }
}

fn read_label_file(path: &Path, check: &mut GoldCheck) {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            check.problems.push(Diagnostic::file(
                path,
                format!("cannot read the label file: {e}"),
            ));
            return;
        }
    };
    check
        .label_hashes
        .insert(path.display().to_string(), sha256_hex(&bytes));
    parse_labels(path, &bytes, check);
}

/// Checks the rows of one label file already in memory (`path` names it in messages) against `check.seeds`,
/// adding units and problems to `check`. Never fails and never panics, whatever the bytes.
pub fn parse_labels(path: &Path, bytes: &[u8], check: &mut GoldCheck) {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        check.problems.push(Diagnostic::at(
            path,
            1,
            format!(
                "the label file is empty; its first line must be the header {}",
                GOLD_HEADER.join(",")
            ),
        ));
        return;
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    match rdr.byte_headers() {
        Ok(h) => {
            let got: Vec<String> = h
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            if got != GOLD_HEADER {
                check.problems.push(Diagnostic::at(
                    path,
                    1,
                    format!(
                        "header is '{}', expected '{}'",
                        excerpt(&got.join(",")),
                        GOLD_HEADER.join(",")
                    ),
                ));
                return;
            }
        }
        Err(e) => {
            check.problems.push(Diagnostic::at(
                path,
                1,
                format!("cannot parse the header: {e}"),
            ));
            return;
        }
    }
    let mut record = csv::ByteRecord::new();
    let mut lines = CsvLines::new(bytes);
    let mut rows = 0usize;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                rows += 1;
                let line = lines.line(record.position());
                if let Some(doc) = record.get(1) {
                    check
                        .docs_mentioned
                        .insert(String::from_utf8_lossy(doc).into_owned());
                }
                match parse_row(path, line, &record, &check.seeds) {
                    Ok(unit) => check.units.push(unit),
                    Err((mut problems, span)) => {
                        check.problems.append(&mut problems);
                        check.rejected_sentence_spans.extend(span);
                    }
                }
            }
            Err(e) => {
                rows += 1;
                let line = lines.line(e.position());
                check.problems.push(Diagnostic::at(
                    path,
                    line,
                    format!("cannot parse the CSV from here on ({e}); check for an unclosed quote"),
                ));
                break;
            }
        }
    }
    if rows == 0 {
        check.problems.push(Diagnostic::at(
            path,
            1,
            "the label file has a header but no rows: there is nothing to evaluate; label the seed's sentences \
             (`stance segment seeds/<file>` proposes them) or remove the file",
        ));
    }
}

type RowProblems = (Vec<Diagnostic>, Option<(String, usize, usize)>);

fn parse_row(
    path: &Path,
    line: u64,
    record: &csv::ByteRecord,
    seeds: &SeedSet,
) -> Result<GoldUnit, RowProblems> {
    let mut problems = Vec::new();
    let here = |msg: String| Diagnostic::at(path, line, msg);
    if record.len() != GOLD_HEADER.len() {
        return Err((
            vec![here(format!(
                "expected {} fields ({}), found {}",
                GOLD_HEADER.len(),
                GOLD_HEADER.join(","),
                record.len()
            ))],
            None,
        ));
    }
    let mut fields: Vec<String> = Vec::with_capacity(9);
    for (i, raw) in record.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(s) => fields.push(s.to_string()),
            Err(_) => {
                problems.push(here(format!(
                    "field '{}' is not valid UTF-8",
                    GOLD_HEADER[i]
                )));
                fields.push(String::new());
            }
        }
    }
    let [id, doc, start, end, unit, holder, stance, text, note]: [String; 9] =
        fields.try_into().expect("length checked above");
    if id.trim().is_empty() {
        problems.push(here("field 'id' is empty".into()));
    } else if id.trim() != id {
        problems.push(here(format!(
            "field 'id' has leading or trailing spaces: '{}'",
            excerpt(&id)
        )));
    }
    let unit_level = match unit.as_str() {
        "sentence" => Some(UnitLevel::Sentence),
        "clause" => Some(UnitLevel::Clause),
        other => {
            problems.push(here(format!(
                "field 'unit' is '{}', expected one of: sentence, clause",
                excerpt(other)
            )));
            None
        }
    };
    if !GOLD_STANCES.contains(&stance.as_str()) {
        problems.push(here(format!(
            "field 'stance' is '{}', expected one of: {} (see labels/GUIDELINES.md)",
            excerpt(&stance),
            GOLD_STANCES.join(", ")
        )));
    }
    if holder.trim().is_empty() {
        problems.push(here(
            "field 'holder' is empty; write the speaker, or 'journalist' for narration".into(),
        ));
    }
    if text.trim().is_empty() {
        problems.push(here("field 'text' is empty".into()));
    }
    let parse_offset = |name: &str, v: &str, problems: &mut Vec<Diagnostic>| -> Option<usize> {
        match v.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(here(format!(
                    "field '{name}' is '{}', expected a non-negative whole number of bytes",
                    excerpt(v)
                )));
                None
            }
        }
    };
    let s = parse_offset("start", &start, &mut problems);
    let e = parse_offset("end", &end, &mut problems);
    let seed = seeds.seeds.get(&doc);
    if seed.is_none() {
        let known: Vec<&str> = seeds.seeds.keys().map(|k| k.as_str()).collect();
        problems.push(here(format!(
            "field 'doc' is '{}', which is not a seed in the manifest (known: {})",
            excerpt(&doc),
            if known.is_empty() {
                "none".to_string()
            } else {
                excerpt(&known.join(", "))
            }
        )));
    }
    if let (Some(s), Some(e), Some(seed)) = (s, e, seed) {
        check_span(&seed.text, s, e, &doc, &text, &here, &mut problems);
    }
    if problems.is_empty() {
        Ok(GoldUnit {
            id,
            doc,
            start: s.unwrap_or(0),
            end: e.unwrap_or(0),
            unit: unit_level.expect("no problems means the unit parsed"),
            holder,
            stance,
            text,
            note,
            path: path.to_path_buf(),
            line,
        })
    } else {
        let span = match (s, e, seed, unit_level) {
            // A row whose unit did not parse may well be a sentence: count it as covering its span too.
            (Some(s), Some(e), Some(seed), Some(UnitLevel::Sentence) | None)
                if s < e && seed.text.get(s..e).is_some() =>
            {
                Some((doc, s, e))
            }
            _ => None,
        };
        Err((problems, span))
    }
}

/// Checks a row's byte offsets against its seed and that its text is exactly that slice.
fn check_span(
    seed_text: &str,
    s: usize,
    e: usize,
    doc: &str,
    text: &str,
    here: &dyn Fn(String) -> Diagnostic,
    problems: &mut Vec<Diagnostic>,
) {
    let len = seed_text.len();
    if s >= e {
        problems.push(here(format!("start ({s}) must be less than end ({e})")));
    } else if e > len {
        problems.push(here(format!(
            "offsets {s}..{e} are out of range: seed '{doc}' is {len} bytes long"
        )));
    } else if !seed_text.is_char_boundary(s) || !seed_text.is_char_boundary(e) {
        let which = if !seed_text.is_char_boundary(s) {
            format!("start ({s})")
        } else {
            format!("end ({e})")
        };
        problems.push(here(format!(
            "{which} falls inside a multi-byte character of seed '{doc}'; offsets are UTF-8 byte offsets"
        )));
    } else {
        let slice = &seed_text[s..e];
        if slice != text {
            // A quote left open swallows the next rows into this field: say so, it is the usual cause.
            let hint = if text.contains('\n') && !slice.contains('\n') {
                "; the field runs over a line break — if a quote in this row is never closed, it swallowed the rows after it"
            } else {
                ""
            };
            problems.push(here(format!(
                "field 'text' does not equal the seed slice {s}..{e}: {}{hint}",
                describe_mismatch(text, slice)
            )));
        }
    }
}

/// Explains where two strings first differ, with a little context.
fn describe_mismatch(text: &str, slice: &str) -> String {
    let common = text
        .chars()
        .zip(slice.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let ctx = |s: &str| -> String {
        let chars: Vec<char> = s.chars().collect();
        let from = common.saturating_sub(10);
        let to = (common + 20).min(chars.len());
        excerpt(&chars[from.min(chars.len())..to].iter().collect::<String>())
    };
    format!(
        "they differ at character {common}: text has '{}', the seed has '{}' (did the offsets shift?)",
        ctx(text),
        ctx(slice)
    )
}

/// Cross-row checks: overlaps within a level, clauses inside sentences, sentences covering each seed.
fn check_structure(
    units: &[GoldUnit],
    seeds: &SeedSet,
    rejected: &[(String, usize, usize)],
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut by_doc_level: BTreeMap<(&str, UnitLevel), Vec<&GoldUnit>> = BTreeMap::new();
    for u in units {
        by_doc_level
            .entry((u.doc.as_str(), u.unit))
            .or_default()
            .push(u);
    }
    for ((_, level), list) in by_doc_level.iter_mut() {
        list.sort_by_key(|u| (u.start, u.end, u.line));
        for pair in list.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if b.start < a.end {
                let what = if a.start == b.start && a.end == b.end {
                    "duplicates"
                } else {
                    "overlaps"
                };
                problems.push(Diagnostic::at(
                    &b.path,
                    b.line,
                    format!(
                        "{level} unit '{}' ({}..{}) {what} {level} unit '{}' ({}..{}) at line {}; units of the same level must not overlap",
                        excerpt(&b.id), b.start, b.end, excerpt(&a.id), a.start, a.end, a.line
                    ),
                ));
            }
        }
    }
    for u in units.iter().filter(|u| u.unit == UnitLevel::Clause) {
        let inside = by_doc_level
            .get(&(u.doc.as_str(), UnitLevel::Sentence))
            .map(|s| s.iter().any(|s| s.start <= u.start && u.end <= s.end))
            .unwrap_or(false);
        if !inside {
            problems.push(Diagnostic::at(
                &u.path,
                u.line,
                format!(
                    "clause '{}' ({}..{}) does not lie inside any sentence unit of '{}'",
                    excerpt(&u.id),
                    u.start,
                    u.end,
                    excerpt(&u.doc)
                ),
            ));
        }
    }
    // Coverage: the sentence units of a document must cover all of its text but whitespace.
    let docs_with_units: std::collections::BTreeSet<&str> =
        units.iter().map(|u| u.doc.as_str()).collect();
    for doc in docs_with_units {
        let Some(seed) = seeds.seeds.get(doc) else {
            continue;
        };
        let sentences = by_doc_level
            .get(&(doc, UnitLevel::Sentence))
            .cloned()
            .unwrap_or_default();
        let anchor = units
            .iter()
            .find(|u| u.doc == doc)
            .expect("doc came from units");
        if sentences.is_empty() {
            problems.push(Diagnostic::at(
                &anchor.path,
                anchor.line,
                format!("seed '{doc}' has no sentence units; every sentence of a labelled seed must be a unit"),
            ));
            continue;
        }
        // Rejected rows' spans count as covered; each gap is reported next to the unit that follows it.
        let mut spans: Vec<(usize, usize, Option<&GoldUnit>)> = sentences
            .iter()
            .map(|s| (s.start, s.end, Some(*s)))
            .collect();
        spans.extend(
            rejected
                .iter()
                .filter(|r| r.0 == doc)
                .map(|r| (r.1, r.2, None)),
        );
        spans.sort_by_key(|s| (s.0, s.1));
        let mut cursor = 0usize;
        let mut gaps = Vec::new();
        for (i, &(start, end, _)) in spans.iter().enumerate() {
            if start > cursor {
                let near = spans[i..]
                    .iter()
                    .find_map(|s| s.2)
                    .or(sentences.last().copied())
                    .expect("non-empty");
                gaps.push((cursor, start, near));
            }
            cursor = cursor.max(end);
        }
        let last = *sentences.last().expect("non-empty");
        if cursor < seed.text.len() {
            gaps.push((cursor, seed.text.len(), last));
        }
        for (from, to, near) in gaps {
            let Some(gap) = seed.text.get(from..to) else {
                continue;
            };
            if !gap.trim().is_empty() {
                let shown = excerpt(gap.trim());
                problems.push(Diagnostic::at(
                    &near.path,
                    near.line,
                    format!(
                        "bytes {from}..{to} of seed '{doc}' are not covered by any sentence unit (\"{shown}\"); every sentence must be labelled"
                    ),
                ));
            }
        }
    }
    problems
}

/// Counts for `stance validate`'s summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GoldSummary {
    /// Units per level.
    pub per_level: BTreeMap<String, usize>,
    /// Units per level and stance.
    pub per_level_stance: BTreeMap<String, BTreeMap<String, usize>>,
    /// Units per holder (all levels).
    pub per_holder: BTreeMap<String, usize>,
    /// Units per document and level.
    pub per_doc: BTreeMap<String, BTreeMap<String, usize>>,
}

/// Summarises the units of a gold set.
pub fn summarize(units: &[GoldUnit]) -> GoldSummary {
    let mut s = GoldSummary::default();
    for u in units {
        *s.per_level.entry(u.unit.to_string()).or_default() += 1;
        *s.per_level_stance
            .entry(u.unit.to_string())
            .or_default()
            .entry(u.stance.clone())
            .or_default() += 1;
        *s.per_holder.entry(u.holder.clone()).or_default() += 1;
        *s.per_doc
            .entry(u.doc.clone())
            .or_default()
            .entry(u.unit.to_string())
            .or_default() += 1;
    }
    s
}

/// Which gold units an experiment uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitSelection {
    /// Sentence units only.
    Sentence,
    /// Clause units only.
    Clause,
    /// The finest partition: a sentence's clauses where it has them, otherwise the sentence itself.
    Finest,
}

/// Selects units at a level. Units never overlap within the result, so no text is seen twice.
pub fn select_units(units: &[GoldUnit], selection: UnitSelection) -> Vec<&GoldUnit> {
    match selection {
        UnitSelection::Sentence => units
            .iter()
            .filter(|u| u.unit == UnitLevel::Sentence)
            .collect(),
        UnitSelection::Clause => units
            .iter()
            .filter(|u| u.unit == UnitLevel::Clause)
            .collect(),
        UnitSelection::Finest => {
            let clauses: Vec<&GoldUnit> = units
                .iter()
                .filter(|u| u.unit == UnitLevel::Clause)
                .collect();
            units
                .iter()
                .filter(|u| match u.unit {
                    UnitLevel::Clause => true,
                    UnitLevel::Sentence => !clauses
                        .iter()
                        .any(|c| c.doc == u.doc && u.start <= c.start && c.end <= u.end),
                })
                .collect()
        }
    }
}
