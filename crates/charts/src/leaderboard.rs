//! `charts/leaderboard.png`: the headline metric of every ranked configuration as horizontal bars, best at the top,
//! with interval whiskers, baselines and outside systems in their own colours, the majority baseline as a dashed reference line and a
//! star on configurations significantly different from the best.

use super::layout::{self, interval_bar, row_label, Bar, Body, Header, Layout};
use super::legend::Swatch;
use super::scale::{axis_floor, number, Scale};
use super::text::{fit_text, text_width, wrap_text};
use super::{
    interval_note, max_label_width, palette, truncate_label, PlotError, BODY, LABEL_PAD, MARGIN,
    ROW_HEIGHT, SMALL, WIDTH,
};
use stance_eval::results::{Degenerate, Estimate};
use stance_results::RunReport;

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
    let metric = report.headline().label().to_string();
    let (rows, label_col) = rows(report)?;
    let majority = report.majority_baseline().and_then(|c| {
        c.metrics
            .get(&report.headline())
            .map(|e| (c.id.clone(), e.point))
    });

    // Horizontal layout: labels | bars | values.
    let value_col = text_width(CHART, "−0.000", SMALL)? + 16;
    let plot_left = MARGIN + LABEL_PAD + label_col + 12;
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
        p1: WIDTH as i32 - MARGIN - value_col,
    };

    let layout = Layout {
        chart: CHART,
        title: super::chart_title(CHART, report, &format!("{metric} by configuration"))?,
        header: Header::legend(CHART, legend(report, majority.as_ref()), plot_left)?,
        body_height: ROW_HEIGHT * (rows.len().max(1) as i32) + 4,
        x_axis: true,
        side_height: 0,
        caption: wrap_text(
            CHART,
            &format!(
                "{}; * = {metric} significantly different from the best (exact paired permutation test, Holm); ≡ majority = same predictions as the majority baseline. Ranked by {metric}, best first.",
                capitalised(&interval_note(report))
            ),
            SMALL,
            WIDTH as i32 - 2 * MARGIN,
        )?,
    };
    layout.render(|c, body| {
        let Body { top, bottom } = body;
        layout::stripes(c, top, ROW_HEIGHT, rows.len())?;
        c.x_axis(&scale, bottom, top - 4, &metric, &number)?;
        if lo < 0.0 {
            let x0 = scale.px(0.0);
            c.line(vec![(x0, top - 4), (x0, bottom)], palette::AXIS, 1)?;
        }
        for (i, row) in rows.iter().enumerate() {
            let yc = top + ROW_HEIGHT * i as i32 + ROW_HEIGHT / 2;
            let font = if row.bold { BODY.bold() } else { BODY };
            row_label(c, &row.label, plot_left, yc, font)?;
            let Some(e) = row.value else {
                layout::missing(c, plot_left + 6, yc)?;
                continue;
            };
            let bar = Bar {
                height: BAR_HEIGHT,
                color: row.color,
                cap: 6,
                value_gap: 6,
            };
            interval_bar(
                c,
                &scale,
                0.0_f64.max(lo),
                &e,
                yc,
                &bar,
                &number(e.point, 3),
            )?;
        }
        if let Some((_, v)) = majority {
            let x = scale.px(v);
            c.dashed(
                &[(x, top - 4), (x, bottom)],
                palette::VERMILLION,
                2,
                (8.0, 5.0),
            )?;
        }
        Ok(())
    })
}

/// One row per ranked configuration, and the width of the widest label. Labels are the id (shortened) followed by
/// suffixes that must never be cut off.
fn rows(report: &RunReport) -> Result<(Vec<Row>, i32), PlotError> {
    let headline = report.headline();
    let mut rows = Vec::with_capacity(report.run.leaderboard.len());
    let mut label_col = 0;
    for id in &report.run.leaderboard {
        let config = report.config(id);
        let baseline = config.is_some_and(|c| c.baseline);
        let system = config.is_some_and(|c| c.system.is_some());
        let best = *id == report.run.best;
        let significant = report
            .run
            .comparisons
            .iter()
            .any(|c| c.config == *id && c.significant);
        let degenerate = match config.and_then(|c| c.degenerate.as_ref()) {
            Some(Degenerate::EqualsMajority) => " ≡ majority",
            Some(Degenerate::SingleClass { .. }) => " (one class)",
            None => "",
        };
        let suffix = format!(
            "{}{}{}{}",
            if baseline {
                " (baseline)"
            } else if system {
                " (system)"
            } else {
                ""
            },
            degenerate,
            if best { " (best)" } else { "" },
            if significant { " *" } else { "" },
        );
        let font = if best { BODY.bold() } else { BODY };
        let suffix_w = text_width(CHART, &suffix, font)?;
        let id_text = fit_text(
            CHART,
            &truncate_label(id),
            font,
            max_label_width() - suffix_w,
        )?;
        let label = format!("{id_text}{suffix}");
        label_col = label_col.max(text_width(CHART, &label, font)?);
        rows.push(Row {
            label,
            bold: best,
            color: if best {
                palette::BLUE
            } else if baseline {
                palette::ORANGE
            } else if system {
                palette::REDDISH_PURPLE
            } else {
                palette::SKY_BLUE
            },
            value: config.and_then(|c| c.metrics.get(&headline)).copied(),
        });
    }
    Ok((rows, label_col))
}

/// Bar colours, the interval whisker (when there are intervals) and the majority baseline's reference line.
fn legend(report: &RunReport, majority: Option<&(String, f64)>) -> Vec<(Swatch, String)> {
    let mut legend = vec![
        (Swatch::Bar(palette::BLUE), "best".to_string()),
        (
            Swatch::Bar(palette::SKY_BLUE),
            "other configurations".to_string(),
        ),
        (Swatch::Bar(palette::ORANGE), "baseline".to_string()),
    ];
    if report.run.configs.iter().any(|c| c.system.is_some()) {
        legend.push((
            Swatch::Bar(palette::REDDISH_PURPLE),
            "outside system".to_string(),
        ));
    }
    if report.run.evaluation.bootstrap > 0 {
        legend.push((Swatch::Whisker, interval_note(report)));
    }
    if let Some((id, v)) = majority {
        legend.push((
            Swatch::Dashed(palette::VERMILLION),
            format!("{id} = {}", number(*v, 3)),
        ));
    }
    legend
}

/// `s` with its first letter in upper case.
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
