//! The panel's leakage check: the first fold again, from loading on, with a copy of one
//! ticker's file whose prices from a cutoff day in mid-test follow another path; everything
//! dated before the cutoff must come out identical bit for bit.

use anyhow::Result;
use tch::Device;

use super::super::future_copy::with_future_copy;
use super::jobs::{run_fold, Job};
use super::judge::{cross_sections, finish_seeds, judged};
use crate::config::PanelConfig;
use crate::data::panel::{Calendar, Member};
use crate::data::{load_prices, LoadOptions};
use crate::eval::panel::ResultRow;
use crate::panel_fit::{windowed, Ticker};

/// The panel's leakage check: the whole run again, from loading on, with a copy of one ticker's
/// file whose rows from a cutoff day in the middle of the test period on follow another path
/// (see [`crate::data::perturb::future_file`]); every target dated before the cutoff, every
/// contender's forecast of every ticker made before it (that day's own included), and every
/// day's IC, rank IC and long-short return before it, must be identical bit for bit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PanelLeakCheck {
    pub ticker: String,
    pub cutoff: chrono::NaiveDate,
    /// Forecasts and cross-section days dated before the cutoff that were compared.
    pub compared: usize,
    /// Those that changed, and the first of them in words.
    pub changed: usize,
    pub first_change: Option<String>,
}

impl PanelLeakCheck {
    pub fn passed(&self) -> bool {
        self.changed == 0 && self.compared > 0
    }

    pub fn sentence(&self) -> String {
        if self.passed() {
            format!(
                "leakage check PASS: with a copy of {}'s file whose prices from {} on follow another path, all {} targets dated before that day, forecasts and long-short positions decided before it (that day's own included), and the ICs and long-short returns of the days before it, are identical, for every contender and ticker",
                self.ticker, self.cutoff, self.compared
            )
        } else {
            format!(
                "leakage check LEAK: with a copy of {}'s file whose prices from {} on follow another path, {} of {} figures dated before that day changed (first: {}): something reads the future",
                self.ticker,
                self.cutoff,
                self.changed,
                self.compared,
                self.first_change.as_deref().unwrap_or("none compared")
            )
        }
    }
}

/// Every window's target, by ticker and target day, as bits.
fn targets(tickers: &[Ticker]) -> Vec<((String, chrono::NaiveDate), u32)> {
    let mut out = Vec::new();
    for t in tickers {
        for w in [&t.data.train, &t.data.val, &t.data.test] {
            for (row, y) in w.rows.clone().zip(&w.y) {
                out.push(((t.member.ticker.clone(), t.member.series.dates[row]), y.to_bits()));
            }
        }
    }
    out
}

/// The check on the first fold: `members` and `cal` are its kept tickers and calendar, `plan`
/// the run's jobs, `honest` every row of the run's first fold (seeds finished).
pub fn check(
    members: &[Member],
    load: &LoadOptions,
    cal: &Calendar,
    cfg: &PanelConfig,
    plan: &[Job],
    honest: &[ResultRow],
    device: Device,
) -> Result<PanelLeakCheck> {
    let honest_tickers = windowed(members, cal, cfg)?;
    // the first ticker with test days to cut (one that left before them has none)
    let Some(at) = members.iter().position(|m| {
        let s = cal.split_of(&m.series.dates);
        s.len > s.val_end + 1
    }) else {
        crate::bail_input!(
            "--sanity: no ticker has two test days to cut the leakage check's copy in; give longer files"
        );
    };
    let first = &members[at];
    let d = &first.series.dates;
    let s = cal.split_of(d);
    let cutoff_row = s.val_end + (s.len - s.val_end) / 2;
    let cutoff = d[cutoff_row];
    // the member's own file (a folder's) or the long file with its ticker picked out
    let (file, opts) = if cfg.base.csv.is_dir() {
        (std::path::PathBuf::from(&first.series.source), load.clone())
    } else {
        (cfg.base.csv.clone(), LoadOptions { ticker: Some(first.ticker.clone()), ..load.clone() })
    };
    let mut altered = members.to_vec();
    altered[at].series =
        with_future_copy(&file, &first.series, &opts, cutoff_row, |path| load_prices(path, &opts))?;
    let tickers = windowed(&altered, cal, cfg)?;
    let first_fold: Vec<usize> = (0..plan.len()).filter(|&i| plan[i].fold() == 1).collect();
    let done = run_fold(plan, &first_fold, &tickers, cfg, device, false, &mut |_| {})?;
    let rows = finish_seeds(done.into_iter().flat_map(|d| d.rows).collect(), cfg.seeds);
    // a forecast of the cutoff day is made the evening before it: fixed too; that day's IC and
    // returns read its outcome, so the cross-section is compared on the days before it
    let before = |r: &&ResultRow| r.date <= cutoff;
    let key = |r: &ResultRow| (r.contender.clone(), r.seed, r.ticker.clone(), r.date);
    // the forecast price and the ranking score, as bits (a ranking's price is NaN in both runs)
    let bits = |r: &ResultRow| (r.forecast.to_bits(), r.score.map(f64::to_bits));
    let theirs: std::collections::HashMap<_, (u64, Option<u64>)> =
        rows.iter().filter(before).map(|r| (key(r), bits(r))).collect();
    let mut compared = 0;
    let mut changed = Vec::new();
    // every training, validation and test target dated before the cutoff
    let theirs_y: std::collections::HashMap<_, u32> = targets(&tickers).into_iter().collect();
    for (key, y) in targets(&honest_tickers).into_iter().filter(|((_, d), _)| *d < cutoff) {
        compared += 1;
        if theirs_y.get(&key) != Some(&y) {
            changed.push(format!("the target of {} on {}", key.0, key.1));
        }
    }
    for r in honest.iter().filter(before) {
        compared += 1;
        match theirs.get(&key(r)) {
            Some(b) if *b == bits(r) => {}
            other => changed.push(format!(
                "{} {} on {}: forecast {} score {:?}, altered: {}",
                r.contender,
                r.ticker,
                r.date,
                r.forecast,
                r.score,
                other.map_or("missing".into(), |(f, s)| format!(
                    "forecast {} score {:?}",
                    f64::from_bits(*f),
                    s.map(f64::from_bits)
                ))
            )),
        }
    }
    let honest_sections = cross_sections(&judged(honest, cfg), cfg);
    for (x, y) in honest_sections.iter().zip(&cross_sections(&judged(&rows, cfg), cfg)) {
        // the book is decided the evening before: the cutoff day's positions are fixed too
        for (p, q) in x.days.iter().zip(&y.days).filter(|(p, _)| p.date <= cutoff) {
            compared += 1;
            if p.long != q.long || p.short != q.short {
                changed.push(format!("{}'s positions on {}", x.contender, p.date));
            }
        }
        for (p, q) in x.days.iter().zip(&y.days).filter(|(p, _)| p.date < cutoff) {
            compared += 1;
            let same = |u: Option<f64>, v: Option<f64>| u.map(f64::to_bits) == v.map(f64::to_bits);
            if !(same(p.ic, q.ic)
                && same(p.rank_ic, q.rank_ic)
                && p.gross.to_bits() == q.gross.to_bits()
                && p.net.to_bits() == q.net.to_bits())
            {
                changed.push(format!("{}'s cross-section on {}", x.contender, p.date));
            }
        }
    }
    Ok(PanelLeakCheck {
        ticker: first.ticker.clone(),
        cutoff,
        compared,
        changed: changed.len(),
        first_change: changed.into_iter().next(),
    })
}
