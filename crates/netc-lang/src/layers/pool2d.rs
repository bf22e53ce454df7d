//! `max_pool2d(kernel_size, stride=kernel_size, padding=0, dilation=1)`
//! and `avg_pool2d(kernel_size, stride=kernel_size, padding=0,
//! count_include_pad=true)`: `nn.MaxPool2d` and `nn.AvgPool2d`, with
//! PyTorch's check that the padding is at most half the kernel.

use netc_ops::image::{ImageShape, Pad, Pool2dGeometry, PoolKind, Window};

use super::{torch_pair, KindDoc, LayerKind, LayerType};
use super::{LoweredLayer, Widths};
use crate::analysis::call::CallStats;
use crate::analysis::stats::ValueStats;
use crate::ast::{Call, Expr};
use crate::diagnostic::Diagnostic;
use crate::lower::args;
use crate::lower::args::{pair, pair_or, required};
use crate::lower::shape::{windows, Output, Refusal};
use crate::rules;
use crate::shape::Shape;
use crate::span::Span;

pub(super) const MAX_DOC: KindDoc = KindDoc {
    meaning: "the maximum of each window; padding counts as −∞; output size ⌊(in + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1 (`nn.MaxPool2d`)",
    arguments: &["kernel_size", "stride=kernel_size", "padding=0", "dilation=1"],
};

pub(super) const AVG_DOC: KindDoc = KindDoc {
    meaning: "the mean of each window; with count_include_pad the padding's zeros count in the divisor; output size ⌊(in + 2·padding − kernel_size) / stride⌋ + 1 (`nn.AvgPool2d`)",
    arguments: &["kernel_size", "stride=kernel_size", "padding=0", "count_include_pad=true"],
};

/// `max_pool2d(kernel_size, stride=kernel_size, padding=0, dilation=1)`
/// and `avg_pool2d(kernel_size, stride=kernel_size, padding=0,
/// count_include_pad=true)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool2dSpec {
    pub kind: PoolKind,
    pub kernel_size: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    /// Always `(1, 1)` for average pooling, which has no dilation.
    pub dilation: (usize, usize),
}

impl Pool2dSpec {
    /// The pooling applied to an input of `input`'s shape.
    pub fn geometry(&self, input: ImageShape) -> Pool2dGeometry {
        let window = |kernel, stride, pad, dilation| Window {
            kernel,
            stride,
            pad: Pad::symmetric(pad),
            dilation,
        };
        Pool2dGeometry {
            input,
            kind: self.kind,
            rows: window(
                self.kernel_size.0,
                self.stride.0,
                self.padding.0,
                self.dilation.0,
            ),
            cols: window(
                self.kernel_size.1,
                self.stride.1,
                self.padding.1,
                self.dilation.1,
            ),
        }
    }
}

impl Pool2dSpec {
    pub(super) fn settings(&self) -> Vec<(&'static str, String)> {
        let mut settings = vec![
            ("stride", torch_pair(self.stride)),
            ("padding", torch_pair(self.padding)),
        ];
        match self.kind {
            PoolKind::Max => settings.push(("dilation", torch_pair(self.dilation))),
            PoolKind::Avg { count_include_pad } => {
                settings.push(("count_include_pad", count_include_pad.to_string()))
            }
        }
        settings
    }

    pub(super) fn apply(&self, input: Shape) -> Result<Output, Refusal> {
        let image = input.image().ok_or(Refusal::NeedsImage)?;
        let geometry = self.geometry(image);
        windows(image, image.channels, geometry.rows, geometry.cols)
    }

    pub(super) fn propagate(&self, call: &mut CallStats<'_>) -> (ValueStats, f64) {
        call.pool(|image| self.geometry(image))
    }
}

/// `max_pool2d(kernel_size, stride=kernel_size, padding=0, dilation=1)`
/// and `avg_pool2d(kernel_size, stride=kernel_size, padding=0,
/// count_include_pad=true)`. Average pooling's fourth positional parameter
/// in PyTorch is `ceil_mode`, which netc does not have, so there
/// `count_include_pad` is keyword-only.
pub(super) fn read(
    call: &Call,
    span: Span,
    kind: LayerType,
    diags: &mut Vec<Diagnostic>,
) -> Option<LoweredLayer> {
    let what = kind.name();
    let max = kind == LayerType::MaxPool2d;
    let last = if max { "dilation" } else { "count_include_pad" };
    let params = ["kernel_size", "stride", "padding", last];
    let bound = args::bind(call, what, &params, if max { 4 } else { 3 }, diags);
    let kernel_expr = required(&bound, 0, span, what, "kernel_size", diags);
    let kernel_size = kernel_expr.and_then(|e| args::size_pair(e, "kernel_size", 1, diags));
    // PyTorch's `stride=None` is the kernel size; known once that is.
    let stride = args::optional(bound.get(1), None, |e| {
        args::size_pair(e, "stride", 1, diags).map(Some)
    });
    let padding = pair_or(&bound, 2, "padding", 0, (0, 0), diags);
    let (dilation, pool) = if max {
        (
            pair_or(&bound, 3, "dilation", 1, (1, 1), diags),
            Some(PoolKind::Max),
        )
    } else {
        let count_include_pad = args::optional(bound.get(3), true, |e| {
            args::boolean(e, "count_include_pad", diags)
        });
        (
            Some((1, 1)),
            count_include_pad.map(|count_include_pad| PoolKind::Avg { count_include_pad }),
        )
    };
    let (kernel_size, stride, padding, dilation, pool) =
        (kernel_size?, stride?, padding?, dilation?, pool?);
    if let Some(padding_expr) = bound.get(2) {
        if let Some(diag) = pool_padding_over_half(what, kernel_size, padding, padding_expr) {
            diags.push(diag);
            return None;
        }
    }
    Some(LoweredLayer {
        kind: LayerKind::Pool2d(Pool2dSpec {
            kind: pool,
            kernel_size,
            stride: stride.unwrap_or(kernel_size),
            padding,
            dilation,
        }),
        widths: Widths::ANY,
    })
}

/// NN044: pool padding above half the kernel, which PyTorch refuses
/// (its kernel size, not the dilated extent).
fn pool_padding_over_half(
    what: &str,
    kernel: (usize, usize),
    padding: (usize, usize),
    padding_expr: &Expr,
) -> Option<Diagnostic> {
    let limit = (kernel.0 / 2, kernel.1 / 2);
    if padding.0 <= limit.0 && padding.1 <= limit.1 {
        return None;
    }
    Some(
        Diagnostic::new(
            &rules::INVALID_PADDING,
            padding_expr.span,
            format!(
                "`{what}` padding {} is more than half its kernel {}",
                pair(padding),
                pair(kernel)
            ),
        )
        .with_span_label(format!("at most {} for this kernel", pair(limit)))
        .with_help(
            "a window that starts in the padding would hold no input; pad less or widen the kernel",
        )
        .with_note("PyTorch: pad should be smaller than or equal to half of kernel size"),
    )
}
