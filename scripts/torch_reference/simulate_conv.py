#!/usr/bin/env python3
"""Simulate the gradient ratio R at initialisation in PyTorch for small
convolutional stacks, the reference for the conv, pooling and flatten rows
of `netc analyze` (docs/lints-and-gradients.md, "Images").

Each case is a list of layers (the same list the Rust test builds its IR
from, so the fixture is the one statement of the models): 8 conv 3x3
layers with an activation, with and without pooling, then flatten and a
linear head. R = sqrt(E||grad W_first||^2 / E||grad W_last||^2) as in
simulate_r.py: mean squares over seeds and batches, inputs x ~ N(0, 1),
output gradients g ~ N(0, 1), train mode, float64.

Usage:
    python3 scripts/torch_reference/simulate_conv.py \
        --out crates/netc-lang/tests/fixtures/simulated_conv.json
"""

import argparse
import json
import math
import sys

import torch
from torch import nn

CHANNELS = 32
SIZE = 8


def conv_stack(activation, init, pools=None, pool=None, batchnorm=False, head="flatten"):
    """8 conv 3x3 (padding 1) layers of 32 channels on a (3, 8, 8) input;
    `pool` after the layers in `pools`; then flatten (or adaptive average
    pooling to 1x1) and linear(..., 10)."""
    layers = []
    size = SIZE
    in_channels = 3
    for i in range(1, 9):
        layers.append({"conv": [in_channels, CHANNELS, 3, 1, 1], "init": init, "bias": init == "default"})
        if batchnorm:
            layers.append({"batchnorm2d": CHANNELS})
        layers.append({"act": activation})
        if pools and i in pools:
            layers.append({pool: 2})
            size //= 2
        in_channels = CHANNELS
    if head == "adaptive":
        layers.append({"adaptive_avg_pool2d": [1, 1]})
        size = 1
    layers.append({"flatten": True})
    layers.append({"linear": [CHANNELS * size * size, 10], "init": init, "bias": init == "default"})
    return {"input": [3, SIZE, SIZE], "layers": layers}


CASES = {
    "relu+kaiming": conv_stack("relu", "kaiming"),
    "relu+torch default": conv_stack("relu", "default"),
    "relu+kaiming, max pool": conv_stack("relu", "kaiming", pools=(2, 4, 6), pool="max_pool2d"),
    "relu+torch default, max pool": conv_stack("relu", "default", pools=(2, 4, 6), pool="max_pool2d"),
    "relu+kaiming, avg pool": conv_stack("relu", "kaiming", pools=(2, 4, 6), pool="avg_pool2d"),
    "relu+kaiming, adaptive head": conv_stack("relu", "kaiming", head="adaptive"),
    "tanh+xavier, max pool": conv_stack("tanh", "xavier", pools=(2, 4, 6), pool="max_pool2d"),
    "relu+kaiming, batchnorm2d": conv_stack("relu", "kaiming", batchnorm=True),
}


def init_weight(layer, init):
    if init == "kaiming":
        nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
    elif init == "xavier":
        nn.init.xavier_uniform_(layer.weight)
    # "default": PyTorch's own reset_parameters.


def build(case):
    modules, weighted = [], []
    for spec in case["layers"]:
        if "conv" in spec:
            cin, cout, k, stride, pad = spec["conv"]
            layer = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=spec["bias"])
            init_weight(layer, spec["init"])
            weighted.append(layer)
        elif "linear" in spec:
            layer = nn.Linear(*spec["linear"], bias=spec["bias"])
            init_weight(layer, spec["init"])
            weighted.append(layer)
        elif "batchnorm2d" in spec:
            layer = nn.BatchNorm2d(spec["batchnorm2d"])
        elif "act" in spec:
            layer = {"relu": nn.ReLU(), "tanh": nn.Tanh()}[spec["act"]]
        elif "max_pool2d" in spec:
            layer = nn.MaxPool2d(spec["max_pool2d"])
        elif "avg_pool2d" in spec:
            layer = nn.AvgPool2d(spec["avg_pool2d"])
        elif "adaptive_avg_pool2d" in spec:
            layer = nn.AdaptiveAvgPool2d(tuple(spec["adaptive_avg_pool2d"]))
        elif "flatten" in spec:
            layer = nn.Flatten()
        else:
            raise ValueError(f"unknown layer {spec}")
        modules.append(layer)
    return nn.Sequential(*modules), weighted


def simulate(case, seeds, batch, repeats):
    first_sq, last_sq, per_seed = 0.0, 0.0, []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model, weighted = build(case)
        model = model.double().train()
        seed_first, seed_last = 0.0, 0.0
        for _ in range(repeats):
            model.zero_grad()
            x = torch.randn(batch, *case["input"], dtype=torch.float64)
            out = model(x)
            (out * torch.randn_like(out)).sum().backward()
            seed_first += weighted[0].weight.grad.pow(2).sum().item()
            seed_last += weighted[-1].weight.grad.pow(2).sum().item()
        first_sq += seed_first
        last_sq += seed_last
        per_seed.append(math.sqrt(seed_first / seed_last))
    return math.sqrt(first_sq / last_sq), per_seed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2, help="batches per seed")
    options = parser.parse_args()
    torch.set_num_threads(2)
    results = []
    for name, case in CASES.items():
        r, per_seed = simulate(case, options.seeds, options.batch, options.repeats)
        results.append({"name": name, "R": r, "R_per_seed": per_seed, **case})
        print(f"{name:32} R = {r:.4g}  per seed {[f'{x:.3g}' for x in per_seed]}", file=sys.stderr)
    report = {
        "torch": torch.__version__,
        "seeds": options.seeds,
        "batch": options.batch,
        "batches_per_seed": options.repeats,
        "inputs": "x ~ N(0, 1), output gradient g ~ N(0, 1), train mode, float64",
        "results": results,
    }
    with open(options.out, "w") as handle:
        json.dump(report, handle, indent=1)
        handle.write("\n")


if __name__ == "__main__":
    main()
