//! Reading a daily price file into a [`PriceSeries`].
//!
//! polars does the CSV tokenising (quoting, separators); every column is read as text and
//! converted here, so that each bad value is reported with its line number and column, and so
//! that export formats (`$188.59`, `05/11/2018`, newest row first) load without options.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::{CsvParseOptions, CsvReadOptions, DataFrame, SerReader};
use serde::{Deserialize, Serialize};

use super::format::{self, column_style, is_missing, normalize_name, parse_in, Decimal, StyleProblem};
use super::plant::Plant;
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
    /// A price (as opposed to a volume).
    pub fn is_price(self) -> bool {
        self != RawColumn::Volume
    }

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

    /// The flag that names this column's header (`--volume-col`).
    pub fn flag(self) -> String {
        format!("--{}-col", self.label().replace('_', "-"))
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoadOptions {
    pub date_col: Option<String>,
    pub target_col: Option<String>,
    /// A chrono format such as `%d/%m/%Y`.
    pub date_format: Option<String>,
    /// Further columns to load (for input features); rows missing any of them are dropped.
    pub columns: Vec<RawColumn>,
    /// The decimal mark of every number column (`--decimal`); `None`: decided per column from
    /// all its cells.
    #[serde(default)]
    pub decimal: Option<Decimal>,
    /// Accept day-to-day price ratios beyond [`MAX_DAILY_RATIO`] (`--allow-jumps`).
    #[serde(default)]
    pub allow_jumps: bool,
    /// The ticker column of a long-format file (`--id-col`); `None`: detected by name.
    #[serde(default)]
    pub id_col: Option<String>,
    /// Keep only this ticker's rows of a long-format file (`--ticker`).
    #[serde(default)]
    pub ticker: Option<String>,
    /// Header names for raw columns, where the usual names do not find them (`--volume-col`).
    #[serde(default)]
    pub column_names: Vec<(RawColumn, String)>,
    /// A fault planted by the honesty checks' tests: [`Plant::NONE`] in every real run (no
    /// flag sets it, and it is never written to or read from a file).
    #[serde(skip)]
    pub plant: Plant,
}

impl LoadOptions {
    /// The header name the user gave for `col`, if any.
    fn named(&self, col: RawColumn) -> Option<&str> {
        self.column_names.iter().find(|(c, _)| *c == col).map(|(_, n)| n.as_str())
    }
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
        self.columns.iter().find(|(c, _)| *c == col).map(|(_, v)| v.as_slice())
    }

    /// The first `n` rows only (a walk-forward fold sees nothing after its test part).
    pub fn truncated(&self, n: usize) -> PriceSeries {
        PriceSeries {
            dates: self.dates[..n].to_vec(),
            values: self.values[..n].to_vec(),
            columns: self.columns.iter().map(|(c, v)| (*c, v[..n].to_vec())).collect(),
            lines: self.lines[..n].to_vec(),
            ..self.clone()
        }
    }

    /// One line that says what was loaded and how.
    pub fn summary(&self) -> String {
        let d = &self.dates;
        format!(
            "{}: {} {}rows, {} .. {}, date column \"{}\" ({}), target column \"{}\", {} separated, {} rows dropped for missing values",
            self.source,
            self.len(),
            // check_spacing judged (and let through) only files of 20 rows or more
            if self.len() >= SPACING_ROWS { "daily " } else { "" },
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

/// Normalised names of the column that says which series a row of a long-format file belongs
/// to (NeuralForecast's `unique_id`, Kaggle's `Name`).
const ID_NAMES: &[&str] = &["ticker", "symbol", "uniqueid", "id", "name", "code", "instrument"];

/// The tickers of a long-format file: its ticker column and the values in it, in order of
/// first appearance.
#[derive(Debug, Clone, PartialEq)]
pub struct Tickers {
    pub column: String,
    pub values: Vec<String>,
}

/// The tickers of the file at `path` when it holds several series in long format (see
/// [`long_format`]); `None` for a file of one series.
pub fn tickers(path: &Path, opts: &LoadOptions) -> Result<Option<Tickers>> {
    let source = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        // the loader names a missing or unreadable file
        Err(_) => return Ok(None),
    };
    let text = check_text(&bytes, &source)?;
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let sep = format::sniff_separator(header);
    let names = format::split_header(header, sep);
    // a file whose columns cannot be found is the loader's to report
    let Ok(cols) = pick_columns(&names, opts, &source) else { return Ok(None) };
    let Some(col) = id_column(&names, &cols, opts, &source)? else { return Ok(None) };
    let mut wanted = vec![col.index, cols[0].index];
    wanted.sort_unstable();
    let df = read_frame(text, sep, &wanted, &source)?;
    let at = |i: usize| wanted.binary_search(&i).expect("projected");
    let (ids, dates) = (text_column(&df, at(col.index))?, text_column(&df, at(cols[0].index))?);
    Ok(long_format(&ids, &dates, &col.name, opts, &source)?
        .map(|values| Tickers { column: col.name, values }))
}

/// Whether the file at `path` has a ticker column at all (by `opts.id_col` or by name).
pub fn has_ticker_column(path: &Path, opts: &LoadOptions) -> Result<bool> {
    let source = path.display().to_string();
    let Ok(bytes) = std::fs::read(path) else { return Ok(false) };
    let text = check_text(&bytes, &source)?;
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let names = format::split_header(header, format::sniff_separator(header));
    let normal: Vec<String> = names.iter().map(|n| normalize_name(n)).collect();
    Ok(match &opts.id_col {
        Some(c) => normal.contains(&normalize_name(c)),
        None => ID_NAMES.iter().any(|n| normal.iter().any(|h| h == n)),
    })
}

/// The ticker column: the one `--id-col` names, or one with a usual name; never a column the
/// file is read by (`cols`: date, price and feature columns), which `--id-col` may not name.
fn id_column(
    names: &[String],
    cols: &[ColumnPick],
    opts: &LoadOptions,
    source: &str,
) -> Result<Option<ColumnPick>> {
    let used = |c: &ColumnPick| cols.iter().any(|u| u.index == c.index);
    match &opts.id_col {
        Some(_) => {
            let c = pick(names, opts.id_col.as_deref(), &[], source, "ticker", "--id-col")?;
            if used(&c) {
                bail_input!(
                    "{source}: --id-col {}: that column is read as the date or a price; give the column that names the ticker",
                    c.name
                );
            }
            Ok(Some(c))
        }
        None => Ok(pick(names, None, ID_NAMES, source, "ticker", "--id-col").ok().filter(|c| !used(c))),
    }
}

/// The tickers of a long-format file, from its ticker column's cells `ids` and its date cells:
/// more than one (missing cells left out), and, unless the user named the column, dates that
/// repeat (a one-series file whose symbol changed, FB to META, is still one series). A named
/// column with a different value on every row (a price, a row number) is refused.
fn long_format(
    ids: &[Option<&str>],
    dates: &[Option<&str>],
    column: &str,
    opts: &LoadOptions,
    source: &str,
) -> Result<Option<Vec<String>>> {
    let values: Vec<String> = distinct(ids).into_iter().filter(|c| !is_missing(c)).collect();
    let named = opts.id_col.is_some();
    if named && ids.len() > 1 && values.len() == ids.len() {
        bail_input!(
            "{source}: --id-col {column}: every row holds a different value, so it names no series; give the column that names the ticker"
        );
    }
    let mut days = std::collections::HashSet::new();
    let dates_repeat = dates.iter().any(|d| !days.insert(d.unwrap_or("").trim()));
    Ok((values.len() > 1 && (named || dates_repeat)).then_some(values))
}

/// "AAPL, MSFT" or "AAPL, MSFT, ... (12 in all)".
fn ticker_list(values: &[String]) -> String {
    let shown = values.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    if values.len() > 8 {
        format!("{shown}, ... ({} in all)", values.len())
    } else {
        shown
    }
}

/// Reads `path` and parses it with [`parse_prices`]. Only this function touches the disk.
pub fn load_prices(path: &Path, opts: &LoadOptions) -> Result<PriceSeries> {
    let source = path.display().to_string();
    if path.is_dir() {
        bail_input!("{source}: is a directory, not a CSV file; give the path of a price file");
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail_input!(
                "{source}: no such file; check the path (shipped examples: data/AAPL.csv, data/MSFT.csv)"
            )
        }
        Err(e) => return Err(e).with_context(|| format!("{source}: cannot read")),
    };
    parse_prices(&bytes, &source, opts)
}

/// Parses CSV bytes into a sorted [`PriceSeries`]. `source` names the file in messages.
pub fn parse_prices(bytes: &[u8], source: &str, opts: &LoadOptions) -> Result<PriceSeries> {
    // one ticker of a long-format file: every message (and the summary) names it
    let labelled = opts.ticker.as_ref().map(|t| format!("{source} (ticker {t})"));
    let source = labelled.as_deref().unwrap_or(source);
    let text = check_text(bytes, source)?;
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if header.is_empty() {
        bail_input!(
            "{source}: the file is empty; expected a header line such as Date,Open,High,Low,Close,Volume"
        );
    }
    let sep = format::sniff_separator(header);
    let names = format::split_header(header, sep);
    let scan = scan_records(text, sep, source)?;
    if scan.lines.is_empty() {
        bail_input!("{source}: has a header but no data rows");
    }
    let cols = pick_columns(&names, opts, source)?;
    let id = id_column(&names, &cols, opts, source)?;
    if opts.ticker.is_some() && id.is_none() {
        bail_input!(
            "{source}: --ticker needs a ticker column (ticker, symbol, unique_id, id, name, ...) and there is none; columns found: {}; name one with --id-col",
            names.join(", ")
        );
    }

    // polars reads a blank line as a row; our line numbers skip them, so drop them for polars
    let cleaned: String;
    let text = if scan.blank_lines {
        cleaned = text.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n");
        cleaned.as_str()
    } else {
        text
    };
    // a time-of-day column beside the date (`Date,Time,Open,...`): read to name intraday bars
    let time_col = names.iter().position(|n| normalize_name(n) == "time").filter(|&i| i != cols[0].index);
    let mut wanted: Vec<usize> = cols.iter().chain(&id).map(|c| c.index).chain(time_col).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let df = read_frame(text, sep, &wanted, source)?;
    if df.height() != scan.lines.len() {
        // polars and our scan disagree on what a record is: trust neither's line numbers
        bail_input!("{source}: could not split the file into rows consistently; check its quoting");
    }
    let cell_columns: Vec<Vec<Option<&str>>> = cols
        .iter()
        .map(|c| text_column(&df, wanted.binary_search(&c.index).expect("projected")))
        .collect::<Result<_>>()?;
    let keep = match &id {
        Some(c) => ticker_rows(
            &text_column(&df, wanted.binary_search(&c.index).expect("projected"))?,
            &cell_columns[0],
            &c.name,
            opts,
            source,
        )?,
        None => None,
    };
    let (date_fmt, date_label) = date_format(opts, &cell_columns[0], &cols[0].name, source)?;
    let styles = (1..cols.len())
        .map(|k| number_style(&cols[k].name, &cell_columns[k], &scan.lines, opts.decimal, source))
        .collect::<Result<Vec<_>>>()?;
    let time_cells = match time_col {
        Some(i) => Some(text_column(&df, wanted.binary_search(&i).expect("projected"))?),
        None => None,
    };
    let rows = convert_rows(
        &cols,
        &cell_columns,
        &scan.lines,
        &styles,
        keep.as_deref(),
        DateReading { format: &date_fmt, label: &date_label, time_cells: time_cells.as_deref() },
        source,
    )?;
    if rows.dates.is_empty() {
        bail_input!(
            "{source}: no row has all the values needed ({} rows, all with a missing value in \"{}\" or a feature column)",
            rows.dropped,
            cols[1].name
        );
    }
    let layout = FileLayout { date_index: cols[0].index, separator: sep };
    rows.into_series(source, &cols, opts, date_label, layout)
}

/// Where the date sits in the file, for the one-line command that makes daily bars.
struct FileLayout {
    date_index: usize,
    separator: u8,
}

/// The separator of `text` (a price file's text, without a byte-order mark) and the positions
/// of the columns [`parse_prices`] reads for `opts`: the date, the target, then each of
/// `opts.columns`.
pub fn read_positions(text: &str, opts: &LoadOptions, source: &str) -> Result<(u8, Vec<usize>)> {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let sep = format::sniff_separator(header);
    let names = format::split_header(header, sep);
    Ok((sep, pick_columns(&names, opts, source)?.iter().map(|c| c.index).collect()))
}

/// The trimmed values of `cells`, each once, in order of first appearance.
fn distinct(cells: &[Option<&str>]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    cells.iter().map(|c| c.unwrap_or("").trim()).filter(|c| seen.insert(*c)).map(String::from).collect()
}

/// Which rows belong to `opts.ticker` (`None`: all of them, a file of one series); an error
/// when the file holds several tickers and none was picked, or not the one picked.
fn ticker_rows(
    ids: &[Option<&str>],
    dates: &[Option<&str>],
    column: &str,
    opts: &LoadOptions,
    source: &str,
) -> Result<Option<Vec<bool>>> {
    let tickers = long_format(ids, dates, column, opts, source)?;
    let Some(want) = opts.ticker.as_deref() else {
        if let Some(values) = tickers {
            bail_input!(
                "{source}: column \"{column}\" holds {} tickers ({}); pick one with --ticker (stock trains one model per ticker on its own)",
                values.len(),
                ticker_list(&values)
            );
        }
        return Ok(None);
    };
    let keep: Vec<bool> = ids.iter().map(|c| c.unwrap_or("").trim() == want.trim()).collect();
    if !keep.contains(&true) {
        let values = distinct(ids);
        bail_input!(
            "{source}: --ticker {want}: no such ticker in column \"{column}\"; it holds {}",
            ticker_list(&values)
        );
    }
    Ok(Some(keep))
}

fn other(style: Decimal) -> Decimal {
    match style {
        Decimal::Dot => Decimal::Comma,
        Decimal::Comma => Decimal::Dot,
    }
}

/// A column to read: its position in the file and its header name.
struct ColumnPick {
    index: usize,
    name: String,
}

/// Date column, target column, then one per [`LoadOptions::columns`], in that order.
fn pick_columns(names: &[String], opts: &LoadOptions, source: &str) -> Result<Vec<ColumnPick>> {
    let date = pick(names, opts.date_col.as_deref(), DATE_NAMES, source, "date", "--date-col")?;
    // Close first; a file with only an adjusted close still has a price to forecast
    let usual: Vec<&str> =
        RawColumn::Close.names().iter().chain(RawColumn::AdjClose.names()).copied().collect();
    let target = pick(names, opts.target_col.as_deref(), &usual, source, "price", "--target-col")?;
    let mut cols = vec![date, target];
    for &col in &opts.columns {
        let flag = col.flag();
        cols.push(match opts.named(col) {
            Some(name) => pick(names, Some(name), &[], source, col.label(), &flag)?,
            None => pick(names, None, col.names(), source, "", "").map_err(|_| {
                input_error(format!(
                    "{source}: --features needs a column for \"{}\" and none has a usual name; columns found: {}; name it with {flag}, or drop the features that use it",
                    col.label(),
                    names.join(", ")
                ))
            })?,
        });
    }
    Ok(cols)
}

/// Converted rows in file order, before sorting.
struct Rows {
    dates: Vec<NaiveDate>,
    lines: Vec<usize>,
    /// One vector per value column (target first, then the extra columns).
    values: Vec<Vec<f64>>,
    dropped: usize,
    /// Date cells (or a separate time column) carried different times of day ("2018-05-11
    /// 09:30", "09:31"): a hint, should dates repeat, that the file holds intraday bars.
    timed: bool,
    /// Each row's time of day, where the date cell or a time column gives one.
    times: Vec<Option<String>>,
    /// Some date cell held a time of day.
    in_date_cell: bool,
}

/// The number convention of the column `name` (see [`column_style`]), or an error naming the
/// lines that make it impossible to decide.
fn number_style(
    name: &str,
    cells: &[Option<&str>],
    lines: &[usize],
    given: Option<Decimal>,
    source: &str,
) -> Result<Decimal> {
    let cell = |i: usize| cells[i].unwrap_or("").trim();
    match column_style(cells.iter().map(|c| c.unwrap_or("")), given) {
        Ok(style) => Ok(style),
        Err(StyleProblem::Conflict { dot_only, comma_only }) => bail_input!(
            "{source}:{}: column \"{name}\": \"{}\" reads only with a decimal comma, but line {} (\"{}\") only with a decimal point; one column must use one convention: fix the lines that differ, or give --decimal comma or --decimal dot",
            lines[comma_only],
            cell(comma_only),
            lines[dot_only],
            cell(dot_only)
        ),
        Err(StyleProblem::Ambiguous { index }) => {
            let c = cell(index);
            let (a, b) = (parse_in(c, Decimal::Dot).unwrap_or(f64::NAN), parse_in(c, Decimal::Comma).unwrap_or(f64::NAN));
            bail_input!(
                "{source}:{}: column \"{name}\": \"{c}\" reads as {a} with a decimal point or {b} with a decimal comma, and every number in the column reads both ways; give --decimal dot or --decimal comma",
                lines[index]
            )
        }
    }
}

/// How the date cells are read: their format, its name for messages, and the cells of a time
/// column beside them, if any.
struct DateReading<'a> {
    format: &'a str,
    label: &'a str,
    time_cells: Option<&'a [Option<&'a str>]>,
}

