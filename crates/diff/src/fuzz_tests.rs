//! Fuzz tests of what `stance diff` and `stance submission` do with a `report.json`: whatever it holds, they refuse
//! it with an error naming the file, or compare it (and write the submission), and never panic. Two reports with
//! no items once panicked in the metrics, once per bootstrap thread.
//!
//! The starting point is the gate's sample report, mutated with `stance_testkit`'s JSON edits (values replaced by
//! wrong types or edge numbers, fields removed, lists truncated or grown) and byte edits. Each mutated report is read
//! and vetted as the commands read it (`load_run`'s parse and consistency check), then diffed against the unedited
//! one both ways and rendered in every format, and written as both sides of a submission. Case count:
//! `STANCE_FUZZ_CASES`.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use stance_fixtures::sample_report;
use stance_report::submission::{find_config, submission, Side};
use stance_report::to_json;
use stance_results::parse_report;
use stance_testkit::{apply, apply_json, config, edit, json_edit};

fn base() -> &'static (Value, Vec<u8>, RunReport) {
    static BASE: OnceLock<(Value, Vec<u8>, RunReport)> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut report = sample_report();
        report.behaviour = None;
        report.behaviour_rows = Vec::new();
        let bytes = to_json(&report);
        (serde_json::from_slice(&bytes).unwrap(), bytes, report)
    })
}

/// What the commands do with the bytes of a run's `report.json`.
fn read_diff_submit(bytes: &[u8]) {
    let path = Path::new("reports/fuzz/report.json");
    let r = match parse_report(path, bytes) {
        Ok(r) => r,
        Err(e) => {
            let m = e.to_string();
            assert!(m.starts_with("reports/fuzz/report.json"), "{m}");
            return;
        }
    };
    if consistency(&r).is_err() {
        return;
    }
    let (_, _, good) = base();
    let opts = DiffOptions {
        metrics: Vec::new(),
        bootstrap: 100,
        seed: 1,
    };
    for d in [
        diff(Path::new("a"), good, path, &r, &opts),
        diff(path, &r, Path::new("b"), good, &opts),
    ] {
        let _ = render::text(&d, 10);
        let _ = render::markdown(&d, 10);
        let _ = to_json(&d);
    }
    if let Ok(c) = find_config(&r, None) {
        let _ = submission(&r, c, Side::Guess);
        let _ = submission(&r, c, Side::Gold);
    }
}

fn report_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(json_edit(), 1..4)
            .prop_map(|e| serde_json::to_vec(&apply_json(&base().0, &e)).unwrap()),
        1 => prop::collection::vec(edit(), 1..4).prop_map(|e| apply(&base().1, &e)),
    ]
}

/// Reports with no items (or no classes) are refused, naming what is missing, before anything scores them.
#[test]
fn finding_reports_without_items_or_classes_are_refused() {
    let mut none = base().0.clone();
    none["items"] = serde_json::json!([]);
    for c in none["configs"].as_array_mut().unwrap() {
        let repeats = c["predictions"].as_array().map_or(0, Vec::len);
        c["predictions"] = serde_json::json!(vec![Vec::<Value>::new(); repeats]);
    }
    let r = parse_report(Path::new("r.json"), &serde_json::to_vec(&none).unwrap()).unwrap();
    let e = consistency(&r).unwrap_err();
    assert!(e.contains("no items"), "{e}");
    let mut classes = base().0.clone();
    classes["data"]["classes"] = serde_json::json!([]);
    let r = parse_report(Path::new("r.json"), &serde_json::to_vec(&classes).unwrap()).unwrap();
    assert!(consistency(&r).unwrap_err().contains("classes"));
    read_diff_submit(&base().1);
}

/// Found by a 20,000-case run: a configuration whose prediction list holds no repeat at all passed the consistency
/// check (there is no repeat to disagree with the items) and `submission` indexed its empty vote table.
#[test]
fn finding_a_configuration_without_any_repeat_of_predictions_is_refused_by_submission() {
    let mut v = base().0.clone();
    v["configs"][0]["predictions"] = serde_json::json!([]);
    let bytes = serde_json::to_vec(&v).unwrap();
    read_diff_submit(&bytes);
    let r = parse_report(Path::new("r.json"), &bytes).unwrap();
    let c = &r.run.configs[0];
    let e = submission(&r, c, Side::Guess).unwrap_err().to_string();
    assert!(e.contains("has no out-of-fold predictions"), "{e}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn diff_and_submission_never_panic_on_a_report(bytes in report_bytes()) {
        read_diff_submit(&bytes);
    }
}
