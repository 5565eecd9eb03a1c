//! What a panel run writes and says: the console's table and verdicts, results.csv,
//! per_ticker.csv, ic.csv, the charts, panel.json and report.html, all from the judged rows.

use std::time::Instant;

use anyhow::Result;
use serde_json::json;

use super::super::log::Log;
use super::judge::{judge, judged, per_seed};
use super::leak::PanelLeakCheck;
use crate::config::PanelConfig;
use crate::eval::panel::{book_tests, csv, BookTests, ContenderScore, CrossSection, ResultRow};
use crate::report::trading::{trading_png, Curve};
use crate::report::{files, panel_plots};

/// "global GRU per seed: rank IC +0.012, -0.004, +0.020; ..." lines.
fn per_seed_lines(per_seed: &[serde_json::Value]) -> Vec<String> {
    let mut names: Vec<&str> = per_seed.iter().filter_map(|v| v["contender"].as_str()).collect();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let ics: Vec<String> = per_seed
                .iter()
                .filter(|v| v["contender"] == name)
                .map(|v| v["rank_ic"]["mean"].as_f64().map_or("-".into(), |m| format!("{m:+.4}")))
                .collect();
            format!(
                "{name} per seed: rank IC {} (the mean over seeds is the forecast judged above)",
                ics.join(", ")
            )
        })
        .collect()
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite()).map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// The console's table: one row per contender.
fn table(scores: &[ContenderScore], sections: &[CrossSection], books: &BookTests) -> String {
    let k = sections.first().map_or(0, |s| s.k);
    let cost = sections.first().map_or(0.0, |s| s.cost_bps);
    let mut out = format!(
        "\non the test days, against naive (squared errors of returns; per ticker: Diebold-Mariano, Benjamini-Hochberg at 5%; pooled: each day's mean difference over tickers, Newey-West t) and across tickers (daily IC and rank IC, Newey-West t; long top {k} / short bottom {k}, {cost} bp per half-turn):\n"
    );
    out += &format!(
        "{:<18} {:>9} {:>11} {:>9} {:>15} {:>15} {:>10} {:>10} {:>8} {:>6} {:>7}\n",
        "contender",
        "beat",
        "sig. +/-",
        "pooled p",
        "IC (t)",
        "rank IC (t)",
        "L/S gross",
        "L/S net",
        "net p",
        "acc.",
        "b/e bp"
    );
    for ((s, x), p) in scores.iter().zip(sections).zip(&books.p_above_zero) {
        let ic = |v: &Option<crate::eval::cross_section::SeriesSummary>| {
            v.map_or("-".into(), |v| format!("{:+.4} ({:+.1})", v.mean, v.t))
        };
        let pct = |v: &Option<crate::eval::cross_section::SeriesSummary>| {
            v.map_or("-".into(), |v| format!("{:+.3}%", 100.0 * v.mean))
        };
        let priced = !s.tickers.is_empty();
        out += &format!(
            "{:<18} {:>9} {:>11} {:>9} {:>15} {:>15} {:>10} {:>10} {:>8} {:>6} {:>7}\n",
            s.contender,
            if priced { format!("{}/{}", s.wins, s.tickers.len()) } else { "-".into() },
            if priced { format!("{}/{}", s.significant_wins, s.significant_losses) } else { "-".into() },
            opt(s.pooled_p, 3),
            ic(&x.ic),
            ic(&x.rank_ic),
            pct(&x.gross),
            pct(&x.net),
            opt(*p, 3),
            x.accuracy.map_or("-".into(), |a| format!("{:.1}%", 100.0 * a)),
            opt(x.break_even_bps, 1)
        );
    }
    out += "beat: tickers where its RMSE is below naive's; sig. +/-: significantly better / worse after the correction (-: a ranking, no price to score); L/S: mean daily return of the long-short book; net p: stationary bootstrap, one-sided, its net Sharpe ratio above zero; acc.: the book's positions on the right side of the day's median return; b/e bp: the cost per half-turn at which the book's net return is zero\n";
    out
}

