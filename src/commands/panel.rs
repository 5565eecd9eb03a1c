//! `lstm-stock panel DIR`: one network over many tickers. Every ticker is split on one calendar
//! and scaled on its own training rows; global LSTM/GRU networks train on all tickers' windows
//! together, beside per-ticker networks with the same settings, ridge regressions (global and per
//! ticker), naive and the one-day reversal, all on identical (ticker, day) pairs. Every figure is
//! then computed from one results table (see [`crate::eval::panel`]): per ticker against naive
//! with a false-discovery correction, pooled over days, and across tickers (IC, rank IC, a daily
//! top-k / bottom-k portfolio net of costs).

use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use tch::Device;

use crate::config::{PanelConfig, StockConfig};
use crate::data::features::raw_columns;
use crate::data::panel::{Calendar, Member, Panel};
use crate::data::{Dataset, LoadOptions, Plant};
use crate::eval::panel::{cross_section, csv, score, ContenderScore, CrossSection, ResultRow};
use crate::model::ridge::Ridge;
use crate::model::{ModelKind, Net};
use crate::pipeline;
use crate::report::files;
use crate::train::Samples;

/// The naive forecast's contender name, which every other is judged against.
pub const NAIVE: &str = "naive";
/// The one-day reversal's contender name.
pub const REVERSAL: &str = "reversal";
/// Each ticker's own average daily move over its training rows: what a network that learned
/// only its ticker's drift forecasts, and, ranked across tickers, a bet on past winners.
pub const DRIFT: &str = "drift";

/// One usable ticker, split on the panel's calendar and windowed with its own scalers.
struct Ticker<'a> {
    member: &'a Member,
    split: crate::data::Split,
    data: Dataset,
}

