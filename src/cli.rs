//! Command-line types (clap derive). They never leave this module: [`Cli::into_command`] turns
//! them once into the checked configs of `config` that the commands run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use anyhow::Result;

use crate::config::{
    self, BenchConfig, Command, CompareConfig, PanelConfig, PredictConfig, Preset, SineConfig, StockConfig,
    StockPlan, TrendConfig, TuneConfig,
};
use crate::data::cross_target::CrossTarget;
use crate::data::features::parse_list;
use crate::data::{Decimal, Feature, LoadOptions, Plant, RawColumn, TargetKind};
use crate::device::DeviceChoice;
use crate::eval::bands::Method;
use crate::model::ModelKind;
use crate::train::TrainConfig;

#[derive(Debug, Parser)]
#[command(
    name = "lstm-stock",
    version,
    about = "Forecast daily stock prices with LSTM and GRU networks on libtorch, always beside the naive forecast (tomorrow = today)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
    /// The subcommand's flags that the command line gave (not defaults): a preset fills in only
    /// the others. Filled by [`Cli::try_parse_given_from`].
    #[arg(skip)]
    pub given: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Train on a daily price CSV, forecast its test period one day ahead, compare with naive
    #[command(
        after_help = "Example:\n  lstm-stock stock data/AAPL.csv --model gru --epochs 50 --out output/aapl-gru"
    )]
    Stock(StockArgs),
    /// Load, validate and window a price file without training; report what was found and timings
    #[command(
        after_help = "Example:\n  lstm-stock inspect data/MSFT.csv --target log-return --features log_volume"
    )]
    Inspect(StockArgs),
    /// GRU versus LSTM decided honestly: seeds, walk-forward folds, baselines, significance, verdicts
    #[command(
        after_help = "Examples:\n  lstm-stock compare data/AAPL.csv --seeds 5 --folds 4\n  lstm-stock compare data/MSFT.csv --shard 0/3 --out shards/   (then --shard 1/3, 2/3 elsewhere)\n  lstm-stock compare --merge shards/ --out output/msft-compare"
    )]
    Compare(CompareArgs),
    /// Many tickers, one network: global LSTM/GRU over a panel beside per-ticker networks, ridge,
    /// naive and one-day reversal, judged per ticker and across tickers
    #[command(
        after_help = "Examples:\n  lstm-stock panel data/sp500-sample\n  lstm-stock panel prices-long.csv --models gru --k 5 --no-per-ticker\n  lstm-stock panel data/sp500-sample --shard 0/3 --out shards/   (then --shard 1/3, 2/3 elsewhere)\n  lstm-stock panel --merge shards/ --out output/sp500-panel"
    )]
    Panel(PanelArgs),
    /// Tune LSTM and GRU inside walk-forward folds (chosen on validation days), and pay for the
    /// search: SPA against naive, model confidence sets, the choice's rank on the test days
    #[command(
        after_help = "Examples:\n  lstm-stock tune data/AAPL.csv\n  lstm-stock tune data/MSFT.csv --trials 20 --budget 30m --space \"hidden=16,32,64; window=20,60; lr=0.001,0.003\"\n  lstm-stock tune data/AAPL.csv --space space.toml --search grid --trials 50\n  lstm-stock tune data/AAPL.csv --shard 0/3 --out shards/   (then 1/3, 2/3 elsewhere; then tune --merge shards/)"
    )]
    Tune(TuneArgs),
    #[command(hide = true)]
    CompareWorker {
        spec: PathBuf,
        #[arg(long)]
        shard: String,
        /// Read job numbers from standard input instead of running every N-th job
        #[arg(long)]
        queue: bool,
        /// The process that started this worker: the worker ends when it does
        #[arg(long)]
        parent: Option<u32>,
    },
    /// Forecast the trading days after a file's last date with a model saved by `stock`
    #[command(
        after_help = "Example:\n  lstm-stock predict --model output/AAPL-lstm/model data/AAPL.csv --days 10"
    )]
    Predict(PredictArgs),
    /// The tutorial's trend example: an LSTM learns 0.0, 0.2, ... 1.0 one step ahead, then extrapolates
    #[command(
        after_help = "Example:\n  lstm-stock trend --repeat 5   (seeds 42..46: how often does 1.2 appear?)"
    )]
    Trend(TrendArgs),
    /// The tutorial's sine example: one-step-ahead vs free-running forecasts of a sine wave
    #[command(after_help = "Example:\n  lstm-stock sine --periods 4 --out output/sine")]
    Sine(SineArgs),
    /// Time the standard workload (bench/WORKLOAD.md) and print the peers' JSON keys
    #[command(
        after_help = "Example:\n  lstm-stock bench --csv data/AAPL.csv --model gru --epochs 20 --threads 2 --json"
    )]
    Bench(BenchArgs),
}

