//! Sliding windows: the `window` values before a target day are the input for that day.

use std::ops::Range;

/// Samples for the target rows `targets`: inputs flattened row-major as `[n, window]`
/// (`series[t - window..t]` for each target `t`) and the targets `series[t]`.
///
/// Panics if a target has fewer than `window` rows before it; [`crate::data::Split`] rules
/// that out for user data.
pub fn make_windows(series: &[f32], window: usize, targets: Range<usize>) -> (Vec<f32>, Vec<f32>) {
    assert!(
        targets.start >= window && targets.end <= series.len(),
        "window out of range"
    );
    let mut xs = Vec::with_capacity(targets.len() * window);
    let mut ys = Vec::with_capacity(targets.len());
    for t in targets {
        xs.extend_from_slice(&series[t - window..t]);
        ys.push(series[t]);
    }
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_gets_the_values_just_before_it() {
        let s: Vec<f32> = (0..10).map(|v| v as f32).collect();
        let (x, y) = make_windows(&s, 3, 3..10);
        assert_eq!(y.len(), 7);
        assert_eq!(x.len(), 21);
        assert_eq!(&x[..3], &[0.0, 1.0, 2.0]);
        assert_eq!(y[0], 3.0);
        assert_eq!(&x[18..], &[6.0, 7.0, 8.0]);
        assert_eq!(y[6], 9.0);
    }

    #[test]
    fn empty_target_range_gives_no_samples() {
        let s = [1.0_f32, 2.0];
        assert_eq!(make_windows(&s, 2, 2..2), (vec![], vec![]));
    }
}
