//! The checked intermediate representation of a model file.
//!
//! Arena + typed handles with a span side table, after naga: nodes refer to
//! each other by `Handle`, and every arena keeps the source span of each
//! item beside it, so later passes carry no span plumbing.
//!
//! **Invariant:** when the checker reports no error, every `Model` in the
//! returned `Program` is *valid*: names are resolved, shapes agree, the
//! forward graph has an output, and `nodes` is in evaluation order
//! (an operand's handle is always smaller than its user's). Later passes
//! (autodiff, codegen, interpreter) rely on this and never re-check: they
//! take a [`ValidModel`](crate::ValidModel), which only such a check
//! makes.

use std::marker::PhantomData;

use netc_ops::image::{Conv2dGeometry, ImageShape, Pad, Pool2dGeometry, PoolKind, Window};
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
    /// `state_dict`), then the stateless layer `flatten` that `flatten(x)`
    /// in `forward` calls, if it does (spanned at its first call).
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
        self.output.map_or(0, |h| self.nodes[h].width())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    /// `input x: 9` is flat; `input x: (1, 28, 28)` an image.
    pub shape: Shape,
    pub span: Span,
}

impl Input {
    /// Floats per sample: the CSV columns one row feeds it.
    pub fn width(&self) -> usize {
        self.shape.numel()
    }
}

/// The shape of one sample of a value. Either way the executors store a
/// sample as `numel()` contiguous floats (images in PyTorch's CHW order),
/// so a batch is a `[batch, numel]` buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Flat(usize),
    Image(ImageShape),
}

impl Shape {
    pub fn numel(self) -> usize {
        match self {
            Shape::Flat(width) => width,
            Shape::Image(image) => image.numel(),
        }
    }

    pub fn image(self) -> Option<ImageShape> {
        match self {
            Shape::Flat(_) => None,
            Shape::Image(image) => Some(image),
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Flat(width) => write!(f, "{width}"),
            Shape::Image(image) => {
                write!(f, "({}, {}, {})", image.channels, image.height, image.width)
            }
        }
    }
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
    Conv2d(Conv2dSpec),
    /// `nn.BatchNorm2d`: per-channel statistics over batch, height and
    /// width; the same arguments and state as `batchnorm`.
    BatchNorm2d(BatchNormSpec),
    /// `max_pool2d` or `avg_pool2d`, by the spec's kind.
    Pool2d(Pool2dSpec),
    AdaptiveAvgPool2d(AdaptiveAvgPool2dSpec),
    /// `nn.Flatten()`: an image value read as its `C·H·W` floats.
    Flatten,
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
            LayerKind::Conv2d(_) => LayerType::Conv2d,
            LayerKind::BatchNorm2d(_) => LayerType::BatchNorm2d,
            LayerKind::Pool2d(spec) => match spec.kind {
                PoolKind::Max => LayerType::MaxPool2d,
                PoolKind::Avg { .. } => LayerType::AvgPool2d,
            },
            LayerKind::AdaptiveAvgPool2d(_) => LayerType::AdaptiveAvgPool2d,
            LayerKind::Flatten => LayerType::Flatten,
        }
    }

    /// The name this kind has in model files.
    pub fn name(&self) -> &'static str {
        self.layer_type().name()
    }

    /// `(input, output)` widths the declaration fixes; `None` for a kind
    /// that takes the width of whatever it is called on, and for the
    /// image kinds, whose widths depend on the input's height and width.
    pub fn widths(&self) -> Option<(usize, usize)> {
        match self {
            LayerKind::Linear(spec) => Some((spec.in_features, spec.out_features)),
            LayerKind::BatchNorm(spec) => Some((spec.num_features, spec.num_features)),
            LayerKind::LayerNorm(spec) => Some((spec.normalized_shape, spec.normalized_shape)),
            LayerKind::Dropout(_)
            | LayerKind::Conv2d(_)
            | LayerKind::BatchNorm2d(_)
            | LayerKind::Pool2d(_)
            | LayerKind::AdaptiveAvgPool2d(_)
            | LayerKind::Flatten => None,
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
            LayerKind::Conv2d(spec) => {
                let (kh, kw) = spec.kernel_size;
                let mut tensors = vec![tensor(
                    StateRole::Weight,
                    &[spec.out_channels, spec.in_channels / spec.groups, kh, kw],
                )];
                if spec.bias {
                    tensors.push(tensor(StateRole::Bias, &[spec.out_channels]));
                }
                tensors
            }
            LayerKind::BatchNorm(spec) | LayerKind::BatchNorm2d(spec) => {
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
            LayerKind::LayerNorm(_)
            | LayerKind::Dropout(_)
            | LayerKind::Pool2d(_)
            | LayerKind::AdaptiveAvgPool2d(_)
            | LayerKind::Flatten => Vec::new(),
        }
    }

    /// The arguments that are not widths, as `name=value` for people
    /// (hover text); PyTorch's spelling of each.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        match self {
            LayerKind::Linear(spec) => vec![("bias", spec.bias.to_string())],
            LayerKind::BatchNorm(spec) | LayerKind::BatchNorm2d(spec) => vec![
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
            LayerKind::Conv2d(spec) => vec![
                ("stride", pair(spec.stride)),
                ("padding", spec.padding.to_string()),
                ("dilation", pair(spec.dilation)),
                ("groups", spec.groups.to_string()),
                ("bias", spec.bias.to_string()),
            ],
            LayerKind::Pool2d(spec) => {
                let mut settings = vec![
                    ("stride", pair(spec.stride)),
                    ("padding", pair(spec.padding)),
                ];
                match spec.kind {
                    PoolKind::Max => settings.push(("dilation", pair(spec.dilation))),
                    PoolKind::Avg { count_include_pad } => {
                        settings.push(("count_include_pad", count_include_pad.to_string()))
                    }
                }
                settings
            }
            LayerKind::AdaptiveAvgPool2d(_) | LayerKind::Flatten => Vec::new(),
        }
    }
}

