//! Forward lowering: each node's train-mode op and eval-mode op (and, on
//! a layer's first call, the inference-cache op that derives what its
//! eval op reads), recording on a tape what the node's backward needs.

use netc_lang::ir::{Handle, Node, NodeKind};
use netc_ops::TrainConfig;

use super::tape::{Call, LayerLowering, Recorded};
use super::{Builder, Io};
use crate::plan::{BufferId, BufferKind, BufferLen, OpKind};

/// The lowered forward: each node's tape entry, and the executors'
/// buffers.
pub(super) struct Forward {
    pub tape: Vec<Recorded>,
    pub io: Io,
}

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
