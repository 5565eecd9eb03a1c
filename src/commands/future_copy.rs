//! The leakage check's altered input: a copy of the user's file with its rows from a cutoff day
//! on following another path (`data::perturb::future_file`), written to a temporary folder for
//! as long as a command reads it, then removed.

use std::path::Path;

use anyhow::{Context, Result};

use crate::data::perturb::future_file;
use crate::data::{LoadOptions, PriceSeries};

/// Writes the copy of `csv` (loaded as `series` with `load`) whose rows from `cutoff` on are
/// replaced, under the file's own name, and returns what `read` made of its path. Errors name
/// the original file and the cutoff day.
pub fn with_future_copy<T>(
    csv: &Path,
    series: &PriceSeries,
    load: &LoadOptions,
    cutoff: usize,
    read: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let what = || {
        format!(
            "{}: the leakage check's copy with the rows from {} on replaced",
            csv.display(),
            series.dates[cutoff]
        )
    };
    let bytes = std::fs::read(csv).with_context(|| format!("{}: cannot read", csv.display()))?;
    let copy = future_file(&bytes, series, load, cutoff)?;
    let dir = crate::report::files::temp_dir("sanity")?;
    let path = dir.join(csv.file_name().map_or("prices.csv".into(), |n| n.to_os_string()));
    let made = std::fs::write(&path, copy).map_err(anyhow::Error::from).and_then(|_| read(&path));
    std::fs::remove_dir_all(&dir).ok();
    made.with_context(what)
}
