//! Unit tests of the loader on in-memory text (the integration tests run the binary on files).

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
    assert_eq!(s.lines, vec![3, 2, 5]);
    assert_eq!((s.date_col.as_str(), s.target_col.as_str(), s.dropped), ("Date", "Close", 1));
    assert_eq!(s.separator, "comma");
}

#[test]
fn nasdaq_export_loads_newest_first_with_dollars() {
    let s = parse(
        "Date,Close/Last,Volume,Open,High,Low\n\
         05/11/2018, $188.59, 26212220, $189.49, $190.06, $187.45\n\
         05/10/2018, $190.04, 27989290, $187.74, $190.37, $187.65\n\
         04/30/2018, $165.26, 42427420, $162.13, $167.26, $161.84\n",
    )
    .unwrap();
    assert_eq!(s.values, vec![165.26, 190.04, 188.59]);
    assert_eq!(s.target_col, "Close/Last");
    assert_eq!(s.date_format, "MM/DD/YYYY");
}

#[test]
fn semicolons_snake_case_times_and_thousands() {
    let opts = LoadOptions { columns: vec![RawColumn::AdjClose, RawColumn::Volume], ..Default::default() };
    let text = "date;open;close;adj_close;volume\n\
                2013-05-14 00:00:00;1;1.234,50;1.200,00;1.000.000\n\
                2013-05-13 00:00:00;1;1.230,00;1.190,00;2.000.000\n";
    let s = parse_prices(text.as_bytes(), "t.csv", &opts).unwrap();
    assert_eq!(s.values, vec![1230.0, 1234.5]);
    assert_eq!(s.column(RawColumn::AdjClose).unwrap(), &[1190.0, 1200.0]);
    assert_eq!(s.column(RawColumn::Volume).unwrap(), &[2_000_000.0, 1_000_000.0]);
    assert_eq!(s.separator, "semicolon");
}

#[test]
fn tabs_and_quoted_thousands() {
    let s = parse("Date\tClose\n2020-01-02\t\"1,234.5\"\n\n2020-01-03\t1,240.25\n").unwrap();
    assert_eq!(s.values, vec![1234.5, 1240.25]);
    assert_eq!(s.lines, vec![2, 4], "blank lines are skipped but still counted");
}

