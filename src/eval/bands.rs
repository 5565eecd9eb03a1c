//! Prediction bands of a forecaster on the test days, by four methods, beside the naive
//! forecast's textbook band, scored per step and level.
//!
//! A score is the log error `ln(actual / forecast)` of one step; the band of an origin is a
//! pair of score quantiles around its forecast. The methods differ in which errors size it:
//! - `Split`: split conformal quantiles of the validation days' errors, fixed over the test.
//! - `Adaptive`: adaptive conformal inference over the test days (walk-forward errors, warm
//!   started with the validation errors): a band uses the errors known the evening before its
//!   forecast was made, and its level moves after every miss.
//! - `SplitVol` and `AdaptiveVol`: the same on errors divided by the realised volatility of the
//!   [`VOL_DAYS`] returns before the forecast, so that the band widens in turbulent weeks.
//!
//! The naive forecast (the last price, `h` days on) gets the quantiles of historical `h`-day
//! log returns from the training and validation rows. Pure functions over slices.

use serde::{Deserialize, Serialize};

use super::intervals::{
    adaptive_conformal, bounded, dtaci, naive_log_returns, score, split_conformal, IntervalScore,
};

/// Levels every run reports, beside those asked for.
pub const LEVELS: [f64; 3] = [0.8, 0.9, 0.95];
/// Trading days of returns behind the realised volatility that scales the `*Vol` methods.
pub const VOL_DAYS: usize = 20;
/// The adaptive level's default step size (Gibbs and Candès use 0.005 on daily stock data).
pub const ACI_GAMMA: f64 = 0.005;
/// Most recent errors the adaptive band is sized from (about a trading year).
pub const ACI_WINDOW: usize = 250;

/// How the model's band is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Split conformal on the validation days' errors, fixed over the test
    Split,
    /// Split conformal on errors divided by the last 20 days' volatility
    SplitVol,
    /// Adaptive conformal over the errors known each evening
    Adaptive,
    /// Adaptive conformal on errors divided by the last 20 days' volatility (the default: the only
    /// method that kept its coverage on every test set, docs/intervals.md)
    #[default]
    AdaptiveVol,
    /// Adaptive conformal with its step size tuned online (an expert per step size)
    AdaptiveAuto,
}

impl Method {
    pub const ALL: [Method; 5] =
        [Method::Split, Method::SplitVol, Method::Adaptive, Method::AdaptiveVol, Method::AdaptiveAuto];

    pub fn name(self) -> &'static str {
        match self {
            Method::Split => "split",
            Method::SplitVol => "split-vol",
            Method::Adaptive => "adaptive",
            Method::AdaptiveVol => "adaptive-vol",
            Method::AdaptiveAuto => "adaptive-auto",
        }
    }

    pub fn describe(self) -> String {
        let base = match self {
            Method::Split | Method::SplitVol => "split conformal on the validation days' errors",
            Method::Adaptive | Method::AdaptiveVol => {
                "adaptive conformal over the errors known each evening (validation days first)"
            }
            Method::AdaptiveAuto => {
                "adaptive conformal over the errors known each evening, its step size tuned online (DtACI)"
            }
        };
        if self.scaled() {
            format!("{base}, scaled by the last {VOL_DAYS} days' realised volatility")
        } else {
            base.into()
        }
    }

    pub fn scaled(self) -> bool {
        matches!(self, Method::SplitVol | Method::AdaptiveVol)
    }

    /// Sized from errors that keep arriving over the test days (else from the validation days').
    pub fn adaptive(self) -> bool {
        matches!(self, Method::Adaptive | Method::AdaptiveVol | Method::AdaptiveAuto)
    }
}

/// The standard deviation of the `days` daily log returns that end the day before row `t`
/// (fewer where the series starts later; NaN with fewer than two); a floor keeps a flat stretch
/// from dividing by zero.
pub fn realised_vol(prices: &[f64], t: usize, days: usize) -> f64 {
    let from = t.saturating_sub(days).max(1);
    let r: Vec<f64> = (from..t).map(|s| (prices[s] / prices[s - 1]).ln()).filter(|v| v.is_finite()).collect();
    if r.len() < 2 {
        return f64::NAN;
    }
    let mean = r.iter().sum::<f64>() / r.len() as f64;
    let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (r.len() - 1) as f64;
    var.sqrt().max(1e-6)
}

