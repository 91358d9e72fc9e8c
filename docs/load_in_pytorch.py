#!/usr/bin/env python3
"""Loads an mlp4j model (safetensors, F32/F16/BF16) into PyTorch with nothing but torch, and runs it.

Usage: load_in_pytorch.py MODEL.safetensors [INPUTS.csv]

Prints the architecture from the file's metadata and, given a CSV of feature rows, one line per row: the
class probabilities (softmax of the logits for cross_entropy, sigmoid for bce_with_logits, the outputs of a
softmax or sigmoid output layer as they are) and the predicted class; for other losses (regression) the
network's outputs. A header line (any field that is not a number) is skipped, and rows with more columns
than the model's inputs (features, then the target) use the first columns.
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
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_state_dict(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    sd = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        raw = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[t["dtype"]])
        sd[name] = raw.to(torch.float32).reshape(t["shape"])
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
    return model.eval(), sizes[0]


def read_rows(path, inputs):
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = [v.strip() for v in line.split(",")]
            try:
                values = [float(v) for v in fields]
            except ValueError:
                if not rows and number == 1:
                    continue  # a header line
                raise SystemExit(f"{path}:{number}: expected numbers, got {line.strip()!r}")
            if len(values) < inputs:
                raise SystemExit(f"{path}:{number}: expected at least {inputs} values (the model's inputs), "
                                 f"got {len(values)}")
            rows.append(values[:inputs])
    return rows


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    meta, sd = load_state_dict(argv[1])
    model, inputs = build(meta, sd)
    loss = meta.get("loss", "")
    last = meta["activations"].split(",")[-1]
    print("layers", meta["layer_sizes"], "activations", meta["activations"], "loss", loss)
    if len(argv) == 3:
        rows = read_rows(argv[2], inputs)
        with torch.no_grad():
            out = model(torch.tensor(rows, dtype=torch.float32))
            if loss == "cross_entropy" and last == "identity":
                out = torch.softmax(out, dim=-1)
            elif loss == "bce_with_logits" and last == "identity":
                out = torch.sigmoid(out)
        classifier = loss in ("cross_entropy", "bce", "bce_with_logits") or last in ("softmax", "sigmoid")
        for row in out:
            values = ",".join(f"{v:.6g}" for v in row.tolist())
            if classifier:
                cls = int(row.argmax()) if row.numel() > 1 else int(row[0] > 0.5)
                print(f"{values}  class {cls}")
            else:
                print(values)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
