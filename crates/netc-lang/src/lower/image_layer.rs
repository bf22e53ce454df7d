//! The image layer declarations — `conv2d`, `max_pool2d`, `avg_pool2d`,
//! `adaptive_avg_pool2d`, `flatten` — with PyTorch's argument names,
//! positional order and defaults, and the checks PyTorch makes when it
//! builds the module (groups dividing the channels, `padding="same"` only
//! unstrided, pool padding at most half the kernel). `batchnorm2d` shares
//! `batchnorm`'s reader in `layer.rs`.

use netc_ops::image::PoolKind;

use super::args::{self, Bound, MAX_WIDTH};
use super::layer::{inits, required, LoweredLayer, Size, Widths};
use crate::ast::{Call, Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::ir::{
    AdaptiveAvgPool2dSpec, Conv2dPadding, Conv2dSpec, LayerKind, LayerType, Pool2dSpec, Span,
};
use crate::rules;

const CONV2D: &str = LayerType::Conv2d.name();
const ADAPTIVE_AVG_POOL2D: &str = LayerType::AdaptiveAvgPool2d.name();
const FLATTEN: &str = LayerType::Flatten.name();

/// `padding=` names of a convolution, as PyTorch's strings.
const PADDING_MODES: &[&str] = &["same", "valid"];

/// Parameters a conv2d weight may hold: linear's largest
/// (`MAX_WIDTH`² = 2⁴⁸), so no parameter count downstream overflows.
const MAX_PARAMETERS: usize = MAX_WIDTH * MAX_WIDTH;

/// An optional size pair, `default` when left out.
fn pair_or(
    bound: &Bound<'_>,
    index: usize,
    param: &str,
    min: i64,
    default: (usize, usize),
    diags: &mut Vec<Diagnostic>,
) -> Option<(usize, usize)> {
    args::optional(bound.get(index), default, |e| {
        args::size_pair(e, param, min, diags)
    })
}

/// `conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=true, init=…, bias_init=…)`: the first
/// eight positional, as `nn.Conv2d`'s.
pub(super) fn conv2d(call: &Call, span: Span, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let params = [
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "bias",
        "init",
        "bias_init",
    ];
    let bound = args::bind(call, CONV2D, &params, 8, diags);
    let in_expr = required(&bound, 0, span, CONV2D, "in_channels", diags);
    let in_channels = in_expr.and_then(|e| args::width(e, "in_channels", diags));
    let out_expr = required(&bound, 1, span, CONV2D, "out_channels", diags);
    let out_channels = out_expr.and_then(|e| args::width(e, "out_channels", diags));
    let kernel_expr = required(&bound, 2, span, CONV2D, "kernel_size", diags);
    let kernel_size = kernel_expr.and_then(|e| args::size_pair(e, "kernel_size", 1, diags));
    let stride = pair_or(&bound, 3, "stride", 1, (1, 1), diags);
    let padding = args::optional(bound.get(4), Conv2dPadding::Explicit(0, 0), |e| {
        conv_padding(e, diags)
    });
    let dilation = pair_or(&bound, 5, "dilation", 1, (1, 1), diags);
    let groups = args::optional(bound.get(6), 1, |e| args::width(e, "groups", diags));
    let bias = args::optional(bound.get(7), true, |e| args::boolean(e, "bias", diags));
    let inits = inits(&bound, 8, bias, CONV2D, diags);
    let (in_expr, in_channels, out_expr, out_channels) =
        (in_expr?, in_channels?, out_expr?, out_channels?);
    let (kernel_size, stride, padding, dilation) = (kernel_size?, stride?, padding?, dilation?);
    let (groups, bias, (init, bias_init)) = (groups?, bias?, inits?);
    let spec = Conv2dSpec {
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        init,
        bias_init,
    };
    let channels = [(in_channels, in_expr), (out_channels, out_expr)];
    let problems = diags.len();
    if let Some(groups_expr) = bound.get(6) {
        for (count, expr) in channels {
            diags.extend(indivisible_by_groups(count, expr, groups, groups_expr));
        }
    }
    if let (Conv2dPadding::Same, Some(padding_expr), Some(stride_expr)) =
        (padding, bound.get(4), bound.get(3))
    {
        diags.extend(strided_same_padding(&spec, padding_expr, stride_expr));
    }
    diags.extend(too_many_parameters(&spec, span));
    if diags.len() > problems {
        return None;
    }
    Some(LoweredLayer {
        kind: LayerKind::Conv2d(spec),
        widths: Widths {
            input: Some(Size::written(in_channels, in_expr)),
            output: Some((out_channels, out_expr.span)),
        },
    })
}

/// `padding=`: a size or pair, or `same`/`valid` (bare, or quoted as in
/// PyTorch).
fn conv_padding(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<Conv2dPadding> {
    let mode = match &expr.ungrouped().kind {
        ExprKind::Name(_) => args::name_among(expr, "padding", "padding", PADDING_MODES, diags)?,
        ExprKind::Str(text) if PADDING_MODES.contains(&text.as_str()) => text.as_str(),
        ExprKind::Str(text) => {
            diags.push(args::unknown_name(
                "padding",
                text,
                expr.span,
                PADDING_MODES,
                "",
            ));
            return None;
        }
        _ => {
            let (height, width) = args::size_pair(expr, "padding", 0, diags)?;
            return Some(Conv2dPadding::Explicit(height, width));
        }
    };
    Some(match mode {
        "same" => Conv2dPadding::Same,
        _ => Conv2dPadding::Explicit(0, 0),
    })
}

/// NN043: `count` channels (written `expr`) do not split into `groups`.
fn indivisible_by_groups(
    count: usize,
    expr: &Expr,
    groups: usize,
    groups_expr: &Expr,
) -> Option<Diagnostic> {
    if count.is_multiple_of(groups) {
        return None;
    }
    Some(
        Diagnostic::new(
            &rules::INDIVISIBLE_GROUPS,
            groups_expr.span,
            format!("{count} channels do not split into {groups} groups"),
        )
        .with_span_label(format!("{groups} groups"))
        .with_label(expr.span, format!("{count} channels"))
        .with_help(format!(
            "PyTorch requires `groups` to divide both `in_channels` and `out_channels`; {count} is not a multiple of {groups}"
        )),
    )
}

/// NN044: `padding=same` with a stride other than 1, which PyTorch refuses.
fn strided_same_padding(
    spec: &Conv2dSpec,
    padding_expr: &Expr,
    stride_expr: &Expr,
) -> Option<Diagnostic> {
    if spec.stride == (1, 1) {
        return None;
    }
    let (pad_h, pad_w) = Conv2dPadding::Same.pads(spec.kernel_size, spec.dilation);
    let help = if pad_h.before == pad_h.after && pad_w.before == pad_w.after {
        let pads = if pad_h == pad_w {
            pad_h.before.to_string()
        } else {
            format!("({}, {})", pad_h.before, pad_w.before)
        };
        format!("pad explicitly, `padding={pads}`, or use stride 1")
    } else {
        "pad explicitly with `padding=`, or use stride 1".to_string()
    };
    Some(
        Diagnostic::new(
            &rules::INVALID_PADDING,
            padding_expr.span,
            "`padding=same` needs stride 1",
        )
        .with_span_label("`same` padding")
        .with_label(stride_expr.span, format!("stride {}", pair(spec.stride)))
        .with_help(help)
        .with_note("PyTorch: padding='same' is not supported for strided convolutions"),
    )
}

/// NN037 for a weight too large to count.
fn too_many_parameters(spec: &Conv2dSpec, span: Span) -> Option<Diagnostic> {
    let (kh, kw) = spec.kernel_size;
    let count = [spec.in_channels / spec.groups, kh, kw]
        .into_iter()
        .try_fold(spec.out_channels, usize::checked_mul)
        .filter(|&count| count <= MAX_PARAMETERS);
    if count.is_some() {
        return None;
    }
    Some(
        Diagnostic::new(
            &rules::INVALID_VALUE,
            span,
            format!(
                "the weight of this `conv2d` would hold more than 2^48 parameters ({} × {} × {kh} × {kw})",
                spec.out_channels,
                spec.in_channels / spec.groups
            ),
        )
        .with_span_label("too large")
        .with_help("check the channel counts and the kernel size"),
    )
}

/// `max_pool2d(kernel_size, stride=kernel_size, padding=0, dilation=1)`
/// and `avg_pool2d(kernel_size, stride=kernel_size, padding=0,
/// count_include_pad=true)`. Average pooling's fourth positional parameter
/// in PyTorch is `ceil_mode`, which netc does not have, so there
/// `count_include_pad` is keyword-only.
pub(super) fn pool2d(
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

/// `adaptive_avg_pool2d(output_size)`: one size or a pair.
pub(super) fn adaptive_avg_pool2d(
    call: &Call,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<LoweredLayer> {
    let bound = args::bind(call, ADAPTIVE_AVG_POOL2D, &["output_size"], 1, diags);
    let size = required(&bound, 0, span, ADAPTIVE_AVG_POOL2D, "output_size", diags)?;
    let output_size = args::size_pair(size, "output_size", 1, diags)?;
    Some(LoweredLayer {
        kind: LayerKind::AdaptiveAvgPool2d(AdaptiveAvgPool2dSpec { output_size }),
        widths: Widths::ANY,
    })
}

/// `flatten()`: `nn.Flatten()`, no arguments.
pub(super) fn flatten(call: &Call, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let before = diags.len();
    args::bind(call, FLATTEN, &[], 0, diags);
    (diags.len() == before).then_some(LoweredLayer {
        kind: LayerKind::Flatten,
        widths: Widths::ANY,
    })
}

/// `n` for a square pair, `(h, w)` otherwise: as the user would write it.
pub(super) fn pair((h, w): (usize, usize)) -> String {
    if h == w {
        h.to_string()
    } else {
        format!("({h}, {w})")
    }
}
