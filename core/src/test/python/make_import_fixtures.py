#!/usr/bin/python3
"""Writes the fixtures of the import tests (core/src/test/resources/import): small PyTorch nn.Sequential
networks exported with torch.onnx.export, their state dicts as safetensors.torch.save_file writes them
(F32, F16, BF16), and PyTorch's outputs on a few inputs to compare against.

Usage (Debian's python3-torch; neither the onnx nor the safetensors package is needed):
  /usr/bin/python3 core/src/test/python/make_import_fixtures.py [OUT_DIR]
Deterministic: fixed seeds. For each NAME:
  NAME.onnx                    torch.onnx.export(model, x, opset_version=OPSET, dynamic batch axis)
  NAME.safetensors             state dict, F32, keys 0.weight, 0.bias, 2.weight, ... (nn.Sequential indices)
  NAME.f16.safetensors / .bf16  the same state dict converted with .half() / .bfloat16()
  relu_sigmoid.pt, .legacy.pt torch.save of the state dict (zip and legacy pickle), for the "wrong file" errors
  NAME.expected.safetensors    input [n, in] and output [n, out] (PyTorch, float32, from the F32 weights);
                               output_f16 / output_bf16 from the rounded weights (computed in float32)
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                          "resources", "import")


class AffineMatMul(nn.Module):
    """x @ W + b with W [in, out]: exported as MatMul + Add (what scikit-learn's converters emit)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.3)
        self.bias = nn.Parameter(torch.randn(n_out) * 0.1)

    def forward(self, x):
        return x @ self.weight + self.bias


def nets():
    torch.manual_seed(7)
    yield "relu_sigmoid", nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
                                        nn.Linear(8, 1), nn.Sigmoid()), 13
    torch.manual_seed(8)
    yield "tanh_leaky_softmax", nn.Sequential(nn.Linear(5, 12), nn.Tanh(), nn.Linear(12, 9),
                                              nn.LeakyReLU(0.2), nn.Linear(9, 4), nn.Softmax(dim=1)), 13
    torch.manual_seed(9)
    yield "gelu", nn.Sequential(nn.Linear(4, 10), nn.GELU(), nn.Linear(10, 3)), 13
    torch.manual_seed(10)
    yield "flatten_dropout", nn.Sequential(nn.Flatten(), nn.Linear(12, 7), nn.ReLU(), nn.Dropout(0.5),
                                           nn.Linear(7, 2)), 11
    torch.manual_seed(11)
    yield "matmul_add", nn.Sequential(AffineMatMul(3, 5), nn.Sigmoid(), AffineMatMul(5, 2)), 13
    torch.manual_seed(12)
    yield "unsupported_layernorm", nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.ReLU(), nn.Linear(6, 2)), 13


DTYPES = {torch.float32: ("F32", 4), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2)}


def save_file(tensors, path, metadata=None):
    """What safetensors.torch.save_file writes: tensors sorted by (alignment desc, name), header padded with
    spaces to a multiple of 8, __metadata__ only when given."""
    items = sorted(tensors.items(), key=lambda kv: (-DTYPES[kv[1].dtype][1], kv[0]))
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in items:
        t = t.detach().contiguous()
        b = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rounded(model, dtype):
    import copy
    m = copy.deepcopy(model)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.to(dtype).to(torch.float32))
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, model, opset in nets():
        model.eval()
        first = next(m for m in model if not isinstance(m, nn.Flatten))
        n_in = first.in_features if isinstance(first, nn.Linear) else first.weight.shape[0]
        g = torch.Generator().manual_seed(100)
        x = torch.randn(5, n_in, generator=g) * 2
        x_in = x.reshape(5, 3, 4) if name == "flatten_dropout" else x
        with torch.no_grad():
            y = model(x_in)
        torch.onnx.export(model, x_in, os.path.join(OUT, name + ".onnx"), input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=opset,
                          do_constant_folding=True)
        sd = model.state_dict()
        save_file(sd, os.path.join(OUT, name + ".safetensors"))
        expected = {"input": x, "output": y}
        for dt, suffix in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
            save_file({k: v.to(dt) for k, v in sd.items()}, os.path.join(OUT, f"{name}.{suffix}.safetensors"))
            with torch.no_grad():
                expected["output_" + suffix] = rounded(model, dt)(x_in)
        save_file(expected, os.path.join(OUT, name + ".expected.safetensors"),
                  {"torch": torch.__version__, "opset": str(opset)})
        if name == "relu_sigmoid":  # what a user passes by mistake: torch.save's zip and legacy pickle files
            torch.save(sd, os.path.join(OUT, name + ".pt"))
            torch.save(sd, os.path.join(OUT, name + ".legacy.pt"), _use_new_zipfile_serialization=False)
        print(name, list(sd.keys()))


if __name__ == "__main__":
    main()
