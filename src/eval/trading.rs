//! What a forecast is worth traded: positions decided from the forecasts with no look-ahead,
//! returns gross and net of costs beside buy-and-hold and simple rules on the same days, the
//! cost at which any edge disappears, and whether the edge is more than luck.
//!
//! **Timing.** Test day `i` runs from the close of day t-1 to the close of day t. The position
//! held over it is decided at the close of t-1, from the forecast of close t (made with data up
//! to close t-1) and the closes up to t-1; it earns the asset's return `close_t / close_{t-1} - 1`.
//! A change of position is traded at the close of t-1 and pays `cost` per unit of turnover
//! (`|p_i - p_{i-1}|`; the first day's entry counts, a final exit does not). Returns are simple,
//! without dividends unless the target column is adjusted, with no borrow fee on short days and
//! no interest on cash; Sharpe and Sortino ratios take a risk-free rate of zero and 252 trading
//! days a year.

use chrono::NaiveDate;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::stats::mean_sd;

/// Trading days in a year, for annualising.
pub const YEAR: f64 = 252.0;

/// The default cost per unit of turnover, in basis points. A market order for a retail-size
/// position in a liquid US large cap crosses about half a 1-2 bp quoted spread and meets some
/// slippage; commissions are zero at most US brokers. 5 bp each way is a conservative round
/// figure for such stocks (it does not cover the market impact of institutional-size orders,
/// nor small caps, whose spreads run to tens of basis points: set `--cost-bps` for those).
pub const DEFAULT_COST_BPS: f64 = 5.0;

/// Resamples of the stationary bootstrap.
pub const RESAMPLES: usize = 2000;

/// The sentence every output states about when positions are decided.
pub const TIMING: &str = "each day's position is decided at the previous close, from the forecast made with data up to that close; it earns the close-to-close return; costs are charged per unit of position change";

/// How a position is chosen for each day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Long when the forecast is above the last close, otherwise out of the market.
    LongFlat,
    /// Long when the forecast is above the last close, short when below.
    LongShort,
    /// Long or short only when the predicted move exceeds the round-trip cost, otherwise flat.
    Threshold,
    /// Always long: buy-and-hold.
    Hold,
    /// Long after an up day, short after a down day.
    Momentum,
    /// Short after an up day, long after a down day.
    Contrarian,
}

impl Rule {
    /// The forecast's strategies, then the rule baselines (buy-and-hold first).
    /// The rules that trade on the forecast.
    pub const STRATEGIES: [Rule; 3] = [Rule::LongFlat, Rule::LongShort, Rule::Threshold];
    pub const ALL: [Rule; 6] =
        [Rule::LongFlat, Rule::LongShort, Rule::Threshold, Rule::Hold, Rule::Momentum, Rule::Contrarian];

    pub fn name(self) -> &'static str {
        match self {
            Rule::LongFlat => "long/flat",
            Rule::LongShort => "long/short",
            Rule::Threshold => "threshold",
            Rule::Hold => "buy-and-hold",
            Rule::Momentum => "momentum",
            Rule::Contrarian => "contrarian",
        }
    }

    /// Whether the rule trades on the forecast (the others are baselines).
    pub fn uses_forecast(self) -> bool {
        matches!(self, Rule::LongFlat | Rule::LongShort | Rule::Threshold)
    }
}

/// The days traded. Day `i`: `prev2[i]` and `prev[i]` the closes of t-2 and t-1, `actual[i]`
/// the close of t, `forecast[i]` the forecast of close t made at close t-1.
#[derive(Debug, Clone)]
pub struct Days {
    /// The close before the first day (where the equity curves start).
    pub start: NaiveDate,
    pub dates: Vec<NaiveDate>,
    pub prev2: Vec<f64>,
    pub prev: Vec<f64>,
    pub actual: Vec<f64>,
    pub forecast: Vec<f64>,
}

