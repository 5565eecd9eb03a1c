//! `tune.md` and the console of `tune`: the settings tried, each trial's figures, the choices
//! per fold, the tuned models against each other and naive, and what the search cost.

use chrono::NaiveDate;

use crate::config::CompareConfig;
use crate::data::split::Fold;
use crate::eval::leakage::LeakCheck;
use crate::eval::tune::{Report, MCS_LEVELS, MEAN_BLOCK, RESAMPLES};

/// The leakage check of a search: each trial's checks (label, fold, check) and the choices.
pub type Sanity = (Vec<(String, usize, LeakCheck)>, Vec<String>);

fn p(t: &Option<crate::eval::stats::SeededTest>) -> String {
    t.as_ref().map_or("-".into(), |t| format!("{:.3}", t.p_value))
}

/// What the console prints after the jobs: the verdicts and the tuned models.
pub fn console(r: &Report, sanity: Option<&Sanity>) -> String {
    let mut s = format!(
        "\ntest days pooled over folds: {}; naive RMSE {:.4}\n{:<28} {:>9} {:>8} {:>10}   {:>9} {:>8} {:>10}\n",
        r.days, r.naive_rmse, "model", "tuned RMSE", "skill", "p vs naive", "default", "skill", "p vs naive"
    );
    for t in &r.tuned {
        s += &format!(
            "{:<28} {:>9.4} {:>+8.3} {:>10}   {:>9.4} {:>+8.3} {:>10}\n",
            t.model,
            t.rmse,
            t.skill,
            p(&t.vs_naive),
            t.default_rmse,
            t.default_skill,
            p(&t.default_vs_naive)
        );
    }
    s += "\n";
    for v in &r.verdicts {
        s += &format!("{v}\n");
    }
    if let Some((checks, choices)) = sanity {
        s += &sanity_summary(checks, choices);
    }
    s
}

/// The leakage check in one or a few lines: passed, or each failure.
fn sanity_summary(checks: &[(String, usize, LeakCheck)], choices: &[String]) -> String {
    let failed: Vec<String> = checks
        .iter()
        .filter(|(_, _, c)| !c.passed())
        .map(|(label, f, c)| c.sentence(&format!("{label} fold {}", f + 1)))
        .chain(choices.iter().filter(|c| c.starts_with("LEAK") || c.contains("INCONCLUSIVE")).cloned())
        .collect();
    if failed.is_empty() {
        let compared: usize = checks.iter().map(|(_, _, c)| c.compared).sum();
        format!(
            "leakage check: passed; on copies with each fold's future replaced (from the middle of its test block, and of its validation part), every trial's scalers, losses, weights and forecasts before the change are identical bit for bit ({} checks, {compared} values), and every fold's choice is the same\n",
            checks.len()
        )
    } else {
        failed.iter().map(|f| format!("{f}\n")).collect()
    }
}

