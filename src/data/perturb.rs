//! Altered copies of a price series for the honesty checks: a future replaced by another path
//! (a forecast made before the change must not notice it), and a planted predictable
//! component of known size (a comparison must be able to see it).

use super::PriceSeries;

/// A copy of `series` whose rows from `cutoff` on follow another path: every loaded column
/// (and the target) is multiplied by a wavy factor between about 0.95 and 1.73, its own phase
/// per column, so prices, returns, ranges and volumes all change from `cutoff` on and the
/// path reaches levels the original never had. Rows before `cutoff` are left bit for bit.
pub fn replace_future(series: &PriceSeries, cutoff: usize) -> PriceSeries {
    let factor =
        |phase: usize, t: usize| (0.25 + 0.3 * (0.2 * (t + 1 - cutoff) as f64 + phase as f64).sin()).exp();
    let bend = |v: &[f64], phase: usize| -> Vec<f64> {
        v.iter().enumerate().map(|(t, &x)| if t < cutoff { x } else { x * factor(phase, t) }).collect()
    };
    let mut out = series.clone();
    out.values = bend(&series.values, 0);
    for (k, (_, col)) in out.columns.iter_mut().enumerate() {
        // the target's own column moves with the target, or the two would disagree
        let phase = if *col == series.values { 0 } else { k + 1 };
        *col = bend(col, phase);
    }
    out
}

/// Mean simple return of `prices` (the level around which [`plant_ar`] adds persistence).
fn mean_return(prices: &[f64]) -> f64 {
    let n = prices.len().saturating_sub(1).max(1) as f64;
    prices.windows(2).map(|w| w[1] / w[0] - 1.0).sum::<f64>() / n
}

/// A copy of `series` whose daily returns gain an AR(1) component of strength `phi`, with
/// their volatility kept: `r'[t] = mu + phi (r'[t-1] - mu) + sqrt(1 - phi^2) (r[t] - mu)`.
/// Price columns are rescaled by the new price over the old one (their relation to the
/// close is kept); other columns are left alone. The best possible forecast of the new series
/// is [`ar_oracle`], whose skill over naive is the size of what was planted.
pub fn plant_ar(series: &PriceSeries, phi: f64) -> PriceSeries {
    let p = &series.values;
    let mu = mean_return(p);
    let keep = (1.0 - phi * phi).sqrt();
    let mut new = vec![p[0]];
    let mut prev = mu;
    for t in 1..p.len() {
        let r = mu + phi * (prev - mu) + keep * (p[t] / p[t - 1] - 1.0 - mu);
        new.push(new[t - 1] * (1.0 + r));
        prev = r;
    }
    let mut out = series.clone();
    for (c, col) in out.columns.iter_mut() {
        if c.is_price() {
            for (t, v) in col.iter_mut().enumerate() {
                *v *= new[t] / p[t];
            }
        }
    }
    out.values = new;
    out
}

/// The forecast of a [`plant_ar`] series that knows `phi` (and the mean return of the
/// original, which the planted series shares): yesterday's price times one plus the expected
/// return. `rows` are the target days (each >= 2).
pub fn ar_oracle(planted: &[f64], phi: f64, mu: f64, rows: &[usize]) -> Vec<f64> {
    rows.iter()
        .map(|&t| {
            let last = planted[t - 1] / planted[t - 2] - 1.0;
            planted[t - 1] * (1.0 + mu + phi * (last - mu))
        })
        .collect()
}

/// The mean return [`plant_ar`] keeps, for [`ar_oracle`].
pub fn planted_mean_return(original: &PriceSeries) -> f64 {
    mean_return(&original.values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{parse_prices, LoadOptions};
    use crate::data::RawColumn;

    fn series(n: usize) -> PriceSeries {
        let opts = LoadOptions {
            columns: vec![RawColumn::Close, RawColumn::High, RawColumn::Volume],
            ..Default::default()
        };
        let mut text = String::from("Date,High,Close,Volume\n");
        for (i, (d, p)) in crate::test_support::walk(n, 3, 50.0, 0.04, (2000, 1, 1)).into_iter().enumerate() {
            text += &format!("{d},{},{p},{}\n", p * 1.01, 1000 + i);
        }
        parse_prices(text.as_bytes(), "s.csv", &opts).unwrap()
    }

    #[test]
    fn the_past_is_kept_bit_for_bit_and_every_column_changes_after() {
        let s = series(200);
        let f = replace_future(&s, 120);
        assert_eq!(&f.values[..120], &s.values[..120]);
        for ((_, a), (_, b)) in s.columns.iter().zip(&f.columns) {
            assert_eq!(&a[..120], &b[..120]);
            assert!((120..200).all(|t| a[t] != b[t]));
        }
        assert_eq!(f.column(RawColumn::Close).unwrap(), &f.values[..], "target column moves with the target");
        let high = |s: &PriceSeries| s.column(RawColumn::High).unwrap().to_vec();
        let ratio = |s: &PriceSeries, t: usize| high(s)[t] / s.values[t];
        assert!((ratio(&f, 150) - ratio(&s, 150)).abs() > 1e-3, "ranges change too");
        let max = |v: &[f64]| v.iter().cloned().fold(f64::MIN, f64::max);
        assert!(max(&f.values) > max(&s.values), "the new path leaves the old range");
    }

    #[test]
    fn a_planted_ar_term_is_what_the_oracle_gains() {
        let s = series(4000);
        let rows: Vec<usize> = (2..4000).collect();
        let mu = planted_mean_return(&s);
        let rmse = |f: &[f64], p: &[f64]| {
            (rows.iter().zip(f).map(|(&t, v)| (v - p[t]).powi(2)).sum::<f64>() / rows.len() as f64).sqrt()
        };
        for phi in [0.0, 0.3, 0.6] {
            let planted = plant_ar(&s, phi);
            let naive: Vec<f64> = rows.iter().map(|&t| planted.values[t - 1]).collect();
            let oracle = ar_oracle(&planted.values, phi, mu, &rows);
            let skill = 1.0 - rmse(&oracle, &planted.values) / rmse(&naive, &planted.values);
            // in return terms the oracle's error is sqrt(1 - phi^2) of naive's
            let expected = 1.0 - (1.0 - phi * phi).sqrt();
            assert!((skill - expected).abs() < 0.02, "phi {phi}: skill {skill}, expected {expected}");
            // volatility of returns kept
            let sd = |p: &[f64]| {
                crate::eval::stats::mean_sd(&p.windows(2).map(|w| w[1] / w[0]).collect::<Vec<_>>()).1
            };
            assert!((sd(&planted.values) / sd(&s.values) - 1.0).abs() < 0.05, "phi {phi}");
            let high = planted.column(RawColumn::High).unwrap();
            assert!((high[77] / planted.values[77] - 1.01).abs() < 1e-9, "price columns keep their relation");
            assert_eq!(planted.column(RawColumn::Volume), s.column(RawColumn::Volume));
        }
    }
}
