//! LSTM and GRU cells written gate by gate from tensor primitives, as the tutorial explains
//! them, and a multi-layer sequence module on top.
//!
//! Shapes: inputs `[batch, seq, input]`, states `[batch, hidden]` per layer. The weights have
//! PyTorch's names and layout (LSTM gate blocks i, f, g, o; GRU r, z, n), so weights copied
//! from the fused module give the same network; the equivalence tests check exactly that.
//!
//! Slower than the fused kernels (one small matrix product per step and per layer, no fusion):
//! it exists to be read, to be checked against libtorch, and to expose the gates.

use tch::{nn, Tensor};

use super::{rnn_weights, Cell, ModelConfig};

/// Final states of a sequence: per layer `h` (and `c` for an LSTM), each `[batch, hidden]`.
#[derive(Debug)]
pub struct FinalState {
    pub h: Vec<Tensor>,
    pub c: Vec<Tensor>,
}

/// Gate activations of one layer over a sequence, each `[batch, seq, hidden]`.
#[derive(Debug)]
pub struct GateTrace {
    /// In the tutorial's order, as [`lstm_step`] and [`gru_step`] return them: LSTM forget f,
    /// input i, candidate g, output o; GRU reset r, update z, candidate n.
    pub gates: Vec<Tensor>,
    /// LSTM: the cell state c; GRU: the hidden state h.
    pub state: Tensor,
}

/// One LSTM step, the tutorial's four steps. `gx` is the input projection `x W_ih^T + b_ih`
/// `[batch, 4H]` (computed for all steps at once), `h`, `c` the previous states.
/// Returns `(h, c, [f, i, g, o])`.
pub fn lstm_step(
    gx: &Tensor,
    h: &Tensor,
    c: &Tensor,
    w_hh: &Tensor,
    b_hh: &Tensor,
) -> (Tensor, Tensor, [Tensor; 4]) {
    let gates = gx + h.matmul(&w_hh.tr()) + b_hh;
    // libtorch's order: i, f, g (candidate), o
    let g = gates.chunk(4, 1);
    // Step 1, forget gate: how much of the old cell state to keep, per unit, in (0, 1).
    let f = g[1].sigmoid();
    // Step 2, input gate and candidate: what new information may enter, and its value.
    let i = g[0].sigmoid();
    let candidate = g[2].tanh();
    // Step 3, cell update: forget part of the old state, add the gated candidate.
    let c = &f * c + &i * &candidate;
    // Step 4, output gate: which part of the squashed cell state becomes the output h.
    let o = g[3].sigmoid();
    let h = &o * c.tanh();
    (h, c, [f, i, candidate, o])
}

/// One GRU step: reset gate, update gate, candidate, blend. `gx` is `x W_ih^T + b_ih`
/// `[batch, 3H]`. Returns `(h, [r, z, n])`.
pub fn gru_step(gx: &Tensor, h: &Tensor, w_hh: &Tensor, b_hh: &Tensor) -> (Tensor, [Tensor; 3]) {
    let gh = h.matmul(&w_hh.tr()) + b_hh;
    // libtorch's order: r, z, n
    let (x, hh) = (gx.chunk(3, 1), gh.chunk(3, 1));
    // Reset gate: how much of the previous state the candidate may look at.
    let r = (&x[0] + &hh[0]).sigmoid();
    // Update gate: how much of the previous state to keep.
    let z = (&x[1] + &hh[1]).sigmoid();
    // Candidate: new content from the input and the reset-gated previous state.
    let n = (&x[2] + &r * &hh[2]).tanh();
    // Blend: keep z of the old state, take (1 - z) of the candidate.
    let h = (1.0 - &z) * &n + &z * h;
    (h, [r, z, n])
}

/// A stack of hand-written LSTM or GRU layers.
#[derive(Debug)]
pub struct ScratchRnn {
    cfg: ModelConfig,
    /// Per layer: w_ih, w_hh, b_ih, b_hh (the same tensors the VarStore holds).
    flat: Vec<Tensor>,
}

impl ScratchRnn {
    /// Creates the weights under `p`, with the names and initialisation of the fused module.
    pub fn new(p: &nn::Path, cfg: ModelConfig) -> Self {
        ScratchRnn { flat: rnn_weights(p, &cfg), cfg }
    }

    /// `[batch, seq, input]` -> (outputs of the last layer `[batch, seq, hidden]`, final states).
    /// While training, dropout is applied between layers, as libtorch does.
    pub fn forward(&self, xs: &Tensor, train: bool) -> (Tensor, FinalState) {
        self.run(xs, train, None)
    }

    /// Like [`ScratchRnn::forward`] without dropout, also returning the gate activations of
    /// layer `layer` (0-based).
    pub fn forward_traced(&self, xs: &Tensor, layer: usize) -> (Tensor, GateTrace) {
        let mut trace = None;
        let (out, _) = self.run(xs, false, Some((layer, &mut trace)));
        (out, trace.expect("layer traced"))
    }

    fn run(
        &self,
        xs: &Tensor,
        train: bool,
        mut trace: Option<(usize, &mut Option<GateTrace>)>,
    ) -> (Tensor, FinalState) {
        let c = &self.cfg;
        let (batch, steps) = (xs.size()[0], xs.size()[1]);
        let mut input = xs.shallow_clone();
        let mut state = FinalState { h: vec![], c: vec![] };
        for l in 0..c.layers as usize {
            let w = &self.flat[4 * l..4 * l + 4];
            // the input projections of every step in one matrix product: [batch, seq, G*H]
            let gx = input.matmul(&w[0].tr()) + &w[2];
            let mut h = Tensor::zeros([batch, c.hidden], (xs.kind(), xs.device()));
            let mut cell = h.zeros_like();
            let mut outs = Vec::with_capacity(steps as usize);
            let mut gates: Vec<Vec<Tensor>> = vec![];
            for t in 0..steps {
                let gx_t = gx.select(1, t);
                let g: Vec<Tensor> = match c.kind.cell() {
                    Cell::Lstm => {
                        let (h2, c2, g) = lstm_step(&gx_t, &h, &cell, &w[1], &w[3]);
                        (h, cell) = (h2, c2);
                        g.into()
                    }
                    Cell::Gru => {
                        let (h2, g) = gru_step(&gx_t, &h, &w[1], &w[3]);
                        h = h2;
                        g.into()
                    }
                };
                if matches!(trace, Some((tl, _)) if tl == l) {
                    let state = if c.kind.cell() == Cell::Lstm { &cell } else { &h };
                    gates.resize_with(g.len() + 1, Vec::new);
                    for (k, t) in g.iter().chain([state]).enumerate() {
                        gates[k].push(t.shallow_clone());
                    }
                }
                outs.push(h.shallow_clone());
            }
            if let Some((tl, slot)) = trace.as_mut() {
                if *tl == l {
                    let mut stacked: Vec<Tensor> = gates.iter().map(|g| Tensor::stack(g, 1)).collect();
                    let state = stacked.pop().expect("the state is traced last");
                    **slot = Some(GateTrace { gates: stacked, state });
                }
            }
            input = Tensor::stack(&outs, 1);
            if train && c.dropout > 0.0 && l + 1 < c.layers as usize {
                input = input.dropout(c.dropout, true);
            }
            state.h.push(h);
            state.c.push(cell);
        }
        if c.kind.cell() == Cell::Gru {
            state.c.clear();
        }
        (input, state)
    }
}
