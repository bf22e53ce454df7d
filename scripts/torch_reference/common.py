"""What the PyTorch reference scripts share: the repository root, the seed
network, the losses and optimizers of a train block, and how a float32
run's deviation from its float64 replay becomes a fixture tolerance."""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# The f32-vs-f64 deviation is multiplied by this to leave room for a
# different (but equally exact) summation order.
TOLERANCE_HEADROOM = 10.0


class SeedNet(nn.Module):
    """The network this project came from (water potability, 9 features),
    with PyTorch's default init; examples/seed.nn and
    crates/netc-bench/models/seed.nn."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(9, 16)
        self.bn1 = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, 8)
        self.bn2 = nn.BatchNorm1d(8)
        self.fc3 = nn.Linear(8, 1)

    def forward(self, x):
        x = F.elu(self.bn1(self.fc1(x)))
        x = F.elu(self.bn2(self.fc2(x)))
        return torch.sigmoid(self.fc3(x))


def loss_fn(name, out, y):
    """The train block's `loss`; class targets arrive as a float column."""
    if name == "bce":
        return F.binary_cross_entropy(out, y)
    if name == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(out, y)
    if name == "cross_entropy":
        return F.cross_entropy(out, y.reshape(-1).long())
    if name == "mse":
        return F.mse_loss(out, y)
    if name == "l1":
        return F.l1_loss(out, y)
    if name == "huber":
        return F.huber_loss(out, y, delta=1.0)
    raise ValueError(f"unknown loss {name}")


def make_optimizer(spec, params):
    """`spec` is (kind, keyword arguments), as the cases spell a train
    block's `optimizer`."""
    kind, kw = spec
    if kind == "sgd":
        return torch.optim.SGD(params, **kw)
    if kind == "adam":
        return torch.optim.Adam(params, **kw)
    if kind == "adamw":
        return torch.optim.AdamW(params, **kw)
    raise ValueError(kind)


def max_rel_excess(a, b, floor):
    """Smallest rel (at abs = floor) such that every value of `a` (the f32
    run) is within tolerance of `b` (the f64 run); the comparison is
    |a - b| <= abs + rel * |b|."""
    worst = 0.0
    for u, v in zip(a, b):
        excess = abs(u - v) - floor
        if excess > 0:
            worst = max(worst, excess / max(abs(v), 1e-30))
    return worst


def tolerance_for(deviation, min_rel, min_abs):
    """A fixture's {"rel", "abs"}: the measured relative deviation with
    headroom, rounded to two digits, never below the floors."""
    return {"rel": max(min_rel, float(f"{deviation * TOLERANCE_HEADROOM:.1e}")), "abs": min_abs}