fn convert_rows(
    cols: &[ColumnPick],
    cells: &[Vec<Option<&str>>],
    lines: &[usize],
    styles: &[Decimal],
    keep: Option<&[bool]>,
    dates: DateReading,
    source: &str,
) -> Result<Rows> {
    let DateReading { format: date_fmt, label: date_label, time_cells } = dates;
    let n_values = cols.len() - 1;
    let mut rows = Rows {
        dates: Vec::with_capacity(lines.len()),
        lines: Vec::with_capacity(lines.len()),
        values: vec![Vec::with_capacity(lines.len()); n_values],
        dropped: 0,
        timed: false,
        times: Vec::with_capacity(lines.len()),
        in_date_cell: false,
    };
    let mut first_time: Option<String> = None;
    let mut row_values = vec![0.0; n_values];
    'rows: for (i, &line) in lines.iter().enumerate() {
        if keep.is_some_and(|k| !k[i]) {
            continue;
        }
        for (k, v) in row_values.iter_mut().enumerate() {
            let cell = cells[k + 1][i].unwrap_or("");
            *v = match parse_in(cell, styles[k]) {
                Some(x) => x,
                None if is_missing(cell) => {
                    rows.dropped += 1;
                    continue 'rows;
                }
                None if parse_in(cell, other(styles[k])).is_some() => bail_input!(
                    "{source}:{line}: column \"{}\": \"{}\" is written with {}, the rest of the column with {}; fix the line, or give --decimal",
                    cols[k + 1].name,
                    cell.trim(),
                    other(styles[k]).name(),
                    styles[k].name()
                ),
                None => bail_input!(
                    "{source}:{line}: column \"{}\": \"{}\" is not a number; fix or delete the line",
                    cols[k + 1].name,
                    cell.trim()
                ),
            };
        }
        let d = cells[0][i].unwrap_or("").trim();
        let Some(date) = format::parse_date_with(d, date_fmt) else {
            bail_input!(
                "{source}:{line}: column \"{}\": \"{d}\" is not a date in the format {date_label}; fix the line or give --date-format",
                cols[0].name
            )
        };
        let in_date = d.split_once([' ', 'T']).map(|(_, t)| t.trim()).filter(|t| t.contains(':'));
        let time =
            in_date.or_else(|| time_cells.and_then(|c| c[i]).map(str::trim).filter(|t| t.contains(':')));
        if let Some(t) = time {
            // one closing time on every row is a daily export; times that differ are bars
            rows.timed |= first_time.get_or_insert_with(|| t.to_string()) != t;
        }
        rows.in_date_cell |= in_date.is_some();
        rows.times.push(time.map(String::from));
        rows.dates.push(date);
        rows.lines.push(line);
        for (col, &v) in rows.values.iter_mut().zip(&row_values) {
            col.push(v);
        }
    }
    Ok(rows)
}

