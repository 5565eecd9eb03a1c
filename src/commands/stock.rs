//! `lstm-stock stock FILE.csv`: train on the past, forecast the test period one day ahead,
//! and judge the forecast beside tomorrow = today.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use chrono::NaiveDate;
use serde_json::json;
use tch::{nn, Device};

use crate::config::StockConfig;
use crate::data::window::make_windows;
use crate::data::{load_prices, MinMaxScaler, PriceSeries, Split};
use crate::eval::metrics::up_share;
use crate::eval::{naive_forecast, skill, Metrics};
use crate::model::{ModelConfig, Net};
use crate::report::{files, plots};
use crate::train::{self, History, Samples};

/// The tch crate version this build uses (Cargo.toml pins it to the libtorch in `.venv`).
pub const TCH_VERSION: &str = "0.24";

/// Training tensors and the scaler that produced them.
struct Prepared {
    scaler: MinMaxScaler,
    train: Samples,
    val: Samples,
    test: Samples,
}

impl Prepared {
    /// Scales with a scaler fitted on the training rows only, then windows each part.
    fn new(series: &PriceSeries, split: &Split, window: usize, device: Device) -> Self {
        let scaler = MinMaxScaler::fit(&series.values[..split.train_end]);
        let scaled: Vec<f32> = series
            .values
            .iter()
            .map(|&v| scaler.transform(v) as f32)
            .collect();
        let part = |targets| {
            let (x, y) = make_windows(&scaled, window, targets);
            Samples::new(&x, &y, window, 1, device)
        };
        Prepared {
            scaler,
            train: part(split.train_targets(window)),
            val: part(split.val_targets()),
            test: part(split.test_targets()),
        }
    }
}

/// Forecasts and scores on the test part, in price units.
pub struct Evaluation {
    pub dates: Vec<NaiveDate>,
    pub actual: Vec<f64>,
    pub predicted: Vec<f64>,
    pub naive: Vec<f64>,
    pub model: Metrics,
    pub baseline: Metrics,
    pub skill: Option<f64>,
    pub up_share: f64,
}

impl Evaluation {
    fn new(
        series: &PriceSeries,
        split: &Split,
        scaler: &MinMaxScaler,
        predicted_scaled: &[f32],
    ) -> Self {
        let targets = split.test_targets();
        let actual = series.values[targets.clone()].to_vec();
        let naive = naive_forecast(&series.values, targets.clone());
        let predicted: Vec<f64> = predicted_scaled
            .iter()
            .map(|&p| scaler.inverse(p as f64))
            .collect();
        let model = Metrics::compute(&predicted, &actual, &naive);
        let baseline = Metrics::compute(&naive, &actual, &naive);
        Evaluation {
            dates: series.dates[targets].to_vec(),
            skill: skill(model.rmse, baseline.rmse),
            up_share: up_share(&actual, &naive),
            actual,
            predicted,
            naive,
            model,
            baseline,
        }
    }
}

/// What a finished `stock` run reports back (also written to the output folder).
pub struct StockOutcome {
    pub eval: Evaluation,
    pub history: History,
}

