#!/usr/bin/env python3
"""Runs `lstm-stock bench` and this project's PyTorch and Keras peers on the standard workload,
alternately (round-robin, so slow drifts of the machine hit every implementation alike), and
prints a table of medians and ratios (peer time / our time). Called by scripts/bench.

  run.py --bin target/release/lstm-stock --torch-python .venv/bin/python
         [--keras-python .venv-peers/bin/python] [--reps 3] [--sizes small,large] [--contended]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {"small": ("data/AAPL.csv", 64, 20), "large": ("data/MSFT.csv", 128, 3)}


def command(impl, a, csv, model, hidden, epochs, threads="2"):
    flags = ["--csv", csv, "--model", model, "--hidden", str(hidden), "--epochs", str(epochs),
             "--window", "60", "--batch", "64", "--threads", threads, "--json"]
    if a.device != "cpu":
        flags += ["--device", a.device]
    if impl.startswith("rust"):
        return [a.bin, "bench"] + flags
    py = a.torch_python if impl == "torch" else a.keras_python
    return [py, os.path.join(HERE, f"peer_{impl}.py")] + flags


# `rust-libtorch`: the same binary with its hand-written GRU and LSTM steps turned off
# (libtorch's kernels, oneDNN's for the LSTM, and autograd)
ENV = {"rust-libtorch": {"LSTM_STOCK_GRU": "libtorch", "LSTM_STOCK_LSTM": "libtorch"}}


def run_one(cmd, impl="rust"):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **ENV.get(impl, {})})
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    r = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
    r["wall_outer_s"] = round(wall, 3)
    return r


def table(rows, impls):
    out = ["| size | model | " + " | ".join(f"{i} epoch" for i in impls) + " | "
           + " | ".join(f"{i}/rust" for i in impls if i != "rust") + " | "
           + " | ".join(f"{i} process" for i in impls) + " | "
           + " | ".join(f"{i} test RMSE" for i in impls) + " | naive RMSE |",
           "|---|---|" + "---:|" * (4 * len(impls))]
    keys = sorted({(r["size"], r["model"]) for r in rows}, key=lambda k: (k[0] != "small", k[1]))
    for size, model in keys:
        sel = {i: [r for r in rows if r["size"] == size and r["model"] == model and r["impl"] == i] for i in impls}
        med = {i: statistics.median(r["epoch_s_median"] for r in sel[i]) for i in impls if sel[i]}
        proc = {i: statistics.median(r["process_s"] for r in sel[i]) for i in impls if sel[i]}
        rm = {i: statistics.median(r["test_rmse"] for r in sel[i]) for i in impls if sel[i]}
        naive = next(r["naive_rmse"] for i in impls for r in sel[i])
        line = f"| {size} | {model} | " + " | ".join(f"{med.get(i, float('nan')):.3f}" for i in impls) + " | "
        line += " | ".join(f"{med[i] / med['rust']:.2f}x" if i in med else "n/a" for i in impls if i != "rust") + " | "
        line += " | ".join(f"{proc.get(i, float('nan')):.2f}" for i in impls) + " | "
        line += " | ".join(f"{rm.get(i, float('nan')):.3f}" for i in impls) + f" | {naive:.3f} |"
        out.append(line)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--torch-python", required=True)
    ap.add_argument("--keras-python")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", default="small,large")
    ap.add_argument("--models", default="lstm,gru")
    ap.add_argument("--contended", action="store_true", help="also run rust and torch with a busy loop on one core")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="cuda: ours and the PyTorch peer on the GPU (no Keras)")
    ap.add_argument("--small-epochs", type=int, help="epochs of the small workload (default 20)")
    ap.add_argument("--large-epochs", type=int, help="epochs of the large workload (default 3)")
    ap.add_argument("--tag", default="", help="added to the results file name")
    ap.add_argument("--before", action="store_true", help="also run ours with the hand-written GRU and LSTM steps off")
    ap.add_argument("--threads", default="2", help="threads of every implementation (the workload's 2 by default)")
    a = ap.parse_args()
    impls = ["rust"] + (["rust-libtorch"] if a.before else []) + ["torch"]
    impls += ["keras"] if a.keras_python and a.device == "cpu" else []
    for size, epochs in [("small", a.small_epochs), ("large", a.large_epochs)]:
        if epochs:
            SIZES[size] = SIZES[size][:2] + (epochs,)
    rows = []
    for size in a.sizes.split(","):
        csv, hidden, epochs = SIZES[size]
        for model in a.models.split(","):
            for rep in range(a.reps):
                order = impls[rep % len(impls):] + impls[:rep % len(impls)]
                for impl in order:
                    r = run_one(command(impl, a, csv, model, hidden, epochs, a.threads), impl)
                    r.update(size=size, impl=impl, rep=rep, condition="idle")
                    rows.append(r)
                    print(f"{size} {model} rep {rep + 1}/{a.reps} {impl:13}: epoch median {r['epoch_s_median']:.3f} s, "
                          f"process {r['process_s']:.2f} s, test RMSE {r['test_rmse']}", file=sys.stderr, flush=True)
    print(table(rows, impls))
    if a.contended:
        contended = []
        for model in a.models.split(","):
            for rep in range(a.reps):
                for impl in ["rust", "torch"]:
                    csv, hidden, epochs = SIZES["small"]
                    # ours picks its thread count from the cores that are free (--threads auto);
                    # PyTorch keeps the workload's 2 threads, as a script written for it would
                    threads = "auto" if impl == "rust" else "2"
                    idle = run_one(command(impl, a, csv, model, hidden, epochs, threads))
                    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                    try:
                        time.sleep(0.5)
                        loaded = run_one(command(impl, a, csv, model, hidden, epochs, threads))
                    finally:
                        busy.kill()
                    for r, cond in [(idle, "idle"), (loaded, "contended")]:
                        r.update(size="small", impl=impl, rep=rep, condition=cond)
                        contended.append(r)
                    print(f"contended {model} {impl}: idle {idle['epoch_s_median']:.3f} s, busy core {loaded['epoch_s_median']:.3f} s "
                          f"({loaded['epoch_s_median'] / idle['epoch_s_median']:.2f}x)", file=sys.stderr, flush=True)
        print("\n| model | impl | idle epoch | one core busy | slowdown |\n|---|---|---:|---:|---:|")
        for model in a.models.split(","):
            for impl in ["rust", "torch"]:
                sel = [r for r in contended if r["model"] == model and r["impl"] == impl]
                i = statistics.median(r["epoch_s_median"] for r in sel if r["condition"] == "idle")
                c = statistics.median(r["epoch_s_median"] for r in sel if r["condition"] == "contended")
                print(f"| {model} | {impl} | {i:.3f} | {c:.3f} | {c / i:.2f}x |")
        rows += contended
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    path = os.path.join(os.environ.get("BENCH_RESULTS", os.path.join(HERE, "results")), f"bench-{a.tag}{stamp}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump({"when": stamp, "reps": a.reps, "device": a.device, "threads": a.threads, "runs": rows}, f, indent=1)
    os.replace(path + ".tmp", path)
    print(f"\nwrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