impl Rows {
    /// Sorts by date (stably: equal dates keep file order, and are then refused by name).
    fn into_series(
        self,
        source: &str,
        cols: &[ColumnPick],
        opts: &LoadOptions,
        date_format: String,
        layout: FileLayout,
    ) -> Result<PriceSeries> {
        let mut order: Vec<usize> = (0..self.dates.len()).collect();
        if !self.dates.windows(2).all(|w| w[0] <= w[1]) {
            order.sort_by_key(|&i| self.dates[i]);
        }
        let dates: Vec<NaiveDate> = order.iter().map(|&i| self.dates[i]).collect();
        let lines: Vec<usize> = order.iter().map(|&i| self.lines[i]).collect();
        let times: Vec<Option<String>> = order.iter().map(|&i| self.times[i].clone()).collect();
        let intraday =
            self.timed.then(|| Intraday { times: &times, layout: &layout, in_date_cell: self.in_date_cell });
        reject_duplicates(&dates, &lines, intraday, source)?;
        check_spacing(&dates, source)?;
        let mut values = self.values.into_iter().map(|v| order.iter().map(|&i| v[i]).collect::<Vec<f64>>());
        let mut target = values.next().expect("target column");
        if opts.plant.centred_load() {
            target = centred_average(&target);
        }
        if !opts.allow_jumps {
            reject_jumps(&target, &lines, &cols[1].name, source)?;
        }
        Ok(PriceSeries {
            source: source.to_string(),
            dates,
            values: target,
            columns: opts.columns.iter().copied().zip(values).collect(),
            lines,
            date_col: cols[0].name.clone(),
            target_col: cols[1].name.clone(),
            date_format,
            separator: format::separator_name(layout.separator),
            dropped: self.dropped,
        })
    }
}

