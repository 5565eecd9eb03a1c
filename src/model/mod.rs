//! The forecasting networks.
//!
//! Shape convention: inputs are batch-first `[batch, seq, features]`; the network predicts
//! `[batch, horizon]`, the next `horizon` days' scaled values (1 unless `stock --horizon`).

pub mod fused;
pub mod gates;
pub mod loss;
pub mod plain;
pub mod ridge;
pub mod scratch;

pub use fused::{Net, Recurrent};
pub use loss::Loss;

use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

/// The recurrent cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    Lstm,
    Gru,
}

impl Cell {
    /// Gate blocks stacked in each weight matrix (libtorch order: LSTM i,f,g,o; GRU r,z,n).
    pub fn gates(self) -> i64 {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
}

/// Which network to train: a cell on libtorch's fused kernels, or the same cell written
/// gate by gate from tensor primitives (`-scratch`, for teaching and checking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    Lstm,
    Gru,
    /// The LSTM written gate by gate (same network, slower; see `gates`)
    LstmScratch,
    /// The GRU written gate by gate
    GruScratch,
}

impl ModelKind {
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Lstm => "lstm",
            ModelKind::Gru => "gru",
            ModelKind::LstmScratch => "lstm-scratch",
            ModelKind::GruScratch => "gru-scratch",
        }
    }

    pub fn cell(self) -> Cell {
        match self {
            ModelKind::Lstm | ModelKind::LstmScratch => Cell::Lstm,
            ModelKind::Gru | ModelKind::GruScratch => Cell::Gru,
        }
    }

    pub fn is_scratch(self) -> bool {
        matches!(self, ModelKind::LstmScratch | ModelKind::GruScratch)
    }

    pub fn gates(self) -> i64 {
        self.cell().gates()
    }

    /// The hand-written network with the same cell (weights copy over by name).
    pub fn scratch_variant(self) -> ModelKind {
        match self.cell() {
            Cell::Lstm => ModelKind::LstmScratch,
            Cell::Gru => ModelKind::GruScratch,
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ModelConfig {
    /// Trainable scalars of a [`Net`] with this size and a head of `horizon` outputs, without
    /// building it: per layer `G * H * (in + H + 2)` (two weight matrices, two biases), and the
    /// head's `H * horizon + horizon`. In f64, so that absurd sizes do not overflow.
    pub fn param_count(&self, horizon: usize) -> f64 {
        let (g, h, k) = (self.kind.gates() as f64, self.hidden as f64, horizon as f64);
        let layers: f64 = (0..self.layers.max(0))
            .map(|l| {
                let input = if l == 0 { self.input as f64 } else { h };
                g * h * (input + h + 2.0)
            })
            .sum();
        layers + h * k + k
    }
}

/// Sizes of a [`Net`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub kind: ModelKind,
    pub input: i64,
    pub hidden: i64,
    pub layers: i64,
    /// Dropout between stacked layers while training (libtorch applies none after the last).
    pub dropout: f64,
}

/// Creates the recurrent weights under `p` with PyTorch's names, shapes and initialisation:
/// per layer `weight_ih_l{l}` `[G*H, in]`, `weight_hh_l{l}` `[G*H, H]`, `bias_ih_l{l}`,
/// `bias_hh_l{l}` `[G*H]`, all `U(-1/sqrt(H), 1/sqrt(H))`.
pub fn rnn_weights(p: &nn::Path, cfg: &ModelConfig) -> Vec<Tensor> {
    let (h, g) = (cfg.hidden, cfg.kind.gates() * cfg.hidden);
    let k = 1.0 / (h as f64).sqrt();
    let init = nn::Init::Uniform { lo: -k, up: k };
    let mut flat = Vec::new();
    for l in 0..cfg.layers {
        let input = if l == 0 { cfg.input } else { h };
        flat.push(p.var(&format!("weight_ih_l{l}"), &[g, input], init));
        flat.push(p.var(&format!("weight_hh_l{l}"), &[g, h], init));
        flat.push(p.var(&format!("bias_ih_l{l}"), &[g], init));
        flat.push(p.var(&format!("bias_hh_l{l}"), &[g], init));
    }
    flat
}
