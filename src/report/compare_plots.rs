//! Charts of `compare`: forecasts over the test period, figures with error bars, error per fold,
//! and loss curves.

use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use plotters::prelude::*;

use super::plots::{
    bounds, date_chart, date_corner, draw_legend, draw_title, plot_err, render, title_height, DateAxes,
    ACTUAL, FONT, NAIVE,
};
use crate::eval::compare::{skill_interval, versus_naive_words, Figures, Report};
use crate::eval::metrics::cumulative_sse_gain;

/// The first contenders' colours, in `--models` order (then [`colour`] makes more).
const PALETTE: [RGBColor; 8] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Contender `i`'s colour, distinct from every other contender's however many there are (a
/// model per feature set soon passes a fixed palette): the palette first, then hues spaced by
/// the golden angle at two lightnesses, none of them naive's grey or the price's black.
pub fn colour(i: usize) -> RGBColor {
    if let Some(&c) = PALETTE.get(i) {
        return c;
    }
    let k = i - PALETTE.len();
    let hue = (k as f64 * 137.507_764) % 360.0;
    let light = if k.is_multiple_of(2) { 0.42 } else { 0.62 };
    hsl(hue, 0.75, light)
}

/// An HSL colour (hue in degrees, saturation and lightness in 0..1) as RGB.
fn hsl(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let u = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(u(r), u(g), u(b))
}

/// The contenders' colours, one each.
pub fn colours(n: usize) -> Vec<RGBColor> {
    (0..n).map(colour).collect()
}

/// Days of the test period's end shown in prices under the cumulative gain.
const ZOOM_DAYS: usize = 60;

/// The chart forecasters use for "does it beat naive?": per model, the cumulative difference
/// of squared errors against naive over the pooled test days (seed-averaged forecast), rising
/// where the model gains and falling where it loses, fold starts dashed; under it the last
/// [`ZOOM_DAYS`] days in prices, where the lines can be told apart.
pub fn forecasts_png(path: &Path, title: &str, dates: &[NaiveDate], r: &Report) -> Result<()> {
    let d: Vec<NaiveDate> = r.rows.iter().map(|&t| dates[t]).collect();
    let gains: Vec<Vec<f64>> =
        r.models.iter().map(|m| cumulative_sse_gain(&m.seed_average, &r.naive, &r.actual)).collect();
    render(path, (1400, 900), |root| {
        let (top, bottom) = root.split_vertically(520);
        let (lo, hi) = bounds(gains.iter().flatten().chain([0.0].iter()));
        let axes = DateAxes {
            title: format!(
                "{title}: cumulative gain in squared error over naive (rises where the model is closer)"
            ),
            dates: (d[0], d[d.len() - 1]),
            prices: (lo, hi),
            y_label: "naive's minus the model's squared errors, summed (price squared)",
            date_format: "%Y-%m-%d",
            x_labels: 10,
        };
        let mut ch = date_chart(&top, &axes)?;
        for &start in &r.fold_starts[1..] {
            let x = dates[start];
            ch.draw_series(DashedLineSeries::new([(x, lo), (x, hi)], 6, 4, BLACK.mix(0.5).stroke_width(1)))
                .map_err(plot_err)?;
        }
        ch.draw_series(LineSeries::new([(d[0], 0.0), (d[d.len() - 1], 0.0)], NAIVE.stroke_width(2)))
            .map_err(plot_err)?
            .label("naive (zero by definition)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], NAIVE.stroke_width(3)));
        for ((m, g), c) in r.models.iter().zip(&gains).zip(colours(r.models.len()).iter()) {
            let color = *c;
            ch.draw_series(LineSeries::new(d.iter().copied().zip(g.iter().copied()), color.stroke_width(2)))
                .map_err(plot_err)?
                .label(format!("{} (mean of seeds)", m.label))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        }
        let drawn = gains.iter().flat_map(|g| d.iter().copied().zip(g.iter().copied()));
        draw_legend(&mut ch, date_corner(&axes, drawn.chain([(d[0], 0.0), (d[d.len() - 1], 0.0)])))?;

        let from = d.len().saturating_sub(ZOOM_DAYS);
        let zoom = |v: &[f64]| v[from..].to_vec();
        let (lo, hi) = bounds(
            r.actual[from..]
                .iter()
                .chain(&r.naive[from..])
                .chain(r.models.iter().flat_map(|m| &m.seed_average[from..])),
        );
        let axes = DateAxes {
            title: format!("the last {} test days in prices", d.len() - from),
            dates: (d[from], d[d.len() - 1]),
            prices: (lo, hi),
            y_label: "price",
            date_format: "%Y-%m-%d",
            x_labels: 8,
        };
        let mut ch = date_chart(&bottom, &axes)?;
        let days = &d[from..];
        ch.draw_series(LineSeries::new(days.iter().copied().zip(zoom(&r.actual)), ACTUAL.stroke_width(2)))
            .map_err(plot_err)?
            .label("actual")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], ACTUAL.stroke_width(3)));
        for (m, c) in r.models.iter().zip(colours(r.models.len()).iter()) {
            let color = *c;
            ch.draw_series(LineSeries::new(
                days.iter().copied().zip(zoom(&m.seed_average)),
                color.stroke_width(2),
            ))
            .map_err(plot_err)?
            .label(m.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        }
        ch.draw_series(DashedLineSeries::new(
            days.iter().copied().zip(zoom(&r.naive)),
            6,
            4,
            NAIVE.stroke_width(2),
        ))
        .map_err(plot_err)?
        .label("naive (dashed)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], NAIVE.stroke_width(3)));
        let drawn = std::iter::once(&r.actual)
            .chain(std::iter::once(&r.naive))
            .chain(r.models.iter().map(|m| &m.seed_average))
            .flat_map(|v| days.iter().copied().zip(zoom(v)));
        draw_legend(&mut ch, date_corner(&axes, drawn))
    })
}

/// Captions of [`metrics_png`]'s panels, each with its unit and what its bars are.
const CAPTIONS: [&str; 5] = [
    "RMSE (price) of the seeds' mean squared error, bars 95% CI of the DM test",
    "MAE (price), bars 1 sd over seeds",
    "MAPE (%), bars 1 sd over seeds",
    "direction (%), bars 1 sd over seeds",
    "skill vs naive from the seeds' mean squared error, bars 95% CI of the DM test",
];

/// A model's mark in one panel of [`metrics_png`]: its value and the ends of its bar.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mark {
    pub label: String,
    pub value: f64,
    /// `None` draws no bar (no spread over seeds, or no test).
    pub bar: Option<(f64, f64)>,
    #[serde(skip)]
    pub color: RGBColor,
}

