//! From a dataset to a trained network and its forecasts: the one path that `stock`, `compare`
//! and the leakage check all run, so that the check tests the code behind the reported figures
//! rather than a copy of it.

use anyhow::Result;
use sha2::{Digest, Sha256};
use tch::{nn, Device};

use crate::config::StockConfig;
use crate::data::features::raw_columns;
use crate::data::{load_prices, Dataset, LoadOptions, Plant, PriceSeries, Split};
use crate::engine::draws::Draws;
use crate::eval::bands::{self, Bands, LevelQuantiles, Method, Paths, StepLevel};
use crate::eval::horizon::{score_steps, StepScore};
use crate::eval::leakage::{band_digest, Fingerprint};
use crate::eval::refit_band::{RefitBand, RefitStep};
use crate::forecast::Forecaster;
use crate::model::{ModelConfig, ModelKind, Net};
use crate::train::{self, History, Samples, TrainConfig};

/// A file loaded, split by date and windowed as `cfg` says: what every command that trains on
/// one file (and `inspect`) starts from.
pub struct Prepared {
    pub series: PriceSeries,
    pub split: Split,
    pub data: Dataset,
    /// Seconds spent loading and validating the file, and scaling and windowing it.
    pub load_seconds: f64,
    pub window_seconds: f64,
}

/// Loads `cfg.csv` (with the raw columns its features need), splits it by date and windows it.
pub fn prepare(cfg: &StockConfig) -> Result<Prepared> {
    let t0 = std::time::Instant::now();
    let load = LoadOptions { columns: raw_columns(&cfg.features), ..cfg.load.clone() };
    let series = load_prices(&cfg.csv, &load)?;
    let load_seconds = t0.elapsed().as_secs_f64();
    let spec = cfg.input_spec();
    let split =
        Split::new(series.len(), cfg.val_frac, cfg.test_frac, spec.window, spec.offset(), &series.source)?;
    check_memory(cfg, series.len())?;
    let t1 = std::time::Instant::now();
    let data = Dataset::build_planted(&series, &split, &spec, cfg.horizon, cfg.load.plant)?;
    Ok(Prepared { series, split, data, load_seconds, window_seconds: t1.elapsed().as_secs_f64() })
}

/// Refuses `cfg` on a file of `rows` rows when training it would not fit in this machine's free
/// memory (see [`memory_need`]).
pub fn check_memory(cfg: &StockConfig, rows: usize) -> Result<()> {
    train::check_memory(memory_need(cfg, rows), crate::device::available_memory()).map_err(|e| {
        if cfg.refit {
            crate::error::input_error(format!("{e:#}; --no-refit needs half the windows"))
        } else {
            e
        }
    })
}

/// What training `cfg` on `rows` rows needs (see [`train::memory_estimate`]). The final fit on
/// every row (`cfg.refit`) holds a second set of windows while the split run's are in memory.
pub fn memory_need(cfg: &StockConfig, rows: usize) -> (f64, f64) {
    let spec = cfg.input_spec();
    let model = model_config(cfg, cfg.model, spec.channels());
    let windows_of = if cfg.refit { 2 * rows } else { rows };
    train::memory_estimate(&model, cfg.horizon, windows_of, spec.window, spec.channels(), cfg.train.batch)
}

/// The size of a `kind` network for `cfg` reading `channels` inputs.
fn model_config(cfg: &StockConfig, kind: ModelKind, channels: usize) -> ModelConfig {
    ModelConfig { kind, input: channels as i64, hidden: cfg.hidden, layers: cfg.layers, dropout: cfg.dropout }
}

/// A network built for a dataset, not trained yet.
pub struct Built {
    pub vs: nn::VarStore,
    pub net: Net,
    pub train: Samples,
    pub val: Samples,
    pub test: Samples,
    /// Its training stream, drawn right after its weights, so that it follows the seed whether
    /// the network trains at once or after others were built (a fleet).
    pub draws: Draws,
}

/// A trained network (best epoch's weights) and how training went.
pub struct Fitted {
    pub vs: nn::VarStore,
    pub net: Net,
    pub history: History,
    /// The validation and test windows, on the training device.
    pub val: Samples,
    pub test: Samples,
}

