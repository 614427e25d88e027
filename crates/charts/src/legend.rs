//! Legends: swatches with labels, laid out left to right and wrapped to the chart's width.

use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

use super::canvas::Canvas;
use super::text::{text_width, Font, VAlign};
use super::{palette, PlotError};

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Swatch {
    /// A filled box.
    Bar(RGBColor),
    /// A solid line (with a point marker).
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// An interval whisker.
    Whisker,
    /// A point marker alone.
    Dot(RGBColor),
}

/// Width of a legend swatch.
pub(super) const SWATCH_W: i32 = 28;
/// Space between a swatch and its label.
pub(super) const SWATCH_GAP: i32 = 8;
/// Space between legend entries on one line.
const LEGEND_ITEM_GAP: i32 = 26;

/// Lays legend entries out left to right from `x0`, wrapping before `x_max`; returns each entry's position and
/// the number of lines used.
pub(super) fn legend_layout(
    chart: &'static str,
    items: &[(Swatch, String)],
    font: Font,
    x0: i32,
    x_max: i32,
) -> Result<(Vec<(i32, i32)>, i32), PlotError> {
    let mut positions = Vec::with_capacity(items.len());
    let (mut x, mut line) = (x0, 0);
    for (_, label) in items {
        let w = SWATCH_W + SWATCH_GAP + text_width(chart, label, font)?;
        if x > x0 && x + w > x_max {
            x = x0;
            line += 1;
        }
        positions.push((x, line));
        x += w + LEGEND_ITEM_GAP;
    }
    Ok((positions, if items.is_empty() { 0 } else { line + 1 }))
}

impl Canvas<'_, '_> {
    /// Draws one legend swatch with its label at `(x, y_center)`.
    pub fn legend_item(
        &self,
        (x, y): (i32, i32),
        swatch: Swatch,
        label: &str,
        font: Font,
    ) -> Result<(), PlotError> {
        match swatch {
            Swatch::Bar(c) => self.fill_rect((x, y - 8), (x + SWATCH_W, y + 8), c)?,
            Swatch::Line(c) => {
                self.line(vec![(x, y), (x + SWATCH_W, y)], c, 3)?;
                self.dot((x + SWATCH_W / 2, y), 4, c)?;
            }
            Swatch::Dashed(c) => self.dashed(&[(x, y), (x + SWATCH_W, y)], c, 3, (6.0, 4.0))?,
            Swatch::Whisker => self.whisker(x + 2, x + SWATCH_W - 2, y, 6, palette::INK)?,
            Swatch::Dot(c) => self.dot((x + SWATCH_W / 2, y), 4, c)?,
        }
        self.text(
            label,
            (x + SWATCH_W + SWATCH_GAP, y),
            font,
            palette::TEXT,
            HPos::Left,
            VAlign::Center,
        )
    }

    /// Draws a legend laid out by [`legend_layout`], its first line centred on `y0`.
    pub fn legend(
        &self,
        items: &[(Swatch, String)],
        positions: &[(i32, i32)],
        y0: i32,
        font: Font,
    ) -> Result<(), PlotError> {
        for ((swatch, label), (x, line)) in items.iter().zip(positions) {
            self.legend_item((*x, y0 + line * font.line_height()), *swatch, label, font)?;
        }
        Ok(())
    }
}
