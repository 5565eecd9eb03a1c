//! `lstm-stock compare`: GRU versus LSTM (or any set of models), decided on identical work.
//!
//! Every (model, seed, fold) job trains on the same windows, splits, features and epoch budget.
//! Folds are walk-forward: the last `--test-frac` of the rows is cut into `--folds` consecutive
//! test blocks, and each block's model and scaler are fitted on the rows before it only.
//! Jobs are independent, so they can run in several processes (`--jobs`) or on several
//! machines (`--shard i/N`, then `--merge`); this module runs jobs and collects their results,
//! `compare_report` pools them into the figures, tests and verdicts of `eval::compare`.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::future_copy::with_future_copy;
use crate::data::features::raw_columns;
use crate::data::perturb::plant_ar;
use crate::data::{load_prices, Dataset, LoadOptions, PriceSeries, Split};
use crate::eval::bands::StepLevel;
use crate::eval::leakage::VALIDATION_EPOCHS;
use crate::model::ModelKind;
use crate::pipeline;
use crate::report::files;

pub use crate::config::CompareConfig;
pub use crate::data::split::{plan_folds, Fold};

/// One (model, seed, fold) job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobKey {
    pub model: ModelKind,
    /// Index of the variant: the feature set or the search's setting (`CompareConfig::variants`).
    #[serde(default)]
    pub features: usize,
    pub seed: u64,
    pub fold: usize,
    pub variant: Variant,
}

/// What data a job trains on: the file, or (`--sanity`) a check's copy of it: the leakage
/// check's (first seed) or the power control's (every seed, last fold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    #[default]
    Main,
    /// The fold's future replaced from the middle of its test block.
    FutureInTest,
    /// The fold's future replaced from the middle of its validation part (short training).
    FutureInValidation,
    /// The power control: path `.1` of the file with an AR(1) term of strength
    /// [`POWER_PHIS`]`[.0]` in its returns (last fold only).
    Planted(usize, usize),
}

/// Strengths of the planted AR(1) term in the power control. In the long run the best possible
/// forecast of such a series beats naive's RMSE by `1 - sqrt(1 - phi^2)`: 0, 0.5%, 1.1%, 2.0%,
/// 3.2%, 4.6%, 8.3%, 16.5%, each about 1.5 times the last where real data's detectable skills
/// lie (the report measures it on the scored days themselves). The first, nothing planted,
/// measures how often the test fires on no skill at all.
pub const POWER_PHIS: [f64; 8] = [0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.55];

