//! Tests of the charts on synthetic reports.

use std::collections::BTreeMap;

use super::*;
use crate::eval::results::BootstrapUnit;
use crate::eval::results::{
    AblationRow, ClassResult, Comparison, ConfigResult, Estimate, EvaluationInfo, LearningPoint,
    McNemar, Power,
};
use crate::eval::splits::Scheme;
use crate::eval::MetricName;
use crate::experiment::{ExperimentFile, DEFAULT_EXPERIMENT};
use crate::models::ClassifierKind;
use crate::report::model::{DataSummary, ExperimentInfo, HarnessInfo, RunReport};

const LONG_ID: &str =
    "words+chars+lexicon+negation+shape+holder-mask+sentiment+hedges+quote + logistic";

fn est(point: f64, half_width: f64) -> Estimate {
    Estimate {
        point,
        lower: Some((point - half_width).max(0.0)),
        upper: Some((point + half_width).min(1.0)),
    }
}

fn config(id: &str, baseline: bool, headline: f64, classes: &[&str]) -> ConfigResult {
    let k = classes.len();
    let mut metrics = BTreeMap::new();
    metrics.insert(MetricName::MacroF1, est(headline, 0.08));
    metrics.insert(MetricName::Accuracy, est(headline + 0.05, 0.07));
    ConfigResult {
        id: id.to_string(),
        feature_set: (!baseline).then(|| id.split(" + ").next().unwrap_or(id).to_string()),
        classifier: id.rsplit(" + ").next().unwrap_or(id).to_string(),
        classifier_type: match (baseline, id.starts_with("majority")) {
            (true, true) => ClassifierKind::Majority,
            (true, false) => ClassifierKind::StratifiedRandom,
            _ => ClassifierKind::Logistic,
        },
        baseline,
        train_fraction: 1.0,
        mean_features: 100.0,
        metrics,
        repeat_sd: BTreeMap::new(),
        per_class: classes
            .iter()
            .enumerate()
            .map(|(i, c)| ClassResult {
                class: c.to_string(),
                precision: est(headline, 0.1),
                recall: est(headline, 0.1),
                f1: est((headline - 0.1 * i as f64).max(0.0), 0.1),
                support: 10 + i,
            })
            .collect(),
        confusion: (0..k)
            .map(|g| {
                (0..k)
                    .map(|p| if g == p { 70 } else { 15 + p as u64 })
                    .collect()
            })
            .collect(),
        zero_division: Vec::new(),
        predictions: Vec::new(),
        top_features: None,
        per_fold: Vec::new(),
        per_repeat: Vec::new(),
        per_group: Vec::new(),
        degenerate: None,
        tied_predictions: 0,
        tuning: None,
    }
}

