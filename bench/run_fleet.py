#!/usr/bin/env python3
"""The fleet workload: K networks of the standard workload trained as our fleet
(`lstm-stock bench --fleet K`), by us one after another (`--one-by-one`, each batch split over
the threads) and by PyTorch (bench/peer_torch_fleet.py) in a loop of `nn.LSTM`s and stacked
under `torch.func.vmap`, alternated in one run, for each K. Prints the seconds per network and
epoch, the ratios, how far the fleet is from the floor that this machine's peak matrix-product
rate (a 2048 x 2048 product timed in the same run, same threads) puts under one network's
epoch, and how far the stacked peer's validation loss is from its loop's (the same networks).
Results go to bench/results/fleet-*.json. Called by `scripts/bench --fleet`.

  run_fleet.py --bin target/release/lstm-stock --torch-python .venv/bin/python
               [--csv data/AAPL.csv] [--model lstm] [--k 8,40,505] [--epochs 2] [--reps 3] [--threads 2]
"""
import datetime
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_panel import run, runner_parser  # noqa: E402

PEAK = """
import time, torch
torch.set_num_threads({threads})
a = torch.randn(2048, 2048); b = torch.randn(2048, 2048)
a @ b
best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(10))
print(2 * 2048 ** 3 / best / 1e9)
"""


def main():
    p = runner_parser(__doc__, "lstm", 2)
    p.add_argument("--csv", default="data/AAPL.csv")
    p.add_argument("--k", default="8,40,505", help="fleet sizes (one run each for 100 networks or more)")
    a = p.parse_args()
    common = ["--csv", a.csv, "--model", a.model, "--epochs", str(a.epochs), "--threads", a.threads]
    rows = []
    for k in [int(v) for v in a.k.split(",")]:
        impls = {
            "rust-fleet": [a.bin, "bench", "--json", "--fleet", str(k)] + common,
            "rust-one-by-one": [a.bin, "bench", "--json", "--fleet", str(k), "--one-by-one"] + common,
            "torch-loop": [a.torch_python, os.path.join(HERE, "peer_torch_fleet.py"), "--fleet", str(k)] + common,
            "torch-stacked": [a.torch_python, os.path.join(HERE, "peer_torch_fleet.py"), "--fleet", str(k),
                              "--stacked"] + common,
        }
        for rep in range(a.reps if k < 100 else 1):
            for name, cmd in impls.items():
                r = run(cmd)
                rows.append({"impl": name, **r})
                print(f"K={k} rep {rep + 1}: {name:16} {r['network_epoch_s']:.4f} s per network-epoch", file=sys.stderr, flush=True)
    peak = float(subprocess.run([a.torch_python, "-c", PEAK.format(threads=a.threads)], capture_output=True,
                                text=True, check=True).stdout)
    flops = rows[0]["flops_per_network_epoch"]
    floor = flops / (peak * 1e9)
    print(f"{a.model}, {a.epochs} epochs, {a.threads} threads; peak matmul {peak:.0f} GFLOP/s: floor {floor:.4f} s per network-epoch")
    print("| networks | fleet | one by one | PyTorch loop | PyTorch stacked | one by one / fleet | PyTorch loop / fleet "
          "| PyTorch stacked / fleet | fleet / floor |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary = []
    for k in dict.fromkeys(r["networks"] for r in rows):
        med = {i: statistics.median(r["network_epoch_s"] for r in rows if r["networks"] == k and r["impl"] == i)
               for i in ("rust-fleet", "rust-one-by-one", "torch-loop", "torch-stacked")}
        f, o, t, v = med["rust-fleet"], med["rust-one-by-one"], med["torch-loop"], med["torch-stacked"]
        print(f"| {k} | {f:.4f} s | {o:.4f} s | {t:.4f} s | {v:.4f} s | {o / f:.2f}x | {t / f:.2f}x | {v / f:.2f}x "
              f"| {f / floor:.2f}x |")
        summary.append({"networks": k, "median_network_epoch_s": med, "one_by_one_over_fleet": o / f,
                        "torch_over_fleet": t / f, "torch_stacked_over_fleet": v / f, "fleet_over_floor": f / floor})
        # the stacked peer starts from the loop's weights and batch orders: only rounding may part them
        val = {i: next(r["mean_last_val_loss"] for r in rows if r["networks"] == k and r["impl"] == i)
               for i in ("torch-loop", "torch-stacked")}
        summary[-1]["stacked_vs_loop_val_rel_diff"] = abs(val["torch-stacked"] / val["torch-loop"] - 1)
    print("PyTorch stacked against its loop (the same networks), mean last validation loss apart: "
          + ", ".join(f"K={r['networks']} {r['stacked_vs_loop_val_rel_diff']:.1e}" for r in summary))
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    out = os.path.join(HERE, "results", f"fleet-{stamp}.json")
    with open(out, "w") as f:
        json.dump({"peak_gflops": peak, "floor_s": floor, "summary": summary, "runs": rows}, f, indent=1)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
