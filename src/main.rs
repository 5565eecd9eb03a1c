//! Thin entry point: parse, run, print the error chain on one line, exit with a code that
//! says whose problem it was (2: bad input, 1: anything else).

fn main() {
    // Die quietly when the reader of our output goes away (`lstm-stock ... | head`), as Unix
    // tools do, instead of panicking on a failed print.
    // SAFETY: setting a signal's disposition to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    lstm_stock::device::keep_freed_memory();
    let cli = match lstm_stock::cli::Cli::try_parse_given_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            eprintln!("{}", lstm_stock::cli::one_line(&e.to_string()));
            std::process::exit(2);
        }
    };
    if let Err(err) = cli.into_command().and_then(lstm_stock::commands::run) {
        eprintln!("error: {err:#}");
        std::process::exit(lstm_stock::error::exit_code(&err));
    }
}