pub fn run(cfg: &PanelConfig) -> Result<()> {
    let started = Instant::now();
    let base = &cfg.base;
    let load = LoadOptions { columns: raw_columns(&base.features), ..base.load.clone() };
    let panel = Panel::load(&base.csv, &load)?;
    let spec = base.input_spec();
    let cal = Calendar::cut(&panel.dates, base.val_frac, base.test_frac)?;
    let (kept, dropped) = panel.usable(&cal, spec.lookback());
    println!(
        "{}: {} tickers, {} .. {} ({} days on the union calendar), target \"{}\"",
        base.csv.display(),
        panel.members.len(),
        cal.first,
        cal.last,
        cal.days,
        panel.members[0].series.target_col
    );
    println!(
        "one calendar for every ticker: train before {}, validation {} .. before {}, test {} .. {}; a ticker is kept when each part has a target day after its first {}-day window",
        cal.val_start, cal.val_start, cal.test_start, cal.test_start, cal.last, spec.lookback()
    );
    for (ticker, why) in &dropped {
        println!("dropped {ticker}: {why}");
    }
    if kept.len() < 2 {
        crate::bail_input!(
            "{}: {} ticker(s) usable with these settings; a panel needs two or more (lower --window or give longer files)",
            base.csv.display(),
            kept.len()
        );
    }
    files::check_out_dir(&base.out)?;
    let device = crate::device::resolve(base.device)?;
    crate::engine::threads::use_threads(base.threads);
    crate::interrupt::install();
    let tickers: Vec<Ticker> = kept
        .iter()
        .map(|m| {
            let split = cal.split_of(&m.series.dates);
            Ok(Ticker { member: m, split, data: Dataset::build(&m.series, &split, &spec, 1)? })
        })
        .collect::<Result<_>>()?;
    let windows: usize = tickers.iter().map(|t| t.data.train.rows.len()).sum();
    println!(
        "{} tickers kept, {} dropped; {windows} training windows in all, each ticker scaled on its own training rows; every window once per epoch, shuffled across tickers (a ticker weighs by its rows)",
        tickers.len(),
        dropped.len()
    );

    let mut rows = baseline_rows(&tickers);
    let mut timings = Vec::new();
    for &kind in &cfg.models {
        let t0 = Instant::now();
        let fitted = train_global(&tickers, base, kind, device)?;
        let epochs = fitted.history.train_loss.len();
        let name = format!("global {}", kind.name().to_uppercase());
        rows.extend(network_rows(&name, &tickers, &fitted.net, device));
        let seconds = t0.elapsed().as_secs_f64();
        println!("{name}: {epochs} epochs in {seconds:.1} s");
        timings.push(json!({"contender": name, "seconds": seconds, "epochs": epochs}));
    }
    rows.extend(ridge_rows(&tickers, true));
    rows.extend(ridge_rows(&tickers, false));
    if cfg.per_ticker {
        for &kind in &cfg.models {
            let t0 = Instant::now();
            let name = format!("per-ticker {}", kind.name().to_uppercase());
            let bar = progress(tickers.len(), &name);
            for t in &tickers {
                let one = StockConfig { model: kind, ..base.clone() };
                let f = pipeline::fit(&t.data, &one, kind, base.seed, device, &base.train, Plant::NONE)?;
                rows.extend(forecast(&name, t, &f.net, device));
                bar.inc(1);
            }
            bar.finish_and_clear();
            let seconds = t0.elapsed().as_secs_f64();
            println!("{name}: {} networks in {seconds:.1} s", tickers.len());
            timings.push(json!({"contender": name, "seconds": seconds}));
        }
    }

    let contenders = contender_names(cfg);
    let scores: Vec<ContenderScore> = contenders.iter().map(|c| score(&rows, c, NAIVE)).collect();
    let sections: Vec<CrossSection> =
        contenders.iter().map(|c| cross_section(&rows, c, cfg.k, base.cost_bps)).collect();
    let head_to_head: Vec<ContenderScore> = if cfg.per_ticker {
        cfg.models
            .iter()
            .map(|k| {
                let n = k.name().to_uppercase();
                score(&rows, &format!("global {n}"), &format!("per-ticker {n}"))
            })
            .collect()
    } else {
        vec![]
    };
    print!("{}", table(&scores, &sections, tickers.len()));
    for line in verdicts(&scores, &sections, &head_to_head) {
        println!("{line}");
    }

    let _out = files::OutputDir::open(&base.out)?;
    files::write_atomic(&base.out.join("results.csv"), csv(&rows).as_bytes())?;
    files::write_atomic(&base.out.join("per_ticker.csv"), per_ticker_csv(&scores).as_bytes())?;
    files::write_atomic(&base.out.join("ic.csv"), ic_csv(&sections).as_bytes())?;
    files::write_json(
        &base.out.join("panel.json"),
        &json!({
            "command": "panel",
            "settings": cfg,
            "calendar": cal,
            "kept": tickers.iter().map(|t| &t.member.ticker).collect::<Vec<_>>(),
            "dropped": dropped,
            "scores": scores,
            "cross_section": sections,
            "global_vs_per_ticker": head_to_head,
            "timings": timings,
            "wall_seconds": started.elapsed().as_secs_f64(),
            "versions": crate::versions::record(),
        }),
    )?;
    println!(
        "wrote results.csv (every forecast), per_ticker.csv, ic.csv and panel.json to {} in {:.0} s",
        base.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Every contender but naive, in the order the table shows them.
fn contender_names(cfg: &PanelConfig) -> Vec<String> {
    let nets = |scope: &str| -> Vec<String> {
        cfg.models.iter().map(|k| format!("{scope} {}", k.name().to_uppercase())).collect()
    };
    let mut names = nets("global");
    if cfg.per_ticker {
        names.extend(nets("per-ticker"));
    }
    names.extend(["global ridge".into(), "per-ticker ridge".into(), DRIFT.into(), REVERSAL.into()]);
    names
}

/// A progress bar over `n` tickers (hidden off a terminal).
fn progress(n: usize, label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg}: {bar:30} {pos}/{len} tickers, {eta} left")
            .expect("a valid template"),
    );
    bar.set_message(label.to_string());
    bar
}

