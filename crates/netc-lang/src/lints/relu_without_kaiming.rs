//! NN013 `relu-without-kaiming` (rules/docs/NN013.md): a ReLU-family chain
//! whose init keeps σ_w² ≤ 1, so each layer multiplies the signal by
//! χ = σ_w² E φ'² < 1; fires when the analysis predicts the damage
//! (R < 1e-2 or q_L/q_1 < 1e-2).

use netc_ops::scalar::ScalarActivation;
use netc_ops::Activation;

use super::context::LintContext;
use super::number::short;
use crate::analysis::moments::gaussian_moments;
use crate::analysis::weight_variance;
use crate::diagnostic::Diagnostic;
use crate::ir::LayerKind;
use crate::rules::RELU_WITHOUT_KAIMING;

const DAMAGE_BELOW: f64 = 1e-2;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let output_layer = ctx.output_linear()?;
    let linear_rows: Vec<_> = ctx.analysis.linear_rows().collect();
    let hidden: Vec<_> = linear_rows
        .iter()
        .filter(|row| row.layer != output_layer)
        .collect();
    if hidden.len() < 2 {
        return None;
    }
    let mut first = None;
    for row in &hidden {
        let LayerKind::Linear(spec) = &ctx.model.layers[row.layer].kind else {
            return None;
        };
        let (_, activation) = ctx.next_activation(row.node)?;
        if !matches!(
            activation,
            Activation::Relu | Activation::Gelu | Activation::Silu
        ) {
            return None;
        }
        let sigma_w2 = weight_variance(spec) * spec.in_features as f64;
        if sigma_w2 > 1.0 + 1e-9 {
            return None;
        }
        first.get_or_insert((row, spec, activation, sigma_w2));
    }
    let (row, spec, activation, sigma_w2) = first?;
    let q_ratio = linear_rows.last()?.q / row.q;
    let r = ctx.analysis.r?;
    if r >= DAMAGE_BELOW && q_ratio >= DAMAGE_BELOW {
        return None;
    }
    let phi = ScalarActivation::new(activation)?;
    let chi = sigma_w2 * gaussian_moments(phi, row.q).derivative_sq;
    let init = spec.init.map_or("the default init", |init| init.name());
    let layer = &ctx.model.layers[row.layer].name;
    Some(
        Diagnostic::new(
            &RELU_WITHOUT_KAIMING,
            ctx.layer_keyword_span(row.layer, "init"),
            format!(
                "{init} shrinks the {} signal per layer (χ={}); use kaiming",
                activation.name(),
                short(chi)
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
