//! Every figure of a panel run from one long results table: one row per contender, ticker and
//! test day, with the price known the evening before, the forecast and the outcome. Per-ticker
//! tests, the pooled verdict, the daily information coefficients and the long-short portfolio
//! are all computed here from those rows, so they cannot disagree, and `results.csv` lets a
//! user recompute any of them.
//!
//! Errors are in returns (`forecast / previous - 1` against `actual / previous - 1`), so that a
//! $15 stock and a $1000 one weigh alike when tickers are pooled.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::cross_section::{
    ic, long_short, newey_west_lag, newey_west_se, newey_west_t, rank_ic, summarise, SeriesSummary,
};
use super::stats::{diebold_mariano, t_two_sided_p};

/// One forecast of one ticker's next close.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub contender: String,
    /// The walk-forward fold (from 1) whose networks made the forecast; a day is in one fold.
    pub fold: usize,
    pub ticker: String,
    pub date: NaiveDate,
    /// The close the evening before (the last price the forecast could see).
    pub previous: f64,
    /// The forecast close (NaN for a contender that forecasts a ranking, not a price; null in
    /// JSON).
    #[serde(with = "nan_as_null")]
    pub forecast: f64,
    pub actual: f64,
    /// A ranking score, for a contender trained on a cross-sectional target (a rank, or the
    /// logit of being above the day's median): what the cross-section ranks on in its place.
    pub score: Option<f64>,
    /// The seed of a network trained with `--seeds` above 1; `None` for the judged forecast
    /// (a deterministic contender's, or the mean over seeds, see [`seed_means`]).
    pub seed: Option<u64>,
}

/// A float that may be NaN, as JSON: null for NaN (JSON has no NaN), and back.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match v.is_nan() {
            true => s.serialize_none(),
            false => s.serialize_some(v),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// For every contender with seeded rows, the mean over its seeds of each (ticker, day)'s
/// forecast and score, as unseeded rows: the forecast `panel` judges when it trains several
/// seeds, as `compare` judges the seed average.
pub fn seed_means(rows: &[ResultRow]) -> Vec<ResultRow> {
    let mut groups: BTreeMap<(&str, &str, NaiveDate), Vec<&ResultRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.seed.is_some()) {
        groups.entry((&r.contender, &r.ticker, r.date)).or_default().push(r);
    }
    groups
        .into_values()
        .map(|g| {
            let n = g.len() as f64;
            let score = g[0].score.map(|_| g.iter().filter_map(|r| r.score).sum::<f64>() / n);
            ResultRow {
                forecast: g.iter().map(|r| r.forecast).sum::<f64>() / n,
                score,
                seed: None,
                ..g[0].clone()
            }
        })
        .collect()
}

impl ResultRow {
    /// What the cross-section ranks tickers on: the ranking score, or the forecast return.
    pub fn ranking(&self) -> f64 {
        self.score.unwrap_or_else(|| self.forecast_return())
    }

    pub fn forecast_return(&self) -> f64 {
        self.forecast / self.previous - 1.0
    }

    pub fn actual_return(&self) -> f64 {
        self.actual / self.previous - 1.0
    }

    pub fn error(&self) -> f64 {
        self.forecast_return() - self.actual_return()
    }
}

/// `results.csv`: the rows, quoted where text; an empty forecast or score where there is none,
/// an empty seed on the judged rows.
pub fn csv(rows: &[ResultRow]) -> String {
    let mut out = String::from("contender,fold,seed,ticker,date,previous,forecast,actual,score\n");
    for r in rows {
        let forecast = if r.forecast.is_finite() { r.forecast.to_string() } else { String::new() };
        let score = r.score.map_or(String::new(), |v| v.to_string());
        let seed = r.seed.map_or(String::new(), |v| v.to_string());
        out += &format!(
            "\"{}\",{},{seed},\"{}\",{},{},{forecast},{},{score}\n",
            r.contender, r.fold, r.ticker, r.date, r.previous, r.actual
        );
    }
    out
}

/// One contender on one ticker beside naive, on the same days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TickerScore {
    pub ticker: String,
    pub days: usize,
    /// Root mean squared return error, the contender's and naive's.
    pub rmse: f64,
    pub naive_rmse: f64,
    /// `1 - rmse / naive_rmse`.
    pub skill: f64,
    /// Diebold-Mariano against naive (negative statistic: the contender is closer).
    pub dm_p: Option<f64>,
    pub dm_statistic: Option<f64>,
    /// `dm_p` adjusted over the contender's tickers (Benjamini-Hochberg).
    pub adjusted_p: Option<f64>,
}

