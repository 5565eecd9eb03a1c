"""The lstm_stock package against the lstm-stock binary: the same flags give the same figures,
a DataFrame gives what its file gives, bad input raises the binary's message as InputError,
torch and lstm_stock share one libtorch in either import order, and the returned
torch.nn.Module forecasts as predict does. Run by scripts/test (LSTM_STOCK_BIN names the
binary)."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import polars
import pytest

import lstm_stock

ROOT = Path(__file__).resolve().parents[2]
AAPL = ROOT / "data" / "AAPL.csv"
BIN = os.environ.get("LSTM_STOCK_BIN", str(ROOT / "target" / "release" / "lstm-stock"))
SMALL = {"model": "gru", "epochs": 3, "window": 20, "hidden": 16, "layers": 1, "threads": 1, "device": "cpu"}


def cli(*args):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)


def flags(kw):
    out = []
    for k, v in kw.items():
        out += [f"--{k.replace('_', '-')}", str(v)]
    return out


def test_stock_gives_the_binarys_figures(tmp_path):
    r = lstm_stock.stock(AAPL, out=tmp_path / "py", **SMALL)
    o = cli("stock", AAPL, "--out", tmp_path / "cli", *flags(SMALL))
    assert o.returncode == 0, o.stderr
    want = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    assert r.metrics["model"] == want["model"] and r.metrics["naive"] == want["naive"]
    assert r.predictions.equals(polars.read_csv(tmp_path / "cli" / "predictions.csv"))
    assert r.charts["prediction.png"][:4] == b"\x89PNG"
    assert "naive (tomorrow = today)" in r.text


@pytest.mark.parametrize("kind", ["polars", "pandas"])
def test_a_dataframe_gives_what_its_file_gives(tmp_path, kind):
    frame = polars.read_csv(AAPL)
    if kind == "pandas":
        pd = pytest.importorskip("pandas")
        frame = pd.read_csv(AAPL)
    a = lstm_stock.stock(frame, out=tmp_path / "frame", **SMALL)
    b = lstm_stock.stock(AAPL, out=tmp_path / "file", **SMALL)
    assert a.metrics["model"] == b.metrics["model"]
    assert a.predictions.equals(b.predictions)


def test_bad_input_raises_the_binarys_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2020-01-01,10\n2020-01-02,abc\n")
    with pytest.raises(lstm_stock.InputError) as e:
        lstm_stock.stock(bad, out=tmp_path / "out", **SMALL)
    assert isinstance(e.value, ValueError)
    o = cli("stock", bad, "--out", tmp_path / "cli", *flags(SMALL))
    assert o.returncode == 2
    assert o.stderr.strip() == f"error: {e.value}"
    with pytest.raises(lstm_stock.InputError, match="--window 0"):
        lstm_stock.stock(AAPL, out=tmp_path / "w", window=0)
    with pytest.raises(lstm_stock.InputError, match="unexpected argument '--no-such-flag'"):
        lstm_stock.stock(AAPL, out=tmp_path / "f", no_such_flag=3)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("order", ["import torch, lstm_stock", "import lstm_stock, torch"])
def test_one_libtorch_in_either_import_order(order):
    code = (
        f"{order}\n"
        "maps = open('/proc/self/maps').read().splitlines()\n"
        "libs = {l.split()[-1] for l in maps if 'libtorch_cpu.so' in l}\n"
        "assert len(libs) == 1, libs\n"
        "print(lstm_stock.versions()['libtorch'], torch.__version__)"
    )
    o = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert o.returncode == 0, o.stderr
    ours, theirs = o.stdout.split()
    assert ours == theirs


def test_the_module_forecasts_as_predict_does(tmp_path):
    r = lstm_stock.stock(AAPL, out=tmp_path / "run", **SMALL)
    p = lstm_stock.predict(r, AAPL, out=tmp_path / "fc", days=1)
    net = r.module()
    card = net.card
    assert card["input"]["target"] == "log-return" and not card["input"]["features"]
    close = polars.read_csv(AAPL)["Close"].to_list()
    s = card["scalers"][0]
    span = s["max"] - s["min"] if s["max"] > s["min"] else 1.0
    returns = [math.log(b / a) for a, b in zip(close[:-1], close[1:])]
    window = [[(v - s["min"]) / span] for v in returns[-card["input"]["window"] :]]
    import torch

    with torch.no_grad():
        y = net(torch.tensor([window], dtype=torch.float32))[0, 0].item()
    ours = close[-1] * math.exp(s["min"] + y * span)
    theirs = p.forecast["forecast"][0]
    # one libtorch computes both (measured: equal to the last bit); a millionth allows another CPU's kernels
    assert abs(ours - theirs) <= 1e-6 * theirs, (ours, theirs)


def test_compare_gives_the_binarys_report(tmp_path):
    kw = {"seeds": 2, "folds": 2, "epochs": 2, "window": 10, "hidden": 8, "layers": 1, "threads": 1}
    r = lstm_stock.compare(AAPL, out=tmp_path / "py", **kw)
    o = cli("compare", AAPL, "--out", tmp_path / "cli", "--jobs", "1", *flags(kw))
    assert o.returncode == 0, o.stderr
    want = json.loads((tmp_path / "cli" / "compare.json").read_text())["report"]
    assert [m["mean"] for m in r.report["report"]["models"]] == [m["mean"] for m in want["models"]]
    assert r.verdicts == want["verdicts"] and r.verdicts
    assert r.table.height == 5


def test_the_gil_is_released_while_a_command_runs(tmp_path):
    import threading

    done = threading.Event()
    counted = []

    def count():
        n = 0
        while not done.is_set():
            n += 1
        counted.append(n)

    t = threading.Thread(target=count)
    t.start()
    try:
        lstm_stock.stock(AAPL, out=tmp_path / "run", **SMALL)
    finally:
        done.set()
        t.join()
    # the run takes seconds; with the GIL held through it, the counting thread would count only
    # in the milliseconds of Python around it (under a million), released it counts tens of millions
    assert counted[0] > 3_000_000, counted


def test_ctrl_c_stops_training_and_raises_keyboard_interrupt(tmp_path):
    # a run that would take minutes, interrupted after a second; then a second run in the same
    # process, which must not see the first one's Ctrl-C
    code = f"""
