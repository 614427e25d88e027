//! The one vertical layout every chart shares — title, header (legend, subtitle or axis title), body, x axis,
//! caption — and the row furniture of the bar charts (stripes, right-aligned labels, bars with whiskers).
//!
//! A chart describes its parts in a [`Layout`]; the layout places them, sizes the image and draws everything but
//! the body, which the chart draws into the [`Body`] band it is given.

use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

use super::canvas::{render_png, Canvas};
use super::legend::{legend_layout, Swatch};
use super::scale::{x_axis_height, Scale};
use super::text::{Font, VAlign};
use super::{palette, PlotError, BODY, MARGIN, SMALL, TITLE, WIDTH};
use stance_eval::results::Estimate;

/// What sits between the title and the body.
pub(super) enum Header {
    /// A legend wrapped across the width from the body's left edge (bar charts).
    Legend {
        /// Swatches and labels.
        items: Vec<(Swatch, String)>,
        /// Each item's x and line, from [`legend_layout`].
        positions: Vec<(i32, i32)>,
        /// Lines the legend takes.
        lines: i32,
    },
    /// One muted line naming what is shown (confusion).
    Subtitle(String),
    /// The y axis's title, top left (learning curve).
    AxisTitle(String),
}

impl Header {
    /// A legend starting at `x0` and wrapping before the right margin.
    pub(super) fn legend(
        chart: &'static str,
        items: Vec<(Swatch, String)>,
        x0: i32,
    ) -> Result<Header, PlotError> {
        let (positions, lines) = legend_layout(chart, &items, BODY, x0, WIDTH as i32 - MARGIN)?;
        Ok(Header::Legend {
            items,
            positions,
            lines,
        })
    }

    /// Space between the title's line and the header's anchor.
    fn offset(&self) -> i32 {
        match self {
            Header::Legend { .. } => BODY.line_height() / 2,
            Header::Subtitle(_) => 0,
            Header::AxisTitle(_) => 4,
        }
    }

    /// Space from the header's anchor to the top of the body.
    fn height(&self) -> i32 {
        match self {
            Header::Legend { lines, .. } => {
                (lines - 1).max(0) * BODY.line_height() + BODY.line_height()
            }
            Header::Subtitle(_) => BODY.line_height() + 14,
            Header::AxisTitle(_) => BODY.line_height() + 8,
        }
    }

    fn draw(&self, c: &Canvas<'_, '_>, y: i32) -> Result<(), PlotError> {
        match self {
            Header::Legend {
                items, positions, ..
            } => c.legend(items, positions, y, BODY),
            Header::Subtitle(text) => c.text(
                text,
                (MARGIN, y),
                BODY,
                palette::MUTED,
                HPos::Left,
                VAlign::Top,
            ),
            Header::AxisTitle(text) => c.text(
                text,
                (MARGIN, y),
                BODY,
                palette::TEXT,
                HPos::Left,
                VAlign::Top,
            ),
        }
    }
}

/// A chart's parts, top to bottom.
pub(super) struct Layout {
    /// The chart name, for errors.
    pub chart: &'static str,
    /// The title line.
    pub title: String,
    /// Legend, subtitle or axis title.
    pub header: Header,
    /// Height of the body.
    pub body_height: i32,
    /// Whether an x axis (ticks and title) sits under the body.
    pub x_axis: bool,
    /// Height of a column beside the body (the learning curve's legend) that the caption must also clear.
    pub side_height: i32,
    /// Caption lines, already wrapped.
    pub caption: Vec<String>,
}

/// The band a chart draws its body in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Body {
    /// Top of the body.
    pub top: i32,
    /// Bottom of the body (the x axis line, when there is one).
    pub bottom: i32,
}

impl Layout {
    /// Places every part, draws title, header and caption, has `draw_body` draw the body, and encodes the PNG.
    pub(super) fn render(
        &self,
        draw_body: impl FnOnce(&Canvas<'_, '_>, Body) -> Result<(), PlotError>,
    ) -> Result<Vec<u8>, PlotError> {
        let title_y = MARGIN;
        let header_y = title_y + TITLE.line_height() + self.header.offset();
        let top = header_y + self.header.height();
        let bottom = top + self.body_height;
        // Without an axis the caption needs a wider gap to read as separate from the body.
        let (below, gap) = if self.x_axis {
            (x_axis_height(), 10)
        } else {
            (0, 20)
        };
        let caption_y = (bottom + below).max(top + self.side_height) + gap;
        let height = caption_y + SMALL.line_height() * self.caption.len() as i32 + MARGIN;
        render_png(self.chart, WIDTH, height as u32, |c| {
            c.title(&self.title, title_y)?;
            self.header.draw(c, header_y)?;
            draw_body(c, Body { top, bottom })?;
            c.caption(&self.caption, caption_y)
        })
    }
}

/// Shades every other band of `height` pixels from `top`, starting with the second (rows and groups).
pub(super) fn stripes(
    c: &Canvas<'_, '_>,
    top: i32,
    height: i32,
    count: usize,
) -> Result<(), PlotError> {
    for i in (1..count).step_by(2) {
        stripe(c, top + height * i as i32, height)?;
    }
    Ok(())
}

/// Shades one full-width band.
pub(super) fn stripe(c: &Canvas<'_, '_>, top: i32, height: i32) -> Result<(), PlotError> {
    c.fill_rect(
        (MARGIN, top),
        (WIDTH as i32 - MARGIN, top + height - 1),
        palette::STRIPE,
    )
}

/// A row label, right-aligned just left of the plot at `plot_left`.
pub(super) fn row_label(
    c: &Canvas<'_, '_>,
    label: &str,
    plot_left: i32,
    yc: i32,
    font: Font,
) -> Result<(), PlotError> {
    c.text(
        label,
        (plot_left - 12, yc),
        font,
        palette::TEXT,
        HPos::Right,
        VAlign::Center,
    )
}

/// "n/a" in place of a bar that has no value.
pub(super) fn missing(c: &Canvas<'_, '_>, x: i32, yc: i32) -> Result<(), PlotError> {
    c.text(
        "n/a",
        (x, yc),
        SMALL,
        palette::MUTED,
        HPos::Left,
        VAlign::Center,
    )
}

/// How one horizontal bar is drawn.
pub(super) struct Bar {
    /// Height of the bar.
    pub height: i32,
    /// Fill.
    pub color: RGBColor,
    /// Half-height of the whisker caps.
    pub cap: i32,
    /// Space between the bar (or whisker) and its value text.
    pub value_gap: i32,
}

/// A bar from `from` to the estimate's point, its interval whisker and `value` written right of both.
pub(super) fn interval_bar(
    c: &Canvas<'_, '_>,
    scale: &Scale,
    from: f64,
    e: &Estimate,
    yc: i32,
    bar: &Bar,
    value: &str,
) -> Result<(), PlotError> {
    let (x0, x1) = (scale.px(from), scale.px(e.point));
    if x0 != x1 {
        c.fill_rect(
            (x0, yc - bar.height / 2),
            (x1, yc + bar.height / 2),
            bar.color,
        )?;
    }
    let mut right = x1.max(x0);
    if let (Some(l), Some(u)) = (e.lower, e.upper) {
        let (wl, wu) = (scale.px(l), scale.px(u));
        c.whisker(wl, wu, yc, bar.cap, palette::INK)?;
        right = right.max(wu);
    }
    c.text(
        value,
        (right + bar.value_gap, yc),
        SMALL,
        palette::TEXT,
        HPos::Left,
        VAlign::Center,
    )
}
