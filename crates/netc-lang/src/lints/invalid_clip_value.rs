//! NN031 `invalid-clip-value` (rules/docs/NN031.md): `clip_grad_norm`
//! must be a positive finite max norm.

use super::context::LintContext;
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::rules::INVALID_CLIP_VALUE;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let clip = ctx.model.train.as_ref()?.clip_grad_norm?;
    (clip <= 0.0 || !clip.is_finite()).then(|| {
        Diagnostic::new(
            &INVALID_CLIP_VALUE,
            ctx.train_value_span("clip_grad_norm"),
            format!("clip_grad_norm must be > 0 (got {})", short(clip)),
        )
        .with_help("a max norm of 1.0 is a common start")
    })
}
