//! Fuzz tests of the experiment parser: whatever the text, [`Experiment::from_source`] returns an experiment or an
//! error naming the file (and the line, for a TOML error), never panics.
//!
//! Inputs are the shipped experiments mutated line by line (keys dropped, duplicated or swapped, values replaced by
//! huge numbers, wrong types or odd unicode, new keys and tables inserted, the file truncated) and byte by byte (the
//! edits of `corpus::fuzz_tests`). Case count: `STANCE_FUZZ_CASES`, as for the other readers.

use std::path::Path;

use proptest::prelude::*;

use super::{ConfigError, Experiment};
use stance_testkit::{apply, config, edit};

/// The shipped experiments, the fuzzer's starting points.
const BASES: [&str; 5] = [
    include_str!("../../../experiments/default.toml"),
    include_str!("../../../experiments/three-way.toml"),
    include_str!("../../../experiments/ablation.toml"),
    include_str!("../../../experiments/learning-curve.toml"),
    include_str!("../../../experiments/tuned.toml"),
];

/// Values that stress the checks behind the TOML parser.
const VALUES: [&str; 28] = [
    "18446744073709551615",
    "99999999999999999999999",
    "9223372036854775807",
    "-1",
    "0",
    "1",
    "2",
    "1000",
    "1e308",
    "-0.0",
    "nan",
    "inf",
    "0.5",
    "\"x\"",
    "\"\"",
    "\"é\u{202e}\u{0}ok\"",
    "\"../../../etc/passwd\"",
    "[]",
    "[1, 2]",
    "[[1, 2], [3]]",
    "[0.1, 0.1]",
    "[1.5, 0.5]",
    "{}",
    "{ type = \"lexicon\" }",
    "true",
    "[\"support\", \"support\"]",
    "\"stratified-kfold\"",
    "\"leave-one-group-out\"",
];

/// Lines worth inserting: keys of every section, tables, and near-misses.
const LINES: [&str; 24] = [
    "k = 1000",
    "repeats = 1000",
    "bootstrap = 100000",
    "inner_k = 20",
    "per_group = true",
    "group = \"holder\"",
    "group = \"topic\"",
    "kind = \"ablation\"",
    "kind = \"learning-curve\"",
    "[learning_curve]",
    "fractions = [0.5, 1.0]",
    "[ablation]",
    "feature_set = \"nope\"",
    "[gate]",
    "tolerance = { macro_f1 = -1 }",
    "[gate.behaviour]",
    "max_failure_rate = { x = 2 }",
    "[[features]]",
    "[[classifiers]]",
    "type = \"decision-tree\"",
    "max_depth = 0",
    "extractors = [{ type = \"char-ngrams\", ngram = [0, 99] }]",
    "favg_classes = []",
    "[behaviour]",
];

/// One line-level edit of an experiment.
#[derive(Debug, Clone)]
enum LineEdit {
    Drop(usize),
    Duplicate(usize),
    Swap(usize, usize),
    ReplaceValue(usize, usize),
    Insert(usize, usize),
    Truncate(usize),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        1 => any::<usize>().prop_map(LineEdit::Drop),
        1 => any::<usize>().prop_map(LineEdit::Duplicate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
        3 => (any::<usize>(), 0..VALUES.len()).prop_map(|(l, v)| LineEdit::ReplaceValue(l, v)),
        2 => (any::<usize>(), 0..LINES.len()).prop_map(|(l, v)| LineEdit::Insert(l, v)),
        1 => any::<usize>().prop_map(LineEdit::Truncate),
    ]
}

fn apply_lines(base: &str, edits: &[LineEdit]) -> String {
    let mut lines: Vec<String> = base.lines().map(str::to_string).collect();
    for e in edits {
        let n = lines.len();
        if n == 0 {
            break;
        }
        match *e {
            LineEdit::Drop(i) => {
                lines.remove(i % n);
            }
            LineEdit::Duplicate(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            LineEdit::Swap(a, b) => lines.swap(a % n, b % n),
            LineEdit::ReplaceValue(i, v) => {
                // The value of the `i`-th assignment, wherever it is.
                let assignments: Vec<usize> =
                    (0..n).filter(|&j| lines[j].contains(" = ")).collect();
                if let Some(&j) = assignments.get(i % assignments.len().max(1)) {
                    let key = lines[j].split(" = ").next().unwrap_or("").to_string();
                    lines[j] = format!("{key} = {}", VALUES[v]);
                }
            }
            LineEdit::Insert(i, l) => lines.insert(i % (n + 1), LINES[l].to_string()),
            LineEdit::Truncate(i) => {
                let text = lines.join("\n");
                let mut cut = i % (text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = text[..cut].lines().map(str::to_string).collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

fn experiment_text() -> impl Strategy<Value = String> {
    (0..BASES.len()).prop_flat_map(|b| {
        prop_oneof![
            4 => prop::collection::vec(line_edit(), 1..6).prop_map(move |e| apply_lines(BASES[b], &e)),
            1 => prop::collection::vec(edit(), 1..6)
                .prop_map(move |e| String::from_utf8_lossy(&apply(BASES[b].as_bytes(), &e)).into_owned()),
        ]
    })
}

/// Parses `text` as `experiments/fuzz.toml` (its relative paths resolve in the repository's `experiments/`) and
/// checks the error, if any: it names the file, a TOML error has its line, and it is one short line.
fn parse_and_check(text: &str) {
    let origin = "experiments/fuzz.toml";
    match Experiment::from_source(text, Some(Path::new(origin))) {
        Ok(exp) => {
            // What every command does next with a valid experiment, short of loading data.
            let _ = exp.identity_fingerprint();
            let _ = exp.gate_metrics();
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.starts_with(origin) || matches!(e, ConfigError::NotFound(_)),
                "the error does not name the file: {shown}"
            );
            if let ConfigError::Parse { line, .. } = &e {
                assert!(*line >= 1, "{shown}");
            }
            assert!(shown.len() < 4000, "a long message: {shown}");
        }
    }
}

#[test]
fn the_shipped_experiments_parse() {
    for base in BASES {
        Experiment::from_source(base, Some(Path::new("experiments/x.toml"))).unwrap();
    }
}

// Findings of earlier fuzz runs, kept as regression tests (none so far beyond the cases below, which pin the
// behaviour the fuzzer relies on).

#[test]
fn huge_and_mistyped_sizes_are_errors_with_a_line() {
    for (from, to) in [
        ("k = 3", "k = 18446744073709551615"),
        ("k = 3", "k = 99999999999999999999999"),
        ("k = 3", "k = \"x\""),
        ("seed = 20240529", "seed = -1"),
    ] {
        let text = BASES[0].replacen(from, to, 1);
        let e = Experiment::from_source(&text, Some(Path::new("experiments/x.toml"))).unwrap_err();
        assert!(e.to_string().starts_with("experiments/x.toml:"), "{e}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_experiment_parser_never_panics(text in experiment_text()) {
        parse_and_check(&text);
    }
}
