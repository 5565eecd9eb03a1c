//! A panel: many tickers' daily prices judged on one calendar, so that one network can train on
//! all of them without any window seeing a day after any ticker's test period begins.
//!
//! The calendar is the union of every ticker's dates, cut by shares into train, validation and
//! test (the last days): the same two cut dates for every ticker. Each ticker's rows are split by
//! those dates, so a ticker that starts late has a shorter training part, and one that ends early
//! a shorter (or no) test part. A ticker is kept when each of its parts has at least one target
//! day after its first window; the rest are reported with the reason.

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
/// `test_start`, test from `test_start` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Calendar {
    pub first: NaiveDate,
    pub val_start: NaiveDate,
    pub test_start: NaiveDate,
    pub last: NaiveDate,
    /// Days of the union calendar.
    pub days: usize,
}

impl Calendar {
    /// Cuts the union calendar `dates` (sorted) as `Split` cuts one file's rows: validation and
    /// test get their shares of the days, training the rest, test the latest.
    pub fn cut(dates: &[NaiveDate], val_frac: f64, test_frac: f64) -> Result<Calendar> {
        let s = Split::boundaries(dates.len(), val_frac, test_frac);
        if s.train_end == 0 || s.val_end <= s.train_end || s.len <= s.val_end {
            bail_input!(
                "the panel's calendar has {} days: too few to cut into training, validation and test parts; give longer files",
                dates.len()
            );
        }
        Ok(Calendar {
            first: dates[0],
            val_start: dates[s.train_end],
            test_start: dates[s.val_end],
            last: dates[dates.len() - 1],
            days: dates.len(),
        })
    }

    /// A member's rows split by the calendar's dates: rows dated before `val_start` train, rows
    /// before `test_start` validate, the rest test.
    pub fn split_of(&self, dates: &[NaiveDate]) -> Split {
        Split {
            train_end: dates.partition_point(|d| *d < self.val_start),
            val_end: dates.partition_point(|d| *d < self.test_start),
            len: dates.len(),
        }
    }

    /// Why a member with these dates cannot be used with windows of `lookback` rows, or `None`
    /// when each part has at least one target day after the first window.
    pub fn unusable(&self, dates: &[NaiveDate], lookback: usize) -> Option<String> {
        let s = self.split_of(dates);
        if s.train_end <= lookback {
            Some(format!(
                "{} rows before {} (the validation start), need more than {lookback} to train on one window",
                s.train_end, self.val_start
            ))
        } else if s.val_end <= s.train_end {
            Some(format!("no rows from {} to {} (validation)", self.val_start, self.test_start))
        } else if s.len <= s.val_end {
            Some(format!("no rows from {} on (test)", self.test_start))
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
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| {
                    crate::error::input_error(format!("{}: cannot read the folder ({e})", path.display()))
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
                .collect();
            files.sort();
            for file in files {
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
    /// starts too late or ends before the test is reported, not silently trained.
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
        assert_eq!(names, ["FULL", "LATE"]);
        assert_eq!(dropped.len(), 2);
        assert!(dropped[0].0 == "TOO_LATE" && dropped[0].1.contains("need more than 10"), "{dropped:?}");
        assert!(dropped[1].0 == "EARLY_END" && dropped[1].1.contains("(test)"), "{dropped:?}");
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
