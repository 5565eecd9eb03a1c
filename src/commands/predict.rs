//! `lstm-stock predict --model DIR FILE.csv`: forecast the trading days after the file's last
//! date with a saved model, with a prediction interval, as `forecast.csv` and `forecast.png`.

use anyhow::Result;
use chrono::{Datelike, NaiveDate, Weekday};

use crate::bundle::{self, ModelCard};
use crate::config::PredictConfig;
use crate::data::dataset::{channels, scale_channels};
use crate::data::{load_prices, PriceSeries};
use crate::eval::bands::{realised_vol, LevelQuantiles};
use crate::forecast::Forecaster;
use crate::report::files;

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

/// Band quantiles for step `h` (0-based): as sized at training time, and beyond the sized
/// steps the last one widened with the square root of time.
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

/// The bands of `levels` (the card's first level when empty) that `card` keeps.
fn pick_levels<'c>(card: &'c ModelCard, levels: &[f64]) -> Result<Vec<&'c LevelQuantiles>> {
    let wanted = if levels.is_empty() { vec![card.interval_level] } else { levels.to_vec() };
    wanted
        .iter()
        .map(|&l| {
            card.intervals.iter().find(|q| (q.level - l).abs() < 1e-9).ok_or_else(|| {
                let kept: Vec<String> = card.intervals.iter().map(|q| level_name(q.level)).collect();
                crate::error::input_error(format!(
                    "--interval {l}: this model keeps bands at {}%; choose among them, or train with stock --interval {l}",
                    kept.join("%, ")
                ))
            })
        })
        .collect()
}

/// `0.9` -> `90`, `0.975` -> `97.5`.
fn level_name(l: f64) -> String {
    let p = (l * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    }
}

/// What the forecast is: the model, what it was trained on, how days beyond its head are
/// reached, and how the bands are sized.
fn describe(card: &ModelCard, series: &PriceSeries, fc: &Forecaster, days: usize, scale: f64) -> String {
    let spec = &card.input;
    let mut out = String::new();
    out += &format!(
        "{} model ({} of \"{}\", window {}) from {}: {}\nforecasting {} trading day(s) after {}",
        card.model.kind.name().to_uppercase(),
        spec.target.name(),
        series.target_col,
        spec.window,
        card.training.path,
        card.training.weights_text(),
        days,
        series.dates[series.len() - 1]
    );
    out.push('\n');
    if days > 1 {
        out += &format!(
            "multi-day forecast: {}{}",
            fc.method(days),
            if spec.features.is_empty() || days <= card.horizon {
                ""
            } else {
                "; extra input features are held at their last value"
            }
        );
        out.push('\n');
    }
    out += &format!(
        "bands: {} (as they stood after {}){}; {}{}",
        card.interval_method,
        card.training.last_date,
        if scale == 1.0 {
            String::new()
        } else {
            format!(
                ", scaled by this file's last {} days' volatility ({:.4} per day)",
                card.interval_vol_days.unwrap_or(0),
                scale
            )
        },
        card.training.bands_text(),
        match &card.band_check {
            Some(c) if c.gaps().is_empty() =>
                "; checked one period back, they carried over to a refit within 3 points",
            _ => "",
        }
    );
    out.push('\n');
    out
}

/// What `predict` on the training file says about the bundle: the forecast made when it was
/// saved is reproduced exactly, or by how much it differs.
fn bundle_check(card: &ModelCard, path: &[f64]) -> String {
    let k = path.len().min(card.check_forecast.len());
    if path[..k] == card.check_forecast[..k] {
        "bundle check: this is the training file, and the forecast reproduces the training-time forecast exactly".into()
    } else {
        let d = path.iter().zip(&card.check_forecast).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        format!("bundle check: the forecast differs from the training-time forecast by up to {d:.3e} (another device or thread count gives other rounding)")
    }
}

/// The factor that turns the card's quantiles into log bands for a forecast made after the
/// last row of `prices`: the realised volatility when the bands were scaled by it, else 1.
fn band_scale(card: &ModelCard, prices: &[f64], source: &str) -> Result<f64> {
    let Some(days) = card.interval_vol_days else { return Ok(1.0) };
    let vol = realised_vol(prices, prices.len(), days);
    if !vol.is_finite() {
        crate::bail_input!(
            "{source}: the bands of this model scale with the last {days} days' volatility, which needs at least 3 prices; give a longer file"
        );
    }
    Ok(vol)
}

