//! Turns the results of a comparison's jobs into figures, significance tests and verdicts,
//! and with `--sanity` the leakage check and the power control.

use super::compare::{Fold, JobResult, Plan, Variant, POWER_PHIS};
use crate::data::perturb::{ar_oracle, planted_mean_return};
use crate::data::plant::traded_forecasts;
use crate::eval::bands::pool;
use crate::eval::compare::{
    band_verdicts, beats_naive, detectable_skill, pairwise, verdicts, Baselines, Figures, ModelSummary,
    PowerPoint, Report,
};
use crate::eval::diagnostics::{drift_forecast, move_inputs, move_profile, moving_average_forecast};
use crate::eval::leakage::{compare, Cutoff, Dated, Fingerprint, LeakCheck};
use crate::eval::metrics::{rmse, up_share};
use crate::eval::stats::{diebold_mariano, mean_sd, seeded_dm};
use crate::eval::trading::{self, Days};
use crate::eval::trading_seeds;
use crate::eval::{skill, Metrics};
use crate::model::ModelKind;

fn errors(p: &[f64], a: &[f64]) -> Vec<f64> {
    p.iter().zip(a).map(|(x, y)| x - y).collect()
}

/// What the leakage check compares, from a job's result: what it fitted, its forecasts and
/// bands, and what the report computes from its forecasts day by day (each trading rule's
/// positions and net returns, through the same wiring as the report's, and the lag detector's
/// inputs), each with the prices the job ran on (a leakage check job's altered copy).
fn fingerprint(plan: &Plan, r: &JobResult) -> Fingerprint {
    let prices = if r.prices.is_empty() { &plan.series.values } else { &r.prices };
    let mut dated = Vec::new();
    if plan.cfg.base.trading {
        let days = trading_days(plan, prices, &r.rows, &r.predicted);
        for d in trading::daily(&days, plan.cfg.base.cost_bps) {
            let name = d.rule.name();
            dated.push(Dated::new(format!("{name} position"), false, &r.rows, &d.positions));
            dated.push(Dated::new(format!("{name} net return"), true, &r.rows, &d.net));
        }
    }
    let m = move_inputs(&r.predicted, prices, &r.rows);
    dated.push(Dated::new("lag detector's predicted move", false, &r.rows, &m.predicted));
    dated.push(Dated::new("lag detector's move of the day", true, &r.rows, &m.actual));
    dated.push(Dated::new("lag detector's move of the day before", false, &r.rows, &m.before));
    Fingerprint {
        scalers: r.scalers.clone(),
        weights: r.weights.clone(),
        train_loss: r.train_loss.clone(),
        val_loss: r.val_loss.clone(),
        // a search's validation forecasts too (what it chooses on), all before the test part
        forecasts: r
            .val_rows
            .iter()
            .chain(&r.rows)
            .copied()
            .zip(r.val_predicted.iter().chain(&r.predicted).copied())
            .collect(),
        interval: vec![],
        bands: r.band_digests.clone(),
        dated,
    }
}

/// The trading days of forecasts `predicted` for `rows` of `prices`: the one wiring that the
/// report's trading figures and the leakage check's fingerprint both go through.
fn trading_days(plan: &Plan, prices: &[f64], rows: &[usize], predicted: &[f64]) -> Days {
    let forecast = traded_forecasts(plan.load.plant, prices, rows, predicted);
    Days::from_series(&plan.series.dates, prices, rows, &forecast)
}

