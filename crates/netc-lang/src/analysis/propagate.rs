//! The mean-field recursion over the forward graph: second moments forward,
//! gradient moments backward (docs/lints-and-gradients.md, "Forward rules"
//! and "Backward rules").

use netc_ops::image::ImageShape;
use netc_ops::scalar::ScalarActivation;

use super::call::CallStats;
use super::moments::MomentCache;
use super::stats::{ValueStats, INPUT};
use super::weights::Weights;
use super::windows::{AxisCover, PlaneCover};
use crate::ir::{Handle, Model, Node, NodeKind};
use crate::layers::{Conv2dSpec, LayerKind};
use crate::shape::Shape;

/// Forward and backward statistics of every node of a model.
#[derive(Debug, Clone)]
pub struct Propagation {
    pub values: Vec<ValueStats>,
    /// E[(∂ℓ/∂x)²] relative to the output's, which cancels in every ratio.
    pub grad: Vec<f64>,
    /// Per node, the factor ∂(node)/∂(operand) contributes to E[δ²].
    local_factor: Vec<f64>,
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
            let kind = &model.layers[layer].kind;
            if let Some((weights, reach)) = weight_reach(kind, model.nodes[arg].shape) {
                return weighted(x, weights, reach);
            }
            kind.propagate(&mut CallStats {
                x,
                image: model.nodes[arg].shape.image(),
                source: activation_source(model, arg, done),
                cache,
            })
        }
    }
}

/// How a weight layer's matrix meets its input: 1 position for a linear,
/// the convolution's (output, in-bounds tap) pairs for a conv.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// Effective fan of one output: `fan_in`, less the taps that fall on
    /// zero padding (averaged over the output pixels).
    pub fan: f64,
    /// Outputs one input feeds: `rows` for a linear;
    /// `out_channels/groups` × (output, tap) pairs per input pixel for a
    /// conv (its taps, fewer at the border, spread by the stride).
    pub fan_out: f64,
    /// Positions one weight is used at: 1 for a linear; (output, in-bounds
    /// tap) pairs per tap for a conv. E‖∇W‖² sums over them.
    pub positions: f64,
}

/// A layer's weights and how they reach an input of `input`'s shape;
/// `None` for kinds without weights.
pub fn weight_reach(kind: &LayerKind, input: Shape) -> Option<(Weights, Reach)> {
    match kind {
        LayerKind::Linear(spec) => {
            let weights = Weights::linear(spec);
            let reach = Reach {
                fan: weights.fan_in as f64,
                fan_out: weights.rows as f64,
                positions: 1.0,
            };
            Some((weights, reach))
        }
        LayerKind::Conv2d(spec) => {
            let weights = Weights::conv2d(spec);
            Some((weights, conv_reach(spec, weights, input.image()?)))
        }
        _ => None,
    }
}

fn conv_reach(spec: &Conv2dSpec, weights: Weights, input: ImageShape) -> Reach {
    let geometry = spec.geometry(input);
    let cover = PlaneCover {
        rows: AxisCover::sliding(geometry.rows, input.height, |count, _| count),
        cols: AxisCover::sliding(geometry.cols, input.width, |count, _| count),
    };
    let area = (spec.kernel_size.0 * spec.kernel_size.1).max(1) as f64;
    let groups = spec.groups.max(1) as f64;
    Reach {
        fan: weights.fan_in as f64 * cover.mean_count() / area,
        fan_out: weights.rows as f64 / groups * cover.pairs_per_input(),
        positions: cover.pairs() / area,
    }
}

/// A linear or conv layer: Q = fan · v · Q_in + E[b²]; the bias, the same
/// for every sample, drops out of the batch variance.
fn weighted(x: ValueStats, weights: Weights, reach: Reach) -> (ValueStats, f64) {
    let v = weights.variance();
    let stats = ValueStats {
        second: reach.fan * v * x.second + weights.bias_second_moment(),
        mean: 0.0,
        batch_variance: reach.fan * v * x.batch_variance,
    };
    (stats, reach.fan_out * v)
}

/// The activation that made `node`, with its input's statistics.
fn activation_source(
    model: &Model,
    node: Handle<Node>,
    done: &[ValueStats],
) -> Option<(ScalarActivation, ValueStats)> {
    let NodeKind::Activation { activation, arg } = model.nodes[node].kind else {
        return None;
    };
    Some((ScalarActivation::new(activation)?, *done.get(arg.index())?))
}
