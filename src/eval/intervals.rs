//! Prediction intervals that can be held to their promise: split conformal quantiles with the
//! finite-sample correction, adaptive conformal inference (Gibbs and Candès, NeurIPS 2021) for
//! coverage that survives a change in volatility, and the interval score (Gneiting and Raftery
//! 2007, also called the Winkler score) to compare intervals of different widths.
//!
//! Scores here are log errors `ln(actual / forecast)`: an interval `[lo, hi]` on them is the
//! price band `[forecast * e^lo, forecast * e^hi]`. Pure functions over slices.

/// The `k`-th smallest of `v` (1-based), or `None` past either end (an infinite bound).
fn order_statistic(sorted: &[f64], k: i64) -> Option<f64> {
    (k >= 1 && k as usize <= sorted.len()).then(|| sorted[k as usize - 1])
}

/// A two-sided split-conformal interval at `level` (0.9: 90%) from calibration scores: the
/// lower bound is the `floor((n + 1) a / 2)`-th smallest score and the upper bound the
/// `ceil((n + 1)(1 - a / 2))`-th, `a = 1 - level`. For exchangeable scores each side misses with
/// probability at most `a / 2`, so the interval covers a new score with probability at least
/// `level` (the `n + 1` is the finite-sample correction). A bound beyond the data is infinite:
/// too few calibration scores for that level.
pub fn split_conformal(scores: &[f64], level: f64) -> (f64, f64) {
    let mut sorted: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let a = 1.0 - level;
    // 1 - 0.9 is 0.09999999999999998 in binary: without the nudge, 20 * 0.05 floors to 0
    const NUDGE: f64 = 1e-9;
    let lo = order_statistic(&sorted, ((n + 1.0) * a / 2.0 + NUDGE).floor() as i64);
    let hi = order_statistic(&sorted, ((n + 1.0) * (1.0 - a / 2.0) - NUDGE).ceil() as i64);
    let (lo, hi) = (lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY));
    (lo, hi)
}

/// The smallest and the largest finite score; the infinite band where there is none.
pub fn widest(scores: &[f64]) -> (f64, f64) {
    let (lo, hi) = scores
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if lo > hi {
        (f64::NEG_INFINITY, f64::INFINITY)
    } else {
        (lo, hi)
    }
}

/// `band` with an infinite bound (too few scores for the level) replaced by the widest score
/// seen: a reported band stays finite, and it misses only what no past error reached, which
/// the coverage figures then count.
pub fn bounded(band: (f64, f64), scores: &[f64]) -> (f64, f64) {
    let (lo, hi) = widest(scores);
    (if band.0.is_finite() { band.0 } else { lo }, if band.1.is_finite() { band.1 } else { hi })
}

/// The interval score of `[lo, hi]` at miscoverage `alpha` for the outcome `x`: the width, plus
/// `2 / alpha` times the distance by which `x` falls outside. Lower is better; an interval that
/// is too narrow pays for its misses, one that is too wide for its width.
pub fn interval_score(lo: f64, hi: f64, x: f64, alpha: f64) -> f64 {
    let below = if x < lo { (2.0 / alpha) * (lo - x) } else { 0.0 };
    let above = if x > hi { (2.0 / alpha) * (x - hi) } else { 0.0 };
    (hi - lo) + below + above
}

/// Coverage, mean width and mean interval score of intervals over outcomes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IntervalScore {
    pub level: f64,
    pub days: usize,
    /// Share of outcomes inside their interval.
    pub coverage: f64,
    /// Infinite where a band was (no error to size it from); JSON writes that as null.
    #[serde(deserialize_with = "null_is_infinite")]
    pub mean_width: f64,
    #[serde(deserialize_with = "null_is_infinite")]
    pub interval_score: f64,
}

/// JSON has no infinity: serde_json writes one as null, read back here as infinity.
fn null_is_infinite<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::INFINITY))
}

