//! The threads that the shares of a split batch run on, and how the batch is cut into shares.
//!
//! Why long-lived threads: threads made afresh for every batch start where the scheduler puts
//! new threads, beside their parent. With another program on one of two cores, both shares of
//! every batch ran on the one core left, so the second thread bought nothing (the measurements
//! behind this module are in docs/performance.md).
//!
//! Why shares come from a queue on a busy machine: a thread that shares its core with another
//! program runs at about half speed, and a batch waits for its slowest share. When cores were
//! busy as training started (`--threads` not given), a batch is cut into a large and a small
//! share per thread (2:1), and each thread takes the next share when it is done with its last:
//! the thread on a free core does a large and both small shares while the half-speed one does
//! one large share. Which thread runs which share changes no sum, so results stay repeatable;
//! only the cut does (it depends on the thread count and on [`guided`]). The threads are then
//! pinned one per core, since the scheduler otherwise often puts two of them on the free core,
//! where they gain nothing over one thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    workers: Vec<Sender<Job>>,
    /// Threads a batch may be split over; `None`: as many as libtorch has.
    threads: Option<usize>,
    /// Cut batches in two shares per thread (a busy machine), not one; workers started then are
    /// pinned one per CPU (otherwise the scheduler may put two on the core the other program
    /// left free).
    guided: bool,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { workers: Vec::new(), threads: None, guided: false });

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    // a panic elsewhere while holding the lock leaves the pool usable
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets how many threads a training batch may be split over (otherwise libtorch's count), and
/// whether batches are cut for a busy machine.
pub fn set_threads(n: usize, busy: bool) {
    let mut p = pool();
    p.threads = Some(n.max(1));
    p.guided = busy && n > 1;
}

/// Forgets [`set_threads`]: batches follow libtorch's count again, as in a fresh process (a
/// host that runs many commands in one process starts each from there).
pub fn reset() {
    let mut p = pool();
    p.threads = None;
    p.guided = false;
}

/// How many threads a training batch may be split over.
pub fn threads() -> usize {
    pool().threads.unwrap_or_else(|| tch::get_num_threads().max(1) as usize)
}

/// Whether batches are cut for a busy machine (two shares per thread, taken from a queue).
pub fn guided() -> bool {
    pool().guided
}

/// Rows of each share when a batch of `n` rows is split over `parts` threads. On a busy
/// machine the cut for the queue pays only where a share is `cheap` to start: libtorch's LSTM
/// step has a fixed cost per share that eats what the queue gains, so it gets one share.
pub fn share_sizes(n: usize, parts: usize, cheap: bool) -> Vec<usize> {
    match (guided(), cheap) {
        (true, false) => vec![n],
        (true, true) if n >= 2 * parts => guided_sizes(n, parts),
        _ => even_sizes(n, parts),
    }
}

/// `n` rows in `parts` shares that differ by at most one row, larger ones first.
pub fn even_sizes(n: usize, parts: usize) -> Vec<usize> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts).map(|i| n / parts + usize::from(i < n % parts)).collect()
}

/// `parts` large shares, then `parts` small ones of half their size: with equal threads each
/// takes one of each; with one thread at half speed, the others take the small ones.
pub fn guided_sizes(n: usize, parts: usize) -> Vec<usize> {
    let large = (2 * n + 1) / 3;
    let mut sizes = even_sizes(large, parts);
    sizes.extend(even_sizes(n - large, parts));
    sizes
}

/// Runs the shares on up to `threads` long-lived threads, each thread taking the next share when
/// it is done (one libtorch thread each), and returns the results in share order. With one
/// thread they run on the calling thread, in order (which is how a network of a fleet, already
/// on one of these threads, scores its validation part).
///
/// # Panics
/// If a share panics (a bug: the shares only run tensor arithmetic on valid shapes).
pub fn run<R, F>(shares: Vec<F>, threads: usize) -> Vec<R>
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    run_each(shares, threads, &mut |_, _| {})
}

/// [`run`], handing each result to `each` (with its share's index) on the calling thread as it
/// comes back, in the order the shares finish.
pub fn run_each<R, F>(shares: Vec<F>, threads: usize, each: &mut dyn FnMut(usize, &R)) -> Vec<R>
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    if threads <= 1 || shares.is_empty() {
        return shares
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let r = f();
                each(i, &r);
                r
            })
            .collect();
    }
    let k = shares.len();
    let queue: Arc<Vec<Mutex<Option<F>>>> =
        Arc::new(shares.into_iter().map(|s| Mutex::new(Some(s))).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    {
        let mut p = pool();
        for w in 0..threads.clamp(1, k) {
            let (queue, next, tx) = (queue.clone(), next.clone(), tx.clone());
            p.send(
                w,
                Box::new(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(slot) = queue.get(i) else { break };
                    let work = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                    if let Some(work) = work {
                        let _ = tx.send((i, work()));
                    }
                }),
            );
        }
    }
    drop(tx);
    let mut done: Vec<(usize, R)> = rx.iter().inspect(|(i, r)| each(*i, r)).collect();
    assert_eq!(done.len(), k, "a training thread panicked");
    done.sort_by_key(|d| d.0);
    done.into_iter().map(|d| d.1).collect()
}

impl Pool {
    /// Hands `job` to worker `i`, starting workers (or replacing one that died) as needed.
    fn send(&mut self, i: usize, job: Job) {
        while self.workers.len() <= i {
            let w = spawn(self.workers.len(), self.guided);
            self.workers.push(w);
        }
        if let Err(back) = self.workers[i].send(job) {
            self.workers[i] = spawn(i, self.guided);
            // a fresh worker's receiver lives until its sender is dropped
            let _ = self.workers[i].send(back.0);
        }
    }
}

fn spawn(i: usize, pin: bool) -> Sender<Job> {
    let (tx, rx) = channel::<Job>();
    std::thread::Builder::new()
        .name(format!("train-share-{i}"))
        .spawn(move || {
            tch::set_num_threads(1);
            if pin {
                pin_to_cpu(i);
            }
            for job in rx {
                job();
            }
        })
        .expect("the system refused to start a training thread");
    tx
}

/// Keeps the calling thread on the `i`-th CPU of those this process may use (no change when
/// there are fewer, or the system refuses).
fn pin_to_cpu(i: usize) {
    // SAFETY: cpu_set_t is plain data; the calls only read and write the set given to them
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return;
        }
        let Some(cpu) = (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &allowed)).nth(i)
        else {
            return;
        };
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut one);
        libc::sched_setaffinity(0, size, &one);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_shares_differ_by_at_most_one_row() {
        assert_eq!(even_sizes(64, 2), [32, 32]);
        assert_eq!(even_sizes(37, 3), [13, 12, 12]);
        assert_eq!(even_sizes(3, 4), [1, 1, 1]);
    }

    #[test]
    fn guided_shares_are_large_then_small() {
        assert_eq!(guided_sizes(64, 2), [22, 21, 11, 10]);
        assert_eq!(guided_sizes(52, 2), [18, 17, 9, 8]);
        for n in 4..80 {
            let s = guided_sizes(n, 2);
            assert_eq!(s.iter().sum::<usize>(), n);
            assert!(s.iter().all(|&r| r >= 1), "{n}: {s:?}");
        }
    }

    #[test]
    fn shares_come_back_in_order() {
        let out = run((0..7).map(|i| move || i * 10).collect(), 3);
        assert_eq!(out, [0, 10, 20, 30, 40, 50, 60]);
    }
}