/// The verdicts in words.
fn verdicts(scores: &[ContenderScore], sections: &[CrossSection], head: &[ContenderScore]) -> Vec<String> {
    let mut v = Vec::new();
    for s in scores {
        if s.tickers.is_empty() {
            v.push(format!(
                "{} forecasts a ranking (a cross-sectional target), not a price: it is judged across tickers only",
                s.contender
            ));
            continue;
        }
        let power = s.min_detectable_skill.map_or(String::new(), |m| {
            format!(" (the pooled test finds a skill of {:.2}% or more four times in five)", 100.0 * m)
        });
        let pooled = match (s.pooled_p, s.pooled_mean_difference) {
            (Some(p), d) if p < 0.05 && d < 0.0 => format!("beats naive pooled over days (p = {p:.3})"),
            (Some(p), d) if p < 0.05 && d > 0.0 => {
                format!("is worse than naive pooled over days (p = {p:.3})")
            }
            (Some(p), _) => format!("is not distinguishable from naive pooled over days (p = {p:.2})"),
            (None, _) => "could not be tested pooled".into(),
        };
        v.push(format!(
            "{} {pooled}{power}; closer than naive on {} of {} tickers, significantly after correction on {} (worse on {})",
            s.contender,
            s.wins,
            s.tickers.len(),
            s.significant_wins,
            s.significant_losses
        ));
    }
    for x in sections {
        if let Some(r) = x.rank_ic {
            let p = crate::eval::stats::t_two_sided_p(r.t, r.days as f64 - 1.0);
            let word = if p < 0.05 && r.mean > 0.0 {
                "orders tomorrow's returns better than chance"
            } else if p < 0.05 {
                "orders tomorrow's returns worse than chance (its ranking is reversed)"
            } else {
                "does not order tomorrow's returns better than chance"
            };
            let tilt = match x.fixed_tilt_rank_ic {
                // the tilt accounts for the ranking: most of the spread, and most of the rank IC
                Some(f) if x.tilt_share > 0.5 && p < 0.05 && r.mean > 0.0 && f.mean >= 0.8 * r.mean => format!(
                    "; {:.0}% of its forecasts' spread is a fixed tilt between tickers, and that tilt held fixed scores {:+.4}: a bet on which stocks did well over the test period, not a daily forecast",
                    100.0 * x.tilt_share,
                    f.mean
                ),
                _ => String::new(),
            };
            v.push(format!(
                "{}: rank IC {:+.4} a day (t = {:+.2}, p = {p:.2}): it {word}{tilt}",
                x.contender, r.mean, r.t
            ));
        }
    }
    for h in head {
        if h.tickers.is_empty() {
            if let Some(line) = ranking_head_to_head(&h.contender, sections) {
                v.push(line);
            }
            continue;
        }
        let pooled = match h.pooled_p {
            Some(p) if p < 0.05 && h.pooled_mean_difference < 0.0 => {
                format!("better pooled over days (p = {p:.3})")
            }
            Some(p) if p < 0.05 => format!("worse pooled over days (p = {p:.3})"),
            Some(p) => format!("not distinguishable pooled over days (p = {p:.2})"),
            None => "not tested pooled".into(),
        };
        v.push(format!(
            "{} against {}: closer on {} of {} tickers, significantly after correction on {} (worse on {}); {pooled}",
            h.contender,
            h.contender.replace("global", "per-ticker"),
            h.wins,
            h.tickers.len(),
            h.significant_wins,
            h.significant_losses
        ));
    }
    v.push("survivorship: a panel of today's index members has none of the stocks that left it; results on it flatter long positions".into());
    v
}

/// A global ranking network against its per-ticker twin: the daily difference of their rank
/// ICs, over its Newey-West t.
fn ranking_head_to_head(global: &str, sections: &[CrossSection]) -> Option<String> {
    let twin = global.replace("global", "per-ticker");
    let of = |name: &str| sections.iter().find(|x| x.contender == name);
    let (g, p) = (of(global)?, of(&twin)?);
    let theirs: std::collections::HashMap<_, Option<f64>> =
        p.days.iter().map(|d| (d.date, d.rank_ic)).collect();
    let diff: Vec<f64> = g.days.iter().filter_map(|d| Some(d.rank_ic? - (*theirs.get(&d.date)?)?)).collect();
    let s = crate::eval::cross_section::summarise(&diff)?;
    let p = crate::eval::stats::t_two_sided_p(s.t, s.days as f64 - 1.0);
    Some(format!(
        "{global} against {twin} (rankings, so by the daily rank IC): {:+.4} a day on average (t = {:+.2}, p = {p:.2}): {}",
        s.mean,
        s.t,
        if p.is_nan() || p >= 0.05 { "not distinguishable" } else if s.mean > 0.0 { "the global network ranks better" } else { "the per-ticker networks rank better" }
    ))
}

/// `per_ticker.csv`: every contender's figures per ticker beside naive.
fn per_ticker_csv(scores: &[ContenderScore]) -> String {
    let mut out = String::from("contender,ticker,days,rmse,naive_rmse,skill,dm_statistic,dm_p,adjusted_p\n");
    for s in scores {
        for t in &s.tickers {
            out += &format!(
                "\"{}\",\"{}\",{},{},{},{},{},{},{}\n",
                s.contender,
                t.ticker,
                t.days,
                t.rmse,
                t.naive_rmse,
                t.skill,
                opt(t.dm_statistic, 6),
                opt(t.dm_p, 6),
                opt(t.adjusted_p, 6)
            );
        }
    }
    out
}

/// `ic.csv`: per contender and test day, the IC, rank IC and the long-short book's returns.
fn ic_csv(sections: &[CrossSection]) -> String {
    let mut out = String::from("contender,date,ic,rank_ic,long_short_gross,long_short_net\n");
    for x in sections {
        for d in &x.days {
            out += &format!(
                "\"{}\",{},{},{},{},{}\n",
                x.contender,
                d.date,
                opt(d.ic, 6),
                opt(d.rank_ic, 6),
                d.gross,
                d.net
            );
        }
    }
    out
}

