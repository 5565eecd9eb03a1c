//! `lstm-stock tune`: a search over settings for each model inside compare's walk-forward
//! folds, chosen on each fold's validation days, every trial also scored on the test days to
//! pay for the search (`eval::tune`). The trials are compare's jobs (one per model, setting,
//! seed and fold), so they run in worker processes or as shards in the same way.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use super::compare::{JobResult, Plan, Variant};
use super::compare_jobs::run_all;
use super::compare_report::leakage;
use crate::config::TuneConfig;
use crate::eval::diagnostics::{drift_forecast, moving_average_forecast};
use crate::eval::leakage::LeakCheck;
use crate::eval::tune::{choose, judge, Input, Trial};
use crate::report::{files, tune_md, tune_plot};

/// `tune FILE`: the search here (in `--jobs` processes), then the report.
pub fn run(cfg: &TuneConfig) -> Result<()> {
    let search = cfg.plan()?;
    let plan = Plan::new(&search)?;
    files::check_out_dir(&search.out)?;
    let head = head(&plan, Some(cfg));
    println!("{head}");
    let _out = files::OutputDir::open(&search.out)?;
    let deadline = cfg.budget_seconds.map(|s| Instant::now() + Duration::from_secs_f64(s));
    let results = run_all(&plan, deadline)?;
    let (plan, results, cut) = whole_settings(plan, results)?;
    finish(&plan, &results, head, cut, Some(cfg))
}

/// `tune --shard i/N`: one shard of the search's jobs, written for `tune --merge`.
pub fn shard(cfg: &TuneConfig, (i, n): (usize, usize)) -> Result<()> {
    if cfg.budget_seconds.is_some() {
        crate::bail_input!("--budget with --shard: a shard runs all its jobs; give the budget to a run on one machine, or fewer --trials");
    }
    let path = super::compare_jobs::run_shard_to_file(&cfg.plan()?, i, n, false)?;
    println!(
        "wrote {}; combine all shards with: lstm-stock tune --merge <folders> --out <folder>",
        path.display()
    );
    Ok(())
}

/// `tune --merge DIR...`: the report from shard files made elsewhere.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let (plan, results) = super::compare_jobs::read_run(dirs, true, out)?;
    let _out = files::OutputDir::open(out)?;
    let head =
        format!("{}\nmerged {} jobs from {} location(s)", self::head(&plan, None), results.len(), dirs.len());
    println!("{head}");
    finish(&plan, &results, head, None, None)
}

/// What the search is, in words: the file, the folds and the settings.
fn head(plan: &Plan, cfg: Option<&TuneConfig>) -> String {
    let c = &plan.cfg;
    let main = plan.jobs.iter().filter(|k| k.variant == Variant::Main).count();
    let checks = plan.jobs.len() - main;
    let how = cfg.map_or(String::new(), |t| {
        format!(
            " ({:?} search of a space of {} settings{})",
            t.search,
            t.space.size(),
            t.budget_seconds.map_or(String::new(), |b| format!(", budget {b:.0} s"))
        )
        .to_lowercase()
    });
    let mut s = format!(
        "{}\nsearching {} settings{how} for {} on {} walk-forward fold{} x {} seed{} = {main} jobs{}; each fold's choice is made on its validation days alone",
        plan.series.summary(),
        c.settings.len(),
        c.models.iter().map(|m| m.name().to_uppercase()).collect::<Vec<_>>().join(" and "),
        plan.folds.len(),
        if plan.folds.len() == 1 { "" } else { "s" },
        c.seeds.len(),
        if c.seeds.len() == 1 { "" } else { "s" },
        if checks > 0 { format!(", plus {checks} for the leakage check") } else { String::new() },
    );
    for (k, set) in c.settings.iter().enumerate() {
        s += &format!("\n  #{}: {}", k + 1, set.label());
    }
    s
}

