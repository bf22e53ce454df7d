//! NN010 `final-activation-vs-loss` (rules/docs/NN010.md): a final
//! activation whose range cannot produce what the loss compares it with.
//! The cases that depend on the targets' range are checked by
//! [`check_targets`] once the training data is known.

use netc_ops::{Activation, Loss};

use super::context::LintContext;
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::rules::FINAL_ACTIVATION_VS_LOSS;

/// The cases decidable from the model alone.
pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let loss = ctx.loss()?;
    let output = ctx.output()?;
    let activation = ctx.activation(output)?;
    let message = match (activation, loss) {
        (Activation::Relu | Activation::Tanh | Activation::Sigmoid, Loss::CrossEntropy) => {
            format!(
                "final {} before cross_entropy: the loss expects unbounded logits",
                activation.name()
            )
        }
        (Activation::Relu, Loss::Bce) => {
            "final relu before bce: outputs ≥ 0 are not probabilities".to_string()
        }
        (Activation::Relu, Loss::BceWithLogits) => {
            "final relu before bce_with_logits: logits ≥ 0 mean p ≥ 0.5".to_string()
        }
        _ => return None,
    };
    Some(diagnostic(ctx, output, message))
}

/// The target-dependent cases: a final relu with negative regression
/// targets, softmax/sigmoid with mse on targets outside [0, 1].
pub fn check_targets(ctx: &LintContext, target_min: f64, target_max: f64) -> Option<Diagnostic> {
    let loss = ctx.loss()?;
    let output = ctx.output()?;
    let activation = ctx.activation(output)?;
    let regression = matches!(loss, Loss::Mse | Loss::L1 | Loss::Huber { .. });
    let message = match activation {
        Activation::Relu if regression && target_min < 0.0 => format!(
            "final relu cannot produce negative targets (the targets reach {})",
            short(target_min)
        ),
        Activation::Softmax | Activation::Sigmoid
            if loss == Loss::Mse && (target_min < 0.0 || target_max > 1.0) =>
        {
            format!(
                "final {} cannot produce targets outside [0, 1] (they span {}..{})",
                activation.name(),
                short(target_min),
                short(target_max)
            )
        }
        _ => return None,
    };
    Some(diagnostic(ctx, output, message))
}

fn diagnostic(
    ctx: &LintContext,
    output: crate::ir::Handle<crate::ir::Node>,
    message: String,
) -> Diagnostic {
    Diagnostic::new(&FINAL_ACTIVATION_VS_LOSS, ctx.node_span(output), message)
        .with_label(ctx.train_value_span("loss"), "the loss is chosen here")
        .with_help("return the last linear layer's output, or pick a loss for that range")
}