/// A contender's per-ticker scores and its pooled verdict against naive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContenderScore {
    pub contender: String,
    pub tickers: Vec<TickerScore>,
    /// Tickers where its RMSE is below naive's, and where it is significantly so after the
    /// false-discovery correction at 5%.
    pub wins: usize,
    pub significant_wins: usize,
    pub significant_losses: usize,
    /// The pooled test: each day's mean over tickers of the squared-error difference against
    /// naive, its mean over Newey-West standard error (tickers move together on a day, so days,
    /// not ticker-days, are the independent units).
    pub pooled_days: usize,
    pub pooled_mean_difference: f64,
    pub pooled_t: Option<f64>,
    pub pooled_p: Option<f64>,
    /// The pooled test's power: the skill against naive (`1 - RMSE / naive's RMSE`, pooled
    /// over tickers and days) it would find significant at 5% (two-sided) four times in five,
    /// given the spread of the daily differences.
    pub min_detectable_skill: Option<f64>,
}

/// Benjamini-Hochberg adjusted p-values (the step-up procedure's q-values), in input order;
/// `None` stays `None` and is not counted among the tests.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[a].unwrap().total_cmp(&p[b].unwrap()));
    let mut out = vec![None; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        running = running.min(p[i].unwrap() * m / (rank + 1) as f64);
        out[i] = Some(running.min(1.0));
    }
    out
}

/// The rows of `contender` by ticker, then date.
fn by_ticker<'a>(
    rows: &'a [ResultRow],
    contender: &str,
) -> BTreeMap<&'a str, BTreeMap<NaiveDate, &'a ResultRow>> {
    let mut m: BTreeMap<&str, BTreeMap<NaiveDate, &ResultRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.contender == contender) {
        m.entry(&r.ticker).or_default().insert(r.date, r);
    }
    m
}

/// `contender` judged against `naive` (both in `rows`), per ticker and pooled, on the (ticker,
/// day) pairs both have.
pub fn score(rows: &[ResultRow], contender: &str, naive: &str) -> ContenderScore {
    let (c, n) = (by_ticker(rows, contender), by_ticker(rows, naive));
    let mut tickers = Vec::new();
    let mut daily: BTreeMap<NaiveDate, (f64, f64, usize)> = BTreeMap::new();
    for (ticker, days) in &c {
        let Some(base) = n.get(ticker) else { continue };
        let pairs: Vec<(f64, f64, NaiveDate)> = days
            .iter()
            .filter_map(|(d, r)| base.get(d).map(|b| (r.error(), b.error(), *d)))
            .filter(|(a, b, _)| a.is_finite() && b.is_finite())
            .collect();
        if pairs.is_empty() {
            continue;
        }
        for (a, b, d) in &pairs {
            let e = daily.entry(*d).or_insert((0.0, 0.0, 0));
            e.0 += a * a - b * b;
            e.1 += b * b;
            e.2 += 1;
        }
        let (e1, e2): (Vec<f64>, Vec<f64>) = pairs.iter().map(|(a, b, _)| (*a, *b)).unzip();
        let rmse = |e: &[f64]| (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt();
        let (r, nr) = (rmse(&e1), rmse(&e2));
        let dm = diebold_mariano(&e1, &e2, 1);
        tickers.push(TickerScore {
            ticker: ticker.to_string(),
            days: pairs.len(),
            rmse: r,
            naive_rmse: nr,
            skill: if nr > 0.0 { 1.0 - r / nr } else { f64::NAN },
            dm_p: dm.map(|d| d.p_value),
            dm_statistic: dm.map(|d| d.statistic),
            adjusted_p: None,
        });
    }
    let adjusted = benjamini_hochberg(&tickers.iter().map(|t| t.dm_p).collect::<Vec<_>>());
    for (t, q) in tickers.iter_mut().zip(adjusted) {
        t.adjusted_p = q;
    }
    let significant = |t: &TickerScore, better: bool| {
        t.adjusted_p.is_some_and(|q| q < 0.05) && t.dm_statistic.is_some_and(|s| (s < 0.0) == better)
    };
    let d: Vec<f64> = daily.values().map(|(sum, _, k)| sum / *k as f64).collect();
    let naive_mse = daily.values().map(|(_, b, k)| b / *k as f64).sum::<f64>() / d.len().max(1) as f64;
    let lag = newey_west_lag(d.len());
    let pooled_t = newey_west_t(&d, lag);
    ContenderScore {
        contender: contender.to_string(),
        wins: tickers.iter().filter(|t| t.rmse < t.naive_rmse).count(),
        significant_wins: tickers.iter().filter(|t| significant(t, true)).count(),
        significant_losses: tickers.iter().filter(|t| significant(t, false)).count(),
        tickers,
        pooled_days: d.len(),
        pooled_mean_difference: if d.is_empty() { f64::NAN } else { d.iter().sum::<f64>() / d.len() as f64 },
        pooled_t,
        pooled_p: pooled_t.map(|t| t_two_sided_p(t, d.len() as f64 - 1.0)),
        min_detectable_skill: newey_west_se(&d, lag).map(|se| detectable_skill(se, naive_mse)),
    }
}

/// The skill (`1 - RMSE / naive's RMSE`) whose mean squared-error reduction the pooled test
/// finds at 5% two-sided with 80% power: a reduction of `(1.960 + 0.842) se` of naive's mean
/// squared error `naive_mse`.
pub fn detectable_skill(se: f64, naive_mse: f64) -> f64 {
    let drop = (1.959_964 + 0.841_621) * se / naive_mse;
    1.0 - (1.0 - drop.min(1.0)).sqrt()
}

/// One test day across tickers: the IC and rank IC (`None` on a day with fewer than 3 tickers
/// or no spread) and the top-k / bottom-k portfolio's gross and net return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossDay {
    pub date: NaiveDate,
    pub ic: Option<f64>,
    pub rank_ic: Option<f64>,
    pub gross: f64,
    pub net: f64,
    /// The tickers held long and short that day (decided the evening before).
    pub long: Vec<String>,
    pub short: Vec<String>,
}

