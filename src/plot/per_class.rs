//! `charts/per-class-f1.png`: F1 of each class with interval whiskers, as grouped horizontal bars (one group per
//! configuration, one bar per class) for the best non-baseline configurations and the baselines.

use plotters::style::text_anchor::HPos;

use super::canvas::{self, legend_layout, render_png, wrap_text, Scale, Swatch, VAlign};
use super::{
    interval_note, max_label_width, palette, truncate_label, PlotError, BODY, LABEL_PAD, MARGIN,
    SMALL, TITLE, WIDTH,
};
use crate::eval::results::{ConfigResult, Estimate};
use crate::report::model::RunReport;

const CHART: &str = "per-class-f1";
/// Most non-baseline configurations shown.
const MAX_CONFIGS: usize = 8;
/// Height of one class's bar.
const BAR_HEIGHT: i32 = 16;
/// Space between the bars of a group.
const BAR_GAP: i32 = 3;
/// Space above and below each group.
const GROUP_PAD: i32 = 9;

/// Renders the per-class F1 chart.
pub(super) fn render(report: &RunReport) -> Result<Vec<u8>, PlotError> {
    let ranked: Vec<&ConfigResult> = if report.leaderboard.is_empty() {
        report.configs.iter().collect()
    } else {
        report
            .leaderboard
            .iter()
            .filter_map(|id| report.config(id))
            .collect()
    };
    let n_candidates = ranked.iter().filter(|c| !c.baseline).count();
    let mut shown: Vec<&ConfigResult> = ranked
        .iter()
        .filter(|c| !c.baseline)
        .take(MAX_CONFIGS)
        .copied()
        .collect();
    let n_top = shown.len();
    shown.extend(ranked.iter().filter(|c| c.baseline));

    let classes = &report.data.classes;
    let k = classes.len().max(1) as i32;
    let group_h = k * BAR_HEIGHT + (k - 1) * BAR_GAP + 2 * GROUP_PAD;
    let width = WIDTH as i32;

    let mut labels = Vec::with_capacity(shown.len());
    let mut label_col = 0;
    for c in &shown {
        let best = c.id == report.best;
        let font = if best { BODY.bold() } else { BODY };
        let suffix = if c.baseline {
            " (baseline)"
        } else if best {
            " (best)"
        } else {
            ""
        };
        let suffix_w = canvas::text_width(CHART, suffix, font)?;
        let id = canvas::fit_text(
            CHART,
            &truncate_label(&c.id),
            font,
            max_label_width() - suffix_w,
        )?;
        let label = format!("{id}{suffix}");
        label_col = label_col.max(canvas::text_width(CHART, &label, font)?);
        labels.push((label, font));
    }
    let plot_left = MARGIN + LABEL_PAD + label_col + 12;
    let plot_right = width - MARGIN - canvas::text_width(CHART, "0.00", SMALL)? - 14;
    let scale = Scale {
        lo: 0.0,
        hi: 1.0,
        p0: plot_left,
        p1: plot_right,
    };

    let title = super::chart_title(CHART, report, "F1 per class")?;
    let mut legend: Vec<(Swatch, String)> = classes
        .iter()
        .enumerate()
        .map(|(i, name)| (Swatch::Bar(palette::categorical(i)), truncate_label(name)))
        .collect();
    if report.evaluation.bootstrap > 0 {
        legend.push((Swatch::Whisker, interval_note(report)));
    }
    let (legend_pos, legend_lines) =
        legend_layout(CHART, &legend, BODY, plot_left, width - MARGIN)?;
    let support = shown
        .first()
        .map(|c| {
            c.per_class
                .iter()
                .map(|r| format!("{} {}", r.class, r.support))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let caption = wrap_text(
        CHART,
        &format!(
            "Per-class F1 with {} for the top {n_top} of {n_candidates} configurations by {}, then the baselines. \
             Gold items per class: {}.",
            interval_note(report),
            report.headline().label(),
            if support.is_empty() { "n/a" } else { &support },
        ),
        SMALL,
        width - 2 * MARGIN,
    )?;

    let title_y = MARGIN;
    let legend_y = title_y + TITLE.line_height() + BODY.line_height() / 2;
    let groups_top = legend_y + (legend_lines - 1).max(0) * BODY.line_height() + BODY.line_height();
    let plot_bottom = groups_top + group_h * (shown.len().max(1) as i32);
    let caption_y = plot_bottom + canvas::x_axis_height() + 10;
    let height = caption_y + SMALL.line_height() * caption.len() as i32 + MARGIN;

    render_png(CHART, WIDTH, height as u32, |c| {
        c.title(&title, title_y)?;
        c.legend(&legend, &legend_pos, legend_y, BODY)?;
        for i in (1..shown.len()).step_by(2) {
            let top = groups_top + group_h * i as i32;
            c.fill_rect(
                (MARGIN, top),
                (width - MARGIN, top + group_h - 1),
                palette::STRIPE,
            )?;
        }
        c.x_axis(&scale, plot_bottom, groups_top, "F1", &canvas::number)?;
        if n_top > 0 && n_top < shown.len() {
            let y = groups_top + group_h * n_top as i32;
            c.line(vec![(MARGIN, y), (width - MARGIN, y)], palette::AXIS, 1)?;
        }
        for (gi, (config, (label, font))) in shown.iter().zip(&labels).enumerate() {
            let top = groups_top + group_h * gi as i32;
            c.text(
                label,
                (plot_left - 12, top + group_h / 2),
                *font,
                palette::TEXT,
                HPos::Right,
                VAlign::Center,
            )?;
            for (ci, class) in classes.iter().enumerate() {
                let f1 = class_f1(config, class, ci);
                let y0 = top + GROUP_PAD + (BAR_HEIGHT + BAR_GAP) * ci as i32;
                let yc = y0 + BAR_HEIGHT / 2;
                let Some(e) = f1 else {
                    c.text(
                        "n/a",
                        (plot_left + 4, yc),
                        SMALL,
                        palette::MUTED,
                        HPos::Left,
                        VAlign::Center,
                    )?;
                    continue;
                };
                let (x0, x1) = (scale.px(0.0), scale.px(e.point));
                if x1 > x0 {
                    c.fill_rect((x0, y0), (x1, y0 + BAR_HEIGHT), palette::categorical(ci))?;
                }
                let mut right = x1.max(x0);
                if let (Some(l), Some(u)) = (e.lower, e.upper) {
                    let (wl, wu) = (scale.px(l), scale.px(u));
                    c.whisker(wl, wu, yc, 4, palette::INK)?;
                    right = right.max(wu);
                }
                c.text(
                    &format!("{:.2}", e.point),
                    (right + 6, yc),
                    SMALL,
                    palette::TEXT,
                    HPos::Left,
                    VAlign::Center,
                )?;
            }
        }
        c.caption(&caption, caption_y)?;
        Ok(())
    })
}

/// The F1 of `class` (by name, else by position `index`) in `config`.
fn class_f1(config: &ConfigResult, class: &str, index: usize) -> Option<Estimate> {
    config
        .per_class
        .iter()
        .find(|r| r.class == class)
        .or_else(|| config.per_class.get(index))
        .map(|r| r.f1)
}
