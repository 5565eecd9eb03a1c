//! What a panel run trains and forecasts, as jobs. Per fold: the baselines (naive, the one-day
//! reversal, drift) as one job, each global network (model, seed) as one, the ridge
//! regressions (global and per ticker) as one, and each per-ticker network (model, seed,
//! ticker) as one. A run
//! does every job in order; `--shard i/N` does every N-th, and `--merge` puts them together.

use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tch::Device;

use crate::config::{PanelConfig, StockConfig};
use crate::data::Dataset;
use crate::eval::panel::ResultRow;
use crate::model::ridge::Ridge;
use crate::model::{ModelKind, Net};
use crate::panel_fit::{loss_of, train_global, with_index, Ticker};
use crate::pipeline;
use crate::train::Samples;

/// The naive forecast's contender name, which every other is judged against.
pub const NAIVE: &str = "naive";

/// The one-day reversal's contender name.
pub const REVERSAL: &str = "reversal";

/// Each ticker's own average daily move over its training rows: what a network that learned
/// only its ticker's drift forecasts, and, ranked across tickers, a bet on past winners.
pub const DRIFT: &str = "drift";

/// One unit of a panel run's work, within a fold (numbered from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "kebab-case")]
pub enum Job {
    /// Naive, the reversal and drift.
    Baselines { fold: usize },
    /// A network trained on every ticker's windows.
    Global { fold: usize, model: ModelKind, seed: u64 },
    /// Ridge regression, one over every ticker's windows and one per ticker.
    Ridge { fold: usize },
    /// The network of the fold's `ticker`-th kept ticker.
    PerTicker { fold: usize, model: ModelKind, seed: u64, ticker: usize },
}

impl Job {
    pub fn fold(&self) -> usize {
        match *self {
            Job::Baselines { fold }
            | Job::Ridge { fold }
            | Job::Global { fold, .. }
            | Job::PerTicker { fold, .. } => fold,
        }
    }
}

/// The contender name of a network: "global LSTM", "per-ticker GRU".
pub fn network_name(scope: &str, kind: ModelKind) -> String {
    format!("{scope} {}", kind.name().to_uppercase())
}

/// Every job of a run whose fold `f + 1` keeps `tickers[f]` tickers, in the order a run does
/// them: fold by fold, the baselines, the global networks, ridge, then the per-ticker networks.
pub fn plan(cfg: &PanelConfig, tickers: &[usize]) -> Vec<Job> {
    let seeds: Vec<u64> = (0..cfg.seeds as u64).map(|k| cfg.base.seed + k).collect();
    let mut jobs = Vec::new();
    for (f, &n) in tickers.iter().enumerate() {
        let fold = f + 1;
        jobs.push(Job::Baselines { fold });
        for &model in &cfg.models {
            jobs.extend(seeds.iter().map(|&seed| Job::Global { fold, model, seed }));
        }
        jobs.push(Job::Ridge { fold });
        if cfg.per_ticker {
            for &model in &cfg.models {
                for ticker in 0..n {
                    jobs.extend(seeds.iter().map(|&seed| Job::PerTicker { fold, model, seed, ticker }));
                }
            }
        }
    }
    jobs
}

/// What a job made: its rows (tagged with its fold) and what its training took.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Done {
    /// The job's place in the run's [`plan`].
    pub id: usize,
    pub job: Job,
    pub rows: Vec<ResultRow>,
    pub seconds: f64,
    /// Epochs trained (none for the baselines).
    pub epochs: usize,
}

