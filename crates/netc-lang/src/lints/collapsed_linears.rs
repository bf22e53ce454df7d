//! NN006 `collapsed-linears` (rules/docs/NN006.md): two linear layers with
//! only identity or dropout between them compose to one linear map.

use super::context::LintContext;
use crate::diagnostic::Diagnostic;
use crate::ir::{Handle, LayerKind, Node, NodeKind};
use crate::rules::COLLAPSED_LINEARS;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Call { arg, .. } = n.kind else {
            continue;
        };
        if !ctx.is_linear_call(node) {
            continue;
        }
        let Some(previous) = linear_before(ctx, arg) else {
            continue;
        };
        let (Some(first), Some(second)) = (ctx.producer_name(previous), ctx.producer_name(node))
        else {
            continue;
        };
        found.push(
            Diagnostic::new(
                &COLLAPSED_LINEARS,
                ctx.node_span(node),
                format!("{first}→{second} has no nonlinearity: they collapse to one linear map"),
            )
            .with_label(
                ctx.node_span(previous),
                format!("`{first}` is applied here"),
            )
            .with_help(format!("apply an activation to the output of `{first}`")),
        );
    }
    found
}

/// The linear call that produced `node` through identity and dropout only.
fn linear_before(ctx: &LintContext, mut node: Handle<Node>) -> Option<Handle<Node>> {
    loop {
        match ctx.node(node).kind {
            NodeKind::Activation { activation, arg } if activation.name() == "identity" => {
                node = arg
            }
            NodeKind::Call { layer, arg } => match ctx.model.layers[layer].kind {
                LayerKind::Linear(_) => return Some(node),
                LayerKind::Dropout(_) => node = arg,
                _ => return None,
            },
            _ => return None,
        }
    }
}
