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

use super::future_copy::with_future_copy;
use super::log::Log;
use crate::config::{PanelConfig, StockConfig};
use crate::data::cross_target::CrossTarget;
use crate::data::features::raw_columns;
use crate::data::panel::{Calendar, Member, Panel};
use crate::data::{load_prices, Dataset, LoadOptions};
use crate::eval::panel::{
    book_tests, cross_section, csv, score, seed_means, BookTests, ContenderScore, CrossSection, ResultRow,
};
use crate::model::ridge::Ridge;
use crate::model::{ModelKind, Net};
use crate::panel_fit::{loss_of, train_global, windowed, with_index, Ticker};
use crate::pipeline;
use crate::report::trading::{trading_png, Curve};
use crate::report::{files, panel_plots};
use crate::train::Samples;

/// The naive forecast's contender name, which every other is judged against.
pub const NAIVE: &str = "naive";
/// The one-day reversal's contender name.
pub const REVERSAL: &str = "reversal";
/// Each ticker's own average daily move over its training rows: what a network that learned
/// only its ticker's drift forecasts, and, ranked across tickers, a bet on past winners.
pub const DRIFT: &str = "drift";

pub fn run(cfg: &PanelConfig) -> Result<()> {
    let started = Instant::now();
    let base = &cfg.base;
    let mut log = Log::printing(false);
    let load = LoadOptions { columns: raw_columns(&base.features), ..base.load.clone() };
    let panel = Panel::load(&base.csv, &load)?;
    let spec = base.input_spec();
    let cals = Calendar::walk_forward(&panel.dates, base.val_frac, base.test_frac, cfg.folds)?;
    log.line(&format!(
        "{}: {} tickers, {} .. {} ({} days on the union calendar), target \"{}\"",
        base.csv.display(),
        panel.members.len(),
        cals[0].first,
        panel.dates[panel.dates.len() - 1],
        cals[0].days,
        panel.members[0].series.target_col
    ));
    // every fold's tickers are checked before the first network trains
    let usable: Vec<_> = cals.iter().map(|cal| panel.usable(cal, spec.lookback())).collect();
    for (i, (cal, (kept, dropped))) in cals.iter().zip(&usable).enumerate() {
        let fold = if cals.len() > 1 { format!("fold {} of {}: ", i + 1, cals.len()) } else { String::new() };
        log.line(&format!(
            "{fold}one calendar for every ticker: train before {}, validation {} .. before {}, test {} .. {}; a ticker is kept when each part has a target day after its first {}-day window",
            cal.val_start, cal.val_start, cal.test_start, cal.test_start, cal.last, spec.lookback()
        ));
        for (ticker, why) in dropped {
            log.line(&format!("{fold}dropped {ticker}: {why}"));
        }
        if kept.len() < 2 * cfg.k {
            crate::bail_input!(
                "--k {}: the long-short book holds {} tickers a day, and {} are usable{}; lower --k",
                cfg.k,
                2 * cfg.k,
                kept.len(),
                if cals.len() > 1 { format!(" in fold {}", i + 1) } else { String::new() }
            );
        }
        if kept.len() < 2 {
            crate::bail_input!(
                "{}: {} ticker(s) usable with these settings; a panel needs two or more (lower --window or give longer files)",
                base.csv.display(),
                kept.len()
            );
        }
    }
    files::check_out_dir(&base.out)?;
    let device = crate::device::resolve(base.device)?;
    crate::engine::threads::use_threads(base.threads);
    crate::interrupt::install();
    log.line(&learning(cfg));
    let mut rows = Vec::new();
    let mut timings = Vec::new();
    let mut folds = Vec::new();
    let mut kept_names: Vec<String> = Vec::new();
    let mut leak = None;
    for (i, (cal, (kept, dropped))) in cals.iter().zip(usable).enumerate() {
        let fold = i + 1;
        let members: Vec<Member> = kept.into_iter().cloned().collect();
        let tickers = windowed(&members, cal, cfg)?;
        let windows: usize = tickers.iter().map(|t| t.data.train.rows.len()).sum();
        log.line(&format!(
            "{}{} tickers kept, {} dropped; {windows} training windows in all; every window once per epoch, shuffled across tickers (a ticker weighs by its rows)",
            if cals.len() > 1 { format!("fold {fold} of {}: ", cals.len()) } else { String::new() },
            tickers.len(),
            dropped.len()
        ));
        let (mut fold_rows, fold_timings) = contend(&tickers, cfg, device, Some(&mut log))?;
        for r in &mut fold_rows {
            r.fold = fold;
        }
        // the leakage check cuts the first fold's test days; later folds train on days after
        // its cutoff and rightly forecast otherwise
        if cfg.sanity && fold == 1 {
            leak = Some(leak_check(&members, &load, cal, cfg, device, &tickers, &fold_rows)?);
        }
        for t in &tickers {
            if !kept_names.contains(&t.member.ticker) {
                kept_names.push(t.member.ticker.clone());
            }
        }
        rows.extend(fold_rows);
        timings.push(json!({"fold": fold, "contenders": fold_timings}));
        folds.push(json!({"fold": fold, "calendar": cal, "kept": tickers.len(), "dropped": dropped, "training_windows": windows}));
    }
    let (scores, sections, head_to_head) = judge(&judged(&rows, cfg), cfg);
    let per_seed = per_seed(&rows, cfg);
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
    if let Some(l) = &leak {
        log.line(&l.sentence());
    }

    let _out = files::OutputDir::open(&base.out)?;
    files::write_atomic(&base.out.join("results.csv"), csv(&rows).as_bytes())?;
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
    let before = panel.dates[panel.dates.partition_point(|d| *d < cals[0].test_start) - 1];
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
            "folds": folds,
            "kept": kept_names,
            "scores": scores,
            "cross_section": sections,
            "books": books,
            "global_vs_per_ticker": head_to_head,
            "per_seed": per_seed,
            "leakage_check": leak,
            "timings": timings,
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
            title: format!("{name}: one network over {} tickers", kept_names.len()),
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

/// Every contender's forecasts of every ticker's test days, and what training each took.
fn contend(
    tickers: &[Ticker],
    cfg: &PanelConfig,
    device: Device,
    mut log: Option<&mut Log>,
) -> Result<(Vec<ResultRow>, Vec<serde_json::Value>)> {
    let verbose = log.is_some();
    let base = &cfg.base;
    let ranked = cfg.cross_target.is_some();
    let mut rows = baseline_rows(tickers);
    let mut timings = Vec::new();
    let seeds: Vec<u64> = (0..cfg.seeds as u64).map(|k| base.seed + k).collect();
    let mut global_seconds: Vec<(ModelKind, f64, usize)> = Vec::new();
    for &kind in &cfg.models {
        let t0 = Instant::now();
        let name = format!("global {}", kind.name().to_uppercase());
        let mut epochs = Vec::new();
        for &seed in &seeds {
            let fitted = train_global(tickers, cfg, kind, seed, device, verbose)?;
            epochs.push(fitted.history.train_loss.len());
            rows.extend(network_rows(&name, seed, tickers, &fitted.net, device, ranked));
        }
        let seconds = t0.elapsed().as_secs_f64();
        if let Some(l) = log.as_deref_mut() {
            l.line(&format!("{name}: {epochs:?} epochs (per seed) in {seconds:.1} s"));
        }
        global_seconds.push((kind, seconds, epochs.iter().sum()));
        timings.push(json!({"contender": name, "seconds": seconds, "epochs": epochs}));
    }
    rows.extend(ridge_rows(tickers, true, ranked));
    rows.extend(ridge_rows(tickers, false, ranked));
    if cfg.per_ticker {
        for &kind in &cfg.models {
            let t0 = Instant::now();
            let name = format!("per-ticker {}", kind.name().to_uppercase());
            let bar = progress(if verbose { tickers.len() } else { 0 }, &name);
            let mut network_epochs = 0;
            for t in tickers {
                for &seed in &seeds {
                    let one = StockConfig { model: kind, ..base.clone() };
                    let mut b = pipeline::build(&t.data, &one, kind, seed, device);
                    b.net.loss = loss_of(cfg);
                    let f = pipeline::train(b, &base.train, None, base.load.plant)?;
                    network_epochs += f.history.train_loss.len();
                    rows.extend(forecast(&name, seed, t, None, &f.net, device, ranked));
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            let seconds = t0.elapsed().as_secs_f64();
            if let Some(l) = log.as_deref_mut() {
                // an epoch of the per-ticker networks: each network once over its own windows
                let per_epoch = seconds / (network_epochs as f64 / tickers.len() as f64);
                let ratio = global_seconds.iter().find(|(k, ..)| *k == kind).map_or(String::new(), |(_, g, e)| {
                    format!(
                        "; one global network cost {:.2} of their time in all, and {:.2} of it per epoch over every ticker's windows ({:.1} s against {per_epoch:.1} s)",
                        g / seconds,
                        g / *e as f64 / per_epoch,
                        g / *e as f64
                    )
                });
                l.line(&format!(
                    "{name}: {} networks, {network_epochs} epochs in all, in {seconds:.1} s{ratio}",
                    tickers.len() * seeds.len()
                ));
            }
            timings.push(json!({"contender": name, "seconds": seconds, "network_epochs": network_epochs}));
        }
    }
    if seeds.len() > 1 {
        rows.extend(seed_means(&rows));
    } else {
        // one seed: its rows are the judged ones
        for r in &mut rows {
            r.seed = None;
        }
    }
    Ok((rows, timings))
}

/// The rows every figure is computed from: each deterministic contender's, and each network's
/// forecast averaged over its seeds (its only one with a single seed).
fn judged(rows: &[ResultRow], cfg: &PanelConfig) -> Vec<ResultRow> {
    rows.iter().filter(|r| cfg.seeds == 1 || r.seed.is_none()).cloned().collect()
}

/// What the networks learn, in a line.
fn learning(cfg: &PanelConfig) -> String {
    let b = &cfg.base;
    let inputs = format!(
        "{} days of {}, {}",
        b.window,
        b.target.name(),
        if cfg.pooled_scale {
            "standardised with the mean and sd of every ticker's training days together"
        } else {
            "min-max scaled on each ticker's own training days"
        }
    );
    let target = match cfg.cross_target {
        Some(CrossTarget::AboveMedian) => "whether the next day's return is at or above that day's median across tickers (cross-entropy; the forecast is a logit, a ranking score)".to_string(),
        Some(CrossTarget::Rank) => "the next day's return's rank among that day's tickers, 0..1 (squared error; the forecast is a ranking score)".to_string(),
        None => format!("the next day's {} (squared error)", b.target.name()),
    };
    let preset = cfg.preset.map_or(String::new(), |_| "preset fischer-krauss; ".to_string());
    let embed = if cfg.embed > 0 {
        format!("; the global networks also see a learned embedding of each ticker ({} numbers)", cfg.embed)
    } else {
        String::new()
    };
    format!(
        "{preset}inputs: {inputs}; target: {target}; {} layer(s) of {} units, {}, learning rate {}, batch {}{embed}",
        b.layers,
        b.hidden,
        match b.train.optimizer {
            crate::train::Optimizer::Adam => "Adam",
            crate::train::Optimizer::Rmsprop => "RMSprop",
        },
        b.train.lr,
        b.train.batch
    )
}

/// Each network contender's figures per seed (with `--seeds` above 1): its rank IC and pooled
/// test against naive, from that seed's rows alone.
fn per_seed(rows: &[ResultRow], cfg: &PanelConfig) -> Vec<serde_json::Value> {
    if cfg.seeds < 2 {
        return vec![];
    }
    let mut out = Vec::new();
    let scopes: &[&str] = if cfg.per_ticker { &["global", "per-ticker"] } else { &["global"] };
    let names = scopes
        .iter()
        .flat_map(|scope| cfg.models.iter().map(move |k| format!("{scope} {}", k.name().to_uppercase())));
    for name in names {
        for k in 0..cfg.seeds as u64 {
            let seed = cfg.base.seed + k;
            let mine: Vec<ResultRow> = rows
                .iter()
                .filter(|r| r.seed == Some(seed) || (r.contender == NAIVE && r.seed.is_none()))
                .map(|r| ResultRow { seed: None, ..r.clone() })
                .collect();
            if !mine.iter().any(|r| r.contender == name) {
                continue;
            }
            let x = cross_section(&mine, &name, cfg.k, cfg.base.cost_bps);
            let sc = score(&mine, &name, NAIVE);
            out.push(json!({
                "contender": name,
                "seed": seed,
                "rank_ic": x.rank_ic,
                "net": x.net,
                "pooled_p": sc.pooled_p,
                "pooled_mean_difference": sc.pooled_mean_difference,
            }));
        }
    }
    out
}

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

/// Every contender's forecasts across tickers (ICs and the long-short book).
fn cross_sections(rows: &[ResultRow], cfg: &PanelConfig) -> Vec<CrossSection> {
    // a fault the leakage check's tests plant: the book ranks on the day's own outcome
    let peeked: Vec<ResultRow>;
    let ranked = if cfg.base.load.plant.trades_on_close() {
        peeked = rows
            .iter()
            .map(|r| ResultRow { forecast: r.actual, score: r.score.map(|_| r.actual_return()), ..r.clone() })
            .collect();
        &peeked
    } else {
        rows
    };
    contender_names(cfg).iter().map(|c| cross_section(ranked, c, cfg.k, cfg.base.cost_bps)).collect()
}

/// Every contender against naive, across tickers, and each global network against its
/// per-ticker twin.
fn judge(
    rows: &[ResultRow],
    cfg: &PanelConfig,
) -> (Vec<ContenderScore>, Vec<CrossSection>, Vec<ContenderScore>) {
    let scores = contender_names(cfg).iter().map(|c| score(rows, c, NAIVE)).collect();
    let sections = cross_sections(rows, cfg);
    let head = if cfg.per_ticker {
        cfg.models
            .iter()
            .map(|k| {
                let n = k.name().to_uppercase();
                score(rows, &format!("global {n}"), &format!("per-ticker {n}"))
            })
            .collect()
    } else {
        vec![]
    };
    (scores, sections, head)
}

/// The panel's leakage check: the whole run again, from loading on, with a copy of one ticker's
/// file whose rows from a cutoff day in the middle of the test period on follow another path
/// (see [`crate::data::perturb::future_file`]); every target dated before the cutoff, every
/// contender's forecast of every ticker made before it (that day's own included), and every
/// day's IC, rank IC and long-short return before it, must be identical bit for bit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PanelLeakCheck {
    pub ticker: String,
    pub cutoff: chrono::NaiveDate,
    /// Forecasts and cross-section days dated before the cutoff that were compared.
    pub compared: usize,
    /// Those that changed, and the first of them in words.
    pub changed: usize,
    pub first_change: Option<String>,
}

impl PanelLeakCheck {
    pub fn passed(&self) -> bool {
        self.changed == 0 && self.compared > 0
    }

    pub fn sentence(&self) -> String {
        if self.passed() {
            format!(
                "leakage check PASS: with a copy of {}'s file whose prices from {} on follow another path, all {} targets dated before that day, forecasts and long-short positions decided before it (that day's own included), and the ICs and long-short returns of the days before it, are identical, for every contender and ticker",
                self.ticker, self.cutoff, self.compared
            )
        } else {
            format!(
                "leakage check LEAK: with a copy of {}'s file whose prices from {} on follow another path, {} of {} figures dated before that day changed (first: {}): something reads the future",
                self.ticker,
                self.cutoff,
                self.changed,
                self.compared,
                self.first_change.as_deref().unwrap_or("none compared")
            )
        }
    }
}

/// Every window's target, by ticker and target day, as bits.
fn targets(tickers: &[Ticker]) -> Vec<((String, chrono::NaiveDate), u32)> {
    let mut out = Vec::new();
    for t in tickers {
        for w in [&t.data.train, &t.data.val, &t.data.test] {
            for (row, y) in w.rows.clone().zip(&w.y) {
                out.push(((t.member.ticker.clone(), t.member.series.dates[row]), y.to_bits()));
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn leak_check(
    members: &[Member],
    load: &LoadOptions,
    cal: &Calendar,
    cfg: &PanelConfig,
    device: Device,
    honest_tickers: &[Ticker],
    honest: &[ResultRow],
) -> Result<PanelLeakCheck> {
    let d = &members[0].series.dates;
    let s = cal.split_of(d);
    let cutoff_row = s.val_end + (s.len - s.val_end) / 2;
    let cutoff = d[cutoff_row];
    let first = &members[0];
    // the member's own file (a folder's) or the long file with its ticker picked out
    let (file, opts) = if cfg.base.csv.is_dir() {
        (std::path::PathBuf::from(&first.series.source), load.clone())
    } else {
        (cfg.base.csv.clone(), LoadOptions { ticker: Some(first.ticker.clone()), ..load.clone() })
    };
    let mut altered = members.to_vec();
    altered[0].series =
        with_future_copy(&file, &first.series, &opts, cutoff_row, |path| load_prices(path, &opts))?;
    let tickers = windowed(&altered, cal, cfg)?;
    let (rows, _) = contend(&tickers, cfg, device, None)?;
    // a forecast of the cutoff day is made the evening before it: fixed too; that day's IC and
    // returns read its outcome, so the cross-section is compared on the days before it
    let before = |r: &&ResultRow| r.date <= cutoff;
    let key = |r: &ResultRow| (r.contender.clone(), r.seed, r.ticker.clone(), r.date);
    // the forecast price and the ranking score, as bits (a ranking's price is NaN in both runs)
    let bits = |r: &ResultRow| (r.forecast.to_bits(), r.score.map(f64::to_bits));
    let theirs: std::collections::HashMap<_, (u64, Option<u64>)> =
        rows.iter().filter(before).map(|r| (key(r), bits(r))).collect();
    let mut compared = 0;
    let mut changed = Vec::new();
    // every training, validation and test target dated before the cutoff
    let theirs_y: std::collections::HashMap<_, u32> = targets(&tickers).into_iter().collect();
    for (key, y) in targets(honest_tickers).into_iter().filter(|((_, d), _)| *d < cutoff) {
        compared += 1;
        if theirs_y.get(&key) != Some(&y) {
            changed.push(format!("the target of {} on {}", key.0, key.1));
        }
    }
    for r in honest.iter().filter(before) {
        compared += 1;
        match theirs.get(&key(r)) {
            Some(b) if *b == bits(r) => {}
            other => changed.push(format!(
                "{} {} on {}: forecast {} score {:?}, altered: {}",
                r.contender,
                r.ticker,
                r.date,
                r.forecast,
                r.score,
                other.map_or("missing".into(), |(f, s)| format!(
                    "forecast {} score {:?}",
                    f64::from_bits(*f),
                    s.map(f64::from_bits)
                ))
            )),
        }
    }
    let honest_sections = cross_sections(&judged(honest, cfg), cfg);
    for (x, y) in honest_sections.iter().zip(&cross_sections(&judged(&rows, cfg), cfg)) {
        // the book is decided the evening before: the cutoff day's positions are fixed too
        for (p, q) in x.days.iter().zip(&y.days).filter(|(p, _)| p.date <= cutoff) {
            compared += 1;
            if p.long != q.long || p.short != q.short {
                changed.push(format!("{}'s positions on {}", x.contender, p.date));
            }
        }
        for (p, q) in x.days.iter().zip(&y.days).filter(|(p, _)| p.date < cutoff) {
            compared += 1;
            let same = |u: Option<f64>, v: Option<f64>| u.map(f64::to_bits) == v.map(f64::to_bits);
            if !(same(p.ic, q.ic)
                && same(p.rank_ic, q.rank_ic)
                && p.gross.to_bits() == q.gross.to_bits()
                && p.net.to_bits() == q.net.to_bits())
            {
                changed.push(format!("{}'s cross-section on {}", x.contender, p.date));
            }
        }
    }
    Ok(PanelLeakCheck {
        ticker: members[0].ticker.clone(),
        cutoff,
        compared,
        changed: changed.len(),
        first_change: changed.into_iter().next(),
    })
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
                score: None,
                seed: None,
                fold: 1,
            };
            rows.push(row(NAIVE, prev));
            rows.push(row(REVERSAL, prev * (1.0 - last)));
            rows.push(row(DRIFT, prev * drift.exp()));
        }
    }
    rows
}

/// `net`'s forecasts of every ticker's test days (a network with an embedding told each
/// ticker's index).
fn network_rows(
    name: &str,
    seed: u64,
    tickers: &[Ticker],
    net: &Net,
    device: Device,
    ranked: bool,
) -> Vec<ResultRow> {
    let embedded = net.embed.is_some();
    tickers
        .iter()
        .enumerate()
        .flat_map(|(i, t)| forecast(name, seed, t, embedded.then_some(i), net, device, ranked))
        .collect()
}

/// `net`'s forecasts of `t` (ticker `index` of an embedding)'s test days (see [`rows_of`]).
fn forecast(
    name: &str,
    seed: u64,
    t: &Ticker,
    index: Option<usize>,
    net: &Net,
    device: Device,
    ranked: bool,
) -> Vec<ResultRow> {
    let d = &t.data;
    let c = d.spec.channels();
    let x = with_index(&d.test.x, c, index);
    let x = Samples::new(&x, &d.test.y, d.spec.window, c + usize::from(index.is_some()), device);
    rows_of(name, Some(seed), t, &net.predict(&x.x), ranked)
}

/// Rows of `name` from a model's outputs on `t`'s test windows: forecast prices, or with
/// `ranked` (a cross-sectional target) ranking scores and no price.
fn rows_of(name: &str, seed: Option<u64>, t: &Ticker, out: &[f32], ranked: bool) -> Vec<ResultRow> {
    let (s, d) = (&t.member.series, &t.data);
    let prices =
        if ranked { vec![f64::NAN; out.len()] } else { d.to_prices(&s.values, d.test.rows.clone(), out) };
    d.test
        .rows
        .clone()
        .zip(prices)
        .zip(out)
        .map(|((day, f), &o)| ResultRow {
            contender: name.into(),
            ticker: t.member.ticker.clone(),
            date: s.dates[day],
            previous: s.values[day - 1],
            forecast: f,
            actual: s.values[day],
            score: ranked.then_some(o as f64),
            seed,
            fold: 1,
        })
        .collect()
}

/// Ridge on the same windows: one fitted on every ticker's (`global`) or one per ticker.
fn ridge_rows(tickers: &[Ticker], global: bool, ranked: bool) -> Vec<ResultRow> {
    let p = tickers[0].data.spec.window * tickers[0].data.spec.channels();
    let fit = |ts: &[&Ticker]| {
        let cat = |f: &dyn Fn(&Dataset) -> &[f32]| {
            ts.iter().flat_map(|t| f(&t.data).iter().copied()).collect::<Vec<f32>>()
        };
        let (tx, ty) = (cat(&|d| &d.train.x), cat(&|d| &d.train.y));
        let (vx, vy) = (cat(&|d| &d.val.x), cat(&|d| &d.val.y));
        Ridge::choose((&tx, &ty), (&vx, &vy), p)
    };
    let rows_for =
        |name: &str, t: &Ticker, r: &Ridge| rows_of(name, None, t, &r.predict(&t.data.test.x), ranked);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Plant;
    use crate::model::ModelKind;
    use crate::train::TrainConfig;

    /// A folder of `n` tickers' random walks (weekdays from 2016-01-04), each its own.
    fn folder(dir: &std::path::Path, n: usize) {
        std::fs::create_dir_all(dir).unwrap();
        for i in 0..n {
            let rows =
                crate::test_support::walk(300, 40 + i as u64, 30.0 + 7.0 * i as f64, 0.04, (2016, 1, 4));
            let text: String = std::iter::once("Date,Close\n".to_string())
                .chain(rows.iter().map(|(d, p)| format!("{d},{p:.4}\n")))
                .collect();
            std::fs::write(dir.join(format!("T{i}.csv")), text).unwrap();
        }
    }

    fn config(dir: &std::path::Path, plant: Plant) -> PanelConfig {
        let base = StockConfig {
            target: crate::data::TargetKind::LogReturn,
            window: 5,
            hidden: 6,
            train: TrainConfig {
                epochs: 3,
                batch: 32,
                lr: 0.01,
                clip: 1.0,
                patience: 10,
                optimizer: crate::train::Optimizer::Adam,
                input_dropout: 0.0,
            },
            ..crate::test_support::stock_config(dir.to_path_buf(), dir.join("out"), plant)
        };
        PanelConfig {
            base,
            seeds: 1,
            models: vec![ModelKind::Gru],
            k: 2,
            per_ticker: true,
            sanity: true,
            cross_target: None,
            pooled_scale: false,
            embed: 0,
            preset: None,
            folds: 1,
        }
    }

    /// The panel's leakage check passes on honest runs (a return target, and a cross-sectional
    /// one with pooled scaling) and fires on leaks planted where they live: a loader that
    /// smooths over a centred window, scalers fitted across the test period, windows that hold
    /// their own target day, early stopping on the test part (a training-loop fault: every
    /// forecast moves), a book ranked on the day's own outcome, and cross-sectional targets
    /// ranked with the next day's returns; with walk-forward folds too (the check cuts the
    /// first fold's test days).
    #[test]
    fn the_panel_leakage_check_passes_honest_runs_and_catches_planted_leaks() {
        let _rng = crate::test_support::torch_rng();
        let root = std::env::temp_dir().join(format!("lstm-stock-panel-leak-{}", std::process::id()));
        folder(&root.join("prices"), 5);
        let leaks = Plant::leaks();
        let ranked = Some(CrossTarget::Rank);
        let cases = [
            (Plant::NONE, "honest", None, 1),
            (Plant::NONE, "honest, ranked", ranked, 1),
            (Plant::NONE, "honest, two folds", None, 2),
            (Plant::CENTRED_LOAD, "loader smoothing over a centred window", None, 1),
            (leaks[0].0, leaks[0].1, None, 1),
            (leaks[0].0, "scaler on all rows, two folds", None, 2),
            (leaks[1].0, leaks[1].1, None, 1),
            (leaks[4].0, leaks[4].1, None, 1),
            (leaks[1].0, "a ranked target's window that holds its own target day", ranked, 1),
            (Plant::TRADING_ON_CLOSE, "book on the day's close", None, 1),
            (Plant::CROSS_NEXT_DAY, "cross-sectional target ranked with the next day", ranked, 1),
        ];
        for (k, (plant, name, cross, folds)) in cases.into_iter().enumerate() {
            let dir = root.join(format!("run{k}"));
            let mut cfg = config(&root.join("prices"), plant);
            cfg.base.out = dir.clone();
            cfg.folds = folds;
            cfg.cross_target = cross;
            cfg.pooled_scale = cross.is_some();
            run(&cfg).unwrap();
            let j: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("panel.json")).unwrap()).unwrap();
            let check = &j["leakage_check"];
            let changed = check["changed"].as_u64().unwrap();
            assert!(check["compared"].as_u64().unwrap() > 100, "{check}");
            assert_eq!(changed == 0, plant == Plant::NONE, "{name}: {check}");
        }
        std::fs::remove_dir_all(&root).ok();
    }
}
