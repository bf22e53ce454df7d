//! Everything the Plan knows of each layer kind, one module a kind: the
//! buffers a declared layer owns (its `state_dict` entries and its
//! inference-cache slots), the ops of each call in both modes, and the
//! backward ops of what a call recorded. The walks in `forward` and
//! `backward` see a layer only through the traits of `tape`; [`declare`]
//! is the one place that maps the IR's kinds to these modules.

mod adaptive_pool2d;
mod batchnorm;
mod conv2d;
mod dropout;
mod flatten;
mod layernorm;
mod linear;
mod norm;
mod pool2d;

use netc_lang::ir::LayerKind;

use super::tape::LayerLowering;
use super::Builder;

impl<'m> Builder<'m> {
    /// Parameters and running statistics of every layer, in `state_dict`
    /// order (declaration order).
    pub(super) fn declare_layers(&mut self) -> Vec<Box<dyn LayerLowering<'m> + 'm>> {
        let model = self.model;
        model
            .layers
            .iter()
            .map(|(_, layer)| declare(self, &layer.name, &layer.kind))
            .collect()
    }
}

/// The buffers of one declared layer, appended to the state in
/// `state_dict` order.
fn declare<'m>(
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
