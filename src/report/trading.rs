//! The trading evaluation's table (console, `compare.md`) and `trading.png`: net equity curves
//! of each strategy and of buy-and-hold, with their drawdowns under them.

use std::fmt::Write;
use std::path::Path;

use anyhow::Result;
use chrono::NaiveDate;
use plotters::prelude::*;

use super::plots::{
    bounds, date_chart, date_corner, distinct_swatches, draw_legend, legend_swatch, plot_err, points, render,
    DateAxes,
};
use crate::eval::trading::{Performance, Rule, RuleFigures, Trading};

fn pct(v: f64) -> String {
    format!("{:.1}", 100.0 * v)
}

fn ratio(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.2}"))
}

/// The header of [`table`], also used by `compare.md`'s rows.
pub const HEADER: [&str; 14] = [
    "rule",
    "gross %",
    "net %",
    "net a.r. %",
    "vol %",
    "Sharpe",
    "Sortino",
    "max DD %",
    "Calmar",
    "hit %",
    "in mkt %",
    "turns/yr",
    "break-even",
    "p vs hold",
];

/// One rule's cells under [`HEADER`] (net figures except the gross total).
pub fn cells(r: &RuleFigures) -> Vec<String> {
    let n: &Performance = &r.net;
    vec![
        r.rule.name().to_string(),
        pct(r.gross.total_return),
        pct(n.total_return),
        pct(n.annual_return),
        pct(n.annual_volatility),
        ratio(n.sharpe),
        ratio(n.sortino),
        pct(n.max_drawdown),
        ratio(n.calmar),
        n.hit_rate.map_or("n/a".into(), pct),
        pct(n.exposure),
        format!("{:.0}", n.turnover_per_year),
        r.break_even.map_or("-".into(), |b| b.words()),
        r.p_vs_hold.map_or("-".into(), |p| format!("{p:.3}")),
    ]
}

/// The console table: a heading with the days, cost and timing, then one row per rule.
pub fn table(t: &Trading) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\ntrading the forecasts, {} .. {} ({} days), {} bp per unit of position change (--cost-bps):",
        t.first, t.last, t.days, t.cost_bps
    );
    let _ = writeln!(out, "timing: {}", t.timing);
    let widths = [12, 8, 7, 10, 6, 7, 7, 8, 7, 6, 8, 8, 14, 9];
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(k, (c, w))| if k == 0 { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(out, "{}", line(&HEADER.map(String::from)));
    for r in &t.rules {
        let _ = writeln!(out, "{}", line(&cells(r)));
    }
    // each distinct drawdown once (rules that held the same positions share it)
    let mut falls: Vec<(Vec<&str>, String)> = Vec::new();
    for r in &t.rules {
        let n = &r.net;
        if n.max_drawdown > 0.0 {
            let fall =
                format!("{:.1}% from {} to {}", 100.0 * n.max_drawdown, n.drawdown_peak, n.drawdown_trough);
            match falls.iter_mut().find(|(_, f)| *f == fall) {
                Some((names, _)) => names.push(r.rule.name()),
                None => falls.push((vec![r.rule.name()], fall)),
            }
        }
    }
    let falls: Vec<String> = falls.iter().map(|(names, f)| format!("{} {f}", names.join(", "))).collect();
    let _ = writeln!(out, "largest fall, net (close to close): {}", falls.join("; "));
    let _ = writeln!(
        out,
        "net of costs except \"gross %\"; a.r. = annualised; break-even = the cost at which its net return falls to holding's; p = stationary bootstrap (mean block {} days, {} resamples), one-sided, Sharpe above holding's",
        t.mean_block, t.resamples
    );
    out
}

/// The one-screen console's trading lines: one row per forecast rule and buy-and-hold, with
/// the figures a reader weighs first (net return, Sharpe, the largest fall, the test against
/// holding); [`table`] has every figure and rule.
pub fn brief(t: &Trading) -> Vec<String> {
    let head = format!("trading, {} bp cost", t.cost_bps);
    let mut out =
        vec![format!("{head:<22} {:>7} {:>7} {:>9} {:>10}", "net %", "Sharpe", "max DD %", "p vs hold")];
    for rule in Rule::STRATEGIES.into_iter().chain([Rule::Hold]) {
        let r = t.rule(rule);
        let n = &r.net;
        let verdict = match r.p_vs_hold {
            Some(p) if p < 0.05 => "  evidence that it beats holding",
            Some(_) => "  no evidence that it beats holding",
            None if rule == Rule::Hold => "",
            None => "  too few days to test",
        };
        out.push(format!(
            "{:<22} {:>7} {:>7} {:>9} {:>10}{verdict}",
            rule.name(),
            pct(n.total_return),
            ratio(n.sharpe),
            pct(n.max_drawdown),
            r.p_vs_hold.map_or("-".into(), |p| format!("{p:.3}")),
        ));
    }
    out
}

