//! Layer declarations (`fc1 = linear(9, 16)`) → `LayerKind`: what is
//! not a layer, and the helpers every kind's reader (`crate::layers`)
//! shares.

use netc_ops::{Activation, Init};

use super::args::{self, Bound};
use super::init::lower_init;
use crate::ast::{Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::ir::{LayerKind, LayerType, Span};
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
        Some(kind) => kind.read(call, span, diags),
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

pub(crate) fn required<'e>(
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

/// `init` and `bias_init`, bound at `index` and `index + 1`, of a layer
/// of kind `what` whose `bias` is as read (`None`: invalid, reported);
/// `None` when either is invalid, or `bias_init` is given without a bias.
pub(crate) fn inits(
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
pub(crate) fn eps(
    bound: &Bound<'_>,
    index: usize,
    default: f64,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    bound
        .get(index)
        .map_or(Some(default), |e| args::positive_number(e, "eps", diags))
}

/// An optional size pair, `default` when left out.
pub(crate) fn pair_or(
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

/// `n` for a square pair, `(h, w)` otherwise: as the user would write it.
pub(crate) fn pair((h, w): (usize, usize)) -> String {
    if h == w {
        h.to_string()
    } else {
        format!("({h}, {w})")
    }
}
