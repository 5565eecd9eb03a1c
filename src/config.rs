//! The validated settings of every command, one config each, and the [`Command`] the CLI turns
//! a command line into. Every flag is bounded and checked here, with a message that names it;
//! everything downstream trusts these. They are saved beside the results (`run.json`,
//! `compare.json`) so every run says how to reproduce it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::bail_input;
use crate::data::cross_target::CrossTarget;
use crate::data::{Feature, InputSpec, LoadOptions, TargetKind};
use crate::device::DeviceChoice;
use crate::eval::bands::Method;
use crate::model::ModelKind;
use crate::space::{Search, Setting, Space};
use crate::train::TrainConfig;

pub use crate::limits;

/// Refuses `value` of `flag` above `max`.
fn at_most<T: PartialOrd + std::fmt::Display>(flag: &str, value: T, max: T) -> Result<()> {
    if value > max {
        bail_input!("{flag} {value}: at most {max}");
    }
    Ok(())
}

/// The upper bounds of the flags that size a training run (`stock`, `inspect`, `compare`, `bench`).
fn training_limits(
    hidden: i64,
    layers: i64,
    window: usize,
    batch: usize,
    epochs: usize,
    threads: Option<usize>,
) -> Result<()> {
    at_most("--hidden", hidden, limits::HIDDEN)?;
    at_most("--layers", layers, limits::LAYERS)?;
    at_most("--window", window, limits::WINDOW)?;
    at_most("--batch", batch, limits::BATCH)?;
    at_most("--epochs", epochs, limits::EPOCHS)?;
    at_most("--threads", threads.unwrap_or(1), limits::THREADS)
}

/// Settings of `lstm-stock stock`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockConfig {
    pub csv: PathBuf,
    pub load: LoadOptions,
    pub model: ModelKind,
    /// What the network learns (forecasts are always turned back into prices).
    pub target: TargetKind,
    /// Extra input channels beside the target series.
    pub features: Vec<Feature>,
    pub window: usize,
    pub hidden: i64,
    pub layers: i64,
    pub dropout: f64,
    pub val_frac: f64,
    pub test_frac: f64,
    pub train: TrainConfig,
    pub seed: u64,
    pub device: DeviceChoice,
    /// libtorch intra-op threads; `None` keeps libtorch's default (one per core).
    pub threads: Option<usize>,
    /// Train a panel's per-ticker networks, or `stock`'s networks over several files, at once,
    /// as fleets ([`crate::fleet`]); false: one after another, each batch split over the
    /// threads (`--fleet off`).
    #[serde(default = "fleet_on")]
    pub fleet: bool,
    /// Level of the prediction band (e.g. 0.9): the one charted, and kept first for `predict`.
    pub interval: f64,
    /// More levels to report and keep for `predict` (`--interval 0.9,0.8,0.95`).
    #[serde(default)]
    pub more_intervals: Vec<f64>,
    /// How the model's band is sized.
    #[serde(default)]
    pub interval_method: Method,
    /// Step size of the adaptive methods' level.
    #[serde(default = "aci_gamma")]
    pub interval_gamma: f64,
    /// Days one forward pass forecasts (1: one step, longer forecasts are recursive).
    #[serde(default = "one_day")]
    pub horizon: usize,
    /// Run the future-perturbation leakage check after training.
    #[serde(default)]
    pub sanity: bool,
    /// Save a network refitted on every row (`stock`; `--no-refit` keeps the split run's).
    #[serde(default = "yes")]
    pub refit: bool,
    /// Trading cost in basis points per unit of position change (see `eval::trading`).
    #[serde(default = "default_cost_bps")]
    pub cost_bps: f64,
    /// Evaluate trading the forecasts (`--no-trading` skips it).
    #[serde(default = "yes")]
    pub trading: bool,
    /// Print every table (`--detail`); the default console is one screen.
    #[serde(default)]
    pub detail: bool,
    pub out: PathBuf,
}

fn default_cost_bps() -> f64 {
    crate::eval::trading::DEFAULT_COST_BPS
}

fn one_day() -> usize {
    1
}

fn yes() -> bool {
    true
}

