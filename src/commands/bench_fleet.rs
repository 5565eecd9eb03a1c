//! `lstm-stock bench --fleet K`: K networks of the standard workload (seeds `--seed` on), each
//! trained for `--epochs` epochs with the test windows scored after every epoch as its
//! validation part (early stopping's patience set past the last epoch, so every network runs
//! them all), as one fleet or (`--one-by-one`) one after another with each batch split over the
//! threads. Prints its figures (one JSON line with `--json`); `bench/peer_torch_fleet.py` trains the same networks in a loop
//! of `nn.LSTM`s (or with `--stacked`, together under `torch.func.vmap`) and prints the same keys,
//! and `scripts/bench --fleet` alternates them.

use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use tch::nn;

use super::bench::{workload, Workload};
use crate::config::BenchConfig;
use crate::engine::draws::Draws;
use crate::fleet::{self, Member};
use crate::model::Net;
use crate::train::TrainConfig;

pub fn run(cfg: &BenchConfig, k: usize) -> Result<()> {
    if k == 0 || k > crate::config::limits::COUNT {
        crate::bail_input!("--fleet {k}: from 1 to {} networks", crate::config::limits::COUNT);
    }
    crate::engine::threads::use_threads(cfg.threads);
    let device = crate::device::resolve(cfg.device)?;
    let Workload { model, train, test, .. } = workload(cfg, device)?;
    let t_build = Instant::now();
    let members: Vec<(Member, Draws)> = (0..k as u64)
        .map(|i| {
            tch::manual_seed(cfg.seed.wrapping_add(i) as i64);
            let vs = nn::VarStore::new(device);
            let net = Net::new(&vs.root(), model);
            let draws = Draws::from_torch();
            (Member { net, vs, train: train.shallow_clone(), val: test.shallow_clone() }, draws)
        })
        .collect();
    let build_s = t_build.elapsed().as_secs_f64();
    let train_cfg = TrainConfig {
        epochs: cfg.epochs,
        batch: cfg.batch,
        lr: cfg.lr,
        clip: 1.0,
        patience: cfg.epochs + 1,
        optimizer: crate::train::Optimizer::Adam,
        input_dropout: 0.0,
    };
    let t_train = Instant::now();
    let trained = if cfg.one_by_one {
        members
            .into_iter()
            .map(|(m, draws)| {
                let start = Instant::now();
                let history = crate::train::fit(&m.net, &m.vs, &m.train, &m.val, &train_cfg, None, draws);
                fleet::Trained { member: m, history, seconds: start.elapsed().as_secs_f64() }
            })
            .collect()
    } else {
        fleet::fit(members, &train_cfg, &mut |_, _| {})
    };
    let train_s = t_train.elapsed().as_secs_f64();
    let mut last_val = Vec::with_capacity(k);
    for t in &trained {
        let h = t.history.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
        last_val.push(*h.val_loss.last().expect("every epoch ran"));
    }
    let round = |v: f64, d: i32| (v * 10f64.powi(d)).round() / 10f64.powi(d);
    let per = train_s / (k * cfg.epochs) as f64;
    let mean_val = last_val.iter().sum::<f64>() / k as f64;
    let res = json!({
        "peer": if cfg.one_by_one { "rust-one-by-one" } else { "rust-fleet" },
        "framework": crate::versions::line(),
        "workload": "fleet",
        "model": cfg.model,
        "dataset": crate::config::file_stem(&cfg.csv),
        "device": crate::device::name(device),
        "networks": k,
        "n_train_samples": train.len(),
        "n_val_samples": test.len(),
        "clip": 1.0,
        "seed": cfg.seed,
        "threads": crate::engine::workers::threads(),
        "build_s": round(build_s, 3),
        "train_s": round(train_s, 3),
        "network_epoch_s": round(per, 5),
        "mean_last_val_loss": mean_val,
        "flops_per_network_epoch": super::bench::flops_per_epoch(
            cfg.model,
            train.len() as usize,
            cfg.window,
            cfg.hidden,
            cfg.layers
        ),
    });
    super::bench::print_result(res, cfg);
    Ok(())
}
