//! What the hand-written training steps share: a layer's weights by libtorch's names, float32
//! CPU tensors seen as plain memory, and the network around the layers (the stack, the linear
//! head and the loss, forward and backward), the same for the GRU and the LSTM.

use tch::{Device, Kind, Tensor};

use super::draws::Draws;
use super::kernels;
use crate::model::Loss;

/// The weights of one layer as libtorch names them (`weight_ih_l0`, ...); G gates (GRU 3,
/// LSTM 4) of H units each.
pub struct LayerWeights<'a> {
    /// `[G*H, in]`
    pub w_ih: &'a Tensor,
    /// `[G*H, H]`
    pub w_hh: &'a Tensor,
    /// `[G*H]`
    pub b_ih: &'a Tensor,
    /// `[G*H]`
    pub b_hh: &'a Tensor,
}

impl<'a> LayerWeights<'a> {
    /// Each layer's weights from libtorch's flat list (`w_ih, w_hh, b_ih, b_hh` per layer).
    pub fn of_layers(flat: &'a [Tensor]) -> Vec<Self> {
        flat.chunks(4).map(|w| LayerWeights { w_ih: &w[0], w_hh: &w[1], b_ih: &w[2], b_hh: &w[3] }).collect()
    }
}

/// Every step's input product `x W_ih^T` at once, `[T * B, G*H]`, without the biases (the gate
/// loops add them). One input column (a price series alone) makes it the product of a column
/// and a row, which MKL's sgemm runs at a few GFLOP/s, slower than writing it out by hand.
pub fn project(x: &Tensor, w_ih: &Tensor) -> Tensor {
    if w_ih.size()[1] != 1 {
        return x.mm(&w_ih.tr());
    }
    // mem reads plain memory: a view (one column of a wider matrix) is copied out first; for
    // the layers' own inputs, already contiguous, this is the same tensor
    let x = x.contiguous();
    let (n, g) = (x.size()[0] as usize, w_ih.size()[0] as usize);
    let out = Tensor::empty([n as i64, g as i64], (Kind::Float, Device::Cpu));
    // SAFETY: x is the layer's contiguous [n, 1] input and w_ih a [g, 1] weight, both float32
    // CPU tensors that nothing writes meanwhile; out is new
    unsafe { kernels::outer(mem(&x, 1, 0, n), mem(w_ih, g, 0, 1), mem(&out, g, 0, n)) };
    out
}

/// Rows `start..start + n` of the contiguous float32 CPU matrix `t` (`width` columns), as
/// memory.
///
/// # Safety
/// `t` must be a contiguous float32 CPU tensor with at least `start + n` rows of `width`, and
/// no other live slice or libtorch op may touch those rows while the returned slice is used.
pub unsafe fn mem<'a>(t: &Tensor, width: usize, start: usize, n: usize) -> &'a mut [f32] {
    debug_assert!(t.is_contiguous() && t.kind() == Kind::Float && t.device() == Device::Cpu);
    debug_assert!((start + n) * width <= t.numel());
    std::slice::from_raw_parts_mut((t.data_ptr() as *mut f32).add(start * width), n * width)
}

/// What every hand-written step needs of a network: float32 on the CPU.
pub fn trainable(device: Device, kind: Kind) -> bool {
    device == Device::Cpu && kind == Kind::Float
}

/// Dropout masks for the outputs of every layer but the last, as libtorch's fused recurrent
/// layers apply dropout in training: each unit of each step kept with probability `1 - p` and
/// then scaled by `1 / (1 - p)`. One `[B, T, H]` mask per layer boundary, none when `p` is 0,
/// drawn from the network's own stream (so a seeded run is repeatable, alone or in a fleet).
/// Drawn for a whole batch before it is split, so that a share's masks are its rows of the
/// batch's, whichever thread runs it.
pub fn dropout_masks(
    draws: &mut Draws,
    batch: usize,
    steps: usize,
    hid: i64,
    layers: usize,
    p: f64,
) -> Vec<Tensor> {
    if p <= 0.0 {
        return Vec::new();
    }
    let shape = [batch as i64, steps as i64, hid];
    (1..layers).map(|_| draws.keep_mask(&shape, p)).collect()
}

/// Rows `start..start + n` of `t`, as a view.
pub fn rows(t: &Tensor, start: usize, n: usize) -> Tensor {
    t.narrow(0, start as i64, n as i64)
}

/// Gradients of one layer, in libtorch's parameter order, and of its input.
pub struct LayerGrads {
    pub params: [Tensor; 4],
    /// Not computed for the first layer, whose input is the data.
    pub dx: Option<Tensor>,
}

