//! `panel --shard i/N`: a run's jobs spread over machines. Every shard loads the same panel and
//! plans the same jobs ([`super::jobs::plan`]); shard i does every N-th from the i-th and writes
//! them to `panel-shard-i-of-N.json`. `panel --merge` reads the shards back, checks that they
//! are one run's and hold every job once, and judges the whole as an unsharded run does.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::jobs::{Done, Job};
use crate::bail_input;
use crate::config::PanelConfig;
use crate::data::panel::Panel;
use crate::report::files;

const FORMAT: &str = "lstm-stock panel shard v1";

/// One shard's jobs, with what a merge checks them against.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: String,
    pub config: PanelConfig,
    /// Over every file of the panel, in order ([`input_sha256`]).
    pub input_sha256: String,
    pub shard: (usize, usize),
    /// Every job of the run, the shard's and the others'.
    pub plan: Vec<Job>,
    pub folds: Vec<serde_json::Value>,
    pub kept: Vec<String>,
    pub before_test: NaiveDate,
    pub done: Vec<Done>,
    /// lstm-stock, tch and libtorch: shards of one run come from one build.
    pub versions: serde_json::Value,
}

impl ShardFile {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: &PanelConfig,
        input_sha256: String,
        shard: (usize, usize),
        plan: Vec<Job>,
        folds: Vec<serde_json::Value>,
        kept: Vec<String>,
        before_test: NaiveDate,
        done: Vec<Done>,
    ) -> ShardFile {
        ShardFile {
            format: FORMAT.into(),
            config: config.clone(),
            input_sha256,
            shard,
            plan,
            folds,
            kept,
            before_test,
            done,
            versions: crate::versions::record(),
        }
    }

    /// Where shard `(i, n)` of a run writing to `out` goes.
    pub fn path(out: &Path, (i, n): (usize, usize)) -> PathBuf {
        out.join(format!("panel-shard-{i}-of-{n}.json"))
    }
}

/// SHA-256 over the SHA-256 of each file the panel at `path` reads, in order: shards that read
/// other bytes are not one run's.
pub fn input_sha256(path: &Path) -> Result<String> {
    let mut h = Sha256::new();
    for f in Panel::files(path)? {
        h.update(f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default().as_bytes());
        h.update(files::sha256_file(&f)?.as_bytes());
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The first setting in which two shards' configurations differ, as `base.window`, leaving
/// out where each machine read the data and wrote its shard, and how it ran (the input's bytes
/// are checked by their hash, and any device or thread count may train a job).
fn first_difference(a: &PanelConfig, b: &PanelConfig) -> Result<Option<String>> {
    let plain = |c: &PanelConfig| -> Result<serde_json::Value> {
        let mut c = c.clone();
        c.base.out = PathBuf::new();
        c.base.csv = PathBuf::new();
        c.base.device = crate::device::DeviceChoice::Auto;
        c.base.threads = None;
        Ok(serde_json::to_value(c)?)
    };
    fn walk(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Option<String> {
        match (a, b) {
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                keys.into_iter().find_map(|k| {
                    let at = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                    match (x.get(k), y.get(k)) {
                        (Some(u), Some(v)) => walk(u, v, at),
                        _ => Some(at),
                    }
                })
            }
            _ => (a != b).then_some(at),
        }
    }
    Ok(walk(&plain(a)?, &plain(b)?, String::new()))
}

/// Reads the shard files `inputs` (files, or folders of `panel-shard-*.json`) as one run: the
/// same settings (but `--out`), input files and plan in each, every job of the plan done once.
/// Returns the merged file (every shard's jobs, in plan order) and the files read.
pub fn read(inputs: &[PathBuf]) -> Result<(ShardFile, Vec<PathBuf>)> {
    let mut paths = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| {
                crate::error::input_error(format!("{}: cannot read the folder ({e})", p.display()))
            })?;
            paths.extend(entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|f| {
                f.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with("panel-shard-") && n.ends_with(".json")
                })
            }));
        } else {
            paths.push(p.clone());
        }
    }
    paths.sort();
    if paths.is_empty() {
        let given: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        bail_input!(
            "--merge: no panel-shard-*.json files in {}; give the --out folder of the shards",
            given.join(", ")
        );
    }
    let mut merged: Option<ShardFile> = None;
    for p in &paths {
        let text = std::fs::read_to_string(p)
            .map_err(|e| crate::error::input_error(format!("{}: cannot read ({e})", p.display())))?;
        let s: ShardFile = serde_json::from_str(&text).map_err(|e| {
            crate::error::input_error(format!("{}: not a panel shard file ({e})", p.display()))
        })?;
        if s.format != FORMAT {
            bail_input!("{}: shard format \"{}\", expected \"{FORMAT}\"", p.display(), s.format);
        }
        match &mut merged {
            None => merged = Some(s),
            Some(m) => {
                let what = if let Some(key) = first_difference(&m.config, &s.config)? {
                    Some(format!("its setting {key} differs"))
                } else if m.input_sha256 != s.input_sha256 {
                    Some("the bytes of its input files differ".into())
                } else if m.shard.1 != s.shard.1 {
                    Some(format!("it is one of {} shards, not {}", s.shard.1, m.shard.1))
                } else if m.versions != s.versions {
                    Some(format!("it was run by {}, not {}", s.versions, m.versions))
                } else if m.plan != s.plan || m.folds != s.folds || m.kept != s.kept {
                    Some("its plan of jobs differs".into())
                } else {
                    None
                };
                if let Some(what) = what {
                    bail_input!(
                        "{}: not a shard of the same run as {} ({what}); merge the shards of one run",
                        p.display(),
                        paths[0].display()
                    );
                }
                m.done.extend(s.done);
            }
        }
    }
    let mut m = merged.expect("at least one shard file was read");
    let mut seen = vec![false; m.plan.len()];
    for d in &m.done {
        if m.plan.get(d.id) != Some(&d.job) || d.rows.iter().any(|r| r.fold != d.job.fold()) {
            bail_input!(
                "--merge: job {} ({:?}) is not the run's job {}; was a shard file edited?",
                d.id,
                d.job,
                d.id
            );
        }
        if std::mem::replace(&mut seen[d.id], true) {
            bail_input!(
                "--merge: job {} ({:?}) is in more than one shard file; give each shard once",
                d.id,
                d.job
            );
        }
    }
    let n = m.shard.1;
    let mut missing: Vec<usize> = (0..m.plan.len()).filter(|&i| !seen[i]).map(|i| i % n).collect();
    missing.dedup();
    if !missing.is_empty() {
        missing.sort_unstable();
        missing.dedup();
        let shards: Vec<String> = missing.iter().map(|i| format!("{i}/{n}")).collect();
        bail_input!(
            "--merge: {} of the run's {} jobs are missing; run --shard {} and merge again",
            seen.iter().filter(|s| !**s).count(),
            m.plan.len(),
            shards.join(", ")
        );
    }
    m.done.sort_by_key(|d| d.id);
    Ok((m, paths))
}
