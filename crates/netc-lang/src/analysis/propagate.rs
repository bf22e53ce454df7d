//! The mean-field recursion over the forward graph: second moments forward,
//! gradient moments backward (docs/lints-and-gradients.md, "Forward rules"
//! and "Backward rules").

use netc_ops::image::{ImageShape, PoolKind};
use netc_ops::scalar::ScalarActivation;
use netc_ops::Activation;

use super::moments::{correlated_max_expectation, max_moments, pair_second, MomentCache, Moments};
use super::weights::Weights;
use super::windows::{AxisCover, PlaneCover};
use crate::ir::{
    AdaptiveAvgPool2dSpec, Conv2dSpec, Handle, LayerKind, Model, Node, NodeKind, Pool2dSpec, Shape,
};

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

/// A batchnorm or layernorm output at init is standardised too.
pub(crate) const NORMALISED: ValueStats = INPUT;

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
                model,
                arg,
                done,
                cache,
                x,
            })
        }
    }
}

/// A layer call as the analysis sees it: its argument, the statistics
/// known before it, and the moments cache; each kind's rule
/// (`crate::layers`) reads it.
pub(crate) struct CallStats<'a> {
    model: &'a Model,
    arg: Handle<Node>,
    done: &'a [ValueStats],
    cache: &'a mut MomentCache,
    /// The argument's statistics.
    pub x: ValueStats,
}

