//! Reading a daily price file into a [`PriceSeries`].
//!
//! polars does the CSV tokenising (quoting, separators); every column is read as text and
//! converted here, so that each bad value is reported with its line number and column, and so
//! that export formats (`$188.59`, `05/11/2018`, newest row first) load without options.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::{CsvParseOptions, CsvReadOptions, DataFrame, SerReader};
use serde::{Deserialize, Serialize};

use super::format::{self, is_missing, normalize_name, parse_number};
use crate::bail_input;
use crate::error::input_error;

/// Raw price-file columns that features can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawColumn {
    Open,
    High,
    Low,
    Close,
    AdjClose,
    Volume,
}

impl RawColumn {
    /// The name users write in `--features`.
    pub fn label(self) -> &'static str {
        match self {
            RawColumn::Open => "open",
            RawColumn::High => "high",
            RawColumn::Low => "low",
            RawColumn::Close => "close",
            RawColumn::AdjClose => "adj_close",
            RawColumn::Volume => "volume",
        }
    }

    /// Normalised header names that mean this column, in order of preference.
    fn names(self) -> &'static [&'static str] {
        match self {
            RawColumn::Open => &["open"],
            RawColumn::High => &["high"],
            RawColumn::Low => &["low"],
            RawColumn::Close => &["close", "close/last", "last", "price"],
            RawColumn::AdjClose => &["adjclose", "adjustedclose"],
            RawColumn::Volume => &["volume", "vol"],
        }
    }
}

/// Which columns to use. `None` means "detect".
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub date_col: Option<String>,
    pub target_col: Option<String>,
    /// A chrono format such as `%d/%m/%Y`.
    pub date_format: Option<String>,
    /// Further columns to load (for input features); rows missing any of them are dropped.
    pub columns: Vec<RawColumn>,
}

/// One price per trading day, sorted by date, no days invented.
#[derive(Debug, Clone)]
pub struct PriceSeries {
    /// The file name as the user gave it, for messages.
    pub source: String,
    pub dates: Vec<NaiveDate>,
    /// The target price column.
    pub values: Vec<f64>,
    /// The columns asked for in [`LoadOptions::columns`], aligned with `dates`.
    pub columns: Vec<(RawColumn, Vec<f64>)>,
    /// The line each row came from, as a text editor counts lines.
    pub lines: Vec<usize>,
    pub date_col: String,
    pub target_col: String,
    /// The date format used, e.g. `YYYY-MM-DD` or the user's `--date-format`.
    pub date_format: String,
    pub separator: &'static str,
    /// Rows dropped because a value they need was missing (`null`, empty, `NaN`).
    pub dropped: usize,
}

impl PriceSeries {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The loaded values of `col` (the target if it is the target column's kind and not loaded).
    pub fn column(&self, col: RawColumn) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, v)| v.as_slice())
    }

    /// One line that says what was loaded and how.
    pub fn summary(&self) -> String {
        let d = &self.dates;
        format!(
            "{}: {} rows, {} .. {}, date column \"{}\" ({}), target column \"{}\", {} separated, {} rows dropped for missing values",
            self.source,
            self.len(),
            d[0],
            d[d.len() - 1],
            self.date_col,
            self.date_format,
            self.target_col,
            self.separator,
            self.dropped
        )
    }
}

