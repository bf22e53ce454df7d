//! The interface between the node walks and the layer kinds: one call's
//! operands ([`Call`]), what it lowers to ([`Lowered`]) and records for
//! its backward ([`Recorded`]), and the traits each kind implements
//! (`layers/`) and the backward walk serves ([`Gradients`]). A leaf:
//! the walks and the kinds both depend on it, it on neither.

use netc_lang::ir::{Handle, Node, Shape};
use netc_ops::image::ImageShape;
use netc_ops::Activation;

use super::Builder;
use crate::plan::{BufferId, BufferKind, BufferLen, OpKind};

/// What one node's backward needs, recorded when its forward is lowered.
pub(super) enum Recorded {
    Input,
    Activation {
        act: Activation,
        arg: Handle<Node>,
        x: BufferId,
        y: BufferId,
        width: usize,
    },
    Add {
        lhs: Handle<Node>,
        rhs: Handle<Node>,
    },
    /// A layer's call.
    Layer(Box<dyn LayerTape>),
}

impl Recorded {
    pub fn layer(tape: impl LayerTape + 'static) -> Self {
        Recorded::Layer(Box::new(tape))
    }

    /// Whether the node's own op has parameters (a gradient starts here).
    pub fn has_parameters(&self) -> bool {
        matches!(self, Recorded::Layer(tape) if tape.has_parameters())
    }

    /// The node whose gradient buffer is this node's (see
    /// [`LayerTape::gradient_alias`]).
    pub fn gradient_alias(&self) -> Option<Handle<Node>> {
        match self {
            Recorded::Layer(tape) => tape.gradient_alias(),
            _ => None,
        }
    }
}

/// A node's train-mode op, eval-mode op and tape entry.
pub(super) type Lowered = (OpKind, OpKind, Recorded);

/// A declared layer during forward lowering.
pub(super) trait LayerLowering<'m> {
    /// One call's train-mode op, eval-mode op and tape entry. The first
    /// call also appends the inference-cache ops its eval op reads.
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered;

    /// For a layer whose value is its argument's buffer (no op), the
    /// tape entry of a call on `arg` that is not the model's output.
    fn alias(&self, _arg: Handle<Node>) -> Option<Box<dyn LayerTape>> {
        None
    }
}

/// What one call recorded for its backward.
pub(super) trait LayerTape {
    /// The call's backward op, or `None` where it has none (no gradient
    /// to pass on).
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind>;

    /// Whether the call's op has parameters (a gradient starts here).
    fn has_parameters(&self) -> bool {
        false
    }

    /// The node whose gradient buffer this call's gradient is, when its
    /// value is that node's buffer.
    fn gradient_alias(&self) -> Option<Handle<Node>> {
        None
    }
}

/// What a layer's backward asks of the backward walk.
pub(super) trait Gradients {
    /// The gradient arriving at the node.
    fn dy(&self) -> BufferId;

    /// The gradient buffer of `operand`, when it needs one.
    fn grad_of(&mut self, operand: Handle<Node>) -> Option<BufferId>;

    /// The gradient buffer of `operand`, or a discarded one where it
    /// needs none: for kernels whose `dx` is not optional.
    fn grad_or_discarded(&mut self, operand: Handle<Node>) -> BufferId;

    /// A per-sample scratch buffer of the node's backward, `d(node) what`.
    fn scratch(&mut self, what: &str, width: usize) -> BufferId;
}

/// One call of a layer in `forward`.
pub(super) struct Call<'a> {
    pub layer: &'a str,
    /// How many calls of the layer came before this one.
    pub index: usize,
    pub arg: Handle<Node>,
    /// The argument's shape.
    pub input: Shape,
    pub x: BufferId,
    pub y: BufferId,
    pub width: usize,
}

impl Call<'_> {
    /// The image a convolution or a pooling reads: the checker gives
    /// image layers image arguments only (a `ValidModel`'s invariant).
    pub fn image(&self) -> ImageShape {
        self.input
            .image()
            .expect("a checked model gives image layers image values")
    }

    /// Positions per channel of a batchnorm's input: `H·W` of an image,
    /// 1 of a flat value.
    pub fn plane(&self) -> usize {
        self.input.image().map_or(1, ImageShape::plane)
    }

    /// A buffer of this call's own, `bn1.xhat` for a layer's first call,
    /// `bn1.xhat.1` for its second: each call saves its own values for
    /// backward.
    pub fn buffer(
        &self,
        builder: &mut Builder<'_>,
        what: &str,
        kind: BufferKind,
        len: BufferLen,
    ) -> BufferId {
        let name = match self.index {
            0 => format!("{}.{what}", self.layer),
            k => format!("{}.{what}.{k}", self.layer),
        };
        builder.buffer(&name, kind, len)
    }
}
