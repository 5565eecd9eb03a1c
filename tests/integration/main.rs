//! The one integration test binary (each test binary links libtorch, so one keeps
//! `cargo test` fast). `cli` and `fuzz` run the real executable; `learning` trains through the library.

mod cli;
mod equivalence;
mod fuzz;
mod learning;