/// A contender's forecasts judged across tickers: the daily IC and rank IC between forecast and
/// realised returns, and the daily top-k / bottom-k portfolio on the forecast returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossSection {
    pub contender: String,
    pub days: Vec<CrossDay>,
    pub ic: Option<SeriesSummary>,
    pub rank_ic: Option<SeriesSummary>,
    /// The portfolio's daily returns summed up (the t is against zero).
    pub gross: Option<SeriesSummary>,
    pub net: Option<SeriesSummary>,
    pub k: usize,
    pub cost_bps: f64,
    /// Mean daily turnover (4 when every position changes every day).
    pub turnover: f64,
    /// The cost per half-turn, in basis points, at which the book's mean net return is zero:
    /// its mean gross return over its mean turnover (`None` without turnover).
    pub break_even_bps: Option<f64>,
    /// The share of the book's positions on the right side of the day's median return (a long
    /// at or above it, a short below it): Fischer and Krauss's accuracy of the top and flop k.
    pub accuracy: Option<f64>,
    /// The share of the forecast returns' variance that lies between tickers' averages: near 1,
    /// the ranking is a fixed tilt (the same order every day), not a daily forecast.
    pub tilt_share: f64,
    /// The daily rank IC of that fixed tilt alone: each ticker ranked by its average forecast
    /// over the test days, the same order every day. Where it matches the rank IC, the
    /// contender's "skill" across tickers is a bet on which stocks did well in the period.
    pub fixed_tilt_rank_ic: Option<SeriesSummary>,
}