/// The average of the day before, the day and the day after (the ends keep their own side):
/// the smoothing a loader must never do before a forecast, planted by [`Plant::CENTRED_LOAD`].
fn centred_average(v: &[f64]) -> Vec<f64> {
    let last = v.len() - 1;
    (0..v.len()).map(|t| (v[t.saturating_sub(1)] + v[t] + v[(t + 1).min(last)]) / 3.0).collect()
}

fn check_text<'a>(bytes: &'a [u8], source: &str) -> Result<&'a str> {
    let line_of = |end: usize| bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1;
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        bail_input!("{source}:{}: binary content (a NUL byte); expected a text CSV file", line_of(at));
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Err(e) => {
            bail_input!("{source}:{}: not UTF-8 text; save the file as UTF-8 CSV", line_of(e.valid_up_to()))
        }
    }
}

/// Line numbers of the data records (quote-aware, blank lines skipped), checking that every
/// record has as many fields as the header. The closure returns whether the record was blank.
fn scan_records(text: &str, sep: u8, source: &str) -> Result<Scan> {
    let mut lines = Vec::new();
    let mut blank_lines = false;
    let (mut line, mut start_line, mut fields, mut quoted, mut empty) = (1usize, 1usize, 1usize, false, true);
    let mut header_fields = None;
    let mut finish = |start_line: usize, fields: usize, empty: bool| -> Result<bool> {
        if empty {
            return Ok(true);
        }
        match header_fields {
            None => header_fields = Some(fields),
            Some(h) if h != fields => bail_input!(
                "{source}:{start_line}: {fields} fields, but the header has {h}; fix or delete the line (is a number written with the separator inside it, unquoted?)"
            ),
            Some(_) => lines.push(start_line),
        }
        Ok(false)
    };
    for b in text.bytes() {
        match b {
            b'"' => {
                quoted = !quoted;
                empty = false;
            }
            b'\n' if !quoted => {
                blank_lines |= finish(start_line, fields, empty)?;
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
    Ok(Scan { lines, blank_lines })
}

/// What [`scan_records`] found.
struct Scan {
    /// The line number of each data record.
    lines: Vec<usize>,
    /// Whether blank lines stand between records (polars would read them as rows).
    blank_lines: bool,
}

fn read_frame(text: &str, sep: u8, columns: &[usize], source: &str) -> Result<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0)) // every column as text: we convert with line numbers
        .with_projection(Some(Arc::new(columns.to_vec())))
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
) -> Result<ColumnPick> {
    let find = |w: &str| {
        let w = normalize_name(w);
        names
            .iter()
            .position(|n| normalize_name(n) == w)
            .map(|index| ColumnPick { index, name: names[index].clone() })
    };
    let found = match wanted {
        Some(w) => find(w).ok_or_else(|| format!("{flag} \"{w}\": no such column")),
        None => usual.iter().find_map(|u| find(u)).ok_or_else(|| format!("no {what} column")),
    };
    found.map_err(|why| {
        let hint = if wanted.is_none() { format!("; name one with {flag}") } else { String::new() };
        input_error(format!("{source}: {why}; columns found: {}{hint}", names.join(", ")))
    })
}

