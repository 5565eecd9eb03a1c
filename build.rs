//! Link-time wiring for libtorch.
//!
//! torch-sys (`links = "tch"`) tells us where libtorch's shared libraries are through
//! `DEP_TCH_LIBTORCH_LIB`. We bake that folder into the binary's rpath so that `cargo run`
//! and the built binary work without `LD_LIBRARY_PATH`, and we force a `DT_NEEDED` entry for
//! `libtorch_cuda`: Rust links with `--as-needed`, nothing in our code references a CUDA
//! symbol directly, so without `--no-as-needed` the CUDA backend is silently dropped and
//! `--device cuda` would report that no GPU exists even on a GPU machine.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        println!("cargo:warning=torch-sys did not report its libtorch folder; run scripts/setup");
        println!("cargo:rustc-env=LIBTORCH_VERSION=unknown");
        return;
    };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    // Recorded in run.json: the libtorch this binary was linked against.
    let version_py = Path::new(&lib).join("../version.py");
    println!("cargo:rerun-if-changed={}", version_py.display());
    let version = std::fs::read_to_string(&version_py)
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("__version__ = ").map(|v| v.trim_matches(['\'', '"']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=LIBTORCH_VERSION={version}");
    // MKL's sgemm_ and packed sgemm, exported by the x86-64 PyPI builds of libtorch_cpu, let the
    // hand-written steps multiply without a libtorch call per step (src/engine/kernels.rs)
    println!("cargo:rustc-check-cfg=cfg(mkl_sgemm)");
    let cpu = Path::new(&lib).join("libtorch_cpu.so");
    let needed =
        [" T sgemm_", " T cblas_sgemm_pack_get_size", " T cblas_sgemm_pack", " T cblas_sgemm_compute"];
    let exports_sgemm = std::process::Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&cpu)
        .output()
        .map(|o| {
            let out = String::from_utf8_lossy(&o.stdout);
            needed.iter().all(|n| out.lines().any(|l| l.ends_with(n)))
        })
        .unwrap_or(false);
    if exports_sgemm {
        println!("cargo:rustc-cfg=mkl_sgemm");
    }
    if Path::new(&lib).join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
