//! Forward lowering: each node's train-mode op and eval-mode op (and, on
//! a layer's first call, the inference-cache op that derives what its
//! eval op reads), recording on a tape what the node's backward needs.

use netc_lang::ir::{Handle, Node, NodeKind, Shape};
use netc_ops::image::{
    AdaptivePool2dGeometry, Conv2dGeometry, ImageShape, Pool2dGeometry, PoolKind,
};
use netc_ops::{Activation, TrainConfig};
use netc_runtime::kernels::{conv2d_cols_len, conv2d_rows_len, linear_panel_len};

use super::state_layout::{Affine, LayerBuffers, Param};
use super::{Builder, Io};
use crate::plan::{BufferId, BufferKind, BufferLen, OpKind};

/// Which normalisation a node ran: their backward ops take the same
/// operands.
#[derive(Clone, Copy)]
pub(super) enum Norm {
    /// Over `n` channels of `plane` positions (1 for batchnorm1d).
    Batch {
        plane: usize,
    },
    Layer,
}

/// Which pooling a node ran, with what its backward reads.
#[derive(Clone, Copy)]
pub(super) enum Pooling {
    Max {
        geometry: Pool2dGeometry,
        argmax: BufferId,
    },
    Avg(Pool2dGeometry),
    Adaptive(AdaptivePool2dGeometry),
}

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
    Linear {
        arg: Handle<Node>,
        x: BufferId,
        weight: Param,
        bias: Option<Param>,
        in_f: usize,
        out_f: usize,
    },
    Norm {
        norm: Norm,
        arg: Handle<Node>,
        xhat: BufferId,
        invstd: BufferId,
        affine: Option<Affine>,
        n: usize,
    },
    Dropout {
        arg: Handle<Node>,
        mask: BufferId,
    },
    Conv2d {
        arg: Handle<Node>,
        /// The patches the forward saved.
        cols: BufferId,
        weight: Param,
        bias: Option<Param>,
        geometry: Conv2dGeometry,
    },
    Pool {
        arg: Handle<Node>,
        pooling: Pooling,
    },
    /// A flatten: its value is its argument's buffer (and so is its
    /// gradient), unless it is the model's output, which it copies.
    Flatten {
        arg: Handle<Node>,
        copied: bool,
    },
}

