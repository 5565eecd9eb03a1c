//! `stock` over several files: the files' networks trained beforehand, side by side, as fleets
//! ([`crate::fleet`]): the split runs, then the refits; each file is then scored and written as
//! alone ([`super::execute_with`]).

use anyhow::Result;
use tch::Device;

use super::{band_refit_job, Job};
use crate::pipeline;

/// The networks of a job trained beforehand, beside other jobs' (see [`super::run_many`]): the
/// split run's, and where it was trained, the refit's of the band check and the final fit's.
pub(super) struct Pretrained {
    pub split: Result<pipeline::Fitted>,
    pub refits: Option<Refits>,
}

/// The band check's network (one period back) and the final fit's.
pub(super) struct Refits {
    pub band: Result<pipeline::Refitted>,
    pub last: Result<pipeline::Refitted>,
}

/// Whether `job`'s networks (and so every file's, with the same settings) can train in a fleet
/// ([`crate::fleet::applies`]): a network that draws from libtorch's one generator trains with
/// its file, where the generator's state is the one its seed left.
pub(super) fn joins_a_fleet(job: &Job) -> bool {
    job.device == Device::Cpu && {
        let probe = pipeline::build(&job.data, &job.cfg, job.cfg.model, job.cfg.seed, job.device);
        crate::fleet::applies(&probe.net, job.device)
    }
}

/// `stock DIR` as fleets ([`crate::fleet`]): the split runs of `jobs` (files `first + 1..` of
/// `total`) trained at once, each network whole on one of the training threads, then the refits
/// (the band check's and the final fit's) the same way; each network ends with the weights it
/// gets alone on one thread. The settings are the same for every file.
pub(super) fn pretrain(jobs: &[Job], threads: usize, (first, total): (usize, usize)) -> Vec<Pretrained> {
    let cfg = &jobs[0].cfg;
    let which = if jobs.len() == total {
        String::new()
    } else {
        format!(" (files {}-{} of {total})", first + 1, first + jobs.len())
    };
    println!(
        "training {} networks side by side{which}, each whole on one of {threads} threads (--fleet off: one file after another)",
        jobs.len()
    );
    let bar = crate::commands::log::count_bar(jobs.len(), "split runs");
    let built = jobs.iter().map(|j| pipeline::build(&j.data, &j.cfg, j.cfg.model, j.cfg.seed, j.device));
    let split = pipeline::train_fleet(built.collect(), &cfg.train, cfg.load.plant, &mut |_| {
        crate::commands::log::count_done(&bar)
    });
    bar.finish_and_clear();
    let mut refits = refits_of(jobs, &split);
    split.into_iter().map(|split| Pretrained { split, refits: refits.next().flatten() }).collect()
}

/// The refits of every job whose split run trained (and was not interrupted), with the refit
/// on, as one fleet: per job, the band check's network and the final fit's, or `None`.
fn refits_of(jobs: &[Job], split: &[Result<pipeline::Fitted>]) -> impl Iterator<Item = Option<Refits>> {
    let mut made: Vec<[Option<Result<pipeline::Refitted>>; 2]> = jobs.iter().map(|_| [None, None]).collect();
    let (mut slots, mut nets) = (Vec::new(), Vec::new());
    for (i, (job, fitted)) in jobs.iter().zip(split).enumerate() {
        let Ok(h) = fitted.as_ref().map(|f| &f.history) else { continue };
        if !job.cfg.refit || h.interrupted {
            continue;
        }
        let last = pipeline::refit_job(&job.series, &job.cfg, job.cfg.seed, job.device, h.best_epoch);
        for (w, net) in [band_refit_job(job, h.best_epoch), last].into_iter().enumerate() {
            match net {
                Ok(net) => {
                    slots.push((i, w));
                    nets.push(net);
                }
                Err(e) => made[i][w] = Some(Err(e)),
            }
        }
    }
    if !nets.is_empty() {
        let bar = crate::commands::log::count_bar(nets.len(), "refits");
        let trained = pipeline::train_refits(nets, &mut |_| crate::commands::log::count_done(&bar));
        for ((i, w), r) in slots.into_iter().zip(trained) {
            made[i][w] = Some(r);
        }
        bar.finish_and_clear();
    }
    made.into_iter().map(|[band, last]| band.zip(last).map(|(band, last)| Refits { band, last }))
}
