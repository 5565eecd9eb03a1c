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

/// Lower case with spaces, `_`, `-` and `.` removed: `Adj Close`, `adj_close`, `ADJ-CLOSE` and
/// `Adj. Close` match, and so do `Vol.` and `vol`.
pub fn normalize_name(name: &str) -> String {
    name.trim()
        .trim_matches('"')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Cell texts that mean "no value on this day" (compared after trimming, case-insensitively).
pub fn is_missing(s: &str) -> bool {
    let s = s.trim();
    s.is_empty()
        || ["null", "nan", "na", "n/a", "-", "none", "#n/a"].iter().any(|m| s.eq_ignore_ascii_case(m))
}

/// Which of `.` and `,` a column writes as its decimal mark; the other, where present, groups
/// thousands (`1,234.50` under `Dot`, `1.234,50` under `Comma`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Decimal {
    /// `1,234.50`: a decimal point, comma thousands
    Dot,
    /// `1.234,50`: a decimal comma, point thousands
    Comma,
}

impl Decimal {
    pub fn name(self) -> &'static str {
        match self {
            Decimal::Dot => "a decimal point",
            Decimal::Comma => "a decimal comma",
        }
    }

    fn marks(self) -> (char, char) {
        match self {
            Decimal::Dot => ('.', ','),
            Decimal::Comma => (',', '.'),
        }
    }
}