/// `(h, w)` as PyTorch prints a pair argument.
fn pair((h, w): (usize, usize)) -> String {
    format!("({h}, {w})")
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
    Conv2d,
    BatchNorm2d,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    Flatten,
}

impl LayerType {
    /// Every layer kind, in the order messages list them.
    pub const ALL: [LayerType; 10] = [
        LayerType::Linear,
        LayerType::BatchNorm,
        LayerType::LayerNorm,
        LayerType::Dropout,
        LayerType::Conv2d,
        LayerType::BatchNorm2d,
        LayerType::MaxPool2d,
        LayerType::AvgPool2d,
        LayerType::AdaptiveAvgPool2d,
        LayerType::Flatten,
    ];

    /// The name used in model files.
    pub const fn name(self) -> &'static str {
        match self {
            LayerType::Linear => "linear",
            LayerType::BatchNorm => "batchnorm",
            LayerType::LayerNorm => "layernorm",
            LayerType::Dropout => "dropout",
            LayerType::Conv2d => "conv2d",
            LayerType::BatchNorm2d => "batchnorm2d",
            LayerType::MaxPool2d => PoolKind::Max.layer_name(),
            LayerType::AvgPool2d => PoolKind::Avg {
                count_include_pad: true,
            }
            .layer_name(),
            LayerType::AdaptiveAvgPool2d => "adaptive_avg_pool2d",
            LayerType::Flatten => "flatten",
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

/// `conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=true, init=…, bias_init=…)`; pairs are
/// `(height, width)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2dSpec {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel_size: (usize, usize),
    pub stride: (usize, usize),
    pub padding: Conv2dPadding,
    pub dilation: (usize, usize),
    pub groups: usize,
    pub bias: bool,
    /// `None`: `nn.Conv2d`'s default (`kaiming_uniform_(a=√5)`).
    pub init: Option<Init>,
    /// `None`: `nn.Conv2d`'s default bias, U(±1/√fan_in).
    pub bias_init: Option<Init>,
}

impl Conv2dSpec {
    /// The convolution applied to an input of `input`'s shape.
    pub fn geometry(&self, input: ImageShape) -> Conv2dGeometry {
        let window = |kernel, stride, dilation, pad| Window {
            kernel,
            stride,
            pad,
            dilation,
        };
        let (pad_h, pad_w) = self.padding.pads(self.kernel_size, self.dilation);
        Conv2dGeometry {
            input,
            out_channels: self.out_channels,
            groups: self.groups,
            rows: window(self.kernel_size.0, self.stride.0, self.dilation.0, pad_h),
            cols: window(self.kernel_size.1, self.stride.1, self.dilation.1, pad_w),
        }
    }
}

/// `padding=` of a convolution: a pair (`valid` is `(0, 0)`) or `same`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv2dPadding {
    Explicit(usize, usize),
    /// PyTorch's `padding="same"` (stride 1 only).
    Same,
}

impl Conv2dPadding {
    /// Rows and columns of padding for a kernel and dilation.
    pub fn pads(self, kernel: (usize, usize), dilation: (usize, usize)) -> (Pad, Pad) {
        match self {
            Conv2dPadding::Explicit(h, w) => (Pad::symmetric(h), Pad::symmetric(w)),
            Conv2dPadding::Same => (
                Pad::same(kernel.0, dilation.0),
                Pad::same(kernel.1, dilation.1),
            ),
        }
    }
}

impl std::fmt::Display for Conv2dPadding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conv2dPadding::Explicit(h, w) => write!(f, "({h}, {w})"),
            Conv2dPadding::Same => f.write_str("same"),
        }
    }
}

/// `max_pool2d(kernel_size, stride=kernel_size, padding=0, dilation=1)`
/// and `avg_pool2d(kernel_size, stride=kernel_size, padding=0,
/// count_include_pad=true)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool2dSpec {
    pub kind: PoolKind,
    pub kernel_size: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    /// Always `(1, 1)` for average pooling, which has no dilation.
    pub dilation: (usize, usize),
}

impl Pool2dSpec {
    /// The pooling applied to an input of `input`'s shape.
    pub fn geometry(&self, input: ImageShape) -> Pool2dGeometry {
        let window = |kernel, stride, pad, dilation| Window {
            kernel,
            stride,
            pad: Pad::symmetric(pad),
            dilation,
        };
        Pool2dGeometry {
            input,
            kind: self.kind,
            rows: window(
                self.kernel_size.0,
                self.stride.0,
                self.padding.0,
                self.dilation.0,
            ),
            cols: window(
                self.kernel_size.1,
                self.stride.1,
                self.padding.1,
                self.dilation.1,
            ),
        }
    }
}

/// `adaptive_avg_pool2d(output_size)`: `(height, width)` of the output.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveAvgPool2dSpec {
    pub output_size: (usize, usize),
}

/// One value of the forward graph: `[batch, numel]`, each sample of
/// `shape`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub shape: Shape,
}

impl Node {
    /// Floats per sample.
    pub fn width(&self) -> usize {
        self.shape.numel()
    }
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
    /// Residual `lhs + rhs`, both of the node's shape.
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
            [
                "linear",
                "batchnorm",
                "layernorm",
                "dropout",
                "conv2d",
                "batchnorm2d",
                "max_pool2d",
                "avg_pool2d",
                "adaptive_avg_pool2d",
                "flatten"
            ]
        );
        assert_eq!(LayerType::from_name("conv3d"), None);
    }
}
