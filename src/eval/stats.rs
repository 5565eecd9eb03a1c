//! Small statistics the comparison needs: Student's t distribution and the Diebold-Mariano test
//! with the Harvey-Leybourne-Newbold small-sample correction.
//!
//! Written here rather than pulled from a crate because they are a few dozen lines and the
//! product's own claims rest on them; `tests/reference/dm_reference.py` recomputes the test
//! values with SciPy.

/// `ln(Gamma(x))` for `x > 0` (Lanczos, g = 7, 9 terms; relative error below 1e-14).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection keeps the series in its accurate range
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let series: f64 = G[0] + (1..9).map(|i| G[i] / (x + i as f64)).sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

/// Regularised incomplete beta function `I_x(a, b)` (continued fraction, modified Lentz).
pub fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // the fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - inc_beta(b, a, 1.0 - x);
    }
    const TINY: f64 = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut f = d;
    for m in 1..=300 {
        let m = m as f64;
        for num in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + num * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + num / c;
            c = if c.abs() < TINY { TINY } else { c };
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-15 {
            break;
        }
    }
    front * f / a
}

/// Two-sided p-value of a Student t statistic with `df` degrees of freedom.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return if t.is_nan() { f64::NAN } else { 0.0 };
    }
    inc_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The `t > 0` whose two-sided p-value with `df` degrees of freedom is `p` (the `1 - p/2`
/// quantile of Student's t), by bisection on [`t_two_sided_p`]; `NaN` for `p` outside (0, 1).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while t_two_sided_p(hi, df) > p {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_two_sided_p(mid, df) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The Wilson score interval for a proportion of `k` in `n` at `z` (1.96 for 95%): the
/// binomial uncertainty of a realised coverage, which stays inside 0..1 and is not empty at
/// 0 or `n` hits as the textbook `p ± z sqrt(p(1-p)/n)` is. `(0, 1)` for no trials.
pub fn wilson(k: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (nf, p) = (n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Result of a Diebold-Mariano test.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DmTest {
    /// HLN-corrected statistic; negative means the first forecast has the smaller squared error.
    pub statistic: f64,
    /// Two-sided p-value from Student's t with `n - 1` degrees of freedom.
    pub p_value: f64,
    /// Mean of `e1^2 - e2^2`.
    pub mean_loss_difference: f64,
    pub n: usize,
}

/// Diebold-Mariano test of equal accuracy under squared-error loss for forecast errors `e1`,
/// `e2` of horizon `h`, with the Harvey-Leybourne-Newbold correction. `None` when fewer than
/// 3 errors or the loss difference has no variance (the forecasts are equally good everywhere).
pub fn diebold_mariano(e1: &[f64], e2: &[f64], h: usize) -> Option<DmTest> {
    assert_eq!(e1.len(), e2.len(), "error series of different lengths");
    let n = e1.len();
    if n < 3 || h == 0 {
        return None;
    }
    let d: Vec<f64> = e1.iter().zip(e2).map(|(a, b)| a * a - b * b).collect();
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let autocov = |k: usize| (k..n).map(|t| (d[t] - mean) * (d[t - k] - mean)).sum::<f64>() / nf;
    let var = (autocov(0) + 2.0 * (1..h.min(n)).map(autocov).sum::<f64>()) / nf;
    if var <= 0.0 || !var.is_finite() {
        return None;
    }
    let dm = mean / var.sqrt();
    let hf = h as f64;
    let statistic = dm * ((nf + 1.0 - 2.0 * hf + hf * (hf - 1.0) / nf) / nf).sqrt();
    Some(DmTest { statistic, p_value: t_two_sided_p(statistic, nf - 1.0), mean_loss_difference: mean, n })
}

/// A Diebold-Mariano test whose variance includes training randomness (see [`seeded_dm`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeededTest {
    /// Negative means the first forecaster has the smaller expected squared error.
    pub statistic: f64,
    pub p_value: f64,
    /// Welch-Satterthwaite degrees of freedom of the combined variance.
    pub df: f64,
    /// Mean over seeds and days of the first's squared error minus the second's.
    pub mean_loss_difference: f64,
    /// Variance of that mean from the days (long-run, HLN-corrected) ...
    pub day_variance: f64,
    /// ... and from the seeds (the spread of each seed's mean loss, over its seed count).
    pub seed_variance: f64,
    pub n: usize,
    /// Seeds of the first and the second forecaster.
    pub seeds: (usize, usize),
}

/// Equal accuracy of two *trained forecasters* rather than two fixed forecasts: `a[s]` and
/// `b[s]` hold seed `s`'s forecast errors on the same days (naive: one "seed").
///
/// The loss difference is averaged over seeds and days. Its variance has two parts that are
/// added: the days' part, as in [`diebold_mariano`] on the seed-averaged losses, and the seeds'
/// part, the sample variance across seeds of each seed's mean loss divided by the number of
/// seeds. A test on seed-averaged forecasts alone treats one lucky draw of initial weights as a
/// property of the architecture, and over a thousand days it calls such draws significant.
/// With one seed on each side this is exactly [`diebold_mariano`]. Degrees of freedom follow
/// Welch and Satterthwaite (days: `n - 1`, seeds: `S - 1` per side). `None` when fewer than 3
/// days, or no variance at all.
pub fn seeded_dm(a: &[Vec<f64>], b: &[Vec<f64>], h: usize) -> Option<SeededTest> {
    let n = a.first()?.len();
    if b.is_empty() || a.iter().chain(b).any(|e| e.len() != n) || n < 3 || h == 0 {
        return None;
    }
    let nf = n as f64;
    let mean_loss =
        |side: &[Vec<f64>], t: usize| side.iter().map(|e| e[t] * e[t]).sum::<f64>() / side.len() as f64;
    let d: Vec<f64> = (0..n).map(|t| mean_loss(a, t) - mean_loss(b, t)).collect();
    let mean = d.iter().sum::<f64>() / nf;
    let autocov = |k: usize| (k..n).map(|t| (d[t] - mean) * (d[t - k] - mean)).sum::<f64>() / nf;
    let hf = h as f64;
    let hln = (nf + 1.0 - 2.0 * hf + hf * (hf - 1.0) / nf) / nf;
    let day_variance = (autocov(0) + 2.0 * (1..h.min(n)).map(autocov).sum::<f64>()) / nf / hln;
    let seed_part = |side: &[Vec<f64>]| -> f64 {
        if side.len() < 2 {
            return 0.0;
        }
        let per_seed: Vec<f64> = side.iter().map(|e| e.iter().map(|x| x * x).sum::<f64>() / nf).collect();
        mean_sd(&per_seed).1.powi(2) / side.len() as f64
    };
    let (va, vb) = (seed_part(a), seed_part(b));
    let total = day_variance + va + vb;
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut denom = day_variance.powi(2) / (nf - 1.0);
    for (v, s) in [(va, a.len()), (vb, b.len())] {
        if s > 1 {
            denom += v * v / (s as f64 - 1.0);
        }
    }
    let df = if denom > 0.0 { total * total / denom } else { nf - 1.0 };
    let statistic = mean / total.sqrt();
    Some(SeededTest {
        statistic,
        p_value: t_two_sided_p(statistic, df),
        df,
        mean_loss_difference: mean,
        day_variance,
        seed_variance: va + vb,
        n,
        seeds: (a.len(), b.len()),
    })
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// Pearson correlation; `None` when either series is constant.
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let (ma, _) = mean_sd(a);
    let (mb, _) = mean_sd(b);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from tests/reference/dm_reference.py (SciPy 1.x, NumPy 2.x).

    #[test]
    fn t_p_values_match_scipy() {
        for (t, df, p) in [
            (0.5, 3.0, 0.651447964848151),
            (2.0, 10.0, 0.07338803477074037),
            (-2.5, 29.0, 0.018325344338426086),
            (4.0, 100.0, 0.00012152364430076177),
            (1.0, 1.0, 0.5000000000000001),
        ] {
            let got = t_two_sided_p(t, df);
            assert!((got - p).abs() < 1e-12 * p.max(1e-3) * 1e3, "t={t} df={df}: {got} vs {p}");
        }
        assert_eq!(t_two_sided_p(0.0, 5.0), 1.0);
    }

    /// Student t quantiles against SciPy 1.x (`stats.t.ppf(0.975, df)`); the bisection is
    /// good to far better than the 1e-9 asked.
    #[test]
    fn t_quantiles_match_scipy() {
        for (df, q) in [
            (1.0, 12.706204736174694),
            (5.0, 2.5705818356363146),
            (10.0, 2.228138851986274),
            (30.0, 2.0422724563012378),
            (188.7, 1.9726152873635798),
        ] {
            let got = t_quantile(0.05, df);
            assert!((got - q).abs() < 1e-9, "df {df}: {got} vs {q}");
        }
        assert!(t_quantile(0.0, 5.0).is_nan() && t_quantile(1.5, 5.0).is_nan());
    }

    /// Wilson intervals against statsmodels 0.14 (`proportion_confint(k, n, 0.05,
    /// method="wilson")`); the first four are Newcombe's (1998) worked examples.
    #[test]
    fn wilson_intervals_match_statsmodels() {
        for (k, n, lo, hi) in [
            (81, 263, 0.2552885198782742, 0.36620957698280004),
            (15, 148, 0.06238639953073628, 0.16048724172330803),
            (0, 20, 0.0, 0.1611251580528194),
            (1, 29, 0.006113214292762667, 0.17175521879320294),
            (167, 189, 0.8300517493060658, 0.9218612515949615),
        ] {
            // statsmodels uses the exact normal quantile
            let (a, b) = wilson(k, n, 1.959963984540054);
            assert!((a - lo).abs() < 1e-12 && (b - hi).abs() < 1e-12, "{k}/{n}: ({a}, {b})");
        }
        assert_eq!(wilson(0, 0, 1.96), (0.0, 1.0));
    }

    #[test]
    fn ln_gamma_matches_scipy() {
        for (x, v) in [
            (0.5, 0.5723649429247),
            (1.0, 0.0),
            (3.7, 1.428072326665388),
            (10.0, 12.801827480081469),
            (123.4, 469.3360974421906),
        ] {
            assert!((ln_gamma(x) - v).abs() < 1e-12 * v.abs().max(1.0), "{x}: {} vs {v}", ln_gamma(x));
        }
    }

    #[test]
    fn diebold_mariano_worked_example() {
        let e1 = [0.8, -1.2, 0.3, 1.9, -0.7, 0.2, -1.5, 0.9, 1.1, -0.4, 0.6, -2.0];
        let e2 = [0.5, -0.9, 0.4, 1.0, -0.6, 0.3, -1.1, 0.8, 0.7, -0.5, 0.2, -1.2];
        let r = diebold_mariano(&e1, &e2, 1).unwrap();
        assert!((r.statistic - 2.549763158506488).abs() < 1e-12, "{r:?}");
        assert!((r.p_value - 0.027006475851660588).abs() < 1e-12, "{r:?}");
        let r2 = diebold_mariano(&e1, &e2, 2).unwrap();
        assert!((r2.statistic - 3.6557989951860974).abs() < 1e-12, "{r2:?}");
        assert!((r2.p_value - 0.0037822320890788463).abs() < 1e-12, "{r2:?}");
        // symmetric: swapping the forecasts flips the sign, keeps the p-value
        let s = diebold_mariano(&e2, &e1, 1).unwrap();
        assert!((s.statistic + r.statistic).abs() < 1e-12 && (s.p_value - r.p_value).abs() < 1e-15);
        // identical forecasts: no variance, no test
        assert!(diebold_mariano(&e1, &e1, 1).is_none());
        assert!(diebold_mariano(&e1[..2], &e2[..2], 1).is_none());
    }

    #[test]
    fn correlation_and_spread() {
        assert_eq!(correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), Some(1.0));
        assert_eq!(correlation(&[1.0, 1.0], &[2.0, 4.0]), None);
        let (m, s) = mean_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m, 5.0);
        assert!((s - 2.138089935299395).abs() < 1e-12);
    }

    #[test]
    fn seeded_dm_with_one_seed_each_is_the_plain_test() {
        let e1 = vec![0.8, -1.2, 0.3, 1.9, -0.7, 0.2, -1.5, 0.9, 1.1, -0.4, 0.6, -2.0];
        let e2 = vec![0.5, -0.9, 0.4, 1.0, -0.6, 0.3, -1.1, 0.8, 0.7, -0.5, 0.2, -1.2];
        for h in [1, 2] {
            let plain = diebold_mariano(&e1, &e2, h).unwrap();
            let s = seeded_dm(std::slice::from_ref(&e1), std::slice::from_ref(&e2), h).unwrap();
            assert!((s.statistic - plain.statistic).abs() < 1e-12, "{s:?} {plain:?}");
            assert!((s.p_value - plain.p_value).abs() < 1e-12, "{s:?} {plain:?}");
            assert_eq!(s.seed_variance, 0.0);
        }
        assert!(seeded_dm(std::slice::from_ref(&e1), &[e1[..5].to_vec()], 1).is_none(), "days must line up");
    }

    use crate::test_support::Normal;

    /// Two "architectures" that are the same: every seed's forecast errs by the day's move
    /// plus an offset of its own (initial weights that land on a slightly different level)
    /// and a little noise. Any difference the tests find comes from the seeds alone.
    #[test]
    fn seed_noise_alone_is_rarely_called_a_difference_unlike_on_seed_averages() {
        let (n, seeds, sims) = (750, 5, 400);
        let mut g = Normal(11);
        let (mut seeded_rejects, mut averaged_rejects) = (0, 0);
        for _ in 0..sims {
            let moves: Vec<f64> = (0..n).map(|_| g.draw()).collect();
            let mut side = || -> Vec<Vec<f64>> {
                (0..seeds)
                    .map(|_| {
                        let offset = 0.3 * g.draw();
                        moves.iter().map(|m| m - offset + 0.05 * g.draw()).collect()
                    })
                    .collect()
            };
            let (a, b) = (side(), side());
            if seeded_dm(&a, &b, 1).unwrap().p_value < 0.05 {
                seeded_rejects += 1;
            }
            let avg = |v: &[Vec<f64>]| {
                (0..n).map(|t| v.iter().map(|e| e[t]).sum::<f64>() / seeds as f64).collect::<Vec<_>>()
            };
            if diebold_mariano(&avg(&a), &avg(&b), 1).unwrap().p_value < 0.05 {
                averaged_rejects += 1;
            }
        }
        let (seeded, averaged) = (seeded_rejects as f64 / sims as f64, averaged_rejects as f64 / sims as f64);
        // the stated rate is 5%; three binomial standard errors above it is the bound
        let bound = 0.05 + 3.0 * (0.05 * 0.95 / sims as f64).sqrt();
        eprintln!("rejections at 5%: seed-aware {seeded}, seed-averaged {averaged} ({sims} simulations)");
        assert!(seeded <= bound, "seeded test rejects {seeded} of the time (bound {bound})");
        assert!(averaged > 3.0 * bound, "the seed-averaged test was expected to over-reject: {averaged}");
    }

    #[test]
    fn seeded_dm_still_sees_a_real_difference() {
        let mut g = Normal(5);
        let n = 750;
        let moves: Vec<f64> = (0..n).map(|_| g.draw()).collect();
        // the first forecaster knows a fifth of each move; the second knows nothing
        let mut side = |skill: f64| -> Vec<Vec<f64>> {
            (0..5)
                .map(|_| {
                    let offset = 0.05 * g.draw();
                    moves.iter().map(|m| m * (1.0 - skill) - offset).collect()
                })
                .collect()
        };
        let (a, b) = (side(0.2), side(0.0));
        let t = seeded_dm(&a, &b, 1).unwrap();
        assert!(t.p_value < 0.001 && t.statistic < 0.0, "{t:?}");
    }
}