/// Runs the whole job described by `cfg`. Input problems are found before anything is
/// trained or written.
pub fn run(cfg: &StockConfig) -> Result<StockOutcome> {
    let started = Instant::now();
    cfg.validate()?;
    let series = load_prices(&cfg.csv, &cfg.load)?;
    let split = Split::new(
        series.len(),
        cfg.val_frac,
        cfg.test_frac,
        cfg.window,
        &series.source,
    )?;
    files::check_out_dir(&cfg.out)?;
    let device = crate::device::resolve(cfg.device)?;
    if let Some(t) = cfg.threads {
        tch::set_num_threads(t as i32);
    }
    describe(&series, &split);

    let data = Prepared::new(&series, &split, cfg.window, device);
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(device);
    let model_cfg = ModelConfig {
        kind: cfg.model,
        input: 1,
        hidden: cfg.hidden,
        layers: cfg.layers,
        dropout: cfg.dropout,
    };
    let net = Net::new(&vs.root(), model_cfg);
    println!(
        "training {} ({} layers x {} units, {} parameters) on {} for up to {} epochs, {} training windows",
        cfg.model,
        cfg.layers,
        cfg.hidden,
        Net::param_count(&vs),
        crate::device::name(device),
        cfg.train.epochs,
        data.train.len()
    );
    let history = train::fit(
        &net,
        &vs,
        &data.train,
        &data.val,
        &cfg.train,
        cfg.model.name(),
    )?;
    report_training(&history);

    let eval = Evaluation::new(&series, &split, &data.scaler, &net.predict(&data.test.x));
    print_table(cfg, &series, &eval);
    let run_info = RunInfo {
        cfg,
        series: &series,
        split: &split,
        scaler: &data.scaler,
        history: &history,
        device,
        params: Net::param_count(&vs),
    };
    write_outputs(&run_info, &eval, started)?;
    println!(
        "wrote prediction.png, loss.png, predictions.csv, metrics.json, run.json to {}",
        cfg.out.display()
    );
    Ok(StockOutcome { eval, history })
}

fn describe(series: &PriceSeries, split: &Split) {
    let d = &series.dates;
    println!(
        "{}: {} rows, {} .. {}, date column \"{}\", target column \"{}\"{}",
        series.source,
        series.len(),
        d[0],
        d[d.len() - 1],
        series.date_col,
        series.target_col,
        if series.dropped > 0 {
            format!(", {} rows with a missing price dropped", series.dropped)
        } else {
            String::new()
        }
    );
    println!(
        "split by date: train {} rows (to {}), validation {} rows, test {} rows (from {}); scaler fitted on train only",
        split.train_end,
        d[split.train_end - 1],
        split.val_end - split.train_end,
        split.len - split.val_end,
        d[split.val_end]
    );
}

fn report_training(h: &History) {
    let epochs = h.train_loss.len();
    println!(
        "trained {epochs} epochs{} in {:.1} s; kept epoch {} (validation MSE {:.6})",
        if h.stopped_early { " (early stop)" } else { "" },
        h.epoch_seconds.iter().sum::<f64>(),
        h.best_epoch,
        h.val_loss[h.best_epoch - 1]
    );
}

fn pct(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{:.1}%", v * 100.0))
}

fn print_table(cfg: &StockConfig, series: &PriceSeries, e: &Evaluation) {
    println!(
        "\ntest period {} .. {} ({} days), one day ahead, {} in price units:",
        e.dates[0],
        e.dates[e.dates.len() - 1],
        e.dates.len(),
        series.target_col
    );
    println!(
        "{:<26} {:>10} {:>10} {:>8} {:>10}",
        "forecast", "RMSE", "MAE", "MAPE", "direction"
    );
    let row = |name: &str, m: &Metrics| {
        let mape = m.mape.map_or("n/a".into(), |v| format!("{v:.2}%"));
        println!(
            "{name:<26} {:>10.4} {:>10.4} {mape:>8} {:>10}",
            m.rmse,
            m.mae,
            pct(m.directional_accuracy)
        );
    };
    row(cfg.model.name(), &e.model);
    row("naive (tomorrow = today)", &e.baseline);
    match e.skill {
        Some(s) if s > 0.0 => println!(
            "skill vs naive: {s:+.3} (the model's RMSE is {:.1}% below naive)",
            s * 100.0
        ),
        Some(s) => println!(
            "skill vs naive: {s:+.3} (the model does NOT beat tomorrow = today on these days)"
        ),
        None => println!("skill vs naive: n/a (naive is exact on these days)"),
    }
    println!(
        "direction: naive never calls a move; a coin scores about 50%, \"always up\" scores {:.1}% here",
        e.up_share * 100.0
    );
}

/// The facts `run.json` records.
struct RunInfo<'a> {
    cfg: &'a StockConfig,
    series: &'a PriceSeries,
    split: &'a Split,
    scaler: &'a MinMaxScaler,
    history: &'a History,
    device: Device,
    params: i64,
}

