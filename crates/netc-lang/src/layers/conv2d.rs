//! `conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
//! dilation=1, groups=1, bias=true, init=…, bias_init=…)`: `nn.Conv2d`,
//! with the checks PyTorch makes when it builds the module (groups
//! dividing the channels, `padding="same"` only unstrided).

use netc_ops::image::{Conv2dGeometry, ImageShape, Pad, Window};
use netc_ops::Init;

use super::{torch_pair, weight_and_bias, KindDoc, LayerKind, LayerType, StateTensor};
use super::{LoweredLayer, Size, Widths};
use crate::ast::{Call, Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::lower::args::{self, MAX_WIDTH};
use crate::lower::args::{pair, pair_or, required};
use crate::lower::init::inits;
use crate::lower::shape::{channels, windows, Output, Refusal};
use crate::rules;
use crate::shape::Shape;
use crate::span::Span;

pub(super) const DOC: KindDoc = KindDoc {
    meaning: "y[co] = b[co] + Σ w[co, ci] ⋆ x[ci] over the input channels of co's group (cross-correlation, `nn.Conv2d`); each output size is ⌊(in + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1; sizes are an int or a pair (height, width); `padding=same` keeps the size (stride 1), `valid` is 0",
    arguments: &["in_channels", "out_channels", "kernel_size", "stride=1", "padding=0", "dilation=1", "groups=1", "bias=true", "init", "bias_init"],
};

const CONV2D: &str = LayerType::Conv2d.name();

/// `padding=` names of a convolution, as PyTorch's strings.
const PADDING_MODES: &[&str] = &["same", "valid"];

/// Parameters a conv2d weight may hold: linear's largest
/// (`MAX_WIDTH`² = 2⁴⁸), so no parameter count downstream overflows.
const MAX_PARAMETERS: usize = MAX_WIDTH * MAX_WIDTH;

/// `conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=true, init=…, bias_init=…)`; pairs are
/// `(height, width)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2dSpec {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel_size: (usize, usize),
    pub stride: (usize, usize),
    pub padding: Conv2dPadding,
    pub dilation: (usize, usize),
    pub groups: usize,
    pub bias: bool,
    /// `None`: `nn.Conv2d`'s default (`kaiming_uniform_(a=√5)`).
    pub init: Option<Init>,
    /// `None`: `nn.Conv2d`'s default bias, U(±1/√fan_in).
    pub bias_init: Option<Init>,
}

impl Conv2dSpec {
    /// The convolution applied to an input of `input`'s shape.
    pub fn geometry(&self, input: ImageShape) -> Conv2dGeometry {
        let window = |kernel, stride, dilation, pad| Window {
            kernel,
            stride,
            pad,
            dilation,
        };
        let (pad_h, pad_w) = self.padding.pads(self.kernel_size, self.dilation);
        Conv2dGeometry {
            input,
            out_channels: self.out_channels,
            groups: self.groups,
            rows: window(self.kernel_size.0, self.stride.0, self.dilation.0, pad_h),
            cols: window(self.kernel_size.1, self.stride.1, self.dilation.1, pad_w),
        }
    }
}

/// `padding=` of a convolution: a pair (`valid` is `(0, 0)`) or `same`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv2dPadding {
    Explicit(usize, usize),
    /// PyTorch's `padding="same"` (stride 1 only).
    Same,
}

impl Conv2dPadding {
    /// Rows and columns of padding for a kernel and dilation.
    pub fn pads(self, kernel: (usize, usize), dilation: (usize, usize)) -> (Pad, Pad) {
        match self {
            Conv2dPadding::Explicit(h, w) => (Pad::symmetric(h), Pad::symmetric(w)),
            Conv2dPadding::Same => (
                Pad::same(kernel.0, dilation.0),
                Pad::same(kernel.1, dilation.1),
            ),
        }
    }
}

impl std::fmt::Display for Conv2dPadding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conv2dPadding::Explicit(h, w) => write!(f, "({h}, {w})"),
            Conv2dPadding::Same => f.write_str("same"),
        }
    }
}

impl Conv2dSpec {
    pub(super) fn state_dict(&self) -> Vec<StateTensor> {
        let (kh, kw) = self.kernel_size;
        let shape = [self.out_channels, self.in_channels / self.groups, kh, kw];
        weight_and_bias(&shape, self.bias)
    }

    pub(super) fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("stride", torch_pair(self.stride)),
            ("padding", self.padding.to_string()),
            ("dilation", torch_pair(self.dilation)),
            ("groups", self.groups.to_string()),
            ("bias", self.bias.to_string()),
        ]
    }

    pub(super) fn apply(&self, input: Shape) -> Result<Output, Refusal> {
        let image = channels(input, self.in_channels)?;
        let geometry = self.geometry(image);
        windows(image, self.out_channels, geometry.rows, geometry.cols)
    }
}

/// `conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=true, init=…, bias_init=…)`: the first
/// eight positional, as `nn.Conv2d`'s.
pub(super) fn read(call: &Call, span: Span, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
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