/// Naive (tomorrow = today), the one-day reversal (tomorrow's return = minus today's) and the
/// ticker's drift (its mean daily log return over its training rows) on every test day.
fn baseline_rows(tickers: &[Ticker]) -> Vec<ResultRow> {
    let mut rows = Vec::new();
    for t in tickers {
        let s = &t.member.series;
        let train = &s.values[..t.split.train_end];
        let drift = (train[train.len() - 1] / train[0]).ln() / (train.len() - 1).max(1) as f64;
        for day in t.data.test.rows.clone() {
            let (prev, actual) = (s.values[day - 1], s.values[day]);
            let last = if day >= 2 { prev / s.values[day - 2] - 1.0 } else { 0.0 };
            let row = |contender: &str, forecast: f64| ResultRow {
                contender: contender.into(),
                ticker: t.member.ticker.clone(),
                date: s.dates[day],
                previous: prev,
                forecast,
                actual,
            };
            rows.push(row(NAIVE, prev));
            rows.push(row(REVERSAL, prev * (1.0 - last)));
            rows.push(row(DRIFT, prev * drift.exp()));
        }
    }
    rows
}

/// The windows of every ticker's part `part` (0 train, 1 validation, 2 test) as one sample set.
fn pooled(tickers: &[Ticker], part: usize, device: Device) -> Samples {
    fn pick(d: &Dataset, part: usize) -> &crate::data::dataset::Windows {
        match part {
            0 => &d.train,
            1 => &d.val,
            _ => &d.test,
        }
    }
    let x: Vec<f32> = tickers.iter().flat_map(|t| pick(&t.data, part).x.iter().copied()).collect();
    let y: Vec<f32> = tickers.iter().flat_map(|t| pick(&t.data, part).y.iter().copied()).collect();
    let spec = &tickers[0].data.spec;
    Samples::new(&x, &y, spec.window, spec.channels(), device)
}

/// One network trained on every ticker's training windows, stopped early on every ticker's
/// validation windows; its weights and the epochs it ran.
fn train_global(
    tickers: &[Ticker],
    cfg: &StockConfig,
    kind: ModelKind,
    device: Device,
) -> Result<pipeline::Fitted> {
    let parts = (pooled(tickers, 0, device), pooled(tickers, 1, device), pooled(tickers, 2, device));
    let spec = &tickers[0].data.spec;
    let built = pipeline::build_on(parts, spec.channels(), 1, cfg, kind, cfg.seed, device);
    let label = format!("global {}", kind.name());
    pipeline::train(built, &cfg.train, Some(&label), Plant::NONE)
}

/// `net`'s forecasts of every ticker's test days.
fn network_rows(name: &str, tickers: &[Ticker], net: &Net, device: Device) -> Vec<ResultRow> {
    tickers.iter().flat_map(|t| forecast(name, t, net, device)).collect()
}

/// `net`'s forecasts of `t`'s test days, as prices.
fn forecast(name: &str, t: &Ticker, net: &Net, device: Device) -> Vec<ResultRow> {
    let d = &t.data;
    let x = Samples::new(&d.test.x, &d.test.y, d.spec.window, d.spec.channels(), device);
    rows_of(name, t, &d.to_prices(&t.member.series.values, d.test.rows.clone(), &net.predict(&x.x)))
}

/// Rows of `name` from forecast prices of `t`'s test days.
fn rows_of(name: &str, t: &Ticker, prices: &[f64]) -> Vec<ResultRow> {
    let s = &t.member.series;
    t.data
        .test
        .rows
        .clone()
        .zip(prices)
        .map(|(day, &f)| ResultRow {
            contender: name.into(),
            ticker: t.member.ticker.clone(),
            date: s.dates[day],
            previous: s.values[day - 1],
            forecast: f,
            actual: s.values[day],
        })
        .collect()
}