/// Forecast paths from consecutive origins: `paths[k][h]` forecasts `prices[origins.start + k + h]`.
#[derive(Debug, Clone)]
pub struct Paths<'a> {
    pub origins: std::ops::Range<usize>,
    pub paths: &'a [Vec<f64>],
}

/// Everything the bands are sized and scored from.
pub struct Bands<'a> {
    prices: &'a [f64],
    /// Validation origins and paths; only errors whose day is before `cal_end` are used.
    cal: Paths<'a>,
    cal_end: usize,
    /// Test origins and paths; scored on days before `prices.len()`.
    test: Paths<'a>,
    /// `realised_vol` of every origin `0..=prices.len()`, computed once: every method, step and
    /// level of a `*Vol` band divides by it.
    vols: Vec<f64>,
    /// The adaptive level's step size.
    gamma: f64,
    /// Days an adaptive band may see early: 0 in every run; the leakage check's tests plant
    /// a peek here (through `pipeline`) to show that the check catches it.
    peek: usize,
}

/// One method's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodScore {
    pub method: Method,
    #[serde(flatten)]
    pub score: IntervalScore,
}

/// One step and level: every method's score and naive's, on the same days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepLevel {
    pub step: usize,
    pub level: f64,
    pub model: Vec<MethodScore>,
    pub naive: IntervalScore,
}

impl StepLevel {
    pub fn of(&self, m: Method) -> &IntervalScore {
        &self.model.iter().find(|s| s.method == m).expect("every method is scored").score
    }
}

/// A band's quantiles per forecast step at one level (what a model bundle keeps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelQuantiles {
    pub level: f64,
    /// An infinite bound (no error to size it from) is null in JSON.
    #[serde(deserialize_with = "open_bounds")]
    pub quantiles: Vec<(f64, f64)>,
}

/// Reads `[lo, hi]` pairs whose null stands for the infinite bound on its side.
fn open_bounds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(f64, f64)>, D::Error> {
    let raw = Vec::<(Option<f64>, Option<f64>)>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|(lo, hi)| (lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)))
        .collect())
}

impl<'a> Bands<'a> {
    pub fn new(prices: &'a [f64], cal: Paths<'a>, cal_end: usize, test: Paths<'a>) -> Self {
        Bands {
            prices,
            cal,
            cal_end,
            test,
            vols: (0..=prices.len()).map(|t| realised_vol(prices, t, VOL_DAYS)).collect(),
            gamma: ACI_GAMMA,
            peek: 0,
        }
    }

    /// The same with the adaptive level's step size `gamma`.
    pub fn with_gamma(self, gamma: f64) -> Self {
        Bands { gamma, ..self }
    }

    /// The same with adaptive bands that see `days` days early: a fault, planted only by the
    /// tests of the leakage check (see `data::Plant`).
    pub fn with_peek(self, peek: usize) -> Self {
        Bands { peek, ..self }
    }

    pub fn steps(&self) -> usize {
        self.test.paths.first().map_or(0, |p| p.len())
    }

    /// Divisor of origin `t`'s errors under `m`.
    fn scale(&self, m: Method, t: usize) -> f64 {
        if m.scaled() {
            self.vols[t]
        } else {
            1.0
        }
    }

    /// Step `h` (0-based) scores of `p`'s origins under `m`, NaN where the day is not before `end`.
    fn scores(&self, p: &Paths, h: usize, end: usize, m: Method) -> Vec<f64> {
        p.origins
            .clone()
            .zip(p.paths)
            .map(
                |(t, f)| {
                    if t + h < end {
                        (self.prices[t + h] / f[h]).ln() / self.scale(m, t)
                    } else {
                        f64::NAN
                    }
                },
            )
            .collect()
    }