/// Keeps the settings whose every job finished (all of them unless a budget cut the search),
/// renumbered in order; says how many were cut. Refused when the defaults did not finish.
fn whole_settings(
    mut plan: Plan,
    mut results: Vec<JobResult>,
) -> Result<(Plan, Vec<JobResult>, Option<String>)> {
    let total = plan.cfg.settings.len();
    let whole: Vec<usize> = (0..total)
        .filter(|&s| {
            let jobs = plan.jobs.iter().filter(|k| k.features == s);
            jobs.clone().all(|k| results.iter().any(|r| r.key == *k))
        })
        .collect();
    if whole.len() == total {
        return Ok((plan, results, None));
    }
    if whole.first() != Some(&0) {
        crate::bail_input!("--budget: the time ran out before the first setting (the defaults) finished; give a longer --budget");
    }
    let index = |s: usize| whole.iter().position(|&w| w == s);
    results.retain(|r| index(r.key.features).is_some());
    for r in &mut results {
        r.key.features = index(r.key.features).expect("kept");
    }
    plan.jobs.retain(|k| index(k.features).is_some());
    for k in &mut plan.jobs {
        k.features = index(k.features).expect("kept");
    }
    plan.cfg.settings = whole.iter().map(|&s| plan.cfg.settings[s].clone()).collect();
    let note = format!(
        "the --budget ran out: {} of {total} settings finished (#1..#{}); the search (and what it pays for) is those {}",
        whole.len(),
        whole.len(),
        whole.len()
    );
    println!("{note}");
    Ok((plan, results, Some(note)))
}

/// The search's trials as `eval::tune` judges them, from the jobs' forecasts.
pub(crate) fn input(plan: &Plan, results: &[JobResult]) -> Input {
    let (cfg, p) = (&plan.cfg, &plan.series.values);
    let find = |m, s, seed, f| {
        results
            .iter()
            .find(|r| {
                (r.key.model, r.key.features, r.key.seed, r.key.fold, r.key.variant)
                    == (m, s, seed, f, Variant::Main)
            })
            .expect("every job present")
    };
    let rows: Vec<usize> = plan.folds.iter().flat_map(|f| f.val_end..f.test_end).collect();
    let actual: Vec<f64> = rows.iter().map(|&t| p[t]).collect();
    let errors = |pred: &[f64], rows: &[usize]| -> Vec<f64> {
        pred.iter().zip(rows).map(|(x, &t)| x - p[t]).collect()
    };
    let mse = |e: &[f64]| e.iter().map(|x| x * x).sum::<f64>() / e.len().max(1) as f64;
    let mut folds = Vec::new();
    let mut start = 0;
    for f in &plan.folds {
        folds.push(start..start + (f.test_end - f.val_end));
        start += f.test_end - f.val_end;
    }
    let mut trials = Vec::new();
    for (mi, &m) in cfg.models.iter().enumerate() {
        for s in 0..cfg.settings.len() {
            let val_mse = (0..plan.folds.len())
                .map(|f| {
                    let per_seed = cfg.seeds.iter().map(|&seed| {
                        let r = find(m, s, seed, f);
                        mse(&errors(&r.val_predicted, &r.val_rows))
                    });
                    per_seed.sum::<f64>() / cfg.seeds.len() as f64
                })
                .collect();
            let test_errors = cfg
                .seeds
                .iter()
                .map(|&seed| {
                    (0..plan.folds.len())
                        .flat_map(|f| {
                            let r = find(m, s, seed, f);
                            errors(&r.predicted, &r.rows)
                        })
                        .collect()
                })
                .collect();
            trials.push(Trial { model: mi, setting: s, val_mse, test_errors });
        }
    }
    let val_days = plan.folds.iter().map(|f| f.val_end - f.train_end).collect();
    let naive_val_mse = plan
        .folds
        .iter()
        .map(|f| {
            let val: Vec<usize> = (f.train_end..f.val_end).collect();
            mse(&errors(&val.iter().map(|&t| p[t - 1]).collect::<Vec<_>>(), &val))
        })
        .collect();
    let baseline = |pred: Vec<f64>| pred.iter().zip(&actual).map(|(x, a)| x - a).collect::<Vec<f64>>();
    Input {
        models: cfg.models.iter().map(|m| m.name().to_uppercase()).collect(),
        settings: cfg.settings.iter().map(|s| s.label()).collect(),
        trials,
        naive_val_mse,
        val_days,
        folds,
        baselines: vec![
            ("naive".into(), baseline(rows.iter().map(|&t| p[t - 1]).collect())),
            ("drift".into(), baseline(drift_forecast(p, &rows))),
            ("moving average 5".into(), baseline(moving_average_forecast(p, &rows, 5))),
        ],
    }
}

