//! A plain line chart over a numeric x axis, for the demos.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use super::plots::{draw_legend, plot_err, render, FONT};

/// One line: label, points, colour.
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
}

/// Draws `lines`, with an optional dashed vertical marker at `marker` (labelled).
pub fn lines_png(
    path: &Path,
    title: &str,
    axes: (&str, &str),
    lines: &[Line],
    marker: Option<(f64, &str)>,
) -> Result<()> {
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let pad = ((y1 - y0) * 0.08).max(1e-9);
    render(path, (1200, 600), |root| {
        let mut ch = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(plot_err)?;
        ch.configure_mesh().x_desc(axes.0).y_desc(axes.1).label_style((FONT, 14)).draw().map_err(plot_err)?;
        for l in lines {
            let color = l.color;
            ch.draw_series(LineSeries::new(l.points.iter().copied(), color.stroke_width(2)))
                .map_err(plot_err)?
                .label(l.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        }
        if let Some((m, label)) = marker {
            ch.draw_series(DashedLineSeries::new(
                [(m, y0 - pad), (m, y1 + pad)],
                8,
                5,
                BLACK.stroke_width(1),
            ))
            .map_err(plot_err)?
            .label(label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        }
        draw_legend(&mut ch, SeriesLabelPosition::LowerLeft)
    })
}
