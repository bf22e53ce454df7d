//! NN008 `double-softmax` (rules/docs/NN008.md): a final softmax or
//! log_softmax before cross_entropy, which applies log_softmax itself.

use netc_ops::{Activation, Loss};

use super::context::{unwrap_call, LintContext};
use crate::diagnostic::Diagnostic;
use crate::rules::DOUBLE_SOFTMAX;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    if ctx.loss()? != Loss::CrossEntropy {
        return None;
    }
    let output = ctx.output()?;
    let activation = ctx.activation(output)?;
    if !matches!(activation, Activation::Softmax | Activation::LogSoftmax) {
        return None;
    }
    let mut diagnostic = Diagnostic::new(
        &DOUBLE_SOFTMAX,
        ctx.node_span(output),
        "cross_entropy expects raw logits; remove the final softmax",
    )
    .with_span_label(format!("`{}` applied to the logits", activation.name()))
    .with_label(
        ctx.train_value_span("loss"),
        "cross_entropy applies log_softmax itself",
    )
    .with_help(format!("return the logits without `{}`", activation.name()));
    for (span, replacement) in unwrap_call(ctx, output).into_iter().flatten() {
        diagnostic = diagnostic.with_fix(span, replacement);
    }
    Some(diagnostic)
}