/// The leakage check of a search: every trial's check (first seed, every fold), and whether
/// the choices made on the check's copies (first seed's validation forecasts, the future
/// replaced from the middle of each fold's test block) are the real run's.
pub(crate) fn sanity(plan: &Plan, results: &[JobResult]) -> (Vec<(String, usize, LeakCheck)>, Vec<String>) {
    let cfg = &plan.cfg;
    let mut checks = Vec::new();
    for (m, s) in cfg.contenders() {
        for (f, list) in leakage(plan, results, (m, s)) {
            for c in list {
                checks.push((cfg.label(m, s), f, c));
            }
        }
    }
    let seed = cfg.seeds[0];
    let job = |m, s, f, v: Variant| {
        results
            .iter()
            .find(|r| {
                (r.key.model, r.key.features, r.key.seed, r.key.fold, r.key.variant) == (m, s, seed, f, v)
            })
            .expect("every job present")
    };
    let val_mse = |m, s, f, v: Variant| {
        let r = job(m, s, f, v);
        let e: Vec<f64> =
            r.val_predicted.iter().zip(&r.val_rows).map(|(x, &t)| x - plan.series.values[t]).collect();
        vec![e.iter().map(|x| x * x).sum::<f64>() / e.len().max(1) as f64]
    };
    let mut choices = Vec::new();
    for &m in &cfg.models {
        for f in 0..plan.folds.len() {
            let pick = |v| {
                let vals: Vec<Vec<f64>> = (0..cfg.settings.len()).map(|s| val_mse(m, s, f, v)).collect();
                choose(&vals.iter().map(Vec::as_slice).collect::<Vec<_>>())[0]
            };
            let (real, copy) = (pick(Variant::Main), pick(Variant::FutureInTest));
            let name = m.name().to_uppercase();
            let same_setup = (0..cfg.settings.len())
                .all(|s| job(m, s, f, Variant::Main).setup == job(m, s, f, Variant::FutureInTest).setup);
            choices.push(if !same_setup {
                format!(
                    "{name} fold {}: choice INCONCLUSIVE: the real jobs and the check's ran with different thread counts or switches; give --threads when shards run on different machines",
                    f + 1
                )
            } else if real == copy {
                format!("{name} fold {}: the choice (first seed) is #{} on the copy too", f + 1, real + 1)
            } else {
                format!(
                    "LEAK: {name} fold {}: the choice (first seed) moved from #{} to #{} when only the test block's future changed",
                    f + 1,
                    real + 1,
                    copy + 1
                )
            });
        }
    }
    (checks, choices)
}

/// Writes every output; `head` is what was printed before the report, `search` how the
/// settings were drawn (unknown to a merge, whose shards hold the settings themselves).
fn finish(
    plan: &Plan,
    results: &[JobResult],
    head: String,
    cut: Option<String>,
    search: Option<&TuneConfig>,
) -> Result<()> {
    let cfg = &plan.cfg;
    let input = input(plan, results);
    let report = judge(&input, cfg.base.seed);
    let sanity = cfg.sanity.then(|| sanity(plan, results));
    let md =
        tune_md::markdown(cfg, &plan.series.dates, &plan.folds, &report, sanity.as_ref(), cut.as_deref());
    print!("{}", tune_md::console(&report, sanity.as_ref()));
    let out = &cfg.out;
    let stem = crate::config::file_stem(&cfg.base.csv);
    tune_plot::tune_png(
        &out.join("tune.png"),
        &format!("{stem}: each trial's skill on the test days against its skill on the validation days"),
        &report,
    )?;
    files::write_atomic(&out.join("tune.md"), md.as_bytes())?;
    files::write_atomic(&out.join("trials.csv"), trials_csv(plan, results).as_bytes())?;
    files::write_atomic(&out.join("losses.csv"), losses_csv(plan, &input).as_bytes())?;
    let (file, folds) = plan.input_and_folds_json()?;
    let doc = json!({
        "command": "tune",
        "settings": cfg,
        "input": file,
        "folds": folds,
        "search": search.map(|t| json!({"space": t.space, "search": t.search, "trials": t.trials, "budget_seconds": t.budget_seconds})),
        "report": report,
        "budget": cut,
        "versions": crate::versions::record(),
    });
    files::write_json(&out.join("tune.json"), &doc)?;
    let wrote = format!(
        "wrote tune.png, tune.md, trials.csv, losses.csv, tune.json, report.html to {}",
        out.display()
    );
    println!("{wrote}");
    let page = crate::report::html::Page {
        title: format!("{stem}: {} tuned, the search paid for", report.tuned.iter().map(|t| t.model.as_str()).collect::<Vec<_>>().join(" and ")),
        text: format!("{head}\n{wrote}"),
        markdown: Some(md),
        charts: vec![(
            "test skill against validation skill per trial (filled: in the 90% model confidence set; rings: chosen in some fold)".into(),
            out.join("tune.png"),
        )],
        settings: serde_json::to_value(cfg)?,
    };
    crate::report::html::write(out, &page)
}

