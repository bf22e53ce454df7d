#!/usr/bin/env python3
"""Generate the PyTorch training fixtures netc's executors are compared with.

Each case is one model written twice, side by side: as netc model text (the
`.nn` file) and as the PyTorch module with the same attribute names, so the
`state_dict` names and order agree. The script trains the module for a few
steps on deterministic batches and records everything an executor must
reproduce: the initial state, each step's batch, train-mode output, loss,
gradients (before clipping) and state after the update, and a final
eval-mode forward.

Every case is also replayed in float64 from the same initial state; the
largest float32-vs-float64 deviation sets each case's tolerance, so the
tolerance says how far an honest float32 implementation may drift, not how
far this one happened to.

Usage: python3 scripts/torch_reference/make_fixtures.py [--data CSV] [--out DIR]
"""

import argparse
import copy
import csv
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import common
from common import REPO, loss_fn, make_optimizer

STEPS = 5

# Tolerances never go below these: the comparison is |a - b| <= abs + rel * |b|.
MIN_REL = 1e-5
MIN_ABS = 1e-6
# A loose gradient is rounding noise around an exact zero; this is the size
# of that noise on the seed network, and how many perturbed runs bound the
# eval output's spread.
ROUNDING_NOISE = 1e-8
NOISE_TRIALS = 8


# ---------------------------------------------------------------- models ----

SEED_NN = """\
// seed: the network this project came from (water potability, 9 features).
model SeedNet {
    input x: 9

    fc1 = linear(9, 16, init=kaiming_uniform(nonlinearity=relu))
    bn1 = batchnorm(16)
    fc2 = linear(16, 8, init=kaiming_uniform(nonlinearity=relu))
    bn2 = batchnorm(8)
    fc3 = linear(8, 1, init=kaiming_uniform(nonlinearity=sigmoid))

    forward {
        x = elu(bn1(fc1(x)))
        x = elu(bn2(fc2(x)))
        return sigmoid(fc3(x))
    }

    train {
        loss = bce
        optimizer = adam(lr=1e-3)
        batch = 32
    }
}
"""


class SeedNet(common.SeedNet):
    def __init__(self):
        super().__init__()
        # The weights' init as the model text asks; biases keep nn.Linear's.
        nn.init.kaiming_uniform_(self.fc1.weight, nonlinearity="relu")
        nn.init.kaiming_uniform_(self.fc2.weight, nonlinearity="relu")
        nn.init.kaiming_uniform_(self.fc3.weight, nonlinearity="sigmoid")


MLP_CE_NN = """\
// mlp_ce: class logits, cross entropy, Nesterov SGD and gradient clipping.
model MlpCe {
    input x: 12

    fc1 = linear(12, 32)
    fc2 = linear(32, 16)
    fc3 = linear(16, 5)

    forward {
        h = relu(fc1(x))
        h = leaky_relu(fc2(h), negative_slope=0.2)
        return fc3(h)
    }

    train {
        loss = cross_entropy
        optimizer = sgd(lr=0.1, momentum=0.9, nesterov=true, weight_decay=1e-4)
        clip_grad_norm = 0.5
        batch = 16
    }
}
"""


class MlpCe(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 5)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = F.leaky_relu(self.fc2(h), negative_slope=0.2)
        return self.fc3(h)


ACTS_MSE_NN = """\
// acts_mse: every smooth activation, layernorm, a residual sum and a layer
// called twice (shared weights), regressed with mse under AdamW.
model ActsMse {
    input x: 6

    fc_in = linear(6, 16)
    ln = layernorm(16)
    shared = linear(16, 16)
    fc2 = linear(16, 12)
    fc3 = linear(12, 12)
    fc4 = linear(12, 8)
    fc_out = linear(8, 3)

    forward {
        h = ln(gelu(fc_in(x)))
        a = silu(shared(h))
        b = tanh(shared(a))
        r = a + b
        c = softplus(fc2(r), beta=2.0, threshold=1.0)
        d = selu(fc3(c))
        e = identity(fc4(d))
        f = elu(e, alpha=0.5)
        return fc_out(f)
    }

    train {
        loss = mse
        optimizer = adamw(lr=1e-2, weight_decay=0.05)
        batch = 16
    }
}
"""


