//! `lstm-stock stock FILE.csv`: train on the past, forecast the test period one day ahead,
//! and judge the forecast beside tomorrow = today.

/// A line of both consoles (see [`Log`]).
macro_rules! say {
    ($log:expr) => {
        $log.line("")
    };
    ($log:expr, $($arg:tt)*) => {
        $log.line(&format!($($arg)*))
    };
}

/// A line of the full console only (`--detail`; report.html keeps it either way).
macro_rules! more {
    ($log:expr) => {
        $log.more("")
    };
    ($log:expr, $($arg:tt)*) => {
        $log.more(&format!($($arg)*))
    };
}

/// A line of the one-screen console only: the summary of lines that [`more!`] keeps.
macro_rules! brief {
    ($log:expr) => {
        $log.brief("")
    };
    ($log:expr, $($arg:tt)*) => {
        $log.brief(&format!($($arg)*))
    };
}

mod fleets;
mod intervals;
mod leak_check;
mod trading;

pub(crate) use super::log::Log;

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use tch::{nn, Device};

use crate::bundle::{self, ModelCard, RowSpan, TrainingData};
use crate::config::{file_stem, StockConfig};
use crate::data::features::raw_columns;
use crate::data::{Dataset, PriceSeries, Split};
use crate::eval::horizon::StepScore;
use crate::eval::leakage::LeakCheck;
use crate::eval::trading::Trading;
use crate::eval::Evaluation;
use crate::forecast::Forecaster;
use crate::model::Net;
use crate::pipeline;
use crate::report::stock_tables::SummaryRow;
use crate::report::{files, plots, stock_tables};
use crate::train::{History, TrainConfig};

/// What a finished `stock` run reports back (also written to the output folder).
pub struct StockOutcome {
    pub eval: Evaluation,
    pub history: History,
    pub rows: usize,
}

/// A checked job: the data is loaded, split and windowed; nothing is trained or written yet.
pub struct Job {
    pub cfg: StockConfig,
    pub series: PriceSeries,
    pub split: Split,
    pub data: Dataset,
    pub device: Device,
    /// SHA-256 of the input file, recorded in run.json and in the model bundle.
    pub input_sha256: String,
}

/// Loads and checks everything a run needs, so that bad input fails before any work.
pub fn prepare(cfg: &StockConfig) -> Result<Job> {
    cfg.validate()?;
    let mut cfg = cfg.clone();
    let pipeline::Prepared { series, split, data, .. } = pipeline::prepare(&cfg)?;
    // run.json and the bundle record the columns the features read
    cfg.load.columns = raw_columns(&cfg.features);
    files::check_out_dir(&cfg.out)?;
    let device = crate::device::resolve(cfg.device)?;
    let input_sha256 = files::sha256_file(&cfg.csv)?;
    Ok(Job { cfg, series, split, data, device, input_sha256 })
}

/// Runs the whole job described by `cfg`.
pub fn run(cfg: &StockConfig) -> Result<StockOutcome> {
    execute(&prepare(cfg)?)
}

/// The split run and everything `stock` scores on its test days: what is reported, and what
/// the leakage check fingerprints.
pub(crate) struct Analysis {
    pub fitted: pipeline::Fitted,
    pub eval: Evaluation,
    /// Multi-step scores and prediction bands on the test days.
    pub ms: pipeline::MultiStep,
    /// How the multi-step forecasts were made (recursive or direct), in words.
    pub method: String,
    /// The trading evaluation (absent with `--no-trading`).
    pub trading: Option<Trading>,
    /// The last layer's gates over the last test window.
    pub gates: crate::report::heatmap::GateView,
}

/// The network a job trains, in words: "lstm (2 layers x 64 units, 50497 parameters) on CPU".
fn what_trains(job: &Job, params: i64) -> String {
    let cfg = &job.cfg;
    format!(
        "{}{} ({} layer{} x {} units, {params} parameters) on {}",
        cfg.model,
        if cfg.horizon > 1 { format!(" with a direct {}-day head", cfg.horizon) } else { String::new() },
        cfg.layers,
        if cfg.layers == 1 { "" } else { "s" },
        cfg.hidden,
        crate::device::name(job.device),
    )
}