fn aci_gamma() -> f64 {
    crate::eval::bands::ACI_GAMMA
}

fn fleet_on() -> bool {
    true
}

impl StockConfig {
    pub fn input_spec(&self) -> InputSpec {
        InputSpec { target: self.target, features: self.features.clone(), window: self.window }
    }

    /// Every level asked for, the first one first.
    pub fn levels(&self) -> Vec<f64> {
        std::iter::once(self.interval).chain(self.more_intervals.iter().copied()).collect()
    }

    /// Cross-flag checks, each naming its flag.
    pub fn validate(&self) -> Result<()> {
        let t = &self.train;
        if self.window == 0 {
            bail_input!("--window 0: must be at least 1 day");
        }
        if self.hidden < 1 {
            bail_input!("--hidden {}: must be at least 1", self.hidden);
        }
        if self.layers < 1 {
            bail_input!("--layers {}: must be at least 1", self.layers);
        }
        if !(0.0..1.0).contains(&self.dropout) {
            bail_input!("--dropout {}: must be in [0, 1)", self.dropout);
        }
        if !(0.0..1.0).contains(&t.input_dropout) {
            bail_input!("--input-dropout {}: must be in [0, 1)", t.input_dropout);
        }
        if t.epochs == 0 {
            bail_input!("--epochs 0: must be at least 1");
        }
        if t.batch == 0 {
            bail_input!("--batch 0: must be at least 1");
        }
        if !(t.lr.is_finite() && t.lr > 0.0) {
            bail_input!("--lr {}: must be a positive number such as 0.001", t.lr);
        }
        if !(t.clip.is_finite() && t.clip > 0.0) {
            bail_input!("--clip {}: must be a positive number such as 1.0", t.clip);
        }
        if t.patience == 0 {
            bail_input!("--patience 0: must be at least 1 epoch");
        }
        for (flag, v) in [("--val-frac", self.val_frac), ("--test-frac", self.test_frac)] {
            if !(v > 0.0 && v < 1.0) {
                bail_input!("{flag} {v}: must be between 0 and 1, for example 0.15");
            }
        }
        if self.val_frac + self.test_frac >= 0.9 {
            bail_input!(
                "--val-frac {} with --test-frac {}: leave at least 10% of the rows for training",
                self.val_frac,
                self.test_frac
            );
        }
        if !(self.cost_bps.is_finite() && (0.0..=1000.0).contains(&self.cost_bps)) {
            bail_input!(
                "--cost-bps {}: must be a cost in basis points from 0 to 1000, for example 5 (0.05% per unit traded)",
                self.cost_bps
            );
        }
        if !(self.interval_gamma > 0.0 && self.interval_gamma < 1.0) {
            bail_input!(
                "--interval-gamma {}: must be between 0 and 1, for example 0.005",
                self.interval_gamma
            );
        }
        for level in self.levels() {
            if !(level > 0.0 && level < 1.0) {
                bail_input!("--interval {level}: must be between 0 and 1, for example 0.9 or 0.8,0.95");
            }
        }
        if self.horizon == 0 {
            bail_input!("--horizon 0: must be at least 1 day");
        }
        if self.threads == Some(0) {
            bail_input!("--threads 0: must be at least 1");
        }
        training_limits(self.hidden, self.layers, self.window, t.batch, t.epochs, self.threads)?;
        at_most("--patience", t.patience, limits::EPOCHS)?;
        at_most("--horizon", self.horizon, limits::HORIZON)?;
        Ok(())
    }
}

/// The name a file's outputs are known by: its stem (`data/AAPL.csv` -> `AAPL`).
pub fn file_stem(p: &Path) -> String {
    p.file_stem().map_or("data".into(), |s| s.to_string_lossy().into_owned())
}

/// A ticker as part of a folder name: letters, digits, `.`, `-` and `_` kept, anything else `_`.
fn path_safe(t: &str) -> String {
    t.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect()
}

/// Where a command writes when `--out` is not given: `output/<file stem>-<what>`.
pub fn default_out(csv: &Path, what: &str) -> PathBuf {
    PathBuf::from("output").join(format!("{}-{what}", file_stem(csv)))
}

