//! NN013 `relu-without-kaiming` (rules/docs/NN013.md): a ReLU-family chain
//! whose inits shrink the signal: each hidden layer multiplies it by
//! χ = σ_w² E φ'², and the chain is judged by the product of its χ, so
//! one layer with σ_w² > 1 (a first layer that changes width under xavier)
//! does not hide the many that shrink. Fires when the product is below
//! 1e-2 and the analysis predicts the damage (R < 1e-2 or
//! q_L/q_1 < 1e-2).

use netc_ops::scalar::ScalarActivation;
use netc_ops::Activation;

use super::context::LintContext;
use super::number::short;
use crate::analysis::moments::gaussian_moments;
use crate::analysis::{LayerRow, Weights};
use crate::diagnostic::Diagnostic;
use crate::rules::RELU_WITHOUT_KAIMING;

const DAMAGE_BELOW: f64 = 1e-2;

/// One hidden layer of the chain with its factor χ.
struct Link<'r> {
    row: &'r LayerRow,
    weights: Weights,
    chi: f64,
}

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let output_layer = ctx.output_layer()?;
    let weight_rows: Vec<_> = ctx.analysis.weight_rows().collect();
    let links = weight_rows
        .iter()
        .filter(|row| row.layer != output_layer)
        .map(|row| link(ctx, row))
        .collect::<Option<Vec<_>>>()?;
    if links.len() < 2 {
        return None;
    }
    let product: f64 = links.iter().map(|link| link.chi).product();
    if product >= DAMAGE_BELOW {
        return None;
    }
    // The layer the message points at: the first that shrinks.
    let first = links.iter().find(|link| link.chi < 1.0)?;
    let q_ratio = weight_rows.last()?.q / links[0].row.q;
    let r = ctx.analysis.r?;
    if r >= DAMAGE_BELOW && q_ratio >= DAMAGE_BELOW {
        return None;
    }
    let per_layer = product.powf(1.0 / links.len() as f64);
    let (_, activation) = ctx.next_activation(first.row.node)?;
    let init = first
        .weights
        .init
        .map_or("the default init", |init| init.name());
    let layer = &ctx.model.layers[first.row.layer].name;
    Some(
        Diagnostic::new(
            &RELU_WITHOUT_KAIMING,
            ctx.layer_keyword_span(first.row.layer, "init"),
            format!(
                "{init} shrinks the {} signal ×{} over {} hidden layers (χ≈{} per layer); use kaiming",
                activation.name(),
                short(product),
                links.len(),
                short(per_layer)
            ),
        )
        .with_span_label(format!("`{layer}` and the hidden layers after it"))
        .with_note(format!(
            "predicted gradient ratio R = {}, q_L/q_1 = {}",
            short(r),
            short(q_ratio)
        ))
        .with_help("use `init=kaiming_uniform(nonlinearity=relu)` on the hidden layers"),
    )
}

/// A hidden weight layer followed by relu, gelu or silu, with its χ at the
/// predicted pre-activation variance.
fn link<'r>(ctx: &LintContext, row: &'r LayerRow) -> Option<Link<'r>> {
    let weights = Weights::of(&ctx.model.layers[row.layer].kind)?;
    let (_, activation) = ctx.next_activation(row.node)?;
    if !matches!(
        activation,
        Activation::Relu | Activation::Gelu | Activation::Silu
    ) {
        return None;
    }
    let phi = ScalarActivation::new(activation)?;
    let chi = weights.sigma_w2() * gaussian_moments(phi, row.q).derivative_sq;
    Some(Link { row, weights, chi })
}
