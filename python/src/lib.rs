//! `lstm_stock._core`: the command line's commands run in the Python process. The Python
//! package (`python/lstm_stock`) turns keyword arguments into a command line and reads the
//! outputs back; this side parses it exactly as the binary does, runs it with the GIL
//! released, and raises the binary's one-line error as a Python exception.

use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
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
    // The command runs on a thread of its own while this one, holding the GIL only briefly,
    // watches Python's signals: Ctrl-C (KeyboardInterrupt) asks training to stop after the
    // current batch, as the binary's first Ctrl-C does; the command then finishes writing
    // whole files, and KeyboardInterrupt is raised.
    lstm_stock::interrupt::embed();
    lstm_stock::interrupt::reset();
    // each command starts as in a fresh process (the batch split follows libtorch's count), and
    // the caller's torch keeps its own thread count
    let threads = lstm_stock::engine::threads::libtorch();
    lstm_stock::engine::workers::reset();
    let command = cli.into_command().map_err(|err| error(&err))?;
    let worker = std::thread::spawn(move || lstm_stock::commands::run(command));
    // the first signal's exception (Ctrl-C's KeyboardInterrupt, or what a handler raised);
    // later ones are taken too, so that none goes off in the caller's cleanup
    let mut raised: Option<PyErr> = None;
    while !worker.is_finished() {
        py.allow_threads(|| std::thread::sleep(std::time::Duration::from_millis(50)));
        if let Err(e) = py.check_signals() {
            if raised.is_none() {
                lstm_stock::interrupt::request();
                raised = Some(e);
            }
        }
    }
    let outcome = worker.join();
    lstm_stock::interrupt::reset();
    lstm_stock::engine::threads::use_exactly(threads);
    let outcome = outcome.map_err(|_| LstmStockError::new_err("the command panicked"))?;
    match raised {
        Some(e) if e.is_instance_of::<PyKeyboardInterrupt>(py) => Err(PyKeyboardInterrupt::new_err(
            "interrupted: training stopped after the current batch; the files written are whole",
        )),
        Some(e) => Err(e),
        None => outcome.map_err(|err| error(&err)),
    }
}

/// The binary's one-line message as Python's exception: [`InputError`] where the binary exits
/// with 2 (the input's fault), [`LstmStockError`] otherwise.
fn error(err: &anyhow::Error) -> PyErr {
    let message = format!("{err:#}");
    if lstm_stock::error::exit_code(err) == lstm_stock::error::EXIT_BAD_INPUT {
        InputError::new_err(message)
    } else {
        LstmStockError::new_err(message)
    }
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