/// Seeds libtorch with `seed` and builds a `kind` network with `cfg`'s size for `data`.
pub fn build(data: &Dataset, cfg: &StockConfig, kind: ModelKind, seed: u64, device: Device) -> Built {
    let (train, val, test) = Samples::parts(data, device);
    build_on((train, val, test), data.spec.channels(), data.horizon, None, cfg, kind, seed, device)
}

/// [`build`] on windows gathered elsewhere (a panel's, from every ticker) that read `channels`
/// inputs and forecast `horizon` days; with `embed` = `(tickers, dim)` (one day ahead), each
/// window carries its ticker's index as one more channel, which the network embeds.
#[allow(clippy::too_many_arguments)]
pub fn build_on(
    (train, val, test): (Samples, Samples, Samples),
    channels: usize,
    horizon: usize,
    embed: Option<(usize, usize)>,
    cfg: &StockConfig,
    kind: ModelKind,
    seed: u64,
    device: Device,
) -> Built {
    tch::manual_seed(seed as i64);
    let vs = nn::VarStore::new(device);
    let net = match embed {
        Some((tickers, dim)) => {
            let m = model_config(cfg, kind, channels + dim);
            Net::with_embedding(&vs.root(), m, tickers as i64, dim as i64)
        }
        None => Net::with_horizon(&vs.root(), model_config(cfg, kind, channels), horizon),
    };
    Built { vs, net, train, val, test, draws: Draws::from_torch() }
}

/// Trains a built network with early stopping on the validation part.
pub fn train(b: Built, train_cfg: &TrainConfig, progress: Option<&str>, plant: Plant) -> Result<Fitted> {
    let stop_on = if plant.stops_on_test() { &b.test } else { &b.val };
    let history = train::fit(&b.net, &b.vs, &b.train, stop_on, train_cfg, progress, b.draws)?;
    Ok(Fitted { vs: b.vs, net: b.net, history, val: b.val, test: b.test })
}

/// Trains built networks as one fleet ([`crate::fleet`]), each stopped on its validation part
/// (or its test part, as [`train`] plants). `each` hears of every network as it is done (its
/// index), on this thread. Results in the order given; each the same as [`train`] on whole
/// batches. A network the fleet refuses trains alone, after all were built: from libtorch's
/// generator as the builds left it, not as its own seed did, so callers check
/// [`crate::fleet::applies`] first.
pub fn train_fleet(
    built: Vec<Built>,
    train_cfg: &TrainConfig,
    plant: Plant,
    each: &mut dyn FnMut(usize),
) -> Vec<Result<Fitted>> {
    let (mut members, mut rest) = (Vec::with_capacity(built.len()), Vec::with_capacity(built.len()));
    for b in built {
        let stop_on = if plant.stops_on_test() { b.test.shallow_clone() } else { b.val.shallow_clone() };
        members.push((crate::fleet::Member { net: b.net, vs: b.vs, train: b.train, val: stop_on }, b.draws));
        rest.push((b.val, b.test));
    }
    crate::fleet::fit(members, train_cfg, &mut |i, _| each(i))
        .into_iter()
        .zip(rest)
        .map(|(t, (val, test))| {
            let m = t.member;
            Ok(Fitted { vs: m.vs, net: m.net, history: t.history?, val, test })
        })
        .collect()
}

/// [`build`] then [`train`].
pub fn fit(
    data: &Dataset,
    cfg: &StockConfig,
    kind: ModelKind,
    seed: u64,
    device: Device,
    train_cfg: &TrainConfig,
    plant: Plant,
) -> Result<Fitted> {
    train(build(data, cfg, kind, seed, device), train_cfg, None, plant)
}

/// The final fit for forecasting: the network trained on every row of the file.
pub struct Refitted {
    pub vs: nn::VarStore,
    pub net: Net,
    /// Windows and scalers of all rows.
    pub data: Dataset,
    pub epochs: usize,
    /// The last epoch's mean training loss.
    pub last_loss: f64,
    pub seconds: f64,
}

