//! The lint catalogue NN006–NN033 and NN039 (docs/lints-and-gradients.md),
//! one module per rule, run on models that checked without errors. Rules
//! that need the training data (NN010's target range, NN019's last batch,
//! NN032's dataset size) expose a second entry point for `netc train`.

mod context;
mod locate;
mod number;

mod activation_scale_drift;
mod batchnorm_batch_one;
mod batchnorm_small_batch;
mod bias_before_batchnorm;
mod collapsed_linears;
mod constant_init;
mod deep_batchnorm;
mod double_activation;
mod double_softmax;
mod dropout_before_batchnorm;
mod dropout_rate;
mod dying_relu_init;
mod dying_relu_risk;
mod final_activation_vs_loss;
mod invalid_clip_value;
mod kaiming_without_relu;
mod learning_rate_range;
mod logit_scale;
mod nonzero_bias_init;
mod predicted_gradients;
mod relu_without_kaiming;
mod saturating_deep_stack;
mod saturation_at_init;
mod selu_misuse;
mod softmax_over_one;
mod train_hyperparameters;
mod unfused_sigmoid_bce;

use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::ir::{Model, Program};
use crate::severity::Severity;
use context::LintContext;

/// The lints of every model of a file that checked without errors (the IR
/// of a model with errors may be incomplete); `found` are the checker's
/// diagnostics so far.
pub fn run_clean_models(
    program: &Program,
    file: &ast::File,
    found: &[Diagnostic],
) -> Vec<Diagnostic> {
    let mut lints = Vec::new();
    for syntax in &file.models {
        let has_errors = found.iter().any(|d| {
            d.severity == Severity::Error
                && d.span.start >= syntax.span.start
                && d.span.end <= syntax.span.end
        });
        let model = program
            .models
            .iter()
            .find(|m| m.name_span == syntax.name.span);
        if let (false, Some(model)) = (has_errors, model) {
            lints.extend(run(model, syntax));
        }
    }
    lints
}

/// Every lint on one checked model; `syntax` is the same model's syntax
/// tree, for the exact spans of arguments and train keys. Diagnostics come
/// sorted by position.
pub fn run(model: &Model, syntax: &ast::Model) -> Vec<Diagnostic> {
    let ctx = LintContext::new(model, syntax);
    let mut found = Vec::new();
    found.extend(collapsed_linears::check(&ctx));
    found.extend(double_activation::check(&ctx));
    found.extend(double_softmax::check(&ctx));
    found.extend(unfused_sigmoid_bce::check(&ctx));
    found.extend(final_activation_vs_loss::check(&ctx));
    found.extend(constant_init::check(&ctx));
    found.extend(kaiming_without_relu::check(&ctx));
    found.extend(relu_without_kaiming::check(&ctx));
    found.extend(selu_misuse::check(&ctx));
    found.extend(nonzero_bias_init::check(&ctx));
    found.extend(dying_relu_init::check(&ctx));
    found.extend(dying_relu_risk::check(&ctx));
    found.extend(bias_before_batchnorm::check(&ctx));
    found.extend(batchnorm_batch_one::check(&ctx));
    found.extend(batchnorm_small_batch::check(&ctx));
    found.extend(dropout_before_batchnorm::check(&ctx));
    found.extend(saturating_deep_stack::check(&ctx));
    found.extend(predicted_gradients::check(&ctx));
    found.extend(activation_scale_drift::check(&ctx));
    found.extend(saturation_at_init::check(&ctx));
    found.extend(logit_scale::check(&ctx));
    found.extend(deep_batchnorm::check(&ctx));
    found.extend(learning_rate_range::check(&ctx));
    found.extend(invalid_clip_value::check(&ctx));
    found.extend(train_hyperparameters::check(&ctx));
    found.extend(dropout_rate::check(&ctx));
    found.extend(softmax_over_one::check(&ctx));
    sort(&mut found);
    found
}

/// What the training data tells: its size (after any validation split) and
/// the range of a regression target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetFacts {
    pub size: usize,
    /// `(min, max)` of the target column, when it is numeric.
    pub target_range: Option<(f64, f64)>,
}

/// The lints that need the training data: NN010 (targets outside the final
/// activation's range), NN019 (a last batch of one sample under batchnorm),
/// NN032 (a batch larger than the dataset).
pub fn run_with_dataset(model: &Model, syntax: &ast::Model, data: DatasetFacts) -> Vec<Diagnostic> {
    let ctx = LintContext::new(model, syntax);
    let mut found = Vec::new();
    if let Some((min, max)) = data.target_range {
        found.extend(final_activation_vs_loss::check_targets(&ctx, min, max));
    }
    found.extend(batchnorm_batch_one::check_dataset(&ctx, data.size));
    found.extend(train_hyperparameters::check_dataset(&ctx, data.size));
    sort(&mut found);
    found
}

fn sort(found: &mut [Diagnostic]) {
    found.sort_by_key(|d| (d.span.start, d.span.end, d.code));
}
