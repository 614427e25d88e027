//! Charts: renders a [`RunReport`] into the PNG images the report folder embeds.
//!
//! This crate owns every chart of a run — the leaderboard, the best configuration's confusion matrices, per-class
//! F1, and (for those experiments) the learning curve and the ablation — together with their shared style: image
//! width, font sizes, the colour-blind-safe Okabe–Ito palette and the embedded DejaVu Sans font, registered once,
//! so text renders on machines without system fonts.
//!
//! Charts are drawn into an in-memory RGB buffer and encoded by the `image` crate, so the same report always gives
//! byte-identical PNG files. Nothing here writes files: [`render_all`] returns names and bytes and the report layer
//! writes them atomically.
//!
//! **Place in the workspace** (layer order and its check: `tests/test_layers.rs`): uses `stance-behaviour`,
//! `stance-eval`, `stance-results`; never a crate above it.

mod ablation;
mod behaviour;
mod canvas;
mod confusion;
mod layout;
mod leaderboard;
mod learning_curve;
mod legend;
mod per_class;
mod primitives;
mod scale;
mod spread;
#[cfg(test)]
mod tests;
mod text;

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use stance_results::RunReport;

use text::Font;

/// Why a chart could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The embedded font could not be registered with the rasteriser.
    #[error("charts: the embedded DejaVu Sans {style} font could not be registered")]
    Font {
        /// Which face (`regular` or `bold`).
        style: &'static str,
    },
    /// Drawing failed.
    #[error("{chart} chart: drawing failed: {message}")]
    Draw {
        /// The chart being drawn (`leaderboard`, `confusion`, …).
        chart: &'static str,
        /// What failed.
        message: String,
    },
    /// The image could not be encoded as PNG.
    #[error("{chart} chart: PNG encoding failed: {message}")]
    Encode {
        /// The chart being encoded.
        chart: &'static str,
        /// The encoder's message.
        message: String,
    },
    /// The report lacks something the chart needs.
    #[error("{chart} chart: {message}")]
    Data {
        /// The chart being drawn.
        chart: &'static str,
        /// What is missing or inconsistent.
        message: String,
    },
}

/// Width of every chart, in pixels.
const WIDTH: u32 = 1200;
/// Space around the drawing, in pixels.
const MARGIN: i32 = 24;
/// The font family every text uses (DejaVu Sans, registered under this name).
const FONT_FAMILY: &str = "sans-serif";
/// Chart titles.
const TITLE: Font = Font {
    size: 24,
    bold: true,
};
/// Row labels, legends, axis titles.
const BODY: Font = Font {
    size: 16,
    bold: false,
};
/// Tick labels, values printed next to bars, captions.
const SMALL: Font = Font {
    size: 14,
    bold: false,
};
/// Space between the left edge of a row's shading and its label.
const LABEL_PAD: i32 = 10;
/// Height of one bar row (leaderboard, ablation).
const ROW_HEIGHT: i32 = 28;
/// Labels longer than this many characters are shortened with "…".
const MAX_LABEL_CHARS: usize = 48;
/// The label column never takes more than this share of the width.
const MAX_LABEL_SHARE: f64 = 0.45;

/// The Okabe–Ito colour-blind-safe palette, plus neutral greys for text and furniture.
mod palette {
    use plotters::style::RGBColor;

    /// Okabe–Ito black.
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    /// Okabe–Ito orange.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Okabe–Ito sky blue.
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Okabe–Ito bluish green.
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Okabe–Ito blue.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Okabe–Ito vermillion.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Okabe–Ito reddish purple.
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Neutral grey (baselines in line charts).
    pub const GREY: RGBColor = RGBColor(0x73, 0x73, 0x73);

    /// Canvas background.
    pub const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
    /// Text.
    pub const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
    /// Secondary text (captions).
    pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
    /// Whiskers and reference marks.
    pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
    /// Axis lines and ticks.
    pub const AXIS: RGBColor = RGBColor(0x66, 0x66, 0x66);
    /// Grid lines.
    pub const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
    /// Alternate row shading.
    pub const STRIPE: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);

    /// Categorical colours, in order of use (classes, learning-curve series). Okabe–Ito yellow is left out: too
    /// pale on white.
    pub const CATEGORICAL: [RGBColor; 7] = [
        BLUE,
        VERMILLION,
        BLUISH_GREEN,
        ORANGE,
        REDDISH_PURPLE,
        SKY_BLUE,
        BLACK,
    ];

    /// The `i`-th categorical colour (cycling).
    pub fn categorical(i: usize) -> RGBColor {
        CATEGORICAL[i % CATEGORICAL.len()]
    }
}