/// Scores `bands[i]` against `outcomes[i]` at `level`. Infinite bands make width and score
/// infinite, which is what they are.
pub fn score(bands: &[(f64, f64)], outcomes: &[f64], level: f64) -> IntervalScore {
    let n = outcomes.len();
    let alpha = 1.0 - level;
    let inside = bands.iter().zip(outcomes).filter(|&(&(lo, hi), &x)| lo <= x && x <= hi).count();
    let mean = |f: &dyn Fn(&(f64, f64), f64) -> f64| {
        bands.iter().zip(outcomes).map(|(b, &x)| f(b, x)).sum::<f64>() / n.max(1) as f64
    };
    IntervalScore {
        level,
        days: n,
        coverage: inside as f64 / n.max(1) as f64,
        mean_width: mean(&|b, _| b.1 - b.0),
        interval_score: mean(&|b, x| interval_score(b.0, b.1, x, alpha)),
    }
}

/// Adaptive conformal inference over a sequence: the interval for step `t` is the split
/// conformal interval of the `window` most recent scores known by then (the `calibration`
/// scores first, then the sequence's own, each only once it is `delay` steps old), at a level
/// that moves after each outcome: `alpha_t+1 = alpha_t + gamma (alpha - miss_t)`. A run of
/// misses widens the band, a run of hits narrows it, so that the long-run miss rate is
/// `1 - level` whatever the scores do. Where Gibbs and Candès make the band infinite (the level
/// asks for more than the window can give), it is the window's widest score here (see [`bounded`]).
///
/// `delay` is the forecast step: an `h`-day forecast's score is known `h` days after it was
/// made, so the interval for `t` may use the sequence's scores up to `t - delay` only. The
/// interval for `t` never uses `scores[t]` or any later score.
pub fn adaptive_conformal(
    calibration: &[f64],
    scores: &[f64],
    level: f64,
    gamma: f64,
    window: usize,
    delay: usize,
) -> Vec<(f64, f64)> {
    let target = 1.0 - level;
    let mut alpha = target;
    // a calibration score not known (NaN) takes no place in the window
    let mut known: Vec<f64> = calibration.iter().copied().filter(|v| v.is_finite()).collect();
    let mut misses: Vec<Option<bool>> = vec![None; scores.len()];
    let mut out = Vec::with_capacity(scores.len());
    for t in 0..scores.len() {
        // outcomes that became known since the last step update the level and the window
        if t >= delay.max(1) {
            let s = t - delay.max(1);
            if scores[s].is_finite() {
                known.push(scores[s]);
            }
            if let Some(miss) = misses[s] {
                alpha += gamma * (target - if miss { 1.0 } else { 0.0 });
            }
        }
        let band = band_at(&known[known.len().saturating_sub(window)..], alpha);
        // a score not known yet (NaN) neither counts as a miss nor joins the window
        misses[t] = scores[t].is_finite().then(|| !(band.0 <= scores[t] && scores[t] <= band.1));
        out.push(band);
    }
    out
}

/// Step sizes of the experts in [`dtaci`] (Gibbs and Candès 2022 use this grid).
pub const DTACI_GAMMAS: [f64; 8] = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128];

/// The band at miscoverage `alpha` from the window `w`: the widest score where `alpha` asks for
/// everything, an empty band at the median where it asks for nothing.
fn band_at(w: &[f64], alpha: f64) -> (f64, f64) {
    if alpha <= 0.0 {
        widest(w)
    } else if alpha >= 1.0 {
        let m = split_conformal(w, 0.0);
        (m.0, m.0)
    } else {
        bounded(split_conformal(w, 1.0 - alpha), w)
    }
}

