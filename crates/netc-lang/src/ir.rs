//! The checked intermediate representation of a model file.
//!
//! Arena + typed handles with a span side table, after naga: nodes refer to
//! each other by `Handle`, and every arena keeps the source span of each
//! item beside it, so later passes carry no span plumbing.
//!
//! **Invariant:** when the checker reports no error, every `Model` in the
//! returned `Program` is *valid*: names are resolved, widths agree, the
//! forward graph has an output, and `nodes` is in evaluation order
//! (an operand's handle is always smaller than its user's). Later passes
//! (autodiff, codegen, interpreter) rely on this and never re-check: they
//! take a [`ValidModel`](crate::ValidModel), which only such a check
//! makes.

use std::marker::PhantomData;

use netc_ops::{Activation, Init, TrainConfig};

/// A byte range `[start, end)` into the model file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A typed index into an [`Arena`].
pub struct Handle<T> {
    index: u32,
    marker: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    pub fn index(self) -> usize {
        self.index as usize
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Handle<T> {}
impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}
impl<T> Eq for Handle<T> {}
impl<T> PartialOrd for Handle<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Handle<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.index.cmp(&other.index)
    }
}
impl<T> std::hash::Hash for Handle<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.index.hash(state)
    }
}
impl<T> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.index)
    }
}

/// Items with their source spans, addressed by [`Handle`].
#[derive(Debug, Clone)]
pub struct Arena<T> {
    items: Vec<T>,
    spans: Vec<Span>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            items: Vec::new(),
            spans: Vec::new(),
        }
    }
}

impl<T> Arena<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn append(&mut self, item: T, span: Span) -> Handle<T> {
        let index = u32::try_from(self.items.len()).expect("arena holds fewer than 2^32 items");
        self.items.push(item);
        self.spans.push(span);
        Handle {
            index,
            marker: PhantomData,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn get(&self, handle: Handle<T>) -> &T {
        &self.items[handle.index()]
    }

    pub fn get_mut(&mut self, handle: Handle<T>) -> &mut T {
        &mut self.items[handle.index()]
    }

    pub fn span(&self, handle: Handle<T>) -> Span {
        self.spans[handle.index()]
    }

    /// Items in insertion order with their handles.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Handle<T>, &T)> + '_ {
        self.items.iter().enumerate().map(|(i, item)| {
            (
                Handle {
                    index: i as u32,
                    marker: PhantomData,
                },
                item,
            )
        })
    }
}

impl<T> std::ops::Index<Handle<T>> for Arena<T> {
    type Output = T;
    fn index(&self, handle: Handle<T>) -> &T {
        self.get(handle)
    }
}

/// Every model of one file.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub models: Vec<Model>,
}

impl Program {
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    /// Span of the model's name in `model Name {`.
    pub name_span: Span,
    pub input: Input,
    /// Declared layers, in declaration order (the order of PyTorch's
    /// `state_dict`).
    pub layers: Arena<Layer>,
    /// The forward graph in evaluation order; node 0 is the input.
    pub nodes: Arena<Node>,
    /// The value `forward` returns; `None` only in models with errors.
    pub output: Option<Handle<Node>>,
    /// The train block with defaults filled in; `None` when absent.
    pub train: Option<TrainConfig>,
    /// Span of the `train` block, when there is one.
    pub train_span: Option<Span>,
}

impl Model {
    /// The output width of the forward graph (0 when it has none).
    pub fn output_width(&self) -> usize {
        self.output.map_or(0, |h| self.nodes[h].width)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub width: usize,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: String,
    pub kind: LayerKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    Linear(LinearSpec),
    BatchNorm(BatchNormSpec),
    LayerNorm(LayerNormSpec),
    Dropout(DropoutSpec),
}

impl LayerKind {
    /// Every layer kind a model file may declare, in the order of
    /// [`LayerType::ALL`].
    pub const NAMES: &'static [&'static str] = &layer_type_names();

    pub fn layer_type(&self) -> LayerType {
        match self {
            LayerKind::Linear(_) => LayerType::Linear,
            LayerKind::BatchNorm(_) => LayerType::BatchNorm,
            LayerKind::LayerNorm(_) => LayerType::LayerNorm,
            LayerKind::Dropout(_) => LayerType::Dropout,
        }
    }

