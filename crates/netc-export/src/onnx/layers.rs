//! Layer calls as ONNX nodes over the layer's tensors, which keep their
//! `state_dict` names and shapes as initializers: linear → `Gemm`
//! (`transB=1` reads PyTorch's `[out, in]` weight), conv2d → `Conv`,
//! batchnorm and batchnorm2d → `BatchNormalization` with the running
//! statistics (eval mode), layernorm → `LayerNormalization` over the
//! features, the pools → `MaxPool`/`AveragePool` (adaptive average
//! pooling as `GlobalAveragePool` or an equivalent `AveragePool`),
//! flatten → `Flatten(axis=1)`, dropout → nothing (eval mode is the
//! identity).

use netc_lang::ir::{
    AdaptiveAvgPool2dSpec, BatchNormSpec, Layer, LayerKind, LayerNormSpec, Pool2dSpec, Shape,
    StateRole,
};
use netc_ops::image::{ImageShape, PoolKind};

use super::graph::{Attr, GraphBuilder};
use crate::{ExportError, Weights};

/// The value `layer(x)` for an `x` of shape `input`.
pub fn lower(
    graph: &mut GraphBuilder,
    layer: &Layer,
    weights: &Weights,
    x: &str,
    input: Shape,
) -> Result<String, ExportError> {
    let name = &layer.name;
    let state = layer.kind.state_dict();
    let mut tensor = |graph: &mut GraphBuilder, role: StateRole| {
        let full = format!("{name}.{}", role.suffix());
        let shape = &state
            .iter()
            .find(|tensor| tensor.role == role)
            .expect("the layer kind declares the tensors it reads")
            .shape;
        graph.tensor(&full, shape, weights.get(&full))
    };
    let node = |graph: &mut GraphBuilder, op: &str, inputs: &[String], attrs: &[Attr]| {
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        graph.node(op, &inputs, attrs, name)
    };
    let x_owned = x.to_string();
    Ok(match &layer.kind {
        LayerKind::Linear(spec) => {
            let mut inputs = vec![x_owned, tensor(graph, StateRole::Weight)];
            if spec.bias {
                inputs.push(tensor(graph, StateRole::Bias));
            }
            node(graph, "Gemm", &inputs, &[Attr::Int("transB", 1)])
        }
        LayerKind::Conv2d(spec) => {
            let mut inputs = vec![x_owned, tensor(graph, StateRole::Weight)];
            if spec.bias {
                inputs.push(tensor(graph, StateRole::Bias));
            }
            let (rows, cols) = spec.padding.pads(spec.kernel_size, spec.dilation);
            let attrs = [
                Attr::Ints("kernel_shape", ints(spec.kernel_size)),
                Attr::Ints("strides", ints(spec.stride)),
                Attr::Ints(
                    "pads",
                    [rows.before, cols.before, rows.after, cols.after]
                        .map(|p| p as i64)
                        .to_vec(),
                ),
                Attr::Ints("dilations", ints(spec.dilation)),
                Attr::Int("group", spec.groups as i64),
            ];
            node(graph, "Conv", &inputs, &attrs)
        }
        LayerKind::BatchNorm(spec) | LayerKind::BatchNorm2d(spec) => {
            let (scale, shift) = affine(graph, name, spec.affine, spec.num_features, &mut tensor);
            let mean = tensor(graph, StateRole::RunningMean);
            let var = tensor(graph, StateRole::RunningVar);
            batchnorm(graph, spec, name, [x, &scale, &shift, &mean, &var])
        }
        LayerKind::LayerNorm(spec) => {
            let (scale, shift) = affine(
                graph,
                name,
                spec.elementwise_affine,
                spec.normalized_shape,
                &mut tensor,
            );
            layernorm(graph, spec, name, [x, &scale, &shift])
        }
        LayerKind::Pool2d(spec) => {
            let (op, attrs) = pool2d(spec);
            node(graph, op, &[x_owned], &attrs)
        }
        LayerKind::AdaptiveAvgPool2d(spec) => {
            let image = input
                .image()
                .ok_or_else(|| unsupported_adaptive(layer, input, spec))?;
            match adaptive_window(image, spec.output_size) {
                Some(None) => node(graph, "GlobalAveragePool", &[x_owned], &[]),
                Some(Some(kernel)) => {
                    let attrs = [
                        Attr::Ints("kernel_shape", ints(kernel)),
                        Attr::Ints("strides", ints(kernel)),
                    ];
                    node(graph, "AveragePool", &[x_owned], &attrs)
                }
                None => return Err(unsupported_adaptive(layer, input, spec)),
            }
        }
        // Flattening a flat value changes nothing.
        LayerKind::Flatten => match input {
            Shape::Image(_) => node(graph, "Flatten", &[x_owned], &[Attr::Int("axis", 1)]),
            Shape::Flat(_) => x_owned,
        },
        LayerKind::Dropout(_) => x_owned,
    })
}