import os, signal, threading, time, lstm_stock
threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
t0 = time.time()
try:
    lstm_stock.stock({str(AAPL)!r}, out={str(tmp_path / 'long')!r}, epochs=100000, patience=100000, threads=1, device='cpu')
    print("not interrupted")
except KeyboardInterrupt as e:
    print("interrupted after", round(time.time() - t0, 1), "s:", e)
r = lstm_stock.stock({str(AAPL)!r}, out={str(tmp_path / 'next')!r}, epochs=3, patience=100, threads=1)
print("next run interrupted:", "interrupted" in r.text)
"""
    o = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert o.returncode == 0, o.stderr
    assert "interrupted after" in o.stdout and "the files written are whole" in o.stdout, o.stdout
    seconds = float(o.stdout.split("interrupted after")[1].split()[0])
    assert seconds < 60, o.stdout
    # nothing half-written: no temporary file left, and the interrupted run's files are whole
    left = [p.name for p in (tmp_path / "long").rglob("*") if ".tmp" in p.name]
    assert not left, left
    assert json.loads((tmp_path / "long" / "metrics.json").read_text())["model"]
    # the first run's interruption said so; the next run's did not happen
    assert "next run interrupted: False" in o.stdout, o.stdout


def test_the_notebook_example_runs(tmp_path):
    pytest.importorskip("matplotlib")
    script = ROOT / "python" / "examples" / "notebook.py"
    o = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, env={**os.environ, "QUICK": "1"}
    )
    assert o.returncode == 0, o.stderr
    assert "against naive's" in o.stdout and o.stdout.count("\n- ") >= 1, o.stdout
    assert (tmp_path / "notebook.png").read_bytes()[:4] == b"\x89PNG"


def test_predict_and_inspect_give_the_binarys_output(tmp_path):
    r = lstm_stock.stock(AAPL, out=tmp_path / "run", **SMALL)
    p = lstm_stock.predict(r, AAPL, out=tmp_path / "py", days=5)
    o = cli("predict", "--model", tmp_path / "run", AAPL, "--out", tmp_path / "cli", "--days", 5)
    assert o.returncode == 0, o.stderr
    assert p.forecast.equals(polars.read_csv(tmp_path / "cli" / "forecast.csv"))
    text = lstm_stock.inspect(AAPL, window=20)
    o = cli("inspect", AAPL, "--window", 20)
    assert o.returncode == 0, o.stderr
    # the same lines, timings aside
    strip = lambda t: [l for l in t.splitlines() if not l.startswith("time:")]
    assert strip(text) == strip(o.stdout) and strip(text), (text, o.stdout)


def test_progress_can_be_silenced(tmp_path):
    code = f"""
import lstm_stock
lstm_stock.stock({str(AAPL)!r}, out={str(tmp_path / 'a')!r}, epochs=2, threads=1, progress=False)
"""
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    loud = subprocess.run([sys.executable, "-c", code.replace("progress=False", "progress=True").replace("'a'", "'b'")], capture_output=True, text=True)
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr + loud.stderr
    assert "epoch" in loud.stderr, loud.stderr
    assert "epoch" not in quiet.stderr, quiet.stderr


def test_a_pandas_date_index_and_flags_given_as_values(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(AAPL).set_index("Date")
    a = lstm_stock.stock(frame, out=tmp_path / "indexed", **SMALL)
    b = lstm_stock.stock(AAPL, out=tmp_path / "file", **SMALL)
    assert a.metrics["model"] == b.metrics["model"]
    # a list joined as the flag takes it, a value that starts with "-" kept a value
    assert lstm_stock._flags({"features": ["volume", "hl_range"], "feature_sets": ["none", "volume"]}) == [
        "--features=volume,hl_range",
        "--feature-sets=none;volume",
    ]
    with pytest.raises(lstm_stock.InputError, match="--dropout -0.5"):
        lstm_stock.stock(AAPL, out=tmp_path / "neg", dropout=-0.5)
    # the folder of a DataFrame's copy is gone once out= holds the results
    assert not any(p.name.endswith(".csv") and "lstm_stock_" in str(p) for p in tmp_path.iterdir())