/// The cells of the frame's column at `position`.
fn text_column(df: &DataFrame, position: usize) -> Result<Vec<Option<&str>>> {
    let col = &df.columns()[position];
    let ca = col.str().map_err(|e| anyhow::anyhow!("column {} is not text: {e}", col.name()))?;
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
    let sample: Vec<&str> =
        dates.iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).take(500).collect();
    match format::detect_date_format(&sample) {
        Ok((f, label)) => Ok((f.to_string(), label.to_string())),
        Err(why) => {
            let first = sample.first().copied().unwrap_or("");
            bail_input!("{source}: column \"{col}\": cannot tell the date format ({why}; first value \"{first}\"); give it with --date-format, e.g. --date-format %d/%m/%Y")
        }
    }
}

/// A day-to-day ratio of the price beyond this, either way, is taken for a unit mix-up (cents
/// in a dollar column) or an unadjusted split, not a market move.
pub const MAX_DAILY_RATIO: f64 = 50.0;

/// Refuses a price series (sorted by date) with a day-to-day jump beyond [`MAX_DAILY_RATIO`],
/// naming both lines.
fn reject_jumps(values: &[f64], lines: &[usize], column: &str, source: &str) -> Result<()> {
    for i in 1..values.len() {
        let (prev, v) = (values[i - 1], values[i]);
        if prev > 0.0 && v > 0.0 && (v / prev > MAX_DAILY_RATIO || prev / v > MAX_DAILY_RATIO) {
            let ratio = if v > prev { v / prev } else { prev / v };
            bail_input!(
                "{source}:{}: column \"{column}\": {v} after {prev} the day before (line {}) is a {ratio:.0}x jump: a unit mix-up or an unadjusted split? Fix the file, or give --allow-jumps if it is real",
                lines[i],
                lines[i - 1]
            );
        }
    }
    Ok(())
}

