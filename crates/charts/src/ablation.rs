//! `charts/ablation.png`: for each classifier, how much the headline metric changes when one extractor is left out
//! of the full feature set — horizontal bars of the difference with interval whiskers around a zero line.

use plotters::style::text_anchor::HPos;

use super::layout::{self, interval_bar, row_label, Bar, Body, Header, Layout};
use super::legend::Swatch;
use super::scale::{number, Scale};
use super::text::{fit_text, text_width, wrap_text, VAlign};
use super::{
    max_label_width, palette, truncate_label, PlotError, BODY, LABEL_PAD, MARGIN, ROW_HEIGHT,
    SMALL, WIDTH,
};
use stance_eval::results::{AblationRow, Estimate};
use stance_results::RunReport;

const CHART: &str = "ablation";
/// Height of a bar within its row.
const BAR_HEIGHT: i32 = 18;
/// The x axis spans at least ± this much.
const MIN_SPAN: f64 = 0.05;

/// One line of the chart.
enum Line {
    /// A classifier's heading.
    Header(String),
    /// A variant: label, difference from the full set, p-value.
    Variant(String, Estimate, f64),
}

/// Renders the ablation chart.
pub(super) fn render(report: &RunReport, rows: &[AblationRow]) -> Result<Vec<u8>, PlotError> {
    let metric = report.headline().label().to_string();
    let width = WIDTH as i32;
    let (lines, label_col) = lines(rows, &metric)?;

    let extent = lines
        .iter()
        .filter_map(|l| match l {
            Line::Variant(_, e, _) => Some([Some(e.point), e.lower, e.upper]),
            Line::Header(_) => None,
        })
        .flatten()
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let half = ((extent * 1.1).max(MIN_SPAN) / MIN_SPAN).ceil() * MIN_SPAN;
    let value_col = text_width(CHART, "−0.000 (p = 0.00)", SMALL)? + 16;
    let plot_left = MARGIN + LABEL_PAD + label_col.max(60) + 12;
    let scale = Scale {
        lo: -half,
        hi: half,
        p0: plot_left,
        p1: width - MARGIN - value_col,
    };

    let layout = Layout {
        chart: CHART,
        title: super::chart_title(
            CHART,
            report,
            &format!("ablation — change in {metric} without each extractor"),
        )?,
        header: Header::legend(CHART, legend(report), plot_left)?,
        body_height: ROW_HEIGHT * (lines.len().max(1) as i32) + 4,
        x_axis: true,
        side_height: 0,
        caption: wrap_text(
            CHART,
            &format!(
                "Δ = {metric} with the extractor left out − {metric} of the full feature set, same classifier and \
                 folds. p: exact paired permutation test of the difference; not corrected for multiple comparisons."
            ),
            SMALL,
            width - 2 * MARGIN,
        )?,
    };
    layout.render(|c, body| {
        let Body { top, bottom } = body;
        for (i, line) in lines.iter().enumerate() {
            if let Line::Header(_) = line {
                layout::stripe(c, top + ROW_HEIGHT * i as i32, ROW_HEIGHT)?;
            }
        }
        c.x_axis(&scale, bottom, top - 4, &format!("Δ {metric}"), &|v, d| {
            number(v, d)
        })?;
        let zero = scale.px(0.0);
        for (i, line) in lines.iter().enumerate() {
            let yc = top + ROW_HEIGHT * i as i32 + ROW_HEIGHT / 2;
            match line {
                Line::Header(text) => {
                    let text = c.fit(text, BODY.bold(), width - 2 * MARGIN - 12)?;
                    c.text(
                        &text,
                        (MARGIN + 6, yc),
                        BODY.bold(),
                        palette::TEXT,
                        HPos::Left,
                        VAlign::Center,
                    )?;
                }
                Line::Variant(label, e, p) => {
                    row_label(c, label, plot_left, yc, BODY)?;
                    let bar = Bar {
                        height: BAR_HEIGHT,
                        color: if e.point < 0.0 {
                            palette::VERMILLION
                        } else {
                            palette::BLUE
                        },
                        cap: 6,
                        value_gap: 8,
                    };
                    let value = format!("{} (p {})", number(e.point, 3), p_text(*p));
                    interval_bar(c, &scale, 0.0, e, yc, &bar, &value)?;
                }
            }
        }
        c.line(vec![(zero, top - 4), (zero, bottom)], palette::INK, 2)
    })
}

/// A heading per classifier (with its full-set score) followed by one line per left-out extractor; and the width
/// of the widest variant label.
fn lines(rows: &[AblationRow], metric: &str) -> Result<(Vec<Line>, i32), PlotError> {
    let mut classifiers: Vec<&str> = Vec::new();
    for r in rows {
        if !classifiers.contains(&r.classifier.as_str()) {
            classifiers.push(&r.classifier);
        }
    }
    let mut lines = Vec::new();
    let mut label_col = 0;
    for classifier in &classifiers {
        let full = rows
            .iter()
            .find(|r| r.classifier == *classifier && r.left_out.is_none());
        lines.push(Line::Header(match full {
            Some(f) => format!(
                "{classifier} — full set: {metric} = {:.3}",
                f.headline.point
            ),
            None => (*classifier).to_string(),
        }));
        for r in rows
            .iter()
            .filter(|r| r.classifier == *classifier && r.left_out.is_some())
        {
            let label = fit_text(CHART, &truncate_label(&r.variant), BODY, max_label_width())?;
            label_col = label_col.max(text_width(CHART, &label, BODY)?);
            lines.push(Line::Variant(
                label,
                r.delta,
                r.p_value.unwrap_or(r.mcnemar_p),
            ));
        }
    }
    Ok((lines, label_col))
}

/// Which way each colour points, and the interval whisker when there are intervals.
fn legend(report: &RunReport) -> Vec<(Swatch, String)> {
    let mut legend = vec![
        (
            Swatch::Bar(palette::VERMILLION),
            "worse without it".to_string(),
        ),
        (Swatch::Bar(palette::BLUE), "better without it".to_string()),
    ];
    if report.run.evaluation.bootstrap > 0 {
        legend.push((
            Swatch::Whisker,
            format!(
                "{}% paired-bootstrap interval",
                super::fmt_percent(report.run.evaluation.confidence_level * 100.0)
            ),
        ));
    }
    legend
}

/// A p-value with its relation: "= 0.30", "= 0.004", "< 0.001".
fn p_text(p: f64) -> String {
    if !p.is_finite() {
        "n/a".to_string()
    } else if p < 0.001 {
        "< 0.001".to_string()
    } else if p < 0.01 {
        format!("= {p:.3}")
    } else {
        format!("= {p:.2}")
    }
}
