//! lstm-stock: daily stock price forecasting with LSTM and GRU networks on libtorch.
//!
//! Data flows one way: `data` (load, split, scale, window) -> `model` -> `train` (on the CPU
//! through `engine`) -> `eval` (metrics beside the naive baseline) -> `report` (PNG, JSON, CSV).
//! `config` holds one checked config per command, `commands` wires one subcommand each, and
//! `cli` holds the clap types and their conversion into a `config::Command`. The module map and
//! its rules: docs/architecture.md.

pub mod bundle;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod device;
pub mod engine;
pub mod error;
pub mod eval;
pub mod fleet;
pub mod forecast;
pub mod interrupt;
pub mod limits;
pub mod model;
pub mod panel_fit;
pub mod pipeline;
pub mod profile;
pub mod report;
pub mod space;
pub mod train;
pub mod versions;

/// Helpers for unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::{Mutex, MutexGuard};

    /// libtorch has one global random generator and tests run on parallel threads: every test
    /// that seeds it or draws from it holds this lock, or two tests' draws interleave.
    pub fn torch_rng() -> MutexGuard<'static, ()> {
        static LOCK: Mutex<()> = Mutex::new(());
        LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deterministic standard normal draws (Box-Muller over an LCG) for simulations.
    pub struct Normal(pub u64);

    impl Normal {
        pub fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        pub fn draw(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
    }

    /// The fixed loss tables and `arch`'s results on them (`tests/reference/spa_arch.py`), which
    /// the SPA and model-confidence-set tests check against.
    pub fn arch_reference() -> serde_json::Value {
        serde_json::from_str(include_str!("../tests/reference/spa_arch.json")).expect("the reference JSON")
    }

    /// A JSON array of numbers.
    pub fn series(v: &serde_json::Value) -> Vec<f64> {
        v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
    }

    /// A small, quick `stock` configuration on `csv` writing to `out`, with `plant` in its load
    /// options: one-layer GRU, one libtorch thread, no refit; tests override what they vary.
    pub fn stock_config(
        csv: std::path::PathBuf,
        out: std::path::PathBuf,
        plant: crate::data::Plant,
    ) -> crate::config::StockConfig {
        crate::config::StockConfig {
            csv,
            load: crate::data::LoadOptions { plant, ..Default::default() },
            model: crate::model::ModelKind::Gru,
            target: crate::data::TargetKind::Return,
            features: vec![],
            window: 10,
            hidden: 8,
            layers: 1,
            dropout: 0.0,
            val_frac: 0.15,
            test_frac: 0.15,
            train: crate::train::TrainConfig {
                epochs: 4,
                batch: 32,
                lr: 0.01,
                clip: 1.0,
                patience: 10,
                optimizer: crate::train::Optimizer::Adam,
                input_dropout: 0.0,
            },
            seed: 1,
            device: crate::device::DeviceChoice::Cpu,
            threads: Some(1),
            fleet: true,
            interval: 0.9,
            more_intervals: vec![],
            interval_method: Default::default(),
            interval_gamma: 0.005,
            horizon: 1,
            sanity: false,
            refit: false,
            cost_bps: 5.0,
            trading: true,
            detail: false,
            out,
        }
    }

    /// `n` prices from `start`, each day's move uniform in `±amplitude / 2` (an LCG from
    /// `seed`), with their dates: one calendar day apart from `first`.
    pub fn walk(
        n: usize,
        seed: u64,
        start: f64,
        amplitude: f64,
        first: (i32, u32, u32),
    ) -> Vec<(chrono::NaiveDate, f64)> {
        let day0 = chrono::NaiveDate::from_ymd_opt(first.0, first.1, first.2).expect("a valid date");
        let (mut p, mut x) = (start, seed);
        (0..n as u64)
            .map(|i| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                p *= 1.0 + amplitude * ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                (day0 + chrono::Days::new(i), p)
            })
            .collect()
    }
}
