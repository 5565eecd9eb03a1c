//! `lstm-stock panel DIR`: one network over many tickers. Every ticker is split on one calendar
//! (or on each walk-forward fold's) and scaled on its own training rows; global LSTM/GRU
//! networks train on all tickers' windows together, beside per-ticker networks with the same
//! settings, ridge regressions (global and per ticker), naive and the one-day reversal, all on
//! identical (ticker, day) pairs. Every figure is then computed from one results table (see
//! [`crate::eval::panel`]): per ticker against naive with a false-discovery correction, pooled
//! over days, and across tickers (IC, rank IC, a daily top-k / bottom-k portfolio net of costs).
//!
//! The work is a plan of jobs ([`jobs`]); a run does them all, `--shard i/N` every N-th on
//! another machine, and `--merge` judges the shards' jobs as one run ([`shards`]).

mod jobs;
mod judge;
mod leak;
mod report;
mod shards;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use tch::Device;

use super::log::Log;
use crate::config::PanelConfig;
use crate::data::cross_target::CrossTarget;
use crate::data::features::raw_columns;
use crate::data::panel::{Calendar, Member, Panel};
use crate::data::LoadOptions;
use crate::eval::panel::ResultRow;
use crate::panel_fit::windowed;
use crate::report::files;
use jobs::{Done, Job};
use judge::finish_seeds;
use report::Outcome;
use shards::ShardFile;

/// A panel loaded and cut into folds: what a run and each of its shards compute alike.
struct Prepared {
    panel: Panel,
    load: LoadOptions,
    cals: Vec<Calendar>,
    /// Each fold's kept members, and its dropped tickers with why.
    usable: Vec<Usable>,
}

/// A fold's kept members, and its dropped tickers with why.
type Usable = (Vec<Member>, Vec<(String, String)>);

impl Prepared {
    /// Loads the panel, cuts its calendar and checks every fold's tickers before anything
    /// trains, saying what it did in `log`.
    fn load(cfg: &PanelConfig, log: &mut Log) -> Result<Prepared> {
        let base = &cfg.base;
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
        for m in &panel.members {
            for s in crate::data::spikes::round_trips(&m.series.values) {
                log.line(&format!(
                    "{}: the close of {} ({}, line {}) is {:+.0}% from the day before and the next day takes it back ({} -> {} -> {}): a bad print? Every contender is scored on it alike; fix the file if it is one",
                    m.ticker,
                    m.series.dates[s.row],
                    m.series.source,
                    m.series.lines[s.row],
                    100.0 * (s.value / s.before - 1.0),
                    s.before,
                    s.value,
                    s.after
                ));
            }
        }
        let mut usable = Vec::new();
        for (i, cal) in cals.iter().enumerate() {
            let (kept, dropped) = panel.usable(cal, spec.lookback());
            let fold = fold_prefix(i + 1, cals.len());
            log.line(&format!(
                "{fold}one calendar for every ticker: train before {}, validation {} .. before {}, test {} .. {}; a ticker is kept when its training and validation parts each have a target day after its first {}-day window (with test days or not: that is the future)",
                cal.val_start, cal.val_start, cal.test_start, cal.test_start, cal.last, spec.lookback()
            ));
            for (ticker, why) in &dropped {
                log.line(&format!("{fold}dropped {ticker}: {why}"));
            }
            // the book and the cross-section need tickers with test days
            let forecast = kept
                .iter()
                .filter(|m| {
                    let s = cal.split_of(&m.series.dates);
                    s.len > s.val_end
                })
                .count();
            if forecast < kept.len() {
                log.line(&format!(
                    "{fold}{} kept ticker(s) left before the test days: they train, with nothing to forecast",
                    kept.len() - forecast
                ));
            }
            if forecast < 2 * cfg.k {
                crate::bail_input!(
                    "--k {}: the long-short book holds {} tickers a day, and {} are usable{}; lower --k",
                    cfg.k,
                    2 * cfg.k,
                    forecast,
                    if cals.len() > 1 { format!(" in fold {}", i + 1) } else { String::new() }
                );
            }
            if forecast < 2 {
                crate::bail_input!(
                    "{}: {} ticker(s) usable with these settings; a panel needs two or more (lower --window or give longer files)",
                    base.csv.display(),
                    forecast
                );
            }
            usable.push((kept.into_iter().cloned().collect(), dropped));
        }
        Ok(Prepared { panel, load, cals, usable })
    }

