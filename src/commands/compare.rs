//! `lstm-stock compare`: GRU versus LSTM (or any set of models), decided on identical work.
//!
//! Every (model, seed, fold) job trains on the same windows, splits, features and epoch budget.
//! Folds are walk-forward: the last `--test-frac` of the rows is cut into `--folds` consecutive
//! test blocks, and each block's model and scaler are fitted on the rows before it only.
//! Jobs are independent, so they can run in several processes (`--jobs`) or on several
//! machines (`--shard i/N`, then `--merge`); this module runs jobs and collects their results,
//! `compare_report` turns results into figures, tests and verdicts.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use tch::nn;

use crate::bail_input;
use crate::config::StockConfig;
use crate::data::features::raw_columns;
use crate::data::{load_prices, Dataset, PriceSeries, Split};
use crate::model::{ModelConfig, ModelKind, Net};
use crate::report::files;
use crate::train::{self, Samples};

pub use super::compare_jobs::{parse_shard, read_shards, run_all, run_shard_to_file, worker};

/// Settings of a comparison. `base` holds the data and training settings shared by all jobs
/// (its `model`, `seed` and `out` are unused).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareConfig {
    pub base: StockConfig,
    pub models: Vec<ModelKind>,
    pub seeds: Vec<u64>,
    pub folds: usize,
    pub sanity: bool,
    /// Worker processes on this machine.
    pub jobs: usize,
    pub out: PathBuf,
}

/// One walk-forward fold: train `..train_end`, validation `train_end..val_end`, test
/// `val_end..test_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    pub train_end: usize,
    pub val_end: usize,
    pub test_end: usize,
}

/// Cuts the last `test_frac` of `n` rows into `k` test blocks; each fold validates on the
/// `val_frac * n` rows just before its block and trains on everything earlier.
pub fn plan_folds(
    n: usize,
    val_frac: f64,
    test_frac: f64,
    k: usize,
    lookback: usize,
    source: &str,
) -> Result<Vec<Fold>> {
    let test_total = (test_frac * n as f64).floor() as usize;
    let n_val = (val_frac * n as f64).floor() as usize;
    if k == 0 || test_total < k || n_val == 0 {
        bail_input!("{source}: {n} rows give {test_total} test rows and {n_val} validation rows: too few for --folds {k}; use fewer folds or a larger --test-frac");
    }
    let block = test_total / k;
    let folds: Vec<Fold> = (0..k)
        .map(|i| {
            let start = n - test_total + i * block;
            let end = if i + 1 == k { n } else { start + block };
            Fold { train_end: start - n_val, val_end: start, test_end: end }
        })
        .collect();
    if folds[0].train_end <= lookback {
        bail_input!("{source}: the first fold would train on {} rows, not more than the {lookback}-row window; use fewer --folds, a smaller --test-frac or --window", folds[0].train_end);
    }
    Ok(folds)
}

/// One (model, seed, fold) job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobKey {
    pub model: ModelKind,
    pub seed: u64,
    pub fold: usize,
}

/// What one job produced: its forecasts in price units and how training went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobResult {
    pub key: JobKey,
    /// Target rows of the fold's test block, and the forecast for each.
    pub rows: Vec<usize>,
    pub predicted: Vec<f64>,
    pub epoch_seconds: Vec<f64>,
    pub best_epoch: usize,
    pub params: i64,
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
}

/// A partial result file: the jobs of one shard, with what is needed to check a merge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: String,
    pub config: CompareConfig,
    pub input_sha256: String,
    pub folds: Vec<Fold>,
    pub shard: (usize, usize),
    pub results: Vec<JobResult>,
}

pub(super) const SHARD_FORMAT: &str = "lstm-stock compare shard v1";

/// The data every job of a comparison shares.
pub struct Plan {
    pub cfg: CompareConfig,
    pub series: PriceSeries,
    pub folds: Vec<Fold>,
    pub jobs: Vec<JobKey>,
}

