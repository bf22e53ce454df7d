//! The mean-field recursion over the forward graph: second moments forward,
//! gradient moments backward (docs/lints-and-gradients.md, "Forward rules"
//! and "Backward rules").

use netc_ops::scalar::ScalarActivation;
use netc_ops::Init;

use super::moments::MomentCache;
use crate::ir::{Handle, LayerKind, LinearSpec, Model, Node, NodeKind};

/// What the forward pass knows about one value of the graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueStats {
    /// Second moment E[x²] (for a linear's output: the pre-activation
    /// variance q).
    pub second: f64,
    /// Mean E[x] of the value (E φ after an activation; 0 after a linear,
    /// whose weights are zero-mean).
    pub mean: f64,
    /// Per-unit variance over the batch, what batchnorm divides by: a
    /// linear passes on `N v` times its input's, its bias drops out.
    pub batch_variance: f64,
}

/// Forward and backward statistics of every node of a model.
#[derive(Debug, Clone)]
pub struct Propagation {
    pub values: Vec<ValueStats>,
    /// E[(∂ℓ/∂x)²] relative to the output's, which cancels in every ratio.
    pub grad: Vec<f64>,
    /// Per node, the factor ∂(node)/∂(operand) contributes to E[δ²].
    local_factor: Vec<f64>,
}

/// Standardised inputs: Q₀ = 1, M₀ = 0.
const INPUT: ValueStats = ValueStats {
    second: 1.0,
    mean: 0.0,
    batch_variance: 1.0,
};

/// Per-entry weight variance of a linear layer.
pub fn weight_variance(spec: &LinearSpec) -> f64 {
    spec.init
        .unwrap_or_else(Init::linear_default_weight)
        .variance(spec.in_features, spec.out_features)
}

/// E[b²] of a linear layer's bias: its mean squared plus its variance
/// (`nn.Linear`'s default bias when it has no init).
pub fn bias_second_moment(spec: &LinearSpec) -> f64 {
    if !spec.bias {
        return 0.0;
    }
    let init = spec
        .bias_init
        .unwrap_or_else(|| Init::linear_default_bias(spec.in_features));
    init_mean(&init).powi(2) + init.variance(spec.in_features, spec.out_features)
}

/// The mean of an init's values (the variance is `Init::variance`).
pub fn init_mean(init: &Init) -> f64 {
    match *init {
        Init::Uniform { a, b } => (a + b) / 2.0,
        Init::Normal { mean, .. } | Init::TruncNormal { mean, .. } => mean,
        Init::Ones => 1.0,
        Init::Constant { value } => value,
        _ => 0.0,
    }
}

impl Propagation {
    pub fn run(model: &Model, cache: &mut MomentCache) -> Self {
        let count = model.nodes.len();
        let mut values = Vec::with_capacity(count);
        let mut local_factor = Vec::with_capacity(count);
        for (_, node) in model.nodes.iter() {
            let (stats, factor) = forward_step(model, node, &values, cache);
            values.push(stats);
            local_factor.push(factor);
        }
        let mut propagation = Propagation {
            grad: vec![0.0; count],
            values,
            local_factor,
        };
        if let Some(output) = model.output {
            propagation.backward(model, output);
        }
        propagation
    }

    fn backward(&mut self, model: &Model, output: Handle<Node>) {
        self.grad[output.index()] = 1.0;
        // Nodes are in evaluation order, so walking them backwards visits
        // every user before its operands; contributions of several users
        // add (independent paths, as for a residual `x + f(x)`).
        let nodes: Vec<_> = model.nodes.iter().collect();
        for &(handle, node) in nodes.iter().rev() {
            let delta = self.grad[handle.index()] * self.local_factor[handle.index()];
            if delta == 0.0 {
                continue;
            }
            for operand in node.kind.operands() {
                self.grad[operand.index()] += delta;
            }
        }
    }

    pub fn value(&self, node: Handle<Node>) -> ValueStats {
        self.values[node.index()]
    }

    pub fn grad(&self, node: Handle<Node>) -> f64 {
        self.grad[node.index()]
    }
}

/// One node's output statistics and the factor its backward applies to E[δ²].
fn forward_step(
    model: &Model,
    node: &Node,
    done: &[ValueStats],
    cache: &mut MomentCache,
) -> (ValueStats, f64) {
    let input = |h: Handle<Node>| done.get(h.index()).copied().unwrap_or(INPUT);
    match node.kind {
        NodeKind::Input => (INPUT, 0.0),
        NodeKind::Add { lhs, rhs } => {
            let (a, b) = (input(lhs), input(rhs));
            let stats = ValueStats {
                second: a.second + b.second,
                mean: a.mean + b.mean,
                batch_variance: a.batch_variance + b.batch_variance,
            };
            (stats, 1.0)
        }
        NodeKind::Activation { activation, arg } => {
            let x = input(arg);
            match ScalarActivation::new(activation) {
                Some(phi) => {
                    let m = cache.get(phi, x.second);
                    let stats = ValueStats {
                        second: m.second,
                        mean: m.mean,
                        batch_variance: m.variance(),
                    };
                    (stats, m.derivative_sq)
                }
                // Softmax is the last op; its Jacobian scales the output
                // gradient of every layer alike and cancels in R.
                None => (x, 1.0),
            }
        }
        NodeKind::Call { layer, arg } => {
            let x = input(arg);
            match &model.layers[layer].kind {
                LayerKind::Linear(spec) => {
                    let v = weight_variance(spec);
                    let fan_in = spec.in_features as f64;
                    let stats = ValueStats {
                        second: fan_in * v * x.second + bias_second_moment(spec),
                        mean: 0.0,
                        batch_variance: fan_in * v * x.batch_variance,
                    };
                    (stats, spec.out_features as f64 * v)
                }
                // γ = 1, β = 0 at init: the output is N(0, 1) per unit, and
                // the backward divides by the batch variance it normalised.
                LayerKind::BatchNorm(spec) => {
                    let normalised = ValueStats {
                        second: 1.0,
                        mean: 0.0,
                        batch_variance: 1.0,
                    };
                    (normalised, 1.0 / (x.batch_variance + spec.eps))
                }
                // Per sample over the features: mean x.mean, variance Q − M².
                LayerKind::LayerNorm(spec) => {
                    let normalised = ValueStats {
                        second: 1.0,
                        mean: 0.0,
                        batch_variance: 1.0,
                    };
                    let variance = (x.second - x.mean * x.mean).max(0.0);
                    (normalised, 1.0 / (variance + spec.eps))
                }
                // Inverted dropout in train mode scales kept units by 1/(1−p).
                LayerKind::Dropout(spec) => {
                    let keep = (1.0 - spec.p).max(f64::MIN_POSITIVE);
                    let second = x.second / keep;
                    let stats = ValueStats {
                        second,
                        mean: x.mean,
                        batch_variance: (second - x.mean * x.mean).max(0.0),
                    };
                    (stats, 1.0 / keep)
                }
                // IMAGES-TODO(analysis): propagate through the image kinds.
                LayerKind::Conv2d(_)
                | LayerKind::BatchNorm2d(_)
                | LayerKind::Pool2d(_)
                | LayerKind::AdaptiveAvgPool2d(_)
                | LayerKind::Flatten => (x, 1.0),
            }
        }
    }
}
