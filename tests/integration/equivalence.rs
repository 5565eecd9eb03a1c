//! The hand-written cells are the same network as libtorch's fused LSTM / GRU.
//!
//! Random non-zero weights *and* biases (the fused module starts its biases at zero, which
//! would hide a bias bug) are copied from `tch::nn::lstm` / `tch::nn::gru` into
//! [`ScratchRnn`]; for {LSTM, GRU} x {1, 2 layers} x {batch 1, 7}, sequence length 6, input 3,
//! hidden 5, the outputs, the final states, the gradient of every parameter and the gradient
//! of the input must agree.
//!
//! Tolerances, measured when written (largest absolute difference over the whole sweep):
//! - float64: outputs/states 2.2e-16, gradients 7.1e-15. Required: 1e-10.
//! - float32: outputs/states 1.2e-7, gradients 1.9e-6. Required: 1e-5 (values are O(1), float32
//!   has 6e-8 relative precision, and gradients sum over 6 steps x 2 layers).
//!
//! The plain-Rust LSTM cell agrees with the tensor version within 1e-12 (measured 5.6e-17).

use lstm_stock::engine::draws::Draws;
use lstm_stock::model::plain::PlainLstmCell;
use lstm_stock::model::scratch::ScratchRnn;
use lstm_stock::model::{ModelConfig, ModelKind};
use tch::nn::RNN;
use tch::{nn, Device, Kind, Tensor};

const TOL_F64: f64 = 1e-10;
const TOL_F32: f64 = 1e-5;

use super::RNG;

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size());
    (a - b).abs().max().double_value(&[])
}

/// [`max_diff`] relative to the reference's largest magnitude where that is above 1: the
/// gradients reach about 20, where float32's spacing is 2e-6 and a sum over every step and
/// sample differs by several of them with the order MKL happens to take (it varies from run to
/// run), so an absolute 1e-5 failed now and then on rounding alone.
fn scaled_diff(reference: &Tensor, b: &Tensor) -> f64 {
    max_diff(reference, b) / reference.abs().max().double_value(&[]).max(1.0)
}

/// Largest (forward, gradient) difference for one configuration.
fn compare(kind: ModelKind, layers: i64, batch: i64, dtype: Kind) -> (f64, f64) {
    let (input, hidden, steps) = (3, 5, 6);
    let mut vs_ref = nn::VarStore::new(Device::Cpu);
    let rc = nn::RNNConfig { num_layers: layers, ..Default::default() };
    let (lstm, gru) = match kind {
        ModelKind::LstmScratch => (Some(nn::lstm(vs_ref.root() / "rnn", input, hidden, rc)), None),
        _ => (None, Some(nn::gru(vs_ref.root() / "rnn", input, hidden, rc))),
    };
    tch::no_grad(|| {
        for (_, mut v) in vs_ref.variables() {
            let r = Tensor::randn(v.size(), (Kind::Float, Device::Cpu)) * 0.5;
            v.copy_(&r);
        }
    });
    vs_ref.set_kind(dtype);
    let mut vs = nn::VarStore::new(Device::Cpu);
    let scratch =
        ScratchRnn::new(&(vs.root() / "rnn"), ModelConfig { kind, input, hidden, layers, dropout: 0.0 });
    vs.set_kind(dtype);
    vs.copy(&vs_ref).unwrap();

    let x = Tensor::randn([batch, steps, input], (dtype, Device::Cpu));
    let (x_ref, x_s) = (x.copy().set_requires_grad(true), x.copy().set_requires_grad(true));
    let (out_ref, h_ref, c_ref) = match (&lstm, &gru) {
        (Some(m), _) => {
            let (o, s) = m.seq(&x_ref);
            (o, s.h(), Some(s.c()))
        }
        (_, Some(m)) => {
            let (o, s) = m.seq(&x_ref);
            (o, s.value(), None)
        }
        _ => unreachable!(),
    };
    let (out_s, state) = scratch.forward(&x_s, false);
    let h_s = Tensor::stack(&state.h, 0);
    let mut fwd = max_diff(&out_ref, &out_s).max(max_diff(&h_ref, &h_s));
    // the same random weighting of every output makes a scalar whose gradient reaches everything
    let (w_out, w_h) = (out_ref.rand_like(), h_ref.rand_like());
    let mut loss_ref = (&out_ref * &w_out).sum(dtype) + (&h_ref * &w_h).sum(dtype);
    let mut loss_s = (&out_s * &w_out).sum(dtype) + (&h_s * &w_h).sum(dtype);
    if let Some(c_ref) = c_ref {
        let c_s = Tensor::stack(&state.c, 0);
        fwd = fwd.max(max_diff(&c_ref, &c_s));
        let w_c = c_ref.rand_like();
        loss_ref += (&c_ref * &w_c).sum(dtype);
        loss_s += (&c_s * &w_c).sum(dtype);
    }
    loss_ref.backward();
    loss_s.backward();
    let mut grad = scaled_diff(&x_ref.grad(), &x_s.grad());
    let vars = vs.variables();
    let ref_vars = vs_ref.variables();
    assert_eq!(vars.len(), ref_vars.len());
    assert_eq!(vars.len() as i64, 4 * layers);
    for (name, v) in &vars {
        let g = v.grad();
        assert!(g.defined() && g.abs().max().double_value(&[]) > 0.0, "{name}: no gradient");
        grad = grad.max(scaled_diff(&ref_vars[name].grad(), &g));
    }
    (fwd, grad)
}

