//! Ctrl-C: the first press asks training to stop after the current batch (the best weights so
//! far are then evaluated and saved as usual); the second exits at once, after removing the
//! temporary files of the output folder being written, so no half-written file is left.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

static PRESSES: AtomicUsize = AtomicUsize::new(0);
/// Set in a host process (the Python package) that owns Ctrl-C and reports it by [`request`].
static EMBEDDED: AtomicBool = AtomicBool::new(false);
static OUT_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Installs the handler once; later calls do nothing. Failing to install is not fatal.
pub fn install() {
    if EMBEDDED.load(Ordering::SeqCst) {
        return;
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if PRESSES.fetch_add(1, Ordering::SeqCst) == 0 {
                eprintln!("\ninterrupted: stopping after this batch and saving the best weights so far (Ctrl-C again to quit now)");
                return;
            }
            if let Some(dir) = OUT_DIR.lock().ok().and_then(|d| d.clone()) {
                remove_temporaries(&dir);
            }
            std::process::exit(130);
        });
    });
}

/// The folder whose temporary files a second Ctrl-C removes.
pub fn set_out_dir(dir: &std::path::Path) {
    if let Ok(mut d) = OUT_DIR.lock() {
        *d = Some(dir.to_path_buf());
    }
}

/// For a host process that keeps its own Ctrl-C handling (Python's KeyboardInterrupt):
/// [`install`] then leaves the signal alone, and the host calls [`request`] and [`reset`].
pub fn embed() {
    EMBEDDED.store(true, Ordering::SeqCst);
}

/// A first Ctrl-C, from the host: training stops after the current batch, as in the binary.
pub fn request() {
    PRESSES.fetch_add(1, Ordering::SeqCst);
}

/// Forgets earlier presses (a host runs many commands in one process).
pub fn reset() {
    PRESSES.store(0, Ordering::SeqCst);
}

/// True once Ctrl-C was pressed.
pub fn requested() -> bool {
    PRESSES.load(Ordering::SeqCst) > 0
}

fn remove_temporaries(dir: &std::path::Path) {
    for sub in [dir.to_path_buf(), dir.join("model")] {
        if let Ok(entries) = std::fs::read_dir(&sub) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.contains(".tmp") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}