/// `trading.csv`: per test day, each rule's position (held from the previous close) and its
/// return gross and net of costs, so that every figure of the table can be recomputed.
pub fn csv(t: &Trading) -> String {
    let mut out = String::from("date");
    for r in &t.rules {
        let name = r.rule.name().replace(['/', '-'], "_");
        write!(out, ",{name}_position,{name}_gross_return,{name}_net_return").expect("writing to a String");
    }
    out.push('\n');
    // t.dates starts with the close before the first day
    for (i, d) in t.dates.iter().skip(1).enumerate() {
        out.push_str(&d.to_string());
        for r in &t.rules {
            write!(out, ",{},{},{}", r.positions[i], r.gross_returns[i], r.net_returns[i])
                .expect("writing to a String");
        }
        out.push('\n');
    }
    out
}

/// `trading.csv` of a comparison, one row per model, seed, day and rule (long format, for a
/// spreadsheet's pivot table): the position held from the previous close, the return gross and
/// net of costs. `runs`: each model's label, seed and trading evaluation.
pub fn long_csv(runs: &[(&str, u64, &Trading)]) -> String {
    let mut out = String::from("model,seed,date,rule,position,gross_return,net_return\n");
    for (model, seed, t) in runs {
        for (i, d) in t.dates.iter().skip(1).enumerate() {
            for r in &t.rules {
                let _ = writeln!(
                    out,
                    "\"{model}\",{seed},{d},{},{},{},{}",
                    r.rule.name(),
                    r.positions[i],
                    r.gross_returns[i],
                    r.net_returns[i]
                );
            }
        }
    }
    out
}

/// Colours of the rules in `trading.png`.
pub fn colour(rule: Rule) -> RGBColor {
    match rule {
        Rule::LongFlat => RGBColor(214, 39, 40),
        Rule::LongShort => RGBColor(148, 103, 189),
        Rule::Threshold => RGBColor(255, 127, 14),
        Rule::Hold => RGBColor(20, 20, 20),
        Rule::Momentum => RGBColor(44, 160, 44),
        Rule::Contrarian => RGBColor(140, 140, 140),
    }
}

/// A named series of daily net returns to chart.
pub struct Curve<'a> {
    pub label: String,
    pub color: RGBColor,
    /// Buy-and-hold is drawn thicker, a second rule of the same model dashed.
    pub width: u32,
    pub dashed: bool,
    pub returns: &'a [f64],
}

/// The equity curves of `curves` over `dates` (the close before the first day, then each day),
/// growth of 1 net of costs, and their drawdowns under them.
pub fn trading_png(path: &Path, title: &str, dates: &[NaiveDate], curves: &[Curve]) -> Result<()> {
    let equity: Vec<Vec<f64>> = curves
        .iter()
        .map(|c| {
            std::iter::once(1.0)
                .chain(c.returns.iter().scan(1.0, |e, r| {
                    *e *= 1.0 + r;
                    Some(*e)
                }))
                .collect()
        })
        .collect();
    let drawdown: Vec<Vec<f64>> = equity
        .iter()
        .map(|e| {
            let mut peak = f64::MIN;
            e.iter()
                .map(|&v| {
                    peak = peak.max(v);
                    100.0 * (v / peak - 1.0)
                })
                .collect()
        })
        .collect();
    distinct_swatches(curves.iter().map(|c| (c.color, c.dashed)))?;
    let span = (dates[0], dates[dates.len() - 1]);
    render(path, (1400, 900), |root| {
        let (top, bottom) = root.split_vertically(560);
        let axes = DateAxes {
            title: title.to_string(),
            dates: span,
            prices: bounds(equity.iter().flatten()),
            y_label: "growth of 1, net of costs",
            date_format: "%Y-%m-%d",
            x_labels: 10,
        };
        let mut ch = date_chart(&top, &axes)?;
        for (c, e) in curves.iter().zip(&equity) {
            let style = c.color.stroke_width(c.width);
            let drawn = if c.dashed {
                ch.draw_series(DashedLineSeries::new(points(dates, e), 7, 4, style)).map_err(plot_err)?
            } else {
                ch.draw_series(LineSeries::new(points(dates, e), style)).map_err(plot_err)?
            };
            drawn.label(c.label.as_str()).legend(legend_swatch(c.color, c.width, c.dashed));
        }
        let drawn = equity.iter().flat_map(|e| points(dates, e));
        draw_legend(&mut ch, date_corner(&axes, drawn))?;

        let (lo, _) = bounds(drawdown.iter().flatten());
        let axes = DateAxes {
            title: "drawdown: fall from the highest value so far".into(),
            dates: span,
            prices: (lo, 0.5),
            y_label: "% below the peak",
            date_format: "%Y-%m-%d",
            x_labels: 10,
        };
        let mut ch = date_chart(&bottom, &axes)?;
        for (c, d) in curves.iter().zip(&drawdown) {
            ch.draw_series(LineSeries::new(points(dates, d), c.color.stroke_width(1))).map_err(plot_err)?;
        }
        Ok(())
    })
}
