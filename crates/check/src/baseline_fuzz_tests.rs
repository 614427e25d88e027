//! Fuzz tests of the baseline reader: whatever a baseline file holds, `stance check` refuses it with an error
//! naming the file, or compares with it, and never panics (a truncated prediction list or an out-of-range class
//! index once panicked in the gate).
//!
//! The starting point is a real `report.json` (the gate's sample run, small enough to parse hundreds of thousands of
//! times), mutated as JSON (a value replaced by a wrong type, a huge or negative number; a field removed; a list
//! truncated or an element duplicated) and as bytes (the edits of `corpus::fuzz_tests`, which truncate and break
//! the JSON itself). Each mutated file goes through what `check` does with a baseline: parse, internal
//! consistency, staleness against the run's experiment, and, when all pass, the comparison and its text.
//! Case count: `STANCE_FUZZ_CASES`.

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use super::stale_reasons;
use crate::{compare, render, Gate};
use stance_eval::MetricName;
use stance_fixtures::sample_report;
use stance_report::to_json;
use stance_results::consistency;
use stance_results::parse_report;
use stance_testkit::{apply, config, edit};

/// A JSON value replacing another.
fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::Bool(true)),
        Just(serde_json::json!(u64::MAX)),
        Just(serde_json::json!(i64::MIN)),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(0)),
        Just(serde_json::json!(1)),
        Just(serde_json::json!(2)),
        Just(serde_json::json!(3)),
        Just(serde_json::json!(1e300)),
        Just(serde_json::json!(0.5)),
        Just(serde_json::json!("x")),
        Just(serde_json::json!("")),
        Just(serde_json::json!("é\u{202e}\u{0}")),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([0, 1, 99])),
    ]
}

/// One JSON-level edit: the `at`-th node (in document order) is replaced, removed, truncated or duplicated.
#[derive(Debug, Clone)]
enum JsonEdit {
    Replace(usize, Value),
    Remove(usize),
    Truncate(usize, usize),
    DuplicateElement(usize),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        3 => (any::<usize>(), replacement()).prop_map(|(a, v)| JsonEdit::Replace(a, v)),
        2 => any::<usize>().prop_map(JsonEdit::Remove),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| JsonEdit::Truncate(a, n)),
        1 => any::<usize>().prop_map(JsonEdit::DuplicateElement),
    ]
}

/// JSON pointers of every node under `v`, in document order.
fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = format!("{here}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{here}/{i}");
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        _ => {}
    }
}

fn apply_json(base: &Value, edits: &[JsonEdit]) -> Value {
    let mut v = base.clone();
    for e in edits {
        let mut all = Vec::new();
        pointers(&v, String::new(), &mut all);
        if all.is_empty() {
            break;
        }
        let at = |i: usize| all[i % all.len()].clone();
        match e {
            JsonEdit::Replace(i, new) => {
                if let Some(slot) = v.pointer_mut(&at(*i)) {
                    *slot = new.clone();
                }
            }
            JsonEdit::Remove(i) => {
                let p = at(*i);
                let (parent, last) = p.rsplit_once('/').unwrap_or(("", ""));
                match v.pointer_mut(parent) {
                    Some(Value::Object(m)) => {
                        m.remove(&last.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            if i < a.len() {
                                a.remove(i);
                            }
                        }
                    }
                    _ => {}
                }
            }
            JsonEdit::Truncate(i, n) => {
                if let Some(Value::Array(a)) = v.pointer_mut(&at(*i)) {
                    let keep = n % (a.len() + 1);
                    a.truncate(keep);
                }
            }
            JsonEdit::DuplicateElement(i) => {
                if let Some(Value::Array(a)) = v.pointer_mut(&at(*i)) {
                    if let Some(first) = a.first().cloned() {
                        a.push(first);
                    }
                }
            }
        }
    }
    v
}

fn base() -> &'static (Value, Vec<u8>) {
    static BASE: std::sync::OnceLock<(Value, Vec<u8>)> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        // Without the behavioural results, which the gate bounds only when [gate.behaviour] asks: a sixth of the
        // bytes, so a million-input run stays within minutes. The sample is far below the JSON bound, so its
        // `report.json` form is the report whole.
        let mut report = sample_report();
        assert!(!report.bounded().omits_predictions());
        report.behaviour = None;
        report.behaviour_rows = Vec::new();
        let bytes = to_json(&report);
        (serde_json::from_slice(&bytes).unwrap(), bytes)
    })
}

fn gate() -> Gate {
    Gate {
        metrics: vec![MetricName::MacroF1, MetricName::Accuracy],
        tolerance: Default::default(),
        require_significance: true,
        alpha: 0.05,
        behaviour: None,
        configs: Vec::new(),
        max_broken: 2,
        right_share: 0.8,
    }
}

/// What `stance check` does with a baseline file's bytes: every refusal names the file.
fn vet_and_compare(bytes: &[u8]) {
    let path = Path::new("reports/baselines/fuzz.json");
    let shown = path.display().to_string();
    let baseline = match parse_report(path, bytes) {
        Ok(b) => b,
        Err(e) => {
            let m = e.to_string();
            assert!(m.starts_with(&shown), "{m}");
            assert!(m.len() < 4000, "a long message: {m}");
            return;
        }
    };
    if consistency(&baseline).is_err() {
        return;
    }
    let candidate = sample_report();
    if !stale_reasons(&baseline, &candidate.experiment.config, &candidate.inputs).is_empty() {
        return;
    }
    let g = gate();
    let result = compare(&baseline, &candidate, &g);
    let _ = render::text(&result, &g, "stance check --update-baseline");
}

fn baseline_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(json_edit(), 1..5)
            .prop_map(|e| serde_json::to_vec(&apply_json(&base().0, &e)).unwrap()),
        1 => prop::collection::vec(edit(), 1..5).prop_map(|e| apply(&base().1, &e)),
    ]
}

#[test]
fn the_unedited_baseline_is_compared() {
    let (_, bytes) = base();
    let b = parse_report(Path::new("b.json"), bytes).unwrap();
    consistency(&b).unwrap();
    let c = sample_report();
    assert!(stale_reasons(&b, &c.experiment.config, &c.inputs).is_empty());
    vet_and_compare(bytes);
}

#[test]
fn the_shipped_baseline_reads_back_consistent() {
    let path = stance_testkit::at_root("reports/baselines/default.json");
    let b = stance_results::read_report(&path).unwrap();
    consistency(&b).unwrap();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_baseline_reader_never_panics(bytes in baseline_bytes()) {
        vet_and_compare(&bytes);
    }
}