/// Bars within a day: each row's time of day and where the date is.
struct Intraday<'a> {
    times: &'a [Option<String>],
    layout: &'a FileLayout,
    /// The times are in the date cells (not in a column of their own).
    in_date_cell: bool,
}

impl Intraday<'_> {
    /// The most common gap between consecutive bars of one day, in seconds.
    fn bar_seconds(&self, dates: &[NaiveDate]) -> Option<i64> {
        let secs = |t: &Option<String>| {
            let t = t.as_deref()?;
            let mut parts =
                t.split(':').map(|p| p.trim().split(['.', ' ', '+', 'Z']).next()?.parse::<i64>().ok());
            let (h, m) = (parts.next()??, parts.next()??);
            Some(h * 3600 + m * 60 + parts.next().flatten().unwrap_or(0))
        };
        let mut gaps: Vec<i64> = (1..dates.len())
            .filter(|&i| dates[i] == dates[i - 1])
            .filter_map(|i| Some(secs(&self.times[i])? - secs(&self.times[i - 1])?))
            .filter(|&g| g > 0)
            .collect();
        gaps.sort_unstable();
        gaps.get(gaps.len() / 2).copied()
    }

    /// The command that keeps each day's last row (the file's header first).
    fn daily_command(&self) -> String {
        let k = self.layout.date_index + 1;
        let sep = self.layout.separator as char;
        // a date cell that also holds the time: the day is its first ten characters
        let day = if self.in_date_cell { format!("substr(${k},1,10)") } else { format!("${k}") };
        format!(
            "awk -F'{sep}' 'NR>1 && {day}!=d {{print l}} {{d={day}; l=$0}} END {{print l}}' FILE > daily.csv"
        )
    }
}

