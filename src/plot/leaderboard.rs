//! `charts/leaderboard.png`: the headline metric of every ranked configuration as horizontal bars, best at the top,
//! with interval whiskers, baselines in their own colour, the majority baseline as a dashed reference line and a
//! star on configurations significantly different from the best.

use plotters::style::text_anchor::HPos;

use super::canvas::{self, legend_layout, render_png, wrap_text, Scale, Swatch, VAlign};
use super::{
    axis_floor, interval_note, max_label_width, palette, truncate_label, PlotError, BODY,
    LABEL_PAD, MARGIN, ROW_HEIGHT, SMALL, TITLE, WIDTH,
};
use crate::eval::results::Estimate;
use crate::report::model::RunReport;

const CHART: &str = "leaderboard";
/// Height of a bar within its row.
const BAR_HEIGHT: i32 = 18;

/// One bar.
struct Row {
    label: String,
    bold: bool,
    color: plotters::style::RGBColor,
    value: Option<Estimate>,
}

/// Renders the leaderboard chart.
pub(super) fn render(report: &RunReport) -> Result<Vec<u8>, PlotError> {
    let headline = report.headline();
    let metric = headline.label().to_string();
    let width = WIDTH as i32;

    // Labels: id (shortened), then suffixes that must never be cut off.
    let mut rows = Vec::with_capacity(report.leaderboard.len());
    let mut label_col = 0;
    for id in &report.leaderboard {
        let config = report.config(id);
        let baseline = config.is_some_and(|c| c.baseline);
        let best = *id == report.best;
        let significant = report
            .comparisons
            .iter()
            .any(|c| c.config == *id && c.significant);
        let suffix = format!(
            "{}{}{}",
            if baseline { " (baseline)" } else { "" },
            if best { " (best)" } else { "" },
            if significant { " *" } else { "" },
        );
        let font = if best { BODY.bold() } else { BODY };
        let suffix_w = canvas::text_width(CHART, &suffix, font)?;
        let id_text = canvas::fit_text(
            CHART,
            &truncate_label(id),
            font,
            max_label_width() - suffix_w,
        )?;
        let label = format!("{id_text}{suffix}");
        label_col = label_col.max(canvas::text_width(CHART, &label, font)?);
        rows.push(Row {
            label,
            bold: best,
            color: if best {
                palette::BLUE
            } else if baseline {
                palette::ORANGE
            } else {
                palette::SKY_BLUE
            },
            value: config.and_then(|c| c.metrics.get(&headline)).copied(),
        });
    }
    let majority = report
        .majority_baseline()
        .and_then(|c| c.metrics.get(&headline).map(|e| (c.id.clone(), e.point)));

    // Horizontal layout: labels | bars | values.
    let value_col = canvas::text_width(CHART, "−0.000", SMALL)? + 16;
    let plot_left = MARGIN + LABEL_PAD + label_col + 12;
    let plot_right = width - MARGIN - value_col;
    let lo = axis_floor(
        rows.iter()
            .filter_map(|r| r.value)
            .flat_map(|e| [Some(e.point), e.lower])
            .flatten(),
    );
    let scale = Scale {
        lo,
        hi: 1.0,
        p0: plot_left,
        p1: plot_right,
    };

    // Vertical layout: title, legend, rows, axis, caption.
    let title = super::chart_title(CHART, report, &format!("{metric} by configuration"))?;
    let mut legend = vec![
        (Swatch::Bar(palette::BLUE), "best".to_string()),
        (
            Swatch::Bar(palette::SKY_BLUE),
            "other configurations".to_string(),
        ),
        (Swatch::Bar(palette::ORANGE), "baseline".to_string()),
    ];
    if report.evaluation.bootstrap > 0 {
        legend.push((Swatch::Whisker, interval_note(report)));
    }
    if let Some((id, v)) = &majority {
        legend.push((
            Swatch::Dashed(palette::VERMILLION),
            format!("{id} = {}", canvas::number(*v, 3)),
        ));
    }
    let (legend_pos, legend_lines) =
        legend_layout(CHART, &legend, BODY, plot_left, width - MARGIN)?;
    let caption = wrap_text(
        CHART,
        &format!(
            "{}; * = significantly different from the best (McNemar, Holm). Ranked by {metric}, best first.",
            capitalised(&interval_note(report))
        ),
        SMALL,
        width - 2 * MARGIN,
    )?;

    let title_y = MARGIN;
    let legend_y = title_y + TITLE.line_height() + BODY.line_height() / 2;
    let rows_top = legend_y + (legend_lines - 1).max(0) * BODY.line_height() + BODY.line_height();
    let plot_bottom = rows_top + ROW_HEIGHT * (rows.len().max(1) as i32) + 4;
    let caption_y = plot_bottom + canvas::x_axis_height() + 10;
    let height = caption_y + SMALL.line_height() * caption.len() as i32 + MARGIN;

    render_png(CHART, WIDTH, height as u32, |c| {
        c.title(&title, title_y)?;
        c.legend(&legend, &legend_pos, legend_y, BODY)?;

        for i in (1..rows.len()).step_by(2) {
            let top = rows_top + ROW_HEIGHT * i as i32;
            c.fill_rect(
                (MARGIN, top),
                (width - MARGIN, top + ROW_HEIGHT - 1),
                palette::STRIPE,
            )?;
        }
        c.x_axis(&scale, plot_bottom, rows_top - 4, &metric, &canvas::number)?;
        if lo < 0.0 {
            let x0 = scale.px(0.0);
            c.line(
                vec![(x0, rows_top - 4), (x0, plot_bottom)],
                palette::AXIS,
                1,
            )?;
        }

        for (i, row) in rows.iter().enumerate() {
            let yc = rows_top + ROW_HEIGHT * i as i32 + ROW_HEIGHT / 2;
            let font = if row.bold { BODY.bold() } else { BODY };
            c.text(
                &row.label,
                (plot_left - 12, yc),
                font,
                palette::TEXT,
                HPos::Right,
                VAlign::Center,
            )?;
            let Some(e) = row.value else {
                c.text(
                    "n/a",
                    (plot_left + 6, yc),
                    SMALL,
                    palette::MUTED,
                    HPos::Left,
                    VAlign::Center,
                )?;
                continue;
            };
            let (x0, x1) = (scale.px(0.0_f64.max(lo)), scale.px(e.point));
            if x0 != x1 {
                c.fill_rect(
                    (x0, yc - BAR_HEIGHT / 2),
                    (x1, yc + BAR_HEIGHT / 2),
                    row.color,
                )?;
            }
            let mut right = x1.max(x0);
            if let (Some(l), Some(u)) = (e.lower, e.upper) {
                let (wl, wu) = (scale.px(l), scale.px(u));
                c.whisker(wl, wu, yc, 6, palette::INK)?;
                right = right.max(wu);
            }
            c.text(
                &canvas::number(e.point, 3),
                (right + 6, yc),
                SMALL,
                palette::TEXT,
                HPos::Left,
                VAlign::Center,
            )?;
        }

        if let Some((_, v)) = majority {
            let x = scale.px(v);
            c.dashed(
                &[(x, rows_top - 4), (x, plot_bottom)],
                palette::VERMILLION,
                2,
                (8.0, 5.0),
            )?;
        }

        c.caption(&caption, caption_y)?;
        Ok(())
    })
}

/// `s` with its first letter in upper case.
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
