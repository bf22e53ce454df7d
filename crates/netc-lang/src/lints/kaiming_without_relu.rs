//! NN012 `kaiming-without-relu` (rules/docs/NN012.md): kaiming init with a
//! ReLU gain (√2, or the leaky gain) feeding an activation it was not
//! derived for. Warning for saturating ones, info for elu/gelu/silu, which
//! are ReLU-like for positive inputs.

use netc_ops::{Activation, Init, Nonlinearity};

use super::context::LintContext;
use crate::diagnostic::Diagnostic;
use crate::rules::KAIMING_WITHOUT_RELU;
use crate::severity::Severity;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (node, (layer, layer_data, weights)) in ctx.weight_calls() {
        if !weights.init.is_some_and(is_relu_kaiming) {
            continue;
        }
        // Normalisation between the layer and its activation resets the
        // scale, so the init's gain no longer matters.
        let Some((activation_node, activation)) = ctx.next_activation(node) else {
            continue;
        };
        if ctx.normalised_between(node, activation_node) {
            continue;
        }
        let severity = match activation {
            Activation::Relu | Activation::LeakyRelu { .. } => continue,
            Activation::Elu { .. } | Activation::Gelu | Activation::Silu => Severity::Info,
            _ => Severity::Warning,
        };
        let mut diagnostic = Diagnostic::new(
            &KAIMING_WITHOUT_RELU,
            ctx.layer_keyword_span(layer, "init"),
            format!(
                "kaiming init assumes ReLU; {} feeds {}: use xavier (tanh/sigmoid) or lecun (selu)",
                layer_data.name,
                activation.name()
            ),
        );
        diagnostic.severity = severity;
        if let Some(replacement) = replacement_init(activation) {
            diagnostic = diagnostic.with_help(format!("use `init={replacement}`"));
            if ctx.source.layer_keyword(&layer_data.name, "init").is_some() {
                diagnostic =
                    diagnostic.with_fix(ctx.layer_keyword_span(layer, "init"), replacement);
            }
        }
        found.push(diagnostic);
    }
    found
}

/// Kaiming with the gain of relu or leaky_relu (PyTorch's default
/// `nonlinearity='leaky_relu'` with a = 0 is the ReLU gain). A leaky gain
/// above 1 means a slope below 1, a ReLU-like unit; `a=√5` (nn.Linear's
/// own init, gain √(1/3)) is not a ReLU init.
fn is_relu_kaiming(init: Init) -> bool {
    match init {
        Init::KaimingUniform {
            a, nonlinearity, ..
        }
        | Init::KaimingNormal {
            a, nonlinearity, ..
        } => {
            matches!(nonlinearity, Nonlinearity::Relu | Nonlinearity::LeakyRelu)
                && nonlinearity.gain(Some(a)) > 1.0
        }
        _ => false,
    }
}

/// The init derived for the activation (gain 5/3 written out: the
/// language has no division).
fn replacement_init(activation: Activation) -> Option<&'static str> {
    match activation {
        Activation::Tanh => Some("xavier_uniform(gain=1.6666666666666667)"),
        Activation::Sigmoid | Activation::Softplus { .. } | Activation::Identity => {
            Some("xavier_uniform()")
        }
        Activation::Selu => Some("kaiming_normal(nonlinearity=linear)"),
        _ => None,
    }
}
