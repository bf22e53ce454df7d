//! NN039 `softmax-over-one` (rules/docs/NN039.md): softmax of a single
//! value is always 1 (log_softmax 0), so no gradient reaches the model.

use netc_ops::Activation;

use super::context::LintContext;
use crate::diagnostic::Diagnostic;
use crate::ir::NodeKind;
use crate::rules::SOFTMAX_OVER_ONE;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Activation { activation, arg } = n.kind else {
            continue;
        };
        let row_wise = matches!(activation, Activation::Softmax | Activation::LogSoftmax);
        if !row_wise || ctx.node(arg).width() != 1 {
            continue;
        }
        found.push(
            Diagnostic::new(
                &SOFTMAX_OVER_ONE,
                ctx.node_span(node),
                "softmax over 1 output is always 1.0 (log_softmax 0.0): nothing can be learned; use sigmoid with bce, or bce_with_logits",
            )
            .with_span_label(format!("`{}` of a width-1 value", activation.name())),
        );
    }
    found
}
