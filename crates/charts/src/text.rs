//! Text: the font, and measuring, shortening and wrapping strings to a pixel width. Placing text glyph by glyph is
//! the canvas's job ([`crate::canvas`]); this module knows nothing of where text goes.

use plotters::style::{FontDesc, FontFamily, FontStyle};

use super::{PlotError, FONT_FAMILY};

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

    pub(super) fn desc(self) -> FontDesc<'static> {
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
    pub(super) pixels: Vec<(i32, i32, f32)>,
    /// Where the ink starts relative to the pen position.
    pub(super) offset: i32,
}
