//! Atomic file output: every file is written under a temporary name in the same folder and
//! renamed into place, so a crash or Ctrl-C never leaves a half-written result behind.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A hidden sibling of `path` that keeps its extension (image encoders pick the format by it):
/// `out/prediction.png` -> `out/.prediction.tmp.png`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let name = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!(".{stem}.tmp.{ext}"),
        None => format!(".{stem}.tmp"),
    };
    path.with_file_name(name)
}

/// Moves a finished temporary file into place.
pub fn commit(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path).with_context(|| format!("{}: cannot move into place", path.display()))
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Writes `path` atomically through `write`, which fills the temporary file. If it fails (a full
/// disk, say), the temporary file is removed and `path` is left as it was: never half-written.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    atomic(path, |tmp| {
        let mut f = std::fs::File::create(tmp)?;
        write(&mut f)?;
        Ok(f.sync_all()?)
    })
}

/// Makes `path` by having `make` write the file at the temporary path it is given, then renames
/// it into place; if `make` fails, the temporary file is removed and `path` is left as it was.
/// Every output file (text, charts, weights) is written through this.
pub fn atomic(path: &Path, make: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = tmp_path(path);
    if let Err(e) = make(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("{}: cannot write", path.display()));
    }
    commit(&tmp, path)
}

/// An output folder this process is writing: created if missing, and locked with a file naming
/// this process, so that two runs given the same `--out` never interleave their files (the
/// second is refused while the first writes; one after the other, each leaves a whole set). On
/// drop the lock goes, and the folder too if this run created it and left nothing in it.
pub struct OutputDir {
    dir: PathBuf,
    lock: PathBuf,
    created: bool,
}

/// The lock file's name inside an output folder.
pub const LOCK_NAME: &str = ".lstm-stock.lock";

impl OutputDir {
    pub fn open(dir: &Path) -> Result<OutputDir> {
        check_out_dir(dir)?;
        let created = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| {
            crate::error::input_error(format!(
                "--out {}: cannot create the folder: {e}; choose another --out",
                dir.display()
            ))
        })?;
        let lock = dir.join(LOCK_NAME);
        let out = OutputDir { dir: dir.to_path_buf(), lock: lock.clone(), created };
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(out);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder =
                        std::fs::read_to_string(&lock).ok().and_then(|t| t.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if pid != std::process::id() && process_alive(pid) => {
                            // not ours: dropping `out` must not remove the other run's lock
                            std::mem::forget(out);
                            crate::bail_input!(
                                "--out {}: another lstm-stock run (process {pid}) is writing there now; wait for it to finish or choose another --out",
                                dir.display()
                            );
                        }
                        // left by a run that died: take it over
                        _ => {
                            let _ = std::fs::remove_file(&lock);
                        }
                    }
                }
                Err(e) => {
                    std::mem::forget(out);
                    crate::bail_input!(
                        "--out {}: cannot write there: {e}; choose another --out",
                        dir.display()
                    );
                }
            }
        }
        std::mem::forget(out);
        crate::bail_input!(
            "--out {}: could not take its lock file {LOCK_NAME}; remove it if no run is writing there",
            dir.display()
        )
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock);
        if self.created {
            // only succeeds when empty
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// Whether process `pid` is running (Linux: it has a `/proc` entry; elsewhere assumed so).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// A fresh folder under the system's temporary folder, named for `purpose`, this process and
/// a counter; the caller removes it.
pub fn temp_dir(purpose: &str) -> Result<PathBuf> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("lstm-stock-{purpose}-{}-{k}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    Ok(dir)
}

/// Lowercase hex SHA-256 of a file's bytes, recorded so a result can be traced to its input.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Checks, before any work, that `dir` can become an output folder (it may already exist).
pub fn check_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        crate::bail_input!("--out {}: exists and is not a folder; choose another --out", dir.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_fails_halfway_leaves_nothing_half_written() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-fault-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("metrics.json");
        write_atomic(&p, b"old, whole").unwrap();
        // a planted fault: half the bytes go out, then the disk is full
        let e = write_atomic_with(&p, |f| {
            f.write_all(b"new, ha")?;
            Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"))
        })
        .unwrap_err();
        assert_eq!(format!("{e:#}").lines().count(), 1);
        assert!(format!("{e:#}").contains("metrics.json: cannot write: No space left on device"), "{e:#}");
        assert_eq!(std::fs::read(&p).unwrap(), b"old, whole", "the old file stays whole");
        assert!(!tmp_path(&p).exists(), "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_runs_never_write_one_folder_at_once() {
        let root = std::env::temp_dir().join(format!("lstm-stock-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("out");
        let first = OutputDir::open(&dir).unwrap();
        assert!(dir.join(LOCK_NAME).exists());
        // another live process holds it: refused, naming the process (pid 1 is always alive)
        std::fs::write(dir.join(LOCK_NAME), "1\n").unwrap();
        let e = format!("{:#}", OutputDir::open(&dir).err().unwrap());
        assert!(e.contains("another lstm-stock run (process 1) is writing there now"), "{e}");
        assert!(dir.join(LOCK_NAME).exists(), "the other run's lock is left alone");
        // a lock left by a run that died is taken over
        std::fs::write(dir.join(LOCK_NAME), "4000000000\n").unwrap();
        let second = OutputDir::open(&dir).unwrap();
        drop(second);
        assert!(!dir.join(LOCK_NAME).exists());
        // the folder this run created goes with it while empty; one with results stays
        std::fs::write(dir.join(LOCK_NAME), format!("{}\n", std::process::id())).unwrap();
        drop(first);
        assert!(!dir.exists(), "an empty folder this run created is removed");
        let held = OutputDir::open(&dir).unwrap();
        write_atomic(&held.path().join("a.txt"), b"x").unwrap();
        drop(held);
        assert!(dir.join("a.txt").exists() && !dir.join(LOCK_NAME).exists());
        // a folder that is a file, or that cannot be created
        std::fs::write(root.join("file"), b"x").unwrap();
        assert!(
            format!("{:#}", OutputDir::open(&root.join("file")).err().unwrap()).contains("is not a folder")
        );
        let e = format!("{:#}", OutputDir::open(Path::new("/proc/lstm-stock-out")).err().unwrap());
        assert!(e.contains("--out /proc/lstm-stock-out: cannot create the folder"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn temporary_names_keep_the_extension() {
        assert_eq!(tmp_path(Path::new("o/prediction.png")), PathBuf::from("o/.prediction.tmp.png"));
        assert_eq!(tmp_path(Path::new("o/README")), PathBuf::from("o/.README.tmp"));
    }

    #[test]
    fn atomic_write_and_hash() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        write_atomic(&p, b"abc").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abc");
        assert!(!tmp_path(&p).exists());
        // sha256("abc"), FIPS 180-2 test vector
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
