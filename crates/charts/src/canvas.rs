//! The canvas a chart draws on and the PNG it becomes: an in-memory RGB bitmap addressed in pixels, encoded by the
//! `png` crate so the same drawing always gives the same bytes.
//!
//! Everything is drawn in pixel coordinates on one [`DrawingArea`], so each chart's layout (see `layout`) is
//! computed by this crate from measured text, and nothing depends on plotters' automatic layout. The drawing
//! methods live next to what they draw: axes in `scale`, legends in `legend`, shapes in `primitives`; text is
//! placed here, glyph by glyph from the canvas's own glyph cache, with the measuring and wrapping of `text`.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use plotters::backend::{BitMapBackend, RGBPixel};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};

use plotters::style::text_anchor::HPos;
use plotters::style::{Color, RGBColor};

use super::text::{fit_text, text_width, Font, Glyph, VAlign};
use super::{palette, PlotError, MARGIN, SMALL, TITLE};

/// The canvas one chart draws on, in pixels from the top-left corner.
pub(super) struct Canvas<'a, 'b> {
    /// The bitmap.
    pub(super) area: &'b DrawingArea<BitMapBackend<'a, RGBPixel>, Shift>,
    /// The chart's name, for error messages.
    pub(super) chart: &'static str,
    /// Glyphs rasterised so far: each chart repeats few characters many times.
    pub(super) glyphs: RefCell<HashMap<(char, Font), Glyph>>,
}

impl Canvas<'_, '_> {
    /// A drawing error naming the chart and what was being drawn.
    pub(super) fn draw_err(&self, what: &str, e: impl std::fmt::Display) -> PlotError {
        PlotError::Draw {
            chart: self.chart,
            message: format!("{what}: {e}"),
        }
    }
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
    encode_png(&buffer, width, height).map_err(|e| PlotError::Encode {
        chart,
        message: e.to_string(),
    })
}

/// The PNG of an RGB buffer, with fast compression and adaptive filtering: the settings the `image` crate's encoder
/// used when it wrote these charts, so the bytes are unchanged. The `png` crate alone is all the charts need, and a
/// small part of `image`'s build.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

impl Canvas<'_, '_> {
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
}