/// Trains `job`'s network (for at most `epochs` epochs) and scores it on the test days: one
/// step beside naive, the bands, the trading rules. The real run and the leakage check's runs
/// both come through here, so the check fingerprints the code behind the reported figures.
/// With `trained`, the network was trained beforehand (with others, as a fleet: see
/// [`run_many`]) and is only scored here.
pub(crate) fn analyse(
    job: &Job,
    epochs: usize,
    progress: bool,
    log: &mut Log,
    trained: Option<Result<pipeline::Fitted>>,
) -> Result<Analysis> {
    let (cfg, series, data) = (&job.cfg, &job.series, &job.data);
    let epochs = cfg.train.epochs.min(epochs);
    let announce = |log: &mut Log, params: i64| {
        let what = what_trains(job, params);
        let windows = data.train.x.len() / (data.spec.window * data.spec.channels()).max(1);
        more!(log, "training {what} for up to {epochs} epochs, {windows} training windows");
        what
    };
    let (what, fitted) = match trained {
        Some(f) => {
            let f = f?;
            (announce(log, Net::param_count(&f.vs)), f)
        }
        None => {
            let built = pipeline::build(data, cfg, cfg.model, cfg.seed, job.device);
            let what = announce(log, Net::param_count(&built.vs));
            let train = TrainConfig { epochs, ..cfg.train.clone() };
            (what, pipeline::train(built, &train, progress.then(|| cfg.model.name()), cfg.load.plant)?)
        }
    };
    let h = &fitted.history;
    report_training(h, log);
    brief!(
        log,
        "trained {what} on the {} of \"{}\"{}: {} of up to {epochs} epochs{} in {:.1} s, kept epoch {} (validation MSE {:.6})",
        data.spec.target.name(),
        series.target_col,
        match crate::data::features::names(&data.spec.features) {
            f if f.is_empty() => String::new(),
            f => format!(" with {f}"),
        },
        h.train_loss.len(),
        if h.stopped_early { " (early stop)" } else { "" },
        h.epoch_seconds.iter().sum::<f64>(),
        h.best_epoch,
        h.val_loss[h.best_epoch - 1]
    );
    let eval = Evaluation::new(
        series,
        data.test.rows.clone(),
        pipeline::test_forecasts(&fitted, data, &series.values),
    );
    say!(log, "{}", stock_tables::test_table(cfg.model.name(), &series.target_col, &eval).trim_end());
    // the last test window, seen through the hand-written cell with the trained weights
    let test = &fitted.test;
    let last = test.x.narrow(0, test.len() - 1, 1);
    let traced = crate::model::gates::trace_last_layer(&fitted.net.cfg, &fitted.vs, &last)?;
    let lstm = cfg.model.cell() == crate::model::Cell::Lstm;
    let gates = crate::report::heatmap::gate_panels(lstm, &traced.gates, &traced.state);
    say!(log, "{}", gates.activity.sentence(&cfg.model.name().to_uppercase()));
    let ms = intervals::multi_step(job, &fitted.net);
    let method = forecaster(job, &fitted.net).method(ms.steps.len());
    intervals::print_steps(job, &method, &ms, log);
    intervals::print_bands(job, &ms, log);
    let trading = cfg.trading.then(|| trading::run(job, &eval, log));
    Ok(Analysis { fitted, eval, ms, method, trading, gates })
}

/// Trains, evaluates and writes the outputs of a prepared job.
pub fn execute(job: &Job) -> Result<StockOutcome> {
    execute_with(job, None)
}

