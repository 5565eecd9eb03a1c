//! One forecast of a test period judged in price units: its errors beside naive's on the same
//! days, its skill, and what its predicted moves have to do with the actual ones.

use chrono::NaiveDate;

use super::diagnostics::{move_profile, MoveProfile};
use super::metrics::up_share;
use super::{naive_forecast, skill, Metrics};
use crate::data::PriceSeries;

/// Forecasts and scores on the test part, in price units.
pub struct Evaluation {
    pub dates: Vec<NaiveDate>,
    pub actual: Vec<f64>,
    pub predicted: Vec<f64>,
    pub naive: Vec<f64>,
    pub model: Metrics,
    pub baseline: Metrics,
    pub skill: Option<f64>,
    pub up_share: f64,
    /// The lag detector: what the predicted moves have to do with the actual ones.
    pub moves: MoveProfile,
}

impl Evaluation {
    /// Scores `predicted`, the forecasts of the rows `rows` of `series`, beside naive.
    pub fn new(series: &PriceSeries, rows: std::ops::Range<usize>, predicted: Vec<f64>) -> Self {
        let actual = series.values[rows.clone()].to_vec();
        let naive = naive_forecast(&series.values, rows.clone());
        let moves = move_profile(&predicted, &series.values, &rows.clone().collect::<Vec<_>>());
        let model = Metrics::compute(&predicted, &actual, &naive);
        let baseline = Metrics::compute(&naive, &actual, &naive);
        Evaluation {
            dates: series.dates[rows].to_vec(),
            skill: skill(model.rmse, baseline.rmse),
            up_share: up_share(&actual, &naive),
            moves,
            actual,
            predicted,
            naive,
            model,
            baseline,
        }
    }
}
