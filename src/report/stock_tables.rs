//! The tables of `stock`: the console table of a test period, `predictions.csv`, and the
//! summary of a run over several files (console and `summary.csv`).

use std::fmt::Write;

use crate::eval::{Evaluation, Metrics};

/// `writeln!` into a String, which cannot fail.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

fn pct(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The console table of a test period: the model and naive side by side, the skill and what
/// the moves say.
pub fn test_table(model: &str, target_col: &str, e: &Evaluation) -> String {
    let mut out = String::new();
    outln!(
        out,
        "\ntest period {} .. {} ({} days), one day ahead, {} in price units:",
        e.dates[0],
        e.dates[e.dates.len() - 1],
        e.dates.len(),
        target_col
    );
    outln!(out, "{:<26} {:>10} {:>10} {:>8} {:>10}", "forecast", "RMSE", "MAE", "MAPE", "direction");
    let row = |out: &mut String, name: &str, m: &Metrics| {
        let mape = m.mape.map_or("n/a".into(), |v| format!("{v:.2}%"));
        outln!(
            out,
            "{name:<26} {:>10.4} {:>10.4} {mape:>8} {:>10}",
            m.rmse,
            m.mae,
            pct(m.directional_accuracy)
        );
    };
    row(&mut out, model, &e.model);
    row(&mut out, "naive (tomorrow = today)", &e.baseline);
    match e.skill {
        // rounds to zero: no sign, which would claim a direction the digits do not show
        Some(s) if s.abs() < 0.0005 => outln!(
            out,
            "skill vs naive: 0.000 (the model's RMSE is within 0.05% of naive's: it does NOT beat tomorrow = today on these days)"
        ),
        Some(s) if s > 0.0 => {
            outln!(out, "skill vs naive: {s:+.3} (the model's RMSE is {:.1}% below naive)", s * 100.0)
        }
        Some(s) => {
            outln!(out, "skill vs naive: {s:+.3} (the model does NOT beat tomorrow = today on these days)")
        }
        None => outln!(out, "skill vs naive: n/a (naive is exact on these days)"),
    }
    outln!(
        out,
        "direction: naive never calls a move; a coin scores about 50%, \"always up\" scores {:.1}% here",
        e.up_share * 100.0
    );
    outln!(out, "moves: {}", e.moves.sentence(&model.to_uppercase()));
    out
}

/// `predictions.csv`: date, actual, the model's forecast and naive's.
pub fn predictions_csv(e: &Evaluation) -> String {
    let mut s = String::from("date,actual,predicted,naive\n");
    for i in 0..e.dates.len() {
        s += &format!("{},{:.6},{:.6},{:.6}\n", e.dates[i], e.actual[i], e.predicted[i], e.naive[i]);
    }
    s
}

/// One line of a several-file run's summary.
pub struct SummaryRow {
    pub file: String,
    /// The ticker of a long-format file.
    pub ticker: Option<String>,
    pub rows: usize,
    /// `(model RMSE, naive RMSE, skill)`; `None` for a ticker that was skipped.
    pub figures: Option<(f64, f64, Option<f64>)>,
    /// Why a ticker was skipped (empty otherwise).
    pub note: String,
}

/// The console summary of a several-file run.
pub fn summary_table(rows: &[SummaryRow]) -> String {
    let mut out = String::new();
    outln!(out, "\n{:<40} {:>7} {:>12} {:>12} {:>8}", "file", "rows", "model RMSE", "naive RMSE", "skill");
    for r in rows {
        let name = match &r.ticker {
            Some(t) => format!("{} {t}", r.file),
            None => r.file.clone(),
        };
        match r.figures {
            Some((m, n, skill)) => {
                let skill = skill.map_or("n/a".into(), |s| format!("{s:+.3}"));
                outln!(out, "{name:<40} {:>7} {m:>12.4} {n:>12.4} {skill:>8}", r.rows);
            }
            None => outln!(out, "{name:<40} skipped"),
        }
    }
    out
}

/// `summary.csv`: the file and the ticker in columns of their own, always quoted (paths and
/// tickers may hold commas), the figures, and why a ticker was skipped.
pub fn summary_csv(rows: &[SummaryRow]) -> String {
    let mut csv = String::from("file,ticker,rows,model_rmse,naive_rmse,skill,note\n");
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for r in rows {
        let (m, n, skill) = match r.figures {
            Some((m, n, s)) => {
                (format!("{m:.6}"), format!("{n:.6}"), s.map_or(String::new(), |s| format!("{s:.6}")))
            }
            None => Default::default(),
        };
        csv += &format!(
            "{},{},{},{m},{n},{skill},{}\n",
            quoted(&r.file),
            quoted(r.ticker.as_deref().unwrap_or("")),
            if r.figures.is_some() { r.rows.to_string() } else { String::new() },
            quoted(&r.note)
        );
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{parse_prices, LoadOptions};

    /// A skill that rounds to zero prints without a sign, either way.
    #[test]
    fn a_skill_that_rounds_to_zero_has_no_sign() {
        let mut text = String::from("Date,Close\n");
        for (i, p) in [100.0, 101.0, 100.5, 102.0, 101.0, 103.0].iter().enumerate() {
            text += &format!("2020-01-{:02},{p}\n", i + 1);
        }
        let s = parse_prices(text.as_bytes(), "t.csv", &LoadOptions::default()).unwrap();
        let line = |nudge: f64| {
            // naive's forecasts, each moved by `nudge` of a price unit toward or away from the day
            let f: Vec<f64> =
                (2..6).map(|t| s.values[t - 1] + nudge * (s.values[t] - s.values[t - 1])).collect();
            let e = Evaluation::new(&s, 2..6, f);
            test_table("gru", "Close", &e).lines().find(|l| l.starts_with("skill")).unwrap().to_string()
        };
        for nudge in [0.0002, -0.0002] {
            let l = line(nudge);
            assert!(l.starts_with("skill vs naive: 0.000 (") && l.contains("does NOT beat"), "{l}");
        }
        assert!(line(0.3).starts_with("skill vs naive: +0.300"), "{}", line(0.3));
        assert!(line(-0.3).starts_with("skill vs naive: -0.300"), "{}", line(-0.3));
    }
}