const DATE_NAMES: &[&str] = &["date", "datetime", "timestamp", "time", "day"];

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
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if header.is_empty() {
        bail_input!("{source}: the file is empty; expected a header line such as Date,Open,High,Low,Close,Volume");
    }
    let sep = format::sniff_separator(header);
    let lines = scan_records(text, sep, source)?;
    if lines.is_empty() {
        bail_input!("{source}: has a header but no data rows");
    }
    // polars reads a blank line as a row; our line numbers skip them, so drop them for polars
    let cleaned: String;
    let text = if text.lines().any(|l| l.trim().is_empty()) {
        cleaned = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        cleaned.as_str()
    } else {
        text
    };
    let df = read_frame(text, sep, source)?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    if df.height() != lines.len() {
        // polars and our scan disagree on what a record is: trust neither line numbers
        bail_input!("{source}: could not split the file into rows consistently; check its quoting");
    }
    let date_col = pick(
        &names,
        opts.date_col.as_deref(),
        DATE_NAMES,
        source,
        "date",
        "--date-col",
    )?;
    // Close first; a file with only an adjusted close still has a price to forecast
    let usual_prices: Vec<&str> = RawColumn::Close
        .names()
        .iter()
        .chain(RawColumn::AdjClose.names())
        .copied()
        .collect();
    let target_col = pick(
        &names,
        opts.target_col.as_deref(),
        &usual_prices,
        source,
        "price",
        "--target-col",
    )?;
    let mut extra = Vec::new();
    for &col in &opts.columns {
        let name = pick(&names, None, col.names(), source, "", "").map_err(|_| {
            input_error(format!(
                "{source}: --features needs an \"{}\" column and there is none; columns found: {}; drop the features that use it",
                col.label(),
                names.join(", ")
            ))
        })?;
        extra.push((col, name));
    }

    let dates = text_column(&df, &date_col)?;
    let (date_fmt, date_label) = date_format(opts, &dates, &date_col, source)?;
    let target = text_column(&df, &target_col)?;
    let extra_text: Vec<Vec<Option<&str>>> = extra
        .iter()
        .map(|(_, n)| text_column(&df, n))
        .collect::<Result<_>>()?;

    let mut rows: Vec<Row> = Vec::with_capacity(lines.len());
    let mut dropped = 0;
    'rows: for (i, &line) in lines.iter().enumerate() {
        let mut values = Vec::with_capacity(1 + extra.len());
        for (name, col) in std::iter::once((&target_col, &target))
            .chain(extra.iter().map(|(_, n)| n).zip(&extra_text))
        {
            let cell = col[i].unwrap_or("");
            if is_missing(cell) {
                dropped += 1;
                continue 'rows;
            }
            let Some(v) = parse_number(cell) else {
                bail_input!("{source}:{line}: column \"{name}\": \"{}\" is not a number; fix or delete the line", cell.trim())
            };
            values.push(v);
        }
        let d = dates[i].unwrap_or("").trim();
        let Some(date) = format::parse_date_with(d, &date_fmt) else {
            bail_input!("{source}:{line}: column \"{date_col}\": \"{d}\" is not a date in the format {date_label}; fix the line or give --date-format")
        };
        rows.push(Row { date, line, values });
    }
    if rows.is_empty() {
        bail_input!("{source}: no row has all the values needed ({dropped} rows, all with a missing value in \"{target_col}\" or a feature column)");
    }
    rows.sort_by_key(|r| r.date); // stable: equal dates keep file order, reported below
    reject_duplicates(&rows, source)?;
    Ok(PriceSeries {
        source: source.to_string(),
        dates: rows.iter().map(|r| r.date).collect(),
        values: rows.iter().map(|r| r.values[0]).collect(),
        columns: extra
            .iter()
            .enumerate()
            .map(|(k, (c, _))| (*c, rows.iter().map(|r| r.values[k + 1]).collect()))
            .collect(),
        lines: rows.iter().map(|r| r.line).collect(),
        date_col,
        target_col,
        date_format: date_label,
        separator: format::separator_name(sep),
        dropped,
    })
}

struct Row {
    date: NaiveDate,
    line: usize,
    values: Vec<f64>,
}

fn check_text<'a>(bytes: &'a [u8], source: &str) -> Result<&'a str> {
    let line_of = |end: usize| bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1;
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        bail_input!(
            "{source}:{}: binary content (a NUL byte); expected a text CSV file",
            line_of(at)
        );
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Err(e) => bail_input!(
            "{source}:{}: not UTF-8 text; save the file as UTF-8 CSV",
            line_of(e.valid_up_to())
        ),
    }
}

