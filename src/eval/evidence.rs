//! What the split run's test said about a network, kept with a saved model so that `predict`
//! can say it beside a forecast from the refitted network that was never tested.

use serde::{Deserialize, Serialize};

use super::diagnostics::MoveKind;
use super::stats::diebold_mariano;
use super::Evaluation;

/// The split run's test, in the figures `predict` repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestEvidence {
    pub first_date: String,
    pub last_date: String,
    pub days: usize,
    /// `1 - RMSE / naive's RMSE`.
    pub skill: Option<f64>,
    /// Diebold-Mariano p against naive (one network, squared errors).
    pub dm_p: Option<f64>,
    pub moves: MoveKind,
    /// The tested network's predicted daily moves on its test days, as fractions of the day
    /// before's price: lowest and highest.
    pub move_range: (f64, f64),
    /// Share of test days on which it called a rise.
    pub up_calls: f64,
}

impl TestEvidence {
    pub fn of(e: &Evaluation) -> TestEvidence {
        let moves: Vec<f64> = e.predicted.iter().zip(&e.naive).map(|(f, p)| f / p - 1.0).collect();
        let err = |f: &[f64]| f.iter().zip(&e.actual).map(|(a, b)| a - b).collect::<Vec<f64>>();
        TestEvidence {
            first_date: e.dates[0].to_string(),
            last_date: e.dates[e.dates.len() - 1].to_string(),
            days: e.dates.len(),
            skill: e.skill,
            dm_p: diebold_mariano(&err(&e.predicted), &err(&e.naive), 1).map(|d| d.p_value),
            moves: e.moves.kind,
            move_range: (
                moves.iter().copied().fold(f64::INFINITY, f64::min),
                moves.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            up_calls: moves.iter().filter(|&&m| m > 0.0).count() as f64 / moves.len().max(1) as f64,
        }
    }

    /// One line: the test's verdict.
    pub fn sentence(&self, model: &str) -> String {
        let skill = self.skill.map_or("n/a".into(), |s| {
            if s.abs() < 0.0005 {
                "0.000".into()
            } else {
                format!("{s:+.3}")
            }
        });
        let verdict = match (self.skill, self.dm_p) {
            (Some(s), Some(p)) if p < 0.05 && s > 0.0 => "it beat tomorrow = today at 5%",
            (Some(_), Some(p)) if p < 0.05 => "it was WORSE than tomorrow = today at 5%",
            _ => "it did NOT beat tomorrow = today",
        };
        format!(
            "tested: the {model} trained on the split run's training part, on {} .. {} ({} days): skill vs naive {skill}{}; {verdict}; its moves: {}",
            self.first_date,
            self.last_date,
            self.days,
            self.dm_p.map_or(String::new(), |p| format!(" (DM p = {p:.2})")),
            self.moves.words()
        )
    }

    /// Cautions on a forecast `path` from the last price `last` of the refitted network: daily
    /// moves outside the tested network's range, or a direction the tested network never called.
    pub fn cautions(&self, last: f64, path: &[f64]) -> Vec<String> {
        let mut out = Vec::new();
        let steps: Vec<f64> = std::iter::once(last)
            .chain(path.iter().copied())
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| w[1] / w[0] - 1.0)
            .collect();
        let (lo, hi) = self.move_range;
        let outside: Vec<usize> = (0..steps.len()).filter(|&h| steps[h] < lo || steps[h] > hi).collect();
        if let Some(&h) = outside.first() {
            out.push(format!(
                "caution: the saved (refitted) network's forecast moves {:+.2}% on day {}, outside the range of the tested network's daily moves on its test days ({:+.2}% .. {:+.2}%), as do {} of its {} forecast days: the refit was never tested",
                100.0 * steps[h],
                h + 1,
                100.0 * lo,
                100.0 * hi,
                outside.len(),
                steps.len()
            ));
        }
        let first = steps.first().copied().unwrap_or(0.0);
        if (self.up_calls == 1.0 && first < 0.0) || (self.up_calls == 0.0 && first > 0.0) {
            out.push(format!(
                "caution: the tested network called a {} on every test day, and the saved (refitted) one forecasts a {} tomorrow: the two networks disagree on direction",
                if self.up_calls == 1.0 { "rise" } else { "fall" },
                if first > 0.0 { "rise" } else { "fall" }
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(range: (f64, f64), up_calls: f64) -> TestEvidence {
        TestEvidence {
            first_date: "2017-08-11".into(),
            last_date: "2018-05-11".into(),
            days: 189,
            skill: Some(-0.0001),
            dm_p: Some(0.58),
            moves: MoveKind::Lagging,
            move_range: range,
            up_calls,
        }
    }

    #[test]
    fn predict_is_told_what_the_test_found_and_when_the_refit_leaves_it() {
        let e = evidence((-0.0001, 0.0008), 1.0);
        let s = e.sentence("GRU");
        assert!(s.contains("skill vs naive 0.000 (DM p = 0.58); it did NOT beat tomorrow = today"), "{s}");
        assert!(s.contains("189 days") && s.contains("late"), "{s}");
        // inside the range, same direction: nothing to say
        assert!(e.cautions(100.0, &[100.05, 100.1]).is_empty());
        // +0.40% on day 1: outside the tested range
        let c = e.cautions(100.0, &[100.4, 100.45]);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(
            c[0].contains("+0.40% on day 1, outside the range")
                && c[0].contains("as do 1 of its 2 forecast days")
                && c[0].contains("-0.01% .. +0.08%"),
            "{c:?}"
        );
        // the tested network always called a rise; the refit calls a fall
        let c = e.cautions(100.0, &[99.995]);
        assert!(
            c.iter().any(|l| l.contains("called a rise on every test day") && l.contains("forecasts a fall")),
            "{c:?}"
        );
        let down = evidence((-0.002, -0.0001), 0.0);
        assert!(down.cautions(100.0, &[100.01])[1].contains("called a fall on every test day"));
    }
}
