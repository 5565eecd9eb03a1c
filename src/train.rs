//! The training loop: Adam (or RMSprop) on the network's loss, shuffled mini-batches, gradient-norm clipping, early stopping
//! on validation loss that restores the best weights, and a progress bar.

use std::time::Instant;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Reduction, Tensor};

use crate::engine;
use crate::engine::draws::Draws;
use crate::model::Net;
use crate::profile;

/// Optimisation settings.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    /// Maximum global L2 norm of the gradient.
    pub clip: f64,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    #[serde(default)]
    pub optimizer: Optimizer,
    /// Share of each training window's input channels zeroed while training, one mask per
    /// window and channel for every step (Keras's `dropout` on a recurrent layer, after Gal
    /// and Ghahramani); kept values are scaled by `1 / (1 - p)`. 0: none.
    #[serde(default)]
    pub input_dropout: f64,
}

/// The optimiser of [`fit`]: Adam, or RMSprop with Keras's settings (rho 0.9, epsilon 1e-7),
/// the choice of Fischer and Krauss (2018).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    #[default]
    Adam,
    Rmsprop,
}

impl Optimizer {
    fn build(self, vs: &nn::VarStore, lr: f64) -> Result<nn::Optimizer> {
        Ok(match self {
            Optimizer::Adam => nn::Adam::default().build(vs, lr)?,
            Optimizer::Rmsprop => {
                nn::RmsProp { alpha: 0.9, eps: 1e-7, wd: 0.0, momentum: 0.0, centered: false }
                    .build(vs, lr)?
            }
        })
    }
}

/// Samples on the training device: inputs `[n, window, features]`, targets `[n, horizon]`.
pub struct Samples {
    pub x: Tensor,
    pub y: Tensor,
}

impl Samples {
    /// From flattened row-major windows (`xs.len() == n * window * features`) and targets
    /// (`ys.len() == n * horizon`).
    pub fn new(xs: &[f32], ys: &[f32], window: usize, features: usize, device: Device) -> Self {
        let n = xs.len() / (window * features);
        let horizon = ys.len().checked_div(n).unwrap_or(1);
        assert_eq!(ys.len(), n * horizon, "targets per sample");
        let x = Tensor::from_slice(xs).view([n as i64, window as i64, features as i64]).to_device(device);
        let y = Tensor::from_slice(ys).view([n as i64, horizon as i64]).to_device(device);
        Samples { x, y }
    }

    /// The train, validation and test samples of a dataset, on `device`.
    pub fn parts(d: &crate::data::Dataset, device: Device) -> (Samples, Samples, Samples) {
        let (window, channels) = (d.spec.window, d.spec.channels());
        let one = |w: &crate::data::dataset::Windows| Samples::new(&w.x, &w.y, window, channels, device);
        (one(&d.train), one(&d.val), one(&d.test))
    }

    pub fn len(&self) -> i64 {
        self.y.size()[0]
    }

