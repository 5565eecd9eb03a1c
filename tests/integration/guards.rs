//! The repository's own guards, run on planted faults: each must fail on what it exists for.

use std::path::Path;
use std::process::Command;

/// `scripts/check-test-switches` on a folder of `files`: its exit code and what it printed.
fn check_switches(files: &[(&str, &str)]) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("lstm-stock-guard-{}-{}", std::process::id(), files.len()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-test-switches");
    let out = Command::new("bash").arg(&script).arg(&dir).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn test_only_switches_outside_test_modules_fail_the_guard() {
    let tests_module = "fn f() {}\n\n#[cfg(test)]\n// why\n#[path = \"x_tests.rs\"]\nmod tests;\n\n#[cfg(test)]\npub(crate) mod support {\n}\n#[cfg(test)] mod more {}\n// a comment may say cfg(test)\n";
    let (code, err) = check_switches(&[("ok.rs", tests_module)]);
    assert_eq!(code, 0, "{err}");
    // the shipped line and the tested line of one delay (the fault issue 28 found in bands.rs)
    let switched = "fn delay(h: usize) -> usize {\n    #[cfg(test)]\n    let d = h;\n    #[cfg(not(test))]\n    let d = h + 1;\n    d\n}\n";
    let (code, err) = check_switches(&[("ok.rs", tests_module), ("sub/bands.rs", switched)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("sub/bands.rs:2:") && err.contains("sub/bands.rs:4:"), "{err}");
    // a test-only function and a test-only field are switches too
    for planted in [
        "#[cfg(test)]\npub fn only_in_tests() {}\n",
        "struct S {\n    #[cfg(test)]\n    peek: usize,\n}\n",
        "#[cfg_attr(test, derive(Debug))]\nstruct S;\n",
        "fn f() -> bool { cfg!(test) }\n",
        "struct S {\n    #[cfg(any(test, feature = \"x\"))]\n    a: u8,\n}\n",
        "#[cfg( test )]\nfn spaced() {}\n",
        "#[cfg(all(test))]\nfn all() {}\n",
    ] {
        let (code, err) = check_switches(&[("planted.rs", planted)]);
        assert_eq!(code, 1, "not caught: {planted}\n{err}");
        assert!(err.contains("planted.rs:"), "{err}");
    }
}

/// Lines of the Rust files under `dir` that title a chart with plotters' own one-line
/// `caption` or `titled`, which cut a long title at the chart's edge instead of wrapping it.
fn unwrapped_titles(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(unwrapped_titles(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (k, line) in text.lines().enumerate() {
                if line.contains(".caption(") || line.contains(".titled(") {
                    found.push(format!("{}:{}: {}", path.display(), k + 1, line.trim()));
                }
            }
        }
    }
    found
}

/// Every chart title goes through `draw_title`, which wraps it to the chart's width: a chart
/// titled with plotters' one-line caption (how titles were cut on long file names) is found.
#[test]
fn every_chart_title_wraps() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_eq!(unwrapped_titles(&src), Vec::<String>::new());
    let dir = std::env::temp_dir().join(format!("lstm-stock-titles-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("report")).unwrap();
    std::fs::write(
        dir.join("report/chart.rs"),
        "fn f() {\n    let ch = ChartBuilder::on(root)\n        .caption(title, (FONT, 22))\n        .margin(12);\n}\n",
    )
    .unwrap();
    let found = unwrapped_titles(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert!(found.len() == 1 && found[0].contains("chart.rs:3:"), "{found:?}");
}
