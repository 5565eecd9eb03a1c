//! `compare.md`: a comparison's table, bands, power control and verdicts, ready to paste into a
//! report.

use chrono::NaiveDate;

use crate::config::CompareConfig;
use crate::data::split::Fold;
use crate::eval::compare::{Figures, Report};
use crate::eval::trading_seeds::{CompareTrading, Spread};

/// The figures' column names, each with its unit, printed once in the header.
const COLUMNS: [&str; 5] = ["RMSE (price)", "MAE (price)", "MAPE (%)", "direction (%)", "skill vs naive"];

/// Figure `k` of `f` in the table's units (percent for MAPE and direction).
fn value(f: &Figures, k: usize) -> f64 {
    let v = [f.rmse, f.mae, f.mape, f.directional_accuracy, f.skill][k];
    if k == 3 {
        v * 100.0
    } else {
        v
    }
}

/// A figure as the table prints it: RMSE and MAE to 4 decimals, MAPE to 3, direction to 1,
/// skill signed to 3; a spread one decimal finer, so a small one does not read as 0.
fn number(v: f64, k: usize, spread: bool) -> String {
    let d = [4, 4, 3, 1, 3][k] + usize::from(spread);
    if k == 4 && !spread {
        format!("{v:+.d$}")
    } else {
        format!("{v:.d$}")
    }
}

/// What was compared, in words: the settings a reader needs to reproduce the table.
pub fn settings(cfg: &CompareConfig, target_col: &str, folds: usize) -> String {
    let b = &cfg.base;
    let t = &b.train;
    let sets: Vec<String> = cfg
        .feature_sets()
        .iter()
        .map(|f| match crate::data::features::names(f).as_str() {
            "" => "none".to_string(),
            n => n.to_string(),
        })
        .collect();
    let feats = if sets.len() > 1 { format!("compared: {}", sets.join("; ")) } else { sets.join("") };
    let seeds = match (cfg.seeds.first(), cfg.seeds.last()) {
        (Some(a), Some(z)) if cfg.seeds.len() > 1 => format!("{} seeds ({a} .. {z})", cfg.seeds.len()),
        (Some(a), _) => format!("1 seed ({a})"),
        _ => "no seed".into(),
    };
    format!(
        "Settings: target {} of \"{target_col}\"; extra inputs {feats}; window {} days; {} layer(s) x {} units, dropout {}; up to {} epochs (patience {}), batch {}, learning rate {}, clip {}; validation {:.0}% and test {:.0}% of the rows, the test cut into {folds} walk-forward fold(s); {seeds}; {}; bands {} at {:.0}%.",
        b.target.name(),
        b.window,
        b.layers,
        b.hidden,
        b.dropout,
        t.epochs,
        t.patience,
        t.batch,
        t.lr,
        t.clip,
        b.val_frac * 100.0,
        b.test_frac * 100.0,
        if b.horizon > 1 { format!("a direct {}-day head, scored one day ahead", b.horizon) } else { "one day ahead".into() },
        b.interval_method.name(),
        b.interval * 100.0
    )
}