#[test]
fn bad_inputs_name_the_line_and_column() {
    assert!(err("").contains("empty"));
    assert!(err("Date,Close\n").contains("no data rows"));
    assert!(err("Day2,Close\n2020-01-02,1\n").contains("no date column; columns found: Day2, Close"));
    assert!(err("Date,Open\n2020-01-02,1\n").contains("no price column"));
    assert!(err("Date,Close\n2020-01-02,1\n2020-01-03,abc\n")
        .contains("t.csv:3: column \"Close\": \"abc\" is not a number"));
    assert!(err("Date,Close\n2020-01-02,1\n2020-13-45,2\n")
        .contains("t.csv:3: column \"Date\": \"2020-13-45\" is not a date"));
    assert!(
        err("Date,Close\n2020-01-02,1\n2020-01-03,2,3\n").contains("t.csv:3: 3 fields, but the header has 2")
    );
    assert!(err("Date,Close\n2020-01-02,1\n2020-01-02,2\n")
        .contains("duplicate dates 2020-01-02 (lines 2 and 3); keep one row per trading day"));
    // minute bars: named as intraday, the count of the rest given rather than every date listed
    let bars: String = (0..50).map(|m| format!("2020-01-02 09:{m:02},{}\n", 10 + m)).collect();
    let e = err(&format!("Date,Close\n{bars}"));
    assert!(e.contains("2020-01-02 (lines 4 and 5) and 46 more: 50 rows on 1 day with times of day"), "{e}");
    assert!(e.contains("1-minute intraday bars") && e.contains("substr($1,1,10)"), "{e}");
    // the time in a column of its own: named alike, with the bar length and the command
    let bars: String = (0..12)
        .map(|k| format!("2020-01-0{},{}:{:02},{}\n", 2 + k / 6, 9 + (k % 6) / 2, 30 * (k % 2), 10 + k))
        .collect();
    let e = err(&format!("Date,Time,Close\n{bars}"));
    assert!(e.contains("12 rows on 2 days with times of day, 30-minute intraday bars"), "{e}");
    assert!(
        e.contains("awk -F',' 'NR>1 && $1!=d {print l} {d=$1; l=$0} END {print l}' FILE > daily.csv"),
        "{e}"
    );
    // weekly, monthly and irregular dates are named, not taken for daily
    let spaced = |step: i64| -> String {
        let d0 = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
        (0..30).map(|k| format!("{},{}\n", d0 + chrono::Duration::days(step * k), 10 + k)).collect()
    };
    assert!(err(&format!("Date,Close\n{}", spaced(7)))
        .contains("7 days apart (median; 10% to 90% of gaps 7 to 7 days): weekly prices, not daily"));
    assert!(err(&format!("Date,Close\n{}", spaced(30))).contains("monthly prices"));
    assert!(err(&format!("Date,Close\n{}", spaced(3))).contains("irregularly spaced dates"));
    // a daily export stamped with one closing time is still daily, however its dates are written
    assert!(
        err("Date,Close\n2018-05-11 16:00,1\n2018-05-11 16:00,2\n").contains("keep one row per trading day")
    );
    let sheets = "Date,Close\n1/5/2019 16:00:00,1\n12/31/2019 16:00:00,2\n12/31/2019 16:00:00,3\n";
    let e = err(sheets);
    assert!(e.contains("keep one row per trading day") && !e.contains("intraday"), "{e}");
    assert!(err("Date,Close\n2020-01-02,null\n").contains("no row has all the values"));
    assert!(err("Date,Close\n05/11/2018,1\n05/10/2018,2\n").contains("--date-format"));
}

#[test]
fn binary_and_non_utf8_content_is_refused() {
    let e = parse_prices(b"Date,Close\n2020-01-02,\xff\n", "b.csv", &LoadOptions::default()).unwrap_err();
    assert!(format!("{e:#}").contains("b.csv:2: not UTF-8"));
    let e = parse_prices(b"Date,Close\n\0\0", "b.csv", &LoadOptions::default()).unwrap_err();
    assert!(format!("{e:#}").contains("b.csv:2: binary"));
}

