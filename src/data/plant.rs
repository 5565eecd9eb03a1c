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
}

impl Plant {
    pub const NONE: Plant = Plant(Fault::None);

    /// Every planted leak that `--sanity` must catch, with a name for test messages.
    pub fn leaks() -> [(Plant, &'static str); 8] {
        [
            (Plant(Fault::ScalerOnAllRows), "scaler fitted on all rows"),
            (Plant(Fault::WindowWithTarget), "window that includes its own target day"),
            (Plant(Fault::CentredFeature), "feature over a centred window"),
            (Plant(Fault::TrainOnValidation), "validation rows used in training"),
            (Plant(Fault::StopOnTest), "early stopping on the test part"),
            (Plant::CENTRED_LOAD, "target averaged over a centred window while loading"),
            (Plant::BAND_PEEK, "adaptive band that sees a day early"),
            (Plant::TRADING_LOOK_AHEAD, "trading on the next day's forecast"),
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
