//! A GRU training step written by hand for the CPU: forward and backward over large matrix
//! products, gradients handed to the optimizer.
//!
//! Why: libtorch's CPU GRU has no oneDNN kernel. It runs one small matrix product per step for
//! the input *and* the recurrent projection, and autograd records about a dozen small ops per
//! step and layer, each with its own dispatch and allocation, so the benchmark's GRU ran far
//! above the floating-point floor (docs/performance.md). Here the input projections and the weight gradients of all time
//! steps are single large products, and each step does one recurrent product and its gate
//! arithmetic, activations included, on plain memory without a libtorch call ([`kernels`]).
//!
//! Same network, same parameters, same gradients as `Tensor::gru` + linear head + MSE (PyTorch
//! equations, gate order r, z, n): the equivalence tests compare the two to float32 rounding.

use tch::{Device, Kind, Tensor};

use super::gates::{gru_backward, gru_forward};
use super::kernels;
use super::layers::{self, mem, rows, HandLayer, LayerGrads, LayerWeights};

/// What the backward pass of one layer needs from its forward pass (time-major rows: step
/// `s`, sample `i` is row `s * batch + i`).
pub struct Cache {
    /// The layer's input `[T * B, in]`.
    x: Tensor,
    /// States `[(T + 1) * B, H]`: zeros, then the output of every step.
    h: Tensor,
    /// Gate values `[T * B, 3H]`: r, z (after the sigmoid), n (after the tanh).
    gates: Tensor,
    /// The recurrent part of the candidate, `W_hn h + b_hn`, `[T * B, H]`.
    ghn: Tensor,
}

/// Whether this step trains a GRU network: [`layers::trainable`], and not turned off.
pub fn applies(device: Device, kind: Kind) -> bool {
    layers::trainable(device, kind) && enabled()
}

/// `LSTM_STOCK_GRU=libtorch` turns the hand-written step off (to compare the two).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("LSTM_STOCK_GRU").map_or(true, |v| v != "libtorch"))
}

fn forward_layer(x: Tensor, steps: usize, batch: usize, w: &LayerWeights) -> Cache {
    let g3 = w.w_hh.size()[0];
    let hid = (g3 / 3) as usize;
    let opts = (Kind::Float, Device::Cpu);
    // every step's input product at once: [T * B, 3H]; the gate loop adds the biases
    let gi = crate::profile::time("forward: input products", || layers::project(&x, w.w_ih));
    let h = Tensor::zeros([((steps + 1) * batch) as i64, hid as i64], opts);
    let gates = Tensor::empty([(steps * batch) as i64, g3], opts);
    let ghn = Tensor::empty([(steps * batch) as i64, hid as i64], opts);
    let gh = Tensor::empty([batch as i64, g3], opts);
    let w3 = 3 * hid;
    // SAFETY: the weights are contiguous float32 CPU tensors that nothing writes during the step
    let (w_hh, b_ih, b_hh) = unsafe {
        (mem(w.w_hh, hid, 0, w3) as &[f32], mem(w.b_ih, w3, 0, 1) as &[f32], mem(w.b_hh, w3, 0, 1) as &[f32])
    };
    // SAFETY: w_hh is [3H, H], read as its transpose
    let w_hh = unsafe { kernels::PackedB::new(true, (batch, w3, hid), (w_hh.as_ptr(), hid)) };
    for s in 0..steps {
        let r = s * batch;
        // SAFETY: each slice covers rows of its own buffer (steps s and s + 1 of `h` are
        // disjoint rows), and no libtorch op runs on these buffers inside the loop.
        let (gi_s, gh_m, g_m, ghn_m, hp, hn) = unsafe {
            (
                mem(&gi, w3, r, batch) as &[f32],
                mem(&gh, w3, 0, batch),
                mem(&gates, w3, r, batch),
                mem(&ghn, hid, r, batch),
                mem(&h, hid, r, batch) as &[f32],
                mem(&h, hid, r + batch, batch),
            )
        };
        crate::profile::time("forward: step products", || {
            // gh = h_prev W_hh^T
            // SAFETY: shapes as allocated above; gh is its own buffer
            unsafe { w_hh.gemm((hp.as_ptr(), hid), 0.0, (gh_m.as_mut_ptr(), w3)) };
        });
        crate::profile::time("forward: gate loop", || {
            gru_forward(hid, gi_s, gh_m, b_ih, b_hh, g_m, ghn_m, hp, hn);
        });
    }
    Cache { x, h, gates, ghn }
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
    let g3 = w.w_hh.size()[0];
    let hid = (g3 / 3) as usize;
    let opts = (Kind::Float, Device::Cpu);
    let dgi = Tensor::empty([(steps * batch) as i64, g3], opts);
    let dgh = Tensor::empty([(steps * batch) as i64, g3], opts);
    let dh = Tensor::zeros([batch as i64, hid as i64], opts);
    // SAFETY: a contiguous float32 CPU weight that nothing writes during the step
    let w_hh = unsafe { mem(w.w_hh, hid, 0, 3 * hid) as &[f32] };
    // SAFETY: w_hh is [3H, H]
    let w_hh = unsafe { kernels::PackedB::new(false, (batch, hid, 3 * hid), (w_hh.as_ptr(), hid)) };
    for s in (0..steps).rev() {
        let (w3, r) = (3 * hid, s * batch);
        // SAFETY: each slice covers rows of its own buffer; the product into `dh` runs
        // after the loop below, and the slices are taken again next step.
        let (dh_m, up, g, ghn, hp, dgi_m, dgh_m) = unsafe {
            (
                mem(&dh, hid, 0, batch),
                mem(dh_out, hid, r, batch),
                mem(&c.gates, w3, r, batch),
                mem(&c.ghn, hid, r, batch),
                mem(&c.h, hid, r, batch),
                mem(&dgi, w3, r, batch),
                mem(&dgh, w3, r, batch),
            )
        };
        crate::profile::time("backward: gate loop", || {
            gru_backward(hid, up, dh_m, hp, g, ghn, dgi_m, dgh_m);
        });
        // taken after the gate loop's writes, so that they stay valid
        let (dgh_p, dh_p) = (dgh_m.as_ptr(), dh_m.as_mut_ptr());
        crate::profile::time("backward: step products", || {
            // dh += dgh_s W_hh
            // SAFETY: shapes as allocated; dh is its own buffer
            unsafe { w_hh.gemm((dgh_p, w3), 1.0, (dh_p, hid)) };
        });
    }
    let h_prev = rows(&c.h, 0, steps * batch);
    crate::profile::time("backward: weight products", || LayerGrads {
        params: [
            dgi.tr().mm(&c.x),
            dgh.tr().mm(&h_prev),
            dgi.sum_dim_intlist(0, false, Kind::Float),
            dgh.sum_dim_intlist(0, false, Kind::Float),
        ],
        dx: need_dx.then(|| dgi.mm(w.w_ih)),
    })
}

/// The GRU layer of [`layers::forward`] and [`layers::backward`].
pub struct Gru;

impl HandLayer for Gru {
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
