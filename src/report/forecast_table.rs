//! The table of `predict`: each forecast day with its bands, for the console and as
//! `forecast.csv` (`date,forecast,lower,upper`, then `lower_L,upper_L` for each further level).

use chrono::NaiveDate;

/// `(console table, forecast.csv)` for the days `dates`, forecasts `path` and, per level named
/// in `names` (the first one first), each day's `(lower, upper)` band in price units.
pub fn tables(
    dates: &[NaiveDate],
    path: &[f64],
    bands: &[Vec<(f64, f64)>],
    names: &[String],
) -> (String, String) {
    let mut table = format!("{:<12} {:>12}", "date", "forecast");
    let mut csv = String::from("date,forecast,lower,upper");
    for (i, n) in names.iter().enumerate() {
        table += &format!(" {:>12} {:>12}", format!("lower {n}%"), format!("upper {n}%"));
        if i > 0 {
            csv += &format!(",lower_{n},upper_{n}");
        }
    }
    table.push('\n');
    csv.push('\n');
    for (k, (d, f)) in dates.iter().zip(path).enumerate() {
        table += &format!("{d:<12} {f:>12.4}");
        csv += &format!("{d},{f}");
        for b in bands {
            table += &format!(" {:>12.4} {:>12.4}", b[k].0, b[k].1);
            csv += &format!(",{},{}", b[k].0, b[k].1);
        }
        table.push('\n');
        csv.push('\n');
    }
    (table, csv)
}
