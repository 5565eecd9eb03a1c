//! Running a whole comparison and writing what it found: `compare.json`, `compare.md` and the
//! charts, in `--out`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::json;

use super::compare::{CompareConfig, Plan, Variant, POWER_PHIS};
use super::compare_jobs::run_all;
use super::compare_report::build;
use crate::report::loss::{self, LossCurve};
use crate::report::{compare_md, compare_plots, files};

/// `compare CSV`: every job here (in `--jobs` processes), then the report.
pub fn run(cfg: &CompareConfig) -> Result<()> {
    let plan = Plan::new(cfg)?;
    files::check_out_dir(&cfg.out)?;
    let count = |keep: fn(Variant) -> bool| plan.jobs.iter().filter(|k| keep(k.variant)).count();
    let main = count(|v| v == Variant::Main);
    let leak = count(|v| matches!(v, Variant::FutureInTest | Variant::FutureInValidation));
    let power = count(|v| matches!(v, Variant::Planted(..)));
    let checks = if cfg.sanity {
        format!(
            ", plus {leak} for the leakage check (first seed, every fold){}",
            if power > 0 {
                let models = cfg.contenders().len();
                format!(
                    " and {power} for the power control ({models} model{} x {} planted strengths x {} paths x {} seeds, last fold)",
                    if models == 1 { "" } else { "s" },
                    POWER_PHIS.len(),
                    cfg.power_paths,
                    cfg.seeds.len()
                )
            } else {
                String::new()
            }
        )
    } else {
        String::new()
    };
    let head = format!(
        "{}\ncomparing {} on {} walk-forward fold{} x {} seeds = {main} jobs{checks}; test days pooled over folds: {}",
        plan.series.summary(),
        cfg.contenders().iter().map(|&(m, f)| cfg.label(m, f)).collect::<Vec<_>>().join(", "),
        plan.folds.len(),
        if plan.folds.len() == 1 { "" } else { "s" },
        cfg.seeds.len(),
        plan.folds.last().map_or(0, |f| f.test_end) - plan.folds[0].val_end
    );
    println!("{head}");
    if cfg.sanity && crate::device::resolve(cfg.base.device).is_ok_and(|d| d.is_cuda()) {
        println!("note: on a GPU, identical results also need deterministic kernels; confirm a LEAK found here with --device cpu");
    }
    // held from here: the workers write their specs into it; a failed run leaves no folder of
    // its own (the folder goes with the lock while it is empty)
    let _out = files::OutputDir::open(&cfg.out)?;
    let results = run_all(&plan, None)?;
    finish(&plan, &results, head)
}

/// `compare --merge DIR...`: the report from shard files made elsewhere.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<()> {
    let (plan, results) = super::compare_jobs::read_run(dirs, false, out)?;
    let _out = files::OutputDir::open(out)?;
    let head = format!("merged {} jobs from {} location(s)", results.len(), dirs.len());
    println!("{head}");
    finish(&plan, &results, head)
}

