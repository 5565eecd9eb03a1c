//! One-day round trips in a price series: a close far from the day before that the next day
//! takes back, the mark of a bad print rather than a move (a split or a real move stays). The
//! loader refuses only jumps of [`super::load::MAX_DAILY_RATIO`]; these pass it, and a one-day
//! reversal or any forecast scored on that day is flattered or punished by a price that was
//! never traded, so the panel names them.

/// A close that the next day takes back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Spike {
    /// Its row in the series.
    pub row: usize,
    pub before: f64,
    pub value: f64,
    pub after: f64,
}

/// The smallest one-day move that counts: 20%.
const MOVE: f64 = 0.2;

/// Every row of `values` that moves at least [`MOVE`] from the day before while the day after
/// comes back to within a quarter of that move of the day before.
pub fn round_trips(values: &[f64]) -> Vec<Spike> {
    values
        .windows(3)
        .enumerate()
        .filter_map(|(i, w)| {
            let (before, value, after) = (w[0], w[1], w[2]);
            let out = value / before - 1.0;
            let left = after / before - 1.0;
            (out.abs() >= MOVE && left.abs() <= 0.25 * out.abs()).then_some(Spike {
                row: i + 1,
                before,
                value,
                after,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dataset's own bad print (NWL, 2017-09-13..15: 44.22, 30.81, 43.20) is found; a
    /// split-like drop that stays, a large move half taken back, and ordinary days are not.
    #[test]
    fn a_price_the_next_day_takes_back_is_named_and_a_move_that_stays_is_not() {
        let s = round_trips(&[44.0, 44.22, 30.81, 43.2, 43.5]);
        assert_eq!(s, vec![Spike { row: 2, before: 44.22, value: 30.81, after: 43.2 }]);
        assert!(round_trips(&[100.0, 101.0, 50.5, 51.0, 50.0]).is_empty(), "a 2:1 split stays");
        assert!(round_trips(&[100.0, 130.0, 115.0]).is_empty(), "half taken back: a move");
        assert!(round_trips(&[100.0, 101.0, 99.5, 100.2]).is_empty());
        assert!(round_trips(&[100.0, 80.0]).is_empty(), "no day after to tell");
    }
}
