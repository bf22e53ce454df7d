//! NN017 `dying-relu-risk` (rules/docs/NN017.md): relu without batchnorm
//! trained at a high learning rate, the setting AUTOTRAINER repairs most.

use netc_ops::{Activation, Optimizer};

use super::context::{is_batchnorm, LintContext};
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::ir::NodeKind;
use crate::rules::DYING_RELU_RISK;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let optimizer = ctx.model.train.as_ref()?.optimizer;
    let lr = optimizer.lr();
    let high = match optimizer {
        Optimizer::Sgd { .. } => lr >= 0.1,
        Optimizer::Adam { .. } | Optimizer::AdamW { .. } => lr >= 1e-2,
    };
    let uses_relu = ctx.model.nodes.iter().any(|(_, n)| {
        matches!(
            n.kind,
            NodeKind::Activation {
                activation: Activation::Relu,
                ..
            }
        )
    });
    let has_batchnorm = ctx.has_layer_kind(is_batchnorm);
    if !high || !uses_relu || has_batchnorm {
        return None;
    }
    let span = ctx
        .source
        .optimizer_keyword("lr")
        .map_or_else(|| ctx.train_value_span("optimizer"), |arg| arg.value.span);
    Some(
        Diagnostic::new(
            &DYING_RELU_RISK,
            span,
            "high lr with relu risks dead units; consider leaky_relu/elu or lower lr",
        )
        .with_span_label(format!("{} lr={}", optimizer.name(), short(lr))),
    )
}
