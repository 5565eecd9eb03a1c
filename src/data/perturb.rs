//! Altered copies of a price series for the honesty checks: a future replaced by another path
//! (a forecast made before the change must not notice it), and a planted predictable
//! component of known size (a comparison must be able to see it).

use anyhow::Result;

use super::format::{parse_in, Decimal};
use super::load::{read_positions, LoadOptions};
use super::PriceSeries;
use crate::bail_input;

/// A copy of `series` whose rows from `cutoff` on follow another path: every loaded column
/// (and the target) is multiplied by a wavy factor, its own phase per column, so prices,
/// returns, ranges and volumes all change from `cutoff` on and the path reaches levels the
/// original never had. The factor starts at about 1.36 where the cutoff day's price fell and
/// about 0.73 where it rose (ranging over 0.95..1.73 or 0.58..1.05 after), so the cutoff
/// day's move is reversed: anything that peeks at that day's close (a position that
/// trades on it, say) turns the other way. Rows before `cutoff` are left bit for bit.
pub fn replace_future(series: &PriceSeries, cutoff: usize) -> PriceSeries {
    let p = &series.values;
    let rose = cutoff >= 1 && cutoff < p.len() && p[cutoff] >= p[cutoff - 1];
    let side = if rose { -1.0 } else { 1.0 };
    let factor = |phase: usize, t: usize| {
        (side * (0.25 + 0.3 * (0.2 * (t + 1 - cutoff) as f64 + phase as f64).sin())).exp()
    };
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

/// A copy of the price file `bytes`, from which `series` was loaded with `opts`, whose rows
/// from `cutoff` on follow [`replace_future`]'s path: in every column the loader reads for
/// values (the target and the features' columns), each such row's cell holds the new value,
/// written as the file writes that cell (decimal mark, decimals, currency sign, quotes, a
/// `K`/`M`/`B` suffix). Every other byte is kept, so the copy, loaded again, gives the same
/// rows before `cutoff` unless the loading itself reads the future.
pub fn future_file(bytes: &[u8], series: &PriceSeries, opts: &LoadOptions, cutoff: usize) -> Result<Vec<u8>> {
    let source = &series.source;
    let Ok(text) = std::str::from_utf8(bytes) else {
        bail_input!("{source}: not UTF-8 text; cannot write the leakage check's copy")
    };
    let bom = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let (sep, positions) = read_positions(&text[bom..], opts, source)?;
    let new = replace_future(series, cutoff);
    // per position read for values: the old and the new values, by row
    let value_cols: Vec<(usize, &[f64], &[f64])> = positions[1..]
        .iter()
        .enumerate()
        .map(|(k, &pos)| match k {
            0 => (pos, &series.values[..], &new.values[..]),
            _ => (pos, &series.columns[k - 1].1[..], &new.columns[k - 1].1[..]),
        })
        .collect();
    let mut lines: Vec<String> = text[bom..].split_inclusive('\n').map(String::from).collect();
    for t in cutoff..series.len() {
        let line = series.lines[t];
        let Some(l) = lines.get_mut(line - 1) else {
            bail_input!("{source}:{line}: no such line; cannot write the leakage check's copy")
        };
        let body_len = l.trim_end_matches(['\r', '\n']).len();
        let spans = field_spans(&l[..body_len], sep);
        let Some(spans) = spans else {
            bail_input!(
                "{source}:{line}: a quoted field runs over the line's end; the leakage check rewrites one line per row"
            )
        };
        let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for &(pos, old, new) in &value_cols {
            let Some(span) = spans.get(pos) else {
                bail_input!(
                    "{source}:{line}: fewer fields than the header; cannot write the leakage check's copy"
                )
            };
            if !edits.iter().any(|(r, _)| r == span) {
                edits.push((span.clone(), restyle(&l[span.clone()], old[t], new[t])));
            }
        }
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        for (r, cell) in edits {
            l.replace_range(r, &cell);
        }
    }
    let mut out = text.as_bytes()[..bom].to_vec();
    out.extend(lines.concat().into_bytes());
    Ok(out)
}

/// The byte ranges of the fields of one CSV line split at `sep` outside quotes; `None` when a
/// quote is left open.
fn field_spans(line: &str, sep: u8) -> Option<Vec<std::ops::Range<usize>>> {
    let (mut spans, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, b) in line.bytes().enumerate() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == sep && !quoted {
            spans.push(start..i);
            start = i + 1;
        }
    }
    spans.push(start..line.len());
    (!quoted).then_some(spans)
}

