//! Running a comparison's jobs: in this process, in worker processes of this binary that take
//! jobs from a queue, or as shards run anywhere and merged later.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use super::compare::{
    describe, job_keys, CompareConfig, Fold, JobResult, Plan, ShardFile, Variant, SHARD_FORMAT,
};
use crate::bail_input;
use crate::report::files;

/// The command whose jobs these are, for progress lines.
fn command(cfg: &CompareConfig) -> &'static str {
    if cfg.is_search() {
        "tune"
    } else {
        "compare"
    }
}

fn job_bar(total: usize, cfg: &CompareConfig) -> ProgressBar {
    let bar = ProgressBar::new(total as u64).with_prefix(command(cfg));
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} jobs {msg} ({elapsed}, eta {eta})")
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
            "{}: {}/{} jobs done ({what}), {:.0} s",
            bar.prefix(),
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
        job_bar(plan.jobs.iter().skip(i).step_by(n).count(), cfg)
    };
    let results = plan.run_shard(i, n, |r| {
        let what = describe(&r.key);
        if progress_lines {
            println!("JOB_DONE {what}");
        } else {
            job_done(&bar, &what);
        }
    })?;
    bar.finish_and_clear();
    let _out = files::OutputDir::open(&cfg.out)?;
    let path = cfg.out.join(format!("shard-{i}-of-{n}.json"));
    files::write_json(&path, &plan.shard_file((i, n), results)?)?;
    Ok(path)
}

/// Reads shard files from `dirs` (files or folders of `shard-*.json`) and checks that they
/// belong to one comparison and hold every job exactly once.
pub fn read_shards(dirs: &[PathBuf]) -> Result<(CompareConfig, Vec<Fold>, Vec<JobResult>)> {
    let (c, folds, results) = read_shard_files(dirs)?;
    let expected = job_keys(&c.contenders(), &c.seeds, folds.len(), c.sanity, c.power_paths).len();
    if results.len() != expected {
        bail_input!("--merge: {} of {expected} jobs found; run the missing shards first", results.len());
    }
    Ok((c, folds, results))
}

/// Shard files read as one run of `search` (a `tune`) or not (a `compare`), for `out`: the
/// run's plan on the file as it is now (refused if its folds moved) and the jobs' results.
pub fn read_run(dirs: &[PathBuf], search: bool, out: &Path) -> Result<(Plan, Vec<JobResult>)> {
    let (mut cfg, folds, results) = read_shards(dirs)?;
    match (search, cfg.is_search()) {
        (false, true) => bail_input!(
            "--merge: these are shards of a search (tune), not of a comparison; merge them with tune --merge"
        ),
        (true, false) => bail_input!(
            "--merge: these are shards of a comparison, not of a search; merge them with compare --merge"
        ),
        _ => {}
    }
    cfg.out = out.to_path_buf();
    let plan = Plan::new(&cfg)?;
    if plan.folds != folds {
        bail_input!(
            "--merge: the shards' folds do not match {} as it is now; was the file changed?",
            cfg.base.csv.display()
        );
    }
    Ok((plan, results))
}

