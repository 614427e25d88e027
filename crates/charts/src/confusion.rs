//! `charts/confusion.png`: the best configuration's confusion matrix twice, side by side — raw counts (pooled over
//! repeats) and row-normalised percentages — as heatmaps with the number written in each cell.

use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

use super::canvas::Canvas;
use super::layout::{Header, Layout};
use super::text::{fit_text, text_width, wrap_text, Font, VAlign};
use super::{palette, PlotError, BODY, MARGIN, SMALL, WIDTH};
use stance_eval::results::ConfigResult;
use stance_results::RunReport;

const CHART: &str = "confusion";
/// Space between the two heatmaps.
const PANEL_GAP: i32 = 48;
/// Largest and smallest cell side, in pixels.
const MAX_CELL: i32 = 150;
const MIN_CELL: i32 = 30;
/// The colour of a cell holding the largest value (lighter cells hold less).
const HEAT: RGBColor = palette::BLUE;
/// Cell borders.
const CELL_BORDER: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);

/// One heatmap's content.
struct Panel {
    title: &'static str,
    /// Cell text and fill intensity in `[0, 1]` (`None`: no value, e.g. a gold class never seen).
    cells: Vec<Vec<(String, Option<f64>)>>,
    /// Text right of each row.
    row_notes: Vec<String>,
}

/// Renders the confusion chart.
pub(super) fn render(report: &RunReport) -> Result<Vec<u8>, PlotError> {
    let config = report
        .config(&report.run.best)
        .or_else(|| {
            report
                .run
                .leaderboard
                .first()
                .and_then(|id| report.config(id))
        })
        .ok_or_else(|| PlotError::Data {
            chart: CHART,
            message: format!(
                "the best configuration {:?} is not in the report",
                report.run.best
            ),
        })?;
    let classes = &report.data.classes;
    let k = classes.len().max(1);
    let (counts, percents) = panels(config, k);

    // Horizontal layout of one panel: row labels | k cells | row notes.
    let width = WIDTH as i32;
    let panel_w = (width - 2 * MARGIN - PANEL_GAP) / 2;
    let names: Vec<&str> = (0..k)
        .map(|i| classes.get(i).map_or("?", String::as_str))
        .collect();
    let mut label_w = text_width(CHART, "gold ↓", SMALL)?;
    for name in &names {
        label_w = label_w.max(text_width(CHART, name, BODY)?);
    }
    let label_w = label_w.min(panel_w / 4) + 12;
    let mut note_w = 0;
    for note in &percents.row_notes {
        note_w = note_w.max(text_width(CHART, note, SMALL)?);
    }
    let note_w = note_w + 12;
    let cell = ((panel_w - label_w - note_w) / k as i32).clamp(MIN_CELL, MAX_CELL);

    // Vertical layout inside the body: panel titles, "predicted →", class names, the grid.
    let names_offset = BODY.line_height() + 4 + SMALL.line_height();
    let grid_offset = names_offset + BODY.line_height();
    let layout = Layout {
        chart: CHART,
        title: super::chart_title(CHART, report, "confusion matrix of the best configuration")?,
        header: Header::Subtitle(subtitle(report, config)?),
        body_height: grid_offset + cell * k as i32,
        x_axis: false,
        side_height: 0,
        caption: caption(report)?,
    };
    layout.render(|c, body| {
        let geometry = Geometry {
            names,
            label_w,
            note_w,
            cell,
            panel_w,
            panel_title_y: body.top,
            predicted_y: body.top + BODY.line_height() + 4,
            names_y: body.top + names_offset,
            grid_top: body.top + grid_offset,
        };
        draw_panel(c, &geometry, &counts, MARGIN)?;
        draw_panel(c, &geometry, &percents, MARGIN + panel_w + PANEL_GAP)
    })
}

/// The two heatmaps of `config`'s `k` × `k` confusion matrix: raw counts, and each row as percentages of its total.
fn panels(config: &ConfigResult, k: usize) -> (Panel, Panel) {
    let count = |g: usize, p: usize| -> u64 {
        config
            .confusion
            .get(g)
            .and_then(|row| row.get(p))
            .copied()
            .unwrap_or(0)
    };
    let max_count = (0..k)
        .flat_map(|g| (0..k).map(move |p| (g, p)))
        .map(|(g, p)| count(g, p))
        .max()
        .unwrap_or(0);
    let row_sums: Vec<u64> = (0..k).map(|g| (0..k).map(|p| count(g, p)).sum()).collect();
    let counts = Panel {
        title: "Counts",
        cells: (0..k)
            .map(|g| {
                (0..k)
                    .map(|p| {
                        let n = count(g, p);
                        let t = if max_count > 0 {
                            n as f64 / max_count as f64
                        } else {
                            0.0
                        };
                        (n.to_string(), Some(t))
                    })
                    .collect()
            })
            .collect(),
        row_notes: Vec::new(),
    };
    let percents = Panel {
        title: "Row-normalised (% of each gold class)",
        cells: (0..k)
            .map(|g| {
                (0..k)
                    .map(|p| {
                        if row_sums[g] == 0 {
                            ("–".to_string(), None)
                        } else {
                            let share = count(g, p) as f64 / row_sums[g] as f64;
                            (format!("{:.1}%", share * 100.0), Some(share))
                        }
                    })
                    .collect()
            })
            .collect(),
        row_notes: row_sums.iter().map(|n| format!("n = {n}")).collect(),
    };
    (counts, percents)
}