/// What [`metrics_png`] draws, panel by panel (its caption and marks), and the verdict it
/// writes: recorded in compare.json, so that a test can hold the chart to the verdict.
pub fn chart_marks(r: &Report) -> serde_json::Value {
    let panels: Vec<serde_json::Value> = CAPTIONS
        .iter()
        .enumerate()
        .map(|(k, c)| serde_json::json!({"caption": c, "naive": field(&r.baselines.naive, k), "marks": marks(r, k)}))
        .collect();
    serde_json::json!({"verdict": verdict_line(r), "panels": panels})
}

/// Panel `k`'s marks: each figure's mean over seeds with one standard deviation, except RMSE
/// and skill, drawn as the verdict's test sees them (see [`skill_interval`]): a bar of the
/// spread over seeds would lie wholly on one side of naive's line while the test finds no
/// difference.
pub fn marks(r: &Report, k: usize) -> Vec<Mark> {
    let naive_mse = r.baselines.naive.rmse.powi(2);
    r.models
        .iter()
        .zip(colours(r.models.len()))
        .map(|(m, color)| {
            let label = m.label.clone();
            let interval = skill_interval(&m.dm_vs_naive, naive_mse, 0.95);
            match (k, interval) {
                (SKILL, Some(i)) => return Mark { label, value: i.skill, bar: Some((i.lo, i.hi)), color },
                // RMSE = naive's RMSE * (1 - skill), the same interval in price units
                (RMSE, Some(i)) => {
                    let rmse = |skill: f64| naive_mse.sqrt() * (1.0 - skill);
                    return Mark { label, value: rmse(i.skill), bar: Some((rmse(i.hi), rmse(i.lo))), color };
                }
                (SKILL | RMSE, None) => return Mark { label, value: field(&m.mean, k), bar: None, color },
                _ => {}
            }
            let (mean, sd) = (field(&m.mean, k), field(&m.sd, k));
            Mark { label, value: mean, bar: (sd > 0.0).then_some((mean - sd, mean + sd)), color }
        })
        .collect()
}

