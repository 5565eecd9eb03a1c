//! `lstm-stock bench`: the standard workload of `bench/WORKLOAD.md`, timed exactly as the
//! PyTorch and Keras peers time it, printing one JSON line with the same keys.
//!
//! Differences from `stock` are deliberate and come from the workload: an 80/20 split with no
//! validation part, no early stopping, no gradient clipping, a fixed number of epochs.

use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use tch::nn;

use crate::config::BenchConfig;
use crate::data::cross_target::median;
use crate::data::window::make_windows;
use crate::data::{load_prices, LoadOptions, MinMaxScaler};
use crate::engine::draws::Draws;
use crate::model::{ModelConfig, ModelKind, Net};
use crate::train::{fit_fixed, FixedEpochs, FixedRun, Samples};

/// Matmul FLOPs of one training epoch, as `bench_common.rnn_flops_per_epoch` counts them:
/// per step, sample and layer `2 * G * (in + H) * H`, times 3 for forward plus backward.
pub fn flops_per_epoch(kind: ModelKind, samples: usize, window: usize, hidden: i64, layers: i64) -> f64 {
    let per_step: i64 = (0..layers)
        .map(|l| {
            let input = if l == 0 { 1 } else { hidden };
            2 * kind.gates() * (input + hidden) * hidden
        })
        .sum();
    3.0 * per_step as f64 * window as f64 * samples as f64
}

/// The workload's data: the file, its training rows, their scaler, and the windows on `device`.
pub struct Workload {
    pub series: crate::data::PriceSeries,
    pub n_train: usize,
    pub scaler: MinMaxScaler,
    pub model: ModelConfig,
    pub train: Samples,
    /// The test windows, with their scaled targets.
    pub test: Samples,
}

/// Loads `cfg.csv` and windows it as WORKLOAD.md says (80/20 split, min-max scaled on the
/// training rows), refusing what would not fit in memory.
pub fn workload(cfg: &BenchConfig, device: tch::Device) -> Result<Workload> {
    let series =
        load_prices(&cfg.csv, &LoadOptions { target_col: Some("Close".into()), ..Default::default() })?;
    let n = series.len();
    let n_train = (0.8 * n as f64).floor() as usize;
    if n_train <= cfg.window {
        crate::bail_input!(
            "{}: train part ({n_train} rows) not longer than --window {}",
            series.source,
            cfg.window
        );
    }
    let model =
        ModelConfig { kind: cfg.model, input: 1, hidden: cfg.hidden, layers: cfg.layers, dropout: 0.0 };
    let need = crate::train::memory_estimate(&model, 1, n, cfg.window, 1, cfg.batch);
    crate::train::check_memory(need, crate::device::available_memory())?;
    let scaler = MinMaxScaler::fit(&series.values[..n_train]);
    let s: Vec<f32> = series.values.iter().map(|&v| scaler.transform(v) as f32).collect();
    let (x, y) = make_windows(&s, cfg.window, cfg.window..n_train);
    let (tx, ty) = make_windows(&s, cfg.window, n_train..n);
    let train = Samples::new(&x, &y, cfg.window, 1, device);
    let test = Samples::new(&tx, &ty, cfg.window, 1, device);
    Ok(Workload { series, n_train, scaler, model, train, test })
}

