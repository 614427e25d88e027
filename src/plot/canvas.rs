//! Drawing primitives shared by every chart: an in-memory RGB canvas addressed in pixels, text measured and placed
//! with the embedded font, linear scales, nice ticks, axes and legends, and the PNG encoder.
//!
//! Everything is drawn in pixel coordinates on one [`DrawingArea`], so each chart controls its own layout (label
//! columns sized from measured text, rows of fixed height) and nothing depends on plotters' automatic layout.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use plotters::backend::{BitMapBackend, RGBPixel};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::{Circle, PathElement, Polygon, Rectangle};
use plotters::style::text_anchor::HPos;
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, ShapeStyle};

use super::{palette, PlotError, FONT_FAMILY, MARGIN, SMALL, TITLE};

/// A font: pixel size and weight, always in [`FONT_FAMILY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Font {
    /// Pixel size (the ascender-to-descender height the rasteriser scales to).
    pub size: u32,
    /// Bold weight.
    pub bold: bool,
}

impl Font {
    /// The same size in bold.
    pub const fn bold(self) -> Font {
        Font {
            size: self.size,
            bold: true,
        }
    }

    fn desc(self) -> FontDesc<'static> {
        let style = if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        FontDesc::new(FontFamily::Name(FONT_FAMILY), f64::from(self.size), style)
    }

    /// Height of a line of this font, including a little leading.
    pub fn line_height(self) -> i32 {
        (f64::from(self.size) * 1.45).round() as i32
    }
}

/// Where a text's anchor point sits vertically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VAlign {
    /// The top of capital letters.
    Top,
    /// The middle of capital letters (for labels centred on a bar or cell).
    Center,
}

/// Width in pixels of `text` set in `font`.
pub(super) fn text_width(chart: &'static str, text: &str, font: Font) -> Result<i32, PlotError> {
    let (w, _) = font.desc().box_size(text).map_err(|e| PlotError::Draw {
        chart,
        message: format!("measuring text {text:?}: {e}"),
    })?;
    Ok(i32::try_from(w).unwrap_or(i32::MAX))
}

/// `text` unchanged if it fits in `max_px`, else shortened from the end with "…" until it does.
pub(super) fn fit_text(
    chart: &'static str,
    text: &str,
    font: Font,
    max_px: i32,
) -> Result<String, PlotError> {
    if text_width(chart, text, font)? <= max_px {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    while keep > 0 {
        keep -= 1;
        let candidate: String = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
        if text_width(chart, &candidate, font)? <= max_px {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

/// Breaks `text` at spaces into lines no wider than `max_px` (a single over-long word is shortened with "…").
pub(super) fn wrap_text(
    chart: &'static str,
    text: &str,
    font: Font,
    max_px: i32,
) -> Result<Vec<String>, PlotError> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if current.is_empty() || text_width(chart, &candidate, font)? <= max_px {
            current = candidate;
        } else {
            lines.push(fit_text(chart, &current, font, max_px)?);
            current = word.to_string();
        }
    }
    if !current.is_empty() {
        lines.push(fit_text(chart, &current, font, max_px)?);
    }
    Ok(lines)
}

/// A linear map from data values to pixels (either axis; `p0` may be greater than `p1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    /// Lowest data value.
    pub lo: f64,
    /// Highest data value.
    pub hi: f64,
    /// Pixel of `lo`.
    pub p0: i32,
    /// Pixel of `hi`.
    pub p1: i32,
}

impl Scale {
    /// The pixel of `v`, clamped to the scale's range (non-finite values map to `lo`).
    pub fn px(&self, v: f64) -> i32 {
        let span = self.hi - self.lo;
        let v = if v.is_finite() {
            v.clamp(self.lo, self.hi)
        } else {
            self.lo
        };
        let t = if span > 0.0 {
            (v - self.lo) / span
        } else {
            0.0
        };
        self.p0 + (t * f64::from(self.p1 - self.p0)).round() as i32
    }
}

/// Evenly spaced "nice" tick values covering `[lo, hi]` (at most about `max_ticks`), with the decimals they need.
pub(super) fn ticks(lo: f64, hi: f64, max_ticks: usize) -> (Vec<f64>, usize) {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return (vec![lo], 2);
    }
    let raw = span / max_ticks.max(2) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let values = (first..=last).map(|i| i as f64 * step).collect();
    let decimals = (0..6)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(6) as usize;
    (values, decimals)
}

/// Formats a number with a true minus sign ("−0.012"), and no sign on zero.
pub(super) fn number(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("−{s}")
    } else {
        s
    }
}

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
}