/// [`execute`], with the networks `pre` trained beforehand where given.
fn execute_with(job: &Job, pre: Option<fleets::Pretrained>) -> Result<StockOutcome> {
    let started = Instant::now();
    let (cfg, series, data) = (&job.cfg, &job.series, &job.data);
    let mut log = Log::printing(cfg.detail);
    let threads = crate::engine::threads::use_threads(cfg.threads);
    if cfg.threads.is_none() && threads < std::thread::available_parallelism().map_or(1, |c| c.get()) {
        // the batch split (engine::parts_for) is the CPU's alone, for whichever model trains
        let shares = if job.device.is_cuda() {
            String::new()
        } else {
            format!(
                "; the {} still trains on every core, in shares taken from a queue",
                cfg.model.name().to_uppercase()
            )
        };
        say!(
            log,
            "other work keeps some cores busy: libtorch runs on {threads} thread(s){shares} (--threads overrides)"
        );
    }
    crate::interrupt::install();
    crate::interrupt::set_out_dir(&cfg.out);
    describe(job, &mut log);
    let in_fleet = pre.is_some();
    let (split, band_net, last_net) = match pre {
        Some(fleets::Pretrained { split, refits: Some(r) }) => (Some(split), Some(r.band), Some(r.last)),
        Some(p) => (Some(p.split), None, None),
        None => (None, None, None),
    };
    let analysis = analyse(job, usize::MAX, true, &mut log, split)?;
    let (vs, net, history) = (&analysis.fitted.vs, &analysis.fitted.net, &analysis.fitted.history);
    let leaks = if cfg.sanity { sanity(job, &analysis, &mut log)? } else { None };
    let band_check = band_check(job, &analysis, &mut log, band_net);
    let refit = final_fit(job, history, &mut log, last_net).unwrap_or_else(|e| {
        // the split run's results stand; only the saved network falls back
        say!(log, "the refit failed ({e:#}); the saved model is the split run's network");
        None
    });
    let saved = match &refit {
        Some(r) => Saved { vs: &r.vs, net: &r.net, data: &r.data, rows: series.len(), refit: true },
        None => Saved { vs, net, data, rows: job.split.train_end, refit: false },
    };
    let run_info =
        RunInfo { job, analysis: &analysis, params: Net::param_count(vs), leaks, band_check, in_fleet };
    let out = files::OutputDir::open(&cfg.out)?;
    write_outputs(&run_info, &refit, started)?;
    let card = save_bundle(&run_info, &saved)?;
    if let Some(r) = &refit {
        brief!(log, "{}", saved_line(job, r, band_check_words(&run_info.band_check)));
    }
    more!(
        log,
        "wrote prediction.png, bands.png, reliability.png, loss.png, gates.png, horizon.png, {}predictions.csv, metrics.json, run.json, report.html and model/ to {}",
        if cfg.trading { "trading.png, trading.csv, " } else { "" },
        cfg.out.display()
    );
    brief!(
        log,
        "wrote charts, predictions.csv, metrics.json, report.html (everything printed with --detail) and model/ to {}",
        cfg.out.display()
    );
    more!(log, "model/: {}", card.training.provenance());
    report_page(job, log.text)?;
    drop(out);
    let history = history.clone();
    Ok(StockOutcome { eval: analysis.eval, history, rows: series.len() })
}

/// With the final fit on: the band it will carry, checked one period back around a network
/// refitted the same way (see [`crate::eval::refit_band::RefitBand`]), printed; `None` without a refit or
/// when the check could not run (the run's results stand either way). `trained`: its network,
/// trained beforehand.
fn band_check(
    job: &Job,
    a: &Analysis,
    log: &mut Log,
    trained: Option<Result<pipeline::Refitted>>,
) -> Option<crate::eval::refit_band::RefitBand> {
    let (cfg, h) = (&job.cfg, &a.fitted.history);
    if !cfg.refit || h.interrupted {
        return None;
    }
    let split = &job.split;
    let net = trained.unwrap_or_else(|| band_refit_job(job, h.best_epoch).and_then(|j| j.train()));
    match net.map(|r| pipeline::band_of_refit(&r, &job.series, split, &a.ms.paths, cfg, job.device)) {
        Ok(b) if !crate::interrupt::requested() => {
            more!(log, "{}", b.sentence());
            Some(b)
        }
        Ok(_) => None,
        Err(e) => {
            say!(log, "the band check around a refitted network failed ({e:#}); the band is unchecked");
            None
        }
    }
}