fn sweep(dtype: Kind, tol: f64) {
    let _rng = RNG.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(11);
    let (mut worst_fwd, mut worst_grad) = (0.0f64, 0.0f64);
    for kind in [ModelKind::LstmScratch, ModelKind::GruScratch] {
        for layers in [1, 2] {
            for batch in [1, 7] {
                let (f, g) = compare(kind, layers, batch, dtype);
                assert!(
                    f < tol && g < tol,
                    "{kind:?} layers {layers} batch {batch} {dtype:?}: forward {f:e}, gradient {g:e} (relative where above 1)"
                );
                worst_fwd = worst_fwd.max(f);
                worst_grad = worst_grad.max(g);
            }
        }
    }
    eprintln!("{dtype:?}: largest difference forward {worst_fwd:e}, gradient {worst_grad:e} (relative)");
}

#[test]
fn scratch_cells_match_fused_in_float64() {
    sweep(Kind::Double, TOL_F64);
}

#[test]
fn scratch_cells_match_fused_in_float32() {
    sweep(Kind::Float, TOL_F32);
}

#[test]
fn plain_rust_lstm_cell_matches_the_tensor_cell() {
    let _rng = RNG.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(5);
    let (input, hidden) = (2, 4);
    let mut vs = nn::VarStore::new(Device::Cpu);
    let cfg = ModelConfig { kind: ModelKind::LstmScratch, input, hidden, layers: 1, dropout: 0.0 };
    let scratch = ScratchRnn::new(&(vs.root() / "rnn"), cfg);
    vs.set_kind(Kind::Double);
    let v = vs.variables();
    let flat = |n: &str| Vec::<f64>::try_from(v[&format!("rnn.{n}")].flatten(0, -1)).unwrap();
    let cell = PlainLstmCell {
        input: input as usize,
        hidden: hidden as usize,
        w_ih: flat("weight_ih_l0"),
        w_hh: flat("weight_hh_l0"),
        b_ih: flat("bias_ih_l0"),
        b_hh: flat("bias_hh_l0"),
    };
    let x = Tensor::randn([1, 7, input], (Kind::Double, Device::Cpu));
    let (out, _) = tch::no_grad(|| scratch.forward(&x, false));
    let seq: Vec<Vec<f64>> = (0..7).map(|t| Vec::<f64>::try_from(x.get(0).get(t)).unwrap()).collect();
    let plain = cell.sequence(&seq);
    let mut worst = 0.0f64;
    for (t, h) in plain.iter().enumerate() {
        let th = Vec::<f64>::try_from(out.get(0).get(t as i64)).unwrap();
        for (a, b) in h.iter().zip(&th) {
            worst = worst.max((a - b).abs());
        }
    }
    eprintln!("plain vs tensor LSTM cell: largest difference {worst:e}");
    assert!(worst < 1e-12, "{worst:e}");
}

