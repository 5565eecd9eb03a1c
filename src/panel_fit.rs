//! A panel's windows and its global network: every ticker split on one calendar and windowed
//! with its own scalers (or inputs standardised over all tickers together), cross-sectional
//! targets where asked, every ticker's windows pooled into one sample set (each day tagged with
//! its ticker's index for an embedding), and one network trained on them. `panel` judges what
//! comes out; `bench --panel` times the same training against the PyTorch peer.

use anyhow::Result;
use tch::Device;

use crate::config::PanelConfig;
use crate::data::cross_target::{cross_targets, CrossTarget};
use crate::data::panel::{Calendar, Member};
use crate::data::Dataset;
use crate::model::{Loss, ModelKind};
use crate::pipeline;
use crate::train::Samples;

/// One usable ticker, split on the panel's calendar and windowed with its own scalers.
pub struct Ticker<'a> {
    pub member: &'a Member,
    pub split: crate::data::Split,
    pub data: Dataset,
}

/// Every member split on `cal` and windowed with its own scalers (the planted fault of a test,
/// if any, applied as `stock` applies it).
pub fn windowed<'a>(members: &'a [Member], cal: &Calendar, cfg: &PanelConfig) -> Result<Vec<Ticker<'a>>> {
    let spec = cfg.base.input_spec();
    let mut tickers = members
        .iter()
        .map(|m| {
            let split = cal.split_of(&m.series.dates);
            let data = Dataset::build_planted(&m.series, &split, &spec, 1, cfg.base.load.plant)?;
            Ok(Ticker { member: m, split, data })
        })
        .collect::<Result<Vec<_>>>()?;
    if cfg.pooled_scale {
        pool_scaling(&mut tickers);
    }
    if let Some(kind) = cfg.cross_target {
        let dates: Vec<&[chrono::NaiveDate]> = members.iter().map(|m| m.series.dates.as_slice()).collect();
        let prices: Vec<&[f64]> = members.iter().map(|m| m.series.values.as_slice()).collect();
        let targets = cross_targets(&dates, &prices, kind, cfg.base.load.plant);
        for (t, y) in tickers.iter_mut().zip(&targets) {
            for w in [&mut t.data.train, &mut t.data.val, &mut t.data.test] {
                w.y = w.rows.clone().map(|row| y[row] as f32).collect();
            }
        }
    }
    Ok(tickers)
}

/// Re-expresses every ticker's first input channel (the target series), min-max scaled on its
/// own training rows, as standardised with the mean and sd of all tickers' training values of
/// that channel together: a ticker that moves more keeps larger inputs, as in Fischer and
/// Krauss (2018). The training targets keep their per-ticker scaling.
pub fn pool_scaling(tickers: &mut [Ticker]) {
    let raw: Vec<f64> = tickers
        .iter()
        .flat_map(|t| {
            let d = &t.data;
            let c = d.spec.channels();
            d.scaler_rows.clone().map(move |row| d.scalers[0].inverse(d.matrix[row * c] as f64))
        })
        .collect();
    let n = raw.len().max(1) as f64;
    let mean = raw.iter().sum::<f64>() / n;
    let sd = (raw.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt().max(f64::MIN_POSITIVE);
    for t in tickers {
        let (c, scaler) = (t.data.spec.channels(), t.data.scalers[0]);
        for w in [&mut t.data.train, &mut t.data.val, &mut t.data.test] {
            for v in w.x.iter_mut().step_by(c) {
                *v = ((scaler.inverse(*v as f64) - mean) / sd) as f32;
            }
        }
    }
}

/// The windows of every ticker's part `part` (0 train, 1 validation, 2 test) as one sample set,
/// each window's days with its ticker's index as one more channel when `embed`.
pub fn pooled(tickers: &[Ticker], part: usize, device: Device, embed: bool) -> Samples {
    fn pick(d: &Dataset, part: usize) -> &crate::data::dataset::Windows {
        match part {
            0 => &d.train,
            1 => &d.val,
            _ => &d.test,
        }
    }
    let x: Vec<f32> = tickers
        .iter()
        .enumerate()
        .flat_map(|(i, t)| with_index(&pick(&t.data, part).x, t.data.spec.channels(), embed.then_some(i)))
        .collect();
    let y: Vec<f32> = tickers.iter().flat_map(|t| pick(&t.data, part).y.iter().copied()).collect();
    let spec = &tickers[0].data.spec;
    Samples::new(&x, &y, spec.window, spec.channels() + usize::from(embed), device)
}

/// Windows `x` (`channels` per day) with `index` appended to every day as one more channel, or
/// as they are without one.
pub fn with_index(x: &[f32], channels: usize, index: Option<usize>) -> Vec<f32> {
    match index {
        Some(i) => x.chunks(channels).flat_map(|day| day.iter().copied().chain([i as f32])).collect(),
        None => x.to_vec(),
    }
}

/// One network trained on every ticker's training windows, stopped early on every ticker's
/// validation windows (a progress bar when `verbose`).
pub fn train_global(
    tickers: &[Ticker],
    cfg: &PanelConfig,
    kind: ModelKind,
    seed: u64,
    device: Device,
    verbose: bool,
) -> Result<pipeline::Fitted> {
    let base = &cfg.base;
    let e = cfg.embed > 0;
    let parts = (pooled(tickers, 0, device, e), pooled(tickers, 1, device, e), pooled(tickers, 2, device, e));
    let spec = &tickers[0].data.spec;
    let embed = e.then_some((tickers.len(), cfg.embed));
    let mut built = pipeline::build_on(parts, spec.channels(), 1, embed, base, kind, seed, device);
    built.net.loss = loss_of(cfg);
    let label = format!("global {}", kind.name());
    pipeline::train(built, &base.train, verbose.then_some(label.as_str()), base.load.plant)
}

/// The networks' loss: cross-entropy on a logit for the above-median target, squared error
/// otherwise.
pub fn loss_of(cfg: &PanelConfig) -> Loss {
    match cfg.cross_target {
        Some(CrossTarget::AboveMedian) => Loss::Logistic,
        _ => Loss::Squared,
    }
}
