//! Judging forecasts across tickers, day by day, as a cross-sectional study does: how well each
//! day's forecasts order the tickers (information coefficient), whether that holds up over days
//! (its mean, spread and a t-statistic with Newey-West errors), and what a daily long-short
//! portfolio of the top and bottom k tickers earns before and after costs. The one-day reversal
//! score (minus the last day's return) is the classic baseline such a ranking must beat.
//!
//! Every function takes one day's values across tickers, or one value per day, as plain slices:
//! the caller lines up (ticker, day) pairs, so the same figures come from any contender.

use serde::Serialize;

pub use crate::data::cross_target::ranks;

/// Pearson correlation across tickers of one day's forecasts and outcomes, over the pairs where
/// both are finite; `None` with fewer than 3 pairs or no spread on either side (no ordering).
pub fn ic(forecast: &[f64], outcome: &[f64]) -> Option<f64> {
    let (a, b) = finite_pairs(forecast, outcome);
    pearson(&a, &b)
}

/// The pairs where both values are finite (a ticker without a forecast or an outcome that day
/// drops out).
fn finite_pairs(a: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    a.iter().zip(b).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(x, y)| (*x, *y)).unzip()
}

/// Spearman's rank correlation (Pearson on average ranks) of one day's forecasts and outcomes:
/// the rank IC, which one extreme ticker cannot dominate.
pub fn rank_ic(forecast: &[f64], outcome: &[f64]) -> Option<f64> {
    let (a, b) = finite_pairs(forecast, outcome);
    pearson(&ranks(&a), &ranks(&b))
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len();
    if n < 3 {
        return None;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n as f64, b.iter().sum::<f64>() / n as f64);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// A daily series (an IC, a portfolio's return) summed up over its days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeriesSummary {
    pub days: usize,
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// `mean / sd`: for an IC series, the ICIR.
    pub ratio: f64,
    /// `mean` over its Newey-West standard error.
    pub t: f64,
    /// The Newey-West lag used.
    pub lag: usize,
}

/// The Newey-West (1994) automatic lag for `n` days: `floor(4 (n / 100)^(2/9))`.
pub fn newey_west_lag(n: usize) -> usize {
    (4.0 * (n as f64 / 100.0).powf(2.0 / 9.0)).floor() as usize
}

/// The mean of `x` over its Newey-West standard error with `lag` lags (Bartlett weights
/// `1 - l / (lag + 1)`, autocovariances over `n`): a t-statistic that allows for the
/// autocorrelation of daily ICs (overlapping information from one day to the next). `None`
/// for fewer than 3 values or no variance.
pub fn newey_west_t(x: &[f64], lag: usize) -> Option<f64> {
    let m = x.iter().sum::<f64>() / x.len().max(1) as f64;
    newey_west_se(x, lag).map(|se| m / se)
}

/// The Newey-West standard error of `x`'s mean (see [`newey_west_t`]).
pub fn newey_west_se(x: &[f64], lag: usize) -> Option<f64> {
    let n = x.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let m = x.iter().sum::<f64>() / nf;
    let gamma = |l: usize| (l..n).map(|t| (x[t] - m) * (x[t - l] - m)).sum::<f64>() / nf;
    let s = gamma(0)
        + 2.0 * (1..=lag.min(n - 1)).map(|l| (1.0 - l as f64 / (lag as f64 + 1.0)) * gamma(l)).sum::<f64>();
    (s > 0.0 && s.is_finite()).then(|| (s / nf).sqrt())
}

/// `x`'s days, mean, sd, mean/sd and Newey-West t (automatic lag); `None` for fewer than 3
/// finite values.
pub fn summarise(x: &[f64]) -> Option<SeriesSummary> {
    let v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let n = v.len();
    if n < 3 {
        return None;
    }
    let (mean, sd) = crate::eval::stats::mean_sd(&v);
    let lag = newey_west_lag(n);
    Some(SeriesSummary {
        days: n,
        mean,
        sd,
        ratio: if sd > 0.0 { mean / sd } else { f64::NAN },
        t: newey_west_t(&v, lag).unwrap_or(f64::NAN),
        lag,
    })
}

/// The one-day reversal score of each ticker: minus its last day's return (yesterday's losers
/// are expected to bounce), the daily cross-sectional baseline.
pub fn reversal(last_returns: &[f64]) -> Vec<f64> {
    last_returns.iter().map(|r| -r).collect()
}