/// The networks of the hand-written steps' equivalence tests: (layers, batch, outputs, hidden,
/// input).
const HAND_STEP_CASES: [(i64, i64, usize, i64, i64); 7] = [
    (1, 1, 1, 6, 1),
    (1, 7, 3, 6, 2),
    (2, 7, 1, 6, 1),
    (2, 64, 1, 64, 1),
    (3, 5, 3, 6, 2),
    (2, 1, 1, 64, 2),
    (2, 7, 1, 37, 1),
];

/// The hand-written GRU training step (`engine::gru_step`) against libtorch's `Tensor::gru` +
/// linear head + MSE with autograd: loss and the gradient of every parameter, float32, for
/// {1, 2, 3 layers} x {batch 1, 7, 64} x {1, 3 outputs}, sequence 9, input 1 (a price alone:
/// the input product is written by hand) and 2 (sgemm), hidden 6, 37 and 64 (the gate arithmetic
/// runs 16 units at a time and then the rest: 6 is a rest alone, 64 whole blocks, 37 both).
/// Measured: loss 1.2e-7, gradients 5.1e-7 at
/// most (relative to the largest gradient of each tensor). Required: 1e-5.
#[test]
fn hand_written_gru_step_matches_libtorch_autograd() {
    use lstm_stock::engine::gru_step;
    use lstm_stock::model::Net;
    let _rng = RNG.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(11);
    let mut worst: (f64, f64) = (0.0, 0.0);
    for (layers, batch, outputs, hidden, input) in HAND_STEP_CASES {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ModelConfig { kind: ModelKind::Gru, input, hidden, layers, dropout: 0.0 };
        let net = Net::with_horizon(&vs.root(), cfg, outputs);
        let x = Tensor::randn([batch, 9, input], (Kind::Float, Device::Cpu));
        let y = Tensor::randn([batch, outputs as i64], (Kind::Float, Device::Cpu));
        // libtorch: autograd through the fused GRU
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, v) in &vars {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        let loss_ref = net.forward(&x, true).mse_loss(&y, tch::Reduction::Mean);
        loss_ref.backward();
        let want: Vec<Tensor> = vars.iter().map(|(_, v)| v.grad().copy()).collect();
        // by hand, through the same code path training uses
        for (_, v) in &vars {
            let _ = v.grad().zero_();
        }
        assert!(gru_step::applies(Device::Cpu, Kind::Float));
        let loss = lstm_stock::engine::loss_backward(&net, &x, &y, 1, &mut Draws::seeded(0));
        worst.0 = worst.0.max((loss.double_value(&[]) - loss_ref.double_value(&[])).abs());
        for ((name, v), w) in vars.iter().zip(&want) {
            let scale = w.abs().max().double_value(&[]).max(1e-3);
            let d = max_diff(&v.grad(), w) / scale;
            assert!(d < TOL_F32, "{layers} layers, batch {batch}, hidden {hidden}: {name} differs by {d:e}");
            worst.1 = worst.1.max(d);
        }
    }
    eprintln!(
        "hand-written GRU step vs libtorch: loss {:.1e}, gradients {:.1e} (relative)",
        worst.0, worst.1
    );
    assert!(worst.0 < TOL_F32);
}

