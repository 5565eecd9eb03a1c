//! Runs the real `lstm-stock` binary on small fixtures, as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lstm-stock"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fresh, empty temporary folder for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lstm-stock-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run lstm-stock")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `predict --model MODEL CSV --days DAYS --out OUT` and `extra` flags.
fn predict(model: &Path, csv: &Path, days: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["predict", "--model", model.to_str().unwrap(), csv.to_str().unwrap(), "--days", days];
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    run(&args)
}

/// `dir/report.html` holds the run's console text, `charts` embedded PNGs and `setting`.
fn report_page(dir: &Path, stdout: &str, charts: usize, setting: &str) {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(html.matches("src=\"data:image/png;base64,iVBORw0KGgo").count(), charts, "{}", dir.display());
    assert!(html.contains(setting), "{setting} not in report.html");
    assert!(!html.contains("<script") && !html.contains("http"), "report.html must stand alone");
    // the console's lines, as printed (escaped)
    let escape =
        |l: &str| l.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    // (compare.md's tables are checked as tables; its list items lose their "- ")
    for line in
        stdout.lines().filter(|l| (l.contains("naive") || l.starts_with("step ")) && !l.starts_with('|'))
    {
        let line = line.strip_prefix("- ").unwrap_or(line);
        assert!(html.contains(&escape(line)), "report.html lacks the line: {line}");
    }
}

pub(crate) fn json(path: impl AsRef<Path>) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Tiny, quick settings; one libtorch thread each, since the tests run side by side.
pub(crate) const FAST: &[&str] =
    &["--epochs", "2", "--window", "10", "--hidden", "8", "--layers", "1", "--threads", "1"];

/// The default console fits one screen: data, split, training, the test table beside naive,
/// the verdicts, the bands at the default level, trading one line per rule, what was written;
/// `--detail` (the same run) prints every table, and report.html keeps them either way.
#[test]
fn the_default_console_fits_one_screen_and_detail_prints_everything() {
    let dir = scratch("console");
    let csv = fixture("yahoo.csv");
    let go = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let mut args =
            vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
        args.extend_from_slice(FAST);
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "stderr: {}", stderr(&o));
        (
            String::from_utf8_lossy(&o.stdout).to_string(),
            std::fs::read_to_string(out.join("report.html")).unwrap(),
        )
    };
    let (brief, brief_html) = go("brief", &[]);
    let (detail, detail_html) = go("detail", &["-v"]);
    let lines = brief.lines().count();
    assert!(lines <= 27, "{lines} lines:\n{brief}");
    for part in [
        "daily rows",
        "split by date",
        "trained lstm",
        "naive (tomorrow = today)",
        "skill vs naive",
        "moves: ",
        "gates: ",
        "90% prediction bands",
        "step 1, 90%:",
        "long/flat",
        "buy-and-hold",
        "saved model: refitted on all",
        "--detail",
    ] {
        assert!(brief.contains(part), "{part} missing:\n{brief}");
    }
    // detail only: the other methods, every level, the full trading table, the timing
    for part in ["--interval-method split", "step   days", "Sortino", "timing: each day's position", "95% |"]
    {
        assert!(!brief.contains(part) && detail.contains(part), "{part}:\n{brief}");
        assert!(brief_html.contains(part) && detail_html.contains(part), "{part} not in report.html");
    }
    assert!(detail.lines().count() > lines + 20, "{detail}");
    // no line about a model that is not trained
    assert!(!brief.to_lowercase().contains("gru") && !detail.to_lowercase().contains("gru"), "{brief}");
    assert!(!brief.contains("-0.000") && !detail.contains("-0.000"), "{brief}");
}

