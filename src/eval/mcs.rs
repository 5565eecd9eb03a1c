//! The model confidence set (Hansen, Lunde and Nason, Econometrica 2011): of many models (the
//! settings of a search and the baselines beside them), those that cannot be told from the best
//! at a given level. Models are eliminated one by one, the worst first, while the hypothesis
//! that all remaining ones are equally good is rejected; each model's MCS p-value is the largest
//! elimination p-value up to its own, and the set at level `alpha` keeps the models whose
//! p-value is above it.
//!
//! The R method, as `arch` (7.2) computes it, so that its p-values can be checked against that
//! package's (`tests/reference/spa_arch.py`): every pair's mean loss difference over its
//! bootstrap standard error; the statistic the largest of those among the remaining models;
//! its distribution from a stationary bootstrap of the days, each resample's differences
//! centred on the observed ones.

use rand::SeedableRng;

use super::trading::stationary_indices;

/// What [`mcs`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mcs {
    /// Each model's MCS p-value (the last model standing has 1).
    pub p_values: Vec<f64>,
    /// The models in the order they were eliminated, the last one standing last.
    pub order: Vec<usize>,
    pub mean_block: usize,
    pub resamples: usize,
}

impl Mcs {
    /// The models in the confidence set at level `alpha` (0.1: the 90% set), in index order.
    pub fn set(&self, alpha: f64) -> Vec<usize> {
        (0..self.p_values.len()).filter(|&i| self.p_values[i] > alpha).collect()
    }
}

/// The model confidence set of `losses` (one loss per day for each model; lower is better):
/// stationary bootstrap with blocks of mean length `mean_block`, `resamples` resamples from
/// `seed`. `None` with fewer than 2 models or 2 days, series of unequal length, or a loss that
/// is not a number.
pub fn mcs(losses: &[Vec<f64>], mean_block: usize, resamples: usize, seed: u64) -> Option<Mcs> {
    let k = losses.len();
    let n = losses.first()?.len();
    let finite = losses.iter().flatten().all(|v| v.is_finite());
    if k < 2 || n < 2 || losses.iter().any(|l| l.len() != n) || resamples == 0 || !finite {
        return None;
    }
    let mean = |l: &[f64], days: &mut dyn Iterator<Item = usize>| days.map(|t| l[t]).sum::<f64>() / n as f64;
    let means: Vec<f64> = losses.iter().map(|l| mean(l, &mut (0..n))).collect();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    // each resample's mean losses
    let star: Vec<Vec<f64>> = (0..resamples)
        .map(|_| {
            let days = stationary_indices(n, mean_block, &mut rng);
            losses.iter().map(|l| mean(l, &mut days.iter().copied())).collect()
        })
        .collect();
    // every pair's difference, centred in the resamples, and its bootstrap variance
    let d = |i: usize, j: usize| means[i] - means[j];
    let centred = |s: &[f64], i: usize, j: usize| (s[i] - s[j]) - d(i, j);
    let mut sd = vec![vec![0.0; k]; k];
    for (i, row) in sd.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            let var = star.iter().map(|s| centred(s, i, j).powi(2)).sum::<f64>() / resamples as f64;
            // as arch does: 1 added on the diagonal, where the difference is 0 anyway
            *v = (var + if i == j { 1.0 } else { 0.0 }).sqrt();
        }
    }
    let mut left: Vec<usize> = (0..k).collect();
    let mut order = Vec::with_capacity(k);
    let mut p_values = vec![1.0; k];
    let mut running = 0.0f64;
    while left.len() > 1 {
        // the largest standardised difference among the models left, and the worse model of it
        let (mut stat, mut worst) = (f64::NEG_INFINITY, left[0]);
        for &i in &left {
            for &j in &left {
                let t = d(i, j) / sd[i][j];
                if t > stat {
                    (stat, worst) = (t, i);
                }
            }
        }
        let beyond = star
            .iter()
            .filter(|s| {
                let most = left
                    .iter()
                    .flat_map(|&i| left.iter().map(move |&j| (i, j)))
                    .map(|(i, j)| centred(s, i, j) / sd[i][j])
                    .fold(f64::NEG_INFINITY, f64::max);
                stat < most
            })
            .count();
        running = running.max(beyond as f64 / resamples as f64);
        p_values[worst] = running;
        order.push(worst);
        left.retain(|&m| m != worst);
    }
    order.push(left[0]);
    Some(Mcs { p_values, order, mean_block, resamples })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against `arch` 7.2 (the R method) on the fixed loss tables of
    /// `tests/reference/spa_arch.py`, the benchmark and its 12 models together: every model's
    /// MCS p-value within four standard errors of the two bootstraps' sampling (20,000 resamples
    /// each side), plus 0.003; and so the same 90% set.
    #[test]
    fn p_values_match_arch_within_sampling_error() {
        let j = crate::test_support::arch_reference();
        let (reps, block) = (j["reps"].as_u64().unwrap() as usize, j["block"].as_u64().unwrap() as usize);
        let series = crate::test_support::series;
        for case in j["cases"].as_array().unwrap() {
            let mut losses = vec![series(&case["benchmark"])];
            losses.extend(case["models"].as_array().unwrap().iter().map(series));
            let ours = mcs(&losses, block, reps, 5).unwrap();
            let theirs = series(&case["mcs_pvalues"]);
            for (m, (a, b)) in ours.p_values.iter().zip(&theirs).enumerate() {
                let p = (a + b) / 2.0;
                let se = (p * (1.0 - p) * 2.0 / reps as f64).sqrt();
                assert!((a - b).abs() <= 4.0 * se + 0.003, "{} model {m}: ours {a}, arch {b}", case["name"]);
            }
            let set: Vec<usize> = (0..theirs.len()).filter(|&m| theirs[m] > 0.1).collect();
            assert_eq!(ours.set(0.1), set, "{}", case["name"]);
        }
        assert!(mcs(&[vec![1.0, 2.0], vec![f64::NAN, 1.0]], 2, 10, 1).is_none());
    }

    /// A search of 30 settings that are noise around one another, and one planted better by a
    /// known amount: the 90% set keeps the planted one in every draw, and drops the settings
    /// planted clearly worse; with nothing planted, the set keeps most settings.
    #[test]
    fn the_set_keeps_a_planted_best_and_drops_the_clearly_worse() {
        let mut draws = crate::test_support::Normal(21);
        let mut normal = move || draws.draw();
        let (n, k, draws) = (200, 30, 20);
        for draw in 0..draws {
            let day: Vec<f64> = (0..n).map(|_| normal()).collect();
            let mut losses: Vec<Vec<f64>> =
                (0..k).map(|_| day.iter().map(|c| 1.0 + c + 0.5 * normal()).collect()).collect();
            let plain = mcs(&losses, 5, 300, draw).unwrap();
            assert!(plain.set(0.1).len() >= k / 2, "nothing planted: {:?}", plain.set(0.1));
            // setting 4 better by 0.3 a day, settings 20.. worse by 0.6
            for l in losses[4].iter_mut() {
                *l -= 0.3;
            }
            for l in losses[20..].iter_mut().flatten() {
                *l += 0.6;
            }
            let planted = mcs(&losses, 5, 300, draw).unwrap();
            let set = planted.set(0.1);
            assert!(set.contains(&4), "draw {draw}: {set:?}");
            assert!(set.iter().all(|&m| m < 20), "draw {draw}: the clearly worse kept: {set:?}");
            assert_eq!(*planted.order.last().unwrap(), 4, "draw {draw}: the best is the last standing");
        }
    }
}