/// A switch given as `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// Data and training flags shared by `stock`, `inspect` and `compare`.
#[derive(Debug, Clone, Args)]
pub struct TrainFlags {
    /// What the network learns (log-return: chosen on validation days, see README); forecasts are always turned back into prices
    #[arg(long, value_enum, default_value = "log-return")]
    pub target: TargetKind,
    /// Extra inputs, comma-separated: open, high, low, close, adj_close, volume, log_return, hl_range, log_volume
    #[arg(long, default_value = "")]
    pub features: String,
    /// Days of history in each input window
    #[arg(long, default_value_t = 60)]
    pub window: usize,
    /// Units per recurrent layer
    #[arg(long, default_value_t = 64)]
    pub hidden: i64,
    /// Stacked recurrent layers
    #[arg(long, default_value_t = 2)]
    pub layers: i64,
    /// Dropout between recurrent layers while training (0 = none)
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f64,
    /// Share of each training window's inputs dropped over all its steps (Keras's recurrent
    /// `dropout`; 0 = none)
    #[arg(long, default_value_t = 0.0)]
    pub input_dropout: f64,
    /// Maximum epochs (early stopping usually ends sooner)
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Epochs without a better validation loss before stopping early
    #[arg(long, default_value_t = 15)]
    pub patience: usize,
    /// Mini-batch size
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Learning rate
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Optimiser (rmsprop: Keras's settings, as Fischer and Krauss train)
    #[arg(long, value_enum, default_value = "adam")]
    pub optimizer: crate::train::Optimizer,
    /// Clip the gradient's global L2 norm to this value
    #[arg(long, default_value_t = 1.0)]
    pub clip: f64,
    /// Share of rows (the latest before the test part) used for early stopping
    #[arg(long, default_value_t = 0.15)]
    pub val_frac: f64,
    /// Share of rows (the latest) held out for the final test
    #[arg(long, default_value_t = 0.15)]
    pub test_frac: f64,
    /// Random seed: same seed, machine, thread count and busy-machine cut: same result (run.json records them)
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to train: auto picks a CUDA GPU when libtorch sees one
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceChoice,
    /// CPU threads (default: libtorch gets the cores not busy with other work; a GRU batch is
    /// still split over every core)
    #[arg(long)]
    pub threads: Option<usize>,
    /// Train a panel's per-ticker networks, or the networks of `stock` over several files, at
    /// once, each whole on one thread (the same weights as alone on one thread); off: one after
    /// another, each batch split over the threads. compare, tune and `stock FILE` train one
    /// network at a time either way (compare and tune: one per worker process, see --jobs)
    #[arg(long, value_enum, default_value = "on")]
    pub fleet: OnOff,
    /// Date column name (default: detect "Date")
    #[arg(long)]
    pub date_col: Option<String>,
    /// Price column to forecast (default: "Close"; e.g. "Adj Close")
    #[arg(long)]
    pub target_col: Option<String>,
    /// Level(s) of the prediction band, comma-separated; the first is charted (all are scored beside 80/90/95%)
    #[arg(long, value_delimiter = ',', default_value = "0.9")]
    pub interval: Vec<f64>,
    /// How the band is sized: adaptive conformal (walk-forward) or split conformal (validation
    /// errors), each plain or scaled by the last 20 days' volatility; see docs/intervals.md
    #[arg(long, value_enum, default_value = "adaptive-vol")]
    pub interval_method: Method,
    /// How fast the adaptive band's level moves after a miss (larger: faster, noisier)
    #[arg(long, default_value_t = 0.005)]
    pub interval_gamma: f64,
    /// Trading cost in basis points per unit of position change (5: a liquid US large cap;
    /// see README), charged in the trading evaluation
    #[arg(long, default_value_t = crate::eval::trading::DEFAULT_COST_BPS)]
    pub cost_bps: f64,
    /// Skip the trading evaluation (strategies on the forecasts against buy-and-hold)
    #[arg(long)]
    pub no_trading: bool,
    /// Date format when detection cannot decide (chrono syntax, e.g. %d/%m/%Y)
    #[arg(long)]
    pub date_format: Option<String>,
    /// Decimal mark of the file's numbers (default: decided per column from all its cells)
    #[arg(long, value_enum)]
    pub decimal: Option<Decimal>,
    /// Accept a day-to-day price ratio beyond 50x (otherwise taken for a unit mix-up or an unadjusted split)
    #[arg(long)]
    pub allow_jumps: bool,
    /// Long-format files (several tickers, one row per ticker and day): the ticker column
    /// [default: detected: ticker, symbol, unique_id, id, name, ...]
    #[arg(long)]
    pub id_col: Option<String>,
    /// Long-format files: use this ticker's rows only (stock without it trains one model per ticker)
    #[arg(long)]
    pub ticker: Option<String>,
    /// Header of the open column, where it has no usual name (likewise the five below)
    #[arg(long, value_name = "NAME")]
    pub open_col: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub high_col: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub low_col: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub close_col: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub adj_close_col: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub volume_col: Option<String>,
}

#[derive(Debug, Args)]
pub struct StockArgs {
    /// Daily price CSV files (or folders of them) with a date column and a price column
    #[arg(required = true)]
    pub csv: Vec<PathBuf>,
    /// Recurrent cell
    #[arg(long, value_enum, default_value = "lstm")]
    pub model: ModelKind,
    #[command(flatten)]
    pub flags: TrainFlags,
    /// Days one forward pass forecasts: above 1 trains a direct multi-output head (scored per step beside naive)
    #[arg(long, default_value_t = 1)]
    pub horizon: usize,
    /// Leakage check: train again with the future replaced from a cutoff day on (twice: mid-test,
    /// mid-validation) and require everything computed before it to be identical bit for bit
    #[arg(long)]
    pub sanity: bool,
    /// Save the network of the split run (trained on the training part only) instead of one
    /// refitted on every row for the epoch count validation chose
    #[arg(long)]
    pub no_refit: bool,
    /// Print every table (all band levels and methods, every trading figure, the multi-step
    /// table); the default console fits one screen and report.html always has everything
    #[arg(long, short = 'v')]
    pub detail: bool,
    /// Output folder [default: output/<file stem>-<model>; with several files, output/ holding one folder per file]
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Daily price CSV (not needed with --merge)
    #[arg(required_unless_present = "merge")]
    pub csv: Option<PathBuf>,
    /// Models tuned, comma-separated; each tries every setting
    #[arg(long, default_value = "lstm,gru")]
    pub models: String,
    /// Settings tried, the defaults (the other flags) first
    #[arg(long, default_value_t = 8)]
    pub trials: usize,
    /// How settings are picked from the space: random (--trials of them) or grid (every one)
    #[arg(long, value_enum, default_value = "random")]
    pub search: crate::space::Search,
    /// The space: "hidden=16,32; layers=1,2; window=20,60; dropout=0,0.2; lr=0.001,0.003;
    /// features=none|volume,hl_range; target=log-return,price", or a .toml file with the same
    /// keys as lists [default: hidden 16..64, layers 1-2, window 20..60, dropout 0/0.2, lr
    /// 0.0003..0.003]
    #[arg(long)]
    pub space: Option<String>,
    /// Stop starting trials after this long (e.g. 20m, 90s, 1h): the settings finished by then
    /// are the search
    #[arg(long)]
    pub budget: Option<String>,
    /// Seeds per trial: --seed, --seed + 1, ...
    #[arg(long, default_value_t = 2)]
    pub seeds: usize,
    /// Outer walk-forward folds: each chooses on its validation days and scores on its test block
    #[arg(long, default_value_t = 3)]
    pub folds: usize,
    /// Leakage check: every trial trained again on copies of the file with each fold's future
    /// replaced; no choice, loss or forecast before the change may move
    #[arg(long)]
    pub sanity: bool,
    /// Worker processes on this machine [default: one per core]
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only every N-th job, starting at i, and write its partial result (shard-i-of-N.json)
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,
    /// Judge shard files (or folders of them) as one search
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub merge: Vec<PathBuf>,
    /// Output folder [default: output/<file stem>-tune]
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub flags: TrainFlags,
}

impl TuneArgs {
    fn config(&self) -> Result<TuneConfig> {
        let models = parse_models(&self.models)?;
        let seeds = self.flags.seed_list(self.seeds)?;
        let csv = self.csv.clone().unwrap_or_default();
        let out = self.out.clone().unwrap_or_else(|| config::default_out(&csv, "tune"));
        let features = parse_list(&self.flags.features)?;
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let base = StockConfig {
            trading: false,
            ..self.flags.config(
                csv,
                models.first().copied().unwrap_or(ModelKind::Lstm),
                features,
                out.clone(),
            )
        };
        Ok(TuneConfig {
            compare: CompareConfig {
                base,
                seeds,
                models,
                folds: self.folds,
                sanity: self.sanity,
                power_paths: 0,
                jobs: self.jobs.unwrap_or(cores),
                feature_sets: vec![],
                settings: vec![],
                out,
            },
            space: match &self.space {
                Some(s) => crate::space::Space::parse(s)?,
                None => crate::space::default_space(),
            },
            search: self.search,
            trials: self.trials,
            budget_seconds: self.budget.as_deref().map(config::parse_duration).transpose()?,
        })
    }
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Daily price CSV (not needed with --merge)
    #[arg(required_unless_present = "merge")]
    pub csv: Option<PathBuf>,
    /// Models to compare, comma-separated (lstm, gru, lstm-scratch, gru-scratch)
    #[arg(long, default_value = "lstm,gru")]
    pub models: String,
    /// Seeds per model: --seed, --seed + 1, ...
    #[arg(long, default_value_t = 5)]
    pub seeds: usize,
    /// Walk-forward folds over the test part (1 = the plain split of `stock`)
    #[arg(long, default_value_t = 4)]
    pub folds: usize,
    /// Leakage check (train again on copies of the file with each fold's future replaced; what
    /// came before must not change) and power control (the smallest planted skill the verdict's
    /// own test detects in 80% of planted paths)
    #[arg(long)]
    pub sanity: bool,
    /// Planted paths per strength in the power control of --sanity (0 skips the control; each
    /// path trains every seed once on the last fold, for each of 6 strengths)
    #[arg(long, default_value_t = 5)]
    pub power_paths: usize,
    /// Worker processes on this machine [default: one per core]
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only every N-th job, starting at i, and write its partial result (shard-i-of-N.json)
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,
    /// Combine shard files (or folders of them) into the full outputs
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub merge: Vec<PathBuf>,
    /// Days one forward pass forecasts: above 1 every model gets a direct multi-output head
    /// (the comparison scores its first day; the bands every step)
    #[arg(long, default_value_t = 1)]
    pub horizon: usize,
    /// Feature sets to compare, separated by `;`, each as --features takes it (`none` for no
    /// extra inputs), e.g. "none;volume,hl_range": every model is trained with each
    #[arg(long, value_name = "SETS")]
    pub feature_sets: Option<String>,
    /// Output folder [default: output/<file stem>-compare]
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub flags: TrainFlags,
}

#[derive(Debug, Args)]
pub struct PanelArgs {
    /// A folder of daily price files (one ticker each, named by the file) or a long-format file
    /// with a ticker column (not needed with --merge)
    #[arg(required_unless_present = "merge")]
    pub path: Option<PathBuf>,
    /// Networks trained on every ticker's windows together (and, unless --no-per-ticker, one per
    /// ticker with the same settings), comma-separated
    #[arg(long, default_value = "lstm,gru")]
    pub models: String,
    /// Tickers on each side of the daily long-short portfolio
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Skip the per-ticker networks (a network per ticker costs about as much as the global one
    /// for every ticker)
    #[arg(long)]
    pub no_per_ticker: bool,
    /// Leakage check: run everything again with the first ticker's prices replaced from the
    /// middle of the test period on; every forecast, IC and long-short return before that day
    /// must be identical bit for bit
    #[arg(long)]
    pub sanity: bool,
    /// Train on a cross-sectional target instead of --target: the next day's return ranked
    /// among the day's tickers (0..1), or above-median (1 where it is at or above the day's
    /// median, trained with cross-entropy); the networks then forecast a ranking, judged across
    /// tickers only
    #[arg(long, value_enum)]
    pub cross_target: Option<CrossTarget>,
    /// Standardise the target series' inputs with the mean and sd of every ticker's training
    /// days together (Fischer and Krauss) instead of min-max scaling each ticker on its own
    /// (extra --features keep their per-ticker scaling)
    #[arg(long)]
    pub pooled_scale: bool,
    /// Networks trained per contender (seeds --seed, --seed + 1, ...); every figure is computed
    /// from their mean forecast, as compare judges the seed average
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// Walk-forward folds over the test days: each fold's networks train on the days before its
    /// validation part, on one calendar for every ticker (1 = one split)
    #[arg(long, default_value_t = 1)]
    pub folds: usize,
    /// A learned ticker embedding of this many numbers, fed to the global networks beside each
    /// day's inputs (0: none)
    #[arg(long, default_value_t = 0)]
    pub embed: usize,
    /// A published study's settings (flags given beside it win; its --cross-target and
    /// --pooled-scale cannot be turned off beside it): fischer-krauss = --window 240
    /// --target return --pooled-scale --layers 1 --hidden 25 --input-dropout 0.1 --optimizer
    /// rmsprop --epochs 1000
    /// --patience 10 --cross-target above-median --models lstm --k 10 --test-frac 0.2
    /// --val-frac 0.16 (docs/panel.md)
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Run only every N-th job (a fold's baselines, a global network, a per-ticker network),
    /// starting at the i-th, and write them to panel-shard-i-of-N.json in --out
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,
    /// Judge the jobs of shard files (or folders of them) as one run
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub merge: Vec<PathBuf>,
    /// Output folder [default: output/<folder or file stem>-panel; output/panel with --merge]
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub flags: TrainFlags,
}

impl PanelArgs {
    fn config(&self, given: &[String]) -> Result<PanelConfig> {
        let models = parse_models(&self.models)?;
        let path = self.path.clone().unwrap_or_default();
        let out = self.out.clone().unwrap_or_else(|| config::default_out(&path, "panel"));
        let features = parse_list(&self.flags.features)?;
        let mut cfg = PanelConfig {
            base: self.flags.config(path, models.first().copied().unwrap_or(ModelKind::Lstm), features, out),
            models,
            k: self.k,
            per_ticker: !self.no_per_ticker,
            sanity: self.sanity,
            cross_target: self.cross_target,
            pooled_scale: self.pooled_scale,
            embed: self.embed,
            preset: None,
            seeds: self.seeds,
            folds: self.folds,
        };
        if let Some(p) = self.preset {
            cfg.apply_preset(p, &|flag| given.iter().any(|g| g == flag));
        }
        Ok(cfg)
    }
}

/// `--models lstm,gru` as model kinds, each checked.
fn parse_models(text: &str) -> Result<Vec<ModelKind>> {
    text.split(',')
        .filter(|m| !m.trim().is_empty())
        .map(|m| {
            ModelKind::from_str(m.trim(), true).map_err(|_| {
                crate::error::input_error(format!(
                    "--models: unknown model \"{}\"; choose from lstm, gru, lstm-scratch, gru-scratch",
                    m.trim()
                ))
            })
        })
        .collect()
}

impl CompareArgs {
    fn config(&self) -> Result<CompareConfig> {
        let models = parse_models(&self.models)?;
        let seeds = self.flags.seed_list(self.seeds)?;
        let csv = self.csv.clone().unwrap_or_default();
        let out = self.out.clone().unwrap_or_else(|| config::default_out(&csv, "compare"));
        let features = parse_list(&self.flags.features)?;
        let feature_sets = match &self.feature_sets {
            None => vec![],
            Some(_) if !features.is_empty() => {
                crate::bail_input!(
                    "--features and --feature-sets: give one (the sets list every feature set compared)"
                )
            }
            Some(sets) => parse_feature_sets(sets)?,
        };
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        Ok(CompareConfig {
            base: StockConfig {
                horizon: self.horizon,
                ..self.flags.config(
                    csv,
                    models.first().copied().unwrap_or(ModelKind::Lstm),
                    features,
                    out.clone(),
                )
            },
            seeds,
            models,
            folds: self.folds,
            sanity: self.sanity,
            power_paths: if self.sanity { self.power_paths } else { 0 },
            jobs: self.jobs.unwrap_or(cores),
            feature_sets,
            settings: vec![],
            out,
        })
    }
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The folder `stock` wrote (or its model/ folder)
    #[arg(long)]
    pub model: PathBuf,
    /// Price file whose last rows feed the model (may be newer than the training file)
    pub csv: PathBuf,
    /// Trading days (weekdays) to forecast
    #[arg(long, default_value_t = 10)]
    pub days: usize,
    /// Band level(s), comma-separated, among those the model keeps (80, 90, 95% and any given
    /// to stock) [default: the level stock charted]
    #[arg(long, value_delimiter = ',')]
    pub interval: Vec<f64>,
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceChoice,
    /// Output folder [default: output/<file stem>-forecast]
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TrendArgs {
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 1000)]
    pub epochs: usize,
    /// Train this many times, with seeds seed, seed+1, ...
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Output folder (trend.json)
    #[arg(long, default_value = "output/trend")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SineArgs {
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Past values in each input window
    #[arg(long, default_value_t = 25)]
    pub window: usize,
    /// Steps per period of the sine
    #[arg(long, default_value_t = 50)]
    pub period: usize,
    /// Periods to forecast after the 12 training periods
    #[arg(long, default_value_t = 4)]
    pub periods: usize,
    /// Output folder (sine.png, sine.json)
    #[arg(long, default_value = "output/sine")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Price CSV (uses Date and Close)
    #[arg(long, required_unless_present = "panel")]
    pub csv: Option<PathBuf>,
    /// Time the global network of `panel` on this folder's (or long file's) training windows,
    /// built as `panel` builds them, instead of the one-file workload
    #[arg(long, conflicts_with = "csv")]
    pub panel: Option<PathBuf>,
    /// With --panel: write the training windows for the PyTorch peer to PREFIX.x.f32,
    /// PREFIX.y.f32 (float32, little-endian) and PREFIX.json (their shape)
    #[arg(long, value_name = "PREFIX", requires = "panel")]
    pub windows_out: Option<PathBuf>,
    /// With --panel: also train one network per ticker on its own windows for the same epochs,
    /// and report one global epoch's cost against one epoch of all of them
    #[arg(long, requires = "panel")]
    pub per_ticker: bool,
    #[arg(long, value_enum, default_value = "lstm")]
    pub model: ModelKind,
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub hidden: i64,
    #[arg(long, default_value_t = 60)]
    pub window: usize,
    #[arg(long, default_value_t = 2)]
    pub layers: i64,
    /// Mini-batch size
    #[arg(long, alias = "batch-size", default_value_t = 64)]
    pub batch: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// CPU threads, or `auto`: libtorch gets the cores not busy with other work, a GRU batch is
    /// still split over every core
    #[arg(long, default_value = "2")]
    pub threads: String,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// Print one JSON line instead of a table
    #[arg(long)]
    pub json: bool,
    /// Also time each phase of a training step (batch gathering, forward, backward, optimiser,
    /// loss read-back) and report seconds per epoch for each (CPU only)
    #[arg(long)]
    pub profile: bool,
    /// Time K networks of the workload (seeds --seed, --seed + 1, ...) trained as one fleet,
    /// each with the test windows as its validation part (no early stop), and print one JSON
    /// line with the time per network and epoch
    #[arg(long, value_name = "K", conflicts_with_all = ["panel", "profile"])]
    pub fleet: Option<usize>,
    /// With --fleet: train the K networks one after another instead, each batch split over the
    /// threads
    #[arg(long, requires = "fleet")]
    pub one_by_one: bool,
}

impl BenchArgs {
    fn config(self) -> Result<BenchConfig> {
        if self.panel.is_some() && self.profile {
            crate::bail_input!("--profile times the one-file workload; drop it with --panel");
        }
        let panel = match &self.panel {
            Some(dir) => Some(Box::new(self.panel_config(dir)?)),
            None => None,
        };
        Ok(BenchConfig {
            csv: self.csv.clone().unwrap_or_default(),
            panel,
            windows_out: self.windows_out.clone(),
            per_ticker: self.per_ticker,
            ..BenchConfig::from(self)
        })
    }