/// One hand-written recurrent layer (time-major rows: step `s`, sample `i` is row `s * batch + i`).
pub trait HandLayer {
    /// What its backward pass needs from its forward pass.
    type Cache;
    /// The layer over every step of `x` `[T * B, in]`.
    fn forward_layer(x: Tensor, steps: usize, batch: usize, w: &LayerWeights) -> Self::Cache;
    /// Its hidden states `[(T + 1) * B, H]`: zeros, then the output of every step.
    fn states(c: &Self::Cache) -> &Tensor;
    /// Backward through the layer; `dh_out` `[T * B, H]` is the loss gradient with respect to
    /// each step's output.
    fn backward_layer(
        c: &Self::Cache,
        dh_out: &Tensor,
        steps_batch: (usize, usize),
        w: &LayerWeights,
        need_dx: bool,
    ) -> LayerGrads;
}

/// The forward pass of the whole network on one batch, kept for [`backward`].
pub struct Forward<C> {
    caches: Vec<C>,
    /// The dropout mask after each layer but the last, time-major `[T * B, H]` (none without
    /// dropout).
    masks: Vec<Tensor>,
    /// The last layer's state at the last step, `[B, H]`.
    last: Tensor,
    /// d loss / d output, `[B, out]`.
    d_out: Tensor,
    /// The batch's mean loss.
    pub loss: Tensor,
    steps: usize,
    batch: usize,
}

/// `loss` of `Linear(stack(x)[:, -1])` against `y`, keeping what the backward pass needs.
/// `x` `[B, T, in]`, `y` `[B, out]`; `layers` bottom up; `head` = (weight `[out, H]`, bias
/// `[out]`); `masks`: [`dropout_masks`] of this batch (none: no dropout). Runs without
/// recording a graph.
pub fn forward<L: HandLayer>(
    x: &Tensor,
    y: &Tensor,
    layers: &[LayerWeights],
    head: (&Tensor, &Tensor),
    masks: &[Tensor],
    loss: Loss,
) -> Forward<L::Cache> {
    tch::no_grad(|| {
        let (batch, steps) = (x.size()[0] as usize, x.size()[1] as usize);
        let time_major = |t: &Tensor| t.transpose(0, 1).contiguous().view([(steps * batch) as i64, -1]);
        let masks: Vec<Tensor> = masks.iter().map(time_major).collect();
        let mut input = time_major(x);
        let mut caches = Vec::with_capacity(layers.len());
        for (l, w) in layers.iter().enumerate() {
            let c = L::forward_layer(input, steps, batch, w);
            input = rows(L::states(&c), batch, steps * batch);
            if let Some(m) = masks.get(l) {
                // a new tensor: `*=` would write into the states the layer keeps for backward
                input = input.g_mul(m);
            }
            caches.push(c);
        }
        let last = rows(L::states(&caches[caches.len() - 1]), steps * batch, batch);
        let (loss, d_out) = loss.value_and_gradient(&head.1.addmm(&last, &head.0.tr()), y);
        Forward { caches, masks, last, d_out, loss, steps, batch }
    })
}

/// The gradient of every parameter, in the order: each layer's `w_ih, w_hh, b_ih, b_hh`
/// (bottom up), then the head's weight and bias.
pub fn backward<L: HandLayer>(
    f: &Forward<L::Cache>,
    layers: &[LayerWeights],
    head: (&Tensor, &Tensor),
) -> Vec<Tensor> {
    tch::no_grad(|| {
        let (steps, batch) = (f.steps, f.batch);
        let head_grads = [f.d_out.tr().mm(&f.last), f.d_out.sum_dim_intlist(0, false, Kind::Float)];
        let hid = f.last.size()[1];
        let mut d_up = Tensor::zeros([(steps * batch) as i64, hid], (Kind::Float, Device::Cpu));
        rows(&d_up, (steps - 1) * batch, batch).copy_(&f.d_out.mm(head.0));
        let mut grads: Vec<[Tensor; 4]> = Vec::with_capacity(layers.len());
        for (l, (c, w)) in f.caches.iter().zip(layers).enumerate().rev() {
            let g = L::backward_layer(c, &d_up, (steps, batch), w, l > 0);
            if let Some(dx) = g.dx {
                // through the dropout between this layer and the one below
                d_up = match l.checked_sub(1).and_then(|below| f.masks.get(below)) {
                    Some(m) => dx * m,
                    None => dx,
                };
            }
            grads.push(g.params);
        }
        grads.reverse();
        let mut all: Vec<Tensor> = grads.into_iter().flatten().collect();
        all.extend(head_grads);
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_column_projects_as_the_matrix_product_does() {
        // randn draws from libtorch's one generator, which a training test beside this one seeds
        let _rng = crate::test_support::torch_rng();
        let opts = (Kind::Float, Device::Cpu);
        let w = Tensor::randn([12, 1], opts);
        // a contiguous column, and one column of a wider matrix (a view with a stride of 2)
        let wide = Tensor::randn([7, 2], opts);
        for x in [Tensor::randn([7, 1], opts), wide.narrow(1, 1, 1)] {
            let want = x.mm(&w.tr());
            assert_eq!(project(&x, &w).size(), want.size());
            // one multiply per element in both: the same bits
            assert!(project(&x, &w).equal(&want), "contiguous: {}", x.is_contiguous());
        }
    }
}
