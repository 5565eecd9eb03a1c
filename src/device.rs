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
