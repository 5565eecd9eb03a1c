//! Looking inside a trained network: copy its weights into the hand-written cells and record
//! the gates over one input window.

use anyhow::Result;
use tch::{nn, Tensor};

use super::scratch::{GateTrace, ScratchRnn};
use super::{Cell, ModelConfig};
use crate::report::heatmap::Panel;

/// Gate activations of the last layer of the network whose variables are in `vs`, for one
/// input window `x` `[1, seq, input]`.
pub fn trace_last_layer(cfg: &ModelConfig, vs: &nn::VarStore, x: &Tensor) -> Result<GateTrace> {
    let mut scratch_vs = nn::VarStore::new(vs.device());
    let scratch_cfg = ModelConfig { kind: cfg.kind.scratch_variant(), ..*cfg };
    let scratch = ScratchRnn::new(&(scratch_vs.root() / "rnn"), scratch_cfg);
    scratch_vs.copy(vs)?; // same names: rnn.weight_ih_l0, ...
    Ok(tch::no_grad(|| scratch.forward_traced(x, cfg.layers as usize - 1).1))
}

/// `[1, seq, hidden]` -> `values[unit][step]`.
fn unit_rows(t: &Tensor) -> Vec<Vec<f32>> {
    let m = t.get(0).tr().to_kind(tch::Kind::Float).to_device(tch::Device::Cpu).contiguous();
    let (units, steps) = (m.size()[0], m.size()[1]);
    let flat = Vec::<f32>::try_from(m.view([-1])).expect("gate values");
    (0..units as usize).map(|u| flat[u * steps as usize..(u + 1) * steps as usize].to_vec()).collect()
}

/// The four heatmap panels of a trace, titled in the tutorial's terms.
pub fn panels(cell: Cell, trace: &GateTrace) -> Vec<Panel> {
    let state = unit_rows(&trace.cell);
    let m = state.iter().flatten().fold(0f32, |a, &v| a.max(v.abs())).max(1e-6);
    let gate =
        |title: &str, t: &Tensor| Panel { title: title.to_string(), values: unit_rows(t), range: (0.0, 1.0) };
    match cell {
        Cell::Lstm => vec![
            gate("step 1: forget gate f (1 = keep the old cell state)", &trace.forget),
            gate("step 2: input gate i (1 = let the candidate in)", &trace.input),
            gate("step 4: output gate o (1 = expose the cell state as h)", &trace.output),
            Panel {
                title: "step 3: cell state c = f * c_prev + i * candidate".into(),
                values: state,
                range: (-m, m),
            },
        ],
        Cell::Gru => vec![
            gate("update gate z (1 = keep the previous state)", &trace.forget),
            gate("reset gate r (1 = the candidate sees the previous state)", &trace.input),
            Panel { title: "candidate n".into(), values: unit_rows(&trace.output), range: (-1.0, 1.0) },
            Panel {
                title: "hidden state h = (1 - z) * n + z * h_prev".into(),
                values: state,
                range: (-m, m),
            },
        ],
    }
}
