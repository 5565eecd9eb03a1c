//! The band a saved model carries, checked around a refitted network (see [`RefitBand`]);
//! `pipeline::refit_band` measures it.

use serde::{Deserialize, Serialize};

use super::bands::Method;

/// The band a saved model carries, checked around the network it is saved with, one period
/// back: the split network's band as it stood at the end of the validation part (sized from
/// its validation errors, then held fixed, as `predict` holds it) is scored on the test days
/// around the split network's forecasts and around those of a network refitted on training +
/// validation for the epochs validation chose (what the final fit does with every row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefitBand {
    pub method: Method,
    pub level: f64,
    /// Epochs of the refit (one per fold when pooled), and the test days' first and last date.
    pub epochs: Vec<usize>,
    pub first_date: String,
    pub last_date: String,
    pub steps: Vec<RefitStep>,
}

/// One forecast step of [`RefitBand`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RefitStep {
    pub step: usize,
    pub days: usize,
    /// Coverage of the band around the split network's forecasts, and around the refit's.
    pub split: f64,
    pub refit: f64,
}

/// Points of coverage between the two networks beyond which `predict` warns.
pub const REFIT_BAND_GAP: f64 = 0.03;

impl RefitBand {
    /// The steps where the refit's coverage is more than [`REFIT_BAND_GAP`] from the split's.
    pub fn gaps(&self) -> Vec<RefitStep> {
        self.steps.iter().copied().filter(|s| (s.refit - s.split).abs() > REFIT_BAND_GAP).collect()
    }

    /// One sentence.
    pub fn sentence(&self) -> String {
        let cells: Vec<String> = self
            .steps
            .iter()
            .filter(|s| [1, 5, 10].contains(&s.step))
            .map(|s| format!("step {} {:.1}% vs {:.1}%", s.step, 100.0 * s.split, 100.0 * s.refit))
            .collect();
        format!(
            "the saved band, checked one period back ({} {:.0}%, sized on the validation days and held fixed over {} .. {}): coverage around the split network vs a network refitted on training + validation for {} epochs: {}{}",
            self.method.name(),
            100.0 * self.level,
            self.first_date,
            self.last_date,
            self.epochs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "),
            cells.join(", "),
            match self.gaps().len() {
                0 => "; within 3 points, so the band carries over to the refit".to_string(),
                _ => "; MORE than 3 points apart: the refitted network's errors are not the size the band was sized for".to_string(),
            }
        )
    }
}

/// Checks of several folds as one: each step's coverage weighted by its days, the folds'
/// epochs in order; `None` for none.
pub fn pool(checks: &[&RefitBand]) -> Option<RefitBand> {
    let (first, last) = (checks.first()?, checks.last()?);
    let steps = first
        .steps
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let at: Vec<&RefitStep> = checks.iter().filter_map(|c| c.steps.get(k)).collect();
            let days: usize = at.iter().map(|x| x.days).sum();
            let mean = |f: fn(&RefitStep) -> f64| {
                at.iter().map(|x| f(x) * x.days as f64).sum::<f64>() / days.max(1) as f64
            };
            RefitStep { step: s.step, days, split: mean(|x| x.split), refit: mean(|x| x.refit) }
        })
        .collect();
    Some(RefitBand {
        method: first.method,
        level: first.level,
        epochs: checks.iter().flat_map(|c| c.epochs.clone()).collect(),
        first_date: first.first_date.clone(),
        last_date: last.last_date.clone(),
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(split: f64, refit: f64, days: usize) -> RefitBand {
        RefitBand {
            method: Method::AdaptiveVol,
            level: 0.9,
            epochs: vec![7],
            first_date: "2020-01-02".into(),
            last_date: "2020-06-30".into(),
            steps: vec![RefitStep { step: 1, days, split, refit }],
        }
    }

    #[test]
    fn a_gap_over_three_points_is_named_and_folds_pool_by_days() {
        assert!(check(0.90, 0.88, 100).gaps().is_empty());
        assert!(check(0.90, 0.88, 100).sentence().contains("within 3 points"));
        let off = check(0.90, 0.85, 100);
        assert_eq!(off.gaps().len(), 1);
        assert!(off.sentence().contains("MORE than 3 points apart"), "{}", off.sentence());
        let pooled = pool(&[&check(0.9, 0.8, 100), &check(0.8, 0.8, 300)]).unwrap();
        assert!((pooled.steps[0].split - 0.825).abs() < 1e-12 && pooled.steps[0].days == 400);
        assert_eq!(pooled.epochs, vec![7, 7]);
    }
}
