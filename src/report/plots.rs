//! PNG charts drawn with plotters.
//!
//! Text uses DejaVu Sans compiled into the binary (the `ab_glyph` backend), so the charts render
//! the same on machines without fontconfig or system fonts.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use chrono::{Datelike, NaiveDate};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::RangedDate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::files::atomic;
use super::legend::emptiest_corner;
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

/// `text` split at spaces into lines that each fit `width` pixels in the charts' font at
/// `size` (a single word wider than that keeps a line of its own), so that no title is cut.
pub(crate) fn wrap(text: &str, size: u32, width: u32) -> Vec<String> {
    ensure_font();
    let font = (FONT, size).into_font();
    let fits = |line: &str| font.box_size(line).map_or(true, |(w, _)| w <= width);
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if fits(&format!("{line} {word}")) => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Line height of a title at `size`.
fn title_line(size: u32) -> u32 {
    size * 5 / 4
}

/// Draws `title` centred at the top of `area`, wrapped to its width (see [`wrap`]), and returns
/// the height it took: a chart on `area` starts that far down (its `margin_top`).
pub(crate) fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    size: u32,
) -> Result<u32> {
    let (width, _) = area.dim_in_pixel();
    let lines = wrap(title, size, width.saturating_sub(24));
    let style = (FONT, size).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top));
    for (k, line) in lines.iter().enumerate() {
        area.draw_text(line, &style, ((width / 2) as i32, (6 + k as u32 * title_line(size)) as i32))
            .map_err(plot_err)?;
    }
    Ok(6 + lines.len() as u32 * title_line(size))
}

/// The height [`draw_title`] takes on an area `width` pixels wide.
pub(crate) fn title_height(title: &str, size: u32, width: u32) -> u32 {
    6 + wrap(title, size, width.saturating_sub(24)).len() as u32 * title_line(size)
}