class ActsMse(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc_in = nn.Linear(6, 16)
        self.ln = nn.LayerNorm(16)
        self.shared = nn.Linear(16, 16)
        self.fc2 = nn.Linear(16, 12)
        self.fc3 = nn.Linear(12, 12)
        self.fc4 = nn.Linear(12, 8)
        self.fc_out = nn.Linear(8, 3)

    def forward(self, x):
        h = self.ln(F.gelu(self.fc_in(x)))
        a = F.silu(self.shared(h))
        b = torch.tanh(self.shared(a))
        r = a + b
        c = F.softplus(self.fc2(r), beta=2.0, threshold=1.0)
        d = F.selu(self.fc3(c))
        e = self.fc4(d)
        f = F.elu(e, alpha=0.5)
        return self.fc_out(f)


LOSS_BCE_LOGITS_NN = """\
// loss_bce_logits: bce_with_logits; a bias-free linear into a batchnorm
// without affine parameters (non-default eps and momentum); Adam with
// weight decay and non-default betas and eps.
model BceLogits {
    input x: 7

    fc1 = linear(7, 12, bias=false)
    bn1 = batchnorm(12, eps=1e-3, momentum=0.3, affine=false)
    fc2 = linear(12, 1)

    forward {
        h = relu(bn1(fc1(x)))
        return fc2(h)
    }

    train {
        loss = bce_with_logits
        optimizer = adam(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-3)
        batch = 24
    }
}
"""


class BceLogits(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(7, 12, bias=False)
        self.bn1 = nn.BatchNorm1d(12, eps=1e-3, momentum=0.3, affine=False)
        self.fc2 = nn.Linear(12, 1)

    def forward(self, x):
        h = F.relu(self.bn1(self.fc1(x)))
        return self.fc2(h)


LOSS_L1_SOFTMAX_NN = """\
// loss_l1_softmax: a softmax output regressed onto probability vectors with
// l1; SGD with plain (non-Nesterov) momentum and weight decay.
model L1Softmax {
    input x: 5

    fc1 = linear(5, 10)
    fc2 = linear(10, 4)

    forward {
        h = tanh(fc1(x))
        return softmax(fc2(h))
    }

    train {
        loss = l1
        optimizer = sgd(lr=0.5, momentum=0.5, weight_decay=1e-3)
        batch = 8
    }
}
"""


class L1Softmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 10)
        self.fc2 = nn.Linear(10, 4)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        return F.softmax(self.fc2(h), dim=-1)


LOSS_HUBER_LOG_SOFTMAX_NN = """\
// loss_huber_log_softmax: a log_softmax output regressed with huber (both
// the quadratic and the linear branch are hit); plain SGD; a layernorm with
// a non-default eps.
model HuberLogSoftmax {
    input x: 5

    fc1 = linear(5, 10)
    ln1 = layernorm(10, eps=1e-3)
    fc2 = linear(10, 4)

    forward {
        h = sigmoid(ln1(fc1(x)))
        return log_softmax(fc2(h))
    }

    train {
        loss = huber
        optimizer = sgd(lr=0.05)
        batch = 8
    }
}
"""


class HuberLogSoftmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 10)
        self.ln1 = nn.LayerNorm(10, eps=1e-3)
        self.fc2 = nn.Linear(10, 4)

    def forward(self, x):
        h = torch.sigmoid(self.ln1(self.fc1(x)))
        return F.log_softmax(self.fc2(h), dim=-1)


DROPOUT_EVAL_NN = """\
// dropout_eval: dropout cannot match PyTorch's random masks, so this case
// checks only the eval-mode forward (dropout is the identity there).
model DropoutEval {
    input x: 6

    fc1 = linear(6, 16)
    drop = dropout(0.3)
    fc2 = linear(16, 3)

    forward {
        h = drop(relu(fc1(x)))
        return fc2(h)
    }

    train {
        loss = cross_entropy
        optimizer = adam(lr=1e-3)
        batch = 16
    }
}
"""


