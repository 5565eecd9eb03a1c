//! LSTM / GRU on libtorch's fused kernels (oneDNN on CPU, cuDNN on CUDA) with a linear head.
//!
//! We call `Tensor::lstm` / `Tensor::gru` ourselves instead of using `tch::nn::lstm` for two
//! reasons: the `train` flag (inter-layer dropout) is chosen per call, so evaluation runs
//! without dropout; and the weights start as PyTorch's `nn.LSTM` does, `U(-1/sqrt(H), 1/sqrt(H))`
//! for weights *and* biases, so our runs are comparable with PyTorch scripts.

use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::scratch::ScratchRnn;
use super::{rnn_weights, Cell, ModelConfig};

/// A stack of recurrent layers with PyTorch's parameter names (`weight_ih_l0`, `bias_hh_l1`, ...).
#[derive(Debug)]
pub struct Recurrent {
    cfg: ModelConfig,
    /// Per layer: w_ih `[G*H, in]`, w_hh `[G*H, H]`, b_ih `[G*H]`, b_hh `[G*H]`.
    flat: Vec<Tensor>,
}

impl Recurrent {
    pub fn new(p: &nn::Path, cfg: ModelConfig) -> Self {
        let h = cfg.hidden;
        let flat = rnn_weights(p, &cfg);
        if p.device().is_cuda() && tch::Cuda::cudnn_is_available() {
            // Packs the weights into one cuDNN buffer (the parameters become views of it), as
            // PyTorch's flatten_parameters() does; otherwise cuDNN copies them on every call.
            let mode = match cfg.kind.cell() {
                Cell::Lstm => 2,
                Cell::Gru => 3,
            };
            let _ = Tensor::internal_cudnn_rnn_flatten_weight(
                &flat, 4, cfg.input, mode, h, 0, cfg.layers, true, false,
            );
        }
        Recurrent { cfg, flat }
    }

    /// `[batch, seq, input]` -> outputs of the last layer at every step, `[batch, seq, hidden]`.
    pub fn forward(&self, xs: &Tensor, train: bool) -> Tensor {
        rnn_forward(&self.cfg, &self.flat, xs, train)
    }
}

/// libtorch's fused LSTM / GRU over the weights `flat` (see [`Recurrent`]): `[batch, seq,
/// input]` -> the last layer's outputs `[batch, seq, hidden]`.
pub fn rnn_forward(c: &ModelConfig, flat: &[Tensor], xs: &Tensor, train: bool) -> Tensor {
    let h0 = Tensor::zeros([c.layers, xs.size()[0], c.hidden], (xs.kind(), xs.device()));
    let dropout = if train { c.dropout } else { 0.0 };
    match c.kind.cell() {
        Cell::Lstm => {
            xs.lstm(
                &[&h0, &h0],
                &flat.iter().collect::<Vec<_>>(),
                true,
                c.layers,
                dropout,
                train,
                false,
                true,
            )
            .0
        }
        Cell::Gru => xs.gru(&h0, flat, true, c.layers, dropout, train, false, true).0,
    }
}

/// The recurrent stack behind a [`Net`]: fused kernels or the hand-written cells.
#[derive(Debug)]
pub enum Rnn {
    Fused(Recurrent),
    Scratch(ScratchRnn),
}

impl Rnn {
    pub fn forward(&self, xs: &Tensor, train: bool) -> Tensor {
        match self {
            Rnn::Fused(r) => r.forward(xs, train),
            Rnn::Scratch(r) => r.forward(xs, train).0,
        }
    }
}

/// Recurrent stack plus `Linear(hidden -> horizon)` on the last time step.
#[derive(Debug)]
pub struct Net {
    pub cfg: ModelConfig,
    /// Days one forward pass forecasts: the head's outputs.
    pub horizon: usize,
    pub rnn: Rnn,
    head: nn::Linear,
    /// What the head's output means and how training scores it (a value by default).
    pub loss: super::Loss,
    /// A learned embedding of a panel's tickers: the input's last channel holds the ticker's
    /// index, replaced by its embedding at every step before the recurrent stack.
    pub embed: Option<nn::Embedding>,
}

impl Net {
    /// A one-step network; its variables live under `p/rnn` and `p/head`.
    pub fn new(p: &nn::Path, cfg: ModelConfig) -> Self {
        Self::with_horizon(p, cfg, 1)
    }

    /// A network whose head forecasts the next `horizon` days at once (a direct forecast).
    pub fn with_horizon(p: &nn::Path, cfg: ModelConfig, horizon: usize) -> Self {
        let rnn = if cfg.kind.is_scratch() {
            Rnn::Scratch(ScratchRnn::new(&(p / "rnn"), cfg))
        } else {
            Rnn::Fused(Recurrent::new(&(p / "rnn"), cfg))
        };
        let head = nn::linear(p / "head", cfg.hidden, horizon as i64, Default::default());
        Net { cfg, horizon, rnn, head, loss: super::Loss::Squared, embed: None }
    }

