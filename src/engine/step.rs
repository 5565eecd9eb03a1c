//! One training step's loss and gradients, on one thread or with the batch split over several.
//!
//! Why split: libtorch parallelises inside each op, and the ops of a recurrent network on a
//! 64-sample batch are small, so its threads spend much of an epoch waiting for each other.
//! Splitting the batch gives each thread whole, independent forward and backward passes of its
//! share with one libtorch thread each;
//! the gradients, weighted by each share's size, add up to the full batch's. The sum is taken
//! in a fixed order, so a run is repeatable for a given thread count, but the rounding differs
//! from a run with another thread count, or one whose batches were cut for a busy machine (see
//! [`workers`]).

use tch::Tensor;

use super::draws::Draws;
use super::layers::{self, HandLayer, LayerWeights};
use super::workers;
use super::{gru_step, lstm_step};
use crate::model::fused::rnn_forward;
use crate::model::{Cell, Loss, ModelConfig, Net};
use crate::profile;

/// A fused network's parameters (shallow copies: same storage and gradients), movable to a
/// worker thread.
pub struct Shared {
    pub cfg: ModelConfig,
    pub loss: Loss,
    /// Per layer `w_ih, w_hh, b_ih, b_hh`.
    pub flat: Vec<Tensor>,
    pub head_w: Tensor,
    pub head_b: Tensor,
}

impl Shared {
    /// The fused network's parameters as shallow copies (same storage, same gradients) that
    /// can move to another thread; `None` for the hand-written cells.
    pub fn of(net: &Net) -> Option<Shared> {
        net.fused_weights().map(|(flat, head_w, head_b)| Shared {
            cfg: net.cfg,
            loss: net.loss,
            flat: flat.iter().map(|t| t.shallow_clone()).collect(),
            head_w: head_w.shallow_clone(),
            head_b: head_b.shallow_clone(),
        })
    }

    /// Another handle on the same parameters, for another thread.
    fn shallow_clone(&self) -> Shared {
        Shared {
            cfg: self.cfg,
            loss: self.loss,
            flat: self.flat.iter().map(|t| t.shallow_clone()).collect(),
            head_w: self.head_w.shallow_clone(),
            head_b: self.head_b.shallow_clone(),
        }
    }

    fn params(&self) -> Vec<&Tensor> {
        self.flat.iter().chain([&self.head_w, &self.head_b]).collect()
    }

    /// Whether the hand-written step of its cell ([`gru_step`], [`lstm_step`]) trains this
    /// batch.
    fn hand_step(&self, xs: &Tensor) -> bool {
        self.hand_step_on(xs.device(), xs.kind())
    }

    /// [`Self::hand_step`] for a batch of `k` on `d`.
    pub fn hand_step_on(&self, d: tch::Device, k: tch::Kind) -> bool {
        match self.cfg.kind.cell() {
            Cell::Gru => gru_step::applies(d, k),
            Cell::Lstm => lstm_step::applies(d, k),
        }
    }

    /// Whether a batch may be split: on the CPU, and with dropout only in a hand-written step,
    /// which draws the batch's masks before the split; libtorch's kernels draw theirs inside,
    /// from the one global generator, which threads would use in no fixed order.
    fn splittable(&self, xs: &Tensor) -> bool {
        xs.device() == tch::Device::Cpu
            && (self.cfg.dropout == 0.0 || self.cfg.layers == 1 || self.hand_step(xs))
            && split_enabled()
    }

    /// The dropout masks of a hand-written step on the batch `xs` ([`layers::dropout_masks`]).
    fn masks(&self, xs: &Tensor, draws: &mut Draws) -> Vec<Tensor> {
        let (b, t) = (xs.size()[0] as usize, xs.size()[1] as usize);
        layers::dropout_masks(draws, b, t, self.cfg.hidden, self.cfg.layers as usize, self.cfg.dropout)
    }
}

/// `LSTM_STOCK_SPLIT=0` keeps every batch on one thread (to compare the two).
fn split_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("LSTM_STOCK_SPLIT").map_or(true, |v| v != "0"))
}

/// How many threads a batch of `batch` samples is split over when libtorch has `threads`:
/// at most one per thread, each with at least 16 samples.
pub fn parts_for(batch: usize, threads: usize) -> usize {
    threads.min(batch / 16).max(1)
}

/// The loss of the fused network on a batch, recorded for autograd.
fn autograd_loss(p: &Shared, xs: &Tensor, ys: &Tensor) -> Tensor {
    let last = rnn_forward(&p.cfg, &p.flat, xs, true).select(1, -1);
    p.loss.of(&last.matmul(&p.head_w.tr()).g_add(&p.head_b), ys, tch::Reduction::Mean)
}

