//! Layer declarations (`fc1 = linear(9, 16)`) → `LayerKind`, with
//! PyTorch's defaults. The image kinds' readers are in `image_layer.rs`.

use netc_ops::{layer as defaults, Activation, Init};

use super::args::{self, Bound};
use super::image_layer;
use super::init::lower_init;
use crate::ast::{Call, Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::ir::{
    BatchNormSpec, DropoutSpec, LayerKind, LayerNormSpec, LayerType, LinearSpec, Span,
};
use crate::rules;

/// A size a declaration fixes — a width for the flat kinds, a channel
/// count for the image kinds — and where it was fixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Size {
    pub value: usize,
    /// The argument that wrote it, or the first call for `linear(out)`.
    pub span: Span,
    pub by: FixedBy,
}

/// What fixed a [`Size`]: how a fix may rewrite it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FixedBy {
    /// An integer literal.
    Literal,
    /// Any other argument expression (`16 * 5 * 5`).
    Expression,
    /// The first call of `linear(out)`: no argument to rewrite.
    FirstCall,
}

impl Size {
    /// The size `expr` wrote.
    pub(crate) fn written(value: usize, expr: &Expr) -> Size {
        let by = match expr.ungrouped().kind {
            ExprKind::Number(_) => FixedBy::Literal,
            _ => FixedBy::Expression,
        };
        Size {
            value,
            span: expr.span,
            by,
        }
    }
}

/// A declared layer's sizes as far as the declaration tells them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Widths {
    /// The width (flat kinds) or channels (conv2d, batchnorm2d) the layer
    /// accepts; `None` for `linear(out)` until its first call, and for
    /// kinds that take any input (dropout, pooling, flatten).
    pub input: Option<Size>,
    /// The width or channels the layer produces with the span that fixed
    /// it; `None` for kinds whose output follows from their input.
    pub output: Option<(usize, Span)>,
}

impl Widths {
    /// A kind that takes any input and whose output follows from it.
    pub(crate) const ANY: Widths = Widths {
        input: None,
        output: None,
    };
}

/// A successfully read declaration.
pub(crate) struct LoweredLayer {
    pub kind: LayerKind,
    pub widths: Widths,
}

/// Reads the right-hand side of a layer declaration.
pub(crate) fn lower_layer(value: &Expr, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let call = match &value.kind {
        ExprKind::Call(call) => call,
        ExprKind::Name(name) if LayerKind::NAMES.contains(&name.as_str()) => {
            diags.push(
                args::invalid(value, format!("`{name}` must be called"))
                    .with_span_label("not called")
                    .with_help(format!("call it: `{name}(...)`")),
            );
            return None;
        }
        _ => {
            diags.push(
                args::invalid(
                    value,
                    format!("expected a layer, found {}", value.describe()),
                )
                .with_span_label("not a layer")
                .with_help(format!(
                    "declare a layer with one of: {}",
                    calls_of_every_kind()
                )),
            );
            return None;
        }
    };
    let name = call.callee.name.as_str();
    let span = value.span;
    match LayerType::from_name(name) {
        Some(LayerType::Linear) => linear(call, span, diags),
        Some(kind @ (LayerType::BatchNorm | LayerType::BatchNorm2d)) => {
            batchnorm(call, span, kind, diags)
        }
        Some(LayerType::LayerNorm) => layernorm(call, span, diags),
        Some(LayerType::Dropout) => dropout(call, diags),
        Some(LayerType::Conv2d) => image_layer::conv2d(call, span, diags),
        Some(kind @ (LayerType::MaxPool2d | LayerType::AvgPool2d)) => {
            image_layer::pool2d(call, span, kind, diags)
        }
        Some(LayerType::AdaptiveAvgPool2d) => image_layer::adaptive_avg_pool2d(call, span, diags),
        Some(LayerType::Flatten) => image_layer::flatten(call, diags),
        None => {
            diags.push(not_a_layer_kind(name, call.callee.span));
            None
        }
    }
}

/// `linear(...), batchnorm(...), ...`: every layer kind as a call.
fn calls_of_every_kind() -> String {
    let calls: Vec<String> = LayerKind::NAMES
        .iter()
        .map(|name| format!("{name}(...)"))
        .collect();
    calls.join(", ")
}

const LINEAR: &str = LayerType::Linear.name();
const LAYERNORM: &str = LayerType::LayerNorm.name();
const DROPOUT: &str = LayerType::Dropout.name();