pub fn run(cfg: &BenchConfig) -> Result<()> {
    crate::engine::threads::use_threads(cfg.threads);
    let device = crate::device::resolve(cfg.device)?;
    if cfg.profile {
        if device.is_cuda() {
            crate::bail_input!("--profile times CPU work only (CUDA queues its ops); use --device cpu");
        }
        crate::profile::enable();
    }
    let Workload { series, n_train, scaler, model, train, test } = workload(cfg, device)?;
    let (n, test_x) = (series.len(), test.x);

    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(device);
    let net = Net::new(&vs.root(), model);
    let setup_s = process_age_s();

    let t_train = Instant::now();
    let plan = FixedEpochs {
        epochs: cfg.epochs,
        batch: cfg.batch,
        lr: cfg.lr,
        clip: None,
        read_each_batch: true,
        progress: None,
        optimizer: crate::train::Optimizer::Adam,
        input_dropout: 0.0,
    };
    let FixedRun { last_loss, epoch_seconds: epoch_s } =
        fit_fixed(&net, &vs, &train, &plan, Draws::from_torch())?;
    let train_s = t_train.elapsed().as_secs_f64();
    let phases = crate::profile::take();

    let pred = net.predict(&test_x);
    let actual = &series.values[n_train..];
    let predicted: Vec<f64> = pred.iter().map(|&p| scaler.inverse(p as f64)).collect();
    let test_rmse = crate::eval::metrics::rmse(&predicted, actual);
    let naive_rmse = crate::eval::metrics::rmse(&series.values[n_train - 1..n - 1], actual);

    let flops = flops_per_epoch(cfg.model, train.len() as usize, cfg.window, cfg.hidden, cfg.layers);
    let med = median(&epoch_s);
    let round = |v: f64, d: i32| (v * 10f64.powi(d)).round() / 10f64.powi(d);
    let mut res = json!({
        "peer": "rust",
        "framework": crate::versions::line(),
        "model": cfg.model,
        "dataset": crate::config::file_stem(&cfg.csv),
        "device": crate::device::name(device),
        "cudnn": device.is_cuda() && tch::Cuda::cudnn_is_available(),
        "n_rows": n,
        "n_train_samples": train.len(),
        "n_test_samples": n - n_train,
        "seed": cfg.seed,
        "threads": crate::engine::threads::libtorch(),
        "split_threads": crate::engine::workers::threads(),
        "split_guided": crate::engine::workers::guided(),
        "params": Net::param_count(&vs),
        "setup_s": round(setup_s, 4),
        "train_s": round(train_s, 4),
        "epoch_s": epoch_s.iter().map(|&e| round(e, 4)).collect::<Vec<_>>(),
        "epoch_s_first": round(epoch_s[0], 4),
        "epoch_s_median": round(med, 4),
        "epoch_s_min": round(epoch_s.iter().cloned().fold(f64::INFINITY, f64::min), 4),
        "final_train_mse_scaled": last_loss,
        "test_rmse": round(test_rmse, 4),
        "naive_rmse": round(naive_rmse, 4),
        "flops_per_epoch": flops,
        "achieved_gflops_median_epoch": round(flops / med / 1e9, 2),
        "process_s": round(process_age_s(), 3),
        "cpu_s": round(cpu_s(), 3),
    });
    if cfg.profile {
        let per_epoch: serde_json::Map<String, serde_json::Value> = phases
            .iter()
            .map(|(name, secs, _)| (name.to_string(), json!(round(secs / cfg.epochs as f64, 5))))
            .collect();
        res["profile_s_per_epoch"] = per_epoch.into();
        res["profile_steps_per_epoch"] = json!((train.len() as usize).div_ceil(cfg.batch));
    }
    print_result(res, cfg);
    Ok(())
}

/// `res` with the workload's settings every bench mode reports (the keys the Python peers
/// print), as one JSON line (`--json`), or one `key: value` line each but the per-epoch times.
pub fn print_result(mut res: serde_json::Value, cfg: &BenchConfig) {
    let settings = json!({
        "window": cfg.window,
        "hidden": cfg.hidden,
        "layers": cfg.layers,
        "epochs": cfg.epochs,
        "batch_size": cfg.batch,
        "lr": cfg.lr,
    });
    if let (Some(map), serde_json::Value::Object(settings)) = (res.as_object_mut(), settings) {
        map.extend(settings);
    }
    if cfg.json {
        println!("{res}");
    } else if let Some(map) = res.as_object() {
        for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "epoch_s") {
            println!("{k:>30}: {v}");
        }
    }
}

/// Seconds since this process was started (Linux `/proc`), like the peers' `process_age_s`.
pub fn process_age_s() -> f64 {
    let read = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let after = stat.rsplit_once(')')?.1;
        let start_ticks: f64 = after.split_whitespace().nth(19)?.parse().ok()?;
        let uptime: f64 =
            std::fs::read_to_string("/proc/uptime").ok()?.split_whitespace().next()?.parse().ok()?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        Some(uptime - start_ticks / hz)
    };
    read().unwrap_or(f64::NAN)
}

/// User plus system CPU seconds of this process.
pub fn cpu_s() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return f64::NAN;
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flops_match_the_workload_table() {
        // WORKLOAD.md: small LSTM 16.86 GFLOP/epoch, large GRU 336.68.
        assert!((flops_per_epoch(ModelKind::Lstm, 948, 60, 64, 2) / 1e9 - 16.86).abs() < 0.01);
        assert!((flops_per_epoch(ModelKind::Gru, 6326, 60, 128, 2) / 1e9 - 336.68).abs() < 0.01);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
