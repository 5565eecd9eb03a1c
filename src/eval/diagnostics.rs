//! More baselines, and the lag detector: do a forecast's predicted moves follow the day's
//! actual move, the day before's, or nothing?

use serde::{Deserialize, Serialize};

use super::stats::{correlation, t_two_sided_p};

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
    /// t-statistics of the day's move and the day before's in one regression of the predicted
    /// move on both (with a constant); `None` where the two cannot be told apart.
    #[serde(default)]
    pub same_day_t: Option<f64>,
    #[serde(default)]
    pub day_before_t: Option<f64>,
    pub kind: MoveKind,
}

/// The lag detector's inputs per day: the predicted move (forecast minus the day before's
/// price), the day's actual move and the day before's move.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveInputs {
    pub predicted: Vec<f64>,
    pub actual: Vec<f64>,
    pub before: Vec<f64>,
}

/// [`MoveInputs`] of `pred[i]`, the forecast of `prices[rows[i]]` made the day before (rows >= 2).
pub fn move_inputs(pred: &[f64], prices: &[f64], rows: &[usize]) -> MoveInputs {
    MoveInputs {
        predicted: pred.iter().zip(rows).map(|(f, &t)| f - prices[t - 1]).collect(),
        actual: rows.iter().map(|&t| prices[t] - prices[t - 1]).collect(),
        before: rows.iter().map(|&t| prices[t - 1] - prices[t.saturating_sub(2)]).collect(),
    }
}

/// t-statistics of `b1` and `b2` in `y = a + b1 x1 + b2 x2 + e` (ordinary least squares);
/// `None` when `x1` and `x2` are (nearly) collinear or too few. A fit with no residual left (a
/// forecast that is exactly a mix of the two moves) is given a residual floor of 1e-12 of
/// `y`'s variance, so that an exact coefficient counts and a zero one does not.
pub fn two_regressor_t(y: &[f64], x1: &[f64], x2: &[f64]) -> Option<(f64, f64)> {
    let n = y.len();
    if n < 4 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (my, m1, m2) = (mean(y), mean(x1), mean(x2));
    let (mut s11, mut s22, mut s12, mut s1y, mut s2y, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        let (a, b, c) = (x1[i] - m1, x2[i] - m2, y[i] - my);
        (s11, s22, s12, s1y, s2y, syy) =
            (s11 + a * a, s22 + b * b, s12 + a * b, s1y + a * c, s2y + b * c, syy + c * c);
    }
    let det = s11 * s22 - s12 * s12;
    if det.is_nan() || det <= 1e-9 * s11 * s22 {
        return None;
    }
    let b1 = (s22 * s1y - s12 * s2y) / det;
    let b2 = (s11 * s2y - s12 * s1y) / det;
    let rss: f64 = (0..n).map(|i| ((y[i] - my) - b1 * (x1[i] - m1) - b2 * (x2[i] - m2)).powi(2)).sum();
    let s2 = (rss / (n - 3) as f64).max(1e-12 * syy / (n - 1) as f64);
    if s2.is_nan() || s2 <= 0.0 {
        return None;
    }
    Some((b1 / (s2 * s22 / det).sqrt(), b2 / (s2 * s11 / det).sqrt()))
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

impl MoveKind {
    /// The verdict in a few words.
    pub fn words(self) -> &'static str {
        match self {
            MoveKind::NoMove => "it barely moved from yesterday's price",
            MoveKind::Lagging => "late, echoing the day before's move",
            MoveKind::Informative => "they carried information about the day's move",
            MoveKind::Contrary => "they went against the day's move",
            MoveKind::Reverting => "they reversed the day before's move",
            MoveKind::Uninformative => "unrelated to the day's and the day before's moves",
        }
    }
}

/// Below this share of the actual moves' size a forecast is said not to move at all.
pub const NO_MOVE_RATIO: f64 = 0.01;

