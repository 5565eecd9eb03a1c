//! `panel` on synthetic panels built by the test: a planted cross-sectional effect the global
//! network must find, a panel with none where it must not, and the calendar's rule on a ticker
//! that starts too late.

use std::path::Path;

use super::cli::{json, run, scratch, stderr};

/// Writes `tickers` price files into `dir`: ticker `i`'s daily log returns `-phi(i)` times the
/// day before's plus a market move shared by every ticker and the ticker's own noise (a
/// short-term reversal of known size where `phi(i) > 0`, momentum where below), on weekdays
/// from 2015-01-05; ticker 0 starts `late` days in.
fn write_panel(dir: &Path, tickers: usize, days: usize, phi: impl Fn(usize) -> f64, seed: u64, late: usize) {
    let mut x = seed;
    let mut normal = || {
        let mut u = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let (a, b) = (u(), u());
        (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
    };
    let mut dates = Vec::new();
    let mut d = chrono::NaiveDate::from_ymd_opt(2015, 1, 5).unwrap();
    while dates.len() < days {
        use chrono::Datelike;
        if d.weekday().number_from_monday() <= 5 {
            dates.push(d);
        }
        d = d.succ_opt().unwrap();
    }
    let market: Vec<f64> = (0..days).map(|_| 0.006 * normal()).collect();
    for i in 0..tickers {
        let (mut price, mut last) = (50.0 + 10.0 * i as f64, 0.0);
        let mut text = String::from("Date,Close\n");
        for (t, date) in dates.iter().enumerate() {
            let own = -phi(i) * last + 0.015 * normal();
            last = own;
            price *= (own + market[t]).exp();
            if i > 0 || t >= late {
                text += &format!("{date},{price:.4}\n");
            }
        }
        std::fs::write(dir.join(format!("T{i:02}.csv")), text).unwrap();
    }
}

/// A scratch folder named `name` and, in its `prices/`, a panel from [`write_panel`] (no late
/// ticker).
fn scratch_panel(
    name: &str,
    tickers: usize,
    days: usize,
    phi: impl Fn(usize) -> f64,
    seed: u64,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = scratch(name);
    let prices = dir.join("prices");
    std::fs::create_dir_all(&prices).unwrap();
    write_panel(&prices, tickers, days, phi, seed, 0);
    (dir, prices)
}

/// `panel DIR` with small, quick settings; panel.json.
fn panel(dir: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    quick_panel(dir, out, extra);
    json(out.join("panel.json"))
}

/// `panel DIR` with small, quick settings, which must succeed.
fn quick_panel(dir: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["panel", dir.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
    args.extend_from_slice(&[
        "--window",
        "5",
        "--hidden",
        "8",
        "--layers",
        "1",
        "--epochs",
        "8",
        "--lr",
        "0.01",
        "--threads",
        "1",
    ]);
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The rank IC summary of `contender` in panel.json.
fn rank_ic(j: &serde_json::Value, contender: &str) -> (f64, f64) {
    let x = j["cross_section"].as_array().unwrap().iter().find(|x| x["contender"] == contender).unwrap();
    (x["rank_ic"]["mean"].as_f64().unwrap(), x["rank_ic"]["t"].as_f64().unwrap())
}

/// A planted one-day reversal (phi = 0.3 on each ticker's own move) is found by the global
/// network and by the reversal baseline (rank IC far above 0); with no effect, the network's
/// rank IC is not significant. A ticker that starts after the validation start is dropped, with
/// the reason, and every output is written.
#[test]
fn the_global_network_finds_a_planted_reversal_and_not_an_absent_one() {
    let dir = scratch("panel");
    let (with, without) = (dir.join("with"), dir.join("without"));
    std::fs::create_dir_all(&with).unwrap();
    std::fs::create_dir_all(&without).unwrap();
    write_panel(&with, 16, 400, |_| 0.3, 11, 330);
    write_panel(&without, 16, 400, |_| 0.0, 12, 0);

    let j = panel(&with, &dir.join("out-with"), &["--models", "gru", "--k", "3"]);
    let (ic, t) = rank_ic(&j, "global GRU");
    assert!(ic > 0.1 && t > 3.0, "planted reversal not found: rank IC {ic} (t {t})");
    let (ic, t) = rank_ic(&j, "reversal");
    assert!(ic > 0.1 && t > 3.0, "the reversal baseline must find it too: {ic} ({t})");
    // its book earns, and the bootstrap says so; the deflated ratio counts every book tried
    let at =
        j["cross_section"].as_array().unwrap().iter().position(|x| x["contender"] == "reversal").unwrap();
    let p = j["books"]["p_above_zero"][at].as_f64().unwrap();
    assert!(p < 0.01, "the planted reversal's book: p = {p}");
    assert_eq!(j["books"]["deflated"]["trials"].as_u64(), Some(6));
    // the late ticker is reported, not trained on days after the others' validation start
    let dropped = j["folds"][0]["dropped"].as_array().unwrap();
    assert!(dropped.len() == 1 && dropped[0][0] == "T00", "{dropped:?}");
    assert_eq!(j["kept"].as_array().unwrap().len(), 15);
    for f in ["results.csv", "per_ticker.csv", "ic.csv", "report.html"] {
        assert!(dir.join("out-with").join(f).is_file(), "{f}");
    }
    for png in ["skill.png", "ic.png", "long_short.png"] {
        assert_eq!(&std::fs::read(dir.join("out-with").join(png)).unwrap()[..4], b"\x89PNG", "{png}");
    }
    // every figure comes from results.csv: one row per contender, ticker and test day
    let results = std::fs::read_to_string(dir.join("out-with/results.csv")).unwrap();
    let contenders =
        ["naive", "reversal", "drift", "global GRU", "global ridge", "per-ticker ridge", "per-ticker GRU"];
    let test_days = j["cross_section"][0]["days"].as_array().unwrap().len();
    assert_eq!(results.lines().count(), 1 + contenders.len() * 15 * test_days, "{}", &results[..300]);

    // a book larger than the panel is refused before any training
    let o =
        run(&["panel", without.to_str().unwrap(), "--k", "9", "--out", dir.join("big-k").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--k 9: the long-short book holds 18 tickers a day, and 16 are usable"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("big-k").exists());

    let j = panel(&without, &dir.join("out-without"), &["--models", "gru", "--k", "3", "--no-per-ticker"]);
    let (ic, t) = rank_ic(&j, "global GRU");
    assert!(t.abs() < 1.96, "no effect was planted, yet rank IC {ic} (t {t})");
    assert!(j["global_vs_per_ticker"].as_array().unwrap().is_empty());
}

/// A learned ticker embedding (`--embed`) lets one network tell tickers apart: half the tickers
/// reverse their last move (phi = 0.4), half continue it (phi = -0.4), so on average the last
/// move says nothing, and five days of history can hardly tell which kind a ticker is. Without an
/// embedding the global network's rank IC is near zero; with one it finds both effects.
#[test]
fn a_ticker_embedding_tells_reversing_tickers_from_trending_ones() {
    let (dir, prices) = scratch_panel("panel-embed", 16, 500, |i| if i % 2 == 0 { 0.4 } else { -0.4 }, 21);
    let common = ["--models", "gru", "--k", "3", "--no-per-ticker"];
    let plain = panel(&prices, &dir.join("plain"), &common);
    let embedded = panel(&prices, &dir.join("embedded"), &[&common[..], &["--embed", "4"]].concat());
    let (without, t0) = rank_ic(&plain, "global GRU");
    let (with, t1) = rank_ic(&embedded, "global GRU");
    eprintln!("global GRU rank IC without an embedding {without:.3} (t {t0:.1}), with {with:.3} (t {t1:.1})");
    assert!(with > 0.1 && t1 > 3.0, "with the embedding: rank IC {with} (t {t1})");
    assert!(with > without + 0.08, "without {without} (t {t0}), with {with} (t {t1})");
    assert_eq!(embedded["settings"]["embed"].as_u64(), Some(4));
}

/// `--seeds 2`: each network trains twice (seeds 42 and 43); results.csv keeps both seeds' rows
/// and the judged row of each (ticker, day), their mean; panel.json shows each seed's figures.
#[test]
fn several_seeds_are_judged_by_their_mean_forecast() {
    let (dir, prices) = scratch_panel("panel-seeds", 6, 300, |_| 0.2, 31);
    let j =
        panel(&prices, &dir.join("out"), &["--models", "gru", "--k", "2", "--no-per-ticker", "--seeds", "2"]);
    let seeds: Vec<u64> =
        j["per_seed"].as_array().unwrap().iter().map(|v| v["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, vec![42, 43]);
    let text = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    let gru: Vec<Vec<&str>> =
        text.lines().filter(|l| l.starts_with("\"global GRU\"")).map(|l| l.split(',').collect()).collect();
    let of = |seed: &str| -> Vec<f64> {
        gru.iter().filter(|r| r[2] == seed).map(|r| r[6].parse().unwrap()).collect()
    };
    let (a, b, mean) = (of("42"), of("43"), of(""));
    assert!(!a.is_empty() && a.len() == b.len() && b.len() == mean.len());
    assert!(a.iter().zip(&b).any(|(x, y)| x != y), "two seeds, two networks");
    for ((x, y), m) in a.iter().zip(&b).zip(&mean) {
        assert!((m - (x + y) / 2.0).abs() < 1e-9 * m.abs(), "{x} {y} {m}");
    }
}

/// `--folds 3`: the test days in three walk-forward blocks, each fold's networks trained on
/// every day before its own validation part (more windows fold by fold); every contender
/// forecasts each (ticker, day) once, from the fold whose block holds the day; the
/// cross-section runs over every fold's days.
#[test]
fn walk_forward_folds_forecast_each_test_day_once_from_the_days_before_it() {
    use chrono::NaiveDate;
    let (dir, prices) = scratch_panel("panel-folds", 6, 300, |_| 0.2, 51);
    let j =
        panel(&prices, &dir.join("out"), &["--models", "gru", "--k", "2", "--no-per-ticker", "--folds", "3"]);
    let folds = j["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    let date = |v: &serde_json::Value| NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap();
    let cal: Vec<(NaiveDate, NaiveDate, NaiveDate)> = folds
        .iter()
        .map(|f| {
            (
                date(&f["calendar"]["val_start"]),
                date(&f["calendar"]["test_start"]),
                date(&f["calendar"]["last"]),
            )
        })
        .collect();
    let windows: Vec<u64> = folds.iter().map(|f| f["training_windows"].as_u64().unwrap()).collect();
    for i in 1..3 {
        assert!(cal[i - 1].2 < cal[i].1 && cal[i - 1].0 < cal[i].0, "{cal:?}");
        assert!(windows[i - 1] < windows[i], "fold {} trains on more days: {windows:?}", i + 1);
    }
    let text = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut per_fold = [0usize; 3];
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let fold: usize = f[1].parse().unwrap();
        let day = NaiveDate::parse_from_str(f[4], "%Y-%m-%d").unwrap();
        let (_, start, last) = cal[fold - 1];
        assert!(start <= day && day <= last, "outside its fold's block: {line}");
        assert!(seen.insert((f[0].to_string(), f[3].to_string(), day)), "forecast twice: {line}");
        per_fold[fold - 1] += 1;
    }
    assert!(per_fold.iter().all(|&n| n > 0), "{per_fold:?}");
    let days = j["cross_section"][0]["days"].as_array().unwrap().len();
    assert_eq!(days * 6, text.lines().filter(|l| l.starts_with("\"naive\"")).count());
}

/// A ticker that leaves before the test days (its file ends in the validation part) still
/// trains the global network, since its leaving is the future at the cut; it has no forecasts
/// and no per-ticker network, and the run judges the others; the leakage check, which cuts the
/// first ticker's file in mid-test, cuts the first one with test days instead.
#[test]
fn a_ticker_that_leaves_before_the_test_trains_and_is_not_forecast() {
    let (dir, prices) = scratch_panel("panel-leaver", 6, 300, |_| 0.1, 91);
    let f = prices.join("T00.csv");
    let text = std::fs::read_to_string(&f).unwrap();
    // 300 days: validation from day 210, test from day 255; T00 ends on day 230
    let kept: Vec<&str> = text.lines().take(1 + 230).collect();
    std::fs::write(&f, kept.join("\n") + "\n").unwrap();
    let j = panel(&prices, &dir.join("with"), &["--models", "gru", "--k", "2", "--sanity"]);
    assert!(j["kept"].as_array().unwrap().iter().any(|t| t == "T00"), "{}", j["kept"]);
    let results = std::fs::read_to_string(dir.join("with/results.csv")).unwrap();
    assert!(!results.contains("\"T00\""), "T00 has no test days to forecast");
    let check = &j["leakage_check"];
    assert!(
        check["ticker"] == "T01" && check["changed"] == 0 && check["compared"].as_u64() > Some(100),
        "{check}"
    );
    assert!(results.lines().any(|l| l.starts_with("\"per-ticker GRU\"")));
    std::fs::remove_file(&f).unwrap();
    let without = panel(&prices, &dir.join("without"), &["--models", "gru", "--k", "2"]);
    let windows = |j: &serde_json::Value| j["folds"][0]["training_windows"].as_u64().unwrap();
    assert!(
        windows(&j) > windows(&without),
        "its training windows count: {} vs {}",
        windows(&j),
        windows(&without)
    );
}

/// A one-day round trip planted in one ticker's file (a close 35% off that the next day takes
/// back, as the 505-member panel's NWL and MRO have) is named with its file, line and date; the
/// untouched panel names none.
#[test]
fn a_bad_print_in_one_file_is_named() {
    let (dir, prices) = scratch_panel("panel-spike", 5, 200, |_| 0.0, 81);
    let args = |out: &str| {
        let out = dir.join(out);
        let mut a: Vec<String> = ["panel", prices.to_str().unwrap(), "--out", out.to_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(
            ["--models", "gru", "--no-per-ticker", "--k", "2", "--window", "5", "--epochs", "1"]
                .map(String::from),
        );
        a
    };
    let said = |out: &str| {
        let a = args(out);
        let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(!said("honest").contains("a bad print?"));
    let f = prices.join("T02.csv");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // line 101 of the file: its close 35% lower for one day
    let (date, close) = lines[100].split_once(',').map(|(d, c)| (d.to_string(), c.to_string())).unwrap();
    let low = close.parse::<f64>().unwrap() * 0.65;
    lines[100] = format!("{date},{low:.4}");
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let out = said("spiked");
    let named: Vec<&str> = out.lines().filter(|l| l.contains("a bad print?")).collect();
    assert_eq!(named.len(), 1, "{out}");
    assert!(
        named[0].starts_with("T02:") && named[0].contains("line 101") && named[0].contains(&date),
        "{}",
        named[0]
    );
}

/// Input dropout with a ticker embedding drops the days' inputs, never the ticker's index the
/// embedding reads (scaled by 1 / (1 - p), the index of ticker 11 of 12 would name a 23rd).
#[test]
fn input_dropout_spares_the_embeddings_ticker_index() {
    let (dir, prices) = scratch_panel("panel-embed-dropout", 12, 260, |_| 0.2, 71);
    let j = panel(
        &prices,
        &dir.join("out"),
        &["--models", "gru", "--k", "2", "--no-per-ticker", "--embed", "2", "--input-dropout", "0.5"],
    );
    assert_eq!(j["kept"].as_array().unwrap().len(), 12);
}

/// `--shard i/N` then `--merge`: the run's jobs done in three parts (with two folds, two seeds,
/// global and per-ticker networks) and judged as one come out as the unsharded run does, every
/// forecast and figure; a merge refuses a missing shard, a shard given twice, a shard of other
/// settings or of other data, and flags of its own, each naming what to do.
#[test]
fn shards_merged_are_the_run_unsharded() {
    let (dir, prices) = scratch_panel("panel-shards", 6, 300, |_| 0.2, 61);
    let p = prices.to_str().unwrap();
    let args = ["--models", "gru", "--k", "2", "--folds", "2", "--seeds", "2"];
    let whole = panel(&prices, &dir.join("whole"), &args);
    let shards = dir.join("shards");
    for i in 0..3 {
        let shard = format!("{i}/3");
        quick_panel(&prices, &shards, &[&args[..], &["--shard", &shard]].concat());
    }
    let out = dir.join("merged");
    let merge = |inputs: &[&Path], out: &Path| {
        let mut a = vec!["panel", "--merge"];
        a.extend(inputs.iter().map(|p| p.to_str().unwrap()));
        a.extend(["--out", out.to_str().unwrap()]);
        run(&a)
    };
    let o = merge(&[&shards], &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |d: &Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    assert_eq!(read(&out, "results.csv"), read(&dir.join("whole"), "results.csv"));
    assert!(read(&out, "results.csv").lines().any(|l| l.starts_with("\"per-ticker GRU\",2,")));
    let merged = json(out.join("panel.json"));
    for key in ["scores", "cross_section", "books", "global_vs_per_ticker", "folds", "kept"] {
        assert_eq!(merged[key], whole[key], "{key}");
    }
    assert_eq!(merged["shards"].as_array().unwrap().len(), 3);

    // a missing shard, named
    let two = dir.join("two");
    std::fs::create_dir_all(&two).unwrap();
    for i in [0, 2] {
        let f = format!("panel-shard-{i}-of-3.json");
        std::fs::copy(shards.join(&f), two.join(&f)).unwrap();
    }
    let o = merge(&[&two], &dir.join("m1"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run --shard 1/3 and merge again"), "{}", stderr(&o));
    // a shard given twice
    let o = merge(&[&shards, &shards.join("panel-shard-1-of-3.json")], &dir.join("m2"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is in more than one shard file"), "{}", stderr(&o));
    // a shard of other settings, and one of other data
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(shards.join("panel-shard-0-of-3.json"), other.join("panel-shard-0-of-3.json")).unwrap();
    std::fs::copy(shards.join("panel-shard-1-of-3.json"), other.join("panel-shard-1-of-3.json")).unwrap();
    let k3 = dir.join("k3");
    quick_panel(&prices, &k3, &[&args[..], &["--shard", "2/3", "--cost-bps", "9"]].concat());
    let o = merge(&[&other, &k3], &dir.join("m3"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("its setting base.cost_bps differs"), "{}", stderr(&o));
    let f = prices.join("T03.csv");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[100].push('1');
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let edited = dir.join("edited");
    quick_panel(&prices, &edited, &[&args[..], &["--shard", "2/3"]].concat());
    let o = merge(&[&other, &edited], &dir.join("m4"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the bytes of its input files differ"), "{}", stderr(&o));
    // the shards hold the settings: a flag beside --merge would be ignored, so it is refused
    let o = run(&["panel", "--merge", shards.to_str().unwrap(), "--k", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("drop --k"), "{}", stderr(&o));
    // the leakage check runs a whole fold: not in a shard
    let o = run(&["panel", p, "--sanity", "--shard", "0/2", "--out", dir.join("s").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run it without --shard"), "{}", stderr(&o));
}

/// `bench --panel` times the global network on the panel's training windows and writes exactly
/// those windows for the PyTorch peer: as many as it trained on, each `window` days long.
#[test]
fn bench_panel_writes_the_windows_it_trains_on() {
    let (dir, prices) = scratch_panel("bench-panel", 5, 300, |_| 0.0, 41);
    let prefix = dir.join("windows");
    let o = run(&[
        "bench",
        "--panel",
        prices.to_str().unwrap(),
        "--window",
        "5",
        "--hidden",
        "8",
        "--layers",
        "1",
        "--epochs",
        "1",
        "--json",
        "--windows-out",
        prefix.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let j: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let n = j["n_train_samples"].as_u64().unwrap();
    assert!(n > 500 && j["tickers"] == 5 && j["workload"] == "panel", "{j}");
    let size = |ext: &str| std::fs::metadata(dir.join(format!("windows{ext}"))).unwrap().len();
    assert_eq!(size(".x.f32"), n * 5 * 4);
    assert_eq!(size(".y.f32"), n * 4);
    let shape = json(dir.join("windows.json"));
    assert_eq!((shape["samples"].as_u64(), shape["window"].as_u64()), (Some(n), Some(5)));
    // --per-ticker: the same epochs of one network per ticker, each epoch's time summed over
    // the tickers, timed beside the global one
    assert!(j["per_ticker_epoch_s"].is_null(), "{j}");
    let o = run(&[
        "bench",
        "--panel",
        prices.to_str().unwrap(),
        "--window",
        "5",
        "--hidden",
        "8",
        "--layers",
        "1",
        "--epochs",
        "2",
        "--json",
        "--per-ticker",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let j: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(j["per_ticker_epoch_s"].as_array().map(Vec::len), Some(2), "{j}");
    assert!(j["per_ticker_epoch_s_median"].as_f64().is_some_and(|s| s > 0.0), "{j}");
    assert!(j["global_over_per_ticker"].as_f64().is_some_and(|r| r > 0.0), "{j}");
    // --profile is for the one-file workload
    let o = run(&["bench", "--panel", prices.to_str().unwrap(), "--profile"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// The per-ticker networks trained as a fleet (two threads, each network whole on one) forecast
/// what each forecasts trained alone on one thread (`--fleet off --threads 1`), ticker by
/// ticker and day by day, for the LSTM and the GRU: each network meets its own job's ticker
/// and seed, and nothing of one network's training reaches another's. `--fleet off` on two
/// threads is heard: the networks train alone with their batches split, which rounds otherwise.
#[test]
fn per_ticker_networks_in_a_fleet_forecast_what_they_forecast_alone() {
    let (dir, prices) = scratch_panel("panel-fleet", 6, 400, |_| 0.2, 31);
    let forecasts = |out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args =
            vec!["panel", prices.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
        args.extend_from_slice(&["--window", "5", "--hidden", "8", "--layers", "2", "--dropout", "0.2"]);
        args.extend_from_slice(&["--epochs", "6", "--lr", "0.01", "--models", "lstm,gru", "--k", "2"]);
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
        let rows: Vec<(String, f64)> = text
            .lines()
            .filter(|l| l.starts_with("\"per-ticker GRU\"") || l.starts_with("\"per-ticker LSTM\""))
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (format!("{} {} {}", f[0], f[3], f[4]), f[6].parse::<f64>().unwrap())
            })
            .collect();
        rows
    };
    let fleet = forecasts("out-fleet", &["--threads", "2", "--fleet", "on"]);
    let alone = forecasts("out-alone", &["--threads", "1", "--fleet", "off"]);
    let split = forecasts("out-split", &["--threads", "2", "--fleet", "off"]);
    assert!(fleet.iter().zip(&split).any(|(a, b)| a.1 != b.1), "--fleet off changed nothing");
    assert_eq!(fleet.len(), alone.len());
    assert!(fleet.len() > 100, "{} rows", fleet.len());
    for ((k1, a), (k2, b)) in fleet.iter().zip(&alone) {
        assert_eq!(k1, k2);
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{k1}: {a} in the fleet, {b} alone");
    }
}

/// A per-ticker network that draws its dropout masks from libtorch's one generator (the
/// gate-by-gate LSTM) cannot join a fleet: it trains as soon as it is built, from the state its
/// seed left, so its forecasts do not depend on which tickers' networks trained before it. The
/// last ticker's forecasts are the same in a panel of four tickers and of three, fleet on or off.
#[test]
fn a_per_ticker_network_that_draws_from_libtorch_trains_as_if_alone() {
    let (dir, prices) = scratch_panel("panel-draws", 4, 300, |_| 0.2, 23);
    let fewer = dir.join("fewer");
    std::fs::create_dir_all(&fewer).unwrap();
    for t in ["T01.csv", "T02.csv", "T03.csv"] {
        std::fs::copy(prices.join(t), fewer.join(t)).unwrap();
    }
    let forecasts = |input: &Path, out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args =
            vec!["panel", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
        args.extend_from_slice(&["--window", "5", "--hidden", "8", "--layers", "2", "--dropout", "0.3"]);
        args.extend_from_slice(&["--epochs", "3", "--lr", "0.01", "--models", "lstm-scratch", "--k", "1"]);
        args.extend_from_slice(&["--threads", "2"]);
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
        let rows: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("\"per-ticker LSTM") && l.contains("T03"))
            .map(|l| l.to_string())
            .collect();
        rows
    };
    let all = forecasts(&prices, "all", &[]);
    assert!(all.len() > 20, "{} rows", all.len());
    assert_eq!(all, forecasts(&fewer, "fewer", &[]), "T03's forecasts depend on the other tickers");
    assert_eq!(all, forecasts(&prices, "all-off", &["--fleet", "off"]));
}
