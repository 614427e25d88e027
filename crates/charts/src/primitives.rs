//! Shapes: rectangles, solid and dashed polylines, polygons, dots and interval whiskers, in pixels.

use plotters::element::{Circle, PathElement, Polygon, Rectangle};
use plotters::style::{Color, RGBColor, ShapeStyle};

use super::canvas::Canvas;
use super::PlotError;

impl Canvas<'_, '_> {
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
}