/// `trials.csv`: one row per job of the search (model, setting, fold, seed), with the setting's
/// values, its validation and test MSE in price units, epochs and time.
fn trials_csv(plan: &Plan, results: &[JobResult]) -> String {
    let (cfg, p) = (&plan.cfg, &plan.series.values);
    let mut s = String::from(
        "model,trial,setting,hidden,layers,window,dropout,lr,features,target,fold,seed,validation_mse,test_mse,epochs_run,best_epoch,seconds\n",
    );
    let mse = |pred: &[f64], rows: &[usize]| {
        pred.iter().zip(rows).map(|(x, &t)| (x - p[t]).powi(2)).sum::<f64>() / rows.len().max(1) as f64
    };
    let mut main: Vec<&JobResult> = results.iter().filter(|r| r.key.variant == Variant::Main).collect();
    main.sort_by_key(|r| {
        (cfg.models.iter().position(|&m| m == r.key.model), r.key.features, r.key.fold, r.key.seed)
    });
    for r in main {
        let c = cfg.contender_config(r.key.model, r.key.features);
        s += &format!(
            "{},{},\"{}\",{},{},{},{},{},\"{}\",{},{},{},{},{},{},{},{:.3}\n",
            r.key.model.name(),
            r.key.features + 1,
            cfg.settings[r.key.features].label(),
            c.hidden,
            c.layers,
            c.window,
            c.dropout,
            c.train.lr,
            crate::data::features::names(&c.features),
            c.target.name(),
            r.key.fold + 1,
            r.key.seed,
            mse(&r.val_predicted, &r.val_rows),
            mse(&r.predicted, &r.rows),
            r.train_loss.len(),
            r.best_epoch,
            r.seconds
        );
    }
    s
}

