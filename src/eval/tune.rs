//! What a search found, with the search paid for. Each model's setting is chosen per outer
//! fold on that fold's validation days alone, and the chosen settings' forecasts of the test
//! blocks make up the *tuned* model. Every trial is also scored on the test days, never to
//! choose but to ask what the search cost: Hansen's SPA test (does the best of all trials beat
//! naive, once the number of trials is paid for?), the model confidence set (which trials and
//! baselines cannot be told from the best?) and the chosen setting's rank on the test days (how
//! much was the choice luck?). Then the tuned models against each other and against naive with
//! the seed-aware test of `compare`, beside their untuned defaults.

use std::ops::Range;

use serde::Serialize;

use super::mcs::{mcs, Mcs};
use super::spa::{spa, Spa};
use super::stats::{seeded_dm, SeededTest};

/// Mean block length (days) of the stationary bootstrap of SPA and the model confidence set:
/// arch's default, and about two weeks of trading days, longer than the autocorrelation of
/// daily squared errors that matters.
pub const MEAN_BLOCK: usize = 10;
/// Resamples of SPA and of the model confidence set.
pub const RESAMPLES: usize = 5000;
/// The model confidence sets reported: 90% and 75% (`alpha` 0.10 and 0.25).
pub const MCS_LEVELS: [f64; 2] = [0.10, 0.25];

/// One trial (a model with a setting), as the search saw it.
#[derive(Debug, Clone)]
pub struct Trial {
    /// Index into the search's models.
    pub model: usize,
    /// Index of the setting (0: the defaults).
    pub setting: usize,
    /// Per fold, the mean over seeds of the validation days' mean squared error (price units).
    pub val_mse: Vec<f64>,
    /// Per seed, the errors (forecast less actual) on the pooled test days.
    pub test_errors: Vec<Vec<f64>>,
}

/// What a search is judged on.
#[derive(Debug, Clone)]
pub struct Input {
    pub models: Vec<String>,
    /// How each setting is named (`hidden 32, lr 0.003`; the first: `defaults`).
    pub settings: Vec<String>,
    pub trials: Vec<Trial>,
    /// Per fold: naive's validation MSE (for a trial's validation skill) and the validation days.
    pub naive_val_mse: Vec<f64>,
    pub val_days: Vec<usize>,
    /// Per fold: its days among the pooled test days.
    pub folds: Vec<Range<usize>>,
    /// The baselines' errors on the pooled test days, naive (tomorrow = today) first.
    pub baselines: Vec<(String, Vec<f64>)>,
}

/// A trial's figures.
#[derive(Debug, Clone, Serialize)]
pub struct TrialSummary {
    pub label: String,
    pub model: String,
    pub setting: usize,
    pub setting_label: String,
    /// Skill (1 - RMSE / naive's RMSE) on the validation days, pooled over folds.
    pub val_skill: f64,
    pub test_rmse: f64,
    pub test_skill: f64,
    /// Per fold: the rank of its test MSE among its model's settings (1: the best).
    pub fold_test_rank: Vec<usize>,
    /// In the model confidence sets (90%, 75%).
    pub in_mcs: [bool; 2],
    pub mcs_p: f64,
}

/// One model's choices and the tuned model they make.
#[derive(Debug, Clone, Serialize)]
pub struct Tuned {
    pub model: String,
    /// Per fold, the setting chosen on the validation days.
    pub chosen: Vec<usize>,
    /// Per fold, the chosen setting's rank on that fold's test days among the model's settings.
    pub chosen_test_rank: Vec<usize>,
    pub settings: usize,
    pub rmse: f64,
    pub skill: f64,
    pub default_rmse: f64,
    pub default_skill: f64,
    /// Seed-aware tests against naive: the tuned model's and the defaults'.
    pub vs_naive: Option<SeededTest>,
    pub default_vs_naive: Option<SeededTest>,
}

/// Two models, tuned and untuned, by `compare`'s seed-aware test (negative: the first better).
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub first: String,
    pub second: String,
    pub tuned: Option<SeededTest>,
    pub untuned: Option<SeededTest>,
}