/// What a run (or a merge of shards) hands to [`write`].
pub struct Outcome {
    /// Every job's rows, seeds finished ([`super::judge::finish_seeds`]).
    pub rows: Vec<ResultRow>,
    /// Each fold's calendar, kept and dropped tickers and training windows.
    pub folds: Vec<serde_json::Value>,
    /// Every ticker kept in some fold, in order.
    pub kept: Vec<String>,
    /// The last day of the panel before the first test day (where the equity curves start).
    pub before_test: chrono::NaiveDate,
    pub timings: serde_json::Value,
    /// The shard files merged, if any.
    pub shards: Option<Vec<String>>,
}

/// Judges `o`, prints the table and verdicts, and writes every output to `cfg.base.out`.
pub fn write(
    cfg: &PanelConfig,
    o: &Outcome,
    leak: Option<&PanelLeakCheck>,
    mut log: Log,
    started: Instant,
) -> Result<()> {
    let base = &cfg.base;
    let (scores, sections, head_to_head) = judge(&judged(&o.rows, cfg), cfg);
    let per_seed = per_seed(&o.rows, cfg);
    for line in per_seed_lines(&per_seed) {
        log.line(&line);
    }
    let books = book_tests(&sections, base.seed);
    for line in table(&scores, &sections, &books).lines() {
        log.line(line);
    }
    for line in verdicts(&scores, &sections, &head_to_head) {
        log.line(&line);
    }
    if let Some(d) = &books.deflated {
        log.line(&format!(
            "deflated Sharpe ratio over the {} long-short books tried: the best, {}'s, has a net Sharpe ratio of {:.2} a year, where luck alone would give the best of {} about {:.2}; the probability that its true Sharpe ratio is above zero, allowing for the selection, is {:.2}: {}",
            d.trials,
            d.best_label,
            d.best_sharpe,
            d.trials,
            d.expected_max_sharpe,
            d.deflated_sharpe,
            if d.deflated_sharpe >= 0.95 { "established (at the usual 0.95)" } else { "not established" }
        ));
    }
    if let Some(l) = leak {
        log.line(&l.sentence());
    }

    let _out = files::OutputDir::open(&base.out)?;
    files::write_atomic(&base.out.join("results.csv"), csv(&o.rows).as_bytes())?;
    files::write_atomic(&base.out.join("per_ticker.csv"), per_ticker_csv(&scores).as_bytes())?;
    files::write_atomic(&base.out.join("ic.csv"), ic_csv(&sections).as_bytes())?;
    let name = crate::config::file_stem(&base.csv);
    panel_plots::skill_png(
        &base.out.join("skill.png"),
        &format!("{name}: each contender's skill against naive, a point per ticker (bar: the median)"),
        &scores,
    )?;
    panel_plots::ic_png(
        &base.out.join("ic.png"),
        &format!("{name}: daily rank IC of each contender's forecasts, summed over the test days"),
        &sections,
    )?;
    let before = o.before_test;
    let dates: Vec<chrono::NaiveDate> =
        std::iter::once(before).chain(sections[0].days.iter().map(|d| d.date)).collect();
    let nets: Vec<Vec<f64>> = sections.iter().map(|x| x.days.iter().map(|d| d.net).collect()).collect();
    let colour = crate::report::compare_plots::colours(sections.len());
    let curves: Vec<Curve> = sections
        .iter()
        .zip(&nets)
        .zip(&colour)
        .map(|((x, r), &c)| Curve {
            label: x.contender.clone(),
            color: c,
            width: 2,
            dashed: false,
            returns: r,
        })
        .collect();
    trading_png(
        &base.out.join("long_short.png"),
        &format!(
            "{name}: long the top {} / short the bottom {} of each contender's forecasts, net of {} bp per half-turn",
            cfg.k, cfg.k, base.cost_bps
        ),
        &dates,
        &curves,
    )?;
    files::write_json(
        &base.out.join("panel.json"),
        &json!({
            "command": "panel",
            "settings": cfg,
            "folds": o.folds,
            "kept": o.kept,
            "scores": scores,
            "cross_section": sections,
            "books": books,
            "global_vs_per_ticker": head_to_head,
            "per_seed": per_seed,
            "leakage_check": leak,
            "shards": o.shards,
            "timings": o.timings,
            "wall_seconds": started.elapsed().as_secs_f64(),
            "versions": crate::versions::record(),
        }),
    )?;
    log.line(&format!(
        "wrote results.csv (every forecast), per_ticker.csv, ic.csv, skill.png, ic.png, long_short.png, panel.json and report.html to {} in {:.0} s",
        base.out.display(),
        started.elapsed().as_secs_f64()
    ));
    let chart = |file: &str, caption: &str| (caption.to_string(), base.out.join(file));
    crate::report::html::write(
        &base.out,
        &crate::report::html::Page {
            title: format!("{name}: one network over {} tickers", o.kept.len()),
            text: log.text,
            markdown: None,
            charts: vec![
                chart("skill.png", "skill against naive per ticker, each contender"),
                chart("ic.png", "daily rank IC, summed over the test days"),
                chart(
                    "long_short.png",
                    "the daily long-short book on each contender's forecasts, net of costs",
                ),
            ],
            settings: serde_json::to_value(cfg)?,
        },
    )?;
    Ok(())
}