    /// The `panel` settings whose global network `bench --panel` times: panel's defaults with
    /// this command's network, window, batch, learning rate and seed.
    fn panel_config(&self, dir: &std::path::Path) -> Result<PanelConfig> {
        let mut argv: Vec<std::ffi::OsString> = [
            "lstm-stock",
            "panel",
            "--models",
            self.model.name(),
            "--hidden",
            &self.hidden.to_string(),
            "--layers",
            &self.layers.to_string(),
            "--window",
            &self.window.to_string(),
            "--batch",
            &self.batch.to_string(),
            "--lr",
            &self.lr.to_string(),
            "--seed",
            &self.seed.to_string(),
            "--no-per-ticker",
            "--",
        ]
        .iter()
        .map(std::ffi::OsString::from)
        .collect();
        argv.push(dir.as_os_str().to_owned());
        let cli = Cli::try_parse_given_from(argv)
            .map_err(|e| crate::error::input_error(one_line(&e.to_string())))?;
        match cli.into_command()? {
            Command::Panel(c) => Ok(c),
            _ => unreachable!("a panel command line gives a panel command"),
        }
    }
}

impl From<BenchArgs> for BenchConfig {
    fn from(a: BenchArgs) -> Self {
        BenchConfig {
            csv: a.csv.unwrap_or_default(),
            panel: None,
            windows_out: None,
            per_ticker: false,
            model: a.model,
            epochs: a.epochs,
            hidden: a.hidden,
            window: a.window,
            layers: a.layers,
            batch: a.batch,
            lr: a.lr,
            seed: a.seed,
            threads: match a.threads.as_str() {
                "auto" => None,
                t => Some(t.parse().unwrap_or(0)),
            },
            device: a.device,
            json: a.json,
            profile: a.profile,
            fleet: a.fleet,
            one_by_one: a.one_by_one,
        }
    }
}

impl TrainFlags {
    /// `count` seeds from --seed on (`--seeds N` of compare and tune), refused above the
    /// bound before the list is built.
    fn seed_list(&self, count: usize) -> Result<Vec<u64>> {
        if count > config::limits::COUNT {
            crate::bail_input!("--seeds {count}: at most {}", config::limits::COUNT);
        }
        Ok((0..count as u64).map(|k| self.seed.wrapping_add(k)).collect())
    }