/// A small report: three classes, five ranked configurations (two baselines, one with an 80-character id), a
/// learning curve and an ablation.
fn synthetic_report() -> RunReport {
    let classes = ["support", "oppose", "neutral"];
    let configs = vec![
        config("words + logistic", false, 0.71, &classes),
        config("lexicon + logistic", false, 0.52, &classes),
        config(LONG_ID, false, 0.64, &classes),
        config("majority", true, 0.22, &classes),
        config("stratified-random", true, 0.33, &classes),
    ];
    let leaderboard: Vec<String> = [
        "words + logistic",
        LONG_ID,
        "lexicon + logistic",
        "stratified-random",
        "majority",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let comparisons = leaderboard[1..]
        .iter()
        .map(|id| Comparison {
            config: id.clone(),
            best: leaderboard[0].clone(),
            difference: est(-0.1, 0.05),
            difference_adjusted: est(-0.1, 0.06),
            adjusted_level: 0.99,
            p_value: Some(0.01),
            p_holm: Some(0.03),
            significant: id != LONG_ID,
            mcnemar: McNemar {
                best_only_correct: 10,
                config_only_correct: 2,
                p_value: 0.01,
                p_holm: 0.03,
            },
            corrected_t: None,
        })
        .collect();
    let mut learning_curve = Vec::new();
    for (fraction, size) in [(0.25, 5.0), (0.5, 9.25), (1.0, 17.25)] {
        for (features, classifier, base) in [
            (Some("words"), "logistic", 0.4),
            (Some("lexicon"), "logistic", 0.3),
            (None, "majority", 0.2),
        ] {
            learning_curve.push(LearningPoint {
                feature_set: features.map(str::to_string),
                classifier: classifier.to_string(),
                fraction,
                train_size: size,
                headline: est(base + 0.2 * fraction, 0.1),
                config: format!(
                    "{} + {classifier} @ {}%",
                    features.unwrap_or(""),
                    fraction * 100.0
                ),
            });
        }
    }
    let mut ablation = Vec::new();
    for classifier in ["logistic", "linear-svm"] {
        for (variant, delta) in [
            ("full", 0.0),
            ("− word-ngrams", -0.12),
            ("− lexicon", 0.03),
            ("− shape", 0.0),
        ] {
            ablation.push(AblationRow {
                variant: variant.to_string(),
                left_out: (variant != "full").then(|| variant.trim_start_matches("− ").to_string()),
                classifier: classifier.to_string(),
                config: format!("full + {classifier}"),
                headline: est(0.6 + delta, 0.1),
                delta: Estimate {
                    point: delta,
                    lower: Some(delta - 0.05),
                    upper: Some(delta + 0.05),
                },
                p_value: Some(0.2),
                mcnemar_p: 0.3,
            });
        }
    }
    let config_file: ExperimentFile =
        toml::from_str(DEFAULT_EXPERIMENT).expect("the built-in experiment parses");
    RunReport {
        schema_version: crate::report::model::SCHEMA_VERSION,
        harness: HarnessInfo {
            version: "0.1.0".to_string(),
            git_commit: None,
        },
        experiment: ExperimentInfo {
            name: "synthetic".to_string(),
            source: "test".to_string(),
            sha256: String::new(),
            identity: String::new(),
            config: config_file,
        },
        inputs: BTreeMap::new(),
        data: DataSummary {
            n_items: 36,
            classes: classes.iter().map(|s| s.to_string()).collect(),
            class_counts: vec![10, 11, 12],
            dropped_by_label: BTreeMap::new(),
            dropped_by_split: 0,
            n_groups: None,
        },
        evaluation: EvaluationInfo {
            per_group: None,
            scheme: Scheme::StratifiedKfold,
            k: Some(3),
            repeats: 10,
            n_folds: 30,
            group: None,
            seed: 1,
            bootstrap: 2000,
            bootstrap_unit: BootstrapUnit::Item,
            bootstrap_units: 36,
            confidence_level: 0.95,
            alpha: 0.05,
            headline: MetricName::MacroF1,
        },
        items: Vec::new(),
        folds: Vec::new(),
        configs,
        best: leaderboard[0].clone(),
        leaderboard,
        comparisons,
        power: Power {
            n_items: 36,
            per_class: BTreeMap::new(),
            min_discordant: 6,
            min_detectable_accuracy_difference: 0.17,
            best_interval_width: Some(0.16),
            mean_interval_width: Some(0.16),
            headline_difference_halfwidth: Some(0.1),
        },
        ablation: Some(ablation),
        learning_curve: Some(learning_curve),
        warnings: Vec::new(),
        behaviour: None,
        behaviour_rows: Vec::new(),
        predictions_omitted: false,
        predictions_file: None,
    }
}

fn decode(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory(bytes)
        .expect("a valid PNG")
        .to_rgb8()
}

#[test]
fn renders_every_chart_with_the_expected_names_and_sizes() {
    let charts = render_all(&synthetic_report()).expect("charts render");
    let names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "charts/ablation.png",
            "charts/confusion.png",
            "charts/leaderboard.png",
            "charts/learning-curve.png",
            "charts/per-class-f1.png",
        ]
    );
    for (name, bytes) in &charts {
        let img = decode(bytes);
        assert_eq!(img.width(), WIDTH, "{name}");
        assert!(
            img.height() >= 300 && img.height() <= 2000,
            "{name}: {}",
            img.height()
        );
        // Text and marks were drawn: plenty of dark pixels, so the embedded font rendered.
        let dark = img
            .pixels()
            .filter(|p| p.0.iter().all(|c| *c < 100))
            .count();
        assert!(dark > 500, "{name}: only {dark} dark pixels");
    }
}

#[test]
fn rendering_is_byte_identical() {
    let report = synthetic_report();
    let first = render_all(&report).expect("charts render");
    let second = render_all(&report).expect("charts render");
    assert_eq!(first, second);
}

#[test]
fn optional_charts_follow_the_report() {
    let mut report = synthetic_report();
    report.ablation = None;
    report.learning_curve = None;
    let charts = render_all(&report).expect("charts render");
    let names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "charts/confusion.png",
            "charts/leaderboard.png",
            "charts/per-class-f1.png"
        ]
    );
}

