//! Where a chart's legend goes: the corner its series leave emptiest, so that the legend
//! covers as little data as possible (error curves rise to the upper right, prices after a
//! fall leave the upper right empty, a sine wave leaves no corner empty).

use plotters::prelude::SeriesLabelPosition;

/// The corner, a third of each axis wide, that the fewest of `points` fall into; the first of
/// equally empty corners in the order upper left, upper right, lower left, lower right.
pub fn emptiest_corner(
    points: impl IntoIterator<Item = (f64, f64)>,
    x: (f64, f64),
    y: (f64, f64),
) -> SeriesLabelPosition {
    emptiest_with_count(points, x, y).0
}

/// [`emptiest_corner`] and how many points fall into it (0: the legend covers nothing).
pub fn emptiest_with_count(
    points: impl IntoIterator<Item = (f64, f64)>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> (SeriesLabelPosition, usize) {
    let (wx, wy) = ((x1 - x0) / 3.0, (y1 - y0) / 3.0);
    let mut counts = [0usize; 4];
    for (x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        let (left, right) = (x <= x0 + wx, x >= x1 - wx);
        let (top, bottom) = (y >= y1 - wy, y <= y0 + wy);
        for (k, inside) in
            [left && top, right && top, left && bottom, right && bottom].into_iter().enumerate()
        {
            counts[k] += inside as usize;
        }
    }
    let corners = [
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::LowerLeft,
        SeriesLabelPosition::LowerRight,
    ];
    let best = (0..4).min_by_key(|&k| counts[k]).unwrap_or(0);
    (corners.into_iter().nth(best).unwrap_or(SeriesLabelPosition::UpperLeft), counts[best])
}

/// How far to raise the top of a y axis `y0..y1` so that the top `share` of the plot is free of
/// data (every point lies at or below `y1`): a legend there covers nothing.
pub fn headroom((y0, y1): (f64, f64), share: f64) -> f64 {
    let share = share.clamp(0.0, 0.6);
    y1 + (y1 - y0) * share / (1.0 - share)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is(p: &SeriesLabelPosition, want: SeriesLabelPosition) -> bool {
        format!("{p:?}") == format!("{want:?}")
    }

    #[test]
    fn the_legend_goes_where_the_series_are_not() {
        let rising = [(1.0, 2.4), (2.0, 3.6), (5.0, 6.2), (10.0, 8.7)];
        assert!(is(&emptiest_corner(rising, (1.0, 10.0), (2.0, 9.0)), SeriesLabelPosition::UpperLeft));
        let falling = [(1.0, 9.0), (4.0, 6.0), (7.0, 4.0), (10.0, 2.0)];
        assert!(is(&emptiest_corner(falling, (1.0, 10.0), (2.0, 9.0)), SeriesLabelPosition::UpperRight));
    }

    /// The planted fault: a series that runs along the top of the chart, where a fixed
    /// upper-left legend would cover it. The legend must go below.
    #[test]
    fn a_series_along_the_top_pushes_the_legend_down() {
        let top: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 9.0 - (i as f64 / 50.0))).collect();
        let dip: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, if i > 60 { 1.0 } else { 8.5 })).collect();
        let pos = emptiest_corner(top.iter().chain(&dip).copied(), (0.0, 99.0), (0.0, 10.0));
        assert!(is(&pos, SeriesLabelPosition::LowerLeft), "{pos:?}");
        // every corner crowded: the least crowded one still wins, and nothing panics on NaN
        let mut wave: Vec<(f64, f64)> = (0..200).map(|i| (i as f64, (i as f64 / 5.0).sin())).collect();
        wave.push((f64::NAN, 0.0));
        let (_, crowded) = emptiest_with_count(wave.iter().copied(), (0.0, 199.0), (-1.0, 1.0));
        assert!(crowded > 0);
        // raising the top so that a third of the plot is free leaves the upper corners empty
        let top = headroom((-1.0, 1.0), 1.0 / 3.0);
        assert!((top - 2.0).abs() < 1e-12);
        let (pos, n) = emptiest_with_count(wave.iter().copied(), (0.0, 199.0), (-1.0, top));
        assert!(n == 0 && is(&pos, SeriesLabelPosition::UpperLeft), "{pos:?} {n}");
        assert!((headroom((0.0, 3.0), 0.25) - 4.0).abs() < 1e-12);
    }
}
