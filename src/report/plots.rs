//! PNG charts drawn with plotters.
//!
//! Text uses DejaVu Sans compiled into the binary (the `ab_glyph` backend), so the charts render
//! the same on machines without fontconfig or system fonts.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use chrono::NaiveDate;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::RangedDate;
use plotters::prelude::*;

use super::files::atomic;
use crate::eval::metrics::rmse;

pub(crate) const FONT: &str = "sans-serif";
static FONT_ONCE: Once = Once::new();

fn ensure_font() {
    FONT_ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/DejaVuSans.ttf");
        // The font is compiled in and known to be valid; failing here is a build defect.
        plotters::style::register_font(FONT, FontStyle::Normal, bytes)
            .unwrap_or_else(|_| panic!("embedded DejaVuSans.ttf is not a valid font"));
    });
}

/// Draws with `draw` onto a `size` PNG at `path`, atomically.
pub(crate) fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<()> {
    ensure_font();
    atomic(path, |tmp| {
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)
    })
}

/// The legend every chart uses: a framed, slightly transparent box at `pos`.
pub(crate) fn draw_legend<'a, DB, CT>(
    ch: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    ch.configure_series_labels()
        .position(pos)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_err)
}

/// The axes of a price chart over dates, in the project's look.
pub(crate) struct DateAxes<'s> {
    pub title: String,
    pub dates: (NaiveDate, NaiveDate),
    pub prices: (f64, f64),
    pub y_label: &'s str,
    pub date_format: &'static str,
    pub x_labels: usize,
}

pub(crate) type DateChart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedDate<NaiveDate>, RangedCoordf64>>;

/// Builds a date chart on `area` and draws its mesh: titled, dates across, prices up.
pub(crate) fn date_chart<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    a: &DateAxes,
) -> Result<DateChart<'a, 'b>> {
    let mut ch = ChartBuilder::on(area)
        .caption(&a.title, (FONT, 22))
        .margin(12)
        .margin_right(40)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(a.dates.0..a.dates.1, a.prices.0..a.prices.1)
        .map_err(plot_err)?;
    let fmt = a.date_format;
    ch.configure_mesh()
        .y_desc(a.y_label)
        .x_label_formatter(&|d| d.format(fmt).to_string())
        .x_labels(a.x_labels)
        .label_style((FONT, 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err)?;
    Ok(ch)
}

pub(crate) fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing chart: {e:?}")
}

/// Lower and upper bounds of finite values with 5 % padding.
pub(crate) fn bounds<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

pub(crate) fn points<'a>(
    dates: &'a [NaiveDate],
    values: &'a [f64],
) -> impl Iterator<Item = (NaiveDate, f64)> + Clone + 'a {
    dates.iter().copied().zip(values.iter().copied())
}

pub(crate) fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
}

/// Colours used for the same meaning in every chart.
pub const ACTUAL: RGBColor = RGBColor(20, 20, 20);
pub const MODEL: RGBColor = RGBColor(214, 39, 40);
pub const NAIVE: RGBColor = RGBColor(120, 120, 120);
/// Naive drawn dashed over the model: darker than [`NAIVE`], to read on top of red.
const NAIVE_DASH: RGBColor = RGBColor(30, 90, 200);
const VAL_SHADE: RGBColor = RGBColor(255, 165, 0);
const TEST_SHADE: RGBColor = RGBColor(31, 119, 180);

/// Everything `prediction.png` shows.
pub struct PredictionChart<'a> {
    pub title: String,
    pub y_label: String,
    pub model_label: String,
    /// Whole history.
    pub dates: &'a [NaiveDate],
    pub actual: &'a [f64],
    /// First day of the validation part and of the test part.
    pub val_start: NaiveDate,
    pub test_start: NaiveDate,
    /// Test period.
    pub test_dates: &'a [NaiveDate],
    pub test_actual: &'a [f64],
    pub test_pred: &'a [f64],
    pub test_naive: &'a [f64],
}

/// Two panels: the whole history with the split boundaries shaded, and the test period with
/// actual, predicted and naive prices.
pub fn prediction_png(path: &Path, c: &PredictionChart) -> Result<()> {
    render(path, (1400, 1250), |root| {
        let (top, rest) = root.split_vertically(400);
        let (middle, bottom) = rest.split_vertically(520);
        history_panel(&top, c)?;
        test_panel(&middle, c)?;
        error_panel(&bottom, c)
    })
}