/// The table and the verdicts, ready to paste into a report.
pub fn markdown(
    cfg: &CompareConfig,
    target_col: &str,
    d: &[NaiveDate],
    folds: &[Fold],
    r: &Report,
) -> String {
    let (first, last) = (d[r.rows[0]], d[*r.rows.last().expect("test days")]);
    let mut s = format!(
        "\n## {}: {} on {} test days ({first} .. {last}), {} walk-forward folds, {} seeds\n\n{}\n\n",
        cfg.base.csv.display(),
        r.models.iter().map(|m| m.label.as_str()).collect::<Vec<_>>().join(" vs "),
        r.rows.len(),
        folds.len(),
        cfg.seeds.len(),
        settings(cfg, target_col, folds.len())
    );
    s += &format!(
        "Each model's figure is the mean over its {} seeds, its spread (± one standard deviation across seeds) beside it: cite the mean.\n\n",
        cfg.seeds.len()
    );
    s += "| forecast | ";
    s += &COLUMNS.join(" | ");
    s += " | s / epoch | parameters |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for m in &r.models {
        let f = |k: usize| {
            format!("{} ± {}", number(value(&m.mean, k), k, false), number(value(&m.sd, k), k, true))
        };
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {:.3} ± {:.3} | {} |\n",
            m.label,
            f(0),
            f(1),
            f(2),
            f(3),
            f(4),
            m.epoch_seconds_mean,
            m.epoch_seconds_sd,
            m.params
        );
    }
    let b = &r.baselines;
    for (name, f) in [
        ("naive (tomorrow = today)", &b.naive),
        ("drift", &b.drift),
        ("moving average, 5 days", &b.moving_average_5),
    ] {
        let v = |k: usize| number(value(f, k), k, false);
        s += &format!("| {name} | {} | {} | {} | {} | {} | | |\n", v(0), v(1), v(2), v(3), v(4));
    }
    s += &format!(
        "| always up (direction only) | | | | {:.1} | | | |\n",
        b.always_up_directional_accuracy * 100.0
    );
    let ensembles: Vec<String> = r
        .models
        .iter()
        .map(|m| {
            let a = &m.seed_average_figures;
            format!(
                "{} RMSE {} (skill {})",
                m.model.name().to_uppercase(),
                number(a.rmse, 0, false),
                number(a.skill, 4, false)
            )
        })
        .collect();
    s += &format!(
        "\nThe forecast averaged over the seeds (an ensemble, not what one training run gives) scores {}.\n",
        ensembles.join(", ")
    );
    s += "\nVerdicts at 5% (Diebold-Mariano on squared errors with the Harvey-Leybourne-Newbold correction; the variance adds the spread across seeds to the spread across days):\n\n";
    for v in &r.verdicts {
        s += &format!("- {v}\n");
    }
    if r.models.iter().any(|m| !m.power.is_empty()) {
        s += &power_table(r);
    }
    if r.models.iter().any(|m| !m.bands.is_empty()) {
        s += &bands_table(cfg, r);
    }
    if let Some(t) = &r.trading {
        s += &trading_table(t);
    }
    s
}

/// Trading the forecasts: each model's strategies over seeds, the rule baselines, the verdicts
/// and the deflated Sharpe ratio.
fn trading_table(t: &CompareTrading) -> String {
    let mut s = format!(
        "
Trading the forecasts on the pooled test days ({} .. {}, {} days) at {} bp per unit of position change; {}. Mean ± sd over seeds, net of costs except the gross column; p = one-sided stationary bootstrap (mean block {} days, {} resamples) that the net Sharpe ratio beats holding's, the seeds' range:\n\n",
        t.first, t.last, t.days, t.cost_bps, t.timing, t.mean_block, t.resamples
    );
    s += "| strategy | gross % | net % | net a.r. % | Sharpe | max DD % | turns/yr | break-even | p vs hold |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    let pm = |v: Spread| format!("{:.1} ± {:.1}", 100.0 * v.mean, 100.0 * v.sd);
    for (label, rules) in &t.models {
        for r in rules {
            s += &format!(
                "| {label} {} | {} | {} | {} | {:.2} ± {:.2} | {} | {:.0} | {} | {} |\n",
                r.rule.name(),
                pm(r.gross_total),
                pm(r.net_total),
                pm(r.net_annual),
                r.net_sharpe.mean,
                r.net_sharpe.sd,
                pm(r.net_max_drawdown),
                r.turnover_per_year.mean,
                r.break_even_words(),
                r.p_words()
            );
        }
    }
    for b in &t.baselines {
        s += &format!(
            "| {} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {:.0} | {} | {} |\n",
            b.rule.name(),
            100.0 * b.gross.total_return,
            100.0 * b.net.total_return,
            100.0 * b.net.annual_return,
            b.net.sharpe.map_or("n/a".into(), |v| format!("{v:.2}")),
            100.0 * b.net.max_drawdown,
            b.net.turnover_per_year,
            b.break_even.map_or("-".into(), |x| x.words()),
            b.p_vs_hold.map_or("-".into(), |p| format!("{p:.2}"))
        );
    }
    s += "\n";
    for v in &t.verdicts {
        s += &format!("- {v}\n");
    }
    s
}

