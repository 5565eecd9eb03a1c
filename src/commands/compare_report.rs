//! Turns the results of a comparison's jobs into figures, significance tests and verdicts,
//! and with `--sanity` the leakage check and the power control.

use serde::Serialize;

use super::compare::{Fold, JobResult, Plan, Variant, PLANT_PHIS};
use crate::data::perturb::{ar_oracle, planted_mean_return};
use crate::eval::bands::{pool, verdict, Method, StepLevel};
use crate::eval::diagnostics::{drift_forecast, move_profile, moving_average_forecast, MoveProfile};
use crate::eval::leakage::{compare, Cutoff, Fingerprint, LeakCheck};
use crate::eval::metrics::up_share;
use crate::eval::stats::{diebold_mariano, mean_sd, seeded_dm, DmTest, SeededTest};
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
    /// Against naive, the seeds' spread included in the variance.
    pub dm_vs_naive: Option<SeededTest>,
    /// Each seed's own Diebold-Mariano test against naive.
    pub per_seed_vs_naive: Vec<(u64, Option<DmTest>)>,
    /// The lag detector on the seed-averaged forecast.
    pub moves: MoveProfile,
    /// RMSE of the seed-averaged forecast in each fold.
    pub fold_rmse: Vec<f64>,
    /// Prediction bands of every method and naive's, per step and level, over every seed's
    /// and fold's test days.
    pub bands: Vec<StepLevel>,
    /// Loss curves of the first seed in the last fold.
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
    /// Jobs that ran to the `--epochs` cap instead of stopping early, of `jobs`.
    pub at_epoch_cap: usize,
    pub jobs: usize,
    /// `--sanity`: the leakage check per fold (first seed).
    pub leakage: Vec<(usize, Vec<LeakCheck>)>,
    /// `--sanity`: the power control, one point per planted strength.
    pub power: Vec<PowerPoint>,
    /// The smallest planted skill detected at 5%, at that strength and every stronger one.
    pub detectable_skill: Option<f64>,
}

/// One strength of the power control for one model.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PowerPoint {
    pub phi: f64,
    /// Skill over naive of the forecast that knows the planted term: the size of what a model
    /// could find.
    pub planted_skill: f64,
    /// The model's own skill over naive on the planted series (first seed).
    pub model_skill: f64,
    pub dm: Option<DmTest>,
    pub detected: bool,
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
    /// Diebold-Mariano with the seeds' spread in the variance.
    pub dm: Option<SeededTest>,
    /// The first's seed k against the second's seed k.
    pub per_seed: Vec<(u64, Option<DmTest>)>,
    /// Seeds (paired by position) where the first has the smaller RMSE.
    pub first_wins: usize,
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
    /// `--sanity`: wall seconds of the leakage check's and the power control's jobs.
    pub leakage_seconds: f64,
    pub power_seconds: f64,
    pub verdicts: Vec<String>,
}