#[test]
fn leaderboard_grows_with_the_number_of_configs() {
    let mut report = synthetic_report();
    let short = decode(&leaderboard::render(&report).expect("renders")).height();
    for i in 0..26 {
        let id = format!("{LONG_ID} {i}");
        report
            .configs
            .push(config(&id, false, 0.3, &["support", "oppose", "neutral"]));
        report.leaderboard.push(id);
    }
    let tall = decode(&leaderboard::render(&report).expect("renders")).height();
    assert!(tall >= short + 26 * ROW_HEIGHT as u32, "{short} → {tall}");
}

#[test]
fn long_labels_are_shortened_to_fit_the_label_column() {
    assert_eq!(LONG_ID.chars().count(), 80);
    let label = truncate_label(LONG_ID);
    assert_eq!(label.chars().count(), MAX_LABEL_CHARS);
    assert!(label.ends_with('…'));
    ensure_fonts().expect("fonts register");
    let wide = "W".repeat(80);
    let fitted = text::fit_text(
        "test",
        &truncate_label(&wide),
        BODY.bold(),
        max_label_width(),
    )
    .expect("measures");
    assert!(text::text_width("test", &fitted, BODY.bold()).expect("measures") <= max_label_width());
    assert!(fitted.ends_with('…'));
}

#[test]
fn degenerate_reports_do_not_panic() {
    let mut report = synthetic_report();
    report.configs.truncate(1);
    report.leaderboard.truncate(1);
    report.comparisons.clear();
    let c = &mut report.configs[0];
    c.confusion = vec![vec![0, 0, 0], vec![0, 0, 0]]; // all-zero and missing rows
    c.per_class.clear();
    for e in c.metrics.values_mut() {
        *e = Estimate {
            point: 0.0,
            lower: None,
            upper: None,
        };
    }
    report.evaluation.bootstrap = 0;
    report.evaluation.repeats = 1;
    for p in report.learning_curve.iter_mut().flatten() {
        p.headline.lower = None;
        p.headline.upper = None;
    }
    for r in report.ablation.iter_mut().flatten() {
        r.delta = Estimate {
            point: 0.0,
            lower: None,
            upper: None,
        };
    }
    let charts = render_all(&report).expect("degenerate charts render");
    assert_eq!(charts.len(), 5);
    for (_, bytes) in &charts {
        decode(bytes);
    }

    // Negative headlines (MCC, kappa) widen the axis instead of failing.
    let mut report = synthetic_report();
    report.evaluation.headline = MetricName::Mcc;
    for c in &mut report.configs {
        c.metrics.insert(MetricName::Mcc, est(-0.4, 0.2));
    }
    render_all(&report).expect("negative values render");

    // No classes, no configurations at all in the ranking.
    let mut report = synthetic_report();
    report.leaderboard.clear();
    report.data.classes.clear();
    report.learning_curve = Some(Vec::new());
    report.ablation = Some(Vec::new());
    render_all(&report).expect("empty charts render");
}

#[test]
fn a_missing_best_configuration_is_an_error_naming_the_chart() {
    let mut report = synthetic_report();
    report.best = "nope".to_string();
    report.leaderboard.clear();
    let err = render_all(&report).expect_err("no configuration to show");
    assert!(err.to_string().starts_with("confusion chart:"), "{err}");
}

