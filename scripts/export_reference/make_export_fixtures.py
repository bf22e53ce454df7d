#!/usr/bin/env python3
"""Fixtures for `netc export`: what PyTorch, onnx and onnxruntime make of it.

For each example model that checks clean and the every-layer test model
(tests/fixtures/export/every_layer.nn), this script

1. trains it briefly with `netc train` (real weights, real batchnorm
   statistics, a real sidecar);
2. exports it with `netc export --to torch`, loads netc's weights into the
   generated module with `load_state_dict(strict=True)` and runs it in eval
   mode on fixed inputs;
3. exports it with `netc export --to onnx` (with and without
   `--with-preprocessing`), runs `onnx.checker.check_model(full_check=True)`
   and onnxruntime at batch 1, 64 and 1,000, and on raw CSV rows;
4. trains the exported wine regression with the generated torchrun script,
   in one process and in two (`torchrun --standalone --nproc-per-node=2`,
   gloo), from the same initial weights without shuffling, and the
   batchnorm water model in two processes for a few epochs.

Everything is written under tests/fixtures/export/; the Rust tests compare
netc's own outputs and training with it, without Python.

Usage (from anywhere; builds nothing, so build netc first):
    cargo build -p netc-cli
    python3 scripts/export_reference/make_export_fixtures.py [--netc target/debug/netc]
"""

import argparse
import csv
import importlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "fixtures" / "export"
ROWS = 64
RAW_ROWS = 40
EPOCHS = 3

# (fixture name, model file, model name)
MODELS = [
    ("breast_cancer", "examples/breast_cancer.nn", "BreastCancerNet"),
    ("digits", "examples/digits.nn", "DigitsNet"),
    ("regression", "examples/regression.nn", "WineFlavanoids"),
    ("water", "examples/water.nn", "WaterNet"),
    ("every_layer", "tests/fixtures/export/every_layer.nn", "EveryLayer"),
]


def run(command, **kwargs):
    """Runs a command, stopping with its output when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    return result


def write_every_layer_data():
    """A synthetic 3-class problem over 6 features, a few cells missing."""
    rng = random.Random(11)
    lines = ["a,b,c,d,e,f,label"]
    for _ in range(240):
        features = [rng.gauss(0, 1) * (1 + i) + i for i in range(6)]
        score = features[0] - 0.5 * features[2] + 0.2 * features[4]
        label = 0 if score < -1 else (1 if score < 2 else 2)
        cells = ["" if rng.random() < 0.02 else f"{v:.5f}" for v in features]
        lines.append(",".join(cells + [str(label)]))
    (OUT / "every_layer.csv").write_text("\n".join(lines) + "\n")


def import_exported(folder, module):
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.pop(0)


def raw_rows(model_file, features, count):
    """The first rows of the model's data file as raw feature values (NaN
    where missing), in the sidecar's feature order."""
    text = (REPO / model_file).read_text()
    data = next(line.split('"')[1] for line in text.splitlines() if line.strip().startswith("data ="))
    with open((REPO / model_file).parent / data, newline="") as file:
        reader = csv.reader(file)
        header = [c.strip() for c in next(reader)]
        index = [header.index(f) for f in features]
        rows = []
        for record in reader:
            cells = [record[i].strip() for i in index]
            rows.append([math.nan if c in ("", "NA", "NaN", "nan") else float(c) for c in cells])
            if len(rows) == count:
                break
    return torch.tensor(rows, dtype=torch.float32)


def max_diff(a, b):
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return ((a - b).abs() / b.abs().clamp(min=1.0)).max().item()