/// `panel`: one network over many tickers, judged per ticker and across tickers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PanelConfig {
    /// The data and training settings; `csv` is the folder or long-format file.
    pub base: StockConfig,
    /// Networks trained globally (and per ticker, with `per_ticker`).
    pub models: Vec<ModelKind>,
    /// Tickers on each side of the daily long-short portfolio.
    pub k: usize,
    pub per_ticker: bool,
    /// Run the leakage check: everything again with one ticker's future replaced.
    pub sanity: bool,
    /// Train on a cross-sectional target (each day's rank, or side of the median, of the next
    /// day's return across tickers) instead of `base.target`; the networks then forecast a
    /// ranking score, judged across tickers only.
    pub cross_target: Option<CrossTarget>,
    /// Standardise the target series' inputs with the mean and sd of every ticker's training
    /// rows together (as Fischer and Krauss do) instead of min-max per ticker.
    pub pooled_scale: bool,
    /// Learned ticker embedding of this many dimensions, fed beside each day's inputs (0: none).
    pub embed: usize,
    /// The preset the settings started from, if any.
    pub preset: Option<Preset>,
    /// Networks trained per contender, with seeds `base.seed`, `base.seed + 1`, ...; every
    /// figure is computed from their mean forecast, and each seed's rank IC is shown.
    pub seeds: usize,
    /// Walk-forward folds over the test days, each trained on the days before it.
    pub folds: usize,
}

/// A published study's settings for `panel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Fischer and Krauss (2018): 240 standardised daily returns in, one LSTM layer of 25 units,
    /// RMSprop, early stopping with patience 10, the above-median target, k = 10.
    FischerKrauss,
}

impl PanelConfig {
    /// Applies `preset` to every setting it fixes that the command line did not give
    /// (`given(flag)`: the flag's name as clap knows it, `val_frac` for `--val-frac`).
    pub fn apply_preset(&mut self, preset: Preset, given: &dyn Fn(&str) -> bool) {
        self.preset = Some(preset);
        match preset {
            Preset::FischerKrauss => {
                let b = &mut self.base;
                let set = |flag: &str| !given(flag);
                if set("window") {
                    b.window = 240;
                }
                if set("target") {
                    b.target = TargetKind::Return;
                }
                if set("layers") {
                    b.layers = 1;
                }
                if set("hidden") {
                    b.hidden = 25;
                }
                if set("optimizer") {
                    b.train.optimizer = crate::train::Optimizer::Rmsprop;
                }
                if set("input_dropout") {
                    b.train.input_dropout = 0.1;
                }
                if set("epochs") {
                    b.train.epochs = 1000;
                }
                if set("patience") {
                    b.train.patience = 10;
                }
                // the paper trades each study period's last 250 days (a year) and stops on 20% of
                // the days before them: here a year of our five (20% of the days) and 20% of
                // the days before it (16% of all)
                if set("test_frac") {
                    b.test_frac = 0.2;
                }
                if set("val_frac") {
                    b.val_frac = 0.16;
                }
                if set("models") {
                    self.models = vec![ModelKind::Lstm];
                }
                if set("k") {
                    self.k = 10;
                }
                if set("cross_target") {
                    self.cross_target = Some(CrossTarget::AboveMedian);
                }
                if set("pooled_scale") {
                    self.pooled_scale = true;
                }
            }
        }
    }

    pub fn validate(&self) -> Result<()> {
        self.base.validate()?;
        if self.models.is_empty() {
            bail_input!("--models: name at least one model (lstm, gru, lstm-scratch, gru-scratch)");
        }
        if self.k == 0 {
            bail_input!("--k 0: hold at least one ticker on each side");
        }
        at_most("--k", self.k, limits::COUNT)?;
        at_most("--embed", self.embed, limits::COUNT)?;
        if self.seeds == 0 {
            bail_input!("--seeds 0: train at least one network per contender");
        }
        at_most("--seeds", self.seeds, limits::COUNT)?;
        if self.folds == 0 {
            bail_input!("--folds 0: must be at least 1");
        }
        at_most("--folds", self.folds, limits::COUNT)?;
        if self.cross_target.is_some() && self.base.horizon > 1 {
            bail_input!("--cross-target ranks the next day only; drop --horizon");
        }
        if !self.base.csv.exists() {
            bail_input!(
                "{}: no such folder or file; give a folder of price files or a long-format file",
                self.base.csv.display()
            );
        }
        Ok(())
    }
}

