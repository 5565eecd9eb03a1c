//! Turns the results of a comparison's jobs into figures, significance tests and verdicts.

use serde::Serialize;

use super::compare::{Fold, JobResult};
use crate::data::PriceSeries;
use crate::eval::diagnostics::{
    drift_forecast, lag_profile, moving_average_forecast, shuffled_target_check, LagProfile, Sanity,
};
use crate::eval::metrics::up_share;
use crate::eval::stats::{diebold_mariano, mean_sd, DmTest};
use crate::eval::{skill, Metrics};
use crate::model::ModelKind;

/// The five headline figures of one forecast.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Figures {
    pub rmse: f64,
    pub mae: f64,
    pub mape: f64,
    pub directional_accuracy: f64,
    pub skill: f64,
}

impl Figures {
    fn of(m: &Metrics, naive_rmse: f64) -> Self {
        Figures {
            rmse: m.rmse,
            mae: m.mae,
            mape: m.mape.unwrap_or(f64::NAN),
            directional_accuracy: m.directional_accuracy.unwrap_or(f64::NAN),
            skill: skill(m.rmse, naive_rmse).unwrap_or(f64::NAN),
        }
    }

    fn fields(&self) -> [f64; 5] {
        [self.rmse, self.mae, self.mape, self.directional_accuracy, self.skill]
    }

    fn from_fields(v: [f64; 5]) -> Self {
        Figures { rmse: v[0], mae: v[1], mape: v[2], directional_accuracy: v[3], skill: v[4] }
    }
}

pub const FIGURE_NAMES: [&str; 5] = ["RMSE", "MAE", "MAPE %", "direction", "skill vs naive"];

