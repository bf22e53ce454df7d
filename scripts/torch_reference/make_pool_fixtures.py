"""PyTorch references for netc's pooling and batchnorm2d kernels.

Writes tests/fixtures/torch/images/pool.json (F.max_pool2d, F.avg_pool2d,
F.adaptive_avg_pool2d: output and input gradient for a given output
gradient) and tests/fixtures/torch/images/bn2d.json (nn.BatchNorm2d: two
train-mode steps with output, input and parameter gradients and the
running statistics after each, then an eval-mode forward). Float32 on one
thread, fixed seeds: a re-run on the same PyTorch reproduces the files.

Tolerances are measured as in make_fixtures.py: each case is replayed in
float64 and `rel` is ten times the largest relative deviation of the
float32 run (at least 1e-6); `abs` is 1e-6.

    python3 scripts/torch_reference/make_pool_fixtures.py [--out DIR]
"""

import argparse
import json
import pathlib

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def deviation(f32, f64):
    f32, f64 = f32.detach().double(), f64.detach().double()
    scale = f64.abs().max().clamp(min=1e-12)
    return float(((f32 - f64).abs() / (f64.abs() + 1e-3 * scale)).max())


def tolerance(pairs):
    worst = max(deviation(a, b) for a, b in pairs)
    return {"rel": max(10 * worst, 1e-6), "abs": 1e-6}


POOL_CASES = [
    # op, shape (N, C, H, W), settings; ties: small integers, so windows tie.
    ("max", (2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1), False),
    ("max", (2, 2, 9, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=2), False),
    ("max", (2, 2, 6, 6), dict(kernel_size=2, stride=1), True),
    ("avg", (2, 3, 7, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=True), False),
    ("avg", (2, 3, 7, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), False),
    ("avg", (2, 2, 8, 8), dict(kernel_size=(2, 4), stride=(3, 1), padding=(1, 2)), False),
    ("adaptive", (2, 3, 5, 5), dict(output_size=3), False),
    ("adaptive", (2, 3, 7, 7), dict(output_size=1), False),
    ("adaptive", (2, 2, 6, 9), dict(output_size=(4, 2)), False),
]


def pool(op, x, settings):
    if op == "max":
        return F.max_pool2d(x, **settings)
    if op == "avg":
        return F.avg_pool2d(x, **settings)
    return F.adaptive_avg_pool2d(x, **settings)


def pool_case(index, op, shape, settings, ties):
    gen = torch.Generator().manual_seed(100 + index)
    if ties:
        x = torch.randint(0, 3, shape, generator=gen).float()
    else:
        x = torch.randn(shape, generator=gen)
    runs = {}
    for dtype in (torch.float32, torch.float64):
        xi = x.to(dtype).detach().clone().requires_grad_(True)
        y = pool(op, xi, settings)
        runs[dtype] = (xi, y)
    y32 = runs[torch.float32][1]
    dy = torch.randn(y32.shape, generator=gen)
    for dtype, (xi, y) in runs.items():
        y.backward(dy.to(dtype))
    (x32, y32), (x64, y64) = runs[torch.float32], runs[torch.float64]
    return {
        "op": op,
        "shape": list(shape),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
        "ties": ties,
        "x": flat(x),
        "y": flat(y32),
        "dy": flat(dy),
        "dx": flat(x32.grad),
        "output_shape": list(y32.shape),
        # Ties make float64's choice the same as float32's (same values).
        "tolerance": tolerance([(y32, y64), (x32.grad, x64.grad)]),
    }


BN_CASES = [
    # shape (N, C, H, W), module settings
    ((4, 3, 5, 5), dict(eps=1e-5, momentum=0.1, affine=True)),
    ((2, 5, 3, 4), dict(eps=1e-3, momentum=None, affine=True)),
    ((3, 2, 6, 6), dict(eps=1e-5, momentum=0.3, affine=False)),
]


def bn_case(index, shape, settings):
    gen = torch.Generator().manual_seed(200 + index)
    channels = shape[1]
    batches = [torch.randn(shape, generator=gen) * 2 + 0.5 for _ in range(3)]
    grads = [torch.randn(shape, generator=gen) for _ in range(2)]
    weight = torch.rand(channels, generator=gen) + 0.5
    bias = torch.randn(channels, generator=gen) * 0.1

    def run(dtype):
        bn = torch.nn.BatchNorm2d(channels, **settings).to(dtype)
        if settings["affine"]:
            with torch.no_grad():
                bn.weight.copy_(weight)
                bn.bias.copy_(bias)
        steps = []
        bn.train()
        for x, dy in zip(batches, grads):
            xi = x.to(dtype).detach().clone().requires_grad_(True)
            bn.zero_grad()
            y = bn(xi)
            y.backward(dy.to(dtype))
            step = {"y": y, "dx": xi.grad, "running_mean": bn.running_mean.clone(),
                    "running_var": bn.running_var.clone()}
            if settings["affine"]:
                step["dweight"] = bn.weight.grad.clone()
                step["dbias"] = bn.bias.grad.clone()
            steps.append(step)
        bn.eval()
        with torch.no_grad():
            y_eval = bn(batches[2].to(dtype))
        return steps, y_eval, int(bn.num_batches_tracked)

    steps32, eval32, tracked = run(torch.float32)
    steps64, eval64, _ = run(torch.float64)
    pairs = [(s32[k], s64[k]) for s32, s64 in zip(steps32, steps64) for k in s32]
    pairs.append((eval32, eval64))
    return {
        "shape": list(shape),
        "eps": settings["eps"],
        "momentum": settings["momentum"],
        "affine": settings["affine"],
        "weight": flat(weight),
        "bias": flat(bias),
        "steps": [
            {"x": flat(x), "dy": flat(dy), **{k: flat(v) for k, v in s.items()}}
            for x, dy, s in zip(batches, grads, steps32)
        ],
        "num_batches_tracked": tracked,
        "eval": {"x": flat(batches[2]), "y": flat(eval32)},
        "tolerance": tolerance(pairs),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=ROOT / "tests/fixtures/torch/images", type=pathlib.Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    pools = [pool_case(i, *case) for i, case in enumerate(POOL_CASES)]
    bns = [bn_case(i, *case) for i, case in enumerate(BN_CASES)]
    meta = {"torch": torch.__version__.split("+")[0]}
    for name, cases in (("pool.json", pools), ("bn2d.json", bns)):
        with open(args.out / name, "w") as f:
            json.dump({**meta, "cases": cases}, f, indent=None, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {args.out / name} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
