//! The tensors a model's `state_dict` holds, derived from the checked IR
//! with PyTorch's names, shapes and order (what `netc train --save` writes
//! and `nn.Module.state_dict()` lists).

use netc_lang::ir::{Model, StateRole};

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
    model
        .layers
        .iter()
        .flat_map(|(_, layer)| {
            layer
                .kind
                .state_dict()
                .into_iter()
                .map(|tensor| TensorSpec {
                    name: format!("{}.{}", layer.name, tensor.role.suffix()),
                    kind: match tensor.role {
                        StateRole::NumBatchesTracked => TensorKind::Counter,
                        _ => TensorKind::Float,
                    },
                    shape: tensor.shape,
                })
        })
        .collect()
}
