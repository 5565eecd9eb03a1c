//! Tick choice: whole numbers on counting axes (epochs, steps, folds), and log axes whose
//! labelled ticks reach past the data at both ends, so that every value can be read off.

/// How many ticks a counting axis from `x0` to `x1` asks for: one per whole number up to 12.
pub fn counting_ticks(x0: f64, x1: f64) -> usize {
    ((x1 - x0).round().max(0.0) as usize + 1).min(12)
}

/// A counting axis's tick label: the whole number, or nothing for a tick between two.
pub fn whole_label(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{:.0}", x.round() + 0.0)
    } else {
        String::new()
    }
}

/// Mantissas of the tick sequences tried, coarsest first.
const SEQUENCES: [&[f64]; 4] = [
    &[1.0],
    &[1.0, 2.0, 5.0],
    &[1.0, 2.0, 3.0, 5.0, 7.0],
    &[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
];

/// Ticks of a log axis over the positive values `lo..=hi`: the coarsest of 1, 1-2-5, 1-2-3-5-7
/// and 1..9 per decade that gives at least four ticks (the finest, when none does: a range
/// inside one step keeps its two ends), running from the last tick at or below `lo` to the
/// first at or above `hi`. The axis is drawn over exactly that span, so the lowest and highest
/// values sit between two labelled ticks.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if lo > 0.0 && hi >= lo && hi.is_finite() { (lo, hi) } else { (1e-3, 1.0) };
    // a flat curve still gets an axis around it
    let (lo, hi) = if hi < lo * 1.01 { (lo / 1.2, hi * 1.2) } else { (lo, hi) };
    let (k0, k1) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
    let mut best = Vec::new();
    for seq in SEQUENCES {
        let all: Vec<f64> =
            (k0..=k1).flat_map(|k| seq.iter().map(move |m| tidy(m * 10f64.powi(k), k))).collect();
        let start = all.iter().rposition(|&t| t <= lo * (1.0 + 1e-12)).unwrap_or(0);
        let end = all.iter().position(|&t| t >= hi * (1.0 - 1e-12)).unwrap_or(all.len() - 1);
        best = all[start..=end].to_vec();
        if best.len() >= 4 {
            break;
        }
    }
    best
}

/// `v` rounded to the digits its decade `k` needs, so that 3 * 0.1 is 0.3.
fn tidy(v: f64, k: i32) -> f64 {
    let digits = (2 - k).clamp(0, 300);
    format!("{v:.*}", digits as usize).parse().unwrap_or(v)
}

/// A log-axis tick label: plain decimals from 0.001 to 99,999, otherwise `2e-5`.
pub fn log_label(v: f64) -> String {
    if (1e-3..1e5).contains(&v) {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_axes_get_whole_ticks() {
        assert_eq!(counting_ticks(1.0, 10.0), 10);
        assert_eq!(counting_ticks(1.0, 100.0), 12);
        assert_eq!(counting_ticks(3.0, 3.0), 1);
        assert_eq!(whole_label(5.0), "5");
        assert_eq!(whole_label(2.5), "");
        assert_eq!(whole_label(-0.0), "0");
    }

    /// The fault this guards against: a validation curve below the lowest labelled tick. For
    /// ranges within a decade, across decades and across many, the ticks cover the values.
    #[test]
    fn log_ticks_reach_past_the_data() {
        for (lo, hi) in
            [(0.00123, 0.0456), (0.0021, 0.0029), (3.1e-5, 0.9), (1e-9, 10.0), (0.5, 0.5), (2.0, 2000.0)]
        {
            let t = log_ticks(lo, hi);
            assert!(t.len() >= 2, "{lo}..{hi}: {t:?}");
            assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{lo}..{hi}: {t:?}");
            assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
        }
        // within a decade: a finer sequence, at least four labels
        let t = log_ticks(0.0021, 0.0029);
        assert!(t.len() >= 2 && t[0] >= 0.002 && *t.last().unwrap() <= 0.003, "{t:?}");
        assert_eq!(log_ticks(0.012, 0.9), vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
        assert_eq!(log_ticks(3e-5, 0.9), vec![1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0]);
    }

    #[test]
    fn log_labels_are_short() {
        assert_eq!(log_label(0.02), "0.02");
        assert_eq!(log_label(1.0), "1");
        assert_eq!(log_label(0.0015), "0.0015");
        assert_eq!(log_label(2e-5), "2e-5");
    }
}