impl Days {
    /// The days `rows` of a price series (each row at least 2), with `forecast[i]` the forecast
    /// of `prices[rows[i]]`.
    pub fn from_series(dates: &[NaiveDate], prices: &[f64], rows: &[usize], forecast: &[f64]) -> Days {
        assert!(!rows.is_empty(), "trading needs at least one day");
        assert!(rows.len() == forecast.len() && rows.iter().all(|&t| t >= 2), "trading days");
        Days {
            start: dates[rows[0] - 1],
            dates: rows.iter().map(|&t| dates[t]).collect(),
            prev2: rows.iter().map(|&t| prices[t - 2]).collect(),
            prev: rows.iter().map(|&t| prices[t - 1]).collect(),
            actual: rows.iter().map(|&t| prices[t]).collect(),
            forecast: forecast.to_vec(),
        }
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Each day's return of holding the asset.
    pub fn returns(&self) -> Vec<f64> {
        self.actual.iter().zip(&self.prev).map(|(a, p)| a / p - 1.0).collect()
    }

    /// The position `rule` holds each day, from what is known at the previous close: the
    /// forecast and the closes of t-1 and t-2, never `actual`.
    pub fn positions(&self, rule: Rule, round_trip: f64) -> Vec<f64> {
        (0..self.len())
            .map(|i| {
                let predicted = self.forecast[i] / self.prev[i] - 1.0;
                let yesterday = self.prev[i] - self.prev2[i];
                match rule {
                    Rule::LongFlat => f64::from(predicted > 0.0),
                    Rule::LongShort => sign(predicted),
                    Rule::Threshold if predicted.abs() > round_trip => sign(predicted),
                    Rule::Threshold => 0.0,
                    Rule::Hold => 1.0,
                    Rule::Momentum => sign(yesterday),
                    Rule::Contrarian => -sign(yesterday),
                }
            })
            .collect()
    }
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Each day's return of holding `positions`, net of `cost` (a fraction, 5 bp = 0.0005) per unit
/// of turnover; `cost = 0` gives the gross returns.
pub fn strategy_returns(positions: &[f64], returns: &[f64], cost: f64) -> Vec<f64> {
    let mut held = 0.0;
    positions
        .iter()
        .zip(returns)
        .map(|(&p, &r)| {
            let paid = cost * (p - held).abs();
            held = p;
            p * r - paid
        })
        .collect()
}

/// Total turnover: the sum of position changes, the first day's entry included.
pub fn turnover(positions: &[f64]) -> f64 {
    let mut held = 0.0;
    positions.iter().map(|&p| std::mem::replace(&mut held, p) - p).map(f64::abs).sum()
}

/// The figures of one series of daily returns.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Performance {
    /// Compounded over all days.
    pub total_return: f64,
    pub annual_return: f64,
    pub annual_volatility: f64,
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    /// The largest fall from a peak of the equity curve, as a fraction of the peak.
    pub max_drawdown: f64,
    /// The close the largest fall started from and the one it reached.
    pub drawdown_peak: NaiveDate,
    pub drawdown_trough: NaiveDate,
    /// Annual return over maximum drawdown.
    pub calmar: Option<f64>,
    /// Of the days in the market, the share that made money.
    pub hit_rate: Option<f64>,
    /// Share of days in the market (long or short).
    pub exposure: f64,
    /// Position changes per year (1 = the whole capital traded once a year).
    pub turnover_per_year: f64,
}

/// The daily Sharpe ratio (mean over standard deviation, not annualised); `None` for a constant
/// series or fewer than two days.
pub fn daily_sharpe(returns: &[f64]) -> Option<f64> {
    let (mean, sd) = mean_sd(returns);
    (returns.len() >= 2 && sd > 1e-15).then(|| mean / sd)
}

/// Figures of the daily `returns` of holding `positions` over `days`.
pub fn performance(returns: &[f64], positions: &[f64], days: &Days) -> Performance {
    let n = returns.len() as f64;
    let (mean, sd) = mean_sd(returns);
    let mut equity = 1.0f64;
    let (mut peak, mut peak_at) = (1.0f64, days.start);
    let (mut worst, mut worst_from, mut worst_to) = (0.0f64, days.start, days.start);
    for (&r, &d) in returns.iter().zip(&days.dates) {
        equity *= 1.0 + r;
        if equity > peak {
            (peak, peak_at) = (equity, d);
        }
        let fall = 1.0 - equity / peak;
        if fall > worst {
            (worst, worst_from, worst_to) = (fall, peak_at, d);
        }
    }
    let total = equity - 1.0;
    let annual = if equity > 0.0 { equity.powf(YEAR / n) - 1.0 } else { -1.0 };
    let downside = (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
    let held: Vec<(f64, f64)> =
        positions.iter().zip(returns).filter(|(p, _)| **p != 0.0).map(|(&p, &r)| (p, r)).collect();
    Performance {
        total_return: total,
        annual_return: annual,
        annual_volatility: sd * YEAR.sqrt(),
        sharpe: daily_sharpe(returns).map(|s| s * YEAR.sqrt()),
        sortino: (downside > 1e-15).then(|| mean / downside * YEAR.sqrt()),
        max_drawdown: worst,
        drawdown_peak: worst_from,
        drawdown_trough: worst_to,
        calmar: (worst > 1e-15).then(|| annual / worst),
        hit_rate: (!held.is_empty())
            .then(|| held.iter().filter(|(_, r)| *r > 0.0).count() as f64 / held.len() as f64),
        exposure: held.len() as f64 / n,
        turnover_per_year: turnover(positions) / n * YEAR,
    }
}

/// The cost at which a strategy's net total return falls to buy-and-hold's net total return
/// (both paying that cost).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BreakEven {
    /// It trails holding even before costs.
    Never,
    Bps {
        bps: f64,
    },
    /// Still ahead at the highest cost searched (or ahead and trading no more than holding, so
    /// that no cost closes the gap).
    Above {
        bps: f64,
    },
}

impl BreakEven {
    pub fn words(&self) -> String {
        match self {
            BreakEven::Never => "never ahead".into(),
            BreakEven::Bps { bps } => format!("{bps:.1} bp"),
            BreakEven::Above { bps } => format!("above {bps:.0} bp"),
        }
    }
}

/// The highest cost [`break_even`] searches, in basis points.
const MAX_COST_BPS: f64 = 1000.0;

/// The cost (basis points per unit of turnover) at which holding `positions` returns, net,
/// what holding the asset does, net of the same cost; found by bisection to 0.01 bp.
pub fn break_even(positions: &[f64], returns: &[f64]) -> BreakEven {
    let total = |pos: &[f64], bps: f64| {
        strategy_returns(pos, returns, bps / 1e4).iter().fold(1.0, |e, r| e * (1.0 + r))
    };
    let hold = vec![1.0; returns.len()];
    let gap = |bps: f64| total(positions, bps) - total(&hold, bps);
    if gap(0.0) <= 0.0 {
        return BreakEven::Never;
    }
    if turnover(positions) <= turnover(&hold) || gap(MAX_COST_BPS) > 0.0 {
        return BreakEven::Above { bps: MAX_COST_BPS };
    }
    let (mut lo, mut hi) = (0.0, MAX_COST_BPS);
    while hi - lo > 0.01 {
        let mid = (lo + hi) / 2.0;
        if gap(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    BreakEven::Bps { bps: (lo + hi) / 2.0 }
}

/// The mean block length of [`sharpe_gap_p`]'s bootstrap: `n^(1/3)` rounded, at least 1, the
/// rate at which the optimal block length grows for variance estimation (Hall, Horowitz and
/// Jing 1995), as the usual rule of thumb.
pub fn mean_block(n: usize) -> usize {
    ((n as f64).cbrt().round() as usize).max(1)
}

/// One-sided p-value that the Sharpe ratio of `a` exceeds that of `b` (daily returns on the
/// same days), by the stationary bootstrap of Politis and Romano (1994): days are resampled in
/// pairs, in blocks of geometric length with mean [`mean_block`], so that both the dependence
/// between the two series and within each survive. Under the null the difference is centred
/// on the observed one: `p = (1 + #{d* - d >= d}) / (1 + resamples)`.
pub fn sharpe_gap_p(a: &[f64], b: &[f64], resamples: usize, seed: u64) -> Option<f64> {
    let n = a.len();
    if n < 10 || b.len() != n {
        return None;
    }
    let gap = |x: &[f64], y: &[f64]| daily_sharpe(x).unwrap_or(0.0) - daily_sharpe(y).unwrap_or(0.0);
    let observed = gap(a, b);
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut xa, mut xb) = (vec![0.0; n], vec![0.0; n]);
    let mut beyond = 0usize;
    for _ in 0..resamples {
        for (k, i) in stationary_indices(n, mean_block(n), &mut rng).into_iter().enumerate() {
            (xa[k], xb[k]) = (a[i], b[i]);
        }
        if gap(&xa, &xb) - observed >= observed - 1e-12 {
            beyond += 1;
        }
    }
    Some((1 + beyond) as f64 / (1 + resamples) as f64)
}

/// One resample's day indices: blocks of consecutive days (wrapping at the end) whose lengths
/// are geometric with mean `mean_block`, each starting on a uniformly drawn day.
pub fn stationary_indices(n: usize, mean_block: usize, rng: &mut SmallRng) -> Vec<usize> {
    let restart = 1.0 / mean_block.max(1) as f64;
    let mut i = rng.random_range(0..n);
    (0..n)
        .map(|_| {
            let day = i;
            i = if rng.random::<f64>() < restart { rng.random_range(0..n) } else { (i + 1) % n };
            day
        })
        .collect()
}

/// The standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Its inverse, by bisection (to 1e-12).
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0, 40.0);
    while hi - lo > 1e-12 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// The Sharpe ratio the best of `trials` independent tries with no skill would be expected to
/// reach, given the variance of the tries' Sharpe ratios (Bailey and López de Prado 2014,
/// from the expected maximum of Gaussian draws; per-period units). 0 for a single try.
pub fn expected_max_sharpe(trials_variance: f64, trials: usize) -> f64 {
    if trials < 2 {
        return 0.0;
    }
    let euler = 0.577_215_664_901_532_9;
    let n = trials as f64;
    trials_variance.max(0.0).sqrt()
        * ((1.0 - euler) * normal_quantile(1.0 - 1.0 / n)
            + euler * normal_quantile(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// The deflated Sharpe ratio (Bailey and López de Prado 2014): the probability that the true
/// Sharpe ratio of the best try exceeds what luck alone gives the best of `trials`, from its
/// per-period Sharpe `sharpe` over `days` returns with skewness `skew` and (non-excess)
/// kurtosis `kurtosis`.
pub fn deflated_sharpe(
    sharpe: f64,
    trials_variance: f64,
    trials: usize,
    days: usize,
    skew: f64,
    kurtosis: f64,
) -> f64 {
    let benchmark = expected_max_sharpe(trials_variance, trials);
    let spread = (1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe).max(1e-12).sqrt();
    normal_cdf((sharpe - benchmark) * ((days as f64) - 1.0).max(0.0).sqrt() / spread)
}

/// Skewness and (non-excess) kurtosis, from the population moments.
pub fn skew_kurtosis(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let m = |k: i32| v.iter().map(|x| (x - mean).powi(k)).sum::<f64>() / n;
    let m2 = m(2);
    if m2 <= 1e-30 {
        return (0.0, 3.0);
    }
    (m(3) / m2.powf(1.5), m(4) / (m2 * m2))
}

/// One rule's figures on the days.
#[derive(Debug, Clone, Serialize)]
pub struct RuleFigures {
    pub rule: Rule,
    pub gross: Performance,
    pub net: Performance,
    /// Against buy-and-hold (not given for buy-and-hold itself).
    pub break_even: Option<BreakEven>,
    /// One-sided stationary-bootstrap p-value that its net Sharpe ratio beats buy-and-hold's.
    pub p_vs_hold: Option<f64>,
    /// Daily net returns, for charts and the deflated Sharpe ratio.
    #[serde(skip)]
    pub net_returns: Vec<f64>,
    /// Each day's position and gross return (trading.csv, the leakage check).
    #[serde(skip)]
    pub positions: Vec<f64>,
    #[serde(skip)]
    pub gross_returns: Vec<f64>,
}

/// One rule traded day by day: its positions and its returns gross and net of costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Daily {
    pub rule: Rule,
    pub positions: Vec<f64>,
    pub gross: Vec<f64>,
    pub net: Vec<f64>,
}

/// Every rule of [`Rule::ALL`] traded on `days` at `cost_bps` per unit of turnover: what
/// [`evaluate`] sums up, and what the leakage check compares day by day.
pub fn daily(days: &Days, cost_bps: f64) -> Vec<Daily> {
    let cost = cost_bps / 1e4;
    let returns = days.returns();
    Rule::ALL
        .iter()
        .map(|&rule| {
            let positions = days.positions(rule, 2.0 * cost);
            let (gross, net) =
                (strategy_returns(&positions, &returns, 0.0), strategy_returns(&positions, &returns, cost));
            Daily { rule, positions, gross, net }
        })
        .collect()
}

/// The trading evaluation of one forecast.
#[derive(Debug, Clone, Serialize)]
pub struct Trading {
    pub cost_bps: f64,
    pub days: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub timing: &'static str,
    pub mean_block: usize,
    pub resamples: usize,
    pub rules: Vec<RuleFigures>,
    /// The close before the first day and each day's date, for charts.
    #[serde(skip)]
    pub dates: Vec<NaiveDate>,
}

impl Trading {
    pub fn rule(&self, rule: Rule) -> &RuleFigures {
        self.rules.iter().find(|r| r.rule == rule).expect("every rule is evaluated")
    }
}

/// Every rule of [`Rule::ALL`] on `days`, at `cost_bps` per unit of turnover; `seed` fixes the
/// bootstrap.
pub fn evaluate(days: &Days, cost_bps: f64, seed: u64) -> Trading {
    let returns = days.returns();
    let traded = daily(days, cost_bps);
    let hold_net =
        traded.iter().find(|t| t.rule == Rule::Hold).map(|t| t.net.clone()).expect("buy-and-hold is a rule");
    let rules = traded
        .into_iter()
        .map(|Daily { rule, positions, gross, net }| {
            let vs_hold = rule != Rule::Hold;
            RuleFigures {
                rule,
                gross: performance(&gross, &positions, days),
                net: performance(&net, &positions, days),
                break_even: vs_hold.then(|| break_even(&positions, &returns)),
                p_vs_hold: if vs_hold { sharpe_gap_p(&net, &hold_net, RESAMPLES, seed) } else { None },
                net_returns: net,
                gross_returns: gross,
                positions,
            }
        })
        .collect();
    Trading {
        cost_bps,
        days: days.len(),
        first: days.dates[0],
        last: days.dates[days.len() - 1],
        timing: TIMING,
        mean_block: mean_block(days.len()),
        resamples: RESAMPLES,
        rules,
        dates: std::iter::once(days.start).chain(days.dates.iter().copied()).collect(),
    }
}

/// The verdicts on trading `model`'s forecast: one per strategy, or one line for all when the
/// forecast called a rise every day (every strategy then simply holds) or a fall every day.
pub fn verdicts(model: &str, t: &Trading) -> Vec<String> {
    let hold = t.rule(Rule::Hold);
    let strategies = Rule::STRATEGIES.into_iter();
    if strategies.clone().all(|r| t.rule(r).net_returns == hold.net_returns) {
        return vec![format!(
            "trading the {model}'s forecast: it called a rise every day, so long/flat, long/short and threshold all simply held the stock ({:.1}% net, as holding did); it says nothing a trader could use",
            100.0 * hold.net.total_return
        )];
    }
    let (long_flat, long_short) = (t.rule(Rule::LongFlat), t.rule(Rule::LongShort));
    if long_flat.positions.iter().all(|&p| p == 0.0) && long_short.positions.iter().all(|&p| p == -1.0) {
        let threshold = t.rule(Rule::Threshold);
        let short_days = threshold.positions.iter().filter(|&&p| p == -1.0).count();
        return vec![format!(
            "trading the {model}'s forecast: it called a fall every day, so long/flat stayed out of the market (0.0%), long/short was short the stock every day ({:.1}% net, against {:.1}% for holding) and threshold was short on {short_days} of {} days ({:.1}% net); it is a bet against the stock, not a timing of it",
            100.0 * long_short.net.total_return,
            100.0 * t.rule(Rule::Hold).net.total_return,
            t.days,
            100.0 * threshold.net.total_return
        )];
    }
    strategies.map(|r| verdict(model, t, r)).collect()
}

/// The plain-words verdict on trading `model`'s forecast with `rule`.
pub fn verdict(model: &str, t: &Trading, rule: Rule) -> String {
    let (r, hold) = (t.rule(rule), t.rule(Rule::Hold));
    let evidence = match r.p_vs_hold {
        Some(p) if p < 0.05 => format!("evidence that it beats holding, p = {p:.3}"),
        Some(p) => format!("no evidence that it beats holding, p = {p:.2}"),
        None => "too few days to test it against holding".into(),
    };
    let same = if r.net_returns == hold.net_returns {
        " (the forecast called a rise every day, so this is buy-and-hold)"
    } else {
        ""
    };
    format!(
        "trading the {model} {} would have returned {:.1}% net ({:.1}% before costs) against {:.1}% for holding{same}; {evidence}",
        rule.name(),
        100.0 * r.net.total_return,
        100.0 * r.gross.total_return,
        100.0 * hold.net.total_return
    )
}

#[cfg(test)]
#[path = "trading_tests.rs"]
mod tests;
