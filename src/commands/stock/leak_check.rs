//! `stock --sanity`: the future-perturbation leakage check on the whole of `stock`.
//!
//! The input file is copied with its rows from a cutoff day on following another path (every
//! column the run reads, in the file's own format), and the command runs again on the copy from
//! the loader on, same seed and thread count. Two cutoffs:
//! - in the middle of the test part: every forecast, band, trading position and lag-detector
//!   input fixed before the cutoff, the scalers, every epoch's losses and the weights must be
//!   unchanged, bit for bit;
//! - in the middle of the validation part, trained for `VALIDATION_EPOCHS` epochs: the scalers
//!   and the training losses must be unchanged (this is what sees validation rows slip into
//!   training, which the first cannot).

use std::time::Instant;

use anyhow::Result;

use super::{analyse, Analysis, Job, Log};
use crate::commands::future_copy::with_future_copy;
use crate::eval::diagnostics::move_inputs;
use crate::eval::leakage::{compare, Cutoff, Dated, Fingerprint, LeakCheck, VALIDATION_EPOCHS};
use crate::pipeline;

/// Both perturbed runs, compared with `honest`, the fingerprint of the real run.
pub fn run(job: &Job, honest: &Fingerprint) -> Result<Vec<LeakCheck>> {
    let s = &job.split;
    Ok(vec![
        one(job, honest, Cutoff::Test, s.val_end + (s.len - s.val_end) / 2)?,
        one(job, honest, Cutoff::Validation, s.train_end + (s.val_end - s.train_end) / 2)?,
    ])
}

/// What the check compares of a run: everything fitted, and everything dated on the test days.
pub fn fingerprint(job: &Job, a: &Analysis) -> Fingerprint {
    let mut fp =
        pipeline::fingerprint(&a.fitted, &job.data, a.eval.predicted.clone(), a.ms.calibration.clone());
    fp.bands = pipeline::band_digests(&a.ms, &job.series.values, &job.split, &job.cfg);
    let rows: Vec<usize> = job.data.test.rows.clone().collect();
    if let Some(t) = &a.trading {
        for r in &t.rules {
            let name = r.rule.name();
            fp.dated.push(Dated::new(format!("{name} position"), false, &rows, &r.positions));
            fp.dated.push(Dated::new(format!("{name} net return"), true, &rows, &r.net_returns));
        }
    }
    let m = move_inputs(&a.eval.predicted, &job.series.values, &rows);
    fp.dated.push(Dated::new("lag detector's predicted move", false, &rows, &m.predicted));
    fp.dated.push(Dated::new("lag detector's move of the day", true, &rows, &m.actual));
    fp.dated.push(Dated::new("lag detector's move of the day before", false, &rows, &m.before));
    fp
}

/// `stock` again, from the loader on, on a copy of the input file whose rows from `cutoff` on
/// follow another path, trained for at most `epochs` epochs; its fingerprint.
pub fn perturbed(job: &Job, cutoff: usize, epochs: usize) -> Result<Fingerprint> {
    let cfg = &job.cfg;
    with_future_copy(&cfg.csv, &job.series, &cfg.load, cutoff, |path| {
        let rerun = super::prepare(&crate::config::StockConfig { csv: path.to_path_buf(), ..cfg.clone() })?;
        let a = analyse(&rerun, epochs, false, &mut Log::quiet(), None)?;
        Ok(fingerprint(&rerun, &a))
    })
}

