//! Tests of the charts on synthetic reports.

use std::collections::BTreeMap;

use super::*;
use stance_eval::results::Estimate;
use stance_eval::MetricName;
use stance_fixtures::{config, est, synthetic_report, LONG_ID};

/// A decoded chart (decoding checks the PNG is valid).
struct Decoded {
    w: u32,
    h: u32,
    rgb: Vec<u8>,
}

impl Decoded {
    fn width(&self) -> u32 {
        self.w
    }
    fn height(&self) -> u32 {
        self.h
    }
    /// Pixels whose three channels are all below 100: text and marks.
    fn dark_pixels(&self) -> usize {
        self.rgb
            .chunks_exact(3)
            .filter(|p| p.iter().all(|c| *c < 100))
            .count()
    }
}

fn decode(bytes: &[u8]) -> Decoded {
    let (w, h, rgb) = stance_testkit::decode_png_rgb(bytes).expect("a valid RGB PNG");
    Decoded { w, h, rgb }
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
        let dark = img.dark_pixels();
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
    report.run.ablation = None;
    report.run.learning_curve = None;
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
            .run
            .configs
            .push(config(&id, false, 0.3, &["support", "oppose", "neutral"]));
        report.run.leaderboard.push(id);
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
    report.run.configs.truncate(1);
    report.run.leaderboard.truncate(1);
    report.run.comparisons.clear();
    let c = &mut report.run.configs[0];
    c.confusion = vec![vec![0, 0, 0], vec![0, 0, 0]]; // all-zero and missing rows
    c.per_class.clear();
    for e in c.metrics.values_mut() {
        *e = Estimate {
            point: 0.0,
            lower: None,
            upper: None,
        };
    }
    report.run.evaluation.bootstrap = 0;
    report.run.evaluation.repeats = 1;
    for p in report.run.learning_curve.iter_mut().flatten() {
        p.headline.lower = None;
        p.headline.upper = None;
    }
    for r in report.run.ablation.iter_mut().flatten() {
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
    report.run.evaluation.headline = MetricName::Mcc;
    for c in &mut report.run.configs {
        c.metrics.insert(MetricName::Mcc, est(-0.4, 0.2));
    }
    render_all(&report).expect("negative values render");

    // No classes, no configurations at all in the ranking.
    let mut report = synthetic_report();
    report.run.leaderboard.clear();
    report.data.classes.clear();
    report.run.learning_curve = Some(Vec::new());
    report.run.ablation = Some(Vec::new());
    render_all(&report).expect("empty charts render");
}

#[test]
fn a_missing_best_configuration_is_an_error_naming_the_chart() {
    let mut report = synthetic_report();
    report.run.best = "nope".to_string();
    report.run.leaderboard.clear();
    let err = render_all(&report).expect_err("no configuration to show");
    assert!(err.to_string().starts_with("confusion chart:"), "{err}");
}

/// The synthetic report with per-fold scores on every configuration and `groups` groups on the best.
fn with_folds_and_groups(groups: usize) -> RunReport {
    use stance_eval::results::{GroupScore, SplitScore};
    let mut report = synthetic_report();
    let h = report.headline();
    for c in &mut report.run.configs {
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
    let best = report.run.best.clone();
    let b = report
        .run
        .configs
        .iter_mut()
        .find(|c| c.id == best)
        .unwrap();
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
        let dark = img.dark_pixels();
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
