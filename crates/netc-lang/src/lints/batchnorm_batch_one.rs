//! NN019 `batchnorm-batch-one` (rules/docs/NN019.md): batchnorm cannot
//! train on one value per channel (PyTorch raises "Expected more than 1
//! value per channel when training"): batch = 1, or a last batch of one
//! sample, which [`check_dataset`] detects once the dataset size is known.

use super::context::{is_batchnorm, LintContext};
use crate::diagnostic::Diagnostic;
use crate::rules::BATCHNORM_BATCH_ONE;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let batch = ctx.model.train.as_ref()?.batch;
    (batch == 1 && has_batchnorm(ctx)).then(|| {
        Diagnostic::new(
            &BATCHNORM_BATCH_ONE,
            ctx.train_value_span("batch"),
            "batchnorm needs >1 value per channel in training (batch_size=1)",
        )
        .with_help("use a batch of 8 or more, or layernorm")
    })
}

/// The last batch of an epoch holds `dataset_size mod batch` samples; one
/// sample breaks batchnorm as batch = 1 does (netc keeps the last batch).
pub fn check_dataset(ctx: &LintContext, dataset_size: usize) -> Option<Diagnostic> {
    let batch = ctx.model.train.as_ref()?.batch;
    let remainder_one = batch > 1 && dataset_size % batch == 1;
    (remainder_one && has_batchnorm(ctx)).then(|| {
        Diagnostic::new(
            &BATCHNORM_BATCH_ONE,
            ctx.train_value_span("batch"),
            format!(
                "batchnorm needs >1 value per channel in training: {dataset_size} samples in batches of {batch} leave a last batch of 1"
            ),
        )
        .with_help(format!("use a batch size that does not leave one sample over, e.g. {}", batch + 1))
    })
}

fn has_batchnorm(ctx: &LintContext) -> bool {
    ctx.has_layer_kind(is_batchnorm)
}
