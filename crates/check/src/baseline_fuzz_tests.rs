//! Fuzz tests of the baseline reader: whatever a baseline file holds, `stance check` refuses it with an error
//! naming the file, or compares with it, and never panics (a truncated prediction list or an out-of-range class
//! index once panicked in the gate).
//!
//! The starting point is a real `report.json` (the gate's sample run, small enough to parse hundreds of thousands of
//! times), mutated as JSON (a value replaced by a wrong type, a huge or negative number; a field removed; a list
//! truncated or an element duplicated: `stance_testkit::json_edit`) and as bytes (the edits of `corpus::fuzz_tests`, which truncate and break
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
use stance_testkit::{apply, apply_json, config, edit, json_edit};

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
