//! An LSTM training step written by hand for the CPU, in the same engine as the GRU's
//! ([`super::gru_step`]): the input projections of all time steps at once per layer
//! ([`layers::project`]), one recurrent product per step through the direct sgemm path, the
//! four gates' arithmetic in one pass over memory with vectorised activations, the weight
//! gradients of all steps in one product each, gradients handed to the optimiser.
//!
//! **On by default** on the CPU (`LSTM_STOCK_LSTM=libtorch` turns it off, to compare the two).
//! Unlike the GRU, libtorch's CPU LSTM has a oneDNN kernel, so this step had to beat a fused
//! kernel, not autograd through small ops; with the biases added in the gate loop, a single input
//! column's product written out by hand and the activations on fused multiply-adds it does, in
//! alternated runs on one thread and on two (docs/performance.md). Its matrix products take most
//! of the time, near MKL's rate for these small shapes.
//!
//! Same network, parameters and gradients as `Tensor::lstm` + linear head + MSE (PyTorch
//! equations, gate order i, f, g, o): the equivalence tests compare the two to float32 rounding.

use tch::{Device, Kind, Tensor};

use super::gates::{lstm_backward, lstm_forward};
use super::kernels;
use super::layers::{self, mem, rows, HandLayer, LayerGrads, LayerWeights};

/// What the backward pass of one layer needs from its forward pass (time-major rows: step
/// `s`, sample `i` is row `s * batch + i`).
pub struct Cache {
    /// The layer's input `[T * B, in]`.
    x: Tensor,
    /// Hidden states `[(T + 1) * B, H]`: zeros, then the output of every step.
    h: Tensor,
    /// Cell states `[(T + 1) * B, H]`: zeros, then every step's.
    c: Tensor,
    /// Gate values `[T * B, 4H]`: i, f (after the sigmoid), g (after the tanh), o (sigmoid).
    gates: Tensor,
    /// `tanh(c)` of every step, `[T * B, H]`.
    tanh_c: Tensor,
}

/// Whether this step trains an LSTM network: [`layers::trainable`], and not turned off.
pub fn applies(device: Device, kind: Kind) -> bool {
    layers::trainable(device, kind) && enabled()
}

/// `LSTM_STOCK_LSTM=libtorch` turns the hand-written step off (to compare the two).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("LSTM_STOCK_LSTM").map_or(true, |v| v != "libtorch"))
}

fn forward_layer(x: Tensor, steps: usize, batch: usize, w: &LayerWeights) -> Cache {
    let g4 = w.w_hh.size()[0];
    let hid = (g4 / 4) as usize;
    let w4 = 4 * hid;
    let opts = (Kind::Float, Device::Cpu);
    // every step's input product at once: [T * B, 4H]; the gate loop adds both biases
    let gates = crate::profile::time("forward: input products", || layers::project(&x, w.w_ih));
    let biases = w.b_ih + w.b_hh;
    // SAFETY: a new contiguous float32 CPU tensor of 4H, alive until the function returns
    let bias = unsafe { mem(&biases, w4, 0, 1) as &[f32] };
    let h = Tensor::zeros([((steps + 1) * batch) as i64, hid as i64], opts);
    let c = Tensor::zeros([((steps + 1) * batch) as i64, hid as i64], opts);
    let tanh_c = Tensor::empty([(steps * batch) as i64, hid as i64], opts);
    // SAFETY: a contiguous float32 CPU weight that nothing writes during the step
    let w_hh = unsafe { mem(w.w_hh, hid, 0, w4) as &[f32] };
    // SAFETY: w_hh is [4H, H], read as its transpose
    let w_hh = unsafe { kernels::PackedB::new(true, (batch, w4, hid), (w_hh.as_ptr(), hid)) };
    for s in 0..steps {
        let r = s * batch;
        // SAFETY: each slice covers rows of its own buffer (steps s and s + 1 of `h` and `c`
        // are disjoint rows), and no libtorch op runs on these buffers inside the loop.
        let (g_m, hp, hn, cp, cn, tc) = unsafe {
            (
                mem(&gates, w4, r, batch),
                mem(&h, hid, r, batch) as &[f32],
                mem(&h, hid, r + batch, batch),
                mem(&c, hid, r, batch) as &[f32],
                mem(&c, hid, r + batch, batch),
                mem(&tanh_c, hid, r, batch),
            )
        };
        crate::profile::time("forward: step products", || {
            // gates += h_prev W_hh^T (the input part is already there)
            // SAFETY: shapes as allocated above; the gates' rows of step s are their own
            unsafe { w_hh.gemm((hp.as_ptr(), hid), 1.0, (g_m.as_mut_ptr(), w4)) };
        });
        crate::profile::time("forward: gate loop", || {
            lstm_forward(hid, bias, g_m, cp, cn, tc, hn);
        });
    }
    Cache { x, h, c, gates, tanh_c }
}

