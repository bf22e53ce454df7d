//! Static gradient-flow analysis: the mean-field prediction of signal and
//! gradient magnitudes at initialisation (docs/lints-and-gradients.md), from
//! the model alone. `netc analyze` prints it; lints NN013, NN022–NN028 and
//! NN030 read it.

pub(crate) mod call;
pub mod moments;
mod pooling;
mod propagate;
pub(crate) mod stats;
mod weights;
mod windows;

pub use propagate::{weight_reach, Reach};
pub use stats::ValueStats;
pub use weights::{init_mean, Weights};

use moments::MomentCache;
use propagate::Propagation;

use crate::ir::{Handle, Layer, Model, Node, NodeKind};
use crate::layers::LayerType;

/// AUTOTRAINER's thresholds on R; the run-time health checks use the same
/// values (docs/lints-and-gradients.md, "The ratio R and the verdict").
pub const VANISHING_BELOW: f64 = 1e-3;
pub const EXPLODING_ABOVE: f64 = 70.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Vanishing,
    Exploding,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Vanishing => "vanishing",
            Verdict::Exploding => "exploding",
        }
    }

    /// The verdict for a gradient ratio; no ratio (fewer than two weight
    /// matrices) is healthy.
    pub fn of_ratio(ratio: Option<f64>) -> Self {
        match ratio {
            Some(r) if r < VANISHING_BELOW => Verdict::Vanishing,
            Some(r) if r > EXPLODING_ABOVE => Verdict::Exploding,
            _ => Verdict::Healthy,
        }
    }
}

/// One layer application in forward order.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerRow {
    pub layer: Handle<Layer>,
    /// The call node this row describes.
    pub node: Handle<Node>,
    pub name: String,
    /// A kind with weights, a normalisation or a pooling (which changes
    /// the signal's moments): the kinds that get a row.
    pub kind: LayerType,
    /// Linear/conv2d: the pre-activation second moment q_l.
    /// Batchnorm/layernorm: the variance they normalise. Pooling: the
    /// second moment of its output.
    pub q: f64,
    /// Second moment after the activations applied directly to the output
    /// (`q` itself when none follows).
    pub big_q: f64,
    /// E[δ²] at the layer's output, relative to the model output's.
    pub d: f64,
    /// Weight rows only: E‖∇W‖²_F = N_out N_in D Q_in, for a conv summed
    /// over the positions each weight is used at.
    pub g: Option<f64>,
    /// Weight rows only: the relative step √(E‖∇W‖² / (numel(W) v))
    /// (`None` for zero init).
    pub step: Option<f64>,
}

impl LayerRow {
    /// The rows of layers with weights (linear, conv2d): those with a G.
    pub fn has_weights(&self) -> bool {
        self.g.is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub rows: Vec<LayerRow>,
    /// √(G_first / G_last) over the weight layers (linear, conv2d) in
    /// forward order; `None`
    /// with fewer than two, or when a zero-initialised weight matrix (a
    /// zero output layer is a working technique) stops every gradient
    /// before the first layer at init, where a ratio says nothing.
    pub r: Option<f64>,
    pub verdict: Verdict,
}

impl Analysis {
    /// The rows of linear and conv2d calls, in forward order.
    pub fn weight_rows(&self) -> impl Iterator<Item = &LayerRow> + '_ {
        self.rows.iter().filter(|row| row.has_weights())
    }

    pub fn row(&self, node: Handle<Node>) -> Option<&LayerRow> {
        self.rows.iter().find(|row| row.node == node)
    }
}

/// Predicts q, Q, D, G per layer and the gradient ratio R of a model.
pub fn analyze(model: &Model) -> Analysis {
    let mut cache = MomentCache::new();
    let propagation = Propagation::run(model, &mut cache);
    let users = users_of(model);
    let mut rows = Vec::new();
    for (handle, node) in model.nodes.iter() {
        let NodeKind::Call { layer, arg } = node.kind else {
            continue;
        };
        if let Some(row) = layer_row(model, &propagation, &users, handle, layer, arg) {
            rows.push(row);
        }
    }
    let r = gradient_ratio(model, &rows);
    Analysis {
        verdict: Verdict::of_ratio(r),
        rows,
        r,
    }
}

fn layer_row(
    model: &Model,
    propagation: &Propagation,
    users: &[Vec<Handle<Node>>],
    node: Handle<Node>,
    layer: Handle<Layer>,
    arg: Handle<Node>,
) -> Option<LayerRow> {
    let output = propagation.value(node);
    let input = propagation.value(arg);
    let d = propagation.grad(node);
    let kind = &model.layers[layer].kind;
    let (row_kind, q, g, step) =
        if let Some((weights, reach)) = weight_reach(kind, model.nodes[arg].shape) {
            let v = weights.variance();
            let per_weight = reach.positions * d * input.second;
            let g = (weights.rows * weights.fan_in) as f64 * per_weight;
            let step = (v > 0.0).then(|| (per_weight / v).sqrt());
            (kind.layer_type(), output.second, Some(g), step)
        } else {
            let q = kind.analysis_row(input, output)?;
            (kind.layer_type(), q, None, None)
        };
    let after = activated(model, users, node);
    Some(LayerRow {
        layer,
        node,
        name: model.layers[layer].name.clone(),
        kind: row_kind,
        q,
        big_q: propagation.value(after).second,
        d,
        g,
        step,
    })
}

/// Follows single-user elementwise activations from `node`.
fn activated(model: &Model, users: &[Vec<Handle<Node>>], mut node: Handle<Node>) -> Handle<Node> {
    while let [user] = users[node.index()].as_slice() {
        match model.nodes[*user].kind {
            NodeKind::Activation { activation, .. } if !activation.is_row_wise() => node = *user,
            _ => break,
        }
    }
    node
}

fn users_of(model: &Model) -> Vec<Vec<Handle<Node>>> {
    let mut users = vec![Vec::new(); model.nodes.len()];
    for (handle, node) in model.nodes.iter() {
        for operand in node.kind.operands() {
            users[operand.index()].push(handle);
        }
    }
    users
}

/// R over weight matrices: a layer called several times (shared weights)
/// accumulates the gradient moments of its calls.
fn gradient_ratio(model: &Model, rows: &[LayerRow]) -> Option<f64> {
    let mut order: Vec<Handle<Layer>> = Vec::new();
    let mut total = vec![0.0; model.layers.len()];
    for row in rows {
        if let Some(g) = row.g {
            total[row.layer.index()] += g;
            order.retain(|&l| l != row.layer);
            order.push(row.layer);
        }
    }
    let first = rows.iter().find(|row| row.g.is_some())?.layer;
    let last = *order.last()?;
    let (g_first, g_last) = (total[first.index()], total[last.index()]);
    let measurable = |g: f64| g > 0.0 && g.is_finite();
    (first != last && measurable(g_first) && measurable(g_last)).then(|| (g_first / g_last).sqrt())
}
