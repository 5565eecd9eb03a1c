//! From a dataset to a trained network and its forecasts: the one path that `stock`, `compare`
//! and the leakage check all run, so that the check tests the code behind the reported figures
//! rather than a copy of it.

use anyhow::Result;
use sha2::{Digest, Sha256};
use tch::{nn, Device};

use crate::config::StockConfig;
use crate::data::{Dataset, Plant};
use crate::eval::leakage::Fingerprint;
use crate::model::{ModelConfig, ModelKind, Net};
use crate::train::{self, History, Samples, TrainConfig};

/// A network built for a dataset, not trained yet.
pub struct Built {
    pub vs: nn::VarStore,
    pub net: Net,
    pub train: Samples,
    pub val: Samples,
    pub test: Samples,
}

/// A trained network (best epoch's weights) and how training went.
pub struct Fitted {
    pub vs: nn::VarStore,
    pub net: Net,
    pub history: History,
    /// The test windows, on the training device.
    pub test: Samples,
}

/// Seeds libtorch with `seed` and builds a `kind` network with `cfg`'s size for `data`.
pub fn build(data: &Dataset, cfg: &StockConfig, kind: ModelKind, seed: u64, device: Device) -> Built {
    let (train, val, test) = Samples::parts(data, device);
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(device);
    let model = ModelConfig {
        kind,
        input: data.spec.channels() as i64,
        hidden: cfg.hidden,
        layers: cfg.layers,
        dropout: cfg.dropout,
    };
    let net = Net::with_horizon(&vs.root(), model, data.horizon);
    Built { vs, net, train, val, test }
}

/// Trains a built network with early stopping on the validation part.
pub fn train(b: Built, train_cfg: &TrainConfig, progress: Option<&str>, plant: Plant) -> Result<Fitted> {
    let stop_on = if plant.stops_on_test() { &b.test } else { &b.val };
    let history = train::fit(&b.net, &b.vs, &b.train, stop_on, train_cfg, progress)?;
    Ok(Fitted { vs: b.vs, net: b.net, history, test: b.test })
}

/// [`build`] then [`train`].
pub fn fit(
    data: &Dataset,
    cfg: &StockConfig,
    kind: ModelKind,
    seed: u64,
    device: Device,
    train_cfg: &TrainConfig,
    plant: Plant,
) -> Result<Fitted> {
    train(build(data, cfg, kind, seed, device), train_cfg, None, plant)
}

/// One-step forecasts in price units for the test rows of `data`.
pub fn test_forecasts(f: &Fitted, data: &Dataset, prices: &[f64]) -> Vec<f64> {
    data.to_prices(prices, data.test.rows.clone(), &f.net.predict(&f.test.x))
}

/// SHA-256 of every variable's values, by name, in name order: equal digests mean equal
/// weights bit for bit, and the names say which tensor differs.
pub fn weight_digests(vs: &nn::VarStore) -> Vec<(String, String)> {
    let mut named: Vec<(String, tch::Tensor)> = vs.variables().into_iter().collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
        .into_iter()
        .map(|(name, t)| {
            let flat = t.to_device(Device::Cpu).to_kind(tch::Kind::Float).contiguous().view([-1]);
            let values = Vec::<f32>::try_from(&flat).expect("a float tensor converts to a vector");
            let mut h = Sha256::new();
            for v in values {
                h.update(v.to_le_bytes());
            }
            (name, format!("{:x}", h.finalize()))
        })
        .collect()
}

/// Everything besides the settings and the seed that changes a run's results in the last bits:
/// libtorch's thread count, the batch split's, the busy-machine cut and the `LSTM_STOCK_*`
/// switches. Same seed, same result holds only where these agree too.
pub fn numeric_setup() -> NumericSetup {
    NumericSetup {
        libtorch_threads: tch::get_num_threads().max(1) as usize,
        split_threads: crate::model::workers::threads(),
        busy_machine_cut: crate::model::workers::guided(),
        lstm_stock_gru: std::env::var("LSTM_STOCK_GRU").ok(),
        lstm_stock_split: std::env::var("LSTM_STOCK_SPLIT").ok(),
    }
}

/// See [`numeric_setup`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NumericSetup {
    pub libtorch_threads: usize,
    pub split_threads: usize,
    pub busy_machine_cut: bool,
    #[serde(rename = "LSTM_STOCK_GRU")]
    pub lstm_stock_gru: Option<String>,
    #[serde(rename = "LSTM_STOCK_SPLIT")]
    pub lstm_stock_split: Option<String>,
}

/// The fingerprint of a trained run: what the leakage check compares.
pub fn fingerprint(
    f: &Fitted,
    data: &Dataset,
    forecasts: Vec<f64>,
    interval: Vec<(f64, f64)>,
) -> Fingerprint {
    Fingerprint {
        scalers: data.scalers.iter().map(|s| (s.min, s.max)).collect(),
        weights: weight_digests(&f.vs),
        train_loss: f.history.train_loss.clone(),
        val_loss: f.history.val_loss.clone(),
        forecasts: data.test.rows.clone().zip(forecasts).collect(),
        interval,
    }
}
