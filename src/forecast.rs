//! Forecasting several trading days ahead with a one-step model, recursively: each forecast is
//! fed back as the newest input of the next step. Used to score multi-step accuracy on the
//! validation and test days, to size the prediction intervals, and by `predict`.
//!
//! Extra input features cannot be forecast by the model itself; beyond the first step they are
//! held at their last known value, which `predict` states.

use tch::{Device, Tensor};

use crate::data::{InputSpec, MinMaxScaler};
use crate::model::Net;

/// A trained one-step model with what it needs to turn its outputs into prices.
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
    pub fn recursive(
        &self,
        matrix: &[f32],
        prices: &[f64],
        origins: &[usize],
        steps: usize,
    ) -> Vec<Vec<f64>> {
        let (net, spec, scalers, device) = (self.net, self.spec, self.scalers, self.device);
        recursive_impl(net, spec, scalers, device, matrix, (prices, origins, steps))
    }
}

fn recursive_impl(
    net: &Net,
    spec: &InputSpec,
    scalers: &[MinMaxScaler],
    device: Device,
    matrix: &[f32],
    (prices, origins, steps): (&[f64], &[usize], usize),
) -> Vec<Vec<f64>> {
    let (w, c) = (spec.window, spec.channels());
    let mut windows: Vec<Vec<f32>> = origins.iter().map(|&t| matrix[(t - w) * c..t * c].to_vec()).collect();
    let mut last_price: Vec<f64> = origins.iter().map(|&t| prices[t - 1]).collect();
    let mut out = vec![Vec::with_capacity(steps); origins.len()];
    for _ in 0..steps {
        let flat: Vec<f32> = windows.iter().flatten().copied().collect();
        let x = Tensor::from_slice(&flat).view([origins.len() as i64, w as i64, c as i64]).to_device(device);
        let pred = net.predict(&x);
        for (k, &p) in pred.iter().enumerate() {
            let y = scalers[0].inverse(p as f64);
            let price = spec.target.to_price(y, last_price[k]);
            out[k].push(price);
            // the next window: drop the oldest day, append this forecast (features held)
            let mut row = windows[k][(w - 1) * c..].to_vec();
            row[0] = scalers[0].transform(spec.target.transform(&[last_price[k], price])[1]) as f32;
            last_price[k] = price;
            windows[k].drain(..c);
            windows[k].extend(row);
        }
    }
    out
}

/// The `q`-quantile of `v` (linear interpolation between order statistics).
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// Interval bounds per step from forecast errors: the `(1 - level) / 2` and `(1 + level) / 2`
/// quantiles of `ln(actual / forecast)`, so that the band scales with the price.
pub fn log_error_quantiles(
    forecasts: &[Vec<f64>],
    actual: impl Fn(usize, usize) -> Option<f64>,
    level: f64,
) -> Vec<(f64, f64)> {
    let steps = forecasts.first().map_or(0, |f| f.len());
    (0..steps)
        .map(|h| {
            let errs: Vec<f64> = forecasts
                .iter()
                .enumerate()
                .filter_map(|(k, f)| actual(k, h).map(|a| (a / f[h]).ln()))
                .collect();
            (quantile(&errs, (1.0 - level) / 2.0), quantile(&errs, (1.0 + level) / 2.0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_hand() {
        let v = [3.0, 1.0, 2.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 5.0);
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert_eq!(quantile(&[1.0, 2.0], 0.5), 1.5);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