#[test]
fn stock_writes_every_output_file() {
    let out = scratch("stock").join("run");
    let csv = fixture("yahoo.csv");
    let mut args = vec![
        "stock",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--model",
        "gru",
        "--device",
        "cpu",
        "--detail",
    ];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("target column \"Close\""), "{stdout}");
    assert!(stdout.contains("1 rows dropped for missing values"), "{stdout}");
    assert!(stdout.contains("naive (tomorrow = today)"), "{stdout}");

    for png in ["prediction.png", "loss.png", "gates.png", "trading.png"] {
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png} is not a PNG");
        assert!(bytes.len() > 10_000, "{png} looks empty");
    }
    // 300 lines, 1 null -> 299 rows; test part = 299 - floor(0.85 * 299) = 45 rows.
    let csv_out = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let lines: Vec<&str> = csv_out.lines().collect();
    assert_eq!(lines[0], "date,actual,predicted,naive");
    assert_eq!(lines.len(), 1 + 45);
    let last: Vec<f64> = lines[45].split(',').skip(1).map(|v| v.parse().unwrap()).collect();
    assert!(last.iter().all(|v| v.is_finite() && *v > 50.0));

    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    for part in ["model", "naive"] {
        for key in ["rmse", "mae", "mape", "directional_accuracy"] {
            assert!(metrics[part][key].is_number(), "metrics.{part}.{key}: {metrics}");
        }
    }
    let (m, n) = (metrics["model"]["rmse"].as_f64().unwrap(), metrics["naive"]["rmse"].as_f64().unwrap());
    assert!((metrics["skill"].as_f64().unwrap() - (1.0 - m / n)).abs() < 1e-12);
    // trading: every rule on the 45 test days, net below gross for any rule that trades, the
    // timing stated, a verdict per strategy
    let t = &metrics["trading"];
    assert_eq!((t["days"].as_u64(), t["cost_bps"].as_f64()), (Some(45), Some(5.0)), "{t}");
    assert!(t["timing"]
        .as_str()
        .unwrap()
        .starts_with("each day's position is decided at the previous close"));
    let rules = t["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 6, "{t}");
    for r in rules {
        let (g, n) =
            (r["gross"]["total_return"].as_f64().unwrap(), r["net"]["total_return"].as_f64().unwrap());
        if r["net"]["turnover_per_year"].as_f64().unwrap() > 0.0 {
            assert!(n < g, "costs must lower the return of a rule that trades: {r}");
        } else {
            assert_eq!(n, g, "a rule that never trades pays nothing: {r}");
        }
    }
    // the positions line up with the forecasts of the same days: long/flat is in the market
    // exactly on the days whose forecast (predictions.csv) is above the day before's close
    let up = lines[1..]
        .iter()
        .filter(|l| {
            let v: Vec<f64> = l.split(',').skip(1).map(|x| x.parse().unwrap()).collect();
            v[1] > v[2]
        })
        .count();
    let long_flat = rules.iter().find(|r| r["rule"] == "long-flat").unwrap();
    assert_eq!((long_flat["net"]["exposure"].as_f64().unwrap() * 45.0).round() as usize, up, "{long_flat}");
    // trading.csv: each rule's daily positions and returns, from which its totals recompute
    let tcsv = std::fs::read_to_string(out.join("trading.csv")).unwrap();
    let tlines: Vec<&str> = tcsv.lines().collect();
    assert_eq!(tlines.len(), 46, "{tcsv}");
    let header: Vec<&str> = tlines[0].split(',').collect();
    assert_eq!(header.len(), 1 + 3 * rules.len(), "{}", tlines[0]);
    let days: Vec<Vec<f64>> =
        tlines[1..].iter().map(|l| l.split(',').skip(1).map(|x| x.parse().unwrap()).collect()).collect();
    // the rules in metrics.json's order, three columns each: position, gross and net return
    for (k, r) in rules.iter().enumerate() {
        assert!(header[1 + 3 * k].ends_with("_position") && header[3 + 3 * k].ends_with("_net_return"));
        let total = days.iter().map(|d| 1.0 + d[3 * k + 2]).product::<f64>() - 1.0;
        assert!((total - r["net"]["total_return"].as_f64().unwrap()).abs() < 1e-9, "{total} {r}");
    }
    assert_eq!(header[1], "long_flat_position");
    assert_eq!(days.iter().filter(|d| d[0] == 1.0).count(), up, "{tcsv}");
    let said = stdout.lines().filter(|l| l.starts_with("trading the GRU")).count();
    assert!(
        said == 3
            || stdout.contains("it called a rise every day")
            || stdout.contains("it called a fall every day"),
        "{stdout}"
    );
    assert!(stdout.contains("timing: each day's position is decided at the previous close"), "{stdout}");

    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["seed"], 42);
    assert_eq!(run_json["device"], "cpu");
    assert_eq!(run_json["settings"]["model"], "gru");
    assert_eq!(run_json["input"]["sha256"].as_str().unwrap().len(), 64);
    assert!(run_json["versions"]["libtorch"].as_str().unwrap().starts_with("2.11.0"));
    assert!(run_json["wall_seconds"].as_f64().unwrap() > 0.0);
    // report.html: the console's tables, every chart embedded, the settings, no script
    report_page(&out, &stdout, 7, "&quot;window&quot;: 10");
    // nothing half-written left behind
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn same_seed_gives_the_same_forecast() {
    let dir = scratch("seed");
    let csv = fixture("yahoo.csv");
    let mut outputs = vec![];
    for name in ["a", "b"] {
        let out = dir.join(name);
        let mut args =
            vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
        args.extend_from_slice(FAST);
        assert!(run(&args).status.success());
        outputs.push(std::fs::read_to_string(out.join("predictions.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn stock_sanity_runs_the_leakage_check_on_the_real_pipeline() {
    let out = scratch("sanity").join("run");
    let csv = fixture("yahoo.csv");
    let mut args = vec![
        "stock",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--device",
        "cpu",
        "--model",
        "gru",
        "--features",
        "volume,hl_range",
        "--sanity",
    ];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout.matches("leakage check PASS for GRU").count(), 2, "{stdout}");
    assert!(stdout.contains("moves: the GRU"), "{stdout}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let checks = m["leakage_check"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert!(checks
        .iter()
        .all(|c| c["changes"].as_array().unwrap().is_empty() && c["compared"].as_u64().unwrap() > 2));
    assert!(m["moves"]["kind"].is_string());
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(r["reproducibility"]["libtorch_threads"], 1);
    let lstm_step =
        if std::env::var("LSTM_STOCK_LSTM").as_deref() == Ok("libtorch") { "libtorch" } else { "hand" };
    assert_eq!(r["reproducibility"]["lstm_step"], lstm_step);
    assert_bad_input(&["inspect", csv.to_str().unwrap(), "--sanity"], "--sanity: inspect trains nothing");
}

/// Runs a command that must fail on bad input: exit code 2, one line on stderr that starts
/// with `error:` and contains `expect`, no panic, no output folder.
fn assert_bad_input(args: &[&str], expect: &str) {
    let out = scratch("bad").join("never");
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["--out", out.to_str().unwrap()]);
    all.extend_from_slice(FAST);
    if !args.contains(&"--device") {
        all.extend_from_slice(&["--device", "cpu"]);
    }
    let o = run(&all);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "args {args:?}: {err}");
    assert!(err.starts_with("error: ") && err.trim_end().lines().count() == 1, "not one error line: {err}");
    assert!(err.contains(expect), "expected {expect:?} in {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    assert!(!out.exists(), "output folder created on bad input");
}

#[test]
fn bad_input_gives_one_clear_line_and_no_files() {
    let f = |name: &str| fixture(name).to_str().unwrap().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["no/such/file.csv"], "no/such/file.csv: no such file"),
        (&["tests/fixtures/../../src"], "is a directory with no .csv files"),
        (&[&f("err_empty.csv")], "err_empty.csv: the file is empty"),
        (&[&f("err_header_only.csv")], "has a header but no data rows"),
        (&[&f("err_no_date.csv")], "no date column; columns found: Day2, Close; name one with --date-col"),
        (
            &[&f("err_no_price.csv")],
            "no price column; columns found: Date, Open, Volume; name one with --target-col",
        ),
        (&[&f("err_bad_number.csv")], "err_bad_number.csv:58: column \"Close\": \"n.a.x\" is not a number"),
        (&[&f("err_bad_date.csv")], "err_bad_date.csv:100: column \"Date\": \"2019-02-30\" is not a date"),
        (&[&f("err_ragged.csv")], "err_ragged.csv:121: 3 fields, but the header has 2"),
        (&[&f("err_short.csv")], "14 usable rows are too few for --window 10"),
        (&[&f("err_all_null.csv")], "no row has all the values needed"),
        (&[&f("err_duplicates.csv")], "duplicate dates 2019-10-07 (lines 201 and 202)"),
        (
            &[&f("err_nonpositive.csv"), "--target", "return"],
            "err_nonpositive.csv:151: column \"Close\": price 0 is not positive",
        ),
        (&[&f("err_binary.csv")], "err_binary.csv:2: binary content"),
        (&[&f("err_latin1.csv")], "err_latin1.csv:6: not UTF-8"),
        (&[&f("yahoo.csv"), "--lr", "0"], "--lr 0"),
        (&[&f("yahoo.csv"), "--target-col", "Last"], "--target-col \"Last\": no such column"),
        (&[&f("yahoo.csv"), "--features", "volume,moon"], "unknown feature \"moon\""),
        (
            &[&f("stooq.csv"), "--features", "adj_close"],
            "--features needs a column for \"adj_close\" and none has a usual name; columns found: Date, Open, High, Low, Close, Volume; name it with --adj-close-col",
        ),
        (&[&f("yahoo.csv"), &f("err_ragged.csv")], "err_ragged.csv:121"),
        (
            &[&f("err_mixed_decimal.csv")],
            "err_mixed_decimal.csv:32: column \"Close\": \"1111,58\" reads only with a decimal comma",
        ),
        (&[&f("err_ambiguous_decimal.csv")], "give --decimal dot or --decimal comma"),
        (
            &[&f("semicolon.csv"), "--decimal", "dot"],
            "semicolon.csv:2: column \"Close\": \"1.003,10\" is written with a decimal comma",
        ),
        (&[&f("err_jump.csv")], "err_jump.csv:82: column \"Close\": 96364 after 951.45"),
    ];
    for (args, expect) in cases {
        let mut all = vec!["stock"];
        all.extend_from_slice(args);
        assert_bad_input(&all, expect);
    }
    if !tch::Cuda::is_available() {
        assert_bad_input(&["stock", &f("yahoo.csv"), "--device", "cuda"], "--device cuda");
    }
}

/// Each command line that once crashed, hung or reached libtorch with an impossible size: one
/// `error:` line naming the flag (and, for memory, the estimate and what the machine has), exit
/// code 2, nothing written.
#[test]
fn sizes_that_cannot_work_are_refused_before_any_work() {
    let yahoo = fixture("yahoo.csv");
    let y = yahoo.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["sine", "--window", "700"],
            "--window 700: must be at least 1 and shorter than the 600 training steps",
        ),
        (&["stock", y, "--hidden", "100000000"], "--hidden 100000000: at most 65536"),
        (&["stock", y, "--hidden", "60000", "--layers", "60"], "training would need about"),
        (&["stock", y, "--window", "1000000000000"], "--window 1000000000000: at most 100000"),
        (&["stock", y, "--epochs", "18446744073709551615"], "--epochs 18446744073709551615: at most 100000"),
        (&["stock", y, "--window", "abc"], "invalid value 'abc' for '--window <WINDOW>'"),
        (&["inspect", y, "--window", "99999"], "need at least"),
        (
            &["predict", "--model", "nowhere", y, "--days", "4611686018427387904"],
            "--days 4611686018427387904: at most 2520",
        ),
        (&["compare", y, "--seeds", "100000000000000"], "--seeds 100000000000000: at most 1000"),
        (&["bench", "--csv", y, "--layers", "0"], "--layers 0: must be at least 1"),
        (&["bench", "--csv", y, "--hidden", "0"], "--hidden 0: must be at least 1"),
        (&["bench", "--csv", y, "--hidden", "60000", "--layers", "60"], "training would need about"),
        (&["bench", "--csv", y, "--fleet", "0"], "--fleet 0: from 1 to 1000 networks"),
        (&["bench", "--csv", y, "--fleet", "1001"], "--fleet 1001: from 1 to 1000 networks"),
        (&["trend", "--epochs", "1000000000"], "--epochs 1000000000: at most 100000"),
        (&["compare", y, "--jobs", "0"], "--jobs 0: must be at least 1"),
        (&["compare", y, "--folds", "0"], "--folds 0: must be at least 1"),
        (&["compare", y, "--hidden", "60000", "--layers", "60"], "training would need about"),
        (&["sine", "--period", "3"], "--period 3: must be at least 4 steps"),
    ];
    for (args, expect) in cases {
        let out = scratch("refused").join("never");
        let mut all: Vec<&str> = args.to_vec();
        if args[0] != "bench" && args[0] != "inspect" {
            all.extend_from_slice(&["--out", out.to_str().unwrap()]);
        }
        let started = std::time::Instant::now();
        let o = run(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.trim_end().lines().count() == 1,
            "{all:?}: not one line: {err}"
        );
        assert!(err.contains(expect), "{all:?}: expected {expect:?} in {err}");
        assert!(!out.exists(), "{all:?}: output folder created");
        assert!(started.elapsed().as_secs() < 30, "{all:?}: took {:?}", started.elapsed());
    }
}

