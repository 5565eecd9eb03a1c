//! `lstm-stock predict --model DIR FILE.csv`: forecast the trading days after the file's last
//! date with a saved model, with a prediction interval, as `forecast.csv` and `forecast.png`.

use std::path::PathBuf;

use anyhow::Result;
use chrono::{Datelike, NaiveDate, Weekday};

use crate::data::dataset::{channels, scale_channels};
use crate::data::load_prices;
use crate::device::DeviceChoice;
use crate::forecast::Forecaster;
use crate::model::bundle;
use crate::report::files;

#[derive(Debug, Clone)]
pub struct PredictConfig {
    pub model: PathBuf,
    pub csv: PathBuf,
    pub days: usize,
    pub device: DeviceChoice,
    pub out: PathBuf,
}

/// The next `n` weekdays after `d` (exchange holidays are not known and not skipped).
pub fn next_weekdays(d: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(n);
    let mut day = d;
    while out.len() < n {
        day = day.succ_opt().expect("date in range");
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(day);
        }
    }
    out
}

/// Interval quantiles for step `h` (0-based): as measured on the validation days, and beyond
/// the measured steps the last one widened with the square root of time.
fn interval_at(q: &[(f64, f64)], h: usize) -> (f64, f64) {
    match q.get(h) {
        Some(&v) => v,
        None => {
            let (lo, hi) = *q.last().unwrap_or(&(0.0, 0.0));
            let f = ((h + 1) as f64 / q.len().max(1) as f64).sqrt();
            (lo * f, hi * f)
        }
    }
}

pub fn run(cfg: &PredictConfig) -> Result<()> {
    if cfg.days == 0 {
        crate::bail_input!("--days 0: must be at least 1");
    }
    files::check_out_dir(&cfg.out)?;
    let device = crate::device::resolve(cfg.device)?;
    let (card, _vs, net) = bundle::load(&cfg.model, device)?;
    let series = load_prices(&cfg.csv, &card.load)?;
    let spec = &card.input;
    let need = spec.lookback();
    if series.len() < need {
        crate::bail_input!(
            "{}: {} usable rows, but this model reads the last {} days{}; give a longer file",
            series.source,
            series.len(),
            spec.window,
            if spec.offset() > 0 { " plus one (for the first return)" } else { "" }
        );
    }
    println!("{}", series.summary());
    let raw = channels(&series, spec)?;
    let matrix = scale_channels(&raw, &card.scalers);
    let fc = Forecaster { net: &net, spec, scalers: &card.scalers, device };
    let n = series.len();
    let path = fc.forecast(&matrix, &series.values, &[n], cfg.days).remove(0);
    let last = series.dates[n - 1];
    if files::sha256_file(&cfg.csv)? == card.training.sha256 {
        let k = path.len().min(card.check_forecast.len());
        if path[..k] == card.check_forecast[..k] {
            println!("bundle check: this is the training file, and the forecast reproduces the training-time forecast exactly");
        } else {
            let d = path.iter().zip(&card.check_forecast).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            println!("bundle check: the forecast differs from the training-time forecast by up to {d:.3e} (another device or thread count gives other rounding)");
        }
    }
    let dates = next_weekdays(last, cfg.days);
    let rows: Vec<(NaiveDate, f64, f64, f64)> = dates
        .iter()
        .zip(&path)
        .enumerate()
        .map(|(h, (&d, &f))| {
            let (lo, hi) = interval_at(&card.interval_log_errors, h);
            (d, f, f * lo.exp(), f * hi.exp())
        })
        .collect();

    println!(
        "{} model ({} of \"{}\", window {}) trained on {} .. {}; forecasting {} trading day(s) after {last}",
        card.model.kind.name().to_uppercase(),
        spec.target.name(),
        series.target_col,
        spec.window,
        card.training.first_date,
        card.training.last_date,
        cfg.days
    );
    if cfg.days > 1 {
        println!(
            "multi-day forecast: {}{}",
            fc.method(cfg.days),
            if spec.features.is_empty() || cfg.days <= card.horizon {
                ""
            } else {
                "; extra input features are held at their last value"
            }
        );
    }
    println!(
        "{:<12} {:>12} {:>12} {:>12}",
        "date",
        "forecast",
        format!("lower {:.0}%", card.interval_level * 100.0),
        "upper"
    );
    let mut csv = String::from("date,forecast,lower,upper\n");
    for (d, f, lo, hi) in &rows {
        println!("{d:<12} {f:>12.4} {lo:>12.4} {hi:>12.4}");
        csv += &format!("{d},{f},{lo},{hi}\n");
    }
    println!("naive (tomorrow = today) forecasts {:.4} for every day; weekends are skipped, exchange holidays are not", series.values[n - 1]);
    std::fs::create_dir_all(&cfg.out)?;
    files::write_atomic(&cfg.out.join("forecast.csv"), csv.as_bytes())?;
    let from = n.saturating_sub(120);
    crate::report::plots::forecast_png(
        &cfg.out.join("forecast.png"),
        &format!(
            "{}: {}-day forecast with a {:.0}% interval ({})",
            cfg.csv.file_stem().map_or("data".into(), |s| s.to_string_lossy().into_owned()),
            cfg.days,
            card.interval_level * 100.0,
            card.model.kind.name().to_uppercase()
        ),
        &series.dates[from..],
        &series.values[from..],
        &rows,
    )?;
    println!("wrote forecast.csv, forecast.png to {}", cfg.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_skip_weekends() {
        let fri = NaiveDate::from_ymd_opt(2018, 5, 11).unwrap();
        let d = next_weekdays(fri, 3);
        assert_eq!(
            d,
            vec![
                NaiveDate::from_ymd_opt(2018, 5, 14).unwrap(),
                NaiveDate::from_ymd_opt(2018, 5, 15).unwrap(),
                NaiveDate::from_ymd_opt(2018, 5, 16).unwrap()
            ]
        );
        let sat = NaiveDate::from_ymd_opt(2018, 5, 12).unwrap();
        assert_eq!(next_weekdays(sat, 1), vec![NaiveDate::from_ymd_opt(2018, 5, 14).unwrap()]);
    }

    #[test]
    fn intervals_widen_beyond_measured_steps() {
        let q = [(-0.01, 0.01), (-0.02, 0.02)];
        assert_eq!(interval_at(&q, 1), (-0.02, 0.02));
        let (lo, hi) = interval_at(&q, 7); // step 8 of 2 measured: sqrt(4) = 2x
        assert!((lo + 0.04).abs() < 1e-12 && (hi - 0.04).abs() < 1e-12);
    }
}
