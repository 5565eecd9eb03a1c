"""Type stubs of the compiled core (python/src/lib.rs)."""

def run(args: list[str]) -> None:
    """Runs ``lstm-stock ARGS...`` in this process; raises InputError, LstmStockError or
    KeyboardInterrupt (Ctrl-C: training stops after the current batch, the files written are
    whole)."""

def versions() -> str:
    """The versions linked, as JSON: lstm_stock, tch, libtorch."""

class InputError(ValueError):
    """Bad input: a file, a column or an argument; the message says which and what to do."""

class LstmStockError(RuntimeError):
    """A failure that is not the input's fault."""