    /// Bands in score units for every test origin and one more (the day after the data),
    /// step `h` (0-based), under `m` at `level`.
    fn score_bands(&self, m: Method, level: f64, h: usize) -> Vec<(f64, f64)> {
        let cal = self.scores(&self.cal, h, self.cal_end, m);
        let mut test = self.scores(&self.test, h, self.prices.len(), m);
        test.push(f64::NAN); // the origin after the last: its band is the one `predict` uses
        if !m.adaptive() {
            return vec![bounded(split_conformal(&cal, level), &cal); test.len()];
        }
        // a step-h error is known h + 1 evenings after its origin; a planted peek shows from
        // step 2 on (a one-day error is known the next evening at best)
        let delay = (h + 1).saturating_sub(self.peek);
        if m == Method::AdaptiveAuto {
            return dtaci(&cal, &test, level, ACI_WINDOW, delay);
        }
        adaptive_conformal(&cal, &test, level, self.gamma, ACI_WINDOW, delay)
    }

    /// Log bands `(lo, hi)` around the forecast of every test origin, step `h` (0-based).
    pub fn model_bands(&self, m: Method, level: f64, h: usize) -> Vec<(f64, f64)> {
        let mut b = self.score_bands(m, level, h);
        b.pop();
        self.test
            .origins
            .clone()
            .zip(b)
            .map(|(t, (lo, hi))| (lo * self.scale(m, t), hi * self.scale(m, t)))
            .collect()
    }

    /// The band in score units for the day after the data, per step: what `predict` multiplies
    /// by its own file's realised volatility when `m` is scaled.
    pub fn next_quantiles(&self, m: Method, level: f64) -> Vec<(f64, f64)> {
        (0..self.steps())
            .map(|h| *self.score_bands(m, level, h).last().expect("one band per origin"))
            .collect()
    }

    /// The band of the first test origin in score units, per step: sized from the errors known
    /// the evening before it (the validation days', for every method). Held fixed, it is what a
    /// saved model's band is.
    pub fn first_test_quantiles(&self, m: Method, level: f64) -> Vec<(f64, f64)> {
        (0..self.steps()).map(|h| self.score_bands(m, level, h)[0]).collect()
    }

    /// Per step: the test days scored and the share inside the fixed score-unit `quantiles`
    /// around `paths` (forecasts from the test origins), each band multiplied by its origin's
    /// volatility when `m` is scaled, as `predict` does.
    pub fn fixed_coverage(
        &self,
        m: Method,
        quantiles: &[(f64, f64)],
        paths: &[Vec<f64>],
    ) -> Vec<(usize, f64)> {
        (0..quantiles.len())
            .map(|h| {
                let (lo, hi) = quantiles[h];
                let inside: Vec<bool> = self
                    .test
                    .origins
                    .clone()
                    .zip(paths)
                    .filter(|(t, _)| t + h < self.prices.len())
                    .map(|(t, f)| {
                        let e = (self.prices[t + h] / f[h]).ln();
                        let s = self.scale(m, t);
                        lo * s <= e && e <= hi * s
                    })
                    .collect();
                let days = inside.len();
                (days, inside.iter().filter(|&&x| x).count() as f64 / days.max(1) as f64)
            })
            .collect()
    }

    /// Naive's log band at step `h` (0-based): `h + 1`-day log returns of the rows before `cal_end`.
    pub fn naive_band(&self, level: f64, h: usize) -> (f64, f64) {
        let r = naive_log_returns(self.prices, 0..self.cal_end, h + 1);
        bounded(split_conformal(&r, level), &r)
    }

