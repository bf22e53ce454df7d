//! Everything the Plan knows of each layer kind, one module a kind: the
//! buffers a declared layer owns (its `state_dict` entries and its
//! inference-cache slots), the ops of each call in both modes, and the
//! backward ops of what a call recorded. The walks in `forward` and
//! `backward` see a layer only through [`LayerLowering`] and
//! [`LayerTape`]; [`declare`] is the one place that maps the IR's kinds
//! to these modules.

mod adaptive_pool2d;
mod batchnorm;
mod conv2d;
mod dropout;
mod flatten;
mod layernorm;
mod linear;
mod norm;
mod pool2d;

use netc_lang::ir::{Handle, LayerKind, Node};

use super::backward::NodeGrad;
use super::forward::{Call, Lowered};
use super::Builder;
use crate::plan::OpKind;

/// A declared layer during forward lowering.
pub(super) trait LayerLowering<'m> {
    /// One call's train-mode op, eval-mode op and tape entry. The first
    /// call also appends the inference-cache ops its eval op reads.
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered;

    /// For a layer whose value is its argument's buffer (no op), the
    /// tape entry of a call on `arg` that is not the model's output.
    fn alias(&self, _arg: Handle<Node>) -> Option<Box<dyn LayerTape>> {
        None
    }
}

/// What one call recorded for its backward.
pub(super) trait LayerTape {
    /// The call's backward op, or `None` where it has none (no gradient
    /// to pass on).
    fn backward(&self, grad: &mut NodeGrad<'_, '_, '_>) -> Option<OpKind>;

    /// Whether the call's op has parameters (a gradient starts here).
    fn has_parameters(&self) -> bool {
        false
    }

    /// The node whose gradient buffer this call's gradient is, when its
    /// value is that node's buffer.
    fn gradient_alias(&self) -> Option<Handle<Node>> {
        None
    }
}

/// The buffers of one declared layer, appended to the state in
/// `state_dict` order.
pub(super) fn declare<'m>(
    builder: &mut Builder<'m>,
    name: &str,
    kind: &'m LayerKind,
) -> Box<dyn LayerLowering<'m> + 'm> {
    match kind {
        LayerKind::Linear(spec) => Box::new(linear::Linear::declare(builder, name, spec)),
        LayerKind::Conv2d(spec) => Box::new(conv2d::Conv2d::declare(builder, name, spec)),
        LayerKind::BatchNorm(spec) | LayerKind::BatchNorm2d(spec) => {
            Box::new(batchnorm::BatchNorm::declare(builder, name, spec))
        }
        LayerKind::LayerNorm(spec) => Box::new(layernorm::LayerNorm::declare(builder, name, spec)),
        LayerKind::Dropout(spec) => Box::new(dropout::Dropout { spec }),
        LayerKind::Pool2d(spec) => Box::new(pool2d::Pool2d { spec }),
        LayerKind::AdaptiveAvgPool2d(spec) => Box::new(adaptive_pool2d::AdaptiveAvgPool2d { spec }),
        LayerKind::Flatten => Box::new(flatten::Flatten),
    }
}
