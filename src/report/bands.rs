//! `bands.png`: the test period with the model's prediction band, the days outside it marked.

use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use plotters::prelude::*;

use super::plots::{
    bounds, date_chart, date_corner, distinct_swatches, draw_legend, draw_title, legend_line, legend_swatch,
    plot_err, points, render, DateAxes, FONT,
};
use super::plots::{ACTUAL, MODEL};

/// What `bands.png` shows: per test day the actual price, the forecast and its band.
pub struct BandChart<'a> {
    pub title: String,
    pub y_label: &'a str,
    pub dates: &'a [NaiveDate],
    pub actual: &'a [f64],
    pub forecast: &'a [f64],
    /// `(lower, upper)` in price units.
    pub band: &'a [(f64, f64)],
}

pub fn band_png(path: &Path, c: &BandChart) -> Result<()> {
    let finite = |v: &f64| v.is_finite();
    let values: Vec<f64> =
        c.actual.iter().copied().chain(c.band.iter().flat_map(|b| [b.0, b.1])).filter(finite).collect();
    let (lo, hi) = bounds(values.iter());
    render(path, (1400, 600), |root| {
        let axes = DateAxes {
            title: c.title.clone(),
            dates: (c.dates[0], c.dates[c.dates.len() - 1]),
            prices: (lo, hi),
            y_label: c.y_label,
            date_format: "%Y-%m-%d",
            x_labels: 8,
        };
        let mut ch = date_chart(root, &axes)?;
        // an infinite bound (too few errors for the level) is drawn at the chart's edge
        let clamp = |v: f64| v.clamp(lo, hi);
        let poly: Vec<(NaiveDate, f64)> = c
            .dates
            .iter()
            .zip(c.band)
            .map(|(&d, b)| (d, clamp(b.1)))
            .chain(c.dates.iter().zip(c.band).rev().map(|(&d, b)| (d, clamp(b.0))))
            .collect();
        ch.draw_series([Polygon::new(poly, MODEL.mix(0.15).filled())])
            .map_err(plot_err)?
            .label("prediction band")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], MODEL.mix(0.3).filled()));
        ch.draw_series(LineSeries::new(points(c.dates, c.forecast), MODEL.stroke_width(1)))
            .map_err(plot_err)?
            .label("forecast")
            .legend(legend_line(MODEL));
        ch.draw_series(LineSeries::new(points(c.dates, c.actual), ACTUAL.stroke_width(2)))
            .map_err(plot_err)?
            .label("actual")
            .legend(legend_line(ACTUAL));
        let outside = c
            .dates
            .iter()
            .zip(c.actual)
            .zip(c.band)
            .filter(|((_, a), b)| **a < b.0 || **a > b.1)
            .map(|((&d, &a), _)| Circle::new((d, a), 4, BLUE.filled()));
        ch.draw_series(outside)
            .map_err(plot_err)?
            .label("actual outside the band")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, BLUE.filled()));
        let drawn = points(c.dates, c.actual)
            .chain(c.dates.iter().zip(c.band).flat_map(|(&d, b)| [(d, clamp(b.0)), (d, clamp(b.1))]));
        draw_legend(&mut ch, date_corner(&axes, drawn))
    })
}

/// One forecaster's realised coverage of its band at each nominal level.
pub struct Coverage {
    pub label: String,
    pub color: RGBColor,
    /// `(nominal %, realised %, days)` per level.
    pub points: Vec<(f64, f64, usize)>,
}

/// Offset sideways per series (in points of nominal coverage), so that bars do not overlap.
const SPREAD: f64 = 0.6;

/// `reliability.png`: realised against nominal coverage, each level a point with the Wilson
/// 95% interval of its days (a coverage over 189 days is uncertain by about ±4 points at 90%),
/// each series offset a little sideways, and the diagonal where realised = nominal. Points,
/// not lines: the levels are separate questions, not a curve.
pub fn reliability_png(path: &Path, title: &str, series: &[Coverage]) -> Result<()> {
    distinct_swatches(series.iter().map(|s| (s.color, false)))?;
    let bar = |&(_, c, n): &(f64, f64, usize)| {
        let k = (c / 100.0 * n as f64).round() as usize;
        let (lo, hi) = crate::eval::stats::wilson(k, n, 1.96);
        (100.0 * lo, 100.0 * hi)
    };
    let nominal: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let (x0, x1) = nominal.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (x0, x1) = if x0.is_finite() { (x0 - 5.0, x1 + 5.0) } else { (0.0, 100.0) };
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| {
            s.points.iter().flat_map(|p| {
                let (lo, hi) = bar(p);
                [lo, hi]
            })
        })
        .chain([x0, x1])
        .collect();
    let (y0, y1) = bounds(ys.iter());
    let (y0, y1) = (y0.max(0.0), y1.min(100.0));
    render(path, (1100, 700), |root| {
        let top = draw_title(root, title, 22)?;
        let mut ch = ChartBuilder::on(root)
            .margin(12)
            .margin_top(top + 6)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_err)?;
        ch.configure_mesh()
            .x_desc("nominal coverage (%)")
            .y_desc("realised coverage on the test days (%)")
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_err)?;
        ch.draw_series(DashedLineSeries::new([(x0, x0), (x1, x1)], 8, 5, ACTUAL.stroke_width(1)))
            .map_err(plot_err)?
            .label("realised = nominal")
            .legend(legend_swatch(ACTUAL, 1, true));
        let mid = (series.len() as f64 - 1.0) / 2.0;
        for (i, s) in series.iter().enumerate() {
            let dx = (i as f64 - mid) * SPREAD;
            let color = s.color;
            ch.draw_series(s.points.iter().map(|p| {
                let (lo, hi) = bar(p);
                ErrorBar::new_vertical(p.0 + dx, lo, p.1, hi, color.stroke_width(2), 10)
            }))
            .map_err(plot_err)?;
            ch.draw_series(s.points.iter().map(|p| Circle::new((p.0 + dx, p.1), 5, color.filled())))
                .map_err(plot_err)?
                .label(s.label.as_str())
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        }
        draw_legend(&mut ch, SeriesLabelPosition::UpperLeft)
    })
}
