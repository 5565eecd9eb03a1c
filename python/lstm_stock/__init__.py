"""lstm-stock in a Python process: the command line's commands as functions, on the same Rust
core as the ``lstm-stock`` binary, linked to the libtorch of the ``torch`` beside it.

Each function takes a price file's path or a pandas or polars DataFrame, keyword arguments
named as the command line's flags (``window=40`` for ``--window 40``, ``no_trading=True`` for
``--no-trading``) with the same defaults, and returns a result whose tables are polars
DataFrames (``.to_pandas()`` for pandas, with pyarrow) and whose charts are PNG bytes; the files are written
to ``out`` (a temporary folder when none is given). Progress goes to standard error as the
binary shows it; ``progress=False`` silences it. Bad input raises :class:`InputError` (a
``ValueError``) with the command line's one-line message.

    import lstm_stock
    r = lstm_stock.stock("data/AAPL.csv", model="gru", epochs=20)
    r.metrics["model"]["rmse"], r.metrics["naive"]["rmse"], r.predictions.head()
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import _core
from ._core import InputError, LstmStockError

__all__ = [
    "stock",
    "compare",
    "tune",
    "predict",
    "inspect",
    "InputError",
    "LstmStockError",
    "Result",
    "versions",
]


def versions() -> dict:
    """The versions this package links: lstm-stock, tch and libtorch."""
    return json.loads(_core.versions())


class Result:
    """What a command wrote to ``out``, read back: ``text`` (what it printed), ``files``
    (name to path), ``charts`` (PNG name to bytes), and per command its tables and figures."""

    def __init__(self, out: Path, text: str):
        self.out = out
        self.text = text
        self.files = {p.name: p for p in sorted(out.iterdir()) if p.is_file()}
        self.charts = {n: p.read_bytes() for n, p in self.files.items() if n.endswith(".png")}

    def _json(self, name: str) -> Any:
        return json.loads(self.files[name].read_text()) if name in self.files else None

    def _table(self, name: str):
        import polars

        return polars.read_csv(self.files[name]) if name in self.files else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} in {self.out}: {', '.join(self.files)}>"


class StockResult(Result):
    """``stock``: ``metrics`` (metrics.json), ``predictions`` (predictions.csv) and the saved
    model (``model_dir``, and :meth:`module` as a ``torch.nn.Module``)."""

    def __init__(self, out: Path, text: str):
        super().__init__(out, text)
        self.metrics = self._json("metrics.json")
        self.predictions = self._table("predictions.csv")
        self.model_dir = out / "model" if (out / "model").is_dir() else None

    def module(self):
        """The saved network as a ``torch.nn.Module`` (same weights as ``model/``)."""
        from .torch_model import load

        if self.model_dir is None:
            raise LstmStockError(f"{self.out}: no model/ folder was saved (one is saved for a single file)")
        return load(self.model_dir)


class CompareResult(Result):
    """``compare``: ``report`` (compare.json), ``table`` (compare.csv), ``markdown``
    (compare.md) and ``verdicts``."""

    def __init__(self, out: Path, text: str):
        super().__init__(out, text)
        self.report = self._json("compare.json")
        self.table = self._table("compare.csv")
        self.markdown = self.files["compare.md"].read_text() if "compare.md" in self.files else ""
        self.verdicts = (self.report or {}).get("report", {}).get("verdicts", [])


class TuneResult(Result):
    """``tune``: ``report`` (tune.json), ``trials`` (trials.csv), ``losses`` (losses.csv),
    ``markdown`` (tune.md) and ``verdicts``."""

    def __init__(self, out: Path, text: str):
        super().__init__(out, text)
        self.report = self._json("tune.json")
        self.trials = self._table("trials.csv")
        self.losses = self._table("losses.csv")
        self.markdown = self.files["tune.md"].read_text() if "tune.md" in self.files else ""
        self.verdicts = (self.report or {}).get("report", {}).get("verdicts", [])


class PredictResult(Result):
    """``predict``: ``forecast`` (forecast.csv) with its bands."""

    def __init__(self, out: Path, text: str):
        super().__init__(out, text)
        self.forecast = self._table("forecast.csv")


def _flags(kwargs: dict) -> list[str]:
    """Keyword arguments as flags: ``True`` a switch, ``None``/``False`` left out, a list
    joined as the flag takes it (``;`` between feature sets, ``,`` otherwise), and every value
    attached with ``=`` (so that a value starting with ``-`` stays a value)."""
    args: list[str] = []
    for key, value in kwargs.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            sep = ";" if key == "feature_sets" else ","
            args.append(f"{flag}={sep.join(str(v) for v in value)}")
        else:
            args.append(f"{flag}={value}")
    return args


def _source(data, folder: Path, name: str) -> str:
    """A path for ``data``: itself, or a pandas or polars DataFrame written as CSV (read back
    by the same loader, so columns are found as in a file)."""
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    path = folder / f"{name}.csv"
    if hasattr(data, "write_csv"):  # polars
        data.write_csv(path)
    elif hasattr(data, "to_csv"):  # pandas: a date index (as yfinance gives) becomes a column
        if type(data.index).__name__ != "RangeIndex":
            data = data.reset_index()
        data.to_csv(path, index=False)
    else:
        raise InputError(f"data: expected a path or a pandas or polars DataFrame, got {type(data).__name__}")
    return os.fspath(path)


def _run(command: str, positional: list, out, kwargs: dict, result: type, name: str, progress: bool):
    kwargs = dict(kwargs)
    if kwargs.pop("jobs", 1) != 1:
        raise InputError("jobs: in Python the jobs run in this process; leave jobs at 1")
    if command in ("compare", "tune"):
        kwargs["jobs"] = 1
    scratch = Path(tempfile.mkdtemp(prefix="lstm_stock_"))
    folder = Path(out) if out is not None else scratch / "out"
    try:
        sources = [_source(d, scratch, name) for d in positional]
        text = _captured([command, *sources, f"--out={os.fspath(folder)}", *_flags(kwargs)], progress)
    finally:
        # the DataFrame's copy goes; a temporary output folder stays with the result
        for p in scratch.glob("*.csv"):
            p.unlink()
        if out is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return result(folder, text)


_one_at_a_time = threading.Lock()


def _captured(args: list[str], progress: bool = True) -> str:
    """Runs the command with what it prints to standard output captured (and returned), so
    that a notebook gets it as text. Progress (standard error) is shown, or with ``progress``
    False silenced: errors arrive as exceptions, not on standard error."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    # one command at a time in a process: the standard streams and the core's settings are
    # the process's
    with _one_at_a_time, tempfile.TemporaryFile(mode="w+b") as sink, open(os.devnull, "wb") as null:
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        if not progress:
            os.dup2(null.fileno(), 2)
        try:
            _core.run(args)
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        sink.seek(0)
        return sink.read().decode("utf-8", "replace")


