//! NN018 `bias-before-batchnorm` (rules/docs/NN018.md): batchnorm subtracts
//! the batch mean (per channel for batchnorm2d), so the bias of the linear
//! or conv2d layer right before it has no effect (and its gradient is
//! zero).

use super::context::{is_batchnorm, LintContext};
use crate::diagnostic::Diagnostic;
use crate::rules::BIAS_BEFORE_BATCHNORM;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut reported = Vec::new();
    for (node, (layer, layer_data, weights)) in ctx.weight_calls() {
        let feeds_batchnorm = ctx.sole_user(node).is_some_and(|user| {
            ctx.called_layer(user)
                .is_some_and(|(_, l)| is_batchnorm(&l.kind))
        });
        if !weights.bias || !feeds_batchnorm || reported.contains(&layer) {
            continue;
        }
        reported.push(layer);
        let name = &layer_data.name;
        let mut diagnostic = Diagnostic::new(
            &BIAS_BEFORE_BATCHNORM,
            ctx.layer_span(layer),
            format!("bias of {name} is cancelled by batchnorm mean subtraction; set bias=false"),
        )
        .with_help(format!("declare `{name}` with `bias=false`"));
        if let Some(arg) = ctx.source.layer_keyword(name, "bias") {
            diagnostic = diagnostic.with_fix(arg.value.span, "false");
        } else if let Some(end) = ctx.source.layer_call_end(name) {
            diagnostic = diagnostic.with_fix(end, ", bias=false");
        }
        found.push(diagnostic);
    }
    found
}
