//! Forecast error metrics in price units.
//!
//! All functions take the forecasts, the actual prices, and the previous day's actual price
//! (needed for direction), over exactly the same target days, so that a model and a baseline
//! scored by them are comparable.

use serde::{Deserialize, Serialize};

/// Errors of one forecast over one set of target days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Root mean squared error, price units.
    pub rmse: f64,
    /// Mean absolute error, price units.
    pub mae: f64,
    /// Mean absolute percentage error in percent; `None` when an actual price is 0.
    pub mape: Option<f64>,
    /// Share of days on which the forecast's move from the previous day has the same sign as the
    /// actual move (up, down or flat). `None` for no days.
    pub directional_accuracy: Option<f64>,
}

impl Metrics {
    /// Scores `pred` against `actual`; `prev[i]` is the actual price the day before `actual[i]`.
    ///
    /// Panics if the slices differ in length or are empty: that is a bug, not user input.
    pub fn compute(pred: &[f64], actual: &[f64], prev: &[f64]) -> Self {
        assert!(!actual.is_empty(), "metrics of an empty forecast");
        assert!(pred.len() == actual.len() && prev.len() == actual.len(), "length mismatch");
        let n = actual.len() as f64;
        let rmse = rmse(pred, actual);
        let mae = pred.iter().zip(actual).map(|(p, a)| (p - a).abs()).sum::<f64>() / n;
        let mape = if actual.contains(&0.0) {
            None
        } else {
            Some(100.0 * pred.iter().zip(actual).map(|(p, a)| ((a - p) / a).abs()).sum::<f64>() / n)
        };
        let hits =
            (0..actual.len()).filter(|&i| sign(pred[i] - prev[i]) == sign(actual[i] - prev[i])).count();
        Metrics { rmse, mae, mape, directional_accuracy: Some(hits as f64 / n) }
    }
}

/// Root mean squared error of `forecast` against `actual`, pair by pair: the one RMSE every
/// figure and test uses.
pub fn rmse(forecast: &[f64], actual: &[f64]) -> f64 {
    (forecast.iter().zip(actual).map(|(f, a)| (f - a).powi(2)).sum::<f64>() / actual.len() as f64).sqrt()
}

fn sign(x: f64) -> i8 {
    if x > 0.0 {
        1
    } else if x < 0.0 {
        -1
    } else {
        0
    }
}

/// `1 - rmse_model / rmse_baseline`: above 0 the model beats the baseline, 0 ties, below 0
/// loses. `None` when the baseline is perfect (its RMSE is 0).
pub fn skill(model_rmse: f64, baseline_rmse: f64) -> Option<f64> {
    (baseline_rmse > 0.0).then(|| 1.0 - model_rmse / baseline_rmse)
}

/// Share of target days whose price rose: the directional accuracy of "always up".
pub fn up_share(actual: &[f64], prev: &[f64]) -> f64 {
    let ups = actual.iter().zip(prev).filter(|(a, p)| a > p).count();
    ups as f64 / actual.len().max(1) as f64
}

/// The cumulative difference of squared errors, naive's minus the model's, day by day (Welch
/// and Goyal 2008): it rises on days the model is closer than naive and falls on days it is
/// further away, so its end is the sum of what the model gained, and its slope shows when.
pub fn cumulative_sse_gain(model: &[f64], naive: &[f64], actual: &[f64]) -> Vec<f64> {
    let mut sum = 0.0;
    model
        .iter()
        .zip(naive)
        .zip(actual)
        .map(|((m, n), a)| {
            sum += (n - a).powi(2) - (m - a).powi(2);
            sum
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Worked by hand:
    //   actual 10, 12, 11, 11   prev 9, 10, 12, 11   pred 11, 11, 13, 10
    //   errors 1, -1, 2, -1  -> squares 1, 1, 4, 1 (sum 7), abs sum 5
    //   RMSE = sqrt(7/4) = 1.3228756555322954, MAE = 5/4 = 1.25
    //   APE = 1/10, 1/12, 2/11, 1/11 -> MAPE = 100 * 0.45606060... / 4 = 11.401515151515152
    //   moves actual +, +, -, 0; predicted +, +, +, - -> hits 2 of 4 = 0.5
    #[test]
    fn metrics_match_hand_computed_values() {
        let m =
            Metrics::compute(&[11.0, 11.0, 13.0, 10.0], &[10.0, 12.0, 11.0, 11.0], &[9.0, 10.0, 12.0, 11.0]);
        assert!((m.rmse - 1.322_875_655_532_295_4).abs() < 1e-12);
        assert_eq!(m.mae, 1.25);
        let mape = 100.0 * (0.1 + 1.0 / 12.0 + 2.0 / 11.0 + 1.0 / 11.0) / 4.0;
        assert!((m.mape.unwrap() - mape).abs() < 1e-12);
        assert!((mape - 11.401_515_151_515_152).abs() < 1e-9);
        assert_eq!(m.directional_accuracy, Some(0.5));
    }

    #[test]
    fn degenerate_cases_are_defined() {
        let m = Metrics::compute(&[1.0], &[0.0], &[0.0]);
        assert_eq!(m.mape, None, "MAPE with a zero price is undefined, not infinite");
        assert_eq!(m.directional_accuracy, Some(0.0));
        let perfect = Metrics::compute(&[2.0, 3.0], &[2.0, 3.0], &[1.0, 2.0]);
        assert_eq!((perfect.rmse, perfect.mae, perfect.directional_accuracy), (0.0, 0.0, Some(1.0)));
        assert_eq!(skill(1.0, 0.0), None);
        assert_eq!(skill(1.0, 2.0), Some(0.5));
        assert_eq!(skill(3.0, 2.0), Some(-0.5));
        assert_eq!(up_share(&[2.0, 1.0, 1.0], &[1.0, 2.0, 1.0]), 1.0 / 3.0);
    }

    #[test]
    #[should_panic(expected = "empty")]
    fn empty_input_is_a_bug() {
        Metrics::compute(&[], &[], &[]);
    }

    #[test]
    fn cumulative_gain_rises_where_the_model_is_closer() {
        // actual 10, 11, 12, 11; naive 9, 10, 11, 12 (errors -1, -1, -1, +1);
        // model 10, 10.5, 13, 11 (errors 0, -0.5, +1, 0): gains 1, 0.75, 0, 1 -> 1, 1.75, 1.75, 2.75
        let g = cumulative_sse_gain(
            &[10.0, 10.5, 13.0, 11.0],
            &[9.0, 10.0, 11.0, 12.0],
            &[10.0, 11.0, 12.0, 11.0],
        );
        assert_eq!(g, vec![1.0, 1.75, 1.75, 2.75]);
        // a model worse than naive every day falls
        let worse = cumulative_sse_gain(&[12.0, 13.0], &[10.0, 11.0], &[10.0, 11.0]);
        assert_eq!(worse, vec![-4.0, -8.0]);
    }
}
