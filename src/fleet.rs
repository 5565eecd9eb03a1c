//! A fleet: many networks trained at once, each whole on one training thread, the threads
//! taking the next network as they finish one.
//!
//! Why: one small network cannot fill this machine. Alone, its batches are split over the
//! threads, and every batch then waits for its slowest share, sums the shares' gradients and
//! runs smaller matrix products (half a batch each). In a fleet each network takes whole batches
//! on a thread of its own with no hand-over between threads until it is done, and the threads
//! stay busy until the last network ends. Every network keeps its own weights, random stream
//! ([`Draws`]), optimiser state, early stopping and best-weight restore, as alone: it gives the
//! same weights and forecasts, bit for bit, as when it is trained alone on whole batches
//! (a run on one thread); a network that ends early (or fails) leaves the others as they were.
//!
//! On a GPU a network trains alone (a fleet would need the networks' products batched into
//! one launch, which this module does not do).

use std::time::Instant;

use anyhow::Result;
use tch::{nn, Device};

use crate::engine::draws::Draws;
use crate::engine::{self, workers};
use crate::model::Net;
use crate::train::{self, FixedEpochs, FixedRun, History, Lane, Samples, TrainConfig};

/// Networks per training thread in one fleet, for callers that hold every network of a fleet
/// and its windows until the fleet ends (a bound on memory, not a speed setting).
pub const PER_THREAD: usize = 16;

/// One network of a fleet and the windows it trains and stops on.
pub struct Member {
    pub net: Net,
    pub vs: nn::VarStore,
    pub train: Samples,
    /// What early stopping watches (the validation part).
    pub val: Samples,
}

/// What a member's training came to: its history (or why it failed) and its seconds on its
/// thread.
pub struct Trained {
    pub member: Member,
    pub history: Result<History>,
    pub seconds: f64,
}

/// Whether a network on `device` may train in a fleet: on the CPU, where its training draws
/// nothing from libtorch's global generator (see [`engine::draws_only_its_own`]).
pub fn applies(net: &Net, device: Device) -> bool {
    device == Device::Cpu && engine::draws_only_its_own(net, device)
}

/// Trains every member with `cfg`, each with its stream, on the training threads; `each` hears
/// of every member as it finishes (its index and result), on this thread. Returns the members
/// in the order given. Members that [`applies`] refuses train alone, one after another, first.
pub fn fit(
    members: Vec<(Member, Draws)>,
    cfg: &TrainConfig,
    each: &mut dyn FnMut(usize, &Trained),
) -> Vec<Trained> {
    let owned = cfg.clone();
    schedule(
        members,
        |m| (&m.net, &m.train),
        |m, draws| {
            let lane = Lane::alone(draws, cfg.batch, m.train.x.device());
            fit_member(m, lane, cfg)
        },
        move |m, lane| fit_member(m, lane, &owned),
        each,
    )
}

/// One network of a fleet trained for a fixed number of epochs, with no validation part (the
/// refits of `stock`).
pub struct FixedMember {
    pub net: Net,
    pub vs: nn::VarStore,
    pub train: Samples,
    pub plan: FixedEpochs,
}

/// What a [`FixedMember`]'s training came to, and its seconds on its thread.
pub struct FixedTrained {
    pub member: FixedMember,
    pub run: Result<FixedRun>,
    pub seconds: f64,
}

/// [`fit`] for networks trained for a fixed number of epochs, each its own plan (a progress bar
/// in a plan shows only for a network trained alone).
pub fn fit_fixed(
    members: Vec<(FixedMember, Draws)>,
    each: &mut dyn FnMut(usize, &FixedTrained),
) -> Vec<FixedTrained> {
    let fixed = |m: FixedMember, lane: Lane| {
        let start = Instant::now();
        let run = train::fit_fixed_in(&m.net, &m.vs, &m.train, &m.plan, lane);
        FixedTrained { member: m, run, seconds: start.elapsed().as_secs_f64() }
    };
    schedule(
        members,
        |m| (&m.net, &m.train),
        |m, draws| {
            let lane = Lane::alone(draws, m.plan.batch, m.train.x.device());
            fixed(m, lane)
        },
        move |mut m: FixedMember, lane| {
            m.plan.progress = None;
            fixed(m, lane)
        },
        each,
    )
}

