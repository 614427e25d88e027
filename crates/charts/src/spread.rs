//! `charts/fold-scores.png`: the headline on every fold (one dot per fold, all repeats) next to the pooled estimate
//! and its interval, per configuration — the split-to-split spread that a pooled number hides.
//!
//! `charts/per-group.png`: the best configuration's headline on each group (document, topic, target) with its n,
//! when the items have two or more groups.

use super::layout::{self, interval_bar, row_label, Bar, Body, Header, Layout};
use super::legend::Swatch;
use super::scale::{axis_floor, number, Scale};
use plotters::style::text_anchor::HPos;

use super::text::{fit_text, text_width, wrap_text, VAlign};
use super::{
    interval_note, max_label_width, palette, per_class, truncate_label, PlotError, BODY, LABEL_PAD,
    MARGIN, SMALL, WIDTH,
};
use stance_eval::results::{ConfigResult, Estimate, GroupScore};
use stance_results::RunReport;

const FOLDS_CHART: &str = "fold-scores";
const GROUPS_CHART: &str = "per-group";
/// Height of one configuration's row.
const ROW: i32 = 30;
/// Height of one group's row.
const GROUP_ROW: i32 = 22;
/// Most groups drawn; above this the lowest and highest halves are shown.
const MAX_GROUPS: usize = 30;

/// Renders the fold-score chart.
pub(super) fn render_folds(report: &RunReport) -> Result<Vec<u8>, PlotError> {
    let (shown, n_top, n_candidates) = per_class::shown(report);
    let h = report.headline();
    let width = WIDTH as i32;
    let labels = row_labels(FOLDS_CHART, report, &shown)?;
    let label_col = labels
        .iter()
        .map(|l| text_width(FOLDS_CHART, l, BODY))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    let plot_left = MARGIN + LABEL_PAD + label_col + 12;
    let values = shown
        .iter()
        .flat_map(|c| c.per_fold.iter().filter_map(|f| f.metrics.get(&h).copied()));
    let scale = Scale {
        lo: axis_floor(values),
        hi: 1.0,
        p0: plot_left,
        p1: width - MARGIN - text_width(FOLDS_CHART, "0.00 (0.00–0.00)", SMALL)? - 14,
    };
    let mut legend = vec![
        (Swatch::Dot(palette::categorical(0)), "one fold".to_string()),
        (Swatch::Dot(palette::INK), "pooled".to_string()),
    ];
    if report.run.evaluation.bootstrap > 0 {
        legend.push((Swatch::Whisker, interval_note(report)));
    }
    let layout = Layout {
        chart: FOLDS_CHART,
        title: super::chart_title(FOLDS_CHART, report, &format!("{} per fold", h.label()))?,
        header: Header::legend(FOLDS_CHART, legend, plot_left)?,
        body_height: ROW * shown.len().max(1) as i32,
        x_axis: true,
        side_height: 0,
        caption: wrap_text(
            FOLDS_CHART,
            &format!(
                "Each dot is one test fold's {} ({} folds{}); the black dot and whisker are the score on all \
                 out-of-fold predictions pooled, with {}. Top {n_top} of {n_candidates} configurations by the \
                 headline, then the baselines. Folds of a few items swing widely: read the spread with the fold \
                 sizes in report.json.",
                h.label(),
                report.run.evaluation.n_folds,
                if report.run.evaluation.repeats > 1 {
                    format!(" over {} repeats", report.run.evaluation.repeats)
                } else {
                    String::new()
                },
                interval_note(report)
            ),
            SMALL,
            width - 2 * MARGIN,
        )?,
    };
    layout.render(|c, body| {
        let Body { top, bottom } = body;
        layout::stripes(c, top, ROW, shown.len())?;
        c.x_axis(&scale, bottom, top, h.label(), &number)?;
        for (ri, (config, label)) in shown.iter().zip(&labels).enumerate() {
            let yc = top + ROW * ri as i32 + ROW / 2;
            let font = if config.id == report.run.best {
                BODY.bold()
            } else {
                BODY
            };
            row_label(c, label, plot_left, yc, font)?;
            let folds: Vec<f64> = config
                .per_fold
                .iter()
                .filter_map(|f| f.metrics.get(&h).copied())
                .collect();
            // Dots spread over five lanes by fold order so equal scores stay visible as several dots.
            for (i, v) in folds.iter().enumerate() {
                let lane = (i % 5) as i32 - 2;
                c.dot((scale.px(*v), yc + 3 * lane), 3, palette::categorical(0))?;
            }
            let Some(e) = config.metrics.get(&h) else {
                layout::missing(c, plot_left + 4, yc)?;
                continue;
            };
            if let (Some(l), Some(u)) = (e.lower, e.upper) {
                c.whisker(scale.px(l), scale.px(u), yc, 5, palette::INK)?;
            }
            c.dot((scale.px(e.point), yc), 4, palette::INK)?;
            let range = match (
                folds.iter().copied().reduce(f64::min),
                folds.iter().copied().reduce(f64::max),
            ) {
                (Some(lo), Some(hi)) => format!("{:.2} ({:.2}–{:.2})", e.point, lo, hi),
                _ => format!("{:.2}", e.point),
            };
            c.text(
                &range,
                (scale.p1 + 10, yc),
                SMALL,
                palette::TEXT,
                HPos::Left,
                VAlign::Center,
            )?;
        }
        Ok(())
    })
}

/// Whether the report gets a per-group chart: the best configuration has scores on two or more groups.
pub(super) fn has_groups(report: &RunReport) -> bool {
    report
        .config(&report.run.best)
        .is_some_and(|b| b.per_group.len() >= 2)
}