pub fn run(cfg: &PredictConfig) -> Result<()> {
    files::check_out_dir(&cfg.out)?;
    let device = crate::device::resolve(cfg.device)?;
    let (card, _vs, net) = bundle::load(&cfg.model, device)?;
    let picked = pick_levels(&card, &cfg.levels)?;
    let mut load = card.load.clone();
    if load.ticker.is_some() && !crate::data::load::has_ticker_column(&cfg.csv, &load)? {
        // trained on one ticker of a long-format file; this file holds one series: that one
        load.ticker = None;
        load.id_col = None;
    }
    let series = load_prices(&cfg.csv, &load)?;
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
    // what is printed is kept for report.html
    let mut text = format!("{}\n", series.summary());
    print!("{text}");
    let raw = channels(&series, spec)?;
    let matrix = scale_channels(&raw, &card.scalers);
    let fc = Forecaster { net: &net, spec, scalers: &card.scalers, device };
    let n = series.len();
    let path = fc.forecast(&matrix, &series.values, &[n], cfg.days).remove(0);
    let last = series.dates[n - 1];
    if files::sha256_file(&cfg.csv)? == card.training.sha256 {
        let check = format!("{}\n", bundle_check(&card, &path));
        print!("{check}");
        text += &check;
    }
    let dates = next_weekdays(last, cfg.days);
    let scale = band_scale(&card, &series.values, &series.source)?;
    // per level, per day: (lower, upper) in price units
    let bands: Vec<Vec<(f64, f64)>> = picked
        .iter()
        .map(|q| {
            path.iter()
                .enumerate()
                .map(|(h, &f)| {
                    let (lo, hi) = interval_at(&q.quantiles, h);
                    (f * (lo * scale).exp(), f * (hi * scale).exp())
                })
                .collect()
        })
        .collect();
    let rows: Vec<(NaiveDate, f64, f64, f64)> =
        dates.iter().zip(&path).zip(&bands[0]).map(|((&d, &f), &(lo, hi))| (d, f, lo, hi)).collect();

    let names: Vec<String> = picked.iter().map(|q| level_name(q.level)).collect();
    let (table, csv) = crate::report::forecast_table::tables(&dates, &path, &bands, &names);
    let rest = format!(
        "{}{table}naive (tomorrow = today) forecasts {:.4} for every day; weekends are skipped, exchange holidays are not\n",
        describe(&card, &series, &fc, cfg.days, scale),
        series.values[n - 1]
    );
    print!("{rest}");
    text += &rest;
    if let Some(evidence) = &card.evidence {
        let model = card.model.kind.name().to_uppercase();
        let mut lines = vec![evidence.sentence(&model)];
        if card.training.refit {
            lines.extend(evidence.cautions(series.values[n - 1], &path));
        }
        let said = lines.join("\n") + "\n";
        print!("{said}");
        text += &said;
    }
    if let Some(check) = card.band_check.as_ref().filter(|c| !c.gaps().is_empty()) {
        let note = format!("caution: {}\n", check.sentence());
        print!("{note}");
        text += &note;
    }
    let drift = crate::eval::diagnostics::Drift::of(&series.values, &path);
    if let Some(d) = &drift {
        let note = format!("{}\n", d.sentence());
        print!("{note}");
        text += &note;
    }
    let _out = files::OutputDir::open(&cfg.out)?;
    files::write_atomic(&cfg.out.join("forecast.csv"), csv.as_bytes())?;
    // history three times as long as the forecast (20 to 60 days), so the forecast is a quarter
    // of the chart rather than a sliver
    let from = n.saturating_sub((3 * cfg.days).clamp(20, 60));
    crate::report::plots::forecast_png(
        &cfg.out.join("forecast.png"),
        &format!(
            "{}: {}-day forecast with a {}% band ({}){}",
            crate::config::file_stem(&cfg.csv),
            cfg.days,
            names[0],
            card.model.kind.name().to_uppercase(),
            match drift {
                Some(d) if d.only_drift() => " - only the average daily move, within noise",
                Some(_) => " - moves beyond the average daily move",
                None => "",
            }
        ),
        &series.dates[from..],
        &series.values[from..],
        &rows,
    )?;
    let wrote = format!("wrote forecast.csv, forecast.png, report.html to {}", cfg.out.display());
    println!("{wrote}");
    let page = crate::report::html::Page {
        title: format!(
            "{}: {}-day forecast ({})",
            crate::config::file_stem(&cfg.csv),
            cfg.days,
            card.model.kind.name().to_uppercase()
        ),
        text: text + &wrote,
        markdown: None,
        charts: vec![(format!("the forecast with its {}% band", names[0]), cfg.out.join("forecast.png"))],
        settings: serde_json::json!({ "predict": { "model": cfg.model, "file": cfg.csv, "days": cfg.days }, "model": card }),
    };
    crate::report::html::write(&cfg.out, &page)?;
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
    fn level_names() {
        assert_eq!(level_name(0.9), "90");
        assert_eq!(level_name(0.975), "97.5");
    }

    #[test]
    fn intervals_widen_beyond_measured_steps() {
        let q = [(-0.01, 0.01), (-0.02, 0.02)];
        assert_eq!(interval_at(&q, 1), (-0.02, 0.02));
        let (lo, hi) = interval_at(&q, 7); // step 8 of 2 measured: sqrt(4) = 2x
        assert!((lo + 0.04).abs() < 1e-12 && (hi - 0.04).abs() < 1e-12);
    }
}
