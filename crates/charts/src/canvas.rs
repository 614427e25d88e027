//! The canvas a chart draws on and the PNG it becomes: an in-memory RGB bitmap addressed in pixels, encoded by the
//! `image` crate so the same drawing always gives the same bytes.
//!
//! Everything is drawn in pixel coordinates on one [`DrawingArea`], so each chart's layout (see `layout`) is
//! computed by this crate from measured text, and nothing depends on plotters' automatic layout. The drawing
//! methods live next to what they draw: text in `text`, axes in `scale`, legends in `legend`, shapes in
//! `primitives`.

use std::cell::RefCell;
use std::collections::HashMap;

use plotters::backend::{BitMapBackend, RGBPixel};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};

use super::text::{Font, Glyph};
use super::{palette, PlotError};

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