/// [`read_shards`] without requiring every job: the jobs found, each once and each part of the
/// comparison (a run cut short by its time budget has only some).
fn read_shard_files(dirs: &[PathBuf]) -> Result<(CompareConfig, Vec<Fold>, Vec<JobResult>)> {
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
            // --fleet changes no job of a comparison (each trains one network), so shards may differ in it
            let base = |c: &CompareConfig| {
                serde_json::to_value(crate::config::StockConfig { fleet: true, ..c.base.clone() })
            };
            let same = base(&f.config)? == base(&shard.config)?
                && f.config.models == shard.config.models
                && f.config.seeds == shard.config.seeds
                && f.config.sanity == shard.config.sanity
                && f.config.power_paths == shard.config.power_paths
                && f.config.settings == shard.config.settings
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
        shard.config.validate().map_err(|e| crate::error::input_error(format!("{}: {e:#}", p.display())))?;
        for r in &shard.results {
            let layout = results
                .iter()
                .chain(&shard.results)
                .find(|q| q.key.variant == Variant::Main)
                .map(band_layout);
            check_result(r, &shard.folds, layout.as_deref()).map_err(|e| {
                crate::error::input_error(format!("{}: job {}: {e}", p.display(), describe(&r.key)))
            })?;
        }
        results.extend(shard.results.iter().cloned());
        first.get_or_insert(shard);
    }
    let Some(first) = first else { bail_input!("--merge: no shard files read") };
    let c = &first.config;
    let mut keys: Vec<String> = results.iter().map(|r| format!("{:?}", r.key)).collect();
    keys.sort();
    keys.dedup();
    if keys.len() != results.len() {
        bail_input!("--merge: some jobs appear in more than one shard file");
    }
    let wanted = job_keys(&c.contenders(), &c.seeds, first.folds.len(), c.sanity, c.power_paths);
    if let Some(r) = results.iter().find(|r| !wanted.contains(&r.key)) {
        bail_input!(
            "--merge: job {} is not part of this comparison; were shards of two runs mixed?",
            describe(&r.key)
        );
    }
    Ok((first.config, first.folds, results))
}

/// Runs every job: in this process (`jobs == 1`) or in `jobs` worker processes of this
/// binary, each with its share of the cores, sharing one progress bar. With a `deadline`, no
/// job starts after it (the jobs running then finish), and the jobs done are returned.
pub fn run_all(plan: &Plan, deadline: Option<Instant>) -> Result<Vec<JobResult>> {
    let n = plan.cfg.jobs.clamp(1, plan.jobs.len());
    let bar = job_bar(plan.jobs.len(), &plan.cfg);
    let started = Instant::now();
    let results = if n == 1 {
        let mut out = Vec::new();
        for key in &plan.jobs {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let r = plan.run_job(*key).with_context(|| describe(key))?;
            let what = describe(&r.key);
            bar.set_message(format!("last: {what}"));
            job_done(&bar, &what);
            out.push(r);
        }
        out
    } else {
        run_workers(plan, n, &bar, deadline)?
    };
    bar.finish_and_clear();
    println!(
        "ran {} jobs in {:.1} s ({} worker process{})",
        results.len(),
        started.elapsed().as_secs_f64(),
        n,
        if n == 1 { "" } else { "es" }
    );
    Ok(results)
}

