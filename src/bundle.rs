//! A trained model as files you can keep and move: `model.json` (what the network is, what it
//! reads, how its inputs were scaled, where it came from) and `weights.safetensors` (the
//! weights; safetensors, not pickle, so loading runs no code). Loads on CPU or CUDA whatever
//! device trained it.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tch::{nn, Device};

use crate::bail_input;
use crate::data::{InputSpec, LoadOptions, MinMaxScaler};
use crate::eval::bands::LevelQuantiles;
use crate::model::{ModelConfig, Net};
use crate::report::files;

/// Written into every bundle; a bundle with another format is refused.
pub const FORMAT: &str = "lstm-stock model v3";

/// Where the training data came from, and which of its rows did what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingData {
    pub path: String,
    pub sha256: String,
    pub rows: usize,
    pub first_date: String,
    pub last_date: String,
    /// The price column the target was read from.
    pub target_column: String,
    /// The rows whose prices trained the saved weights, from the file's first row: every row
    /// after the final fit (`refit`), the training part without it.
    pub weights_rows: RowSpan,
    /// The weights are the final fit on every row, trained for `epochs` epochs (the count the
    /// split run's validation part chose); otherwise the split run's network.
    pub refit: bool,
    pub epochs: usize,
    /// The days whose forecast errors sized the bands: the split run's validation and test
    /// days, out of sample for the split network that made those forecasts (the adaptive
    /// methods keep the most recent 250 errors). A refitted network trained on those very
    /// rows and has no out-of-sample days of its own: its bands are the split network's,
    /// checked around a refit only one period back ([`ModelCard::band_check`]).
    pub band_error_rows: RowSpan,
}

impl TrainingData {
    /// Which rows trained the weights and which sized the bands, in words.
    pub fn provenance(&self) -> String {
        format!("{}; {}", self.weights_text(), self.bands_text())
    }

    /// Which rows trained the saved weights, and for how many epochs.
    pub fn weights_text(&self) -> String {
        let w = &self.weights_rows;
        if self.refit {
            format!(
                "weights trained on all {} rows ({} .. {}) for {} epochs, the count the split run's validation chose",
                w.len(),
                w.first_date,
                w.last_date,
                self.epochs
            )
        } else {
            format!(
                "weights trained on the first {} of {} rows ({} .. {}; not refitted on the rest)",
                w.len(),
                self.rows,
                w.first_date,
                w.last_date
            )
        }
    }

    /// Whose errors sized the bands: the split run's network's, out of sample; with a refit,
    /// not the saved network's (which trained on those rows).
    pub fn bands_text(&self) -> String {
        let b = &self.band_error_rows;
        format!(
            "bands sized from the split run's out-of-sample errors on {} .. {} ({} days){}",
            b.first_date,
            b.last_date,
            b.len(),
            if self.refit {
                ": the tested network's errors, not the saved refit's, which trained on those rows"
            } else {
                ""
            }
        )
    }
}

/// Rows `first..=last` of a file (0-based, in date order) and their dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowSpan {
    pub first: usize,
    pub last: usize,
    pub first_date: String,
    pub last_date: String,
}

impl RowSpan {
    /// Rows `rows` of a series with these `dates`.
    pub fn of(dates: &[chrono::NaiveDate], rows: std::ops::Range<usize>) -> Self {
        RowSpan {
            first: rows.start,
            last: rows.end - 1,
            first_date: dates[rows.start].to_string(),
            last_date: dates[rows.end - 1].to_string(),
        }
    }

    pub fn len(&self) -> usize {
        self.last + 1 - self.first
    }

    pub fn is_empty(&self) -> bool {
        self.last < self.first
    }
}

