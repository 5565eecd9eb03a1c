#!/usr/bin/env python3
"""This project's PyTorch peer for the fleet workload of `lstm-stock bench --fleet K`: K networks
of the standard workload (seeds --seed, --seed + 1, ...), trained one after another in a loop of
`nn.LSTM`s (or `nn.GRU`s), as our fleet trains them: Adam, MSE, shuffled batches, the
gradient's global norm clipped at 1, the loss summed on the device and read back once an epoch,
the test windows scored after every epoch as a validation part and the best epoch's weights
kept. PyTorch has no way to step such networks together: `torch.func.vmap` does not support
`nn.LSTM` or `nn.GRU`. One JSON line with the keys of `lstm-stock bench --fleet`."""
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload as wl  # noqa: E402

import torch  # noqa: E402
from peer_torch import Net  # noqa: E402


def main():
    p = wl.parser(__doc__)
    p.add_argument("--fleet", type=int, required=True, help="networks")
    a = p.parse_args()
    if a.device != "cpu":
        sys.exit("peer_torch_fleet.py: the fleet workload runs on the CPU only")
    torch.set_num_threads(a.threads)
    _, prices = wl.closes(a.csv)
    d = wl.windows(prices, a.window)
    x = torch.tensor(d["x_train"]).unsqueeze(-1)
    y = torch.tensor(d["y_train"]).unsqueeze(-1)
    vx = torch.tensor(d["x_test"]).unsqueeze(-1)
    vy = torch.tensor([(v - d["lo"]) / (d["hi"] - d["lo"]) for v in d["actual_test"]]).unsqueeze(-1)
    last_val = []
    t_train = time.perf_counter()
    for i in range(a.fleet):
        torch.manual_seed(a.seed + i)
        net = Net(a.model, a.hidden, a.layers)
        opt = torch.optim.Adam(net.parameters(), lr=a.lr)
        best, kept = float("inf"), None
        for _ in range(a.epochs):
            net.train()
            total = torch.zeros(())
            for idx in torch.randperm(len(x)).split(a.batch):
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.mse_loss(net(x[idx]), y[idx])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                total += loss.detach() * len(idx)
            total.item()
            net.eval()
            with torch.no_grad():
                val = torch.nn.functional.mse_loss(net(vx), vy).item()
            if val < best:
                best, kept = val, copy.deepcopy(net.state_dict())
        net.load_state_dict(kept)
        last_val.append(val)
    train_s = time.perf_counter() - t_train
    print(json.dumps({
        "peer": "torch-loop", "framework": f"torch {torch.__version__}", "workload": "fleet",
        "model": a.model, "networks": a.fleet, "n_train_samples": len(x), "n_val_samples": len(vx),
        "window": a.window, "hidden": a.hidden, "layers": a.layers, "epochs": a.epochs,
        "batch_size": a.batch, "lr": a.lr, "clip": 1.0, "seed": a.seed, "threads": a.threads,
        "train_s": round(train_s, 3), "network_epoch_s": round(train_s / (a.fleet * a.epochs), 5),
        "mean_last_val_loss": sum(last_val) / len(last_val),
        "flops_per_network_epoch": wl.flops_per_epoch(a.model, len(x), a.window, a.hidden, a.layers),
    }), flush=True)


if __name__ == "__main__":
    main()