/// The fleet's schedule, whatever its members train for: members that [`applies`] refuses (or
/// all, with one training thread) train `alone` first, one after another; the rest train
/// `in_fleet` on the training threads, the largest first, each on the one thread it runs on.
/// `parts` names a member's network and training windows.
fn schedule<M, T>(
    members: Vec<(M, Draws)>,
    parts: impl Fn(&M) -> (&Net, &Samples),
    alone: impl Fn(M, Draws) -> T,
    in_fleet: impl Fn(M, Lane) -> T + Clone + Send + 'static,
    each: &mut dyn FnMut(usize, &T),
) -> Vec<T>
where
    M: Send + 'static,
    T: Send + 'static,
{
    let threads = workers::threads();
    let k = members.len();
    let mut done: Vec<Option<T>> = (0..k).map(|_| None).collect();
    let mut fleet = Vec::with_capacity(k);
    for (i, (m, draws)) in members.into_iter().enumerate() {
        let (net, train) = parts(&m);
        if applies(net, train.x.device()) && threads > 1 {
            fleet.push((i, m, draws));
        } else {
            let t = alone(m, draws);
            each(i, &t);
            done[i] = Some(t);
        }
    }
    // the largest first, so that no thread is left with a long one at the end
    fleet.sort_by_key(|(_, m, _)| std::cmp::Reverse(parts(m).1.len()));
    let order: Vec<usize> = fleet.iter().map(|(i, _, _)| *i).collect();
    let tasks: Vec<_> = fleet
        .into_iter()
        .map(|(_, m, draws)| {
            let in_fleet = in_fleet.clone();
            move || in_fleet(m, Lane::in_fleet(draws))
        })
        .collect();
    // libtorch keeps one thread of its own while the networks run on the training threads
    let _one = engine::threads::SplitScope::enter(threads);
    let trained = workers::run_each(tasks, threads, &mut |j, t| each(order[j], t));
    for (j, t) in trained.into_iter().enumerate() {
        done[order[j]] = Some(t);
    }
    done.into_iter().map(|t| t.expect("every member trained")).collect()
}

