//! The `torch.nn.Module` of one model: layers as attributes named as in
//! the model file, their inits, and `forward` as an expression per value.

use netc_lang::ir::{Handle, Model, Node, NodeKind, Shape};
use netc_ops::Activation;

use super::layers::{is_flatten_function, layer_lines};
use super::python::{self, float};
use crate::ExportError;

/// The module's source text.
pub fn module_source(
    model: &Model,
    source_name: &str,
    netc_version: &str,
) -> Result<String, ExportError> {
    python::check_name(&model.name, "model name")?;
    python::check_name(&model.input.name, "input name")?;
    let mut text = format!(
        r#""""{name}: the model `{name}` of {source}, exported by netc {version}.

The layers are attributes named as in the model file, so
`load_state_dict(strict=True)` accepts the weights `netc train --save`
writes (safetensors with PyTorch `state_dict` names), and `forward` is the
model's forward pass. Inits follow the model file; where it names none,
PyTorch's defaults apply, as in netc.{input}
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


class {name}(nn.Module):
    def __init__(self):
        super().__init__()
"#,
        name = model.name,
        source = source_name,
        version = netc_version,
        input = match model.input.shape {
            Shape::Image(image) => format!(
                "\n\n`forward` takes `{}` shaped (N, C, H, W) = (N, {}, {}, {}).",
                model.input.name, image.channels, image.height, image.width
            ),
            Shape::Flat(_) => String::new(),
        },
    );
    for (_, layer) in model.layers.iter() {
        if is_flatten_function(layer) {
            continue;
        }
        python::check_attribute(&layer.name)?;
        for line in layer_lines(layer) {
            text.push_str("        ");
            text.push_str(&line);
            text.push('\n');
        }
    }
    text.push_str(&format!("\n    def forward(self, {}):\n", model.input.name));
    for line in forward_lines(model)? {
        text.push_str("        ");
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

/// Calls nested deeper than this get a line of their own.
const MAX_NESTING: usize = 3;

/// `forward`'s body: a value used once is written inside its user, unless
/// that nests calls too deep; one used more than once (a residual branch,
/// a shared input) gets a name.
fn forward_lines(model: &Model) -> Result<Vec<String>, ExportError> {
    let mut uses = vec![0usize; model.nodes.len()];
    for (_, node) in model.nodes.iter() {
        for operand in node.kind.operands() {
            uses[operand.index()] += 1;
        }
    }
    let output = model.output.ok_or_else(|| ExportError::NoOutput {
        model: model.name.clone(),
    })?;
    let mut lines = Vec::new();
    let mut exprs: Vec<Expr> = Vec::with_capacity(model.nodes.len());
    let mut taken = vec![model.input.name.clone()];
    for (handle, node) in model.nodes.iter() {
        let call = |text: String, a: Handle<Node>| Expr {
            text,
            depth: exprs[a.index()].depth + 1,
            sum: false,
        };
        let expr = match node.kind {
            NodeKind::Input => Expr::name(model.input.name.clone()),
            NodeKind::Call { layer, arg } => {
                let layer = &model.layers[layer];
                let x = &exprs[arg.index()].text;
                let text = if is_flatten_function(layer) {
                    format!("torch.flatten({x}, 1)")
                } else {
                    format!("self.{}({x})", layer.name)
                };
                call(text, arg)
            }
            NodeKind::Activation { activation, arg } => match activation {
                Activation::Identity => exprs[arg.index()].clone(),
                _ => call(
                    activation_call(activation, &exprs[arg.index()].text, model.nodes[arg].shape),
                    arg,
                ),
            },
            NodeKind::Add { lhs, rhs } => {
                let (l, r) = (&exprs[lhs.index()], &exprs[rhs.index()]);
                // Python adds left to right: a sum on the right keeps
                // its own order only in parentheses.
                let r_text = if r.sum {
                    format!("({})", r.text)
                } else {
                    r.text.clone()
                };
                Expr {
                    text: format!("{} + {r_text}", l.text),
                    depth: l.depth.max(r.depth),
                    sum: true,
                }
            }
        };
        let shared = uses[handle.index()] > 1 && !matches!(node.kind, NodeKind::Input);
        let expr = if handle != output && (shared || expr.depth >= MAX_NESTING) {
            let name = fresh_name(&mut taken, hint(model, &node.kind));
            lines.push(format!("{name} = {}", expr.text));
            Expr::name(name)
        } else {
            expr
        };
        exprs.push(expr);
    }
    lines.push(format!("return {}", exprs[output.index()].text));
    Ok(lines)
}

/// A value's Python expression.
#[derive(Clone)]
struct Expr {
    text: String,
    /// Calls nested in `text`.
    depth: usize,
    /// A top-level `+`.
    sum: bool,
}

impl Expr {
    fn name(text: String) -> Self {
        Expr {
            text,
            depth: 0,
            sum: false,
        }
    }
}

/// What a named value is called: after the layer or activation making it.
fn hint(model: &Model, kind: &NodeKind) -> String {
    match kind {
        NodeKind::Input => model.input.name.clone(),
        NodeKind::Call { layer, .. } => model.layers[*layer].name.clone(),
        NodeKind::Activation { activation, .. } => activation.name().to_string(),
        NodeKind::Add { .. } => "total".into(),
    }
}

/// `h` (`fc1` → `h_fc1`), numbered when taken.
fn fresh_name(taken: &mut Vec<String>, hint: String) -> String {
    let base = format!("h_{hint}");
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// The `torch.nn.functional` call of an activation: netc's activation names
/// are PyTorch's, arguments at PyTorch's default are left out, and the
/// row-wise activations act on the feature axis: all of an image's
/// `C·H·W` values, as netc computes them, so an image is flattened for
/// them and its shape restored after.
fn activation_call(activation: Activation, x: &str, shape: Shape) -> String {
    let defaults =
        Activation::from_name(activation.name()).map_or_else(Vec::new, |a| a.parameters());
    let image = shape.image().filter(|_| activation.is_row_wise());
    let mut args = vec![match image {
        Some(_) => format!("torch.flatten({x}, 1)"),
        None => x.to_string(),
    }];
    for (&(name, value), &(_, default)) in activation.parameters().iter().zip(&defaults) {
        if value != default {
            args.push(format!("{name}={}", float(value)));
        }
    }
    if activation.is_row_wise() {
        args.push("dim=-1".to_string());
    }
    let call = format!("F.{}({})", activation.name(), args.join(", "));
    match image {
        Some(_) => format!("{call}.unflatten(1, {shape})"),
        None => call,
    }
}