/// What `stock` (or `inspect`) was asked to do: one file, or several with a summary folder.
pub enum StockPlan {
    One(Box<StockConfig>),
    Many { jobs: Vec<StockConfig>, summary_dir: PathBuf },
}

impl StockPlan {
    /// One config per file of `paths`, folders expanded into their `.csv` files (sorted);
    /// `config` makes the settings of one file given its output folder. With one file, `out` is
    /// its folder; otherwise each file gets `<out or output/>/<stem>-<model>`.
    pub fn new(
        paths: &[PathBuf],
        out: Option<&Path>,
        model: ModelKind,
        config: impl Fn(PathBuf, PathBuf) -> StockConfig,
    ) -> Result<StockPlan> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let mut found: Vec<PathBuf> = std::fs::read_dir(p)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
                    .collect();
                if found.is_empty() {
                    bail_input!(
                        "{}: is a directory with no .csv files; give price files or a folder of them",
                        p.display()
                    );
                }
                found.sort();
                files.extend(found);
            } else {
                files.push(p.clone());
            }
        }
        // a long-format file without --ticker: one job per ticker, as for a folder
        let mut units: Vec<(PathBuf, Option<String>)> = Vec::new();
        for f in files {
            let probe = config(f.clone(), PathBuf::new());
            if probe.load.ticker.is_some() {
                // --ticker: one job, its folder named by the ticker
                units.push((f, probe.load.ticker.clone()));
                continue;
            }
            match crate::data::load::tickers(&f, &probe.load)? {
                Some(t) => units.extend(t.values.into_iter().map(|v| (f.clone(), Some(v)))),
                None => units.push((f, None)),
            }
        }
        let single = units.len() == 1 && !paths[0].is_dir();
        let root = out.map_or_else(|| PathBuf::from("output"), Path::to_path_buf);
        let checked = |(csv, ticker): (PathBuf, Option<String>)| -> Result<StockConfig> {
            let what = match &ticker {
                Some(t) => format!("{}-{model}", path_safe(t)),
                None => model.name().to_string(),
            };
            let dir = match (out, single) {
                (Some(o), true) => o.to_path_buf(),
                (Some(o), false) => o.join(format!("{}-{what}", file_stem(&csv))),
                (None, _) => default_out(&csv, &what),
            };
            let mut cfg = config(csv, dir);
            if ticker.is_some() {
                cfg.load.ticker = ticker;
            }
            cfg.validate()?;
            Ok(cfg)
        };
        if single {
            return Ok(StockPlan::One(Box::new(checked(units.remove(0))?)));
        }
        let jobs = units.into_iter().map(checked).collect::<Result<_>>()?;
        Ok(StockPlan::Many { jobs, summary_dir: root })
    }
}

/// Settings of a comparison. `base` holds the data and training settings shared by all jobs
/// (its `model`, `seed` and `out` are unused).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareConfig {
    pub base: StockConfig,
    pub models: Vec<ModelKind>,
    pub seeds: Vec<u64>,
    pub folds: usize,
    /// Leakage check and power control (extra jobs, see `commands::compare::Variant`).
    pub sanity: bool,
    /// Planted paths per strength in the power control (0: no power control).
    #[serde(default)]
    pub power_paths: usize,
    /// Worker processes on this machine.
    pub jobs: usize,
    /// Feature sets to compare (`--feature-sets`); empty: `base.features` alone.
    #[serde(default)]
    pub feature_sets: Vec<Vec<Feature>>,
    /// The settings of a search (`tune`), each tried with every model; empty: a comparison.
    /// A search's jobs also forecast their validation days (the choice is made on them) and
    /// size no bands.
    #[serde(default)]
    pub settings: Vec<Setting>,
    pub out: PathBuf,
}