/// Writes every output; `head` is what was printed before the report (for report.html).
fn finish(plan: &Plan, results: &[super::compare::JobResult], head: String) -> Result<()> {
    let cfg = &plan.cfg;
    let report = build(plan, results);
    let target_col = &plan.series.target_col;
    let md = compare_md::markdown(&plan.cfg, target_col, &plan.series.dates, &plan.folds, &report);
    print!("{md}");
    let out = &cfg.out;
    let stem = crate::config::file_stem(&cfg.base.csv);
    let dates = &plan.series.dates;
    compare_plots::forecasts_png(
        &out.join("compare.png"),
        &format!("{stem}, pooled walk-forward test days (dashed: fold starts)"),
        dates,
        &report,
    )?;
    compare_plots::metrics_png(
        &out.join("metrics.png"),
        &format!("{stem}: {} seeds", cfg.seeds.len()),
        &report,
    )?;
    compare_plots::folds_png(
        &out.join("folds.png"),
        &format!("{stem}: error per walk-forward fold"),
        dates,
        &report,
    )?;
    let curves: Vec<LossCurve> = report
        .models
        .iter()
        .zip(compare_plots::colours(report.models.len()).iter())
        .map(|(m, &c)| LossCurve {
            label: m.label.clone(),
            train: &m.train_loss,
            val: &m.val_loss,
            best_epoch: m.best_epoch,
            train_color: c,
            val_color: c,
        })
        .collect();
    loss::loss_png(&out.join("loss.png"), &format!("{stem}: loss curves (first seed, last fold)"), &curves)?;
    if report.trading.is_some() {
        trading_chart(&out.join("trading.png"), &stem, &report)?;
        let runs: Vec<(&str, u64, &crate::eval::trading::Trading)> = report
            .models
            .iter()
            .flat_map(|m| m.trading.iter().map(move |(seed, t)| (m.label.as_str(), *seed, t)))
            .collect();
        files::write_atomic(&out.join("trading.csv"), crate::report::trading::long_csv(&runs).as_bytes())?;
    }
    files::write_atomic(&out.join("compare.md"), md.as_bytes())?;
    let table = compare_md::csv(cfg, target_col, plan.folds.len(), &report);
    files::write_atomic(&out.join("compare.csv"), table.as_bytes())?;
    let per_job: Vec<_> = results
        .iter()
        .map(|r| json!({"model": r.key.model, "features": r.key.features, "seed": r.key.seed, "fold": r.key.fold, "variant": r.key.variant, "stopped_early": r.stopped_early, "seconds": r.seconds, "reproducibility": r.setup, "best_epoch": r.best_epoch, "epochs_run": r.train_loss.len(), "epoch_seconds": r.epoch_seconds}))
        .collect();
    let (file, folds) = plan.input_and_folds_json()?;
    let doc = json!({
        "command": "compare",
        "settings": cfg,
        "input": file,
        "folds": folds,
        "report": report,
        "metrics_chart": compare_plots::chart_marks(&report),
        "jobs": per_job,
        "versions": crate::versions::record(),
    });
    files::write_json(&out.join("compare.json"), &doc)?;
    let wrote = format!(
        "wrote compare.png, metrics.png, folds.png, loss.png, {}compare.json, compare.md, compare.csv, report.html to {}",
        if report.trading.is_some() { "trading.png, trading.csv, " } else { "" },
        out.display()
    );
    println!("{wrote}");
    let chart = |file: &str, caption: &str| (caption.to_string(), out.join(file));
    let page = crate::report::html::Page {
        title: format!(
            "{stem}: {}",
            report.models.iter().map(|m| m.label.as_str()).collect::<Vec<_>>().join(" vs ")
        ),
        text: format!("{head}{wrote}"),
        markdown: Some(md),
        charts: vec![
            chart(
                "compare.png",
                "cumulative gain in squared error over naive, and the last test days in prices",
            ),
            chart(
                "metrics.png",
                "RMSE and skill from the seeds' mean squared error, bars the 95% interval of the test against naive; the other figures' mean over seeds, bars 1 sd",
            ),
            chart("folds.png", "error per walk-forward fold"),
            chart("loss.png", "loss curves (first seed, last fold)"),
        ]
        .into_iter()
        .chain(report.trading.is_some().then(|| {
            chart("trading.png", "trading the forecasts (first seed) against buy-and-hold, net of costs")
        }))
        .collect(),
        settings: serde_json::to_value(cfg)?,
    };
    crate::report::html::write(out, &page)?;
    Ok(())
}

/// `trading.png` of a comparison: each model's long/flat (solid) and long/short (dashed) on its
/// first seed, beside buy-and-hold, net of costs.
fn trading_chart(path: &Path, stem: &str, report: &crate::eval::compare::Report) -> Result<()> {
    use crate::eval::trading::Rule;
    use crate::report::trading::{colour, trading_png, Curve};
    let Some((seed, first)) = report.models.first().and_then(|m| m.trading.first()) else {
        return Ok(());
    };
    let mut curves = vec![Curve {
        label: "buy-and-hold".into(),
        color: colour(Rule::Hold),
        width: 3,
        dashed: false,
        returns: &first.rule(Rule::Hold).net_returns,
    }];
    for (m, &c) in report.models.iter().zip(compare_plots::colours(report.models.len()).iter()) {
        let Some((s, t)) = m.trading.first() else { continue };
        for (rule, dashed) in [(Rule::LongFlat, false), (Rule::LongShort, true)] {
            curves.push(Curve {
                label: format!("{} {} (seed {s})", m.label, rule.name()),
                color: c,
                width: 2,
                dashed,
                returns: &t.rule(rule).net_returns,
            });
        }
    }
    let title = format!(
        "{stem}: trading the forecasts on the pooled test days (first seed {seed}), net of {} bp per unit traded",
        first.cost_bps
    );
    trading_png(path, &title, &first.dates, &curves)
}
