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

use netc_ops::{Activation, TrainConfig};

pub use crate::layers::{
    AdaptiveAvgPool2dSpec, BatchNormSpec, Conv2dPadding, Conv2dSpec, DropoutSpec, KindDoc,
    LayerKind, LayerNormSpec, LayerType, LinearSpec, Pool2dSpec, StateRole, StateTensor,
};
pub use crate::shape::Shape;
pub use crate::span::Span;

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

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: String,
    pub kind: LayerKind,
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
