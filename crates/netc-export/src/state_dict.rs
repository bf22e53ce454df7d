//! The tensors a model's `state_dict` holds, derived from the checked IR
//! with PyTorch's names, shapes and order (what `netc train --save` writes
//! and `nn.Module.state_dict()` lists).

use netc_lang::ir::{LayerKind, Model};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    /// An F32 parameter or running statistic.
    Float,
    /// BatchNorm's `num_batches_tracked`: a 0-d I64.
    Counter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub kind: TensorKind,
}

/// Every tensor of `model`'s `state_dict`, in declaration order.
pub fn expected_tensors(model: &Model) -> Vec<TensorSpec> {
    let mut specs = Vec::new();
    for (_, layer) in model.layers.iter() {
        let mut push = |suffix: &str, shape: Vec<usize>, kind: TensorKind| {
            specs.push(TensorSpec {
                name: format!("{}.{suffix}", layer.name),
                shape,
                kind,
            })
        };
        match &layer.kind {
            LayerKind::Linear(spec) => {
                push(
                    "weight",
                    vec![spec.out_features, spec.in_features],
                    TensorKind::Float,
                );
                if spec.bias {
                    push("bias", vec![spec.out_features], TensorKind::Float);
                }
            }
            LayerKind::BatchNorm(spec) => {
                let n = spec.num_features;
                if spec.affine {
                    push("weight", vec![n], TensorKind::Float);
                    push("bias", vec![n], TensorKind::Float);
                }
                push("running_mean", vec![n], TensorKind::Float);
                push("running_var", vec![n], TensorKind::Float);
                push("num_batches_tracked", Vec::new(), TensorKind::Counter);
            }
            LayerKind::LayerNorm(spec) if spec.elementwise_affine => {
                push("weight", vec![spec.normalized_shape], TensorKind::Float);
                push("bias", vec![spec.normalized_shape], TensorKind::Float);
            }
            LayerKind::LayerNorm(_) | LayerKind::Dropout(_) => {}
        }
    }
    specs
}
