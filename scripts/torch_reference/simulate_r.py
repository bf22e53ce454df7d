#!/usr/bin/env python3
"""Simulate the gradient ratio R at initialisation in PyTorch for netc model
files, the reference for `netc analyze` (docs/lints-and-gradients.md).

R = sqrt(E||grad W_first||^2 / E||grad W_last||^2): a ratio of mean squares
over networks (seeds), standardised inputs x ~ N(0, 1) and random output
gradients g ~ N(0, 1), with the model in train mode (batchnorm uses batch
statistics, dropout is active). W_first / W_last are the first and last
linear layers called in `forward`.

The model files are read by a small parser for the subset of the language
the simulation models use (layers, forward with calls, names and `+`);
inits and defaults follow torch.nn.init and nn.Linear exactly.

Usage:
    python3 scripts/torch_reference/simulate_r.py \
        crates/netc-lang/tests/lint_models/sim/*.nn \
        --out crates/netc-lang/tests/fixtures/simulated_r.json
"""

import argparse
import json
import math
import os
import re
import sys

import torch
from torch import nn

TOKEN = re.compile(
    r"\s*(?:(//[^\n]*)|(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\"[^\"]*\")|(.))"
)


def tokenize(text):
    tokens = []
    for comment, number, name, string, punct in TOKEN.findall(text):
        if comment:
            continue
        if number:
            tokens.append(("num", float(number)))
        elif name:
            tokens.append(("name", name))
        elif string:
            tokens.append(("str", string[1:-1]))
        elif punct.strip():
            tokens.append(("punct", punct))
    return tokens


class Parser:
    """Recursive descent over the token list: models, expressions, calls."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset=0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("eof", None)

    def take(self, kind=None, value=None):
        token = self.peek()
        if (kind and token[0] != kind) or (value is not None and token[1] != value):
            raise SyntaxError(f"expected {value or kind}, got {token}")
        self.pos += 1
        return token[1]

    def models(self):
        models = []
        while self.peek()[0] != "eof":
            models.append(self.model())
        return models

    def model(self):
        self.take("name", "model")
        name = self.take("name")
        self.take("punct", "{")
        model = {"name": name, "layers": {}, "forward": []}
        while self.peek() != ("punct", "}"):
            head = self.take("name")
            if head == "input":
                model["input_name"] = self.take("name")
                self.take("punct", ":")
                model["input_width"] = int(self.take("num"))
            elif head in ("forward", "train"):
                block = self.block()
                if head == "forward":
                    model["forward"] = block
            else:
                self.take("punct", "=")
                model["layers"][head] = self.expr()
        self.take("punct", "}")
        return model

    def block(self):
        self.take("punct", "{")
        statements = []
        while self.peek() != ("punct", "}"):
            if self.peek() == ("name", "return"):
                self.take()
                statements.append(("return", None, self.expr()))
            else:
                target = self.take("name")
                self.take("punct", "=")
                statements.append(("assign", target, self.expr()))
        self.take("punct", "}")
        return statements

    def expr(self):
        terms = [self.term()]
        while self.peek() == ("punct", "+"):
            self.take()
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else ("add", terms)

    def term(self):
        kind, value = self.peek()
        if kind == "num" or kind == "str":
            self.take()
            return ("lit", value)
        if kind == "punct" and value == "(":
            self.take()
            items = [self.expr()]
            while self.peek() == ("punct", ","):
                self.take()
                items.append(self.expr())
            self.take("punct", ")")
            return items[0] if len(items) == 1 else ("tuple", items)
        name = self.take("name")
        if self.peek() != ("punct", "("):
            if name in ("true", "false"):
                return ("lit", name == "true")
            return ("name", name)
        self.take()
        args, kwargs = [], {}
        while self.peek() != ("punct", ")"):
            if self.peek()[0] == "name" and self.peek(1) == ("punct", "="):
                key = self.take()
                self.take()
                kwargs[key] = self.expr()
            else:
                args.append(self.expr())
            if self.peek() == ("punct", ","):
                self.take()
        self.take("punct", ")")
        return ("call", name, args, kwargs)


def literal(node):
    """An argument value: numbers, booleans, bare names, nested calls."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "name":
        return node[1]
    if kind == "tuple":
        return tuple(literal(item) for item in node[1])
    if kind == "call":
        return (node[1], [literal(a) for a in node[2]], {k: literal(v) for k, v in node[3].items()})
    raise ValueError(f"not a literal: {node}")


