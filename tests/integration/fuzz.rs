//! Random command lines against the real binary. Whatever a user types, a run must end within a
//! time bound with exit code 0, 1 or 2; a failure must print exactly one `error:` line (its last
//! line on stderr; progress lines may come before it), no panic or backtrace, and leave no
//! output folder behind.
//!
//! Each case starts from a cheap, valid command line for one subcommand and replaces one to three
//! of its flags (or its file) with values drawn from pools of boundary and malformed values: 0, 1,
//! negative, huge, 2^63, 2^64, not-a-number text, empty lists, folders, missing and empty files.
//! CI runs [`CASES`] cases from a fixed seed; `LSTM_STOCK_FUZZ_CASES=N` and
//! `LSTM_STOCK_FUZZ_SEED=S` run a longer or another search (every failing command line is printed).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Cases in a CI run.
const CASES: usize = 60;
/// Longest a case may run: the valid command lines train a few epochs of a tiny network.
const TIME_BOUND: Duration = Duration::from_secs(60);

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Float,
    Frac,
    List,
    Path,
    Model,
    Target,
    Device,
    Method,
    Text,
    Shard,
    Decimal,
}

fn pool(kind: Kind, files: &Files) -> Vec<String> {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match kind {
        Kind::Int => v(&[
            "0",
            "1",
            "2",
            "3",
            "-1",
            "1000000000000",
            "9223372036854775808",
            "18446744073709551616",
            "abc",
            "",
            "1.5",
            "nan",
        ]),
        Kind::Float => v(&["0", "1", "-1", "0.5", "1e-9", "1e309", "nan", "inf", "-inf", "abc", "", "0.05"]),
        Kind::Frac => v(&["0", "1", "0.5", "0.15", "0.3", "-0.1", "1.5", "nan", "", "0.9,0.8", "0.9,", ","]),
        Kind::List => v(&[
            "",
            ",",
            "close",
            "volume",
            "log_volume,hl_range",
            "bogus",
            "lstm,gru",
            "gru",
            "lstm,bogus",
            "0.8,0.95",
            "1,2",
        ]),
        Kind::Path => files.paths(),
        Kind::Model => v(&["lstm", "gru", "lstm-scratch", "gru-scratch", "bogus", ""]),
        Kind::Target => v(&["price", "return", "log-return", "bogus", ""]),
        Kind::Device => v(&["cpu", "auto", "cuda", "tpu", ""]),
        Kind::Method => v(&["split", "split-vol", "adaptive", "adaptive-vol", "adaptive-auto", "bogus"]),
        Kind::Text => v(&["", "Close", "Date", "Adj Close", "nope", "%d/%m/%Y", "%Q", "\u{e9}"]),
        Kind::Shard => v(&["0/2", "1/2", "2/2", "1/0", "x", "0/1", "-1/2"]),
        Kind::Decimal => v(&["dot", "comma", "point", ""]),
    }
}

/// Files and folders a path flag is given.
struct Files {
    good: PathBuf,
    dir: PathBuf,
    model: PathBuf,
}

