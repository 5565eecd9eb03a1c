#!/usr/bin/env python3
"""This project's PyTorch peer for the panel workload: eager PyTorch training the global network
of `lstm-stock panel` on exactly its training windows (written by `lstm-stock bench --panel DIR
--windows-out PREFIX`), as `panel` trains it: Adam, MSE, shuffled batches, the gradient's global
norm clipped, the loss summed on the device and read back once an epoch. One JSON line with the
keys of `lstm-stock bench --panel`."""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload as wl  # noqa: E402

import torch  # noqa: E402


class Net(torch.nn.Module):
    def __init__(self, kind, channels, hidden, layers):
        super().__init__()
        cell = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        self.rnn = cell(channels, hidden, layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


def load(prefix):
    with open(prefix + ".json") as f:
        shape = json.load(f)
    n, w, c = shape["samples"], shape["window"], shape["channels"]
    read = lambda ext: torch.frombuffer(bytearray(open(prefix + ext, "rb").read()), dtype=torch.float32)
    return read(".x.f32").view(n, w, c), read(".y.f32").view(n, 1)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--windows", required=True, help="PREFIX written by lstm-stock bench --panel --windows-out")
    p.add_argument("--model", choices=["lstm", "gru"], default="gru")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.windows)
    net = Net(a.model, x.shape[2], a.hidden, a.layers)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    epoch_s, last = [], float("nan")
    t_train = time.perf_counter()
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        total = torch.zeros(())
        for idx in torch.randperm(len(x)).split(a.batch):
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(net(x[idx]), y[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), a.clip)
            opt.step()
            total += loss.detach() * len(idx)
        last = total.item() / len(x)
        epoch_s.append(time.perf_counter() - t0)
    med = wl.median(epoch_s)
    flops = wl.flops_per_epoch(a.model, len(x), x.shape[1], a.hidden, a.layers)
    print(json.dumps({
        "peer": "torch", "framework": f"torch {torch.__version__}", "workload": "panel",
        "model": a.model, "n_train_samples": len(x), "window": x.shape[1], "hidden": a.hidden,
        "layers": a.layers, "epochs": a.epochs, "batch_size": a.batch, "lr": a.lr, "clip": a.clip,
        "threads": a.threads, "params": sum(q.numel() for q in net.parameters()),
        "train_s": round(time.perf_counter() - t_train, 3), "epoch_s": [round(e, 4) for e in epoch_s],
        "epoch_s_median": round(med, 4), "final_train_loss": last, "flops_per_epoch": flops,
        "achieved_gflops_median_epoch": round(flops / med / 1e9, 2), "process_s": round(wl.process_s(), 3),
    }), flush=True)


if __name__ == "__main__":
    main()