    fn kept_counts(&self) -> Vec<usize> {
        self.usable.iter().map(|(kept, _)| kept.len()).collect()
    }

    /// Every ticker kept in some fold, in the panel's order.
    fn kept_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for m in self.usable.iter().flat_map(|(kept, _)| kept) {
            if !names.contains(&m.ticker) {
                names.push(m.ticker.clone());
            }
        }
        names
    }

    /// The panel's last day before the first test day.
    fn before_test(&self) -> chrono::NaiveDate {
        let d = &self.panel.dates;
        d[d.partition_point(|x| *x < self.cals[0].test_start) - 1]
    }

    /// Does the jobs `ids` of `plan`, fold by fold, saying what each fold holds and what its
    /// training took; also returns every fold's summary for panel.json.
    fn run(
        &self,
        cfg: &PanelConfig,
        plan: &[Job],
        ids: &[usize],
        device: Device,
        log: &mut Log,
    ) -> Result<(Vec<Done>, Vec<serde_json::Value>)> {
        let counts = self.kept_counts();
        let mut done = Vec::new();
        let mut folds = Vec::new();
        for (f, (cal, (members, dropped))) in self.cals.iter().zip(&self.usable).enumerate() {
            let fold = f + 1;
            let tickers = windowed(members, cal, cfg)?;
            let windows: usize = tickers.iter().map(|t| t.data.train.rows.len()).sum();
            log.line(&format!(
                "{}{} tickers kept, {} dropped; {windows} training windows in all; every window once per epoch, shuffled across tickers (a ticker weighs by its rows)",
                fold_prefix(fold, self.cals.len()),
                tickers.len(),
                dropped.len()
            ));
            if fold == 1 {
                log.line(&learning(cfg));
            }
            folds.push(json!({"fold": fold, "calendar": cal, "kept": tickers.len(), "dropped": dropped, "training_windows": windows}));
            let mine: Vec<usize> = ids.iter().copied().filter(|&i| plan[i].fold() == fold).collect();
            let prefix = fold_prefix(fold, self.cals.len());
            // a global network's line as soon as it is trained: the per-ticker ones take long
            let mut each = |d: &Done| {
                if let Job::Global { model, seed, .. } = d.job {
                    log.line(&format!(
                        "{prefix}{} (seed {seed}): {} epochs in {:.1} s",
                        jobs::network_name("global", model),
                        d.epochs,
                        d.seconds
                    ));
                }
            };
            let fold_done = jobs::run_fold(plan, &mine, &tickers, cfg, device, true, &mut each)?;
            for line in jobs::timings(&fold_done, cfg, &counts).0 {
                log.line(&line);
            }
            done.extend(fold_done);
        }
        Ok((done, folds))
    }
}

/// "fold 2 of 4: " with several folds, nothing with one.
fn fold_prefix(fold: usize, folds: usize) -> String {
    if folds > 1 {
        format!("fold {fold} of {folds}: ")
    } else {
        String::new()
    }
}

/// The device, threads and Ctrl-C handling a run trains with.
fn start(cfg: &PanelConfig) -> Result<Device> {
    let device = crate::device::resolve(cfg.base.device)?;
    crate::engine::threads::use_threads(cfg.base.threads);
    crate::interrupt::install();
    Ok(device)
}

/// Every row of `done`, seeds finished.
fn rows_of(done: &[Done], seeds: usize) -> Vec<ResultRow> {
    finish_seeds(done.iter().flat_map(|d| d.rows.iter().cloned()).collect(), seeds)
}

