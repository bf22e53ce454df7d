//! Words the runtime's gradient health findings with the rule codes of
//! the static checks (docs/lints-and-gradients.md, "Gradient health at run
//! time"), so a run-time warning and a compile-time one about the same
//! problem share a code.

use netc_lang::rules::{self, Rule};
use netc_train::{HealthFinding, EXPLODING_RATIO, VANISHING_FIRST_NORM};
use serde_json::{json, Value};

/// The rule a finding reports under.
pub fn rule(finding: &HealthFinding) -> &'static Rule {
    match finding {
        HealthFinding::Vanishing { .. } => &rules::PREDICTED_VANISHING,
        HealthFinding::Exploding { .. } => &rules::PREDICTED_EXPLODING,
        HealthFinding::DyingRelu { .. } => &rules::DYING_RELU_INIT,
    }
}

/// One line, without the `warning[NN…]` prefix.
pub fn message(finding: &HealthFinding) -> String {
    match finding {
        HealthFinding::Vanishing {
            first,
            last,
            first_norm,
            ratio,
            ..
        } => format!(
            "gradients vanishing: ‖∇{first}‖/‖∇{last}‖ = {ratio:.2e} (‖∇{first}‖ = {first_norm:.2e} < {VANISHING_FIRST_NORM:e})"
        ),
        HealthFinding::Exploding {
            first, last, ratio, ..
        } if ratio.is_finite() => format!(
            "gradients exploding: ‖∇{first}‖/‖∇{last}‖ = {ratio:.3} > {EXPLODING_RATIO}"
        ),
        HealthFinding::Exploding {
            first,
            last,
            first_norm,
            last_norm,
            ..
        } => format!(
            "gradients exploding: ‖∇{first}‖ = {first_norm}, ‖∇{last}‖ = {last_norm} (non-finite)"
        ),
        HealthFinding::DyingRelu {
            parameter,
            zero_fraction,
        } => format!(
            "dying ReLU: {:.0}% of the gradient of `{parameter}` is exactly zero (those units receive no signal)",
            zero_fraction * 100.0
        ),
    }
}

/// A stable identity for "the same problem again" across epochs.
pub fn identity(finding: &HealthFinding) -> (&'static str, String) {
    let subject = match finding {
        HealthFinding::Vanishing { first, .. } | HealthFinding::Exploding { first, .. } => first,
        HealthFinding::DyingRelu { parameter, .. } => parameter,
    };
    (finding.kind(), subject.clone())
}

/// The `health` entry of the JSON output.
pub fn to_json(finding: &HealthFinding, epoch: usize) -> Value {
    let rule = rule(finding);
    let mut value = json!({
        "code": rule.code,
        "name": rule.name,
        "kind": finding.kind(),
        "epoch": epoch,
        "message": message(finding),
    });
    let extra = match finding {
        HealthFinding::Vanishing {
            first,
            last,
            first_norm,
            last_norm,
            ratio,
        }
        | HealthFinding::Exploding {
            first,
            last,
            first_norm,
            last_norm,
            ratio,
        } => json!({
            "first": first, "last": last,
            "first_norm": first_norm, "last_norm": last_norm, "ratio": ratio,
        }),
        HealthFinding::DyingRelu {
            parameter,
            zero_fraction,
        } => json!({"parameter": parameter, "zero_fraction": zero_fraction}),
    };
    if let (Some(map), Value::Object(extra)) = (value.as_object_mut(), extra) {
        map.extend(extra);
    }
    value
}