/// `cell`, which reads as `old`, rewritten to read as `new`: the digits replaced, with the same
/// decimal mark and number of decimals, everything around them (quotes, a currency sign, a
/// `K`/`M`/`B` suffix) kept.
fn restyle(cell: &str, old: f64, new: f64) -> String {
    let digits: Vec<usize> =
        cell.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
    let (Some(&first), Some(&last)) = (digits.first(), digits.last()) else { return format!("{new}") };
    let (prefix, core, suffix) = (&cell[..first], &cell[first..=last], &cell[last + 1..]);
    let unquoted = cell.trim().trim_matches('"');
    let style = if parse_in(unquoted, Decimal::Dot) == Some(old) { Decimal::Dot } else { Decimal::Comma };
    let mark = if style == Decimal::Dot { '.' } else { ',' };
    let decimals = core.rfind(mark).map_or(0, |i| core.len() - i - 1);
    let unit = match suffix.trim_matches(|c: char| c == '"' || c.is_whitespace()).chars().next() {
        Some('K' | 'k') => 1e3,
        Some('M' | 'm') => 1e6,
        Some('B' | 'b') => 1e9,
        _ => 1.0,
    };
    let (group, int_part) = match style {
        Decimal::Dot => (',', core.split('.').next().unwrap_or(core)),
        Decimal::Comma => ('.', core.split(',').next().unwrap_or(core)),
    };
    let text = format!("{:.*}", decimals, new.abs() / unit);
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    // thousands grouped as they were: the loader decides a column's decimal mark from all its
    // cells, and an ungrouped 1234567 among grouped ones could change its mind
    let int = if int_part.contains(group) { grouped(int, group) } else { int.to_string() };
    let number = match frac {
        Some(f) => format!("{int}{mark}{f}"),
        None => int,
    };
    format!("{prefix}{number}{suffix}")
}

/// `digits` with `group` between every three from the right: `1234567` -> `1,234,567`.
fn grouped(digits: &str, group: char) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    out
}

/// Mean simple return of `prices` (the level around which [`plant_ar`] adds persistence).
fn mean_return(prices: &[f64]) -> f64 {
    let n = prices.len().saturating_sub(1).max(1) as f64;
    prices.windows(2).map(|w| w[1] / w[0] - 1.0).sum::<f64>() / n
}

