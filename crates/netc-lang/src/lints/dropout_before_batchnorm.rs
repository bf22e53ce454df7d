//! NN021 `dropout-before-batchnorm` (rules/docs/NN021.md): dropout changes
//! the variance batchnorm sees between training and evaluation (the
//! "variance shift", Li et al. 2019).

use super::context::{is_batchnorm, LintContext};
use crate::diagnostic::Diagnostic;
use crate::ir::NodeKind;
use crate::layers::LayerKind;
use crate::rules::DROPOUT_BEFORE_BATCHNORM;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Call { layer, .. } = n.kind else {
            continue;
        };
        if !matches!(ctx.model.layers[layer].kind, LayerKind::Dropout(_)) {
            continue;
        }
        let Some(user) = ctx.sole_user(node) else {
            continue;
        };
        let Some((_, bn)) = ctx
            .called_layer(user)
            .filter(|(_, l)| is_batchnorm(&l.kind))
        else {
            continue;
        };
        found.push(
            Diagnostic::new(
                &DROPOUT_BEFORE_BATCHNORM,
                ctx.node_span(node),
                "put batchnorm before dropout (variance shift)",
            )
            .with_label(
                ctx.node_span(user),
                format!("`{}` normalises the dropped values", bn.name),
            ),
        );
    }
    found
}