/// Registers the embedded DejaVu Sans faces under [`FONT_FAMILY`], once per process.
fn ensure_fonts() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<Result<(), PlotError>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| PlotError::Font { style: "regular" })?;
            register_font(FONT_FAMILY, FontStyle::Bold, dejavu::sans::bold())
                .map_err(|_| PlotError::Font { style: "bold" })
        })
        .clone()
}

/// Renders every chart of `report`: `(relative file name, PNG bytes)`, sorted by name.
///
/// Always `charts/leaderboard.png`, `charts/confusion.png` and `charts/per-class-f1.png`; also
/// `charts/fold-scores.png` when the report has per-fold scores, `charts/per-group.png` when the best configuration
/// has scores on two or more groups, `charts/learning-curve.png` when the report has a learning curve and
/// `charts/ablation.png` when it has an ablation. The same report always gives the same bytes.
pub fn render_all(report: &RunReport) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    ensure_fonts()?;
    let mut charts = vec![
        (
            "charts/leaderboard.png".to_string(),
            leaderboard::render(report)?,
        ),
        (
            "charts/confusion.png".to_string(),
            confusion::render(report)?,
        ),
        (
            "charts/per-class-f1.png".to_string(),
            per_class::render(report)?,
        ),
    ];
    if report.run.configs.iter().any(|c| !c.per_fold.is_empty()) {
        charts.push((
            "charts/fold-scores.png".to_string(),
            spread::render_folds(report)?,
        ));
    }
    if spread::has_groups(report) {
        charts.push((
            "charts/per-group.png".to_string(),
            spread::render_groups(report)?,
        ));
    }
    if let Some(points) = &report.run.learning_curve {
        charts.push((
            "charts/learning-curve.png".to_string(),
            learning_curve::render(report, points)?,
        ));
    }
    if let Some(b) = &report.behaviour {
        charts.push((
            "charts/behaviour.png".to_string(),
            behaviour::render(report, b)?,
        ));
    }
    if let Some(rows) = &report.run.ablation {
        charts.push((
            "charts/ablation.png".to_string(),
            ablation::render(report, rows)?,
        ));
    }
    charts.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(charts)
}

/// `label` shortened to [`MAX_LABEL_CHARS`] characters with "…".
fn truncate_label(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_string()
    } else {
        let head: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        format!("{}…", head.trim_end())
    }
}

/// A chart title: the experiment's name (shortened with "…" first, if need be) and then `what`.
fn chart_title(chart: &'static str, report: &RunReport, what: &str) -> Result<String, PlotError> {
    let max = WIDTH as i32 - 2 * MARGIN;
    let tail = format!(": {what}");
    let tail_w = text::text_width(chart, &tail, TITLE)?;
    let name = text::fit_text(
        chart,
        &report.experiment.name,
        TITLE,
        (max - tail_w).max(max / 3),
    )?;
    text::fit_text(chart, &format!("{name}{tail}"), TITLE, max)
}

/// The widest the label column may be.
fn max_label_width() -> i32 {
    (f64::from(WIDTH) * MAX_LABEL_SHARE) as i32
}

/// "95% bootstrap intervals", or a note that there are none.
fn interval_note(report: &RunReport) -> String {
    if report.run.evaluation.bootstrap == 0 {
        "no intervals (bootstrap = 0)".to_string()
    } else {
        format!(
            "{}% bootstrap intervals",
            fmt_percent(report.run.evaluation.confidence_level * 100.0)
        )
    }
}

/// A percentage without needless decimals (95, 97.5).
fn fmt_percent(p: f64) -> String {
    if (p - p.round()).abs() < 1e-9 {
        format!("{}", p.round() as i64)
    } else {
        format!("{p:.1}")
    }
}