class DropoutEval(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        h = self.drop(F.relu(self.fc1(x)))
        return self.fc2(h)


# ------------------------------------------------------------------ data ----

def load_water(path):
    """Water potability rows: missing values mean-imputed, features standardised."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    cols = len(rows[0])
    values = [[float(v) if v != "" else math.nan for v in row] for row in rows]
    t = torch.tensor(values, dtype=torch.float64)
    x, y = t[:, : cols - 1], t[:, cols - 1 :]
    mean = torch.nanmean(x, dim=0)
    x = torch.where(torch.isnan(x), mean.expand_as(x), x)
    x = (x - x.mean(dim=0)) / x.std(dim=0, unbiased=False)
    return x.float(), y.float()


def seed_data(gen, batch, data_path):
    x, y = load_water(data_path)
    order = torch.randperm(x.shape[0], generator=gen)
    rows = order[: batch * (STEPS + 1)]
    xs, ys = x[rows], y[rows]
    batches = [(xs[i * batch : (i + 1) * batch], ys[i * batch : (i + 1) * batch]) for i in range(STEPS)]
    return batches, xs[STEPS * batch :]


def class_data(gen, batch, width, classes, steps, scale=1.0):
    batches = [
        (torch.randn(batch, width, generator=gen) * scale,
         torch.randint(0, classes, (batch, 1), generator=gen).float())
        for _ in range(steps)
    ]
    return batches, torch.randn(batch, width, generator=gen) * scale


def binary_data(gen, batch, width):
    batches = [
        (torch.randn(batch, width, generator=gen),
         torch.randint(0, 2, (batch, 1), generator=gen).float())
        for _ in range(STEPS)
    ]
    return batches, torch.randn(batch, width, generator=gen)


def regression_data(gen, batch, width, out):
    batches = [
        (torch.randn(batch, width, generator=gen), torch.randn(batch, out, generator=gen))
        for _ in range(STEPS)
    ]
    return batches, torch.randn(batch, width, generator=gen)


def simplex_data(gen, batch, width, out, log):
    """Targets are probability vectors (or their logs, with a wide spread so
    that huber sees residuals on both sides of delta)."""
    def target():
        p = F.softmax(torch.randn(batch, out, generator=gen) * 2.0, dim=-1)
        return torch.log(p) if log else p

    batches = [(torch.randn(batch, width, generator=gen), target()) for _ in range(STEPS)]
    return batches, torch.randn(batch, width, generator=gen)


# ------------------------------------------------------------- training ----

def flat(t):
    return t.detach().reshape(-1).tolist()


def state_json(model):
    out = {}
    for name, t in model.state_dict().items():
        dtype = "I64" if t.dtype == torch.int64 else "F32"
        out[name] = {"shape": list(t.shape), "dtype": dtype, "data": flat(t)}
    return out


def train(model, case, batches, eval_x, dtype, grad_noise=None):
    """Runs the case's steps; returns (trace, eval output, pre-clip grad norms).

    `grad_noise` (a generator) adds rounding-sized noise to the gradients of
    the case's loose parameters, as another implementation's summation
    order would."""
    model = model.to(dtype)
    params = list(model.parameters())
    opt = make_optimizer(case["optimizer"], params)
    trace, norms = [], []
    model.train()
    for x, y in batches:
        x, y = x.to(dtype), y.to(dtype)
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(case["loss"], out, y)
        loss.backward()
        grads = {n: flat(p.grad) for n, p in model.named_parameters()}
        if grad_noise is not None:
            for n, p in model.named_parameters():
                if n in case["loose"]:
                    p.grad += torch.randn(p.shape, generator=grad_noise, dtype=dtype) * ROUNDING_NOISE
        if case.get("clip") is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, case["clip"])))
        opt.step()
        trace.append({
            "output": flat(out),
            "loss": float(loss.detach()),
            "grads": grads,
            "state_after": {n: flat(t) for n, t in model.state_dict().items()},
        })
    model.eval()
    with torch.no_grad():
        eval_out = flat(model(eval_x.to(dtype)))
    return trace, eval_out, norms


def max_rel_excess(a, b):
    return common.max_rel_excess(a, b, MIN_ABS)


def trace_deviation(t32, t64, loose):
    worst = 0.0
    for s32, s64 in zip(t32, t64):
        worst = max(worst, max_rel_excess(s32["output"], s64["output"]),
                    max_rel_excess([s32["loss"]], [s64["loss"]]))
        for key in ("grads", "state_after"):
            for name, vals in s32[key].items():
                if name not in loose:
                    worst = max(worst, max_rel_excess(vals, s64[key][name]))
    return worst


def tolerance_for(deviation):
    return common.tolerance_for(deviation, MIN_REL, MIN_ABS)


def build_case(case, data_path):
    torch.manual_seed(case["seed"])
    model = case["module"]()
    initial = copy.deepcopy(model.state_dict())
    gen = torch.Generator().manual_seed(case["seed"])
    batches, eval_x = case["data"](gen, data_path)
    if case["steps"] == 0:
        batches = []

    trace, eval_out, norms = train(copy.deepcopy(model), case, batches, eval_x, torch.float32)
    ref = copy.deepcopy(model)
    ref.load_state_dict(initial)
    trace64, eval64, _ = train(ref, case, batches, eval_x, torch.float64)

    if case.get("clip") is not None and not all(n > case["clip"] for n in norms):
        raise SystemExit(f"{case['case']}: clipping must trigger every step, norms {norms}")

    loose = case.get("loose", [])
    trace_rel = trace_deviation(trace, trace64, loose)
    # The eval forward reads the running statistics, so a loose
    # running_mean makes the eval output loose too; it gets its own bound,
    # measured over runs whose loose gradients differ by rounding noise.
    eval_rel = max(trace_rel, max_rel_excess(eval_out, eval64))
    if loose:
        noise = torch.Generator().manual_seed(case["seed"])
        for _ in range(NOISE_TRIALS):
            perturbed = copy.deepcopy(model)
            _, eval_noisy, _ = train(perturbed, case, batches, eval_x, torch.float32, noise)
            eval_rel = max(eval_rel, max_rel_excess(eval_noisy, eval_out))

    lr = case["optimizer"][1]["lr"]
    fixture = {
        "case": case["case"],
        "model": case["module"].__name__,
        "batch": case["batch"],
        "steps": len(batches),
        "loss": case["loss"],
        "initial": {n: {"shape": list(t.shape), "dtype": "I64" if t.dtype == torch.int64 else "F32",
                        "data": flat(t)} for n, t in initial.items()},
        "batches": [{"x": flat(x), "y": flat(y)} for x, y in batches],
        "trace": trace,
        "eval": {"x": flat(eval_x), "output": eval_out, "tolerance": tolerance_for(eval_rel)},
        "tolerance": tolerance_for(trace_rel),
        "loose": loose,
        "loose_abs": lr * max(len(batches), 1),
        "f32_vs_f64_max_rel": {"trace": trace_rel, "eval": eval_rel},
    }
    if norms:
        fixture["grad_norms_before_clip"] = norms
    return fixture


CASES = [
    {
        "case": "seed", "module": SeedNet, "nn": SEED_NN, "seed": 1, "batch": 32, "steps": STEPS,
        "loss": "bce", "optimizer": ("adam", {"lr": 1e-3}),
        "data": lambda g, p: seed_data(g, 32, p),
        # Biases feeding batchnorm have a true gradient of exactly zero:
        # Adam turns the rounding noise into full lr-sized steps.
        "loose": ["fc1.bias", "fc2.bias", "bn1.running_mean", "bn2.running_mean"],
    },
    {
        "case": "mlp_ce", "module": MlpCe, "nn": MLP_CE_NN, "seed": 2, "batch": 16, "steps": STEPS,
        "loss": "cross_entropy",
        "optimizer": ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
        "clip": 0.5,
        "data": lambda g, p: class_data(g, 16, 12, 5, STEPS, scale=3.0),
    },
    {
        "case": "acts_mse", "module": ActsMse, "nn": ACTS_MSE_NN, "seed": 3, "batch": 16, "steps": STEPS,
        "loss": "mse", "optimizer": ("adamw", {"lr": 1e-2, "weight_decay": 0.05}),
        "data": lambda g, p: regression_data(g, 16, 6, 3),
    },
    {
        "case": "loss_bce_logits", "module": BceLogits, "nn": LOSS_BCE_LOGITS_NN, "seed": 4, "batch": 24,
        "steps": STEPS, "loss": "bce_with_logits",
        "optimizer": ("adam", {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-3}),
        "data": lambda g, p: binary_data(g, 24, 7),
    },
    {
        "case": "loss_l1_softmax", "module": L1Softmax, "nn": LOSS_L1_SOFTMAX_NN, "seed": 5, "batch": 8,
        "steps": STEPS, "loss": "l1",
        "optimizer": ("sgd", {"lr": 0.5, "momentum": 0.5, "weight_decay": 1e-3}),
        "data": lambda g, p: simplex_data(g, 8, 5, 4, log=False),
    },
    {
        "case": "loss_huber_log_softmax", "module": HuberLogSoftmax, "nn": LOSS_HUBER_LOG_SOFTMAX_NN,
        "seed": 6, "batch": 8, "steps": STEPS, "loss": "huber", "optimizer": ("sgd", {"lr": 0.05}),
        "data": lambda g, p: simplex_data(g, 8, 5, 4, log=True),
    },
    {
        "case": "dropout_eval", "module": DropoutEval, "nn": DROPOUT_EVAL_NN, "seed": 7, "batch": 16,
        "steps": 0, "loss": "cross_entropy", "optimizer": ("adam", {"lr": 1e-3}),
        "data": lambda g, p: class_data(g, 16, 6, 3, 0),
    },
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(REPO, "data", "water_potability.csv"),
                        help="water_potability.csv (default: data/water_potability.csv in the repo)")
    parser.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "torch"))
    args = parser.parse_args()

    # One thread: reductions then sum in one fixed order on every run.
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for case in CASES:
        fixture = build_case(case, args.data)
        with open(os.path.join(args.out, case["case"] + ".nn"), "w") as f:
            f.write(case["nn"])
        with open(os.path.join(args.out, case["case"] + ".json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
            f.write("\n")
        losses = [round(s["loss"], 5) for s in fixture["trace"]]
        print(f"{case['case']:24} steps={fixture['steps']} losses={losses} "
              f"tolerance={fixture['tolerance']} eval={fixture['eval']['tolerance']}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