/// The final fit for the saved model (see [`pipeline::refit`]), or `None` where the split run's
/// network is kept: `--no-refit`, an interrupted run, or a refit that was interrupted or diverged.
/// `trained`: its network, trained beforehand.
fn final_fit(
    job: &Job,
    history: &History,
    log: &mut Log,
    trained: Option<Result<pipeline::Refitted>>,
) -> Result<Option<pipeline::Refitted>> {
    let cfg = &job.cfg;
    if !cfg.refit {
        return Ok(None);
    }
    if history.interrupted {
        say!(log, "no refit: training was interrupted; the saved model is the split run's network");
        return Ok(None);
    }
    more!(
        log,
        "refitting on all {} rows for {} epochs (the count validation chose), seed {}, for the saved model (--no-refit skips)",
        job.series.len(),
        history.best_epoch,
        cfg.seed
    );
    let r = match trained {
        Some(r) => r?,
        None => pipeline::refit(&job.series, cfg, cfg.seed, job.device, history.best_epoch)?,
    };
    if crate::interrupt::requested() {
        say!(log, "refit interrupted (Ctrl-C); the saved model is the split run's network");
        return Ok(None);
    }
    if !r.last_loss.is_finite() {
        say!(
            log,
            "the refit diverged (training loss {}); the saved model is the split run's network",
            r.last_loss
        );
        return Ok(None);
    }
    more!(log, "refit in {:.1} s (final training loss {:.6})", r.seconds, r.last_loss);
    Ok(Some(r))
}

/// The one-screen line on the saved model: the refit and its band's check one period back.
fn saved_line(job: &Job, r: &pipeline::Refitted, band: String) -> String {
    format!(
        "saved model: refitted on all {} rows for {} epochs in {:.1} s (--no-refit keeps the split run's network){band}",
        job.series.len(),
        r.epochs,
        r.seconds
    )
}

/// The band check's outcome in a few words, for [`saved_line`].
fn band_check_words(b: &Option<crate::eval::refit_band::RefitBand>) -> String {
    match b {
        Some(b) if b.gaps().is_empty() => {
            "; its band, checked one period back, carries over (within 3 points)".into()
        }
        Some(_) => {
            "; CAUTION: its band, checked one period back, is MORE than 3 points off (--detail)".into()
        }
        None => String::new(),
    }
}

/// `--sanity`: the leakage check against the run just made, printed; `None` when Ctrl-C
/// stopped the run or the check (an interrupted run trains less and would differ for that).
fn sanity(job: &Job, analysis: &Analysis, log: &mut Log) -> Result<Option<Vec<LeakCheck>>> {
    say!(log);
    if analysis.fitted.history.interrupted {
        say!(log, "leakage check skipped: training was interrupted (Ctrl-C)");
        return Ok(None);
    }
    if job.device.is_cuda() {
        say!(
            log,
            "note: on a GPU, identical results also need deterministic kernels; confirm a LEAK found here with --device cpu"
        );
    }
    let honest = leak_check::fingerprint(job, analysis);
    let checks = match leak_check::run(job, &honest) {
        Err(_) | Ok(_) if crate::interrupt::requested() => {
            say!(log, "leakage check stopped: interrupted (Ctrl-C); nothing was compared");
            return Ok(None);
        }
        other => other?,
    };
    for c in &checks {
        say!(log, "{}", c.sentence(&job.cfg.model.name().to_uppercase()));
    }
    Ok(Some(checks))
}

