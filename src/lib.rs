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
pub mod forecast;
pub mod interrupt;
pub mod model;
pub mod pipeline;
pub mod profile;
pub mod report;
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