/// The panels of RMSE and skill in [`metrics_png`].
const RMSE: usize = 0;
const SKILL: usize = 4;

/// The verdict against naive of each model, for the top of [`metrics_png`].
pub fn verdict_line(r: &Report) -> String {
    let parts: Vec<String> =
        r.models.iter().map(|m| format!("{} {}", m.label, versus_naive_words(&m.dm_vs_naive))).collect();
    format!("verdict: {}", parts.join("; "))
}

/// One panel per figure: a mark per model with its bar (see [`marks`]), and naive's value as a
/// dashed line across; the verdict against naive under the title. The axis spans the values
/// (it does not start at zero), so that a gap to naive is visible; direction is in percent.
pub fn metrics_png(path: &Path, title: &str, r: &Report) -> Result<()> {
    let head = format!("{title}. {}", verdict_line(r));
    render(path, (1500, 460), |root| {
        let (top, rest) = root.split_vertically(title_height(&head, 20, 1500) + 6);
        draw_title(&top, &head, 20)?;
        let naive = r.baselines.naive;
        for (k, area) in rest.split_evenly((1, 5)).iter().enumerate() {
            let naive_value = field(&naive, k);
            let marks = marks(r, k);
            let ends = marks
                .iter()
                .flat_map(|m| m.bar.map_or([m.value, m.value], |(a, b)| [a, b]))
                .chain([naive_value])
                .collect::<Vec<_>>();
            let (lo, hi) = bounds(ends.iter());
            let pad = (hi - lo) * 0.15;
            let caption = draw_title(area, CAPTIONS[k], 16)?;
            let mut ch = ChartBuilder::on(area)
                .margin(10)
                .margin_top(caption + 4)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..marks.len() as f64, (lo - pad)..(hi + pad))
                .map_err(plot_err)?;
            let names: Vec<String> = marks.iter().map(|b| b.label.clone()).collect();
            ch.configure_mesh()
                .disable_x_mesh()
                .x_labels(marks.len() * 2 + 1)
                .x_label_formatter(&|x| category_label(&names, *x))
                .label_style((FONT, 12))
                .draw()
                .map_err(plot_err)?;
            let n = marks.len() as f64;
            ch.draw_series(DashedLineSeries::new(
                [(0.0, naive_value), (n, naive_value)],
                8,
                5,
                NAIVE.stroke_width(2),
            ))
            .map_err(plot_err)?
            .label("naive")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], NAIVE.stroke_width(2)));
            for (i, m) in marks.iter().enumerate() {
                let xc = i as f64 + 0.5;
                if let Some((a, b)) = m.bar {
                    ch.draw_series([ErrorBar::new_vertical(xc, a, m.value, b, m.color.filled(), 14)])
                        .map_err(plot_err)?;
                }
                ch.draw_series([Circle::new((xc, m.value), 6, m.color.filled())]).map_err(plot_err)?;
            }
            draw_legend(&mut ch, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}

