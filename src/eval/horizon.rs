//! Multi-step accuracy: error per forecast step beside naive at the same step, and how often
//! the prediction interval holds the actual price.

use serde::{Deserialize, Serialize};

/// Scores of step `step` (1 = tomorrow) over every origin whose target day is known.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepScore {
    pub step: usize,
    pub days: usize,
    pub rmse: f64,
    /// Naive at step h: the last known price, `h` days later.
    pub naive_rmse: f64,
    /// Share of days whose actual price lay inside the interval.
    pub coverage: Option<f64>,
}

/// `forecasts[k][h]` forecasts `prices[origins[k] + h]`; only days before `end` are scored.
/// `bands[h][k]` is the log band `(lo, hi)` around `forecasts[k][h]` (see `eval::bands`).
pub fn score_steps(
    forecasts: &[Vec<f64>],
    origins: &[usize],
    prices: &[f64],
    end: usize,
    bands: &[Vec<(f64, f64)>],
) -> Vec<StepScore> {
    let steps = forecasts.first().map_or(0, |f| f.len());
    (0..steps)
        .filter_map(|h| {
            let known: Vec<usize> = (0..origins.len()).filter(|&k| origins[k] + h < end).collect();
            let pairs: Vec<(f64, f64, f64)> = known
                .iter()
                .map(|&k| (forecasts[k][h], prices[origins[k] + h], prices[origins[k] - 1]))
                .collect();
            if pairs.is_empty() {
                return None;
            }
            let column = |pick: fn(&(f64, f64, f64)) -> f64| pairs.iter().map(pick).collect::<Vec<_>>();
            let (f, a, naive) = (column(|p| p.0), column(|p| p.1), column(|p| p.2));
            let (rmse, naive_rmse) = (super::metrics::rmse(&f, &a), super::metrics::rmse(&naive, &a));
            let coverage = bands.get(h).map(|b| {
                let inside = |&k: &usize| {
                    let (f, a, (lo, hi)) = (forecasts[k][h], prices[origins[k] + h], b[k]);
                    a >= f * lo.exp() && a <= f * hi.exp()
                };
                known.iter().filter(|k| inside(k)).count() as f64 / pairs.len() as f64
            });
            Some(StepScore { step: h + 1, days: pairs.len(), rmse, naive_rmse, coverage })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_scored_by_hand() {
        let prices = [10.0, 11.0, 12.0, 13.0, 14.0];
        // origins 2 and 3; forecasts for (t, t+1)
        let f = vec![vec![12.0, 14.0], vec![13.5, 99.0]];
        let bands = [vec![(-0.01, 0.01); 2], vec![(-0.5, 0.5); 2]];
        let s = score_steps(&f, &[2, 3], &prices, 4, &bands);
        assert_eq!(s.len(), 2);
        // step 1: errors 0 and 0.5 -> RMSE sqrt(0.125); naive: 11 vs 12, 12 vs 13 -> 1
        assert!((s[0].rmse - 0.125f64.sqrt()).abs() < 1e-12);
        assert_eq!(s[0].naive_rmse, 1.0);
        // 12 is inside 12 * e^[-0.01, 0.01]; 13 is outside 13.5 * e^[-0.01, 0.01]
        assert_eq!(s[0].coverage, Some(0.5));
        // step 2: only origin 2 has its day (3) before end 4: 14 vs 13; naive 11 vs 13
        assert_eq!((s[1].days, s[1].rmse, s[1].naive_rmse), (1, 1.0, 2.0));
    }
}
