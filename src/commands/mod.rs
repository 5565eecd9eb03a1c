//! One module per subcommand; each takes a validated config (see `config`) and wires the
//! layers below it into the whole job. [`run`] runs a checked command line.

pub mod bench;
pub mod bench_fleet;
pub mod bench_panel;
pub mod compare;
pub mod compare_jobs;
pub mod compare_output;
pub mod compare_report;
pub mod future_copy;
pub mod inspect;
pub mod log;
pub mod panel;
pub mod predict;
pub mod sine;
pub mod stock;
pub mod trend;
pub mod tune;

use anyhow::Result;

use crate::config::{Command, StockPlan};

/// Runs a checked command line.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Stock(StockPlan::One(cfg)) => stock::run(&cfg).map(|_| ()),
        Command::Stock(StockPlan::Many { jobs, summary_dir }) => stock::run_many(&jobs, &summary_dir),
        Command::Inspect(StockPlan::One(cfg)) => inspect::run(&cfg),
        Command::Inspect(StockPlan::Many { jobs, .. }) => jobs.iter().try_for_each(inspect::run),
        Command::Compare(cfg) => compare_output::run(&cfg),
        Command::Panel(cfg) => panel::run(&cfg),
        Command::PanelShard(cfg, shard) => panel::shard(&cfg, shard),
        Command::PanelMerge { inputs, out } => panel::merge(&inputs, &out),
        Command::CompareShard(cfg, (i, n)) => {
            let path = compare_jobs::run_shard_to_file(&cfg, i, n, false)?;
            println!(
                "wrote {}; combine all shards with: lstm-stock compare --merge <folders> --out <folder>",
                path.display()
            );
            Ok(())
        }
        Command::CompareMerge { inputs, out } => compare_output::merge(&inputs, &out),
        Command::CompareWorker { spec, shard, queue, parent } => {
            compare_jobs::worker(&spec, shard, queue, parent)
        }
        Command::Tune(cfg) => tune::run(&cfg),
        Command::TuneShard(cfg, shard) => tune::shard(&cfg, shard),
        Command::TuneMerge { inputs, out } => tune::merge(&inputs, &out),
        Command::Predict(cfg) => predict::run(&cfg),
        Command::Trend(cfg) => trend::run(&cfg),
        Command::Sine(cfg) => sine::run(&cfg),
        Command::Bench(cfg) => match (&cfg.panel, cfg.fleet) {
            (Some(panel), _) => bench_panel::run(&cfg, panel),
            (None, Some(k)) => bench_fleet::run(&cfg, k),
            (None, None) => bench::run(&cfg),
        },
    }
}