/// The `actual` column of predictions.csv after a 1-epoch run on `name`.
fn actual_prices(name: &str, extra: &[&str]) -> String {
    let out = scratch(&format!("fmt-{name}")).join("run");
    let csv = fixture(name);
    let mut args = vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{name}: {}", stderr(&o));
    let text = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    text.lines().map(|l| l.split(',').take(2).collect::<Vec<_>>().join(",") + "\n").collect()
}

#[test]
fn every_format_loads_the_same_days_and_prices() {
    let reference = actual_prices("stooq.csv", &[]);
    assert_eq!(reference.lines().count(), 46);
    for name in [
        "yahoo.csv",
        "kaggle.csv",
        "nasdaq.csv",
        "snake_case.csv",
        "semicolon.csv",
        "tab.csv",
        "thousands.csv",
        "shuffled.csv",
        "gsheets.csv",
        "marketwatch.csv",
        "investing.csv",
    ] {
        assert_eq!(actual_prices(name, &[]), reference, "{name} differs from stooq.csv");
    }
    // and trains on its "1.30M" volumes
    assert_eq!(actual_prices("investing.csv", &["--features", "log_volume"]).lines().count(), 46);
}

#[test]
fn returns_features_and_several_files() {
    let dir = scratch("multi");
    let (a, b) = (fixture("yahoo.csv"), fixture("nasdaq.csv"));
    let mut args = vec!["stock", a.to_str().unwrap(), b.to_str().unwrap(), "--out", dir.to_str().unwrap()];
    args.extend_from_slice(FAST);
    args.extend_from_slice(&[
        "--device",
        "cpu",
        "--target",
        "log-return",
        "--features",
        "log_volume,hl_range,log_return",
    ]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("on the log-return of \"Close\" with log_volume, hl_range, log_return"),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines[0], "file,ticker,rows,model_rmse,naive_rmse,skill,note");
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].contains("yahoo.csv\",\"\",300,") && lines[2].contains("nasdaq.csv\",\"\",300,"),
        "{summary}"
    );
    for sub in ["yahoo-lstm", "nasdaq-lstm"] {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(sub).join("metrics.json")).unwrap())
                .unwrap();
        assert_eq!(m["target"], "log-return");
        // forecasts were turned back into prices: errors are in price units, near naive's
        let (model, naive) = (m["model"]["rmse"].as_f64().unwrap(), m["naive"]["rmse"].as_f64().unwrap());
        assert!(model > 0.0 && model < 5.0 * naive, "{sub}: {model} vs {naive}");
    }
}

#[test]
fn help_shows_an_example_and_every_flag() {
    let o = run(&["stock", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    for flag in [
        "--model",
        "--window",
        "--hidden",
        "--layers",
        "--dropout",
        "--epochs",
        "--batch",
        "--lr",
        "--seed",
        "--device",
        "--out",
        "Example:",
    ] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
}

#[test]
fn tutorial_demos_write_their_files() {
    let dir = scratch("demos");
    let trend = dir.join("trend");
    let o = run(&["trend", "--epochs", "30", "--repeat", "2", "--out", trend.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("X 0.0, 0.2, 0.4, 0.6, 0.8") && stdout.contains("of 2 runs"), "{stdout}");
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(trend.join("trend.json")).unwrap()).unwrap();
    for key in ["inputs", "targets", "predictions", "shifted_predictions", "seed"] {
        assert!(!t[key].is_null(), "trend.json lacks {key}");
    }
    assert_eq!(t["predictions"].as_array().unwrap().len(), 5);
    assert_eq!(t["runs"].as_array().unwrap().len(), 2);

    let sine = dir.join("sine");
    let o = run(&["sine", "--epochs", "2", "--periods", "1", "--out", sine.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sine.join("sine.json")).unwrap()).unwrap();
    assert!(s["rmse_one_step"].as_f64().unwrap() >= 0.0 && s["rmse_free_running"].as_f64().unwrap() >= 0.0);
    assert_eq!(&std::fs::read(sine.join("sine.png")).unwrap()[..4], b"\x89PNG");
}

#[test]
fn scratch_models_train_and_gates_are_drawn() {
    let out = scratch("scratch").join("run");
    let csv = fixture("stooq.csv");
    let mut args =
        vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--model", "gru-scratch"];
    args.extend_from_slice(FAST);
    args.extend_from_slice(&["--device", "cpu"]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(&std::fs::read(out.join("gates.png")).unwrap()[..4], b"\x89PNG");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(r["settings"]["model"], "gru-scratch");
}

pub(crate) const TINY_COMPARE: &[&str] = &[
    "--seeds",
    "2",
    "--folds",
    "2",
    "--epochs",
    "2",
    "--window",
    "10",
    "--hidden",
    "8",
    "--layers",
    "1",
    "--device",
    "cpu",
    "--threads",
    "1",
];

fn compare_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("compare.json")).unwrap()).unwrap()
}