impl Files {
    fn paths(&self) -> Vec<String> {
        let fixture = |n: &str| fixture(n).to_string_lossy().into_owned();
        vec![
            self.good.to_string_lossy().into_owned(),
            self.dir.to_string_lossy().into_owned(),
            self.model.to_string_lossy().into_owned(),
            "no/such/file.csv".into(),
            fixture("err_empty.csv"),
            fixture("err_binary.csv"),
            fixture("err_short.csv"),
            fixture("semicolon.csv"),
            fixture("err_ambiguous_decimal.csv"),
            fixture("err_jump.csv"),
            fixture("long.csv"),
            "/dev/null".into(),
            String::new(),
        ]
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

const TRAIN_FLAGS: &[(&str, Kind)] = &[
    ("--window", Kind::Int),
    ("--hidden", Kind::Int),
    ("--layers", Kind::Int),
    ("--dropout", Kind::Frac),
    ("--epochs", Kind::Int),
    ("--patience", Kind::Int),
    ("--batch", Kind::Int),
    ("--lr", Kind::Float),
    ("--clip", Kind::Float),
    ("--val-frac", Kind::Frac),
    ("--test-frac", Kind::Frac),
    ("--seed", Kind::Int),
    ("--threads", Kind::Int),
    ("--interval", Kind::Frac),
    ("--interval-gamma", Kind::Frac),
    ("--cost-bps", Kind::Float),
    ("--interval-method", Kind::Method),
    ("--target", Kind::Target),
    ("--features", Kind::List),
    ("--date-col", Kind::Text),
    ("--target-col", Kind::Text),
    ("--date-format", Kind::Text),
    ("--device", Kind::Device),
    ("--decimal", Kind::Decimal),
    ("--ticker", Kind::Text),
    ("--id-col", Kind::Text),
];

/// A subcommand: its cheap valid command line (the file first, where it takes one) and the flags
/// a case may change.
struct Template {
    args: Vec<String>,
    flags: Vec<(&'static str, Kind)>,
    /// Whether it writes into `--out`.
    writes: bool,
    /// Where its price file sits in `args`, when it takes one as a positional argument.
    file_at: Option<usize>,
}

fn templates(files: &Files) -> Vec<Template> {
    let good = files.good.to_string_lossy().into_owned();
    let s = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let fast =
        [super::cli::FAST, &["--device", "cpu"]].concat().iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let with = |head: Vec<String>, extra: &[(&'static str, Kind)]| {
        let mut flags = TRAIN_FLAGS.to_vec();
        flags.extend_from_slice(extra);
        (head, flags)
    };
    let (stock, stock_flags) = with(
        [s(&["stock", &good]), fast.clone()].concat(),
        &[("--model", Kind::Model), ("--horizon", Kind::Int)],
    );
    let (inspect, inspect_flags) = with([s(&["inspect", &good]), fast.clone()].concat(), &[]);
    let (compare, compare_flags) = with(
        [s(&["compare", &good, "--seeds", "1", "--folds", "1", "--jobs", "1"]), fast].concat(),
        &[
            ("--models", Kind::List),
            ("--seeds", Kind::Int),
            ("--folds", Kind::Int),
            ("--jobs", Kind::Int),
            ("--shard", Kind::Shard),
            ("--horizon", Kind::Int),
        ],
    );
    let model = files.model.to_string_lossy().into_owned();
    vec![
        Template { args: stock, flags: stock_flags, writes: true, file_at: Some(1) },
        Template { args: inspect, flags: inspect_flags, writes: false, file_at: Some(1) },
        Template { args: compare, flags: compare_flags, writes: true, file_at: Some(1) },
        Template {
            args: s(&["predict", "--model", &model, &good, "--days", "3", "--device", "cpu"]),
            flags: vec![
                ("--days", Kind::Int),
                ("--interval", Kind::List),
                ("--device", Kind::Device),
                ("--model", Kind::Path),
            ],
            writes: true,
            file_at: Some(3),
        },
        Template {
            args: s(&["trend", "--epochs", "5"]),
            flags: vec![("--seed", Kind::Int), ("--epochs", Kind::Int), ("--repeat", Kind::Int)],
            writes: true,
            file_at: None,
        },
        Template {
            args: s(&["sine", "--epochs", "1", "--periods", "1", "--period", "20", "--window", "5"]),
            flags: vec![
                ("--seed", Kind::Int),
                ("--epochs", Kind::Int),
                ("--window", Kind::Int),
                ("--period", Kind::Int),
                ("--periods", Kind::Int),
            ],
            writes: true,
            file_at: None,
        },
        Template {
            args: s(&[
                "bench",
                "--csv",
                &good,
                "--epochs",
                "1",
                "--hidden",
                "4",
                "--layers",
                "1",
                "--window",
                "10",
                "--threads",
                "1",
                "--json",
            ]),
            flags: vec![
                ("--csv", Kind::Path),
                ("--model", Kind::Model),
                ("--epochs", Kind::Int),
                ("--hidden", Kind::Int),
                ("--window", Kind::Int),
                ("--layers", Kind::Int),
                ("--batch", Kind::Int),
                ("--lr", Kind::Float),
                ("--threads", Kind::Int),
                ("--device", Kind::Device),
            ],
            writes: false,
            file_at: None,
        },
    ]
}

/// A small LCG: the cases depend on the seed only.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Sets `flag` to `value` in `args` (replacing its value where present; `value` joined with
/// `=`, so that negative numbers and empty strings reach the parser as values).
fn set(args: &mut Vec<String>, flag: &str, value: &str) {
    if let Some(i) = args.iter().position(|a| a == flag) {
        args.drain(i..i + 2);
    }
    args.retain(|a| !a.starts_with(&format!("{flag}=")));
    args.push(format!("{flag}={value}"));
}

/// One command line run under the time bound: exit code (None: killed by a signal) and stderr.
fn run(args: &[String], dir: &Path) -> (Option<i32>, String, Duration) {
    let err_path = dir.join("stderr.txt");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lstm-stock"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("run lstm-stock");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    let took = started.elapsed();
    match status {
        None => (Some(-1), format!("still running after {TIME_BOUND:?}\n{err}"), took),
        Some(s) => (s.code(), err, took),
    }
}

/// What is wrong with a finished case, if anything.
fn verdict(code: Option<i32>, err: &str, out_exists: bool) -> Option<String> {
    match code {
        Some(0) => None,
        Some(1) | Some(2) => {
            let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
            let errors = lines.iter().filter(|l| l.starts_with("error:")).count();
            if errors != 1 || !lines.last().is_some_and(|l| l.starts_with("error:")) {
                Some(format!("not exactly one final `error:` line:\n{err}"))
            } else if err.contains("panicked") || err.contains("backtrace") {
                Some(format!("a panic:\n{err}"))
            } else if out_exists {
                Some(format!("failed but left its output folder:\n{err}"))
            } else {
                None
            }
        }
        Some(-1) => Some(err.to_string()),
        other => Some(format!("exit code {other:?}:\n{err}")),
    }
}

#[test]
fn no_command_line_panics_hangs_or_leaves_files_on_failure() {
    let cases = std::env::var("LSTM_STOCK_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES);
    let seed = std::env::var("LSTM_STOCK_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20261128);
    let root = std::env::temp_dir().join(format!("lstm-stock-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // a saved model for predict, trained once
    let good = fixture("yahoo.csv");
    let model_run = root.join("model-run");
    let (code, err, _) = run(
        &[
            "stock",
            good.to_str().unwrap(),
            "--out",
            model_run.to_str().unwrap(),
            "--epochs",
            "1",
            "--window",
            "10",
            "--hidden",
            "4",
            "--layers",
            "1",
            "--threads",
            "1",
            "--device",
            "cpu",
        ]
        .map(String::from),
        &root,
    );
    assert_eq!(code, Some(0), "{err}");
    let files = Files { good, dir: fixture(""), model: model_run.join("model") };
    let templates = templates(&files);
    let mut rng = Rng(seed);
    let mut problems = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut exits = [0usize; 3];
    for case in 0..cases {
        let t = &templates[rng.below(templates.len())];
        let mut args = t.args.clone();
        if let Some(i) = t.file_at.filter(|_| rng.below(5) == 0) {
            // the price file itself, before any flag is moved
            let values = files.paths();
            args[i] = values[rng.below(values.len())].clone();
        }
        for _ in 0..1 + rng.below(3) {
            let (flag, kind) = t.flags[rng.below(t.flags.len())];
            let values = pool(kind, &files);
            set(&mut args, flag, &values[rng.below(values.len())]);
        }
        let dir = root.join(format!("case-{case}"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        if t.writes {
            args.push(format!("--out={}", out.display()));
        }
        let (code, err, took) = run(&args, &dir);
        slowest = slowest.max(took);
        if let Some(c @ 0..=2) = code {
            exits[c as usize] += 1;
        }
        if let Some(p) = verdict(code, &err, out.exists()) {
            problems.push(format!("lstm-stock {}\n  {}", args.join(" "), p.replace('\n', "\n  ")));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        problems.is_empty(),
        "{} of {cases} command lines (seed {seed}) went wrong:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "fuzz: {cases} command lines (seed {seed}) ended cleanly: {} ran, {} failed, {} were refused as bad input; slowest {slowest:?}",
        exits[0], exits[1], exits[2]
    );
}

#[test]
fn the_fuzz_verdict_catches_what_it_exists_for() {
    let one = "error: --window 0: must be at least 1 day\n";
    assert_eq!(verdict(Some(2), one, false), None);
    assert_eq!(verdict(Some(0), "", true), None);
    // a panic (exit 101), a hang, a signal, two error lines, an error that is not last, a
    // leftover folder
    assert!(verdict(Some(101), "thread 'main' panicked at src/x.rs:1:1", false).is_some());
    assert!(verdict(Some(-1), "still running after 60s", false).is_some());
    assert!(verdict(None, "", false).is_some());
    assert!(verdict(Some(2), "error: a\nerror: b\n", false).is_some());
    assert!(verdict(Some(1), "error: a\nmore text\n", false).is_some());
    assert!(verdict(Some(2), one, true).is_some());
    assert!(verdict(Some(1), "error: x (stack backtrace follows)", false).is_some());
}
