//! Cross-sectional targets of a panel: each day's returns across tickers turned into what a
//! ranking model learns, as Fischer and Krauss (2018) do. A ticker's target on a day is its
//! return's rank among that day's tickers (0 the lowest, 1 the highest, ties averaged), or
//! whether it lies at or above that day's median (1) or below it (0), the paper's classes. Only the day's own returns enter:
//! nothing of another day, before or after.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::plant::Plant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum CrossTarget {
    /// The next day's return ranked among the day's tickers, scaled to 0..1 (squared error).
    Rank,
    /// 1 where the next day's return is at or above the day's cross-sectional median, else 0
    /// (cross-entropy on a logit).
    AboveMedian,
}

impl CrossTarget {
    pub fn name(self) -> &'static str {
        match self {
            CrossTarget::Rank => "rank",
            CrossTarget::AboveMedian => "above-median",
        }
    }
}

/// Ranks from 1 (smallest), tied values sharing the average of their ranks.
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut out = vec![0.0; v.len()];
    let mut k = 0;
    while k < order.len() {
        let mut end = k;
        while end + 1 < order.len() && v[order[end + 1]] == v[order[k]] {
            end += 1;
        }
        let rank = (k + end) as f64 / 2.0 + 1.0;
        for &i in &order[k..=end] {
            out[i] = rank;
        }
        k = end + 1;
    }
    out
}

/// The median of `v` (not empty): the middle value, or the mean of the two middle ones.
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

/// Every ticker's cross-sectional target on each of its rows: `dates[i]` are ticker `i`'s dates,
/// `prices[i]` its closes; the target of row `t` is built from the simple return
/// `prices[i][t] / prices[i][t - 1] - 1` against the returns of every ticker with a return on
/// that date (NaN on a ticker's first row, which has none). A day with one ticker ranks it 0.5.
///
/// With [`Plant::CROSS_NEXT_DAY`] (a fault the panel's leakage check must catch) each day's
/// reference set also holds the next date's returns: a standardisation that reads tomorrow.
pub fn cross_targets(
    dates: &[&[NaiveDate]],
    prices: &[&[f64]],
    kind: CrossTarget,
    plant: Plant,
) -> Vec<Vec<f64>> {
    // per date: (ticker, row, return)
    let mut days: BTreeMap<NaiveDate, Vec<(usize, usize, f64)>> = BTreeMap::new();
    for (i, (d, p)) in dates.iter().zip(prices).enumerate() {
        for t in 1..p.len() {
            let r = p[t] / p[t - 1] - 1.0;
            if r.is_finite() {
                days.entry(d[t]).or_default().push((i, t, r));
            }
        }
    }
    let mut out: Vec<Vec<f64>> = prices.iter().map(|p| vec![f64::NAN; p.len()]).collect();
    let all: Vec<&Vec<(usize, usize, f64)>> = days.values().collect();
    for (k, day) in all.iter().enumerate() {
        let mut reference: Vec<f64> = day.iter().map(|x| x.2).collect();
        if plant.cross_reads_next_day() {
            if let Some(next) = all.get(k + 1) {
                reference.extend(next.iter().map(|x| x.2));
            }
        }
        let n = reference.len();
        match kind {
            CrossTarget::AboveMedian => {
                let m = median(&reference);
                for &(i, t, r) in day.iter() {
                    out[i][t] = if r >= m { 1.0 } else { 0.0 };
                }
            }
            CrossTarget::Rank => {
                let rk = ranks(&reference);
                for (j, &(i, t, _)) in day.iter().enumerate() {
                    out[i][t] = if n > 1 { (rk[j] - 1.0) / (n - 1) as f64 } else { 0.5 };
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, day).unwrap()
    }

    /// Three tickers over three days, worked by hand: returns on day 2 of +10%, -10%, 0 and on
    /// day 3 of +5%, +5% (tie) and -20%; the third ticker starts a day late, so day 2 has only
    /// the first two (ranks 1 and 0; at or above the median +0%: yes, no).
    #[test]
    fn ranks_and_medians_of_each_day_match_hand_worked_values() {
        let dates = [vec![d(1), d(2), d(3)], vec![d(1), d(2), d(3)], vec![d(2), d(3)]];
        let prices = [vec![100.0, 110.0, 115.5], vec![100.0, 90.0, 94.5], vec![50.0, 40.0]];
        let ds: Vec<&[NaiveDate]> = dates.iter().map(|v| v.as_slice()).collect();
        let ps: Vec<&[f64]> = prices.iter().map(|v| v.as_slice()).collect();
        let rank = cross_targets(&ds, &ps, CrossTarget::Rank, Plant::NONE);
        assert!(rank[0][0].is_nan() && rank[2][0].is_nan());
        assert_eq!((rank[0][1], rank[1][1]), (1.0, 0.0));
        // day 3: +5%, +5%, -20% -> ranks 2.5, 2.5, 1 of 3 -> 0.75, 0.75, 0
        assert_eq!((rank[0][2], rank[1][2], rank[2][1]), (0.75, 0.75, 0.0));
        let side = cross_targets(&ds, &ps, CrossTarget::AboveMedian, Plant::NONE);
        assert_eq!((side[0][1], side[1][1]), (1.0, 0.0));
        // day 3's median is +5%: both ties lie at it (class 1, as the paper counts them)
        assert_eq!((side[0][2], side[1][2], side[2][1]), (1.0, 1.0, 0.0));
    }

    /// A day's targets do not move when a later day's prices do; with the planted fault (the
    /// next day in the reference set) they do. Day 2's returns are +1%, 0, -1%; day 3's are x,
    /// +2%, +3%: with x = -50% the planted day-2 median is +0.5%, with x = +100% it is +1.5%, so
    /// the +1% moves from class 1 to class 0 (and every day-2 rank moves by one place).
    #[test]
    fn a_day_s_targets_ignore_later_days_unless_the_fault_is_planted() {
        let dates: Vec<Vec<NaiveDate>> = (0..3).map(|_| (1..=3).map(d).collect()).collect();
        let ds: Vec<&[NaiveDate]> = dates.iter().map(|v| v.as_slice()).collect();
        for plant in [Plant::NONE, Plant::CROSS_NEXT_DAY] {
            for kind in [CrossTarget::Rank, CrossTarget::AboveMedian] {
                let run = |x: f64| {
                    let prices = [
                        vec![100.0, 101.0, 101.0 * (1.0 + x)],
                        vec![100.0, 100.0, 102.0],
                        vec![100.0, 99.0, 99.0 * 1.03],
                    ];
                    let ps: Vec<&[f64]> = prices.iter().map(|v| v.as_slice()).collect();
                    cross_targets(&ds, &ps, kind, plant)
                };
                let day2 = |x: Vec<Vec<f64>>| -> Vec<u64> { x.iter().map(|v| v[1].to_bits()).collect() };
                let same = day2(run(-0.5)) == day2(run(1.0));
                assert_eq!(same, plant == Plant::NONE, "{kind:?}, {plant:?}");
            }
        }
    }
}
