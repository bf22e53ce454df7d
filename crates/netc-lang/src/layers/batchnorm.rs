//! `batchnorm(num_features, eps=1e-5, momentum=0.1, affine=true)` and
//! `batchnorm2d` with the same arguments: `nn.BatchNorm1d` over the
//! features of a flat value, `nn.BatchNorm2d` over the channels of an
//! image.

use netc_ops::layer as defaults;

use super::{affine, tensor, KindDoc, LayerKind, LayerType, StateRole, StateTensor};
use super::{LoweredLayer, Size, Widths};
use crate::analysis::call::CallStats;
use crate::analysis::stats::{ValueStats, NORMALISED};
use crate::ast::{Call, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::lower::args;
use crate::lower::args::{eps, required};
use crate::lower::shape::{channels, flat, Output, Refusal};
use crate::shape::Shape;
use crate::span::Span;

pub(super) const DOC: KindDoc = KindDoc {
    meaning: "y = (x − E[x]) / √(Var[x] + eps) · γ + β over the batch (`nn.BatchNorm1d`); running statistics in eval mode",
    arguments: &["num_features", "eps=1e-5", "momentum=0.1", "affine=true"],
};

pub(super) const DOC_2D: KindDoc = KindDoc {
    meaning: "batchnorm per channel of an image, statistics over batch, height and width (`nn.BatchNorm2d`); running statistics in eval mode",
    arguments: DOC.arguments,
};

#[derive(Debug, Clone, PartialEq)]
pub struct BatchNormSpec {
    pub num_features: usize,
    pub eps: f64,
    /// `None` is PyTorch's `momentum=None`: a cumulative average.
    pub momentum: Option<f64>,
    pub affine: bool,
}

impl BatchNormSpec {
    pub(super) fn state_dict(&self) -> Vec<StateTensor> {
        let n = self.num_features;
        let mut tensors = if self.affine {
            affine(n).to_vec()
        } else {
            Vec::new()
        };
        tensors.extend([
            tensor(StateRole::RunningMean, &[n]),
            tensor(StateRole::RunningVar, &[n]),
            tensor(StateRole::NumBatchesTracked, &[]),
        ]);
        tensors
    }

    pub(super) fn settings(&self) -> Vec<(&'static str, String)> {
        let momentum = self.momentum.map_or("none".to_string(), |m| m.to_string());
        vec![
            ("eps", self.eps.to_string()),
            ("momentum", momentum),
            ("affine", self.affine.to_string()),
        ]
    }

    /// `batchnorm`: a flat value of `num_features`.
    pub(super) fn apply_flat(&self, input: Shape) -> Result<Output, Refusal> {
        flat(input, self.num_features).map(|()| Output::declared(self.num_features))
    }

    /// `batchnorm2d`: an image of `num_features` channels, kept.
    pub(super) fn apply_image(&self, input: Shape) -> Result<Output, Refusal> {
        channels(input, self.num_features).map(|_| Output::kept(input))
    }

    /// γ = 1, β = 0 at init: the output is N(0, 1) per unit (per channel
    /// for batchnorm2d, whose statistics also run over the pixels), and
    /// the backward divides by the batch variance it normalised.
    pub(super) fn propagate(&self, call: &CallStats<'_>) -> (ValueStats, f64) {
        (NORMALISED, 1.0 / (call.x.batch_variance + self.eps))
    }
}

/// `batchnorm` or `batchnorm2d` (`kind`): the same arguments, over
/// features or channels.
pub(super) fn read(
    call: &Call,
    span: Span,
    kind: LayerType,
    diags: &mut Vec<Diagnostic>,
) -> Option<LoweredLayer> {
    let what = kind.name();
    let params = ["num_features", "eps", "momentum", "affine"];
    let bound = args::bind(call, what, &params, 4, diags);
    let size = required(&bound, 0, span, what, "num_features", diags);
    let num_features = size.and_then(|e| args::width(e, "num_features", diags));
    let eps = eps(&bound, 1, defaults::BATCHNORM_EPS, diags);
    let momentum = match bound.get(2) {
        // PyTorch's `momentum=None`: a cumulative moving average.
        Some(e) if matches!(&e.ungrouped().kind, ExprKind::Name(n) if n == "none") => Some(None),
        Some(e) => args::number_in(e, "momentum", 0.0, 1.0, diags).map(Some),
        None => Some(Some(defaults::BATCHNORM_MOMENTUM)),
    };
    let affine = bound
        .get(3)
        .map_or(Some(true), |e| args::boolean(e, "affine", diags));
    let (size, num_features) = (size?, num_features?);
    let spec = BatchNormSpec {
        num_features,
        eps: eps?,
        momentum: momentum?,
        affine: affine?,
    };
    Some(LoweredLayer {
        kind: if kind == LayerType::BatchNorm2d {
            LayerKind::BatchNorm2d(spec)
        } else {
            LayerKind::BatchNorm(spec)
        },
        widths: Widths {
            input: Some(Size::written(num_features, size)),
            output: Some((num_features, size.span)),
        },
    })
}