    /// The name this kind has in model files.
    pub fn name(&self) -> &'static str {
        self.layer_type().name()
    }

    /// `(input, output)` widths the declaration fixes; `None` for a kind
    /// that takes the width of whatever it is called on.
    pub fn widths(&self) -> Option<(usize, usize)> {
        match self {
            LayerKind::Linear(spec) => Some((spec.in_features, spec.out_features)),
            LayerKind::BatchNorm(spec) => Some((spec.num_features, spec.num_features)),
            LayerKind::LayerNorm(spec) => Some((spec.normalized_shape, spec.normalized_shape)),
            LayerKind::Dropout(_) => None,
        }
    }

    /// The layer's `state_dict` entries in PyTorch's order, names and
    /// shapes: the one statement of them that lowering, the exporters and
    /// the editor derive from.
    pub fn state_dict(&self) -> Vec<StateTensor> {
        let tensor = |role, shape: &[usize]| StateTensor {
            role,
            shape: shape.to_vec(),
        };
        let affine = |n: usize| {
            [
                tensor(StateRole::Weight, &[n]),
                tensor(StateRole::Bias, &[n]),
            ]
        };
        match self {
            LayerKind::Linear(spec) => {
                let mut tensors = vec![tensor(
                    StateRole::Weight,
                    &[spec.out_features, spec.in_features],
                )];
                if spec.bias {
                    tensors.push(tensor(StateRole::Bias, &[spec.out_features]));
                }
                tensors
            }
            LayerKind::BatchNorm(spec) => {
                let n = spec.num_features;
                let mut tensors = if spec.affine {
                    affine(n).to_vec()
                } else {
                    Vec::new()
                };
                tensors.extend([
                    tensor(StateRole::RunningMean, &[n]),
                    tensor(StateRole::RunningVar, &[n]),
                    tensor(StateRole::NumBatchesTracked, &[]),
                ]);
                tensors
            }
            LayerKind::LayerNorm(spec) if spec.elementwise_affine => {
                affine(spec.normalized_shape).to_vec()
            }
            LayerKind::LayerNorm(_) | LayerKind::Dropout(_) => Vec::new(),
        }
    }

    /// The arguments that are not widths, as `name=value` for people
    /// (hover text); PyTorch's spelling of each.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        match self {
            LayerKind::Linear(spec) => vec![("bias", spec.bias.to_string())],
            LayerKind::BatchNorm(spec) => vec![
                ("eps", spec.eps.to_string()),
                (
                    "momentum",
                    spec.momentum.map_or("none".to_string(), |m| m.to_string()),
                ),
                ("affine", spec.affine.to_string()),
            ],
            LayerKind::LayerNorm(spec) => vec![
                ("eps", spec.eps.to_string()),
                ("elementwise_affine", spec.elementwise_affine.to_string()),
            ],
            LayerKind::Dropout(spec) => vec![("p", spec.p.to_string())],
        }
    }
}

/// One tensor of a layer's `state_dict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTensor {
    pub role: StateRole,
    /// Empty for a 0-d tensor.
    pub shape: Vec<usize>,
}

impl StateTensor {
    /// Elements, as PyTorch's `numel` (1 for a 0-d tensor).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// What a `state_dict` entry holds; its name is `<layer>.<suffix>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRole {
    Weight,
    Bias,
    RunningMean,
    RunningVar,
    /// BatchNorm's step counter: a 0-d I64, the only integer entry.
    NumBatchesTracked,
}

impl StateRole {
    pub const fn suffix(self) -> &'static str {
        match self {
            StateRole::Weight => "weight",
            StateRole::Bias => "bias",
            StateRole::RunningMean => "running_mean",
            StateRole::RunningVar => "running_var",
            StateRole::NumBatchesTracked => "num_batches_tracked",
        }
    }

    /// Updated by the optimizer (the rest are buffers).
    pub const fn is_trainable(self) -> bool {
        matches!(self, StateRole::Weight | StateRole::Bias)
    }
}

/// A layer kind without its arguments: the language's one table of the
/// layer kinds, which messages, lowering and tests derive from. A new
/// variant goes into [`LayerType::ALL`] too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerType {
    Linear,
    BatchNorm,
    LayerNorm,
    Dropout,
}

impl LayerType {
    /// Every layer kind, in the order messages list them.
    pub const ALL: [LayerType; 4] = [
        LayerType::Linear,
        LayerType::BatchNorm,
        LayerType::LayerNorm,
        LayerType::Dropout,
    ];

    /// The name used in model files.
    pub const fn name(self) -> &'static str {
        match self {
            LayerType::Linear => "linear",
            LayerType::BatchNorm => "batchnorm",
            LayerType::LayerNorm => "layernorm",
            LayerType::Dropout => "dropout",
        }
    }

    pub fn from_name(name: &str) -> Option<LayerType> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

const fn layer_type_names() -> [&'static str; LayerType::ALL.len()] {
    let mut names = [""; LayerType::ALL.len()];
    let mut index = 0;
    while index < names.len() {
        names[index] = LayerType::ALL[index].name();
        index += 1;
    }
    names
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinearSpec {
    pub in_features: usize,
    pub out_features: usize,
    pub bias: bool,
    /// `None`: `nn.Linear`'s default (`kaiming_uniform_(a=√5)`).
    pub init: Option<Init>,
    /// `None`: `nn.Linear`'s default bias, U(±1/√fan_in).
    pub bias_init: Option<Init>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchNormSpec {
    pub num_features: usize,
    pub eps: f64,
    /// `None` is PyTorch's `momentum=None`: a cumulative average.
    pub momentum: Option<f64>,
    pub affine: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LayerNormSpec {
    pub normalized_shape: usize,
    pub eps: f64,
    pub elementwise_affine: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropoutSpec {
    pub p: f64,
}

/// One value of the forward graph: `[batch, width]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Features per sample.
    pub width: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// The model's input.
    Input,
    /// A declared layer applied to a value. The same layer may be called by
    /// several nodes (shared weights).
    Call {
        layer: Handle<Layer>,
        arg: Handle<Node>,
    },
    Activation {
        activation: Activation,
        arg: Handle<Node>,
    },
    /// Residual `lhs + rhs`, both of the node's width.
    Add {
        lhs: Handle<Node>,
        rhs: Handle<Node>,
    },
}

impl NodeKind {
    /// The values this node reads.
    pub fn operands(&self) -> Vec<Handle<Node>> {
        match *self {
            NodeKind::Input => Vec::new(),
            NodeKind::Call { arg, .. } | NodeKind::Activation { arg, .. } => vec![arg],
            NodeKind::Add { lhs, rhs } => vec![lhs, rhs],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{LayerKind, LayerType};

    #[test]
    fn layer_kind_names_read_back() {
        for layer_type in LayerType::ALL {
            assert_eq!(LayerType::from_name(layer_type.name()), Some(layer_type));
        }
        assert_eq!(
            LayerKind::NAMES,
            ["linear", "batchnorm", "layernorm", "dropout"]
        );
        assert_eq!(LayerType::from_name("conv2d"), None);
    }
}
