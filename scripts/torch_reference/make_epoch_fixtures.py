#!/usr/bin/env python3
"""Generate the one-epoch PyTorch fixtures `netc train` is compared with.

Per-step fixtures (make_fixtures.py) prove the interpreter's arithmetic;
these prove the whole command: CSV parsing, batching in file order with the
last partial batch kept, `--init-weights`, the optimizer and learning-rate
schedule over whole epochs, and `--save` writing PyTorch-named
safetensors. Each case is one model written twice, as netc model text and
as the PyTorch module with the same attribute names, trained on real rows
of a dataset in `data/` copied into the case's folder.

The PyTorch side is the loop a user would write: `load_state_dict(init)`,
`DataLoader(shuffle=False, drop_last=False)` semantics (file order, the last
partial batch kept), the loss and optimizer of the train block,
`clip_grad_norm_` where set, `scheduler.step()` after each epoch, and
`state_dict()` saved with `safetensors.torch.save_file`.

Every case is replayed in float64 from the same initial state and the same
(float32-rounded) rows; the largest float32-vs-float64 deviation sets the
case's tolerance, so it says how far an honest float32 implementation may
drift over the epoch, not how far netc happened to.

Usage: python3 scripts/torch_reference/make_epoch_fixtures.py [--data DIR] [--out DIR]
"""

import argparse
import copy
import csv
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

import common
from common import REPO, SeedNet, loss_fn, make_optimizer, max_rel_excess

# The comparison is |a - b| <= abs + rel * |b|. An epoch compounds rounding
# over many steps, so the floor is looser than the per-step fixtures'.
MIN_REL = 1e-4
MIN_ABS = 1e-5


# ---------------------------------------------------------------- models ----

SEED_WATER_NN = """\
// seed_water: the network this project came from, one epoch on the first
// complete rows of water_potability.csv, unstandardised.
model SeedNet {
    input x: 9

    fc1 = linear(9, 16)
    bn1 = batchnorm(16)
    fc2 = linear(16, 8)
    bn2 = batchnorm(8)
    fc3 = linear(8, 1)

    forward {
        x = elu(bn1(fc1(x)))
        x = elu(bn2(fc2(x)))
        return sigmoid(fc3(x))
    }

    train {
        loss = bce
        optimizer = adam(lr=1e-3)
        batch = 32
        epochs = 1
    }
}
"""


DIGITS_CE_NN = """\
// digits_ce: 8x8 digit pixels (0-16) to 10 class logits; cross entropy on
// class indices, Nesterov SGD and gradient clipping.
model DigitsCe {
    input x: 64

    fc1 = linear(64, 32)
    out = linear(32, 10)

    forward {
        return out(relu(fc1(x)))
    }

    train {
        loss = cross_entropy
        optimizer = sgd(lr=0.05, momentum=0.9, nesterov=true)
        clip_grad_norm = 1.0
        batch = 16
        epochs = 1
    }
}
"""