#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub model: ModelKind,
    pub params: i64,
    /// Per seed, over all folds' test days pooled.
    pub per_seed: Vec<(u64, Figures)>,
    pub mean: Figures,
    pub sd: Figures,
    pub epoch_seconds_mean: f64,
    pub epoch_seconds_sd: f64,
    /// The forecast averaged over seeds, and its figures.
    pub seed_average: Vec<f64>,
    pub seed_average_figures: Figures,
    pub dm_vs_naive: Option<DmTest>,
    pub lag: LagProfile,
    pub sanity: Option<Sanity>,
    /// RMSE of the seed-averaged forecast in each fold.
    pub fold_rmse: Vec<f64>,
    /// Loss curves of the first seed in the last fold.
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Baselines {
    pub naive: Figures,
    pub drift: Figures,
    pub moving_average_5: Figures,
    pub always_up_directional_accuracy: f64,
    pub naive_fold_rmse: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pairwise {
    pub first: ModelKind,
    pub second: ModelKind,
    pub dm: Option<DmTest>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rows: Vec<usize>,
    pub actual: Vec<f64>,
    pub naive: Vec<f64>,
    pub fold_starts: Vec<usize>,
    pub models: Vec<ModelSummary>,
    pub baselines: Baselines,
    pub pairwise: Vec<Pairwise>,
    pub verdicts: Vec<String>,
}

fn rmse(p: &[f64], a: &[f64]) -> f64 {
    (p.iter().zip(a).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

/// Pools every fold's test days; `results` must hold every (model, seed, fold) job.
pub fn build(
    series: &PriceSeries,
    folds: &[Fold],
    models: &[ModelKind],
    seeds: &[u64],
    results: &[JobResult],
    sanity: bool,
) -> Report {
    let p = &series.values;
    let job = |m: ModelKind, s: u64, f: usize| {
        results
            .iter()
            .find(|r| r.key.model == m && r.key.seed == s && r.key.fold == f)
            .expect("every job present")
    };
    let rows: Vec<usize> = (0..folds.len()).flat_map(|f| job(models[0], seeds[0], f).rows.clone()).collect();
    let actual: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
    let naive: Vec<f64> = rows.iter().map(|&t| p[t - 1]).collect();
    let naive_m = Metrics::compute(&naive, &actual, &naive);
    let fold_starts: Vec<usize> = folds.iter().map(|f| f.val_end).collect();
    let fold_ranges: Vec<std::ops::Range<usize>> = {
        let mut start = 0;
        folds
            .iter()
            .map(|f| {
                let r = start..start + (f.test_end - f.val_end);
                start = r.end;
                r
            })
            .collect()
    };
    let per_fold_rmse =
        |pred: &[f64]| fold_ranges.iter().map(|r| rmse(&pred[r.clone()], &actual[r.clone()])).collect();
    let figs = |pred: &[f64]| Figures::of(&Metrics::compute(pred, &actual, &naive), naive_m.rmse);

    let summaries: Vec<ModelSummary> = models
        .iter()
        .map(|&m| {
            let preds: Vec<Vec<f64>> = seeds
                .iter()
                .map(|&s| (0..folds.len()).flat_map(|f| job(m, s, f).predicted.clone()).collect())
                .collect();
            let per_seed: Vec<(u64, Figures)> =
                seeds.iter().zip(&preds).map(|(&s, pr)| (s, figs(pr))).collect();
            let column = |k: usize| per_seed.iter().map(|(_, f)| f.fields()[k]).collect::<Vec<_>>();
            let stats: Vec<(f64, f64)> = (0..5).map(|k| mean_sd(&column(k))).collect();
            let epochs: Vec<f64> =
                results.iter().filter(|r| r.key.model == m).flat_map(|r| r.epoch_seconds.clone()).collect();
            let (em, es) = mean_sd(&epochs);
            let avg: Vec<f64> = (0..rows.len())
                .map(|i| preds.iter().map(|v| v[i]).sum::<f64>() / preds.len() as f64)
                .collect();
            let err: Vec<f64> = avg.iter().zip(&actual).map(|(a, b)| a - b).collect();
            let naive_err: Vec<f64> = naive.iter().zip(&actual).map(|(a, b)| a - b).collect();
            let last = job(m, seeds[0], folds.len() - 1);
            ModelSummary {
                model: m,
                params: last.params,
                mean: Figures::from_fields(std::array::from_fn(|k| stats[k].0)),
                sd: Figures::from_fields(std::array::from_fn(|k| stats[k].1)),
                per_seed,
                epoch_seconds_mean: em,
                epoch_seconds_sd: es,
                seed_average_figures: figs(&avg),
                dm_vs_naive: diebold_mariano(&err, &naive_err, 1),
                lag: lag_profile(&avg, p, &rows),
                sanity: sanity.then(|| shuffled_target_check(&actual, &naive, 7, |_| avg.clone())),
                fold_rmse: per_fold_rmse(&avg),
                train_loss: last.train_loss.clone(),
                val_loss: last.val_loss.clone(),
                seed_average: avg,
            }
        })
        .collect();

    let mut pairwise = Vec::new();
    for i in 0..summaries.len() {
        for j in i + 1..summaries.len() {
            let e =
                |s: &ModelSummary| s.seed_average.iter().zip(&actual).map(|(a, b)| a - b).collect::<Vec<_>>();
            pairwise.push(Pairwise {
                first: summaries[i].model,
                second: summaries[j].model,
                dm: diebold_mariano(&e(&summaries[i]), &e(&summaries[j]), 1),
            });
        }
    }
    let baselines = Baselines {
        naive: figs(&naive),
        drift: figs(&drift_forecast(p, &rows)),
        moving_average_5: figs(&moving_average_forecast(p, &rows, 5)),
        always_up_directional_accuracy: up_share(&actual, &naive),
        naive_fold_rmse: per_fold_rmse(&naive),
    };
    let verdicts = verdicts(&summaries, &pairwise);
    Report { rows, actual, naive, fold_starts, models: summaries, baselines, pairwise, verdicts }
}

/// `p = 0.041`, or `p < 0.001`.
fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

fn upper(m: ModelKind) -> String {
    m.name().to_uppercase()
}

/// Plain-language conclusions at the 5% level.
pub fn verdicts(models: &[ModelSummary], pairwise: &[Pairwise]) -> Vec<String> {
    let mut v = Vec::new();
    for pw in pairwise {
        let (a, b) = (upper(pw.first), upper(pw.second));
        v.push(match pw.dm {
            Some(d) if d.p_value < 0.05 => {
                let (win, lose) = if d.statistic < 0.0 { (&a, &b) } else { (&b, &a) };
                format!(
                    "{win} beats {lose}: smaller squared errors on the pooled test days (DM {})",
                    p_text(d.p_value)
                )
            }
            Some(d) => format!("{a} and {b} are not distinguishable (DM p = {:.2})", d.p_value),
            None => format!("{a} and {b} make identical errors; no test possible"),
        });
    }
    let mut beaters = Vec::new();
    for m in models {
        let name = upper(m.model);
        match m.dm_vs_naive {
            Some(d) if d.p_value < 0.05 && d.statistic < 0.0 => {
                beaters.push(name.clone());
                v.push(format!("{name} beats tomorrow = today at 5% (DM {})", p_text(d.p_value)));
            }
            Some(d) if d.p_value < 0.05 => {
                v.push(format!("{name} is worse than tomorrow = today (DM {})", p_text(d.p_value)))
            }
            Some(d) => v.push(format!(
                "{name} is not distinguishable from tomorrow = today (DM p = {:.2})",
                d.p_value
            )),
            None => v.push(format!("{name}: no test against tomorrow = today possible")),
        }
        if m.lag.repeats_yesterday() {
            let r = m.lag.correlations.iter().find(|c| c.0 == -1).map_or(f64::NAN, |c| c.1);
            v.push(format!("the {name} mostly repeats yesterday's price (its forecasts correlate best with the previous day, r = {r:.4})"));
        }
        if let Some(s) = m.sanity {
            let sk = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{v:+.3}"));
            let change = format!(
                "RMSE {:.3} -> {:.3}, skill {} -> {}",
                s.rmse_true,
                s.rmse_shuffled,
                sk(s.skill_true),
                sk(s.skill_shuffled)
            );
            v.push(if s.collapsed {
                format!("leakage self-test passed for {name}: with the test prices shuffled in time its accuracy collapsed ({change})")
            } else if s.leak_suspected() {
                format!("LEAKAGE SUSPECTED for {name}: with the test prices shuffled in time it kept its accuracy ({change})")
            } else {
                format!("leakage self-test inconclusive for {name}: it does not beat naive, so it had no accuracy to lose ({change})")
            });
        }
    }
    if beaters.is_empty() {
        v.push(match models {
            [one] => format!("{} does not beat tomorrow = today at 5%", upper(one.model)),
            [_, _] => "neither model beats tomorrow = today at 5%".to_string(),
            _ => "no model beats tomorrow = today at 5%".to_string(),
        });
    }
    v
}