/// The name of the category whose column `x` marks the middle of (columns `i .. i + 1` hold
/// category `i`); empty elsewhere, so that a categorical axis shows each name once.
pub(crate) fn category_label(names: &[String], x: f64) -> String {
    let i = x.floor() as usize;
    if (x - i as f64 - 0.5).abs() < 0.01 {
        names.get(i).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// Figure `k` in the panels' units (direction in percent).
fn field(f: &Figures, k: usize) -> f64 {
    [f.rmse, f.mae, f.mape, f.directional_accuracy * 100.0, f.skill][k]
}

/// Each fold's RMSE as a mark over the fold's own test dates (one horizontal bar per model and
/// fold, naive's dashed): folds are separate blocks of days, not points on a trend.
pub fn folds_png(path: &Path, title: &str, dates: &[NaiveDate], r: &Report) -> Result<()> {
    let last = dates[*r.rows.last().expect("test days")];
    let spans: Vec<(NaiveDate, NaiveDate)> = (0..r.fold_starts.len())
        .map(|i| {
            let end = r.fold_starts.get(i + 1).map_or(last, |&next| dates[next - 1]);
            (dates[r.fold_starts[i]], end)
        })
        .collect();
    let all = r.models.iter().flat_map(|m| m.fold_rmse.iter()).chain(&r.baselines.naive_fold_rmse);
    let (lo, hi) = bounds(all);
    render(path, (1200, 600), |root| {
        let axes = DateAxes {
            title: title.to_string(),
            dates: (spans[0].0, last),
            prices: (lo, hi),
            y_label: "RMSE in the fold (price)",
            date_format: "%Y-%m-%d",
            x_labels: 8,
        };
        let mut ch = date_chart(root, &axes)?;
        for (m, c) in r.models.iter().zip(colours(r.models.len()).iter()) {
            let color = *c;
            for (k, (&v, &(a, b))) in m.fold_rmse.iter().zip(&spans).enumerate() {
                let s = ch
                    .draw_series(LineSeries::new([(a, v), (b, v)], color.stroke_width(4)))
                    .map_err(plot_err)?;
                if k == 0 {
                    s.label(m.label.clone()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(4))
                    });
                }
            }
        }
        for (k, (&v, &(a, b))) in r.baselines.naive_fold_rmse.iter().zip(&spans).enumerate() {
            let s = ch
                .draw_series(DashedLineSeries::new([(a, v), (b, v)], 8, 5, NAIVE.stroke_width(3)))
                .map_err(plot_err)?;
            if k == 0 {
                s.label("naive (dashed)")
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], NAIVE.stroke_width(3)));
            }
        }
        // each fold's bar, sampled at its ends and middle
        let bars = r.models.iter().map(|m| &m.fold_rmse).chain([&r.baselines.naive_fold_rmse]);
        let drawn = bars
            .flat_map(|v| v.iter().zip(&spans))
            .flat_map(|(&v, &(a, b))| [(a, v), (a + (b - a) / 2, v), (b, v)]);
        draw_legend(&mut ch, date_corner(&axes, drawn))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However many contenders (models times feature sets), each gets its own colour, and none
    /// takes naive's grey or the price's black: the fault was a four-colour palette cycled, which
    /// gave the fifth contender the first one's colour (and compare's trading chart refused it).
    #[test]
    fn every_contender_has_its_own_colour() {
        let c = colours(40);
        for (i, a) in c.iter().enumerate() {
            assert!(*a != NAIVE && *a != ACTUAL, "contender {i}: {a:?}");
            for (j, b) in c.iter().enumerate().skip(i + 1) {
                assert!(a != b, "contenders {i} and {j} share {a:?}");
            }
        }
        assert!(crate::report::plots::distinct_swatches(c.iter().map(|&x| (x, false))).is_ok());
        assert_eq!(hsl(0.0, 1.0, 0.5), RGBColor(255, 0, 0));
        assert_eq!(hsl(240.0, 1.0, 0.5), RGBColor(0, 0, 255));
    }
}
