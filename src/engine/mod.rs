//! The CPU training engine: one training step's loss and gradients (the hand-written GRU and
//! LSTM steps, or libtorch's autograd), a batch split over threads, and the thread counts of a run.
//!
//! Why apart from `model`: the networks say what is computed; this says how a training step is
//! run on this machine's cores. It alone sets thread counts ([`threads`]), once per run.

pub mod draws;
pub mod gates;
pub mod gru_step;
pub mod kernels;
pub mod layers;
pub mod lstm_step;
pub mod step;
pub mod threads;
pub mod workers;

use tch::{Device, Tensor};

use crate::model::Net;
use crate::profile;
use draws::Draws;

/// The training loss (the network's [`crate::model::Loss`] against `ys`, `[batch, horizon]`) of a batch, with the gradient of
/// every parameter left in its `.grad` as `backward` leaves it; with `parts` over 1 the batch
/// is split over that many threads (see [`step`]); a hand-written step's dropout masks come from
/// the network's stream `draws`.
pub fn loss_backward(net: &Net, xs: &Tensor, ys: &Tensor, parts: usize, draws: &mut Draws) -> Tensor {
    match step::Shared::of(net) {
        Some(p) => step::loss_backward(&p, xs, ys, parts, draws),
        None => autograd_loss_backward(net, xs, ys),
    }
}

/// [`loss_backward`] split into shares of the given sizes (for the equivalence tests of uneven
/// shares); a network without fused layers ignores them.
pub fn loss_backward_shares(
    net: &Net,
    xs: &Tensor,
    ys: &Tensor,
    sizes: &[usize],
    draws: &mut Draws,
) -> Tensor {
    match step::Shared::of(net) {
        Some(p) => step::loss_backward_shares(&p, xs, ys, sizes, draws),
        None => autograd_loss_backward(net, xs, ys),
    }
}

/// The hand-written cells' step: autograd through [`Net::forward`].
fn autograd_loss_backward(net: &Net, xs: &Tensor, ys: &Tensor) -> Tensor {
    let loss = profile::time("forward", || net.loss.of(&net.forward(xs, true), ys, tch::Reduction::Mean));
    profile::time("backward", || loss.backward());
    loss
}

/// Whether training `net` on `device` draws only from its own stream ([`Draws`]): no dropout
/// between layers, or dropout in a hand-written step, which draws its masks from the stream;
/// libtorch's layers draw theirs from the process's one generator.
pub fn draws_only_its_own(net: &Net, device: Device) -> bool {
    net.cfg.dropout == 0.0
        || net.cfg.layers <= 1
        || step::Shared::of(net).is_some_and(|p| p.hand_step_on(device, tch::Kind::Float))
}

/// How many threads a batch of `batch` samples on `device` is split over: one on a GPU.
pub fn parts_for(batch: usize, device: Device) -> usize {
    if device == Device::Cpu {
        step::parts_for(batch, workers::threads())
    } else {
        1
    }
}
