//! `charts/per-class-f1.png`: F1 of each class with interval whiskers, as grouped horizontal bars (one group per
//! configuration, one bar per class) for the best non-baseline configurations and the baselines.

use super::layout::{self, interval_bar, row_label, Bar, Body, Header, Layout};
use super::legend::Swatch;
use super::scale::{number, Scale};
use super::text::{fit_text, text_width, wrap_text, Font};
use super::{
    interval_note, max_label_width, palette, truncate_label, PlotError, BODY, LABEL_PAD, MARGIN,
    SMALL, WIDTH,
};
use stance_eval::results::{ConfigResult, Estimate};
use stance_results::RunReport;

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
    let (shown, n_top, n_candidates) = shown(report);
    let classes = &report.data.classes;
    let k = classes.len().max(1) as i32;
    let group_h = k * BAR_HEIGHT + (k - 1) * BAR_GAP + 2 * GROUP_PAD;
    let width = WIDTH as i32;

    let (labels, label_col) = labels(report, &shown)?;
    let plot_left = MARGIN + LABEL_PAD + label_col + 12;
    let scale = Scale {
        lo: 0.0,
        hi: 1.0,
        p0: plot_left,
        p1: width - MARGIN - text_width(CHART, "0.00", SMALL)? - 14,
    };
    let mut legend: Vec<(Swatch, String)> = classes
        .iter()
        .enumerate()
        .map(|(i, name)| (Swatch::Bar(palette::categorical(i)), truncate_label(name)))
        .collect();
    if report.run.evaluation.bootstrap > 0 {
        legend.push((Swatch::Whisker, interval_note(report)));
    }
    let layout = Layout {
        chart: CHART,
        title: super::chart_title(CHART, report, "F1 per class")?,
        header: Header::legend(CHART, legend, plot_left)?,
        body_height: group_h * (shown.len().max(1) as i32),
        x_axis: true,
        side_height: 0,
        caption: caption(report, &shown, n_top, n_candidates)?,
    };
    layout.render(|c, body| {
        let Body { top, bottom } = body;
        layout::stripes(c, top, group_h, shown.len())?;
        c.x_axis(&scale, bottom, top, "F1", &number)?;
        if n_top > 0 && n_top < shown.len() {
            let y = top + group_h * n_top as i32;
            c.line(vec![(MARGIN, y), (width - MARGIN, y)], palette::AXIS, 1)?;
        }
        for (gi, (config, (label, font))) in shown.iter().zip(&labels).enumerate() {
            let group_top = top + group_h * gi as i32;
            row_label(c, label, plot_left, group_top + group_h / 2, *font)?;
            for (ci, class) in classes.iter().enumerate() {
                let y0 = group_top + GROUP_PAD + (BAR_HEIGHT + BAR_GAP) * ci as i32;
                let yc = y0 + BAR_HEIGHT / 2;
                let Some(e) = class_f1(config, class, ci) else {
                    layout::missing(c, plot_left + 4, yc)?;
                    continue;
                };
                let bar = Bar {
                    height: BAR_HEIGHT,
                    color: palette::categorical(ci),
                    cap: 4,
                    value_gap: 6,
                };
                interval_bar(c, &scale, 0.0, &e, yc, &bar, &format!("{:.2}", e.point))?;
            }
        }
        Ok(())
    })
}

/// The configurations shown, in rank order: the top non-baselines, then every baseline; with the number of
/// non-baselines shown and of non-baselines in all.
pub(super) fn shown(report: &RunReport) -> (Vec<&ConfigResult>, usize, usize) {
    let ranked: Vec<&ConfigResult> = if report.run.leaderboard.is_empty() {
        report.run.configs.iter().collect()
    } else {
        report
            .run
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
    (shown, n_top, n_candidates)
}

/// Each group's label with its font, and the widest label's width.
fn labels(
    report: &RunReport,
    shown: &[&ConfigResult],
) -> Result<(Vec<(String, Font)>, i32), PlotError> {
    let mut labels = Vec::with_capacity(shown.len());
    let mut label_col = 0;
    for c in shown {
        let best = c.id == report.run.best;
        let font = if best { BODY.bold() } else { BODY };
        let suffix = if c.baseline {
            " (baseline)"
        } else if c.system.is_some() {
            " (system)"
        } else if best {
            " (best)"
        } else {
            ""
        };
        let suffix_w = text_width(CHART, suffix, font)?;
        let id = fit_text(
            CHART,
            &truncate_label(&c.id),
            font,
            max_label_width() - suffix_w,
        )?;
        let label = format!("{id}{suffix}");
        label_col = label_col.max(text_width(CHART, &label, font)?);
        labels.push((label, font));
    }
    Ok((labels, label_col))
}

/// What is shown and the gold support of each class.
fn caption(
    report: &RunReport,
    shown: &[&ConfigResult],
    n_top: usize,
    n_candidates: usize,
) -> Result<Vec<String>, PlotError> {
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
    wrap_text(
        CHART,
        &format!(
            "Per-class F1 with {} for the top {n_top} of {n_candidates} configurations by {}, then the baselines. \
             Gold items per class: {}.",
            interval_note(report),
            report.headline().label(),
            if support.is_empty() { "n/a" } else { &support },
        ),
        SMALL,
        WIDTH as i32 - 2 * MARGIN,
    )
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
