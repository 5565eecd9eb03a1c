//! `stock`'s trading evaluation: the test period's forecasts traded by each rule, printed
//! as a table with verdicts, and charted in `trading.png`.

use std::path::Path;

use anyhow::Result;

use super::{Job, Log};
use crate::config::file_stem;
use crate::data::plant::traded_forecasts;
use crate::eval::trading::{evaluate, verdicts, Days, Rule, Trading};
use crate::eval::Evaluation;
use crate::report::trading::{brief, colour, table, trading_png, Curve};

/// Trades the test period's one-day forecasts, prints the table and a verdict per strategy.
pub fn run(job: &Job, e: &Evaluation, log: &mut Log) -> Trading {
    let rows: Vec<usize> = job.data.test.rows.clone().collect();
    let s = &job.series;
    let forecast = traded_forecasts(job.cfg.load.plant, &s.values, &rows, &e.predicted);
    let days = Days::from_series(&s.dates, &s.values, &rows, &forecast);
    let t = evaluate(&days, job.cfg.cost_bps, job.cfg.seed);
    let model = job.cfg.model.name().to_uppercase();
    for line in table(&t).trim_end().lines() {
        more!(log, "{line}");
    }
    brief!(log);
    for line in brief(&t) {
        brief!(log, "{line}");
    }
    // one line when the rules all held (or all shunned) the stock; else one per rule, which
    // the one-screen table's rows already say
    let verdicts = verdicts(&model, &t);
    for line in &verdicts {
        if verdicts.len() == 1 {
            say!(log, "{line}");
        } else {
            more!(log, "{line}");
        }
    }
    t
}

/// `trading.png`: the forecast's strategies and buy-and-hold, net of costs.
pub fn chart(job: &Job, t: &Trading, out: &Path) -> Result<()> {
    let model = job.cfg.model.name().to_uppercase();
    let curves: Vec<Curve> = [Rule::Hold, Rule::LongFlat, Rule::LongShort, Rule::Threshold]
        .into_iter()
        .map(|rule| Curve {
            label: if rule.uses_forecast() { format!("{model} {}", rule.name()) } else { rule.name().into() },
            color: colour(rule),
            width: if rule == Rule::Hold { 3 } else { 2 },
            dashed: false,
            returns: &t.rule(rule).net_returns,
        })
        .collect();
    let title = format!(
        "{}: trading the {model}'s forecasts on the test days, net of {} bp per unit traded",
        file_stem(&job.cfg.csv),
        t.cost_bps
    );
    trading_png(&out.join("trading.png"), &title, &t.dates, &curves)
}