/// Pools every fold's test days; `results` must hold every job of `plan`.
pub fn build(plan: &Plan, results: &[JobResult]) -> Report {
    let (series, folds, cfg) = (&plan.series, &plan.folds, &plan.cfg);
    let (contenders, seeds) = (cfg.contenders(), &cfg.seeds[..]);
    let p = &series.values;
    let job = |c: Contender, s: u64, f: usize, v: Variant| find_job(results, c, s, f, v);
    let main = |c, s, f| job(c, s, f, Variant::Main);
    let rows: Vec<usize> =
        (0..folds.len()).flat_map(|f| main(contenders[0], seeds[0], f).rows.clone()).collect();
    let actual: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
    let naive: Vec<f64> = rows.iter().map(|&t| p[t - 1]).collect();
    let naive_m = Metrics::compute(&naive, &actual, &naive);
    let naive_err = errors(&naive, &actual);
    let fold_starts: Vec<usize> = folds.iter().map(|f| f.val_end).collect();
    let fold_ranges = pooled_ranges(folds);
    let per_fold_rmse =
        |pred: &[f64]| fold_ranges.iter().map(|r| rmse(&pred[r.clone()], &actual[r.clone()])).collect();
    let figs = |pred: &[f64]| Figures::of(&Metrics::compute(pred, &actual, &naive), naive_m.rmse);
    let seconds = |keep: fn(Variant) -> bool| -> f64 {
        results.iter().filter(|r| keep(r.key.variant)).map(|r| r.seconds).sum()
    };

    // per model: its summary, and each seed's errors on the pooled days (the pairwise tests reuse them)
    let (summaries, seed_errors): (Vec<ModelSummary>, Vec<Vec<Vec<f64>>>) = contenders
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
            // in seed and fold order, not the order the jobs finished in: pooled figures are
            // sums, and their rounding must not depend on which worker was faster
            let own: Vec<&JobResult> =
                seeds.iter().flat_map(|&s| (0..folds.len()).map(move |f| main(m, s, f))).collect();
            let epochs: Vec<f64> = own.iter().flat_map(|r| r.epoch_seconds.clone()).collect();
            let (em, es) = mean_sd(&epochs);
            let avg: Vec<f64> = (0..rows.len())
                .map(|i| preds.iter().map(|v| v[i]).sum::<f64>() / preds.len() as f64)
                .collect();
            let seed_err: Vec<Vec<f64>> = preds.iter().map(|pr| errors(pr, &actual)).collect();
            let last = main(m, seeds[0], folds.len() - 1);
            let leakage = if cfg.sanity { leakage(plan, results, m) } else { vec![] };
            let power = if cfg.power_paths > 0 { power(plan, results, m) } else { vec![] };
            let detectable_skill = detectable_skill(&power);
            let summary = ModelSummary {
                model: m.0,
                features: cfg.feature_sets()[m.1].clone(),
                label: cfg.label(m.0, m.1),
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
                best_epoch: last.best_epoch,
                trading: if cfg.base.trading {
                    seeds
                        .iter()
                        .zip(&preds)
                        .map(|(&s, pr)| {
                            let days = trading_days(plan, p, &rows, pr);
                            (s, trading::evaluate(&days, cfg.base.cost_bps, s))
                        })
                        .collect()
                } else {
                    vec![]
                },
                at_epoch_cap: own.iter().filter(|r| !r.stopped_early).count(),
                jobs: own.len(),
                leakage,
                power,
                refit_band: crate::eval::refit_band::pool(
                    &(0..folds.len())
                        .filter_map(|f| main(m, seeds[0], f).refit_band.as_ref())
                        .collect::<Vec<_>>(),
                ),
                detectable_skill,
                seed_average: avg,
            };
            (summary, seed_err)
        })
        .unzip();

    let pairwise = pairwise(&summaries, &seed_errors);
    let baselines = Baselines {
        naive: figs(&naive),
        drift: figs(&drift_forecast(p, &rows)),
        moving_average_5: figs(&moving_average_forecast(p, &rows, 5)),
        always_up_directional_accuracy: up_share(&actual, &naive),
        naive_fold_rmse: per_fold_rmse(&naive),
    };
    let per_model: Vec<(String, &[(u64, trading::Trading)])> =
        summaries.iter().map(|m| (m.label.clone(), &m.trading[..])).collect();
    let trading = trading_seeds::summarise(&per_model);
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
        power_seconds: seconds(|v| matches!(v, Variant::Planted(..))),
        verdicts,
        trading,
    }
}

/// Where each fold's test block sits in the pooled test days.
fn pooled_ranges(folds: &[Fold]) -> Vec<std::ops::Range<usize>> {
    let mut start = 0;
    folds
        .iter()
        .map(|f| {
            let r = start..start + (f.test_end - f.val_end);
            start = r.end;
            r
        })
        .collect()
}

/// A model with the index of its feature set.
type Contender = (ModelKind, usize);

/// The result of job (`c`, `s`, fold `f`, variant `v`); `results` holds every job of the plan.
fn find_job(results: &[JobResult], c: Contender, s: u64, f: usize, v: Variant) -> &JobResult {
    let k = |r: &&JobResult| (r.key.model, r.key.features) == c;
    results
        .iter()
        .find(|r| k(r) && r.key.seed == s && r.key.fold == f && r.key.variant == v)
        .expect("every job present")
}

/// Each fold's two leakage checks for contender `m` (first seed).
pub(crate) fn leakage(plan: &Plan, results: &[JobResult], m: Contender) -> Vec<(usize, Vec<LeakCheck>)> {
    let seed = plan.cfg.seeds[0];
    let find = |f: usize, v: Variant| find_job(results, m, seed, f, v);
    let date = |r: usize| plan.series.dates[r].to_string();
    plan.folds
        .iter()
        .enumerate()
        .map(|(f, fold): (usize, &Fold)| {
            let honest = fingerprint(plan, find(f, Variant::Main));
            let checks = [
                (Variant::FutureInTest, Cutoff::Test, fold.test_cutoff()),
                (Variant::FutureInValidation, Cutoff::Validation, fold.validation_cutoff()),
            ]
            .into_iter()
            .map(|(v, cutoff, row)| {
                let r = find(f, v);
                let perturbed = fingerprint(plan, r);
                let (compared, changes) = compare(&honest, &perturbed, cutoff, row, &date);
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
                    covered: honest.coverage(cutoff, &perturbed),
                }
            })
            .collect();
            (f, checks)
        })
        .collect()
}

