//! NN009 `unfused-sigmoid-bce` (rules/docs/NN009.md): a final sigmoid with
//! `bce`; `bce_with_logits` computes the same loss stably (log-sum-exp).

use netc_ops::{Activation, Loss};

use super::context::{unwrap_call, LintContext};
use crate::diagnostic::Diagnostic;
use crate::rules::UNFUSED_SIGMOID_BCE;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    if ctx.loss()? != Loss::Bce {
        return None;
    }
    let output = ctx.output()?;
    if ctx.activation(output)? != Activation::Sigmoid {
        return None;
    }
    let loss_span = ctx.train_value_span("loss");
    let mut diagnostic = Diagnostic::new(
        &UNFUSED_SIGMOID_BCE,
        ctx.node_span(output),
        "use bce_with_logits and drop the sigmoid (log-sum-exp, stable)",
    )
    .with_span_label("final sigmoid")
    .with_label(loss_span, "bce on probabilities")
    .with_help("return the logits and set `loss = bce_with_logits`");
    if let Some(edits) = unwrap_call(ctx, output) {
        for (span, replacement) in edits {
            diagnostic = diagnostic.with_fix(span, replacement);
        }
        if ctx.source.train_entry("loss").is_some() {
            diagnostic = diagnostic.with_fix(loss_span, "bce_with_logits");
        }
    }
    Some(diagnostic)
}