fn run_workers(
    plan: &Plan,
    n: usize,
    bar: &ProgressBar,
    deadline: Option<Instant>,
) -> Result<Vec<JobResult>> {
    let dir = plan.cfg.out.join(".shards");
    std::fs::create_dir_all(&dir)?;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut cfg = plan.cfg.clone();
    let free = plan.cfg.base.threads.unwrap_or_else(crate::engine::threads::auto_threads);
    cfg.base.threads = Some((free.min(cores) / n).max(1));
    cfg.out = dir.clone();
    let spec = dir.join("spec.json");
    files::write_json(&spec, &cfg)?;
    let exe = std::env::current_exe().context("locating the lstm-stock binary")?;
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(&exe)
                .args(["compare-worker", &spec.to_string_lossy(), "--shard", &format!("{i}/{n}"), "--queue"])
                .args(["--parent", &std::process::id().to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("starting a worker process")
        })
        .collect::<Result<_>>()?;
    // Jobs are handed out one at a time to whichever worker is free, the longest first (the
    // last folds train on the most rows), so that no worker sits idle while another has a queue.
    // (A search keeps its settings in order, each setting's longest first, so that a time
    // budget ends it between settings.)
    let mut order: Vec<usize> = (0..plan.jobs.len()).collect();
    let search = plan.cfg.is_search();
    order.sort_by_key(|&i| (search.then_some(plan.jobs[i].features), std::cmp::Reverse(plan.jobs[i].fold)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let hand_out = |stdin: &mut Option<std::process::ChildStdin>| {
        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let late = deadline.is_some_and(|d| Instant::now() >= d);
        let sent = match (order.get(k).filter(|_| !late), stdin.as_mut()) {
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
    // per worker: its exit code (None: killed by a signal) and what it wrote to stderr
    let outcomes: Vec<(Option<i32>, String)> = std::thread::scope(|s| {
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
                    (child.wait().ok().and_then(|st| st.code()), err)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or((None, "worker thread panicked".into()))).collect()
    });
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGPIPE, old) };
    if let Some((code, err)) = outcomes.iter().find(|(code, _)| *code != Some(0)) {
        // leave nothing behind: the workers' partial results go (and `run` removes the output
        // folder if it made it)
        std::fs::remove_dir_all(&dir).ok();
        let line = err.lines().rfind(|l| l.starts_with("error:")).unwrap_or(err.trim());
        let line = line.trim_start_matches("error: ");
        if *code == Some(crate::error::EXIT_BAD_INPUT) {
            // the worker's input error (say, a diverging --lr) is the user's to fix, as in `stock`
            return Err(crate::error::input_error(line));
        }
        anyhow::bail!("a worker process failed: {line}");
    }
    let (_, _, results) = if deadline.is_some() {
        read_shard_files(std::slice::from_ref(&dir))?
    } else {
        read_shards(std::slice::from_ref(&dir))?
    };
    std::fs::remove_dir_all(&dir).ok();
    Ok(results)
}

/// The hidden `compare-worker SPEC --shard i/N [--queue]` entry point used by [`run_all`]. With
/// `--queue` it runs the job numbers it reads from standard input, one per line, until the input
/// ends, then writes its results as shard i of N.
pub fn worker(spec: &Path, shard: (usize, usize), queue: bool, parent: Option<u32>) -> Result<()> {
    // A worker whose run is killed (not interrupted: Ctrl-C reaches the whole process group)
    // has no one to report to; without this it would train its job to the end, orphaned.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory of this process;
    // getppid cannot fail.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        // the run may have died before the line above (loading libtorch takes a while)
        if parent.is_some_and(|p| libc::getppid() as u32 != p) {
            anyhow::bail!("compare-worker: the run that started it has ended");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = parent;
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
        let r = plan.run_job(key).with_context(|| describe(&key))?;
        println!("JOB_DONE {}", describe(&key));
        results.push(r);
    }
    let path = cfg.out.join(format!("shard-{}-of-{}.json", shard.0, shard.1));
    files::write_json(&path, &plan.shard_file(shard, results)?)
}

/// Steps, levels and methods of a job's bands, in order.
fn band_layout(r: &JobResult) -> Vec<(usize, u64, Vec<crate::eval::bands::Method>)> {
    r.bands.iter().map(|b| (b.step, b.level.to_bits(), b.model.iter().map(|m| m.method).collect())).collect()
}

/// What a merge relies on in a job's result: its fold exists, it forecasts exactly that fold's
/// test days with finite numbers, its training history is whole, and its bands have the layout
/// of the other main jobs' (`layout`, once one is known; a check's job has none). A hand-edited or truncated shard fails here,
/// with the reason, instead of deep inside the report.
fn check_result(
    r: &JobResult,
    folds: &[Fold],
    layout: Option<&[(usize, u64, Vec<crate::eval::bands::Method>)]>,
) -> std::result::Result<(), String> {
    let fold = folds.get(r.key.fold).ok_or_else(|| format!("fold {} does not exist", r.key.fold + 1))?;
    if !r.rows.iter().copied().eq(fold.val_end..fold.test_end) {
        return Err("its rows are not its fold's test days".into());
    }
    if r.predicted.len() != r.rows.len() || r.predicted.iter().any(|v| !v.is_finite()) {
        return Err("its forecasts are missing, extra or not finite".into());
    }
    let val_ok = r.val_rows.iter().all(|&t| (fold.train_end..fold.val_end).contains(&t));
    if r.val_predicted.len() != r.val_rows.len() || !val_ok || r.val_predicted.iter().any(|v| !v.is_finite())
    {
        return Err("its validation forecasts are not its fold's validation days".into());
    }
    let epochs = r.train_loss.len();
    if epochs == 0 || r.val_loss.len() != epochs || !(1..=epochs).contains(&r.best_epoch) {
        return Err("its training history is incomplete".into());
    }
    // only main jobs size bands; the checks' jobs carry none
    let expected = if r.key.variant == Variant::Main { layout } else { Some(&[][..]) };
    if expected.is_some_and(|l| band_layout(r) != l) {
        return Err("its prediction bands differ in steps, levels or methods from the other jobs'".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::compare::test_plan::plan;
    use crate::commands::compare::JobKey;
    use crate::eval::bands::StepLevel;
    use crate::eval::intervals::IntervalScore;

    #[test]
    fn merge_refuses_a_job_that_is_not_part_of_the_comparison() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-merge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plan = plan(&dir);
        // every job's key, with well-formed placeholder results: merging checks keys and
        // shapes, not figures
        let result = |key: JobKey| crate::commands::compare::test_plan::placeholder(&plan, key);
        let shard_path = dir.join("shard-0-of-1.json");
        let write = |results: Vec<JobResult>| {
            let shard = plan.shard_file((0, 1), results).unwrap();
            files::write_json(&shard_path, &shard).unwrap();
            read_shards(std::slice::from_ref(&dir))
        };
        let all: Vec<JobResult> = plan.jobs.iter().map(|&k| result(k)).collect();
        assert!(write(all.clone()).is_ok());
        // the same count, but one job swapped for another comparison's (a second seed)
        let mut mixed = all.clone();
        mixed[0].key.seed = 99;
        let e = format!("{:#}", write(mixed).unwrap_err());
        assert!(e.contains("gru seed 99 fold 1") && e.contains("not part of this comparison"), "{e}");
        // hand-edited shards: each fault is one line naming the file and what is wrong
        type Plant = Box<dyn Fn(&mut Vec<JobResult>)>;
        let planted: Vec<(&str, Plant)> = vec![
            (
                "its rows are not its fold's test days",
                Box::new(|r| {
                    r[0].rows.pop();
                }),
            ),
            (
                "its forecasts are missing",
                Box::new(|r| {
                    r[0].predicted.pop();
                }),
            ),
            // JSON has no NaN: a non-finite forecast cannot even be read
            ("not a compare shard file", Box::new(|r| r[0].predicted[0] = f64::NAN)),
            ("training history is incomplete", Box::new(|r| r[0].train_loss.clear())),
            ("training history is incomplete", Box::new(|r| r[0].best_epoch = 7)),
            ("fold 5 does not exist", Box::new(|r| r[0].key.fold = 4)),
            (
                "bands differ",
                Box::new(|r| {
                    let score = IntervalScore {
                        level: 0.9,
                        days: 1,
                        coverage: 1.0,
                        mean_width: 1.0,
                        interval_score: 1.0,
                    };
                    // on a leakage-check job, which sizes no band
                    let check = r.iter_mut().find(|j| j.key.variant != Variant::Main).unwrap();
                    check.bands = vec![StepLevel { step: 1, level: 0.9, model: vec![], naive: score }];
                }),
            ),
        ];
        for (expect, plant) in &planted {
            let mut bad = all.clone();
            plant(&mut bad);
            let e = format!("{:#}", write(bad).unwrap_err());
            assert!(e.contains("shard-0-of-1.json") && e.contains(expect), "{expect}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
        // a shard whose comparison names no model
        let mut shard = plan.shard_file((0, 1), all).unwrap();
        shard.config.models.clear();
        files::write_json(&shard_path, &shard).unwrap();
        let e = format!("{:#}", read_shards(std::slice::from_ref(&dir)).unwrap_err());
        assert!(e.contains("shard-0-of-1.json") && e.contains("--models"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