fn fit_member(member: Member, lane: Lane, cfg: &TrainConfig) -> Trained {
    let start = Instant::now();
    let m = &member;
    let history =
        train::fit_until(&m.net, &m.vs, &m.train, &m.val, cfg, None, &crate::interrupt::requested, lane);
    Trained { member, history, seconds: start.elapsed().as_secs_f64() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, ModelKind};

    /// Member `i`'s windows: its own series (so that members stop at different epochs) and
    /// number of training windows (so that the fleet's largest-first order is not the given
    /// one), with validation targets that are noise, so that the validation loss wanders.
    fn data(i: usize) -> (Samples, Samples) {
        let s: Vec<f32> = (0..90).map(|t| (t as f32 * (0.2 + 0.01 * i as f32)).sin() * 0.5 + 0.5).collect();
        let (x, y) = crate::data::window::make_windows(&s, 8, 8 + i % 5..70);
        let (vx, _) = crate::data::window::make_windows(&s, 8, 70..90);
        let noise: Vec<f32> =
            (0..20).map(|t| (((t + 7 * i) as f32 * 12.9898).sin() * 43758.547).fract().abs()).collect();
        (Samples::new(&x, &y, 8, 1, Device::Cpu), Samples::new(&vx, &noise, 8, 1, Device::Cpu))
    }

    fn cfg() -> TrainConfig {
        TrainConfig {
            epochs: 12,
            batch: 16,
            lr: 0.03,
            clip: 5.0,
            patience: 3,
            optimizer: crate::train::Optimizer::Adam,
            input_dropout: 0.1,
        }
    }

    /// Member `i` built as `pipeline::build` builds a network: seeded, weights, then its stream.
    fn member(i: usize, kind: ModelKind, layers: i64, dropout: f64) -> (Member, Draws) {
        tch::manual_seed(100 + i as i64);
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Net::new(&vs.root(), ModelConfig { kind, input: 1, hidden: 8, layers, dropout });
        let draws = Draws::from_torch();
        let (train, val) = data(i);
        (Member { net, vs, train, val }, draws)
    }

    fn weights(vs: &nn::VarStore) -> Vec<Vec<f32>> {
        let mut named = vs.variables().into_iter().collect::<Vec<_>>();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named.into_iter().map(|(_, t)| Vec::<f32>::try_from(t.flatten(0, -1)).unwrap()).collect()
    }

    /// The member trained alone on whole batches, on this thread (its validation part scored
    /// in chunks on the training threads, as a network alone is).
    fn alone(i: usize, kind: ModelKind, layers: i64, dropout: f64) -> (History, Vec<Vec<f32>>) {
        let (m, draws) = member(i, kind, layers, dropout);
        let lane = Lane { draws, parts: 1, eval_threads: workers::threads() };
        let never = || false;
        let h = train::fit_until(&m.net, &m.vs, &m.train, &m.val, &cfg(), None, &never, lane).unwrap();
        (h, weights(&m.vs))
    }

    /// Every network of a fleet ends with the same history and the same weights, bit for bit, as
    /// when trained alone on whole batches with the same seed: LSTM and GRU, 1 to 3 layers,
    /// dropout between layers and on the inputs, fleets of 1, 3 and 17 whose networks stop early
    /// at different epochs.
    #[test]
    fn a_fleets_networks_are_the_networks_trained_alone() {
        let _rng = crate::test_support::torch_rng();
        for (kind, layers, dropout, k) in [
            (ModelKind::Lstm, 1, 0.0, 1),
            (ModelKind::Gru, 2, 0.3, 3),
            (ModelKind::Lstm, 3, 0.3, 3),
            (ModelKind::Gru, 1, 0.0, 17),
            (ModelKind::Lstm, 2, 0.3, 17),
        ] {
            let members: Vec<_> = (0..k).map(|i| member(i, kind, layers, dropout)).collect();
            let trained = fit(members, &cfg(), &mut |_, _| {});
            let mut stops = std::collections::BTreeSet::new();
            for (i, t) in trained.iter().enumerate() {
                let h = t.history.as_ref().unwrap();
                let (want, w) = alone(i, kind, layers, dropout);
                let what = format!("{kind:?} {layers} layers, member {i} of {k}");
                assert_eq!(h.train_loss, want.train_loss, "{what}");
                assert_eq!(h.val_loss, want.val_loss, "{what}");
                assert_eq!(h.best_epoch, want.best_epoch, "{what}");
                assert!(weights(&t.member.vs) == w, "{what}: weights differ");
                stops.insert(h.train_loss.len());
            }
            if k == 17 {
                assert!(stops.len() > 1 && stops.iter().any(|&e| e < 12), "stopped at {stops:?}");
            }
        }
    }

    /// Networks trained for fixed numbers of epochs (the refits), a different count each, end
    /// with the weights and last losses they get alone on whole batches, bit for bit.
    #[test]
    fn a_fleet_of_fixed_runs_is_the_runs_alone() {
        let _rng = crate::test_support::torch_rng();
        let fixed = |i: usize| {
            let (m, draws) = member(i, ModelKind::Lstm, 2, 0.3);
            let plan = FixedEpochs {
                epochs: 1 + i % 4,
                batch: 16,
                lr: 0.03,
                clip: Some(5.0),
                read_each_batch: false,
                progress: Some("shown only alone".into()),
                optimizer: crate::train::Optimizer::Adam,
                input_dropout: 0.1,
            };
            (FixedMember { net: m.net, vs: m.vs, train: m.train, plan }, draws)
        };
        let trained = fit_fixed((0..7).map(fixed).collect(), &mut |_, _| {});
        for (i, t) in trained.iter().enumerate() {
            let (m, draws) = fixed(i);
            let mut plan = m.plan.clone();
            plan.progress = None;
            let lane = Lane { draws, parts: 1, eval_threads: 1 };
            let run = train::fit_fixed_in(&m.net, &m.vs, &m.train, &plan, lane).unwrap();
            let got = t.run.as_ref().unwrap();
            assert_eq!(got.epoch_seconds.len(), 1 + i % 4, "member {i}");
            assert_eq!(got.last_loss.to_bits(), run.last_loss.to_bits(), "member {i}");
            assert!(weights(&t.member.vs) == weights(&m.vs), "member {i}: weights differ");
        }
    }

    /// A network that fails (its loss explodes) leaves the fleet with its error, and the others
    /// end exactly as in a fleet without it.
    #[test]
    fn a_network_leaving_the_fleet_changes_no_other() {
        let _rng = crate::test_support::torch_rng();
        let three: Vec<_> = (0..3).map(|i| member(i, ModelKind::Gru, 2, 0.3)).collect();
        let mut with_bad: Vec<_> = (0..3).map(|i| member(i, ModelKind::Gru, 2, 0.3)).collect();
        let (mut bad, draws) = member(7, ModelKind::Gru, 2, 0.3);
        // targets of 1e5: a squared error far past what training accepts
        bad.train.y = bad.train.y.ones_like() * 1e5;
        with_bad.insert(1, (bad, draws));
        let mut heard = Vec::new();
        let a = fit(three, &cfg(), &mut |i, _| heard.push(i));
        let b = fit(with_bad, &cfg(), &mut |_, _| {});
        heard.sort();
        assert_eq!(heard, vec![0, 1, 2], "each member reported once");
        let e = format!("{:#}", b[1].history.as_ref().unwrap_err());
        assert!(e.contains("diverged"), "{e}");
        for (x, y) in a.iter().zip([&b[0], &b[2], &b[3]]) {
            assert_eq!(x.history.as_ref().unwrap().val_loss, y.history.as_ref().unwrap().val_loss);
            assert!(weights(&x.member.vs) == weights(&y.member.vs));
        }
    }

    /// libtorch's layers draw dropout masks from the process's generator: such a network
    /// trains alone, and one that draws only from its own stream joins the fleet.
    #[test]
    fn only_networks_that_draw_from_their_own_stream_join() {
        // building networks draws from libtorch's generator, which the seeded tests share
        let _rng = crate::test_support::torch_rng();
        let (m, _) = member(0, ModelKind::Lstm, 2, 0.3);
        assert!(applies(&m.net, Device::Cpu));
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ModelConfig { kind: ModelKind::LstmScratch, input: 1, hidden: 4, layers: 2, dropout: 0.3 };
        assert!(!applies(&Net::new(&vs.root(), cfg), Device::Cpu));
        let cfg = ModelConfig { dropout: 0.0, ..cfg };
        assert!(applies(&Net::new(&vs.root(), cfg), Device::Cpu));
        // a fleet whose networks were all refused trains them alone and ends (with none left
        // for the threads)
        let refused = ModelConfig { dropout: 0.3, ..cfg };
        tch::manual_seed(1);
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Net::new(&vs.root(), refused);
        let (train, val) = data(0);
        let t =
            fit(vec![(Member { net, vs, train, val }, Draws::from_torch())], &self::cfg(), &mut |_, _| {});
        assert!(t[0].history.is_ok());
    }
}
