//! Upper bounds of sizes and counts. Beyond them a run could not finish in any reasonable time
//! or fit in any machine's memory; each is refused naming its flag, instead of being left to an
//! allocation failure inside libtorch or a run that never ends. (Memory within them is checked
//! against the machine once the file's length is known: `pipeline::check_memory`.)

pub const EPOCHS: usize = 100_000;
pub const HIDDEN: i64 = 65_536;
pub const LAYERS: i64 = 64;
pub const WINDOW: usize = 100_000;
pub const BATCH: usize = 1 << 24;
pub const THREADS: usize = 4096;
pub const HORIZON: usize = 1000;
/// `predict --days`: ten years of trading days.
pub const DAYS: usize = 2520;
/// `--seeds`, `--folds`, `--repeat`, `--periods`, `--jobs`.
pub const COUNT: usize = 1000;
/// `sine --period`.
pub const PERIOD: usize = 100_000;