/// `5-minute`, `1-hour`, `30-second`.
fn bar_words(seconds: i64) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("{}-hour", s / 3600),
        s if s % 60 == 0 => format!("{}-minute", s / 60),
        s => format!("{s}-second"),
    }
}

fn reject_duplicates(
    dates: &[NaiveDate],
    lines: &[usize],
    intraday: Option<Intraday>,
    source: &str,
) -> Result<()> {
    // counted, and only three named: an intraday file repeats nearly every date
    let mut dups = (1..dates.len()).filter(|&i| dates[i - 1] == dates[i]);
    let shown: Vec<String> = dups
        .by_ref()
        .take(3)
        .map(|i| format!("{} (lines {} and {})", dates[i], lines[i - 1], lines[i]))
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    let rest = dups.count();
    let more = if rest > 0 { format!(" and {rest} more") } else { String::new() };
    let shown = shown.join(", ");
    if let Some(bars) = intraday {
        let days = 1 + (1..dates.len()).filter(|&i| dates[i] != dates[i - 1]).count();
        let bar =
            bars.bar_seconds(dates).map_or("intraday".to_string(), |s| format!("{} intraday", bar_words(s)));
        bail_input!(
            "{source}: duplicate dates {shown}{more}: {} rows on {days} day{} with times of day, {bar} bars; lstm-stock forecasts one price per day: keep each day's last row, e.g. {}",
            dates.len(),
            if days == 1 { "" } else { "s" },
            bars.daily_command()
        );
    }
    bail_input!("{source}: duplicate dates {shown}{more}; keep one row per trading day");
}

