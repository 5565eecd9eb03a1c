//! Looking inside a trained network: copy its weights into the hand-written cells and record
//! the gates over one input window, as plain numbers a chart can draw.

use anyhow::Result;
use tch::{nn, Tensor};

use super::scratch::ScratchRnn;
use super::ModelConfig;

/// The last layer's activations over one window, `values[unit][step]` each.
pub struct GateValues {
    /// LSTM forget f, input i, candidate g, output o; GRU reset r, update z, candidate n.
    pub gates: Vec<Vec<Vec<f32>>>,
    /// LSTM: the cell state c; GRU: the hidden state h.
    pub state: Vec<Vec<f32>>,
}

/// Gate activations of the last layer of the network whose variables are in `vs`, for one
/// input window `x` `[1, seq, input]`.
pub fn trace_last_layer(cfg: &ModelConfig, vs: &nn::VarStore, x: &Tensor) -> Result<GateValues> {
    let mut scratch_vs = nn::VarStore::new(vs.device());
    let scratch_cfg = ModelConfig { kind: cfg.kind.scratch_variant(), ..*cfg };
    let scratch = ScratchRnn::new(&(scratch_vs.root() / "rnn"), scratch_cfg);
    scratch_vs.copy(vs)?; // same names: rnn.weight_ih_l0, ...
    let trace = tch::no_grad(|| scratch.forward_traced(x, cfg.layers as usize - 1).1);
    Ok(GateValues { gates: trace.gates.iter().map(unit_rows).collect(), state: unit_rows(&trace.state) })
}

/// `[1, seq, hidden]` -> `values[unit][step]`.
fn unit_rows(t: &Tensor) -> Vec<Vec<f32>> {
    let m = t.get(0).tr().to_kind(tch::Kind::Float).to_device(tch::Device::Cpu).contiguous();
    let (units, steps) = (m.size()[0], m.size()[1]);
    let flat = Vec::<f32>::try_from(m.view([-1])).expect("gate values");
    (0..units as usize).map(|u| flat[u * steps as usize..(u + 1) * steps as usize].to_vec()).collect()
}