/// Trains a fresh `cfg.model` network, seeded with `seed` as the split run was, on every row of
/// `series` for exactly `epochs` epochs (the count the split run's validation part chose): with
/// no rows left to stop on, the count is the one thing the split run hands over.
pub fn refit(
    series: &PriceSeries,
    cfg: &StockConfig,
    seed: u64,
    device: Device,
    epochs: usize,
) -> Result<Refitted> {
    refit_job(series, cfg, seed, device, epochs)?.train()
}

/// [`refit`]'s network built and ready to train: alone ([`RefitJob::train`]) or beside others
/// ([`train_refits`]).
pub fn refit_job(
    series: &PriceSeries,
    cfg: &StockConfig,
    seed: u64,
    device: Device,
    epochs: usize,
) -> Result<RefitJob> {
    let data = Dataset::build_all(series, &cfg.input_spec(), cfg.horizon)?;
    Ok(refit_job_on(data, cfg, seed, device, epochs, true))
}

/// A fresh `cfg.model` network seeded with `seed`, to be trained on `data`'s training windows
/// for exactly `epochs` epochs: the final fit of [`refit`], or of the band check's one period
/// back.
pub struct RefitJob {
    built: Built,
    plan: train::FixedEpochs,
    data: Dataset,
    epochs: usize,
}

fn refit_job_on(
    data: Dataset,
    cfg: &StockConfig,
    seed: u64,
    device: Device,
    epochs: usize,
    progress: bool,
) -> RefitJob {
    let built = build(&data, cfg, cfg.model, seed, device);
    let plan = train::FixedEpochs {
        epochs,
        batch: cfg.train.batch,
        lr: cfg.train.lr,
        clip: Some(cfg.train.clip),
        read_each_batch: false,
        progress: progress.then(|| format!("{} refit", cfg.model.name())),
        optimizer: cfg.train.optimizer,
        input_dropout: cfg.train.input_dropout,
    };
    RefitJob { built, plan, data, epochs }
}

impl RefitJob {
    /// Trains the network alone, its batches split over the training threads.
    pub fn train(self) -> Result<Refitted> {
        let RefitJob { built: b, plan, data, epochs } = self;
        let run = train::fit_fixed(&b.net, &b.vs, &b.train, &plan, b.draws)?;
        Ok(Refitted::of(b.vs, b.net, data, epochs, &run))
    }
}

/// Trains refits' networks as one fleet ([`crate::fleet::fit_fixed`]); `each` hears of every
/// network as it is done (its index), on this thread. The results in the order given.
pub fn train_refits(jobs: Vec<RefitJob>, each: &mut dyn FnMut(usize)) -> Vec<Result<Refitted>> {
    let (mut members, mut rest) = (Vec::with_capacity(jobs.len()), Vec::with_capacity(jobs.len()));
    for RefitJob { built: b, plan, data, epochs } in jobs {
        let m = crate::fleet::FixedMember { net: b.net, vs: b.vs, train: b.train, plan };
        members.push((m, b.draws));
        rest.push((data, epochs));
    }
    crate::fleet::fit_fixed(members, &mut |i, _| each(i))
        .into_iter()
        .zip(rest)
        .map(|(t, (data, epochs))| {
            let m = t.member;
            Ok(Refitted::of(m.vs, m.net, data, epochs, &t.run?))
        })
        .collect()
}

impl Refitted {
    fn of(vs: nn::VarStore, net: Net, data: Dataset, epochs: usize, run: &train::FixedRun) -> Refitted {
        let seconds = run.epoch_seconds.iter().sum();
        Refitted { vs, net, data, epochs, last_loss: run.last_loss, seconds }
    }
}