    /// Another handle on the same windows (no copy), for a network trained elsewhere.
    pub fn shallow_clone(&self) -> Samples {
        Samples { x: self.x.shallow_clone(), y: self.y.shallow_clone() }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What training a network of size `model` with a head of `horizon` outputs would hold in
/// memory, roughly, in bytes: `(network, data)`. The network: weights, gradients, Adam's two
/// moments and the best epoch's copy (5 float32 copies of every parameter), plus the larger of
/// the activations a training batch keeps for its backward pass (every layer's gates and states
/// at every step) and those of one prediction chunk of up to 4096 windows (one layer at a
/// time, nothing kept). The data: `samples` windows of `window` days by `channels`, held twice
/// (the windows and their tensors). An estimate to refuse the impossible with, not a budget.
pub fn memory_estimate(
    model: &crate::model::ModelConfig,
    horizon: usize,
    samples: usize,
    window: usize,
    channels: usize,
    batch: usize,
) -> (f64, f64) {
    let f = 4.0; // bytes per float32
    let params = model.param_count(horizon);
    let per_step = (model.hidden as f64) * (model.kind.gates() as f64 + 2.0) * f;
    let training = 2.0 * batch as f64 * window as f64 * model.layers as f64 * per_step;
    let prediction = samples.min(4096) as f64 * window as f64 * per_step;
    let data = 2.0 * samples as f64 * (window as f64 * channels as f64 + horizon as f64) * f;
    (5.0 * params * f + training.max(prediction), data)
}

/// Refuses a training run whose [`memory_estimate`] exceeds `available` bytes (what the machine
/// has free; `None`: unknown, nothing is refused), naming the estimate, what the machine has and
/// the flags that size it.
pub fn check_memory(need: (f64, f64), available: Option<f64>) -> Result<()> {
    let Some(free) = available else { return Ok(()) };
    let (network, data) = need;
    if network + data > free {
        use crate::device::bytes_text;
        crate::bail_input!(
            "training would need about {} of memory (network and its training state {}, input windows {}), and this machine has {} free; use a smaller --hidden, --layers, --window or --batch, or a shorter file",
            bytes_text(network + data),
            bytes_text(network),
            bytes_text(data),
            bytes_text(free)
        );
    }
    Ok(())
}

/// What happened during training, per epoch (losses are MSE on the scaled target).
#[derive(Debug, Clone, Default, Serialize)]
pub struct History {
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
    pub epoch_seconds: Vec<f64>,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    pub stopped_early: bool,
    /// Ctrl-C stopped training; the best weights until then were kept.
    pub interrupted: bool,
}

/// Trains `net` (whose variables live in `vs`) and leaves the best weights in place, its batch
/// orders and dropout masks drawn from `draws`: the stream that follows the network's seed,
/// drawn right after the network was built ([`Draws::from_torch`]; `pipeline::Built::draws`).
/// With `progress` a bar labelled with it is shown (or, off a terminal, a line every 10 epochs).
///
/// Fails, naming what to try, when the loss becomes NaN or explodes.
pub fn fit(
    net: &Net,
    vs: &nn::VarStore,
    train: &Samples,
    val: &Samples,
    cfg: &TrainConfig,
    progress: Option<&str>,
    draws: Draws,
) -> Result<History> {
    let lane = Lane::alone(draws, cfg.batch, train.x.device());
    fit_until(net, vs, train, val, cfg, progress, &crate::interrupt::requested, lane)
}

/// Where one network's training runs: its stream, how many threads each batch is split over
/// and how many score its validation part. Alone, a network has the machine's training threads;
/// in a fleet ([`crate::fleet`]) it has the one thread it runs on.
pub struct Lane {
    pub draws: Draws,
    pub parts: usize,
    pub eval_threads: usize,
}

impl Lane {
    /// A network trained alone on `device` with mini-batches of `batch`.
    pub fn alone(draws: Draws, batch: usize, device: Device) -> Lane {
        Lane { draws, parts: engine::parts_for(batch, device), eval_threads: engine::workers::threads() }
    }

    /// A network of a fleet, on the one thread it runs on: whole batches.
    pub fn in_fleet(draws: Draws) -> Lane {
        Lane { draws, parts: 1, eval_threads: 1 }
    }
}

/// [`fit`] that stops after the batch in which `stop` first returns true (Ctrl-C in the
/// product; tests stop at a chosen point without touching the process-wide flag), in `lane`.
#[allow(clippy::too_many_arguments)]
pub fn fit_until(
    net: &Net,
    vs: &nn::VarStore,
    train: &Samples,
    val: &Samples,
    cfg: &TrainConfig,
    progress: Option<&str>,
    stop: &dyn Fn() -> bool,
    lane: Lane,
) -> Result<History> {
    let Lane { mut draws, parts, eval_threads } = lane;
    let mut opt = cfg.optimizer.build(vs, cfg.lr)?;
    let label = progress.unwrap_or("");
    let bar = match progress {
        Some(label) => progress_bar(cfg.epochs as u64, label),
        None => ProgressBar::hidden(),
    };
    let mut hist = History::default();
    let mut best = (f64::INFINITY, snapshot(vs));
    let _split = engine::threads::SplitScope::enter(parts);
    let batches = (train.len().max(0) as usize).div_ceil(cfg.batch.max(1));
    for epoch in 1..=cfg.epochs {
        let start = Instant::now();
        // a first epoch that runs long (a big file) says early how long the run may take
        let (seen, told) = (std::cell::Cell::new(0usize), std::cell::Cell::new(false));
        let watch = || {
            seen.set(seen.get() + 1);
            if epoch == 1
                && progress.is_some()
                && !told.get()
                && start.elapsed().as_secs_f64() > EPOCH_NOTICE_S
            {
                told.set(true);
                let note =
                    epoch_estimate(label, start.elapsed().as_secs_f64(), seen.get() - 1, batches, cfg.epochs);
                if bar.is_hidden() {
                    eprintln!("{note}");
                } else {
                    bar.println(note);
                }
            }
            stop()
        };
        let train_loss = run_epoch(
            net,
            &mut opt,
            train,
            EpochPlan {
                batch: cfg.batch,
                clip: Some(cfg.clip),
                read_back: ReadBack::Epoch,
                parts,
                input_dropout: cfg.input_dropout,
            },
            &watch,
            &mut draws,
        );
        if stop() {
            // the epoch was cut short: keep the best complete epoch so far
            hist.interrupted = true;
            break;
        }
        let val_loss = loss_on(net, val, eval_threads);
        check_finite(train_loss, val_loss, epoch, cfg)?;
        hist.epoch_seconds.push(start.elapsed().as_secs_f64());
        hist.train_loss.push(train_loss);
        hist.val_loss.push(val_loss);
        if val_loss < best.0 {
            best = (val_loss, snapshot(vs));
            hist.best_epoch = epoch;
        }
        bar.set_position(epoch as u64);
        bar.set_message(format!("train {train_loss:.5}  val {val_loss:.5}  best epoch {}", hist.best_epoch));
        if progress.is_some() && bar.is_hidden() && (epoch % 10 == 0 || epoch == 1) {
            eprintln!("{label}: epoch {epoch}/{}  train {train_loss:.5}  val {val_loss:.5}", cfg.epochs);
        }
        if epoch - hist.best_epoch >= cfg.patience {
            hist.stopped_early = true;
            break;
        }
    }
    bar.finish_and_clear();
    if hist.best_epoch == 0 {
        anyhow::bail!("interrupted before the first epoch finished; nothing was written");
    }
    restore(vs, &best.1);
    Ok(hist)
}

/// Seconds into the first epoch after which [`fit`] estimates how long the run may take.
const EPOCH_NOTICE_S: f64 = 20.0;

/// "lstm: about 12 min per epoch (79887 batches); up to 100 epochs: at most 20.0 h of
/// training, ...": from `elapsed` seconds for the first `done` completed batches.
fn epoch_estimate(label: &str, elapsed: f64, done: usize, batches: usize, epochs: usize) -> String {
    let per_epoch = elapsed / done.max(1) as f64 * batches as f64;
    // a panel's global network has no refit
    let refit = if label.starts_with("global ") {
        ""
    } else {
        ", and stock's refit on every row adds about as long again as the epochs kept"
    };
    format!(
        "{label}: about {} per epoch ({batches} batches); up to {epochs} epochs: at most {} of training, early stopping usually ends sooner{refit} (--epochs, a shorter file or a larger --batch shorten it)",
        human_duration(per_epoch),
        human_duration(per_epoch * epochs as f64)
    )
}

/// `42 s`, `12.5 min`, `3.1 h`.
fn human_duration(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// A fixed number of epochs with no validation part: the teaching demos and the benchmark
/// workload (bench/WORKLOAD.md), which train exactly as their Keras and PyTorch counterparts do.
#[derive(Debug, Clone)]
pub struct FixedEpochs {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    /// Maximum global L2 norm of the gradient; `None` clips nothing.
    pub clip: Option<f64>,
    /// Read every batch's loss back to the host as it is computed, as the benchmark's Python
    /// peers do (`loss.item()`); on a GPU that waits for the device once per batch. Otherwise
    /// the losses are summed on the device and read once per epoch.
    pub read_each_batch: bool,
    /// Show a progress bar with this label (the refit of `stock`); `None` shows nothing.
    pub progress: Option<String>,
    pub optimizer: Optimizer,
    /// As [`TrainConfig::input_dropout`].
    pub input_dropout: f64,
}

/// What a [`fit_fixed`] run did: the last epoch's mean training loss and each epoch's time.
#[derive(Debug, Clone)]
pub struct FixedRun {
    pub last_loss: f64,
    pub epoch_seconds: Vec<f64>,
}

/// Trains `net` (whose variables live in `vs`) with `cfg.optimizer` for exactly `cfg.epochs`
/// epochs, drawing from the stream that follows the network's seed (as [`fit`]).
pub fn fit_fixed(
    net: &Net,
    vs: &nn::VarStore,
    train: &Samples,
    cfg: &FixedEpochs,
    draws: Draws,
) -> Result<FixedRun> {
    let lane = Lane::alone(draws, cfg.batch, train.x.device());
    fit_fixed_in(net, vs, train, cfg, lane)
}

/// [`fit_fixed`] in `lane` (a fleet's network runs on its one thread).
pub fn fit_fixed_in(
    net: &Net,
    vs: &nn::VarStore,
    train: &Samples,
    cfg: &FixedEpochs,
    lane: Lane,
) -> Result<FixedRun> {
    let Lane { mut draws, parts, .. } = lane;
    let mut opt = cfg.optimizer.build(vs, cfg.lr)?;
    let _split = engine::threads::SplitScope::enter(parts);
    let read_back = if cfg.read_each_batch { ReadBack::Batch } else { ReadBack::Epoch };
    let plan =
        EpochPlan { batch: cfg.batch, clip: cfg.clip, read_back, parts, input_dropout: cfg.input_dropout };
    let mut run = FixedRun { last_loss: f64::NAN, epoch_seconds: Vec::with_capacity(cfg.epochs) };
    let bar = match &cfg.progress {
        Some(label) => progress_bar(cfg.epochs as u64, label),
        None => ProgressBar::hidden(),
    };
    for epoch in 1..=cfg.epochs {
        let start = Instant::now();
        run.last_loss = run_epoch(net, &mut opt, train, plan, &crate::interrupt::requested, &mut draws);
        run.epoch_seconds.push(start.elapsed().as_secs_f64());
        bar.set_position(epoch as u64);
        bar.set_message(format!("train {:.5}", run.last_loss));
    }
    bar.finish_and_clear();
    Ok(run)
}

/// When the training loss comes back to the host.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadBack {
    Epoch,
    Batch,
}

/// How one epoch runs: mini-batch size, clipping, when the loss comes back to the host, and
/// how many threads each batch is split over.
#[derive(Clone, Copy)]
struct EpochPlan {
    batch: usize,
    clip: Option<f64>,
    read_back: ReadBack,
    parts: usize,
    input_dropout: f64,
}

fn run_epoch(
    net: &Net,
    opt: &mut nn::Optimizer,
    s: &Samples,
    plan: EpochPlan,
    stop: &dyn Fn() -> bool,
    draws: &mut Draws,
) -> f64 {
    let EpochPlan { batch, clip, read_back, parts, input_dropout } = plan;
    let n = s.len();
    let mut sum = Tensor::zeros([], (Kind::Float, s.x.device()));
    let mut host_sum = 0.0;
    let perm = Tensor::from_slice(&draws.permutation(n.max(0) as usize)).to_device(s.x.device());
    for idx in perm.split(batch as i64, 0) {
        if stop() {
            break;
        }
        let (xb, yb) = profile::time("gather", || (s.x.index_select(0, &idx), s.y.index_select(0, &idx)));
        let xb = if input_dropout > 0.0 {
            // a ticker's index (the embedding's channel, last) is an id, not an input to drop
            &xb * input_dropout_mask(&xb, input_dropout, net.embed.is_some(), draws)
        } else {
            xb
        };
        profile::time("optimizer", || opt.zero_grad());
        let loss = engine::loss_backward(net, &xb, &yb, parts, draws);
        if let Some(max) = clip {
            profile::time("clip", || opt.clip_grad_norm(max));
        }
        profile::time("optimizer", || opt.step());
        match read_back {
            ReadBack::Epoch => profile::time("loss sum", || sum += loss.detach() * idx.size()[0]),
            ReadBack::Batch => {
                host_sum += profile::time("read-back", || loss.double_value(&[])) * idx.size()[0] as f64
            }
        }
    }
    if read_back == ReadBack::Batch {
        return host_sum / n as f64;
    }
    profile::time("read-back", || sum.double_value(&[])) / n as f64
}

/// A mask for the training batch `xs` (`[batch, steps, channels]`) that zeroes each window's
/// channel with probability `p` over all its steps and scales the rest by `1 / (1 - p)`:
/// `[batch, 1, channels]`, broadcast over the steps; with `spare_last`, the last channel (an
/// embedding's ticker index) is kept as it is.
pub fn input_dropout_mask(xs: &Tensor, p: f64, spare_last: bool, draws: &mut Draws) -> Tensor {
    let s = xs.size();
    let mask = draws.keep_mask(&[s[0], 1, s[2]], p).to_device(xs.device());
    if spare_last {
        let _ = mask.narrow(2, s[2] - 1, 1).fill_(1.0);
    }
    mask
}

/// Windows one evaluation forward pass takes at most: a panel's validation part (every
/// ticker's windows) in one pass would hold gigabytes of activations.
const EVAL_CHUNK: i64 = 4096;

/// The network's mean loss over all samples (squared error unless it forecasts a logit), without dropout or a graph; in chunks of
/// [`EVAL_CHUNK`] windows where there are more (one pass below that, as always).
pub fn loss_of(net: &Net, s: &Samples) -> f64 {
    loss_on(net, s, engine::workers::threads())
}

/// [`loss_of`], the hand-written pass spread over `threads` threads (one: this thread).
fn loss_on(net: &Net, s: &Samples, threads: usize) -> f64 {
    if let Some(loss) = engine::step::hand_loss(net, &s.x, &s.y, threads) {
        return loss;
    }
    tch::no_grad(|| {
        let n = s.x.size()[0];
        if n <= EVAL_CHUNK {
            return net.loss.of(&net.forward(&s.x, false), &s.y, Reduction::Mean).double_value(&[]);
        }
        let sum: f64 =
            s.x.split(EVAL_CHUNK, 0)
                .iter()
                .zip(s.y.split(EVAL_CHUNK, 0).iter())
                .map(|(x, y)| net.loss.of(&net.forward(x, false), y, Reduction::Sum).double_value(&[]))
                .sum();
        sum / s.y.numel() as f64
    })
}

fn check_finite(train: f64, val: f64, epoch: usize, cfg: &TrainConfig) -> Result<()> {
    // Scaled targets sit near [0, 1]: an MSE this large means the weights have blown up.
    const EXPLODED: f64 = 1e6;
    if train.is_finite() && val.is_finite() && train < EXPLODED && val < EXPLODED {
        return Ok(());
    }
    crate::bail_input!(
        "training diverged at epoch {epoch} (train loss {train}, validation loss {val}); nothing was written: try a lower --lr (now {}) or a tighter --clip (now {})",
        cfg.lr,
        cfg.clip
    )
}

fn snapshot(vs: &nn::VarStore) -> Vec<Tensor> {
    tch::no_grad(|| vs.trainable_variables().iter().map(|t| t.detach().copy()).collect())
}

fn restore(vs: &nn::VarStore, saved: &[Tensor]) {
    tch::no_grad(|| {
        for (mut var, s) in vs.trainable_variables().into_iter().zip(saved) {
            var.copy_(s);
        }
    });
}

fn progress_bar(len: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:25}] epoch {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_first_epoch_is_estimated() {
        // 100 of 8000 batches in 25 s: 2000 s (33.3 min) an epoch, 55.6 h for 100 epochs
        let note = epoch_estimate("lstm", 25.0, 100, 8000, 100);
        assert!(
            note.starts_with(
                "lstm: about 33.3 min per epoch (8000 batches); up to 100 epochs: at most 55.6 h"
            ),
            "{note}"
        );
        assert_eq!(human_duration(42.4), "42 s");
    }

    #[test]
    fn the_memory_check_refuses_what_does_not_fit_and_says_how_much() {
        let model = crate::model::ModelConfig {
            kind: crate::model::ModelKind::Lstm,
            input: 1,
            hidden: 64,
            layers: 2,
            dropout: 0.0,
        };
        let need = memory_estimate(&model, 1, 1200, 60, 1, 64);
        // the default network on AAPL's length: tens of megabytes at most
        assert!(need.0 > 1e6 && need.0 < 1e9 && need.1 > 1e5 && need.1 < 1e8, "{need:?}");
        assert!(check_memory(need, Some(16e9)).is_ok());
        assert!(check_memory(need, None).is_ok(), "unknown memory refuses nothing");
        // a machine with 1 MB free refuses it, naming the estimate and what it has
        let e = format!("{:#}", check_memory(need, Some(1e6)).unwrap_err());
        assert!(e.contains("training would need about") && e.contains("1.0 MB free"), "{e}");
        // a network whose weights alone exceed any machine
        let huge = crate::model::ModelConfig { hidden: 60_000, layers: 60, ..model };
        assert!(check_memory(memory_estimate(&huge, 1, 1200, 60, 1, 64), Some(1e12)).is_err());
    }
    use crate::model::{ModelConfig, ModelKind};

    fn tiny_data() -> (Samples, Samples) {
        let s: Vec<f32> = (0..80).map(|i| (i as f32 * 0.3).sin() * 0.5 + 0.5).collect();
        let (x, y) = crate::data::window::make_windows(&s, 8, 8..60);
        let (vx, vy) = crate::data::window::make_windows(&s, 8, 60..80);
        (Samples::new(&x, &y, 8, 1, Device::Cpu), Samples::new(&vx, &vy, 8, 1, Device::Cpu))
    }

    fn tiny_net(seed: i64) -> (nn::VarStore, Net) {
        tch::manual_seed(seed);
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Net::new(
            &vs.root(),
            ModelConfig { kind: ModelKind::Lstm, input: 1, hidden: 8, layers: 1, dropout: 0.0 },
        );
        (vs, net)
    }

    /// From the same start (`tiny_net(5)`), the early-stopping loop's training losses and the
    /// fixed-epoch loop's (`stock`'s refit) last loss, with optimiser `o` and input dropout `p`;
    /// the validation loss recorded for the best epoch is the network's own, without dropout.
    fn both_loops(o: Optimizer, p: f64) -> (Vec<f64>, f64) {
        let (train, val) = tiny_data();
        let (vs, net) = tiny_net(5);
        let cfg = TrainConfig {
            epochs: 3,
            batch: 16,
            lr: 1e-2,
            clip: 1.0,
            patience: 10,
            optimizer: o,
            input_dropout: p,
        };
        let h = fit(&net, &vs, &train, &val, &cfg, None, Draws::from_torch()).unwrap();
        assert_eq!(h.val_loss[h.best_epoch - 1], loss_of(&net, &val));
        let (vs, net) = tiny_net(5);
        let plan = FixedEpochs {
            epochs: 3,
            batch: 16,
            lr: 1e-2,
            clip: Some(1.0),
            read_each_batch: false,
            progress: None,
            optimizer: o,
            input_dropout: p,
        };
        (h.train_loss, fit_fixed(&net, &vs, &train, &plan, Draws::from_torch()).unwrap().last_loss)
    }

    /// The optimiser asked for is the one that trains, in the early-stopping loop and in the
    /// fixed-epoch one (`stock`'s refit): from the same start, Adam and RMSprop end apart.
    #[test]
    fn the_optimiser_asked_for_is_the_one_that_trains() {
        let _rng = crate::test_support::torch_rng();
        let (adam, rms) = (both_loops(Optimizer::Adam, 0.0), both_loops(Optimizer::Rmsprop, 0.0));
        assert_ne!(adam.0, rms.0);
        assert_ne!(adam.1, rms.1);
        assert_eq!(both_loops(Optimizer::Rmsprop, 0.0), rms, "the same optimiser repeats");
    }

    /// Input dropout drops whole windows' channels, one mask over every step, with the share
    /// asked for, and scales what it keeps.
    #[test]
    fn input_dropout_masks_a_window_channel_over_all_its_steps() {
        let _rng = crate::test_support::torch_rng();
        let xs = Tensor::rand([4000, 6, 3], (Kind::Float, Device::Cpu)) + 1.0;
        let p = 0.25;
        let mut draws = Draws::seeded(2);
        let out = &xs * input_dropout_mask(&xs, p, false, &mut draws);
        let ratio = Vec::<f32>::try_from((&out / &xs).flatten(0, -1)).unwrap();
        let mut dropped = 0;
        for (w, steps) in ratio.chunks(18).enumerate() {
            for c in 0..3 {
                let first = steps[c];
                assert!(first == 0.0 || (first - 1.0 / 0.75).abs() < 1e-5, "window {w}: {first}");
                assert!(
                    (0..6).all(|t| (steps[t * 3 + c] - first).abs() < 1e-5),
                    "window {w} channel {c} varies over steps"
                );
                dropped += usize::from(first == 0.0);
            }
        }
        let share = dropped as f64 / 12000.0;
        assert!((share - p).abs() < 0.02, "dropped {share}");
        // a ticker's index, the last channel with an embedding, is never dropped nor scaled
        let spared =
            Vec::<f32>::try_from(input_dropout_mask(&xs, p, true, &mut draws).select(2, 2).flatten(0, -1))
                .unwrap();
        assert!(spared.iter().all(|&m| m == 1.0));
    }

    /// Input dropout reaches both training loops (early stopping and `stock`'s fixed-epoch
    /// refit), and never evaluation: from the same start, training with it ends elsewhere, and
    /// the validation loss it recorded is the network's without dropout ([`both_loops`]).
    #[test]
    fn input_dropout_trains_and_never_evaluates() {
        let _rng = crate::test_support::torch_rng();
        let (none, some) = (both_loops(Optimizer::Adam, 0.0), both_loops(Optimizer::Adam, 0.5));
        assert_ne!(none.0, some.0);
        assert_ne!(none.1, some.1);
    }

    fn tiny(seed: i64) -> (History, Vec<f32>) {
        let (train, val) = tiny_data();
        let (vs, net) = tiny_net(seed);
        let cfg = TrainConfig {
            epochs: 5,
            batch: 16,
            lr: 1e-2,
            clip: 1.0,
            patience: 100,
            optimizer: crate::train::Optimizer::Adam,
            input_dropout: 0.0,
        };
        let h = fit(&net, &vs, &train, &val, &cfg, None, Draws::from_torch()).unwrap();
        (h, net.predict(&val.x))
    }

    /// A run whose best epoch is not its last: validation targets that are noise (so the
    /// validation loss wanders while training improves), a high learning rate, no early stop.
    const JUMPY: TrainConfig = TrainConfig {
        epochs: 12,
        batch: 8,
        lr: 0.08,
        clip: 10.0,
        patience: 100,
        optimizer: crate::train::Optimizer::Adam,
        input_dropout: 0.0,
    };

    fn jumpy_data() -> (Samples, Samples) {
        let (train, val) = tiny_data();
        let n = val.len() as usize;
        let noise: Vec<f32> =
            (0..n).map(|i| ((i as f32 * 12.9898).sin() * 43758.547).fract().abs()).collect();
        let y = Tensor::from_slice(&noise).view([n as i64, 1]);
        (train, Samples { x: val.x, y })
    }

    /// A validation part of a panel's size is scored in chunks: the same mean as one pass (to
    /// rounding), without one pass's activations over every window at once.
    #[test]
    fn a_large_validation_part_is_scored_in_chunks_to_the_same_loss() {
        let _rng = crate::test_support::torch_rng();
        let (_vs, net) = tiny_net(5);
        let n = 3 * EVAL_CHUNK as usize + 17;
        let xs: Vec<f32> = (0..n * 4).map(|i| (i as f32 * 0.37).sin()).collect();
        let ys: Vec<f32> = (0..n).map(|i| (i as f32 * 1.3).cos()).collect();
        let s = Samples::new(&xs, &ys, 4, 1, Device::Cpu);
        let whole =
            tch::no_grad(|| net.forward(&s.x, false).mse_loss(&s.y, Reduction::Mean).double_value(&[]));
        let chunked = loss_of(&net, &s);
        assert!((chunked - whole).abs() <= 1e-6 * whole, "{chunked} vs {whole}");
    }

    #[test]
    fn the_returned_network_is_the_best_epochs_not_the_last() {
        let _rng = crate::test_support::torch_rng();
        let (train, val) = jumpy_data();
        let (vs, net) = tiny_net(3);
        let h = fit(&net, &vs, &train, &val, &JUMPY, None, Draws::from_torch()).unwrap();
        let last = *h.val_loss.last().unwrap();
        let best = h.val_loss[h.best_epoch - 1];
        assert!(
            h.best_epoch < h.val_loss.len() && best != last,
            "the setting must end off its best epoch: {h:?}"
        );
        // recomputed from the weights the caller gets back, not from the bookkeeping
        assert_eq!(loss_of(&net, &val), best, "{h:?}");
    }

    #[test]
    fn an_interrupted_run_returns_the_best_complete_epoch() {
        let _rng = crate::test_support::torch_rng();
        let (train, val) = jumpy_data();
        let (vs, net) = tiny_net(3);
        // `stop` is asked before every batch and once after each epoch (7 batches + 1):
        // answer yes in the middle of epoch 9, whose half-done updates must not survive
        let calls = std::cell::Cell::new(0);
        let stop = || {
            calls.set(calls.get() + 1);
            calls.get() > 8 * 8 + 4
        };
        let lane = Lane::alone(Draws::from_torch(), JUMPY.batch, Device::Cpu);
        let h = fit_until(&net, &vs, &train, &val, &JUMPY, None, &stop, lane).unwrap();
        assert!(h.interrupted && h.val_loss.len() == 8, "{h:?}");
        let best = h.val_loss[h.best_epoch - 1];
        assert!(h.best_epoch < 8, "the setting must end off its best epoch: {h:?}");
        assert_eq!(loss_of(&net, &val), best, "{h:?}");
    }

    #[test]
    fn same_seed_same_result_and_best_weights_restored() {
        let _rng = crate::test_support::torch_rng();
        let (a, pa) = tiny(7);
        let (b, pb) = tiny(7);
        assert_eq!(a.train_loss, b.train_loss);
        assert_eq!(pa, pb);
        let (c, _) = tiny(8);
        assert_ne!(a.train_loss, c.train_loss);
        assert_eq!(a.train_loss.len(), 5);
        let best = a.val_loss.iter().cloned().fold(f64::INFINITY, f64::min);
        assert_eq!(a.val_loss[a.best_epoch - 1], best);
    }

    #[test]
    fn divergence_is_an_error_that_says_what_to_try() {
        let cfg = TrainConfig {
            epochs: 1,
            batch: 1,
            lr: 0.5,
            clip: 2.0,
            patience: 1,
            optimizer: crate::train::Optimizer::Adam,
            input_dropout: 0.0,
        };
        let e = format!("{:#}", check_finite(f64::NAN, 1.0, 3, &cfg).unwrap_err());
        assert!(e.contains("epoch 3") && e.contains("--lr (now 0.5)") && e.contains("--clip (now 2)"), "{e}");
        assert!(check_finite(0.1, 0.2, 1, &cfg).is_ok());
        assert!(check_finite(1e7, 0.2, 1, &cfg).is_err());
    }
}
