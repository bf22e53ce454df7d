//! NN023 `predicted-vanishing`, NN024 `predicted-exploding` and NN030
//! `exploding-without-clipping` (rules/docs/NN023.md, NN024.md, NN030.md):
//! the analysis' R = √(G_first/G_last) against AUTOTRAINER's thresholds.

use super::context::LintContext;
use super::number::short;
use crate::analysis::{Verdict, EXPLODING_ABOVE, VANISHING_BELOW};
use crate::diagnostic::Diagnostic;
use crate::rules::{Rule, EXPLODING_WITHOUT_CLIPPING, PREDICTED_EXPLODING, PREDICTED_VANISHING};
use crate::severity::Severity;
use crate::span::Span;

/// Below this the vanishing warning becomes an error: no optimiser step
/// reaches the first layer.
const VANISHING_ERROR_BELOW: f64 = 1e-6;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let Some(r) = ctx.analysis.r else {
        return Vec::new();
    };
    let linears: Vec<_> = ctx.analysis.weight_rows().collect();
    let (Some(first), Some(last)) = (linears.first(), linears.last()) else {
        return Vec::new();
    };
    // Both verdicts are about the first layer's gradient relative to the
    // last one's.
    let predicted = |rule: &Rule, message: String, note: String| {
        Diagnostic::new(rule, ctx.layer_span(first.layer), message)
            .with_label(
                ctx.layer_span(last.layer),
                format!("relative to `{}`", ctx.model.layers[last.layer].name),
            )
            .with_note(note)
    };
    match ctx.analysis.verdict {
        Verdict::Healthy => Vec::new(),
        Verdict::Vanishing => {
            let mut diagnostic = predicted(
                &PREDICTED_VANISHING,
                format!(
                    "predicted ‖∇W1‖/‖∇W_L‖ = {}: vanishing gradients; use relu+kaiming, elu, or batchnorm",
                    short(r)
                ),
                format!("AUTOTRAINER calls R < {VANISHING_BELOW:e} vanishing"),
            );
            if r < VANISHING_ERROR_BELOW {
                diagnostic.severity = Severity::Error;
            }
            vec![diagnostic]
        }
        Verdict::Exploding => {
            let exploding = predicted(
                &PREDICTED_EXPLODING,
                format!(
                    "predicted gradient ratio {}: exploding; reduce init scale or add clipping/batchnorm",
                    short(r)
                ),
                format!("AUTOTRAINER calls R > {EXPLODING_ABOVE} exploding"),
            );
            let mut found = vec![exploding];
            found.extend(without_clipping(ctx));
            found
        }
    }
}

fn without_clipping(ctx: &LintContext) -> Option<Diagnostic> {
    let clipped = ctx
        .model
        .train
        .as_ref()
        .is_some_and(|train| train.clip_grad_norm.is_some());
    if clipped {
        return None;
    }
    let span: Span = ctx
        .source
        .train_block()
        .map(|block| block.keyword)
        .unwrap_or(ctx.model.name_span);
    Some(
        Diagnostic::new(
            &EXPLODING_WITHOUT_CLIPPING,
            span,
            "add clip_grad_norm (e.g. max_norm=1.0)",
        )
        .with_help("add `clip_grad_norm = 1.0` to the train block"),
    )
}