fn history_panel(area: &DrawingArea<BitMapBackend, Shift>, c: &PredictionChart) -> Result<()> {
    let (lo, hi) = bounds(c.actual.iter().chain(c.test_pred));
    let (first, last) = (c.dates[0], *c.dates.last().expect("non-empty history"));
    let axes = DateAxes {
        title: format!("{} - full history", c.title),
        dates: (first, last),
        prices: (lo, hi),
        y_label: &c.y_label,
        date_format: "%Y-%m",
        x_labels: 10,
    };
    let mut ch = date_chart(area, &axes)?;
    ch.draw_series([Rectangle::new([(c.val_start, lo), (c.test_start, hi)], VAL_SHADE.mix(0.15).filled())])
        .map_err(plot_err)?
        .label("validation part")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], VAL_SHADE.mix(0.4).filled()));
    ch.draw_series([Rectangle::new([(c.test_start, lo), (last, hi)], TEST_SHADE.mix(0.12).filled())])
        .map_err(plot_err)?
        .label("test part")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], TEST_SHADE.mix(0.4).filled()));
    ch.draw_series(LineSeries::new(points(c.dates, c.actual), ACTUAL.stroke_width(1)))
        .map_err(plot_err)?
        .label("actual")
        .legend(legend_line(ACTUAL));
    ch.draw_series(LineSeries::new(points(c.test_dates, c.test_pred), MODEL.stroke_width(1)))
        .map_err(plot_err)?
        .label(c.model_label.as_str())
        .legend(legend_line(MODEL));
    draw_legend(&mut ch, SeriesLabelPosition::UpperLeft)
}

/// The model's and naive's labels with their RMSE on the test days and the model's skill, so
/// that the legend says at a glance which line is closer.
fn scored_labels(c: &PredictionChart) -> (String, String) {
    let (m, n) = (rmse(c.test_pred, c.test_actual), rmse(c.test_naive, c.test_actual));
    let skill = if n > 0.0 { 1.0 - m / n } else { f64::NAN };
    (
        format!("{} (RMSE {m:.3}, skill {skill:+.3})", c.model_label),
        format!("naive, tomorrow = today (RMSE {n:.3})"),
    )
}

/// The test period: actual, the model, and naive dashed on top of it (a model that hugs the price
/// as closely as naive does shows as a dashed line running over it).
fn test_panel(area: &DrawingArea<BitMapBackend, Shift>, c: &PredictionChart) -> Result<()> {
    let (lo, hi) = bounds(c.test_actual.iter().chain(c.test_pred).chain(c.test_naive));
    let (first, last) = (c.test_dates[0], *c.test_dates.last().expect("non-empty test"));
    let axes = DateAxes {
        title: format!("{} - test period, one day ahead", c.title),
        dates: (first, last),
        prices: (lo, hi),
        y_label: &c.y_label,
        date_format: "%Y-%m-%d",
        x_labels: 8,
    };
    let mut ch = date_chart(area, &axes)?;
    let (model, naive) = scored_labels(c);
    ch.draw_series(LineSeries::new(points(c.test_dates, c.test_actual), ACTUAL.stroke_width(2)))
        .map_err(plot_err)?
        .label("actual")
        .legend(legend_line(ACTUAL));
    ch.draw_series(LineSeries::new(points(c.test_dates, c.test_pred), MODEL.stroke_width(2)))
        .map_err(plot_err)?
        .label(model)
        .legend(legend_line(MODEL));
    ch.draw_series(DashedLineSeries::new(
        points(c.test_dates, c.test_naive),
        6,
        4,
        NAIVE_DASH.stroke_width(2),
    ))
    .map_err(plot_err)?
    .label(naive)
    .legend(legend_line(NAIVE_DASH));
    draw_legend(&mut ch, SeriesLabelPosition::UpperLeft)
}

/// Each test day's error (forecast minus actual) of the model and of naive, around zero.
fn error_panel(area: &DrawingArea<BitMapBackend, Shift>, c: &PredictionChart) -> Result<()> {
    let err = |f: &[f64]| f.iter().zip(c.test_actual).map(|(p, a)| p - a).collect::<Vec<f64>>();
    let (model, naive) = (err(c.test_pred), err(c.test_naive));
    let reach = model.iter().chain(&naive).filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
    let reach = if reach > 0.0 { reach * 1.05 } else { 1.0 };
    let (first, last) = (c.test_dates[0], *c.test_dates.last().expect("non-empty test"));
    let axes = DateAxes {
        title: "error of each day's forecast (forecast - actual)".into(),
        dates: (first, last),
        prices: (-reach, reach),
        y_label: &c.y_label,
        date_format: "%Y-%m-%d",
        x_labels: 8,
    };
    let mut ch = date_chart(area, &axes)?;
    ch.draw_series(LineSeries::new([(first, 0.0), (last, 0.0)], ACTUAL.stroke_width(1))).map_err(plot_err)?;
    ch.draw_series(LineSeries::new(points(c.test_dates, &model), MODEL.stroke_width(1)))
        .map_err(plot_err)?
        .label(c.model_label.as_str())
        .legend(legend_line(MODEL));
    ch.draw_series(DashedLineSeries::new(points(c.test_dates, &naive), 6, 4, NAIVE_DASH.stroke_width(1)))
        .map_err(plot_err)?
        .label("naive")
        .legend(legend_line(NAIVE_DASH));
    draw_legend(&mut ch, SeriesLabelPosition::LowerLeft)
}