/// `tune.md`: everything the search found.
pub fn markdown(
    cfg: &CompareConfig,
    dates: &[NaiveDate],
    folds: &[Fold],
    r: &Report,
    sanity: Option<&Sanity>,
    cut: Option<&str>,
) -> String {
    let models: Vec<String> = cfg.models.iter().map(|m| m.name().to_uppercase()).collect();
    let mut s = format!(
        "# {}: {} tuned, the search paid for\n\n",
        crate::config::file_stem(&cfg.base.csv),
        models.join(" and ")
    );
    s += "## Verdicts\n\n";
    for v in &r.verdicts {
        s += &format!("- {v}\n");
    }
    if let Some(c) = cut {
        s += &format!("- {c}\n");
    }
    s += "\n## Settings tried\n\nThe first is the untuned default; each is trained with every model, seed and fold.\n\n| # | setting |\n|---|---|\n";
    for (k, set) in cfg.settings.iter().enumerate() {
        s += &format!("| {} | {} |\n", k + 1, set.label());
    }
    s += "\n## Folds\n\n| fold | validation (chooses) | test (scores) |\n|---|---|---|\n";
    for (k, f) in folds.iter().enumerate() {
        s += &format!(
            "| {} | {} .. {} | {} .. {} |\n",
            k + 1,
            dates[f.train_end],
            dates[f.val_end - 1],
            dates[f.val_end],
            dates[f.test_end - 1]
        );
    }
    s += &format!(
        "\n## Tuned models\n\nPer fold the setting with the smallest validation MSE (mean over {} seed{}); the tuned model is those settings' forecasts of their folds' test days. p: the seed-aware Diebold-Mariano test of `compare` against naive.\n\n| model | chosen per fold | test rank per fold | tuned RMSE | skill | p | default RMSE | skill | p |\n|---|---|---|---|---|---|---|---|---|\n",
        cfg.seeds.len(),
        if cfg.seeds.len() == 1 { "" } else { "s" }
    );
    for t in &r.tuned {
        s += &format!(
            "| {} | {} | {} of {} | {:.4} | {:+.3} | {} | {:.4} | {:+.3} | {} |\n",
            t.model,
            t.chosen.iter().map(|c| format!("#{}", c + 1)).collect::<Vec<_>>().join(", "),
            t.chosen_test_rank.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "),
            t.settings,
            t.rmse,
            t.skill,
            p(&t.vs_naive),
            t.default_rmse,
            t.default_skill,
            p(&t.default_vs_naive)
        );
    }
    if !r.pairs.is_empty() {
        s += "\n| pair | tuned: mean loss difference | p | untuned defaults: difference | p |\n|---|---|---|---|---|\n";
        for pair in &r.pairs {
            let d = |t: &Option<crate::eval::stats::SeededTest>| {
                t.as_ref().map_or("-".into(), |t| format!("{:+.5}", t.mean_loss_difference))
            };
            s += &format!(
                "| {} vs {} | {} | {} | {} | {} |\n",
                pair.first,
                pair.second,
                d(&pair.tuned),
                p(&pair.tuned),
                d(&pair.untuned),
                p(&pair.untuned)
            );
        }
    }
    s += &format!(
        "\n## The search paid for\n\nSquared errors of every trial (mean over seeds) on the {} pooled test days, naive's beside them (`losses.csv` holds them, to recompute in `arch`). Stationary bootstrap, mean block {MEAN_BLOCK} days, {RESAMPLES} resamples.\n\n",
        r.days
    );
    if let (Some(spa), Some(plain)) = (&r.spa, r.best_plain_p) {
        s += &format!(
            "- SPA (Hansen 2005) of all {} trials against naive: best {} (mean loss improvement {:+.5}); p = {:.3} (consistent), {:.3} (lower), {:.3} (upper: White's reality check)\n- the same best trial by the plain test that ignores the search (compare's seed-aware test, one-sided): p = {:.3}\n",
            r.trials.len(),
            r.trials[spa.best].label,
            spa.best_improvement,
            spa.p_consistent,
            spa.p_lower,
            spa.p_upper,
            plain
        );
    }
    if let Some(m) = &r.mcs {
        for alpha in MCS_LEVELS {
            let names: Vec<&str> = m.set(alpha).iter().map(|&i| r.mcs_names[i].as_str()).collect();
            s += &format!("- {:.0}% model confidence set: {}\n", (1.0 - alpha) * 100.0, names.join(", "));
        }
    }
    s += "\n## Every trial\n\nSkill: 1 - RMSE / naive's RMSE on the same days. Test rank: among the model's settings in each fold (1: the best). MCS p: the trial's model confidence set p-value (in the 90% set above 0.10).\n\n| trial | setting | validation skill | test skill | test RMSE | test rank per fold | MCS p |\n|---|---|---|---|---|---|---|\n";
    for t in &r.trials {
        s += &format!(
            "| {} | {} | {:+.4} | {:+.4} | {:.4} | {} | {:.3} |\n",
            t.label,
            t.setting_label,
            t.val_skill,
            t.test_skill,
            t.test_rmse,
            t.fold_test_rank.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "),
            t.mcs_p
        );
    }
    if let Some((checks, choices)) = sanity {
        s += "\n## Leakage check\n\n";
        s += &sanity_summary(checks, choices);
        for c in choices {
            s += &format!("- {c}\n");
        }
    }
    s
}
