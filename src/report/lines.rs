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
    render(path, (1200, 600), |root| lines_on(root, title, axes, lines, marker))
}

/// Two line charts, one above the other (each as [`lines_png`] draws one, without a marker).
pub fn two_panels_png(
    path: &Path,
    top: (&str, (&str, &str), &[Line]),
    bottom: (&str, (&str, &str), &[Line]),
) -> Result<()> {
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
    {
        let mut ch = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
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
        draw_legend(&mut ch, emptiest_corner(lines, (x0, x1), (y0 - pad, y1 + pad)))
    }
}

/// How many ticks a counting axis from `x0` to `x1` asks for: one per whole number up to 12.
pub fn counting_ticks(x0: f64, x1: f64) -> usize {
    ((x1 - x0).round().max(0.0) as usize + 1).min(12)
}

/// A counting axis's tick label: the whole number, or nothing for a tick between two.
pub fn whole_label(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{:.0}", x.round() + 0.0)
    } else {
        String::new()
    }
}

/// The corner of the plot that the fewest points fall into (a third of each axis), so the
/// legend covers as little of the lines as possible (error curves rise to the upper right, a
/// sine wave leaves no corner empty).
fn emptiest_corner(lines: &[Line], (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> SeriesLabelPosition {
    let (wx, wy) = ((x1 - x0) / 3.0, (y1 - y0) / 3.0);
    let count = |left: bool, top: bool| {
        let in_x = |x: f64| if left { x <= x0 + wx } else { x >= x1 - wx };
        let in_y = |y: f64| if top { y >= y1 - wy } else { y <= y0 + wy };
        lines.iter().flat_map(|l| &l.points).filter(|p| in_x(p.0) && in_y(p.1)).count()
    };
    let corners = [
        (SeriesLabelPosition::UpperLeft, count(true, true)),
        (SeriesLabelPosition::UpperRight, count(false, true)),
        (SeriesLabelPosition::LowerLeft, count(true, false)),
        (SeriesLabelPosition::LowerRight, count(false, false)),
    ];
    // the first of equally empty corners, in the order above
    corners.into_iter().min_by_key(|c| c.1).map(|c| c.0).unwrap_or(SeriesLabelPosition::UpperLeft)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: &[(f64, f64)]) -> Line {
        Line { label: String::new(), points: points.to_vec(), color: BLACK }
    }

    #[test]
    fn the_legend_goes_where_the_lines_are_not() {
        let rising = [line(&[(1.0, 2.4), (2.0, 3.6), (5.0, 6.2), (10.0, 8.7)])];
        assert!(matches!(emptiest_corner(&rising, (1.0, 10.0), (2.0, 9.0)), SeriesLabelPosition::UpperLeft));
        let falling = [line(&[(1.0, 9.0), (4.0, 6.0), (7.0, 4.0), (10.0, 2.0)])];
        assert!(matches!(
            emptiest_corner(&falling, (1.0, 10.0), (2.0, 9.0)),
            SeriesLabelPosition::UpperRight
        ));
    }
}

#[cfg(test)]
mod counting_tests {
    use super::*;

    #[test]
    fn counting_axes_get_whole_ticks() {
        assert_eq!(counting_ticks(1.0, 10.0), 10);
        assert_eq!(counting_ticks(1.0, 100.0), 12);
        assert_eq!(counting_ticks(3.0, 3.0), 1);
        assert_eq!(whole_label(5.0), "5");
        assert_eq!(whole_label(2.5), "");
        assert_eq!(whole_label(-0.0), "0");
    }
}