/// Does the jobs `ids` of `plan` (all of one fold) on that fold's `tickers`, handing each to
/// `each` as it is done. With `verbose`, each global network shows its epochs and the
/// per-ticker networks a bar.
pub fn run_fold(
    plan: &[Job],
    ids: &[usize],
    tickers: &[Ticker],
    cfg: &PanelConfig,
    device: Device,
    verbose: bool,
    each: &mut dyn FnMut(&Done),
) -> Result<Vec<Done>> {
    let ranked = cfg.cross_target.is_some();
    let singles = ids
        .iter()
        .filter(|&&i| matches!(plan[i], Job::PerTicker { ticker, .. } if !tickers[ticker].data.test.rows.is_empty()))
        .count();
    let bar = crate::commands::log::count_bar(if verbose { singles } else { 0 }, "per-ticker networks");
    let mut out = Vec::with_capacity(ids.len());
    let trains_one = |id: &usize| matches!(plan[*id], Job::PerTicker { ticker, .. } if !tickers[ticker].data.test.rows.is_empty());
    // the per-ticker networks train as fleets ([`per_ticker_fleet`]), after the rest as in the plan
    let (singles, rest): (Vec<usize>, Vec<usize>) = ids.iter().copied().partition(trains_one);
    for &id in &rest {
        let t0 = Instant::now();
        let (rows, epochs) = match plan[id] {
            Job::Baselines { .. } => (baseline_rows(tickers), 0),
            Job::Ridge { .. } => {
                let mut rows = ridge_rows(tickers, true, ranked);
                rows.extend(ridge_rows(tickers, false, ranked));
                (rows, 0)
            }
            Job::Global { model, seed, .. } => {
                let fitted = train_global(tickers, cfg, model, seed, device, verbose)?;
                let name = network_name("global", model);
                (
                    network_rows(&name, seed, tickers, &fitted.net, device, ranked),
                    fitted.history.train_loss.len(),
                )
            }
            // a ticker without test days (it left before them) has nothing to forecast
            Job::PerTicker { ticker, .. } if tickers[ticker].data.test.rows.is_empty() => (Vec::new(), 0),
            Job::PerTicker { .. } => unreachable!("trained as a fleet below"),
        };
        let fold = plan[id].fold();
        let rows = rows.into_iter().map(|r| ResultRow { fold, ..r }).collect();
        let done = Done { id, job: plan[id], rows, seconds: t0.elapsed().as_secs_f64(), epochs };
        each(&done);
        out.push(done);
    }
    // fleets of a bounded size: every network's windows and weights are held until its fleet ends
    let size = crate::fleet::PER_THREAD * crate::engine::workers::threads().max(1);
    for chunk in singles.chunks(size) {
        for done in per_ticker_fleet(plan, chunk, tickers, cfg, device, &bar)? {
            each(&done);
            out.push(done);
        }
    }
    bar.finish_and_clear();
    Ok(out)
}

