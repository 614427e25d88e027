//! `charts/behaviour.png`: the behavioural tests' failure rates as a heatmap (INV and DIR tests in the strict
//! "invariant and correct" reading, which separates models) — one row per test, one column per configuration
//! (numbered by leaderboard rank), white for 0% to vermillion for 100%, hatched grey where every case was skipped.

use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

use super::canvas::Canvas;
use super::layout::{Header, Layout};
use super::text::{text_width, wrap_text, VAlign};
use super::{palette, PlotError, MARGIN, SMALL, WIDTH};
use stance_behaviour::summary::BehaviourSummary;
use stance_results::{BehaviourReport, RunReport};

const CHART: &str = "behaviour";
const MAX_CELL: i32 = 44;
const MIN_CELL: i32 = 22;
const CELL_BORDER: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);

/// Renders the heatmap.
pub(super) fn render(report: &RunReport, b: &BehaviourReport) -> Result<Vec<u8>, PlotError> {
    // Columns in leaderboard order; the rank printed above each is the leaderboard's.
    let columns: Vec<(usize, &BehaviourSummary)> = report
        .run
        .leaderboard
        .iter()
        .enumerate()
        .filter_map(|(rank, id)| b.summary(id).map(|s| (rank + 1, s)))
        .collect();
    let Some((_, first)) = columns.first() else {
        return Err(PlotError::Data {
            chart: CHART,
            message: "no configuration has behavioural results".into(),
        });
    };
    let rows: Vec<String> = first
        .tests
        .iter()
        .map(|t| format!("{} ({})", t.test, t.kind.as_str()))
        .collect();
    let mut label_w = 0;
    for r in &rows {
        label_w = label_w.max(text_width(CHART, r, SMALL)?);
    }
    let label_w = label_w + 12;
    let width = WIDTH as i32;
    let cell =
        ((width - 2 * MARGIN - label_w) / columns.len().max(1) as i32).clamp(MIN_CELL, MAX_CELL);
    let head = SMALL.line_height() + 6;
    let layout = Layout {
        chart: CHART,
        title: super::chart_title(
            CHART,
            report,
            "behavioural tests — failure rate (INV and DIR strict) per test and configuration",
        )?,
        header: Header::Subtitle("columns: configurations by leaderboard rank (1 = best)".into()),
        body_height: head + cell * rows.len() as i32,
        x_axis: false,
        side_height: 0,
        caption: caption(&columns)?,
    };
    layout.render(|c, body| {
        let grid_left = MARGIN + label_w;
        for (j, (rank, _)) in columns.iter().enumerate() {
            let x = grid_left + cell * j as i32 + cell / 2;
            c.text(
                &rank.to_string(),
                (x, body.top),
                SMALL,
                palette::MUTED,
                HPos::Center,
                VAlign::Top,
            )?;
        }
        for (i, row) in rows.iter().enumerate() {
            let top = body.top + head + cell * i as i32;
            c.text(
                row,
                (grid_left - 8, top + cell / 2),
                SMALL,
                palette::TEXT,
                HPos::Right,
                VAlign::Center,
            )?;
            for (j, (_, s)) in columns.iter().enumerate() {
                let x = grid_left + cell * j as i32;
                draw_cell(
                    c,
                    (x, top),
                    cell,
                    s.tests.get(i).and_then(|t| t.headline_rate()),
                )?;
            }
        }
        Ok(())
    })
}

fn draw_cell(
    c: &Canvas<'_, '_>,
    at: (i32, i32),
    cell: i32,
    rate: Option<f64>,
) -> Result<(), PlotError> {
    let (x, top) = at;
    let fill = rate.map_or(palette::STRIPE, heat);
    c.fill_rect((x, top), (x + cell, top + cell), fill)?;
    c.stroke_rect((x, top), (x + cell, top + cell), CELL_BORDER)?;
    let (text, ink) = match rate {
        Some(r) => (
            format!("{:.0}", r * 100.0),
            if r > 0.6 {
                palette::BACKGROUND
            } else {
                palette::TEXT
            },
        ),
        None => ("–".to_string(), palette::MUTED),
    };
    c.text(
        &text,
        (x + cell / 2, top + cell / 2),
        SMALL,
        ink,
        HPos::Center,
        VAlign::Center,
    )
}

/// White (0%) to vermillion (100%).
fn heat(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let to = palette::VERMILLION;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(255, to.0), mix(255, to.1), mix(255, to.2))
}

fn caption(columns: &[(usize, &BehaviourSummary)]) -> Result<Vec<String>, PlotError> {
    let names: Vec<String> = columns
        .iter()
        .map(|(rank, s)| format!("{rank} = {}", s.config))
        .collect();
    wrap_text(
        CHART,
        &format!(
            "Cell: % of judged cases failed (0 white, 100 vermillion); – every case skipped (a class the \
             configuration lacks, or a confidence test without probabilities). Intervals and examples are in \
             report.md, every case in behaviour.csv. Columns: {}.",
            names.join("; ")
        ),
        SMALL,
        WIDTH as i32 - 2 * MARGIN,
    )
}