/// Everything a search found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub trials: Vec<TrialSummary>,
    pub tuned: Vec<Tuned>,
    pub pairs: Vec<Pair>,
    pub naive_rmse: f64,
    pub days: usize,
    /// SPA of every trial against naive.
    pub spa: Option<Spa>,
    /// The best trial on the test days against naive by the plain seed-aware test: what a
    /// search that does not pay for itself reports.
    pub best_plain: Option<SeededTest>,
    /// That test's one-sided p-value (the best trial better than naive), to read beside SPA's,
    /// which is one-sided too.
    pub best_plain_p: Option<f64>,
    /// The model confidence set over the trials, then the baselines (`mcs_names` in order).
    pub mcs: Option<Mcs>,
    pub mcs_names: Vec<String>,
    pub verdicts: Vec<String>,
}

fn squares_mean(e: &[f64]) -> f64 {
    e.iter().map(|x| x * x).sum::<f64>() / e.len().max(1) as f64
}

/// Per day, the mean over seeds of the squared error.
fn seed_mean_loss(errors: &[Vec<f64>]) -> Vec<f64> {
    let n = errors.first().map_or(0, Vec::len);
    (0..n).map(|t| errors.iter().map(|e| e[t] * e[t]).sum::<f64>() / errors.len() as f64).collect()
}

/// Per fold, the setting of `trials` (one model's) with the smallest validation MSE, the
/// earlier setting on a tie (the defaults first). Only validation figures go in.
pub fn choose(val_mse: &[&[f64]]) -> Vec<usize> {
    let folds = val_mse.first().map_or(0, |v| v.len());
    (0..folds)
        .map(|f| {
            (0..val_mse.len())
                .min_by(|&a, &b| val_mse[a][f].total_cmp(&val_mse[b][f]).then(a.cmp(&b)))
                .unwrap_or(0)
        })
        .collect()
}

/// 1-based rank of each value among `values` (ties share the better rank).
fn ranks(values: &[f64]) -> Vec<usize> {
    values.iter().map(|v| 1 + values.iter().filter(|w| *w < v).count()).collect()
}