def stock(data, *, out=None, name: str = "data", progress: bool = True, **flags) -> StockResult:
    """Train on a price file or DataFrame, forecast its test period beside naive, save the
    model: ``lstm-stock stock``. ``flags`` are the command's (``model="gru"``, ``epochs=50``)."""
    return _run("stock", [data], out, flags, StockResult, name, progress)


def compare(data, *, out=None, name: str = "data", progress: bool = True, **flags) -> CompareResult:
    """GRU versus LSTM over seeds and walk-forward folds: ``lstm-stock compare``."""
    return _run("compare", [data], out, flags, CompareResult, name, progress)


def tune(data, *, out=None, name: str = "data", progress: bool = True, **flags) -> TuneResult:
    """Each model tuned inside walk-forward folds, the search paid for: ``lstm-stock tune``."""
    return _run("tune", [data], out, flags, TuneResult, name, progress)


def predict(model, data, *, out=None, name: str = "data", progress: bool = True, **flags) -> PredictResult:
    """Forecast the days after the data's last date with a saved model: ``lstm-stock predict``.
    ``model`` is a :class:`StockResult` or the folder ``stock`` wrote."""
    folder = model.out if isinstance(model, StockResult) else model
    return _run("predict", [data], out, {"model": os.fspath(folder), **flags}, PredictResult, name, progress)


def inspect(data, *, name: str = "data", **flags) -> str:
    """Load and check a file without training; returns what ``lstm-stock inspect`` prints."""
    scratch = Path(tempfile.mkdtemp(prefix="lstm_stock_"))
    try:
        return _captured(["inspect", _source(data, scratch, name), *_flags(flags)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
