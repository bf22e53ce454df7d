//! Gradient health at run time (docs/lints-and-gradients.md, runtime
//! thresholds): per-parameter gradient norms averaged over an epoch's
//! steps, and the AUTOTRAINER checks on the linear layers' weight
//! gradients. Findings are data; the CLI words them with the rule codes
//! of the static checks.

use netc_runtime::Network;

/// AUTOTRAINER: vanishing when ‖∇W_first‖/‖∇W_last‖ < 1e-3 …
pub const VANISHING_RATIO: f64 = 1e-3;
/// … and the first layer's norm itself is below 1e-4.
pub const VANISHING_FIRST_NORM: f64 = 1e-4;
/// AUTOTRAINER: exploding when the ratio exceeds 70.
pub const EXPLODING_RATIO: f64 = 70.0;
/// AUTOTRAINER: dying ReLU when ≥ 70% of a weight gradient is exactly 0.
pub const DYING_ZERO_FRACTION: f64 = 0.7;

/// Something unhealthy about an epoch's gradients.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthFinding {
    /// The first layer's gradient is tiny next to the last layer's.
    Vanishing {
        first: String,
        last: String,
        first_norm: f64,
        last_norm: f64,
        ratio: f64,
    },
    /// The first layer's gradient is huge next to the last layer's, or a
    /// norm is non-finite.
    Exploding {
        first: String,
        last: String,
        first_norm: f64,
        last_norm: f64,
        ratio: f64,
    },
    /// Most of a weight gradient is exactly zero: its units no longer
    /// receive a signal.
    DyingRelu {
        parameter: String,
        zero_fraction: f64,
    },
}

impl HealthFinding {
    /// A short stable identifier for JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            HealthFinding::Vanishing { .. } => "vanishing",
            HealthFinding::Exploding { .. } => "exploding",
            HealthFinding::DyingRelu { .. } => "dying_relu",
        }
    }
}

/// Gradient statistics accumulated over the steps of one epoch.
#[derive(Debug, Clone)]
pub struct GradientStats {
    /// Every trainable parameter, in `state_dict` order.
    names: Vec<String>,
    norm_sums: Vec<f64>,
    zero_fraction_sums: Vec<f64>,
    steps: usize,
}

/// One epoch's averages.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientSummary {
    /// Mean L2 norm of each parameter's gradient over the epoch's steps.
    pub norms: Vec<(String, f64)>,
    /// Mean fraction of exactly-zero entries per parameter.
    pub zero_fractions: Vec<(String, f64)>,
}

impl GradientStats {
    pub fn new(names: Vec<String>) -> Self {
        let n = names.len();
        GradientStats {
            names,
            norm_sums: vec![0.0; n],
            zero_fraction_sums: vec![0.0; n],
            steps: 0,
        }
    }

    /// Reads the gradients of the step `net` just took.
    pub fn record(&mut self, net: &dyn Network) {
        for (i, name) in self.names.iter().enumerate() {
            if let Some(grad) = net.gradient(name) {
                let square: f64 = grad.iter().map(|&g| f64::from(g) * f64::from(g)).sum();
                let zeros = grad.iter().filter(|&&g| g == 0.0).count();
                self.norm_sums[i] += square.sqrt();
                self.zero_fraction_sums[i] += zeros as f64 / grad.len().max(1) as f64;
            }
        }
        self.steps += 1;
    }

    /// The epoch's averages; resets for the next epoch.
    pub fn take(&mut self) -> GradientSummary {
        let steps = self.steps.max(1) as f64;
        let pairs = |sums: &mut Vec<f64>| {
            self.names
                .iter()
                .zip(sums.iter_mut())
                .map(|(name, sum)| (name.clone(), std::mem::take(sum) / steps))
                .collect()
        };
        let summary = GradientSummary {
            norms: pairs(&mut self.norm_sums),
            zero_fractions: pairs(&mut self.zero_fraction_sums),
        };
        self.steps = 0;
        summary
    }
}

/// The findings for one epoch. `layer_weights` names the linear layers'
/// weights in forward order; the vanishing/exploding ratio compares the
/// first with the last.
pub fn diagnose(summary: &GradientSummary, layer_weights: &[String]) -> Vec<HealthFinding> {
    let lookup = |pairs: &[(String, f64)], name: &str| {
        pairs.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    };
    let mut findings = Vec::new();
    if let (Some(first), Some(last)) = (layer_weights.first(), layer_weights.last()) {
        if first != last {
            if let (Some(first_norm), Some(last_norm)) =
                (lookup(&summary.norms, first), lookup(&summary.norms, last))
            {
                // All-zero gradients (every unit dead) are the extreme of
                // vanishing, not an undefined 0/0.
                let ratio = if first_norm == 0.0 && last_norm == 0.0 {
                    0.0
                } else {
                    first_norm / last_norm
                };
                let (first, last) = (first.clone(), last.clone());
                if !first_norm.is_finite() || !last_norm.is_finite() || ratio > EXPLODING_RATIO {
                    findings.push(HealthFinding::Exploding {
                        first,
                        last,
                        first_norm,
                        last_norm,
                        ratio,
                    });
                } else if ratio < VANISHING_RATIO && first_norm < VANISHING_FIRST_NORM {
                    findings.push(HealthFinding::Vanishing {
                        first,
                        last,
                        first_norm,
                        last_norm,
                        ratio,
                    });
                }
            }
        }
    }
    for name in layer_weights {
        if let Some(zero_fraction) = lookup(&summary.zero_fractions, name) {
            if zero_fraction >= DYING_ZERO_FRACTION {
                findings.push(HealthFinding::DyingRelu {
                    parameter: name.clone(),
                    zero_fraction,
                });
            }
        }
    }
    findings
}