fn rmse(p: &[f64], a: &[f64]) -> f64 {
    (p.iter().zip(a).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

fn errors(p: &[f64], a: &[f64]) -> Vec<f64> {
    p.iter().zip(a).map(|(x, y)| x - y).collect()
}

/// What the leakage check compares, from a job's result.
fn fingerprint(r: &JobResult) -> Fingerprint {
    Fingerprint {
        scalers: r.scalers.clone(),
        weights: r.weights.clone(),
        train_loss: r.train_loss.clone(),
        val_loss: r.val_loss.clone(),
        forecasts: r.rows.iter().copied().zip(r.predicted.iter().copied()).collect(),
        interval: vec![],
        bands: vec![],
    }
}

/// Pools every fold's test days; `results` must hold every job of `plan`.
pub fn build(plan: &Plan, results: &[JobResult]) -> Report {
    let (series, folds, cfg) = (&plan.series, &plan.folds, &plan.cfg);
    let (models, seeds) = (&cfg.models[..], &cfg.seeds[..]);
    let p = &series.values;
    let job = |m: ModelKind, s: u64, f: usize, v: Variant| find_job(results, m, s, f, v);
    let main = |m, s, f| job(m, s, f, Variant::Main);
    let rows: Vec<usize> = (0..folds.len()).flat_map(|f| main(models[0], seeds[0], f).rows.clone()).collect();
    let actual: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
    let naive: Vec<f64> = rows.iter().map(|&t| p[t - 1]).collect();
    let naive_m = Metrics::compute(&naive, &actual, &naive);
    let naive_err = errors(&naive, &actual);
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
    let pooled = |m: ModelKind, v: Variant| -> Vec<f64> {
        (0..folds.len()).flat_map(|f| job(m, seeds[0], f, v).predicted.clone()).collect()
    };
    let seconds = |keep: fn(Variant) -> bool| -> f64 {
        results.iter().filter(|r| keep(r.key.variant)).map(|r| r.seconds).sum()
    };

    // per model: its summary, and each seed's errors on the pooled days (the pairwise tests reuse them)
    let (summaries, seed_errors): (Vec<ModelSummary>, Vec<Vec<Vec<f64>>>) = models
        .iter()
        .map(|&m| {
            let preds: Vec<Vec<f64>> = seeds
                .iter()
                .map(|&s| (0..folds.len()).flat_map(|f| main(m, s, f).predicted.clone()).collect())
                .collect();
            let per_seed: Vec<(u64, Figures)> =
                seeds.iter().zip(&preds).map(|(&s, pr)| (s, figs(pr))).collect();
            let column = |k: usize| per_seed.iter().map(|(_, f)| f.fields()[k]).collect::<Vec<_>>();
            let stats: Vec<(f64, f64)> = (0..5).map(|k| mean_sd(&column(k))).collect();
            let own: Vec<&JobResult> =
                results.iter().filter(|r| r.key.model == m && r.key.variant == Variant::Main).collect();
            let epochs: Vec<f64> = own.iter().flat_map(|r| r.epoch_seconds.clone()).collect();
            let (em, es) = mean_sd(&epochs);
            let avg: Vec<f64> = (0..rows.len())
                .map(|i| preds.iter().map(|v| v[i]).sum::<f64>() / preds.len() as f64)
                .collect();
            let seed_err: Vec<Vec<f64>> = preds.iter().map(|pr| errors(pr, &actual)).collect();
            let last = main(m, seeds[0], folds.len() - 1);
            let leakage = if cfg.sanity { leakage(plan, results, m) } else { vec![] };
            let power = if cfg.sanity { power(plan, &pooled, m) } else { vec![] };
            let detectable_skill = (0..power.len())
                .find(|&k| power[k..].iter().all(|pt| pt.detected))
                .map(|k| power[k].planted_skill);
            let summary = ModelSummary {
                model: m,
                params: last.params,
                mean: Figures::from_fields(std::array::from_fn(|k| stats[k].0)),
                sd: Figures::from_fields(std::array::from_fn(|k| stats[k].1)),
                per_seed,
                epoch_seconds_mean: em,
                epoch_seconds_sd: es,
                seed_average_figures: figs(&avg),
                dm_vs_naive: seeded_dm(&seed_err, std::slice::from_ref(&naive_err), 1),
                per_seed_vs_naive: seeds
                    .iter()
                    .zip(&seed_err)
                    .map(|(&s, e)| (s, diebold_mariano(e, &naive_err, 1)))
                    .collect(),
                moves: move_profile(&avg, p, &rows),
                fold_rmse: per_fold_rmse(&avg),
                bands: pool(&own.iter().map(|r| &r.bands[..]).collect::<Vec<_>>()),
                train_loss: last.train_loss.clone(),
                val_loss: last.val_loss.clone(),
                at_epoch_cap: own.iter().filter(|r| !r.stopped_early).count(),
                jobs: own.len(),
                leakage,
                power,
                detectable_skill,
                seed_average: avg,
            };
            (summary, seed_err)
        })
        .unzip();

    let mut pairwise = Vec::new();
    for i in 0..summaries.len() {
        for j in i + 1..summaries.len() {
            let (a, b) = (&seed_errors[i], &seed_errors[j]);
            let per_seed: Vec<(u64, Option<DmTest>)> =
                seeds.iter().zip(a.iter().zip(b)).map(|(&s, (x, y))| (s, diebold_mariano(x, y, 1))).collect();
            let first_wins = summaries[i]
                .per_seed
                .iter()
                .zip(&summaries[j].per_seed)
                .filter(|(x, y)| x.1.rmse < y.1.rmse)
                .count();
            pairwise.push(Pairwise {
                first: summaries[i].model,
                second: summaries[j].model,
                dm: seeded_dm(a, b, 1),
                per_seed,
                first_wins,
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
    let mut verdicts = verdicts(&summaries, &pairwise, cfg.base.train.epochs);
    verdicts.extend(band_verdicts(&summaries, cfg.base.interval_method, cfg.base.interval));
    Report {
        rows,
        actual,
        naive,
        fold_starts,
        models: summaries,
        baselines,
        pairwise,
        leakage_seconds: seconds(|v| matches!(v, Variant::FutureInTest | Variant::FutureInValidation)),
        power_seconds: seconds(|v| matches!(v, Variant::Planted(_))),
        verdicts,
    }
}

/// The result of job (`m`, `s`, fold `f`, variant `v`); `results` holds every job of the plan.
fn find_job(results: &[JobResult], m: ModelKind, s: u64, f: usize, v: Variant) -> &JobResult {
    results
        .iter()
        .find(|r| r.key.model == m && r.key.seed == s && r.key.fold == f && r.key.variant == v)
        .expect("every job present")
}

/// Each fold's two leakage checks for model `m` (first seed).
fn leakage(plan: &Plan, results: &[JobResult], m: ModelKind) -> Vec<(usize, Vec<LeakCheck>)> {
    let seed = plan.cfg.seeds[0];
    let find = |f: usize, v: Variant| find_job(results, m, seed, f, v);
    let date = |r: usize| plan.series.dates[r].to_string();
    plan.folds
        .iter()
        .enumerate()
        .map(|(f, fold): (usize, &Fold)| {
            let honest = fingerprint(find(f, Variant::Main));
            let checks = [
                (Variant::FutureInTest, Cutoff::Test, fold.test_cutoff()),
                (Variant::FutureInValidation, Cutoff::Validation, fold.validation_cutoff()),
            ]
            .into_iter()
            .map(|(v, cutoff, row)| {
                let r = find(f, v);
                let (compared, changes) = compare(&honest, &fingerprint(r), cutoff, row, &date);
                let main = find(f, Variant::Main);
                let inconclusive = (main.setup != r.setup).then(|| {
                    format!(
                        "the real job and the check ran with different thread counts or switches ({:?} and {:?}), which changes the last bits of everything; give --threads when shards run on different machines",
                        main.setup, r.setup
                    )
                });
                LeakCheck {
                    cutoff,
                    cutoff_row: row,
                    cutoff_date: date(row),
                    compared,
                    changes: if inconclusive.is_some() { vec![] } else { changes },
                    seconds: r.seconds,
                    inconclusive,
                }
            })
            .collect();
            (f, checks)
        })
        .collect()
}

/// The power control of model `m`: its first seed on each planted series, against naive on the
/// same (planted) prices.
fn power(plan: &Plan, pooled: &dyn Fn(ModelKind, Variant) -> Vec<f64>, m: ModelKind) -> Vec<PowerPoint> {
    let rows: Vec<usize> = plan.folds.iter().flat_map(|f| f.val_end..f.test_end).collect();
    let mu = planted_mean_return(&plan.series);
    PLANT_PHIS
        .iter()
        .enumerate()
        .map(|(k, &phi)| {
            let p = &plan.planted[k].values;
            let actual: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
            let naive: Vec<f64> = rows.iter().map(|&t| p[t - 1]).collect();
            let naive_rmse = rmse(&naive, &actual);
            let oracle = ar_oracle(p, phi, mu, &rows);
            let forecast = pooled(m, Variant::Planted(k));
            let dm = diebold_mariano(&errors(&forecast, &actual), &errors(&naive, &actual), 1);
            PowerPoint {
                phi,
                planted_skill: skill(rmse(&oracle, &actual), naive_rmse).unwrap_or(f64::NAN),
                model_skill: skill(rmse(&forecast, &actual), naive_rmse).unwrap_or(f64::NAN),
                dm,
                detected: dm.is_some_and(|d| d.p_value < 0.05 && d.statistic < 0.0),
            }
        })
        .collect()
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

fn p_list(tests: &[(u64, Option<DmTest>)]) -> String {
    tests
        .iter()
        .map(|(_, t)| t.map_or("n/a".into(), |t| format!("{:.2}", t.p_value)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the power control says about a model, as a clause.
fn power_clause(m: &ModelSummary) -> Option<String> {
    let strongest = m.power.last()?;
    Some(match m.detectable_skill {
        Some(s) => format!(
            "power control: with these settings one {} seed beats naive at 5% once the planted skill is {s:.3} or more",
            upper(m.model)
        ),
        None => format!(
            "power control: with these settings one seed could not detect even a planted skill of {:.3} for the {} (it reached {:+.3})",
            strongest.planted_skill,
            upper(m.model),
            strongest.model_skill
        ),
    })
}

/// One sentence per model and shown step on its pooled band at `level` against naive's.
pub fn band_verdicts(models: &[ModelSummary], method: Method, level: f64) -> Vec<String> {
    let mut v = Vec::new();
    for m in models {
        let last = m.bands.iter().map(|b| b.step).max().unwrap_or(0);
        for row in
            m.bands.iter().filter(|b| (b.step == 1 || b.step == last) && (b.level - level).abs() < 1e-9)
        {
            v.push(format!("bands, pooled folds: {}", verdict(&upper(m.model), row, method)));
        }
    }
    v
}

/// Plain-language conclusions at the 5% level.
pub fn verdicts(models: &[ModelSummary], pairwise: &[Pairwise], epochs_cap: usize) -> Vec<String> {
    let mut v = Vec::new();
    let seeds = models.first().map_or(0, |m| m.per_seed.len());
    let spread = if seeds > 1 {
        "seeds' spread included"
    } else {
        "one seed: training randomness is not in this test"
    };
    for pw in pairwise {
        let (a, b) = (upper(pw.first), upper(pw.second));
        let per_seed = format!(
            "{a} has the smaller RMSE on {} of {seeds} seeds; per-seed DM p: {}",
            pw.first_wins,
            p_list(&pw.per_seed)
        );
        v.push(match pw.dm {
            Some(d) if d.p_value < 0.05 => {
                let (win, lose) = if d.statistic < 0.0 { (&a, &b) } else { (&b, &a) };
                format!(
                    "{win} beats {lose}: smaller squared errors (DM {}, {spread}; {per_seed})",
                    p_text(d.p_value)
                )
            }
            Some(d) => {
                format!("{a} and {b} are not distinguishable (DM p = {:.2}, {spread}; {per_seed})", d.p_value)
            }
            None => format!("{a} and {b} make identical errors; no test possible"),
        });
        let find = |k: ModelKind| models.iter().find(|m| m.model == k);
        if let (Some(x), Some(y)) = (find(pw.first), find(pw.second)) {
            let gap = (x.mean.rmse - y.mean.rmse).abs();
            if seeds > 1 && x.sd.rmse.max(y.sd.rmse) > gap {
                v.push(format!(
                    "caution: the spread across seeds (RMSE sd {:.4} for {a}, {:.4} for {b}) exceeds the gap between the models ({gap:.4}); other seeds could reverse the order",
                    x.sd.rmse, y.sd.rmse
                ));
            }
        }
    }
    let mut beaters = Vec::new();
    for m in models {
        let name = upper(m.model);
        let wins = m
            .per_seed_vs_naive
            .iter()
            .filter(|(_, t)| t.is_some_and(|t| t.statistic < 0.0 && t.p_value < 0.05))
            .count();
        let worse = m
            .per_seed_vs_naive
            .iter()
            .filter(|(_, t)| t.is_some_and(|t| t.statistic > 0.0 && t.p_value < 0.05))
            .count();
        let per_seed = format!(
            "{wins} of {seeds} seeds beat it alone at 5%{}; per-seed DM p: {}",
            match worse {
                0 => String::new(),
                1 => ", 1 loses to it".to_string(),
                k => format!(", {k} lose to it"),
            },
            p_list(&m.per_seed_vs_naive)
        );
        match m.dm_vs_naive {
            Some(d) if d.p_value < 0.05 && d.statistic < 0.0 => {
                beaters.push(name.clone());
                v.push(format!(
                    "{name} beats tomorrow = today at 5% (DM {}, {spread}; {per_seed})",
                    p_text(d.p_value)
                ));
            }
            Some(d) if d.p_value < 0.05 => v.push(format!(
                "{name} is worse than tomorrow = today (DM {}, {spread}; {per_seed})",
                p_text(d.p_value)
            )),
            Some(d) => v.push(format!(
                "{name} is not distinguishable from tomorrow = today (DM p = {:.2}, {spread}; {per_seed}){}",
                d.p_value,
                power_clause(m).map_or(String::new(), |c| format!("; {c}"))
            )),
            None => v.push(format!("{name}: no test against tomorrow = today possible")),
        }
        v.push(m.moves.sentence(&name));
        if m.at_epoch_cap > 0 {
            v.push(format!(
                "caution: {} of {} {name} jobs ran to the --epochs cap ({epochs_cap}) instead of stopping early: not converged, so more epochs could change these figures",
                m.at_epoch_cap, m.jobs
            ));
        }
        for (fold, checks) in &m.leakage {
            for c in checks.iter().filter(|c| !c.passed()) {
                v.push(c.sentence(&format!("{name} fold {}", fold + 1)));
            }
        }
        let all: Vec<&LeakCheck> = m.leakage.iter().flat_map(|(_, c)| c).collect();
        if !all.is_empty() && all.iter().all(|c| c.passed()) {
            v.push(format!(
                "leakage check PASS for {name} in all {} folds: with the future replaced from mid-test and from mid-validation, everything computed before the change was identical bit for bit ({} figures, {:.0} s)",
                m.leakage.len(),
                all.iter().map(|c| c.compared).sum::<usize>(),
                all.iter().map(|c| c.seconds).sum::<f64>()
            ));
        }
    }
    if beaters.is_empty() {
        let clauses: Vec<String> = models
            .iter()
            .filter_map(|m| {
                let name = upper(m.model);
                m.power.last().map(|_| match m.detectable_skill {
                    Some(s) => format!("{s:.3} or more ({name})"),
                    None => format!(
                        "nothing up to {:.3} ({name})",
                        m.power.last().map_or(f64::NAN, |p| p.planted_skill)
                    ),
                })
            })
            .collect();
        let power = if clauses.is_empty() {
            String::new()
        } else {
            format!(
                "; power control: with these settings one seed detects a planted skill of {}",
                clauses.join(", ")
            )
        };
        v.push(match models {
            [one] => format!("{} does not beat tomorrow = today at 5%{power}", upper(one.model)),
            [_, _] => format!("neither model beats tomorrow = today at 5%{power}"),
            _ => format!("no model beats tomorrow = today at 5%{power}"),
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::compare::test_plan::plan;
    use crate::commands::compare::JobKey;

    #[test]
    fn a_strong_planted_skill_is_detected_and_sized() {
        let _rng = crate::test_support::torch_rng();
        let dir = std::env::temp_dir().join(format!("lstm-stock-power-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = plan(&dir);
        let m = ModelKind::Gru;
        let results: Vec<JobResult> = (0..PLANT_PHIS.len())
            .map(|k| {
                plan.run_job(JobKey { model: m, seed: 1, fold: 0, variant: Variant::Planted(k) }).unwrap()
            })
            .collect();
        let pooled = |m: ModelKind, v: Variant| -> Vec<f64> {
            results.iter().find(|r| r.key.model == m && r.key.variant == v).unwrap().predicted.clone()
        };
        let points = power(&plan, &pooled, m);
        eprintln!("{points:?}");
        // the planted sizes are what the AR term gives: about 1 - sqrt(1 - phi^2)
        for pt in &points {
            let expected = 1.0 - (1.0 - pt.phi * pt.phi).sqrt();
            assert!((pt.planted_skill - expected).abs() < 0.03, "{pt:?}");
        }
        let strong = points.last().unwrap();
        assert!(
            strong.detected && strong.model_skill > 0.05,
            "a 20% planted skill must be found: {strong:?}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Results of the three jobs the leakage check compares, for fold 0 of `plan`, without
    /// training: the check jobs copy the real one unless told otherwise.
    fn leak_jobs(plan: &Plan, tweak: impl Fn(&mut JobResult, Variant)) -> Vec<JobResult> {
        let fold = plan.folds[0];
        [Variant::Main, Variant::FutureInTest, Variant::FutureInValidation]
            .into_iter()
            .map(|variant| {
                let mut r = JobResult {
                    key: JobKey { model: ModelKind::Gru, seed: 1, fold: 0, variant },
                    rows: (fold.val_end..fold.test_end).collect(),
                    predicted: (fold.val_end..fold.test_end).map(|t| t as f64).collect(),
                    epoch_seconds: vec![0.1; 3],
                    best_epoch: 2,
                    params: 10,
                    train_loss: vec![0.3, 0.2, 0.1],
                    val_loss: vec![0.4, 0.3, 0.35],
                    stopped_early: true,
                    weights: vec![("head.weight".into(), "aa".into())],
                    scalers: vec![(0.0, 1.0)],
                    seconds: 1.0,
                    setup: crate::pipeline::numeric_setup(),
                    bands: vec![],
                };
                tweak(&mut r, variant);
                r
            })
            .collect()
    }

    #[test]
    fn leakage_verdicts_pass_fail_or_refuse_to_compare() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-leak-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = plan(&dir);
        let check = |results: Vec<JobResult>| leakage(&plan, &results, ModelKind::Gru).remove(0).1;
        let honest = check(leak_jobs(&plan, |_, _| {}));
        assert!(honest.iter().all(|c| c.passed()), "{honest:?}");
        // the check's forecast for the cutoff day moved: a leak, named by its date
        let cutoff = plan.folds[0].test_cutoff();
        let leaky = check(leak_jobs(&plan, |r, v| {
            if v == Variant::FutureInTest {
                let k = r.rows.iter().position(|&t| t == cutoff).unwrap();
                r.predicted[k] += 1e-9;
            }
        }));
        let date = plan.series.dates[cutoff].to_string();
        assert!(leaky[0].changes[0].contains(&format!("forecast for {date}")), "{leaky:?}");
        assert!(leaky[0].sentence("GRU fold 1").starts_with("LEAK"));
        // the same change after another thread count proves nothing either way
        let other = check(leak_jobs(&plan, |r, v| {
            if v == Variant::FutureInTest {
                r.predicted[0] += 1.0;
                r.setup.libtorch_threads += 1;
            }
        }));
        assert!(!other[0].passed() && other[0].changes.is_empty(), "{other:?}");
        assert!(other[0].sentence("GRU fold 1").contains("INCONCLUSIVE"), "{other:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
