//! `charts/learning-curve.png`: the headline metric against the share of training data used, one line per
//! feature set × classifier with a translucent interval band, baselines dashed.

use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

use super::canvas::Canvas;
use super::layout::{Body, Header, Layout};
use super::legend::{Swatch, SWATCH_GAP, SWATCH_W};
use super::scale::{axis_floor, number, ticks, Scale};
use super::text::{fit_text, text_width, wrap_text, VAlign};
use super::{interval_note, palette, truncate_label, PlotError, BODY, MARGIN, SMALL, WIDTH};
use stance_eval::results::LearningPoint;
use stance_results::RunReport;

const CHART: &str = "learning-curve";
/// Height of the plotting area, in pixels.
const PLOT_HEIGHT: i32 = 520;
/// Widest a legend label may be.
const MAX_LEGEND_LABEL: i32 = 300;
/// Opacity of interval bands.
const BAND_ALPHA: f64 = 0.16;
/// Baselines cycle through these (dashed).
const BASELINE_COLORS: [RGBColor; 2] = [palette::GREY, palette::BLACK];

/// One line of the chart.
struct Series<'a> {
    label: String,
    baseline: bool,
    color: RGBColor,
    points: Vec<&'a LearningPoint>,
}

/// Renders the learning-curve chart.
pub(super) fn render(report: &RunReport, points: &[LearningPoint]) -> Result<Vec<u8>, PlotError> {
    let series = group(report, points);
    let metric = report.headline().label().to_string();
    let (legend, legend_w) = legend(&series)?;
    let legend_x = WIDTH as i32 - MARGIN - (SWATCH_W + SWATCH_GAP) - legend_w;

    let lo = axis_floor(
        points
            .iter()
            .flat_map(|p| [Some(p.headline.point), p.headline.lower])
            .flatten(),
    );
    let (x_lo, x_hi) = x_range(points);
    let (y_ticks, y_decimals) = ticks(lo, 1.0, 10);
    let mut tick_w = 0;
    for v in &y_ticks {
        tick_w = tick_w.max(text_width(CHART, &number(*v, y_decimals), SMALL)?);
    }
    let plot_left = MARGIN + tick_w + 12;
    let plot_right = legend_x - 32;

    let layout = Layout {
        chart: CHART,
        title: super::chart_title(CHART, report, &format!("learning curve ({metric})"))?,
        header: Header::AxisTitle(metric),
        body_height: PLOT_HEIGHT,
        x_axis: true,
        side_height: (legend.len() as i32 + 1) * BODY.line_height(),
        caption: caption(report, points)?,
    };
    layout.render(|c, body| {
        let Body { top, bottom } = body;
        let xs = Scale {
            lo: x_lo,
            hi: x_hi,
            p0: plot_left,
            p1: plot_right,
        };
        let ys = Scale {
            lo,
            hi: 1.0,
            p0: bottom,
            p1: top,
        };
        // Horizontal grid and y tick labels.
        for v in &y_ticks {
            let y = ys.px(*v);
            c.line(vec![(plot_left, y), (plot_right, y)], palette::GRID, 1)?;
            c.text(
                &number(*v, y_decimals),
                (plot_left - 8, y),
                SMALL,
                palette::TEXT,
                HPos::Right,
                VAlign::Center,
            )?;
        }
        c.line(
            vec![(plot_left, top), (plot_left, bottom)],
            palette::AXIS,
            1,
        )?;
        c.x_axis(
            &xs,
            bottom,
            top,
            "training data used (% of each training fold)",
            &|v, d| format!("{v:.d$}%"),
        )?;
        if lo < 0.0 {
            let y0 = ys.px(0.0);
            c.line(vec![(plot_left, y0), (plot_right, y0)], palette::AXIS, 1)?;
        }
        draw_series(c, &series, &xs, &ys)?;
        draw_legend(c, report, &legend, (legend_x, top))
    })
}

