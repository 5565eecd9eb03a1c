//! Where training time goes: named phases of a training step, timed only when asked
//! (`bench --profile`), so that a speed change starts from a measurement.
//!
//! On the CPU libtorch runs each op before returning, so wall time per phase is the phase's
//! cost; on CUDA ops are queued and the times would mislead, which is why `bench` refuses
//! `--profile` there.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);

thread_local! {
    static TIMES: RefCell<Vec<(&'static str, f64, u64)>> = const { RefCell::new(Vec::new()) };
}

/// Starts timing phases (for the whole process).
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Runs `f`, adding its wall time to the phase `name` when timing is on.
pub fn time<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !ON.load(Ordering::Relaxed) {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    TIMES.with(|t| {
        let mut t = t.borrow_mut();
        match t.iter_mut().find(|(n, _, _)| *n == name) {
            Some(e) => {
                e.1 += secs;
                e.2 += 1;
            }
            None => t.push((name, secs, 1)),
        }
    });
    out
}

/// The phases timed on this thread so far, `(name, seconds, calls)` in first-seen order, and
/// resets them.
pub fn take() -> Vec<(&'static str, f64, u64)> {
    TIMES.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_add_up_per_name() {
        enable();
        let _ = take();
        let v = time("a", || 2) + time("b", || 3) + time("a", || 4);
        assert_eq!(v, 9);
        let t = take();
        assert_eq!(t.iter().map(|(n, _, c)| (*n, *c)).collect::<Vec<_>>(), vec![("a", 2), ("b", 1)]);
        assert!(t.iter().all(|(_, s, _)| *s >= 0.0));
        assert!(take().is_empty());
    }
}
