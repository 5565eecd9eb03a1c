//! From a loaded series to model-ready windows: target transform, features, scalers fitted on
//! training rows only, and the windows of each part of the split. Plain vectors; the training
//! code turns them into tensors.

use std::ops::Range;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::features::Feature;
use super::plant::Plant;
use super::target::TargetKind;
use super::window::make_windows_multi;
use super::{MinMaxScaler, PriceSeries, Split};

/// What the model sees and predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub target: TargetKind,
    /// Extra input channels after the target series itself.
    pub features: Vec<Feature>,
    pub window: usize,
}

impl InputSpec {
    /// Leading rows with no value in some channel.
    pub fn offset(&self) -> usize {
        self.features.iter().map(|f| f.offset()).chain([self.target.offset()]).max().unwrap_or(0)
    }

    /// Rows a target day needs before it: the window plus the leading rows without a value.
    pub fn lookback(&self) -> usize {
        self.window + self.offset()
    }

    /// Input channels per day: the target series, then the features.
    pub fn channels(&self) -> usize {
        1 + self.features.len()
    }
}

/// Windows of one part: inputs `[n, window, channels]` flattened, scaled targets
/// `[n, horizon]` flattened (the target day and the `horizon - 1` days after it).
#[derive(Debug, Clone)]
pub struct Windows {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// The rows whose values are the targets.
    pub rows: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub spec: InputSpec,
    /// Days each sample's targets cover (1: next day only).
    pub horizon: usize,
    /// One per channel; `scalers[0]` scales the target series.
    pub scalers: Vec<MinMaxScaler>,
    /// The rows the scalers were fitted on (the training rows with a value in every channel).
    pub scaler_rows: Range<usize>,
    pub train: Windows,
    pub val: Windows,
    pub test: Windows,
    /// Every row's scaled channels, row-major `[rows, channels]` (0 where undefined).
    pub matrix: Vec<f32>,
}

/// The unscaled input channels of `series`: the target series, then each feature.
pub fn channels(series: &PriceSeries, spec: &InputSpec) -> Result<Vec<Vec<f64>>> {
    spec.target.check(series)?;
    let mut raw = vec![spec.target.transform(&series.values)];
    for f in &spec.features {
        raw.push(f.compute(series)?);
    }
    Ok(raw)
}

/// Scales each channel with its scaler and interleaves them row-major `[rows, channels]`.
pub fn scale_channels(raw: &[Vec<f64>], scalers: &[MinMaxScaler]) -> Vec<f32> {
    let n = raw[0].len();
    let c = raw.len();
    (0..n * c)
        .map(|i| {
            let v = raw[i % c][i / c];
            if v.is_finite() {
                scalers[i % c].transform(v) as f32
            } else {
                0.0
            }
        })
        .collect()
}

impl Dataset {
    /// Builds every channel, fits each scaler on the training rows only, and windows each part.
    ///
    /// With a `horizon` over 1, training and validation samples keep only the target days
    /// whose whole horizon lies inside their own part, so no validation price leaks into a
    /// training target; test samples keep every day (targets past the data are NaN).
    pub fn build(series: &PriceSeries, split: &Split, spec: &InputSpec, horizon: usize) -> Result<Self> {
        Self::build_planted(series, split, spec, horizon, Plant::NONE)
    }

    /// Every row trains: the final fit for forecasting, after a split run chose the epoch count.
    /// The scalers are fitted on all rows; the validation and test parts are empty.
    pub fn build_all(series: &PriceSeries, spec: &InputSpec, horizon: usize) -> Result<Self> {
        let len = series.len();
        Self::build_planted(series, &Split { train_end: len, val_end: len, len }, spec, horizon, Plant::NONE)
    }

    /// [`Dataset::build`] with `plant`: what every command runs, with [`Plant::NONE`] but in
    /// the leakage check's own tests.
    pub fn build_planted(
        series: &PriceSeries,
        split: &Split,
        spec: &InputSpec,
        horizon: usize,
        plant: Plant,
    ) -> Result<Self> {
        let mut raw = channels(series, spec)?;
        if plant.centred_feature() {
            // the last channel averaged over the day before, the day and the day after
            let last = raw.len() - 1;
            let c = raw[last].clone();
            raw[last] = (0..c.len())
                .map(|t| (c[t.saturating_sub(1)] + c[t] + c[(t + 1).min(c.len() - 1)]) / 3.0)
                .collect();
        }
        let offset = spec.offset();
        let fit_end = if plant.scales_on_all_rows() { series.len() } else { split.train_end };
        let scalers: Vec<MinMaxScaler> = raw.iter().map(|c| MinMaxScaler::fit(&c[offset..fit_end])).collect();
        let matrix = scale_channels(&raw, &scalers);
        let channels = spec.channels();
        let target: Vec<f32> = matrix.iter().step_by(channels).copied().collect();
        // the window of day t is rows t - window..t; shifted one row on, it holds day t itself
        let shift = if plant.window_with_target() { channels } else { 0 };
        let inputs: Vec<f32> =
            matrix[shift..].iter().copied().chain(std::iter::repeat_n(0.0, shift)).collect();
        let part = |rows: Range<usize>| {
            let (x, y) = make_windows_multi(&inputs, channels, &target, spec.window, rows.clone(), horizon);
            Windows { x, y, rows }
        };
        let inside = |rows: Range<usize>, name: &str| -> Result<Range<usize>> {
            let end = (rows.end + 1).saturating_sub(horizon);
            if end <= rows.start {
                crate::bail_input!(
                    "--horizon {horizon}: the {name} part has only {} target days, too few for a {horizon}-day horizon; use a smaller --horizon{}",
                    rows.len(),
                    if name == "validation" { " or a larger --val-frac" } else { " or a longer file" }
                );
            }
            Ok(rows.start..end)
        };
        let train_end = if plant.trains_on_validation() { split.val_end } else { split.train_end };
        let train_rows = inside(spec.lookback()..train_end, "training")?;
        let val_rows = if split.val_end > split.train_end {
            inside(split.val_targets(), "validation")?
        } else {
            split.val_targets()
        };
        Ok(Dataset {
            spec: spec.clone(),
            horizon,
            train: part(train_rows),
            val: part(val_rows),
            test: part(split.test_targets()),
            scalers,
            scaler_rows: offset..fit_end,
            matrix,
        })
    }

