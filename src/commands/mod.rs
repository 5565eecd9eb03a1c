//! One module per subcommand; each takes a validated config and does the whole job.

pub mod bench;
pub mod compare;
pub mod compare_jobs;
pub mod compare_output;
pub mod compare_report;
pub mod inspect;
pub mod predict;
pub mod sine;
pub mod stock;
pub mod trend;
