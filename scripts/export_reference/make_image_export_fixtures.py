#!/usr/bin/env python3
"""Fixtures for the image export: what PyTorch computes with the module netc writes.

For each image model below, this script takes the module `netc export --to
torch` writes — the reviewed insta snapshot of the `torch_source` test, so
no netc build is needed and a change to the exporter shows up as a changed
snapshot — builds it with PyTorch's default init (seeded), moves the
batchnorm running statistics off their init, and runs it in eval mode on
fixed inputs. It writes, under tests/fixtures/export/images/<case>/,

- weights.safetensors: the state_dict (what `netc train --save` writes);
- io.safetensors: `input` [N, C, H, W] and `torch_output`.

The Rust test `image_fixtures` exports the model to ONNX with these weights
and checks that tract reproduces `torch_output`.

Usage: python3 scripts/export_reference/make_image_export_fixtures.py
"""

import json
import struct
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = REPO / "crates" / "netc-export" / "tests" / "it" / "snapshots"
OUT = REPO / "tests" / "fixtures" / "export" / "images"
ROWS = 16

# (case, snapshot of the generated module, class name, input shape)
CASES = [
    ("lenet", "it__torch_source__lenet_module.snap", "LeNet", (1, 28, 28)),
    ("every_image_layer", "it__torch_source__every_image_layer_module.snap", "EveryImageLayer", (3, 12, 12)),
]


def module_class(snapshot, name):
    """The class of the generated module, from the snapshot's body."""
    text = (SNAPSHOTS / snapshot).read_text()
    source = text.split("---\n", 2)[2]
    scope = {}
    exec(compile(source, snapshot, "exec"), scope)
    return scope[name]


def safetensors_bytes(tensors):
    """safetensors with F32 (and I64 for batchnorm's counter) tensors."""
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous()
        kind = "I64" if tensor.dtype == torch.int64 else "F32"
        values = tensor.reshape(-1).tolist()
        raw = struct.pack(f"<{len(values)}{'q' if kind == 'I64' else 'f'}", *values)
        header[name] = {"dtype": kind, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def main():
    torch.set_num_threads(1)
    for seed, (case, snapshot, name, shape) in enumerate(CASES):
        torch.manual_seed(seed)
        net = module_class(snapshot, name)()
        with torch.no_grad():
            for key, tensor in net.state_dict().items():
                if key.endswith("running_mean"):
                    tensor.copy_(torch.randn_like(tensor) * 0.3)
                elif key.endswith("running_var"):
                    tensor.copy_(0.5 + torch.rand_like(tensor))
                elif key.endswith("num_batches_tracked"):
                    tensor.fill_(7)
        net.eval()
        x = torch.randn(ROWS, *shape) * 1.5
        with torch.no_grad():
            out = net(x)
        folder = OUT / case
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "weights.safetensors").write_bytes(safetensors_bytes(net.state_dict()))
        (folder / "io.safetensors").write_bytes(safetensors_bytes({"input": x, "torch_output": out}))
        print(f"{case}: output {tuple(out.shape)}")


if __name__ == "__main__":
    main()