/// Backward through one layer. `dh_out` `[T * B, H]` is the loss gradient with respect to each
/// step's output (from the layer above, or the head at the last step).
fn backward_layer(
    c: &Cache,
    dh_out: &Tensor,
    (steps, batch): (usize, usize),
    w: &LayerWeights,
    need_dx: bool,
) -> LayerGrads {
    let g4 = w.w_hh.size()[0];
    let hid = (g4 / 4) as usize;
    let w4 = 4 * hid;
    let opts = (Kind::Float, Device::Cpu);
    // the gradient at the gates' pre-activations; the same for the input and recurrent parts
    let da = Tensor::empty([(steps * batch) as i64, g4], opts);
    let dh = Tensor::zeros([batch as i64, hid as i64], opts);
    let dc = Tensor::zeros([batch as i64, hid as i64], opts);
    // SAFETY: a contiguous float32 CPU weight that nothing writes during the step
    let w_hh = unsafe { mem(w.w_hh, hid, 0, w4) as &[f32] };
    // SAFETY: w_hh is [4H, H]
    let w_hh = unsafe { kernels::PackedB::new(false, (batch, hid, w4), (w_hh.as_ptr(), hid)) };
    for s in (0..steps).rev() {
        let r = s * batch;
        // SAFETY: each slice covers rows of its own buffer; the product into `dh` runs after
        // the loop below, and the slices are taken again next step.
        let (dh_m, dc_m, up, g, cp, tc, da_m) = unsafe {
            (
                mem(&dh, hid, 0, batch),
                mem(&dc, hid, 0, batch),
                mem(dh_out, hid, r, batch) as &[f32],
                mem(&c.gates, w4, r, batch) as &[f32],
                mem(&c.c, hid, r, batch) as &[f32],
                mem(&c.tanh_c, hid, r, batch) as &[f32],
                mem(&da, w4, r, batch),
            )
        };
        crate::profile::time("backward: gate loop", || {
            lstm_backward(hid, up, dh_m, dc_m, g, cp, tc, da_m);
        });
        // taken after the gate loop's writes, so that they stay valid
        let (da_p, dh_p) = (da_m.as_ptr(), dh_m.as_mut_ptr());
        crate::profile::time("backward: step products", || {
            // dh = da_s W_hh: the hidden state's only path to the previous step
            // SAFETY: shapes as allocated; dh is its own buffer, not borrowed above any more
            unsafe { w_hh.gemm((da_p, w4), 0.0, (dh_p, hid)) };
        });
    }
    let h_prev = rows(&c.h, 0, steps * batch);
    crate::profile::time("backward: weight products", || {
        let db = da.sum_dim_intlist(0, false, Kind::Float);
        LayerGrads {
            params: [da.tr().mm(&c.x), da.tr().mm(&h_prev), db.copy(), db],
            dx: need_dx.then(|| da.mm(w.w_ih)),
        }
    })
}

/// The LSTM layer of [`layers::forward`] and [`layers::backward`].
pub struct Lstm;

impl HandLayer for Lstm {
    type Cache = Cache;
    fn forward_layer(x: Tensor, steps: usize, batch: usize, w: &LayerWeights) -> Cache {
        forward_layer(x, steps, batch, w)
    }
    fn states(c: &Cache) -> &Tensor {
        &c.h
    }
    fn backward_layer(
        c: &Cache,
        dh_out: &Tensor,
        steps_batch: (usize, usize),
        w: &LayerWeights,
        need_dx: bool,
    ) -> LayerGrads {
        backward_layer(c, dh_out, steps_batch, w, need_dx)
    }
}