    /// Scores every method and naive at `level`, step `h` (0-based), in price units on the test
    /// days whose price is known.
    pub fn score_step(&self, level: f64, h: usize) -> StepLevel {
        let known: Vec<(usize, f64)> = self
            .test
            .origins
            .clone()
            .zip(self.test.paths)
            .filter(|(t, _)| t + h < self.prices.len())
            .map(|(t, f)| (t, f[h]))
            .collect();
        let actual: Vec<f64> = known.iter().map(|&(t, _)| self.prices[t + h]).collect();
        let price_bands = |log: &[(f64, f64)], centre: &dyn Fn(usize, f64) -> f64| -> Vec<(f64, f64)> {
            known
                .iter()
                .zip(log)
                .map(|(&(t, f), &(lo, hi))| (centre(t, f) * lo.exp(), centre(t, f) * hi.exp()))
                .collect()
        };
        let model = Method::ALL
            .iter()
            .map(|&m| {
                let bands = price_bands(&self.model_bands(m, level, h), &|_, f| f);
                MethodScore { method: m, score: score(&bands, &actual, level) }
            })
            .collect();
        let naive = vec![self.naive_band(level, h); known.len()];
        let naive = score(&price_bands(&naive, &|t, _| self.prices[t - 1]), &actual, level);
        StepLevel { step: h + 1, level, model, naive }
    }

    /// [`Self::score_step`] for every step and level.
    pub fn report(&self, levels: &[f64]) -> Vec<StepLevel> {
        (0..self.steps()).flat_map(|h| levels.iter().map(move |&l| self.score_step(l, h))).collect()
    }
}

/// Pools rows of several runs by step and level, each figure weighted by its days: the
/// figures of all their test days taken together (walk-forward folds, seeds).
pub fn pool(runs: &[&[StepLevel]]) -> Vec<StepLevel> {
    let Some(first) = runs.first() else { return vec![] };
    let merge = |xs: Vec<&IntervalScore>| -> IntervalScore {
        let days: usize = xs.iter().map(|x| x.days).sum();
        let mean = |f: fn(&IntervalScore) -> f64| {
            xs.iter().map(|x| f(x) * x.days as f64).sum::<f64>() / days.max(1) as f64
        };
        IntervalScore {
            level: xs[0].level,
            days,
            coverage: mean(|x| x.coverage),
            mean_width: mean(|x| x.mean_width),
            interval_score: mean(|x| x.interval_score),
        }
    };
    first
        .iter()
        .map(|row| {
            let same: Vec<&StepLevel> = runs
                .iter()
                .filter_map(|r| r.iter().find(|x| x.step == row.step && x.level == row.level))
                .collect();
            StepLevel {
                step: row.step,
                level: row.level,
                model: Method::ALL
                    .iter()
                    .map(|&m| MethodScore { method: m, score: merge(same.iter().map(|x| x.of(m)).collect()) })
                    .collect(),
                naive: merge(same.iter().map(|x| &x.naive).collect()),
            }
        })
        .collect()
}

/// The levels a run reports: [`LEVELS`] and those asked for, sorted, each once.
pub fn report_levels(asked: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = LEVELS.iter().chain(asked).copied().collect();
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    v
}