/// `compare.csv`: one row per model (mean over seeds and its spread) and per baseline, each
/// opening with the settings compared, so that a row read alone says what it measured.
pub fn csv(cfg: &CompareConfig, target_col: &str, folds: usize, r: &Report) -> String {
    let b = &cfg.base;
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let setting = [
        quote(&b.csv.display().to_string()),
        quote(target_col),
        b.target.name().to_string(),
        b.window.to_string(),
        b.layers.to_string(),
        b.hidden.to_string(),
        b.train.epochs.to_string(),
        cfg.seeds.len().to_string(),
        folds.to_string(),
        b.horizon.to_string(),
        r.rows.len().to_string(),
    ]
    .join(",");
    let mut out = String::from(
        "file,price_column,target,window,layers,hidden,max_epochs,seeds,folds,horizon,test_days,forecast,features,rmse,rmse_sd,mae,mae_sd,mape_pct,mape_pct_sd,direction_pct,direction_pct_sd,skill,skill_sd,seconds_per_epoch,parameters\n",
    );
    let row = |name: &str, feats: &str, f: &Figures, sd: Option<&Figures>, extra: String| {
        let cells: Vec<String> = (0..5)
            .flat_map(|k| [value(f, k).to_string(), sd.map_or(String::new(), |s| value(s, k).to_string())])
            .collect();
        format!("{setting},{},{},{},{extra}\n", quote(name), quote(feats), cells.join(","))
    };
    for m in &r.models {
        let feats = crate::data::features::names(&m.features);
        let extra = format!("{},{}", m.epoch_seconds_mean, m.params);
        out += &row(&m.label, &feats, &m.mean, Some(&m.sd), extra);
    }
    let bl = &r.baselines;
    for (name, f) in [("naive", &bl.naive), ("drift", &bl.drift), ("moving_average_5", &bl.moving_average_5)]
    {
        out += &row(name, "", f, None, ",".into());
    }
    out
}

/// Prediction bands over the pooled folds and seeds: the chosen method beside naive's band.
fn bands_table(cfg: &CompareConfig, r: &Report) -> String {
    let m = cfg.base.interval_method;
    let mut s = format!(
        "\nPrediction bands on the pooled test days of every fold and seed ({}: {}; naive: the historical spread of its h-day moves; width and interval score in price units, lower is better):\n\n| model | step | level | coverage | width | interval score | naive coverage | naive width | naive interval score |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        m.name(),
        m.describe()
    );
    for model in &r.models {
        for row in model.bands.iter().filter(|b| [1, 5, 10].contains(&b.step)) {
            let (a, n) = (row.of(m), &row.naive);
            s += &format!(
                "| {} | {} | {:.0}% | {:.1}% | {:.3} | {:.3} | {:.1}% | {:.3} | {:.3} |\n",
                model.label,
                row.step,
                row.level * 100.0,
                a.coverage * 100.0,
                a.mean_width,
                a.interval_score,
                n.coverage * 100.0,
                n.mean_width,
                n.interval_score
            );
        }
    }
    s
}

/// The power control as a table: planted skill against each model's detection rate.
fn power_table(r: &Report) -> String {
    let first = &r.models[0].power;
    let paths = first.first().map_or(0, |p| p.tests.len());
    let seeds = first.iter().flat_map(|p| p.tests.iter().flatten()).map(|t| t.seeds.0).max().unwrap_or(0);
    let vol = first.iter().flat_map(|p| [p.volatility_ratio.0, p.volatility_ratio.1]);
    let (lo, hi) = vol.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let mut s = format!(
        "\nPower control (the verdict's own test on {seeds} seeds, last fold, {paths} planted paths per strength: an AR(1) term in the daily returns with random-sign innovations, the scored days' volatility kept: ratio {lo:.4}..{hi:.4}; {:.0} s of training). A skill is detectable where at least {:.0}% of paths are detected, there and at every stronger plant:\n\n| AR strength | planted skill |",
        r.power_seconds,
        crate::eval::compare::POWER_RATE * 100.0
    );
    for m in &r.models {
        s += &format!(" {} skill | {} detected | {} p per path |", m.label, m.label, m.label);
    }
    s += "\n|---:|---:|";
    s += &"---:|---:|---|".repeat(r.models.len());
    s += "\n";
    for (k, pt) in first.iter().enumerate() {
        s += &format!("| {:.2} | {:.3} |", pt.phi, pt.planted_skill);
        for m in &r.models {
            let q = &m.power[k];
            let ps: Vec<String> =
                q.tests.iter().map(|t| t.map_or("n/a".into(), |d| format!("{:.3}", d.p_value))).collect();
            s += &format!(
                " {:+.3} | {} of {} ({:.0}%) | {} |",
                q.model_skill,
                q.detected,
                q.tests.len(),
                q.rate * 100.0,
                ps.join(", ")
            );
        }
        s += "\n";
    }
    s
}
