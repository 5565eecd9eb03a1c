//! `lstm-stock trend`: the tutorial's Keras example in Rust. The sequence 0.0, 0.2, ..., 1.0;
//! each input is one value, its target the next; an LSTM with 5 units and a linear head, Adam,
//! 1000 epochs, batch 5. Then the inputs shifted by one step, where the last target (1.2) lies
//! outside anything seen in training: the tutorial shows 0.4, 0.6, 0.8, 1.0, 1.2.

use anyhow::Result;
use serde::Serialize;
use tch::{nn, Device};

use crate::config::TrendConfig;
use crate::engine::draws::Draws;
use crate::model::{ModelConfig, ModelKind, Net};
use crate::report::files;
use crate::train::{fit_fixed, FixedEpochs, Samples};

/// One training run's predictions.
#[derive(Debug, Clone, Serialize)]
pub struct TrendRun {
    pub seed: u64,
    pub predictions: Vec<f32>,
    pub shifted_predictions: Vec<f32>,
}

const LENGTH: usize = 5;

fn sequence() -> Vec<f32> {
    (0..=LENGTH).map(|i| i as f32 / LENGTH as f32).collect()
}

/// Trains once and predicts the training inputs and the shifted inputs.
pub fn train_once(seed: u64, epochs: usize) -> Result<TrendRun> {
    tch::manual_seed(seed as i64);
    let seq = sequence();
    let (inputs, targets) = (&seq[..LENGTH], &seq[1..]);
    let train = Samples::new(inputs, targets, 1, 1, Device::Cpu);
    let shifted = Samples::new(&seq[1..], &seq[1..], 1, 1, Device::Cpu);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Net::new(
        &vs.root(),
        ModelConfig { kind: ModelKind::Lstm, input: 1, hidden: LENGTH as i64, layers: 1, dropout: 0.0 },
    );
    let plan = FixedEpochs {
        epochs,
        batch: LENGTH,
        lr: 1e-3,
        clip: None,
        read_each_batch: false,
        progress: None,
        optimizer: crate::train::Optimizer::Adam,
        input_dropout: 0.0,
    };
    fit_fixed(&net, &vs, &train, &plan, Draws::from_torch())?;
    Ok(TrendRun { seed, predictions: net.predict(&train.x), shifted_predictions: net.predict(&shifted.x) })
}

fn one_decimal(v: &[f32]) -> String {
    v.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", ")
}

pub fn run(cfg: &TrendConfig) -> Result<()> {
    files::check_out_dir(&cfg.out)?;
    let seq = sequence();
    println!("X {}", one_decimal(&seq[..LENGTH]));
    println!("y {}", one_decimal(&seq[1..]));
    let mut runs = Vec::new();
    for k in 0..cfg.repeat as u64 {
        let r = train_once(cfg.seed.wrapping_add(k), cfg.epochs)?;
        println!("seed {}: predict on X: {}", r.seed, one_decimal(&r.predictions));
        println!(
            "seed {}: predict-1 (inputs {}): {}",
            r.seed,
            one_decimal(&seq[1..]),
            one_decimal(&r.shifted_predictions)
        );
        runs.push(r);
    }
    let hits = runs.iter().filter(|r| format!("{:.1}", r.shifted_predictions[LENGTH - 1]) == "1.2").count();
    let lasts: Vec<String> =
        runs.iter().map(|r| format!("{:.2}", r.shifted_predictions[LENGTH - 1])).collect();
    println!(
        "the extrapolated 1.2 (a value never seen in training) appeared in {hits} of {} runs; last shifted predictions: {}",
        runs.len(),
        lasts.join(", ")
    );
    let _out = files::OutputDir::open(&cfg.out)?;
    let first = &runs[0];
    let json = serde_json::json!({
        "seed": first.seed,
        "epochs": cfg.epochs,
        "inputs": &seq[..LENGTH],
        "targets": &seq[1..],
        "predictions": first.predictions,
        "shifted_inputs": &seq[1..],
        "shifted_predictions": first.shifted_predictions,
        "runs": runs,
        "extrapolated_1_2_in_runs": hits,
    });
    files::write_json(&cfg.out.join("trend.json"), &json)?;
    println!("wrote {}", cfg.out.join("trend.json").display());
    Ok(())
}
