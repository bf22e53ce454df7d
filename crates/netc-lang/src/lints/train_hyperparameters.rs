//! NN032 `train-hyperparameters` (rules/docs/NN032.md): a batch or epoch
//! count of zero (error), and a batch larger than the dataset (warning,
//! [`check_dataset`], once the dataset size is known).

use super::context::LintContext;
use crate::diagnostic::Diagnostic;
use crate::rules::TRAIN_HYPERPARAMETERS;
use crate::severity::Severity;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let Some(train) = ctx.model.train.as_ref() else {
        return Vec::new();
    };
    [("batch", train.batch), ("epochs", train.epochs)]
        .into_iter()
        .filter(|&(_, value)| value == 0)
        .map(|(key, _)| {
            Diagnostic::new(
                &TRAIN_HYPERPARAMETERS,
                ctx.train_value_span(key),
                format!("{key} must be > 0"),
            )
        })
        .collect()
}

pub fn check_dataset(ctx: &LintContext, dataset_size: usize) -> Option<Diagnostic> {
    let batch = ctx.model.train.as_ref()?.batch;
    (batch > dataset_size).then(|| {
        let mut diagnostic = Diagnostic::new(
            &TRAIN_HYPERPARAMETERS,
            ctx.train_value_span("batch"),
            format!("batch_size {batch} > dataset size {dataset_size}"),
        )
        .with_help("every epoch is one batch of the whole dataset");
        diagnostic.severity = Severity::Warning;
        diagnostic
    })
}
