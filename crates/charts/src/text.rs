//! Text: the font, measuring, shortening and wrapping strings to a pixel width, and placing them glyph by glyph
//! on a [`Canvas`], including a chart's title and caption lines.

use std::collections::hash_map::Entry;

use plotters::style::text_anchor::HPos;
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor};

use super::canvas::Canvas;
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

/// A rasterised glyph.
pub(super) struct Glyph {
    /// Coverage by pixel, x from the ink's left edge, y from the text's top anchor.
    pixels: Vec<(i32, i32, f32)>,
    /// Where the ink starts relative to the pen position.
    offset: i32,
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
