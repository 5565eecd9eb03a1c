//! Hansen's (2005) test for superior predictive ability: after trying many models (or many
//! settings of one), does the best of them beat the benchmark, once the number tried is paid
//! for? A plain test of the best one against the benchmark rejects far more often than its level
//! says, since the best of many is chosen for its luck; the SPA test asks instead how large the
//! best mean improvement would be by chance among all of them, from a stationary bootstrap of
//! the days (which keeps the models' dependence on one another and on the day before).
//!
//! Computed as `arch` (7.2) computes it, so that its p-values can be checked against that
//! package's (`tests/reference/spa_arch.py`): the statistic is the largest mean loss
//! improvement over the benchmark; each resample's is the largest of the models' resampled mean
//! improvements less a recentring mean, which gives three p-values: *lower* (recentre only the
//! models that improve), *consistent* (also recentre those not far below zero by Hansen's
//! `sqrt(2 log log n)` bound, the recommended one) and *upper* (recentre every model: White's
//! reality check). The variance in the bound is the stationary bootstrap's (Politis and Romano's
//! kernel), as Hansen's paper gives it.

use rand::SeedableRng;

use super::trading::stationary_indices;

/// What [`spa`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Spa {
    /// The model with the largest mean improvement (benchmark loss less the model's).
    pub best: usize,
    /// That improvement.
    pub best_improvement: f64,
    pub p_lower: f64,
    pub p_consistent: f64,
    pub p_upper: f64,
    pub mean_block: usize,
    pub resamples: usize,
}

/// The SPA test of `models` (each a loss per day) against `benchmark` (its loss on the same
/// days; lower is better): stationary bootstrap with blocks of mean length `mean_block`,
/// `resamples` resamples from `seed`. `None` with fewer than 3 days (Hansen's bound needs
/// `log log n > 0`), no model, series of unequal length, or a loss that is not a number.
pub fn spa(
    benchmark: &[f64],
    models: &[Vec<f64>],
    mean_block: usize,
    resamples: usize,
    seed: u64,
) -> Option<Spa> {
    let n = benchmark.len();
    let finite = benchmark.iter().chain(models.iter().flatten()).all(|v| v.is_finite());
    if n < 3 || models.is_empty() || models.iter().any(|m| m.len() != n) || resamples == 0 || !finite {
        return None;
    }
    // improvements over the benchmark: positive where the model's loss is lower
    let diff: Vec<Vec<f64>> =
        models.iter().map(|m| benchmark.iter().zip(m).map(|(b, l)| b - l).collect()).collect();
    let means: Vec<f64> = diff.iter().map(|d| d.iter().sum::<f64>() / n as f64).collect();
    let (best, &best_improvement) =
        means.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("at least one model");
    let bound = (2.0 * (n as f64).ln().ln()).sqrt();
    let recentre: [Vec<f64>; 3] = [
        means.iter().map(|&m| m.max(0.0)).collect(),
        means
            .iter()
            .zip(&diff)
            .map(|(&m, d)| if m >= -(variance(d, m, mean_block) / n as f64).sqrt() * bound { m } else { 0.0 })
            .collect(),
        means.clone(),
    ];
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let mut beyond = [0usize; 3];
    let mut resampled = vec![0.0; models.len()];
    for _ in 0..resamples {
        let days = stationary_indices(n, mean_block, &mut rng);
        for (r, d) in resampled.iter_mut().zip(&diff) {
            *r = days.iter().map(|&t| d[t]).sum::<f64>() / n as f64;
        }
        for (count, mu) in beyond.iter_mut().zip(&recentre) {
            let most = resampled.iter().zip(mu).map(|(r, m)| r - m).fold(f64::NEG_INFINITY, f64::max);
            *count += usize::from(most > best_improvement);
        }
    }
    let p = |k: usize| beyond[k] as f64 / resamples as f64;
    Some(Spa {
        best,
        best_improvement,
        p_lower: p(0),
        p_consistent: p(1),
        p_upper: p(2),
        mean_block,
        resamples,
    })
}