/// Training and validation loss per epoch on a log scale, with the kept epoch marked.
pub fn loss_png(path: &Path, title: &str, train: &[f64], val: &[f64], best_epoch: usize) -> Result<()> {
    render(path, (1000, 600), |root| {
        let positive = || train.iter().chain(val).copied().filter(|v| v.is_finite() && *v > 0.0);
        let lo = positive().fold(f64::INFINITY, f64::min);
        let hi = positive().fold(0.0, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo * 0.8, (hi * 1.25).max(lo * 2.0)) } else { (1e-6, 1.0) };
        let n = train.len().max(2) as f64;
        let mut ch = ChartBuilder::on(root)
            .caption(title, (FONT, 24))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(1.0..n, (lo..hi).log_scale())
            .map_err(plot_err)?;
        ch.configure_mesh()
            .x_desc("epoch")
            .y_desc("MSE (scaled target, log scale)")
            .label_style((FONT, 15))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.1e}"))
            .draw()
            .map_err(plot_err)?;
        let epochs = |v: &[f64]| v.iter().enumerate().map(|(i, &l)| ((i + 1) as f64, l)).collect::<Vec<_>>();
        ch.draw_series(LineSeries::new(epochs(train), MODEL.stroke_width(2)))
            .map_err(plot_err)?
            .label("train")
            .legend(legend_line(MODEL));
        ch.draw_series(LineSeries::new(epochs(val), TEST_SHADE.stroke_width(2)))
            .map_err(plot_err)?
            .label("validation")
            .legend(legend_line(TEST_SHADE));
        let b = best_epoch as f64;
        ch.draw_series(DashedLineSeries::new([(b, lo * 1.01), (b, hi / 1.01)], 8, 5, ACTUAL.stroke_width(2)))
            .map_err(plot_err)?
            .label(format!("kept weights (epoch {best_epoch})"))
            .legend(legend_line(ACTUAL));
        draw_legend(&mut ch, SeriesLabelPosition::UpperRight)
    })
}

/// Recent history, the forecast with its interval band, and naive's flat line.
pub fn forecast_png(
    path: &Path,
    title: &str,
    dates: &[NaiveDate],
    prices: &[f64],
    forecast: &[(NaiveDate, f64, f64, f64)],
) -> Result<()> {
    let last = (dates[dates.len() - 1], prices[prices.len() - 1]);
    let values = prices.iter().chain(forecast.iter().flat_map(|r| [&r.2, &r.3]));
    let (lo, hi) = bounds(values);
    let end = forecast.last().map_or(last.0, |r| r.0);
    render(path, (1200, 600), |root| {
        let axes = DateAxes {
            title: title.to_string(),
            dates: (dates[0], end),
            prices: (lo, hi),
            y_label: "price",
            date_format: "%m-%d",
            x_labels: 16,
        };
        let mut ch = date_chart(root, &axes)?;
        // every forecast day marked, so its date can be read off the axis
        ch.draw_series(forecast.iter().map(|r| Circle::new((r.0, r.1), 4, MODEL.filled())))
            .map_err(plot_err)?;
        let band: Vec<(NaiveDate, f64)> = std::iter::once(last)
            .chain(forecast.iter().map(|r| (r.0, r.3)))
            .chain(forecast.iter().rev().map(|r| (r.0, r.2)))
            .chain(std::iter::once(last))
            .collect();
        ch.draw_series([Polygon::new(band, MODEL.mix(0.15).filled())])
            .map_err(plot_err)?
            .label("prediction interval")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], MODEL.mix(0.3).filled()));
        ch.draw_series(LineSeries::new(points(dates, prices), ACTUAL.stroke_width(2)))
            .map_err(plot_err)?
            .label("history")
            .legend(legend_line(ACTUAL));
        let f: Vec<(NaiveDate, f64)> =
            std::iter::once(last).chain(forecast.iter().map(|r| (r.0, r.1))).collect();
        ch.draw_series(LineSeries::new(f, MODEL.stroke_width(2)))
            .map_err(plot_err)?
            .label("forecast")
            .legend(legend_line(MODEL));
        ch.draw_series(DashedLineSeries::new([last, (end, last.1)], 8, 5, NAIVE.stroke_width(2)))
            .map_err(plot_err)?
            .label("naive (last price)")
            .legend(legend_line(NAIVE));
        draw_legend(&mut ch, SeriesLabelPosition::UpperLeft)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_pad_and_ignore_non_finite() {
        let (lo, hi) = bounds([1.0, f64::NAN, 3.0].iter());
        assert!((lo - 0.9).abs() < 1e-12 && (hi - 3.1).abs() < 1e-12);
        assert_eq!(bounds([].iter()), (0.0, 1.0));
        let (lo, hi) = bounds([2.0].iter());
        assert!(lo < 2.0 && hi > 2.0);
    }
}