/// [`RefitBand`] for a split run: `net` trained on `split`'s training part of `series` (its
/// windows `data`), `paths` its forecasts from the validation and test origins (see
/// [`MultiStep::paths`]), `epochs` what validation chose.
#[allow(clippy::too_many_arguments)]
pub fn refit_band(
    series: &PriceSeries,
    split: &Split,
    data: &Dataset,
    paths: &(Vec<Vec<f64>>, Vec<Vec<f64>>),
    cfg: &StockConfig,
    seed: u64,
    device: Device,
    epochs: usize,
) -> Result<RefitBand> {
    let r = band_refit_job(series, split, data, cfg, seed, device, epochs)?.train()?;
    Ok(band_of_refit(&r, series, split, paths, cfg, device))
}

/// The network [`refit_band`] trains: training + validation rows of `split`, the test part
/// forecast, never trained on.
pub fn band_refit_job(
    series: &PriceSeries,
    split: &Split,
    data: &Dataset,
    cfg: &StockConfig,
    seed: u64,
    device: Device,
    epochs: usize,
) -> Result<RefitJob> {
    let back = Split { train_end: split.val_end, val_end: split.val_end, len: split.len };
    let refit_data = Dataset::build_planted(series, &back, &data.spec, cfg.horizon, cfg.load.plant)?;
    Ok(refit_job_on(refit_data, cfg, seed, device, epochs, false))
}

/// [`refit_band`] from its network `r`, trained by [`band_refit_job`].
pub fn band_of_refit(
    r: &Refitted,
    series: &PriceSeries,
    split: &Split,
    paths: &(Vec<Vec<f64>>, Vec<Vec<f64>>),
    cfg: &StockConfig,
    device: Device,
) -> RefitBand {
    let prices = &series.values[..split.len];
    let steps = paths.1.first().map_or(0, |p| p.len());
    let epochs = r.epochs;
    let fc = Forecaster { net: &r.net, spec: &r.data.spec, scalers: &r.data.scalers, device };
    let test_rows: Vec<usize> = split.test_targets().collect();
    let refit_paths = fc.forecast(&r.data.matrix, prices, &test_rows, steps);
    let b = bands_of(prices, split, paths, cfg);
    let (m, level) = (cfg.interval_method, cfg.interval);
    let held = b.first_test_quantiles(m, level);
    let (a, z) = (b.fixed_coverage(m, &held, &paths.1), b.fixed_coverage(m, &held, &refit_paths));
    RefitBand {
        method: m,
        level,
        epochs: vec![epochs],
        first_date: series.dates[split.val_end].to_string(),
        last_date: series.dates[split.len - 1].to_string(),
        steps: a
            .iter()
            .zip(&z)
            .enumerate()
            .map(|(h, (&(days, split), &(_, refit)))| RefitStep { step: h + 1, days, split, refit })
            .collect(),
    }
}

/// One-step forecasts in price units for the test rows of `data`.
pub fn test_forecasts(f: &Fitted, data: &Dataset, prices: &[f64]) -> Vec<f64> {
    data.to_prices(prices, data.test.rows.clone(), &f.net.predict(&f.test.x))
}

/// The fitted network's forecasts of the validation days, in price units (what a search
/// chooses its settings on).
pub fn validation_forecasts(f: &Fitted, data: &Dataset, prices: &[f64]) -> Vec<f64> {
    data.to_prices(prices, data.val.rows.clone(), &f.net.predict(&f.val.x))
}

/// SHA-256 of every variable's values, by name, in name order: equal digests mean equal
/// weights bit for bit, and the names say which tensor differs.
pub fn weight_digests(vs: &nn::VarStore) -> Vec<(String, String)> {
    let mut named: Vec<(String, tch::Tensor)> = vs.variables().into_iter().collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
        .into_iter()
        .map(|(name, t)| {
            let flat = t.to_device(Device::Cpu).to_kind(tch::Kind::Float).contiguous().view([-1]);
            let values = Vec::<f32>::try_from(&flat).expect("a float tensor converts to a vector");
            let mut h = Sha256::new();
            for v in values {
                h.update(v.to_le_bytes());
            }
            (name, format!("{:x}", h.finalize()))
        })
        .collect()
}