#[test]
fn user_overrides_win() {
    let opts = LoadOptions {
        date_col: Some("when".into()),
        target_col: Some("Adj Close".into()),
        date_format: Some("%d/%m/%Y".into()),
        columns: vec![],
        decimal: None,
        allow_jumps: false,
        id_col: None,
        ticker: None,
        column_names: vec![],
        plant: Default::default(),
    };
    let s = parse_prices(b"when,Close,Adj Close\n01/02/2020,5,4\n02/02/2020,6,5\n", "t.csv", &opts).unwrap();
    assert_eq!(s.values, vec![4.0, 5.0]);
    assert_eq!(s.dates[1], NaiveDate::from_ymd_opt(2020, 2, 2).unwrap());
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn load_with(name: &str, decimal: Option<Decimal>) -> Result<PriceSeries> {
    load_prices(&fixture(name), &LoadOptions { decimal, ..Default::default() })
}

#[test]
fn a_column_is_read_under_one_number_convention() {
    // "12,125" alone could be twelve thousand; beside "12,54" in its column it is 12.125
    let s = load_with("comma_small.csv", None).unwrap();
    assert!(
        s.values.iter().all(|&v| (10.0..16.0).contains(&v)),
        "{:?}",
        s.values.iter().copied().fold(0.0, f64::max)
    );
    // the same file read as the user says: a decimal point refuses its first comma cell, by line
    let e = format!("{:#}", load_with("semicolon.csv", Some(Decimal::Dot)).unwrap_err());
    assert!(e.contains("semicolon.csv:2:") && e.contains("is written with a decimal comma"), "{e}");
}

#[test]
fn a_column_under_two_conventions_or_either_is_refused_by_line() {
    let e = format!("{:#}", load_with("err_mixed_decimal.csv", None).unwrap_err());
    assert!(
        e.contains("err_mixed_decimal.csv:32:") && e.contains("\"1111,58\" reads only with a decimal comma"),
        "{e}"
    );
    assert!(e.contains("line 2 (\"1003.1\") only with a decimal point") && e.contains("--decimal"), "{e}");
    let e = format!("{:#}", load_with("err_ambiguous_decimal.csv", None).unwrap_err());
    assert!(
        e.contains("err_ambiguous_decimal.csv:2:")
            && e.contains("reads as 1.003 with a decimal point or 1003"),
        "{e}"
    );
    // the user decides, and each reading is kept whole
    let dot = load_with("err_ambiguous_decimal.csv", Some(Decimal::Dot)).unwrap();
    let comma = load_with("err_ambiguous_decimal.csv", Some(Decimal::Comma)).unwrap();
    assert_eq!(dot.values.len(), comma.values.len());
    assert!(dot.values.iter().zip(&comma.values).all(|(d, c)| (c / d - 1000.0).abs() < 1e-6));
}

#[test]
fn a_price_that_jumps_fiftyfold_in_a_day_is_refused_unless_allowed() {
    let e = format!("{:#}", load_with("err_jump.csv", None).unwrap_err());
    assert!(e.contains("err_jump.csv:82:") && e.contains("(line 81)") && e.contains("101x jump"), "{e}");
    assert!(e.contains("--allow-jumps"), "{e}");
    let opts = LoadOptions { allow_jumps: true, ..Default::default() };
    assert_eq!(load_prices(&fixture("err_jump.csv"), &opts).unwrap().len(), 300);
    // the way back down is a jump too, and an honest series has none
    let mut v = vec![10.0, 10.5, 0.2];
    assert!(reject_jumps(&v, &[2, 3, 4], "Close", "t.csv").is_err());
    v[2] = 10.1;
    assert!(reject_jumps(&v, &[2, 3, 4], "Close", "t.csv").is_ok());
}

#[test]
fn long_format_files_are_read_one_ticker_at_a_time() {
    let path = fixture("long.csv");
    let bytes = std::fs::read(&path).unwrap();
    let pick = |t: Option<&str>| LoadOptions { ticker: t.map(String::from), ..Default::default() };
    // the ticker column is found by name; the tickers come in order of appearance
    let t = super::tickers(&path, &LoadOptions::default()).unwrap().unwrap();
    assert_eq!((t.column.as_str(), t.values.clone()), ("Ticker", vec!["AAA".to_string(), "BBB".into()]));
    let a = parse_prices(&bytes, "long.csv", &pick(Some("AAA"))).unwrap();
    let b = parse_prices(&bytes, "long.csv", &pick(Some("BBB"))).unwrap();
    assert_eq!((a.len(), b.len()), (300, 300));
    assert_eq!(a.values[0], 1003.1);
    assert_eq!(b.values[0], 506.55);
    // each row keeps its own line: AAA on even lines, BBB on odd ones
    assert_eq!((a.lines[0], b.lines[0], a.lines[1]), (2, 3, 4));
    // no ticker picked: named, with the tickers, instead of "duplicate dates"
    let e = format!("{:#}", parse_prices(&bytes, "long.csv", &pick(None)).unwrap_err());
    assert!(e.contains("column \"Ticker\" holds 2 tickers (AAA, BBB); pick one with --ticker"), "{e}");
    let e = format!("{:#}", parse_prices(&bytes, "long.csv", &pick(Some("ZZZ"))).unwrap_err());
    assert!(e.contains("--ticker ZZZ: no such ticker in column \"Ticker\"; it holds AAA, BBB"), "{e}");
    // --ticker on a file with no ticker column
    let e = err_with("Date,Close\n2020-01-02,1\n2020-01-03,2\n", &pick(Some("AAA")));
    assert!(e.contains("--ticker needs a ticker column"), "{e}");
    // a column of all-different values is not a ticker column (a row id); one value is one series
    let ids = "Date,Id,Close\n2020-01-02,1,5\n2020-01-03,2,6\n2020-01-06,3,7\n";
    assert_eq!(parse_prices(ids.as_bytes(), "t.csv", &LoadOptions::default()).unwrap().len(), 3);
    let one = "Date,Name,Close\n2020-01-02,AAPL,5\n2020-01-03,AAPL,6\n";
    assert_eq!(parse_prices(one.as_bytes(), "t.csv", &LoadOptions::default()).unwrap().len(), 2);
    // a symbol that changed (FB to META) on a file whose dates never repeat is one series
    let renamed = "Date,Symbol,Close\n2022-06-08,FB,5\n2022-06-09,META,6\n2022-06-10,META,7\n";
    assert_eq!(parse_prices(renamed.as_bytes(), "t.csv", &LoadOptions::default()).unwrap().len(), 3);
    // --id-col may not name a column the file is read by
    let on_date = LoadOptions { id_col: Some("Date".into()), ..Default::default() };
    let e = format!("{:#}", parse_prices(&bytes, "long.csv", &on_date).unwrap_err());
    assert!(e.contains("--id-col Date: that column is read as the date or a price"), "{e}");
    assert!(format!("{:#}", super::tickers(&path, &on_date).unwrap_err()).contains("--id-col Date"));
    // a blank ticker cell is no ticker
    let blank = "Date,Ticker,Close\n2020-01-02,A,5\n2020-01-02,,6\n2020-01-03,A,7\n2020-01-03,B,8\n";
    let e = err(blank);
    assert!(e.contains("holds 2 tickers (A, B)"), "{e}");
    // the picked ticker is named in every message
    let b = parse_prices(blank.as_bytes(), "t.csv", &pick(Some("B"))).unwrap();
    assert_eq!((b.source.as_str(), b.len()), ("t.csv (ticker B)", 1));
    assert!(b.summary().starts_with("t.csv (ticker B): 1 rows"));
    // real duplicate dates in a file without a ticker column are still refused as such
    assert!(err("Date,Close\n2020-01-02,1\n2020-01-02,2\n").contains("duplicate dates"));
}

fn err_with(text: &str, opts: &LoadOptions) -> String {
    format!("{:#}", parse_prices(text.as_bytes(), "t.csv", opts).unwrap_err())
}

#[test]
fn vendor_exports_load_with_their_volumes() {
    use RawColumn::*;
    let opts = LoadOptions { columns: vec![Open, High, Low, Volume], ..Default::default() };
    for (name, last_volume) in
        [("investing.csv", 1_300_000.0), ("gsheets.csv", 1_299_000.0), ("marketwatch.csv", 1_299_000.0)]
    {
        let s = load_prices(&fixture(name), &opts).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(s.len(), 300, "{name}");
        assert_eq!(s.dates[0], NaiveDate::from_ymd_opt(2019, 1, 1).unwrap(), "{name}");
        assert_eq!((s.values[0], s.values[299]), (1003.1, 1236.48), "{name}");
        assert_eq!(s.column(High).unwrap()[0], 1013.1, "{name}");
        assert_eq!(s.column(Volume).unwrap()[299], last_volume, "{name}");
    }
    // a volume column under an unusual name: found with --volume-col, and the error says so
    let text = "Date,Close,Umsatz\n2020-01-02,5,100\n2020-01-03,6,200\n";
    let opts = LoadOptions { columns: vec![Volume], ..Default::default() };
    let e = err_with(text, &opts);
    assert!(
        e.contains("--features needs a column for \"volume\"") && e.contains("name it with --volume-col"),
        "{e}"
    );
    let named = LoadOptions { column_names: vec![(Volume, "umsatz".into())], ..opts };
    let s = parse_prices(text.as_bytes(), "t.csv", &named).unwrap();
    assert_eq!(s.column(Volume).unwrap(), &[100.0, 200.0]);
    let wrong = LoadOptions { column_names: vec![(Volume, "Vol".into())], ..named };
    assert!(err_with(text, &wrong).contains("--volume-col \"Vol\": no such column"));
}
