//! Command-line types (clap derive). They never leave this module: [`Cli::into_command`]
//! converts them once into the validated configs the library works with.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::bench::BenchConfig;
use crate::config::StockConfig;
use crate::data::LoadOptions;
use crate::device::DeviceChoice;
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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    Auto,
    Cpu,
    Cuda,
}

#[derive(Debug, Args)]
pub struct StockArgs {
    /// Daily price CSV with a date column and a Close column (Yahoo Finance layout works as is)
    pub csv: PathBuf,
    /// Recurrent cell
    #[arg(long, value_enum, default_value = "lstm")]
    pub model: ModelArg,
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
    /// Random seed: same seed, same machine, same result
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to train: auto picks a CUDA GPU when libtorch sees one
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceArg,
    /// CPU threads for libtorch (default: one per core)
    #[arg(long)]
    pub threads: Option<usize>,
    /// Date column name (default: detect "Date")
    #[arg(long)]
    pub date_col: Option<String>,
    /// Price column to forecast (default: "Close"; e.g. "Adj Close")
    #[arg(long)]
    pub target_col: Option<String>,
    /// Output folder [default: output/<file stem>-<model>]
    #[arg(long)]
    pub out: Option<PathBuf>,
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
    /// CPU threads for libtorch
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceArg,
    /// Print one JSON line instead of a table
    #[arg(long)]
    pub json: bool,
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
            threads: a.threads,
            device: a.device.into(),
            json: a.json,
        }
    }
}

impl From<ModelArg> for ModelKind {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Lstm => ModelKind::Lstm,
            ModelArg::Gru => ModelKind::Gru,
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

impl StockArgs {
    pub fn into_config(self) -> StockConfig {
        let model = ModelKind::from(self.model);
        let out = self.out.unwrap_or_else(|| {
            let stem = self
                .csv
                .file_stem()
                .map_or("data".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from("output").join(format!("{stem}-{model}"))
        });
        StockConfig {
            load: LoadOptions {
                date_col: self.date_col,
                target_col: self.target_col,
            },
            csv: self.csv,
            model,
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
            out,
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Stock(args) => crate::commands::stock::run(&args.into_config()).map(|_| ()),
        Command::Bench(args) => crate::commands::bench::run(&args.into()),
    }
}