    /// Prices implied by scaled one-step forecasts for `rows`, using each previous day's
    /// actual price. `scaled` holds `horizon` values per row; the first of each is used.
    pub fn to_prices(&self, prices: &[f64], rows: Range<usize>, scaled: &[f32]) -> Vec<f64> {
        rows.zip(scaled.iter().step_by(self.horizon))
            .map(|(t, &p)| self.spec.target.to_price(self.scalers[0].inverse(p as f64), prices[t - 1]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{parse_prices, LoadOptions};

    fn series(n: usize) -> PriceSeries {
        let opts = LoadOptions { columns: vec![crate::data::RawColumn::Close], ..Default::default() };
        let text: String = std::iter::once("Date,Close\n".to_string())
            .chain(
                (0..n)
                    .map(|i| format!("2020-01-{:02},{}\n", i + 1, 100.0 + i as f64 * (1.0 + (i % 3) as f64))),
            )
            .collect();
        parse_prices(text.as_bytes(), "d.csv", &opts).unwrap()
    }

    #[test]
    fn returns_start_one_row_later_and_map_back_to_prices() {
        let s = series(30);
        let spec = InputSpec { target: TargetKind::Return, features: vec![Feature::LogReturn], window: 4 };
        let split = Split::new(s.len(), 0.2, 0.2, spec.window, spec.offset(), "d").unwrap();
        let d = Dataset::build(&s, &split, &spec, 1).unwrap();
        assert_eq!(d.train.rows, 5..split.train_end);
        assert_eq!(d.train.x.len(), d.train.rows.len() * 4 * 2);
        // scalers are fitted on the training rows only (from the first row with a value)
        let r = TargetKind::Return.transform(&s.values);
        assert_eq!(d.scalers[0], MinMaxScaler::fit(&r[1..split.train_end]));
        assert!(d.train.y.iter().all(|&v| (-1e-6..=1.0 + 1e-6).contains(&v)));
        // feeding the true scaled targets back gives the true prices
        let back = d.to_prices(&s.values, d.test.rows.clone(), &d.test.y);
        for (t, p) in d.test.rows.clone().zip(back) {
            assert!((p - s.values[t]).abs() < 1e-3, "row {t}: {p} vs {}", s.values[t]);
        }
    }

    #[test]
    fn horizon_targets_stay_inside_their_part() {
        let s = series(31);
        let spec = InputSpec { target: TargetKind::Price, features: vec![], window: 4 };
        let split = Split::new(s.len(), 0.3, 0.2, spec.window, spec.offset(), "d").unwrap();
        let one = Dataset::build(&s, &split, &spec, 1).unwrap();
        let d = Dataset::build(&s, &split, &spec, 3).unwrap();
        assert_eq!(d.train.rows, 4..split.train_end - 2);
        assert_eq!(d.val.rows, split.train_end..split.val_end - 2);
        assert_eq!(d.test.rows, one.test.rows);
        // each sample's targets are its day and the two after it, all inside the part
        let t = |r: usize| one.matrix[r];
        for (k, r) in d.val.rows.clone().enumerate() {
            assert_eq!(&d.val.y[k * 3..k * 3 + 3], &[t(r), t(r + 1), t(r + 2)]);
            assert!(r + 2 < split.val_end);
        }
        let last = d.train.rows.end - 1;
        assert_eq!(d.train.y[d.train.y.len() - 1], t(last + 2));
        assert!(last + 2 < split.train_end);
        // the last test day's later targets are unknown
        assert!(d.test.y[d.test.y.len() - 1].is_nan());
        // the one-step price of each test row is the first of its targets
        assert_eq!(
            d.to_prices(&s.values, d.test.rows.clone(), &d.test.y),
            one.to_prices(&s.values, one.test.rows.clone(), &one.test.y)
        );
        let e = format!("{:#}", Dataset::build(&s, &split, &spec, 20).unwrap_err());
        assert!(e.contains("--horizon 20") && e.contains("training part has only"), "{e}");
    }

    #[test]
    fn the_final_fit_trains_on_every_row() {
        let s = series(30);
        let spec = InputSpec { target: TargetKind::Return, features: vec![], window: 4 };
        let d = Dataset::build_all(&s, &spec, 2).unwrap();
        // every target day whose two-day horizon is known, to the last row
        assert_eq!(d.train.rows, 5..29);
        assert_eq!(d.train.y[d.train.y.len() - 1], d.matrix[29]);
        assert!(d.val.x.is_empty() && d.test.y.is_empty());
        // the scaler is fitted on every row
        let r = TargetKind::Return.transform(&s.values);
        assert_eq!(d.scalers[0], MinMaxScaler::fit(&r[1..30]));
    }
}
