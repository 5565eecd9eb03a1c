//! `lstm-stock compare`: GRU versus LSTM (or any set of models), decided on identical work.
//!
//! Every (model, seed, fold) job trains on the same windows, splits, features and epoch budget.
//! Folds are walk-forward: the last `--test-frac` of the rows is cut into `--folds` consecutive
//! test blocks, and each block's model and scaler are fitted on the rows before it only.
//! Jobs are independent, so they can run in several processes (`--jobs`) or on several
//! machines (`--shard i/N`, then `--merge`); this module runs jobs and collects their results,
//! `compare_report` turns results into figures, tests and verdicts.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use tch::nn;

use crate::bail_input;
use crate::config::StockConfig;
use crate::data::features::raw_columns;
use crate::data::{load_prices, Dataset, PriceSeries, Split};
use crate::model::{ModelConfig, ModelKind, Net};
use crate::report::files;
use crate::train::{self, Samples};

/// Settings of a comparison. `base` holds the data and training settings shared by all jobs
/// (its `model`, `seed` and `out` are unused).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareConfig {
    pub base: StockConfig,
    pub models: Vec<ModelKind>,
    pub seeds: Vec<u64>,
    pub folds: usize,
    pub sanity: bool,
    /// Worker processes on this machine.
    pub jobs: usize,
    pub out: PathBuf,
}

/// One walk-forward fold: train `..train_end`, validation `train_end..val_end`, test
/// `val_end..test_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    pub train_end: usize,
    pub val_end: usize,
    pub test_end: usize,
}

/// Cuts the last `test_frac` of `n` rows into `k` test blocks; each fold validates on the
/// `val_frac * n` rows just before its block and trains on everything earlier.
pub fn plan_folds(
    n: usize,
    val_frac: f64,
    test_frac: f64,
    k: usize,
    lookback: usize,
    source: &str,
) -> Result<Vec<Fold>> {
    let test_total = (test_frac * n as f64).floor() as usize;
    let n_val = (val_frac * n as f64).floor() as usize;
    if k == 0 || test_total < k || n_val == 0 {
        bail_input!("{source}: {n} rows give {test_total} test rows and {n_val} validation rows: too few for --folds {k}; use fewer folds or a larger --test-frac");
    }
    let block = test_total / k;
    let folds: Vec<Fold> = (0..k)
        .map(|i| {
            let start = n - test_total + i * block;
            let end = if i + 1 == k { n } else { start + block };
            Fold { train_end: start - n_val, val_end: start, test_end: end }
        })
        .collect();
    if folds[0].train_end <= lookback {
        bail_input!("{source}: the first fold would train on {} rows, not more than the {lookback}-row window; use fewer --folds, a smaller --test-frac or --window", folds[0].train_end);
    }
    Ok(folds)
}

/// One (model, seed, fold) job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobKey {
    pub model: ModelKind,
    pub seed: u64,
    pub fold: usize,
}

/// What one job produced: its forecasts in price units and how training went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobResult {
    pub key: JobKey,
    /// Target rows of the fold's test block, and the forecast for each.
    pub rows: Vec<usize>,
    pub predicted: Vec<f64>,
    pub epoch_seconds: Vec<f64>,
    pub best_epoch: usize,
    pub params: i64,
    pub train_loss: Vec<f64>,
    pub val_loss: Vec<f64>,
}

/// A partial result file: the jobs of one shard, with what is needed to check a merge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: String,
    pub config: CompareConfig,
    pub input_sha256: String,
    pub folds: Vec<Fold>,
    pub shard: (usize, usize),
    pub results: Vec<JobResult>,
}

const SHARD_FORMAT: &str = "lstm-stock compare shard v1";

/// The data every job of a comparison shares.
pub struct Plan {
    pub cfg: CompareConfig,
    pub series: PriceSeries,
    pub folds: Vec<Fold>,
    pub jobs: Vec<JobKey>,
}

