//! `lstm_stock._core`: the command line's commands run in the Python process. The Python
//! package (`python/lstm_stock`) turns keyword arguments into a command line and reads the
//! outputs back; this side parses it exactly as the binary does, runs it with the GIL
//! released, and raises the binary's one-line error as a Python exception.

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    _core,
    InputError,
    PyValueError,
    "Bad input: a file, a column or an argument; the message says which and what to do."
);
create_exception!(_core, LstmStockError, PyRuntimeError, "A failure that is not the input's fault.");

/// Runs `lstm-stock ARGS...` in this process (the GIL released while it works).
#[pyfunction]
fn run(py: Python<'_>, args: Vec<String>) -> PyResult<()> {
    let argv = std::iter::once("lstm-stock".to_string()).chain(args);
    let cli = match lstm_stock::cli::Cli::try_parse_given_from(argv) {
        Ok(cli) => cli,
        Err(e) => return Err(InputError::new_err(lstm_stock::cli::one_line(&e.to_string()))),
    };
    let outcome = py.allow_threads(|| cli.into_command().and_then(lstm_stock::commands::run));
    outcome.map_err(|err| {
        let message = format!("{err:#}");
        if lstm_stock::error::exit_code(&err) == lstm_stock::error::EXIT_BAD_INPUT {
            InputError::new_err(message)
        } else {
            LstmStockError::new_err(message)
        }
    })
}

/// The versions this build links: lstm-stock, tch and libtorch.
#[pyfunction]
fn versions() -> String {
    lstm_stock::versions::record().to_string()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    lstm_stock::device::keep_freed_memory();
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(versions, m)?)?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add("LstmStockError", m.py().get_type::<LstmStockError>())?;
    Ok(())
}
