//! `stock --sanity`: the future-perturbation leakage check on the pipeline `stock` runs.
//!
//! Two perturbed runs, same seed and thread count as the real one:
//! - the future replaced from the middle of the test part: every forecast up to that day, the
//!   scalers, every epoch's losses, the weights and the interval quantiles must be unchanged;
//! - the future replaced from the middle of the validation part, trained for
//!   `VALIDATION_EPOCHS` epochs: the scalers and the training losses must be unchanged (this is
//!   what sees validation rows slip into training, which the first cannot).

use std::time::Instant;

use anyhow::Result;

use super::Job;
use crate::data::perturb::replace_future;
use crate::data::{Dataset, Plant};
use crate::eval::leakage::{compare, Cutoff, Fingerprint, LeakCheck, VALIDATION_EPOCHS};
use crate::pipeline;

/// Both perturbed runs, compared with `honest`, the fingerprint of the real run.
pub fn run(job: &Job, honest: &Fingerprint, plant: Plant) -> Result<Vec<LeakCheck>> {
    let s = &job.split;
    Ok(vec![
        one(job, honest, Cutoff::Test, s.val_end + (s.len - s.val_end) / 2, plant)?,
        one(job, honest, Cutoff::Validation, s.train_end + (s.val_end - s.train_end) / 2, plant)?,
    ])
}

/// The pipeline of `stock` on `job`'s data with the rows from `cutoff` on replaced (`None`:
/// the data as it is), with `epochs` at most.
pub fn fingerprint(job: &Job, cutoff: Option<usize>, epochs: usize, plant: Plant) -> Result<Fingerprint> {
    let series = match cutoff {
        Some(c) => replace_future(&job.series, c),
        None => job.series.clone(),
    };
    let cfg = &job.cfg;
    let data = Dataset::build_planted(&series, &job.split, &job.data.spec, cfg.horizon, plant)?;
    let train = crate::train::TrainConfig { epochs: cfg.train.epochs.min(epochs), ..cfg.train.clone() };
    let fitted = pipeline::fit(&data, cfg, cfg.model, cfg.seed, job.device, &train, plant)?;
    let forecasts = pipeline::test_forecasts(&fitted, &data, &series.values);
    let rerun = Job {
        cfg: cfg.clone(),
        series,
        split: job.split,
        data,
        device: job.device,
        input_sha256: job.input_sha256.clone(),
    };
    let ms = super::intervals::multi_step(&rerun, &fitted.net);
    let fp = pipeline::fingerprint(&fitted, &rerun.data, forecasts, ms.calibration.clone());
    Ok(with_bands(fp, &rerun, &ms))
}

/// `fp` with the chosen method's bands of every test origin and step: a band for a day up to
/// the cutoff uses only errors known before it, so it must not change either.
pub(super) fn with_bands(fp: Fingerprint, job: &Job, ms: &crate::pipeline::MultiStep) -> Fingerprint {
    let bands = job
        .split
        .test_targets()
        .enumerate()
        .map(|(k, row)| (row, ms.chosen.iter().map(|step| step[k]).collect()))
        .collect();
    Fingerprint { bands, ..fp }
}

fn one(job: &Job, honest: &Fingerprint, cutoff: Cutoff, row: usize, plant: Plant) -> Result<LeakCheck> {
    let started = Instant::now();
    let epochs = if cutoff == Cutoff::Validation { VALIDATION_EPOCHS } else { usize::MAX };
    let perturbed = fingerprint(job, Some(row), epochs, plant)?;
    let date = |r: usize| job.series.dates[r].to_string();
    let (compared, changes) = compare(honest, &perturbed, cutoff, row, &date);
    Ok(LeakCheck {
        cutoff,
        cutoff_row: row,
        cutoff_date: date(row),
        compared,
        changes,
        seconds: started.elapsed().as_secs_f64(),
        inconclusive: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StockConfig;
    use crate::data::{Feature, LoadOptions, Split, TargetKind};
    use crate::model::ModelKind;
    use crate::train::TrainConfig;

    /// A small job on a synthetic file with a feature, so that every planted leak has
    /// something to act on.
    fn job(dir: &std::path::Path) -> Job {
        let csv = dir.join("walk.csv");
        let mut text = String::from("Date,High,Low,Close\n");
        for (d, p) in crate::test_support::walk(260, 17, 40.0, 0.03, (2010, 1, 4)) {
            text += &format!("{d},{},{},{p}\n", p * 1.012, p * 0.991);
        }
        std::fs::write(&csv, text).unwrap();
        let cfg = StockConfig {
            csv,
            load: LoadOptions::default(),
            model: ModelKind::Gru,
            target: TargetKind::Return,
            features: vec![Feature::HlRange],
            window: 8,
            hidden: 6,
            layers: 1,
            dropout: 0.0,
            val_frac: 0.2,
            test_frac: 0.2,
            train: TrainConfig { epochs: 4, batch: 32, lr: 0.01, clip: 1.0, patience: 10 },
            seed: 5,
            device: crate::device::DeviceChoice::Cpu,
            threads: Some(1),
            interval: 0.9,
            more_intervals: vec![],
            interval_method: Default::default(),
            interval_gamma: 0.005,
            horizon: 1,
            sanity: true,
            refit: false,
            cost_bps: 5.0,
            trading: true,
            out: dir.join("out"),
        };
        let mut c = cfg.clone();
        c.load.columns = crate::data::features::raw_columns(&c.features);
        let series = crate::data::load_prices(&c.csv, &c.load).unwrap();
        let spec = c.input_spec();
        let split =
            Split::new(series.len(), c.val_frac, c.test_frac, spec.window, spec.offset(), "w").unwrap();
        let data = Dataset::build(&series, &split, &spec, 1).unwrap();
        Job { cfg: c, series, split, data, device: tch::Device::Cpu, input_sha256: String::new() }
    }

    fn checks(job: &Job, plant: Plant) -> Vec<LeakCheck> {
        let honest = fingerprint(job, None, usize::MAX, plant).unwrap();
        run(job, &honest, plant).unwrap()
    }

    #[test]
    fn the_honest_pipeline_passes_and_every_planted_leak_is_caught() {
        let _rng = crate::test_support::torch_rng();
        let dir = std::env::temp_dir().join(format!("lstm-stock-leak-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let job = job(&dir);
        let honest = checks(&job, Plant::NONE);
        assert!(honest.iter().all(|c| c.passed()), "{honest:?}");
        assert!(honest[0].compared > 50, "{honest:?}");
        for (plant, name) in Plant::leaks() {
            let found = checks(&job, plant);
            let changes: Vec<&String> = found.iter().flat_map(|c| &c.changes).collect();
            assert!(!changes.is_empty(), "{name}: not caught");
            let sentence = found.iter().find(|c| !c.passed()).unwrap().sentence("GRU");
            assert!(
                sentence.starts_with("LEAK for GRU") && sentence.contains("changed"),
                "{name}: {sentence}"
            );
            eprintln!("{name}: {sentence}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
