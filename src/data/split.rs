//! Chronological train / validation / test split, and the walk-forward folds of `compare`.
//!
//! Rows are never shuffled across the split: the model is trained on the past, early-stopped
//! on the near future and judged on the far future. A sample belongs to the part that holds
//! its *target* day; its input window may reach back into the previous part, whose prices
//! are known on the day the forecast is made.

use std::ops::Range;

use anyhow::Result;

use crate::bail_input;

/// Row boundaries: train `0..train_end`, validation `train_end..val_end`, test `val_end..len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Split {
    pub train_end: usize,
    pub val_end: usize,
    pub len: usize,
}

impl Split {
    /// Splits `len` rows with the given validation and test fractions (train gets the rest),
    /// checking that every part has at least one target day after the first `window + offset`
    /// rows (`offset`: leading rows without a value, such as the first row's return).
    pub fn new(
        len: usize,
        val_frac: f64,
        test_frac: f64,
        window: usize,
        offset: usize,
        source: &str,
    ) -> Result<Self> {
        let lookback = window + offset;
        let train_frac = 1.0 - val_frac - test_frac;
        let train_end = (train_frac * len as f64).floor() as usize;
        let val_end = ((train_frac + val_frac) * len as f64).floor() as usize;
        let split = Split { train_end, val_end, len };
        if train_end <= lookback || val_end <= train_end || len <= val_end {
            // the smallest longer length that leaves each part at least one target day; the
            // training part needs more than `lookback` rows and holds at most `train_frac * n`,
            // so the search starts no lower than `lookback / train_frac` (a huge --window is
            // answered at once), and it gives up after ten million lengths (a tiny share can need
            // that many)
            let from = ((lookback as f64 / train_frac).min(1e18) as usize).max(len + 1);
            let need = (from..from.saturating_add(10_000_000))
                .map(|n| (n, Self::new_unchecked(n, train_frac, val_frac)))
                .find(|(_, s)| s.train_end > lookback && s.val_end > s.train_end && s.len > s.val_end)
                .map_or_else(
                    || format!("more than {}", from.saturating_add(10_000_000)),
                    |(n, _)| format!("at least {n}"),
                );
            bail_input!(
                "{source}: {len} usable rows are too few for --window {window} with a {:.0}/{:.0}/{:.0} train/validation/test split: need {need} rows; use a longer file or a smaller --window",
                train_frac * 100.0,
                val_frac * 100.0,
                test_frac * 100.0
            );
        }
        Ok(split)
    }

    /// The boundaries [`Split::new`] draws for `len` rows, unchecked (walk-forward folds start
    /// from them, so that one fold is exactly `stock`'s split).
    pub fn boundaries(len: usize, val_frac: f64, test_frac: f64) -> Self {
        Self::new_unchecked(len, 1.0 - val_frac - test_frac, val_frac)
    }

    fn new_unchecked(len: usize, train_frac: f64, val_frac: f64) -> Self {
        Split {
            train_end: (train_frac * len as f64).floor() as usize,
            val_end: ((train_frac + val_frac) * len as f64).floor() as usize,
            len,
        }
    }

    /// Target rows of the training samples (the first `window` rows only serve as inputs).
    pub fn train_targets(&self, window: usize) -> Range<usize> {
        window..self.train_end
    }

    pub fn val_targets(&self) -> Range<usize> {
        self.train_end..self.val_end
    }

    pub fn test_targets(&self) -> Range<usize> {
        self.val_end..self.len
    }
}

/// One walk-forward fold: train `..train_end`, validation `train_end..val_end`, test
/// `val_end..test_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fold {
    pub train_end: usize,
    pub val_end: usize,
    pub test_end: usize,
}

