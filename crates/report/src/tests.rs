//! Tests of what the report folder holds for large runs (the bounded `report.json`, the gzipped predictions),
//! on the synthetic report.

use stance_fixtures::synthetic_report;
use stance_results::RunReport;

/// `report.json` stays small: past the prediction limit the bounded view drops predictions and item texts (and
/// says so, naming `predictions.csv.gz`), and below it the report is written whole. The view copies nothing, and
/// its JSON is byte for byte that of a copy with the predictions and texts emptied (the earlier implementation).
#[test]
fn large_runs_leave_predictions_out_of_report_json() {
    use crate::to_json;
    use stance_eval::results::{ItemRecord, PredictionRecord};
    use stance_results::{MAX_JSON_PREDICTIONS, PREDICTIONS_CSV, PREDICTIONS_CSV_GZ};
    let mut report = synthetic_report();
    let n_items = 1000;
    report.run.items = (0..n_items)
        .map(|i| ItemRecord {
            id: format!("i{i}"),
            text: "some statement".into(),
            gold: 0,
            holder: None,
            doc: None,
        })
        .collect();
    let record = Some(PredictionRecord {
        fold: 0,
        class: 0,
        proba: None,
        tied: false,
    });
    let repeats = MAX_JSON_PREDICTIONS / (n_items * report.run.configs.len()) + 1;
    for c in &mut report.run.configs {
        c.predictions = vec![vec![record.clone(); n_items]; repeats];
    }
    assert!(report.prediction_count() > MAX_JSON_PREDICTIONS);
    let bounded = report.bounded();
    assert!(bounded.omits_predictions());
    assert_eq!(report.predictions_file(), PREDICTIONS_CSV_GZ);
    let json = to_json(&bounded);
    let mut copy = report.clone();
    for c in &mut copy.run.configs {
        c.predictions = Vec::new();
    }
    for i in &mut copy.run.items {
        i.text = String::new();
    }
    copy.predictions_omitted = true;
    copy.predictions_file = Some(PREDICTIONS_CSV_GZ.into());
    assert_eq!(json, to_json(&copy));
    let back: RunReport = serde_json::from_slice(&json).unwrap();
    assert!(back.predictions_omitted);
    assert_eq!(back.predictions_file(), PREDICTIONS_CSV_GZ);
    assert!(back.run.configs.iter().all(|c| c.predictions.is_empty()));
    assert!(back
        .run
        .items
        .iter()
        .all(|i| i.text.is_empty() && !i.id.is_empty()));
    assert!(
        !report.predictions_omitted && report.run.items[0].text == "some statement",
        "the in-memory report keeps everything"
    );
    // Read back, the bounded report stays bounded when written again (a baseline update).
    assert_eq!(to_json(&back.bounded()), json);
    assert!(
        !to_json(&report)
            .windows(16)
            .any(|w| w == b"predictions_file"),
        "a whole report does not name the file"
    );
    for c in &mut report.run.configs {
        c.predictions.truncate(1);
    }
    assert!(!report.bounded().omits_predictions());
    assert_eq!(report.predictions_file(), PREDICTIONS_CSV);
    assert_eq!(to_json(&report.bounded()), to_json(&report));
}

/// Past the prediction limit the report folder's predictions file is `predictions.csv.gz`: it decompresses to
/// exactly the CSV the uncompressed path writes, its gzip header carries no name and no time, writing it twice
/// gives the same bytes, and report.json names it. (The limit is lowered here; `tests/test_run.rs` crosses the
/// real one with the binary.)
#[test]
fn large_runs_write_gzipped_predictions() {
    use std::io::Read;

    use crate::{predictions_file, tables, to_json};
    use stance_eval::results::{ItemRecord, PredictionRecord};
    use stance_results::{PREDICTIONS_CSV, PREDICTIONS_CSV_GZ};
    let mut report = synthetic_report();
    let n_items = 40;
    report.run.items = (0..n_items)
        .map(|i| ItemRecord {
            id: format!("i{i}"),
            text: format!("statement {i}"),
            gold: i % 3,
            holder: None,
            doc: Some(format!("g{}", i % 4)),
        })
        .collect();
    for (k, c) in report.run.configs.iter_mut().enumerate() {
        c.predictions = (0..2)
            .map(|rep| {
                (0..n_items)
                    .map(|i| {
                        Some(PredictionRecord {
                            fold: (i + rep) % 5,
                            class: (i + k + rep) % 3,
                            proba: (k % 2 == 0).then(|| vec![0.5, 0.25 + i as f64 / 1000.0, 0.125]),
                            tied: false,
                        })
                    })
                    .collect()
            })
            .collect();
    }
    let limit = report.prediction_count() - 1;
    let (small_name, csv) = predictions_file(&report, limit + 1);
    assert_eq!(small_name, PREDICTIONS_CSV);
    assert_eq!(csv, tables::predictions_csv(&report).unwrap());
    let (large_name, gz) = predictions_file(&report, limit);
    assert_eq!(large_name, PREDICTIONS_CSV_GZ);
    assert_eq!(gz, predictions_file(&report, limit).1);
    // RFC 1952: magic, deflate, no flags (so no file name), zero modification time.
    assert_eq!(gz[..8], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, csv);
    let json: serde_json::Value =
        serde_json::from_slice(&to_json(&report.bounded_at(limit))).unwrap();
    assert_eq!(json["predictions_omitted"], true);
    assert_eq!(json["predictions_file"], PREDICTIONS_CSV_GZ);
    let json: serde_json::Value =
        serde_json::from_slice(&to_json(&report.bounded_at(limit + 1))).unwrap();
    assert_eq!(json["predictions_omitted"], false);
    assert!(json.get("predictions_file").is_none());
}
