#!/usr/bin/env python3
"""Times the global network of `lstm-stock panel` against the PyTorch peer on the same training
windows, alternately (ours, the peer, ours, ...), and prints the medians and the ratio (peer
epoch time / ours). With --per-ticker, each of our runs also trains one network per ticker on
its own windows for the same epochs, and the global epoch's cost against one epoch of all the
per-ticker networks is printed too. Called by scripts/bench-panel.

  run_panel.py --bin target/release/lstm-stock --torch-python .venv/bin/python --panel DIR
               [--model gru] [--epochs 3] [--reps 3] [--threads 2] [--per-ticker]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    return json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])


def runner_parser(description, model, epochs):
    """The flags every runner that alternates ours and the peer takes (a runner adds its own)."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--torch-python", required=True)
    p.add_argument("--model", choices=["lstm", "gru"], default=model)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--reps", type=int, default=3, help="alternated runs")
    p.add_argument("--threads", default="2")
    return p


def main():
    p = runner_parser(__doc__, "gru", 3)
    p.add_argument("--panel", default="data/sp500-sample")
    p.add_argument("--per-ticker", action="store_true")
    a = p.parse_args()
    net = ["--model", a.model, "--epochs", str(a.epochs), "--threads", a.threads]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "windows")
        ours = [a.bin, "bench", "--panel", a.panel, "--json"] + net + (["--per-ticker"] if a.per_ticker else [])
        theirs = [a.torch_python, os.path.join(HERE, "peer_torch_panel.py"), "--windows", prefix] + net
        # the first of ours also writes the windows the peer reads
        for rep in range(a.reps):
            r = run(ours + (["--windows-out", prefix] if rep == 0 else []))
            rows.append({"impl": "rust", **r})
            single = f", per-ticker networks {r['per_ticker_epoch_s_median']:.2f} s/epoch" if a.per_ticker else ""
            print(f"rep {rep + 1}/{a.reps}: rust  {r['epoch_s_median']:.2f} s/epoch{single}", file=sys.stderr, flush=True)
            r = run(theirs)
            rows.append({"impl": "torch", **r})
            print(f"rep {rep + 1}/{a.reps}: torch {r['epoch_s_median']:.2f} s/epoch", file=sys.stderr, flush=True)
    med = {i: statistics.median(r["epoch_s_median"] for r in rows if r["impl"] == i) for i in ("rust", "torch")}
    n = rows[0]["n_train_samples"]
    assert all(r["n_train_samples"] == n for r in rows), "both must train on the same windows"
    ratio = med["torch"] / med["rust"]
    print(f"panel {a.panel}: {rows[0]['tickers']} tickers, {n} training windows, {a.model} "
          f"{rows[0]['layers']}x{rows[0]['hidden']}, window {rows[0]['window']}, batch {rows[0]['batch_size']}, "
          f"{a.epochs} epochs x {a.reps} alternated runs, {a.threads} threads")
    print(f"median epoch: rust {med['rust']:.2f} s, torch {med['torch']:.2f} s; torch/rust = {ratio:.2f}")
    summary = {"panel": a.panel, "ratio_torch_over_rust": ratio, "median_epoch_s": med}
    if a.per_ticker:
        single = statistics.median(r["per_ticker_epoch_s_median"] for r in rows if r["impl"] == "rust")
        summary["per_ticker_epoch_s"] = single
        summary["ratio_global_over_per_ticker"] = med["rust"] / single
        print(f"one epoch of the {rows[0]['tickers']} per-ticker networks (each over its own windows): "
              f"{single:.2f} s; one global epoch costs {med['rust'] / single:.2f} of it")
    out = os.path.join(HERE, "results", "panel-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ") + ".json")
    with open(out, "w") as f:
        json.dump({**summary, "runs": rows}, f, indent=1)
    print(f"wrote {os.path.relpath(out)}")


if __name__ == "__main__":
    main()
