//! Errors that are the user's to fix.
//!
//! Anything wrapped in [`InputError`] is a problem with a file, a column or a flag the user
//! gave us: `main` prints it as one line and exits with [`EXIT_BAD_INPUT`]. Every other error
//! (a libtorch failure, a full disk) exits with 1.

use std::fmt;

/// Exit code for bad input (a file, a column, a flag).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for everything else.
pub const EXIT_FAILURE: i32 = 1;

/// A message about the user's input, already phrased as one line that says what to do.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Builds an [`InputError`] wrapped in `anyhow`, so it can travel with `?`.
pub fn input_error(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(InputError(msg.into()))
}

/// `bail!` for bad input: returns an [`InputError`] from the current function.
#[macro_export]
macro_rules! bail_input {
    ($($arg:tt)*) => {
        return Err($crate::error::input_error(format!($($arg)*)))
    };
}

/// The process exit code that fits an error chain.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| e.is::<InputError>()) {
        EXIT_BAD_INPUT
    } else {
        EXIT_FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn input_errors_keep_their_exit_code_under_context() {
        let err = Err::<(), _>(input_error("bad column")).context("loading data/x.csv").unwrap_err();
        assert_eq!(exit_code(&err), EXIT_BAD_INPUT);
        assert_eq!(format!("{err:#}"), "loading data/x.csv: bad column");
        assert_eq!(exit_code(&anyhow::anyhow!("disk full")), EXIT_FAILURE);
    }
}
