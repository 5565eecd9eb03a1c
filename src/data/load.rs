//! Reading a daily price file into a [`PriceSeries`].
//!
//! polars does the CSV tokenising (quoting, separators, ragged lines); every column is read as
//! text and converted here, so that each bad value can be reported with its line number and
//! column instead of polars' generic schema errors.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::{CsvReadOptions, DataFrame, SerReader};

use crate::bail_input;

/// Which columns to use. `None` means "detect".
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub date_col: Option<String>,
    pub target_col: Option<String>,
}

/// One price per trading day, sorted by date, no gaps invented.
#[derive(Debug, Clone)]
pub struct PriceSeries {
    /// The file name as the user gave it, for messages.
    pub source: String,
    pub dates: Vec<NaiveDate>,
    pub values: Vec<f64>,
    pub date_col: String,
    pub target_col: String,
    /// Rows dropped because the price was missing (`null`, empty, `NaN`).
    pub dropped: usize,
}

impl PriceSeries {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Column names tried, in order, when the user names no date column.
const DATE_NAMES: &[&str] = &["date", "datetime", "timestamp", "time"];
/// Column names tried, in order, when the user names no price column. `Close` rather than
/// `Adj Close`: it is what the reference peers use, and Yahoo's `Close` is already split-adjusted.
const TARGET_NAMES: &[&str] = &["close", "close/last", "price", "adj close", "adj_close"];
/// Cell texts that mean "no value on this day".
const MISSING: &[&str] = &["", "null", "nan", "na", "n/a", "-"];

/// Reads `path` and parses it with [`parse_prices`]. Only this function touches the disk.
pub fn load_prices(path: &Path, opts: &LoadOptions) -> Result<PriceSeries> {
    let source = path.display().to_string();
    if path.is_dir() {
        bail_input!("{source}: is a directory, not a CSV file; give the path of a price file");
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail_input!("{source}: no such file; check the path (shipped examples: data/AAPL.csv, data/MSFT.csv)")
        }
        Err(e) => return Err(e).with_context(|| format!("{source}: cannot read")),
    };
    parse_prices(&bytes, &source, opts)
}

/// Parses CSV bytes into a sorted [`PriceSeries`]. `source` names the file in messages.
pub fn parse_prices(bytes: &[u8], source: &str, opts: &LoadOptions) -> Result<PriceSeries> {
    let text = check_text(bytes, source)?;
    if text.trim().is_empty() {
        bail_input!("{source}: the file is empty; expected a header line such as Date,Open,High,Low,Close,Volume");
    }
    let df = read_frame(text, source)?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let date_col = pick_column(
        &names,
        opts.date_col.as_deref(),
        DATE_NAMES,
        source,
        "date",
        "--date-col",
    )?;
    let target_col = pick_column(
        &names,
        opts.target_col.as_deref(),
        TARGET_NAMES,
        source,
        "price",
        "--target-col",
    )?;
    if df.height() == 0 {
        bail_input!("{source}: has a header but no data rows");
    }
    let dates = text_column(&df, &date_col)?;
    let prices = text_column(&df, &target_col)?;

    let mut rows: Vec<(NaiveDate, f64, usize)> = Vec::with_capacity(dates.len());
    let mut dropped = 0;
    for (i, (d, p)) in dates.iter().zip(&prices).enumerate() {
        let line = i + 2; // line 1 is the header
        let p = p.unwrap_or("").trim();
        if MISSING.contains(&p.to_ascii_lowercase().as_str()) {
            dropped += 1;
            continue;
        }
        let value: f64 = match p.parse() {
            Ok(v) if f64::is_finite(v) => v,
            _ => bail_input!("{source}:{line}: column \"{target_col}\": \"{p}\" is not a number; fix or delete the line"),
        };
        let d = d.unwrap_or("").trim();
        let Some(date) = parse_date(d) else {
            bail_input!("{source}:{line}: column \"{date_col}\": \"{d}\" is not a date (expected YYYY-MM-DD)")
        };
        rows.push((date, value, line));
    }
    if rows.is_empty() {
        bail_input!(
            "{source}: column \"{target_col}\" has no values ({dropped} rows, all missing)"
        );
    }
    rows.sort_by_key(|r| r.0); // stable: equal dates keep file order, reported below
    reject_duplicates(&rows, source)?;
    Ok(PriceSeries {
        source: source.to_string(),
        dates: rows.iter().map(|r| r.0).collect(),
        values: rows.iter().map(|r| r.1).collect(),
        date_col,
        target_col,
        dropped,
    })
}

fn check_text<'a>(bytes: &'a [u8], source: &str) -> Result<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(t) if !t.contains('\0') => Ok(t),
        Ok(t) => {
            let line = t[..t.find('\0').unwrap_or(0)].lines().count().max(1);
            bail_input!("{source}:{line}: binary content (a NUL byte); expected a text CSV file")
        }
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            bail_input!("{source}:{line}: not UTF-8 text; save the file as UTF-8 CSV")
        }
    }
}