impl Plan {
    /// Loads and checks the data, plans folds and lists jobs in a fixed order.
    pub fn new(cfg: &CompareConfig) -> Result<Self> {
        cfg.base.validate()?;
        if let Some(t) = cfg.base.threads {
            tch::set_num_threads(t as i32);
        }
        if cfg.models.is_empty() || cfg.seeds.is_empty() {
            bail_input!("--models and --seeds must name at least one model and one seed");
        }
        let mut load = cfg.base.load.clone();
        load.columns = raw_columns(&cfg.base.features);
        let series = load_prices(&cfg.base.csv, &load)?;
        let spec = cfg.base.input_spec();
        spec.target.check(&series)?;
        let folds = plan_folds(
            series.len(),
            cfg.base.val_frac,
            cfg.base.test_frac,
            cfg.folds,
            spec.lookback(),
            &series.source,
        )?;
        let mut jobs = Vec::new();
        for &model in &cfg.models {
            for &seed in &cfg.seeds {
                for fold in 0..folds.len() {
                    jobs.push(JobKey { model, seed, fold });
                }
            }
        }
        Ok(Plan { cfg: cfg.clone(), series, folds, jobs })
    }

    /// Trains one job and forecasts its fold's test block.
    pub fn run_job(&self, key: JobKey) -> Result<JobResult> {
        let b = &self.cfg.base;
        let fold = self.folds[key.fold];
        let series = self.series.truncated(fold.test_end);
        let split = Split { train_end: fold.train_end, val_end: fold.val_end, len: fold.test_end };
        let data = Dataset::build(&series, &split, &b.input_spec(), 1)?;
        let device = crate::device::resolve(b.device)?;
        let channels = data.spec.channels();
        let (train, val, test) = Samples::parts(&data, device);
        tch::manual_seed(key.seed as i64);
        let vs = nn::VarStore::new(device);
        let mc = ModelConfig {
            kind: key.model,
            input: channels as i64,
            hidden: b.hidden,
            layers: b.layers,
            dropout: b.dropout,
        };
        let net = Net::new(&vs.root(), mc);
        let h = train::fit(&net, &vs, &train, &val, &b.train, None)?;
        let predicted = data.to_prices(&series.values, data.test.rows.clone(), &net.predict(&test.x));
        Ok(JobResult {
            key,
            rows: data.test.rows.clone().collect(),
            predicted,
            epoch_seconds: h.epoch_seconds,
            best_epoch: h.best_epoch,
            params: Net::param_count(&vs),
            train_loss: h.train_loss,
            val_loss: h.val_loss,
        })
    }

    /// Runs every `n`-th job starting at `i`, calling `done` after each.
    pub fn run_shard(&self, i: usize, n: usize, mut done: impl FnMut(&JobResult)) -> Result<Vec<JobResult>> {
        let mut out = Vec::new();
        for key in self.jobs.iter().skip(i).step_by(n) {
            let r = self
                .run_job(*key)
                .with_context(|| format!("{} seed {} fold {}", key.model, key.seed, key.fold + 1))?;
            done(&r);
            out.push(r);
        }
        Ok(out)
    }

    pub fn shard_file(&self, shard: (usize, usize), results: Vec<JobResult>) -> Result<ShardFile> {
        Ok(ShardFile {
            format: SHARD_FORMAT.into(),
            config: self.cfg.clone(),
            input_sha256: files::sha256_file(&self.cfg.base.csv)?,
            folds: self.folds.clone(),
            shard,
            results,
        })
    }
}