/// `losses.csv`: per pooled test day, the squared error of every trial (mean over seeds) and of
/// each baseline: the table SPA (naive against the trials) and the model confidence set (the
/// trials and the baselines) are computed on, for a user to recompute in `arch`.
fn losses_csv(plan: &Plan, input: &Input) -> String {
    let rows: Vec<usize> = plan.folds.iter().flat_map(|f| f.val_end..f.test_end).collect();
    let names: Vec<String> = input
        .trials
        .iter()
        .map(|t| format!("{} #{}", input.models[t.model], t.setting + 1))
        .chain(input.baselines.iter().map(|(n, _)| n.clone()))
        .collect();
    let mut s = format!("date,fold,{}\n", names.join(","));
    for (d, &t) in rows.iter().enumerate() {
        let fold = input.folds.iter().position(|r| r.contains(&d)).unwrap_or(0) + 1;
        let losses = input
            .trials
            .iter()
            .map(|tr| tr.test_errors.iter().map(|e| e[d] * e[d]).sum::<f64>() / tr.test_errors.len() as f64)
            .chain(input.baselines.iter().map(|(_, e)| e[d] * e[d]));
        s += &format!("{},{fold}", plan.series.dates[t]);
        for l in losses {
            s += &format!(",{l}");
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::compare::test_plan::{placeholder, plan_with};
    use crate::commands::compare::JobKey;
    use crate::data::Plant;
    use crate::space::Setting;

    /// A search of the defaults and one other setting, GRU only, one seed, one fold, with the
    /// leakage check's jobs, on the compare tests' random walk with `plant` planted.
    fn search(dir: &Path, plant: Plant) -> (Plan, Vec<JobResult>) {
        let base = plan_with(dir, plant);
        let mut cfg = base.cfg.clone();
        cfg.settings =
            vec![Setting::default(), Setting { hidden: Some(8), window: Some(30), ..Setting::default() }];
        cfg.power_paths = 0;
        cfg.base.trading = false;
        cfg.base.train.epochs = 6;
        let plan = Plan::new(&cfg).unwrap();
        let results = plan.jobs.iter().map(|&k| plan.run_job(k).unwrap()).collect();
        (plan, results)
    }

    fn lines((checks, choices): &(Vec<(String, usize, LeakCheck)>, Vec<String>)) -> Vec<String> {
        checks
            .iter()
            .map(|(l, f, c)| c.sentence(&format!("{l} fold {}", f + 1)))
            .chain(choices.iter().cloned())
            .collect()
    }

    /// The search's leakage check on real jobs: honest passes; a centred average planted in the
    /// loader and early stopping planted on the test part are caught; and a choice that moves
    /// on the check's copy (planted in the copy's validation forecasts) is named.
    #[test]
    fn the_search_leakage_check_fires_on_planted_leaks_and_moved_choices() {
        let _rng = crate::test_support::torch_rng();
        let dir = std::env::temp_dir().join(format!("lstm-stock-tune-leak-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let stop_on_test = Plant::leaks().into_iter().find(|(_, n)| n.contains("early stopping")).unwrap().0;
        for (plant, name) in
            [(Plant::NONE, "honest"), (Plant::CENTRED_LOAD, "centred load"), (stop_on_test, "stop on test")]
        {
            let (plan, mut results) = search(&dir, plant);
            assert_eq!(plan.jobs.len(), 6, "{:?}", plan.jobs);
            let found = lines(&sanity(&plan, &results));
            eprintln!("{name}: {found:?}");
            if plant != Plant::NONE {
                assert!(found.iter().any(|s| s.starts_with("LEAK")), "{name} not caught: {found:?}");
                continue;
            }
            assert!(found.iter().all(|s| !s.starts_with("LEAK")), "{found:?}");
            assert!(found.iter().any(|s| s.contains("the choice (first seed) is #")), "{found:?}");
            // the copy's validation forecasts of the setting chosen made much worse: the
            // check's choice moves, and the check says so (its forecasts changed too)
            let real = {
                let v: Vec<Vec<f64>> = (0..2)
                    .map(|s| {
                        let r = results
                            .iter()
                            .find(|r| r.key.features == s && r.key.variant == Variant::Main)
                            .unwrap();
                        let e: Vec<f64> = r
                            .val_predicted
                            .iter()
                            .zip(&r.val_rows)
                            .map(|(x, &t)| x - plan.series.values[t])
                            .collect();
                        vec![e.iter().map(|x| x * x).sum::<f64>()]
                    })
                    .collect();
                choose(&v.iter().map(Vec::as_slice).collect::<Vec<_>>())[0]
            };
            let copy = results
                .iter_mut()
                .find(|r| r.key.features == real && r.key.variant == Variant::FutureInTest)
                .unwrap();
            for v in &mut copy.val_predicted {
                *v += 1000.0;
            }
            let found = lines(&sanity(&plan, &results));
            assert!(
                found.iter().any(|s| s.starts_with("LEAK: GRU fold 1: the choice (first seed) moved")),
                "{found:?}"
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A budget that ends inside the search keeps the settings whose every job finished,
    /// renumbered; one that ends before the defaults finish is refused.
    #[test]
    fn a_cut_search_keeps_whole_settings_only() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-tune-cut-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = plan_with(&dir, Plant::NONE);
        let mut cfg = base.cfg.clone();
        cfg.sanity = false;
        cfg.power_paths = 0;
        cfg.seeds = vec![1, 2];
        cfg.settings =
            (0..3).map(|k| Setting { hidden: (k > 0).then_some(4 * k), ..Setting::default() }).collect();
        let plan = Plan::new(&cfg).unwrap();
        let fake = |key: JobKey| placeholder(&plan, key);
        // setting 2 (#2) lost one job: #1 and #3 are kept, #3 renumbered #2
        let done: Vec<JobResult> =
            plan.jobs.iter().filter(|k| !(k.features == 1 && k.seed == 2)).map(|&k| fake(k)).collect();
        let (cut, results, note) = whole_settings(Plan::new(&cfg).unwrap(), done).unwrap();
        assert_eq!(cut.cfg.settings, vec![cfg.settings[0].clone(), cfg.settings[2].clone()]);
        assert!(results.iter().all(|r| r.key.features < 2) && results.len() == 4, "{}", results.len());
        assert!(results.iter().any(|r| r.key.features == 1 && r.key.seed == 2));
        assert_eq!(cut.jobs.len(), 4);
        assert!(note.unwrap().contains("2 of 3 settings finished"));
        // the defaults unfinished: refused
        let done: Vec<JobResult> = plan.jobs.iter().skip(1).map(|&k| fake(k)).collect();
        let e = format!("{:#}", whole_settings(Plan::new(&cfg).unwrap(), done).err().unwrap());
        assert!(e.contains("before the first setting (the defaults) finished"), "{e}");
        // all done: nothing cut
        let all: Vec<JobResult> = plan.jobs.iter().map(|&k| fake(k)).collect();
        assert!(whole_settings(Plan::new(&cfg).unwrap(), all).unwrap().2.is_none());
        std::fs::remove_dir_all(&dir).ok();
    }
}
