#!/usr/bin/env python3
"""This project's PyTorch peer for the fleet workload of `lstm-stock bench --fleet K`: K networks
of the standard workload (seeds --seed, --seed + 1, ...), trained one after another in a loop of
`nn.LSTM`s (or `nn.GRU`s), as our fleet trains them: Adam, MSE, shuffled batches, the
gradient's global norm clipped at 1, the loss summed on the device and read back once an epoch,
the test windows scored after every epoch as a validation part and the best epoch's weights
kept. `torch.func.vmap` does not support `nn.LSTM` or `nn.GRU` (pytorch issues 105982, 134606);
with --stacked the same networks (the same initial weights and batch orders) are stacked with
`torch.func.stack_module_state` and stepped together, --stack at a time, through a hand-written
LSTM/GRU (PyTorch's gate formulas) under `torch.func.vmap`: one batched product per step for the
whole stack, each network with its own Adam state (Adam is elementwise), its own clipping norm and
its own best weights. One JSON line with the keys of `lstm-stock bench --fleet`."""
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
    p.add_argument("--stacked", action="store_true", help="step the networks together (torch.func.vmap)")
    p.add_argument("--stack", type=int, default=40, help="networks per stack with --stacked (memory)")
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
    t_train = time.perf_counter()
    last_val = (stacked if a.stacked else loop)(a, x, y, vx, vy)
    train_s = time.perf_counter() - t_train
    print(json.dumps({
        "peer": "torch-stacked" if a.stacked else "torch-loop", "framework": f"torch {torch.__version__}",
        "workload": "fleet",
        "model": a.model, "networks": a.fleet, "n_train_samples": len(x), "n_val_samples": len(vx),
        "window": a.window, "hidden": a.hidden, "layers": a.layers, "epochs": a.epochs,
        "batch_size": a.batch, "lr": a.lr, "clip": 1.0, "seed": a.seed, "threads": a.threads,
        "train_s": round(train_s, 3), "network_epoch_s": round(train_s / (a.fleet * a.epochs), 5),
        "mean_last_val_loss": sum(last_val) / len(last_val),
        "flops_per_network_epoch": wl.flops_per_epoch(a.model, len(x), a.window, a.hidden, a.layers),
    }), flush=True)


def loop(a, x, y, vx, vy):
    """The networks one after another; each one's last validation loss."""
    last_val = []
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
    return last_val


def rnn(kind, layers, p, x):
    """nn.LSTM / nn.GRU (batch_first, PyTorch's gate order and formulas) and the linear head,
    written out so that torch.func.vmap can batch it; `p` holds one network's parameters under
    `Net`'s names."""
    seq = x
    for l in range(layers):
        w_ih, w_hh = p[f"rnn.weight_ih_l{l}"], p[f"rnn.weight_hh_l{l}"]
        b_ih, b_hh = p[f"rnn.bias_ih_l{l}"], p[f"rnn.bias_hh_l{l}"]
        xs = seq @ w_ih.T + b_ih
        h = xs.new_zeros(xs.shape[0], w_hh.shape[1])
        c = h
        out = []
        for x_t in xs.unbind(1):  # not xs[:, t]: each select's backward zero-fills all of xs
            if kind == "lstm":
                i, f, g, o = (x_t + h @ w_hh.T + b_hh).chunk(4, -1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                xr, xz, xn = x_t.chunk(3, -1)
                hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, -1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                h = (1 - z) * torch.tanh(xn + r * hn) + z * h
            out.append(h)
        seq = torch.stack(out, 1)
    return seq[:, -1] @ p["head.weight"].T + p["head.bias"]


def stacked(a, x, y, vx, vy):
    """The networks --stack at a time, stepped together; each one's last validation loss."""
    from torch.func import stack_module_state, vmap

    last_val = []
    for first in range(0, a.fleet, a.stack):
        members = range(first, min(first + a.stack, a.fleet))
        nets, orders = [], []
        for i in members:  # the loop's draws: seed, weights, then an order per epoch
            torch.manual_seed(a.seed + i)
            nets.append(Net(a.model, a.hidden, a.layers))
            orders.append([torch.randperm(len(x)) for _ in range(a.epochs)])
        params, _ = stack_module_state(nets)
        opt = torch.optim.Adam(params.values(), lr=a.lr)
        batched = vmap(lambda p, xb: rnn(a.model, a.layers, p, xb))
        k = len(nets)
        best = torch.full((k,), float("inf"))
        kept = {n: t.detach().clone() for n, t in params.items()}
        for e in range(a.epochs):
            order = torch.stack([o[e] for o in orders])
            total = torch.zeros(())
            for idx in order.split(a.batch, dim=1):
                opt.zero_grad(set_to_none=True)
                per_net = ((batched(params, x[idx]) - y[idx]) ** 2).mean(dim=(1, 2))
                per_net.sum().backward()
                norm = torch.sqrt(sum(t.grad.pow(2).flatten(1).sum(1) for t in params.values()))
                scale = (1.0 / (norm + 1e-6)).clamp(max=1.0)
                for t in params.values():
                    t.grad.mul_(scale.view(-1, *[1] * (t.dim() - 1)))
                opt.step()
                total += per_net.detach().sum() * idx.shape[1]
            total.item()
            with torch.no_grad():
                val = ((vmap(lambda p: rnn(a.model, a.layers, p, vx))(params) - vy) ** 2).mean(dim=(1, 2))
                better = val < best
                best = torch.where(better, val, best)
                for n, t in params.items():
                    kept[n] = torch.where(better.view(-1, *[1] * (t.dim() - 1)), t, kept[n])
        with torch.no_grad():
            for n, t in params.items():
                t.copy_(kept[n])
        last_val.extend(val.tolist())
    return last_val


if __name__ == "__main__":
    main()