fn job_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("compare [{bar:30}] {pos}/{len} jobs {msg} ({elapsed}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Counts a finished job on `bar`; off a terminal (a log file, CI), where the bar is hidden,
/// a line per job says how far the comparison is.
fn job_done(bar: &ProgressBar, what: &str) {
    bar.inc(1);
    if bar.is_hidden() {
        eprintln!(
            "compare: {}/{} jobs done ({what}), {:.0} s",
            bar.position(),
            bar.length().unwrap_or(0),
            bar.elapsed().as_secs_f64()
        );
    }
}

/// `compare --shard i/N`: runs one shard here and writes `shard-i-of-N.json` to `cfg.out`.
pub fn run_shard_to_file(cfg: &CompareConfig, i: usize, n: usize, progress_lines: bool) -> Result<PathBuf> {
    if n == 0 || i >= n {
        bail_input!("--shard {i}/{n}: expected i/N with 0 <= i < N, e.g. --shard 0/4");
    }
    let plan = Plan::new(cfg)?;
    files::check_out_dir(&cfg.out)?;
    let bar = if progress_lines {
        ProgressBar::hidden()
    } else {
        job_bar(plan.jobs.iter().skip(i).step_by(n).count())
    };
    let results = plan.run_shard(i, n, |r| {
        let what = format!("{} seed {} fold {}", r.key.model, r.key.seed, r.key.fold + 1);
        if progress_lines {
            println!("JOB_DONE {what}");
        } else {
            job_done(&bar, &what);
        }
    })?;
    bar.finish_and_clear();
    std::fs::create_dir_all(&cfg.out)?;
    let path = cfg.out.join(format!("shard-{i}-of-{n}.json"));
    files::write_json(&path, &plan.shard_file((i, n), results)?)?;
    Ok(path)
}

/// Reads shard files from `dirs` (files or folders of `shard-*.json`) and checks that they
/// belong to one comparison and hold every job exactly once.
pub fn read_shards(dirs: &[PathBuf]) -> Result<(CompareConfig, Vec<Fold>, Vec<JobResult>)> {
    let mut paths = Vec::new();
    for d in dirs {
        if d.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(d)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("shard-"))
                        && p.extension().is_some_and(|e| e == "json")
                })
                .collect();
            found.sort();
            paths.extend(found);
        } else {
            paths.push(d.clone());
        }
    }
    if paths.is_empty() {
        bail_input!(
            "--merge: no shard-*.json files in {}",
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let mut first: Option<ShardFile> = None;
    let mut results: Vec<JobResult> = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p)
            .map_err(|e| crate::error::input_error(format!("{}: cannot read: {e}", p.display())))?;
        let shard: ShardFile = serde_json::from_str(&text).map_err(|e| {
            crate::error::input_error(format!("{}: not a compare shard file ({e})", p.display()))
        })?;
        if shard.format != SHARD_FORMAT {
            bail_input!("{}: shard format \"{}\", expected \"{SHARD_FORMAT}\"", p.display(), shard.format);
        }
        if let Some(f) = &first {
            let same = serde_json::to_value(&f.config.base)? == serde_json::to_value(&shard.config.base)?
                && f.config.models == shard.config.models
                && f.config.seeds == shard.config.seeds
                && f.folds == shard.folds
                && f.input_sha256 == shard.input_sha256;
            if !same {
                bail_input!(
                    "{}: belongs to a different comparison (settings, folds or input file differ from {})",
                    p.display(),
                    paths[0].display()
                );
            }
        }
        results.extend(shard.results.iter().cloned());
        first.get_or_insert(shard);
    }
    let first = first.expect("at least one shard");
    let expected = first.config.models.len() * first.config.seeds.len() * first.folds.len();
    let mut keys: Vec<String> = results.iter().map(|r| format!("{:?}", r.key)).collect();
    keys.sort();
    keys.dedup();
    if keys.len() != results.len() {
        bail_input!("--merge: some jobs appear in more than one shard file");
    }
    if results.len() != expected {
        bail_input!("--merge: {} of {expected} jobs found; run the missing shards first", results.len());
    }
    Ok((first.config, first.folds, results))
}

/// Runs every job: in this process (`jobs == 1`) or in `jobs` worker processes of this
/// binary, each with its share of the cores, sharing one progress bar.
pub fn run_all(plan: &Plan) -> Result<Vec<JobResult>> {
    let n = plan.cfg.jobs.clamp(1, plan.jobs.len());
    let bar = job_bar(plan.jobs.len());
    let started = Instant::now();
    let results = if n == 1 {
        let r = plan.run_shard(0, 1, |r| {
            let what = format!("{} seed {} fold {}", r.key.model, r.key.seed, r.key.fold + 1);
            bar.set_message(format!("last: {what}"));
            job_done(&bar, &what);
        })?;
        r
    } else {
        run_workers(plan, n, &bar)?
    };
    bar.finish_and_clear();
    println!(
        "ran {} jobs in {:.1} s ({} worker process{})",
        plan.jobs.len(),
        started.elapsed().as_secs_f64(),
        n,
        if n == 1 { "" } else { "es" }
    );
    Ok(results)
}

