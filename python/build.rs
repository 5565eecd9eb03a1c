//! Link-time wiring of the Python extension: it finds libtorch where it is installed, inside
//! the `torch` package beside `lstm_stock` in site-packages (so `import torch` and `import
//! lstm_stock` share one libtorch, in either order), and keeps libtorch_cuda linked as the
//! binary does (see the root build.rs).

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN/../torch/lib");
    let lib = std::env::var("LIBTORCH").map(|l| std::path::Path::new(&l).join("lib"));
    // an editable install (`maturin develop`) leaves the module in python/lstm_stock, away from
    // site-packages: it finds the libtorch it was built against, as the binary does
    if let Ok(lib) = &lib {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
    let cuda = lib.map(|l| l.join("libtorch_cuda.so").exists()).unwrap_or(false);
    if cuda {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
