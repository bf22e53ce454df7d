//! NN014 `selu-misuse` (rules/docs/NN014.md): SELU self-normalises only
//! with σ_w² = 1 (lecun_normal), without batchnorm, plain dropout or other
//! hidden activations.

use netc_ops::Activation;

use super::context::LintContext;
use crate::analysis::Weights;
use crate::diagnostic::Diagnostic;
use crate::ir::NodeKind;
use crate::layers::LayerKind;
use crate::rules::SELU_MISUSE;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let selu_nodes: Vec<_> = ctx
        .model
        .nodes
        .iter()
        .filter(|(_, n)| {
            matches!(
                n.kind,
                NodeKind::Activation {
                    activation: Activation::Selu,
                    ..
                }
            )
        })
        .map(|(h, _)| h)
        .collect();
    let first = *selu_nodes.first()?;
    let mut diagnostic = Diagnostic::new(
        &SELU_MISUSE,
        ctx.node_span(first),
        "SELU self-normalizes only with lecun_normal init, no batchnorm, alpha_dropout",
    );
    let mut reasons = 0;
    for &selu in &selu_nodes {
        let NodeKind::Activation { arg, .. } = ctx.node(selu).kind else {
            continue;
        };
        let Some((layer, layer_data)) = ctx.called_layer(arg) else {
            continue;
        };
        if let Some(weights) = Weights::of(&layer_data.kind) {
            let sigma_w2 = weights.sigma_w2();
            if (sigma_w2 - 1.0).abs() > 1e-6 {
                reasons += 1;
                diagnostic = diagnostic.with_label(
                    ctx.layer_keyword_span(layer, "init"),
                    format!(
                        "`{}` has σ_w² = {sigma_w2:.3}, not 1 (use kaiming_normal(nonlinearity=linear))",
                        layer_data.name
                    ),
                );
            }
        }
    }
    for (layer, layer_data) in ctx.model.layers.iter() {
        let what = match layer_data.kind {
            LayerKind::BatchNorm(_) | LayerKind::BatchNorm2d(_) => layer_data.kind.name(),
            LayerKind::Dropout(_) => "plain dropout",
            _ => continue,
        };
        reasons += 1;
        diagnostic = diagnostic.with_label(
            ctx.layer_span(layer),
            format!("`{}` is {what}", layer_data.name),
        );
    }
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Activation { activation, .. } = n.kind else {
            continue;
        };
        // The final activation maps logits to the loss's range; it is not
        // part of the self-normalising stack.
        let is_other = !matches!(activation, Activation::Selu | Activation::Identity);
        if is_other && Some(node) != ctx.output() {
            reasons += 1;
            diagnostic = diagnostic.with_label(
                ctx.node_span(node),
                format!("`{}` mixed with selu", activation.name()),
            );
        }
    }
    (reasons > 0).then_some(diagnostic)
}