/// Renders the per-group chart of the best configuration.
pub(super) fn render_groups(report: &RunReport) -> Result<Vec<u8>, PlotError> {
    let h = report.headline();
    let best = report
        .config(&report.run.best)
        .ok_or_else(|| PlotError::Data {
            chart: GROUPS_CHART,
            message: format!(
                "the best configuration '{}' is not in the report",
                report.run.best
            ),
        })?;
    let (rows, split) = group_rows(&best.per_group, h);
    let width = WIDTH as i32;
    let mut labels = Vec::with_capacity(rows.len());
    for g in &rows {
        let n = format!(" (n = {})", g.n);
        let n_w = text_width(GROUPS_CHART, &n, BODY)?;
        let name = fit_text(
            GROUPS_CHART,
            &truncate_label(&g.group),
            BODY,
            max_label_width() - n_w,
        )?;
        labels.push(format!("{name}{n}"));
    }
    let label_col = labels
        .iter()
        .map(|l| text_width(GROUPS_CHART, l, BODY))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    let plot_left = MARGIN + LABEL_PAD + label_col + 12;
    let scale = Scale {
        lo: axis_floor(rows.iter().filter_map(|g| g.metrics.get(&h).copied())),
        hi: 1.0,
        p0: plot_left,
        p1: width - MARGIN - text_width(GROUPS_CHART, "0.00", SMALL)? - 14,
    };
    let pooled = best.metrics.get(&h).map(|e| e.point);
    let omitted = best.per_group.len() - rows.len();
    let layout = Layout {
        chart: GROUPS_CHART,
        title: super::chart_title(
            GROUPS_CHART,
            report,
            &format!("{} per group, {}", h.label(), best.id),
        )?,
        header: Header::legend(
            GROUPS_CHART,
            vec![(Swatch::Dashed(palette::INK), format!("pooled {}", h.label()))],
            plot_left,
        )?,
        body_height: GROUP_ROW * rows.len().max(1) as i32,
        x_axis: true,
        side_height: 0,
        caption: wrap_text(
            GROUPS_CHART,
            &format!(
                "The best configuration's {} on each group's items alone (predictions pooled over repeats), sorted \
                 by score{}. Groups of a few items swing widely: read n before the bar.",
                h.label(),
                if omitted > 0 {
                    format!(
                        "; {} of {} groups shown, the {} lowest and {} highest, the rest in report.md",
                        rows.len(),
                        best.per_group.len(),
                        split,
                        rows.len() - split
                    )
                } else {
                    String::new()
                }
            ),
            SMALL,
            width - 2 * MARGIN,
        )?,
    };
    layout.render(|c, body| {
        let Body { top, bottom } = body;
        layout::stripes(c, top, GROUP_ROW, rows.len())?;
        c.x_axis(&scale, bottom, top, h.label(), &number)?;
        // Under the bars and their values, so a value next to the line stays readable.
        if let Some(p) = pooled {
            let x = scale.px(p);
            c.dashed(&[(x, top), (x, bottom)], palette::INK, 1, (4.0, 3.0))?;
        }
        if omitted > 0 {
            let y = top + GROUP_ROW * split as i32;
            c.line(vec![(MARGIN, y), (width - MARGIN, y)], palette::AXIS, 1)?;
        }
        for (ri, (g, label)) in rows.iter().zip(&labels).enumerate() {
            let yc = top + GROUP_ROW * ri as i32 + GROUP_ROW / 2;
            row_label(c, label, plot_left, yc, BODY)?;
            let Some(&v) = g.metrics.get(&h) else {
                layout::missing(c, plot_left + 4, yc)?;
                continue;
            };
            let e = Estimate {
                point: v,
                lower: None,
                upper: None,
            };
            let bar = Bar {
                height: 12,
                color: palette::categorical(0),
                cap: 0,
                value_gap: 6,
            };
            interval_bar(
                c,
                &scale,
                scale.lo.max(0.0),
                &e,
                yc,
                &bar,
                &format!("{v:.2}"),
            )?;
        }
        Ok(())
    })
}

/// The groups drawn, sorted by headline (ties by name): all of them up to [`MAX_GROUPS`], else the lowest and the
/// highest halves; with the number in the first part.
fn group_rows(groups: &[GroupScore], h: stance_eval::MetricName) -> (Vec<&GroupScore>, usize) {
    let mut sorted: Vec<&GroupScore> = groups.iter().collect();
    let key = |g: &GroupScore| g.metrics.get(&h).copied().unwrap_or(f64::NEG_INFINITY);
    sorted.sort_by(|a, b| {
        key(a)
            .total_cmp(&key(b))
            .then_with(|| a.group.cmp(&b.group))
    });
    if sorted.len() <= MAX_GROUPS {
        let n = sorted.len();
        return (sorted, n);
    }
    let half = MAX_GROUPS / 2;
    let mut rows: Vec<&GroupScore> = sorted[..half].to_vec();
    rows.extend_from_slice(&sorted[sorted.len() - half..]);
    (rows, half)
}

/// Row labels: the configuration id, with "(best)" / "(baseline)".
fn row_labels(
    chart: &'static str,
    report: &RunReport,
    shown: &[&ConfigResult],
) -> Result<Vec<String>, PlotError> {
    shown
        .iter()
        .map(|c| {
            let suffix = if c.baseline {
                " (baseline)"
            } else if c.system.is_some() {
                " (system)"
            } else if c.id == report.run.best {
                " (best)"
            } else {
                ""
            };
            let w = text_width(chart, suffix, BODY.bold())?;
            let id = fit_text(
                chart,
                &truncate_label(&c.id),
                BODY.bold(),
                max_label_width() - w,
            )?;
            Ok(format!("{id}{suffix}"))
        })
        .collect()
}