/// The largest miscoverage at which the band of sorted window `w` still holds `x`: with `c`
/// scores at most `x` and `m` below it, the lower rank `floor((n + 1) a / 2)` stays at most `c`
/// and the upper rank `ceil((n + 1)(1 - a / 2))` above `m`. Beyond the widest score no band
/// holds `x` (see [`bounded`]).
fn covering_level(w: &[f64], x: f64) -> f64 {
    let (lo, hi) = widest(w);
    if !(lo <= x && x <= hi) {
        return 0.0;
    }
    let n1 = w.len() as f64 + 1.0;
    let c = w.iter().filter(|&&v| v <= x).count() as f64;
    let m = w.iter().filter(|&&v| v < x).count() as f64;
    (2.0 * (c + 1.0) / n1).min(2.0 * (n1 - m) / n1).clamp(0.0, 1.0)
}

/// Dynamically-tuned adaptive conformal inference (Gibbs and Candès, JMLR 2024, "Conformal
/// inference for online prediction with arbitrary distribution shifts"): one adaptive level
/// per step size in [`DTACI_GAMMAS`], mixed with weights that follow each expert's recent
/// pinball loss, so that a jump in volatility is followed at the speed of the fastest expert
/// that pays off and calm stretches at the slowest. Same window, delay and look-ahead rule as
/// [`adaptive_conformal`]; the experts learn from an outcome only once it is known.
pub fn dtaci(
    calibration: &[f64],
    scores: &[f64],
    level: f64,
    window: usize,
    delay: usize,
) -> Vec<(f64, f64)> {
    let target = 1.0 - level;
    let k = DTACI_GAMMAS.len();
    // the paper's defaults for a local horizon of 100 outcomes
    let local: f64 = 100.0;
    let sigma = 1.0 / (2.0 * local);
    let eta = (3.0 / local).sqrt()
        * (((k as f64 * local).ln() + 2.0)
            / ((1.0 - target).powi(2) * target.powi(3) + target.powi(2) * (1.0 - target).powi(3)))
        .sqrt();
    let mut experts = vec![target; k];
    let mut weights = vec![1.0 / k as f64; k];
    let mut known: Vec<f64> = calibration.iter().copied().filter(|v| v.is_finite()).collect();
    // what each band was sized from and with, for the update once its outcome is known
    let mut history: Vec<(Vec<f64>, Vec<f64>)> = Vec::with_capacity(scores.len());
    let mut out = Vec::with_capacity(scores.len());
    for t in 0..scores.len() {
        if t >= delay.max(1) {
            let s = t - delay.max(1);
            if scores[s].is_finite() {
                known.push(scores[s]);
                let (w, at) = &history[s];
                let beta = covering_level(w, scores[s]);
                let pinball = |a: f64| target * (beta - a) - (beta - a).min(0.0);
                let mut total = 0.0;
                for i in 0..k {
                    weights[i] *= (-eta * pinball(at[i])).exp();
                    total += weights[i];
                }
                for (i, wt) in weights.iter_mut().enumerate() {
                    *wt = (1.0 - sigma) * *wt / total + sigma / k as f64;
                    let miss = if beta < at[i] { 1.0 } else { 0.0 };
                    experts[i] += DTACI_GAMMAS[i] * (target - miss);
                }
            }
        }
        let mut recent = known[known.len().saturating_sub(window)..].to_vec();
        recent.sort_by(f64::total_cmp);
        let alpha: f64 = experts.iter().zip(&weights).map(|(a, w)| a * w).sum();
        out.push(band_at(&recent, alpha));
        history.push((recent, experts.clone()));
    }
    out
}