fn read_frame(text: &str, source: &str) -> Result<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0)) // every column as text: we convert with line numbers
        .into_reader_with_file_handle(Cursor::new(text.as_bytes()))
        .finish()
        .map_err(|e| {
            let msg = e.to_string().lines().next().unwrap_or("").to_string();
            crate::error::input_error(format!("{source}: not a readable CSV file ({msg}); check the separator and that every line has the same number of fields"))
        })
}

/// Finds a column by the user's name or by a list of usual names, case-insensitively.
fn pick_column(
    names: &[String],
    wanted: Option<&str>,
    usual: &[&str],
    source: &str,
    what: &str,
    flag: &str,
) -> Result<String> {
    let find = |w: &str| {
        names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(w))
            .cloned()
    };
    if let Some(w) = wanted {
        return find(w).ok_or_else(|| {
            crate::error::input_error(format!(
                "{source}: {flag} \"{w}\": no such column; columns found: {}",
                names.join(", ")
            ))
        });
    }
    usual.iter().find_map(|u| find(u)).ok_or_else(|| {
        crate::error::input_error(format!(
            "{source}: no {what} column; columns found: {}; name one with {flag}",
            names.join(", ")
        ))
    })
}

fn text_column<'a>(df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>> {
    let col = df.column(name).with_context(|| format!("column {name}"))?;
    let ca = col
        .str()
        .with_context(|| format!("column {name} is not text"))?;
    Ok(ca.iter().collect())
}

/// ISO dates, optionally followed by a time part (`2013-05-13 00:00:00`, `2013-05-13T00:00:00Z`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let head = s.get(..10).unwrap_or(s);
    let rest = &s[head.len()..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('T')) {
        return None;
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

fn reject_duplicates(rows: &[(NaiveDate, f64, usize)], source: &str) -> Result<()> {
    let dups: Vec<String> = rows
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| format!("{} (lines {} and {})", w[0].0, w[0].2, w[1].2))
        .collect();
    if !dups.is_empty() {
        let shown: Vec<_> = dups.iter().take(3).cloned().collect();
        let more = if dups.len() > 3 {
            format!(" and {} more", dups.len() - 3)
        } else {
            String::new()
        };
        bail_input!(
            "{source}: duplicate dates {}{more}; keep one row per trading day",
            shown.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PriceSeries> {
        parse_prices(text.as_bytes(), "t.csv", &LoadOptions::default())
    }

    fn err(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    #[test]
    fn yahoo_rows_are_sorted_and_nulls_dropped() {
        let s = parse(
            "Date,Open,High,Low,Close,Adj Close,Volume\n\
             2020-01-03,1,1,1,11.5,1,1\n\
             2020-01-02,1,1,1,10.0,1,1\n\
             2020-01-06,null,null,null,null,null,null\n\
             2020-01-07,1,1,1,12.25,1,1\n",
        )
        .unwrap();
        assert_eq!(s.values, vec![10.0, 11.5, 12.25]);
        assert_eq!(s.dates[0], NaiveDate::from_ymd_opt(2020, 1, 2).unwrap());
        assert_eq!(
            (s.date_col.as_str(), s.target_col.as_str(), s.dropped),
            ("Date", "Close", 1)
        );
    }

    #[test]
    fn bad_inputs_name_the_line_and_column() {
        assert!(err("").contains("empty"));
        assert!(err("Date,Close\n").contains("no data rows"));
        assert!(
            err("Day,Close\n2020-01-02,1\n").contains("no date column; columns found: Day, Close")
        );
        assert!(err("Date,Open\n2020-01-02,1\n").contains("no price column"));
        assert!(err("Date,Close\n2020-01-02,1\n2020-01-03,abc\n")
            .contains("t.csv:3: column \"Close\": \"abc\" is not a number"));
        assert!(err("Date,Close\n2020-01-02,1\nyesterday,2\n").contains("t.csv:3: column \"Date\""));
        assert!(err("Date,Close\n2020-01-02,1\n2020-01-02,2\n")
            .contains("duplicate dates 2020-01-02 (lines 2 and 3)"));
        assert!(err("Date,Close\n2020-01-02,null\n").contains("no values"));
    }

    #[test]
    fn binary_and_non_utf8_content_is_refused() {
        let e = parse_prices(
            b"Date,Close\n2020-01-02,\xff\n",
            "b.csv",
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("b.csv:2: not UTF-8"));
        let e = parse_prices(b"Date,Close\n\0\0", "b.csv", &LoadOptions::default()).unwrap_err();
        assert!(format!("{e:#}").contains("binary"));
    }

    #[test]
    fn dates_with_a_time_part_parse() {
        assert_eq!(
            parse_date("2013-05-13 00:00:00"),
            NaiveDate::from_ymd_opt(2013, 5, 13)
        );
        assert_eq!(
            parse_date("2013-05-13"),
            NaiveDate::from_ymd_opt(2013, 5, 13)
        );
        assert_eq!(parse_date("2013-05-1x"), None);
        assert_eq!(parse_date("2013-05-13x"), None);
    }
}
