//! Forecasting several trading days ahead. A one-step model forecasts recursively: each
//! forecast is fed back as the newest input of the next step. A model trained with a horizon
//! `H` forecasts `H` days directly from one window; beyond `H` days its `H` forecasts are fed
//! back as a block. Used to score multi-step accuracy on the validation and test days, to size
//! the prediction bands, and by `predict`.
//!
//! Extra input features cannot be forecast by the model itself; beyond the first pass they are
//! held at their last known value, which `predict` states.

use tch::{Device, Tensor};

use crate::data::{InputSpec, MinMaxScaler};
use crate::model::Net;

/// A trained model with what it needs to turn its outputs into prices.
pub struct Forecaster<'a> {
    pub net: &'a Net,
    pub spec: &'a InputSpec,
    pub scalers: &'a [MinMaxScaler],
    pub device: Device,
}

impl Forecaster<'_> {
    /// Price forecasts `[origin][step]` for `steps` days from each origin `t` (the first
    /// forecast day; its window is rows `t - window .. t` of `matrix`, row-major
    /// `[rows, channels]`). `prices[t - 1]` must be known for every origin.
    pub fn forecast(&self, matrix: &[f32], prices: &[f64], origins: &[usize], steps: usize) -> Vec<Vec<f64>> {
        let (w, c, spec) = (self.spec.window, self.spec.channels(), self.spec);
        let mut windows: Vec<Vec<f32>> =
            origins.iter().map(|&t| matrix[(t - w) * c..t * c].to_vec()).collect();
        let mut last_price: Vec<f64> = origins.iter().map(|&t| prices[t - 1]).collect();
        let mut out = vec![Vec::with_capacity(steps); origins.len()];
        let per_pass = self.net.horizon;
        for done in (0..steps).step_by(per_pass) {
            let flat: Vec<f32> = windows.iter().flatten().copied().collect();
            let x = Tensor::from_slice(&flat).view([origins.len() as i64, w as i64, c as i64]);
            let pred = self.net.predict(&x.to_device(self.device));
            for (k, outputs) in pred.chunks(per_pass).enumerate() {
                for &p in &outputs[..per_pass.min(steps - done)] {
                    let price = spec.target.to_price(self.scalers[0].inverse(p as f64), last_price[k]);
                    out[k].push(price);
                    // the next window: drop the oldest day, append this forecast (features held)
                    let mut row = windows[k][(w - 1) * c..].to_vec();
                    row[0] =
                        self.scalers[0].transform(spec.target.transform(&[last_price[k], price])[1]) as f32;
                    last_price[k] = price;
                    windows[k].drain(..c);
                    windows[k].extend(row);
                }
            }
        }
        out
    }

    /// How [`Self::forecast`] reaches `steps` days, in words.
    pub fn method(&self, steps: usize) -> String {
        match self.net.horizon {
            1 => "recursive (each forecast fed back as the next input)".into(),
            h if steps <= h => format!("direct ({h} days from one window)"),
            h => format!("direct for days 1..{h}, then blocks of {h} forecasts fed back as inputs"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TargetKind;
    use crate::model::{ModelConfig, ModelKind};
    use tch::nn;

    #[test]
    fn direct_forecasts_come_in_blocks_of_the_horizon() {
        let _rng = crate::test_support::torch_rng();
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ModelConfig { kind: ModelKind::Gru, input: 1, hidden: 8, layers: 1, dropout: 0.0 };
        let net = Net::with_horizon(&vs.root(), cfg, 2);
        let spec = InputSpec { target: TargetKind::Return, features: vec![], window: 3 };
        let scalers = [MinMaxScaler { min: -0.1, max: 0.1 }];
        let prices = [10.0, 10.5, 10.2, 10.8, 11.0];
        let returns = TargetKind::Return.transform(&prices);
        let matrix: Vec<f32> = returns
            .iter()
            .map(|r| if r.is_finite() { scalers[0].transform(*r) as f32 } else { 0.0 })
            .collect();
        let fc = Forecaster { net: &net, spec: &spec, scalers: &scalers, device: Device::Cpu };
        let got = fc.forecast(&matrix, &prices, &[5], 5).remove(0);
        assert_eq!(got.len(), 5);
        // by hand: one pass gives two returns, chained from the last price; the next pass
        // reads the window with those two days appended
        let mut window = matrix[2..5].to_vec();
        let mut last = prices[4];
        let mut want = Vec::new();
        while want.len() < 5 {
            let x = Tensor::from_slice(&window).view([1, 3, 1]);
            for p in net.predict(&x) {
                if want.len() == 5 {
                    break;
                }
                let price = last * (1.0 + scalers[0].inverse(p as f64));
                window.remove(0);
                window.push(scalers[0].transform(price / last - 1.0) as f32);
                want.push(price);
                last = price;
            }
        }
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-9, "{got:?} vs {want:?}");
        }
        assert!(fc.method(2).starts_with("direct (2 days"));
        assert!(fc.method(5).contains("blocks of 2"));
    }
}