/// Several files (or tickers of a long-format file): every one is loaded and checked first,
/// then each is trained and reported in turn, then a summary table is printed and written to
/// `summary_dir/summary.csv`. A ticker of a long-format file that cannot be used with these
/// settings (too few rows, say) is skipped with a line saying why, and the rest are trained; a
/// file the user named that cannot be used stops the run before any training. With `--fleet on`
/// the files' networks train side by side first, in fleets of a bounded size ([`fleets::pretrain`]).
pub fn run_many(cfgs: &[StockConfig], summary_dir: &Path) -> Result<()> {
    files::check_out_dir(summary_dir)?;
    // the settings are the same for every file: a bad flag stops the run, not one ticker
    if let Some(first) = cfgs.first() {
        first.validate()?;
    }
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    for cfg in cfgs {
        match (prepare(cfg), &cfg.load.ticker) {
            (Ok(job), _) => jobs.push(job),
            (Err(e), Some(ticker)) if crate::error::exit_code(&e) == crate::error::EXIT_BAD_INPUT => {
                println!("skipped ticker {ticker} of {}: {e:#}", cfg.csv.display());
                skipped.push(SummaryRow::skipped(cfg, ticker, &format!("{e:#}")));
            }
            (Err(e), _) => return Err(e),
        }
    }
    if jobs.is_empty() {
        crate::bail_input!(
            "{}: no ticker could be used with these settings (each skipped above); lower --window, --val-frac or --test-frac, or give longer files",
            cfgs[0].csv.display()
        );
    }
    let first = &jobs[0].cfg;
    crate::engine::threads::use_threads(first.threads);
    let threads = crate::engine::workers::threads();
    // Ctrl-C while a fleet trains stops its networks after their batch, as it stops one alone
    crate::interrupt::install();
    // --sanity retrains each file's network alone (split batches) and compares the two bit for
    // bit, so those runs train each file with its checks
    let fleet =
        first.fleet && !first.sanity && jobs.len() > 1 && threads > 1 && fleets::joins_a_fleet(&jobs[0]);
    // every network of a fleet and its windows are held until the fleet ends: fleets of a
    // bounded size, all alike (the threads wait for the last network of each)
    let size = if fleet {
        jobs.len().div_ceil(jobs.len().div_ceil(crate::fleet::PER_THREAD * threads))
    } else {
        jobs.len()
    };
    let mut rows = Vec::new();
    for (c, chunk) in jobs.chunks(size).enumerate() {
        let mut pre: Vec<Option<fleets::Pretrained>> = if fleet && !crate::interrupt::requested() {
            fleets::pretrain(chunk, threads, (c * size, jobs.len())).into_iter().map(Some).collect()
        } else {
            chunk.iter().map(|_| None).collect()
        };
        for (j, job) in chunk.iter().enumerate() {
            let name = match &job.cfg.load.ticker {
                Some(t) => format!("{} {t}", job.cfg.csv.display()),
                None => job.cfg.csv.display().to_string(),
            };
            let number = format!("[{}/{}]", c * size + j + 1, jobs.len());
            let pre = pre[j].take();
            if crate::interrupt::requested() && pre.as_ref().is_none_or(|p| p.split.is_err()) {
                println!("\n== {number} {name}: not trained (interrupted)");
                continue;
            }
            println!("\n== {number} {name}");
            let o = execute_with(job, pre)?;
            rows.push((job, o));
        }
    }
    let mut summary: Vec<SummaryRow> = rows.iter().map(|(job, o)| SummaryRow::trained(&job.cfg, o)).collect();
    summary.extend(skipped);
    print!("{}", stock_tables::summary_table(&summary));
    let csv = stock_tables::summary_csv(&summary);
    let _out = files::OutputDir::open(summary_dir)?;
    files::write_atomic(&summary_dir.join("summary.csv"), csv.as_bytes())?;
    println!("wrote {}", summary_dir.join("summary.csv").display());
    Ok(())
}

/// The network of `job`'s band check, trained for `epochs` (see [`pipeline::refit_band`]).
pub(super) fn band_refit_job(job: &Job, epochs: usize) -> Result<pipeline::RefitJob> {
    pipeline::band_refit_job(&job.series, &job.split, &job.data, &job.cfg, job.cfg.seed, job.device, epochs)
}

impl SummaryRow {
    fn trained(cfg: &StockConfig, o: &StockOutcome) -> SummaryRow {
        SummaryRow {
            file: cfg.csv.display().to_string(),
            ticker: cfg.load.ticker.clone(),
            rows: o.rows,
            figures: Some((o.eval.model.rmse, o.eval.baseline.rmse, o.eval.skill)),
            note: String::new(),
        }
    }

    fn skipped(cfg: &StockConfig, ticker: &str, why: &str) -> SummaryRow {
        SummaryRow {
            file: cfg.csv.display().to_string(),
            ticker: Some(ticker.to_string()),
            rows: 0,
            figures: None,
            note: format!("skipped: {why}"),
        }
    }
}

fn describe(job: &Job, log: &mut Log) {
    let (series, split, spec) = (&job.series, &job.split, &job.data.spec);
    let d = &series.dates;
    say!(log, "{}", series.summary());
    let feats = crate::data::features::names(&spec.features);
    more!(
        log,
        "model learns: {} of \"{}\"{}; forecasts are turned back into prices for every figure",
        spec.target.name(),
        series.target_col,
        if feats.is_empty() { String::new() } else { format!(", extra inputs: {}", feats) }
    );
    say!(
        log,
        "split by date: train {} rows (to {}), validation {} rows, test {} rows (from {}); {}",
        split.train_end,
        d[split.train_end - 1],
        split.val_end - split.train_end,
        split.len - split.val_end,
        d[split.val_end],
        scaler_rows(&job.data, split, d)
    );
}