/// The per-ticker networks of the jobs `ids` (each with test days), trained as one fleet
/// (`--fleet off`: one after another), then each forecasting its ticker's test days. A job's
/// seconds are its share of the fleet's wall time (in proportion to its time on its thread),
/// so that they add up to the wall time as the jobs of a run done one by one do.
fn per_ticker_fleet(
    plan: &[Job],
    ids: &[usize],
    tickers: &[Ticker],
    cfg: &PanelConfig,
    device: Device,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<Done>> {
    let base = &cfg.base;
    let t0 = Instant::now();
    let build = |&id: &usize| {
        let Job::PerTicker { model, seed, ticker, .. } = plan[id] else { unreachable!("per-ticker jobs") };
        let one = StockConfig { model, ..base.clone() };
        let mut b = pipeline::build(&tickers[ticker].data, &one, model, seed, device);
        b.net.loss = loss_of(cfg);
        b
    };
    // a network that draws from libtorch's one generator (the gate-by-gate cells with dropout,
    // or a GPU's) trains as soon as it is built, from the state its seed left, as alone
    let joins = base.fleet && ids.first().is_some_and(|id| crate::fleet::applies(&build(id).net, device));
    let fitted: Vec<Result<pipeline::Fitted>> = if joins {
        let built = ids.iter().map(build).collect();
        pipeline::train_fleet(built, &base.train, base.load.plant, &mut |_| bar.inc(1))
    } else {
        ids.iter()
            .map(|id| {
                let f = pipeline::train(build(id), &base.train, None, base.load.plant);
                bar.inc(1);
                f
            })
            .collect()
    };
    let fitted = fitted.into_iter().collect::<Result<Vec<_>>>()?;
    let ranked = cfg.cross_target.is_some();
    let mut done: Vec<Done> = ids
        .iter()
        .zip(&fitted)
        .map(|(&id, f)| {
            let Job::PerTicker { model, seed, ticker, fold } = plan[id] else {
                unreachable!("per-ticker jobs")
            };
            let name = network_name("per-ticker", model);
            let rows = forecast(&name, seed, &tickers[ticker], None, &f.net, device, ranked);
            let rows = rows.into_iter().map(|r| ResultRow { fold, ..r }).collect();
            let on_its_thread = f.history.epoch_seconds.iter().sum();
            Done { id, job: plan[id], rows, seconds: on_its_thread, epochs: f.history.train_loss.len() }
        })
        .collect();
    let (wall, busy) = (t0.elapsed().as_secs_f64(), done.iter().map(|d| d.seconds).sum::<f64>());
    for d in &mut done {
        d.seconds = if busy > 0.0 { d.seconds * wall / busy } else { wall / ids.len() as f64 };
    }
    Ok(done)
}

/// What training took, per fold, in lines for the console and as JSON: each global network's
/// epochs and time, and the per-ticker networks' beside it, in all and per epoch over every
/// ticker's windows (`tickers[f]`: fold `f + 1`'s kept tickers).
pub fn timings(done: &[Done], cfg: &PanelConfig, tickers: &[usize]) -> (Vec<String>, serde_json::Value) {
    let mut lines = Vec::new();
    let mut all = Vec::new();
    for (f, &n) in tickers.iter().enumerate() {
        let fold = f + 1;
        let prefix = if tickers.len() > 1 { format!("fold {fold}: ") } else { String::new() };
        let of = |pick: &dyn Fn(&Job) -> bool| -> (f64, Vec<usize>) {
            let mine: Vec<&Done> = done.iter().filter(|d| d.job.fold() == fold && pick(&d.job)).collect();
            (mine.iter().map(|d| d.seconds).sum(), mine.iter().map(|d| d.epochs).collect())
        };
        // the tickers whose networks these jobs trained (a shard trains some of them)
        let trained = |kind: ModelKind| {
            let mut t: Vec<usize> = done
                .iter()
                .filter_map(|d| match d.job {
                    Job::PerTicker { fold: f, model, ticker, .. }
                        if f == fold && model == kind && d.epochs > 0 =>
                    {
                        Some(ticker)
                    }
                    _ => None,
                })
                .collect();
            t.sort_unstable();
            t.dedup();
            t.len()
        };
        for &kind in &cfg.models {
            let (g, epochs) = of(&|j| matches!(*j, Job::Global { model, .. } if model == kind));
            if !epochs.is_empty() {
                let name = network_name("global", kind);
                lines.push(format!("{prefix}{name}: {epochs:?} epochs (per seed) in {g:.1} s"));
                all.push(json!({"fold": fold, "contender": name, "seconds": g, "epochs": epochs}));
            }
            let (seconds, each) = of(&|j| matches!(*j, Job::PerTicker { model, .. } if model == kind));
            if each.is_empty() {
                continue;
            }
            let network_epochs: usize = each.iter().sum();
            let name = network_name("per-ticker", kind);
            // an epoch of the per-ticker networks: each network once over its own windows
            let per_epoch = seconds / (network_epochs as f64 / trained(kind) as f64);
            let e: usize = epochs.iter().sum();
            // one global network is compared with networks for every one of its tickers
            let ratio = if e > 0 && each.len() == n * cfg.seeds {
                format!(
                    "; one global network cost {:.2} of their time in all, and {:.2} of it per epoch over every ticker's windows ({:.1} s against {per_epoch:.1} s)",
                    g / seconds,
                    g / e as f64 / per_epoch,
                    g / e as f64
                )
            } else {
                String::new()
            };
            lines.push(format!(
                "{prefix}{name}: {} networks, {network_epochs} epochs in all, in {seconds:.1} s{ratio}",
                each.iter().filter(|&&e| e > 0).count()
            ));
            all.push(json!({"fold": fold, "contender": name, "seconds": seconds, "network_epochs": network_epochs}));
        }
    }
    (lines, serde_json::Value::Array(all))
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
    if d.test.rows.is_empty() {
        return Vec::new();
    }
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