/// Quantiles of the `h`-day log returns of `prices` over `rows` (each return ends in `rows`
/// and starts `h` rows before it, also inside): the textbook interval of the naive forecast,
/// which repeats the last price `h` days ahead.
pub fn naive_log_returns(prices: &[f64], rows: std::ops::Range<usize>, h: usize) -> Vec<f64> {
    let start = rows.start;
    rows.filter(|&t| t >= start + h).map(|t| (prices[t] / prices[t - h]).ln()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::Normal;

    #[test]
    fn interval_score_by_hand() {
        // inside: the width only
        assert_eq!(interval_score(-1.0, 2.0, 0.5, 0.1), 3.0);
        // 0.5 below at alpha 0.1: 3 + (2 / 0.1) * 0.5 = 13
        assert!((interval_score(-1.0, 2.0, -1.5, 0.1) - 13.0).abs() < 1e-12);
        // 1 above at alpha 0.2: 3 + 10 * 1 = 13
        assert!((interval_score(-1.0, 2.0, 3.0, 0.2) - 13.0).abs() < 1e-12);
        let s = score(&[(-1.0, 2.0), (-1.0, 2.0)], &[0.5, 3.0], 0.8);
        assert_eq!((s.coverage, s.mean_width, s.days), (0.5, 3.0, 2));
        assert!((s.interval_score - 8.0).abs() < 1e-12, "{s:?}");
    }

    #[test]
    fn split_conformal_uses_the_corrected_order_statistics() {
        let scores: Vec<f64> = (1..=19).map(|v| v as f64).collect();
        // n = 19, level 0.9: lower floor(20 * 0.05) = 1st, upper ceil(20 * 0.95) = 19th
        assert_eq!(split_conformal(&scores, 0.9), (1.0, 19.0));
        // level 0.8: floor(20 * 0.1) = 2nd, ceil(20 * 0.9) = 18th
        assert_eq!(split_conformal(&scores, 0.8), (2.0, 18.0));
        // too few scores for 95%: ceil(20 * 0.975) = 20 > 19, infinite
        assert_eq!(split_conformal(&scores, 0.95), (f64::NEG_INFINITY, f64::INFINITY));
    }

    #[test]
    fn split_conformal_covers_exchangeable_scores_within_binomial_bounds() {
        let mut g = Normal(3);
        let (sims, n_cal) = (2000, 200);
        for level in [0.8, 0.9, 0.95] {
            let mut hits = 0;
            for _ in 0..sims {
                let cal: Vec<f64> = (0..n_cal).map(|_| 0.02 * g.draw()).collect();
                let (lo, hi) = split_conformal(&cal, level);
                let x = 0.02 * g.draw();
                hits += usize::from(lo <= x && x <= hi);
            }
            let cov = hits as f64 / sims as f64;
            // the guarantee is level <= coverage <= level + 2 / (n + 1); allow 3 binomial sd
            let sd = (level * (1.0 - level) / sims as f64).sqrt();
            assert!(
                cov >= level - 3.0 * sd && cov <= level + 2.0 / (n_cal as f64 + 1.0) + 3.0 * sd,
                "{level}: {cov}"
            );
        }
    }

    /// Volatility doubles at the start of the test days: intervals sized on the calm
    /// calibration days miss far too often; the adaptive ones recover.
    #[test]
    fn adaptive_conformal_recovers_coverage_after_a_volatility_jump() {
        let mut g = Normal(8);
        let calibration: Vec<f64> = (0..250).map(|_| 0.01 * g.draw()).collect();
        let test: Vec<f64> = (0..1000).map(|_| 0.025 * g.draw()).collect();
        let fixed = split_conformal(&calibration, 0.9);
        let split = score(&vec![fixed; test.len()], &test, 0.9);
        let adaptive = adaptive_conformal(&calibration, &test, 0.9, 0.01, 250, 1);
        let aci = score(&adaptive, &test, 0.9);
        assert!(split.coverage < 0.65, "split should under-cover: {split:?}");
        assert!((aci.coverage - 0.9).abs() < 0.03, "adaptive should hold 90%: {aci:?}");
        assert!(aci.interval_score < split.interval_score, "{aci:?} vs {split:?}");
    }

    #[test]
    fn no_adaptive_interval_uses_its_own_score_or_a_later_one() {
        let mut g = Normal(4);
        let calibration: Vec<f64> = (0..100).map(|_| g.draw()).collect();
        let scores: Vec<f64> = (0..300).map(|_| g.draw()).collect();
        for delay in [1, 5] {
            let base = adaptive_conformal(&calibration, &scores, 0.9, 0.02, 100, delay);
            for cut in [0, 57, 150, 299] {
                // replace the future from `cut` on: no interval up to `cut` may change
                let mut changed = scores.clone();
                for v in &mut changed[cut..] {
                    *v = 10.0 * *v + 3.0;
                }
                let other = adaptive_conformal(&calibration, &changed, 0.9, 0.02, 100, delay);
                assert_eq!(&base[..=cut], &other[..=cut], "delay {delay}, cut {cut}");
                if cut + delay + 1 < scores.len() {
                    assert_ne!(
                        base[cut + delay + 1..],
                        other[cut + delay + 1..],
                        "the future must be used once known"
                    );
                }
            }
        }
    }

    #[test]
    fn covering_level_is_where_the_band_stops_holding() {
        let w: Vec<f64> = (1..=19).map(|v| v as f64).collect();
        for x in [0.5, 1.0, 3.5, 10.0, 18.0, 19.5] {
            let b = covering_level(&w, x);
            // the band at a level just under b holds x; just above, it does not
            if b > 0.01 {
                let (lo, hi) = band_at(&w, b - 0.01);
                assert!(lo <= x && x <= hi, "{x}: {b}");
            }
            if b < 0.99 {
                let (lo, hi) = band_at(&w, b + 0.01);
                assert!(!(lo <= x && x <= hi), "{x}: {b}");
            }
        }
    }

    /// Volatility doubles at the start of the test days: the expert mix recovers coverage at
    /// least as well as plain ACI at its default step size, and uses no score early.
    #[test]
    fn dtaci_follows_a_volatility_jump_without_peeking() {
        let mut g = Normal(8);
        let calibration: Vec<f64> = (0..250).map(|_| 0.01 * g.draw()).collect();
        // 150 days: too few for the window of 250 to roll over to the new volatility
        let test: Vec<f64> = (0..150).map(|_| 0.025 * g.draw()).collect();
        let mixed = score(&dtaci(&calibration, &test, 0.9, 250, 1), &test, 0.9);
        let slow = score(&adaptive_conformal(&calibration, &test, 0.9, 0.005, 250, 1), &test, 0.9);
        assert!((mixed.coverage - 0.9).abs() < 0.06, "{mixed:?}");
        assert!(mixed.coverage > slow.coverage + 0.05, "{mixed:?} vs {slow:?}");
        for delay in [1, 5] {
            let base = dtaci(&calibration, &test, 0.9, 250, delay);
            let mut changed = test.clone();
            for v in &mut changed[100..] {
                *v = 5.0 * *v - 0.1;
            }
            let other = dtaci(&calibration, &changed, 0.9, 250, delay);
            assert_eq!(&base[..=100], &other[..=100], "delay {delay}");
            assert_ne!(&base[101 + delay..], &other[101 + delay..], "delay {delay}");
        }
    }

    #[test]
    fn infinite_bounds_become_the_widest_score() {
        let scores = [0.3, -0.2, 0.1];
        assert_eq!(bounded((f64::NEG_INFINITY, 0.25), &scores), (-0.2, 0.25));
        assert_eq!(bounded((-0.1, f64::INFINITY), &scores), (-0.1, 0.3));
        assert_eq!(widest(&[]), (f64::NEG_INFINITY, f64::INFINITY));
    }

    #[test]
    fn naive_returns_stay_inside_the_rows() {
        let p = [100.0, 110.0, 121.0, 133.1];
        let r = naive_log_returns(&p, 0..4, 2);
        assert_eq!(r.len(), 2);
        assert_eq!(
            naive_log_returns(&p, 1..4, 2).len(),
            1,
            "a return that starts before the rows is left out"
        );
        assert!((r[0] - (121.0f64 / 100.0).ln()).abs() < 1e-12);
    }
}
