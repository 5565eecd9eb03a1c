//! A panel run's judged rows and the figures computed from them: every contender against
//! naive per ticker and pooled, across tickers (ICs, the long-short book), and each global
//! network against its per-ticker twin.

use serde_json::json;

use super::jobs::{DRIFT, NAIVE, REVERSAL};
use crate::config::PanelConfig;
use crate::eval::panel::{cross_section, score, seed_means, ContenderScore, CrossSection, ResultRow};

/// The rows of every job, with each network's mean over its seeds added as the judged row of
/// each (ticker, day) when it trained several; with one seed its rows are the judged ones.
pub fn finish_seeds(mut rows: Vec<ResultRow>, seeds: usize) -> Vec<ResultRow> {
    if seeds > 1 {
        let means = seed_means(&rows);
        rows.extend(means);
    } else {
        for r in &mut rows {
            r.seed = None;
        }
    }
    rows
}

/// The rows every figure is computed from: each deterministic contender's, and each network's
/// forecast averaged over its seeds (its only one with a single seed).
pub fn judged(rows: &[ResultRow], cfg: &PanelConfig) -> Vec<ResultRow> {
    rows.iter().filter(|r| cfg.seeds == 1 || r.seed.is_none()).cloned().collect()
}

/// Each network contender's figures per seed (with `--seeds` above 1): its rank IC and pooled
/// test against naive, from that seed's rows alone.
pub fn per_seed(rows: &[ResultRow], cfg: &PanelConfig) -> Vec<serde_json::Value> {
    if cfg.seeds < 2 {
        return vec![];
    }
    let mut out = Vec::new();
    let scopes: &[&str] = if cfg.per_ticker { &["global", "per-ticker"] } else { &["global"] };
    let names = scopes
        .iter()
        .flat_map(|scope| cfg.models.iter().map(move |k| format!("{scope} {}", k.name().to_uppercase())));
    for name in names {
        for k in 0..cfg.seeds as u64 {
            let seed = cfg.base.seed + k;
            let mine: Vec<ResultRow> = rows
                .iter()
                .filter(|r| r.seed == Some(seed) || (r.contender == NAIVE && r.seed.is_none()))
                .map(|r| ResultRow { seed: None, ..r.clone() })
                .collect();
            if !mine.iter().any(|r| r.contender == name) {
                continue;
            }
            let x = cross_section(&mine, &name, cfg.k, cfg.base.cost_bps);
            let sc = score(&mine, &name, NAIVE);
            out.push(json!({
                "contender": name,
                "seed": seed,
                "rank_ic": x.rank_ic,
                "net": x.net,
                "pooled_p": sc.pooled_p,
                "pooled_mean_difference": sc.pooled_mean_difference,
            }));
        }
    }
    out
}

/// Every contender's forecasts across tickers (ICs and the long-short book).
pub fn cross_sections(rows: &[ResultRow], cfg: &PanelConfig) -> Vec<CrossSection> {
    // a fault the leakage check's tests plant: the book ranks on the day's own outcome
    let peeked: Vec<ResultRow>;
    let ranked = if cfg.base.load.plant.trades_on_close() {
        peeked = rows
            .iter()
            .map(|r| ResultRow { forecast: r.actual, score: r.score.map(|_| r.actual_return()), ..r.clone() })
            .collect();
        &peeked
    } else {
        rows
    };
    contender_names(cfg).iter().map(|c| cross_section(ranked, c, cfg.k, cfg.base.cost_bps)).collect()
}

/// Every contender against naive, across tickers, and each global network against its
/// per-ticker twin.
pub fn judge(
    rows: &[ResultRow],
    cfg: &PanelConfig,
) -> (Vec<ContenderScore>, Vec<CrossSection>, Vec<ContenderScore>) {
    let scores = contender_names(cfg).iter().map(|c| score(rows, c, NAIVE)).collect();
    let sections = cross_sections(rows, cfg);
    let head = if cfg.per_ticker {
        cfg.models
            .iter()
            .map(|k| {
                let n = k.name().to_uppercase();
                score(rows, &format!("global {n}"), &format!("per-ticker {n}"))
            })
            .collect()
    } else {
        vec![]
    };
    (scores, sections, head)
}

/// Every contender but naive, in the order the table shows them.
pub fn contender_names(cfg: &PanelConfig) -> Vec<String> {
    let nets = |scope: &str| -> Vec<String> {
        cfg.models.iter().map(|k| format!("{scope} {}", k.name().to_uppercase())).collect()
    };
    let mut names = nets("global");
    if cfg.per_ticker {
        names.extend(nets("per-ticker"));
    }
    names.extend(["global ridge".into(), "per-ticker ridge".into(), DRIFT.into(), REVERSAL.into()]);
    names
}
