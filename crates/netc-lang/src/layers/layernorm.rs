//! `layernorm(normalized_shape, eps=1e-5, elementwise_affine=true)`:
//! `nn.LayerNorm` over the features of each sample.

use netc_ops::layer as defaults;

use super::{affine, KindDoc, LayerKind, LayerType, StateTensor};
use super::{LoweredLayer, Size, Widths};
use crate::analysis::call::CallStats;
use crate::analysis::stats::{ValueStats, NORMALISED};
use crate::ast::Call;
use crate::diagnostic::Diagnostic;
use crate::lower::args;
use crate::lower::args::{eps, required};
use crate::lower::shape::{flat, Output, Refusal};
use crate::shape::Shape;
use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct LayerNormSpec {
    pub normalized_shape: usize,
    pub eps: f64,
    pub elementwise_affine: bool,
}

pub(super) const DOC: KindDoc = KindDoc {
    meaning:
        "y = (x − E[x]) / √(Var[x] + eps) · γ + β over each sample's features (`nn.LayerNorm`)",
    arguments: &["normalized_shape", "eps=1e-5", "elementwise_affine=true"],
};

const LAYERNORM: &str = LayerType::LayerNorm.name();

impl LayerNormSpec {
    pub(super) fn state_dict(&self) -> Vec<StateTensor> {
        if self.elementwise_affine {
            affine(self.normalized_shape).to_vec()
        } else {
            Vec::new()
        }
    }

    pub(super) fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("eps", self.eps.to_string()),
            ("elementwise_affine", self.elementwise_affine.to_string()),
        ]
    }

    pub(super) fn apply(&self, input: Shape) -> Result<Output, Refusal> {
        flat(input, self.normalized_shape).map(|()| Output::declared(self.normalized_shape))
    }

    /// Per sample over the features: mean x.mean, variance Q − M².
    pub(super) fn propagate(&self, call: &CallStats<'_>) -> (ValueStats, f64) {
        (NORMALISED, 1.0 / (call.x.variance() + self.eps))
    }
}

pub(super) fn read(call: &Call, span: Span, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let params = ["normalized_shape", "eps", "elementwise_affine"];
    let bound = args::bind(call, LAYERNORM, &params, 3, diags);
    let size = required(&bound, 0, span, LAYERNORM, "normalized_shape", diags);
    let normalized_shape = size.and_then(|e| args::width(e, "normalized_shape", diags));
    let eps = eps(&bound, 1, defaults::LAYERNORM_EPS, diags);
    let elementwise_affine = bound.get(2).map_or(Some(true), |e| {
        args::boolean(e, "elementwise_affine", diags)
    });
    let (size, normalized_shape) = (size?, normalized_shape?);
    Some(LoweredLayer {
        kind: LayerKind::LayerNorm(LayerNormSpec {
            normalized_shape,
            eps: eps?,
            elementwise_affine: elementwise_affine?,
        }),
        widths: Widths {
            input: Some(Size::written(normalized_shape, size)),
            output: Some((normalized_shape, size.span)),
        },
    })
}
