//! Value axes: a linear map from data to pixels, "nice" tick values, number formatting and the horizontal axis
//! every bar chart and the learning curve draw.

use plotters::style::text_anchor::HPos;

use super::canvas::Canvas;
use super::text::VAlign;
use super::{palette, PlotError, BODY, SMALL};

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

/// The lower end of a value axis that starts at 0 unless some value is negative (MCC, kappa, ablation deltas).
pub(super) fn axis_floor(values: impl IntoIterator<Item = f64>) -> f64 {
    let min = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min);
    if min < 0.0 {
        ((min * 10.0).floor() / 10.0).max(-1.0)
    } else {
        0.0
    }
}

impl Canvas<'_, '_> {
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
            BODY,
            palette::TEXT,
            HPos::Center,
            VAlign::Top,
        )?;
        Ok(title_y + BODY.line_height())
    }
}

/// Space [`Canvas::x_axis`] takes below the axis line.
pub(super) fn x_axis_height() -> i32 {
    10 + SMALL.line_height() + 4 + BODY.line_height()
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
