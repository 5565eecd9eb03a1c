//! The one integration test binary (each test binary links libtorch, so one keeps
//! `cargo test` fast). `cli` runs the real executable; `learning` trains through the library.

mod cli;
mod equivalence;
mod learning;