/// Which rows the scalers were fitted on, read from the dataset (not assumed).
fn scaler_rows(data: &Dataset, split: &Split, d: &[chrono::NaiveDate]) -> String {
    let r = &data.scaler_rows;
    if r.is_empty() {
        return "no scaler rows (nothing to fit on)".into();
    }
    if r.end <= split.train_end {
        format!("scalers fitted on {} training rows ({} .. {})", r.len(), d[r.start], d[r.end - 1])
    } else {
        format!(
            "scalers fitted on {} rows ({} .. {}): they reach past the training part, a LEAK",
            r.len(),
            d[r.start],
            d[r.end - 1]
        )
    }
}

fn report_training(h: &History, log: &mut Log) {
    let epochs = h.train_loss.len();
    if h.interrupted {
        say!(log, "training was interrupted (Ctrl-C) after {epochs} complete epochs; evaluating and saving the best weights so far");
    }
    more!(
        log,
        "trained {epochs} epochs{} in {:.1} s; kept epoch {} (validation MSE {:.6})",
        if h.stopped_early { " (early stop)" } else { "" },
        h.epoch_seconds.iter().sum::<f64>(),
        h.best_epoch,
        h.val_loss[h.best_epoch - 1]
    );
}

/// `report.html`: what the run printed, every chart, and the settings.
fn report_page(job: &Job, text: String) -> Result<()> {
    let cfg = &job.cfg;
    let model = cfg.model.name().to_uppercase();
    let chart = |file: &str, caption: &str| (caption.to_string(), cfg.out.join(file));
    let page = crate::report::html::Page {
        title: format!("{}: {model} against tomorrow = today", file_stem(&cfg.csv)),
        text,
        markdown: None,
        charts: vec![
            chart("prediction.png", "the test period: actual, forecast and naive"),
            chart("bands.png", "the prediction band one day ahead, the days outside it marked"),
            chart("reliability.png", "realised against nominal coverage, model and naive"),
            chart("horizon.png", "error by forecast step beside naive"),
            chart("trading.png", "trading the forecasts against buy-and-hold, net of costs"),
            chart("loss.png", "training and validation loss per epoch"),
            chart("gates.png", "the last layer's gates over the last test window"),
        ],
        settings: serde_json::to_value(cfg)?,
    };
    let mut page = page;
    if !cfg.trading {
        page.charts.retain(|(_, path)| !path.ends_with("trading.png"));
    }
    crate::report::html::write(&cfg.out, &page)
}

/// The facts `run.json` records.
struct RunInfo<'a> {
    job: &'a Job,
    analysis: &'a Analysis,
    params: i64,
    /// The leakage check's results (`--sanity`).
    leaks: Option<Vec<LeakCheck>>,
    /// The saved band checked around a refitted network (with the refit only).
    band_check: Option<crate::eval::refit_band::RefitBand>,
    /// The networks were trained beforehand in a fleet, each whole on one thread.
    in_fleet: bool,
}

pub(super) fn forecaster<'a>(job: &'a Job, net: &'a Net) -> Forecaster<'a> {
    Forecaster { net, spec: &job.data.spec, scalers: &job.data.scalers, device: job.device }
}

/// The network a bundle keeps: the refit or the split run's, with its windows and scalers, and
/// the rows `0..rows` that trained it.
struct Saved<'a> {
    vs: &'a nn::VarStore,
    net: &'a Net,
    data: &'a Dataset,
    rows: usize,
    refit: bool,
}

