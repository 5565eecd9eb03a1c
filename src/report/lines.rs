//! A plain line chart over a numeric x axis, for the demos.

use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use super::legend::{emptiest_with_count, headroom};
use super::plots::{distinct_swatches, draw_legend, draw_title, plot_err, render, FONT};
use super::ticks::{counting_ticks, whole_label};

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
    distinct_swatches(lines.iter().map(|l| (l.color, false)))?;
    render(path, (1200, 600), |root| lines_on(root, title, axes, lines, marker))
}

/// Two line charts, one above the other (each as [`lines_png`] draws one, without a marker).
pub fn two_panels_png(
    path: &Path,
    top: (&str, (&str, &str), &[Line]),
    bottom: (&str, (&str, &str), &[Line]),
) -> Result<()> {
    distinct_swatches(top.2.iter().map(|l| (l.color, false)))?;
    distinct_swatches(bottom.2.iter().map(|l| (l.color, false)))?;
    render(path, (1200, 900), |root| {
        let (a, b) = root.split_vertically(480);
        lines_on(&a, top.0, top.1, top.2, None)?;
        lines_on(&b, bottom.0, bottom.1, bottom.2, None)
    })
}

fn lines_on(
    root: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    title: &str,
    axes: (&str, &str),
    lines: &[Line],
    marker: Option<(f64, &str)>,
) -> Result<()> {
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let pad = ((y1 - y0) * 0.08).max(1e-9);
    let all_points = || lines.iter().flat_map(|l| l.points.iter().copied());
    let (y0, y1) = (y0 - pad, y1 + pad);
    // no corner free of data (a sine wave): raise the top until the legend's corner is
    let (corner, crowded) = emptiest_with_count(all_points(), (x0, x1), (y0, y1));
    let entries = lines.len() + usize::from(marker.is_some());
    let (corner, y1) = if crowded > 0 {
        let share = (entries as f64 * 20.0 + 24.0) / 440.0;
        (SeriesLabelPosition::UpperLeft, headroom((y0, y1), share.max(1.0 / 3.0)))
    } else {
        (corner, y1)
    };
    {
        let top = draw_title(root, title, 22)?;
        let mut ch = ChartBuilder::on(root)
            .margin(12)
            .margin_top(top + 6)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_err)?;
        let counting = lines.iter().flat_map(|l| &l.points).all(|p| p.0.fract() == 0.0);
        let mut mesh = ch.configure_mesh();
        mesh.x_desc(axes.0).y_desc(axes.1).label_style((FONT, 14));
        if counting {
            // steps, epochs, folds: whole numbers only
            mesh.x_labels(counting_ticks(x0, x1)).x_label_formatter(&|x| whole_label(*x));
        }
        mesh.draw().map_err(plot_err)?;
        for l in lines {
            let color = l.color;
            ch.draw_series(LineSeries::new(l.points.iter().copied(), color.stroke_width(2)))
                .map_err(plot_err)?
                .label(l.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        }
        if let Some((m, label)) = marker {
            ch.draw_series(DashedLineSeries::new([(m, y0), (m, y1)], 8, 5, BLACK.stroke_width(1)))
                .map_err(plot_err)?
                .label(label)
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        }
        draw_legend(&mut ch, corner)
    }
}