/// One day of a top-k / bottom-k portfolio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LongShortDay {
    /// Tickers held long and short (indices into the day's slices), best score first.
    pub long: Vec<usize>,
    pub short: Vec<usize>,
    /// Weight `1 / k` on each long, `-1 / k` on each short: return = mean long return minus
    /// mean short return.
    pub gross: f64,
    /// Gross minus the cost of the day's trades.
    pub net: f64,
    /// Sum of the absolute weight changes from the day before (4.0 when every position turns).
    pub turnover: f64,
}

/// The daily long-short portfolio of the `k` highest and `k` lowest scores, equal-weighted (each
/// leg one unit of capital, as Fischer and Krauss 2018), held for one day. `scores[t][i]` and
/// `returns[t][i]`: ticker `i`'s score known at the close before day `t`, and its return over day
/// `t`; a non-finite score or return leaves the ticker out that day. Costs: `cost_bps` per unit
/// of weight traded (a half-turn), on the change from the day before's weights (the first day
/// opens both legs: turnover 2). A day with fewer than `2k` usable tickers, or whose scores are
/// all equal, holds nothing.
pub fn long_short(scores: &[Vec<f64>], returns: &[Vec<f64>], k: usize, cost_bps: f64) -> Vec<LongShortDay> {
    let mut held: Vec<(usize, f64)> = Vec::new();
    let mut days = Vec::with_capacity(scores.len());
    for (s, r) in scores.iter().zip(returns) {
        let mut usable: Vec<usize> =
            (0..s.len().min(r.len())).filter(|&i| s[i].is_finite() && r[i].is_finite()).collect();
        // scores all equal order nothing: no book that day (not one picked by ticker order)
        let spread = usable.iter().any(|&i| s[i] != s[usable[0]]);
        let (long, short) = if k > 0 && usable.len() >= 2 * k && spread {
            // best first; ties broken by ticker order, so runs repeat exactly
            usable.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
            let long = usable[..k].to_vec();
            let mut short = usable[usable.len() - k..].to_vec();
            short.reverse();
            (long, short)
        } else {
            (vec![], vec![])
        };
        let w = 1.0 / k.max(1) as f64;
        let weights: Vec<(usize, f64)> =
            long.iter().map(|&i| (i, w)).chain(short.iter().map(|&i| (i, -w))).collect();
        let weight_of =
            |set: &[(usize, f64)], i: usize| set.iter().find(|(j, _)| *j == i).map_or(0.0, |x| x.1);
        let mut names: Vec<usize> = weights.iter().chain(&held).map(|x| x.0).collect();
        names.sort_unstable();
        names.dedup();
        let turnover: f64 = names.iter().map(|&i| (weight_of(&weights, i) - weight_of(&held, i)).abs()).sum();
        let mean = |set: &[usize]| set.iter().map(|&i| r[i]).sum::<f64>() / set.len().max(1) as f64;
        let gross = if long.is_empty() { 0.0 } else { mean(&long) - mean(&short) };
        let net = gross - turnover * cost_bps / 1e4;
        days.push(LongShortDay { long, short, gross, net, turnover });
        held = weights;
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: forecasts 1, 2, 3, 4 against outcomes 1%, 3%, 2%, 10%. Means 2.5 and 4%;
    /// deviations (-1.5, -0.5, 0.5, 1.5) and (-3, -1, -2, 6)%: cross products sum to 0.13,
    /// squares 5 and 0.0050, so IC = 0.13 / sqrt(5 * 0.005) = 0.822192 (SciPy's pearsonr
    /// agrees). The outcomes' ranks are 1, 3, 2, 4: Spearman = 1 - 6 * 2 / (4 * 15) = 0.8.
    #[test]
    fn ic_and_rank_ic_match_hand_worked_values() {
        let (f, o) = ([1.0, 2.0, 3.0, 4.0], [0.01, 0.03, 0.02, 0.10]);
        assert!((ic(&f, &o).unwrap() - 0.13 / (5.0f64 * 0.005).sqrt()).abs() < 1e-12);
        assert!((rank_ic(&f, &o).unwrap() - 0.8).abs() < 1e-12);
        // a missing outcome drops its ticker; two pairs or a constant side give no IC
        assert!(
            (ic(&[1.0, 2.0, 3.0, 4.0, 5.0], &[0.01, 0.03, 0.02, 0.10, f64::NAN]).unwrap() - 0.822192).abs()
                < 1e-6
        );
        assert_eq!(ic(&[1.0, 2.0], &[0.1, 0.2]), None);
        assert_eq!(rank_ic(&[1.0, 1.0, 1.0], &[0.1, 0.2, 0.3]), None);
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    /// Worked by hand: x = 1, 2, 3, 4 with one lag. Mean 2.5; gamma0 = 5 / 4 = 1.25;
    /// gamma1 = (0.75 - 0.25 + 0.75) / 4 = 0.3125; S = 1.25 + 2 * 0.5 * 0.3125 = 1.5625;
    /// se = sqrt(1.5625 / 4) = 0.625; t = 2.5 / 0.625 = 4. With no lag the t is the plain one
    /// on the biased variance, 2.5 / sqrt(1.25 / 4).
    #[test]
    fn newey_west_t_matches_a_hand_worked_value() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((newey_west_t(&x, 1).unwrap() - 4.0).abs() < 1e-12);
        assert!((newey_west_t(&x, 0).unwrap() - 2.5 / (1.25f64 / 4.0).sqrt()).abs() < 1e-12);
        assert_eq!(newey_west_t(&[1.0, 1.0, 1.0], 1), None);
        // statsmodels 0.14: OLS on a constant, cov_type="HAC", use_correction=False
        let y = [0.03, -0.01, 0.05, 0.02, 0.04, -0.02, 0.01, 0.06, 0.0, 0.03, 0.02, -0.03];
        for (lag, t) in [(0, 2.1735706680066547), (2, 3.1740552713636916), (3, 3.3593550657351257)] {
            assert!((newey_west_t(&y, lag).unwrap() - t).abs() < 1e-12, "lag {lag}");
        }
        assert_eq!(newey_west_lag(100), 4);
        assert_eq!(newey_west_lag(1000), 6);
        let s = summarise(&[0.02, 0.05, f64::NAN, -0.01, 0.04]).unwrap();
        assert_eq!(s.days, 4);
        assert!((s.mean - 0.025).abs() < 1e-12 && (s.ratio - s.mean / s.sd).abs() < 1e-12);
    }

    /// Worked by hand: four tickers over three days, k = 1, 5 bp a half-turn.
    /// Day 1 scores (0.3, -0.1, 0.2, -0.4): long A, short D; returns (1%, 2%, -1%, -2%):
    /// gross 1% + 2% = 3%; opening both legs turns over 2 units: net 3% - 10 bp = 2.9%.
    /// Day 2 scores (0.1, 0.5, 0.0, -0.2): long B, short D; returns (0, 1%, 2%, 3%): gross
    /// 1% - 3% = -2%; A sold and B bought: turnover 2, net -2.1%.
    /// Day 3 scores (0.1, 0.6, -0.3, 0.0): long B, short C; returns (1%, -1%, 1%, 0): gross
    /// -1% - 1% = -2%; D covered and C shorted: turnover 2, net -2.1%.
    #[test]
    fn long_short_matches_a_hand_worked_three_day_example() {
        let scores = vec![vec![0.3, -0.1, 0.2, -0.4], vec![0.1, 0.5, 0.0, -0.2], vec![0.1, 0.6, -0.3, 0.0]];
        let returns =
            vec![vec![0.01, 0.02, -0.01, -0.02], vec![0.0, 0.01, 0.02, 0.03], vec![0.01, -0.01, 0.01, 0.0]];
        let d = long_short(&scores, &returns, 1, 5.0);
        let got: Vec<(Vec<usize>, Vec<usize>)> =
            d.iter().map(|x| (x.long.clone(), x.short.clone())).collect();
        assert_eq!(got, vec![(vec![0], vec![3]), (vec![1], vec![3]), (vec![1], vec![2])]);
        for (day, (gross, net, turnover)) in
            d.iter().zip([(0.03, 0.029, 2.0), (-0.02, -0.021, 2.0), (-0.02, -0.021, 2.0)])
        {
            assert!((day.gross - gross).abs() < 1e-12 && (day.net - net).abs() < 1e-12, "{day:?}");
            assert!((day.turnover - turnover).abs() < 1e-12, "{day:?}");
        }
        // the reversal baseline: yesterday's losers ranked first
        assert_eq!(reversal(&[0.02, -0.01]), vec![-0.02, 0.01]);
        // too few usable tickers for k on each side: nothing held, nothing earned
        let thin = long_short(&[vec![0.1, f64::NAN, 0.2]], &[vec![0.01, 0.02, 0.03]], 2, 5.0);
        assert!(thin[0].long.is_empty() && thin[0].gross == 0.0 && thin[0].turnover == 0.0);
        let tied = long_short(&[vec![0.1; 4]], &[vec![0.01, 0.02, 0.03, 0.04]], 1, 5.0);
        assert!(tied[0].long.is_empty() && tied[0].gross == 0.0);
    }
}
