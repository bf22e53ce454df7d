//! NN033 `dropout-rate` (rules/docs/NN033.md): p outside [0, 1) cannot
//! train (error); p > 0.5 drops most units (warning, UMLAUT).

use super::context::LintContext;
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::layers::LayerKind;
use crate::rules::DROPOUT_RATE;
use crate::severity::Severity;

const MOST_ABOVE: f64 = 0.5;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (handle, layer) in ctx.model.layers.iter() {
        let LayerKind::Dropout(spec) = &layer.kind else {
            continue;
        };
        let p = spec.p;
        let (severity, message) = if !(0.0..1.0).contains(&p) {
            (
                Severity::Error,
                format!("dropout {} must be in [0, 1)", short(p)),
            )
        } else if p > MOST_ABOVE {
            (
                Severity::Warning,
                format!("dropout {} drops most units", short(p)),
            )
        } else {
            continue;
        };
        let span = ctx
            .source
            .layer_argument(&layer.name, "p", 0)
            .map_or_else(|| ctx.layer_span(handle), |arg| arg.value.span);
        let mut diagnostic = Diagnostic::new(&DROPOUT_RATE, span, message);
        diagnostic.severity = severity;
        found.push(diagnostic);
    }
    found
}