/// Line numbers of the data records (quote-aware, blank lines skipped), checking that every
/// record has as many fields as the header.
fn scan_records(text: &str, sep: u8, source: &str) -> Result<Vec<usize>> {
    let mut lines = Vec::new();
    let (mut line, mut start_line, mut fields, mut quoted, mut empty) =
        (1usize, 1usize, 1usize, false, true);
    let mut header_fields = None;
    let mut finish = |start_line: usize, fields: usize, empty: bool| -> Result<()> {
        if empty {
            return Ok(());
        }
        match header_fields {
            None => header_fields = Some(fields),
            Some(h) if h != fields => bail_input!(
                "{source}:{start_line}: {fields} fields, but the header has {h}; fix or delete the line (is a number written with the separator inside it, unquoted?)"
            ),
            Some(_) => lines.push(start_line),
        }
        Ok(())
    };
    for b in text.bytes() {
        match b {
            b'"' => {
                quoted = !quoted;
                empty = false;
            }
            b'\n' if !quoted => {
                finish(start_line, fields, empty)?;
                line += 1;
                (start_line, fields, empty) = (line, 1, true);
            }
            b'\n' => line += 1,
            b'\r' => {}
            _ if b == sep && !quoted => {
                fields += 1;
                empty = false;
            }
            b' ' | b'\t' => {}
            _ => empty = false,
        }
    }
    finish(start_line, fields, empty)?;
    Ok(lines)
}

fn read_frame(text: &str, sep: u8, source: &str) -> Result<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0)) // every column as text: we convert with line numbers
        .with_parse_options(CsvParseOptions::default().with_separator(sep))
        .into_reader_with_file_handle(Cursor::new(text.as_bytes()))
        .finish()
        .map_err(|e| {
            let msg = e.to_string().lines().next().unwrap_or("").to_string();
            input_error(format!(
                "{source}: not a readable CSV file ({msg}); check the separator and the quoting"
            ))
        })
}

/// Finds a column by the user's name or by a list of usual names, ignoring case, spaces and `_`.
fn pick(
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
            .find(|n| normalize_name(n) == normalize_name(w))
            .cloned()
    };
    let found = match wanted {
        Some(w) => find(w).ok_or_else(|| format!("{flag} \"{w}\": no such column")),
        None => usual
            .iter()
            .find_map(|u| find(u))
            .ok_or_else(|| format!("no {what} column")),
    };
    found.map_err(|why| {
        let hint = if wanted.is_none() {
            format!("; name one with {flag}")
        } else {
            String::new()
        };
        input_error(format!(
            "{source}: {why}; columns found: {}{hint}",
            names.join(", ")
        ))
    })
}

fn text_column<'a>(df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>> {
    let col = df
        .column(name)
        .map_err(|e| anyhow::anyhow!("column {name}: {e}"))?;
    let ca = col
        .str()
        .map_err(|e| anyhow::anyhow!("column {name} is not text: {e}"))?;
    Ok(ca.iter().collect())
}

/// The user's `--date-format`, or one detected from the first 500 date cells.
fn date_format(
    opts: &LoadOptions,
    dates: &[Option<&str>],
    col: &str,
    source: &str,
) -> Result<(String, String)> {
    if let Some(f) = &opts.date_format {
        return Ok((f.clone(), f.clone()));
    }
    let sample: Vec<&str> = dates
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .take(500)
        .collect();
    match format::detect_date_format(&sample) {
        Ok((f, label)) => Ok((f.to_string(), label.to_string())),
        Err(why) => {
            let first = sample.first().copied().unwrap_or("");
            bail_input!("{source}: column \"{col}\": cannot tell the date format ({why}; first value \"{first}\"); give it with --date-format, e.g. --date-format %d/%m/%Y")
        }
    }
}

fn reject_duplicates(rows: &[Row], source: &str) -> Result<()> {
    let dups: Vec<String> = rows
        .windows(2)
        .filter(|w| w[0].date == w[1].date)
        .map(|w| format!("{} (lines {} and {})", w[0].date, w[0].line, w[1].line))
        .collect();
    if !dups.is_empty() {
        let shown = dups.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let more = if dups.len() > 3 {
            format!(" and {} more", dups.len() - 3)
        } else {
            String::new()
        };
        bail_input!("{source}: duplicate dates {shown}{more}; keep one row per trading day");
    }
    Ok(())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