/// Judges a search: choices, tuned models, SPA and the model confidence set, verdicts.
pub fn judge(input: &Input, seed: u64) -> Report {
    let naive = &input.baselines[0].1;
    let days = naive.len();
    let naive_rmse = squares_mean(naive).sqrt();
    let skill = |mse: f64| 1.0 - mse.sqrt() / naive_rmse;
    let fold_mse = |e: &[Vec<f64>], r: &Range<usize>| {
        e.iter().map(|s| squares_mean(&s[r.clone()])).sum::<f64>() / e.len() as f64
    };
    let val_days: Vec<f64> = input.val_days.iter().map(|&d| d as f64).collect();
    let naive_val = pooled(&input.naive_val_mse, &val_days);
    let of_model =
        |m: usize| input.trials.iter().enumerate().filter(move |(_, t)| t.model == m).map(|(i, _)| i);

    // per trial and fold, the test MSE, ranked within its model
    let test_fold: Vec<Vec<f64>> = input
        .trials
        .iter()
        .map(|t| input.folds.iter().map(|r| fold_mse(&t.test_errors, r)).collect())
        .collect();
    let mut fold_rank = vec![vec![0; input.folds.len()]; input.trials.len()];
    for m in 0..input.models.len() {
        let own: Vec<usize> = of_model(m).collect();
        for f in 0..input.folds.len() {
            let r = ranks(&own.iter().map(|&i| test_fold[i][f]).collect::<Vec<_>>());
            for (&i, r) in own.iter().zip(r) {
                fold_rank[i][f] = r;
            }
        }
    }

    // the search paid for: SPA over every trial, the model confidence set with the baselines
    let losses: Vec<Vec<f64>> = input.trials.iter().map(|t| seed_mean_loss(&t.test_errors)).collect();
    let naive_loss: Vec<f64> = naive.iter().map(|e| e * e).collect();
    let spa_result = spa(&naive_loss, &losses, MEAN_BLOCK, RESAMPLES, seed);
    let best_plain = spa_result
        .as_ref()
        .and_then(|s| seeded_dm(&input.trials[s.best].test_errors, std::slice::from_ref(naive), 1));
    // negative statistic: the trial's loss below naive's
    let best_plain_p =
        best_plain.map(|t| if t.statistic < 0.0 { t.p_value / 2.0 } else { 1.0 - t.p_value / 2.0 });
    let mut all = losses.clone();
    all.extend(input.baselines.iter().map(|(_, e)| e.iter().map(|x| x * x).collect()));
    let mcs_result = mcs(&all, MEAN_BLOCK, RESAMPLES, seed.wrapping_add(1));
    let label = |t: &Trial| format!("{} #{}", input.models[t.model], t.setting + 1);
    let mut mcs_names: Vec<String> = input.trials.iter().map(label).collect();
    mcs_names.extend(input.baselines.iter().map(|(n, _)| n.clone()));
    let p_of = |i: usize| mcs_result.as_ref().map_or(1.0, |m| m.p_values[i]);

    let trials: Vec<TrialSummary> = input
        .trials
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mse = losses[i].iter().sum::<f64>() / days as f64;
            TrialSummary {
                label: label(t),
                model: input.models[t.model].clone(),
                setting: t.setting,
                setting_label: input.settings[t.setting].clone(),
                val_skill: 1.0 - (pooled(&t.val_mse, &val_days) / naive_val).sqrt(),
                test_rmse: mse.sqrt(),
                test_skill: skill(mse),
                fold_test_rank: fold_rank[i].clone(),
                in_mcs: MCS_LEVELS.map(|a| p_of(i) > a),
                mcs_p: p_of(i),
            }
        })
        .collect();

    // each model tuned: per fold the setting chosen on validation, its test days spliced
    let mut tuned = Vec::new();
    let mut tuned_errors = Vec::new();
    let mut default_errors = Vec::new();
    for (m, name) in input.models.iter().enumerate() {
        let own: Vec<usize> = of_model(m).collect();
        let vals: Vec<&[f64]> = own.iter().map(|&i| input.trials[i].val_mse.as_slice()).collect();
        let picks = choose(&vals);
        let chosen: Vec<usize> = picks.iter().map(|&k| own[k]).collect();
        let seeds = input.trials[own[0]].test_errors.len();
        let spliced: Vec<Vec<f64>> = (0..seeds)
            .map(|s| {
                input
                    .folds
                    .iter()
                    .zip(&chosen)
                    .flat_map(|(r, &i)| input.trials[i].test_errors[s][r.clone()].to_vec())
                    .collect()
            })
            .collect();
        let default = own.iter().copied().find(|&i| input.trials[i].setting == 0).unwrap_or(own[0]);
        let default_e = input.trials[default].test_errors.clone();
        let mse = seed_mean_loss(&spliced).iter().sum::<f64>() / days as f64;
        let default_mse = losses[default].iter().sum::<f64>() / days as f64;
        tuned.push(Tuned {
            model: name.clone(),
            chosen: chosen.iter().map(|&i| input.trials[i].setting).collect(),
            chosen_test_rank: chosen.iter().enumerate().map(|(f, &i)| fold_rank[i][f]).collect(),
            settings: own.len(),
            rmse: mse.sqrt(),
            skill: skill(mse),
            default_rmse: default_mse.sqrt(),
            default_skill: skill(default_mse),
            vs_naive: seeded_dm(&spliced, std::slice::from_ref(naive), 1),
            default_vs_naive: seeded_dm(&default_e, std::slice::from_ref(naive), 1),
        });
        tuned_errors.push(spliced);
        default_errors.push(default_e);
    }
    let mut pairs = Vec::new();
    for a in 0..input.models.len() {
        for b in a + 1..input.models.len() {
            pairs.push(Pair {
                first: input.models[a].clone(),
                second: input.models[b].clone(),
                tuned: seeded_dm(&tuned_errors[a], &tuned_errors[b], 1),
                untuned: seeded_dm(&default_errors[a], &default_errors[b], 1),
            });
        }
    }
    let mut report = Report {
        trials,
        tuned,
        pairs,
        naive_rmse,
        days,
        spa: spa_result,
        best_plain,
        best_plain_p,
        mcs: mcs_result,
        mcs_names,
        verdicts: vec![],
    };
    report.verdicts = verdicts(&report, input.baselines.len());
    report
}

/// Mean of per-fold MSEs weighted by the folds' days.
fn pooled(mse: &[f64], days: &[f64]) -> f64 {
    mse.iter().zip(days).map(|(m, d)| m * d).sum::<f64>() / days.iter().sum::<f64>()
}