/// Loss of the batch and the gradient of every parameter (in [`Shared::params`] order).
/// On the CPU the hand-written step of the cell ([`gru_step`], [`lstm_step`]), with the
/// batch's dropout `masks`; otherwise libtorch's autograd.
fn loss_and_grads(p: &Shared, xs: &Tensor, ys: &Tensor, masks: &[Tensor]) -> (Tensor, Vec<Tensor>) {
    if p.hand_step(xs) {
        let layers = LayerWeights::of_layers(&p.flat);
        let head = (&p.head_w, &p.head_b);
        return match p.cfg.kind.cell() {
            Cell::Gru => hand_step::<gru_step::Gru>(xs, ys, &layers, head, masks, p.loss),
            Cell::Lstm => hand_step::<lstm_step::Lstm>(xs, ys, &layers, head, masks, p.loss),
        };
    }
    let loss = profile::time("forward", || autograd_loss(p, xs, ys));
    let grads = profile::time("backward", || Tensor::run_backward(&[&loss], &p.params(), false, false));
    (loss.detach(), grads)
}

/// Loss and gradients of a hand-written step ([`layers::forward`], [`layers::backward`]).
fn hand_step<L: HandLayer>(
    xs: &Tensor,
    ys: &Tensor,
    layers: &[LayerWeights],
    head: (&Tensor, &Tensor),
    masks: &[Tensor],
    loss: Loss,
) -> (Tensor, Vec<Tensor>) {
    let f = profile::time("forward", || layers::forward::<L>(xs, ys, layers, head, masks, loss));
    let grads = profile::time("backward", || layers::backward::<L>(&f, layers, head));
    (f.loss, grads)
}

/// The loss of a batch, with every parameter's gradient left in its `.grad`; with `parts`
/// over 1 the batch is split over that many threads, in shares that [`workers`] sizes.
pub fn loss_backward(p: &Shared, xs: &Tensor, ys: &Tensor, parts: usize, draws: &mut Draws) -> Tensor {
    let n = xs.size()[0] as usize;
    if parts <= 1 || !p.splittable(xs) || n < 2 {
        return loss_backward_shares(p, xs, ys, &[n], draws);
    }
    // only the hand-written steps start a share at no fixed cost
    loss_backward_shares(p, xs, ys, &workers::share_sizes(n, parts, p.hand_step(xs)), draws)
}

/// [`loss_backward`] with the batch split into shares of `sizes` rows (one share: no split).
pub fn loss_backward_shares(
    p: &Shared,
    xs: &Tensor,
    ys: &Tensor,
    sizes: &[usize],
    draws: &mut Draws,
) -> Tensor {
    if sizes.len() <= 1 {
        if !p.hand_step(xs) {
            // the plain path: autograd accumulates into .grad itself
            let loss = profile::time("forward", || autograd_loss(p, xs, ys));
            profile::time("backward", || loss.backward());
            return loss;
        }
        let (loss, grads) = loss_and_grads(p, xs, ys, &p.masks(xs, draws));
        profile::time("backward: hand-off to optimizer", || hand_to_optimizer(&p.params(), &grads));
        return loss;
    }
    let n = xs.size()[0] as f64;
    let lens: Vec<i64> = sizes.iter().map(|&s| s as i64).collect();
    // drawn for the whole batch here, in one order, whichever thread runs which share
    let masks = if p.hand_step(xs) { p.masks(xs, draws) } else { Vec::new() };
    let starts = sizes.iter().scan(0, |at, &s| Some(std::mem::replace(at, *at + s)));
    let shares: Vec<_> = xs
        .split_with_sizes(&lens, 0)
        .into_iter()
        .zip(ys.split_with_sizes(&lens, 0))
        .zip(sizes.iter().zip(starts))
        .map(|((x, y), (&rows, start))| {
            let mine = p.shallow_clone();
            let w = rows as f64 / n;
            let masks: Vec<Tensor> = masks.iter().map(|m| m.narrow(0, start as i64, rows as i64)).collect();
            move || {
                let (loss, grads) = loss_and_grads(&mine, &x, &y, &masks);
                (loss * w, grads.into_iter().map(|g| g * w).collect::<Vec<_>>())
            }
        })
        .collect();
    let shares = profile::time("forward + backward, split", || workers::run(shares, workers::threads()));
    profile::time("backward: sum of shares and hand-off", || {
        let mut shares = shares.into_iter();
        let (mut loss, mut grads) = shares.next().expect("at least one share");
        for (l, g) in shares {
            loss += l;
            for (a, b) in grads.iter_mut().zip(&g) {
                *a += b;
            }
        }
        hand_to_optimizer(&p.params(), &grads);
        loss
    })
}