/// A copy of `series` whose daily returns follow an AR(1) of strength `phi`, one planted
/// path of many (`path` seeds its draws), with the original's volatility on the days scored:
///
/// `r'[t] = mu + phi (r'[t-1] - mu) + sqrt(1 - phi^2) s[t] (r[t] - mu)`, where the signs `s[t]`
/// are drawn at random (+1 or -1) for each path. The signs make the innovations uncorrelated
/// whatever the original returns' own autocorrelation, so the planted term is the only
/// persistence, and keep each day's size of move; the deviations from `mu` are then scaled by
/// one factor so that the returns of the rows in `scored` have exactly the original's
/// standard deviation there. Price columns are rescaled by the new price over the old one
/// (their relation to the close is kept); other columns are left alone. The best possible
/// forecast of the new series is [`ar_oracle`], whose skill over naive is the size of what was
/// planted.
pub fn plant_ar(series: &PriceSeries, phi: f64, path: u64, scored: std::ops::Range<usize>) -> PriceSeries {
    use rand::{Rng, SeedableRng};
    let p = &series.values;
    let mu = mean_return(p);
    let keep = (1.0 - phi * phi).sqrt();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x9e37_79b9_7f4a_7c15 ^ path);
    let mut r = vec![0.0; p.len()];
    let mut prev = mu;
    for t in 1..p.len() {
        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
        r[t] = mu + phi * (prev - mu) + keep * sign * (p[t] / p[t - 1] - 1.0 - mu);
        prev = r[t];
    }
    let sd = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
    };
    let scored = scored.start.max(1)..scored.end.min(p.len());
    let original: Vec<f64> = scored.clone().map(|t| p[t] / p[t - 1] - 1.0).collect();
    let factor = sd(&original) / sd(&r[scored]);
    let mut new = vec![p[0]];
    for t in 1..p.len() {
        new.push(new[t - 1] * (1.0 + mu + factor * (r[t] - mu)));
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
        let min = |v: &[f64]| v.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            max(&f.values) > max(&s.values) || min(&f.values) < min(&s.values),
            "the new path leaves the old range"
        );
        // the cutoff day's move is reversed, whichever way it went
        for cut in 100..140 {
            let f = replace_future(&s, cut);
            let (old, new) = (s.values[cut] - s.values[cut - 1], f.values[cut] - f.values[cut - 1]);
            assert!(old * new < 0.0 || (old == 0.0 && new > 0.0), "cut {cut}: {old} -> {new}");
        }
    }

    /// The copy is the same file up to the cutoff, in the file's own way of writing numbers
    /// (decimal comma, `;`, currency sign, quotes, newest row first, another ticker's rows),
    /// and loads as the altered series after it.
    #[test]
    fn the_future_copy_of_a_file_loads_as_the_altered_series() {
        let mut text = String::from("\u{feff}Symbol;Date;Close;High;Volume\r\n");
        let rows = crate::test_support::walk(60, 5, 1234.5, 0.03, (2020, 1, 1));
        for (i, (d, p)) in rows.iter().enumerate().rev() {
            let comma = |v: f64| format!("{v:.2}").replace('.', ",");
            text += &format!("XYZ;{d};\"${}\";{};{}K\r\n", comma(*p), comma(p * 1.01), 10 + i);
            text += &format!("ABC;{d};1,00;1,00;1K\r\n");
        }
        let opts = LoadOptions {
            columns: vec![RawColumn::High, RawColumn::Volume],
            ticker: Some("XYZ".into()),
            ..Default::default()
        };
        let s = parse_prices(text.as_bytes(), "f.csv", &opts).unwrap();
        let cut = 40;
        let copy = future_file(text.as_bytes(), &s, &opts, cut).unwrap();
        let copy_text = String::from_utf8(copy.clone()).unwrap();
        assert!(copy_text.starts_with('\u{feff}') && copy_text.contains("\"$"), "format kept");
        // every line that is not ours, or before the cutoff, is kept byte for byte
        let changed: Vec<(&str, &str)> =
            text.lines().zip(copy_text.lines()).filter(|(a, b)| a != b).collect();
        assert_eq!(changed.len(), 60 - cut, "{changed:?}");
        assert!(changed.iter().all(|(a, _)| a.starts_with("XYZ;")));
        let again = parse_prices(&copy, "f.csv", &opts).unwrap();
        let want = replace_future(&s, cut);
        assert_eq!(&again.values[..cut], &s.values[..cut]);
        for t in cut..60 {
            assert!((again.values[t] - want.values[t]).abs() <= 0.005 + 1e-9, "row {t}");
            assert!(again.values[t] != s.values[t], "row {t} changed");
            let v = |x: &PriceSeries| x.column(RawColumn::Volume).unwrap()[t];
            assert!((v(&again) - v(&want)).abs() <= 500.0, "row {t}: volume in thousands");
        }
    }

    /// Grouped thousands stay grouped, so the copy's columns read with the original's decimal
    /// mark even where a later value gains a group (123,456 before, 1,234,567 after).
    #[test]
    fn grouped_numbers_keep_their_groups() {
        assert_eq!(restyle("123,456", 123456.0, 1234567.0), "1,234,567");
        assert_eq!(restyle("\"12.345,50\"", 12345.5, 1234567.891), "\"1.234.567,89\"");
        assert_eq!(restyle("$188.59", 188.59, 201.234), "$201.23");
        assert_eq!(restyle("19.40M", 19.4e6, 25.0e6), "25.00M");
        assert_eq!(restyle("-3.5", -3.5, -4.31), "-4.3");
        let mut text = String::from("Date,Close\n");
        let rows = crate::test_support::walk(40, 9, 500_000.0, 0.02, (2020, 1, 1));
        for (d, p) in &rows {
            let v = format!("{p:.2}");
            text += &format!("{d},\"{},{}\"\n", &v[..v.len() - 6], &v[v.len() - 6..]);
        }
        let opts = LoadOptions::default();
        let s = parse_prices(text.as_bytes(), "g.csv", &opts).unwrap();
        let copy = future_file(text.as_bytes(), &s, &opts, 20).unwrap();
        let again = parse_prices(&copy, "g.csv", &opts).unwrap();
        assert_eq!(&again.values[..20], &s.values[..20]);
        assert!((20..40).all(|t| again.values[t] != s.values[t]));
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
            let planted = plant_ar(&s, phi, 1, 2..4000);
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

    /// On an original whose returns trend (lag-1 autocorrelation 0.4, far above AAPL's 0.13),
    /// the planted term is still the only persistence: the oracle's skill is what was
    /// planted, the volatility on the scored days is the original's exactly, and paths differ.
    #[test]
    fn planted_paths_keep_the_scored_volatility_on_an_autocorrelated_original() {
        let base = series(6000);
        let mut trending = base.clone();
        let (mut prev, p) = (0.0, &base.values);
        for t in 1..p.len() {
            let r = 0.4 * prev + (p[t] / p[t - 1] - 1.0);
            trending.values[t] = trending.values[t - 1] * (1.0 + r);
            prev = r;
        }
        trending.columns.clear();
        let returns = |v: &[f64], rows: std::ops::Range<usize>| -> Vec<f64> {
            rows.map(|t| v[t] / v[t - 1] - 1.0).collect()
        };
        let sd = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
        };
        let (phi, scored) = (0.3, 4000..5000);
        let rows: Vec<usize> = (2..6000).collect();
        let mu = planted_mean_return(&trending);
        for path in [0, 1] {
            let planted = plant_ar(&trending, phi, path, scored.clone());
            let (a, b) =
                (returns(&planted.values, scored.clone()), returns(&trending.values, scored.clone()));
            assert!((sd(&a) / sd(&b) - 1.0).abs() < 1e-9, "path {path}: {} vs {}", sd(&a), sd(&b));
            let q = &planted.values;
            let rmse = |f: &[f64]| {
                (rows.iter().zip(f).map(|(&t, v)| (v - q[t]).powi(2)).sum::<f64>() / rows.len() as f64).sqrt()
            };
            let naive: Vec<f64> = rows.iter().map(|&t| q[t - 1]).collect();
            let skill = 1.0 - rmse(&ar_oracle(q, phi, mu, &rows)) / rmse(&naive);
            let expected = 1.0 - (1.0 - phi * phi).sqrt();
            assert!((skill - expected).abs() < 0.015, "path {path}: skill {skill}, planted {expected}");
        }
        assert_ne!(
            plant_ar(&trending, phi, 0, scored.clone()).values,
            plant_ar(&trending, phi, 1, scored).values
        );
    }
}
