//! `lstm-stock sine`: the tutorial's sine simulation. An LSTM learns `sin(2*pi*t/period)` from
//! windows of past values, then predicts the continuation two ways: one step ahead from the true
//! values, and free-running from its own predictions, where errors compound.

use anyhow::Result;
use serde_json::json;
use tch::{nn, Device, Tensor};

use crate::config::SineConfig;
use crate::data::window::make_windows;
use crate::engine::draws::Draws;
use crate::model::{ModelConfig, ModelKind, Net};
use crate::report::files;
use crate::report::lines::{lines_png, Line};
use crate::report::plots::{ACTUAL, MODEL};
use crate::train::{fit_fixed, FixedEpochs, Samples};

fn rmse(a: &[f32], b: &[f32]) -> f64 {
    let wide = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
    crate::eval::metrics::rmse(&wide(a), &wide(b))
}

pub fn run(cfg: &SineConfig) -> Result<()> {
    files::check_out_dir(&cfg.out)?;
    tch::manual_seed(cfg.seed as i64);
    let (train_len, horizon) = (SineConfig::TRAIN_PERIODS * cfg.period, cfg.periods * cfg.period);
    let n = train_len + horizon;
    let s: Vec<f32> =
        (0..n).map(|t| (2.0 * std::f32::consts::PI * t as f32 / cfg.period as f32).sin()).collect();
    let (x, y) = make_windows(&s, cfg.window, cfg.window..train_len);
    let train = Samples::new(&x, &y, cfg.window, 1, Device::Cpu);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Net::new(
        &vs.root(),
        ModelConfig { kind: ModelKind::Lstm, input: 1, hidden: 32, layers: 1, dropout: 0.0 },
    );
    let plan = FixedEpochs {
        epochs: cfg.epochs,
        batch: 32,
        lr: 5e-3,
        clip: Some(1.0),
        read_each_batch: false,
        progress: None,
        optimizer: crate::train::Optimizer::Adam,
        input_dropout: 0.0,
    };
    let loss = fit_fixed(&net, &vs, &train, &plan, Draws::from_torch())?.last_loss;
    println!(
        "trained an LSTM (32 units) on {} steps of a sine with period {}: final train MSE {loss:.2e}",
        train_len, cfg.period
    );

    // one step ahead: every window holds true values
    let (tx, truth) = make_windows(&s, cfg.window, train_len..n);
    let one_step = net.predict(&Samples::new(&tx, &truth, cfg.window, 1, Device::Cpu).x);
    // free-running: each prediction becomes the newest input of the next window
    let mut history: Vec<f32> = s[train_len - cfg.window..train_len].to_vec();
    let mut free = Vec::with_capacity(horizon);
    for _ in 0..horizon {
        let w = Tensor::from_slice(&history[history.len() - cfg.window..]).view([1, cfg.window as i64, 1]);
        let p = net.predict(&w)[0];
        free.push(p);
        history.push(p);
    }
    let (r1, rf) = (rmse(&one_step, &truth), rmse(&free, &truth));
    println!("forecast of the next {} periods ({horizon} steps):", cfg.periods);
    println!("  one step ahead from true values:   RMSE {r1:.4}");
    println!("  free-running from own predictions: RMSE {rf:.4}");

    let _out = files::OutputDir::open(&cfg.out)?;
    let from = train_len - 2 * cfg.period;
    let pts = |v: &[f32], start: usize| {
        v.iter().enumerate().map(|(i, &y)| ((start + i) as f64, y as f64)).collect()
    };
    lines_png(
        &cfg.out.join("sine.png"),
        &format!("LSTM on a sine wave: one step ahead (RMSE {r1:.4}) vs free-running (RMSE {rf:.4})"),
        ("step", "value"),
        &[
            Line { label: "true sine".into(), points: pts(&s[from..], from), color: ACTUAL },
            Line {
                label: "one step ahead (true inputs)".into(),
                points: pts(&one_step, train_len),
                color: MODEL,
            },
            Line {
                label: "free-running (own predictions as inputs)".into(),
                points: pts(&free, train_len),
                color: RGBColor(31, 119, 180),
            },
        ],
        Some((train_len as f64, "end of training data")),
    )?;
    let report = json!({
        "seed": cfg.seed, "epochs": cfg.epochs, "window": cfg.window, "period": cfg.period,
        "train_steps": train_len, "forecast_steps": horizon,
        "rmse_one_step": r1, "rmse_free_running": rf, "final_train_mse": loss,
    });
    files::write_json(&cfg.out.join("sine.json"), &report)?;
    println!("wrote sine.png, sine.json to {}", cfg.out.display());
    Ok(())
}

use plotters::style::RGBColor;