/// Builds a date chart on `area` and draws its mesh: titled, dates across, prices up.
pub(crate) fn date_chart<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    a: &DateAxes,
) -> Result<DateChart<'a, 'b>> {
    let top = draw_title(area, &a.title, 22)?;
    let mut ch = ChartBuilder::on(area)
        .margin(12)
        .margin_top(top + 6)
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

/// The legend corner of a date chart with axes `a` that covers the fewest of `series`' points.
pub(crate) fn date_corner(
    a: &DateAxes,
    series: impl IntoIterator<Item = (NaiveDate, f64)>,
) -> SeriesLabelPosition {
    let day = |d: NaiveDate| d.num_days_from_ce() as f64;
    emptiest_corner(series.into_iter().map(|(d, v)| (day(d), v)), (day(a.dates.0), day(a.dates.1)), a.prices)
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

/// Two strokes of a legend sample (see [`legend_swatch`]).
pub(crate) type Swatch<DB> =
    plotters::element::ComposedElement<(i32, i32), DB, PathElement<(i32, i32)>, PathElement<(i32, i32)>>;

/// A legend sample drawn as its series is: a dashed series gets a dashed sample (two short
/// strokes), so that two series of one colour, solid and dashed, can be told apart.
pub(crate) fn legend_swatch<DB: DrawingBackend>(
    color: RGBColor,
    width: u32,
    dashed: bool,
) -> impl Fn((i32, i32)) -> Swatch<DB> {
    move |(x, y)| {
        let style = color.stroke_width(width.max(2));
        let (a, b) = if dashed { (8, 12) } else { (10, 10) };
        EmptyElement::at((x, y))
            + PathElement::new(vec![(0, 0), (a, 0)], style)
            + PathElement::new(vec![(b, 0), (20, 0)], style)
    }
}

/// Refuses a chart whose legend would show two series with one swatch (colour and dashing):
/// a reader could not tell them apart. A defect of the caller, reported rather than drawn.
pub(crate) fn distinct_swatches(swatches: impl IntoIterator<Item = (RGBColor, bool)>) -> Result<()> {
    let mut seen: Vec<((u8, u8, u8), bool)> = Vec::new();
    for (c, dashed) in swatches {
        let key = (c.rgb(), dashed);
        if seen.contains(&key) {
            return Err(anyhow!(
                "drawing chart: two series share one legend swatch (colour {:?}, {}): give each its own colour or line style",
                key.0,
                if dashed { "dashed" } else { "solid" }
            ));
        }
        seen.push(key);
    }
    Ok(())
}

/// Colours used for the same meaning in every chart.
pub const ACTUAL: RGBColor = RGBColor(20, 20, 20);
pub const MODEL: RGBColor = RGBColor(214, 39, 40);
pub const NAIVE: RGBColor = RGBColor(120, 120, 120);
/// Naive drawn dashed over the model: darker than [`NAIVE`], to read on top of red.
const NAIVE_DASH: RGBColor = RGBColor(30, 90, 200);
const VAL_SHADE: RGBColor = RGBColor(255, 165, 0);
pub const TEST_SHADE: RGBColor = RGBColor(31, 119, 180);

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

/// How many of the last test days the zoomed panel shows: about six weeks of trading days,
/// few enough that each day's three prices can be told apart.
const ZOOM_DAYS: usize = 30;

/// Four panels: the whole history with the split boundaries shaded; the test period with
/// actual, predicted and naive prices; its last [`ZOOM_DAYS`] days, each day marked; and each
/// day's error of the model and of naive.
pub fn prediction_png(path: &Path, c: &PredictionChart) -> Result<()> {
    render(path, (1400, 1700), |root| {
        let (top, rest) = root.split_vertically(380);
        let (middle, rest) = rest.split_vertically(480);
        let (zoom, bottom) = rest.split_vertically(480);
        history_panel(&top, c)?;
        test_panel(&middle, c, 0, false)?;
        test_panel(&zoom, c, c.test_dates.len().saturating_sub(ZOOM_DAYS), true)?;
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
    let corner = date_corner(&axes, points(c.dates, c.actual).chain(points(c.test_dates, c.test_pred)));
    draw_legend(&mut ch, corner)
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

/// The test period from test day `from` on: actual, the model, and naive dashed on top of it (a
/// model that hugs the price as closely as naive does shows as a dashed line running over it).
/// A zoomed panel marks each day, so one day's three prices can be compared.
fn test_panel(
    area: &DrawingArea<BitMapBackend, Shift>,
    c: &PredictionChart,
    from: usize,
    zoomed: bool,
) -> Result<()> {
    let (dates, actual, pred, naive_f) =
        (&c.test_dates[from..], &c.test_actual[from..], &c.test_pred[from..], &c.test_naive[from..]);
    let (lo, hi) = bounds(actual.iter().chain(pred).chain(naive_f));
    let (first, last) = (dates[0], *dates.last().expect("non-empty test"));
    let title = if !zoomed {
        format!("{} - test period, one day ahead", c.title)
    } else {
        format!("the last {} test days, each day marked", dates.len())
    };
    let axes = DateAxes {
        title,
        dates: (first, last),
        prices: (lo, hi),
        y_label: &c.y_label,
        date_format: "%Y-%m-%d",
        x_labels: 8,
    };
    let mut ch = date_chart(area, &axes)?;
    let (model, naive) = scored_labels(c);
    ch.draw_series(LineSeries::new(points(dates, actual), ACTUAL.stroke_width(2)))
        .map_err(plot_err)?
        .label("actual")
        .legend(legend_line(ACTUAL));
    ch.draw_series(LineSeries::new(points(dates, pred), MODEL.stroke_width(2)))
        .map_err(plot_err)?
        .label(model)
        .legend(legend_line(MODEL));
    ch.draw_series(DashedLineSeries::new(points(dates, naive_f), 6, 4, NAIVE_DASH.stroke_width(2)))
        .map_err(plot_err)?
        .label(naive)
        .legend(legend_line(NAIVE_DASH));
    if zoomed {
        for (values, color) in [(actual, ACTUAL), (pred, MODEL), (naive_f, NAIVE_DASH)] {
            ch.draw_series(points(dates, values).map(|p| Circle::new(p, 3, color.filled())))
                .map_err(plot_err)?;
        }
    }
    let corner =
        date_corner(&axes, points(dates, actual).chain(points(dates, pred)).chain(points(dates, naive_f)));
    draw_legend(&mut ch, corner)
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
    draw_legend(&mut ch, date_corner(&axes, points(c.test_dates, &model).chain(points(c.test_dates, &naive))))
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
    render(path, (1200, 720), |whole| {
        let (root, table) = whole.split_vertically(600);
        forecast_table(&table, forecast)?;
        let root = &root;
        let axes = DateAxes {
            title: title.to_string(),
            dates: (dates[0], end),
            prices: (lo, hi),
            y_label: "price",
            date_format: "%m-%d",
            x_labels: 16,
        };
        let mut ch = date_chart(root, &axes)?;
        // every forecast day marked; the table under the chart gives each one's date and price
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
        let drawn =
            points(dates, prices).chain(forecast.iter().flat_map(|r| [(r.0, r.1), (r.0, r.2), (r.0, r.3)]));
        draw_legend(&mut ch, date_corner(&axes, drawn))
    })
}

/// The forecast days as a table under `forecast.png`: date, forecast and band, one column per
/// day (every k-th day when there are more than 12, so that no label overlaps another).
fn forecast_table(
    area: &DrawingArea<BitMapBackend, Shift>,
    forecast: &[(NaiveDate, f64, f64, f64)],
) -> Result<()> {
    let every = forecast.len().div_ceil(12).max(1);
    let shown: Vec<_> = forecast.iter().step_by(every).collect();
    let (w, _) = area.dim_in_pixel();
    let left = 100;
    let col = (w as i32 - left - 20) / shown.len().max(1) as i32;
    let style = |size: u32, c: &RGBColor| (FONT, size).into_font().color(c);
    for (row, name) in ["day", "forecast", "band"].iter().enumerate() {
        area.draw_text(name, &style(14, &ACTUAL), (12, 18 + 28 * row as i32)).map_err(plot_err)?;
    }
    for (k, r) in shown.iter().enumerate() {
        let x = left + col * k as i32;
        let cells =
            [r.0.format("%a %m-%d").to_string(), format!("{:.2}", r.1), format!("{:.1}-{:.1}", r.2, r.3)];
        for (row, text) in cells.iter().enumerate() {
            let color = if row == 1 { MODEL } else { ACTUAL };
            area.draw_text(text, &style(13, &color), (x, 18 + 28 * row as i32)).map_err(plot_err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title with a long file name wraps into lines that each fit the chart, losing no word;
    /// drawn at full length on one line (what plotters' caption does) it would not fit.
    #[test]
    fn long_titles_wrap_to_the_charts_width() {
        let title = "_nvda-1999-2014_daily_adjusted_prices_from_a_long_export_name, pooled walk-forward test days (dashed: fold starts): cumulative gain in squared error over naive (rises where the model is closer)";
        let font = (FONT, 22).into_font();
        ensure_font();
        assert!(font.box_size(title).unwrap().0 > 1400, "the title must be too long for one line");
        let lines = wrap(title, 22, 1400 - 24);
        assert!(lines.len() >= 2, "{lines:?}");
        for line in &lines {
            assert!(font.box_size(line).unwrap().0 <= 1400 - 24, "{line}");
        }
        assert_eq!(lines.join(" "), title.split_whitespace().collect::<Vec<_>>().join(" "));
        assert_eq!(title_height(title, 22, 1400), 6 + lines.len() as u32 * title_line(22));
        // one word wider than the chart keeps a line of its own rather than vanishing
        assert_eq!(wrap("a verylongwordthatcannotfit b", 22, 60), ["a", "verylongwordthatcannotfit", "b"]);
    }

    /// Two series with one swatch (the compare trading chart's long/flat and long/short once
    /// shared a solid one) are refused; a dashed twin of a solid colour is its own swatch.
    #[test]
    fn a_legend_swatch_shared_by_two_series_is_refused() {
        let red = RGBColor(214, 39, 40);
        assert!(distinct_swatches([(red, false), (red, true), (BLACK, false)]).is_ok());
        let e = distinct_swatches([(red, false), (BLACK, false), (red, false)]).unwrap_err();
        assert!(format!("{e}").contains("share one legend swatch"), "{e}");
        // the chart that draws them refuses too, and writes nothing
        let dir = std::env::temp_dir().join(format!("lstm-stock-swatch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2020, 1, d).unwrap();
        let r = [0.01, -0.02];
        let curve = |label: &str, dashed| super::super::trading::Curve {
            label: label.into(),
            color: red,
            width: 2,
            dashed,
            returns: &r,
        };
        let path = dir.join("t.png");
        let same = [curve("LSTM long/flat", false), curve("LSTM long/short", false)];
        assert!(super::super::trading::trading_png(&path, "t", &[day(1), day(2), day(3)], &same).is_err());
        assert!(!path.exists());
        let told_apart = [curve("LSTM long/flat", false), curve("LSTM long/short", true)];
        super::super::trading::trading_png(&path, "t", &[day(1), day(2), day(3)], &told_apart).unwrap();
        assert!(path.exists());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bounds_pad_and_ignore_non_finite() {
        let (lo, hi) = bounds([1.0, f64::NAN, 3.0].iter());
        assert!((lo - 0.9).abs() < 1e-12 && (hi - 3.1).abs() < 1e-12);
        assert_eq!(bounds([].iter()), (0.0, 1.0));
        let (lo, hi) = bounds([2.0].iter());
        assert!(lo < 2.0 && hi > 2.0);
    }
}
