//! NN026 `saturation-at-init` (rules/docs/NN026.md): sigmoid/tanh whose
//! pre-activations have P(|z| > 5) = 2Φ(−5/√q) > 0.5, i.e. q > 55
//! (DeepDiagnosis' ±5 and 50%).

use netc_ops::scalar::normal_cdf;
use netc_ops::Activation;

use super::context::LintContext;
use super::number::{percent, short};
use crate::diagnostic::Diagnostic;
use crate::ir::NodeKind;
use crate::rules::SATURATION_AT_INIT;

const SATURATED_BEYOND: f64 = 5.0;
const SATURATED_FRACTION: f64 = 0.5;

pub fn check(ctx: &LintContext) -> Vec<Diagnostic> {
    let propagation_q = |node| ctx.analysis.row(node).map(|row| row.q);
    let mut found = Vec::new();
    for (node, n) in ctx.model.nodes.iter() {
        let NodeKind::Activation { activation, arg } = n.kind else {
            continue;
        };
        if !matches!(activation, Activation::Sigmoid | Activation::Tanh) {
            continue;
        }
        let Some(q) = propagation_q(arg) else {
            continue;
        };
        let saturated = 2.0 * normal_cdf(-SATURATED_BEYOND / q.sqrt());
        if saturated <= SATURATED_FRACTION {
            continue;
        }
        let layer = ctx.producer_name(arg).unwrap_or("the");
        found.push(
            Diagnostic::new(
                &SATURATION_AT_INIT,
                ctx.node_span(node),
                format!(
                    "{layer} pre-activations saturate {} at init",
                    activation.name()
                ),
            )
            .with_span_label(format!(
                "q = {}: {} of the inputs lie beyond ±5",
                short(q),
                percent(saturated)
            ))
            .with_help("use xavier init (or batchnorm before the activation)"),
        );
    }
    found
}
