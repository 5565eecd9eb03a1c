//! `lstm-stock inspect FILE`: load, validate and window a file without training, and say what
//! was found and how long each step took. Useful to check a new file before a long run, and the
//! basis of the loading benchmark (`scripts/bench-load`).

use std::time::Instant;

use anyhow::Result;

use crate::config::StockConfig;

pub fn run(cfg: &StockConfig) -> Result<()> {
    cfg.validate()?;
    let t0 = Instant::now();
    let crate::pipeline::Prepared { series, split, data, load_seconds: t_load, window_seconds: t_window } =
        crate::pipeline::prepare(&StockConfig { horizon: 1, ..cfg.clone() })?;
    let spec = cfg.input_spec();
    println!("{}", series.summary());
    println!(
        "split: train {} / validation {} / test {} rows; windows of {} days x {} channels: {} train, {} validation, {} test",
        split.train_end,
        split.val_end - split.train_end,
        split.len - split.val_end,
        spec.window,
        spec.channels(),
        data.train.y.len(),
        data.val.y.len(),
        data.test.y.len()
    );
    println!(
        "time: load and validate {:.3} s, scale and window {:.3} s, total {:.3} s; peak memory {}",
        t_load,
        t_window,
        t0.elapsed().as_secs_f64(),
        peak_memory().map_or("unknown".into(), |kb| format!("{:.0} MiB", kb as f64 / 1024.0))
    );
    Ok(())
}

/// Peak resident memory of this process in KiB (`VmHWM`, Linux).
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