/// Rows a file needs before [`check_spacing`] judges its spacing.
const SPACING_ROWS: usize = 20;

/// Refuses a series whose dates are not a day apart: weekly, monthly or irregular files are
/// named, with the median gap between dates, since every figure here (annualisation, the
/// days `predict` steps by, volatility per day) assumes daily prices. Weekends and holidays
/// leave the median gap of daily data at one day. Files of under 20 rows are not judged.
fn check_spacing(dates: &[NaiveDate], source: &str) -> Result<()> {
    // a handful of rows says little about spacing (and trains nothing anyway)
    if dates.len() < SPACING_ROWS {
        return Ok(());
    }
    let mut gaps: Vec<i64> = dates.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    if median <= 1 {
        return Ok(());
    }
    let kind = match median {
        5..=8 => "weekly prices",
        26..=35 => "monthly prices",
        85..=95 => "quarterly prices",
        _ => "irregularly spaced dates",
    };
    let (lo, hi) = (gaps[gaps.len() / 10], gaps[gaps.len() * 9 / 10]);
    bail_input!(
        "{source}: the dates are {median} days apart (median; 10% to 90% of gaps {lo} to {hi} days): {kind}, not daily; lstm-stock forecasts daily prices (every annualisation, volatility and forecast date assumes one row per trading day): give a daily file"
    );
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
