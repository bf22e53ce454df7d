//! The `state_dict` layout: each declared layer's parameters and running
//! statistics in PyTorch's order and naming, with the init PyTorch gives
//! each when the model file names none.

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

impl<'m> Builder<'m> {
    /// The weight (`[out, in, …]`) and optional bias of `nn.Linear` or
    /// `nn.Conv2d`, with PyTorch's fans (`_calculate_fan_in_and_fan_out`:
    /// `shape[1]` and `shape[0]` times the kernel's size) and default inits
    /// (`kaiming_uniform_(a=√5)`, bias U(±1/√fan_in)) where the model
    /// names none. `bias` is `Some(its init)` for a layer with a bias.
    pub(super) fn weight_and_bias(
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
    pub(super) fn affine(&mut self, layer: &str, n: usize) -> Affine {
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
    pub(super) fn state_buffer(
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
