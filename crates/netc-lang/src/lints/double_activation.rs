//! NN007 `double-activation` (rules/docs/NN007.md): an activation applied
//! directly to another activation's output.

use super::context::LintContext;
use crate::diagnostic::Diagnostic;
use crate::ir::NodeKind;
use crate::rules::DOUBLE_ACTIVATION;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Activation { activation, arg } = n.kind else {
            continue;
        };
        let Some(inner) = ctx.activation(arg) else {
            continue;
        };
        found.push(
            Diagnostic::new(
                &DOUBLE_ACTIVATION,
                ctx.node_span(node),
                format!(
                    "{} followed by {}: redundant activations",
                    inner.name(),
                    activation.name()
                ),
            )
            .with_label(
                ctx.node_span(arg),
                format!("`{}` applied here", inner.name()),
            ),
        );
    }
    found
}
