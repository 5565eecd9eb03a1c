//! `lstm-stock bench --panel DIR`: the global network of `panel` timed on that panel's training
//! windows (every ticker's, built as `panel` builds them: one calendar, each ticker scaled on its
//! own training rows), trained as `panel` trains it (Adam, gradient clipping, shuffled batches),
//! for a fixed number of epochs with no validation pass. `--windows-out` writes those windows
//! for `bench/peer_torch_panel.py`, which trains the same network on exactly them.
//! `--per-ticker` then trains one network per ticker on that ticker's windows for the same
//! epochs, as `panel` trains its per-ticker networks, and reports what one epoch of the global
//! network costs against one epoch of all of them (each over its own windows once).

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use tch::nn;

use super::bench::{cpu_s, flops_per_epoch, print_result, process_age_s};
use crate::config::{BenchConfig, PanelConfig};
use crate::data::cross_target::median;
use crate::data::features::raw_columns;
use crate::data::panel::{Calendar, Panel};
use crate::data::LoadOptions;
use crate::engine::draws::Draws;
use crate::model::{ModelConfig, Net};
use crate::panel_fit::{pooled, windowed};
use crate::report::files;
use crate::train::{fit_fixed, FixedEpochs, FixedRun};

pub fn run(cfg: &BenchConfig, panel_cfg: &PanelConfig) -> Result<()> {
    crate::engine::threads::use_threads(cfg.threads);
    let device = crate::device::resolve(cfg.device)?;
    let base = &panel_cfg.base;
    let load = LoadOptions { columns: raw_columns(&base.features), ..base.load.clone() };
    let panel = Panel::load(&base.csv, &load)?;
    let cal = Calendar::cut(&panel.dates, base.val_frac, base.test_frac)?;
    let (kept, _) = panel.usable(&cal, base.input_spec().lookback());
    if kept.len() < 2 {
        crate::bail_input!(
            "{}: fewer than two usable tickers with --window {}",
            base.csv.display(),
            cfg.window
        );
    }
    let members: Vec<_> = kept.into_iter().cloned().collect();
    let tickers = windowed(&members, &cal, panel_cfg)?;
    let train = pooled(&tickers, 0, device, false);
    let channels = tickers[0].data.spec.channels();
    if let Some(prefix) = &cfg.windows_out {
        write_windows(prefix, &tickers, channels, cfg.window)?;
    }
    let model = ModelConfig {
        kind: cfg.model,
        input: channels as i64,
        hidden: cfg.hidden,
        layers: cfg.layers,
        dropout: 0.0,
    };
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(device);
    let net = Net::new(&vs.root(), model);
    let setup_s = process_age_s();
    let t0 = Instant::now();
    let plan = FixedEpochs {
        epochs: cfg.epochs,
        batch: cfg.batch,
        lr: cfg.lr,
        clip: Some(base.train.clip),
        read_each_batch: false,
        progress: None,
        optimizer: crate::train::Optimizer::Adam,
        input_dropout: 0.0,
    };
    let FixedRun { last_loss, epoch_seconds } = fit_fixed(&net, &vs, &train, &plan, Draws::from_torch())?;
    let train_s = t0.elapsed().as_secs_f64();
    // one network per ticker, the same epochs: epoch e of all of them is the sum of their e-th
    let singles: Option<Vec<f64>> = if cfg.per_ticker {
        let mut sums = vec![0.0; cfg.epochs];
        for t in &tickers {
            tch::manual_seed(cfg.seed as i64);
            let vs = nn::VarStore::new(device);
            let net = Net::new(&vs.root(), model);
            let own = pooled(std::slice::from_ref(t), 0, device, false);
            for (s, e) in
                sums.iter_mut().zip(fit_fixed(&net, &vs, &own, &plan, Draws::from_torch())?.epoch_seconds)
            {
                *s += e;
            }
        }
        Some(sums)
    } else {
        None
    };
    let n = train.len() as usize;
    let med = median(&epoch_seconds);
    let flops = flops_per_epoch(cfg.model, n, cfg.window, cfg.hidden, cfg.layers);
    let round = |v: f64, d: i32| (v * 10f64.powi(d)).round() / 10f64.powi(d);
    let res = json!({
        "peer": "rust",
        "framework": crate::versions::line(),
        "workload": "panel",
        "model": cfg.model,
        "dataset": crate::config::file_stem(&base.csv),
        "device": crate::device::name(device),
        "tickers": tickers.len(),
        "n_train_samples": n,
        "clip": base.train.clip,
        "threads": crate::engine::threads::libtorch(),
        "params": Net::param_count(&vs),
        "setup_s": round(setup_s, 3),
        "train_s": round(train_s, 3),
        "epoch_s": epoch_seconds.iter().map(|&e| round(e, 4)).collect::<Vec<_>>(),
        "epoch_s_median": round(med, 4),
        "final_train_loss": last_loss,
        "flops_per_epoch": flops,
        "achieved_gflops_median_epoch": round(flops / med / 1e9, 2),
        "per_ticker_epoch_s": singles.as_ref().map(|s| s.iter().map(|&e| round(e, 4)).collect::<Vec<_>>()),
        "per_ticker_epoch_s_median": singles.as_ref().map(|s| round(median(s), 4)),
        "global_over_per_ticker": singles.as_ref().map(|s| round(med / median(s), 3)),
        "process_s": round(process_age_s(), 3),
        "cpu_s": round(cpu_s(), 3),
    });
    print_result(res, cfg);
    Ok(())
}

/// The training windows as raw float32 (little-endian) files and their shape, each written
/// whole or not at all.
fn write_windows(
    prefix: &Path,
    tickers: &[crate::panel_fit::Ticker],
    channels: usize,
    window: usize,
) -> Result<()> {
    let bytes = |v: &mut dyn Iterator<Item = f32>| -> Vec<u8> { v.flat_map(f32::to_le_bytes).collect() };
    let with = |ext: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(ext);
        std::path::PathBuf::from(p)
    };
    let x = bytes(&mut tickers.iter().flat_map(|t| t.data.train.x.iter().copied()));
    let y = bytes(&mut tickers.iter().flat_map(|t| t.data.train.y.iter().copied()));
    let n = y.len() / 4;
    files::write_atomic(&with(".x.f32"), &x)?;
    files::write_atomic(&with(".y.f32"), &y)?;
    files::write_json(&with(".json"), &json!({"samples": n, "window": window, "channels": channels}))
}
