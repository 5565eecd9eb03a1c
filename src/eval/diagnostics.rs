//! More baselines, and the lag detector: do a forecast's predicted moves follow the day's
//! actual move, the day before's, or nothing?

use serde::{Deserialize, Serialize};

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

/// What a forecast's predicted moves (forecast minus yesterday's price) have to do with the
/// actual moves. Price *levels* tell nothing here: every forecast near yesterday's price
/// correlates about 1 with yesterday's price, skilled or not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MoveProfile {
    /// Days compared.
    pub n: usize,
    /// Correlation of the predicted move with the same day's actual move (`None`: no variation).
    pub same_day: Option<f64>,
    /// Correlation of the predicted move with the actual move of the day before.
    pub day_before: Option<f64>,
    /// Root mean square of the predicted moves over that of the actual moves.
    pub size_ratio: f64,
    pub kind: MoveKind,
}

/// The verdict of [`move_profile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// Predicted moves under 1% of the actual ones: the forecast is yesterday's price.
    NoMove,
    /// The predicted moves follow the day before's move and not the day's own: the forecast
    /// is late, the classic picture of a network that "tracks" the price.
    Lagging,
    /// The predicted moves correlate positively with the day's own moves (5% level), whatever
    /// they also share with the day before's (a momentum forecast on a series with momentum
    /// is informative, not late).
    Informative,
    /// The predicted moves correlate negatively with the day's own moves (5% level).
    Contrary,
    /// The predicted moves reverse the day before's move, and the day's own move does not
    /// follow them.
    Reverting,
    /// The predicted moves are unrelated to the actual ones (at 5%).
    Uninformative,
}

/// Below this share of the actual moves' size a forecast is said not to move at all.
pub const NO_MOVE_RATIO: f64 = 0.01;

/// Profiles `pred[i]`, the forecast of `prices[rows[i]]` made the day before (rows >= 2).
///
/// A correlation counts when it exceeds `1.96 / sqrt(n)`, the 5% two-sided bound for no
/// correlation between `n` independent pairs.
pub fn move_profile(pred: &[f64], prices: &[f64], rows: &[usize]) -> MoveProfile {
    let predicted: Vec<f64> = pred.iter().zip(rows).map(|(f, &t)| f - prices[t - 1]).collect();
    let actual: Vec<f64> = rows.iter().map(|&t| prices[t] - prices[t - 1]).collect();
    let before: Vec<f64> = rows.iter().map(|&t| prices[t - 1] - prices[t.saturating_sub(2)]).collect();
    let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt();
    let size_ratio = rms(&predicted) / rms(&actual);
    let same_day = correlation(&predicted, &actual);
    let day_before = correlation(&predicted, &before);
    let bound = 1.96 / (pred.len() as f64).sqrt();
    let counts = |r: Option<f64>| r.is_some_and(|r| r > bound);
    let kind = if size_ratio.is_nan() || size_ratio < NO_MOVE_RATIO {
        MoveKind::NoMove
    } else if counts(same_day) {
        MoveKind::Informative
    } else if counts(same_day.map(|r| -r)) {
        MoveKind::Contrary
    } else if counts(day_before) {
        MoveKind::Lagging
    } else if counts(day_before.map(|r| -r)) {
        MoveKind::Reverting
    } else {
        MoveKind::Uninformative
    };
    MoveProfile { n: pred.len(), same_day, day_before, size_ratio, kind }
}

impl MoveProfile {
    /// One sentence about `name`'s forecasts.
    pub fn sentence(&self, name: &str) -> String {
        let r = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:+.2}"));
        let facts = format!(
            "predicted moves {:.0}% the size of actual ones; correlation with the day's move {}, with the day before's {}",
            self.size_ratio * 100.0,
            r(self.same_day),
            r(self.day_before)
        );
        match self.kind {
            MoveKind::NoMove => format!("the {name} barely moves from yesterday's price ({facts})"),
            MoveKind::Lagging => {
                format!("the {name} LAGS: its moves echo the day before's move, not the day's own ({facts})")
            }
            MoveKind::Contrary => {
                format!("the {name}'s moves go AGAINST the day's move: worse than no move at all ({facts})")
            }
            MoveKind::Informative => format!("the {name}'s moves carry information about the day's move ({facts})"),
            MoveKind::Reverting => format!(
                "the {name}'s moves reverse the day before's move, and the day's own move does not follow them ({facts})"
            ),
            MoveKind::Uninformative => format!(
                "the {name}'s moves are unrelated to the day's and the day before's moves at 5%: yesterday's price plus noise ({facts})"
            ),
        }
    }
}

