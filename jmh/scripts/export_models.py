#!/usr/bin/python3
"""Exports the two benchmark nets as ONNX (for ONNX Runtime Java) and the SAME weights as safetensors
(for mlp4j), plus one check sample with PyTorch's output so the benchmarks can verify that both engines
compute the same function before timing them.

  tiny : 32-64(ReLU)-64(ReLU)-1(sigmoid)       a scoring net
  mnist: 784-256(ReLU)-128(ReLU)-10(identity)  logits of the MNIST classifier

Usage (Debian's PyTorch; the `onnx` Python package is not needed):
  /usr/bin/python3 jmh/scripts/export_models.py [OUT_DIR]   # default jmh/src/main/resources/models
Deterministic: fixed seeds, PyTorch's default nn.Linear init.

safetensors layout (written by hand, the format is 8-byte LE header length + JSON header + raw data):
  l{i}.weight  F32 [out, in] row-major (PyTorch's weight), l{i}.bias F32 [out]
  check.input  F32 [1, in], check.output F32 [1, out]
  metadata: {"arch": "32-64-64-1", "activations": "relu,relu,sigmoid", "torch": version, "seed": ...}
"""
import json
import os
import struct
import sys

import numpy as np
import torch

NETS = {
    "tiny": ([32, 64, 64, 1], ["relu", "relu", "sigmoid"], 11),
    "mnist": ([784, 256, 128, 10], ["relu", "relu", "identity"], 12),
}
ACT = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}


def build(sizes, acts, seed):
    torch.manual_seed(seed)
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if acts[i] != "identity":
            mods.append(ACT[acts[i]]())
    return torch.nn.Sequential(*mods).eval()


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    off = 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # align the data to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "resources", "models")
    os.makedirs(out, exist_ok=True)
    for name, (sizes, acts, seed) in NETS.items():
        m = build(sizes, acts, seed)
        linears = [x for x in m if isinstance(x, torch.nn.Linear)]
        g = torch.Generator().manual_seed(seed + 100)
        x = torch.rand(1, sizes[0], generator=g)
        with torch.no_grad():
            y = m(x)
        tensors = {}
        for i, lin in enumerate(linears):
            tensors[f"l{i}.weight"] = lin.weight.detach().numpy()
            tensors[f"l{i}.bias"] = lin.bias.detach().numpy()
        tensors["check.input"] = x.numpy()
        tensors["check.output"] = y.numpy()
        meta = {"arch": "-".join(map(str, sizes)), "activations": ",".join(acts),
                "torch": torch.__version__, "seed": str(seed)}
        write_safetensors(os.path.join(out, f"{name}.safetensors"), tensors, meta)
        torch.onnx.export(m, x, os.path.join(out, f"{name}.onnx"), input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=13,
                          do_constant_folding=True)
        print(f"{name}: {meta['arch']} {meta['activations']} -> {out}/{name}.onnx, {name}.safetensors")


if __name__ == "__main__":
    main()
