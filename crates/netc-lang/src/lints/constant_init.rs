//! NN011 `constant-init` (rules/docs/NN011.md): a hidden layer whose
//! weights start equal, so every unit computes and learns the same thing.
//! A zero-initialised output layer is a known working technique.

use netc_ops::Init;

use super::context::LintContext;
use crate::diagnostic::Diagnostic;
use crate::rules::CONSTANT_INIT;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (handle, layer, weights) in ctx.hidden_weight_layers() {
        let Some(init @ (Init::Zeros | Init::Ones | Init::Constant { .. })) = weights.init else {
            continue;
        };
        found.push(
            Diagnostic::new(
                &CONSTANT_INIT,
                ctx.layer_keyword_span(handle, "init"),
                "constant init does not break symmetry; all units learn the same",
            )
            .with_span_label(format!("every weight of `{}` starts equal", layer.name))
            .with_help(format!(
                "use a random init for `{}` (kaiming for relu, xavier for tanh/sigmoid) instead of `{}`",
                layer.name,
                init.name()
            )),
        );
    }
    found
}
