//! NN015 `nonzero-bias-init` (rules/docs/NN015.md): a hidden layer's bias
//! initialised to a nonzero constant (an output bias set to the target's
//! mean or prior is deliberate).

use super::context::LintContext;
use super::number::short;
use crate::analysis::init_mean;
use crate::diagnostic::Diagnostic;
use crate::rules::NONZERO_BIAS_INIT;
use netc_ops::Init;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (handle, layer, weights) in ctx.hidden_weight_layers() {
        let Some(init @ (Init::Ones | Init::Constant { .. })) = weights.bias_init else {
            continue;
        };
        if !weights.bias || init_mean(&init) == 0.0 {
            continue;
        }
        found.push(
            Diagnostic::new(
                &NONZERO_BIAS_INIT,
                ctx.layer_keyword_span(handle, "bias_init"),
                "biases are usually initialized to 0",
            )
            .with_span_label(format!(
                "every bias of `{}` starts at {}",
                layer.name,
                short(init_mean(&init))
            ))
            .with_help("use `bias_init=zeros` unless the offset is deliberate"),
        );
    }
    found
}