/// Every job of a comparison in a fixed order: the main jobs, then with `sanity` the checks':
/// the leakage check's (first seed, every fold) and the power control's (`power_paths` paths
/// of every strength, every seed, the last fold).
pub fn job_keys(
    contenders: &[(ModelKind, usize)],
    seeds: &[u64],
    folds: usize,
    sanity: bool,
    power_paths: usize,
) -> Vec<JobKey> {
    let mut jobs = Vec::new();
    let mut add = |(model, features): (ModelKind, usize), seed, variant| {
        for fold in 0..folds {
            jobs.push(JobKey { model, features, seed, fold, variant });
        }
    };
    for &c in contenders {
        for &seed in seeds {
            add(c, seed, Variant::Main);
        }
    }
    if sanity {
        for &c in contenders {
            add(c, seeds[0], Variant::FutureInTest);
            add(c, seeds[0], Variant::FutureInValidation);
        }
        for &(model, features) in contenders {
            for k in 0..POWER_PHIS.len() {
                for path in 0..power_paths {
                    for &seed in seeds {
                        let variant = Variant::Planted(k, path);
                        jobs.push(JobKey { model, features, seed, fold: folds - 1, variant });
                    }
                }
            }
        }
    }
    jobs
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
    /// Training ended by early stopping (not at the epoch cap).
    pub stopped_early: bool,
    /// SHA-256 of each trained variable (for the leakage check).
    pub weights: Vec<(String, String)>,
    /// `(min, max)` of each input channel's scaler.
    pub scalers: Vec<(f64, f64)>,
    /// A search's jobs: the validation part's target rows and the forecast for each (what the
    /// search chooses on); empty for a comparison's.
    #[serde(default)]
    pub val_rows: Vec<usize>,
    #[serde(default)]
    pub val_predicted: Vec<f64>,
    /// Wall time of the whole job.
    pub seconds: f64,
    /// Thread counts and switches the job ran with (the leakage check compares only jobs
    /// that agree on them).
    pub setup: pipeline::NumericSetup,
    /// Prediction bands of every method and naive's on the fold's test days, per step and
    /// level (main jobs only).
    pub bands: Vec<StepLevel>,
    /// Per test day and step, a digest of the forecast path and every band (with `--sanity`,
    /// the first seed's main jobs and their leakage checks' copies).
    #[serde(default)]
    pub band_digests: Vec<(usize, Vec<u64>)>,
    /// The fold's band checked around a network refitted on training + validation, as
    /// `predict`'s saved model is (main jobs of the first seed).
    #[serde(default)]
    pub refit_band: Option<crate::eval::refit_band::RefitBand>,
    /// The prices the leakage check's test-part job ran on (its altered copy, up to its fold's
    /// end); empty for every other job, which ran on the file's.
    #[serde(default)]
    pub prices: Vec<f64>,
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

pub(super) const SHARD_FORMAT: &str = "lstm-stock compare shard v6";

/// The data every job of a comparison shares.
pub struct Plan {
    pub cfg: CompareConfig,
    /// How the file is read (the base settings' options with the columns the features need).
    pub load: LoadOptions,
    pub series: PriceSeries,
    pub folds: Vec<Fold>,
    pub jobs: Vec<JobKey>,
    /// With `--sanity`: `planted[k][path]`, the file with [`POWER_PHIS`]`[k]` planted.
    pub planted: Vec<Vec<PriceSeries>>,
}

impl Plan {
    /// What a run's JSON record says of its input (path, SHA-256, rows) and of its folds (rows
    /// of each part, test dates): the same in `compare.json` and `tune.json`.
    pub fn input_and_folds_json(&self) -> Result<(serde_json::Value, serde_json::Value)> {
        let (csv, dates) = (&self.cfg.base.csv, &self.series.dates);
        let input =
            serde_json::json!({"path": csv, "sha256": files::sha256_file(csv)?, "rows": self.series.len()});
        let folds = self
            .folds
            .iter()
            .map(|f| {
                serde_json::json!({
                    "train_rows": f.train_end, "validation_rows": f.val_end - f.train_end, "test_rows": f.test_end - f.val_end,
                    "test_start": dates[f.val_end].to_string(), "test_end": dates[f.test_end - 1].to_string()})
            })
            .collect();
        Ok((input, folds))
    }

    /// Loads and checks the data, plans folds and lists jobs in a fixed order.
    pub fn new(cfg: &CompareConfig) -> Result<Self> {
        cfg.validate()?;
        if let Some(t) = cfg.base.threads {
            crate::engine::threads::use_exactly(t);
        }
        let mut load = cfg.base.load.clone();
        load.columns = raw_columns(&cfg.all_features());
        let series = load_prices(&cfg.base.csv, &load)?;
        let mut lookback = 0;
        for (m, f) in cfg.contenders() {
            let one = cfg.contender_config(m, f);
            one.input_spec().target.check(&series)?;
            crate::data::dataset::channels(&series, &one.input_spec())?;
            pipeline::check_memory(&one, series.len())?;
            lookback = lookback.max(one.input_spec().lookback());
        }
        // one calendar of folds for every contender: the longest window's
        let folds = plan_folds(
            series.len(),
            cfg.base.val_frac,
            cfg.base.test_frac,
            cfg.folds,
            lookback,
            &series.source,
        )?;
        let mut jobs = job_keys(&cfg.contenders(), &cfg.seeds, folds.len(), cfg.sanity, cfg.power_paths);
        if cfg.is_search() {
            // setting by setting (each one's checks beside it): a time budget stops between
            // settings, not inside one
            jobs.sort_by_key(|k| k.features);
        }
        let last = folds[folds.len() - 1];
        let planted = if cfg.sanity {
            let scored = last.val_end..last.test_end;
            POWER_PHIS
                .iter()
                .map(|&phi| {
                    (0..cfg.power_paths).map(|j| plant_ar(&series, phi, j as u64, scored.clone())).collect()
                })
                .collect()
        } else {
            vec![]
        };
        Ok(Plan { cfg: cfg.clone(), load, series, folds, jobs, planted })
    }

    /// Trains one job and forecasts its fold's test block.
    pub fn run_job(&self, key: JobKey) -> Result<JobResult> {
        let started = std::time::Instant::now();
        let contender = self.cfg.contender_config(key.model, key.features);
        let b = &contender;
        let fold = self.folds[key.fold];
        let source = match key.variant {
            Variant::Planted(k, path) => &self.planted[k][path],
            _ => &self.series,
        };
        let mut train = b.train.clone();
        let series = match key.variant {
            Variant::FutureInTest => self.future_copy(fold.test_cutoff())?,
            Variant::FutureInValidation => {
                train.epochs = train.epochs.min(VALIDATION_EPOCHS);
                self.future_copy(fold.validation_cutoff())?
            }
            Variant::Main | Variant::Planted(..) => source.clone(),
        }
        .truncated(fold.test_end);
        let split = Split { train_end: fold.train_end, val_end: fold.val_end, len: fold.test_end };
        let plant = self.load.plant;
        let data = Dataset::build_planted(&series, &split, &b.input_spec(), b.horizon, plant)?;
        let device = crate::device::resolve(b.device)?;
        let f = pipeline::fit(&data, b, key.model, key.seed, device, &train, plant)?;
        let predicted = pipeline::test_forecasts(&f, &data, &series.values);
        let (mut bands, mut band_digests, mut refit_band) = (vec![], vec![], None);
        let (mut val_rows, mut val_predicted) = (vec![], vec![]);
        // the check in the validation part compares scalers and losses alone; the leakage check
        // compares the first seed's main jobs with their FutureInTest copies
        let first_seed = key.seed == self.cfg.seeds[0];
        if self.cfg.is_search() {
            // a search chooses on the validation days, and sizes no bands
            val_rows = data.val.rows.clone().collect();
            val_predicted = pipeline::validation_forecasts(&f, &data, &series.values);
        } else if matches!(key.variant, Variant::Main | Variant::FutureInTest) {
            let ms = pipeline::multi_step(&f.net, &data, &series.values, &split, b, device);
            if self.cfg.sanity && first_seed {
                band_digests = pipeline::band_digests(&ms, &series.values, &split, b);
            }
            if key.variant == Variant::Main && first_seed {
                let epochs = f.history.best_epoch;
                refit_band = Some(pipeline::refit_band(
                    &series, &split, &data, &ms.paths, b, key.seed, device, epochs,
                )?);
            }
            if key.variant == Variant::Main {
                bands = ms.bands;
            }
        }
        let h = f.history.clone();
        Ok(JobResult {
            key,
            rows: data.test.rows.clone().collect(),
            predicted,
            epoch_seconds: h.epoch_seconds,
            best_epoch: h.best_epoch,
            params: crate::model::Net::param_count(&f.vs),
            train_loss: h.train_loss,
            val_loss: h.val_loss,
            stopped_early: h.stopped_early,
            weights: pipeline::weight_digests(&f.vs),
            scalers: data.scalers.iter().map(|s| (s.min, s.max)).collect(),
            seconds: started.elapsed().as_secs_f64(),
            setup: pipeline::numeric_setup(),
            bands,
            band_digests,
            refit_band,
            val_rows,
            val_predicted,
            // the check in the validation part compares no priced figure
            prices: if key.variant == Variant::FutureInTest { series.values.clone() } else { vec![] },
        })
    }

    /// The file loaded again, from a copy of it whose rows from `cutoff` on follow another path
    /// (the leakage check's jobs): the loader runs on the altered file as it runs on the real one.
    fn future_copy(&self, cutoff: usize) -> Result<PriceSeries> {
        let csv = &self.cfg.base.csv;
        with_future_copy(csv, &self.series, &self.load, cutoff, |path| load_prices(path, &self.load))
    }

    /// Runs every `n`-th job starting at `i`, calling `done` after each.
    pub fn run_shard(&self, i: usize, n: usize, mut done: impl FnMut(&JobResult)) -> Result<Vec<JobResult>> {
        let mut out = Vec::new();
        for key in self.jobs.iter().skip(i).step_by(n) {
            let r = self.run_job(*key).with_context(|| describe(key))?;
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

/// A job in words, for progress lines and errors.
pub fn describe(key: &JobKey) -> String {
    // the variant: a feature set of a comparison or a setting of a search
    let set = if key.features > 0 { format!(" #{}", key.features + 1) } else { String::new() };
    let base = format!("{}{set} seed {} fold {}", key.model, key.seed, key.fold + 1);
    match key.variant {
        Variant::Main => base,
        Variant::FutureInTest => format!("{base}, leakage check (test part)"),
        Variant::FutureInValidation => format!("{base}, leakage check (validation part)"),
        Variant::Planted(k, path) => format!("{base}, power control strength {} path {}", k + 1, path + 1),
    }
}

/// A small comparison on a synthetic file, for tests.
#[cfg(test)]
pub(crate) mod test_plan {
    use super::*;
    use crate::config::StockConfig;
    use crate::train::TrainConfig;

    /// A random walk written to a temporary CSV, with a small network that trains in seconds.
    pub fn plan(dir: &std::path::Path) -> Plan {
        plan_with(dir, crate::data::Plant::NONE)
    }

    /// A well-formed result of `key` in `plan` with placeholder figures (for tests of what
    /// reads results: merging checks keys and shapes, not figures).
    pub fn placeholder(plan: &Plan, key: JobKey) -> JobResult {
        let fold = plan.folds[key.fold];
        JobResult {
            key,
            rows: (fold.val_end..fold.test_end).collect(),
            predicted: vec![1.0; fold.test_end - fold.val_end],
            epoch_seconds: vec![0.1],
            best_epoch: 1,
            params: 0,
            train_loss: vec![0.1],
            val_loss: vec![0.1],
            stopped_early: true,
            weights: vec![],
            scalers: vec![],
            seconds: 0.0,
            setup: Default::default(),
            bands: vec![],
            band_digests: vec![],
            refit_band: None,
            val_rows: vec![],
            val_predicted: vec![],
            prices: vec![],
        }
    }

    /// [`plan`] with a fault planted (`LoadOptions::plant`).
    pub fn plan_with(dir: &std::path::Path, plant: crate::data::Plant) -> Plan {
        let csv = dir.join("walk.csv");
        let mut text = String::from("Date,Close\n");
        for (d, p) in crate::test_support::walk(1200, 23, 30.0, 0.04, (2000, 1, 3)) {
            text += &format!("{d},{p}\n");
        }
        std::fs::write(&csv, text).unwrap();
        let base = StockConfig {
            hidden: 16,
            test_frac: 0.25,
            train: TrainConfig {
                epochs: 40,
                batch: 32,
                lr: 0.005,
                clip: 1.0,
                patience: 8,
                optimizer: crate::train::Optimizer::Adam,
                input_dropout: 0.0,
            },
            ..crate::test_support::stock_config(csv, dir.join("out"), plant)
        };
        let cfg = CompareConfig {
            base,
            models: vec![ModelKind::Gru],
            seeds: vec![1],
            folds: 1,
            sanity: true,
            power_paths: 2,
            jobs: 1,
            feature_sets: vec![],
            settings: vec![],
            out: dir.join("out"),
        };
        Plan::new(&cfg).unwrap()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shards_read_as_i_of_n() {
        use crate::config::parse_shard;
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        assert!(parse_shard("4/4").is_err() && parse_shard("x").is_err());
    }
}
