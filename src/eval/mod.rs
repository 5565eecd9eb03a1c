//! Judging forecasts: error metrics and the baselines every figure is shown beside.

pub mod bands;
pub mod compare;
pub mod cross_section;
pub mod diagnostics;
pub mod evaluation;
pub mod evidence;
pub mod gate_activity;
pub mod horizon;
pub mod intervals;
pub mod leakage;
pub mod mcs;
pub mod metrics;
pub mod panel;
pub mod refit_band;
pub mod spa;
pub mod stats;
pub mod trading;
pub mod trading_seeds;
pub mod tune;

pub use evaluation::Evaluation;
pub use metrics::{skill, Metrics};

/// The naive forecast ("tomorrow = today"): the prediction for row `t` is the price at `t - 1`.
pub fn naive_forecast(prices: &[f64], targets: std::ops::Range<usize>) -> Vec<f64> {
    targets.map(|t| prices[t - 1]).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn naive_repeats_the_previous_day() {
        assert_eq!(super::naive_forecast(&[1.0, 2.0, 4.0, 8.0], 2..4), vec![2.0, 4.0]);
    }
}
