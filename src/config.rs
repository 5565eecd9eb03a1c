//! Validated settings of `stock` (which `inspect` and `compare` reuse; the other commands keep
//! theirs beside them). The CLI builds these once; everything downstream
//! trusts them. They are saved beside the results (`run.json`) so every run says how to
//! reproduce it.

use std::path::PathBuf;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::bail_input;
use crate::data::{Feature, InputSpec, LoadOptions, TargetKind};
use crate::device::DeviceChoice;
use crate::eval::bands::Method;
use crate::model::ModelKind;
use crate::train::TrainConfig;

/// Settings of `lstm-stock stock`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockConfig {
    pub csv: PathBuf,
    pub load: LoadOptions,
    pub model: ModelKind,
    /// What the network learns (forecasts are always turned back into prices).
    pub target: TargetKind,
    /// Extra input channels beside the target series.
    pub features: Vec<Feature>,
    pub window: usize,
    pub hidden: i64,
    pub layers: i64,
    pub dropout: f64,
    pub val_frac: f64,
    pub test_frac: f64,
    pub train: TrainConfig,
    pub seed: u64,
    pub device: DeviceChoice,
    /// libtorch intra-op threads; `None` keeps libtorch's default (one per core).
    pub threads: Option<usize>,
    /// Level of the prediction band (e.g. 0.9): the one charted, and kept first for `predict`.
    pub interval: f64,
    /// More levels to report and keep for `predict` (`--interval 0.9,0.8,0.95`).
    #[serde(default)]
    pub more_intervals: Vec<f64>,
    /// How the model's band is sized.
    #[serde(default)]
    pub interval_method: Method,
    /// Step size of the adaptive methods' level.
    #[serde(default = "aci_gamma")]
    pub interval_gamma: f64,
    /// Days one forward pass forecasts (1: one step, longer forecasts are recursive).
    #[serde(default = "one_day")]
    pub horizon: usize,
    /// Run the future-perturbation leakage check after training.
    #[serde(default)]
    pub sanity: bool,
    pub out: PathBuf,
}

fn one_day() -> usize {
    1
}

fn aci_gamma() -> f64 {
    crate::eval::bands::ACI_GAMMA
}

impl StockConfig {
    pub fn input_spec(&self) -> InputSpec {
        InputSpec { target: self.target, features: self.features.clone(), window: self.window }
    }

    /// Every level asked for, the first one first.
    pub fn levels(&self) -> Vec<f64> {
        std::iter::once(self.interval).chain(self.more_intervals.iter().copied()).collect()
    }

    /// Cross-flag checks, each naming its flag.
    pub fn validate(&self) -> Result<()> {
        let t = &self.train;
        if self.window == 0 {
            bail_input!("--window 0: must be at least 1 day");
        }
        if self.hidden < 1 {
            bail_input!("--hidden {}: must be at least 1", self.hidden);
        }
        if self.layers < 1 {
            bail_input!("--layers {}: must be at least 1", self.layers);
        }
        if !(0.0..1.0).contains(&self.dropout) {
            bail_input!("--dropout {}: must be in [0, 1)", self.dropout);
        }
        if t.epochs == 0 {
            bail_input!("--epochs 0: must be at least 1");
        }
        if t.batch == 0 {
            bail_input!("--batch 0: must be at least 1");
        }
        if !(t.lr.is_finite() && t.lr > 0.0) {
            bail_input!("--lr {}: must be a positive number such as 0.001", t.lr);
        }
        if !(t.clip.is_finite() && t.clip > 0.0) {
            bail_input!("--clip {}: must be a positive number such as 1.0", t.clip);
        }
        if t.patience == 0 {
            bail_input!("--patience 0: must be at least 1 epoch");
        }
        for (flag, v) in [("--val-frac", self.val_frac), ("--test-frac", self.test_frac)] {
            if !(v > 0.0 && v < 1.0) {
                bail_input!("{flag} {v}: must be between 0 and 1, for example 0.15");
            }
        }
        if self.val_frac + self.test_frac >= 0.9 {
            bail_input!(
                "--val-frac {} with --test-frac {}: leave at least 10% of the rows for training",
                self.val_frac,
                self.test_frac
            );
        }
        if !(self.interval_gamma > 0.0 && self.interval_gamma < 1.0) {
            bail_input!(
                "--interval-gamma {}: must be between 0 and 1, for example 0.005",
                self.interval_gamma
            );
        }
        for level in self.levels() {
            if !(level > 0.0 && level < 1.0) {
                bail_input!("--interval {level}: must be between 0 and 1, for example 0.9 or 0.8,0.95");
            }
        }
        if self.horizon == 0 {
            bail_input!("--horizon 0: must be at least 1 day");
        }
        if self.threads == Some(0) {
            bail_input!("--threads 0: must be at least 1");
        }
        Ok(())
    }
}