/// Profiles `pred[i]`, the forecast of `prices[rows[i]]` made the day before (rows >= 2).
///
/// The verdict reads both moves at once, from one regression of the predicted move on the
/// day's move and the day before's (5% two-sided t-tests). Where the day before's move is
/// significant and explains the prediction more strongly than the day's own, the forecast
/// echoes it: lagging or reverting. Otherwise what the day's own move explains beyond the day
/// before's decides informative or contrary, and failing that the day before's decides.
/// Asking the correlations one at a time would call a late copy of the moves "contrary"
/// wherever the moves themselves alternate, and "informative" wherever they trend; asking the
/// day's own move first would call a strong echo "contrary" when the moves trend a little.
/// Where the two moves cannot be told apart, the correlations decide.
pub fn move_profile(pred: &[f64], prices: &[f64], rows: &[usize]) -> MoveProfile {
    let MoveInputs { predicted, actual, before } = move_inputs(pred, prices, rows);
    let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt();
    let size_ratio = rms(&predicted) / rms(&actual);
    let same_day = correlation(&predicted, &actual);
    let day_before = correlation(&predicted, &before);
    let n = pred.len();
    let ts = two_regressor_t(&predicted, &actual, &before);
    // both as t-statistics: the regression's, or (collinear moves) each correlation's own
    let as_t = |r: Option<f64>| r.map(|r| r * ((n as f64 - 2.0) / (1.0 - r * r).max(1e-300)).sqrt());
    let (t1, t2) = ts.map_or((as_t(same_day), as_t(day_before)), |(a, b)| (Some(a), Some(b)));
    let df = n.saturating_sub(3).max(1) as f64;
    let counts = |t: Option<f64>| t.is_some_and(|t| t > 0.0 && t_two_sided_p(t, df) < 0.05);
    let size = |t: Option<f64>| t.map_or(0.0, f64::abs);
    // the day before's move explains the prediction, and more strongly than the day's own
    let echo = (counts(t2) || counts(t2.map(|t| -t))) && size(t2) > size(t1);
    let kind = if size_ratio.is_nan() || size_ratio < NO_MOVE_RATIO {
        MoveKind::NoMove
    } else if echo && counts(t2) {
        MoveKind::Lagging
    } else if echo {
        MoveKind::Reverting
    } else if counts(t1) {
        MoveKind::Informative
    } else if counts(t1.map(|t| -t)) {
        MoveKind::Contrary
    } else if counts(t2) {
        MoveKind::Lagging
    } else if counts(t2.map(|t| -t)) {
        MoveKind::Reverting
    } else {
        MoveKind::Uninformative
    };
    MoveProfile {
        n,
        same_day,
        day_before,
        size_ratio,
        same_day_t: ts.map(|t| t.0),
        day_before_t: ts.map(|t| t.1),
        kind,
    }
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
                let bound = 1.96 / (self.n as f64).sqrt();
                let echo = match self.same_day {
                    Some(r) if r > bound => {
                        "; on these days the day's move follows the day before's, so the echo still carries some information (momentum)"
                    }
                    Some(r) if r < -bound => {
                        "; on these days the day's move reverses the day before's, so the echo goes against it"
                    }
                    _ => "",
                };
                format!("the {name} LAGS: its moves echo the day before's move, not the day's own ({facts}){echo}")
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

/// A forecast path's daily move beside the file's average daily move (its drift): a forecast
/// within two standard errors of the drift says nothing the average does not; one beyond it
/// makes a claim of its own. Judged on every forecast by the same rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drift {
    /// The file's mean daily log return.
    pub drift: f64,
    /// Two standard errors of that mean.
    pub margin: f64,
    /// The forecast's mean daily log return, from the last price to the path's end.
    pub per_day: f64,
}

