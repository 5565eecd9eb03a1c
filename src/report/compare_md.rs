//! `compare.md`: a comparison's table, bands, power control and verdicts, ready to paste into a
//! report.

use chrono::NaiveDate;

use crate::config::CompareConfig;
use crate::data::split::Fold;
use crate::eval::compare::{Figures, Report, FIGURE_NAMES};

fn cell(mean: f64, sd: f64, k: usize) -> String {
    match k {
        3 => format!("{:.1}% ± {:.1}", mean * 100.0, sd * 100.0),
        4 => format!("{mean:+.3} ± {sd:.3}"),
        2 => format!("{mean:.2}% ± {sd:.2}"),
        _ => format!("{mean:.4} ± {sd:.4}"),
    }
}

fn single(f: &Figures, k: usize) -> String {
    let v = [f.rmse, f.mae, f.mape, f.directional_accuracy, f.skill][k];
    match k {
        3 => format!("{:.1}%", v * 100.0),
        4 => format!("{v:+.3}"),
        2 => format!("{v:.2}%"),
        _ => format!("{v:.4}"),
    }
}

/// The table and the verdicts, ready to paste into a report.
pub fn markdown(cfg: &CompareConfig, d: &[NaiveDate], folds: &[Fold], r: &Report) -> String {
    let (first, last) = (d[r.rows[0]], d[*r.rows.last().expect("test days")]);
    let mut s = format!(
        "\n## {}: {} on {} test days ({first} .. {last}), {} walk-forward folds, {} seeds\n\n",
        cfg.base.csv.display(),
        cfg.models.iter().map(|m| m.name().to_uppercase()).collect::<Vec<_>>().join(" vs "),
        r.rows.len(),
        folds.len(),
        cfg.seeds.len()
    );
    s += "| forecast | ";
    s += &FIGURE_NAMES.join(" | ");
    s += " | s / epoch | parameters |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for m in &r.models {
        let f = |k: usize| {
            cell(
                [m.mean.rmse, m.mean.mae, m.mean.mape, m.mean.directional_accuracy, m.mean.skill][k],
                [m.sd.rmse, m.sd.mae, m.sd.mape, m.sd.directional_accuracy, m.sd.skill][k],
                k,
            )
        };
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {:.3} ± {:.3} | {} |\n",
            m.model.name().to_uppercase(),
            f(0),
            f(1),
            f(2),
            f(3),
            f(4),
            m.epoch_seconds_mean,
            m.epoch_seconds_sd,
            m.params
        );
        let a = &m.seed_average_figures;
        s += &format!(
            "| {} mean of seeds | {} | {} | {} | {} | {} | | |\n",
            m.model.name().to_uppercase(),
            single(a, 0),
            single(a, 1),
            single(a, 2),
            single(a, 3),
            single(a, 4)
        );
    }
    let b = &r.baselines;
    for (name, f) in [
        ("naive (tomorrow = today)", &b.naive),
        ("drift", &b.drift),
        ("moving average, 5 days", &b.moving_average_5),
    ] {
        s += &format!(
            "| {name} | {} | {} | {} | {} | {} | | |\n",
            single(f, 0),
            single(f, 1),
            single(f, 2),
            single(f, 3),
            single(f, 4)
        );
    }
    s += &format!(
        "| always up (direction only) | | | | {:.1}% | | | |\n",
        b.always_up_directional_accuracy * 100.0
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
    s
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
                model.model.name().to_uppercase(),
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

/// The power control as a table: planted skill against what each model found.
fn power_table(r: &Report) -> String {
    let mut s = format!(
        "\nPower control (first seed, every fold; an AR(1) term planted in the daily returns, volatility kept; {:.0} s of training):\n\n| AR strength | planted skill |",
        r.power_seconds
    );
    for m in &r.models {
        s += &format!(" {} skill | {} DM p |", m.model.name().to_uppercase(), m.model.name().to_uppercase());
    }
    s += "\n|---:|---:|";
    s += &"---:|---:|".repeat(r.models.len());
    s += "\n";
    for k in 0..r.models[0].power.len() {
        let pt = &r.models[0].power[k];
        s += &format!("| {:.2} | {:.3} |", pt.phi, pt.planted_skill);
        for m in &r.models {
            let q = &m.power[k];
            let p = q.dm.map_or("n/a".into(), |d| format!("{:.3}", d.p_value));
            s += &format!(" {:+.3} | {p}{} |", q.model_skill, if q.detected { " (beats naive)" } else { "" });
        }
        s += "\n";
    }
    s
}
