//! NN029 `learning-rate-range` (rules/docs/NN029.md): lr ≤ 0 cannot train
//! (error); SGD above 1, Adam/AdamW above 1e-2, anything below 1e-7 is far
//! outside the usual range (UMLAUT, DeepDiagnosis).

use netc_ops::Optimizer;

use super::context::LintContext;
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::rules::LEARNING_RATE_RANGE;
use crate::severity::Severity;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let optimizer = ctx.model.train.as_ref()?.optimizer;
    let lr = optimizer.lr();
    let name = optimizer.name();
    let (usual, upper) = match optimizer {
        Optimizer::Sgd { .. } => ("1e-3..1", 1.0),
        Optimizer::Adam { .. } | Optimizer::AdamW { .. } => ("1e-4..1e-2", 1e-2),
    };
    let span = ctx
        .source
        .optimizer_keyword("lr")
        .map_or_else(|| ctx.train_value_span("optimizer"), |arg| arg.value.span);
    let (severity, message) = if lr <= 0.0 || !lr.is_finite() {
        (
            Severity::Error,
            format!("{name} lr={} must be positive and finite", short(lr)),
        )
    } else if lr > upper {
        (
            Severity::Warning,
            format!("{name} lr={} is far above the usual {usual}", short(lr)),
        )
    } else if lr < 1e-7 {
        (
            Severity::Warning,
            format!("{name} lr={} is far below the usual {usual}", short(lr)),
        )
    } else {
        return None;
    };
    let mut diagnostic = Diagnostic::new(&LEARNING_RATE_RANGE, span, message);
    diagnostic.severity = severity;
    Some(diagnostic)
}
