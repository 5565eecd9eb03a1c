//! Command-line types (clap derive). They never leave this module: [`run`] converts them once
//! into the configs the library works with and calls the command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::bench::BenchConfig;
use crate::commands::compare::CompareConfig;
use crate::config::StockConfig;
use crate::data::features::parse_list;
use crate::data::{Feature, LoadOptions, TargetKind};
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
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    #[command(hide = true)]
    CompareWorker {
        spec: PathBuf,
        #[arg(long)]
        shard: String,
        /// Read job numbers from standard input instead of running every N-th job
        #[arg(long)]
        queue: bool,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModelArg {
    Lstm,
    Gru,
    /// The LSTM written gate by gate (same network, slower; see `gates`)
    LstmScratch,
    /// The GRU written gate by gate
    GruScratch,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TargetArg {
    Price,
    Return,
    LogReturn,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    Auto,
    Cpu,
    Cuda,
}

/// Data and training flags shared by `stock`, `inspect` and `compare`.
#[derive(Debug, Clone, Args)]
pub struct TrainFlags {
    /// What the network learns (log-return: chosen on validation days, see README); forecasts are always turned back into prices
    #[arg(long, value_enum, default_value = "log-return")]
    pub target: TargetArg,
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
    /// Maximum epochs (early stopping usually ends sooner)
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Epochs without a better validation loss before stopping early
    #[arg(long, default_value_t = 15)]
    pub patience: usize,
    /// Mini-batch size
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Adam learning rate
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
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
    pub device: DeviceArg,
    /// CPU threads (default: libtorch gets the cores not busy with other work; a GRU batch is
    /// still split over every core)
    #[arg(long)]
    pub threads: Option<usize>,
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
    #[arg(long, value_enum, default_value = "adaptive")]
    pub interval_method: IntervalMethodArg,
    /// How fast the adaptive band's level moves after a miss (larger: faster, noisier)
    #[arg(long, default_value_t = 0.005)]
    pub interval_gamma: f64,
    /// Date format when detection cannot decide (chrono syntax, e.g. %d/%m/%Y)
    #[arg(long)]
    pub date_format: Option<String>,
}

#[derive(Debug, Args)]
pub struct StockArgs {
    /// Daily price CSV files (or folders of them) with a date column and a price column
    #[arg(required = true)]
    pub csv: Vec<PathBuf>,
    /// Recurrent cell
    #[arg(long, value_enum, default_value = "lstm")]
    pub model: ModelArg,
    #[command(flatten)]
    pub flags: TrainFlags,
    /// Days one forward pass forecasts: above 1 trains a direct multi-output head (scored per step beside naive)
    #[arg(long, default_value_t = 1)]
    pub horizon: usize,
    /// Leakage check: train again with the future replaced from a cutoff day on (twice: mid-test,
    /// mid-validation) and require everything computed before it to be identical bit for bit
    #[arg(long)]
    pub sanity: bool,
    /// Output folder [default: output/<file stem>-<model>; with several files, output/ holding one folder per file]
    #[arg(long)]
    pub out: Option<PathBuf>,
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
    /// Leakage check (train again with each fold's future replaced; what came before must not
    /// change) and power control (the smallest planted skill the comparison detects)
    #[arg(long)]
    pub sanity: bool,
    /// Worker processes on this machine [default: one per core]
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only every N-th job, starting at i, and write its partial result (shard-i-of-N.json)
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,
    /// Combine shard files (or folders of them) into the full outputs
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub merge: Vec<PathBuf>,
    /// Output folder [default: output/<file stem>-compare]
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub flags: TrainFlags,
}

impl CompareArgs {
    fn config(&self) -> anyhow::Result<CompareConfig> {
        let models = self
            .models
            .split(',')
            .filter(|m| !m.trim().is_empty())
            .map(|m| {
                ModelArg::from_str(m.trim(), true).map(ModelKind::from).map_err(|_| {
                    crate::error::input_error(format!(
                        "--models: unknown model \"{}\"; choose from lstm, gru, lstm-scratch, gru-scratch",
                        m.trim()
                    ))
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if self.seeds == 0 || self.folds == 0 {
            crate::bail_input!("--seeds and --folds must be at least 1");
        }
        let csv = self.csv.clone().unwrap_or_default();
        let stem = csv.file_stem().map_or("data".into(), |s| s.to_string_lossy().into_owned());
        let out = self.out.clone().unwrap_or_else(|| PathBuf::from("output").join(format!("{stem}-compare")));
        let features = parse_list(&self.flags.features)?;
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        Ok(CompareConfig {
            base: self.flags.config(
                csv,
                models.first().copied().unwrap_or(ModelKind::Lstm),
                features,
                out.clone(),
            ),
            seeds: (0..self.seeds as u64).map(|k| self.flags.seed + k).collect(),
            models,
            folds: self.folds,
            sanity: self.sanity,
            jobs: self.jobs.unwrap_or(cores).max(1),
            out,
        })
    }
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model/ folder written by `stock`
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
    pub device: DeviceArg,
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
    #[arg(long)]
    pub csv: PathBuf,
    #[arg(long, value_enum, default_value = "lstm")]
    pub model: ModelArg,
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
    pub device: DeviceArg,
    /// Print one JSON line instead of a table
    #[arg(long)]
    pub json: bool,
    /// Also time each phase of a training step (batch gathering, forward, backward, optimiser,
    /// loss read-back) and report seconds per epoch for each (CPU only)
    #[arg(long)]
    pub profile: bool,
}

impl From<BenchArgs> for BenchConfig {
    fn from(a: BenchArgs) -> Self {
        BenchConfig {
            csv: a.csv,
            model: a.model.into(),
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
            device: a.device.into(),
            json: a.json,
            profile: a.profile,
        }
    }
}

impl From<ModelArg> for ModelKind {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Lstm => ModelKind::Lstm,
            ModelArg::Gru => ModelKind::Gru,
            ModelArg::LstmScratch => ModelKind::LstmScratch,
            ModelArg::GruScratch => ModelKind::GruScratch,
        }
    }
}

impl From<DeviceArg> for DeviceChoice {
    fn from(d: DeviceArg) -> Self {
        match d {
            DeviceArg::Auto => DeviceChoice::Auto,
            DeviceArg::Cpu => DeviceChoice::Cpu,
            DeviceArg::Cuda => DeviceChoice::Cuda,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IntervalMethodArg {
    Split,
    SplitVol,
    Adaptive,
    AdaptiveVol,
    AdaptiveAuto,
}

impl From<IntervalMethodArg> for Method {
    fn from(m: IntervalMethodArg) -> Self {
        match m {
            IntervalMethodArg::Split => Method::Split,
            IntervalMethodArg::SplitVol => Method::SplitVol,
            IntervalMethodArg::Adaptive => Method::Adaptive,
            IntervalMethodArg::AdaptiveVol => Method::AdaptiveVol,
            IntervalMethodArg::AdaptiveAuto => Method::AdaptiveAuto,
        }
    }
}

impl From<TargetArg> for TargetKind {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Price => TargetKind::Price,
            TargetArg::Return => TargetKind::Return,
            TargetArg::LogReturn => TargetKind::LogReturn,
        }
    }
}

/// What `stock` was asked to do: one file, or several with a summary folder.
pub enum StockPlan {
    One(Box<StockConfig>),
    Many { jobs: Vec<StockConfig>, summary_dir: PathBuf },
}

impl TrainFlags {
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
            },
            csv,
            model,
            target: self.target.into(),
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
            },
            seed: self.seed,
            device: self.device.into(),
            threads: self.threads,
            interval: self.interval.first().copied().unwrap_or(0.9),
            more_intervals: self.interval.iter().skip(1).copied().collect(),
            interval_method: self.interval_method.into(),
            interval_gamma: self.interval_gamma,
            horizon: 1,
            sanity: false,
            out,
        }
    }
}

impl StockArgs {
    /// Expands folders into their `.csv` files and builds one config per file.
    pub fn into_plan(self) -> anyhow::Result<StockPlan> {
        let mut files = Vec::new();
        for p in &self.csv {
            if p.is_dir() {
                let mut found: Vec<PathBuf> = std::fs::read_dir(p)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
                    .collect();
                if found.is_empty() {
                    crate::bail_input!(
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
        let features = parse_list(&self.flags.features)?;
        let single = files.len() == 1 && !self.csv[0].is_dir();
        let root = self.out.clone().unwrap_or_else(|| PathBuf::from("output"));
        let model = ModelKind::from(self.model);
        let cfg_for = |csv: PathBuf| {
            let stem = csv.file_stem().map_or("data".into(), |s| s.to_string_lossy().into_owned());
            let out = match (&self.out, single) {
                (Some(o), true) => o.clone(),
                _ => root.join(format!("{stem}-{model}")),
            };
            StockConfig {
                horizon: self.horizon,
                sanity: self.sanity,
                ..self.flags.config(csv, model, features.clone(), out)
            }
        };
        if single {
            return Ok(StockPlan::One(Box::new(cfg_for(files.remove(0)))));
        }
        let jobs = files.into_iter().map(cfg_for).collect();
        Ok(StockPlan::Many { jobs, summary_dir: root })
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Stock(args) => match args.into_plan()? {
            StockPlan::One(cfg) => crate::commands::stock::run(&cfg).map(|_| ()),
            StockPlan::Many { jobs, summary_dir } => crate::commands::stock::run_many(&jobs, &summary_dir),
        },
        Command::Inspect(args) if args.sanity => {
            crate::bail_input!("--sanity: inspect trains nothing to check; use it with stock or compare")
        }
        Command::Inspect(args) => match args.into_plan()? {
            StockPlan::One(cfg) => crate::commands::inspect::run(&cfg),
            StockPlan::Many { jobs, .. } => jobs.iter().try_for_each(crate::commands::inspect::run),
        },
        Command::Compare(a) => {
            if !a.merge.is_empty() {
                let out = a.out.clone().unwrap_or_else(|| PathBuf::from("output/compare"));
                return crate::commands::compare_output::merge(&a.merge, &out);
            }
            let cfg = a.config()?;
            match &a.shard {
                Some(sh) => {
                    let (i, n) = crate::commands::compare::parse_shard(sh)?;
                    let path = crate::commands::compare::run_shard_to_file(&cfg, i, n, false)?;
                    println!("wrote {}; combine all shards with: lstm-stock compare --merge <folders> --out <folder>", path.display());
                    Ok(())
                }
                None => crate::commands::compare_output::run(&cfg),
            }
        }
        Command::CompareWorker { spec, shard, queue } => {
            crate::commands::compare::worker(&spec, crate::commands::compare::parse_shard(&shard)?, queue)
        }
        Command::Predict(a) => {
            let stem = a.csv.file_stem().map_or("data".into(), |s| s.to_string_lossy().into_owned());
            crate::commands::predict::run(&crate::commands::predict::PredictConfig {
                out: a.out.unwrap_or_else(|| PathBuf::from("output").join(format!("{stem}-forecast"))),
                model: a.model,
                csv: a.csv,
                days: a.days,
                levels: a.interval,
                device: a.device.into(),
            })
        }
        Command::Trend(a) => crate::commands::trend::run(&crate::commands::trend::TrendConfig {
            seed: a.seed,
            epochs: a.epochs,
            repeat: a.repeat,
            out: a.out,
        }),
        Command::Sine(a) => crate::commands::sine::run(&crate::commands::sine::SineConfig {
            seed: a.seed,
            epochs: a.epochs,
            window: a.window,
            period: a.period,
            periods: a.periods,
            out: a.out,
        }),
        Command::Bench(args) => crate::commands::bench::run(&args.into()),
    }
}
