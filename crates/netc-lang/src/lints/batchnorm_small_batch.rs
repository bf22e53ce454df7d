//! NN020 `batchnorm-small-batch` (rules/docs/NN020.md): batch statistics
//! from fewer than 8 samples are noisy (Wu & He, Group Norm, 2018); 8 is a
//! chosen threshold.

use super::context::{is_batchnorm, LintContext};
use crate::diagnostic::Diagnostic;
use crate::rules::BATCHNORM_SMALL_BATCH;

const SMALL_BELOW: usize = 8;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let batch = ctx.model.train.as_ref()?.batch;
    // Batch 1 is NN019's error.
    let small = (2..SMALL_BELOW).contains(&batch);
    let has_batchnorm = ctx.has_layer_kind(is_batchnorm);
    (small && has_batchnorm).then(|| {
        Diagnostic::new(
            &BATCHNORM_SMALL_BATCH,
            ctx.train_value_span("batch"),
            "batch statistics are noisy below ~8 samples; consider layernorm",
        )
        .with_span_label(format!("batch = {batch}"))
    })
}
