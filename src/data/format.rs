//! Recognising the many ways price files are written: separators, date formats, number
//! formats (`$188.59`, `1,234.50`, `1.234,50`) and the names of columns.

use chrono::NaiveDate;

/// Separators we recognise, in order of preference on a tie.
const SEPARATORS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The separator that occurs most often (outside quotes) in the header line; `,` if none does.
pub fn sniff_separator(header: &str) -> u8 {
    let mut counts = [0usize; SEPARATORS.len()];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = SEPARATORS.iter().position(|&s| s == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..SEPARATORS.len()).max_by_key(|&i| (counts[i], usize::MAX - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        SEPARATORS[best]
    }
}

/// Header names split at `sep` (outside quotes), trimmed and unquoted.
pub fn split_header(header: &str, sep: u8) -> Vec<String> {
    let mut names = vec![String::new()];
    let mut quoted = false;
    for c in header.trim_end_matches('\r').chars() {
        match c {
            '"' => quoted = !quoted,
            c if c as u32 == sep as u32 && !quoted => names.push(String::new()),
            c => names.last_mut().expect("non-empty").push(c),
        }
    }
    names.iter().map(|n| n.trim().to_string()).collect()
}

/// A readable name for a separator, for the summary line.
pub fn separator_name(sep: u8) -> &'static str {
    match sep {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        b'|' => "pipe",
        _ => "other",
    }
}