/// The power control of model `m`: on each planted strength and path, every seed's forecasts
/// of the last fold's test days, against naive on the same (planted) prices, by the test the
/// verdict uses. Strengths with no jobs in `results` are left out.
fn power(plan: &Plan, results: &[JobResult], m: Contender) -> Vec<PowerPoint> {
    let fold = plan.folds[plan.folds.len() - 1];
    let rows: Vec<usize> = (fold.val_end..fold.test_end).collect();
    let mu = planted_mean_return(&plan.series);
    let seeds = &plan.cfg.seeds;
    let sd = |p: &[f64]| mean_sd(&rows.iter().map(|&t| p[t] / p[t - 1] - 1.0).collect::<Vec<_>>()).1;
    let original_sd = sd(&plan.series.values);
    let job = |k: usize, path: usize, s: u64| {
        results.iter().find(|r| {
            (r.key.model, r.key.features) == m
                && r.key.seed == s
                && r.key.variant == Variant::Planted(k, path)
        })
    };
    POWER_PHIS
        .iter()
        .enumerate()
        .filter(|&(k, _)| job(k, 0, seeds[0]).is_some())
        .map(|(k, &phi)| {
            let (mut planted_skill, mut model_skill, mut tests, mut vol) = (0.0, 0.0, vec![], vec![]);
            let paths = plan.planted[k].len();
            for path in 0..paths {
                let p = &plan.planted[k][path].values;
                let actual: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
                let naive: Vec<f64> = rows.iter().map(|&t| p[t - 1]).collect();
                let naive_rmse = rmse(&naive, &actual);
                let forecasts: Vec<&Vec<f64>> = seeds
                    .iter()
                    .map(|&s| &job(k, path, s).expect("every power job present").predicted)
                    .collect();
                let seed_err: Vec<Vec<f64>> = forecasts.iter().map(|f| errors(f, &actual)).collect();
                tests.push(seeded_dm(&seed_err, &[errors(&naive, &actual)], 1));
                planted_skill +=
                    skill(rmse(&ar_oracle(p, phi, mu, &rows), &actual), naive_rmse).unwrap_or(f64::NAN);
                model_skill += forecasts
                    .iter()
                    .map(|f| skill(rmse(f, &actual), naive_rmse).unwrap_or(f64::NAN))
                    .sum::<f64>()
                    / seeds.len() as f64;
                vol.push(sd(p) / original_sd);
            }
            let detected = tests.iter().filter(|t| beats_naive(t)).count();
            PowerPoint {
                phi,
                planted_skill: planted_skill / paths as f64,
                model_skill: model_skill / paths as f64,
                tests,
                detected,
                rate: detected as f64 / paths as f64,
                volatility_ratio: (
                    vol.iter().copied().fold(f64::INFINITY, f64::min),
                    vol.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::compare::test_plan::plan;
    use crate::commands::compare::JobKey;

    /// The power control's two ends on real training: with nothing planted the verdict's test
    /// must not fire (it would if detection were forced on), and a strong plant must be found
    /// in every path (it would not if forced off). Two seeds, two paths each.
    #[test]
    fn the_power_control_fires_on_a_strong_plant_and_not_on_none() {
        let _rng = crate::test_support::torch_rng();
        let dir = std::env::temp_dir().join(format!("lstm-stock-power-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut plan = plan(&dir);
        plan.cfg.seeds = vec![1, 2];
        let m = ModelKind::Gru;
        let strongest = POWER_PHIS.len() - 1;
        let mut results = Vec::new();
        for k in [0, strongest] {
            for path in 0..plan.planted[k].len() {
                for seed in [1, 2] {
                    let variant = Variant::Planted(k, path);
                    results.push(
                        plan.run_job(JobKey { model: m, features: 0, seed, fold: 0, variant }).unwrap(),
                    );
                }
            }
        }
        let points = power(&plan, &results, (m, 0));
        eprintln!("{points:?}");
        assert_eq!(points.len(), 2, "only the strengths that ran");
        for pt in &points {
            // the planted sizes are what the AR term gives, about 1 - sqrt(1 - phi^2), with the
            // volatility of the scored days kept exactly
            let expected = 1.0 - (1.0 - pt.phi * pt.phi).sqrt();
            assert!((pt.planted_skill - expected).abs() < 0.04, "{pt:?}");
            let (lo, hi) = pt.volatility_ratio;
            assert!((lo - 1.0).abs() < 1e-9 && (hi - 1.0).abs() < 1e-9, "{pt:?}");
            assert_eq!(pt.tests.len(), 2);
            assert!(pt.tests.iter().all(|t| t.is_some_and(|t| t.seeds == (2, 1))), "the verdict's seeds");
        }
        let (none, strong) = (&points[0], &points[1]);
        assert_eq!(none.detected, 0, "nothing planted, nothing found: {none:?}");
        assert_eq!(strong.rate, 1.0, "a {:.3} planted skill must be found: {strong:?}", strong.planted_skill);
        assert!(strong.model_skill > 0.05, "{strong:?}");
        assert_eq!(detectable_skill(&points), Some(strong.planted_skill));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Results of the three jobs the leakage check compares, for fold 0 of `plan`, without
    /// training: the check jobs copy the real one unless told otherwise.
    fn leak_jobs(plan: &Plan, tweak: impl Fn(&mut JobResult, Variant)) -> Vec<JobResult> {
        let fold = plan.folds[0];
        [Variant::Main, Variant::FutureInTest, Variant::FutureInValidation]
            .into_iter()
            .map(|variant| {
                let key = JobKey { model: ModelKind::Gru, features: 0, seed: 1, fold: 0, variant };
                let mut r = JobResult {
                    predicted: (fold.val_end..fold.test_end).map(|t| t as f64).collect(),
                    epoch_seconds: vec![0.1; 3],
                    best_epoch: 2,
                    params: 10,
                    train_loss: vec![0.3, 0.2, 0.1],
                    val_loss: vec![0.4, 0.3, 0.35],
                    weights: vec![("head.weight".into(), "aa".into())],
                    scalers: vec![(0.0, 1.0)],
                    seconds: 1.0,
                    setup: crate::pipeline::numeric_setup(),
                    ..crate::commands::compare::test_plan::placeholder(plan, key)
                };
                tweak(&mut r, variant);
                r
            })
            .collect()
    }

    /// compare's leakage check on real jobs: honest passes; look-aheads planted in the report's
    /// trading wiring (on the forecast and on the price), a centred average planted in the
    /// loader, and peeks planted in the bands and in the multi-day paths are each caught.
    #[test]
    fn planted_leaks_in_the_trading_wiring_and_the_loader_are_caught() {
        use crate::data::Plant;
        let _rng = crate::test_support::torch_rng();
        let dir = std::env::temp_dir().join(format!("lstm-stock-compare-plants-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (plant, name) in [
            (Plant::NONE, "honest"),
            (Plant::TRADING_LOOK_AHEAD, "trading look-ahead"),
            (Plant::CENTRED_LOAD, "centred average while loading"),
            (Plant::BAND_PEEK, "adaptive band a day early"),
            (Plant::TRADING_ON_CLOSE, "trading on the day's own close"),
            (Plant::PATH_PEEK, "a multi-day forecast fed the actual price"),
        ] {
            let mut plan = crate::commands::compare::test_plan::plan_with(&dir, plant);
            plan.cfg.base.train.epochs = 6;
            let results: Vec<JobResult> = [Variant::Main, Variant::FutureInTest, Variant::FutureInValidation]
                .into_iter()
                .map(|variant| {
                    let key = JobKey { model: ModelKind::Gru, features: 0, seed: 1, fold: 0, variant };
                    plan.run_job(key).unwrap()
                })
                .collect();
            let checks = leakage(&plan, &results, (ModelKind::Gru, 0)).remove(0).1;
            let sentences: Vec<String> = checks.iter().map(|c| c.sentence("GRU fold 1")).collect();
            eprintln!("{name}: {sentences:?}");
            if plant == Plant::NONE {
                assert!(checks.iter().all(|c| c.passed()), "{sentences:?}");
                assert!(
                    sentences[0].contains("trading rules") && sentences[0].contains("bands"),
                    "{sentences:?}"
                );
            } else {
                assert!(sentences.iter().any(|s| s.starts_with("LEAK")), "{name} not caught: {sentences:?}");
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn leakage_verdicts_pass_fail_or_refuse_to_compare() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-leak-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = plan(&dir);
        let check = |results: Vec<JobResult>| leakage(&plan, &results, (ModelKind::Gru, 0)).remove(0).1;
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
        // and so does one after the other CPU step (a binary with another default)
        let other_step = check(leak_jobs(&plan, |r, v| {
            if v == Variant::FutureInTest {
                r.predicted[0] += 1.0;
                r.setup.gru_step = "libtorch".into();
            }
        }));
        assert!(other_step[0].sentence("GRU fold 1").contains("INCONCLUSIVE"), "{other_step:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
