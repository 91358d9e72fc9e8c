#!/usr/bin/env python3
"""Loads an mlp4j model (safetensors) into PyTorch with nothing but torch, and checks it.

Usage: load_in_pytorch.py MODEL.safetensors [INPUTS.csv]
Prints the architecture from the file's metadata and, given a CSV of feature rows, the network's outputs.
(With the `safetensors` package, `safetensors.torch.load_file(path)` gives the same state dict.)
"""
import json
import struct
import sys

import torch
import torch.nn as nn

ACTIVATIONS = {
    "identity": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
    "gelu": nn.GELU, "gelu_tanh": lambda: nn.GELU(approximate="tanh"), "softmax": lambda: nn.Softmax(dim=-1),
}


def load_state_dict(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    sd = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        sd[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(t["shape"])
    return meta, sd


def build(meta, sd):
    sizes = [int(s) for s in meta["layer_sizes"].split(",")]
    acts = meta["activations"].split(",")
    slope = float(meta.get("leaky_relu_slope", "0.01"))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(acts)))
            self.acts = nn.ModuleList(nn.LeakyReLU(slope) if a == "leaky_relu" else ACTIVATIONS[a]() for a in acts)

        def forward(self, x):
            for layer, act in zip(self.layers, self.acts):
                x = act(layer(x))
            return x

    model = MLP()
    model.layers.load_state_dict({k[len("layers."):]: v for k, v in sd.items() if k.startswith("layers.")})
    return model


if __name__ == "__main__":
    meta, sd = load_state_dict(sys.argv[1])
    model = build(meta, sd)
    print("layers", meta["layer_sizes"], "activations", meta["activations"], "loss", meta.get("loss"))
    if len(sys.argv) > 2:
        rows = [[float(v) for v in line.split(",")] for line in open(sys.argv[2]) if line.strip()]
        with torch.no_grad():
            for out in model(torch.tensor(rows)):
                print(",".join(f"{v:.6g}" for v in out.tolist()))
