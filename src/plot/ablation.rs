//! `charts/ablation.png`: for each classifier, how much the headline metric changes when one extractor is left out
//! of the full feature set — horizontal bars of the difference with interval whiskers around a zero line.

use plotters::style::text_anchor::HPos;

use super::canvas::{self, legend_layout, render_png, wrap_text, Scale, Swatch, VAlign};
use super::{
    max_label_width, palette, truncate_label, PlotError, BODY, LABEL_PAD, MARGIN, ROW_HEIGHT,
    SMALL, TITLE, WIDTH,
};
use crate::eval::results::{AblationRow, Estimate};
use crate::report::model::RunReport;

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
            let label =
                canvas::fit_text(CHART, &truncate_label(&r.variant), BODY, max_label_width())?;
            label_col = label_col.max(canvas::text_width(CHART, &label, BODY)?);
            lines.push(Line::Variant(label, r.delta, r.p_value));
        }
    }

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
    let value_col = canvas::text_width(CHART, "−0.000 (p = 0.00)", SMALL)? + 16;
    let plot_left = MARGIN + LABEL_PAD + label_col.max(60) + 12;
    let plot_right = width - MARGIN - value_col;
    let scale = Scale {
        lo: -half,
        hi: half,
        p0: plot_left,
        p1: plot_right,
    };

    let title = super::chart_title(
        CHART,
        report,
        &format!("ablation — change in {metric} without each extractor"),
    )?;
    let mut legend = vec![
        (
            Swatch::Bar(palette::VERMILLION),
            "worse without it".to_string(),
        ),
        (Swatch::Bar(palette::BLUE), "better without it".to_string()),
    ];
    if report.evaluation.bootstrap > 0 {
        legend.push((
            Swatch::Whisker,
            format!(
                "{}% paired-bootstrap interval",
                super::fmt_percent(report.evaluation.confidence_level * 100.0)
            ),
        ));
    }
    let (legend_pos, legend_lines) =
        legend_layout(CHART, &legend, BODY, plot_left, width - MARGIN)?;
    let caption = wrap_text(
        CHART,
        &format!(
            "Δ = {metric} with the extractor left out − {metric} of the full feature set, same classifier and \
             folds. p: McNemar's exact test against the full set (not corrected for multiple comparisons)."
        ),
        SMALL,
        width - 2 * MARGIN,
    )?;

    let title_y = MARGIN;
    let legend_y = title_y + TITLE.line_height() + BODY.line_height() / 2;
    let rows_top = legend_y + (legend_lines - 1).max(0) * BODY.line_height() + BODY.line_height();
    let plot_bottom = rows_top + ROW_HEIGHT * (lines.len().max(1) as i32) + 4;
    let caption_y = plot_bottom + canvas::x_axis_height() + 10;
    let height = caption_y + SMALL.line_height() * caption.len() as i32 + MARGIN;

    render_png(CHART, WIDTH, height as u32, |c| {
        c.title(&title, title_y)?;
        c.legend(&legend, &legend_pos, legend_y, BODY)?;
        for (i, line) in lines.iter().enumerate() {
            if let Line::Header(_) = line {
                let top = rows_top + ROW_HEIGHT * i as i32;
                c.fill_rect(
                    (MARGIN, top),
                    (width - MARGIN, top + ROW_HEIGHT - 1),
                    palette::STRIPE,
                )?;
            }
        }
        c.x_axis(
            &scale,
            plot_bottom,
            rows_top - 4,
            &format!("Δ {metric}"),
            &|v, d| canvas::number(v, d),
        )?;
        let zero = scale.px(0.0);
        for (i, line) in lines.iter().enumerate() {
            let yc = rows_top + ROW_HEIGHT * i as i32 + ROW_HEIGHT / 2;
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
                    c.text(
                        label,
                        (plot_left - 12, yc),
                        BODY,
                        palette::TEXT,
                        HPos::Right,
                        VAlign::Center,
                    )?;
                    let x = scale.px(e.point);
                    if x != zero {
                        let color = if e.point < 0.0 {
                            palette::VERMILLION
                        } else {
                            palette::BLUE
                        };
                        c.fill_rect((zero, yc - BAR_HEIGHT / 2), (x, yc + BAR_HEIGHT / 2), color)?;
                    }
                    let mut right = x.max(zero);
                    if let (Some(l), Some(u)) = (e.lower, e.upper) {
                        let (wl, wu) = (scale.px(l), scale.px(u));
                        c.whisker(wl, wu, yc, 6, palette::INK)?;
                        right = right.max(wu);
                    }
                    let value = format!("{} (p {})", canvas::number(e.point, 3), p_text(*p));
                    c.text(
                        &value,
                        (right + 8, yc),
                        SMALL,
                        palette::TEXT,
                        HPos::Left,
                        VAlign::Center,
                    )?;
                }
            }
        }
        c.line(
            vec![(zero, rows_top - 4), (zero, plot_bottom)],
            palette::INK,
            2,
        )?;
        c.caption(&caption, caption_y)?;
        Ok(())
    })
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