impl CompareConfig {
    /// The feature sets compared: `--feature-sets`, or `base.features` alone.
    pub fn feature_sets(&self) -> Vec<Vec<Feature>> {
        if self.feature_sets.is_empty() {
            vec![self.base.features.clone()]
        } else {
            self.feature_sets.clone()
        }
    }

    /// Whether this is a search (`tune`) rather than a comparison.
    pub fn is_search(&self) -> bool {
        !self.settings.is_empty()
    }

    /// What each contender changes from the base: a search's settings, or each feature set.
    pub fn variants(&self) -> Vec<Setting> {
        if self.is_search() {
            return self.settings.clone();
        }
        self.feature_sets().into_iter().map(|f| Setting { features: Some(f), ..Setting::default() }).collect()
    }

    /// Everything compared, in a fixed order: each model with each variant (an index into
    /// [`Self::variants`]); a search's setting by setting, so that a search cut short by its
    /// time budget has whole settings done.
    pub fn contenders(&self) -> Vec<(ModelKind, usize)> {
        let sets = self.variants().len();
        if self.is_search() {
            return (0..sets).flat_map(|f| self.models.iter().map(move |&m| (m, f))).collect();
        }
        self.models.iter().flat_map(|&m| (0..sets).map(move |f| (m, f))).collect()
    }

    /// How tables and verdicts name a contender: `LSTM`, or `LSTM (volume, hl_range)` and
    /// `LSTM (no features)` when feature sets are compared.
    pub fn label(&self, model: ModelKind, set: usize) -> String {
        let name = model.name().to_uppercase();
        if self.is_search() {
            return format!("{name} #{}", set + 1);
        }
        if self.feature_sets.len() < 2 {
            return name;
        }
        match crate::data::features::names(&self.feature_sets()[set]).as_str() {
            "" => format!("{name} (no features)"),
            f => format!("{name} ({f})"),
        }
    }

    /// The `stock` settings of one contender.
    pub fn contender_config(&self, model: ModelKind, set: usize) -> StockConfig {
        let s = &self.variants()[set];
        let b = &self.base;
        let mut train = b.train.clone();
        train.lr = s.lr.unwrap_or(train.lr);
        StockConfig {
            model,
            hidden: s.hidden.unwrap_or(b.hidden),
            layers: s.layers.unwrap_or(b.layers),
            window: s.window.unwrap_or(b.window),
            dropout: s.dropout.unwrap_or(b.dropout),
            features: s.features.clone().unwrap_or_else(|| b.features.clone()),
            target: s.target.unwrap_or(b.target),
            train,
            ..b.clone()
        }
    }

    /// Every raw column some contender reads.
    pub fn all_features(&self) -> Vec<Feature> {
        self.contenders().iter().flat_map(|&(m, f)| self.contender_config(m, f).features).collect()
    }

    pub fn validate(&self) -> Result<()> {
        self.base.validate()?;
        if self.models.is_empty() {
            bail_input!("--models: name at least one model (lstm, gru, lstm-scratch, gru-scratch)");
        }
        if self.seeds.is_empty() {
            bail_input!("--seeds 0: must be at least 1");
        }
        if self.folds == 0 {
            bail_input!("--folds 0: must be at least 1");
        }
        if self.jobs == 0 {
            bail_input!("--jobs 0: must be at least 1");
        }
        at_most("--seeds", self.seeds.len(), limits::COUNT)?;
        at_most("--folds", self.folds, limits::COUNT)?;
        at_most("--power-paths", self.power_paths, 100)?;
        at_most("--jobs", self.jobs, limits::COUNT)?;
        at_most("--feature-sets", self.feature_sets.len(), limits::COUNT)?;
        at_most("--trials", self.settings.len(), limits::COUNT)?;
        for (m, f) in self.contenders() {
            self.contender_config(m, f).validate()?;
        }
        Ok(())
    }
}

/// Settings of `lstm-stock tune`: a search over `space`, each setting tried with every model,
/// seed and fold of `compare` (whose `settings` are filled from the space by [`Self::plan`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuneConfig {
    pub compare: CompareConfig,
    pub space: Space,
    pub search: Search,
    /// Settings tried, the defaults included.
    pub trials: usize,
    /// Stop starting trials after this many seconds (the settings finished by then are the
    /// search); `None`: no limit.
    pub budget_seconds: Option<f64>,
}

