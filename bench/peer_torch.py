#!/usr/bin/env python3
"""This project's PyTorch peer for the standard workload (WORKLOAD.md): eager PyTorch, the
same windows as `lstm-stock bench`, one JSON line with the same keys."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload as wl  # noqa: E402

import torch  # noqa: E402


class Net(torch.nn.Module):
    def __init__(self, kind, hidden, layers):
        super().__init__()
        cell = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        self.rnn = cell(1, hidden, layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


def main():
    a = wl.args(__doc__)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    _, prices = wl.closes(a.csv)
    d = wl.windows(prices, a.window)
    dev = torch.device(a.device)
    x = torch.tensor(d["x_train"]).unsqueeze(-1).to(dev)
    y = torch.tensor(d["y_train"]).unsqueeze(-1).to(dev)
    net = Net(a.model, a.hidden, a.layers).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    epoch_s = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        for idx in torch.randperm(len(x), device=dev).split(a.batch):
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss.item()  # the per-batch read-back the workload includes (a sync on CUDA)
        epoch_s.append(time.perf_counter() - t0)
    net.eval()
    with torch.no_grad():
        pred = net(torch.tensor(d["x_test"]).unsqueeze(-1).to(dev)).squeeze(-1).tolist()
    params = sum(p.numel() for p in net.parameters())
    r = wl.report("torch", f"torch {torch.__version__}", a, d, epoch_s, pred, params)
    r["device"] = torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
