//! NN016 `dying-relu-init` (rules/docs/NN016.md): a constant bias b before
//! relu with P(z > 0) = Φ(b/√(σ_w² Q)) < 0.3 leaves most units inactive
//! (AUTOTRAINER and DeepDiagnosis call ≥ 70% dead units dying ReLU).

use netc_ops::scalar::normal_cdf;
use netc_ops::{Activation, Init};

use super::context::LintContext;
use super::number::{percent, short};
use crate::analysis::{init_mean, Weights};
use crate::diagnostic::Diagnostic;
use crate::rules::DYING_RELU_INIT;

const ACTIVE_BELOW: f64 = 0.3;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for row in ctx.analysis.weight_rows() {
        let Some(weights) = Weights::of(&ctx.model.layers[row.layer].kind) else {
            continue;
        };
        let Some(init @ (Init::Zeros | Init::Ones | Init::Constant { .. })) = weights.bias_init
        else {
            continue;
        };
        if !weights.bias || !matches!(ctx.next_activation(row.node), Some((_, Activation::Relu))) {
            continue;
        }
        let b = init_mean(&init);
        // q = σ_w² Q + b² for a constant bias.
        let weight_part = (row.q - b * b).max(0.0);
        let active = if weight_part > 0.0 {
            normal_cdf(b / weight_part.sqrt())
        } else if b > 0.0 {
            1.0
        } else {
            0.0
        };
        if active >= ACTIVE_BELOW {
            continue;
        }
        let name = &ctx.model.layers[row.layer].name;
        found.push(
            Diagnostic::new(
                &DYING_RELU_INIT,
                ctx.layer_keyword_span(row.layer, "bias_init"),
                format!(
                    "bias {} makes ~{} of {name} units inactive at init (dying ReLU)",
                    short(b),
                    percent(1.0 - active)
                ),
            )
            .with_help("use `bias_init=zeros` (or a small positive constant)"),
        );
    }
    found
}