fn ints((h, w): (usize, usize)) -> Vec<i64> {
    vec![h as i64, w as i64]
}

/// `MaxPool` (its padding never wins, as PyTorch's −∞) or `AveragePool`
/// with PyTorch's `count_include_pad`. Without `ceil_mode` every window
/// lies inside the padded input, so ONNX's divisor (the kernel area, or
/// the real inputs under it) is PyTorch's.
fn pool2d(spec: &Pool2dSpec) -> (&'static str, Vec<Attr>) {
    let (h, w) = spec.padding;
    let mut attrs = vec![
        Attr::Ints("kernel_shape", ints(spec.kernel_size)),
        Attr::Ints("strides", ints(spec.stride)),
        Attr::Ints("pads", [h, w, h, w].map(|p| p as i64).to_vec()),
    ];
    match spec.kind {
        PoolKind::Max => {
            attrs.push(Attr::Ints("dilations", ints(spec.dilation)));
            ("MaxPool", attrs)
        }
        PoolKind::Avg { count_include_pad } => {
            attrs.push(Attr::Int("count_include_pad", i64::from(count_include_pad)));
            ("AveragePool", attrs)
        }
    }
}

/// How `adaptive_avg_pool2d` from `input` to `output` is a fixed window:
/// `Some(None)` a global average (a 1×1 output), `Some(Some(k))` a `k`
/// window with stride `k` (each axis divides evenly, so PyTorch's ranges
/// `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)` are exactly those windows), `None`
/// when the windows overlap or differ in size (ONNX has no adaptive pool).
fn adaptive_window(input: ImageShape, output: (usize, usize)) -> Option<Option<(usize, usize)>> {
    let (out_h, out_w) = output;
    if (out_h, out_w) == (1, 1) {
        Some(None)
    } else if out_h > 0
        && out_w > 0
        && input.height.is_multiple_of(out_h)
        && input.width.is_multiple_of(out_w)
    {
        Some(Some((input.height / out_h, input.width / out_w)))
    } else {
        None
    }
}

fn unsupported_adaptive(layer: &Layer, input: Shape, spec: &AdaptiveAvgPool2dSpec) -> ExportError {
    let (out_h, out_w) = spec.output_size;
    ExportError::Unsupported {
        target: "ONNX",
        what: format!(
            "`{}` (adaptive_avg_pool2d from {input} to ({out_h}, {out_w})): ONNX has no adaptive \
             pooling, and a fixed AveragePool equals it only for a 1×1 output or when the input's \
             height and width are multiples of the output's",
            layer.name
        ),
    }
}

/// The layer's `weight` and `bias`, or ones and zeros for a layer
/// without them (the ops take a scale and shift).
fn affine(
    graph: &mut GraphBuilder,
    name: &str,
    learned: bool,
    n: usize,
    tensor: &mut impl FnMut(&mut GraphBuilder, StateRole) -> String,
) -> (String, String) {
    if learned {
        (
            tensor(graph, StateRole::Weight),
            tensor(graph, StateRole::Bias),
        )
    } else {
        (
            graph.tensor(&format!("{name}.unit_scale"), &[n], &vec![1.0; n]),
            graph.tensor(&format!("{name}.zero_shift"), &[n], &vec![0.0; n]),
        )
    }
}

fn batchnorm(
    graph: &mut GraphBuilder,
    spec: &BatchNormSpec,
    name: &str,
    inputs: [&str; 5],
) -> String {
    graph.node(
        "BatchNormalization",
        &inputs,
        &[Attr::Float("epsilon", spec.eps)],
        name,
    )
}

fn layernorm(
    graph: &mut GraphBuilder,
    spec: &LayerNormSpec,
    name: &str,
    inputs: [&str; 3],
) -> String {
    graph.node(
        "LayerNormalization",
        &inputs,
        &[Attr::Int("axis", -1), Attr::Float("epsilon", spec.eps)],
        name,
    )
}