/// The hand-written LSTM training step (`engine::lstm_step`) against libtorch's `Tensor::lstm` +
/// linear head + MSE with autograd: loss and the gradient of every parameter, float32, for
/// {1, 2, 3 layers} x {batch 1, 7, 64} x {1, 3 outputs}, sequence 9, input 1 (a price alone:
/// the input product is written by hand) and 2 (sgemm), hidden 6, 37 and 64 (the gate arithmetic
/// runs 16 units at a time and then the rest: 6 is a rest alone, 64 whole blocks, 37 both).
/// Measured: loss 1.2e-7, gradients 1.8e-6 at most (relative to the largest
/// gradient of each tensor; the biases are added in another order than libtorch's). Required:
/// 1e-5.
#[test]
fn hand_written_lstm_step_matches_libtorch_autograd() {
    use lstm_stock::engine::{layers, lstm_step};
    use lstm_stock::model::Net;
    let _rng = RNG.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(12);
    let mut worst: (f64, f64) = (0.0, 0.0);
    for (layers, batch, outputs, hidden, input) in HAND_STEP_CASES {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ModelConfig { kind: ModelKind::Lstm, input, hidden, layers, dropout: 0.0 };
        let net = Net::with_horizon(&vs.root(), cfg, outputs);
        let x = Tensor::randn([batch, 9, input], (Kind::Float, Device::Cpu));
        let y = Tensor::randn([batch, outputs as i64], (Kind::Float, Device::Cpu));
        // libtorch: autograd through the fused LSTM
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, v) in &vars {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        let loss_ref = net.forward(&x, true).mse_loss(&y, tch::Reduction::Mean);
        loss_ref.backward();
        let want: Vec<Tensor> = vars.iter().map(|(_, v)| v.grad().copy()).collect();
        // by hand, through the same code path training uses
        for (_, v) in &vars {
            let _ = v.grad().zero_();
        }
        // the step alone, on the fused network's weights (the dropout test below runs the
        // training path, with the batch split)
        let (flat, head_w, head_b) = net.fused_weights().unwrap();
        let layer_weights = layers::LayerWeights::of_layers(flat);
        let f = layers::forward::<lstm_step::Lstm>(
            &x,
            &y,
            &layer_weights,
            (head_w, head_b),
            &[],
            lstm_stock::model::Loss::Squared,
        );
        let grads = layers::backward::<lstm_step::Lstm>(&f, &layer_weights, (head_w, head_b));
        worst.0 = worst.0.max((f.loss.double_value(&[]) - loss_ref.double_value(&[])).abs());
        // in the order of `fused_weights`: each layer's w_ih, w_hh, b_ih, b_hh, then the head
        let order: Vec<&Tensor> = flat.iter().chain([head_w, head_b]).collect();
        for ((name, v), w) in vars.iter().zip(&want) {
            let k = order.iter().position(|t| t.data_ptr() == v.data_ptr()).unwrap();
            let scale = w.abs().max().double_value(&[]).max(1e-3);
            let d = max_diff(&grads[k], w) / scale;
            assert!(d < TOL_F32, "{layers} layers, batch {batch}, hidden {hidden}: {name} differs by {d:e}");
            worst.1 = worst.1.max(d);
        }
    }
    eprintln!(
        "hand-written LSTM step vs libtorch: loss {:.1e}, gradients {:.1e} (relative)",
        worst.0, worst.1
    );
    assert!(worst.0 < TOL_F32);
}

/// The hand-written steps of a network that forecasts a logit (a panel's above-median target,
/// [`lstm_stock::model::Loss::Logistic`]) against libtorch's autograd through the fused cell,
/// the linear head and its own `binary_cross_entropy_with_logits` on 0/1 targets: loss and every
/// gradient, float32, GRU and LSTM, whole batches and a batch split over threads. Required: 1e-5
/// relative, as for squared error.
#[test]
fn hand_written_steps_with_a_logistic_loss_match_libtorch_autograd() {
    use lstm_stock::model::{Loss, Net};
    let _rng = RNG.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(12);
    for kind in [ModelKind::Gru, ModelKind::Lstm] {
        for (layers, batch, outputs, hidden, input) in HAND_STEP_CASES {
            let vs = nn::VarStore::new(Device::Cpu);
            let cfg = ModelConfig { kind, input, hidden, layers, dropout: 0.0 };
            let mut net = Net::with_horizon(&vs.root(), cfg, outputs);
            net.loss = Loss::Logistic;
            let x = Tensor::randn([batch, 9, input], (Kind::Float, Device::Cpu));
            let y = Tensor::rand([batch, outputs as i64], (Kind::Float, Device::Cpu))
                .gt(0.5)
                .to_kind(Kind::Float);
            let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
            vars.sort_by(|a, b| a.0.cmp(&b.0));
            for (_, v) in &vars {
                let mut g = v.grad();
                if g.defined() {
                    let _ = g.zero_();
                }
            }
            let loss_ref = net.forward(&x, true).binary_cross_entropy_with_logits::<Tensor>(
                &y,
                None,
                None,
                tch::Reduction::Mean,
            );
            loss_ref.backward();
            let want: Vec<Tensor> = vars.iter().map(|(_, v)| v.grad().copy()).collect();
            for parts in [1, 2] {
                for (_, v) in &vars {
                    let _ = v.grad().zero_();
                }
                let loss = lstm_stock::engine::loss_backward(&net, &x, &y, parts, &mut Draws::seeded(0));
                let dl = (loss.double_value(&[]) - loss_ref.double_value(&[])).abs();
                assert!(dl < TOL_F32, "{kind:?}, {layers} layers, batch {batch}: loss differs by {dl:e}");
                for ((name, v), w) in vars.iter().zip(&want) {
                    let scale = w.abs().max().double_value(&[]).max(1e-3);
                    let d = max_diff(&v.grad(), w) / scale;
                    assert!(
                        d < TOL_F32,
                        "{kind:?}, {layers} layers, batch {batch}, {parts} parts: {name} differs by {d:e}"
                    );
                }
            }
        }
    }
}

