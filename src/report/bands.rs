//! `bands.png`: the test period with the model's prediction band, the days outside it marked.

use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use plotters::prelude::*;

use super::plots::{
    bounds, date_chart, date_corner, draw_legend, legend_line, plot_err, points, render, DateAxes,
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