impl TuneConfig {
    /// The comparison that runs the search: the settings drawn from the space.
    pub fn plan(&self) -> Result<CompareConfig> {
        let b = &self.compare.base;
        let base = Setting {
            hidden: Some(b.hidden),
            layers: Some(b.layers),
            window: Some(b.window),
            dropout: Some(b.dropout),
            lr: Some(b.train.lr),
            features: Some(b.features.clone()),
            target: Some(b.target),
        };
        let settings = crate::space::settings(&self.space, self.search, self.trials, b.seed, &base)?;
        let cfg = CompareConfig { settings, ..self.compare.clone() };
        self.validate()?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<()> {
        at_most("--trials", self.trials, limits::COUNT)?;
        if let Some(b) = self.budget_seconds {
            if !(b.is_finite() && b > 0.0) {
                bail_input!("--budget {b}: must be a positive time such as 20m, 90s or 1h");
            }
        }
        Ok(())
    }
}

/// Reads a time such as `90s`, `20m`, `1.5h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<f64> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => bail_input!("--budget {text}: unknown unit \"{unit}\"; use s, m or h, e.g. 20m"),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * scale > 366.0 * 86400.0 => {
            bail_input!("--budget {text}: at most a year (366 days)")
        }
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v * scale),
        _ => bail_input!("--budget {text}: expected a positive time such as 20m, 90s or 1h"),
    }
}

/// Reads `--shard i/N`.
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let parsed = s.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((i, n)) if n > 0 && i < n => Ok((i, n)),
        _ => bail_input!("--shard {s}: expected i/N with 0 <= i < N, e.g. --shard 0/4"),
    }
}

/// Settings of `lstm-stock predict`.
#[derive(Debug, Clone)]
pub struct PredictConfig {
    pub model: PathBuf,
    pub csv: PathBuf,
    pub days: usize,
    /// Levels of the bands to write; empty: the level the model was trained to chart.
    pub levels: Vec<f64>,
    pub device: DeviceChoice,
    pub out: PathBuf,
}

impl PredictConfig {
    pub fn validate(&self) -> Result<()> {
        if self.days == 0 {
            bail_input!("--days 0: must be at least 1");
        }
        at_most("--days", self.days, limits::DAYS)?;
        for &l in &self.levels {
            if !(l > 0.0 && l < 1.0) {
                bail_input!("--interval {l}: must be between 0 and 1, for example 0.9 or 0.8,0.95");
            }
        }
        Ok(())
    }
}

/// Settings of `lstm-stock trend`.
#[derive(Debug, Clone)]
pub struct TrendConfig {
    pub seed: u64,
    pub epochs: usize,
    /// Runs with seeds `seed, seed + 1, ...`, to see how often the extrapolation works.
    pub repeat: usize,
    pub out: PathBuf,
}

impl TrendConfig {
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            bail_input!("--epochs 0: must be at least 1");
        }
        if self.repeat == 0 {
            bail_input!("--repeat 0: must be at least 1");
        }
        at_most("--epochs", self.epochs, limits::EPOCHS)?;
        at_most("--repeat", self.repeat, limits::COUNT)?;
        Ok(())
    }
}

/// Settings of `lstm-stock sine`.
#[derive(Debug, Clone)]
pub struct SineConfig {
    pub seed: u64,
    pub epochs: usize,
    pub window: usize,
    /// Steps per period of the sine.
    pub period: usize,
    /// Periods to forecast after the training part.
    pub periods: usize,
    pub out: PathBuf,
}

