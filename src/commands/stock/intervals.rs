//! The multi-step forecasts of a `stock` run and their prediction bands: every method's bands
//! beside naive's on the test days, the chosen method's table and charts, and what the model
//! bundle keeps for `predict`.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::{Job, Log};
use crate::config::file_stem;
use crate::eval::bands::{self, Method};
use crate::eval::Evaluation;
use crate::model::Net;
use crate::pipeline::{self, MultiStep};
use crate::report::bands::{band_png, reliability_png, BandChart, Coverage};
use crate::report::plots;
use plotters::style::RGBColor;

pub(super) fn steps_of(job: &Job) -> usize {
    pipeline::steps_for(&job.cfg)
}

/// [`pipeline::multi_step`] for a `stock` job.
pub(crate) fn multi_step(job: &Job, net: &Net) -> MultiStep {
    pipeline::multi_step(net, &job.data, &job.series.values, &job.split, &job.cfg, job.device)
}

pub(super) fn print_steps(job: &Job, method: &str, ms: &MultiStep, log: &mut Log) {
    let cfg = &job.cfg;
    more!(
        log,
        "\nforecasts on the test days, step h = h trading days ahead; {method}; coverage of the {:.0}% band:",
        cfg.interval * 100.0
    );
    more!(log, "{:>5} {:>6} {:>10} {:>11} {:>9}", "step", "days", "RMSE", "naive RMSE", "coverage");
    for s in ms.steps.iter().filter(|s| shown(s.step, cfg.horizon)) {
        let cov = s.coverage.map_or("n/a".into(), |c| format!("{:.1}%", c * 100.0));
        more!(log, "{:>5} {:>6} {:>10.4} {:>11.4} {cov:>9}", s.step, s.days, s.rmse, s.naive_rmse);
    }
}

fn shown(step: usize, horizon: usize) -> bool {
    [1, 5, 10, horizon].contains(&step)
}

/// The bands table: the chosen method and naive's textbook band on the same days, then a
/// verdict per shown step at the first level, and the other methods in one line each.
pub(super) fn print_bands(job: &Job, ms: &MultiStep, log: &mut Log) {
    let (cfg, m) = (&job.cfg, job.cfg.interval_method);
    let name = cfg.model.name().to_uppercase();
    more!(log);
    more!(
        log,
        "prediction bands on the test days ({}: {}); naive's band: the historical spread of its h-day moves (training and validation rows):",
        m.name(),
        m.describe()
    );
    brief!(log);
    brief!(
        log,
        "{:.0}% prediction bands on the test days ({}), beside naive's (the spread of its past h-day moves):",
        cfg.interval * 100.0,
        m.name()
    );
    more!(
        log,
        "{:>5} {:>6} | {:>9} {:>10} {:>10} | {:>9} {:>10} {:>10}",
        "step",
        "level",
        format!("{name} cov"),
        "width",
        "int. score",
        "naive cov",
        "width",
        "int. score"
    );
    for s in ms.bands.iter().filter(|s| shown(s.step, cfg.horizon)) {
        let a = s.of(m);
        more!(
            log,
            "{:>5} {:>5.0}% | {:>8.1}% {:>10.3} {:>10.3} | {:>8.1}% {:>10.3} {:>10.3}",
            s.step,
            s.level * 100.0,
            a.coverage * 100.0,
            a.mean_width,
            a.interval_score,
            s.naive.coverage * 100.0,
            s.naive.mean_width,
            s.naive.interval_score
        );
    }
    more!(log, "width and interval score in price units (lower is better; a miss costs 2 / (1 - level) times its distance)");
    for s in ms.bands.iter().filter(|s| shown(s.step, cfg.horizon) && same(s.level, cfg.interval)) {
        say!(log, "{}", bands::verdict(&name, s, m));
    }
    for other in Method::ALL.iter().filter(|&&o| o != m) {
        let cells: Vec<String> = ms
            .bands
            .iter()
            .filter(|s| shown(s.step, cfg.horizon) && same(s.level, cfg.interval))
            .map(|s| {
                let x = s.of(*other);
                format!("step {} {:.1}% (score {:.3})", s.step, x.coverage * 100.0, x.interval_score)
            })
            .collect();
        more!(log, "  --interval-method {:<13} {}", other.name(), cells.join(", "));
    }
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The `intervals` section of `metrics.json`.
pub(super) fn metrics(job: &Job, ms: &MultiStep) -> serde_json::Value {
    json!({
        "method": job.cfg.interval_method,
        "description": job.cfg.interval_method.describe(),
        "level": job.cfg.interval,
        "levels": ms.levels,
        "units": "price",
        "adaptive": {"gamma": job.cfg.interval_gamma, "window": bands::ACI_WINDOW},
        "volatility_days": bands::VOL_DAYS,
        "naive": "quantiles of h-day log returns over the training and validation rows",
        "by_step_and_level": ms.bands,
    })
}

/// `bands.png` (the test days with the chosen band at step 1) and `reliability.png` (nominal
/// against realised coverage, model and naive, steps 1 and the last).
pub(super) fn charts(job: &Job, e: &Evaluation, ms: &MultiStep, out: &Path) -> Result<()> {
    let (cfg, series) = (&job.cfg, &job.series);
    let band: Vec<(f64, f64)> =
        ms.one_step.iter().zip(&ms.chosen[0]).map(|(f, (lo, hi))| (f * lo.exp(), f * hi.exp())).collect();
    let chart = BandChart {
        title: format!(
            "{} {}: {:.0}% band one day ahead on the test days ({})",
            file_stem(&cfg.csv),
            cfg.model.name().to_uppercase(),
            cfg.interval * 100.0,
            cfg.interval_method.name()
        ),
        y_label: &series.target_col,
        dates: &e.dates,
        actual: &e.actual,
        forecast: &ms.one_step,
        band: &band,
    };
    band_png(&out.join("bands.png"), &chart)?;
    let last = ms.steps.len();
    let curve = |step: usize, naive: bool| -> Vec<(f64, f64, usize)> {
        ms.bands
            .iter()
            .filter(|s| s.step == step)
            .map(|s| {
                let c = if naive { &s.naive } else { s.of(cfg.interval_method) };
                (s.level * 100.0, c.coverage * 100.0, c.days)
            })
            .collect()
    };
    let name = cfg.model.name().to_uppercase();
    let series = |label: String, points, color| Coverage { label, points, color };
    let mut all = vec![
        series(format!("{name}, step 1"), curve(1, false), plots::MODEL),
        series("naive, step 1".into(), curve(1, true), plots::NAIVE),
    ];
    if last > 1 {
        all.push(series(format!("{name}, step {last}"), curve(last, false), RGBColor(255, 127, 14)));
        all.push(series(format!("naive, step {last}"), curve(last, true), RGBColor(31, 119, 180)));
    }
    reliability_png(
        &out.join("reliability.png"),
        &format!(
            "{} {}: realised against nominal coverage on the test days (bars: 95% binomial interval)",
            file_stem(&cfg.csv),
            name
        ),
        &all,
    )
}