    /// The raw columns named by `--open-col` ... `--volume-col`.
    fn column_names(&self) -> Vec<(RawColumn, String)> {
        [
            (RawColumn::Open, &self.open_col),
            (RawColumn::High, &self.high_col),
            (RawColumn::Low, &self.low_col),
            (RawColumn::Close, &self.close_col),
            (RawColumn::AdjClose, &self.adj_close_col),
            (RawColumn::Volume, &self.volume_col),
        ]
        .into_iter()
        .filter_map(|(c, n)| n.clone().map(|n| (c, n)))
        .collect()
    }

    /// A `stock` config for one file with these flags.
    pub fn config(
        &self,
        csv: PathBuf,
        model: ModelKind,
        features: Vec<Feature>,
        out: PathBuf,
    ) -> StockConfig {
        StockConfig {
            load: LoadOptions {
                date_col: self.date_col.clone(),
                target_col: self.target_col.clone(),
                date_format: self.date_format.clone(),
                columns: vec![],
                decimal: self.decimal,
                allow_jumps: self.allow_jumps,
                id_col: self.id_col.clone(),
                ticker: self.ticker.clone(),
                column_names: self.column_names(),
                plant: Plant::NONE,
            },
            csv,
            model,
            target: self.target,
            features,
            window: self.window,
            hidden: self.hidden,
            layers: self.layers,
            dropout: self.dropout,
            val_frac: self.val_frac,
            test_frac: self.test_frac,
            train: TrainConfig {
                epochs: self.epochs,
                batch: self.batch,
                lr: self.lr,
                clip: self.clip,
                patience: self.patience,
                optimizer: self.optimizer,
                input_dropout: self.input_dropout,
            },
            seed: self.seed,
            device: self.device,
            threads: self.threads,
            fleet: self.fleet == OnOff::On,
            interval: self.interval.first().copied().unwrap_or(0.9),
            more_intervals: self.interval.iter().skip(1).copied().collect(),
            interval_method: self.interval_method,
            interval_gamma: self.interval_gamma,
            horizon: 1,
            sanity: false,
            refit: false,
            cost_bps: self.cost_bps,
            trading: !self.no_trading,
            detail: false,
            out,
        }
    }
}

/// `none;volume,hl_range` -> `[[], [Volume, HlRange]]`: at least two sets, none repeated.
fn parse_feature_sets(text: &str) -> Result<Vec<Vec<Feature>>> {
    let mut sets: Vec<Vec<Feature>> = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        let set = if part.eq_ignore_ascii_case("none") { vec![] } else { parse_list(part)? };
        if part.is_empty() {
            crate::bail_input!("--feature-sets \"{text}\": an empty set; write none for no extra inputs");
        }
        if sets.contains(&set) {
            crate::bail_input!("--feature-sets \"{text}\": \"{part}\" is given twice");
        }
        sets.push(set);
    }
    if sets.len() < 2 {
        crate::bail_input!("--feature-sets \"{text}\": give two or more sets separated by ; (e.g. \"none;volume\"), or use --features for one");
    }
    Ok(sets)
}

/// clap's message for a command line it cannot parse, on one line as every other error: the
/// text before its usage and help hints, lines joined (`error: invalid value 'x' for '--window
/// <WINDOW>': invalid digit found in string`).
pub fn one_line(clap_message: &str) -> String {
    let body = clap_message.split("\n\nUsage:").next().unwrap_or(clap_message);
    let body = body.split("\n\nFor more information").next().unwrap_or(body);
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl StockArgs {
    fn plan(&self) -> Result<StockPlan> {
        let features = parse_list(&self.flags.features)?;
        StockPlan::new(&self.csv, self.out.as_deref(), self.model, |csv, out| StockConfig {
            horizon: self.horizon,
            sanity: self.sanity,
            refit: !self.no_refit,
            detail: self.detail,
            ..self.flags.config(csv, self.model, features.clone(), out)
        })
    }
}

impl Cli {
    /// Parses `args` (the program's name first), remembering which of the subcommand's flags
    /// they gave.
    pub fn try_parse_given_from<I, T>(args: I) -> std::result::Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let m = <Cli as clap::CommandFactory>::command().try_get_matches_from(args)?;
        let mut cli = <Cli as clap::FromArgMatches>::from_arg_matches(&m)?;
        if let Some((_, sub)) = m.subcommand() {
            cli.given = sub
                .ids()
                .filter(|id| sub.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine))
                .map(|id| id.to_string())
                .collect();
        }
        Ok(cli)
    }