/// Width of a legend swatch and the gap after it.
const SWATCH_W: i32 = 28;
const SWATCH_GAP: i32 = 8;
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

/// The canvas one chart draws on, in pixels from the top-left corner.
pub(super) struct Canvas<'a, 'b> {
    area: &'b DrawingArea<BitMapBackend<'a, RGBPixel>, Shift>,
    chart: &'static str,
    glyphs: RefCell<HashMap<(char, Font), Glyph>>,
}

/// A rasterised glyph.
struct Glyph {
    /// Coverage by pixel, x from the ink's left edge, y from the text's top anchor.
    pixels: Vec<(i32, i32, f32)>,
    /// Where the ink starts relative to the pen position.
    offset: i32,
}

impl Canvas<'_, '_> {
    fn draw_err(&self, what: &str, e: impl std::fmt::Display) -> PlotError {
        PlotError::Draw {
            chart: self.chart,
            message: format!("{what}: {e}"),
        }
    }

    /// Width of `text` in `font`.
    pub fn text_width(&self, text: &str, font: Font) -> Result<i32, PlotError> {
        text_width(self.chart, text, font)
    }

    /// `text` shortened with "…" to fit in `max_px`.
    pub fn fit(&self, text: &str, font: Font, max_px: i32) -> Result<String, PlotError> {
        fit_text(self.chart, text, font, max_px)
    }

    /// Draws a chart's title at the top-left margin.
    pub fn title(&self, title: &str, y: i32) -> Result<(), PlotError> {
        self.text(
            title,
            (MARGIN, y),
            TITLE,
            palette::TEXT,
            HPos::Left,
            VAlign::Top,
        )
    }

    /// Draws caption lines, one below the other, starting at `y`.
    pub fn caption(&self, lines: &[String], y: i32) -> Result<(), PlotError> {
        for (i, line) in lines.iter().enumerate() {
            self.text(
                line,
                (MARGIN, y + SMALL.line_height() * i as i32),
                SMALL,
                palette::MUTED,
                HPos::Left,
                VAlign::Top,
            )?;
        }
        Ok(())
    }

