//! The forecasting networks.
//!
//! Shape convention: inputs are batch-first `[batch, seq, features]`; the network predicts
//! `[batch, 1]`, the next day's scaled value.

pub mod fused;

pub use fused::{Net, Recurrent};

use serde::{Deserialize, Serialize};

/// Which recurrent cell to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Lstm,
    Gru,
}

impl ModelKind {
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Lstm => "lstm",
            ModelKind::Gru => "gru",
        }
    }

    /// Gate blocks stacked in each weight matrix (libtorch order: LSTM i,f,g,o; GRU r,z,n).
    pub fn gates(self) -> i64 {
        match self {
            ModelKind::Lstm => 4,
            ModelKind::Gru => 3,
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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