fn save_bundle(r: &RunInfo, s: &Saved) -> Result<ModelCard> {
    let (cfg, series, data) = (&r.job.cfg, &r.job.series, s.data);
    let fc = Forecaster { net: s.net, spec: &data.spec, scalers: &data.scalers, device: r.job.device };
    let check_forecast =
        fc.forecast(&data.matrix, &series.values, &[series.len()], intervals::steps_of(r.job)).remove(0);
    let d = &series.dates;
    let card = ModelCard {
        format: bundle::FORMAT.into(),
        model: s.net.cfg,
        input: data.spec.clone(),
        horizon: s.net.horizon,
        scalers: data.scalers.clone(),
        load: cfg.load.clone(),
        training: TrainingData {
            path: cfg.csv.display().to_string(),
            sha256: r.job.input_sha256.clone(),
            rows: series.len(),
            first_date: d[0].to_string(),
            last_date: d[d.len() - 1].to_string(),
            target_column: series.target_col.clone(),
            weights_rows: RowSpan::of(d, 0..s.rows),
            refit: s.refit,
            epochs: r.analysis.fitted.history.best_epoch,
            // split conformal keeps the validation days' errors; the adaptive methods go on
            // through the test days
            band_error_rows: RowSpan::of(
                d,
                r.job.split.train_end..if cfg.interval_method.adaptive() {
                    series.len()
                } else {
                    r.job.split.val_end
                },
            ),
        },
        interval_method: cfg.interval_method.name().into(),
        interval_vol_days: cfg.interval_method.scaled().then_some(crate::eval::bands::VOL_DAYS),
        interval_level: cfg.interval,
        intervals: r.analysis.ms.next.clone(),
        band_check: if s.refit { r.band_check.clone() } else { None },
        check_forecast,
        versions: crate::versions::record(),
        evidence: Some(crate::eval::evidence::TestEvidence::of(&r.analysis.eval)),
    };
    bundle::save(&cfg.out.join("model"), &card, s.vs)?;
    Ok(card)
}

fn write_outputs(r: &RunInfo, refit: &Option<pipeline::Refitted>, started: Instant) -> Result<()> {
    let (cfg, series, split) = (&r.job.cfg, &r.job.series, &r.job.split);
    let e = &r.analysis.eval;
    let out = &cfg.out;
    let d = &series.dates;
    let label = format!("{} forecast", cfg.model.name().to_uppercase());
    plots::prediction_png(
        &out.join("prediction.png"),
        &plots::PredictionChart {
            title: format!("{} {}", file_stem(&cfg.csv), series.target_col),
            y_label: series.target_col.clone(),
            model_label: label,
            dates: d,
            actual: &series.values,
            val_start: d[split.train_end],
            test_start: d[split.val_end],
            test_dates: &e.dates,
            test_actual: &e.actual,
            test_pred: &e.predicted,
            test_naive: &e.naive,
        },
    )?;
    let h = &r.analysis.fitted.history;
    let title = format!("{} {} training loss", file_stem(&cfg.csv), cfg.model.name().to_uppercase());
    let curve = crate::report::loss::LossCurve {
        label: String::new(),
        train: &h.train_loss,
        val: &h.val_loss,
        best_epoch: h.best_epoch,
        train_color: plots::MODEL,
        val_color: plots::TEST_SHADE,
    };
    crate::report::loss::loss_png(&out.join("loss.png"), &title, &[curve])?;
    let last = e.dates.len() - 1;
    let window_start = series.dates[r.job.data.test.rows.end - 1 - cfg.window];
    let title = format!(
        "{} {} last layer, input window {} .. {} (forecast for {}): each unit's move around its median after a {}-day warm-up from zero (grey); scale: 95% of the moves",
        file_stem(&cfg.csv),
        cfg.model.name().to_uppercase(),
        window_start,
        series.dates[r.job.data.test.rows.end - 2],
        e.dates[last],
        r.analysis.gates.activity.warm_up
    );
    let g = &r.analysis.gates;
    crate::report::heatmap::heatmaps_png(
        &out.join("gates.png"),
        &title,
        "day in the window",
        &g.panels,
        g.activity.warm_up,
    )?;
    intervals::charts(r.job, e, &r.analysis.ms, out)?;
    let pts = |f: fn(&StepScore) -> f64| r.analysis.ms.steps.iter().map(|s| (s.step as f64, f(s))).collect();
    let title = format!(
        "{} {}: error by forecast step on the test days ({})",
        file_stem(&cfg.csv),
        cfg.model.name().to_uppercase(),
        if cfg.horizon > 1 { format!("direct, {}-day head", cfg.horizon) } else { "recursive".into() }
    );
    let line = |label: String, points, color| crate::report::lines::Line { label, points, color };
    let name = cfg.model.name().to_uppercase();
    let skill = |s: &StepScore| if s.naive_rmse > 0.0 { 1.0 - s.rmse / s.naive_rmse } else { f64::NAN };
    crate::report::lines::two_panels_png(
        &out.join("horizon.png"),
        (
            &title,
            ("step (trading days ahead)", &format!("RMSE ({})", r.job.series.target_col)),
            &[
                line(name.clone(), pts(|s| s.rmse), plots::MODEL),
                line("naive (last known price)".into(), pts(|s| s.naive_rmse), plots::NAIVE),
            ],
        ),
        (
            "skill by step: 1 - RMSE / naive's RMSE (above 0: the model is closer)",
            ("step (trading days ahead)", "skill vs naive"),
            &[
                line(name, pts(skill), plots::MODEL),
                line("naive (0 by definition)".into(), pts(|_| 0.0), plots::NAIVE),
            ],
        ),
    )?;
    if let Some(t) = &r.analysis.trading {
        trading::chart(r.job, t, out)?;
        files::write_atomic(&out.join("trading.csv"), crate::report::trading::csv(t).as_bytes())?;
    }
    files::write_atomic(&out.join("predictions.csv"), stock_tables::predictions_csv(e).as_bytes())?;
    files::write_json(&out.join("metrics.json"), &metrics_json(r))?;
    files::write_json(&out.join("run.json"), &run_json(r, refit, started)?)?;
    Ok(())
}