/// Everything besides the settings and the seed that changes a run's results in the last bits:
/// libtorch's thread count, the batch split's, the busy-machine cut and the `LSTM_STOCK_*`
/// switches. Same seed, same result holds only where these agree too.
pub fn numeric_setup() -> NumericSetup {
    NumericSetup {
        libtorch_threads: crate::engine::threads::libtorch(),
        split_threads: crate::engine::workers::threads(),
        busy_machine_cut: crate::engine::workers::guided(),
        gru_step: step_name(crate::engine::gru_step::enabled()),
        lstm_step: step_name(crate::engine::lstm_step::enabled()),
        lstm_stock_split: std::env::var("LSTM_STOCK_SPLIT").ok(),
    }
}

fn step_name(hand: bool) -> String {
    if hand { "hand" } else { "libtorch" }.into()
}

/// See [`numeric_setup`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NumericSetup {
    pub libtorch_threads: usize,
    pub split_threads: usize,
    pub busy_machine_cut: bool,
    /// The CPU training step of each cell, `hand` or `libtorch` (`LSTM_STOCK_GRU`,
    /// `LSTM_STOCK_LSTM`): what runs, not the switch as given, whose default has changed.
    pub gru_step: String,
    pub lstm_step: String,
    #[serde(rename = "LSTM_STOCK_SPLIT")]
    pub lstm_stock_split: Option<String>,
}

/// The fingerprint of a trained run: what the leakage check compares.
pub fn fingerprint(
    f: &Fitted,
    data: &Dataset,
    forecasts: Vec<f64>,
    interval: Vec<(f64, f64)>,
) -> Fingerprint {
    Fingerprint {
        scalers: data.scalers.iter().map(|s| (s.min, s.max)).collect(),
        weights: weight_digests(&f.vs),
        train_loss: f.history.train_loss.clone(),
        val_loss: f.history.val_loss.clone(),
        forecasts: data.test.rows.clone().zip(forecasts).collect(),
        interval,
        bands: vec![],
        dated: vec![],
    }
}

/// Forecast steps scored and sized for bands (the `predict` default horizon); a model trained
/// with a longer `--horizon` is scored over its whole horizon.
pub const STEPS: usize = 10;

/// The steps [`multi_step`] forecasts for `cfg`.
pub fn steps_for(cfg: &StockConfig) -> usize {
    STEPS.max(cfg.horizon)
}

/// What the multi-step forecasts and their bands came to.
pub struct MultiStep {
    /// Error per step beside naive, and the chosen band's coverage at the first level asked for.
    pub steps: Vec<StepScore>,
    /// Every method and naive, per step and level, on the test days.
    pub bands: Vec<StepLevel>,
    pub levels: Vec<f64>,
    /// The chosen method's log bands at the first level asked for: `[step][test origin]`.
    pub chosen: Vec<Vec<(f64, f64)>>,
    /// The chosen method per level: the quantiles for the day after the data, per step.
    pub next: Vec<LevelQuantiles>,
    /// Split-conformal quantiles of the validation errors at the first level, per step.
    pub calibration: Vec<(f64, f64)>,
    /// One-step forecasts of the test days (the band chart's centre line).
    pub one_step: Vec<f64>,
    /// The forecast paths from every validation and from every test origin.
    pub paths: (Vec<Vec<f64>>, Vec<Vec<f64>>),
}

