//! Choosing where tensors live: `--device auto|cpu|cuda`, decided at run time so one binary
//! serves CPU-only and GPU machines.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tch::Device;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
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

/// Memory this machine can give a new allocation now, in bytes (`MemAvailable`, Linux); `None`
/// where it cannot be read.
pub fn available_memory() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// `1.2 GB`, `340 MB`: a byte count for a message.
pub fn bytes_text(b: f64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A short name for reports: `cpu` or `cuda:0`.
pub fn name(device: Device) -> String {
    match device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".to_string(),
    }
}

/// Keeps freed blocks in the process instead of handing them back to the kernel.
///
/// Training allocates and frees the same few megabyte-sized buffers every batch. glibc serves
/// blocks that large with fresh `mmap` pages, so every batch paid a page fault per 4 KiB
/// touched, and the hand-written GRU step spent a large share of its time in the kernel.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation thresholds; 32 MiB is the largest mmap
    // threshold glibc accepts on 64-bit systems.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