/// The long-run variance of the series `d` (mean `mean`) that the stationary bootstrap with
/// blocks of mean length `mean_block` implies: the autocovariances weighted by Politis and
/// Romano's kernel `(1 - i/n) q^i + (i/n) q^(n-i)`, `q = 1 - 1/mean_block`.
fn variance(d: &[f64], mean: f64, mean_block: usize) -> f64 {
    let n = d.len();
    let x: Vec<f64> = d.iter().map(|v| v - mean).collect();
    let q = 1.0 - 1.0 / mean_block.max(1) as f64;
    let mut v = x.iter().map(|a| a * a).sum::<f64>() / n as f64;
    for i in 1..n {
        let f = i as f64 / n as f64;
        let kappa = (1.0 - f) * q.powi(i as i32) + f * q.powi((n - i) as i32);
        v += 2.0 * kappa * x[..n - i].iter().zip(&x[i..]).map(|(a, b)| a * b).sum::<f64>() / n as f64;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against `arch` 7.2 on the fixed loss tables of `tests/reference/spa_arch.py`: each
    /// model's variance (to 1e-9) and whether the consistent p-value recentres it, exactly; each
    /// of the three p-values within four standard errors of the two bootstraps' sampling
    /// (20,000 resamples each side), plus 0.002; and a loss that is not a number refused.
    #[test]
    fn p_values_match_arch_within_sampling_error() {
        let j = crate::test_support::arch_reference();
        let (reps, block) = (j["reps"].as_u64().unwrap() as usize, j["block"].as_u64().unwrap() as usize);
        let series = crate::test_support::series;
        for case in j["cases"].as_array().unwrap() {
            let bench = series(&case["benchmark"]);
            let models: Vec<Vec<f64>> = case["models"].as_array().unwrap().iter().map(series).collect();
            let s = spa(&bench, &models, block, reps, 7).unwrap();
            // what the consistent p-value rests on, exactly: each model's variance and whether
            // it is recentred
            let n = bench.len() as f64;
            let bound = (2.0 * n.ln().ln()).sqrt();
            for (k, m) in models.iter().enumerate() {
                let d: Vec<f64> = bench.iter().zip(m).map(|(b, l)| b - l).collect();
                let mean = d.iter().sum::<f64>() / n;
                let v = variance(&d, mean, block);
                let theirs = case["variances"][k].as_f64().unwrap();
                assert!(
                    (v - theirs).abs() <= 1e-9 * theirs.abs(),
                    "{} model {k}: variance {v} vs {theirs}",
                    case["name"]
                );
                let recentred = mean >= -(v / n).sqrt() * bound;
                assert_eq!(Some(recentred), case["recentred"][k].as_bool(), "{} model {k}", case["name"]);
            }
            for (ours, key) in [(s.p_lower, "lower"), (s.p_consistent, "consistent"), (s.p_upper, "upper")] {
                let theirs = case[key].as_f64().unwrap();
                let p = (ours + theirs) / 2.0;
                let se = (p * (1.0 - p) * 2.0 / reps as f64).sqrt();
                assert!(
                    (ours - theirs).abs() <= 4.0 * se + 0.002,
                    "{} {key}: ours {ours}, arch {theirs}",
                    case["name"]
                );
            }
        }
        assert!(spa(&[1.0, 2.0, 3.0], &[vec![1.0, f64::NAN, 3.0]], 2, 10, 1).is_none());
    }

    /// Paying for the search: 40 settings whose losses are all noise around the benchmark's.
    /// The best one's plain one-sided test (its mean improvement over its standard error) rejects
    /// at 5% in far more than 5% of 120 such searches; the SPA test (consistent) in about 5% or
    /// fewer. With one setting planted better by a known amount, SPA rejects nearly always and
    /// names it the best.
    #[test]
    fn the_search_is_paid_for_and_a_planted_winner_still_found() {
        let mut draws = crate::test_support::Normal(11);
        let mut normal = move || draws.draw();
        let (n, k, searches) = (200, 40, 120);
        let (mut naive_rejects, mut spa_rejects, mut planted_found) = (0, 0, 0);
        for s in 0..searches {
            let bench: Vec<f64> = (0..n).map(|_| 1.0 + normal()).collect();
            let mut models: Vec<Vec<f64>> =
                (0..k).map(|_| bench.iter().map(|b| b + 0.5 * normal()).collect()).collect();
            // the best of 40 by the plain test, which ignores that it was picked
            let t = |m: &[f64]| {
                let d: Vec<f64> = bench.iter().zip(m).map(|(b, l)| b - l).collect();
                let mean = d.iter().sum::<f64>() / n as f64;
                let sd = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
                mean / (sd / (n as f64).sqrt())
            };
            if models.iter().map(|m| t(m)).fold(f64::NEG_INFINITY, f64::max) > 1.645 {
                naive_rejects += 1;
            }
            if spa(&bench, &models, 5, 400, s).unwrap().p_consistent < 0.05 {
                spa_rejects += 1;
            }
            // setting 17 planted better by 0.25 a day (the noise's sd is 0.5)
            for l in models[17].iter_mut() {
                *l -= 0.25;
            }
            let planted = spa(&bench, &models, 5, 400, s).unwrap();
            if planted.p_consistent < 0.05 && planted.best == 17 {
                planted_found += 1;
            }
        }
        let share = |c: usize| c as f64 / searches as f64;
        assert!(share(naive_rejects) > 0.5, "the best of 40 by the plain test: {}", share(naive_rejects));
        assert!(share(spa_rejects) <= 0.09, "SPA on noise: {}", share(spa_rejects));
        assert!(share(planted_found) >= 0.9, "SPA on a planted winner: {}", share(planted_found));
    }
}
