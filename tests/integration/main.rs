//! The one integration test binary (each test binary links libtorch, so one keeps
//! `cargo test` fast). `cli` and `fuzz` run the real executable, `guards` the repository's scripts; `learning` trains through the library.

mod cli;
mod equivalence;
mod fuzz;
mod guards;
mod learning;
mod panel;
mod tune;

/// Held by every test that seeds or draws from libtorch's one global random generator: tests
/// run on parallel threads, and a draw by one between another's seed and its own draws would
/// change what the second draws (the dropout test checks that the step draws the very masks
/// the test drew after the same seed).
pub static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());
