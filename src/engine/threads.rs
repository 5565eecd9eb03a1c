//! The thread counts of a run: libtorch's, and how many threads a training batch is split over.
//! Set once, from `--threads` or the machine's free cores, before any work starts; the only other
//! change is [`SplitScope`], which a training run that splits its batches holds for its whole
//! length. Nothing outside this module sets a thread count (the split's own threads each give
//! themselves one libtorch thread, in `workers`).

/// libtorch threads for a run that names none: the cores not busy with other work right now.
///
/// libtorch's OpenMP threads spin while they wait for each other; with another process on one
/// of two cores, two threads run several times slower than one. So we sample the machine for
/// 100 ms and leave busy cores alone. The result goes into run.json.
pub fn auto_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let sample = || -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let v: Vec<u64> =
            stat.lines().next()?.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
        let idle = v.get(3)? + v.get(4).unwrap_or(&0);
        Some((v.iter().take(8).sum(), idle))
    };
    let Some((t0, i0)) = sample() else { return cores };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let Some((t1, i1)) = sample() else { return cores };
    if t1 <= t0 {
        return cores;
    }
    let busy = 1.0 - (i1 - i0) as f64 / (t1 - t0) as f64;
    let busy_cores = (busy * cores as f64 - 0.25).round().max(0.0) as usize;
    cores.saturating_sub(busy_cores).max(1)
}

/// Sets the CPU threads of a run and returns libtorch's count. `--threads N` (`choice`) gives N
/// to both libtorch and the training batch split. Without it libtorch gets the free cores
/// ([`auto_threads`]), since its spinning threads collapse on a busy core, while a training
/// batch is still split over every core: the split's threads sleep while they wait, and on a
/// busy machine they take shares from a queue ([`super::workers`]), so a core that
/// another program holds still contributes its share of time.
pub fn use_threads(choice: Option<usize>) -> usize {
    let libtorch = choice.unwrap_or_else(auto_threads);
    tch::set_num_threads(libtorch as i32);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    super::workers::set_threads(choice.unwrap_or(cores), choice.is_none() && libtorch < cores);
    libtorch
}

/// libtorch's threads in this run.
pub fn libtorch() -> usize {
    tch::get_num_threads().max(1) as usize
}

/// Gives libtorch `n` threads (`compare`'s worker processes, which share the cores between
/// them); a training batch is then split over as many, since the split follows libtorch's
/// count unless [`use_threads`] set it.
pub fn use_exactly(n: usize) {
    tch::set_num_threads(n.max(1) as i32);
}

/// While a training run splits its batches (`parts` over 1), the thread that drives it keeps
/// libtorch to one thread of its own for the whole run: each share runs on a split thread with
/// one libtorch thread, and the driver's own work between the shares (optimizer step, clipping,
/// and the validation loss once per epoch, which is why the whole run and not only its batches
/// is covered) would otherwise wake libtorch's spinning threads on the cores the shares use.
/// Restored on drop. This is the only change of a thread count during a run.
#[must_use = "the thread count is restored as soon as the scope is dropped"]
pub struct SplitScope {
    restore: Option<i32>,
}

impl SplitScope {
    pub fn enter(parts: usize) -> SplitScope {
        if parts <= 1 {
            return SplitScope { restore: None };
        }
        let before = tch::get_num_threads();
        tch::set_num_threads(1);
        SplitScope { restore: Some(before) }
    }
}

impl Drop for SplitScope {
    fn drop(&mut self) {
        if let Some(n) = self.restore {
            tch::set_num_threads(n);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn auto_threads_stay_within_the_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let t = super::auto_threads();
        assert!((1..=cores).contains(&t), "{t} of {cores}");
    }
}
