//! NN022 `saturating-deep-stack` (rules/docs/NN022.md): ≥ 4 hidden sigmoid
//! or ≥ 8 hidden tanh/softplus activations with no batchnorm, layernorm or
//! residual between them; each multiplies the gradient by χ < 1 (Glorot &
//! Bengio 2010; the seed's lesson).

use netc_ops::Activation;

use super::context::{is_batchnorm, LintContext};
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::ir::{Handle, Node, NodeKind};
use crate::layers::LayerKind;
use crate::rules::SATURATING_DEEP_STACK;

const SIGMOID_LIMIT: usize = 4;
const TANH_LIMIT: usize = 8;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    // Activations of each family since the last normalisation or residual.
    let (mut sigmoid, mut tanh_like) = (Vec::new(), Vec::new());
    for (node, n) in ctx.model.nodes.iter() {
        let breaks_stack = match n.kind {
            NodeKind::Add { .. } => true,
            NodeKind::Call { layer, .. } => {
                let kind = &ctx.model.layers[layer].kind;
                is_batchnorm(kind) || matches!(kind, LayerKind::LayerNorm(_))
            }
            NodeKind::Activation { activation, .. } if Some(node) != ctx.output() => {
                match activation {
                    Activation::Sigmoid => sigmoid.push(node),
                    Activation::Tanh | Activation::Softplus { .. } => tanh_like.push(node),
                    _ => {}
                }
                false
            }
            _ => false,
        };
        if breaks_stack {
            found.extend(report(ctx, &mut sigmoid, "sigmoid", SIGMOID_LIMIT));
            found.extend(report(ctx, &mut tanh_like, "tanh/softplus", TANH_LIMIT));
        }
    }
    found.extend(report(ctx, &mut sigmoid, "sigmoid", SIGMOID_LIMIT));
    found.extend(report(ctx, &mut tanh_like, "tanh/softplus", TANH_LIMIT));
    found
}

fn report(
    ctx: &LintContext,
    run: &mut Vec<Handle<Node>>,
    family: &str,
    limit: usize,
) -> Option<Diagnostic> {
    let nodes = std::mem::take(run);
    if nodes.len() < limit {
        return None;
    }
    let (first, last) = (*nodes.first()?, *nodes.last()?);
    let family = if family == "sigmoid" {
        "sigmoid".to_string()
    } else {
        ctx.activation(first)
            .map_or(family.to_string(), |a| a.name().to_string())
    };
    let chi = mean_chi(ctx, &nodes)
        .map(|chi| format!(" (χ≈{} per layer)", short(chi)))
        .unwrap_or_default();
    Some(
        Diagnostic::new(
            &SATURATING_DEEP_STACK,
            ctx.node_span(first),
            format!(
                "{} {family} layers without normalization: gradients vanish{chi}",
                nodes.len()
            ),
        )
        .with_label(ctx.node_span(last), "the last of them")
        .with_help("use relu with kaiming init, or add batchnorm/layernorm between the layers"),
    )
}

/// The geometric mean of the per-layer gradient factor over the run: the
/// ratio of the predicted D of the linears feeding its first and last
/// activation, per step.
fn mean_chi(ctx: &LintContext, nodes: &[Handle<Node>]) -> Option<f64> {
    let d_before = |node: Handle<Node>| {
        let NodeKind::Activation { arg, .. } = ctx.node(node).kind else {
            return None;
        };
        ctx.analysis.row(arg).map(|row| row.d)
    };
    let (first, last) = (d_before(*nodes.first()?)?, d_before(*nodes.last()?)?);
    let steps = (nodes.len() - 1) as f64;
    (first > 0.0 && last > 0.0).then(|| (first / last).powf(1.0 / steps))
}
