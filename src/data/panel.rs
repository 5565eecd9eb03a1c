//! A panel: many tickers' daily prices judged on one calendar, so that one network can train on
//! all of them without any window seeing a day after any ticker's test period begins.
//!
//! The calendar is the union of every ticker's dates, cut by shares into train, validation and
//! test (the last days): the same two cut dates for every ticker. Each ticker's rows are split by
//! those dates, so a ticker that starts late has a shorter training part, and one that ends early
//! a shorter (or no) test part. A ticker is kept when its training and validation parts each have
//! a target day after its first window; the rest are reported with the reason. Whether it has
//! test days is not asked: that is not known when the cut is made, and dropping the tickers that
//! leave during the test would train only on the ones that stayed.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;

use super::load::{load_prices, tickers, LoadOptions, PriceSeries};
use super::split::Split;
use crate::bail_input;

/// One ticker of a panel.
#[derive(Debug, Clone)]
pub struct Member {
    pub ticker: String,
    pub series: PriceSeries,
}

/// Every ticker's prices, in the order given (a folder's files sorted by name, a long-format
/// file's tickers in order of first appearance).
#[derive(Debug, Clone)]
pub struct Panel {
    pub members: Vec<Member>,
    /// The union of the members' dates, sorted.
    pub dates: Vec<NaiveDate>,
}

/// The common cut dates: training before `val_start`, validation from `val_start` to before
/// `test_start`, test from `test_start` to `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Calendar {
    pub first: NaiveDate,
    pub val_start: NaiveDate,
    pub test_start: NaiveDate,
    /// The last test day (of this fold, with walk-forward folds).
    pub last: NaiveDate,
    /// Days of the union calendar.
    pub days: usize,
}

impl Calendar {
    /// Cuts the union calendar `dates` (sorted) as `Split` cuts one file's rows: validation and
    /// test get their shares of the days, training the rest, test the latest.
    pub fn cut(dates: &[NaiveDate], val_frac: f64, test_frac: f64) -> Result<Calendar> {
        Ok(Calendar::walk_forward(dates, val_frac, test_frac, 1)?.remove(0))
    }

    /// Walk-forward folds on the union calendar `dates` (sorted), as `compare` cuts one file's
    /// rows: the test days of [`Calendar::cut`] in `folds` consecutive blocks (the last takes the
    /// remainder); each fold validates on as many days as the plain cut, just before its block,
    /// and trains on every day before that. One fold is the plain cut.
    pub fn walk_forward(
        dates: &[NaiveDate],
        val_frac: f64,
        test_frac: f64,
        folds: usize,
    ) -> Result<Vec<Calendar>> {
        let n = dates.len();
        let s = Split::boundaries(n, val_frac, test_frac);
        let (n_val, n_test) = (s.val_end - s.train_end, n - s.val_end);
        if s.train_end == 0 || n_val == 0 || n_test == 0 {
            bail_input!(
                "the panel's calendar has {n} days: too few to cut into training, validation and test parts; give longer files"
            );
        }
        if folds == 0 || n_test < folds {
            bail_input!(
                "--folds {folds}: the panel's calendar has {n_test} test days; use at most that many folds or a larger --test-frac"
            );
        }
        let block = n_test / folds;
        Ok((0..folds)
            .map(|i| {
                let start = s.val_end + i * block;
                let end = if i + 1 == folds { n } else { start + block };
                Calendar {
                    first: dates[0],
                    val_start: dates[start - n_val],
                    test_start: dates[start],
                    last: dates[end - 1],
                    days: n,
                }
            })
            .collect())
    }

    /// A member's rows split by the calendar's dates: rows dated before `val_start` train, rows
    /// before `test_start` validate, the rest up to `last` test (later rows are no part's).
    pub fn split_of(&self, dates: &[NaiveDate]) -> Split {
        Split {
            train_end: dates.partition_point(|d| *d < self.val_start),
            val_end: dates.partition_point(|d| *d < self.test_start),
            len: dates.partition_point(|d| *d <= self.last),
        }
    }