/// A batch split over threads (`engine::step`) gives the full batch's loss and gradients: LSTM
/// and GRU, 2 layers, hidden 32, batch 64 and 37 (unequal shares), 2 and 3 shares, and the
/// busy-machine cut of 64 rows into shares of 22, 21, 11 and 10 taken from a queue, float32.
/// Measured when written: 1.3e-6 at most (relative to the largest gradient). Required: 1e-5.
#[test]
fn a_batch_split_over_threads_gives_the_same_gradients() {
    use lstm_stock::model::Net;
    let _rng = RNG.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(5);
    let mut worst: f64 = 0.0;
    for kind in [ModelKind::Lstm, ModelKind::Gru] {
        for (batch, parts) in [(64, 2), (37, 3), (64, 4)] {
            let vs = nn::VarStore::new(Device::Cpu);
            let cfg = ModelConfig { kind, input: 2, hidden: 32, layers: 2, dropout: 0.0 };
            let net = Net::new(&vs.root(), cfg);
            let x = Tensor::randn([batch, 12, 2], (Kind::Float, Device::Cpu));
            let y = Tensor::randn([batch, 1], (Kind::Float, Device::Cpu));
            let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
            vars.sort_by(|a, b| a.0.cmp(&b.0));
            let run = |parts: usize| {
                for (_, v) in &vars {
                    let mut g = v.grad();
                    if g.defined() {
                        let _ = g.zero_();
                    }
                }
                let loss = match parts {
                    4 => lstm_stock::engine::loss_backward_shares(
                        &net,
                        &x,
                        &y,
                        &lstm_stock::engine::workers::guided_sizes(64, 2),
                        &mut Draws::seeded(0),
                    ),
                    p => lstm_stock::engine::loss_backward(&net, &x, &y, p, &mut Draws::seeded(0)),
                };
                let loss = loss.double_value(&[]);
                (loss, vars.iter().map(|(_, v)| v.grad().copy()).collect::<Vec<_>>())
            };
            let (l1, g1) = run(1);
            let (l2, g2) = run(parts);
            assert!((l1 - l2).abs() < TOL_F32 * l1.abs().max(1.0), "{kind:?}: loss {l1} vs {l2}");
            for ((name, _), (a, b)) in vars.iter().zip(g1.iter().zip(&g2)) {
                let d = max_diff(a, b) / a.abs().max().double_value(&[]).max(1e-3);
                assert!(d < TOL_F32, "{kind:?} batch {batch} in {parts}: {name} differs by {d:e}");
                worst = worst.max(d);
            }
        }
    }
    eprintln!("batch split over threads vs one thread: gradients {worst:.1e} (relative)");
}