fn write_outputs(r: &RunInfo, e: &Evaluation, started: Instant) -> Result<()> {
    let out = &r.cfg.out;
    std::fs::create_dir_all(out).map_err(|err| {
        crate::error::input_error(format!(
            "--out {}: cannot create folder: {err}",
            out.display()
        ))
    })?;
    let d = &r.series.dates;
    let label = format!("{} forecast", r.cfg.model.name().to_uppercase());
    plots::prediction_png(
        &out.join("prediction.png"),
        &plots::PredictionChart {
            title: format!("{} {}", stem(&r.cfg.csv), r.series.target_col),
            y_label: format!("{} (price)", r.series.target_col),
            model_label: label,
            dates: d,
            actual: &r.series.values,
            val_start: d[r.split.train_end],
            test_start: d[r.split.val_end],
            test_dates: &e.dates,
            test_actual: &e.actual,
            test_pred: &e.predicted,
            test_naive: &e.naive,
        },
    )?;
    let h = r.history;
    let title = format!(
        "{} {} training loss",
        stem(&r.cfg.csv),
        r.cfg.model.name().to_uppercase()
    );
    plots::loss_png(
        &out.join("loss.png"),
        &title,
        &h.train_loss,
        &h.val_loss,
        h.best_epoch,
    )?;
    files::write_atomic(&out.join("predictions.csv"), predictions_csv(e).as_bytes())?;
    files::write_json(&out.join("metrics.json"), &metrics_json(r, e))?;
    files::write_json(&out.join("run.json"), &run_json(r, started)?)?;
    Ok(())
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map_or("data".into(), |s| s.to_string_lossy().into_owned())
}

fn predictions_csv(e: &Evaluation) -> String {
    let mut s = String::from("date,actual,predicted,naive\n");
    for i in 0..e.dates.len() {
        s += &format!(
            "{},{:.6},{:.6},{:.6}\n",
            e.dates[i], e.actual[i], e.predicted[i], e.naive[i]
        );
    }
    s
}

fn metrics_json(r: &RunInfo, e: &Evaluation) -> serde_json::Value {
    json!({
        "model": e.model,
        "naive": e.baseline,
        "skill": e.skill,
        "always_up_directional_accuracy": e.up_share,
        "model_name": r.cfg.model,
        "target_column": r.series.target_col,
        "test_days": e.dates.len(),
        "test_start": e.dates[0].to_string(),
        "test_end": e.dates[e.dates.len() - 1].to_string(),
        "units": "price",
    })
}

fn run_json(r: &RunInfo, started: Instant) -> Result<serde_json::Value> {
    let d = &r.series.dates;
    let h = r.history;
    Ok(json!({
        "command": "stock",
        "settings": r.cfg,
        "seed": r.cfg.seed,
        "input": {
            "path": r.cfg.csv,
            "sha256": files::sha256_file(&r.cfg.csv)?,
            "rows": r.series.len(),
            "dropped_rows": r.series.dropped,
            "first_date": d[0].to_string(),
            "last_date": d[d.len() - 1].to_string(),
            "date_column": r.series.date_col,
            "target_column": r.series.target_col,
        },
        "split": {
            "train_rows": r.split.train_end,
            "validation_rows": r.split.val_end - r.split.train_end,
            "test_rows": r.split.len - r.split.val_end,
            "validation_start": d[r.split.train_end].to_string(),
            "test_start": d[r.split.val_end].to_string(),
        },
        "scaler": r.scaler,
        "parameters": r.params,
        "training": {
            "epochs_run": h.train_loss.len(),
            "best_epoch": h.best_epoch,
            "stopped_early": h.stopped_early,
            "epoch_seconds": h.epoch_seconds,
        },
        "versions": {
            "lstm_stock": env!("CARGO_PKG_VERSION"),
            "tch": TCH_VERSION,
            "libtorch": env!("LIBTORCH_VERSION"),
        },
        "device": crate::device::name(r.device),
        "threads": tch::get_num_threads(),
        "wall_seconds": started.elapsed().as_secs_f64(),
    }))
}
