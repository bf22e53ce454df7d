//! `flatten()`: `nn.Flatten()`, an image read as its `C·H·W` floats (a
//! flat value is kept). `flatten(x)` in `forward` declares it too.

use super::{KindDoc, LayerKind, LayerType};
use super::{LoweredLayer, Widths};
use crate::ast::Call;
use crate::diagnostic::Diagnostic;
use crate::lower::args;
use crate::lower::shape::{Derivation, Output};
use crate::shape::Shape;

pub(super) const DOC: KindDoc = KindDoc {
    meaning: "an image (C, H, W) as its C·H·W values, channel by channel, row by row (`nn.Flatten()`, `torch.flatten(x, 1)`); a layer or a function in `forward`; a flat value is unchanged",
    arguments: &[],
};

const FLATTEN: &str = LayerType::Flatten.name();

pub(super) fn apply(input: Shape) -> Output {
    match input {
        Shape::Flat(_) => Output::kept(input),
        Shape::Image(image) => Output {
            shape: Shape::Flat(image.numel()),
            derivation: Derivation::Computed(Some(format!(
                "{}·{}·{} = {}",
                image.channels,
                image.height,
                image.width,
                image.numel()
            ))),
        },
    }
}

/// `flatten()`: `nn.Flatten()`, no arguments.
pub(super) fn read(call: &Call, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let before = diags.len();
    args::bind(call, FLATTEN, &[], 0, diags);
    (diags.len() == before).then_some(LoweredLayer {
        kind: LayerKind::Flatten,
        widths: Widths::ANY,
    })
}