class DigitsCe(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        return self.out(F.relu(self.fc1(x)))


WINE_MSE_NN = """\
// wine_mse: the flavanoid content of a wine from the other thirteen
// columns (the target is not the last column: the train block names it);
// a layernorm tames the raw feature scales; mse under AdamW.
model WineMse {
    input x: 13

    fc1 = linear(13, 16)
    ln = layernorm(16)
    out = linear(16, 1)

    forward {
        return out(gelu(ln(fc1(x))))
    }

    train {
        loss = mse
        optimizer = adamw(lr=1e-2, weight_decay=0.01)
        batch = 24
        epochs = 1
        target = "flavanoids"
    }
}
"""


class WineMse(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(13, 16)
        self.ln = nn.LayerNorm(16)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(F.gelu(self.ln(self.fc1(x))))


CANCER_STEP_NN = """\
// cancer_step: two epochs on complete rows of the Wisconsin breast cancer
// data (bce_with_logits, SGD with momentum) under a step schedule that
// halves the learning rate after every epoch.
model CancerStep {
    input x: 9

    fc1 = linear(9, 8)
    out = linear(8, 1)

    forward {
        return out(relu(fc1(x)))
    }

    train {
        loss = bce_with_logits
        optimizer = sgd(lr=0.05, momentum=0.9)
        lr_schedule = step(step_size=1, gamma=0.5)
        batch = 20
        epochs = 2
    }
}
"""


class CancerStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(9, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        return self.out(F.relu(self.fc1(x)))


CANCER_COSINE_NN = """\
// cancer_cosine: three epochs of Adam under a cosine schedule whose t_max
// defaults to the epochs, on the same rows as cancer_step.
model CancerCosine {
    input x: 9

    fc1 = linear(9, 8)
    out = linear(8, 1)

    forward {
        return out(tanh(fc1(x)))
    }

    train {
        loss = bce_with_logits
        optimizer = adam(lr=1e-2)
        lr_schedule = cosine(eta_min=1e-3)
        batch = 20
        epochs = 3
    }
}
"""


class CancerCosine(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(9, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.fc1(x)))


# ------------------------------------------------------------------ data ----

def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def complete_rows(path, count):
    """The first `count` rows without a missing (empty) field, verbatim."""
    header, rows = read_csv(path)
    return header, [r for r in rows if all(v != "" for v in r)][:count]


def first_rows(path, count):
    header, rows = read_csv(path)
    return header, rows[:count]


def tensors(header, rows, target):
    """Features (every other column, in file order) and the target column,
    parsed as float64 and rounded to float32 as netc reads a CSV."""
    t = header.index(target)
    values = torch.tensor([[float(v) for v in r] for r in rows], dtype=torch.float64)
    features = [i for i in range(len(header)) if i != t]
    return values[:, features].float(), values[:, t : t + 1].float()


# ------------------------------------------------------------- training ----

def make_scheduler(spec, opt):
    if spec is None:
        return None
    kind, kw = spec
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, **kw)
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, **kw)
    raise ValueError(kind)


def train(model, case, x, y, dtype):
    """One run of the case's epochs; returns the final state_dict, per epoch
    the row-weighted mean step loss and the step losses, the learning rate
    of each step, and how many steps clipping acted on."""
    model = model.to(dtype)
    x, y = x.to(dtype), y.to(dtype)
    params = list(model.parameters())
    opt = make_optimizer(case["optimizer"], params)
    scheduler = make_scheduler(case.get("schedule"), opt)
    batch = case["batch"]
    epoch_losses, step_losses, lrs, clipped = [], [], [], 0
    model.train()
    for _ in range(case["epochs"]):
        losses, weighted = [], 0.0
        # File order, last partial batch kept: DataLoader(shuffle=False,
        # drop_last=False) over a TensorDataset.
        for start in range(0, x.shape[0], batch):
            xb, yb = x[start : start + batch], y[start : start + batch]
            opt.zero_grad()
            loss = loss_fn(case["loss"], model(xb), yb)
            loss.backward()
            if case.get("clip") is not None:
                norm = float(torch.nn.utils.clip_grad_norm_(params, case["clip"]))
                clipped += norm > case["clip"]
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            losses.append(float(loss.detach()))
            weighted += float(loss.detach()) * xb.shape[0]
        # netc reports the epoch's train loss weighted by batch rows (the
        # per-row mean over the epoch), so a short last batch counts less.
        epoch_losses.append(weighted / x.shape[0])
        step_losses.append(losses)
        if scheduler is not None:
            scheduler.step()
    state = {n: t.detach().clone() for n, t in model.state_dict().items()}
    return state, epoch_losses, step_losses, lrs, clipped


def tolerance_for(deviation):
    return common.tolerance_for(deviation, MIN_REL, MIN_ABS)


def build_case(case, data_dir, out_dir):
    header, rows = case["rows"](data_dir)
    x, y = tensors(header, rows, case["target"])
    torch.manual_seed(case["seed"])
    model = case["module"]()
    initial = {n: t.detach().clone() for n, t in model.state_dict().items()}

    state32, losses32, steps32, lrs, clipped = train(copy.deepcopy(model), case, x, y, torch.float32)
    state64, losses64, _, _, _ = train(copy.deepcopy(model), case, x, y, torch.float64)

    loose = case.get("loose", [])
    state_rel = max(
        (max_rel_excess(state32[n].reshape(-1).tolist(), state64[n].reshape(-1).tolist(), MIN_ABS)
         for n in state32 if n not in loose and state32[n].is_floating_point()),
        default=0.0,
    )
    loss_rel = max_rel_excess(losses32, losses64, MIN_ABS)
    state_abs = max(
        ((state32[n] - state64[n].float()).abs().max().item()
         for n in state32 if n not in loose and state32[n].is_floating_point()),
        default=0.0,
    )
    loose_abs_seen = max(
        ((state32[n] - state64[n].float()).abs().max().item() for n in loose), default=0.0,
    )
    steps = len(lrs)
    if case.get("clip") is not None and clipped == 0:
        raise SystemExit(f"{case['case']}: clipping never acted; the case would not test it")

    folder = os.path.join(out_dir, case["case"])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, case["case"] + ".nn"), "w") as f:
        f.write(case["nn"])
    with open(os.path.join(folder, case["case"] + ".csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    save_file({n: t.contiguous() for n, t in initial.items()}, os.path.join(folder, "init.safetensors"))
    save_file({n: t.contiguous() for n, t in state32.items()}, os.path.join(folder, "expected.safetensors"))

    fixture = {
        "case": case["case"],
        "model": case["module"].__name__,
        "torch_version": torch.__version__.split("+")[0],
        "rows": len(rows),
        "batch": case["batch"],
        "epochs": case["epochs"],
        "steps": steps,
        "last_batch": len(rows) - (steps // case["epochs"] - 1) * case["batch"],
        "lr_per_step": lrs,
        "train_loss": losses32,
        "step_losses": steps32,
        "tolerance": tolerance_for(state_rel),
        "loss_tolerance": tolerance_for(loss_rel),
        "loose": loose,
        "loose_abs": sum(lrs),
        # How far PyTorch's own float32 run is from the float64 replay:
        # the relative excess over `abs` that sets `tolerance`, the largest
        # absolute difference of the tight tensors, and of the loose ones.
        "f32_vs_f64_max_rel": {"state": state_rel, "train_loss": loss_rel},
        "f32_vs_f64_max_abs": {"state": state_abs, "loose": loose_abs_seen},
    }
    if case.get("clip") is not None:
        fixture["clipped_steps"] = clipped
    with open(os.path.join(folder, case["case"] + ".json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    return fixture


CASES = [
    {
        "case": "seed_water", "module": SeedNet, "nn": SEED_WATER_NN, "seed": 11,
        # 250 rows: seven batches of 32 and a last one of 26.
        "rows": lambda d: complete_rows(os.path.join(d, "water_potability.csv"), 250),
        "target": "Potability", "batch": 32, "epochs": 1, "loss": "bce",
        "optimizer": ("adam", {"lr": 1e-3}),
        # Biases feeding batchnorm have a true gradient of exactly zero:
        # Adam turns the rounding noise into full lr-sized steps, and the
        # running means downstream carry them (docs/pytorch.md).
        "loose": ["fc1.bias", "fc2.bias", "bn1.running_mean", "bn2.running_mean"],
    },
    {
        "case": "digits_ce", "module": DigitsCe, "nn": DIGITS_CE_NN, "seed": 12,
        # 300 rows: eighteen batches of 16 and a last one of 12.
        "rows": lambda d: first_rows(os.path.join(d, "sklearn_digits.csv"), 300),
        "target": "target", "batch": 16, "epochs": 1, "loss": "cross_entropy",
        "optimizer": ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        "clip": 1.0,
    },
    {
        "case": "wine_mse", "module": WineMse, "nn": WINE_MSE_NN, "seed": 13,
        # All 178 rows: seven batches of 24 and a last one of 10.
        "rows": lambda d: first_rows(os.path.join(d, "sklearn_wine.csv"), 178),
        "target": "flavanoids", "batch": 24, "epochs": 1, "loss": "mse",
        "optimizer": ("adamw", {"lr": 1e-2, "weight_decay": 0.01}),
    },
    {
        "case": "cancer_step", "module": CancerStep, "nn": CANCER_STEP_NN, "seed": 14,
        # 150 rows: seven batches of 20 and a last one of 10, twice.
        "rows": lambda d: complete_rows(os.path.join(d, "breast_cancer_wisconsin_original.csv"), 150),
        "target": "malignant", "batch": 20, "epochs": 2, "loss": "bce_with_logits",
        "optimizer": ("sgd", {"lr": 0.05, "momentum": 0.9}),
        "schedule": ("step", {"step_size": 1, "gamma": 0.5}),
    },
    {
        "case": "cancer_cosine", "module": CancerCosine, "nn": CANCER_COSINE_NN, "seed": 15,
        "rows": lambda d: complete_rows(os.path.join(d, "breast_cancer_wisconsin_original.csv"), 150),
        "target": "malignant", "batch": 20, "epochs": 3, "loss": "bce_with_logits",
        "optimizer": ("adam", {"lr": 1e-2}),
        # netc's t_max defaults to the run's epochs; PyTorch needs it spelled.
        "schedule": ("cosine", {"T_max": 3, "eta_min": 1e-3}),
    },
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(REPO, "data"),
                        help="folder with the source CSVs (default: data/ in the repo)")
    parser.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "torch_epoch"))
    args = parser.parse_args()

    # One thread: reductions then sum in one fixed order on every run.
    torch.set_num_threads(1)
    for case in CASES:
        fixture = build_case(case, args.data, args.out)
        print(f"{case['case']:12} rows={fixture['rows']} steps={fixture['steps']} "
              f"last_batch={fixture['last_batch']} train_loss={[round(v, 5) for v in fixture['train_loss']]} "
              f"f32_vs_f64={fixture['f32_vs_f64_max_rel']} {fixture['f32_vs_f64_max_abs']} tolerance={fixture['tolerance']}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