/// A forecast `path` from the last of `prices` that moves, per day, within two standard errors
/// of the file's average daily log return: a forecast that is only the drift, saying nothing
/// the average does not. Returns the drift (a daily log return) when so.
pub fn only_drift(prices: &[f64], path: &[f64]) -> Option<f64> {
    let (Some(&last), Some(&end)) = (prices.last(), path.last()) else { return None };
    let r: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).filter(|v| v.is_finite()).collect();
    if r.len() < 2 || !(last > 0.0 && end > 0.0) {
        return None;
    }
    let (drift, sd) = crate::eval::stats::mean_sd(&r);
    let per_day = (end / last).ln() / path.len() as f64;
    ((per_day - drift).abs() <= 2.0 * sd / (r.len() as f64).sqrt()).then_some(drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A price path with irregular moves (deterministic).
    fn walk() -> Vec<f64> {
        let mut p = vec![100.0];
        let mut x: u64 = 9;
        for _ in 1..400 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            p.push(p[p.len() - 1] * (1.0 + 0.03 * u));
        }
        p
    }

    #[test]
    fn moves_are_classified() {
        let p = walk();
        let rows: Vec<usize> = (100..400).collect();
        let profile = |f: &dyn Fn(usize) -> f64| {
            move_profile(&rows.iter().map(|&t| f(t)).collect::<Vec<_>>(), &p, &rows)
        };
        let naive = profile(&|t| p[t - 1]);
        assert_eq!(naive.kind, MoveKind::NoMove, "{naive:?}");
        let late = profile(&|t| p[t - 1] + (p[t - 1] - p[t - 2]));
        assert_eq!(late.kind, MoveKind::Lagging, "{late:?}");
        assert!(late.day_before.unwrap() > 0.999 && (late.size_ratio - 1.0).abs() < 0.1, "{late:?}");
        let perfect = profile(&|t| p[t]);
        assert_eq!(perfect.kind, MoveKind::Informative, "{perfect:?}");
        let against = profile(&|t| 2.0 * p[t - 1] - p[t]);
        assert_eq!(against.kind, MoveKind::Contrary, "{against:?}");
        let reverting = profile(&|t| p[t - 1] - 0.5 * (p[t - 1] - p[t - 2]));
        assert_eq!(reverting.kind, MoveKind::Reverting, "{reverting:?}");
        assert!(perfect.same_day.unwrap() > 0.999 && (perfect.size_ratio - 1.0).abs() < 1e-12);
        // a third of the day's move plus as much noise again: weak but real information
        let noise = |t: usize| ((t as f64 * 12.9898).sin() * 43758.5453).fract() - 0.5;
        let noisy = profile(&|t| p[t - 1] + 0.3 * (p[t] - p[t - 1]) + 1.0 * noise(t));
        assert_eq!(noisy.kind, MoveKind::Informative, "{noisy:?}");
        assert!(noisy.same_day.unwrap() < 0.7, "the noise must matter: {noisy:?}");
        // noise alone: moves of a realistic size, unrelated to anything
        let random = profile(&|t| p[t - 1] + 2.0 * noise(t));
        assert_eq!(random.kind, MoveKind::Uninformative, "{random:?}");
        // a tiny constant drift barely moves
        let drift = profile(&|t| p[t - 1] * 1.00001);
        assert_eq!(drift.kind, MoveKind::NoMove, "{drift:?}");
        assert!(late.sentence("LSTM").contains("LAGS"));
        // momentum on a series with momentum: late by construction, and yet informative
        let mut q = vec![100.0, 100.0];
        let mut prev = 0.0;
        for t in 2..400 {
            let r = 0.6 * prev + 0.8 * (p[t] / p[t - 1] - 1.0);
            q.push(q[t - 1] * (1.0 + r));
            prev = r;
        }
        let momentum = move_profile(
            &rows.iter().map(|&t| q[t - 1] * (1.0 + 0.6 * (q[t - 1] / q[t - 2] - 1.0))).collect::<Vec<_>>(),
            &q,
            &rows,
        );
        assert_eq!(momentum.kind, MoveKind::Informative, "{momentum:?}");
        assert!(momentum.day_before.unwrap() > 0.99, "{momentum:?}");
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

    #[test]
    fn a_forecast_of_the_drift_alone_is_named() {
        // 501 prices with +0.1% a day on average and 1% noise (alternating): standard error of
        // the drift 0.045% a day
        let prices: Vec<f64> = (0..501)
            .scan(100.0, |p, i| {
                *p *= (0.001f64 + if i % 2 == 0 { 0.01 } else { -0.01 }).exp();
                Some(*p)
            })
            .collect();
        let last = *prices.last().unwrap();
        let drift_path: Vec<f64> = (1..=5).map(|h| last * (0.001 * h as f64).exp()).collect();
        let d = only_drift(&prices, &drift_path).expect("the drift itself is flagged");
        assert!((d - 0.001).abs() < 1e-4, "{d}");
        // half a percent a day is a forecast of its own; so is a flat one (0 vs +0.1%, over 2 se)
        let strong: Vec<f64> = (1..=5).map(|h| last * (0.005 * h as f64).exp()).collect();
        assert_eq!(only_drift(&prices, &strong), None);
        assert_eq!(only_drift(&prices, &[last; 5]), None);
    }
}
