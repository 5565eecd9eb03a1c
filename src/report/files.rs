//! Atomic file output: every file is written under a temporary name in the same folder and
//! renamed into place, so a crash or Ctrl-C never leaves a half-written result behind.

use std::io::Read;
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
    let tmp = tmp_path(path);
    std::fs::write(&tmp, bytes).with_context(|| format!("{}: cannot write", tmp.display()))?;
    commit(&tmp, path)
}

/// Pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
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