    /// Draws one line of text anchored at `(x, y)`: `h` places the anchor horizontally, `v` vertically.
    ///
    /// Glyphs are placed one by one: plotters' ab_glyph renderer drops each glyph's left side bearing, which
    /// spaces narrow glyphs ("1", ".", "i") unevenly. Here each glyph's ink is centred in its advance instead.
    pub fn text(
        &self,
        text: &str,
        (x, y): (i32, i32),
        font: Font,
        color: RGBColor,
        h: HPos,
        v: VAlign,
    ) -> Result<(), PlotError> {
        if text.is_empty() {
            return Ok(());
        }
        // The renderer puts the baseline half a font size below the point it is given; capitals are about 0.63 of
        // the size tall.
        let size = f64::from(font.size);
        let baseline = match v {
            VAlign::Top => f64::from(y) + 0.63 * size,
            VAlign::Center => f64::from(y) + 0.315 * size,
        };
        let top = (baseline - 0.5 * size).round() as i32;
        let total = self.text_width(text, font)?;
        let left = match h {
            HPos::Left => x,
            HPos::Center => x - total / 2,
            HPos::Right => x - total,
        };
        let mut prefix = String::with_capacity(text.len());
        for ch in text.chars() {
            let pen = self.text_width(&prefix, font)?;
            prefix.push(ch);
            if ch.is_whitespace() {
                continue;
            }
            let mut cache = self.glyphs.borrow_mut();
            let glyph = match cache.entry((ch, font)) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(self.rasterise(ch, font)?),
            };
            for &(gx, gy, coverage) in &glyph.pixels {
                self.area
                    .draw_pixel(
                        (left + pen + glyph.offset + gx, top + gy),
                        &color.mix(f64::from(coverage)),
                    )
                    .map_err(|e| self.draw_err("text", e))?;
            }
        }
        Ok(())
    }

    /// One glyph's coverage, with the offset that centres its ink in its advance.
    fn rasterise(&self, ch: char, font: Font) -> Result<Glyph, PlotError> {
        let desc = font.desc();
        let single = ch.to_string();
        let mut pixels = Vec::new();
        desc.draw(&single, (0, 0), |x, y, a| {
            if a > 0.0 {
                pixels.push((x, y, a.min(1.0)));
            }
            Ok::<(), std::convert::Infallible>(())
        })
        .map_err(|e| self.draw_err("text", e))?
        .map_err(|e| self.draw_err("text", e))?;
        let ink = pixels.iter().map(|p| p.0 + 1).max().unwrap_or(0);
        // The advance, to a fraction of a pixel: widths are whole pixels, so measure eight copies.
        const COPIES: usize = 8;
        let advance = f64::from(self.text_width(&single.repeat(COPIES), font)?) / COPIES as f64;
        let offset = ((advance - f64::from(ink)) / 2.0).round() as i32;
        Ok(Glyph { pixels, offset })
    }

    /// Fills the rectangle between two corners.
    pub fn fill_rect(
        &self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        style: impl Into<ShapeStyle>,
    ) -> Result<(), PlotError> {
        let style: ShapeStyle = style.into();
        self.area
            .draw(&Rectangle::new(
                [(x0.min(x1), y0.min(y1)), (x0.max(x1), y0.max(y1))],
                style.filled(),
            ))
            .map_err(|e| self.draw_err("rectangle", e))
    }

    /// Outlines the rectangle between two corners.
    pub fn stroke_rect(
        &self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        color: RGBColor,
    ) -> Result<(), PlotError> {
        self.area
            .draw(&Rectangle::new(
                [(x0.min(x1), y0.min(y1)), (x0.max(x1), y0.max(y1))],
                ShapeStyle::from(color).stroke_width(1),
            ))
            .map_err(|e| self.draw_err("rectangle", e))
    }

    /// A polyline. Wide diagonal segments are filled as quadrilaterals (plotters' wide-line rasteriser leaves
    /// gaps and doubled edges on shallow slopes).
    pub fn line(
        &self,
        points: Vec<(i32, i32)>,
        color: RGBColor,
        width: u32,
    ) -> Result<(), PlotError> {
        if points.len() < 2 {
            return Ok(());
        }
        let diagonal = points
            .windows(2)
            .any(|w| w[0].0 != w[1].0 && w[0].1 != w[1].1);
        if width > 1 && diagonal {
            let half = f64::from(width) / 2.0;
            for w in points.windows(2) {
                let (a, b) = (w[0], w[1]);
                let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
                let len = dx.hypot(dy);
                if len == 0.0 {
                    continue;
                }
                let (nx, ny) = (-dy / len * half, dx / len * half);
                let at = |p: (i32, i32), s: f64| {
                    (
                        (f64::from(p.0) + s * nx).round() as i32,
                        (f64::from(p.1) + s * ny).round() as i32,
                    )
                };
                self.area
                    .draw(&Polygon::new(
                        vec![at(a, 1.0), at(b, 1.0), at(b, -1.0), at(a, -1.0)],
                        color.filled(),
                    ))
                    .map_err(|e| self.draw_err("line", e))?;
            }
            return Ok(());
        }
        self.area
            .draw(&PathElement::new(
                points,
                ShapeStyle::from(color).stroke_width(width),
            ))
            .map_err(|e| self.draw_err("line", e))
    }

    /// A dashed polyline (dashes of `dash` pixels separated by `gap`, continued across vertices).
    pub fn dashed(
        &self,
        points: &[(i32, i32)],
        color: RGBColor,
        width: u32,
        (dash, gap): (f64, f64),
    ) -> Result<(), PlotError> {
        let mut phase = 0.0; // distance into the current dash+gap period
        let period = dash + gap;
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
            let len = dx.hypot(dy);
            if len == 0.0 {
                continue;
            }
            let at = |t: f64| {
                (
                    (f64::from(a.0) + dx * t / len).round() as i32,
                    (f64::from(a.1) + dy * t / len).round() as i32,
                )
            };
            let mut t = 0.0;
            while t < len {
                let in_period = phase % period;
                if in_period < dash {
                    let end = (t + dash - in_period).min(len);
                    self.line(vec![at(t), at(end)], color, width)?;
                    phase += end - t;
                    t = end;
                } else {
                    let end = (t + period - in_period).min(len);
                    phase += end - t;
                    t = end;
                }
            }
        }
        Ok(())
    }

    /// A filled polygon (`alpha` < 1 blends it over what is below).
    pub fn polygon(
        &self,
        points: Vec<(i32, i32)>,
        color: RGBColor,
        alpha: f64,
    ) -> Result<(), PlotError> {
        if points.len() < 3 {
            return Ok(());
        }
        self.area
            .draw(&Polygon::new(points, color.mix(alpha).filled()))
            .map_err(|e| self.draw_err("polygon", e))
    }

    /// A filled circle.
    pub fn dot(&self, center: (i32, i32), radius: i32, color: RGBColor) -> Result<(), PlotError> {
        self.area
            .draw(&Circle::new(center, radius, color.filled()))
            .map_err(|e| self.draw_err("circle", e))
    }

    /// A horizontal interval whisker from `x0` to `x1` at height `y`, with end caps of half-height `cap`.
    pub fn whisker(
        &self,
        x0: i32,
        x1: i32,
        y: i32,
        cap: i32,
        color: RGBColor,
    ) -> Result<(), PlotError> {
        self.line(vec![(x0, y), (x1, y)], color, 2)?;
        self.line(vec![(x0, y - cap), (x0, y + cap)], color, 2)?;
        self.line(vec![(x1, y - cap), (x1, y + cap)], color, 2)
    }

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

    /// A horizontal value axis along `y_axis` between the scale's pixels: vertical grid lines from `grid_top`,
    /// tick labels below the axis and the axis title under them. Returns the y just below the title.
    pub fn x_axis(
        &self,
        scale: &Scale,
        y_axis: i32,
        grid_top: i32,
        title: &str,
        format: &dyn Fn(f64, usize) -> String,
    ) -> Result<i32, PlotError> {
        let (values, decimals) = ticks(scale.lo, scale.hi, 10);
        for v in &values {
            let x = scale.px(*v);
            self.line(vec![(x, grid_top), (x, y_axis)], palette::GRID, 1)?;
        }
        self.line(
            vec![(scale.p0, y_axis), (scale.p1, y_axis)],
            palette::AXIS,
            1,
        )?;
        let label_y = y_axis + 10;
        for v in &values {
            let x = scale.px(*v);
            self.line(vec![(x, y_axis), (x, y_axis + 5)], palette::AXIS, 1)?;
            self.text(
                &format(*v, decimals),
                (x, label_y),
                SMALL,
                palette::TEXT,
                HPos::Center,
                VAlign::Top,
            )?;
        }
        let title_y = label_y + SMALL.line_height() + 4;
        self.text(
            title,
            ((scale.p0 + scale.p1) / 2, title_y),
            super::BODY,
            palette::TEXT,
            HPos::Center,
            VAlign::Top,
        )?;
        Ok(title_y + super::BODY.line_height())
    }
}

