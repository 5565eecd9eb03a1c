//! More baselines and two checks of a forecast's honesty: does it mostly repeat yesterday's
//! price (lag detector), and does its skill vanish when the actual prices are shuffled in time
//! (shuffled-target self-test)?

use serde::{Deserialize, Serialize};

use super::metrics::Metrics;
use super::skill;
use super::stats::correlation;

/// Random walk with drift: yesterday's price plus the average daily change from the first row
/// up to yesterday. `prices` is the whole series; `rows` the target days (each >= 2).
pub fn drift_forecast(prices: &[f64], rows: &[usize]) -> Vec<f64> {
    rows.iter().map(|&t| prices[t - 1] + (prices[t - 1] - prices[0]) / (t - 1).max(1) as f64).collect()
}

/// Mean of the `k` prices before each target day (fewer at the very start).
pub fn moving_average_forecast(prices: &[f64], rows: &[usize], k: usize) -> Vec<f64> {
    rows.iter()
        .map(|&t| {
            let w = &prices[t.saturating_sub(k)..t];
            w.iter().sum::<f64>() / w.len() as f64
        })
        .collect()
}

/// Correlation of the forecasts with the actual prices shifted by `lag` days, for lags -3..=3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LagProfile {
    /// `(lag, corr(pred[t], actual[t + lag]))`; lag -1 is "the day before".
    pub correlations: Vec<(i32, f64)>,
    pub best_lag: i32,
}

impl LagProfile {
    /// True when the forecast matches the previous day's price better than the day it forecasts.
    pub fn repeats_yesterday(&self) -> bool {
        self.best_lag == -1
    }
}

/// `pred[i]` forecasts `prices[rows[i]]`.
pub fn lag_profile(pred: &[f64], prices: &[f64], rows: &[usize]) -> LagProfile {
    let mut correlations = Vec::new();
    for lag in -3i32..=3 {
        let pairs: Vec<(f64, f64)> = pred
            .iter()
            .zip(rows)
            .filter_map(|(&p, &t)| prices.get(usize::try_from(t as i64 + lag as i64).ok()?).map(|&a| (p, a)))
            .collect();
        let (a, b): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        if let Some(c) = correlation(&a, &b) {
            correlations.push((lag, c));
        }
    }
    let best_lag = correlations.iter().max_by(|x, y| x.1.total_cmp(&y.1)).map_or(0, |c| c.0);
    LagProfile { correlations, best_lag }
}

/// Result of scoring forecasts against the actual prices shuffled in time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sanity {
    pub rmse_true: f64,
    pub rmse_shuffled: f64,
    pub skill_true: Option<f64>,
    pub skill_shuffled: Option<f64>,
    /// The forecast lost its accuracy once the targets were shuffled (RMSE up by half or more).
    /// An honest forecast cannot know which price a shuffled day holds.
    pub collapsed: bool,
}

impl Sanity {
    /// Accuracy that did not collapse is only suspicious when there was accuracy to begin with:
    /// a forecast that loses to naive anyway is dominated by its bias, shuffled or not.
    pub fn leak_suspected(&self) -> bool {
        !self.collapsed && self.skill_true.is_some_and(|s| s > 0.0)
    }
}

/// Runs the forecasting step `forecast(targets)` once with the true targets and once with the
/// targets shuffled in time (a fixed permutation from `seed`), and scores both against the
/// targets it was given, beside naive (`prev`). A pipeline that lets the target into its
/// forecast keeps its accuracy; an honest one loses it.
pub fn shuffled_target_check(
    actual: &[f64],
    prev: &[f64],
    seed: u64,
    forecast: impl Fn(&[f64]) -> Vec<f64>,
) -> Sanity {
    let mut shuffled = actual.to_vec();
    // Fisher-Yates with a small LCG: reproducible without a random-number crate
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    for i in (1..shuffled.len()).rev() {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        shuffled.swap(i, (x >> 33) as usize % (i + 1));
    }
    let score = |targets: &[f64]| {
        let m = Metrics::compute(&forecast(targets), targets, prev);
        let n = Metrics::compute(prev, targets, prev);
        (m.rmse, skill(m.rmse, n.rmse))
    };
    let (rmse_true, skill_true) = score(actual);
    let (rmse_shuffled, skill_shuffled) = score(&shuffled);
    let collapsed = rmse_shuffled >= 1.5 * rmse_true;
    Sanity { rmse_true, rmse_shuffled, skill_true, skill_shuffled, collapsed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk() -> Vec<f64> {
        // a deterministic wiggly random-walk-like series
        (0..120)
            .map(|t| 100.0 + (t as f64 * 0.37).sin() * 5.0 + (t as f64 * 1.7).cos() * 2.0 + t as f64 * 0.1)
            .collect()
    }

    #[test]
    fn lag_detector_flags_yesterday_and_not_a_perfect_forecast() {
        let p = walk();
        let rows: Vec<usize> = (60..120).collect();
        let yesterday: Vec<f64> = rows.iter().map(|&t| p[t - 1]).collect();
        let lp = lag_profile(&yesterday, &p, &rows);
        assert!(lp.repeats_yesterday(), "{lp:?}");
        let perfect: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
        let lp = lag_profile(&perfect, &p, &rows);
        assert_eq!(lp.best_lag, 0);
        assert!(!lp.repeats_yesterday());
        assert_eq!(lp.correlations.len(), 7);
    }

    #[test]
    fn shuffled_targets_collapse_an_honest_forecast_but_not_a_leaky_one() {
        let p = walk();
        let rows: Vec<usize> = (60..120).collect();
        let actual: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
        let prev: Vec<f64> = rows.iter().map(|&t| p[t - 1]).collect();
        // honest: a fixed forecast that does not change with the targets it is scored on
        let honest: Vec<f64> = rows.iter().map(|&t| 0.7 * p[t - 1] + 0.3 * p[t]).collect();
        let s = shuffled_target_check(&actual, &prev, 3, |_| honest.clone());
        assert!(s.skill_true.unwrap() > 0.2, "{s:?}");
        assert!(s.collapsed, "{s:?}");
        // leaky: the forecast is built from the very targets it is scored on
        let s =
            shuffled_target_check(&actual, &prev, 3, |targets| targets.iter().map(|v| v + 0.01).collect());
        assert!(!s.collapsed && s.leak_suspected(), "{s:?}");
        // useless: a constant far from the prices; nothing to lose, nothing suspected
        let s = shuffled_target_check(&actual, &prev, 3, |t| vec![0.0; t.len()]);
        assert!(!s.collapsed && !s.leak_suspected(), "{s:?}");
    }

    #[test]
    fn drift_and_moving_average_by_hand() {
        let p = [10.0, 12.0, 11.0, 15.0];
        // drift at t=3: 11 + (11 - 10) / 2 = 11.5
        assert_eq!(drift_forecast(&p, &[3]), vec![11.5]);
        // MA(2) at t=3: (12 + 11) / 2; MA(5) at t=2: (10 + 12) / 2
        assert_eq!(moving_average_forecast(&p, &[3], 2), vec![11.5]);
        assert_eq!(moving_average_forecast(&p, &[2], 5), vec![11.0]);
    }
}