fn one(job: &Job, honest: &Fingerprint, cutoff: Cutoff, row: usize) -> Result<LeakCheck> {
    let started = Instant::now();
    let epochs = if cutoff == Cutoff::Validation { VALIDATION_EPOCHS } else { usize::MAX };
    let date = |r: usize| job.series.dates[r].to_string();
    let perturbed = match perturbed(job, row, epochs) {
        Ok(p) => p,
        // the run's own results stand; a copy that cannot be made or read proves nothing
        Err(e) if !crate::interrupt::requested() => {
            return Ok(LeakCheck {
                cutoff,
                cutoff_row: row,
                cutoff_date: date(row),
                compared: 0,
                changes: vec![],
                seconds: started.elapsed().as_secs_f64(),
                inconclusive: Some(format!("the altered copy could not be run ({e:#})")),
                covered: vec![],
            })
        }
        Err(e) => return Err(e),
    };
    let (compared, changes) = compare(honest, &perturbed, cutoff, row, &date);
    Ok(LeakCheck {
        cutoff,
        cutoff_row: row,
        cutoff_date: date(row),
        compared,
        changes,
        seconds: started.elapsed().as_secs_f64(),
        inconclusive: None,
        covered: honest.coverage(cutoff, &perturbed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StockConfig;
    use crate::data::{Feature, Plant};

    /// A small job on a synthetic file with a feature, so that every planted leak has
    /// something to act on; the fault `plant` is planted where it lives (loader, dataset,
    /// training, bands, trading).
    fn job(dir: &std::path::Path, plant: Plant) -> Job {
        let mut text = String::from("Date,High,Low,Close\n");
        for (d, p) in crate::test_support::walk(260, 17, 40.0, 0.03, (2010, 1, 4)) {
            text += &format!("{d},{:.4},{:.4},{p:.4}\n", p * 1.012, p * 0.991);
        }
        job_on(dir, &text, plant)
    }

    fn job_on(dir: &std::path::Path, text: &str, plant: Plant) -> Job {
        let csv = dir.join("walk.csv");
        std::fs::write(&csv, text).unwrap();
        let cfg = StockConfig {
            features: vec![Feature::HlRange],
            window: 8,
            hidden: 6,
            val_frac: 0.2,
            test_frac: 0.2,
            seed: 5,
            sanity: true,
            ..crate::test_support::stock_config(csv, dir.join("out"), plant)
        };
        super::super::prepare(&cfg).unwrap()
    }

    fn checks(job: &Job) -> Vec<LeakCheck> {
        let a = analyse(job, usize::MAX, false, &mut Log::quiet(), None).unwrap();
        run(job, &fingerprint(job, &a)).unwrap()
    }

    /// Every planted leak, each where it would live in real code: the loader (a centred
    /// average computed while reading the file, which a check on an in-memory copy of the
    /// loaded series cannot see), the dataset, training, the bands and the trading wiring.
    #[test]
    fn the_honest_pipeline_passes_and_every_planted_leak_is_caught() {
        let _rng = crate::test_support::torch_rng();
        let dir = std::env::temp_dir().join(format!("lstm-stock-leak-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let honest = checks(&job(&dir, Plant::NONE));
        assert!(honest.iter().all(|c| c.passed()), "{honest:?}");
        assert!(honest[0].compared > 50, "{honest:?}");
        let covered = honest[0].covered.join(", ");
        for what in ["scalers", "weights", "forecasts", "bands", "trading rules", "long/flat", "lag detector"]
        {
            assert!(covered.contains(what), "{what} not covered: {covered}");
        }
        for (plant, name) in Plant::leaks() {
            let found = checks(&job(&dir, plant));
            let changes: Vec<&String> = found.iter().flat_map(|c| &c.changes).collect();
            assert!(!changes.is_empty(), "{name}: not caught");
            let sentence = found.iter().find(|c| !c.passed()).unwrap().sentence("GRU");
            assert!(
                sentence.starts_with("LEAK for GRU") && sentence.contains("changed"),
                "{name}: {sentence}"
            );
            eprintln!("{name}: {sentence}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A file whose copy cannot be written line by line (a quoted note running over two
    /// lines in the test part, so after both cutoffs) makes the check INCONCLUSIVE, and the
    /// run's results stand.
    #[test]
    fn a_copy_that_cannot_be_made_is_inconclusive_not_an_error() {
        let _rng = crate::test_support::torch_rng();
        let dir = std::env::temp_dir().join(format!("lstm-stock-leak-inconclusive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::from("Date,High,Low,Close,Note\n");
        for (i, (d, p)) in
            crate::test_support::walk(260, 17, 40.0, 0.03, (2010, 1, 4)).into_iter().enumerate()
        {
            let note = if i == 240 { "\"split\nover two lines\"" } else { "" };
            text += &format!("{d},{:.4},{:.4},{p:.4},{note}\n", p * 1.012, p * 0.991);
        }
        let job = job_on(&dir, &text, Plant::NONE);
        let checks = checks(&job);
        let why = checks[0].inconclusive.as_deref().unwrap_or("");
        assert!(why.contains("quoted field runs over the line"), "{checks:?}");
        assert!(checks[0].sentence("GRU").contains("INCONCLUSIVE"), "{checks:?}");
        assert!(checks.iter().all(|c| !c.passed() && c.changes.is_empty()), "{checks:?}");
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The console's split line reads which rows the scalers were fitted on.
    #[test]
    fn the_scaler_line_reads_the_rows_it_was_fitted_on() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-scaler-line-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let line = |plant| {
            let mut log = Log::quiet();
            super::super::describe(&job(&dir, plant), &mut log);
            log.text
        };
        let honest = line(Plant::NONE);
        assert!(honest.contains("scalers fitted on") && honest.contains("training rows"), "{honest}");
        assert!(!honest.contains("LEAK"), "{honest}");
        let leaky = line(Plant::leaks()[0].0);
        assert!(leaky.contains("reach past the training part, a LEAK"), "{leaky}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