/// The report in words.
pub fn verdicts(r: &Report, baselines: usize) -> Vec<String> {
    let mut v = Vec::new();
    let n = r.trials.len();
    if let (Some(s), Some(plain)) = (&r.spa, r.best_plain_p) {
        let best = &r.trials[s.best];
        let plain_words = format!(
            "the best of them on the test days, {} ({}), scores skill {:+.3} against naive (one-sided p = {plain:.3} by a plain test, which does not pay for the search)",
            best.label, best.setting_label, best.test_skill
        );
        if s.best_improvement <= 0.0 {
            v.push(format!("after paying for {n} tries, no setting beats tomorrow = today: none has a smaller mean squared error on the test days (SPA p = {:.2}); {plain_words}", s.p_consistent));
        } else if s.p_consistent < 0.05 {
            v.push(format!("after paying for {n} tries, the best setting beats tomorrow = today (SPA p = {:.3}): {plain_words}", s.p_consistent));
        } else {
            v.push(format!("after paying for {n} tries, no setting beats tomorrow = today (SPA p = {:.2}); {plain_words}", s.p_consistent));
        }
    }
    if let Some(m) = &r.mcs {
        for alpha in MCS_LEVELS {
            let set = m.set(alpha);
            let kept_trials = set.iter().filter(|&&i| i < n).count();
            let kept_base: Vec<&str> =
                set.iter().filter(|&&i| i >= n).map(|&i| r.mcs_names[i].as_str()).collect();
            let base = match kept_base.len() {
                0 => format!("none of the {baselines} baselines"),
                _ => kept_base.join(", "),
            };
            let level = ((1.0 - alpha) * 100.0).round();
            v.push(format!(
                "the {level}% model confidence set holds {base} and {kept_trials} of {n} settings"
            ));
        }
    }
    for t in &r.tuned {
        let best_share = t.chosen_test_rank.iter().filter(|&&k| k == 1).count();
        let stable = t.chosen.windows(2).all(|w| w[0] == w[1]);
        let folds = t.chosen.len();
        let choice = if stable {
            format!(
                "setting #{} in {}",
                t.chosen[0] + 1,
                if folds == 1 { "its one fold".into() } else { format!("all {folds} folds") }
            )
        } else {
            format!(
                "settings {} in folds 1..{folds} (the choice is not stable)",
                t.chosen.iter().map(|s| format!("#{}", s + 1)).collect::<Vec<_>>().join(", ")
            )
        };
        v.push(format!(
            "{}: the validation days chose {choice}; on the test days the choice ranked {} of {} (best in {} fold{})",
            t.model,
            t.chosen_test_rank.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "),
            t.settings,
            best_share,
            if best_share == 1 { "" } else { "s" },
        ));
    }
    for p in &r.pairs {
        let words = |t: &Option<SeededTest>| match t {
            None => "no test (no variance)".to_string(),
            Some(t) if t.p_value < 0.05 => {
                let better = if t.mean_loss_difference < 0.0 { &p.first } else { &p.second };
                format!("{better} is better (p = {:.3})", t.p_value)
            }
            Some(t) => format!("no evidence of a difference (p = {:.2})", t.p_value),
        };
        let (tuned, untuned) = (words(&p.tuned), words(&p.untuned));
        let change = if significant_side(&p.tuned) == significant_side(&p.untuned) {
            "tuning does not change the verdict"
        } else {
            "tuning CHANGES the verdict"
        };
        v.push(format!("{} vs {}: tuned, {tuned}; untuned defaults, {untuned}: {change}", p.first, p.second));
    }
    v
}