/// Reads a number as exports write it (currency signs and spaces dropped) under `style`: at
/// most one decimal mark, and group marks only before it, in groups of exactly three digits.
/// `None` where the text is not a number written that way.
pub fn parse_in(s: &str, style: Decimal) -> Option<f64> {
    if style == Decimal::Dot && !s.contains(',') {
        // the common case, without a copy of the text
        if let Ok(v) = s.trim().parse::<f64>() {
            return v.is_finite().then_some(v);
        }
    }
    let t: String = s.trim().chars().filter(|c| !matches!(c, '$' | '€' | '£' | ' ' | '\'' | '_')).collect();
    // vendor shorthands: `19.40M` volumes; the power of ten is applied to the decimal text
    // (`19.40e6`), so 19.40M reads as exactly 19400000. (A `%` is not read: a percentage in a
    // price column would silently be 100 times too small.)
    let (t, exponent) = match t.char_indices().last() {
        Some((i, c)) if i > 0 => match c.to_ascii_uppercase() {
            'K' => (t[..i].to_string(), Some(3)),
            'M' => (t[..i].to_string(), Some(6)),
            'B' => (t[..i].to_string(), Some(9)),
            _ => (t, None),
        },
        _ => (t, None),
    };
    let (dec, group) = style.marks();
    if t.matches(dec).count() > 1 {
        return None;
    }
    let (int, frac) = match t.find(dec) {
        Some(i) => (&t[..i], Some(&t[i + dec.len_utf8()..])),
        None => (t.as_str(), None),
    };
    if frac.is_some_and(|f| f.contains(group)) {
        return None;
    }
    let int = if int.contains(group) {
        if !is_grouped(int, group) {
            return None;
        }
        int.replace(group, "")
    } else {
        int.to_string()
    };
    if !int.bytes().any(|b| b.is_ascii_digit())
        && !frac.is_some_and(|f| f.bytes().any(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let plain = match frac {
        Some(f) => format!("{int}.{f}"),
        None => int,
    };
    let plain = match exponent {
        // a suffix after a plain decimal only: not after an exponent or a second suffix
        Some(e) if plain.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+')) => {
            format!("{plain}e{e}")
        }
        Some(_) => return None,
        None => plain,
    };
    plain.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `1,234` or `-12,345,678` with `group` = `,`: a sign, one to three digits, then groups of three.
fn is_grouped(t: &str, group: char) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut groups = digits.split(group);
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether some `mark` in `s` is followed by exactly three digits (then the end or another
/// `mark`): the shape a thousands group needs.
fn groups_three_after(mark: char, s: &str) -> bool {
    let s = s.trim_end();
    s.match_indices(mark).any(|(i, _)| {
        let rest = &s[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits == 3 && (rest.len() == 3 || rest[3..].starts_with(mark))
    })
}

/// Why a column's cells admit no one number convention (`index`: the cell's position).
#[derive(Debug, PartialEq)]
pub enum StyleProblem {
    /// Some cell reads only with a decimal point and another only with a decimal comma.
    Conflict { dot_only: usize, comma_only: usize },
    /// Every cell reads both ways, and `index` reads as two different numbers.
    Ambiguous { index: usize },
}

/// The one convention all of a column's `cells` (missing ones left out) are written in, decided
/// from every cell: the one every cell reads in, or, where both do and give the same numbers,
/// `Dot`. `given` (`--decimal`) decides instead where the user gave it. Cells that are numbers
/// in neither convention are the caller's to report; they decide nothing here.
pub fn column_style<'a>(
    cells: impl Iterator<Item = &'a str>,
    given: Option<Decimal>,
) -> Result<Decimal, StyleProblem> {
    if let Some(style) = given {
        return Ok(style);
    }
    let (mut dot_only, mut comma_only, mut differs) = (None, None, None);
    for (i, cell) in cells.enumerate() {
        // most cells of a plain file have no comma and no point grouping three digits: they read
        // with a decimal point or not at all, and only the first such number matters here (so
        // loading stays about one parse per cell). A missing cell ("", "null", "-") reads in
        // neither convention, like any non-number.
        if !cell.contains(',') && !groups_three_after('.', cell) {
            if dot_only.is_none() && cell.contains('.') && parse_in(cell, Decimal::Dot).is_some() {
                dot_only = Some(i);
            }
            continue;
        }
        let (dot, comma) = (parse_in(cell, Decimal::Dot), parse_in(cell, Decimal::Comma));
        match (dot, comma) {
            (Some(_), None) => {
                dot_only.get_or_insert(i);
            }
            (None, Some(_)) => {
                comma_only.get_or_insert(i);
            }
            (Some(a), Some(b)) if a != b => {
                differs.get_or_insert(i);
            }
            _ => {}
        }
    }
    match (dot_only, comma_only, differs) {
        (Some(d), Some(c), _) => Err(StyleProblem::Conflict { dot_only: d, comma_only: c }),
        (None, Some(_), _) => Ok(Decimal::Comma),
        (Some(_), None, _) => Ok(Decimal::Dot),
        (None, None, Some(i)) => Err(StyleProblem::Ambiguous { index: i }),
        (None, None, None) => Ok(Decimal::Dot),
    }
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
    ("%b %d, %Y", "Mon DD, YYYY"),
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
        let dot = |t| parse_in(t, Decimal::Dot);
        let comma = |t| parse_in(t, Decimal::Comma);
        assert_eq!(dot("$188.59"), Some(188.59));
        assert_eq!(dot(" $1,188.59 "), Some(1188.59));
        assert_eq!(comma("1.188,59"), Some(1188.59));
        assert_eq!(comma("188,59"), Some(188.59));
        assert_eq!(dot("26,212,220"), Some(26_212_220.0));
        // vendor shorthands, read exactly
        assert_eq!(dot("19.40M"), Some(19_400_000.0));
        assert_eq!(dot("1.234K"), Some(1234.0));
        assert_eq!(dot("2.5b"), Some(2_500_000_000.0));
        assert_eq!(comma("19,40M"), Some(19_400_000.0));
        assert_eq!(dot("-0.52%"), None, "a percentage is no price");
        assert_eq!(dot("\"26.21M\"".trim_matches('"')), Some(26_210_000.0));
        for bad in ["M", "-M", "1e5K", "12MM", "1,2M", "%", "4.25%"] {
            assert_eq!(dot(bad), None, "{bad}");
        }
        assert_eq!(dot("-1,234"), Some(-1234.0));
        assert_eq!(dot("1e3"), Some(1000.0));
        assert_eq!(comma("1.000.000"), Some(1e6));
        // each convention refuses what it cannot have written
        assert_eq!(dot("188,59"), None, "a lone comma with two digits is no thousands group");
        assert_eq!(comma("1,188.59"), None, "group mark after the decimal mark");
        assert_eq!(dot("1.000.000"), None, "two decimal points");
        assert_eq!(dot("12,34,567"), None, "groups of three only");
        for t in ["abc", "inf", "", "1..2"] {
            assert_eq!((dot(t), comma(t)), (None, None), "{t}");
        }
    }

    #[test]
    fn one_convention_per_column_from_every_cell() {
        let style = |cells: &[&str]| column_style(cells.iter().copied(), None);
        assert_eq!(style(&["12.5", "13.25", "1,234.5"]), Ok(Decimal::Dot));
        assert_eq!(style(&["12,5", "13,25", "1.234,5"]), Ok(Decimal::Comma));
        // `12,125` alone could be either; its column says which
        assert_eq!(style(&["12,5", "12,125"]), Ok(Decimal::Comma));
        assert_eq!(style(&["12.5", "12,125"]), Ok(Decimal::Dot));
        // integers read the same both ways
        assert_eq!(style(&["1000000", "1000", "-"]), Ok(Decimal::Dot));
        // a column read under two conventions: the first cell of each is named
        assert_eq!(
            style(&["1", "12,5", "1.234,50", "7.5"]),
            Err(StyleProblem::Conflict { dot_only: 3, comma_only: 1 })
        );
        // every cell both ways, giving different numbers: the user must say
        assert_eq!(style(&["1.234", "2.5"]), Ok(Decimal::Dot), "2.5 can only be a decimal point");
        assert_eq!(style(&["1.234", "2.345"]), Err(StyleProblem::Ambiguous { index: 0 }));
        assert_eq!(column_style(["1.234", "2.345"].into_iter(), Some(Decimal::Comma)), Ok(Decimal::Comma));
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
