//! The `state_dict` layout: each declared layer's parameters and running
//! statistics in PyTorch's order and naming, with the init PyTorch gives
//! each when the model file names none.

use netc_lang::ir::{BatchNormSpec, Conv2dSpec, DropoutSpec, LayerKind, LayerNormSpec, LinearSpec};
use netc_ops::Init;

use super::Builder;
use crate::plan::{BufferId, BufferKind, Initializer, StateEntry};

/// A trainable tensor and its gradient.
#[derive(Clone, Copy)]
pub(super) struct Param {
    pub value: BufferId,
    pub grad: BufferId,
}

/// A normalisation's γ (`weight`) and β (`bias`), present or not as a
/// whole.
#[derive(Clone, Copy)]
pub(super) struct Affine {
    pub weight: Param,
    pub bias: Param,
}

impl Affine {
    /// `(γ, β)` as the ops' optional operands.
    pub fn values(affine: Option<Affine>) -> (Option<BufferId>, Option<BufferId>) {
        (affine.map(|a| a.weight.value), affine.map(|a| a.bias.value))
    }

    /// `(dγ, dβ)` as the backward ops' optional operands.
    pub fn grads(affine: Option<Affine>) -> (Option<BufferId>, Option<BufferId>) {
        (affine.map(|a| a.weight.grad), affine.map(|a| a.bias.grad))
    }
}

/// The buffers of one declared layer, per kind. The inference-cache
/// slots are filled by the layer's first call, so an uncalled layer
/// gets no cache.
pub(super) enum LayerBuffers<'m> {
    Linear {
        spec: &'m LinearSpec,
        weight: Param,
        bias: Option<Param>,
        /// The packed weight panel.
        panel: Option<BufferId>,
    },
    BatchNorm {
        spec: &'m BatchNormSpec,
        affine: Option<Affine>,
        running_mean: BufferId,
        running_var: BufferId,
        counter: BufferId,
        /// The eval forward's folded `(scale, shift)`.
        eval: Option<(BufferId, BufferId)>,
    },
    LayerNorm {
        spec: &'m LayerNormSpec,
        affine: Option<Affine>,
    },
    Dropout {
        spec: &'m DropoutSpec,
    },
    Conv2d {
        spec: &'m Conv2dSpec,
        weight: Param,
        bias: Option<Param>,
    },
}

