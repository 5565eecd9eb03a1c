//! Sliding windows: the `window` rows before a target day are the input for that day.

use std::ops::Range;

/// Samples for the target rows `targets` of a row-major `[rows, features]` matrix:
/// inputs flattened as `[n, window, features]` (rows `t - window..t` for each target `t`)
/// and targets flattened as `[n, horizon]`: `target[t..t + horizon]`, NaN past the end of
/// `target` (days not yet known; callers that train choose rows whose days are all known).
///
/// Panics if a target has fewer than `window` rows before it; [`crate::data::Split`] rules
/// that out for user data.
pub fn make_windows_multi(
    matrix: &[f32],
    features: usize,
    target: &[f32],
    window: usize,
    targets: Range<usize>,
    horizon: usize,
) -> (Vec<f32>, Vec<f32>) {
    assert!(targets.start >= window && targets.end <= target.len(), "window out of range");
    assert_eq!(matrix.len(), target.len() * features, "matrix shape");
    let mut xs = Vec::with_capacity(targets.len() * window * features);
    let mut ys = Vec::with_capacity(targets.len() * horizon);
    for t in targets {
        xs.extend_from_slice(&matrix[(t - window) * features..t * features]);
        ys.extend((t..t + horizon).map(|d| target.get(d).copied().unwrap_or(f32::NAN)));
    }
    (xs, ys)
}

/// [`make_windows_multi`] for one series that is both input and one-step target.
pub fn make_windows(series: &[f32], window: usize, targets: Range<usize>) -> (Vec<f32>, Vec<f32>) {
    make_windows_multi(series, 1, series, window, targets, 1)
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
    fn several_features_stay_together_per_day() {
        // rows: (0, 10), (1, 11), (2, 12), (3, 13)
        let m = [0.0, 10.0, 1.0, 11.0, 2.0, 12.0, 3.0, 13.0];
        let target = [100.0, 101.0, 102.0, 103.0];
        let (x, y) = make_windows_multi(&m, 2, &target, 2, 2..4, 1);
        assert_eq!(x, vec![0.0, 10.0, 1.0, 11.0, 1.0, 11.0, 2.0, 12.0]);
        assert_eq!(y, vec![102.0, 103.0]);
    }

    #[test]
    fn a_horizon_takes_the_next_days_as_targets() {
        let s: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let (x, y) = make_windows_multi(&s, 1, &s, 2, 2..6, 3);
        assert_eq!(x.len(), 4 * 2);
        // targets of rows 2, 3, 4, 5: three days each, unknown days past the end are NaN
        assert_eq!(&y[..6], &[2.0, 3.0, 4.0, 3.0, 4.0, 5.0]);
        assert_eq!(y[6..8], [4.0, 5.0]);
        assert!(y[8].is_nan() && y[10].is_nan() && y[11].is_nan());
        assert_eq!(y[9], 5.0);
    }

    #[test]
    fn empty_target_range_gives_no_samples() {
        let s = [1.0_f32, 2.0];
        assert_eq!(make_windows(&s, 2, 2..2), (vec![], vec![]));
    }
}