fn metrics_json(r: &RunInfo) -> serde_json::Value {
    let (cfg, series) = (&r.job.cfg, &r.job.series);
    let (e, ms) = (&r.analysis.eval, &r.analysis.ms);
    json!({
        "model": e.model,
        "naive": e.baseline,
        "skill": e.skill,
        "always_up_directional_accuracy": e.up_share,
        "model_name": cfg.model,
        "target": r.job.data.spec.target,
        "target_column": series.target_col,
        "test_days": e.dates.len(),
        "test_start": e.dates[0].to_string(),
        "test_end": e.dates[e.dates.len() - 1].to_string(),
        "units": "price",
        "moves": e.moves,
        "leakage_check": r.leaks,
        "horizon": {
            "trained_horizon": cfg.horizon,
            "method": r.analysis.method,
            "interval_level": cfg.interval,
            "steps": ms.steps,
        },
        "intervals": intervals::metrics(r.job, ms),
        "refit_band_check": r.band_check,
        "trading": r.analysis.trading,
    })
}

fn run_json(r: &RunInfo, refit: &Option<pipeline::Refitted>, started: Instant) -> Result<serde_json::Value> {
    let (cfg, series, split) = (&r.job.cfg, &r.job.series, &r.job.split);
    let d = &series.dates;
    let h = &r.analysis.fitted.history;
    Ok(json!({
        "command": "stock",
        "settings": cfg,
        "seed": cfg.seed,
        "input": {
            "path": cfg.csv,
            "sha256": r.job.input_sha256,
            "rows": series.len(),
            "dropped_rows": series.dropped,
            "first_date": d[0].to_string(),
            "last_date": d[d.len() - 1].to_string(),
            "date_column": series.date_col,
            "target_column": series.target_col,
        },
        "split": {
            "train_rows": split.train_end,
            "validation_rows": split.val_end - split.train_end,
            "test_rows": split.len - split.val_end,
            "validation_start": d[split.train_end].to_string(),
            "test_start": d[split.val_end].to_string(),
        },
        "input_spec": r.job.data.spec,
        "scalers": r.job.data.scalers,
        "date_format": series.date_format,
        "separator": series.separator,
        "parameters": r.params,
        "training": {
            "epochs_run": h.train_loss.len(),
            "best_epoch": h.best_epoch,
            "stopped_early": h.stopped_early,
            "interrupted": h.interrupted,
            "epoch_seconds": h.epoch_seconds,
        },
        "refit": refit.as_ref().map(|f| json!({
            "rows": series.len(),
            "epochs": f.epochs,
            "last_training_loss": f.last_loss,
            "seconds": f.seconds,
        })),
        "versions": crate::versions::record(),
        "device": crate::device::name(r.job.device),
        "reproducibility": pipeline::numeric_setup(),
        "threads": crate::engine::threads::libtorch(),
        "split_threads": crate::engine::workers::threads(),
        "split_guided": crate::engine::workers::guided(),
        // a fleet's network took whole batches on one thread: --threads 1 trains the same weights
        "trained_in_fleet": r.in_fleet,
        // with the networks trained in a fleet beforehand: this file's scoring and writing
        "wall_seconds": started.elapsed().as_secs_f64(),
    }))
}