fn run_workers(plan: &Plan, n: usize, bar: &ProgressBar) -> Result<Vec<JobResult>> {
    let dir = plan.cfg.out.join(".shards");
    std::fs::create_dir_all(&dir)?;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut cfg = plan.cfg.clone();
    let free = plan.cfg.base.threads.unwrap_or_else(crate::device::auto_threads);
    cfg.base.threads = Some((free.min(cores) / n).max(1));
    cfg.out = dir.clone();
    let spec = dir.join("spec.json");
    files::write_json(&spec, &cfg)?;
    let exe = std::env::current_exe().context("locating the lstm-stock binary")?;
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(&exe)
                .args(["compare-worker", &spec.to_string_lossy(), "--shard", &format!("{i}/{n}"), "--queue"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("starting a worker process")
        })
        .collect::<Result<_>>()?;
    // Jobs are handed out one at a time to whichever worker is free, the longest first (the
    // last folds train on the most rows), so that no worker sits idle while another has a queue.
    let mut order: Vec<usize> = (0..plan.jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(plan.jobs[i].fold));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let hand_out = |stdin: &mut Option<std::process::ChildStdin>| {
        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sent = match (order.get(k), stdin.as_mut()) {
            (Some(job), Some(pipe)) => writeln!(pipe, "{job}").is_ok(),
            _ => false,
        };
        if !sent {
            *stdin = None; // end of input: the worker writes its results and exits
        }
    };
    // a worker that dies makes writes to it fail (EPIPE) instead of killing this process
    // SAFETY: changing a signal's disposition has no preconditions; restored below.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let outcomes: Vec<(bool, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = children
            .into_iter()
            .map(|mut child| {
                let (bar, hand_out) = (bar.clone(), &hand_out);
                s.spawn(move || {
                    let mut stdin = child.stdin.take();
                    hand_out(&mut stdin);
                    let out = child.stdout.take().expect("piped");
                    for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
                        if let Some(what) = line.strip_prefix("JOB_DONE ") {
                            job_done(&bar, what);
                            hand_out(&mut stdin);
                        }
                    }
                    drop(stdin);
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut e, &mut err);
                    }
                    let ok = child.wait().map(|st| st.success()).unwrap_or(false);
                    (ok, err)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or((false, "worker thread panicked".into()))).collect()
    });
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGPIPE, old) };
    if let Some((_, err)) = outcomes.iter().find(|(ok, _)| !ok) {
        // leave nothing behind: the workers' partial results go (and `run` removes the output
        // folder if it made it)
        std::fs::remove_dir_all(&dir).ok();
        let line = err.lines().rfind(|l| l.starts_with("error:")).unwrap_or(err.trim());
        anyhow::bail!("a worker process failed: {}", line.trim_start_matches("error: "));
    }
    let (_, _, results) = read_shards(std::slice::from_ref(&dir))?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(results)
}

/// The hidden `compare-worker SPEC --shard i/N [--queue]` entry point used by [`run_all`]. With
/// `--queue` it runs the job numbers it reads from standard input, one per line, until the input
/// ends, then writes its results as shard i of N.
pub fn worker(spec: &Path, shard: (usize, usize), queue: bool) -> Result<()> {
    let cfg: CompareConfig = serde_json::from_str(&std::fs::read_to_string(spec)?)?;
    if !queue {
        return run_shard_to_file(&cfg, shard.0, shard.1, true).map(|_| ());
    }
    let plan = Plan::new(&cfg)?;
    let mut results = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let key = line
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|i| plan.jobs.get(i).copied())
            .with_context(|| format!("compare-worker: {line:?} is not a job number"))?;
        let r = plan
            .run_job(key)
            .with_context(|| format!("{} seed {} fold {}", key.model, key.seed, key.fold + 1))?;
        println!("JOB_DONE {} seed {} fold {}", key.model, key.seed, key.fold + 1);
        results.push(r);
    }
    let path = cfg.out.join(format!("shard-{}-of-{}.json", shard.0, shard.1));
    files::write_json(&path, &plan.shard_file(shard, results)?)
}

/// Parses `i/N`.
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let parsed = s.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((i, n)) if n > 0 && i < n => Ok((i, n)),
        _ => bail_input!("--shard {s}: expected i/N with 0 <= i < N, e.g. --shard 0/4"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_walk_forward_without_overlap() {
        let f = plan_folds(1000, 0.15, 0.2, 4, 60, "x").unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0], Fold { train_end: 650, val_end: 800, test_end: 850 });
        for w in f.windows(2) {
            assert_eq!(w[0].test_end, w[1].val_end, "test blocks are consecutive");
            assert!(w[1].train_end > w[0].train_end, "training grows");
        }
        assert_eq!(f[3].test_end, 1000);
        assert_eq!(
            plan_folds(1000, 0.15, 0.15, 1, 60, "x").unwrap(),
            vec![Fold { train_end: 700, val_end: 850, test_end: 1000 }]
        );
        assert!(plan_folds(100, 0.15, 0.15, 20, 60, "x").is_err());
        assert!(plan_folds(100, 0.15, 0.5, 2, 60, "x").is_err());
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        assert!(parse_shard("4/4").is_err() && parse_shard("x").is_err());
    }
}