/// Dropout between layers in the hand-written steps: the same network and masks through
/// libtorch's autograd, one fused layer at a time with each mask applied between them, give the
/// same loss and gradients. GRU and LSTM, 1, 2 and 3 layers, p = 0.3, batch 64 and 37, hidden 32,
/// float32; through the training code path on one thread and split in 2 and 3 shares (the masks
/// are drawn for the whole batch before the split, so each share must get its own rows of them).
/// Measured: gradients 2.0e-6 at most (relative to the largest gradient). Required: 1e-5.
#[test]
fn dropout_in_the_hand_written_steps_matches_autograd_with_the_same_masks() {
    use lstm_stock::engine::{gru_step, layers, lstm_step};
    use lstm_stock::model::Net;
    let _rng = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let p = 0.3;
    let mut worst: f64 = 0.0;
    for kind in [ModelKind::Gru, ModelKind::Lstm] {
        for (n_layers, batch, parts) in [(1, 37, 1), (2, 64, 1), (2, 64, 2), (3, 37, 3)] {
            let hidden = 32;
            let vs = nn::VarStore::new(Device::Cpu);
            let cfg = ModelConfig { kind, input: 2, hidden, layers: n_layers, dropout: p };
            let net = Net::new(&vs.root(), cfg);
            let x = Tensor::randn([batch, 10, 2], (Kind::Float, Device::Cpu));
            let y = Tensor::randn([batch, 1], (Kind::Float, Device::Cpu));
            let (flat, head_w, head_b) = net.fused_weights().unwrap();
            let order: Vec<&Tensor> = flat.iter().chain([head_w, head_b]).collect();
            let zero = || {
                for t in &order {
                    let mut g = t.grad();
                    if g.defined() {
                        let _ = g.zero_();
                    }
                }
            };
            // the masks the step will draw after this seed
            let masks = layers::dropout_masks(
                &mut Draws::seeded(21),
                batch as usize,
                10,
                hidden,
                n_layers as usize,
                p,
            );
            assert_eq!(masks.len(), n_layers as usize - 1);
            // reference: autograd through one fused layer at a time, the masks between them
            zero();
            let mut input = x.shallow_clone();
            for l in 0..n_layers as usize {
                let w = &flat[4 * l..4 * l + 4];
                let h0 = Tensor::zeros([1, batch, hidden], (Kind::Float, Device::Cpu));
                let out = match kind {
                    ModelKind::Gru => input.gru(&h0, w, true, 1, 0.0, true, false, true).0,
                    _ => {
                        input
                            .lstm(&[&h0, &h0], &w.iter().collect::<Vec<_>>(), true, 1, 0.0, true, false, true)
                            .0
                    }
                };
                input = match masks.get(l) {
                    Some(m) => out * m,
                    None => out,
                };
            }
            let pred = input.select(1, -1).matmul(&head_w.tr()) + head_b;
            let loss_ref = pred.mse_loss(&y, tch::Reduction::Mean);
            loss_ref.backward();
            let want: Vec<Tensor> = order.iter().map(|t| t.grad().copy()).collect();
            // by hand, drawing its own masks after the same seed
            let hand = match kind {
                ModelKind::Gru => gru_step::applies(Device::Cpu, Kind::Float),
                _ => lstm_step::applies(Device::Cpu, Kind::Float),
            };
            assert!(hand, "the hand-written {kind:?} step is turned off");
            zero();
            let loss = lstm_stock::engine::loss_backward(&net, &x, &y, parts, &mut Draws::seeded(21))
                .double_value(&[]);
            let got: Vec<Tensor> = order.iter().map(|t| t.grad().copy()).collect();
            let l_ref = loss_ref.double_value(&[]);
            assert!((loss - l_ref).abs() < TOL_F32 * l_ref.max(1.0), "{kind:?}: loss {loss} vs {l_ref}");
            for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                let d = max_diff(a, b) / b.abs().max().double_value(&[]).max(1e-3);
                assert!(d < TOL_F32, "{kind:?} {n_layers} layers in {parts}: parameter {k} differs by {d:e}");
                worst = worst.max(d);
            }
        }
    }
    eprintln!("hand-written steps with dropout vs autograd with the same masks: gradients {worst:.1e}");
}