def bind(names, defaults, args, kwargs):
    values = dict(defaults)
    values.update(zip(names, args))
    values.update(kwargs)
    return values


INIT_SIGNATURES = {
    "kaiming_uniform": (["a", "mode", "nonlinearity"], {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"}),
    "kaiming_normal": (["a", "mode", "nonlinearity"], {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"}),
    "xavier_uniform": (["gain"], {"gain": 1.0}),
    "xavier_normal": (["gain"], {"gain": 1.0}),
    "orthogonal": (["gain"], {"gain": 1.0}),
    "uniform": (["a", "b"], {"a": 0.0, "b": 1.0}),
    "normal": (["mean", "std"], {"mean": 0.0, "std": 1.0}),
    "trunc_normal": (["mean", "std", "a", "b"], {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0}),
    "zeros": ([], {}),
    "ones": ([], {}),
    "constant": (["val"], {}),
}


def apply_init(tensor, spec):
    name, args, kwargs = spec if isinstance(spec, tuple) else (spec, [], {})
    names, defaults = INIT_SIGNATURES[name]
    values = bind(names, defaults, args, kwargs)
    with torch.no_grad():
        if name == "zeros":
            nn.init.zeros_(tensor)
        elif name == "ones":
            nn.init.ones_(tensor)
        elif name == "constant":
            nn.init.constant_(tensor, values["val"])
        elif name == "identity":
            raise ValueError("identity is not an init")
        else:
            getattr(nn.init, name + "_")(tensor, **values)


ACTIVATION_SIGNATURES = {
    "leaky_relu": (["negative_slope"], {"negative_slope": 0.01}),
    "elu": (["alpha"], {"alpha": 1.0}),
    "softplus": (["beta", "threshold"], {"beta": 1.0, "threshold": 20.0}),
}


def activation(name, args, kwargs):
    names, defaults = ACTIVATION_SIGNATURES.get(name, ([], {}))
    values = bind(names, defaults, args, kwargs)
    simple = {
        "relu": nn.ReLU(),
        "selu": nn.SELU(),
        "gelu": nn.GELU(),
        "silu": nn.SiLU(),
        "tanh": nn.Tanh(),
        "sigmoid": nn.Sigmoid(),
        "identity": nn.Identity(),
        "softmax": nn.Softmax(dim=-1),
        "log_softmax": nn.LogSoftmax(dim=-1),
    }
    if name in simple:
        return simple[name]
    if name == "leaky_relu":
        return nn.LeakyReLU(values["negative_slope"])
    if name == "elu":
        return nn.ELU(values["alpha"])
    if name == "softplus":
        return nn.Softplus(values["beta"], values["threshold"])
    raise ValueError(f"unknown activation {name}")


def build_layer(spec):
    _, kind, raw_args, raw_kwargs = spec
    args = [literal(a) for a in raw_args]
    kwargs = {k: literal(v) for k, v in raw_kwargs.items()}
    if kind == "linear":
        values = bind(["in_features", "out_features", "bias"], {"bias": True}, args, kwargs)
        layer = nn.Linear(int(values["in_features"]), int(values["out_features"]), bias=values["bias"])
        if "init" in values:
            apply_init(layer.weight, values["init"])
        if "bias_init" in values and layer.bias is not None:
            apply_init(layer.bias, values["bias_init"])
        return layer
    if kind == "batchnorm":
        values = bind(["num_features", "eps", "momentum", "affine"], {"eps": 1e-5, "momentum": 0.1, "affine": True}, args, kwargs)
        return nn.BatchNorm1d(int(values["num_features"]), values["eps"], values["momentum"], values["affine"])
    if kind == "layernorm":
        values = bind(["normalized_shape", "eps"], {"eps": 1e-5}, args, kwargs)
        return nn.LayerNorm(int(values["normalized_shape"]), values["eps"])
    if kind == "dropout":
        values = bind(["p"], {"p": 0.5}, args, kwargs)
        return nn.Dropout(values["p"])
    raise ValueError(f"unknown layer kind {kind}")


class NetcModel(nn.Module):
    """Runs a parsed `forward` block, recording linear calls in order."""

    def __init__(self, parsed):
        super().__init__()
        self.parsed = parsed
        self.layers = nn.ModuleDict({name: build_layer(spec) for name, spec in parsed["layers"].items()})
        self.linear_order = []

    def forward(self, x):
        env = {self.parsed["input_name"]: x}
        self.linear_order = []
        for kind, target, expr in self.parsed["forward"]:
            value = self.evaluate(expr, env)
            if kind == "return":
                return value
            env[target] = value
        raise ValueError("forward returns nothing")

    def evaluate(self, expr, env):
        kind = expr[0]
        if kind == "name":
            return env[expr[1]]
        if kind == "add":
            terms = [self.evaluate(term, env) for term in expr[1]]
            return sum(terms[1:], terms[0])
        if kind == "call":
            _, name, args, kwargs = expr
            operand = self.evaluate(args[0], env)
            if name in self.layers:
                if isinstance(self.layers[name], nn.Linear) and name not in self.linear_order:
                    self.linear_order.append(name)
                return self.layers[name](operand)
            options = [literal(a) for a in args[1:]]
            return activation(name, options, {k: literal(v) for k, v in kwargs.items()})(operand)
        raise ValueError(f"cannot evaluate {expr}")


def simulate(parsed, seeds, batch, repeats):
    """Mean squared weight-gradient norms of the first and last linear."""
    first_sq, last_sq, per_seed = 0.0, 0.0, []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = NetcModel(parsed).double().train()
        seed_first, seed_last = 0.0, 0.0
        for _ in range(repeats):
            model.zero_grad()
            x = torch.randn(batch, parsed["input_width"], dtype=torch.float64)
            out = model(x)
            g = torch.randn_like(out)
            (out * g).sum().backward()
            first = model.layers[model.linear_order[0]].weight.grad
            last = model.layers[model.linear_order[-1]].weight.grad
            seed_first += first.pow(2).sum().item()
            seed_last += last.pow(2).sum().item()
        first_sq += seed_first
        last_sq += seed_last
        per_seed.append(math.sqrt(seed_first / seed_last))
    return math.sqrt(first_sq / last_sq), per_seed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=4, help="batches per seed")
    options = parser.parse_args()

    torch.set_num_threads(2)
    # Paths in the report are relative to the repository root, so the Rust
    # test finds the same files.
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    results = []
    for path in sorted(options.files):
        with open(path) as handle:
            models = Parser(tokenize(handle.read())).models()
        for parsed in models:
            r, per_seed = simulate(parsed, options.seeds, options.batch, options.repeats)
            results.append({
                "file": os.path.relpath(os.path.abspath(path), root),
                "model": parsed["name"],
                "R": r,
                "R_per_seed": per_seed,
            })
            print(f"{os.path.basename(path):28} {parsed['name']:20} R = {r:.4g}", file=sys.stderr)
    report = {
        "torch": torch.__version__,
        "seeds": options.seeds,
        "batch": options.batch,
        "batches_per_seed": options.repeats,
        "inputs": "x ~ N(0, 1), output gradient g ~ N(0, 1), train mode, float64",
        "results": results,
    }
    os.makedirs(os.path.dirname(options.out) or ".", exist_ok=True)
    with open(options.out, "w") as handle:
        json.dump(report, handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
