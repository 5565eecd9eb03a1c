//! One module per subcommand; each takes a validated config and does the whole job.

pub mod bench;
pub mod inspect;
pub mod sine;
pub mod stock;
pub mod trend;
