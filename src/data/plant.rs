//! Deliberate faults for the tests of the honesty checks (see [`Plant`]).

/// A deliberate fault, planted by the tests of the honesty checks to show that each check
/// catches it. Every run the CLI makes carries [`Plant::NONE`] (`LoadOptions::plant`, which no
/// flag or file sets); the faults sit in the shipped code paths they imitate (the loader, the
/// dataset, training, the bands' and the trading wiring), so the tests run the code users run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plant(Fault);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Fault {
    #[default]
    None,
    ScalerOnAllRows,
    WindowWithTarget,
    CentredFeature,
    TrainOnValidation,
    StopOnTest,
    CentredLoad,
    BandPeek,
    TradingLookAhead,
    TradingOnClose,
    PathPeek,
    CrossNextDay,
}

impl Plant {
    pub const NONE: Plant = Plant(Fault::None);

    /// Every planted leak that `--sanity` must catch, with a name for test messages.
    pub fn leaks() -> [(Plant, &'static str); 10] {
        [
            (Plant(Fault::ScalerOnAllRows), "scaler fitted on all rows"),
            (Plant(Fault::WindowWithTarget), "window that includes its own target day"),
            (Plant(Fault::CentredFeature), "feature over a centred window"),
            (Plant(Fault::TrainOnValidation), "validation rows used in training"),
            (Plant(Fault::StopOnTest), "early stopping on the test part"),
            (Plant::CENTRED_LOAD, "target averaged over a centred window while loading"),
            (Plant::BAND_PEEK, "adaptive band that sees a day early"),
            (Plant::TRADING_LOOK_AHEAD, "trading on the next day's forecast"),
            (Plant::TRADING_ON_CLOSE, "trading on the day's own close"),
            (Plant::PATH_PEEK, "a multi-day forecast fed the actual price"),
        ]
    }

    /// The loader replaces the target column by its centred three-day average (the day
    /// before, the day and the day after): a smoothing step that reads the future.
    pub const CENTRED_LOAD: Plant = Plant(Fault::CentredLoad);
    /// Adaptive bands use errors one day before they are known.
    pub const BAND_PEEK: Plant = Plant(Fault::BandPeek);
    /// The trading wiring decides each day's position on the forecast made for the day after
    /// (one day of look-ahead).
    pub const TRADING_LOOK_AHEAD: Plant = Plant(Fault::TradingLookAhead);

    /// The trading wiring moves each forecast by the day's own close-to-close move before the
    /// position is decided (a price-side look-ahead).
    pub const TRADING_ON_CLOSE: Plant = Plant(Fault::TradingOnClose);
    /// The multi-step wiring puts the actual price of the day after the target into each test
    /// forecast path's second step.
    pub const PATH_PEEK: Plant = Plant(Fault::PathPeek);
    /// A panel's cross-sectional target of each day is ranked against that day's and the next
    /// day's returns together (a standardisation that reads tomorrow).
    pub const CROSS_NEXT_DAY: Plant = Plant(Fault::CrossNextDay);

    /// Early stopping watches the test part instead of the validation part.
    pub fn stops_on_test(self) -> bool {
        self.0 == Fault::StopOnTest
    }

    /// The loader smooths the target over a centred window.
    pub fn centred_load(self) -> bool {
        self.0 == Fault::CentredLoad
    }

    /// Days the adaptive bands see early (0 unless planted).
    pub fn band_peek(self) -> usize {
        usize::from(self.0 == Fault::BandPeek)
    }

    /// Each day's position is decided on the next day's forecast.
    pub fn trades_ahead(self) -> bool {
        self.0 == Fault::TradingLookAhead
    }

    /// Each day's position reads the day's own close.
    pub fn trades_on_close(self) -> bool {
        self.0 == Fault::TradingOnClose
    }

    /// The second step of each test forecast path is the actual price.
    pub fn peeks_path(self) -> bool {
        self.0 == Fault::PathPeek
    }

    /// Each day's cross-sectional target also reads the next day's returns.
    pub fn cross_reads_next_day(self) -> bool {
        self.0 == Fault::CrossNextDay
    }

    /// The scalers are fitted on every row, not on the training rows.
    pub fn scales_on_all_rows(self) -> bool {
        self.0 == Fault::ScalerOnAllRows
    }

    /// The last input channel is averaged over the day before, the day and the day after.
    pub fn centred_feature(self) -> bool {
        self.0 == Fault::CentredFeature
    }

    /// Each window is shifted one row on, so that it holds its own target day.
    pub fn window_with_target(self) -> bool {
        self.0 == Fault::WindowWithTarget
    }

    /// The training windows run on through the validation rows.
    pub fn trains_on_validation(self) -> bool {
        self.0 == Fault::TrainOnValidation
    }
}

/// `forecast[i]` (of `prices[rows[i]]`) as the trading wiring hands it on, with a planted
/// trading fault applied: the next day's forecast ([`Plant::TRADING_LOOK_AHEAD`]) or the
/// forecast moved by the day's own close-to-close move ([`Plant::TRADING_ON_CLOSE`]).
pub fn traded_forecasts(plant: Plant, prices: &[f64], rows: &[usize], forecast: &[f64]) -> Vec<f64> {
    let mut f = forecast.to_vec();
    if plant.trades_ahead() {
        let n = f.len();
        f.copy_within(1..n, 0);
    }
    if plant.trades_on_close() {
        for (v, &t) in f.iter_mut().zip(rows) {
            *v *= prices[t] / prices[t - 1];
        }
    }
    f
}