impl Recorded {
    /// Whether the node's own op has parameters (a gradient starts here).
    pub fn has_parameters(&self) -> bool {
        match self {
            Recorded::Linear { .. } | Recorded::Conv2d { .. } => true,
            Recorded::Norm { affine, .. } => affine.is_some(),
            _ => false,
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
type Lowered = (OpKind, OpKind, Recorded);

impl<'m> Builder<'m> {
    pub(super) fn lower_forward(
        &mut self,
        input: BufferId,
        output: Handle<Node>,
        layers: &mut [LayerBuffers<'m>],
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
            let flattened = match node.kind {
                NodeKind::Call { layer, arg } => {
                    matches!(layers[layer.index()], LayerBuffers::Flatten).then_some(arg)
                }
                _ => None,
            };
            let value = if handle == output {
                output_value
            } else if node.kind == NodeKind::Input {
                input
            } else if let Some(arg) = flattened {
                // Flatten is no op: an image is stored as its C·H·W floats.
                values.push(values[arg.index()]);
                tape.push(Recorded::Flatten { arg, copied: false });
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
                    self.lower_call(&mut layers[layer.index()], &call)
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

    fn lower_call(&mut self, layer: &mut LayerBuffers<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        match layer {
            LayerBuffers::Linear {
                spec,
                weight,
                bias,
                panel,
            } => {
                let (in_f, out_f) = (spec.in_features, spec.out_features);
                let (w, b) = (weight.value, bias.map(|b| b.value));
                let panel = *panel.get_or_insert_with(|| {
                    let len = linear_panel_len(in_f, out_f);
                    let panel =
                        self.fixed(&format!("{}.panel", call.layer), BufferKind::Cache, len);
                    let op = OpKind::PackLinear {
                        w,
                        panel,
                        in_f,
                        out_f,
                    };
                    self.cache.push(Builder::op(op, call.layer));
                    panel
                });
                let train_op = OpKind::Linear {
                    x,
                    w,
                    b,
                    y,
                    in_f,
                    out_f,
                };
                let eval_op = OpKind::LinearPacked {
                    x,
                    w,
                    panel,
                    b,
                    y,
                    in_f,
                    out_f,
                };
                let recorded = Recorded::Linear {
                    arg,
                    x,
                    weight: *weight,
                    bias: *bias,
                    in_f,
                    out_f,
                };
                (train_op, eval_op, recorded)
            }
            LayerBuffers::BatchNorm {
                spec,
                affine,
                running_mean,
                running_var,
                counter,
                eval,
            } => {
                let n = spec.num_features;
                let plane = call.plane();
                let eps = spec.eps as f32;
                let (gamma, beta) = Affine::values(*affine);
                let xhat = self.buffer(
                    &call.saved_name("xhat"),
                    BufferKind::Saved,
                    BufferLen::PerSample(call.width),
                );
                let mean = self.fixed(&call.saved_name("mean"), BufferKind::Saved, n);
                let invstd = self.fixed(&call.saved_name("invstd"), BufferKind::Saved, n);
                let train_op = OpKind::BatchNormTrain {
                    x,
                    gamma,
                    beta,
                    y,
                    xhat,
                    mean,
                    invstd,
                    running_mean: *running_mean,
                    running_var: *running_var,
                    num_batches_tracked: *counter,
                    momentum: spec.momentum.map(|m| m as f32),
                    eps,
                    n,
                    plane,
                };
                let (running_mean, running_var) = (*running_mean, *running_var);
                let (scale, shift) = *eval.get_or_insert_with(|| {
                    let scale =
                        self.fixed(&format!("{}.eval_scale", call.layer), BufferKind::Cache, n);
                    let shift =
                        self.fixed(&format!("{}.eval_shift", call.layer), BufferKind::Cache, n);
                    let op = OpKind::BatchNormAffine {
                        gamma,
                        beta,
                        running_mean,
                        running_var,
                        scale,
                        shift,
                        eps,
                        n,
                    };
                    self.cache.push(Builder::op(op, call.layer));
                    (scale, shift)
                });
                let eval_op = OpKind::BatchNormApply {
                    x,
                    scale,
                    shift,
                    y,
                    n,
                    plane,
                };
                let recorded = Recorded::Norm {
                    norm: Norm::Batch { plane },
                    arg,
                    xhat,
                    invstd,
                    affine: *affine,
                    n,
                };
                (train_op, eval_op, recorded)
            }
            LayerBuffers::LayerNorm { spec, affine } => {
                let n = spec.normalized_shape;
                let (gamma, beta) = Affine::values(*affine);
                let xhat = self.buffer(
                    &call.saved_name("xhat"),
                    BufferKind::Saved,
                    BufferLen::PerSample(n),
                );
                let invstd = self.buffer(
                    &call.saved_name("invstd"),
                    BufferKind::Saved,
                    BufferLen::PerSample(1),
                );
                let op = OpKind::LayerNorm {
                    x,
                    gamma,
                    beta,
                    y,
                    xhat,
                    invstd,
                    eps: spec.eps as f32,
                    n,
                };
                let recorded = Recorded::Norm {
                    norm: Norm::Layer,
                    arg,
                    xhat,
                    invstd,
                    affine: *affine,
                    n: call.width,
                };
                (op.clone(), op, recorded)
            }
            LayerBuffers::Dropout { spec } => {
                let mask = self.buffer(
                    &call.saved_name("mask"),
                    BufferKind::Saved,
                    BufferLen::PerSample(call.width),
                );
                let train_op = OpKind::Dropout {
                    x,
                    y,
                    mask,
                    p: spec.p as f32,
                };
                let eval_op = OpKind::Copy { x, y };
                (train_op, eval_op, Recorded::Dropout { arg, mask })
            }
            LayerBuffers::Conv2d { spec, weight, bias } => {
                let geometry = spec.geometry(call.image());
                let cols = self.buffer(
                    &call.saved_name("cols"),
                    BufferKind::Saved,
                    BufferLen::PerSample(conv2d_cols_len(&geometry)),
                );
                let rows = self.buffer(
                    &call.saved_name("rows"),
                    BufferKind::Activation,
                    BufferLen::PerSample(conv2d_rows_len(&geometry)),
                );
                let op = OpKind::Conv2d {
                    x,
                    w: weight.value,
                    b: bias.map(|b| b.value),
                    y,
                    cols,
                    rows,
                    geometry,
                };
                let recorded = Recorded::Conv2d {
                    arg,
                    cols,
                    weight: *weight,
                    bias: *bias,
                    geometry,
                };
                (op.clone(), op, recorded)
            }
            LayerBuffers::Pool2d { spec } => {
                let geometry = spec.geometry(call.image());
                match geometry.kind {
                    PoolKind::Max => {
                        let argmax = self.buffer(
                            &call.saved_name("argmax"),
                            BufferKind::Saved,
                            BufferLen::PerSample(call.width),
                        );
                        let pool = |argmax| OpKind::MaxPool2d {
                            x,
                            y,
                            argmax,
                            geometry,
                        };
                        let pooling = Pooling::Max { geometry, argmax };
                        // The eval forward keeps no positions.
                        (
                            pool(Some(argmax)),
                            pool(None),
                            Recorded::Pool { arg, pooling },
                        )
                    }
                    PoolKind::Avg { .. } => {
                        let op = OpKind::AvgPool2d { x, y, geometry };
                        let pooling = Pooling::Avg(geometry);
                        (op.clone(), op, Recorded::Pool { arg, pooling })
                    }
                }
            }
            LayerBuffers::AdaptiveAvgPool2d { spec } => {
                let (output_height, output_width) = spec.output_size;
                let geometry = AdaptivePool2dGeometry {
                    input: call.image(),
                    output_height,
                    output_width,
                };
                let op = OpKind::AdaptiveAvgPool2d { x, y, geometry };
                let pooling = Pooling::Adaptive(geometry);
                (op.clone(), op, Recorded::Pool { arg, pooling })
            }
            // A flatten reaches here only as the model's output, which
            // has a buffer of its own: a copy (any other is an alias).
            LayerBuffers::Flatten => {
                let op = OpKind::Copy { x, y };
                let recorded = Recorded::Flatten { arg, copied: true };
                (op.clone(), op, recorded)
            }
        }
    }
}

/// One call of a layer in `forward`.
struct Call<'a> {
    layer: &'a str,
    /// How many calls of the layer came before this one.
    index: usize,
    arg: Handle<Node>,
    /// The argument's shape.
    input: Shape,
    x: BufferId,
    y: BufferId,
    width: usize,
}

impl Call<'_> {
    /// The image a convolution or a pooling reads: the checker gives
    /// image layers image arguments only (a `ValidModel`'s invariant).
    fn image(&self) -> ImageShape {
        self.input
            .image()
            .expect("a checked model gives image layers image values")
    }

    /// Positions per channel of a batchnorm's input: `H·W` of an image,
    /// 1 of a flat value.
    fn plane(&self) -> usize {
        self.input.image().map_or(1, ImageShape::plane)
    }

    /// `bn1.xhat` for a layer's first call, `bn1.xhat.1` for its second:
    /// each call saves its own values for backward.
    fn saved_name(&self, what: &str) -> String {
        match self.index {
            0 => format!("{}.{what}", self.layer),
            k => format!("{}.{what}.{k}", self.layer),
        }
    }
}