/// Space [`Canvas::x_axis`] takes below the axis line.
pub(super) fn x_axis_height() -> i32 {
    10 + SMALL.line_height() + 4 + super::BODY.line_height()
}

/// Renders a `width` × `height` chart with `draw` on a white canvas and encodes it as PNG.
pub(super) fn render_png(
    chart: &'static str,
    width: u32,
    height: u32,
    draw: impl FnOnce(&Canvas<'_, '_>) -> Result<(), PlotError>,
) -> Result<Vec<u8>, PlotError> {
    let len =
        usize::try_from(u64::from(width) * u64::from(height) * 3).map_err(|_| PlotError::Draw {
            chart,
            message: format!("image of {width}×{height} pixels is too large"),
        })?;
    let mut buffer = vec![255u8; len];
    {
        let backend =
            BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut buffer, (width, height))
                .map_err(|e| PlotError::Draw {
                    chart,
                    message: format!("creating the bitmap: {e}"),
                })?;
        let area = backend.into_drawing_area();
        let canvas = Canvas {
            area: &area,
            chart,
            glyphs: RefCell::new(HashMap::new()),
        };
        area.fill(&palette::BACKGROUND)
            .map_err(|e| canvas.draw_err("background", e))?;
        draw(&canvas)?;
        area.present().map_err(|e| canvas.draw_err("present", e))?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &buffer,
        width,
        height,
        image::ColorType::Rgb8,
    )
    .map_err(|e| PlotError::Encode {
        chart,
        message: e.to_string(),
    })?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks() {
        let (v, d) = ticks(0.0, 1.0, 10);
        assert_eq!(v.len(), 11);
        assert_eq!(d, 1);
        let (v, d) = ticks(-0.05, 0.05, 10);
        assert_eq!(v.len(), 11);
        assert_eq!(d, 2);
        let (v, d) = ticks(0.0, 100.0, 10);
        assert_eq!(v.len(), 11);
        assert_eq!(d, 0);
        assert_eq!(ticks(0.3, 0.3, 10).0, vec![0.3]);
    }

    #[test]
    fn numbers_use_a_true_minus() {
        assert_eq!(number(-0.0123, 3), "−0.012");
        assert_eq!(number(-0.0001, 3), "0.000");
        assert_eq!(number(0.5, 2), "0.50");
    }

    #[test]
    fn scales_clamp() {
        let s = Scale {
            lo: 0.0,
            hi: 1.0,
            p0: 100,
            p1: 200,
        };
        assert_eq!(s.px(0.5), 150);
        assert_eq!(s.px(2.0), 200);
        assert_eq!(s.px(f64::NAN), 100);
    }
}
