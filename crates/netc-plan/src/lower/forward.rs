//! Forward lowering: each node's train-mode op and eval-mode op (and, on
//! a layer's first call, the inference-cache op that derives what its
//! eval op reads), recording on a tape what the node's backward needs.

use netc_lang::ir::{Handle, Node, NodeKind, Shape};
use netc_ops::image::ImageShape;
use netc_ops::{Activation, TrainConfig};

use super::layers::{LayerLowering, LayerTape};
use super::{Builder, Io};
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

/// The lowered forward: each node's tape entry, and the executors'
/// buffers.
pub(super) struct Forward {
    pub tape: Vec<Recorded>,
    pub io: Io,
}

/// A node's train-mode op, eval-mode op and tape entry.
pub(super) type Lowered = (OpKind, OpKind, Recorded);

impl<'m> Builder<'m> {
    pub(super) fn lower_forward(
        &mut self,
        input: BufferId,
        output: Handle<Node>,
        layers: &mut [Box<dyn LayerLowering<'m> + 'm>],
        train: &TrainConfig,
    ) -> Forward {
        let model = self.model;
        let output_value = if model.nodes[output].kind == NodeKind::Input {
            input
        } else {
            self.buffer(
                "output",
                BufferKind::Output,
                BufferLen::PerSample(model.nodes[output].width()),
            )
        };
        let mut values = Vec::with_capacity(model.nodes.len());
        let mut tape = Vec::with_capacity(model.nodes.len());
        let mut calls = vec![0usize; layers.len()];
        for (handle, node) in model.nodes.iter() {
            let alias = match node.kind {
                NodeKind::Call { layer, arg } if handle != output => {
                    layers[layer.index()].alias(arg).map(|entry| (arg, entry))
                }
                _ => None,
            };
            let value = if handle == output {
                output_value
            } else if node.kind == NodeKind::Input {
                input
            } else if let Some((arg, entry)) = alias {
                values.push(values[arg.index()]);
                tape.push(Recorded::Layer(entry));
                continue;
            } else {
                let name = self.labels[handle.index()].clone();
                self.buffer(
                    &name,
                    BufferKind::Activation,
                    BufferLen::PerSample(node.width()),
                )
            };
            values.push(value);
            let x = |arg: Handle<Node>| values[arg.index()];
            let (train_op, eval_op, recorded) = match node.kind {
                NodeKind::Input => {
                    tape.push(Recorded::Input);
                    continue;
                }
                NodeKind::Activation { activation, arg } => {
                    let op = OpKind::Activation {
                        act: activation,
                        x: x(arg),
                        y: value,
                        width: node.width(),
                    };
                    let recorded = Recorded::Activation {
                        act: activation,
                        arg,
                        x: x(arg),
                        y: value,
                        width: node.width(),
                    };
                    (op.clone(), op, recorded)
                }
                NodeKind::Add { lhs, rhs } => {
                    let op = OpKind::Add {
                        a: x(lhs),
                        b: x(rhs),
                        y: value,
                    };
                    (op.clone(), op, Recorded::Add { lhs, rhs })
                }
                NodeKind::Call { layer, arg } => {
                    let call = Call {
                        layer: &model.layers[layer].name,
                        index: calls[layer.index()],
                        arg,
                        input: model.nodes[arg].shape,
                        x: x(arg),
                        y: value,
                        width: node.width(),
                    };
                    calls[layer.index()] += 1;
                    layers[layer.index()].call(self, &call)
                }
            };
            let origin = &self.labels[handle.index()];
            self.forward.push(Builder::op(train_op, origin));
            self.inference.push(Builder::op(eval_op, origin));
            tape.push(recorded);
        }

        let width = model.output_width();
        let target = self.buffer(
            "target",
            BufferKind::Target,
            BufferLen::PerSample(train.loss.target_width(width)),
        );
        let loss = self.fixed("loss", BufferKind::Scalar, 1);
        let op = OpKind::Loss {
            loss: train.loss,
            pred: output_value,
            target,
            out: loss,
            width,
        };
        self.forward.push(Builder::op(op, "loss"));
        Forward {
            tape,
            io: Io {
                input,
                target,
                output: output_value,
                loss,
            },
        }
    }
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

    /// `bn1.xhat` for a layer's first call, `bn1.xhat.1` for its second:
    /// each call saves its own values for backward.
    pub fn saved_name(&self, what: &str) -> String {
        match self.index {
            0 => format!("{}.{what}", self.layer),
            k => format!("{}.{what}.{k}", self.layer),
        }
    }
}
