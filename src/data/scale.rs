//! Min-max scaling, fitted on the training rows only.
//!
//! Fitting on the whole series would leak the test period's range into training; prices in
//! the test period may therefore scale outside [0, 1], and that is expected.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    pub min: f64,
    pub max: f64,
}

impl MinMaxScaler {
    /// Fits on `train` (the training rows). An empty slice gives the identity scaler.
    pub fn fit(train: &[f64]) -> Self {
        let (min, max) =
            train.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if train.is_empty() {
            return MinMaxScaler { min: 0.0, max: 1.0 };
        }
        MinMaxScaler { min, max }
    }

    /// The range used for division; a constant training series scales by 1 (a plain shift)
    /// instead of dividing by zero.
    fn span(&self) -> f64 {
        let span = self.max - self.min;
        if span > 0.0 {
            span
        } else {
            1.0
        }
    }

    pub fn transform(&self, v: f64) -> f64 {
        (v - self.min) / self.span()
    }

    pub fn inverse(&self, s: f64) -> f64 {
        s * self.span() + self.min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_on_given_rows_only() {
        let series = [10.0, 20.0, 15.0, 40.0];
        let sc = MinMaxScaler::fit(&series[..3]); // the test row 40.0 must not widen the range
        assert_eq!((sc.min, sc.max), (10.0, 20.0));
        assert_eq!(sc.transform(40.0), 3.0);
        assert_eq!(sc.transform(15.0), 0.5);
        for v in series {
            assert!((sc.inverse(sc.transform(v)) - v).abs() < 1e-12);
        }
    }

    #[test]
    fn constant_series_does_not_divide_by_zero() {
        let sc = MinMaxScaler::fit(&[5.0, 5.0]);
        assert_eq!(sc.transform(6.0), 1.0);
        assert_eq!(sc.inverse(1.0), 6.0);
        assert_eq!(MinMaxScaler::fit(&[]), MinMaxScaler { min: 0.0, max: 1.0 });
    }
}