    /// Why a member with these dates cannot be used with windows of `lookback` rows, or `None`
    /// when its training and validation parts each have a target day after the first window (a
    /// member without test days trains, and is not forecast).
    pub fn unusable(&self, dates: &[NaiveDate], lookback: usize) -> Option<String> {
        let s = self.split_of(dates);
        if s.train_end <= lookback {
            Some(format!(
                "{} rows before {} (the validation start), need more than {lookback} to train on one window",
                s.train_end, self.val_start
            ))
        } else if s.val_end <= s.train_end {
            Some(format!("no rows from {} to {} (validation)", self.val_start, self.test_start))
        } else {
            None
        }
    }
}

impl Panel {
    /// Loads a panel from a folder of price files (the ticker is each file's name without
    /// `.csv`) or from one long-format file (a ticker column). Every file is loaded and checked as
    /// `stock` loads one; a bad file stops the load with its own message.
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Panel> {
        let mut members = Vec::new();
        if path.is_dir() {
            for file in Panel::files(path)? {
                let ticker = file.file_stem().map_or(String::new(), |s| s.to_string_lossy().into_owned());
                members.push(Member { ticker, series: load_prices(&file, opts)? });
            }
        } else {
            let Some(t) = tickers(path, opts)? else {
                bail_input!(
                    "{}: one series, not a panel; give a folder of price files or a long-format file with a ticker column",
                    path.display()
                );
            };
            for ticker in t.values {
                let one = LoadOptions { ticker: Some(ticker.clone()), ..opts.clone() };
                members.push(Member { ticker, series: load_prices(path, &one)? });
            }
        }
        if members.len() < 2 {
            bail_input!(
                "{}: {} price series; a panel needs two or more (for one stock use `stock`)",
                path.display(),
                members.len()
            );
        }
        Ok(Panel::of(members))
    }