/// Which side a test calls better at 5% (`Some(true)`: the first), or `None`.
fn significant_side(t: &Option<SeededTest>) -> Option<bool> {
    t.as_ref().filter(|t| t.p_value < 0.05).map(|t| t.mean_loss_difference < 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Normal;

    /// A search of two models with `settings` each on 3 folds of 80 days, every trial naive
    /// plus noise; `tweak` changes the trials before judging.
    fn search(settings: usize, seed: u64, tweak: impl Fn(&mut Vec<Trial>)) -> (Input, Report) {
        let mut g = Normal(seed);
        let days = 240;
        let naive: Vec<f64> = (0..days).map(|_| g.draw()).collect();
        let folds = vec![0..80, 80..160, 160..240];
        let mut trials = Vec::new();
        for model in 0..2 {
            for setting in 0..settings {
                // each seed's errors: naive's plus a small independent part
                let test_errors: Vec<Vec<f64>> =
                    (0..2).map(|_| naive.iter().map(|e| e + 0.3 * g.draw()).collect()).collect();
                let val_mse = (0..3).map(|_| 1.0 + 0.05 * g.draw()).collect();
                trials.push(Trial { model, setting, val_mse, test_errors });
            }
        }
        tweak(&mut trials);
        let input = Input {
            models: vec!["LSTM".into(), "GRU".into()],
            settings: (0..settings)
                .map(|s| if s == 0 { "defaults".into() } else { format!("setting {s}") })
                .collect(),
            trials,
            naive_val_mse: vec![1.0; 3],
            val_days: vec![60; 3],
            folds,
            baselines: vec![
                ("naive".into(), naive.clone()),
                ("drift".into(), naive.iter().map(|e| e + 0.5).collect()),
            ],
        };
        let report = judge(&input, 3);
        (input, report)
    }

    /// The choice reads validation figures only: a setting planted best on the test days but
    /// worst on validation is never chosen, one planted best on validation always is, and the
    /// tuned model's errors are that setting's, fold by fold.
    #[test]
    fn settings_are_chosen_on_validation_and_spliced_by_fold() {
        let (input, r) = search(5, 1, |t| {
            // LSTM #3: the best on the test days, the worst on validation
            t[2].test_errors = vec![vec![0.0; 240]; 2];
            t[2].val_mse = vec![9.0; 3];
            // LSTM #2 best on validation in fold 2 only, #4 in folds 1 and 3
            t[1].val_mse = vec![2.0, 0.1, 2.0];
            t[3].val_mse = vec![0.1, 2.0, 0.1];
        });
        let lstm = &r.tuned[0];
        assert_eq!(lstm.chosen, vec![3, 1, 3], "{lstm:?}");
        // LSTM #3 holds rank 1 on the test days in every fold, so the choice never does
        assert!(lstm.chosen_test_rank.iter().all(|&k| k > 1), "{lstm:?}");
        let expect: Vec<f64> = (0..240)
            .map(|d| {
                let i = if (80..160).contains(&d) { 1 } else { 3 };
                (input.trials[i].test_errors[0][d].powi(2) + input.trials[i].test_errors[1][d].powi(2)) / 2.0
            })
            .collect();
        let rmse = (expect.iter().sum::<f64>() / 240.0).sqrt();
        assert!((lstm.rmse - rmse).abs() < 1e-12, "{} vs {rmse}", lstm.rmse);
        assert!(
            r.verdicts
                .iter()
                .any(|v| v.contains("LSTM: the validation days chose settings #4, #2, #4 in folds 1..3")),
            "{:?}",
            r.verdicts
        );
        // the planted test-day winner is the SPA's best, and the search cannot miss it
        assert_eq!(r.spa.as_ref().unwrap().best, 2);
        assert!(r.verdicts[0].contains("the best setting beats tomorrow = today"), "{:?}", r.verdicts);
        assert!(r.trials[2].in_mcs[0] && r.trials[2].mcs_p == 1.0);
    }

    /// Settings that are all noise around naive: the verdict pays for the search and the
    /// confidence set keeps naive; with one setting planted better, the verdict finds it.
    #[test]
    fn verdicts_pay_for_the_search_and_name_the_sets() {
        let (_, noise) = search(10, 5, |_| {});
        let v = &noise.verdicts;
        assert!(v[0].starts_with("after paying for 20 tries, no setting beats tomorrow = today"), "{v:?}");
        assert!(v[1].contains("90% model confidence set holds naive"), "{v:?}");
        assert!(v[2].contains("75% model confidence set"), "{v:?}");
        assert!(v.iter().any(|s| s.starts_with("LSTM vs GRU: tuned, ")), "{v:?}");
        // GRU #2 planted: every error shrunk by a fifth
        let (_, planted) = search(10, 5, |t| {
            for e in t[11].test_errors.iter_mut().flatten() {
                *e *= 0.8;
            }
        });
        assert_eq!(planted.spa.as_ref().unwrap().best, 11);
        assert!(planted.spa.as_ref().unwrap().p_consistent < 0.05, "{:?}", planted.spa);
        assert!(planted.verdicts[0].contains("GRU #2"), "{:?}", planted.verdicts);
        // naive, 20% worse in squared error than the planted one, leaves the 90% set
        assert!(!planted.verdicts[1].contains("holds naive"), "{:?}", planted.verdicts);
    }

    #[test]
    fn a_change_of_verdict_by_tuning_is_said() {
        // GRU's defaults planted worse: untuned, LSTM wins; tuned, no difference
        let (_, r) = search(4, 9, |t| {
            for e in t[4].test_errors.iter_mut().flatten() {
                *e *= 1.5;
            }
            t[4].val_mse = vec![5.0; 3];
        });
        let line = r.verdicts.iter().find(|v| v.starts_with("LSTM vs GRU")).unwrap();
        assert!(
            line.contains("untuned defaults, LSTM is better") && line.contains("tuning CHANGES the verdict"),
            "{line}"
        );
    }
}