impl CallStats<'_> {
    /// The argument's image shape (a flat one only in a model with
    /// errors).
    fn image(&self) -> Option<ImageShape> {
        self.model.nodes[self.arg].shape.image()
    }

    /// A max or average pooling's rule.
    pub fn pool(&mut self, spec: &Pool2dSpec) -> (ValueStats, f64) {
        match self.image() {
            Some(shape) => pool(
                self.model, self.arg, self.x, spec, shape, self.done, self.cache,
            ),
            None => (self.x, 1.0),
        }
    }

    /// An adaptive average pooling's rule.
    pub fn adaptive_average(&mut self, spec: &AdaptiveAvgPool2dSpec) -> (ValueStats, f64) {
        match self.image() {
            Some(shape) => average(
                self.x,
                activation_source(self.model, self.arg, self.done),
                adaptive_cover(spec, shape),
            ),
            None => (self.x, 1.0),
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

fn pool(
    model: &Model,
    arg: Handle<Node>,
    x: ValueStats,
    spec: &Pool2dSpec,
    input: ImageShape,
    done: &[ValueStats],
    cache: &mut MomentCache,
) -> (ValueStats, f64) {
    let geometry = spec.geometry(input);
    let cover = |divisor: fn(usize, usize) -> usize| PlaneCover {
        rows: AxisCover::sliding(geometry.rows, input.height, divisor),
        cols: AxisCover::sliding(geometry.cols, input.width, divisor),
    };
    let source = activation_source(model, arg, done);
    match spec.kind {
        PoolKind::Avg {
            count_include_pad: true,
        } => average(x, source, cover(|_, clipped| clipped)),
        PoolKind::Avg {
            count_include_pad: false,
        } => average(x, source, cover(|count, _| count)),
        PoolKind::Max => {
            let cover = cover(|count, _| count);
            // Mean in-bounds window size (padding is −∞ and never wins).
            let n = cover.mean_count().round().max(1.0) as usize;
            let monotone = source.filter(|(phi, _)| is_nondecreasing(phi.activation()));
            let (stats, gain) = match monotone {
                Some((phi, z)) => max_after_activation(phi, z, n, cache),
                None => (max_of_gaussian(x, n), 1.0),
            };
            // Each window sends its gradient to one of its inputs.
            (stats, cover.output_per_input() * gain)
        }
    }
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

/// Whether max pooling commutes with φ.
fn is_nondecreasing(activation: Activation) -> bool {
    match activation {
        Activation::Relu
        | Activation::Selu
        | Activation::Tanh
        | Activation::Sigmoid
        | Activation::Softplus { .. }
        | Activation::Identity => true,
        Activation::LeakyRelu { negative_slope } => negative_slope >= 0.0,
        Activation::Elu { alpha } => alpha >= 0.0,
        _ => false,
    }
}

/// The correlation of two pixels of one channel of `z`: the part of its
/// second moment every unit keeps across samples (Q − V, for a conv's
/// output its weights times its input's mean plus its bias) is also
/// shared across the pixels of a channel.
fn pixel_correlation(z: ValueStats) -> f64 {
    if z.second > 0.0 {
        ((z.second - z.batch_variance) / z.second).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// max pooling over φ(z): φ(max z). The activation's own backward factor
/// E φ'(z)² assumed every input; the input the gradient reaches is the
/// window's max, where φ' is E φ'(M)², so the pool applies the quotient.
fn max_after_activation(
    phi: ScalarActivation,
    z: ValueStats,
    n: usize,
    cache: &mut MomentCache,
) -> (ValueStats, f64) {
    let max = max_moments(phi, z.second, pixel_correlation(z), n);
    let everywhere = cache.get(phi, z.second).derivative_sq;
    let gain = if everywhere > 0.0 {
        max.derivative_sq / everywhere
    } else {
        0.0
    };
    (with_shared(stats_of(max), z, max.second), gain)
}

/// max pooling over a value taken as N(M, Q − M²), its pixels correlated
/// by their shared part.
fn max_of_gaussian(x: ValueStats, n: usize) -> ValueStats {
    let variance = (x.second - x.mean * x.mean).max(0.0);
    let shared = (x.second - x.batch_variance - x.mean * x.mean).max(0.0);
    let rho = if variance > 0.0 {
        shared / variance
    } else {
        0.0
    };
    let (m, s) = (x.mean, variance.sqrt());
    let expect = |f: &dyn Fn(f64) -> f64| correlated_max_expectation(n, rho, f);
    let max = Moments {
        mean: expect(&|u| m + s * u),
        second: expect(&|u| (m + s * u).powi(2)),
        derivative_sq: 1.0,
    };
    with_shared(stats_of(max), x, max.second)
}

fn stats_of(m: Moments) -> ValueStats {
    ValueStats {
        second: m.second,
        mean: m.mean,
        batch_variance: m.variance(),
    }
}

/// A pooled value's batch variance: its second moment less the part each
/// unit keeps across samples, at least its input's and at least its own
/// mean squared (a max moves the mean of every unit alike).
fn with_shared(stats: ValueStats, input: ValueStats, second: f64) -> ValueStats {
    let shared = (input.second - input.batch_variance).max(stats.mean * stats.mean);
    ValueStats {
        batch_variance: (second - shared).max(0.0),
        ..stats
    }
}

fn adaptive_cover(spec: &AdaptiveAvgPool2dSpec, input: ImageShape) -> PlaneCover {
    let (height, width) = spec.output_size;
    PlaneCover {
        rows: AxisCover::adaptive(input.height, height),
        cols: AxisCover::adaptive(input.width, width),
    }
}

/// An average over windows: with c in-bounds inputs and divisor d, E y² =
/// (c/d)² (M² + C) + c/d² (Var − C), C the covariance of two pixels of a
/// window (from their correlation through the activation that made them,
/// else their shared part); backward, each input gets 1/d of every window
/// it is in.
fn average(
    x: ValueStats,
    source: Option<(ScalarActivation, ValueStats)>,
    cover: PlaneCover,
) -> (ValueStats, f64) {
    let (rows, cols) = (cover.rows, cover.cols);
    let mean_sq = x.mean * x.mean;
    let variance = (x.second - mean_sq).max(0.0);
    let covariance = match source {
        Some((phi, z)) => pair_second(phi, z.second, pixel_correlation(z)) - mean_sq,
        None => x.second - x.batch_variance - mean_sq,
    }
    .clamp(0.0, variance);
    let per_output = |axis: AxisCover| axis.inverse_divisor_sq / axis.outputs.max(1) as f64;
    let ratio_sq = rows.mean_ratio_sq * cols.mean_ratio_sq;
    let second = (mean_sq + covariance) * ratio_sq
        + (variance - covariance) * per_output(rows) * per_output(cols);
    let shared = (x.second - x.batch_variance).max(0.0);
    let stats = ValueStats {
        second,
        mean: x.mean * rows.mean_ratio * cols.mean_ratio,
        batch_variance: (second - shared * ratio_sq).max(0.0),
    };
    let per_input = |axis: AxisCover| axis.inverse_divisor_sq / axis.inputs.max(1) as f64;
    (stats, per_input(rows) * per_input(cols))
}