/// `panel DIR`: every job, judged, with the leakage check on the first fold if asked.
pub fn run(cfg: &PanelConfig) -> Result<()> {
    let started = Instant::now();
    let mut log = Log::printing(false);
    let prep = Prepared::load(cfg, &mut log)?;
    files::check_out_dir(&cfg.base.out)?;
    let device = start(cfg)?;
    let plan = jobs::plan(cfg, &prep.kept_counts());
    let all: Vec<usize> = (0..plan.len()).collect();
    let (done, folds) = prep.run(cfg, &plan, &all, device, &mut log)?;
    let rows = rows_of(&done, cfg.seeds);
    // the leakage check cuts the first fold's test days; later folds train on days after its
    // cutoff and rightly forecast otherwise
    let leak = if cfg.sanity {
        let honest: Vec<ResultRow> = rows.iter().filter(|r| r.fold == 1).cloned().collect();
        Some(leak::check(&prep.usable[0].0, &prep.load, &prep.cals[0], cfg, &plan, &honest, device)?)
    } else {
        None
    };
    let timings = jobs::timings(&done, cfg, &prep.kept_counts()).1;
    let outcome = Outcome {
        rows,
        folds,
        kept: prep.kept_names(),
        before_test: prep.before_test(),
        timings,
        shards: None,
    };
    report::write(cfg, &outcome, leak.as_ref(), log, started)
}

/// `panel DIR --shard i/N`: every N-th job of the run from the i-th, written to
/// `panel-shard-i-of-N.json` in `cfg.base.out` for `--merge`.
pub fn shard(cfg: &PanelConfig, (i, n): (usize, usize)) -> Result<()> {
    if n == 0 || i >= n {
        crate::bail_input!("--shard {i}/{n}: expected i/N with 0 <= i < N, e.g. --shard 0/4");
    }
    if cfg.sanity {
        crate::bail_input!(
            "--sanity with --shard: the leakage check reruns a whole fold; run it without --shard"
        );
    }
    let mut log = Log::printing(false);
    let prep = Prepared::load(cfg, &mut log)?;
    files::check_out_dir(&cfg.base.out)?;
    let device = start(cfg)?;
    // the bytes the shard trains on, fingerprinted before it trains
    let input_sha256 = shards::input_sha256(&cfg.base.csv)?;
    let plan = jobs::plan(cfg, &prep.kept_counts());
    let mine: Vec<usize> = (i..plan.len()).step_by(n).collect();
    log.line(&format!("shard {i}/{n}: {} of the run's {} jobs", mine.len(), plan.len()));
    let (done, folds) = prep.run(cfg, &plan, &mine, device, &mut log)?;
    let file =
        ShardFile::new(cfg, input_sha256, (i, n), plan, folds, prep.kept_names(), prep.before_test(), done);
    let _out = files::OutputDir::open(&cfg.base.out)?;
    let path = ShardFile::path(&cfg.base.out, (i, n));
    files::write_json(&path, &file)?;
    log.line(&format!(
        "wrote {}; when every shard is done: lstm-stock panel --merge {}",
        path.display(),
        cfg.base.out.display()
    ));
    Ok(())
}

/// `panel --merge DIR...`: the shards' jobs judged as one run, written to `out`.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<()> {
    let started = Instant::now();
    let (m, paths) = shards::read(inputs)?;
    let mut cfg = m.config.clone();
    cfg.base.out = out.to_path_buf();
    files::check_out_dir(out)?;
    let mut log = Log::printing(false);
    log.line(&format!(
        "{}: {} shard file(s) merged, {} jobs",
        cfg.base.csv.display(),
        paths.len(),
        m.plan.len()
    ));
    log.line(&learning(&cfg));
    let counts: Vec<usize> = m.folds.iter().map(|f| f["kept"].as_u64().unwrap_or(0) as usize).collect();
    let (lines, timings) = jobs::timings(&m.done, &cfg, &counts);
    for line in lines {
        log.line(&line);
    }
    let outcome = Outcome {
        rows: rows_of(&m.done, cfg.seeds),
        folds: m.folds,
        kept: m.kept,
        before_test: m.before_test,
        timings,
        shards: Some(paths.iter().map(|p| p.display().to_string()).collect()),
    };
    report::write(&cfg, &outcome, None, log, started)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StockConfig;
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
