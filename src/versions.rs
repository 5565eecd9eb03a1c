//! What built this binary, recorded in every output that can outlive the run (run.json,
//! model.json, compare.json, the benchmark's JSON line), so a figure can be traced to its code.

/// The tch crate this binary links (Cargo.toml pins it; libtorch must match it).
pub const TCH: &str = "0.24";

/// `{"lstm_stock": ..., "tch": ..., "libtorch": ...}`.
pub fn record() -> serde_json::Value {
    serde_json::json!({"lstm_stock": env!("CARGO_PKG_VERSION"), "tch": TCH, "libtorch": env!("LIBTORCH_VERSION")})
}

/// `lstm-stock 0.1.0 (tch 0.24, libtorch 2.11.0)`.
pub fn line() -> String {
    format!("lstm-stock {} (tch {TCH}, libtorch {})", env!("CARGO_PKG_VERSION"), env!("LIBTORCH_VERSION"))
}