/// NN036 for a callee that is no layer kind: an activation or init in the
/// wrong place, or a typo.
fn not_a_layer_kind(name: &str, span: Span) -> Diagnostic {
    if Activation::NAMES.contains(&name) {
        return Diagnostic::new(
            &rules::UNKNOWN_NAME,
            span,
            format!("`{name}` is an activation, not a layer kind"),
        )
        .with_span_label("activations are not declared")
        .with_help(format!("call it in `forward` on a value: `{name}(x)`"));
    }
    args::unknown_name("layer kind", name, span, LayerKind::NAMES, "")
}

pub(super) fn required<'e>(
    bound: &Bound<'e>,
    index: usize,
    call_span: Span,
    what: &str,
    param: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'e Expr> {
    let value = bound.get(index);
    if value.is_none() {
        diags.push(args::missing(call_span, what, param));
    }
    value
}

// Each reader below reads every argument before any error returns, so
// one run reports all of a declaration's mistakes.

fn linear(call: &Call, span: Span, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let params = ["in_features", "out_features", "bias", "init", "bias_init"];
    // `linear(16)` means the output width; the input is inferred.
    let positional = call.args.iter().filter(|a| a.key.is_none()).count();
    let names_out = call
        .args
        .iter()
        .any(|a| a.key.as_ref().is_some_and(|k| k.name == "out_features"));
    let order: &[usize] = if positional == 1 && !names_out {
        &[1]
    } else {
        &[0, 1, 2]
    };
    let bound = args::bind_in_order(call, LINEAR, &params, order, diags);
    // `Some(None)`: left out; `None`: invalid (already reported).
    let input = match bound.get(0) {
        Some(e) => args::width(e, "in_features", diags).map(|w| Some(Size::written(w, e))),
        None => Some(None),
    };
    let out_expr = required(&bound, 1, span, LINEAR, "out_features", diags);
    let out_features = out_expr.and_then(|e| args::width(e, "out_features", diags));
    let bias = bound
        .get(2)
        .map_or(Some(true), |e| args::boolean(e, "bias", diags));
    let inits = inits(&bound, 3, bias, LINEAR, diags);
    let (input, out_expr, out_features, bias) = (input?, out_expr?, out_features?, bias?);
    let (init, bias_init) = inits?;
    Some(LoweredLayer {
        kind: LayerKind::Linear(LinearSpec {
            in_features: input.map_or(0, |size| size.value),
            out_features,
            bias,
            init,
            bias_init,
        }),
        widths: Widths {
            input,
            output: Some((out_features, out_expr.span)),
        },
    })
}

/// `init` and `bias_init`, bound at `index` and `index + 1`, of a layer
/// of kind `what` whose `bias` is as read (`None`: invalid, reported);
/// `None` when either is invalid, or `bias_init` is given without a bias.
pub(super) fn inits(
    bound: &Bound<'_>,
    index: usize,
    bias: Option<bool>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Option<Init>, Option<Init>)> {
    let init = match bound.get(index) {
        Some(e) => lower_init(e, "init", diags).map(Some),
        None => Some(None),
    };
    let bias_init = match bound.get(index + 1) {
        Some(e) => lower_init(e, "bias_init", diags).map(Some),
        None => Some(None),
    };
    let (init, bias_init) = (init?, bias_init?);
    if let (Some(_), Some(false), Some(e)) = (bias_init, bias, bound.get(index + 1)) {
        diags.push(
            args::invalid(
                e,
                format!("`bias_init` on a {what} layer with `bias=false`"),
            )
            .with_span_label("there is no bias to initialise"),
        );
        return None;
    }
    Some((init, bias_init))
}

/// `eps`: positive, `default` (PyTorch's) when left out.
fn eps(bound: &Bound<'_>, index: usize, default: f64, diags: &mut Vec<Diagnostic>) -> Option<f64> {
    bound
        .get(index)
        .map_or(Some(default), |e| args::positive_number(e, "eps", diags))
}

/// `batchnorm` or `batchnorm2d` (`kind`): the same arguments, over
/// features or channels.
fn batchnorm(
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

fn layernorm(call: &Call, span: Span, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
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

fn dropout(call: &Call, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let bound = args::bind(call, DROPOUT, &["p"], 1, diags);
    let p = match bound.get(0) {
        Some(e) => args::number_in(e, "p", 0.0, 1.0, diags)?,
        None => defaults::DROPOUT_P,
    };
    Some(LoweredLayer {
        kind: LayerKind::Dropout(DropoutSpec { p }),
        widths: Widths::ANY,
    })
}
