//! lstm-stock: daily stock price forecasting with LSTM and GRU networks on libtorch.
//!
//! Data flows one way: `data` (load, split, scale, window) -> `model` -> `train` -> `eval`
//! (metrics beside the naive baseline) -> `report` (PNG, JSON, CSV). `commands` wires one
//! subcommand each; `cli` holds the clap types and nothing else.

pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod eval;
pub mod forecast;
pub mod interrupt;
pub mod model;
pub mod pipeline;
pub mod profile;
pub mod report;
pub mod train;

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
}
