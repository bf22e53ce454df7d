//! Layer calls as ONNX nodes over the layer's tensors, which keep their
//! `state_dict` names as initializers: linear → `Gemm` (`transB=1` reads
//! PyTorch's `[out, in]` weight), batchnorm → `BatchNormalization` with the
//! running statistics (eval mode), layernorm → `LayerNormalization` over
//! the features, dropout → nothing (eval mode is the identity).

use netc_lang::ir::{BatchNormSpec, Layer, LayerKind, LayerNormSpec};

use super::graph::{Attr, GraphBuilder};
use crate::Weights;

pub fn lower(graph: &mut GraphBuilder, layer: &Layer, weights: &Weights, x: &str) -> String {
    let name = &layer.name;
    let mut tensor = |graph: &mut GraphBuilder, suffix: &str| {
        let full = format!("{name}.{suffix}");
        let values = weights.get(&full);
        graph.tensor(&full, &[values.len()], values)
    };
    match &layer.kind {
        LayerKind::Linear(spec) => {
            let weight = format!("{name}.weight");
            let values = weights.get(&weight);
            let weight = graph.tensor(&weight, &[spec.out_features, spec.in_features], values);
            let mut inputs = vec![x.to_string(), weight];
            if spec.bias {
                inputs.push(tensor(graph, "bias"));
            }
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            graph.node("Gemm", &inputs, &[Attr::Int("transB", 1)], name)
        }
        LayerKind::BatchNorm(spec) => {
            let (scale, shift) = affine(graph, name, spec.affine, spec.num_features, &mut tensor);
            let mean = tensor(graph, "running_mean");
            let var = tensor(graph, "running_var");
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
        LayerKind::Dropout(_) => x.to_string(),
        // IMAGES-TODO(export)
        LayerKind::Conv2d(_)
        | LayerKind::BatchNorm2d(_)
        | LayerKind::Pool2d(_)
        | LayerKind::AdaptiveAvgPool2d(_)
        | LayerKind::Flatten => todo!("IMAGES-TODO(export)"),
    }
}

/// The layer's `weight` and `bias`, or ones and zeros for a layer
/// without them (the ops take a scale and shift).
fn affine(
    graph: &mut GraphBuilder,
    name: &str,
    learned: bool,
    n: usize,
    tensor: &mut impl FnMut(&mut GraphBuilder, &str) -> String,
) -> (String, String) {
    if learned {
        (tensor(graph, "weight"), tensor(graph, "bias"))
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
