//! Every netc activation as opset-17 nodes, PyTorch's definition exactly:
//! an op where opset 17 has one, else a composite of exact ops (GELU from
//! `Erf`, softplus with its `beta` and `threshold`, SiLU as x·σ(x)).

use netc_lang::ir::Shape;
use netc_ops::{Activation, SELU_ALPHA, SELU_SCALE};

use super::graph::{Attr, GraphBuilder};

/// The value `activation(x)` for an `x` of shape `input`; `identity`
/// adds no node. A row-wise activation (softmax) acts on all of a
/// sample's values, as netc computes it: an image is flattened for it and
/// reshaped back after.
pub fn lower(graph: &mut GraphBuilder, activation: Activation, x: &str, input: Shape) -> String {
    match input {
        Shape::Image(image) if activation.is_row_wise() => {
            let flat = graph.node("Flatten", &[x], &[Attr::Int("axis", 1)], "row");
            let y = last_axis(graph, activation, &flat);
            let dims = [image.channels, image.height, image.width].map(|d| d as i64);
            let dims = [-1, dims[0], dims[1], dims[2]];
            let shape = graph.int64s(&format!("shape={dims:?}"), &dims);
            graph.node("Reshape", &[&y, &shape], &[], activation.name())
        }
        _ => last_axis(graph, activation, x),
    }
}

/// `activation(x)` along the last axis of `x`.
fn last_axis(graph: &mut GraphBuilder, activation: Activation, x: &str) -> String {
    let hint = activation.name();
    let op = |graph: &mut GraphBuilder, op: &str, attrs: &[Attr]| graph.node(op, &[x], attrs, hint);
    match activation {
        Activation::Identity => x.to_string(),
        Activation::Relu => op(graph, "Relu", &[]),
        Activation::Tanh => op(graph, "Tanh", &[]),
        Activation::Sigmoid => op(graph, "Sigmoid", &[]),
        Activation::LeakyRelu { negative_slope } => {
            op(graph, "LeakyRelu", &[Attr::Float("alpha", negative_slope)])
        }
        Activation::Elu { alpha } => op(graph, "Elu", &[Attr::Float("alpha", alpha)]),
        Activation::Selu => op(
            graph,
            "Selu",
            &[
                Attr::Float("alpha", SELU_ALPHA),
                Attr::Float("gamma", SELU_SCALE),
            ],
        ),
        Activation::Softmax => op(graph, "Softmax", &[Attr::Int("axis", -1)]),
        Activation::LogSoftmax => op(graph, "LogSoftmax", &[Attr::Int("axis", -1)]),
        Activation::Gelu => gelu(graph, x),
        Activation::Silu => {
            let sigmoid = graph.node("Sigmoid", &[x], &[], "silu_sigmoid");
            graph.node("Mul", &[x, &sigmoid], &[], hint)
        }
        Activation::Softplus { beta, threshold } => softplus(graph, x, beta, threshold),
    }
}

/// `torch.nn.functional.gelu` (approximate="none"): x·½·(1 + erf(x/√2)).
fn gelu(graph: &mut GraphBuilder, x: &str) -> String {
    let inv_sqrt2 = graph.scalar("inv_sqrt2", std::f64::consts::FRAC_1_SQRT_2);
    let one = graph.scalar("one", 1.0);
    let half = graph.scalar("half", 0.5);
    let scaled = graph.node("Mul", &[x, &inv_sqrt2], &[], "gelu_scaled");
    let erf = graph.node("Erf", &[&scaled], &[], "gelu_erf");
    let shifted = graph.node("Add", &[&erf, &one], &[], "gelu_cdf2");
    let halved = graph.node("Mul", &[&shifted, &half], &[], "gelu_cdf");
    graph.node("Mul", &[x, &halved], &[], "gelu")
}

/// `torch.nn.functional.softplus`: log(1 + exp(βx))/β, and x itself where
/// βx > threshold (ONNX's `Softplus` has neither β nor the threshold).
fn softplus(graph: &mut GraphBuilder, x: &str, beta: f64, threshold: f64) -> String {
    let scaled = if beta == 1.0 {
        x.to_string()
    } else {
        let beta = graph.scalar("softplus_beta", beta);
        graph.node("Mul", &[x, &beta], &[], "softplus_scaled")
    };
    let soft = graph.node("Softplus", &[&scaled], &[], "softplus_smooth");
    let soft = if beta == 1.0 {
        soft
    } else {
        let beta = graph.scalar("softplus_beta", beta);
        graph.node("Div", &[&soft, &beta], &[], "softplus_smooth_scaled")
    };
    let threshold = graph.scalar("softplus_threshold", threshold);
    let linear = graph.node("Greater", &[&scaled, &threshold], &[], "softplus_linear");
    graph.node("Where", &[&linear, x, &soft], &[], "softplus")
}