/// `report.json` stays small: past the prediction limit the bounded view drops predictions and item texts (and
/// says so, naming `predictions.csv.gz`), and below it the report is written whole. The view copies nothing, and
/// its JSON is byte for byte that of a copy with the predictions and texts emptied (the earlier implementation).
#[test]
fn large_runs_leave_predictions_out_of_report_json() {
    use crate::eval::results::{ItemRecord, PredictionRecord};
    use crate::report::model::{MAX_JSON_PREDICTIONS, PREDICTIONS_CSV, PREDICTIONS_CSV_GZ};
    use crate::report::to_json;
    let mut report = synthetic_report();
    let n_items = 1000;
    report.items = (0..n_items)
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
    let repeats = MAX_JSON_PREDICTIONS / (n_items * report.configs.len()) + 1;
    for c in &mut report.configs {
        c.predictions = vec![vec![record.clone(); n_items]; repeats];
    }
    assert!(report.prediction_count() > MAX_JSON_PREDICTIONS);
    let bounded = report.bounded();
    assert!(bounded.omits_predictions());
    assert_eq!(report.predictions_file(), PREDICTIONS_CSV_GZ);
    let json = to_json(&bounded);
    let mut copy = report.clone();
    for c in &mut copy.configs {
        c.predictions = Vec::new();
    }
    for i in &mut copy.items {
        i.text = String::new();
    }
    copy.predictions_omitted = true;
    copy.predictions_file = Some(PREDICTIONS_CSV_GZ.into());
    assert_eq!(json, to_json(&copy));
    let back: RunReport = serde_json::from_slice(&json).unwrap();
    assert!(back.predictions_omitted);
    assert_eq!(back.predictions_file(), PREDICTIONS_CSV_GZ);
    assert!(back.configs.iter().all(|c| c.predictions.is_empty()));
    assert!(back
        .items
        .iter()
        .all(|i| i.text.is_empty() && !i.id.is_empty()));
    assert!(
        !report.predictions_omitted && report.items[0].text == "some statement",
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
    for c in &mut report.configs {
        c.predictions.truncate(1);
    }
    assert!(!report.bounded().omits_predictions());
    assert_eq!(report.predictions_file(), PREDICTIONS_CSV);
    assert_eq!(to_json(&report.bounded()), to_json(&report));
}

/// The synthetic report with per-fold scores on every configuration and `groups` groups on the best.
fn with_folds_and_groups(groups: usize) -> RunReport {
    use crate::eval::results::{GroupScore, SplitScore};
    let mut report = synthetic_report();
    let h = report.headline();
    for c in &mut report.configs {
        let point = c.metrics[&h].point;
        c.per_fold = (0..6)
            .map(|f| SplitScore {
                repeat: f / 3,
                fold: Some(f % 3),
                n: 10,
                metrics: BTreeMap::from([(h, (point + 0.05 * (f as f64 - 2.5)).clamp(0.0, 1.0))]),
            })
            .collect();
    }
    let best = report.best.clone();
    let b = report.configs.iter_mut().find(|c| c.id == best).unwrap();
    b.per_group = (0..groups)
        .map(|g| GroupScore {
            group: format!("target number {g} with a rather long name"),
            n: 5 + g,
            metrics: BTreeMap::from([(h, (g as f64 / groups as f64))]),
        })
        .collect();
    report
}

#[test]
fn fold_and_group_charts_follow_the_report() {
    let charts = render_all(&with_folds_and_groups(4)).expect("charts render");
    let names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"charts/fold-scores.png"), "{names:?}");
    assert!(names.contains(&"charts/per-group.png"), "{names:?}");
    let one_group = render_all(&with_folds_and_groups(1)).expect("charts render");
    assert!(!one_group.iter().any(|(n, _)| n == "charts/per-group.png"));
    for (name, bytes) in charts
        .iter()
        .filter(|(n, _)| n.contains("fold-scores") || n.contains("per-group"))
    {
        let img = decode(bytes);
        assert_eq!(img.width(), WIDTH, "{name}");
        let dark = img
            .pixels()
            .filter(|p| p.0.iter().all(|c| *c < 100))
            .count();
        assert!(dark > 500, "{name}: only {dark} dark pixels");
    }
}

#[test]
fn many_groups_are_cut_to_the_lowest_and_highest() {
    let height = |groups: usize| {
        decode(&spread::render_groups(&with_folds_and_groups(groups)).expect("renders")).height()
    };
    assert!(
        height(20) > height(10),
        "rows grow with groups up to the cap"
    );
    assert_eq!(
        height(71),
        height(31),
        "above the cap, 71 groups draw as many rows as 31"
    );
}

/// Past the prediction limit the report folder's predictions file is `predictions.csv.gz`: it decompresses to
/// exactly the CSV the uncompressed path writes, its gzip header carries no name and no time, writing it twice
/// gives the same bytes, and report.json names it. (The limit is lowered here; `tests/test_run.rs` crosses the
/// real one with the binary.)
#[test]
fn large_runs_write_gzipped_predictions() {
    use std::io::Read;

    use crate::eval::results::{ItemRecord, PredictionRecord};
    use crate::report::model::{PREDICTIONS_CSV, PREDICTIONS_CSV_GZ};
    use crate::report::{predictions_file, tables, to_json};
    let mut report = synthetic_report();
    let n_items = 40;
    report.items = (0..n_items)
        .map(|i| ItemRecord {
            id: format!("i{i}"),
            text: format!("statement {i}"),
            gold: i % 3,
            holder: None,
            doc: Some(format!("g{}", i % 4)),
        })
        .collect();
    for (k, c) in report.configs.iter_mut().enumerate() {
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
    assert_eq!(csv, tables::predictions_csv(&report));
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
