"""The data side of the standard workload (WORKLOAD.md), standard library only, shared by
this project's PyTorch and Keras peers so that both train on exactly the same windows."""
import csv
import math
import os
import time

STARTED = time.perf_counter()


def closes(path):
    """(dates, closes) sorted by date; rows whose Close is not a finite number are skipped."""
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            try:
                v = float(r["Close"])
            except (TypeError, ValueError):
                continue
            if math.isfinite(v):
                rows.append((r["Date"], v))
    rows.sort()
    return [d for d, _ in rows], [v for _, v in rows]


def windows(prices, window, train_frac=0.8):
    """80/20 split, min-max scaler on the training rows, next-day windows."""
    n = len(prices)
    n_train = int(train_frac * n)
    lo, hi = min(prices[:n_train]), max(prices[:n_train])
    s = [(p - lo) / (hi - lo) for p in prices]
    return {
        "x_train": [s[i - window:i] for i in range(window, n_train)],
        "y_train": [s[i] for i in range(window, n_train)],
        "x_test": [s[i - window:i] for i in range(n_train, n)],
        "actual_test": prices[n_train:],
        "naive_test": prices[n_train - 1:n - 1],
        "lo": lo,
        "hi": hi,
        "n_rows": n,
    }


def rmse(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / len(a))


def flops_per_epoch(model, samples, window, hidden, layers):
    gates = 4 if model == "lstm" else 3
    per_step = sum(2 * gates * ((1 if l == 0 else hidden) + hidden) * hidden for l in range(layers))
    return 3 * per_step * window * samples


def process_s():
    """Seconds since exec, from /proc (as the reference peers measure it)."""
    with open("/proc/self/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    return up - start / os.sysconf("SC_CLK_TCK")


def median(v):
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def report(peer, framework, a, d, epoch_s, pred_scaled, params):
    pred = [p * (d["hi"] - d["lo"]) + d["lo"] for p in pred_scaled]
    med = median(epoch_s)
    flops = flops_per_epoch(a.model, len(d["x_train"]), a.window, a.hidden, a.layers)
    return {
        "peer": peer, "framework": framework, "model": a.model,
        "dataset": os.path.splitext(os.path.basename(a.csv))[0], "n_rows": d["n_rows"],
        "n_train_samples": len(d["x_train"]), "n_test_samples": len(d["x_test"]),
        "window": a.window, "hidden": a.hidden, "layers": a.layers, "epochs": a.epochs,
        "batch_size": a.batch, "threads": a.threads, "params": params,
        "train_s": round(sum(epoch_s), 4), "epoch_s": [round(e, 4) for e in epoch_s],
        "epoch_s_first": round(epoch_s[0], 4), "epoch_s_median": round(med, 4), "epoch_s_min": round(min(epoch_s), 4),
        "test_rmse": round(rmse(pred, d["actual_test"]), 4), "naive_rmse": round(rmse(d["naive_test"], d["actual_test"]), 4),
        "flops_per_epoch": flops, "achieved_gflops_median_epoch": round(flops / med / 1e9, 2),
        "process_s": round(process_s(), 3),
    }


def args(description):
    return parser(description).parse_args()


def parser(description):
    """The standard workload's flags (a peer adds its own before parsing)."""
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--csv", required=True)
    p.add_argument("--model", choices=["lstm", "gru"], default="lstm")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--window", type=int, default=60)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="PyTorch peer only")
    p.add_argument("--json", action="store_true")
    return p
