//! What a trained network's gates do over one input window, in numbers: how many days its
//! state takes to fill up from zero (the warm-up), and how far the gates, candidate and state
//! move around their own levels after it. `gates.png` draws the same numbers; the console says
//! them in one line.
//!
//! Every window starts from a zero state, so the first days move far more than the rest; a
//! scale or a summary that takes them in describes the start-up, not the network's use of the
//! prices it sees.

use serde::Serialize;

/// Days a window's per-day movement must stay settled to end the warm-up.
const SETTLED_DAYS: usize = 3;
/// A day is settled when its largest move is at most this many times the typical day's of
/// the window's second half.
const SETTLED_FACTOR: f32 = 2.0;

/// Moves (95th percentile, after the warm-up) below which the network barely responds to the
/// days it sees, and above which it clearly does. Gates run 0..1 and candidates -1..1; a gate
/// that moves by under 0.01 changes what passes through it by under 1%.
const BARELY: f32 = 0.01;
const CLEARLY: f32 = 0.05;

/// The gates of one window, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct GateActivity {
    /// Days in the window.
    pub days: usize,
    /// Leading days of the state filling up from zero.
    pub warm_up: usize,
    /// The 95th percentile of every unit's move around its own median after the warm-up, over
    /// the gates, the candidate and the state.
    pub reach: f32,
    /// The smallest and largest of the gates' medians (the levels they move around).
    pub levels: (f32, f32),
}

/// The `q` quantile of `v` (nearest rank); 0 for no values.
pub fn quantile(mut v: Vec<f32>, q: f64) -> f32 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Each unit's median over days `from..`.
pub fn medians(values: &[Vec<f32>], from: usize) -> Vec<f32> {
    values.iter().map(|row| quantile(row[from.min(row.len())..].to_vec(), 0.5)).collect()
}

/// The warm-up of `series` (each `[unit][day]`, all of one window): the first day from which
/// [`SETTLED_DAYS`] days in a row move by at most [`SETTLED_FACTOR`] times the typical day of
/// the window's second half, a day's move being its largest distance from a unit's median
/// (second half). At most half the window.
pub fn warm_up(series: &[&[Vec<f32>]]) -> usize {
    let days = series.iter().flat_map(|s| s.first()).map(|r| r.len()).min().unwrap_or(0);
    if days < 2 * SETTLED_DAYS {
        return 0;
    }
    let half = days / 2;
    let centres: Vec<Vec<f32>> = series.iter().map(|s| medians(s, half)).collect();
    let size: Vec<f32> = (0..days)
        .map(|t| {
            series
                .iter()
                .zip(&centres)
                .flat_map(|(s, m)| s.iter().zip(m).map(move |(row, c)| (row[t] - c).abs()))
                .fold(0.0, f32::max)
        })
        .collect();
    let typical = quantile(size[half..].to_vec(), 0.5).max(1e-7);
    let settled = |t: usize| size[t] <= SETTLED_FACTOR * typical;
    (0..half).find(|&k| (k..k + SETTLED_DAYS).all(settled)).unwrap_or(half)
}

impl GateActivity {
    /// `gates`: the sigmoid gates, then the candidates, each `[unit][day]`; `state` likewise.
    pub fn of(sigmoid_gates: &[&[Vec<f32>]], others: &[&[Vec<f32>]]) -> GateActivity {
        let all: Vec<&[Vec<f32>]> = sigmoid_gates.iter().chain(others).copied().collect();
        let days = all.iter().flat_map(|s| s.first()).map(|r| r.len()).min().unwrap_or(0);
        let w = warm_up(&all);
        let reach = all
            .iter()
            .map(|s| {
                let m = medians(s, w);
                let moves = s.iter().zip(&m).flat_map(|(row, c)| row[w..].iter().map(move |v| (v - c).abs()));
                quantile(moves.collect(), 0.95)
            })
            .fold(0.0, f32::max);
        let levels = sigmoid_gates
            .iter()
            .flat_map(|s| medians(s, w))
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), m| (a.min(m), b.max(m)));
        GateActivity { days, warm_up: w, reach, levels }
    }

    /// The console's line: the warm-up, the moves, and what they mean.
    pub fn sentence(&self, model: &str) -> String {
        let meaning = if self.reach < BARELY {
            "the network barely uses the days it sees, which fits a forecast close to one fixed move"
        } else if self.reach < CLEARLY {
            "they respond a little to the days it sees"
        } else {
            "they respond to the days it sees"
        };
        format!(
            "gates: over the last test window ({} days), after a {}-day warm-up from a zero state, 95% of the moves of the {model}'s gates (levels {:.2} .. {:.2}), candidate and state are within {} of their levels: {meaning} (gates.png)",
            self.days,
            self.warm_up,
            self.levels.0,
            self.levels.1,
            reach_text(self.reach)
        )
    }
}

/// A move size with the decimals its size needs (0.0021, 0.034, 0.21).
pub fn reach_text(v: f32) -> String {
    let decimals = (1 - (v.abs().max(1e-7) as f64).log10().floor() as i64).clamp(2, 6) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit that settles at `level` with moves of `wiggle`, after `start` days climbing from 0.
    fn unit(days: usize, start: usize, level: f32, wiggle: f32, phase: usize) -> Vec<f32> {
        (0..days)
            .map(|t| {
                let w = wiggle * (((t + phase) % 3) as f32 - 1.0);
                if t < start {
                    level * (t as f32 + 1.0) / (start as f32 + 1.0) + w
                } else {
                    level + w
                }
            })
            .collect()
    }

    #[test]
    fn the_warm_up_is_found_and_left_out_of_the_moves() {
        let f = vec![unit(60, 8, 0.5, 0.001, 0), unit(60, 8, 0.42, 0.001, 1)];
        let g = vec![unit(60, 6, -0.2, 0.002, 2)];
        let a = GateActivity::of(&[&f], &[&g]);
        assert_eq!(a.days, 60);
        assert!((7..=9).contains(&a.warm_up), "warm-up {}", a.warm_up);
        // the moves after it: the wiggles, not the climb from zero
        assert!((a.reach - 0.002).abs() < 1e-5, "reach {}", a.reach);
        assert!((a.levels.0 - 0.42).abs() < 1e-3 && (a.levels.1 - 0.5).abs() < 1e-3, "{:?}", a.levels);
        assert!(a.sentence("LSTM").contains("barely uses"), "{}", a.sentence("LSTM"));
        // taking the warm-up in (the fault this guards against) would set the scale by the climb
        let all: Vec<f32> = f[0].iter().map(|v| (v - 0.5).abs()).collect();
        assert!(quantile(all, 0.95) > 10.0 * a.reach);
    }

    #[test]
    fn a_network_that_responds_is_told_apart() {
        let f = vec![unit(40, 3, 0.5, 0.2, 0)];
        let a = GateActivity::of(&[&f], &[]);
        assert!(a.reach > CLEARLY && a.sentence("GRU").contains("they respond to the days"), "{a:?}");
        let f = vec![unit(40, 3, 0.5, 0.02, 0)];
        assert!(GateActivity::of(&[&f], &[]).sentence("GRU").contains("a little"));
        // no climb at all: no warm-up
        assert_eq!(warm_up(&[&[unit(40, 0, 0.5, 0.01, 0)]]), 0);
        assert_eq!(reach_text(0.00213), "0.0021");
        assert_eq!(reach_text(0.21), "0.21");
    }
}