/// [`CrossSection`] of `contender` in `rows`, ranking on its forecast returns (or its ranking
/// scores), `k` names a side.
pub fn cross_section(rows: &[ResultRow], contender: &str, k: usize, cost_bps: f64) -> CrossSection {
    let c = by_ticker(rows, contender);
    let names: Vec<&str> = c.keys().copied().collect();
    let mut dates: Vec<NaiveDate> = c.values().flat_map(|d| d.keys().copied()).collect();
    dates.sort_unstable();
    dates.dedup();
    let grid = |f: &dyn Fn(&ResultRow) -> f64| -> Vec<Vec<f64>> {
        dates.iter().map(|d| names.iter().map(|t| c[t].get(d).map_or(f64::NAN, |r| f(r))).collect()).collect()
    };
    let (scores, outcomes) = (grid(&|r| r.ranking()), grid(&|r| r.actual_return()));
    let book = long_short(&scores, &outcomes, k, cost_bps);
    let days: Vec<CrossDay> = dates
        .iter()
        .enumerate()
        .map(|(t, d)| CrossDay {
            date: *d,
            ic: ic(&scores[t], &outcomes[t]),
            rank_ic: rank_ic(&scores[t], &outcomes[t]),
            gross: book[t].gross,
            net: book[t].net,
            long: book[t].long.iter().map(|&i| names[i].to_string()).collect(),
            short: book[t].short.iter().map(|&i| names[i].to_string()).collect(),
        })
        .collect();
    let pick =
        |f: &dyn Fn(&CrossDay) -> Option<f64>| summarise(&days.iter().filter_map(f).collect::<Vec<f64>>());
    // each ticker's average forecast over the days it has, held fixed
    let average: Vec<f64> = (0..names.len())
        .map(|i| {
            let v: Vec<f64> = scores.iter().map(|d| d[i]).filter(|x| x.is_finite()).collect();
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect();
    let fixed: Vec<f64> = outcomes
        .iter()
        .map(|o| {
            let held: Vec<f64> =
                o.iter().zip(&average).map(|(r, a)| if r.is_finite() { *a } else { f64::NAN }).collect();
            rank_ic(&held, o).unwrap_or(f64::NAN)
        })
        .collect();
    let all: Vec<f64> = scores.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    let grand = all.iter().sum::<f64>() / all.len().max(1) as f64;
    let total: f64 = all.iter().map(|x| (x - grand).powi(2)).sum();
    let between: f64 = scores
        .iter()
        .flat_map(|d| d.iter().zip(&average).filter(|(x, _)| x.is_finite()).map(|(_, a)| (a - grand).powi(2)))
        .sum();
    let (mut right, mut held) = (0usize, 0usize);
    for (b, o) in book.iter().zip(&outcomes) {
        let day: Vec<f64> = o.iter().copied().filter(|v| v.is_finite()).collect();
        if day.is_empty() {
            continue;
        }
        let m = crate::data::cross_target::median(&day);
        right +=
            b.long.iter().filter(|&&i| o[i] >= m).count() + b.short.iter().filter(|&&i| o[i] < m).count();
        held += b.long.len() + b.short.len();
    }
    let turnover = book.iter().map(|b| b.turnover).sum::<f64>() / book.len().max(1) as f64;
    let gross = pick(&|d| Some(d.gross));
    CrossSection {
        contender: contender.to_string(),
        ic: pick(&|d| d.ic),
        rank_ic: pick(&|d| d.rank_ic),
        break_even_bps: gross.filter(|_| turnover > 0.0).map(|g| g.mean / turnover * 1e4),
        accuracy: (held > 0).then(|| right as f64 / held as f64),
        gross,
        net: pick(&|d| Some(d.net)),
        k,
        cost_bps,
        turnover,
        tilt_share: if total > 0.0 { between / total } else { f64::NAN },
        fixed_tilt_rank_ic: summarise(&fixed),
        days,
    }
}

/// The long-short books tested: each one's stationary-bootstrap p that its net Sharpe ratio is
/// above zero, and the deflated Sharpe ratio of the best of them (every contender a try).
#[derive(Debug, Clone, Serialize)]
pub struct BookTests {
    /// Per contender, in the sections' order.
    pub p_above_zero: Vec<Option<f64>>,
    pub deflated: Option<super::trading_seeds::Deflated>,
}

/// [`BookTests`] of the sections' net daily returns; `seed` drives the bootstrap.
pub fn book_tests(sections: &[CrossSection], seed: u64) -> BookTests {
    let nets: Vec<Vec<f64>> = sections.iter().map(|x| x.days.iter().map(|d| d.net).collect()).collect();
    let p_above_zero =
        nets.iter().map(|r| super::trading::sharpe_gap_p(r, &vec![0.0; r.len()], 2000, seed)).collect();
    let tries: Vec<super::trading_seeds::Try> = sections
        .iter()
        .zip(&nets)
        .map(|(x, r)| super::trading_seeds::Try {
            label: x.contender.clone(),
            seed,
            rule: super::trading::Rule::LongShort,
            returns: r,
        })
        .collect();
    BookTests { p_above_zero, deflated: super::trading_seeds::deflate(&tries) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 3, d).unwrap()
    }

    fn row(contender: &str, ticker: &str, d: u32, previous: f64, forecast: f64, actual: f64) -> ResultRow {
        ResultRow {
            contender: contender.into(),
            ticker: ticker.into(),
            date: day(d),
            previous,
            forecast,
            actual,
            score: None,
            seed: None,
            fold: 1,
        }
    }

    /// `n` days of `tickers` tickers: naive's errors N(0, 2%), the contender's independent
    /// N(0, 2% (1 - skill)): a true RMSE skill of `skill` against naive.
    fn skilled(skill: f64, tickers: usize, n: u32, seed: u64) -> Vec<ResultRow> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        let mut normal = move || {
            let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let mut rows = Vec::new();
        for t in 0..n {
            let date = day(1) + chrono::Days::new(t as u64);
            for i in 0..tickers {
                let name = format!("T{i}");
                let r = 0.02 * normal();
                let e = 0.02 * (1.0 - skill) * normal();
                let mut one = |c: &str, f: f64| {
                    let mut x = row(c, &name, 1, 100.0, f, 100.0 * (1.0 + r));
                    x.date = date;
                    rows.push(x);
                };
                one("naive", 100.0);
                one("net", 100.0 * (1.0 + r + e));
            }
        }
        rows
    }

    /// The pooled test's minimum detectable skill means what it says: a contender planted with
    /// that skill is found (better than naive at 5%) about four times in five, and one with half
    /// of it far less often.
    #[test]
    fn the_minimum_detectable_skill_is_found_four_times_in_five() {
        let m = score(&skilled(0.0, 5, 250, 1), "net", "naive").min_detectable_skill.unwrap();
        assert!(m > 0.0 && m < 0.2, "{m}");
        let found = |skill: f64| {
            (0..200)
                .filter(|&k| {
                    let s = score(&skilled(skill, 5, 250, 100 + k), "net", "naive");
                    s.pooled_p.is_some_and(|p| p < 0.05) && s.pooled_mean_difference < 0.0
                })
                .count() as f64
                / 200.0
        };
        let (full, half) = (found(m), found(m / 2.0));
        assert!((0.7..=0.95).contains(&full), "skill {m}: found {full}");
        assert!(half < 0.5, "skill {}: found {half}", m / 2.0);
        // by hand: a reduction of 2.8016 se of naive's mean squared error
        let drop: f64 = 0.19;
        let se = drop / (1.959_964 + 0.841_621);
        assert!((detectable_skill(se, 1.0) - 0.1).abs() < 1e-6);
    }

    /// Benjamini-Hochberg against statsmodels 0.14 (`multipletests([0.01, 0.04, 0.03, 0.20],
    /// method="fdr_bh")`): 0.04, 0.0533, 0.0533, 0.20.
    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        let q = benjamini_hochberg(&[Some(0.01), Some(0.04), None, Some(0.03), Some(0.20)]);
        let want = [Some(0.04), Some(0.04 * 4.0 / 3.0), None, Some(0.04 * 4.0 / 3.0), Some(0.20)];
        for (a, b) in q.iter().zip(want) {
            assert_eq!(a.is_some(), b.is_some());
            if let (Some(a), Some(b)) = (a, b) {
                assert!((a - b).abs() < 1e-12, "{q:?}");
            }
        }
    }

    /// The same three days and four tickers as the long-short worked example in
    /// `cross_section`, fed through results rows: the forecasts' returns are the scores, the
    /// portfolio's returns match by hand, and a contender scored against itself has skill 0.
    #[test]
    fn figures_come_from_the_rows() {
        let scores = [[0.3, -0.1, 0.2, -0.4], [0.1, 0.5, 0.0, -0.2], [0.1, 0.6, -0.3, 0.0]];
        let returns = [[0.01, 0.02, -0.01, -0.02], [0.0, 0.01, 0.02, 0.03], [0.01, -0.01, 0.01, 0.0]];
        let mut rows = Vec::new();
        for (t, (s, r)) in scores.iter().zip(&returns).enumerate() {
            for (i, name) in ["A", "B", "C", "D"].iter().enumerate() {
                rows.push(row("net", name, t as u32 + 2, 100.0, 100.0 * (1.0 + s[i]), 100.0 * (1.0 + r[i])));
                rows.push(row("naive", name, t as u32 + 2, 100.0, 100.0, 100.0 * (1.0 + r[i])));
            }
        }
        let x = cross_section(&rows, "net", 1, 5.0);
        let net: Vec<f64> = x.days.iter().map(|d| d.net).collect();
        // three days are too few to bootstrap; the deflated ratio still names the one try
        let t = book_tests(std::slice::from_ref(&x), 1);
        assert_eq!(t.p_above_zero, vec![None]);
        assert_eq!(t.deflated.as_ref().map(|d| d.trials), Some(1));
        for (a, b) in net.iter().zip([0.029, -0.021, -0.021]) {
            assert!((a - b).abs() < 1e-12, "{net:?}");
        }
        assert!((x.turnover - 2.0).abs() < 1e-12);
        // accuracy, by hand: day 1 long A (+1% >= median 0) and short D (-2% < 0), both right;
        // day 2 long B (+1% < median +1.5%) and short D (+3%), day 3 long B (-1% < +0.5%) and
        // short C (+1%), all wrong: 2 of 6
        assert!((x.accuracy.unwrap() - 2.0 / 6.0).abs() < 1e-12);
        // at the break-even cost the book's mean net return is zero
        let even = cross_section(&rows, "net", 1, x.break_even_bps.unwrap());
        assert!(even.net.unwrap().mean.abs() < 1e-15, "{:?}", even.net);
        // a ranking score in place of the forecast ranks the same when it orders alike
        let scored: Vec<ResultRow> = rows
            .iter()
            .map(|r| match r.contender.as_str() {
                "net" => ResultRow {
                    forecast: f64::NAN,
                    score: Some((r.forecast_return() * 7.0).tanh()),
                    ..r.clone()
                },
                _ => r.clone(),
            })
            .collect();
        let z = cross_section(&scored, "net", 1, 5.0);
        assert_eq!(
            z.days.iter().map(|d| d.net.to_bits()).collect::<Vec<_>>(),
            net.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(z.rank_ic.unwrap().mean.to_bits(), x.rank_ic.unwrap().mean.to_bits());
        let no_price = score(&scored, "net", "naive");
        assert!(no_price.tickers.is_empty() && no_price.pooled_p.is_none());
        assert!(x.tilt_share > 0.0 && x.tilt_share < 1.0, "{}", x.tilt_share);
        // a contender whose forecast is the same every day for each ticker is all tilt, and its
        // rank IC is its fixed tilt's
        let mut still = rows.clone();
        for r in still.iter_mut().filter(|r| r.contender == "net") {
            let tilt = match r.ticker.as_str() {
                "A" => 0.01,
                "B" => 0.02,
                "C" => -0.01,
                _ => 0.0,
            };
            r.forecast = r.previous * (1.0 + tilt);
        }
        let y = cross_section(&still, "net", 1, 5.0);
        assert!((y.tilt_share - 1.0).abs() < 1e-9, "{}", y.tilt_share);
        assert_eq!(y.rank_ic.unwrap().mean.to_bits(), y.fixed_tilt_rank_ic.unwrap().mean.to_bits());
        let s = score(&rows, "naive", "naive");
        assert!(s.tickers.iter().all(|t| t.skill == 0.0) && s.wins == 0 && s.tickers.len() == 4);
        let s = score(&rows, "net", "naive");
        assert_eq!(s.pooled_days, 3);
        // each day's mean squared-error difference over the four tickers, by hand for day 1:
        // errors (0.29, -0.12, 0.21, -0.38) against naive's (-0.01, -0.02, 0.01, 0.02)
        let d1 =
            ((0.29f64.powi(2) - 0.0001) + (0.0144 - 0.0004) + (0.0441 - 0.0001) + (0.1444 - 0.0004)) / 4.0;
        let days: Vec<f64> = {
            let e = |t: usize, i: usize| scores[t][i] - returns[t][i];
            (0..3)
                .map(|t| (0..4).map(|i| e(t, i).powi(2) - returns[t][i].powi(2)).sum::<f64>() / 4.0)
                .collect()
        };
        assert!((days[0] - d1).abs() < 1e-12);
        assert!((s.pooled_mean_difference - days.iter().sum::<f64>() / 3.0).abs() < 1e-12);
        let text = csv(&rows[..1]);
        assert_eq!(
            text,
            "contender,fold,seed,ticker,date,previous,forecast,actual,score\n\"net\",1,,\"A\",2020-03-02,100,130,101,\n"
        );
        // two seeds' forecasts 120 and 140 average to 130, the judged row
        let seeded: Vec<ResultRow> = [(1, 120.0), (2, 140.0)]
            .iter()
            .map(|&(seed, f)| ResultRow { seed: Some(seed), forecast: f, ..rows[0].clone() })
            .collect();
        assert_eq!(seed_means(&seeded), vec![ResultRow { seed: None, forecast: 130.0, ..rows[0].clone() }]);
    }
}
