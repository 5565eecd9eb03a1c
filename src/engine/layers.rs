//! What the hand-written training steps share: a layer's weights by libtorch's names, and
//! float32 CPU tensors seen as plain memory.

use tch::{Device, Kind, Tensor};

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

/// Rows `start..start + n` of `t`, as a view.
pub fn rows(t: &Tensor, start: usize, n: usize) -> Tensor {
    t.narrow(0, start as i64, n as i64)
}
