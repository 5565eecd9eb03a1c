"""A model saved by ``stock`` (``model/``: ``model.json`` and ``weights.safetensors``) as a
plain ``torch.nn.Module``: PyTorch's ``nn.LSTM`` or ``nn.GRU`` (``batch_first``) and a linear
head on the last time step, with the saved weights. Its input is the scaled window
(``model.json``'s scalers, target first); its output the scaled target of the next
``horizon`` days (docs/python.md says how to turn that into prices)."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import torch


def _safetensors(path: Path) -> dict:
    """The tensors of a .safetensors file: an 8-byte length, a JSON header, the raw data."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    body = raw[8 + n :]
    out = {}
    for name, t in json.loads(raw[8 : 8 + n]).items():
        if name != "__metadata__":
            a, b = t["data_offsets"]
            out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32).reshape(t["shape"])
    return out


class Network(torch.nn.Module):
    """The saved network; ``card`` is its ``model.json``."""

    def __init__(self, card: dict):
        super().__init__()
        m = card["model"]
        cell = torch.nn.LSTM if m["kind"].startswith("lstm") else torch.nn.GRU
        self.card = card
        self.rnn = cell(m["input"], m["hidden"], m["layers"], batch_first=True)
        self.head = torch.nn.Linear(m["hidden"], card["horizon"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1])


def load(model_dir) -> Network:
    """The network saved in ``model_dir`` (a ``model/`` folder or the run folder holding one)."""
    folder = Path(model_dir)
    if (folder / "model").is_dir():
        folder = folder / "model"
    card = json.loads((folder / "model.json").read_text())
    net = Network(card)
    net.load_state_dict(_safetensors(folder / "weights.safetensors"))
    return net.eval()
