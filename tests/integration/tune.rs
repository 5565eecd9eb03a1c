//! `tune` run as a user runs it: every output, shards merged to the same search, the time
//! budget's floor, and bad input refused in one line.

use std::path::{Path, PathBuf};

use crate::cli::{json, run, scratch, stderr, TINY_COMPARE as TINY_TUNE};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Two settings besides the defaults.
const TINY_SPACE: &[&str] = &["--trials", "3", "--space", "hidden=4,8; window=5,10"];

fn tune(csv: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["tune", csv.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(TINY_TUNE);
    // the search's own flags, unless the test gives them
    if !extra.iter().any(|a| ["--space", "--trials"].contains(a)) {
        args.extend_from_slice(TINY_SPACE);
    }
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn tune_writes_every_output_and_shards_merge_to_the_same_search() {
    let dir = scratch("tune");
    let csv = fixture("stooq.csv");
    let full = dir.join("full");
    let o = tune(&csv, &full, &["--sanity", "--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("searching 3 settings (random search of a space of 4 settings)"), "{stdout}");
    assert!(stdout.contains("  #1: defaults"), "{stdout}");
    assert!(stdout.contains("after paying for 6 tries,") && stdout.contains("(SPA p = "), "{stdout}");
    assert!(
        stdout.contains("the 90% model confidence set holds") && stdout.contains("the 75% model"),
        "{stdout}"
    );
    assert!(stdout.contains("LSTM vs GRU: tuned, ") && stdout.contains("untuned defaults, "), "{stdout}");
    assert!(stdout.contains("leakage check: passed") && !stdout.contains("LEAK"), "{stdout}");
    for f in ["tune.png", "tune.md", "trials.csv", "losses.csv", "tune.json", "report.html"] {
        assert!(full.join(f).is_file(), "{f} missing");
    }
    assert_eq!(&std::fs::read(full.join("tune.png")).unwrap()[..4], b"\x89PNG");
    // trials.csv: a row per model, setting, fold and seed, with each setting's own values
    let trials = std::fs::read_to_string(full.join("trials.csv")).unwrap();
    let rows: Vec<&str> = trials.lines().collect();
    assert_eq!(rows.len(), 1 + 2 * 3 * 2 * 2, "{trials}");
    assert!(rows[0].starts_with("model,trial,setting,hidden,layers,window,"), "{trials}");
    assert!(rows[1].starts_with("lstm,1,\"defaults\",8,1,10,"), "{trials}");
    // losses.csv: a row per pooled test day; a column per trial and per baseline
    let losses = std::fs::read_to_string(full.join("losses.csv")).unwrap();
    let header: Vec<&str> = losses.lines().next().unwrap().split(',').collect();
    assert_eq!(header.len(), 2 + 6 + 3, "{header:?}");
    assert_eq!(header[2], "LSTM #1");
    assert_eq!(header[8], "naive");
    let j = json(full.join("tune.json"));
    // how the settings were drawn, beside them
    assert_eq!(j["search"]["trials"], 3);
    assert_eq!(j["search"]["space"]["hidden"], serde_json::json!([4, 8]));
    assert_eq!(j["settings"]["settings"].as_array().unwrap().len(), 3);
    let report = &j["report"];
    let days = report["days"].as_u64().unwrap() as usize;
    assert_eq!(losses.lines().count(), 1 + days);
    // naive's column is its squared error: its mean is the report's naive RMSE squared
    let naive: Vec<f64> =
        losses.lines().skip(1).map(|l| l.split(',').nth(8).unwrap().parse().unwrap()).collect();
    let rmse = (naive.iter().sum::<f64>() / days as f64).sqrt();
    assert!((rmse - report["naive_rmse"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(report["trials"].as_array().unwrap().len(), 6);
    assert_eq!(report["tuned"][0]["chosen"].as_array().unwrap().len(), 2);
    assert!(report["spa"]["p_consistent"].is_number() && report["mcs"]["p_values"].is_array());
    let md = std::fs::read_to_string(full.join("tune.md")).unwrap();
    assert!(md.contains("## The search paid for") && md.contains("| LSTM #1 | defaults |"), "{md}");
    let html = std::fs::read_to_string(full.join("report.html")).unwrap();
    assert!(html.contains("<table>") && html.contains("data:image/png;base64"), "report.html");

    // the same jobs in two shards, merged, give the same search
    let shards = dir.join("shards");
    for sh in ["0/2", "1/2"] {
        let o = tune(&csv, &shards, &["--sanity", "--shard", sh]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let merged = dir.join("merged");
    let o = run(&["tune", "--merge", shards.to_str().unwrap(), "--out", merged.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = json(merged.join("tune.json"));
    assert_eq!(j["report"]["trials"], m["report"]["trials"]);
    assert_eq!(j["report"]["tuned"], m["report"]["tuned"]);
    // a merge knows the settings, not how they were drawn
    assert!(m["search"].is_null() && m["settings"]["settings"] == j["settings"]["settings"]);
    // compare cannot merge a search's shards, nor tune a comparison's
    let o = run(&["compare", "--merge", shards.to_str().unwrap(), "--out", dir.join("x").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("shards of a search") && stderr(&o).lines().count() == 1, "{}", stderr(&o));
    // flags beside --merge would be ignored: refused
    let o = run(&["tune", "--merge", shards.to_str().unwrap(), "--trials", "9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("drop --trials"), "{}", stderr(&o));
    // a missing shard is an error
    std::fs::remove_file(shards.join("shard-1-of-2.json")).unwrap();
    let o = run(&["tune", "--merge", shards.to_str().unwrap(), "--out", dir.join("y").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("jobs found; run the missing shards first"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_tune_input_is_one_line_and_leaves_nothing() {
    let dir = scratch("tune-bad");
    let csv = fixture("stooq.csv");
    for (extra, expect) in [
        (&["--space", "hidden=0"][..], "--space hidden=0: must be from 1"),
        (&["--space", "depth=2"][..], "unknown key \"depth\""),
        (&["--budget", "5x"][..], "--budget 5x: unknown unit"),
        (&["--budget", "0m"][..], "--budget 0m: expected a positive time"),
        (
            &["--search", "grid", "--trials", "2"][..],
            "grid is 108 settings, more than --trials 2; raise --trials to 109",
        ),
        (&["--trials", "0"][..], "--trials 0"),
        (&["--budget", "1m", "--shard", "0/2"][..], "--budget with --shard"),
        // the time runs out before the defaults finish: nothing to judge
        (&["--budget", "0.001s"][..], "before the first setting (the defaults) finished"),
    ] {
        let out = dir.join("out");
        let o = tune(&csv, &out, extra);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {e}");
        assert!(e.contains(expect), "{extra:?}: {e}");
        assert_eq!(e.lines().filter(|l| l.starts_with("error")).count(), 1, "{e}");
        assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(), "{extra:?} left files");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The pids of `pid`'s children.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect()
}

/// Whether process `pid` still runs (a zombie waiting to be reaped does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// A run killed outright (not interrupted) takes its worker processes with it, instead of
/// leaving them to train their jobs to the end, orphaned.
#[cfg(target_os = "linux")]
#[test]
fn workers_go_when_their_run_is_killed() {
    use std::time::{Duration, Instant};
    let dir = scratch("tune-kill");
    let csv = fixture("stooq.csv");
    let out = dir.join("out");
    let mut args = vec!["tune", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"];
    // training that would not end by itself
    args.extend_from_slice(&[
        "--epochs",
        "100000",
        "--patience",
        "100000",
        "--threads",
        "1",
        "--hidden",
        "8",
    ]);
    args.extend_from_slice(TINY_SPACE);
    let mut run = crate::cli::bin()
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let workers = loop {
        let w = children(run.id());
        if w.len() == 2 || started.elapsed() > Duration::from_secs(30) {
            break w;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(workers.len(), 2, "the run started no workers");
    run.kill().unwrap();
    run.wait().unwrap();
    let killed = Instant::now();
    while workers.iter().any(|&w| alive(w)) && killed.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left: Vec<u32> = workers.iter().copied().filter(|&w| alive(w)).collect();
    for &w in &left {
        // leave no stray trainer behind, then fail
        let _ = std::process::Command::new("kill").arg("-9").arg(w.to_string()).status();
    }
    assert!(left.is_empty(), "workers {left:?} still ran 10 s after their run was killed");
    std::fs::remove_dir_all(&dir).ok();
}
