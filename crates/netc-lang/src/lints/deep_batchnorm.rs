//! NN028 `deep-batchnorm-without-residual` (rules/docs/NN028.md): batchnorm
//! itself multiplies gradients by χ_BN = E φ'²/Var φ ≥ 1 per block (Yang et
//! al. 2019); over ≥ 20 blocks without residuals χ_BN^L > 70².

use netc_ops::scalar::ScalarActivation;

use super::context::{is_batchnorm, LintContext};
use super::number::short;
use crate::analysis::moments::gaussian_moments;
use crate::analysis::EXPLODING_ABOVE;
use crate::diagnostic::Diagnostic;
use crate::ir::NodeKind;
use crate::rules::DEEP_BATCHNORM_WITHOUT_RESIDUAL;

const MIN_BLOCKS: usize = 20;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    if ctx
        .model
        .nodes
        .iter()
        .any(|(_, n)| matches!(n.kind, NodeKind::Add { .. }))
    {
        return None;
    }
    // Linear → BN → activation blocks, with the activation's χ_BN.
    let mut blocks = Vec::new();
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Call { layer, arg } = n.kind else {
            continue;
        };
        if !is_batchnorm(&ctx.model.layers[layer].kind) || !ctx.is_weight_call(arg) {
            continue;
        }
        let Some(user) = ctx.sole_user(node) else {
            continue;
        };
        let Some(phi) = ctx.activation(user).and_then(ScalarActivation::new) else {
            continue;
        };
        let m = gaussian_moments(phi, 1.0);
        blocks.push((
            layer,
            phi.activation().name(),
            m.derivative_sq / m.variance(),
        ));
    }
    if blocks.len() < MIN_BLOCKS {
        return None;
    }
    let growth: f64 = blocks.iter().map(|(_, _, chi)| chi).product();
    if growth <= EXPLODING_ABOVE * EXPLODING_ABOVE {
        return None;
    }
    let (first, activation, chi) = blocks[0];
    Some(
        Diagnostic::new(
            &DEEP_BATCHNORM_WITHOUT_RESIDUAL,
            ctx.layer_span(first),
            format!(
                "batchnorm itself explodes gradients ×{}/layer for {activation}",
                short(chi)
            ),
        )
        .with_note(format!(
            "{} linear→batchnorm→activation blocks: ×{} overall",
            blocks.len(),
            short(growth)
        ))
        .with_help("add residual connections (`x = x + block(x)`) or use fewer blocks"),
    )
}
