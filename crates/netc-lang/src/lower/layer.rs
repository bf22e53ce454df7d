//! Layer declarations (`fc1 = linear(9, 16)`) → `LayerKind`: what is
//! not a layer; each kind's reader is in `crate::layers`.

use netc_ops::Activation;

use super::args;
use crate::ast::{Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::layers::{LayerKind, LayerType, LoweredLayer};
use crate::rules;
use crate::span::Span;

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