/// Windows one hand-written evaluation pass takes: its gate values stay in cache, unlike
/// libtorch's fused layers over thousands of windows at once.
const EVAL_ROWS: i64 = 256;

/// The network's mean loss on `xs` against `ys` (no dropout, no graph) through the forward pass
/// of its cell's hand-written step, in chunks of windows spread over `threads` training threads
/// (one: on the calling thread), as the training steps are; `None` where no hand-written step applies (not the CPU, a
/// hand-written cell, an embedding). Why: while a run splits its batches, libtorch has one
/// thread, and its fused layers over a whole validation part run on it alone.
pub fn hand_loss(net: &Net, xs: &Tensor, ys: &Tensor, threads: usize) -> Option<f64> {
    let p = Shared::of(net)?;
    if !p.hand_step(xs) || xs.size()[0] == 0 {
        return None;
    }
    let chunks: Vec<_> = xs
        .split(EVAL_ROWS, 0)
        .into_iter()
        .zip(ys.split(EVAL_ROWS, 0))
        .map(|(x, y)| {
            let mine = p.shallow_clone();
            move || {
                let layers = LayerWeights::of_layers(&mine.flat);
                let head = (&mine.head_w, &mine.head_b);
                let mean = match mine.cfg.kind.cell() {
                    Cell::Gru => layers::forward::<gru_step::Gru>(&x, &y, &layers, head, &[], mine.loss).loss,
                    Cell::Lstm => {
                        layers::forward::<lstm_step::Lstm>(&x, &y, &layers, head, &[], mine.loss).loss
                    }
                };
                mean.double_value(&[]) * y.numel() as f64
            }
        })
        .collect();
    // the chunks' sums come back in order: the total is the same whichever thread ran which
    let sum: f64 = workers::run(chunks, threads).iter().sum();
    Some(sum / ys.numel() as f64)
}

/// Makes `grads` the `.grad` of `params` (as a backward pass would), through the surrogate
/// `sum(p * g)` whose gradient with respect to each `p` is `g`.
fn hand_to_optimizer(params: &[&Tensor], grads: &[Tensor]) {
    let surrogate =
        params.iter().zip(grads).map(|(p, g)| (*p * g).sum(tch::Kind::Float)).reduce(|a, b| a + b);
    if let Some(s) = surrogate {
        s.backward();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written evaluation agrees with libtorch's fused layers (an independent
    /// implementation) on the loss of a validation part larger than a chunk and not a multiple
    /// of it, GRU and LSTM, squared error and cross-entropy on a logit, to float32 rounding; and
    /// declines a network it cannot run.
    #[test]
    fn the_hand_written_evaluation_agrees_with_libtorchs_layers() {
        use crate::model::{ModelConfig, ModelKind};
        use tch::{nn, Device, Kind, Reduction};
        let _rng = crate::test_support::torch_rng();
        tch::manual_seed(3);
        let x = Tensor::randn([700, 12, 2], (Kind::Float, Device::Cpu));
        let y = Tensor::randn([700, 1], (Kind::Float, Device::Cpu));
        let class = y.gt(0.0).to_kind(Kind::Float);
        for kind in [ModelKind::Gru, ModelKind::Lstm] {
            let vs = nn::VarStore::new(Device::Cpu);
            let mut net =
                Net::new(&vs.root(), ModelConfig { kind, input: 2, hidden: 9, layers: 2, dropout: 0.3 });
            for (loss, y) in [(Loss::Squared, &y), (Loss::Logistic, &class)] {
                net.loss = loss;
                let want = tch::no_grad(|| {
                    net.loss.of(&net.forward(&x, false), y, Reduction::Mean).double_value(&[])
                });
                let got = hand_loss(&net, &x, y, workers::threads()).expect("a fused network on the CPU");
                assert!(
                    (got - want).abs() < 1e-5 * want.abs().max(1.0),
                    "{kind:?} {loss:?}: {got} vs {want}"
                );
            }
        }
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ModelConfig { kind: ModelKind::GruScratch, input: 2, hidden: 9, layers: 1, dropout: 0.0 };
        assert!(hand_loss(&Net::new(&vs.root(), cfg), &x, &y, 2).is_none());
    }

    #[test]
    fn shares_keep_at_least_16_samples() {
        assert_eq!(parts_for(64, 2), 2);
        assert_eq!(parts_for(64, 8), 4);
        assert_eq!(parts_for(31, 2), 1);
        assert_eq!(parts_for(64, 1), 1);
        assert_eq!(parts_for(8, 4), 1);
    }
}