/// Ridge on the same windows: one fitted on every ticker's (`global`) or one per ticker.
fn ridge_rows(tickers: &[Ticker], global: bool) -> Vec<ResultRow> {
    let p = tickers[0].data.spec.window * tickers[0].data.spec.channels();
    let fit = |ts: &[&Ticker]| {
        let cat = |f: &dyn Fn(&Dataset) -> &[f32]| {
            ts.iter().flat_map(|t| f(&t.data).iter().copied()).collect::<Vec<f32>>()
        };
        let (tx, ty) = (cat(&|d| &d.train.x), cat(&|d| &d.train.y));
        let (vx, vy) = (cat(&|d| &d.val.x), cat(&|d| &d.val.y));
        Ridge::choose((&tx, &ty), (&vx, &vy), p)
    };
    let rows_for = |name: &str, t: &Ticker, r: &Ridge| {
        let d = &t.data;
        rows_of(name, t, &d.to_prices(&t.member.series.values, d.test.rows.clone(), &r.predict(&d.test.x)))
    };
    if global {
        let all: Vec<&Ticker> = tickers.iter().collect();
        let r = fit(&all);
        tickers.iter().flat_map(|t| rows_for("global ridge", t, &r)).collect()
    } else {
        tickers.iter().flat_map(|t| rows_for("per-ticker ridge", t, &fit(&[t]))).collect()
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite()).map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// The console's table: one row per contender.
fn table(scores: &[ContenderScore], sections: &[CrossSection], n: usize) -> String {
    let k = sections.first().map_or(0, |s| s.k);
    let cost = sections.first().map_or(0.0, |s| s.cost_bps);
    let mut out = format!(
        "\non the test days, against naive (squared errors of returns; per ticker: Diebold-Mariano, Benjamini-Hochberg at 5%; pooled: each day's mean difference over tickers, Newey-West t) and across tickers (daily IC and rank IC, Newey-West t; long top {k} / short bottom {k}, {cost} bp per half-turn):\n"
    );
    out += &format!(
        "{:<18} {:>9} {:>11} {:>9} {:>15} {:>15} {:>10} {:>10} {:>8}\n",
        "contender", "beat", "sig. +/-", "pooled p", "IC (t)", "rank IC (t)", "L/S gross", "L/S net", "net t"
    );
    for (s, x) in scores.iter().zip(sections) {
        let ic = |v: &Option<crate::eval::cross_section::SeriesSummary>| {
            v.map_or("-".into(), |v| format!("{:+.4} ({:+.1})", v.mean, v.t))
        };
        let pct = |v: &Option<crate::eval::cross_section::SeriesSummary>| {
            v.map_or("-".into(), |v| format!("{:+.3}%", 100.0 * v.mean))
        };
        out += &format!(
            "{:<18} {:>9} {:>11} {:>9} {:>15} {:>15} {:>10} {:>10} {:>8}\n",
            s.contender,
            format!("{}/{n}", s.wins),
            format!("{}/{}", s.significant_wins, s.significant_losses),
            opt(s.pooled_p, 3),
            ic(&x.ic),
            ic(&x.rank_ic),
            pct(&x.gross),
            pct(&x.net),
            opt(x.net.map(|v| v.t), 2)
        );
    }
    out += "beat: tickers where its RMSE is below naive's; sig. +/-: significantly better / worse after the correction; L/S: mean daily return of the long-short book\n";
    out
}

/// The verdicts in words.
fn verdicts(scores: &[ContenderScore], sections: &[CrossSection], head: &[ContenderScore]) -> Vec<String> {
    let mut v = Vec::new();
    for s in scores {
        let pooled = match (s.pooled_p, s.pooled_mean_difference) {
            (Some(p), d) if p < 0.05 && d < 0.0 => format!("beats naive pooled over days (p = {p:.3})"),
            (Some(p), d) if p < 0.05 && d > 0.0 => {
                format!("is worse than naive pooled over days (p = {p:.3})")
            }
            (Some(p), _) => format!("is not distinguishable from naive pooled over days (p = {p:.2})"),
            (None, _) => "could not be tested pooled".into(),
        };
        v.push(format!(
            "{} {pooled}; closer than naive on {} of {} tickers, significantly after correction on {} (worse on {})",
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
            v.push(format!(
                "{}: rank IC {:+.4} a day (t = {:+.2}, p = {p:.2}): it {word}",
                x.contender, r.mean, r.t
            ));
        }
    }
    for h in head {
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
