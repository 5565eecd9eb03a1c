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
        .contains("duplicate dates 2020-01-02 (lines 2 and 3)"));
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