#[test]
fn compare_writes_every_output_and_shards_merge_to_the_same_result() {
    let dir = scratch("compare");
    let csv = fixture("stooq.csv");
    let full = dir.join("full");
    let mut args = vec!["compare", csv.to_str().unwrap(), "--sanity", "--out", full.to_str().unwrap()];
    args.extend_from_slice(TINY_COMPARE);
    args.extend_from_slice(&["--power-paths", "1"]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    // a pairwise verdict, a verdict against naive for each model, and the leakage check
    assert!(stdout.contains("GRU") && stdout.contains("(DM p"), "{stdout}");
    let vs_naive = stdout
        .lines()
        .filter(|l| (l.starts_with("- LSTM ") || l.starts_with("- GRU ")) && l.contains("tomorrow = today"))
        .count();
    assert_eq!(vs_naive, 2, "{stdout}");
    assert_eq!(stdout.matches("leakage check PASS for").count(), 2, "{stdout}");
    assert!(!stdout.contains("LEAK"), "{stdout}");
    assert!(
        stdout.contains("Power control (the verdict's own test on 2 seeds, last fold, 1 planted paths")
            && stdout.contains("power control")
            && stdout.contains("planted paths"),
        "{stdout}"
    );
    // trading.csv: a row per model, seed, day and rule, from which each seed's net total
    // recomputes (checked for the first model's first seed, long/flat)
    let tcsv = std::fs::read_to_string(full.join("trading.csv")).unwrap();
    assert_eq!(tcsv.lines().count(), 1 + 2 * 2 * 45 * 6, "{}", &tcsv[..200]);
    assert!(tcsv.starts_with("model,seed,date,rule,position,gross_return,net_return\n"));
    let first_seed = tcsv.lines().nth(1).unwrap().split(',').nth(1).unwrap().to_string();
    let lf: f64 = tcsv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[0] == "\"LSTM\"" && c[1] == first_seed && c[3] == "long/flat")
        .map(|c| 1.0 + c[6].parse::<f64>().unwrap())
        .product::<f64>()
        - 1.0;
    let cj = compare_json(&full);
    let t0 = &cj["report"]["models"][0]["trading"][0];
    let want = t0[1]["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "long-flat").unwrap()["net"]
        ["total_return"]
        .as_f64()
        .unwrap();
    assert!((lf - want).abs() < 1e-9, "{lf} vs {want}: {t0}");
    for png in ["compare.png", "metrics.png", "folds.png", "loss.png", "trading.png"] {
        assert_eq!(&std::fs::read(full.join(png)).unwrap()[..4], b"\x89PNG", "{png}");
    }
    let md = std::fs::read_to_string(full.join("compare.md")).unwrap();
    assert!(
        md.contains("| naive (tomorrow = today) |") && md.contains("| drift |") && md.contains("Verdicts"),
        "{md}"
    );
    // it stands alone: the settings compared, one row per model, units in the header only
    assert!(
        md.contains("Settings: target log-return of \"Close\"; extra inputs none; window 10 days"),
        "{md}"
    );
    assert!(md.contains("2 seeds (42 .. 43)") && md.contains("| RMSE (price) |"), "{md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("| LSTM |") && l.contains(" ± ")).count(), 1, "{md}");
    assert!(!md.contains("mean of seeds |") && !md.contains("% ±"), "{md}");
    report_page(&full, &stdout, 5, "&quot;folds&quot;: 2");
    // trading: each model's three strategies over its seeds, the baselines, a verdict each, and
    // the deflated Sharpe ratio over the distinct tries
    assert!(
        md.contains("| LSTM long/flat |") && md.contains("| buy-and-hold |") && md.contains("| momentum |"),
        "{md}"
    );
    assert_eq!(md.lines().filter(|l| l.starts_with("- trading the ")).count(), 6, "{md}");
    assert!(md.contains("deflated Sharpe ratio: the best of ") && md.contains(" distinct tries"), "{md}");
    let table = std::fs::read_to_string(full.join("compare.csv")).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].starts_with("file,price_column,target,window"), "{table}");
    assert_eq!(rows.len(), 1 + 2 + 3, "{table}");
    assert!(rows[1].contains(",\"LSTM\",") && rows[3].contains(",\"naive\","), "{table}");
    let rmse_col = rows[0].split(',').position(|c| c == "rmse").unwrap();
    let lstm_rmse: f64 = rows[1].split(',').nth(rmse_col).unwrap().parse().unwrap();
    let j = compare_json(&full);
    let report = &j["report"];
    assert_eq!(report["models"].as_array().unwrap().len(), 2);
    let tr = &report["trading"];
    // at most 2 x 2 x 3; strategies that made the very same trades count once
    let trials = tr["deflated"]["trials"].as_u64().unwrap();
    assert!((1..=12).contains(&trials), "{tr}");
    let p = tr["deflated"]["deflated_sharpe"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p), "{tr}");
    assert_eq!(report["models"][0]["trading"].as_array().unwrap().len(), 2);
    assert_eq!(Some(lstm_rmse), report["models"][0]["mean"]["rmse"].as_f64());
    assert_eq!(report["rows"].as_array().unwrap().len(), 45);
    assert_eq!(j["folds"].as_array().unwrap().len(), 2);
    // 8 jobs, per model and fold two leakage runs, and per model eight strengths of one planted
    // path, each trained with both seeds on the last fold
    assert_eq!(j["jobs"].as_array().unwrap().len(), 8 + 2 * 2 * 2 + 2 * 8 * 2);
    for m in report["models"].as_array().unwrap() {
        assert_eq!(m["per_seed"].as_array().unwrap().len(), 2);
        assert_eq!(m["per_seed_vs_naive"].as_array().unwrap().len(), 2);
        assert!(m["dm_vs_naive"]["p_value"].is_number() && m["dm_vs_naive"]["seed_variance"].is_number());
        assert!(m["moves"]["kind"].is_string() && m["moves"]["size_ratio"].is_number());
        assert_eq!(m["leakage"].as_array().unwrap().len(), 2);
        assert_eq!(m["power"].as_array().unwrap().len(), 8);
        // two epochs never stop early: the verdicts must say so
        assert_eq!(m["at_epoch_cap"], 4);
    }
    assert!(stdout.contains("ran to the --epochs cap (2)"), "{stdout}");
    assert!(report["pairwise"][0]["dm"]["p_value"].is_number());
    // metrics.png agrees with the verdict: its skill bar (the test's 95% interval) holds 0
    // exactly when the test against naive is not significant, and the verdict is on the chart
    let chart = &j["metrics_chart"];
    let skill = chart["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["caption"].as_str().unwrap().starts_with("skill"))
        .unwrap();
    for (k, m) in report["models"].as_array().unwrap().iter().enumerate() {
        let p = m["dm_vs_naive"]["p_value"].as_f64().unwrap();
        let bar = &skill["marks"][k]["bar"];
        let (lo, hi) = (bar[0].as_f64().unwrap(), bar[1].as_f64().unwrap());
        assert_eq!(lo < 0.0 && 0.0 < hi, p >= 0.05, "p {p}, bar {bar}");
        let name = m["label"].as_str().unwrap();
        assert!(chart["verdict"].as_str().unwrap().contains(&format!("{name} ")), "{chart}");
    }
    assert!(chart["verdict"].as_str().unwrap().contains("tomorrow = today (DM p"), "{chart}");
    // report.html renders compare.md's tables as tables
    let html = std::fs::read_to_string(full.join("report.html")).unwrap();
    assert!(html.contains("<table>") && html.contains("<td>naive (tomorrow = today)</td>"), "report.html");
    assert!(!html.contains("|---"), "report.html shows Markdown source");

    // the same jobs in two shards, merged, give the same figures
    let shards = dir.join("shards");
    for sh in ["0/2", "1/2"] {
        let mut args = vec![
            "compare",
            csv.to_str().unwrap(),
            "--sanity",
            "--power-paths",
            "1",
            "--shard",
            sh,
            "--out",
            shards.to_str().unwrap(),
        ];
        args.extend_from_slice(TINY_COMPARE);
        if sh == "1/2" {
            // a flag that changes no job may differ between shards
            args.extend_from_slice(&["--fleet", "off"]);
        }
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let merged = dir.join("merged");
    let o = run(&["compare", "--merge", shards.to_str().unwrap(), "--out", merged.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (compare_json(&full), compare_json(&merged));
    for m in 0..2 {
        assert_eq!(a["report"]["models"][m]["seed_average"], b["report"]["models"][m]["seed_average"]);
        assert_eq!(a["report"]["models"][m]["mean"], b["report"]["models"][m]["mean"]);
    }
    // a missing shard is an error, not a silent partial result
    let second = std::fs::read_to_string(shards.join("shard-1-of-2.json")).unwrap();
    std::fs::remove_file(shards.join("shard-1-of-2.json")).unwrap();
    let o = run(&[
        "compare",
        "--merge",
        shards.to_str().unwrap(),
        "--out",
        dir.join("partial").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("24 of 48 jobs found"), "{}", stderr(&o));
    // the merge forgives --fleet only: a shard of other network settings is refused
    let mut other: serde_json::Value = serde_json::from_str(&second).unwrap();
    let hidden = other["config"]["base"]["hidden"].as_i64().unwrap();
    other["config"]["base"]["hidden"] = (hidden + 1).into();
    std::fs::write(shards.join("shard-1-of-2.json"), other.to_string()).unwrap();
    let o =
        run(&["compare", "--merge", shards.to_str().unwrap(), "--out", dir.join("mixed").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("belongs to a different comparison"), "{}", stderr(&o));
}

#[test]
fn saved_model_round_trip_and_bundle_errors() {
    let dir = scratch("bundle");
    let out = dir.join("train");
    let csv = fixture("stooq.csv");
    let mut args = vec![
        "stock",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--target",
        "log-return",
        "--device",
        "cpu",
    ];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let model = out.join("model");
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["horizon"]["steps"].as_array().unwrap().len(), 10);
    assert!(metrics["horizon"]["steps"][0]["coverage"].is_number());
    for png in ["horizon.png", "bands.png", "reliability.png"] {
        assert_eq!(&std::fs::read(out.join(png)).unwrap()[..4], b"\x89PNG", "{png}");
    }
    // bands: 10 steps x 80/90/95%, every method beside naive on the same days
    let rows = metrics["intervals"]["by_step_and_level"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    for r in rows {
        assert_eq!(r["model"].as_array().unwrap().len(), 5, "{r}");
        assert_eq!(r["model"][0]["days"], r["naive"]["days"], "{r}");
        let cov = r["naive"]["coverage"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&cov), "{r}");
    }
    assert_eq!(metrics["intervals"]["method"], "adaptive-vol");

    // the saved network is refitted on every row; its bands come from the split run's
    // out-of-sample days (validation and test), which model.json names
    let card = json(model.join("model.json"));
    let run_json = json(out.join("run.json"));
    let t = &card["training"];
    let rows = t["rows"].as_u64().unwrap();
    assert_eq!(t["refit"], true);
    assert_eq!(t["epochs"], run_json["training"]["best_epoch"]);
    assert_eq!(
        (t["weights_rows"]["first"].as_u64(), t["weights_rows"]["last"].as_u64()),
        (Some(0), Some(rows - 1))
    );
    assert_eq!(t["weights_rows"]["last_date"], t["last_date"]);
    let train_rows = run_json["split"]["train_rows"].as_u64().unwrap();
    assert_eq!(t["band_error_rows"]["first"].as_u64(), Some(train_rows));
    assert_eq!(t["band_error_rows"]["first_date"], run_json["split"]["validation_start"]);
    assert_eq!(run_json["refit"]["rows"].as_u64(), Some(rows));

    // a new process loads the bundle (given the run folder) and reproduces the training-time
    // forecast bit for bit
    let fc = dir.join("forecast");
    let o = run(&[
        "predict",
        "--model",
        out.to_str().unwrap(),
        csv.to_str().unwrap(),
        "--days",
        "3",
        "--device",
        "cpu",
        "--out",
        fc.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("reproduces the training-time forecast exactly"), "{stdout}");
    assert!(stdout.contains(&format!("weights trained on all {rows} rows")), "{stdout}");
    // the split run's test, repeated beside the refit's forecast
    let tested = stdout.lines().find(|l| l.starts_with("tested: the ")).unwrap_or("");
    assert!(tested.contains("skill vs naive") && tested.contains("(DM p = "), "{stdout}");
    assert_eq!(card["evidence"]["days"], metrics["test_days"], "{}", card["evidence"]);
    report_page(&fc, &stdout, 1, "&quot;days&quot;: 3");
    assert!(stdout.contains("bands sized from the split run's out-of-sample errors on"), "{stdout}");
    // the bands' caveat on one line; the drift judged on this forecast whichever way it falls
    let bands = stdout.lines().find(|l| l.starts_with("bands: ")).unwrap_or("");
    assert!(bands.contains("the tested network's errors, not the saved refit's"), "{stdout}");
    let notes: Vec<&str> = stdout.lines().filter(|l| l.starts_with("note: the forecast moves ")).collect();
    assert!(
        notes.len() == 1 && (notes[0].contains("within noise of") || notes[0].contains("beyond this file's")),
        "{stdout}"
    );
    let text = std::fs::read_to_string(fc.join("forecast.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "date,forecast,lower,upper");
    assert_eq!(lines.len(), 4);
    // the fixture ends on Monday 2020-02-24: the next weekdays
    assert!(lines[1].starts_with("2020-02-25,") && lines[3].starts_with("2020-02-27,"), "{text}");
    for l in &lines[1..] {
        let v: Vec<f64> = l.split(',').skip(1).map(|x| x.parse().unwrap()).collect();
        // (a briefly trained model is biased, so its empirical interval need not hold the forecast)
        assert!(v.iter().all(|x| x.is_finite() && *x > 0.0) && v[1] < v[2], "{l}");
    }
    assert_eq!(&std::fs::read(fc.join("forecast.png")).unwrap()[..4], b"\x89PNG");

    // the saved band is checked one period back around a refitted network, every step; predict
    // says so when the two coverages part by more than 3 points (planted in a copy of the
    // bundle: equal coverages say nothing, a gap is named)
    let check = &card["band_check"];
    assert_eq!(check["steps"].as_array().unwrap().len(), 10, "{check}");
    assert_eq!(check["epochs"][0], t["epochs"]);
    for (refit, caution) in [(0.9, false), (0.8, true)] {
        let planted = dir.join(format!("planted-band-{caution}"));
        std::fs::create_dir_all(&planted).unwrap();
        std::fs::copy(model.join("weights.safetensors"), planted.join("weights.safetensors")).unwrap();
        let mut c = card.clone();
        for s in c["band_check"]["steps"].as_array_mut().unwrap() {
            s["split"] = serde_json::json!(0.9);
            s["refit"] = serde_json::json!(refit);
        }
        std::fs::write(planted.join("model.json"), serde_json::to_string(&c).unwrap()).unwrap();
        let pout = dir.join(format!("planted-forecast-{caution}"));
        let o = run(&[
            "predict",
            "--model",
            planted.to_str().unwrap(),
            csv.to_str().unwrap(),
            "--out",
            pout.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let said = String::from_utf8_lossy(&o.stdout);
        assert_eq!(said.contains("caution: the saved band, checked one period back"), caution, "{said}");
        assert_eq!(said.contains("MORE than 3 points apart"), caution, "{said}");
    }
    // the split run's test, planted in a copy of the bundle as a network that moved at most
    // +0.001% a day and called a rise every day: a refit's forecast beyond that is named
    let planted = dir.join("planted-evidence");
    std::fs::create_dir_all(&planted).unwrap();
    std::fs::copy(model.join("weights.safetensors"), planted.join("weights.safetensors")).unwrap();
    let mut c = card.clone();
    c["evidence"]["move_range"] = serde_json::json!([0.0, 0.00001]);
    c["evidence"]["up_calls"] = serde_json::json!(1.0);
    std::fs::write(planted.join("model.json"), serde_json::to_string(&c).unwrap()).unwrap();
    let pout = dir.join("planted-evidence-forecast");
    let o = run(&[
        "predict",
        "--model",
        planted.to_str().unwrap(),
        csv.to_str().unwrap(),
        "--out",
        pout.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("caution: the saved (refitted) network's forecast moves"), "{said}");

    // --no-refit saves the split run's network: trained on the training part only, so its
    // forecast of the days after the file differs from the refitted one's; split conformal
    // bands come from the validation days alone
    let kept = dir.join("no-refit");
    let mut args = vec![
        "stock",
        csv.to_str().unwrap(),
        "--out",
        kept.to_str().unwrap(),
        "--no-refit",
        "--interval-method",
        "split",
    ];
    args.extend_from_slice(&["--target", "log-return", "--device", "cpu"]);
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("refitting"));
    let kept_card = json(kept.join("model/model.json"));
    let k = &kept_card["training"];
    assert_eq!(k["refit"], false);
    assert!(kept_card["band_check"].is_null(), "no refit, nothing to check");
    assert_eq!(k["weights_rows"]["last"].as_u64(), Some(train_rows - 1));
    let val_rows = run_json["split"]["validation_rows"].as_u64().unwrap();
    assert_eq!(k["band_error_rows"]["first"], t["band_error_rows"]["first"]);
    assert_eq!(k["band_error_rows"]["last"].as_u64(), Some(train_rows + val_rows - 1));
    assert_eq!(
        t["band_error_rows"]["last"].as_u64(),
        Some(rows - 1),
        "the adaptive band goes on through the test"
    );
    assert_eq!(
        json(kept.join("metrics.json"))["model"],
        metrics["model"],
        "the test figures are the split run's either way"
    );
    assert_ne!(kept_card["check_forecast"], card["check_forecast"]);

    // several levels: the first fills lower/upper, the others get their own columns
    let predict_levels = |levels: &str, out: &Path| {
        predict(&model, &csv, "2", out, &["--interval", levels, "--device", "cpu"])
    };
    let fc2 = dir.join("forecast-levels");
    let o = predict_levels("0.8,0.95", &fc2);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(fc2.join("forecast.csv")).unwrap();
    assert_eq!(text.lines().next().unwrap(), "date,forecast,lower,upper,lower_95,upper_95");
    for l in text.lines().skip(1) {
        let v: Vec<f64> = l.split(',').skip(1).map(|x| x.parse().unwrap()).collect();
        assert!(v.len() == 5 && v[1] < v[2] && v[3] < v[4], "{l}");
    }
    let never = dir.join("never-levels");
    let o = predict_levels("0.99", &never);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("keeps bands at 80%, 90%, 95%"), "{}", stderr(&o));
    assert!(!never.exists());

    // damaged bundles: one clear line each, exit code 2, nothing written
    let bad = |name: &str, edit: &dyn Fn(&Path)| {
        let copy = dir.join(name);
        std::fs::create_dir_all(&copy).unwrap();
        for f in ["model.json", "weights.safetensors"] {
            std::fs::copy(model.join(f), copy.join(f)).unwrap();
        }
        edit(&copy);
        copy
    };
    let truncated = bad("truncated", &|d| {
        let w = std::fs::read(d.join("weights.safetensors")).unwrap();
        std::fs::write(d.join("weights.safetensors"), &w[..w.len() / 2]).unwrap();
    });
    let reshaped = bad("reshaped", &|d| {
        let j =
            std::fs::read_to_string(d.join("model.json")).unwrap().replace("\"hidden\": 8", "\"hidden\": 9");
        std::fs::write(d.join("model.json"), j).unwrap();
    });
    let old = bad("old", &|d| {
        let j = std::fs::read_to_string(d.join("model.json"))
            .unwrap()
            .replace("lstm-stock model v3", "lstm-stock model v0");
        std::fs::write(d.join("model.json"), j).unwrap();
    });
    let no_bands = bad("no-bands", &|d| {
        let mut j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("model.json")).unwrap()).unwrap();
        j["intervals"] = serde_json::json!([]);
        std::fs::write(d.join("model.json"), j.to_string()).unwrap();
    });
    let five = dir.join("five.csv");
    let head: Vec<String> =
        std::fs::read_to_string(&csv).unwrap().lines().take(6).map(String::from).collect();
    std::fs::write(&five, head.join("\n")).unwrap();
    let stooq = csv.clone();
    let cases: Vec<(PathBuf, PathBuf, &str)> = vec![
        (dir.join("nothing"), stooq.clone(), "no such folder"),
        (truncated, stooq.clone(), "weights.safetensors: cannot be loaded"),
        (reshaped, stooq.clone(), "weights.safetensors: cannot be loaded"),
        (old, stooq.clone(), "incompatible lstm-stock version"),
        (no_bands, stooq.clone(), "no prediction bands"),
        (model.clone(), five, "5 usable rows, but this model reads the last 10 days plus one"),
        (model.clone(), fixture("err_no_price.csv"), "no price column"),
    ];
    for (m, f, expect) in cases {
        let never = dir.join("never");
        let o = run(&[
            "predict",
            "--model",
            m.to_str().unwrap(),
            f.to_str().unwrap(),
            "--device",
            "cpu",
            "--out",
            never.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{m:?}: {err}");
        assert!(
            err.contains(expect) && err.trim_end().lines().count() == 1,
            "{m:?}: expected {expect:?} in {err}"
        );
        assert!(!never.exists());
    }
}

#[test]
fn direct_horizon_models_are_scored_per_step_and_predict() {
    let dir = scratch("horizon");
    let out = dir.join("train");
    let csv = fixture("stooq.csv");
    let mut args = vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--horizon", "3"];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("with a direct 3-day head"), "{stdout}");
    let m = json(out.join("metrics.json"));
    assert_eq!(m["horizon"]["trained_horizon"], 3);
    assert!(m["horizon"]["method"].as_str().unwrap().starts_with("direct for days 1..3"), "{m}");
    let steps = m["horizon"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 10);
    for (h, s) in steps.iter().enumerate() {
        assert_eq!(s["step"], h + 1);
        assert!(s["rmse"].as_f64().unwrap() > 0.0 && s["naive_rmse"].as_f64().unwrap() > 0.0, "{s}");
    }
    // the one-step table is the first output of the direct head, on every test day
    let first = steps[0]["rmse"].as_f64().unwrap();
    assert!((first - m["model"]["rmse"].as_f64().unwrap()).abs() < 1e-9, "{m}");
    assert_eq!(steps[0]["days"], m["test_days"]);
    assert_eq!(json(out.join("model/model.json"))["horizon"], 3);

    // predict: within the horizon the direct forecast reproduces the training-time one exactly
    for days in ["2", "7"] {
        let fc = dir.join(format!("forecast-{days}"));
        let o = run(&[
            "predict",
            "--model",
            out.join("model").to_str().unwrap(),
            csv.to_str().unwrap(),
            "--days",
            days,
            "--out",
            fc.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("reproduces the training-time forecast exactly"), "{stdout}");
        assert!(stdout.contains("direct"), "{stdout}");
        let n = std::fs::read_to_string(fc.join("forecast.csv")).unwrap().lines().count();
        assert_eq!(n, 1 + days.parse::<usize>().unwrap());
    }
    // a head of another size does not load into a model.json that says 3
    let changed = dir.join("changed");
    std::fs::create_dir_all(&changed).unwrap();
    std::fs::copy(out.join("model/weights.safetensors"), changed.join("weights.safetensors")).unwrap();
    let j = std::fs::read_to_string(out.join("model/model.json"))
        .unwrap()
        .replace("\"horizon\": 3", "\"horizon\": 2");
    std::fs::write(changed.join("model.json"), j).unwrap();
    let o = run(&[
        "predict",
        "--model",
        changed.to_str().unwrap(),
        csv.to_str().unwrap(),
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be loaded"), "{}", stderr(&o));

    // a horizon the validation part cannot hold is a clear error before any training
    let csv_s = csv.to_str().unwrap();
    assert_bad_input(&["stock", csv_s, "--horizon", "0"], "--horizon 0: must be at least 1");
    assert_bad_input(&["stock", csv_s, "--horizon", "60"], "--horizon 60: the validation part has only");
    // band flags: a level outside (0, 1) anywhere in the list, a step size outside (0, 1)
    assert_bad_input(&["stock", csv_s, "--interval", "0.9,1.5"], "--interval 1.5: must be between 0 and 1");
    assert_bad_input(
        &["stock", csv_s, "--interval-gamma", "0"],
        "--interval-gamma 0: must be between 0 and 1",
    );
    assert_bad_input(
        &["stock", csv_s, "--cost-bps", "5000"],
        "--cost-bps 5000: must be a cost in basis points",
    );
    assert_bad_input(&["stock", csv_s, "--cost-bps=-1"], "--cost-bps -1: must be a cost in basis points");
}

/// A volatility-scaled band is stored in units of volatility: `predict` multiplies it back by
/// the volatility of the file it is given, so a calmer file gets a narrower band around the
/// same kind of forecast.
#[test]
fn predict_scales_a_volatility_band_by_its_own_file() {
    let dir = scratch("vol-band");
    let out = dir.join("train");
    let csv = fixture("stooq.csv");
    let mut args = vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
    args.extend_from_slice(&["--interval-method", "split-vol"]);
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model/model.json")).unwrap()).unwrap();
    assert_eq!(card["interval_vol_days"], 20);
    // the same file with its last 21 days' moves halved: half the volatility
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let close = header.iter().position(|h| h.eq_ignore_ascii_case("close")).unwrap();
    let rows: Vec<Vec<String>> =
        lines[1..].iter().map(|l| l.split(',').map(String::from).collect()).collect();
    let price = |r: &Vec<String>| r[close].parse::<f64>().ok();
    let n = rows.len();
    let mut calm = rows.clone();
    for i in n - 21..n {
        if let (Some(p), Some(q), Some(prev)) = (price(&rows[i]), price(&rows[i - 1]), price(&calm[i - 1])) {
            calm[i][close] = format!("{:.6}", prev * (p / q).sqrt());
        }
    }
    let calm_csv = dir.join("calm.csv");
    let body: Vec<String> = calm.iter().map(|r| r.join(",")).collect();
    std::fs::write(&calm_csv, format!("{}\n{}\n", lines[0], body.join("\n"))).unwrap();
    let width = |file: &Path, name: &str| -> f64 {
        let fc = dir.join(name);
        let o = run(&[
            "predict",
            "--model",
            out.join("model").to_str().unwrap(),
            file.to_str().unwrap(),
            "--days",
            "1",
            "--device",
            "cpu",
            "--out",
            fc.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("scaled by this file's last 20 days' volatility"));
        let line =
            std::fs::read_to_string(fc.join("forecast.csv")).unwrap().lines().nth(1).unwrap().to_string();
        let v: Vec<f64> = line.split(',').skip(1).map(|x| x.parse().unwrap()).collect();
        (v[2] / v[1]).ln() // the band's log width: its quantiles times the volatility
    };
    let (full, half) = (width(&csv, "full"), width(&calm_csv, "calm"));
    // the stored quantiles are the same: the log width halves with the volatility
    assert!((half / full - 0.5).abs() < 0.01, "log widths {full} and {half}");
}

#[test]
fn a_failing_compare_worker_is_one_input_error_and_leaves_nothing() {
    let out = scratch("compare-fails").join("never");
    let csv = fixture("stooq.csv");
    let mut args = vec!["compare", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"];
    args.extend_from_slice(TINY_COMPARE);
    args.extend_from_slice(&["--lr", "1000", "--clip", "1000"]);
    let o = run(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("training diverged") && err.contains("--lr"), "{err}");
    assert_eq!(err.trim_end().lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
    assert!(!out.exists(), "output folder left behind");
}

/// The Python block of docs/python.md, run with the project's PyTorch (`.venv`, or
/// `LSTM_STOCK_PYTHON`), against `predict` on the same saved models: one with three extra
/// features forecasting returns recursively, one with a 3-day direct head forecasting prices.
#[test]
fn python_snippet_reproduces_predict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python =
        std::env::var_os("LSTM_STOCK_PYTHON").map_or_else(|| root.join(".venv/bin/python"), PathBuf::from);
    assert!(
        python.is_file(),
        "{}: no Python with PyTorch; run scripts/setup or set LSTM_STOCK_PYTHON",
        python.display()
    );
    let doc = std::fs::read_to_string(root.join("docs/python.md")).unwrap();
    let code = doc.split("```python\n").nth(1).and_then(|b| b.split("\n```").next()).expect("a python block");
    let dir = scratch("python");
    let script = dir.join("predict.py");
    std::fs::write(&script, code).unwrap();
    let csv = fixture("stooq.csv");
    let cases: [&[&str]; 2] = [
        &[
            "--model",
            "lstm",
            "--target",
            "log-return",
            "--features",
            "log_return,hl_range,log_volume",
            "--layers",
            "2",
        ],
        &["--model", "gru", "--target", "price", "--features", "volume", "--horizon", "3", "--layers", "1"],
    ];
    for (i, extra) in cases.iter().enumerate() {
        let out = dir.join(format!("run{i}"));
        let mut args =
            vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"];
        args.extend_from_slice(&["--epochs", "2", "--window", "10", "--hidden", "8", "--threads", "1"]);
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let fc = dir.join(format!("forecast{i}"));
        let o = predict(&out, &csv, "7", &fc, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let want: Vec<f64> = std::fs::read_to_string(fc.join("forecast.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        let o = Command::new(&python)
            .args([script.as_os_str(), out.join("model").as_os_str(), csv.as_os_str(), "7".as_ref()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let got: Vec<f64> = String::from_utf8_lossy(&o.stdout).lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(got.len(), 7);
        for (g, w) in got.iter().zip(&want) {
            // the same float32 network and float64 arithmetic: equal up to the last bits of
            // PyTorch's and libtorch's kernels
            assert!((g - w).abs() <= 1e-9 * w.abs(), "case {i}: python {got:?}\npredict {want:?}");
        }
    }
}

/// A long-format file (a ticker column, a row per ticker and day): `stock` trains one model per
/// ticker with a summary, as for a folder; `--ticker` picks one; the saved model remembers its
/// ticker, so `predict` on the same file reads that ticker's rows; other commands ask for one.
/// Weekly, monthly and intraday files made from the shipped daily file are named for what
/// they are, in one line with exit code 2, and nothing is trained on them.
#[test]
fn weekly_monthly_and_intraday_files_are_named() {
    let dir = scratch("frequency");
    std::fs::create_dir_all(&dir).unwrap();
    let daily = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/AAPL.csv")).unwrap();
    let lines: Vec<&str> = daily.lines().collect();
    let (header, rows) = (lines[0], &lines[1..]);
    let write = |name: &str, body: Vec<String>| {
        let path = dir.join(name);
        std::fs::write(&path, body.join("\n") + "\n").unwrap();
        path
    };
    let weekly = write(
        "aapl-weekly.csv",
        std::iter::once(header.to_string()).chain(rows.iter().step_by(5).map(|l| l.to_string())).collect(),
    );
    let month = |l: &str| l[..7].to_string();
    let monthly = write(
        "aapl-monthly.csv",
        std::iter::once(header.to_string())
            .chain(rows.windows(2).filter(|w| month(w[0]) != month(w[1])).map(|w| w[0].to_string()))
            .collect(),
    );
    // 5-minute bars of the first 20 days, the time in a column of its own
    let mut bars = vec![header.replacen("Date,", "Date,Time,", 1)];
    for l in &rows[..20] {
        let (date, rest) = l.split_once(',').unwrap();
        for k in 0..78 {
            bars.push(format!("{date},{:02}:{:02},{rest}", 9 + (30 + 5 * k) / 60, (30 + 5 * k) % 60));
        }
    }
    let intraday = write("aapl-5min.csv", bars);
    for (path, expect) in [
        (
            &weekly,
            "the dates are 7 days apart (median; 10% to 90% of gaps 7 to 8 days): weekly prices, not daily",
        ),
        (&monthly, "monthly prices, not daily"),
        (&intraday, "1560 rows on 20 days with times of day, 5-minute intraday bars"),
    ] {
        assert_bad_input(&["stock", path.to_str().unwrap()], expect);
        assert_bad_input(&["inspect", path.to_str().unwrap()], expect);
    }
}

/// A ticker too short for the settings is skipped with one line, and the others train.
#[test]
fn a_short_ticker_of_a_long_format_file_is_skipped() {
    let dir = scratch("long-short");
    let text = std::fs::read_to_string(fixture("long.csv")).unwrap();
    // a third ticker with 8 rows: too few for a 10-day window
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let extra: Vec<String> = text
        .lines()
        .filter(|l| l.contains(",AAA,"))
        .take(8)
        .map(|l| l.replacen(",AAA,", ",CCC,", 1))
        .collect();
    lines.extend(extra);
    let csv = dir.join("three.csv");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let out = dir.join("out");
    let mut args =
        vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-refit", "--no-trading"];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let said: Vec<&str> = stdout.lines().filter(|l| l.starts_with("skipped ticker")).collect();
    assert_eq!(said.len(), 1, "{stdout}");
    assert!(said[0].contains("CCC") && said[0].contains("too few"), "{stdout}");
    assert!(
        out.join("three-AAA-lstm/metrics.json").is_file()
            && out.join("three-BBB-lstm/metrics.json").is_file()
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let ccc = summary.lines().find(|l| l.contains("\"CCC\"")).unwrap();
    assert!(ccc.contains(",,,,,\"skipped: ") && ccc.contains("too few"), "{summary}");
}

/// `stock` over several tickers trains their networks as fleets (the split runs, then the band
/// checks' and final fits' refits): each ticker's forecasts and saved weights are, byte for
/// byte, those of `--fleet off --threads 1` (each trained alone on one thread), so each network
/// meets its own ticker's windows and seed, and the refits their own split run's epoch count.
/// `--fleet off` on two threads is heard: batches split over the threads round otherwise.
#[test]
fn several_tickers_trained_as_fleets_are_the_networks_trained_alone() {
    let dir = scratch("stock-fleet");
    let csv = fixture("long.csv");
    let outputs = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let mut args = vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-trading"];
        args.extend_from_slice(&["--epochs", "4", "--window", "10", "--hidden", "8", "--layers", "2"]);
        args.extend_from_slice(&["--dropout", "0.2", "--device", "cpu"]);
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let stdout = String::from_utf8_lossy(&o.stdout).to_string();
        let files: Vec<Vec<u8>> = ["AAA", "BBB"]
            .iter()
            .flat_map(|t| {
                ["predictions.csv", "model/weights.safetensors"]
                    .map(|f| out.join(format!("long-{t}-lstm/{f}")))
            })
            .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .collect();
        (stdout, files)
    };
    let (said, fleet) = outputs("fleet", &["--threads", "2"]);
    assert!(said.contains("training 2 networks side by side"), "{said}");
    let (said, alone) = outputs("alone", &["--threads", "1", "--fleet", "off"]);
    assert!(!said.contains("side by side"), "{said}");
    let (_, split) = outputs("split", &["--threads", "2", "--fleet", "off"]);
    let in_fleet =
        |name: &str| json(dir.join(name).join("long-BBB-lstm/run.json"))["trained_in_fleet"].clone();
    assert_eq!((in_fleet("fleet"), in_fleet("alone")), (true.into(), false.into()));
    // the band check's own refit (one period back) is its own network too
    for t in ["AAA", "BBB"] {
        let band = |name: &str| {
            json(dir.join(name).join(format!("long-{t}-lstm/metrics.json")))["refit_band_check"].clone()
        };
        assert!(band("fleet")["steps"].as_array().is_some_and(|s| !s.is_empty()), "{t}: no band check");
        assert_eq!(band("fleet"), band("alone"), "{t}");
    }
    assert_ne!(fleet[0], fleet[2], "the two tickers forecast alike");
    for (i, (a, b)) in fleet.iter().zip(&alone).enumerate() {
        assert!(a == b, "output {i} (AAA, BBB: predictions, weights) differs between the fleet and alone");
    }
    assert!(fleet.iter().zip(&split).any(|(a, b)| a != b), "--fleet off changed nothing");
    // --sanity retrains each network alone, batches split over the threads, and compares bit
    // for bit: a network trained in a fleet would differ, and the check would cry LEAK
    let (said, _) = outputs("sanity", &["--threads", "2", "--sanity"]);
    assert!(!said.contains("side by side"), "{said}");
    assert_eq!(said.matches("leakage check PASS for LSTM").count(), 4, "{said}");
}

/// A network whose dropout masks come from libtorch's one generator (the gate-by-gate LSTM)
/// cannot join a fleet: its draws would follow whichever network trained before it. `stock` over
/// several tickers then trains each with its file, as `--fleet off` does, to the same bytes.
#[test]
fn networks_that_draw_from_libtorchs_generator_train_with_their_file() {
    let dir = scratch("stock-no-fleet");
    let csv = fixture("long.csv");
    let outputs = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let mut args = vec!["stock", csv.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-trading"];
        args.extend_from_slice(&["--epochs", "3", "--window", "10", "--hidden", "8", "--layers", "2"]);
        args.extend_from_slice(&["--dropout", "0.3", "--model", "lstm-scratch", "--threads", "2"]);
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let files: Vec<Vec<u8>> = ["AAA", "BBB"]
            .iter()
            .map(|t| {
                std::fs::read(out.join(format!("long-{t}-lstm-scratch/model/weights.safetensors"))).unwrap()
            })
            .collect();
        (String::from_utf8_lossy(&o.stdout).to_string(), files)
    };
    let (said, on) = outputs("on", &[]);
    let (_, off) = outputs("off", &["--fleet", "off"]);
    assert!(on == off, "the saved weights differ between --fleet on and off");
    assert!(!said.contains("side by side"), "{said}");
}

#[test]
fn long_format_files_train_one_model_per_ticker() {
    let dir = scratch("long");
    let csv = fixture("long.csv");
    let dir_s = dir.to_str().unwrap();
    let mut args = vec!["stock", csv.to_str().unwrap(), "--out", dir_s, "--no-refit", "--no-trading"];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("long.csv (ticker BBB): 300 daily rows"), "{stdout}");
    // --no-trading: no table, no chart, nothing in metrics.json
    assert!(!stdout.contains("trading the") && !dir.join("long-BBB-lstm/trading.png").exists(), "{stdout}");
    assert!(json(dir.join("long-BBB-lstm/metrics.json"))["trading"].is_null());
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3, "{summary}");
    assert_eq!(summary.lines().next(), Some("file,ticker,rows,model_rmse,naive_rmse,skill,note"));
    for t in ["AAA", "BBB"] {
        let line = summary.lines().find(|l| l.contains(&format!(",\"{t}\","))).unwrap();
        assert!(line.starts_with(&format!("\"{}\",\"{t}\",300,", csv.display())), "{summary}");
    }
    for t in ["AAA", "BBB"] {
        assert!(dir.join(format!("long-{t}-lstm/model/model.json")).is_file(), "{t}");
    }
    let card = json(dir.join("long-BBB-lstm/model/model.json"));
    assert_eq!(card["load"]["ticker"], "BBB");
    let fc = dir.join("forecast");
    let model = dir.join("long-BBB-lstm");
    let o = predict(&model, &csv, "2", &fc, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("reproduces the training-time forecast exactly"));

    // the same model on a file of BBB's rows alone, without a ticker column
    let plain = dir.join("bbb.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let bbb: Vec<String> = std::iter::once("Date,Open,High,Low,Close,Volume".to_string())
        .chain(text.lines().filter(|l| l.contains(",BBB,")).map(|l| l.replacen(",BBB", "", 1)))
        .collect();
    std::fs::write(&plain, bbb.join("\n")).unwrap();
    let o = predict(&model, &plain, "2", &dir.join("forecast-plain"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("forecast-plain/forecast.csv")).unwrap(),
        std::fs::read_to_string(fc.join("forecast.csv")).unwrap()
    );

    let one = dir.join("one");
    let mut args = vec!["stock", csv.to_str().unwrap(), "--ticker", "AAA", "--out", one.to_str().unwrap()];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(one.join("model/model.json").is_file() && !one.join("summary.csv").exists());

    let o = run(&["inspect", csv.to_str().unwrap(), "--window", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("(ticker AAA): 300 daily rows") && stdout.contains("(ticker BBB): 300 daily rows"),
        "{stdout}"
    );

    for (args, expect) in [
        (vec!["stock", csv.to_str().unwrap(), "--ticker", "ZZZ"], "--ticker ZZZ: no such ticker"),
        (vec!["compare", csv.to_str().unwrap()], "holds 2 tickers (AAA, BBB); pick one with --ticker"),
    ] {
        let never = dir.join("never");
        let mut args = args.clone();
        args.extend_from_slice(&["--out", never.to_str().unwrap()]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{args:?}: {}", stderr(&o));
        assert!(!never.exists());
    }
}

#[test]
fn compare_accepts_a_direct_horizon() {
    let dir = scratch("compare-horizon");
    let csv = fixture("stooq.csv");
    let mut args = vec!["compare", csv.to_str().unwrap(), "--horizon", "3", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(TINY_COMPARE);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(dir.join("compare.md")).unwrap();
    assert!(md.contains("a direct 3-day head, scored one day ahead"), "{md}");
    assert_eq!(compare_json(&dir)["settings"]["base"]["horizon"], 3);
}

/// `--feature-sets`: every model with each set, named by its features in the table, the CSV and
/// the verdicts ("do the features help?" in one run).
#[test]
fn compare_feature_sets_as_it_compares_models() {
    let dir = scratch("compare-features");
    let csv = fixture("stooq.csv");
    let out = dir.join("run");
    let mut args = vec![
        "compare",
        csv.to_str().unwrap(),
        "--feature-sets",
        "none;log_volume,hl_range",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(TINY_COMPARE);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(md.contains("extra inputs compared: none; log_volume, hl_range"), "{md}");
    for label in [
        "LSTM (no features)",
        "LSTM (log_volume, hl_range)",
        "GRU (no features)",
        "GRU (log_volume, hl_range)",
    ] {
        assert_eq!(
            md.lines().filter(|l| l.starts_with(&format!("| {label} |")) && l.contains(" ± ")).count(),
            1,
            "{label}: {md}"
        );
    }
    // the pair verdict between the two LSTMs, whichever way it goes
    assert!(md.contains("LSTM (no features) has the smaller RMSE on"), "{md}");
    let table = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert_eq!(table.lines().count(), 1 + 4 + 3, "{table}");
    assert!(table.contains(",\"LSTM (log_volume, hl_range)\",\"log_volume, hl_range\","), "{table}");
    let j = compare_json(&out);
    assert_eq!(j["report"]["models"].as_array().unwrap().len(), 4);
    assert_eq!(j["jobs"].as_array().unwrap().len(), 4 * 2 * 2);

    for (sets, expect) in [
        ("volume", "give two or more sets"),
        ("none;none", "\"none\" is given twice"),
        ("none;;volume", "an empty set"),
        ("none;bogus", "unknown feature \"bogus\""),
    ] {
        assert_bad_input(&["compare", csv.to_str().unwrap(), "--feature-sets", sets], expect);
    }
    assert_bad_input(
        &["compare", csv.to_str().unwrap(), "--feature-sets", "none;volume", "--features", "volume"],
        "--features and --feature-sets: give one",
    );
}