/// Cuts the test part of `stock`'s split of `n` rows into `k` blocks; each fold validates on
/// as many rows as `stock` does, just before its block, and trains on everything earlier. With
/// `k = 1` the fold is exactly `stock`'s split.
pub fn plan_folds(
    n: usize,
    val_frac: f64,
    test_frac: f64,
    k: usize,
    lookback: usize,
    source: &str,
) -> Result<Vec<Fold>> {
    let whole = Split::boundaries(n, val_frac, test_frac);
    let test_total = n - whole.val_end;
    let n_val = whole.val_end - whole.train_end;
    if k == 0 || test_total < k || n_val == 0 {
        bail_input!("{source}: {n} rows give {test_total} test rows and {n_val} validation rows: too few for --folds {k}; use fewer folds or a larger --test-frac");
    }
    let block = test_total / k;
    let folds: Vec<Fold> = (0..k)
        .map(|i| {
            let start = n - test_total + i * block;
            let end = if i + 1 == k { n } else { start + block };
            Fold { train_end: start - n_val, val_end: start, test_end: end }
        })
        .collect();
    if folds[0].train_end <= lookback {
        bail_input!("{source}: the first fold would train on {} rows, not more than the {lookback}-row window; use fewer --folds, a smaller --test-frac or --window", folds[0].train_end);
    }
    Ok(folds)
}

impl Fold {
    /// First replaced row of the leakage check's copy cut in mid-test.
    pub fn test_cutoff(&self) -> usize {
        self.val_end + (self.test_end - self.val_end) / 2
    }

    /// First replaced row of the leakage check's copy cut in mid-validation.
    pub fn validation_cutoff(&self) -> usize {
        self.train_end + (self.val_end - self.train_end) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_ordered_and_cover_every_row() {
        let s = Split::new(1260, 0.15, 0.15, 60, 0, "x").unwrap();
        assert_eq!((s.train_end, s.val_end, s.len), (882, 1071, 1260));
        assert_eq!(s.train_targets(60), 60..882);
        assert_eq!(s.val_targets().end, s.test_targets().start);
    }

    #[test]
    fn too_few_rows_say_how_many_are_needed() {
        let e = format!("{:#}", Split::new(70, 0.15, 0.15, 60, 0, "x.csv").unwrap_err());
        assert!(e.contains("x.csv: 70 usable rows are too few for --window 60"), "{e}");
        assert!(e.contains("need at least 88 rows"), "{e}");
        // and that length really is enough
        assert!(Split::new(88, 0.15, 0.15, 60, 0, "x").is_ok());
        assert!(Split::new(87, 0.15, 0.15, 60, 0, "x").is_err());
        assert!(Split::new(88, 0.15, 0.15, 60, 1, "x").is_err(), "a return needs one row more");
    }

    #[test]
    fn a_huge_window_or_a_tiny_share_is_answered_at_once() {
        // the rows needed, found without trying every length below them, and really the least
        for (len, val_frac, window) in [(1260, 0.15, 1_000_000_000), (101, 1e-7, 5)] {
            let e = format!("{:#}", Split::new(len, val_frac, 0.15, window, 0, "x").unwrap_err());
            let need: usize =
                e.split("need at least ").nth(1).and_then(|t| t.split(' ').next()).unwrap().parse().unwrap();
            assert!(need > len, "{e}");
            assert!(Split::new(need, val_frac, 0.15, window, 0, "x").is_ok(), "{e}");
            assert!(Split::new(need - 1, val_frac, 0.15, window, 0, "x").is_err(), "{e}");
        }
    }

    #[test]
    fn folds_walk_forward_without_overlap() {
        let f = plan_folds(1000, 0.15, 0.2, 4, 60, "x").unwrap();
        assert_eq!(f.len(), 4);
        let whole = Split::new(1000, 0.15, 0.2, 60, 0, "x").unwrap();
        let block = (1000 - whole.val_end) / 4;
        assert_eq!(
            f[0],
            Fold { train_end: whole.train_end, val_end: whole.val_end, test_end: whole.val_end + block }
        );
        for w in f.windows(2) {
            assert_eq!(w[0].test_end, w[1].val_end, "test blocks are consecutive");
            assert!(w[1].train_end > w[0].train_end, "training grows");
        }
        assert_eq!(f[3].test_end, 1000);
        // one fold is stock's split, to the row (AAPL's and MSFT's lengths included)
        for n in [1000, 1259, 7983, 7984] {
            let s = Split::new(n, 0.15, 0.15, 60, 1, "x").unwrap();
            assert_eq!(
                plan_folds(n, 0.15, 0.15, 1, 61, "x").unwrap(),
                vec![Fold { train_end: s.train_end, val_end: s.val_end, test_end: n }],
                "{n} rows"
            );
        }
        assert!(plan_folds(100, 0.15, 0.15, 20, 60, "x").is_err());
        assert!(plan_folds(100, 0.15, 0.5, 2, 60, "x").is_err());
    }
}