impl SineConfig {
    /// Periods of the sine the network trains on.
    pub const TRAIN_PERIODS: usize = 12;

    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            bail_input!("--epochs 0: must be at least 1");
        }
        if self.period < 4 {
            bail_input!("--period {}: must be at least 4 steps", self.period);
        }
        if self.periods == 0 {
            bail_input!("--periods 0: must be at least 1");
        }
        at_most("--epochs", self.epochs, limits::EPOCHS)?;
        at_most("--period", self.period, limits::PERIOD)?;
        at_most("--periods", self.periods, limits::COUNT)?;
        let train = Self::TRAIN_PERIODS * self.period;
        if self.window == 0 || self.window >= train {
            bail_input!(
                "--window {}: must be at least 1 and shorter than the {train} training steps ({} periods of --period {})",
                self.window,
                Self::TRAIN_PERIODS,
                self.period
            );
        }
        Ok(())
    }
}

/// Settings of one benchmark run (flags named as the peers name them).
#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub csv: PathBuf,
    pub model: ModelKind,
    pub epochs: usize,
    pub hidden: i64,
    pub window: usize,
    pub layers: i64,
    pub batch: usize,
    pub lr: f64,
    pub seed: u64,
    /// `None`: `--threads auto` (see [`crate::engine::threads::use_threads`]).
    pub threads: Option<usize>,
    pub device: DeviceChoice,
    pub json: bool,
    /// Time the phases of each training step (see [`crate::profile`]).
    pub profile: bool,
    /// Time the global network of a panel run on its training windows instead (`bench --panel`).
    pub panel: Option<Box<PanelConfig>>,
    /// Where `bench --panel` writes those windows for the PyTorch peer (`PREFIX.x.f32`,
    /// `PREFIX.y.f32`, `PREFIX.json`).
    pub windows_out: Option<PathBuf>,
    /// `bench --panel`: also time one network per ticker on its own windows, the same epochs.
    pub per_ticker: bool,
    /// `bench --fleet K`: time K networks of the workload trained as a fleet.
    pub fleet: Option<usize>,
    /// `bench --fleet K --one-by-one`: the same networks one after another.
    pub one_by_one: bool,
}

impl BenchConfig {
    pub fn validate(&self) -> Result<()> {
        if self.threads == Some(0) {
            bail_input!("--threads: must be a number of at least 1, or auto");
        }
        for (flag, v) in [("--epochs", self.epochs), ("--batch", self.batch), ("--window", self.window)] {
            if v == 0 {
                bail_input!("{flag} 0: must be at least 1");
            }
        }
        if self.hidden < 1 {
            bail_input!("--hidden {}: must be at least 1", self.hidden);
        }
        if self.layers < 1 {
            bail_input!("--layers {}: must be at least 1", self.layers);
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            bail_input!("--lr {}: must be a positive number such as 0.001", self.lr);
        }
        training_limits(self.hidden, self.layers, self.window, self.batch, self.epochs, self.threads)
    }
}

/// A command line, checked: what [`crate::commands::run`] runs.
pub enum Command {
    Stock(StockPlan),
    Inspect(StockPlan),
    Compare(CompareConfig),
    Panel(PanelConfig),
    /// One shard `(i, n)` of a panel run's jobs, written to a file for `--merge`.
    PanelShard(PanelConfig, (usize, usize)),
    /// Panel shard files (or folders of them) judged as one run, into `out`.
    PanelMerge {
        inputs: Vec<PathBuf>,
        out: PathBuf,
    },
    /// One shard `(i, n)` of a comparison, written to a file for `--merge`.
    CompareShard(CompareConfig, (usize, usize)),
    Tune(TuneConfig),
    /// One shard `(i, n)` of a search, written to a file for `tune --merge`.
    TuneShard(TuneConfig, (usize, usize)),
    /// Search shard files (or folders of them) judged as one search, into `out`.
    TuneMerge {
        inputs: Vec<PathBuf>,
        out: PathBuf,
    },
    /// Shard files (or folders of them) combined into the full outputs in `out`.
    CompareMerge {
        inputs: Vec<PathBuf>,
        out: PathBuf,
    },
    /// A worker process of `compare` (spawned by it, not typed by a user).
    CompareWorker {
        spec: PathBuf,
        shard: (usize, usize),
        queue: bool,
        /// The run that started it (the worker ends with it).
        parent: Option<u32>,
    },
    Predict(PredictConfig),
    Trend(TrendConfig),
    Sine(SineConfig),
    Bench(BenchConfig),
}
