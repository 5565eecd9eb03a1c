//! Runs the real `lstm-stock` binary on small fixtures, as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lstm-stock"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh, empty temporary folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lstm-stock-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run lstm-stock")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const FAST: &[&str] = &[
    "--epochs", "2", "--window", "10", "--hidden", "8", "--layers", "1",
];

#[test]
fn stock_writes_every_output_file() {
    let out = scratch("stock").join("run");
    let csv = fixture("small.csv");
    let mut args = vec![
        "stock",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--model",
        "gru",
        "--device",
        "cpu",
    ];
    args.extend_from_slice(FAST);
    let o = run(&args);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("target column \"Close\""), "{stdout}");
    assert!(
        stdout.contains("1 rows with a missing price dropped"),
        "{stdout}"
    );
    assert!(stdout.contains("naive (tomorrow = today)"), "{stdout}");

    for png in ["prediction.png", "loss.png"] {
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png} is not a PNG");
        assert!(bytes.len() > 10_000, "{png} looks empty");
    }
    // 300 lines, 1 null -> 299 rows; test part = 299 - floor(0.85 * 299) = 45 rows.
    let csv_out = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    let lines: Vec<&str> = csv_out.lines().collect();
    assert_eq!(lines[0], "date,actual,predicted,naive");
    assert_eq!(lines.len(), 1 + 45);
    let last: Vec<f64> = lines[45]
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(last.iter().all(|v| v.is_finite() && *v > 50.0));

    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    for part in ["model", "naive"] {
        for key in ["rmse", "mae", "mape", "directional_accuracy"] {
            assert!(
                metrics[part][key].is_number(),
                "metrics.{part}.{key}: {metrics}"
            );
        }
    }
    let (m, n) = (
        metrics["model"]["rmse"].as_f64().unwrap(),
        metrics["naive"]["rmse"].as_f64().unwrap(),
    );
    assert!((metrics["skill"].as_f64().unwrap() - (1.0 - m / n)).abs() < 1e-12);

    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["seed"], 42);
    assert_eq!(run_json["device"], "cpu");
    assert_eq!(run_json["settings"]["model"], "gru");
    assert_eq!(run_json["input"]["sha256"].as_str().unwrap().len(), 64);
    assert!(run_json["versions"]["libtorch"]
        .as_str()
        .unwrap()
        .starts_with("2.11.0"));
    assert!(run_json["wall_seconds"].as_f64().unwrap() > 0.0);
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
    let csv = fixture("small.csv");
    let mut outputs = vec![];
    for name in ["a", "b"] {
        let out = dir.join(name);
        let mut args = vec![
            "stock",
            csv.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "1",
            "--device",
            "cpu",
        ];
        args.extend_from_slice(FAST);
        assert!(run(&args).status.success());
        outputs.push(std::fs::read_to_string(out.join("predictions.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
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
    assert!(
        err.starts_with("error: ") && err.trim_end().lines().count() == 1,
        "not one error line: {err}"
    );
    assert!(err.contains(expect), "expected {expect:?} in {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(!out.exists(), "output folder created on bad input");
}

fn write_csv(name: &str, text: &str) -> PathBuf {
    let p = scratch(name).join(format!("{name}.csv"));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn bad_input_gives_one_clear_line_and_no_files() {
    assert_bad_input(
        &["stock", "no/such/file.csv"],
        "no/such/file.csv: no such file",
    );
    let dir = scratch("dir");
    assert_bad_input(&["stock", dir.to_str().unwrap()], "is a directory");
    let p = write_csv("nodate", "Day,Close\n2020-01-01,1\n");
    assert_bad_input(
        &["stock", p.to_str().unwrap()],
        "no date column; columns found: Day, Close",
    );
    let p = write_csv("noclose", "Date,Open\n2020-01-01,1\n");
    assert_bad_input(&["stock", p.to_str().unwrap()], "no price column");
    let p = write_csv("word", "Date,Close\n2020-01-01,1\n2020-01-02,one\n");
    assert_bad_input(
        &["stock", p.to_str().unwrap()],
        "word.csv:3: column \"Close\": \"one\" is not a number",
    );
    let short: String = std::iter::once("Date,Close\n".to_string())
        .chain((1..=14).map(|d| format!("2020-01-{d:02},{d}\n")))
        .collect();
    let p = write_csv("short", &short);
    assert_bad_input(
        &["stock", p.to_str().unwrap()],
        "14 usable rows are too few for --window 10",
    );
    let csv = fixture("small.csv");
    assert_bad_input(&["stock", csv.to_str().unwrap(), "--lr", "0"], "--lr 0");
    assert_bad_input(
        &["stock", csv.to_str().unwrap(), "--target-col", "Last"],
        "--target-col \"Last\": no such column",
    );
    if !tch::Cuda::is_available() {
        assert_bad_input(
            &["stock", csv.to_str().unwrap(), "--device", "cuda"],
            "--device cuda",
        );
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