/// Forecasts of up to [`steps_for`] days from every validation and test day of `split`; bands
/// sized by every method; scores on the test days.
pub fn multi_step(
    net: &Net,
    data: &Dataset,
    prices: &[f64],
    split: &Split,
    cfg: &StockConfig,
    device: Device,
) -> MultiStep {
    let steps = steps_for(cfg);
    let fc = Forecaster { net, spec: &data.spec, scalers: &data.scalers, device };
    let (val, test) = (split.val_targets(), split.test_targets());
    let val_f = fc.forecast(&data.matrix, prices, &val.clone().collect::<Vec<_>>(), steps);
    let test_rows: Vec<usize> = test.clone().collect();
    let mut test_f = fc.forecast(&data.matrix, prices, &test_rows, steps);
    if cfg.load.plant.peeks_path() {
        // the planted fault: each path's second step is the actual price
        for (path, &t) in test_f.iter_mut().zip(&test_rows) {
            if steps > 1 && t + 1 < split.len {
                path[1] = prices[t + 1];
            }
        }
    }
    let paths = (val_f, test_f);
    let b = bands_of(prices, split, &paths, cfg);
    let (m, level) = (cfg.interval_method, cfg.interval);
    let chosen: Vec<Vec<(f64, f64)>> = (0..steps).map(|h| b.model_bands(m, level, h)).collect();
    let levels = bands::report_levels(&cfg.levels());
    let (bands, calibration) = (b.report(&levels), b.next_quantiles(Method::Split, level));
    let next =
        levels.iter().map(|&l| LevelQuantiles { level: l, quantiles: b.next_quantiles(m, l) }).collect();
    MultiStep {
        steps: score_steps(&paths.1, &test_rows, prices, split.len, &chosen),
        bands,
        next,
        calibration,
        one_step: paths.1.iter().map(|p| p[0]).collect(),
        levels,
        chosen,
        paths,
    }
}

/// The bands of forecast `paths` from `split`'s validation and test origins, sized as `cfg`
/// says: the one construction behind the reported bands, their digests and the saved band's
/// check (a planted peek, `cfg.load.plant`, acts on all three).
fn bands_of<'a>(
    prices: &'a [f64],
    split: &Split,
    paths: &'a (Vec<Vec<f64>>, Vec<Vec<f64>>),
    cfg: &StockConfig,
) -> Bands<'a> {
    Bands::new(
        &prices[..split.len],
        Paths { origins: split.val_targets(), paths: &paths.0 },
        split.val_end,
        Paths { origins: split.test_targets(), paths: &paths.1 },
    )
    .with_gamma(cfg.interval_gamma)
    .with_peek(cfg.load.plant.band_peek())
}

/// Per test origin (named by its one-step target row) and step, the digest of its forecast at
/// that step and of every method's band and naive's at every reported level: what the leakage
/// check compares of `ms` (made by [`multi_step`] on `prices`, `split` and `cfg`). Computed
/// only when a check asks, not on every run.
pub fn band_digests(
    ms: &MultiStep,
    prices: &[f64],
    split: &Split,
    cfg: &StockConfig,
) -> Vec<(usize, Vec<u64>)> {
    let b = bands_of(prices, split, &ms.paths, cfg);
    let rows: Vec<usize> = split.test_targets().collect();
    digests_of(&b, &ms.levels, &rows, &ms.paths.1)
}

fn digests_of(b: &Bands, levels: &[f64], rows: &[usize], paths: &[Vec<f64>]) -> Vec<(usize, Vec<u64>)> {
    // [step][forecast, then each method and level][origin]
    let all: Vec<Vec<Vec<(f64, f64)>>> = (0..b.steps())
        .map(|h| {
            let mut per = vec![paths.iter().map(|p| (p[h], p[h])).collect::<Vec<_>>()];
            for &level in levels {
                per.extend(Method::ALL.iter().map(|&m| b.model_bands(m, level, h)));
                per.push(vec![b.naive_band(level, h); rows.len()]);
            }
            per
        })
        .collect();
    rows.iter()
        .enumerate()
        .map(|(k, &row)| (row, all.iter().map(|step| band_digest(step.iter().map(|v| v[k]))).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_refit_is_budgeted_a_second_set_of_windows() {
        let cfg = |extra: &[&str]| {
            let args = [&["lstm-stock", "stock", "no-such.csv"], extra].concat();
            match crate::cli::Cli::try_parse_from(args).unwrap().into_command().unwrap() {
                crate::config::Command::Stock(crate::config::StockPlan::One(c)) => *c,
                _ => unreachable!("one stock job"),
            }
        };
        let (refit, kept) = (cfg(&[]), cfg(&["--no-refit"]));
        assert!(refit.refit && !kept.refit);
        let (a, b) = (memory_need(&refit, 100_000), memory_need(&kept, 100_000));
        assert_eq!(a.0, b.0, "the network's share does not change");
        assert_eq!(a.1, 2.0 * b.1, "the windows double");
    }
}