/// Lower case with spaces, `_` and `-` removed: `Adj Close`, `adj_close` and `ADJ-CLOSE` match.
pub fn normalize_name(name: &str) -> String {
    name.trim()
        .trim_matches('"')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Cell texts that mean "no value on this day" (compared after trimming, case-insensitively).
pub fn is_missing(s: &str) -> bool {
    let s = s.trim();
    s.is_empty()
        || ["null", "nan", "na", "n/a", "-", "none", "#n/a"].iter().any(|m| s.eq_ignore_ascii_case(m))
}

/// Parses a number as exports write it: currency signs, thousands separators, decimal comma.
///
/// `1,234.50` and `1.234,50` both mean 1234.5; a lone comma is a thousands separator when it is
/// followed by groups of exactly three digits (`1,234`), otherwise a decimal comma (`188,59`).
pub fn parse_number(s: &str) -> Option<f64> {
    let mut t: String =
        s.trim().chars().filter(|c| !matches!(c, '$' | '€' | '£' | ' ' | '\'' | '_')).collect();
    let (comma, dot) = (t.rfind(','), t.rfind('.'));
    match (comma, dot) {
        (Some(c), Some(d)) if c > d => t = t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t = t.replace(',', ""),
        (Some(_), None) if is_thousands_grouped(&t) => t = t.replace(',', ""),
        (Some(_), None) => t = t.replace(',', "."),
        (None, Some(_)) if t.matches('.').count() > 1 => t = t.replace('.', ""),
        _ => {}
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn is_thousands_grouped(t: &str) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut groups = digits.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Date formats tried when the user gives no `--date-format`, with a readable label.
const DATE_FORMATS: &[(&str, &str)] = &[
    ("%Y-%m-%d", "YYYY-MM-DD"),
    ("%Y/%m/%d", "YYYY/MM/DD"),
    ("%m/%d/%Y", "MM/DD/YYYY"),
    ("%d/%m/%Y", "DD/MM/YYYY"),
    ("%d.%m.%Y", "DD.MM.YYYY"),
    ("%Y%m%d", "YYYYMMDD"),
    ("%d-%m-%Y", "DD-MM-YYYY"),
    ("%m-%d-%Y", "MM-DD-YYYY"),
    ("%d-%b-%Y", "DD-Mon-YYYY"),
    ("%b %d %Y", "Mon DD YYYY"),
];

/// The date part of a cell: drops a time part (`2013-05-13 00:00:00`, `2013-05-13T00:00:00Z`).
fn date_token(s: &str) -> &str {
    let s = s.trim().trim_matches('"');
    // "Mon DD YYYY" contains spaces itself; it never has a time part in exports we know
    if s.len() > 10 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        return s.split([' ', 'T']).next().unwrap_or(s);
    }
    s.split('T').next().unwrap_or(s).trim()
}

/// `YYYY-MM-DD` without chrono's general format machinery: the common case, kept fast.
fn parse_iso(tok: &str) -> Option<NaiveDate> {
    let b = tok.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + (d - b'0') as u32))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Parses one date cell with a chrono format string.
pub fn parse_date_with(s: &str, fmt: &str) -> Option<NaiveDate> {
    let tok = date_token(s);
    if fmt == "%Y-%m-%d" {
        return parse_iso(tok);
    }
    NaiveDate::parse_from_str(tok, fmt).ok().or_else(|| {
        // a time part in a non-ISO layout: "05/11/2018 16:00"
        tok.split(' ').next().and_then(|d| NaiveDate::parse_from_str(d, fmt).ok())
    })
}

/// The known format that parses the most samples (the first of those on a tie), as
/// `(chrono format, label)`; a few bad cells are then reported by line. `Err` says why no
/// format could be chosen, for the error message.
pub fn detect_date_format(samples: &[&str]) -> Result<(&'static str, &'static str), String> {
    let counts: Vec<usize> = DATE_FORMATS
        .iter()
        .map(|(f, _)| samples.iter().filter(|s| parse_date_with(s, f).is_some()).count())
        .collect();
    let best = counts.iter().copied().max().unwrap_or(0);
    if best == 0 {
        return Err("no known date format fits".into());
    }
    let fits: Vec<_> =
        DATE_FORMATS.iter().zip(&counts).filter(|(_, &c)| c == best).map(|(f, _)| *f).collect();
    let us = fits.iter().any(|f| f.1 == "MM/DD/YYYY");
    let eu = fits.iter().any(|f| f.1 == "DD/MM/YYYY");
    if us && eu {
        return Err("the dates fit both MM/DD/YYYY and DD/MM/YYYY".into());
    }
    Ok(fits[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_sniffed_from_the_header() {
        assert_eq!(sniff_separator("Date,Open,Close"), b',');
        assert_eq!(sniff_separator("Date;Open;Close"), b';');
        assert_eq!(sniff_separator("Date\tOpen\tClose"), b'\t');
        assert_eq!(sniff_separator("\"Date;x\",Close"), b',');
        assert_eq!(sniff_separator("Date"), b',');
    }

    #[test]
    fn numbers_in_export_formats() {
        assert_eq!(parse_number("$188.59"), Some(188.59));
        assert_eq!(parse_number(" $1,188.59 "), Some(1188.59));
        assert_eq!(parse_number("1.188,59"), Some(1188.59));
        assert_eq!(parse_number("188,59"), Some(188.59));
        assert_eq!(parse_number("26,212,220"), Some(26_212_220.0));
        assert_eq!(parse_number("-1,234"), Some(-1234.0));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("1.000.000"), Some(1e6));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn names_match_across_conventions() {
        assert_eq!(normalize_name("Adj Close"), "adjclose");
        assert_eq!(normalize_name(" adj_close"), "adjclose");
        assert_eq!(normalize_name("Close/Last"), "close/last");
    }

    #[test]
    fn date_formats_are_detected() {
        assert_eq!(detect_date_format(&["2013-05-13", "2013-05-14 00:00:00"]).unwrap().1, "YYYY-MM-DD");
        assert_eq!(detect_date_format(&["2013-05-13T00:00:00Z"]).unwrap().1, "YYYY-MM-DD");
        assert_eq!(detect_date_format(&["05/11/2018", "05/10/2018", "04/30/2018"]).unwrap().1, "MM/DD/YYYY");
        assert_eq!(detect_date_format(&["30/04/2018", "01/05/2018"]).unwrap().1, "DD/MM/YYYY");
        assert_eq!(detect_date_format(&["13.05.2013"]).unwrap().1, "DD.MM.YYYY");
        assert_eq!(detect_date_format(&["20130513"]).unwrap().1, "YYYYMMDD");
        assert!(detect_date_format(&["05/11/2018", "05/10/2018"]).unwrap_err().contains("both"));
        assert!(detect_date_format(&["yesterday"]).is_err());
        // one bad cell does not change the format; it is reported by line later
        assert_eq!(detect_date_format(&["2013-05-13", "2013-13-45"]).unwrap().1, "YYYY-MM-DD");
        assert_eq!(parse_date_with("05/11/2018 16:00", "%m/%d/%Y"), NaiveDate::from_ymd_opt(2018, 5, 11));
    }

    #[test]
    fn headers_split_outside_quotes() {
        assert_eq!(
            split_header("Date, \"Adj, Close\" ,Volume\r", b','),
            vec!["Date", "Adj, Close", "Volume"]
        );
        assert_eq!(split_header("a;b", b';'), vec!["a", "b"]);
    }

    #[test]
    fn iso_fast_path_agrees_with_chrono() {
        for s in
            ["2013-05-13", "2020-02-29", "2019-02-29", "2013-13-01", "2013-5-13", "abcd-ef-gh", "0999-01-01"]
        {
            assert_eq!(
                parse_iso(s),
                NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().filter(|_| s.len() == 10),
                "{s}"
            );
        }
    }

    #[test]
    fn missing_markers() {
        for m in ["", " null ", "NaN", "N/A", "-", "None"] {
            assert!(is_missing(m), "{m:?}");
        }
        assert!(!is_missing("0"));
    }
}
