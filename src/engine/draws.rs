//! A network's own random stream for training: its batch order every epoch and its dropout
//! masks, drawn from a generator that belongs to the network, not from libtorch's one global
//! generator.
//!
//! Why: networks trained side by side on several threads (a fleet, see `crate::fleet`) would
//! otherwise take their draws from the global generator in whatever order the threads reach it,
//! so a network's result would depend on what else ran beside it. With its own stream, a network
//! draws the same batch orders and masks whether it trains alone or in a fleet of any size.
//! The stream's seed is itself the next draw of libtorch's generator after the network's
//! weights were drawn, so one seed (`--seed`) still fixes everything a run does.
//!
//! libtorch's fused layers still draw their own dropout masks inside their kernels (the GPU and
//! the `LSTM_STOCK_*=libtorch` paths): training them in a fleet is refused (`crate::fleet`).

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tch::{Device, Kind, Tensor};

/// One network's training draws.
pub struct Draws(SmallRng);

impl Draws {
    /// A stream from an explicit seed (tests).
    pub fn seeded(seed: u64) -> Draws {
        Draws(SmallRng::seed_from_u64(seed))
    }

    /// A stream seeded by the next draw of libtorch's CPU generator: taken right after a
    /// network is built (after `manual_seed` and the weights' draws), it is fixed by the seed
    /// the network was built with.
    pub fn from_torch() -> Draws {
        let seed = Tensor::randint(i64::MAX, [1], (Kind::Int64, Device::Cpu)).int64_value(&[0]);
        Draws::seeded(seed as u64)
    }

    /// The row order of one epoch over `n` training windows.
    pub fn permutation(&mut self, n: usize) -> Vec<i64> {
        let mut order: Vec<i64> = (0..n as i64).collect();
        order.shuffle(&mut self.0);
        order
    }

    /// An inverted-dropout mask of `shape` on the CPU: each entry kept with probability
    /// `1 - p` and then worth `1 / (1 - p)`, or dropped (0); with `p` 1, every entry dropped.
    pub fn keep_mask(&mut self, shape: &[i64], p: f64) -> Tensor {
        let n: i64 = shape.iter().product();
        let keep = if p < 1.0 { (1.0 / (1.0 - p)) as f32 } else { 0.0 };
        let values: Vec<f32> = (0..n).map(|_| if self.0.random::<f64>() >= p { keep } else { 0.0 }).collect();
        Tensor::from_slice(&values).view(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A permutation holds every row once; the same seed repeats it and another does not.
    #[test]
    fn a_permutation_is_every_row_once_and_repeats_with_its_seed() {
        let p = Draws::seeded(3).permutation(500);
        let mut sorted = p.clone();
        sorted.sort();
        assert_eq!(sorted, (0..500).collect::<Vec<i64>>());
        assert_eq!(p, Draws::seeded(3).permutation(500));
        assert_ne!(p, Draws::seeded(4).permutation(500));
        assert_ne!(p, sorted, "shuffled");
    }

    /// The mask keeps the share asked for and scales what it keeps; p = 1 drops everything.
    #[test]
    fn a_mask_keeps_its_share_and_scales_it() {
        let m = Vec::<f32>::try_from(Draws::seeded(1).keep_mask(&[100, 200], 0.3).flatten(0, -1)).unwrap();
        let kept = m.iter().filter(|&&v| v != 0.0).count() as f64 / m.len() as f64;
        assert!((kept - 0.7).abs() < 0.01, "kept {kept}");
        assert!(m.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
        let none = Draws::seeded(1).keep_mask(&[10], 1.0);
        assert_eq!(Vec::<f32>::try_from(none).unwrap(), vec![0.0; 10]);
    }

    /// Two streams from libtorch's generator after the same seed are the same stream.
    #[test]
    fn the_stream_follows_libtorchs_seed() {
        let _rng = crate::test_support::torch_rng();
        tch::manual_seed(11);
        let a = Draws::from_torch().permutation(50);
        tch::manual_seed(11);
        let b = Draws::from_torch().permutation(50);
        tch::manual_seed(12);
        let c = Draws::from_torch().permutation(50);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