    /// The files a panel at `path` reads: a folder's `.csv` files sorted by name, or the one
    /// long-format file.
    pub fn files(path: &Path) -> Result<Vec<PathBuf>> {
        if !path.is_dir() {
            return Ok(vec![path.to_path_buf()]);
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| {
                crate::error::input_error(format!("{}: cannot read the folder ({e})", path.display()))
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        Ok(files)
    }

    /// A panel of these members, with their union calendar.
    pub fn of(members: Vec<Member>) -> Panel {
        let mut dates: Vec<NaiveDate> = members.iter().flat_map(|m| m.series.dates.iter().copied()).collect();
        dates.sort_unstable();
        dates.dedup();
        Panel { members, dates }
    }

    /// The members usable with `cal` and windows of `lookback` rows, and the others with why.
    pub fn usable(&self, cal: &Calendar, lookback: usize) -> (Vec<&Member>, Vec<(String, String)>) {
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        for m in &self.members {
            match cal.unusable(&m.series.dates, lookback) {
                None => kept.push(m),
                Some(why) => dropped.push((m.ticker.clone(), why)),
            }
        }
        (kept, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(ticker: &str, first: (i32, u32, u32), days: usize) -> Member {
        let rows = crate::test_support::walk(days, 7, 100.0, 0.02, first);
        let text: String = std::iter::once("Date,Close\n".to_string())
            .chain(rows.iter().map(|(d, p)| format!("{d},{p}\n")))
            .collect();
        let series = crate::data::load::parse_prices(
            text.as_bytes(),
            &format!("{ticker}.csv"),
            &LoadOptions::default(),
        )
        .unwrap();
        Member { ticker: ticker.into(), series }
    }

    /// The common calendar: one pair of cut dates for every ticker, so that no training target
    /// of any ticker is dated on or after the validation start, and no validation target on or
    /// after the earliest test date; a late starter keeps a shorter training part, one that
    /// starts too late is reported, not silently trained, and one that ends before the test
    /// trains (its leaving is the future) with no test days.
    #[test]
    fn one_calendar_cuts_every_ticker_at_the_same_dates() {
        let panel = Panel::of(vec![
            member("FULL", (2020, 1, 1), 400),
            member("LATE", (2020, 6, 1), 248),
            member("TOO_LATE", (2020, 11, 1), 95),
            member("EARLY_END", (2020, 1, 1), 300),
        ]);
        assert_eq!(panel.dates.len(), 400);
        let cal = Calendar::cut(&panel.dates, 0.15, 0.15).unwrap();
        assert_eq!((cal.val_start, cal.test_start), (panel.dates[280], panel.dates[340]));
        let (kept, dropped) = panel.usable(&cal, 10);
        let names: Vec<&str> = kept.iter().map(|m| m.ticker.as_str()).collect();
        assert_eq!(names, ["FULL", "LATE", "EARLY_END"]);
        assert_eq!(dropped.len(), 1);
        assert!(dropped[0].0 == "TOO_LATE" && dropped[0].1.contains("need more than 10"), "{dropped:?}");
        let early = cal.split_of(&panel.members[3].series.dates);
        assert!(early.val_end > early.train_end && early.len == early.val_end, "{early:?}");
        for m in kept {
            let d = &m.series.dates;
            let s = cal.split_of(d);
            assert!(d[..s.train_end].iter().all(|x| *x < cal.val_start));
            assert!(d[s.train_end..s.val_end].iter().all(|x| *x >= cal.val_start && *x < cal.test_start));
            assert!(d[s.val_end..].iter().all(|x| *x >= cal.test_start));
            // the late starter's training part is shorter, its cut dates the same
            if m.ticker == "LATE" {
                assert_eq!(s.train_end, 280 - 152);
            }
        }
        // a fault: cutting each ticker by its own row shares (as `stock` does one file) would
        // train LATE on days after FULL's validation start
        let own = Split::boundaries(248, 0.15, 0.15);
        let late = &panel.members[1].series.dates;
        assert!(late[own.train_end - 1] >= cal.val_start, "the per-file cut must be the wrong one here");
    }

    /// Walk-forward folds: the plain cut's test days in consecutive blocks that tile them, each
    /// fold validating on as many days just before its block and training on every day before
    /// that; a member's rows after the fold's block are in none of its parts.
    #[test]
    fn walk_forward_folds_tile_the_test_days_and_train_only_before_each() {
        let panel = Panel::of(vec![member("FULL", (2020, 1, 1), 400), member("LATE", (2020, 6, 1), 248)]);
        let d = &panel.dates;
        let folds = Calendar::walk_forward(d, 0.15, 0.15, 3).unwrap();
        let one = Calendar::walk_forward(d, 0.15, 0.15, 1).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].val_start, one[0].test_start, one[0].last), (d[280], d[340], d[399]));
        let starts: Vec<NaiveDate> = folds.iter().map(|f| f.test_start).collect();
        assert_eq!(starts, [d[340], d[360], d[380]]);
        let lasts: Vec<NaiveDate> = folds.iter().map(|f| f.last).collect();
        assert_eq!(lasts, [d[359], d[379], d[399]]);
        let vals: Vec<NaiveDate> = folds.iter().map(|f| f.val_start).collect();
        assert_eq!(vals, [d[280], d[300], d[320]]);
        for f in &folds {
            let s = f.split_of(&panel.members[0].series.dates);
            assert_eq!((s.val_end - s.train_end, s.len - s.val_end), (60, 20));
            assert_eq!(s.len, d.partition_point(|x| *x <= f.last));
        }
        // 60 test days: 60 folds of a day each, not 61
        assert_eq!(Calendar::walk_forward(d, 0.15, 0.15, 60).unwrap().len(), 60);
        let e = format!("{:#}", Calendar::walk_forward(d, 0.15, 0.15, 61).unwrap_err());
        assert!(e.contains("--folds 61") && e.contains("60 test days"), "{e}");
    }

    #[test]
    fn a_panel_needs_two_series_and_a_calendar_long_enough() {
        assert!(Calendar::cut(&Panel::of(vec![member("A", (2020, 1, 1), 2)]).dates, 0.15, 0.15).is_err());
        let dir = std::env::temp_dir().join(format!("lstm-stock-panel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let one = "Date,Close\n".to_string()
            + &(1..=28).map(|d| format!("2020-02-{d:02},{}.0\n", 100 + d)).collect::<String>();
        std::fs::write(dir.join("A.csv"), &one).unwrap();
        let e = format!("{:#}", Panel::load(&dir, &LoadOptions::default()).unwrap_err());
        assert!(e.contains("1 price series; a panel needs two or more"), "{e}");
        std::fs::write(dir.join("B.csv"), &one).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a price file").unwrap();
        let p = Panel::load(&dir, &LoadOptions::default()).unwrap();
        let names: Vec<&str> = p.members.iter().map(|m| m.ticker.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        let e = format!("{:#}", Panel::load(&dir.join("A.csv"), &LoadOptions::default()).unwrap_err());
        assert!(e.contains("one series, not a panel"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
