//! Input features beyond the target series: raw columns and a few derived ones.
//!
//! Every feature is computed per row from that row and the one before it (never from later
//! rows), and scaled like the target with a scaler fitted on training rows only.

use std::str::FromStr;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::load::RawColumn;
use super::PriceSeries;
use crate::bail_input;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Open,
    High,
    Low,
    Close,
    AdjClose,
    Volume,
    /// `ln(close[t] / close[t-1])`.
    LogReturn,
    /// `(high - low) / close`: the day's range relative to its price.
    HlRange,
    /// `ln(1 + volume)`: volume spans orders of magnitude.
    LogVolume,
}

pub const FEATURE_NAMES: &str = "open, high, low, close, adj_close, volume, log_return, hl_range, log_volume";

impl FromStr for Feature {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "open" => Feature::Open,
            "high" => Feature::High,
            "low" => Feature::Low,
            "close" => Feature::Close,
            "adj_close" | "adjclose" => Feature::AdjClose,
            "volume" => Feature::Volume,
            "log_return" => Feature::LogReturn,
            "hl_range" => Feature::HlRange,
            "log_volume" => Feature::LogVolume,
            other => return Err(format!("unknown feature \"{other}\"; choose from {FEATURE_NAMES}")),
        })
    }
}

impl Feature {
    /// The name users write in `--features`.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Open => "open",
            Feature::High => "high",
            Feature::Low => "low",
            Feature::Close => "close",
            Feature::AdjClose => "adj_close",
            Feature::Volume => "volume",
            Feature::LogReturn => "log_return",
            Feature::HlRange => "hl_range",
            Feature::LogVolume => "log_volume",
        }
    }

    /// Raw columns this feature is computed from.
    pub fn needs(self) -> &'static [RawColumn] {
        match self {
            Feature::Open => &[RawColumn::Open],
            Feature::High => &[RawColumn::High],
            Feature::Low => &[RawColumn::Low],
            Feature::Close | Feature::LogReturn => &[RawColumn::Close],
            Feature::AdjClose => &[RawColumn::AdjClose],
            Feature::Volume | Feature::LogVolume => &[RawColumn::Volume],
            Feature::HlRange => &[RawColumn::High, RawColumn::Low, RawColumn::Close],
        }
    }

    /// Leading rows without a value.
    pub fn offset(self) -> usize {
        usize::from(self == Feature::LogReturn)
    }

    /// The feature per row of `s` (NaN for the first `offset()` rows). `s` must have been
    /// loaded with the columns of [`Feature::needs`].
    pub fn compute(self, s: &PriceSeries) -> Result<Vec<f64>> {
        let col = |c: RawColumn| s.column(c).expect("feature column loaded");
        let positive = |c: RawColumn, what: &str| -> Result<&[f64]> {
            let v = col(c);
            if let Some(i) = v.iter().position(|&x| x <= 0.0) {
                bail_input!(
                    "{}:{}: {what} {} is not positive; drop feature {self:?} or fix the row",
                    s.source,
                    s.lines[i],
                    v[i]
                );
            }
            Ok(v)
        };
        Ok(match self {
            Feature::Open
            | Feature::High
            | Feature::Low
            | Feature::Close
            | Feature::AdjClose
            | Feature::Volume => col(self.needs()[0]).to_vec(),
            Feature::LogReturn => {
                let c = positive(RawColumn::Close, "close")?;
                (0..c.len()).map(|t| if t == 0 { f64::NAN } else { (c[t] / c[t - 1]).ln() }).collect()
            }
            Feature::HlRange => {
                let (h, l, c) =
                    (col(RawColumn::High), col(RawColumn::Low), positive(RawColumn::Close, "close")?);
                (0..c.len()).map(|t| (h[t] - l[t]) / c[t]).collect()
            }
            Feature::LogVolume => col(RawColumn::Volume).iter().map(|v| v.max(0.0).ln_1p()).collect(),
        })
    }
}

/// Parses `--features open,volume,log_return` (empty: no extra features).
pub fn parse_list(s: &str) -> Result<Vec<Feature>> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let f: Feature =
            part.parse().map_err(|e: String| crate::error::input_error(format!("--features: {e}")))?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// All raw columns that `features` need, without repeats.
/// `volume, hl_range`: features as users write them, comma-separated (empty for none).
pub fn names(features: &[Feature]) -> String {
    features.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

pub fn raw_columns(features: &[Feature]) -> Vec<RawColumn> {
    let mut cols = Vec::new();
    for c in features.iter().flat_map(|f| f.needs()) {
        if !cols.contains(c) {
            cols.push(*c);
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{parse_prices, LoadOptions};

    #[test]
    fn derived_features_by_hand() {
        let feats = parse_list("log_return, hl_range,log-volume,hl_range").unwrap();
        assert_eq!(feats, vec![Feature::LogReturn, Feature::HlRange, Feature::LogVolume]);
        let opts = LoadOptions { columns: raw_columns(&feats), ..Default::default() };
        let s = parse_prices(
            b"Date,High,Low,Close,Volume\n2020-01-02,11,9,10,0\n2020-01-03,12,10,11,99\n",
            "f.csv",
            &opts,
        )
        .unwrap();
        let lr = Feature::LogReturn.compute(&s).unwrap();
        assert!(lr[0].is_nan() && (lr[1] - (11.0f64 / 10.0).ln()).abs() < 1e-12);
        assert_eq!(Feature::HlRange.compute(&s).unwrap(), vec![0.2, 2.0 / 11.0]);
        assert_eq!(Feature::LogVolume.compute(&s).unwrap(), vec![0.0, 100f64.ln()]);
        assert!(format!("{:#}", parse_list("close,foo").unwrap_err()).contains("unknown feature \"foo\""));
        // every name reads back as its feature
        let all = parse_list(FEATURE_NAMES).unwrap();
        assert_eq!(all.len(), 9);
        assert_eq!(parse_list(&names(&all)).unwrap(), all);
        assert_eq!(names(&feats), "log_return, hl_range, log_volume");
    }
}
