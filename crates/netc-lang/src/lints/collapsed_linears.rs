//! NN006 `collapsed-linears` (rules/docs/NN006.md): two weight layers with
//! only identity, dropout or flatten between them compose to one linear
//! map: linear→linear, conv2d→conv2d (one convolution with a larger
//! kernel, up to the zero padding of the intermediate border) and
//! conv2d→flatten→linear. A grouped convolution is left out: a depthwise
//! conv followed by a 1×1 conv without an activation is the deliberate
//! factorisation of depthwise-separable convolutions.

use super::context::LintContext;
use crate::diagnostic::Diagnostic;
use crate::ir::{Handle, Node, NodeKind};
use crate::layers::LayerKind;
use crate::rules::COLLAPSED_LINEARS;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Call { arg, .. } = n.kind else {
            continue;
        };
        if !is_dense_call(ctx, node) {
            continue;
        }
        let Some(previous) = dense_before(ctx, arg) else {
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

/// A call of a linear layer or an ungrouped conv2d.
fn is_dense_call(ctx: &LintContext, node: Handle<Node>) -> bool {
    ctx.called_layer(node)
        .is_some_and(|(_, layer)| match &layer.kind {
            LayerKind::Linear(_) => true,
            LayerKind::Conv2d(spec) => spec.groups == 1,
            _ => false,
        })
}

/// The dense call that produced `node` through identity, dropout and
/// flatten only.
fn dense_before(ctx: &LintContext, mut node: Handle<Node>) -> Option<Handle<Node>> {
    loop {
        if is_dense_call(ctx, node) {
            return Some(node);
        }
        match ctx.node(node).kind {
            NodeKind::Activation { activation, arg } if activation.name() == "identity" => {
                node = arg
            }
            NodeKind::Call { layer, arg } => match ctx.model.layers[layer].kind {
                LayerKind::Dropout(_) | LayerKind::Flatten => node = arg,
                _ => return None,
            },
            _ => return None,
        }
    }
}
