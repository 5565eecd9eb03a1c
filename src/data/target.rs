//! What the network learns to predict: the price itself, or the day's return.
//!
//! Whatever the model learns, forecasts are turned back into prices (using the previous day's
//! actual price, known when the forecast is made) before any metric, table or picture.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::PriceSeries;
use crate::bail_input;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// The price, min-max scaled.
    Price,
    /// `p[t] / p[t-1] - 1`.
    Return,
    /// `ln(p[t] / p[t-1])`.
    LogReturn,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Price => "price",
            TargetKind::Return => "return",
            TargetKind::LogReturn => "log-return",
        }
    }

    /// Leading rows without a value (a return needs the previous day).
    pub fn offset(self) -> usize {
        match self {
            TargetKind::Price => 0,
            _ => 1,
        }
    }

    /// The series the model learns, aligned with `prices`; NaN for the first `offset()` rows.
    pub fn transform(self, prices: &[f64]) -> Vec<f64> {
        (0..prices.len())
            .map(|t| match self {
                TargetKind::Price => prices[t],
                _ if t == 0 => f64::NAN,
                TargetKind::Return => prices[t] / prices[t - 1] - 1.0,
                TargetKind::LogReturn => (prices[t] / prices[t - 1]).ln(),
            })
            .collect()
    }

    /// The price implied by a forecast `y` of this kind, given yesterday's actual price.
    pub fn to_price(self, y: f64, prev: f64) -> f64 {
        match self {
            TargetKind::Price => y,
            TargetKind::Return => prev * (1.0 + y),
            TargetKind::LogReturn => prev * y.exp(),
        }
    }

    /// Returns need strictly positive prices; names the first line that has none.
    pub fn check(self, s: &PriceSeries) -> Result<()> {
        if self == TargetKind::Price {
            return Ok(());
        }
        if let Some(i) = s.values.iter().position(|&p| p <= 0.0) {
            bail_input!(
                "{}:{}: column \"{}\": price {} is not positive, so --target {} is undefined; use --target price or fix the row",
                s.source,
                s.lines[i],
                s.target_col,
                s.values[i],
                self.name()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_round_trip_to_prices() {
        let p = [100.0, 110.0, 99.0];
        for kind in [TargetKind::Price, TargetKind::Return, TargetKind::LogReturn] {
            let y = kind.transform(&p);
            assert_eq!(y.len(), 3);
            for t in kind.offset().max(1)..3 {
                assert!((kind.to_price(y[t], p[t - 1]) - p[t]).abs() < 1e-9, "{kind:?} t={t}");
            }
        }
        let r = TargetKind::Return.transform(&p);
        assert!(r[0].is_nan());
        assert!((r[1] - 0.1).abs() < 1e-12 && (r[2] + 0.1).abs() < 1e-12);
        // a zero return forecast is the naive forecast
        assert_eq!(TargetKind::LogReturn.to_price(0.0, 42.0), 42.0);
        assert_eq!(TargetKind::Return.to_price(0.0, 42.0), 42.0);
    }
}
