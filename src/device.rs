//! Choosing where tensors live: `--device auto|cpu|cuda`, decided at run time so one binary
//! serves CPU-only and GPU machines.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tch::Device;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    Auto,
    Cpu,
    Cuda,
}

/// The device for `choice`: `auto` takes the first CUDA GPU when libtorch sees one.
pub fn resolve(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Auto => Ok(Device::cuda_if_available()),
        DeviceChoice::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        DeviceChoice::Cuda => crate::bail_input!(
            "--device cuda: libtorch sees no CUDA GPU on this machine; use --device cpu (or auto)"
        ),
    }
}

/// A short name for reports: `cpu` or `cuda:0`.
pub fn name(device: Device) -> String {
    match device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".to_string(),
    }
}

/// libtorch threads for a run that names none: the cores not busy with other work right now.
///
/// libtorch's OpenMP threads spin while they wait for each other; with another process on one
/// of two cores, two threads run several times slower than one (measured: small LSTM epoch 0.94 s
/// with 2 threads, 0.22-0.34 s with 1). So we sample the machine for 100 ms and leave busy cores
/// alone. The result goes into run.json.
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
/// busy machine they take shares from a queue ([`crate::model::workers`]), so a core that
/// another program holds still contributes its share of time.
pub fn use_threads(choice: Option<usize>) -> usize {
    let libtorch = choice.unwrap_or_else(auto_threads);
    tch::set_num_threads(libtorch as i32);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    crate::model::workers::set_threads(choice.unwrap_or(cores), choice.is_none() && libtorch < cores);
    libtorch
}

/// Keeps freed blocks in the process instead of handing them back to the kernel.
///
/// Training allocates and frees the same few megabyte-sized buffers every batch. glibc serves
/// blocks that large with fresh `mmap` pages, so every batch paid a page fault per 4 KiB
/// touched: the hand-written GRU step took 260,000 faults and 0.39 s of kernel time in three
/// small epochs, and 61,000 (mostly loading libtorch) and 0.13 s with this, 30% less wall time.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation thresholds; 32 MiB is the largest mmap
    // threshold glibc accepts on 64-bit systems.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
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