    /// The command line as a checked [`Command`]: every flag bounded, folders expanded,
    /// default output folders filled in.
    pub fn into_command(self) -> Result<Command> {
        Ok(match self.command {
            CliCommand::Stock(args) => Command::Stock(args.plan()?),
            CliCommand::Inspect(args) if args.sanity => {
                crate::bail_input!("--sanity: inspect trains nothing to check; use it with stock or compare")
            }
            CliCommand::Inspect(args) => Command::Inspect(args.plan()?),
            CliCommand::Compare(a) if !a.merge.is_empty() => Command::CompareMerge {
                out: a.out.clone().unwrap_or_else(|| PathBuf::from("output/compare")),
                inputs: a.merge,
            },
            CliCommand::Compare(a) => {
                let cfg = a.config()?;
                cfg.validate()?;
                match &a.shard {
                    Some(sh) => Command::CompareShard(cfg, config::parse_shard(sh)?),
                    None => Command::Compare(cfg),
                }
            }
            CliCommand::Tune(a) if !a.merge.is_empty() => {
                if let Some(flag) = self.given.iter().find(|g| !["merge", "out"].contains(&g.as_str())) {
                    crate::bail_input!(
                        "--merge takes the settings of the shards it merges; drop {} (only --out goes with --merge)",
                        if flag == "csv" { "the data file".to_string() } else { format!("--{}", flag.replace('_', "-")) }
                    );
                }
                Command::TuneMerge {
                    out: a.out.clone().unwrap_or_else(|| PathBuf::from("output/tune")),
                    inputs: a.merge,
                }
            }
            CliCommand::Tune(a) => {
                let cfg = a.config()?;
                cfg.plan()?;
                match &a.shard {
                    Some(sh) => Command::TuneShard(cfg, config::parse_shard(sh)?),
                    None => Command::Tune(cfg),
                }
            }
            CliCommand::Panel(a) if !a.merge.is_empty() => {
                // the shards hold the run's settings: any other flag here would be ignored
                if let Some(flag) = self.given.iter().find(|g| !["merge", "out"].contains(&g.as_str())) {
                    crate::bail_input!(
                        "--merge takes the settings of the shards it merges; drop {} (only --out goes with --merge)",
                        if flag == "path" { "the data path".to_string() } else { format!("--{}", flag.replace('_', "-")) }
                    );
                }
                Command::PanelMerge {
                    out: a.out.clone().unwrap_or_else(|| PathBuf::from("output/panel")),
                    inputs: a.merge,
                }
            }
            CliCommand::Panel(a) => {
                let cfg = a.config(&self.given)?;
                cfg.validate()?;
                match &a.shard {
                    Some(sh) => Command::PanelShard(cfg, config::parse_shard(sh)?),
                    None => Command::Panel(cfg),
                }
            }
            CliCommand::CompareWorker { spec, shard, queue, parent } => {
                Command::CompareWorker { spec, shard: config::parse_shard(&shard)?, queue, parent }
            }
            CliCommand::Predict(a) => {
                let cfg = PredictConfig {
                    out: a.out.unwrap_or_else(|| config::default_out(&a.csv, "forecast")),
                    model: a.model,
                    csv: a.csv,
                    days: a.days,
                    levels: a.interval,
                    device: a.device,
                };
                cfg.validate()?;
                Command::Predict(cfg)
            }
            CliCommand::Trend(a) => {
                let cfg = TrendConfig { seed: a.seed, epochs: a.epochs, repeat: a.repeat, out: a.out };
                cfg.validate()?;
                Command::Trend(cfg)
            }
            CliCommand::Sine(a) => {
                let cfg = SineConfig {
                    seed: a.seed,
                    epochs: a.epochs,
                    window: a.window,
                    period: a.period,
                    periods: a.periods,
                    out: a.out,
                };
                cfg.validate()?;
                Command::Sine(cfg)
            }
            CliCommand::Bench(args) => {
                let cfg = args.config()?;
                cfg.validate()?;
                Command::Bench(cfg)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(args: &[&str]) -> PanelConfig {
        let dir = std::env::temp_dir();
        let argv =
            ["lstm-stock", "panel", dir.to_str().unwrap()].iter().chain(args).copied().collect::<Vec<_>>();
        match Cli::try_parse_given_from(argv).unwrap().into_command().unwrap() {
            Command::Panel(c) => c,
            _ => unreachable!("a panel command"),
        }
    }

    /// The Fischer-Krauss preset sets every setting it names, and a flag given beside it wins
    /// even where it repeats the flag's default (`--k 10`, `--epochs 100`).
    #[test]
    fn a_preset_fills_in_what_the_command_line_did_not_give() {
        let plain = panel(&[]);
        assert_eq!((plain.base.window, plain.cross_target, plain.preset), (60, None, None));
        let fk = panel(&["--preset", "fischer-krauss"]);
        assert_eq!((fk.base.window, fk.base.layers, fk.base.hidden), (240, 1, 25));
        assert_eq!(fk.cross_target, Some(CrossTarget::AboveMedian));
        assert!(fk.pooled_scale && fk.models == vec![ModelKind::Lstm]);
        assert_eq!(fk.base.train.optimizer, crate::train::Optimizer::Rmsprop);
        assert_eq!(fk.base.train.input_dropout, 0.1);
        assert_eq!(
            (fk.base.train.epochs, fk.base.train.patience, fk.base.target),
            (1000, 10, TargetKind::Return)
        );
        let mine =
            panel(&["--preset", "fischer-krauss", "--window", "120", "--epochs", "100", "--models", "gru"]);
        assert_eq!((mine.base.window, mine.base.train.epochs, mine.base.layers), (120, 100, 1));
        assert_eq!(mine.models, vec![ModelKind::Gru]);
        let none = panel(&["--preset", "fischer-krauss", "--input-dropout", "0"]);
        assert_eq!(none.base.train.input_dropout, 0.0, "a flag given at its default still wins");
    }
}