impl Drift {
    /// The forecast `path` from the last of `prices`; `None` without two returns or with a
    /// price that is not positive.
    pub fn of(prices: &[f64], path: &[f64]) -> Option<Drift> {
        let (Some(&last), Some(&end)) = (prices.last(), path.last()) else { return None };
        let r: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).filter(|v| v.is_finite()).collect();
        if r.len() < 2 || !(last > 0.0 && end > 0.0) {
            return None;
        }
        let (drift, sd) = crate::eval::stats::mean_sd(&r);
        let per_day = (end / last).ln() / path.len() as f64;
        Some(Drift { drift, margin: 2.0 * sd / (r.len() as f64).sqrt(), per_day })
    }

    /// Whether the forecast is only the drift, within noise.
    pub fn only_drift(&self) -> bool {
        (self.per_day - self.drift).abs() <= self.margin
    }

    /// The note printed under every forecast, either way.
    pub fn sentence(&self) -> String {
        let (pct, drift, margin) = (100.0 * self.per_day, 100.0 * self.drift, 100.0 * self.margin);
        if self.only_drift() {
            format!(
                "note: the forecast moves {pct:+.3}% a day, within noise of this file's average daily move ({drift:+.3}% ± {margin:.3}%, two standard errors): it says nothing the average does not"
            )
        } else {
            format!(
                "note: the forecast moves {pct:+.3}% a day, beyond this file's average daily move ({drift:+.3}% ± {margin:.3}%, two standard errors): a move of its own, which nothing here has tested"
            )
        }
    }
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
        // momentum on a series with momentum: late by construction, and said to carry
        // information only through the series' own momentum
        assert_eq!(momentum.kind, MoveKind::Lagging, "{momentum:?}");
        assert!(momentum.day_before.unwrap() > 0.99, "{momentum:?}");
        assert!(momentum.sentence("GRU").contains("(momentum)"), "{}", momentum.sentence("GRU"));
    }

    /// 1001 prices whose daily moves follow an AR(1) with coefficient `phi` (long enough that the
    /// sample autocorrelation is reliably near `phi`), and a noise of the moves' own size.
    fn ar_prices(phi: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut x = seed;
        let mut normal = || {
            // the sum of 12 uniforms less 6: mean 0, variance 1
            (0..12)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (x >> 11) as f64 / (1u64 << 53) as f64
                })
                .sum::<f64>()
                - 6.0
        };
        let (mut p, mut prev) = (vec![100.0, 100.0], 0.0);
        for _ in 0..1000 {
            let m = phi * prev + normal();
            p.push(p[p.len() - 1] + m);
            prev = m;
        }
        let noise = (0..p.len()).map(|_| normal()).collect();
        (p, noise)
    }

    /// Both correlations at once: on moves that alternate (phi -0.2) or trend (+0.2), a late copy
    /// is late, neither contrary nor informative; a perfect and a noisy informative forecast
    /// are informative; yesterday's price does not move.
    #[test]
    fn the_lag_detector_reads_both_moves_together_on_autocorrelated_series() {
        for phi in [-0.2, 0.2] {
            for seed in [3, 11, 29] {
                let (p, noise) = ar_prices(phi, seed);
                let rows: Vec<usize> = (2..p.len()).collect();
                let profile = |f: &dyn Fn(usize) -> f64| {
                    move_profile(&rows.iter().map(|&t| f(t)).collect::<Vec<_>>(), &p, &rows)
                };
                let naive = profile(&|t| p[t - 1]);
                let late = profile(&|t| 2.0 * p[t - 1] - p[t - 2]);
                let perfect = profile(&|t| p[t]);
                let noisy = profile(&|t| p[t - 1] + 0.5 * (p[t] - p[t - 1]) + noise[t]);
                let what = format!("phi {phi} seed {seed}");
                assert_eq!(naive.kind, MoveKind::NoMove, "{what}: {naive:?}");
                assert_eq!(late.kind, MoveKind::Lagging, "{what}: {late:?}");
                assert_eq!(perfect.kind, MoveKind::Informative, "{what}: {perfect:?}");
                assert_eq!(noisy.kind, MoveKind::Informative, "{what}: {noisy:?}");
                // the series is as autocorrelated as planted, so a one-at-a-time reading of
                // the late copy's same-day correlation would have called it contrary or informative
                let r = late.same_day.unwrap();
                assert!(r.abs() > 1.96 / (rows.len() as f64).sqrt(), "{what}: {late:?}");
                // an echo of the day before's move with noise, whose partial relation to the
                // day's own move is negative on a trending series (AAPL's GRU: r = -0.00 with
                // the day's move, +0.76 with the day before's): late, not contrary
                let echo = profile(&|t| {
                    p[t - 1] + 0.8 * (p[t - 1] - p[t - 2]) - 0.15 * (p[t] - p[t - 1]) + 0.2 * noise[t]
                });
                assert_eq!(echo.kind, MoveKind::Lagging, "{what}: {echo:?}");
            }
        }
    }

    #[test]
    fn regression_t_statistics_by_hand() {
        // y = 2 x1 exactly, x2 unrelated: t1 huge, t2 about 0
        let x1 = [1.0, -1.0, 2.0, 0.5, -2.0, 1.5];
        let x2 = [0.3, 0.1, -0.4, 0.2, 0.0, -0.2];
        let y: Vec<f64> = x1.iter().map(|v| 2.0 * v).collect();
        let (t1, t2) = two_regressor_t(&y, &x1, &x2).unwrap();
        assert!(t1 > 1e4 && t2.abs() < 1e-3, "{t1} {t2}");
        // collinear regressors cannot be told apart
        assert_eq!(two_regressor_t(&y, &x1, &x1), None);
        // a worked example with residuals, against torch.linalg.lstsq in float64 (torch 2.11:
        // b = [0.445813, 0.762562, -1.470443] for the constant, x1 and x2; t = 4.204332,
        // 9.566607, -3.126923 with the usual (X'X)^-1 s^2 covariance)
        let y = [1.0, -0.5, 2.5, 0.2, -1.0, 2.0];
        let (t1, t2) = two_regressor_t(&y, &x1, &x2).unwrap();
        assert!((t1 - 9.566607).abs() < 1e-5 && (t2 + 3.126923).abs() < 1e-5, "{t1} {t2}");
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
        let d = Drift::of(&prices, &drift_path).unwrap();
        assert!(d.only_drift() && (d.drift - 0.001).abs() < 1e-4, "{d:?}");
        assert!((d.margin - 0.0009).abs() < 2e-5, "{d:?}");
        assert!(d.sentence().contains("within noise") && d.sentence().contains("± 0.09"), "{}", d.sentence());
        // half a percent a day is a forecast of its own; so is a flat one (0 vs +0.1%, over 2
        // se): each is judged by the same rule and gets its own note, not silence
        let strong: Vec<f64> = (1..=5).map(|h| last * (0.005 * h as f64).exp()).collect();
        for path in [strong, vec![last; 5]] {
            let d = Drift::of(&prices, &path).unwrap();
            assert!(!d.only_drift() && d.sentence().contains("beyond this file's average"), "{d:?}");
        }
        assert_eq!(Drift::of(&prices[..1], &[last]), None);
    }
}