/// The configuration shown and its headline score.
fn subtitle(report: &RunReport, config: &ConfigResult) -> Result<String, PlotError> {
    let headline = report.headline();
    fit_text(
        CHART,
        &match config.metrics.get(&headline) {
            Some(e) => format!("{} ({} = {:.3})", config.id, headline.label(), e.point),
            None => config.id.clone(),
        },
        BODY,
        WIDTH as i32 - 2 * MARGIN,
    )
}

/// How counts were pooled and how to read the two panels.
fn caption(report: &RunReport) -> Result<Vec<String>, PlotError> {
    let repeats = report.run.evaluation.repeats;
    let pooling = if repeats > 1 {
        format!("Counts are pooled over {repeats} repeats (each item is counted once per repeat).")
    } else {
        format!("Counts from {repeats} repeat (each item is counted once).")
    };
    wrap_text(
        CHART,
        &format!(
            "{pooling} Rows: gold class; columns: predicted class. Percentages divide each row by its total (n)."
        ),
        SMALL,
        WIDTH as i32 - 2 * MARGIN,
    )
}

/// Geometry shared by both panels.
struct Geometry<'a> {
    names: Vec<&'a str>,
    label_w: i32,
    note_w: i32,
    cell: i32,
    panel_w: i32,
    panel_title_y: i32,
    predicted_y: i32,
    names_y: i32,
    grid_top: i32,
}

/// Draws one heatmap with its left edge at `x0`.
fn draw_panel(
    c: &Canvas<'_, '_>,
    l: &Geometry<'_>,
    panel: &Panel,
    x0: i32,
) -> Result<(), PlotError> {
    let k = l.names.len() as i32;
    let content_w = l.label_w + l.cell * k + l.note_w;
    let left = x0 + ((l.panel_w - content_w) / 2).max(0);
    let grid_left = left + l.label_w;
    let grid_right = grid_left + l.cell * k;

    c.text(
        &c.fit(panel.title, BODY.bold(), l.panel_w)?,
        (left, l.panel_title_y),
        BODY.bold(),
        palette::TEXT,
        HPos::Left,
        VAlign::Top,
    )?;
    c.text(
        "predicted →",
        ((grid_left + grid_right) / 2, l.predicted_y),
        SMALL,
        palette::MUTED,
        HPos::Center,
        VAlign::Top,
    )?;
    c.text(
        "gold ↓",
        (grid_left - 10, l.names_y),
        SMALL,
        palette::MUTED,
        HPos::Right,
        VAlign::Top,
    )?;
    for (j, name) in l.names.iter().enumerate() {
        let x = grid_left + l.cell * j as i32 + l.cell / 2;
        c.text(
            &c.fit(name, BODY, l.cell - 4)?,
            (x, l.names_y),
            BODY,
            palette::TEXT,
            HPos::Center,
            VAlign::Top,
        )?;
    }
    for (g, row) in panel.cells.iter().enumerate() {
        let top = l.grid_top + l.cell * g as i32;
        let yc = top + l.cell / 2;
        c.text(
            &c.fit(l.names[g], BODY, l.label_w - 10)?,
            (grid_left - 10, yc),
            BODY,
            palette::TEXT,
            HPos::Right,
            VAlign::Center,
        )?;
        for (p, (text, t)) in row.iter().enumerate() {
            let x = grid_left + l.cell * p as i32;
            let fill = t.map_or(palette::STRIPE, heat);
            c.fill_rect((x, top), (x + l.cell, top + l.cell), fill)?;
            c.stroke_rect((x, top), (x + l.cell, top + l.cell), CELL_BORDER)?;
            let ink = if t.is_some() && luminance(fill) < 0.55 {
                palette::BACKGROUND
            } else {
                palette::TEXT
            };
            let font = cell_font(c, text, l.cell)?;
            c.text(
                &c.fit(text, font, l.cell - 4)?,
                (x + l.cell / 2, yc),
                font,
                ink,
                HPos::Center,
                VAlign::Center,
            )?;
        }
        if let Some(note) = panel.row_notes.get(g) {
            c.text(
                note,
                (grid_right + 10, yc),
                SMALL,
                palette::MUTED,
                HPos::Left,
                VAlign::Center,
            )?;
        }
    }
    Ok(())
}

/// The largest font (bold body, then small) whose text fits in a cell.
fn cell_font(c: &Canvas<'_, '_>, text: &str, cell: i32) -> Result<Font, PlotError> {
    let big = BODY.bold();
    Ok(if c.text_width(text, big)? <= cell - 8 {
        big
    } else {
        SMALL
    })
}

/// The cell colour for intensity `t` in `[0, 1]`: white to [`HEAT`].
fn heat(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(255, HEAT.0), mix(255, HEAT.1), mix(255, HEAT.2))
}

/// Perceived brightness of a colour in `[0, 1]`.
fn luminance(c: RGBColor) -> f64 {
    (0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2)) / 255.0
}