    /// A one-step network over a panel of `tickers` tickers, each with a learned embedding of
    /// `dim` numbers: inputs `[batch, seq, channels + 1]`, the last channel the ticker's index
    /// (the same at every step); `cfg.input` is `channels + dim`. Trained through autograd (the
    /// hand-written steps know no embedding).
    pub fn with_embedding(p: &nn::Path, cfg: ModelConfig, tickers: i64, dim: i64) -> Self {
        let mut net = Self::with_horizon(p, cfg, 1);
        net.embed = Some(nn::embedding(p / "embed", tickers, dim, Default::default()));
        net
    }

    /// `[batch, seq, input]` -> `[batch, horizon]`.
    pub fn forward(&self, xs: &Tensor, train: bool) -> Tensor {
        let out = match &self.embed {
            Some(e) => {
                let (b, t, c) = xs.size3().expect("[batch, seq, channels]");
                let ids = xs.select(2, c - 1).select(1, 0).to_kind(Kind::Int64);
                let dim = e.ws.size()[1];
                let steps = e.forward(&ids).unsqueeze(1).expand([b, t, dim], false);
                self.rnn.forward(&Tensor::cat(&[xs.narrow(2, 0, c - 1), steps], 2), train)
            }
            None => self.rnn.forward(xs, train),
        };
        self.head.forward(&out.select(1, -1))
    }

    /// The fused layers' weights (per layer `w_ih, w_hh, b_ih, b_hh`) and the head's weight and
    /// bias; `None` for the hand-written cells and a network with an embedding (whose training
    /// step is autograd's).
    pub fn fused_weights(&self) -> Option<(&[Tensor], &Tensor, &Tensor)> {
        match (&self.rnn, &self.head.bs) {
            (Rnn::Fused(r), Some(b)) if self.embed.is_none() => Some((&r.flat, &self.head.ws, b)),
            _ => None,
        }
    }

    /// The linear head applied to hidden states `[.., hidden]`.
    pub fn head(&self, h: &Tensor) -> Tensor {
        self.head.forward(h)
    }

    /// Predictions for many samples without building a graph, in chunks to bound memory:
    /// `horizon` values per sample, sample after sample.
    pub fn predict(&self, xs: &Tensor) -> Vec<f32> {
        tch::no_grad(|| {
            let parts: Vec<Tensor> = xs.split(4096, 0).iter().map(|x| self.forward(x, false)).collect();
            let all = Tensor::cat(&parts, 0).to_device(Device::Cpu).to_kind(Kind::Float);
            Vec::<f32>::try_from(all.view([-1])).expect("prediction tensor to vec")
        })
    }

    /// Number of trainable scalars.
    pub fn param_count(vs: &nn::VarStore) -> i64 {
        vs.trainable_variables().iter().map(|t| t.numel() as i64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_counted_without_building_match_the_built_network() {
        // building a network draws its initial weights from libtorch's one generator
        let _rng = crate::test_support::torch_rng();
        for kind in [ModelKind::Lstm, ModelKind::Gru] {
            for (input, hidden, layers, horizon) in [(1, 8, 1, 1), (3, 16, 2, 5), (2, 5, 3, 1)] {
                let cfg = ModelConfig { kind, input, hidden, layers, dropout: 0.0 };
                let vs = nn::VarStore::new(Device::Cpu);
                let _net = Net::with_horizon(&vs.root(), cfg, horizon);
                assert_eq!(
                    cfg.param_count(horizon),
                    Net::param_count(&vs) as f64,
                    "{cfg:?} horizon {horizon}"
                );
            }
        }
    }
    use crate::model::ModelKind;

    #[test]
    fn shapes_and_parameter_counts_match_pytorch() {
        let _rng = crate::test_support::torch_rng();
        // PyTorch: nn.LSTM(1, 64, 2) + nn.Linear(64, 1) has 50,497 parameters (WORKLOAD.md).
        for (kind, params) in [
            (ModelKind::Lstm, 50_497),
            (ModelKind::Gru, 37_889),
            (ModelKind::LstmScratch, 50_497),
            (ModelKind::GruScratch, 37_889),
        ] {
            for batch in [1, 7] {
                let vs = nn::VarStore::new(Device::Cpu);
                let cfg = ModelConfig { kind, input: 1, hidden: 64, layers: 2, dropout: 0.2 };
                let net = Net::new(&vs.root(), cfg);
                assert_eq!(Net::param_count(&vs), params);
                let x = Tensor::randn([batch, 12, 1], (Kind::Float, Device::Cpu));
                let y = net.forward(&x, false);
                assert_eq!(y.size(), vec![batch, 1]);
                assert!(y.isfinite().all().int64_value(&[]) == 1);
                // no dropout at inference: two evaluations agree exactly
                assert!(net.forward(&x, false).equal(&y));
            }
        }
    }

    #[test]
    fn biases_are_not_zero_at_start() {
        let _rng = crate::test_support::torch_rng();
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ModelConfig { kind: ModelKind::Gru, input: 1, hidden: 16, layers: 1, dropout: 0.0 };
        let _net = Net::new(&vs.root(), cfg);
        let b = &vs.variables()["rnn.bias_ih_l0"];
        assert!(b.abs().max().double_value(&[]) > 0.0);
        assert!(b.abs().max().double_value(&[]) <= 0.25);
    }
}