/// One sentence comparing the model's band with naive's at one step and level.
pub fn verdict(model_name: &str, s: &StepLevel, m: Method) -> String {
    let (a, b) = (s.of(m), &s.naive);
    let cov = |x: &IntervalScore| format!("{:.1}%", x.coverage * 100.0);
    let width = (a.mean_width / b.mean_width - 1.0) * 100.0;
    let score = (a.interval_score / b.interval_score - 1.0) * 100.0;
    let wider = if width < 0.0 { "narrower" } else { "wider" };
    let width_text = if width.abs() < 0.5 {
        "as wide as naive's".to_string()
    } else {
        format!("{:.0}% {wider} than naive's", width.abs())
    };
    let better = if score <= 0.0 { "better" } else { "worse" };
    let mut v = format!(
        "step {}, {:.0}%: the {model_name}'s band is {width_text} (coverage {} vs {}); interval score {:.0}% {better}",
        s.step,
        s.level * 100.0,
        cov(a),
        cov(b),
        score.abs()
    );
    if score > 0.0 {
        v += ": naive's band is the better one here";
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Normal;

    /// A random walk whose volatility triples from `jump` on, and forecasts that are the
    /// last price plus noise (so the errors are the walk's steps, give or take).
    fn walk(n: usize, jump: usize, seed: u64) -> Vec<f64> {
        let mut g = Normal(seed);
        let mut p = vec![100.0];
        for t in 1..n {
            let vol = if t >= jump { 0.03 } else { 0.01 };
            p.push(p[t - 1] * (vol * g.draw()).exp());
        }
        p
    }

    /// Naive-like forecasts: each origin's path repeats the last known price.
    fn naive_paths(p: &[f64], origins: std::ops::Range<usize>, steps: usize) -> Vec<Vec<f64>> {
        origins.map(|t| vec![p[t - 1]; steps]).collect()
    }

    #[test]
    fn volatility_scaling_follows_a_jump_that_fixed_bands_miss() {
        let p = walk(1400, 1000, 5);
        let (val, test) = (600..1000, 1000..1400);
        let (vp, tp) = (naive_paths(&p, val.clone(), 5), naive_paths(&p, test.clone(), 5));
        let b = Bands::new(&p, Paths { origins: val, paths: &vp }, 1000, Paths { origins: test, paths: &tp });
        let s = b.score_step(0.9, 0);
        assert!(s.of(Method::Split).coverage < 0.6, "{s:?}");
        assert!(s.naive.coverage < 0.6, "naive's historical band misses too: {s:?}");
        for m in [Method::SplitVol, Method::Adaptive, Method::AdaptiveVol, Method::AdaptiveAuto] {
            let c = s.of(m).coverage;
            assert!(c > 0.8, "{}: {c}", m.name());
        }
        assert!(s.of(Method::AdaptiveVol).interval_score < s.naive.interval_score);
        // step 5 too: its errors are known five days late, and still recovered
        let s5 = b.score_step(0.9, 4);
        assert!((s5.of(Method::AdaptiveVol).coverage - 0.9).abs() < 0.08, "{s5:?}");
    }

    #[test]
    fn on_a_calm_walk_every_method_holds_its_level() {
        let p = walk(2000, usize::MAX, 11);
        let (val, test) = (500..1200, 1200..2000);
        let (vp, tp) = (naive_paths(&p, val.clone(), 1), naive_paths(&p, test.clone(), 1));
        let b = Bands::new(&p, Paths { origins: val, paths: &vp }, 1200, Paths { origins: test, paths: &tp });
        for level in LEVELS {
            let s = b.score_step(level, 0);
            for MethodScore { method, score: sc } in &s.model {
                // 800 days: 3 binomial standard deviations at 80% is 4.2 points
                let sd = (level * (1.0 - level) / 800.0).sqrt();
                assert!((sc.coverage - level).abs() < 3.0 * sd + 0.01, "{} {level}: {sc:?}", method.name());
            }
            // the model's forecasts are naive's: the unscaled split band is naive's band
            assert!((s.of(Method::Split).mean_width - s.naive.mean_width).abs() < 0.05 * s.naive.mean_width);
        }
    }

    /// The future is replaced from `cut` on; no band of an origin up to `cut` may change, for
    /// any method or step. A planted one-day peek in the adaptive band is caught.
    #[test]
    fn no_band_uses_its_own_day_or_later() {
        let p = walk(900, 700, 2);
        let (val, test) = (300..600, 600..900);
        let steps = 5;
        let run = |prices: &[f64], peek: usize| -> Vec<Vec<Vec<(f64, f64)>>> {
            let (vp, tp) =
                (naive_paths(prices, val.clone(), steps), naive_paths(prices, test.clone(), steps));
            let b = Bands::new(
                prices,
                Paths { origins: val.clone(), paths: &vp },
                600,
                Paths { origins: test.clone(), paths: &tp },
            )
            .with_peek(peek);
            Method::ALL.iter().map(|&m| (0..steps).map(|h| b.model_bands(m, 0.9, h)).collect()).collect()
        };
        let cut = 750;
        let mut future = p.clone();
        for (i, v) in future[cut..].iter_mut().enumerate() {
            *v *= 1.0 + 0.2 * ((i + 1) as f64 * 0.7).sin();
        }
        let first_changed = |a: &Vec<Vec<Vec<(f64, f64)>>>, b: &Vec<Vec<Vec<(f64, f64)>>>| {
            let mut first = usize::MAX;
            for (ma, mb) in a.iter().zip(b) {
                for (ha, hb) in ma.iter().zip(mb) {
                    if let Some(k) = ha.iter().zip(hb).position(|(x, y)| x != y) {
                        first = first.min(test.start + k);
                    }
                }
            }
            first
        };
        let honest = first_changed(&run(&p, 0), &run(&future, 0));
        assert!(honest > cut && honest < 900, "first changed band: origin {honest}, cut {cut}");
        let peeking = first_changed(&run(&p, 1), &run(&future, 1));
        assert!(peeking <= cut, "a one-day peek must change a band at or before the cut: {peeking}");
    }

    /// A band held fixed from the first test origin: sized on the validation errors only, and
    /// scored around any forecasts; one that misses more days scores lower.
    #[test]
    fn a_fixed_band_is_sized_before_the_test_and_scored_around_other_forecasts() {
        let p = walk(600, 10_000, 5);
        let (val, test) = (200..400, 400..600);
        let (vp, tp) = (naive_paths(&p, val.clone(), 2), naive_paths(&p, test.clone(), 2));
        let b = Bands::new(
            &p,
            Paths { origins: val.clone(), paths: &vp },
            400,
            Paths { origins: test.clone(), paths: &tp },
        );
        for m in [Method::Split, Method::AdaptiveVol] {
            let held = b.first_test_quantiles(m, 0.9);
            assert_eq!(held.len(), 2);
            // the future does not move it
            let mut later = p.clone();
            for v in &mut later[450..] {
                *v *= 1.5;
            }
            let tp2 = naive_paths(&later, test.clone(), 2);
            let b2 = Bands::new(
                &later,
                Paths { origins: val.clone(), paths: &vp },
                400,
                Paths { origins: test.clone(), paths: &tp2 },
            );
            assert_eq!(b2.first_test_quantiles(m, 0.9), held, "{m:?}");
            // a walk with the same moves throughout: about 90% covered at step 1
            let cov = b.fixed_coverage(m, &held, &tp);
            assert_eq!(cov[0].0, 200);
            assert_eq!(cov[1].0, 199, "the last origin's step 2 is past the data");
            assert!((cov[0].1 - 0.9).abs() < 0.07, "{m:?}: {cov:?}");
            // forecasts 2% too high (two days' moves) miss far more often
            let worse: Vec<Vec<f64>> = tp.iter().map(|f| f.iter().map(|x| x * 1.02).collect()).collect();
            let cov_worse = b.fixed_coverage(m, &held, &worse);
            assert!(cov_worse[0].1 < cov[0].1 - 0.1, "{m:?}: {cov_worse:?} vs {cov:?}");
        }
    }

    #[test]
    fn naive_band_and_vol_by_hand() {
        // prices doubling then halving: 1-day log returns +-ln 2
        let p = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0];
        let r = realised_vol(&p, 5, VOL_DAYS); // returns of rows 1..5: ln2, -ln2, ln2, -ln2
        let want = (4.0 * 2f64.ln().powi(2) / 3.0).sqrt();
        assert!((r - want).abs() < 1e-12, "{r} vs {want}");
        assert!(realised_vol(&p, 2, VOL_DAYS).is_nan(), "one return has no spread");
        // seven distinct 1-day log returns: ln of 1.01, 0.98, 1.03, 0.99, 1.02, 0.97, 1.00
        let mut q = vec![100.0];
        for g in [1.01, 0.98, 1.03, 0.99, 1.02, 0.97, 1.00] {
            q.push(q[q.len() - 1] * g);
        }
        let b = Bands::new(&q, Paths { origins: 1..2, paths: &[] }, 8, Paths { origins: 8..8, paths: &[] });
        // n = 7 at 50%: ranks floor(8 * 0.25) = 2 and ceil(8 * 0.75) = 6 of the sorted returns
        // ln .97 < ln .98 < ln .99 < ln 1 < ln 1.01 < ln 1.02 < ln 1.03
        let (lo, hi) = b.naive_band(0.5, 0);
        assert!((lo - 0.98f64.ln()).abs() < 1e-12 && (hi - 1.02f64.ln()).abs() < 1e-12, "{lo} {hi}");
        // 2-day returns: six of them; at 50%: ranks floor(7 * 0.25) = 1 and ceil(7 * 0.75) = 6
        let two: Vec<f64> = (2..8).map(|t| (q[t] / q[t - 2]).ln()).collect();
        let (lo, hi) = b.naive_band(0.5, 1);
        let (min, max) = two.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert!((lo - min).abs() < 1e-12 && (hi - max).abs() < 1e-12, "{lo} {hi} {two:?}");
    }

    #[test]
    fn infinite_figures_survive_json() {
        let q =
            LevelQuantiles { level: 0.9, quantiles: vec![(f64::NEG_INFINITY, 0.1), (-0.1, f64::INFINITY)] };
        let back: LevelQuantiles = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
        assert_eq!(back, q);
        let s = IntervalScore {
            level: 0.9,
            days: 3,
            coverage: 1.0,
            mean_width: f64::INFINITY,
            interval_score: f64::INFINITY,
        };
        let back: IntervalScore = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        // as compare's shards hold it: each method's score flattened into its row
        let row = StepLevel {
            step: 1,
            level: 0.9,
            model: Method::ALL.iter().map(|&m| MethodScore { method: m, score: s }).collect(),
            naive: s,
        };
        let back: StepLevel = serde_json::from_str(&serde_json::to_string(&row).unwrap()).unwrap();
        assert_eq!(back, row);
    }

    #[test]
    fn pooling_weights_by_days() {
        let sc = |days, cov, w| IntervalScore {
            level: 0.9,
            days,
            coverage: cov,
            mean_width: w,
            interval_score: w,
        };
        let row = |days, cov, w| StepLevel {
            step: 1,
            level: 0.9,
            model: Method::ALL.iter().map(|&m| MethodScore { method: m, score: sc(days, cov, w) }).collect(),
            naive: sc(days, cov, w),
        };
        let (a, b) = (vec![row(100, 0.8, 2.0)], vec![row(300, 1.0, 4.0)]);
        let p = pool(&[&a, &b]);
        let s = p[0].of(Method::Split);
        // 100 days at 80% and 300 at 100%: 95% of the 400 days
        assert_eq!(s.days, 400);
        assert!((s.coverage - 0.95).abs() < 1e-12 && (s.mean_width - 3.5).abs() < 1e-12, "{s:?}");
        assert!(pool(&[]).is_empty());
    }

    #[test]
    fn levels_and_verdicts_read_right() {
        assert_eq!(report_levels(&[0.9, 0.99]), vec![0.8, 0.9, 0.95, 0.99]);
        let sc = |cov, w, s| IntervalScore {
            level: 0.9,
            days: 10,
            coverage: cov,
            mean_width: w,
            interval_score: s,
        };
        let row = StepLevel {
            step: 1,
            level: 0.9,
            model: Method::ALL
                .iter()
                .map(|&m| MethodScore { method: m, score: sc(0.9, 8.8, 10.0) })
                .collect(),
            naive: sc(0.88, 10.0, 12.0),
        };
        let v = verdict("LSTM", &row, Method::AdaptiveVol);
        assert!(v.contains("12% narrower") && v.contains("17% better"), "{v}");
        let worse = StepLevel { naive: sc(0.9, 8.0, 9.0), ..row };
        assert!(verdict("LSTM", &worse, Method::Split).contains("naive's band is the better one"));
        let same = StepLevel { naive: sc(0.9, 8.82, 10.0), ..worse };
        assert!(
            verdict("LSTM", &same, Method::Split).contains("band is as wide as naive's"),
            "{}",
            verdict("LSTM", &same, Method::Split)
        );
    }
}