/// The legend entries (labels shortened to fit the column) and the width of the widest label.
fn legend(series: &[Series<'_>]) -> Result<(Vec<(Swatch, String)>, i32), PlotError> {
    let mut legend = Vec::with_capacity(series.len());
    let mut legend_w = text_width(CHART, "interval", BODY)?;
    for s in series {
        let label = fit_text(CHART, &s.label, BODY, MAX_LEGEND_LABEL)?;
        legend_w = legend_w.max(text_width(CHART, &label, BODY)?);
        let swatch = if s.baseline {
            Swatch::Dashed(s.color)
        } else {
            Swatch::Line(s.color)
        };
        legend.push((swatch, label));
    }
    Ok((legend, legend_w))
}

/// The x axis's range in percent: from just below the smallest fraction (a multiple of 10) to 100%, plus a little
/// room right of the last point so its marker is not cut by the legend gap.
fn x_range(points: &[LearningPoint]) -> (f64, f64) {
    let x_hi = points
        .iter()
        .map(|p| p.fraction * 100.0)
        .filter(|v| v.is_finite())
        .fold(100.0f64, f64::max);
    let x_min = points
        .iter()
        .map(|p| p.fraction * 100.0)
        .filter(|v| v.is_finite())
        .fold(x_hi, f64::min);
    let x_lo = (((x_min - 5.0) / 10.0).floor() * 10.0).clamp(0.0, x_hi - 10.0);
    (x_lo, x_hi + (x_hi - x_lo) * 0.02)
}

/// What the bands and dashes mean, and the mean training size at each fraction.
fn caption(report: &RunReport, points: &[LearningPoint]) -> Result<Vec<String>, PlotError> {
    let mut sizes: Vec<(f64, f64)> = Vec::new();
    for p in points {
        if !sizes.iter().any(|(f, _)| *f == p.fraction) {
            sizes.push((p.fraction, p.train_size));
        }
    }
    sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let sizes = sizes
        .iter()
        .map(|(f, n)| format!("{}% → {n:.1}", super::fmt_percent(f * 100.0)))
        .collect::<Vec<_>>()
        .join(", ");
    let bands = if report.run.evaluation.bootstrap == 0 {
        "No intervals (bootstrap = 0).".to_string()
    } else {
        format!("Shaded bands: {}.", interval_note(report))
    };
    wrap_text(
        CHART,
        &format!(
            "{bands} Dashed lines: baselines. Mean training items per fold: {}.",
            if sizes.is_empty() { "n/a" } else { &sizes },
        ),
        SMALL,
        WIDTH as i32 - 2 * MARGIN,
    )
}

/// Every series' interval band, then every series' line and markers.
fn draw_series(
    c: &Canvas<'_, '_>,
    series: &[Series<'_>],
    xs: &Scale,
    ys: &Scale,
) -> Result<(), PlotError> {
    // Bands first, so every line stays on top of every band.
    for s in series {
        let bounded: Vec<(f64, f64, f64)> = s
            .points
            .iter()
            .filter_map(|p| Some((p.fraction * 100.0, p.headline.lower?, p.headline.upper?)))
            .collect();
        if bounded.len() >= 2 {
            let mut outline: Vec<(i32, i32)> = bounded
                .iter()
                .map(|(x, _, u)| (xs.px(*x), ys.px(*u)))
                .collect();
            outline.extend(bounded.iter().rev().map(|(x, l, _)| (xs.px(*x), ys.px(*l))));
            c.polygon(outline, s.color, BAND_ALPHA)?;
        } else if let Some((x, l, u)) = bounded.first() {
            let x = xs.px(*x);
            c.line(vec![(x, ys.px(*l)), (x, ys.px(*u))], s.color, 2)?;
        }
    }
    for s in series {
        let path: Vec<(i32, i32)> = s
            .points
            .iter()
            .map(|p| (xs.px(p.fraction * 100.0), ys.px(p.headline.point)))
            .collect();
        if s.baseline {
            c.dashed(&path, s.color, 3, (10.0, 6.0))?;
        } else {
            c.line(path.clone(), s.color, 3)?;
        }
        for p in path {
            c.dot(p, 5, s.color)?;
        }
    }
    Ok(())
}

/// The legend column right of the plot, one entry per line from `plot_top`, then the band swatch.
fn draw_legend(
    c: &Canvas<'_, '_>,
    report: &RunReport,
    legend: &[(Swatch, String)],
    (legend_x, plot_top): (i32, i32),
) -> Result<(), PlotError> {
    let legend_top = plot_top + BODY.line_height() / 2;
    for (i, (swatch, label)) in legend.iter().enumerate() {
        c.legend_item(
            (legend_x, legend_top + BODY.line_height() * i as i32),
            *swatch,
            label,
            BODY,
        )?;
    }
    let band_y = legend_top + BODY.line_height() * legend.len() as i32;
    if report.run.evaluation.bootstrap > 0 {
        c.fill_rect(
            (legend_x, band_y - 8),
            (legend_x + SWATCH_W, band_y + 8),
            blend(palette::GREY, BAND_ALPHA),
        )?;
        c.text(
            "interval",
            (legend_x + SWATCH_W + SWATCH_GAP, band_y),
            BODY,
            palette::TEXT,
            HPos::Left,
            VAlign::Center,
        )?;
    }
    Ok(())
}

/// Groups points into lines by feature set × classifier, in order of first appearance, each sorted by fraction.
fn group<'a>(report: &RunReport, points: &'a [LearningPoint]) -> Vec<Series<'a>> {
    let mut keys: Vec<(Option<&str>, &str)> = Vec::new();
    for p in points {
        let key = (p.feature_set.as_deref(), p.classifier.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let (mut models, mut baselines) = (0, 0);
    keys.into_iter()
        .map(|(features, classifier)| {
            let mut members: Vec<&LearningPoint> = points
                .iter()
                .filter(|p| p.feature_set.as_deref() == features && p.classifier == classifier)
                .collect();
            members.sort_by(|a, b| a.fraction.total_cmp(&b.fraction));
            let baseline = features.is_none()
                || members
                    .iter()
                    .any(|p| report.config(&p.config).is_some_and(|c| c.baseline));
            let (label, color) = if baseline {
                baselines += 1;
                let name = match features {
                    Some(f) => format!("{f} + {classifier} (baseline)"),
                    None => format!("{classifier} (baseline)"),
                };
                (
                    name,
                    BASELINE_COLORS[(baselines - 1) % BASELINE_COLORS.len()],
                )
            } else {
                models += 1;
                let name = match features {
                    Some(f) => format!("{f} + {classifier}"),
                    None => classifier.to_string(),
                };
                (name, palette::categorical(models - 1))
            };
            Series {
                label: truncate_label(&label),
                baseline,
                color,
                points: members,
            }
        })
        .collect()
}

/// `color` at opacity `alpha` over white, as an opaque colour (for legend swatches).
fn blend(color: RGBColor, alpha: f64) -> RGBColor {
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * alpha).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}
