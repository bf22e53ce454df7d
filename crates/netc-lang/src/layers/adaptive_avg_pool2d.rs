//! `adaptive_avg_pool2d(output_size)`: `nn.AdaptiveAvgPool2d`, one size
//! or a pair.

use super::{KindDoc, LayerKind, LayerType};
use super::{LoweredLayer, Widths};
use crate::analysis::call::CallStats;
use crate::analysis::stats::ValueStats;
use crate::ast::Call;
use crate::diagnostic::Diagnostic;
use crate::lower::args;
use crate::lower::args::required;
use crate::lower::shape::{sized, Derivation, Output, Refusal};
use crate::shape::Shape;
use crate::span::Span;

pub(super) const DOC: KindDoc = KindDoc {
    meaning: "output cell i averages the input range [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) along each axis, whatever the input size (`nn.AdaptiveAvgPool2d`); an int or a pair (height, width)",
    arguments: &["output_size"],
};

const ADAPTIVE_AVG_POOL2D: &str = LayerType::AdaptiveAvgPool2d.name();

/// `adaptive_avg_pool2d(output_size)`: `(height, width)` of the output.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveAvgPool2dSpec {
    pub output_size: (usize, usize),
}

impl AdaptiveAvgPool2dSpec {
    pub(super) fn apply(&self, input: Shape) -> Result<Output, Refusal> {
        let image = input.image().ok_or(Refusal::NeedsImage)?;
        let (height, width) = self.output_size;
        Ok(Output {
            shape: Shape::Image(sized(image.channels, height, width)?),
            derivation: Derivation::Computed(None),
        })
    }

    pub(super) fn propagate(&self, call: &mut CallStats<'_>) -> (ValueStats, f64) {
        call.adaptive_average(self.output_size)
    }
}

/// `adaptive_avg_pool2d(output_size)`: one size or a pair.
pub(super) fn read(call: &Call, span: Span, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let bound = args::bind(call, ADAPTIVE_AVG_POOL2D, &["output_size"], 1, diags);
    let size = required(&bound, 0, span, ADAPTIVE_AVG_POOL2D, "output_size", diags)?;
    let output_size = args::size_pair(size, "output_size", 1, diags)?;
    Some(LoweredLayer {
        kind: LayerKind::AdaptiveAvgPool2d(AdaptiveAvgPool2dSpec { output_size }),
        widths: Widths::ANY,
    })
}