def export_case(netc, name, model_file, model_name, work):
    case = OUT / name
    case.mkdir(parents=True, exist_ok=True)
    weights = case / "weights.safetensors"
    run([netc, "train", REPO / model_file, "--model", model_name, "--epochs", str(EPOCHS),
         "--save", weights, "--format", "json"])
    sidecar = json.loads(weights.with_suffix(".json").read_text())
    # Paths in the committed sidecar are the repo-relative ones.
    sidecar["model_file"] = model_file
    weights.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")

    folder = work / name
    run([netc, "export", REPO / model_file, "--to", "torch", "--model", model_name, "--out", folder])
    module_name = next(p.stem for p in folder.glob("*.py") if not p.stem.startswith("train_"))
    module = import_exported(folder, module_name)
    script = import_exported(folder, "train_" + module_name)
    net = getattr(module, model_name)()
    net.load_state_dict(script.read_safetensors(weights), strict=True)
    net.eval()

    width = len(sidecar["preprocessing"]["features"])
    generator = torch.Generator().manual_seed(len(name))
    x = torch.randn(ROWS, width, generator=generator) * 1.5
    with torch.no_grad():
        torch_out = net(x)

    onnx_path = folder / "model.onnx"
    run([netc, "export", REPO / model_file, "--to", "onnx", "--model", model_name,
         "--weights", weights, "--out", onnx_path])
    onnx.checker.check_model(onnx.load(str(onnx_path)), full_check=True)
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    ort_out = session.run(None, {input_name: x.numpy()})[0]
    for batch in (1, 1000):
        big = torch.randn(batch, width, generator=generator)
        got = session.run(None, {input_name: big.numpy()})[0]
        with torch.no_grad():
            want = net(big).numpy()
        assert got.shape == want.shape, (name, batch, got.shape)
        assert max_diff(got, want) <= 1e-5, (name, batch, max_diff(got, want))

    raw_path = folder / "raw.onnx"
    run([netc, "export", REPO / model_file, "--to", "onnx", "--model", model_name,
         "--weights", weights, "--with-preprocessing", "--out", raw_path])
    onnx.checker.check_model(onnx.load(str(raw_path)), full_check=True)
    raw_session = onnxruntime.InferenceSession(str(raw_path), providers=["CPUExecutionProvider"])
    raw = raw_rows(model_file, sidecar["preprocessing"]["features"], RAW_ROWS)
    raw_out = raw_session.run(None, {raw_session.get_inputs()[0].name: raw.numpy()})[0]

    script.write_atomically(
        case / "io.safetensors",
        script.safetensors_bytes(
            {
                "input": x,
                "torch_output": torch_out,
                "onnxruntime_output": torch.from_numpy(ort_out),
                "raw_input": raw,
                "onnxruntime_raw_output": torch.from_numpy(raw_out),
            },
            {"model_file": model_file, "model": model_name},
        ),
    )
    report = {
        "model_file": model_file,
        "model": model_name,
        "torch_vs_onnxruntime": max_diff(ort_out, torch_out),
        "check_model_full_check": "passed",
        "onnxruntime_batches": [1, ROWS, 1000],
    }
    (case / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{name}: torch vs onnxruntime {report['torch_vs_onnxruntime']:.2e}")


def ddp_cases(netc, work):
    """2-rank DDP against one process (wine, no batchnorm), and 2-rank DDP
    with batchnorm (water)."""
    case = OUT / "ddp"
    case.mkdir(parents=True, exist_ok=True)
    folder = work / "ddp_wine"
    run([netc, "export", REPO / "examples/regression.nn", "--to", "torch", "--out", folder])
    module = import_exported(folder, "wine_flavanoids")
    script = import_exported(folder, "train_wine_flavanoids")
    torch.manual_seed(5)
    init = case / "wine_init.safetensors"
    script.write_atomically(init, script.safetensors_bytes(module.WineFlavanoids().state_dict(), {"format": "pt"}))

    common = ["--init-weights", init, "--no-shuffle", "--epochs", "1"]
    single = work / "single.safetensors"
    ddp = case / "wine_ddp.safetensors"
    train = folder / "train_wine_flavanoids.py"
    run([sys.executable, train, *common, "--save", single])
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    log = run([*torchrun, train, *common, "--save", ddp], env={**os.environ, "OMP_NUM_THREADS": "1"})
    one = script.read_safetensors(single)
    two = script.read_safetensors(ddp)
    wine_diff = max(max_diff(two[k], one[k]) for k in one)
    assert wine_diff <= 1e-5, wine_diff
    sidecar = json.loads(ddp.with_suffix(".json").read_text())
    sidecar["model_file"] = "examples/regression.nn"
    ddp.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")

    folder = work / "ddp_water"
    run([netc, "export", REPO / "examples/water.nn", "--to", "torch", "--out", folder])
    water = case / "water_ddp.safetensors"
    log_water = run(
        [*torchrun, folder / "train_water_net.py", "--epochs", "8", "--save", water],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    losses = [json.loads(line)["train_loss"] for line in log_water.stdout.splitlines() if line.startswith("{")]
    assert losses[-1] < losses[0], losses
    sidecar = json.loads(water.with_suffix(".json").read_text())
    sidecar["model_file"] = "examples/water.nn"
    water.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")

    report = {
        "wine": {
            "command": "torchrun --standalone --nproc-per-node=2 train_wine_flavanoids.py "
            "--init-weights wine_init.safetensors --no-shuffle --epochs 1",
            "max_difference_ddp_vs_one_process": wine_diff,
            "epoch_log": [json.loads(l) for l in log.stdout.splitlines() if l.startswith("{")],
        },
        "water_batchnorm": {
            "command": "torchrun --standalone --nproc-per-node=2 train_water_net.py --epochs 8",
            "train_loss_per_epoch": losses,
        },
    }
    (case / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"ddp wine: max difference to one process {wine_diff:.2e}; water losses {losses[0]:.4f} -> {losses[-1]:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--netc", default=str(REPO / "target" / "debug" / "netc"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    write_every_layer_data()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for name, model_file, model_name in MODELS:
            export_case(args.netc, name, model_file, model_name, work)
        ddp_cases(args.netc, work)
    print(f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, torch {torch.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