impl Plan {
    /// Loads and checks the data, plans folds and lists jobs in a fixed order.
    pub fn new(cfg: &CompareConfig) -> Result<Self> {
        cfg.base.validate()?;
        if let Some(t) = cfg.base.threads {
            tch::set_num_threads(t as i32);
        }
        if cfg.models.is_empty() || cfg.seeds.is_empty() {
            bail_input!("--models and --seeds must name at least one model and one seed");
        }
        let mut load = cfg.base.load.clone();
        load.columns = raw_columns(&cfg.base.features);
        let series = load_prices(&cfg.base.csv, &load)?;
        let spec = cfg.base.input_spec();
        spec.target.check(&series)?;
        let folds = plan_folds(
            series.len(),
            cfg.base.val_frac,
            cfg.base.test_frac,
            cfg.folds,
            spec.lookback(),
            &series.source,
        )?;
        let mut jobs = Vec::new();
        for &model in &cfg.models {
            for &seed in &cfg.seeds {
                for fold in 0..folds.len() {
                    jobs.push(JobKey { model, seed, fold });
                }
            }
        }
        Ok(Plan { cfg: cfg.clone(), series, folds, jobs })
    }

    /// Trains one job and forecasts its fold's test block.
    pub fn run_job(&self, key: JobKey) -> Result<JobResult> {
        let b = &self.cfg.base;
        let fold = self.folds[key.fold];
        let series = self.series.truncated(fold.test_end);
        let split = Split { train_end: fold.train_end, val_end: fold.val_end, len: fold.test_end };
        let data = Dataset::build(&series, &split, &b.input_spec(), 1)?;
        let device = crate::device::resolve(b.device)?;
        let channels = data.spec.channels();
        let (train, val, test) = Samples::parts(&data, device);
        tch::manual_seed(key.seed as i64);
        let vs = nn::VarStore::new(device);
        let mc = ModelConfig {
            kind: key.model,
            input: channels as i64,
            hidden: b.hidden,
            layers: b.layers,
            dropout: b.dropout,
        };
        let net = Net::new(&vs.root(), mc);
        let h = train::fit(&net, &vs, &train, &val, &b.train, None)?;
        let predicted = data.to_prices(&series.values, data.test.rows.clone(), &net.predict(&test.x));
        Ok(JobResult {
            key,
            rows: data.test.rows.clone().collect(),
            predicted,
            epoch_seconds: h.epoch_seconds,
            best_epoch: h.best_epoch,
            params: Net::param_count(&vs),
            train_loss: h.train_loss,
            val_loss: h.val_loss,
        })
    }

    /// Runs every `n`-th job starting at `i`, calling `done` after each.
    pub fn run_shard(&self, i: usize, n: usize, mut done: impl FnMut(&JobResult)) -> Result<Vec<JobResult>> {
        let mut out = Vec::new();
        for key in self.jobs.iter().skip(i).step_by(n) {
            let r = self
                .run_job(*key)
                .with_context(|| format!("{} seed {} fold {}", key.model, key.seed, key.fold + 1))?;
            done(&r);
            out.push(r);
        }
        Ok(out)
    }

    pub fn shard_file(&self, shard: (usize, usize), results: Vec<JobResult>) -> Result<ShardFile> {
        Ok(ShardFile {
            format: SHARD_FORMAT.into(),
            config: self.cfg.clone(),
            input_sha256: files::sha256_file(&self.cfg.base.csv)?,
            folds: self.folds.clone(),
            shard,
            results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_walk_forward_without_overlap() {
        let f = plan_folds(1000, 0.15, 0.2, 4, 60, "x").unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0], Fold { train_end: 650, val_end: 800, test_end: 850 });
        for w in f.windows(2) {
            assert_eq!(w[0].test_end, w[1].val_end, "test blocks are consecutive");
            assert!(w[1].train_end > w[0].train_end, "training grows");
        }
        assert_eq!(f[3].test_end, 1000);
        assert_eq!(
            plan_folds(1000, 0.15, 0.15, 1, 60, "x").unwrap(),
            vec![Fold { train_end: 700, val_end: 850, test_end: 1000 }]
        );
        assert!(plan_folds(100, 0.15, 0.15, 20, 60, "x").is_err());
        assert!(plan_folds(100, 0.15, 0.5, 2, 60, "x").is_err());
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        assert!(parse_shard("4/4").is_err() && parse_shard("x").is_err());
    }
}