impl<'m> Builder<'m> {
    /// Parameters and running statistics of every layer, in `state_dict`
    /// order (declaration order).
    pub(super) fn declare_layers(&mut self) -> Vec<LayerBuffers<'m>> {
        let model = self.model;
        model
            .layers
            .iter()
            .map(|(_, layer)| self.declare(&layer.name, &layer.kind))
            .collect()
    }

    fn declare(&mut self, name: &str, kind: &'m LayerKind) -> LayerBuffers<'m> {
        match kind {
            LayerKind::Linear(spec) => {
                let (weight, bias) = self.weight_and_bias(
                    name,
                    vec![spec.out_features, spec.in_features],
                    spec.init,
                    spec.bias.then_some(spec.bias_init),
                );
                LayerBuffers::Linear {
                    spec,
                    weight,
                    bias,
                    panel: None,
                }
            }
            LayerKind::Conv2d(spec) => {
                let (kh, kw) = spec.kernel_size;
                let shape = vec![spec.out_channels, spec.in_channels / spec.groups, kh, kw];
                let bias = spec.bias.then_some(spec.bias_init);
                let (weight, bias) = self.weight_and_bias(name, shape, spec.init, bias);
                LayerBuffers::Conv2d { spec, weight, bias }
            }
            LayerKind::BatchNorm(spec) => {
                let n = spec.num_features;
                let affine = spec.affine.then(|| self.affine(name, n));
                let stat = |stat: &str| format!("{name}.{stat}");
                let running_mean =
                    self.state_buffer(stat("running_mean"), BufferKind::RunningStat, vec![n], 0.0);
                let running_var =
                    self.state_buffer(stat("running_var"), BufferKind::RunningStat, vec![n], 1.0);
                let counter = self.state_buffer(
                    stat("num_batches_tracked"),
                    BufferKind::Counter,
                    Vec::new(),
                    0.0,
                );
                LayerBuffers::BatchNorm {
                    spec,
                    affine,
                    running_mean,
                    running_var,
                    counter,
                    eval: None,
                }
            }
            LayerKind::LayerNorm(spec) => LayerBuffers::LayerNorm {
                spec,
                affine: spec
                    .elementwise_affine
                    .then(|| self.affine(name, spec.normalized_shape)),
            },
            LayerKind::Dropout(spec) => LayerBuffers::Dropout { spec },
            // IMAGES-TODO(plan)
            LayerKind::BatchNorm2d(_)
            | LayerKind::Pool2d(_)
            | LayerKind::AdaptiveAvgPool2d(_)
            | LayerKind::Flatten => todo!("IMAGES-TODO(plan)"),
        }
    }

    /// The weight (`[out, in, …]`) and optional bias of `nn.Linear` or
    /// `nn.Conv2d`, with PyTorch's fans (`_calculate_fan_in_and_fan_out`:
    /// `shape[1]` and `shape[0]` times the kernel's size) and default inits
    /// (`kaiming_uniform_(a=√5)`, bias U(±1/√fan_in)) where the model
    /// names none. `bias` is `Some(its init)` for a layer with a bias.
    fn weight_and_bias(
        &mut self,
        layer: &str,
        shape: Vec<usize>,
        init: Option<Init>,
        bias: Option<Option<Init>>,
    ) -> (Param, Option<Param>) {
        let receptive: usize = shape[2..].iter().product();
        let (fan_in, fan_out) = (shape[1] * receptive, shape[0] * receptive);
        let random = |init| Initializer::Random {
            init,
            fan_in,
            fan_out,
        };
        let weight_init = random(init.unwrap_or_else(Init::linear_default_weight));
        let out = shape[0];
        let weight = self.parameter(layer, "weight", shape, weight_init);
        // PyTorch has no fans for a 1-d tensor; an explicit bias init gets
        // the weight's, so fan-based inits scale as they would for the
        // weight.
        let bias = bias.map(|init| {
            let init = init.unwrap_or_else(|| Init::linear_default_bias(fan_in));
            self.parameter(layer, "bias", vec![out], random(init))
        });
        (weight, bias)
    }

    /// γ = 1 and β = 0 of a normalisation over `n` features.
    fn affine(&mut self, layer: &str, n: usize) -> Affine {
        Affine {
            weight: self.parameter(layer, "weight", vec![n], Initializer::Fill(1.0)),
            bias: self.parameter(layer, "bias", vec![n], Initializer::Fill(0.0)),
        }
    }

    /// A trainable `layer.tensor` with its gradient, appended to the state.
    fn parameter(
        &mut self,
        layer: &str,
        tensor: &str,
        shape: Vec<usize>,
        init: Initializer,
    ) -> Param {
        let name = format!("{layer}.{tensor}");
        let len = shape.iter().product();
        let value = self.fixed(&name, BufferKind::Param, len);
        let grad = self.fixed(&format!("{name}.grad"), BufferKind::Grad, len);
        self.state.push(StateEntry {
            name,
            shape,
            buffer: value,
            grad: Some(grad),
            init,
        });
        Param { value, grad }
    }

    /// A non-trainable state entry (running statistic, counter), filled
    /// with `init` at construction.
    fn state_buffer(
        &mut self,
        name: String,
        kind: BufferKind,
        shape: Vec<usize>,
        init: f32,
    ) -> BufferId {
        let len = shape.iter().product::<usize>();
        let buffer = self.fixed(&name, kind, len);
        self.state.push(StateEntry {
            name,
            shape,
            buffer,
            grad: None,
            init: Initializer::Fill(init),
        });
        buffer
    }
}