/// Everything about a trained model except its weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    pub format: String,
    pub model: ModelConfig,
    pub input: InputSpec,
    /// Days one forward pass predicts (1: longer forecasts are recursive; `stock --horizon`).
    pub horizon: usize,
    /// One per input channel, fitted on the training rows.
    pub scalers: Vec<MinMaxScaler>,
    /// How to read a price file for this model.
    pub load: LoadOptions,
    pub training: TrainingData,
    /// How the bands were sized (`eval::bands::Method`'s name).
    pub interval_method: String,
    /// When set, the quantiles are of `ln(actual / forecast)` divided by the realised volatility
    /// of this many daily log returns before the forecast; `predict` multiplies them back by
    /// its own file's. Otherwise they are of `ln(actual / forecast)` itself.
    pub interval_vol_days: Option<usize>,
    /// The level charted and printed first.
    pub interval_level: f64,
    /// Per level, per forecast step: the band's quantiles as the method left them on the
    /// training file's last day.
    pub intervals: Vec<LevelQuantiles>,
    /// With a refit: the band checked one period back around a network refitted the same
    /// way (`predict` says when it covers more than 3 points off the split network's).
    #[serde(default)]
    pub band_check: Option<crate::eval::refit_band::RefitBand>,
    /// The forecast of the days after the training file's last date, made at training time:
    /// `predict` on the same file must reproduce it (a round-trip check of the bundle).
    pub check_forecast: Vec<f64>,
    pub versions: serde_json::Value,
    /// What the split run's test found (`predict` repeats it; the refit itself is untested).
    #[serde(default)]
    pub evidence: Option<crate::eval::evidence::TestEvidence>,
}

/// Writes `model.json` and `weights.safetensors` into `dir`, each atomically.
pub fn save(dir: &Path, card: &ModelCard, vs: &nn::VarStore) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    files::atomic(&dir.join("weights.safetensors"), |tmp| Ok(vs.save(tmp)?))?;
    files::write_json(&dir.join("model.json"), card)
}

/// Reads a bundle (from its folder, or from the run folder holding it as `model/`) and rebuilds
/// its network on `device`, with one clear error per way a bundle can be wrong.
pub fn load(dir: &Path, device: Device) -> Result<(ModelCard, nn::VarStore, Net)> {
    let run_folder = dir.join("model");
    let dir = if !dir.join("model.json").exists() && run_folder.join("model.json").is_file() {
        run_folder.as_path()
    } else {
        dir
    };
    let d = dir.display();
    if !dir.is_dir() {
        bail_input!("--model {d}: no such folder; give the folder that `stock` wrote (e.g. output/AAPL-lstm) or its model/");
    }
    let text = match std::fs::read_to_string(dir.join("model.json")) {
        Ok(t) => t,
        Err(_) => {
            bail_input!("--model {d}: no model.json in it or in its model/; give the folder that `stock` wrote (e.g. output/AAPL-lstm)")
        }
    };
    let format: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        crate::error::input_error(format!(
            "{d}/model.json: not valid JSON ({e}); the bundle is damaged, train again"
        ))
    })?;
    if format.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        bail_input!(
            "{d}/model.json: format {} is not \"{FORMAT}\"; this bundle comes from an incompatible lstm-stock version, train again with this one",
            format.get("format").map_or("missing".into(), |f| f.to_string())
        );
    }
    let card: ModelCard = serde_json::from_value(format).map_err(|e| {
        crate::error::input_error(format!(
            "{d}/model.json: {e}; the bundle is damaged or from an incompatible version"
        ))
    })?;
    if card.scalers.len() != card.input.channels() || card.model.input != card.input.channels() as i64 {
        bail_input!(
            "{d}/model.json: {} scalers and {} inputs for {} channels; the bundle is inconsistent",
            card.scalers.len(),
            card.model.input,
            card.input.channels()
        );
    }
    if card.intervals.is_empty() || card.intervals.iter().any(|q| q.quantiles.is_empty()) {
        bail_input!("{d}/model.json: no prediction bands; the bundle is damaged, train again");
    }
    if card.horizon == 0 {
        bail_input!("{d}/model.json: horizon 0; the bundle is damaged, train again");
    }
    let mut vs = nn::VarStore::new(device);
    let net = Net::with_horizon(&vs.root(), card.model, card.horizon);
    let weights = dir.join("weights.safetensors");
    if !weights.is_file() {
        bail_input!("--model {d}: weights.safetensors is missing");
    }
    if let Err(e) = vs.load(&weights) {
        let msg = e.to_string().lines().next().unwrap_or("").to_string();
        bail_input!("{}: cannot be loaded into the network model.json describes ({msg}); the file is damaged or does not belong to this model.json", weights.display());
    }
    Ok((card, vs, net))
}
