#!/usr/bin/env python3
"""PyTorch side of netc's training-step benchmark.

The same workloads as `cargo run --release -p netc-bench` (their netc
model files are in crates/netc-bench/models/), on --threads threads (default
1), timed the same way: warm up, then time chunks of steps until at least
--min-time seconds have passed, and report the median chunk's time per step,
every step among the first STEPS_PER_START from the untrained model; then
the eval-mode forward of one sample (netc's single-row `predict`) the same
way.

Usage: python3 scripts/torch_reference/bench_torch.py [--json] [--min-time S]
       [--threads N] [--workload NAME ...]
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import SeedNet

# A chunk is timed as a whole so the clock's resolution and overhead vanish
# against it; the median over chunks discards scheduler hiccups.
CHUNK_SECONDS = 0.01
WARMUP_SECONDS = 0.1
MIN_CHUNKS = 5
# Training steps timed from one starting state before the measurement
# starts over from it, untimed: netc-bench's STEPS_PER_START (timing.rs), so
# both sides time the same stretch of training whatever their speed.
STEPS_PER_START = 1000


class Mnist(nn.Module):
    """crates/netc-bench/models/mnist.nn"""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Deep(nn.Module):
    """crates/netc-bench/models/deep.nn: 20 linear→batchnorm→elu blocks."""

    BLOCKS = 20

    def __init__(self):
        super().__init__()
        for i in range(1, self.BLOCKS + 1):
            setattr(self, f"fc{i}", nn.Linear(9 if i == 1 else 64, 64))
            setattr(self, f"bn{i}", nn.BatchNorm1d(64))
        self.fc_out = nn.Linear(64, 1)

    def forward(self, x):
        for i in range(1, self.BLOCKS + 1):
            x = F.elu(getattr(self, f"bn{i}")(getattr(self, f"fc{i}")(x)))
        return self.fc_out(x)


class Wide(nn.Module):
    """crates/netc-bench/models/wide.nn"""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 2048)
        self.fc2 = nn.Linear(2048, 2048)
        self.fc3 = nn.Linear(2048, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Lenet(nn.Module):
    """crates/netc-bench/models/lenet.nn: LeNet-5 on 1×28×28 images."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def binary_targets(batch, _width, gen):
    return torch.randint(0, 2, (batch, 1), generator=gen).float()


def class_targets(batch, width, gen):
    return torch.randint(0, width, (batch,), generator=gen)


WORKLOADS = [
    # name, module, input width, output width, batch, loss, targets
    ("seed", SeedNet, 9, 1, 32, F.binary_cross_entropy, binary_targets),
    ("mnist", Mnist, 784, 10, 128, F.cross_entropy, class_targets),
    ("deep", Deep, 9, 1, 64, F.binary_cross_entropy_with_logits, binary_targets),
    ("wide", Wide, 784, 10, 256, F.cross_entropy, class_targets),
    ("lenet", Lenet, 784, 10, 64, F.cross_entropy, class_targets),
]


def median_step_seconds(step, min_time, steps_per_start=None, restart=None):
    """Warm up, size chunks to CHUNK_SECONDS, then return the median time per
    step over chunks totalling at least `min_time` seconds. With
    `steps_per_start`, `restart()` runs (untimed) after every that many
    steps, so that every timed step is among the first after a start."""
    since_start = 0

    def room(wanted):
        nonlocal since_start
        if steps_per_start is None:
            return wanted
        if since_start == steps_per_start:
            restart()
            since_start = 0
        n = min(wanted, steps_per_start - since_start)
        since_start += n
        return n

    start = time.perf_counter()
    warm_steps = 0
    while time.perf_counter() - start < WARMUP_SECONDS or warm_steps < 3:
        room(1)
        step()
        warm_steps += 1
    per_step = (time.perf_counter() - start) / warm_steps
    chunk = max(1, round(CHUNK_SECONDS / per_step))

    samples = []
    steps = 0
    total = 0.0
    while total < min_time or len(samples) < MIN_CHUNKS:
        n = room(chunk)
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        elapsed = time.perf_counter() - t0
        samples.append(elapsed / n)
        steps += n
        total += elapsed
    return statistics.median(samples), steps


def bench(workload, min_time):
    name, module, width, out_width, batch, loss_fn, targets = workload
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch, width, generator=gen) * 2.0 - 1.0
    y = targets(batch, out_width, gen)

    def untrained():
        torch.manual_seed(0)
        model = module()
        model.train()
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)

    model, opt = untrained()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def restart():
        nonlocal model, opt
        model, opt = untrained()

    seconds, steps = median_step_seconds(step, min_time, STEPS_PER_START, restart)

    # One sample through the eval-mode module, as netc's `predict` of one
    # row: running statistics, no autograd.
    model.eval()
    one = x[:1]

    def infer():
        with torch.inference_mode():
            model(one)

    infer_seconds, _ = median_step_seconds(infer, min_time)
    return {"workload": name, "torch_train_step_us": seconds * 1e6, "steps_timed": steps,
            "torch_infer_one_ns": infer_seconds * 1e9, "torch_version": torch.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON line per workload")
    parser.add_argument("--min-time", type=float, default=0.5,
                        help="seconds of timed steps per workload (default 0.5)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads (default 1)")
    parser.add_argument("--workload", action="append", default=[],
                        help="run only this workload (repeatable; default all)")
    args = parser.parse_args()
    names = [w[0] for w in WORKLOADS]
    unknown = [name for name in args.workload if name not in names]
    if unknown or args.threads < 1:
        parser.error(f"unknown workload {unknown}; one of {names}" if unknown
                     else "--threads must be at least 1")

    torch.set_num_threads(args.threads)
    selected = [w for w in WORKLOADS if not args.workload or w[0] in args.workload]
    results = [bench(w, args.min_time) for w in selected]
    if args.json:
        for r in results:
            print(json.dumps(r))
    else:
        print(f"PyTorch {torch.__version__}, {args.threads} thread(s)")
        print(f"{'workload':10} {'train step (us)':>16} {'steps':>8} {'infer one (ns)':>15}")
        for r in results:
            print(f"{r['workload']:10} {r['torch_train_step_us']:16.2f} {r['steps_timed']:8}"
                  f" {r['torch_infer_one_ns']:15.0f}")


if __name__ == "__main__":
    main()
