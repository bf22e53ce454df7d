//! NN027 `logit-scale` (rules/docs/NN027.md): initial logits with variance
//! q_L > 100 under a softmax/sigmoid loss start the loss saturated.

use netc_ops::Loss;

use super::context::LintContext;
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::rules::LOGIT_SCALE;

const LOGIT_VARIANCE_ABOVE: f64 = 100.0;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let loss = ctx.loss()?;
    if !matches!(loss, Loss::CrossEntropy | Loss::Bce | Loss::BceWithLogits) {
        return None;
    }
    let output = ctx.output_layer()?;
    let q = ctx
        .analysis
        .weight_rows()
        .filter(|row| row.layer == output)
        .last()?
        .q;
    (q > LOGIT_VARIANCE_ABOVE).then(|| {
        Diagnostic::new(
            &LOGIT_SCALE,
            ctx.layer_span(output),
            format!(
                "initial logits have std {}: loss starts saturated",
                short(q.sqrt())
            ),
        )
        .with_help("shrink the output layer's init (e.g. xavier, or zeros)")
    })
}
