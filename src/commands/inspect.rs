//! `lstm-stock inspect FILE`: load, validate and window a file without training, and say what
//! was found and how long each step took. Useful to check a new file before a long run, and the
//! basis of the loading benchmark (`scripts/bench-load`).

use std::time::Instant;

use anyhow::Result;

use crate::config::StockConfig;
use crate::data::features::raw_columns;
use crate::data::{load_prices, Dataset, Split};

pub fn run(cfg: &StockConfig) -> Result<()> {
    cfg.validate()?;
    let t0 = Instant::now();
    let mut load = cfg.load.clone();
    load.columns = raw_columns(&cfg.features);
    let series = load_prices(&cfg.csv, &load)?;
    let t_load = t0.elapsed().as_secs_f64();
    let spec = cfg.input_spec();
    let split =
        Split::new(series.len(), cfg.val_frac, cfg.test_frac, spec.window, spec.offset(), &series.source)?;
    let t1 = Instant::now();
    let data = Dataset::build(&series, &split, &spec, 1)?;
    let t_window = t1.elapsed().as_secs_f64();
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
