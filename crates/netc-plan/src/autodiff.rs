//! IR → Plan: the forward ops of both modes, reverse-mode differentiation
//! into backward ops, and the update ops, all over *virtual* buffers; the
//! scheduler then packs the pooled ones.
//!
//! Gradient accumulation needs no special casing: every backward kernel
//! adds into its outputs, so a value read by several nodes (residual,
//! fan-out) and a layer called several times (shared weights) sum their
//! contributions. Value gradients are zeroed just before their first
//! writer, parameter gradients at the start of the backward pass.

use netc_lang::ir::{Handle, LayerKind, Model, Node, NodeKind};
use netc_ops::TrainConfig;

use crate::plan::{
    Buffer, BufferId, BufferKind, BufferLen, Initializer, Op, OpKind, Plan, StateEntry,
};
use crate::schedule;
use crate::validate::PlanError;
use netc_ops::Init;
use netc_runtime::kernels::linear_panel_len;

/// Compiles a *valid* model (checked without errors) and its training
/// settings into a Plan.
pub fn build_plan(model: &Model, train: &TrainConfig) -> Result<Plan, PlanError> {
    let mut builder = Builder::new(model);
    builder.declare_layers();
    builder.lower_forward(train);
    builder.differentiate(train);
    builder.lower_update(train);
    let mut plan = builder.finish(train);
    schedule::pack_activations(&mut plan);
    plan.validate()?;
    Ok(plan)
}

/// The buffers of one declared layer.
#[derive(Default, Clone)]
struct LayerBuffers {
    weight: Option<BufferId>,
    bias: Option<BufferId>,
    weight_grad: Option<BufferId>,
    bias_grad: Option<BufferId>,
    running_mean: Option<BufferId>,
    running_var: Option<BufferId>,
    counter: Option<BufferId>,
    /// The inference cache's values derived from this layer's weights
    /// (a linear panel; a batchnorm's `scale`, `shift`), made by the
    /// first call the eval forward lowers.
    cache: Option<(BufferId, Option<BufferId>)>,
}

/// What a node's forward op kept for its backward op.
#[derive(Clone, Copy)]
enum Saved {
    Nothing,
    Norm { xhat: BufferId, invstd: BufferId },
    Mask(BufferId),
}

struct Builder<'m> {
    model: &'m Model,
    buffers: Vec<Buffer>,
    state: Vec<StateEntry>,
    layers: Vec<LayerBuffers>,
    labels: Vec<String>,
    values: Vec<BufferId>,
    saved: Vec<Saved>,
    /// The gradient buffer of each node once a backward op writes it.
    grads: Vec<Option<BufferId>>,
    input: BufferId,
    target: BufferId,
    output: BufferId,
    loss_value: BufferId,
    forward: Vec<Op>,
    cache: Vec<Op>,
    inference: Vec<Op>,
    backward: Vec<Op>,
    update: Vec<Op>,
}

impl<'m> Builder<'m> {
    fn new(model: &'m Model) -> Self {
        let mut builder = Builder {
            model,
            buffers: Vec::new(),
            state: Vec::new(),
            layers: Vec::new(),
            labels: node_labels(model),
            values: Vec::new(),
            saved: Vec::new(),
            grads: vec![None; model.nodes.len()],
            input: BufferId(0),
            target: BufferId(0),
            output: BufferId(0),
            loss_value: BufferId(0),
            forward: Vec::new(),
            cache: Vec::new(),
            inference: Vec::new(),
            backward: Vec::new(),
            update: Vec::new(),
        };
        builder.input = builder.buffer(
            &model.input.name,
            BufferKind::Input,
            BufferLen::PerSample(model.input.width),
        );
        builder
    }

    fn buffer(&mut self, name: &str, kind: BufferKind, len: BufferLen) -> BufferId {
        self.buffers.push(Buffer {
            name: name.to_string(),
            kind,
            len,
        });
        BufferId(self.buffers.len() - 1)
    }

    fn fixed(&mut self, name: &str, kind: BufferKind, len: usize) -> BufferId {
        self.buffer(name, kind, BufferLen::Fixed(len))
    }

    /// A trainable parameter with its gradient, appended to the state.
    fn parameter(
        &mut self,
        name: String,
        shape: Vec<usize>,
        init: Initializer,
    ) -> (BufferId, BufferId) {
        let len = shape.iter().product();
        let param = self.fixed(&name, BufferKind::Param, len);
        let grad = self.fixed(&format!("{name}.grad"), BufferKind::Grad, len);
        self.state.push(StateEntry {
            name,
            shape,
            buffer: param,
            grad: Some(grad),
            init,
        });
        (param, grad)
    }

    fn non_trainable(
        &mut self,
        name: String,
        kind: BufferKind,
        shape: Vec<usize>,
        init: Initializer,
    ) -> BufferId {
        let len = shape.iter().product::<usize>();
        let buffer = self.fixed(&name, kind, len);
        self.state.push(StateEntry {
            name,
            shape,
            buffer,
            grad: None,
            init,
        });
        buffer
    }

    /// Parameters and running statistics in `state_dict` order.
    fn declare_layers(&mut self) {
        let model = self.model;
        for (_, layer) in model.layers.iter() {
            let name = &layer.name;
            let mut buffers = LayerBuffers::default();
            let affine = |this: &mut Self, n: usize, buffers: &mut LayerBuffers| {
                let (w, dw) =
                    this.parameter(format!("{name}.weight"), vec![n], Initializer::Fill(1.0));
                let (b, db) =
                    this.parameter(format!("{name}.bias"), vec![n], Initializer::Fill(0.0));
                buffers.weight = Some(w);
                buffers.weight_grad = Some(dw);
                buffers.bias = Some(b);
                buffers.bias_grad = Some(db);
            };
            match &layer.kind {
                LayerKind::Linear(spec) => {
                    let (fan_in, fan_out) = (spec.in_features, spec.out_features);
                    let weight_init = Initializer::Random {
                        init: spec.init.unwrap_or_else(Init::linear_default_weight),
                        fan_in,
                        fan_out,
                    };
                    let (w, dw) = self.parameter(
                        format!("{name}.weight"),
                        vec![fan_out, fan_in],
                        weight_init,
                    );
                    buffers.weight = Some(w);
                    buffers.weight_grad = Some(dw);
                    if spec.bias {
                        // PyTorch has no fans for a 1-d tensor; an explicit
                        // bias init gets the weight's, so fan-based inits
                        // scale as they would for the weight.
                        let bias_init = match spec.bias_init {
                            Some(init) => Initializer::Random {
                                init,
                                fan_in,
                                fan_out,
                            },
                            None => Initializer::LinearDefaultBias { fan_in },
                        };
                        let (b, db) =
                            self.parameter(format!("{name}.bias"), vec![fan_out], bias_init);
                        buffers.bias = Some(b);
                        buffers.bias_grad = Some(db);
                    }
                }
                LayerKind::BatchNorm(spec) => {
                    let n = spec.num_features;
                    if spec.affine {
                        affine(self, n, &mut buffers);
                    }
                    buffers.running_mean = Some(self.non_trainable(
                        format!("{name}.running_mean"),
                        BufferKind::RunningStat,
                        vec![n],
                        Initializer::Fill(0.0),
                    ));
                    buffers.running_var = Some(self.non_trainable(
                        format!("{name}.running_var"),
                        BufferKind::RunningStat,
                        vec![n],
                        Initializer::Fill(1.0),
                    ));
                    buffers.counter = Some(self.non_trainable(
                        format!("{name}.num_batches_tracked"),
                        BufferKind::Counter,
                        Vec::new(),
                        Initializer::Fill(0.0),
                    ));
                }
                LayerKind::LayerNorm(spec) => {
                    if spec.elementwise_affine {
                        affine(self, spec.normalized_shape, &mut buffers);
                    }
                }
                LayerKind::Dropout(_) => {}
            }
            self.layers.push(buffers);
        }
    }

    fn lower_forward(&mut self, train: &TrainConfig) {
        let model = self.model;
        let output = model.output.expect("a valid model has an output");
        self.output = if model.nodes[output].kind == NodeKind::Input {
            self.input
        } else {
            self.buffer(
                "output",
                BufferKind::Output,
                BufferLen::PerSample(model.nodes[output].width),
            )
        };
        let mut calls = vec![0usize; model.layers.len()];
        for (handle, node) in model.nodes.iter() {
            let value = if handle == output {
                self.output
            } else if node.kind == NodeKind::Input {
                self.input
            } else {
                let name = self.labels[handle.index()].clone();
                self.buffer(
                    &name,
                    BufferKind::Activation,
                    BufferLen::PerSample(node.width),
                )
            };
            self.values.push(value);
            let saved = self.lower_node(handle, node, &mut calls);
            self.saved.push(saved);
        }

        let target_width = train.loss.target_width(model.output_width());
        self.target = self.buffer(
            "target",
            BufferKind::Target,
            BufferLen::PerSample(target_width),
        );
        self.loss_value = self.fixed("loss", BufferKind::Scalar, 1);
        self.forward.push(Op {
            kind: OpKind::Loss {
                loss: train.loss,
                pred: self.output,
                target: self.target,
                out: self.loss_value,
                width: model.output_width(),
            },
            origin: "loss".to_string(),
        });
    }

    /// The cache buffers of layer `index`, made (with the cache op that
    /// fills them) on its first call.
    fn cached(
        &mut self,
        index: usize,
        origin: &str,
        make: impl FnOnce(&mut Self) -> (OpKind, BufferId, Option<BufferId>),
    ) -> (BufferId, Option<BufferId>) {
        if let Some(cache) = self.layers[index].cache {
            return cache;
        }
        let (op, first, second) = make(self);
        self.cache.push(Op {
            kind: op,
            origin: origin.to_string(),
        });
        self.layers[index].cache = Some((first, second));
        (first, second)
    }

    /// The forward ops (train and eval) of one node.
    fn lower_node(&mut self, handle: Handle<Node>, node: &Node, calls: &mut [usize]) -> Saved {
        let y = self.values[handle.index()];
        let origin = self.labels[handle.index()].clone();
        let (train_op, eval_op, saved) = match node.kind {
            NodeKind::Input => return Saved::Nothing,
            NodeKind::Activation { activation, arg } => {
                let op = OpKind::Activation {
                    act: activation,
                    x: self.values[arg.index()],
                    y,
                    width: node.width,
                };
                (op.clone(), op, Saved::Nothing)
            }
            NodeKind::Add { lhs, rhs } => {
                let op = OpKind::Add {
                    a: self.values[lhs.index()],
                    b: self.values[rhs.index()],
                    y,
                };
                (op.clone(), op, Saved::Nothing)
            }
            NodeKind::Call { layer, arg } => {
                let x = self.values[arg.index()];
                let call = calls[layer.index()];
                calls[layer.index()] += 1;
                let layer_name = &self.model.layers[layer].name;
                let saved_name = |what: &str| match call {
                    0 => format!("{layer_name}.{what}"),
                    k => format!("{layer_name}.{what}.{k}"),
                };
                let lb = self.layers[layer.index()].clone();
                match &self.model.layers[layer].kind {
                    LayerKind::Linear(spec) => {
                        let (in_f, out_f) = (spec.in_features, spec.out_features);
                        let w = lb.weight.expect("linear layers have a weight");
                        let panel = self
                            .cached(layer.index(), layer_name, |this| {
                                let len = linear_panel_len(in_f, out_f);
                                let panel = this.fixed(
                                    &format!("{layer_name}.panel"),
                                    BufferKind::Cache,
                                    len,
                                );
                                let op = OpKind::PackLinear {
                                    w,
                                    panel,
                                    in_f,
                                    out_f,
                                };
                                (op, panel, None)
                            })
                            .0;
                        let train_op = OpKind::Linear {
                            x,
                            w,
                            b: lb.bias,
                            y,
                            in_f,
                            out_f,
                        };
                        let eval_op = OpKind::LinearPacked {
                            x,
                            w,
                            panel,
                            b: lb.bias,
                            y,
                            in_f,
                            out_f,
                        };
                        (train_op, eval_op, Saved::Nothing)
                    }
                    LayerKind::BatchNorm(spec) => {
                        let n = spec.num_features;
                        let xhat = self.buffer(
                            &saved_name("xhat"),
                            BufferKind::Saved,
                            BufferLen::PerSample(n),
                        );
                        let mean = self.fixed(&saved_name("mean"), BufferKind::Saved, n);
                        let invstd = self.fixed(&saved_name("invstd"), BufferKind::Saved, n);
                        let running_mean = lb.running_mean.expect("batchnorm has running stats");
                        let running_var = lb.running_var.expect("batchnorm has running stats");
                        let eps = spec.eps as f32;
                        let train_op = OpKind::BatchNormTrain {
                            x,
                            gamma: lb.weight,
                            beta: lb.bias,
                            y,
                            xhat,
                            mean,
                            invstd,
                            running_mean,
                            running_var,
                            num_batches_tracked: lb.counter.expect("batchnorm has a counter"),
                            momentum: spec.momentum.map(|m| m as f32),
                            eps,
                            n,
                        };
                        let (scale, shift) = self.cached(layer.index(), layer_name, |this| {
                            let scale = this.fixed(
                                &format!("{layer_name}.eval_scale"),
                                BufferKind::Cache,
                                n,
                            );
                            let shift = this.fixed(
                                &format!("{layer_name}.eval_shift"),
                                BufferKind::Cache,
                                n,
                            );
                            let op = OpKind::BatchNormAffine {
                                gamma: lb.weight,
                                beta: lb.bias,
                                running_mean,
                                running_var,
                                scale,
                                shift,
                                eps,
                                n,
                            };
                            (op, scale, Some(shift))
                        });
                        let shift = shift.expect("a batchnorm's cache holds scale and shift");
                        let eval_op = OpKind::BatchNormApply {
                            x,
                            scale,
                            shift,
                            y,
                            n,
                        };
                        (train_op, eval_op, Saved::Norm { xhat, invstd })
                    }
                    LayerKind::LayerNorm(spec) => {
                        let n = spec.normalized_shape;
                        let xhat = self.buffer(
                            &saved_name("xhat"),
                            BufferKind::Saved,
                            BufferLen::PerSample(n),
                        );
                        let invstd = self.buffer(
                            &saved_name("invstd"),
                            BufferKind::Saved,
                            BufferLen::PerSample(1),
                        );
                        let op = OpKind::LayerNorm {
                            x,
                            gamma: lb.weight,
                            beta: lb.bias,
                            y,
                            xhat,
                            invstd,
                            eps: spec.eps as f32,
                            n,
                        };
                        (op.clone(), op, Saved::Norm { xhat, invstd })
                    }
                    LayerKind::Dropout(spec) => {
                        let mask = self.buffer(
                            &saved_name("mask"),
                            BufferKind::Saved,
                            BufferLen::PerSample(node.width),
                        );
                        let train_op = OpKind::Dropout {
                            x,
                            y,
                            mask,
                            p: spec.p as f32,
                        };
                        (train_op, OpKind::Copy { x, y }, Saved::Mask(mask))
                    }
                }
            }
        };
        self.forward.push(Op {
            kind: train_op,
            origin: origin.clone(),
        });
        self.inference.push(Op {
            kind: eval_op,
            origin,
        });
        saved
    }

    /// Reverse-mode differentiation of the loss.
    fn differentiate(&mut self, train: &TrainConfig) {
        let model = self.model;
        let output = model.output.expect("a valid model has an output");
        let needs_grad = gradient_nodes(model, output);
        if !needs_grad[output.index()] {
            return;
        }
        let dpred = self.value_grad_buffer(output);
        self.grads[output.index()] = Some(dpred);
        self.backward.push(Op {
            kind: OpKind::LossBackward {
                loss: train.loss,
                pred: self.output,
                target: self.target,
                dpred,
                width: model.output_width(),
            },
            origin: "loss".to_string(),
        });
        let nodes: Vec<_> = model.nodes.iter().collect();
        for (handle, node) in nodes.into_iter().rev() {
            if !needs_grad[handle.index()] {
                continue;
            }
            let dy = self.grads[handle.index()].expect("a consumer wrote this gradient first");
            self.differentiate_node(handle, node, dy, &needs_grad);
        }
        self.zero_parameter_grads_first();
    }

    fn value_grad_buffer(&mut self, node: Handle<Node>) -> BufferId {
        let name = format!("d({})", self.labels[node.index()]);
        let width = self.model.nodes[node].width;
        self.buffer(&name, BufferKind::Activation, BufferLen::PerSample(width))
    }

    /// The gradient buffer of `node` when it needs one, created (and
    /// zeroed) on its first writer.
    fn grad_of(&mut self, node: Handle<Node>, needs_grad: &[bool]) -> Option<BufferId> {
        if !needs_grad[node.index()] {
            return None;
        }
        if let Some(existing) = self.grads[node.index()] {
            return Some(existing);
        }
        let buf = self.value_grad_buffer(node);
        self.push_backward(OpKind::Zero { buf }, node);
        self.grads[node.index()] = Some(buf);
        Some(buf)
    }

    /// A zeroed gradient nobody reads, for kernels whose `dx` is not
    /// optional when the input needs none.
    fn discarded_grad(&mut self, node: Handle<Node>) -> BufferId {
        let buf = self.value_grad_buffer(node);
        self.buffers[buf.0].name.push_str(" (discarded)");
        self.push_backward(OpKind::Zero { buf }, node);
        buf
    }

    fn push_backward(&mut self, kind: OpKind, node: Handle<Node>) {
        self.backward.push(Op {
            kind,
            origin: self.labels[node.index()].clone(),
        });
    }

    fn differentiate_node(
        &mut self,
        handle: Handle<Node>,
        node: &Node,
        dy: BufferId,
        needs_grad: &[bool],
    ) {
        match node.kind {
            NodeKind::Input => {}
            NodeKind::Activation { activation, arg } => {
                if let Some(dx) = self.grad_of(arg, needs_grad) {
                    let op = OpKind::ActivationBackward {
                        act: activation,
                        x: self.values[arg.index()],
                        y: self.values[handle.index()],
                        dy,
                        dx,
                        width: node.width,
                    };
                    self.push_backward(op, handle);
                }
            }
            NodeKind::Add { lhs, rhs } => {
                for operand in [lhs, rhs] {
                    if let Some(dst) = self.grad_of(operand, needs_grad) {
                        self.push_backward(OpKind::Accumulate { dst, src: dy }, handle);
                    }
                }
            }
            NodeKind::Call { layer, arg } => {
                let lb = self.layers[layer.index()].clone();
                let dx = self.grad_of(arg, needs_grad);
                let op = match &self.model.layers[layer].kind {
                    LayerKind::Linear(spec) => OpKind::LinearBackward {
                        x: self.values[arg.index()],
                        w: lb.weight.expect("linear layers have a weight"),
                        dy,
                        dx,
                        dw: lb.weight_grad.expect("linear layers have a weight"),
                        db: lb.bias_grad,
                        in_f: spec.in_features,
                        out_f: spec.out_features,
                    },
                    LayerKind::BatchNorm(_) | LayerKind::LayerNorm(_) => {
                        let Saved::Norm { xhat, invstd } = self.saved[handle.index()] else {
                            unreachable!("normalisation nodes save xhat and invstd")
                        };
                        let dx = dx.unwrap_or_else(|| self.discarded_grad(arg));
                        // The two normalisations' backward ops take the
                        // same operands.
                        macro_rules! norm_backward {
                            ($variant:ident) => {
                                OpKind::$variant {
                                    dy,
                                    xhat,
                                    invstd,
                                    gamma: lb.weight,
                                    dx,
                                    dgamma: lb.weight_grad,
                                    dbeta: lb.bias_grad,
                                    n: node.width,
                                }
                            };
                        }
                        if matches!(self.model.layers[layer].kind, LayerKind::BatchNorm(_)) {
                            norm_backward!(BatchNormBackward)
                        } else {
                            norm_backward!(LayerNormBackward)
                        }
                    }
                    LayerKind::Dropout(_) => {
                        let Saved::Mask(mask) = self.saved[handle.index()] else {
                            unreachable!("dropout nodes save their mask")
                        };
                        match dx {
                            Some(dx) => OpKind::DropoutBackward { dy, mask, dx },
                            None => return,
                        }
                    }
                };
                self.push_backward(op, handle);
            }
        }
    }

    /// Parameter gradients accumulate over the whole backward pass, so
    /// they are zeroed before its first op (PyTorch's `zero_grad`).
    fn zero_parameter_grads_first(&mut self) {
        let zeros: Vec<Op> = self
            .written_parameter_grads()
            .into_iter()
            .map(|(name, grad)| Op {
                kind: OpKind::Zero { buf: grad },
                origin: name,
            })
            .collect();
        self.backward.splice(0..0, zeros);
    }

    /// `(name, grad)` of the parameters some backward op writes, in state
    /// order: those with a gradient path to the loss. PyTorch leaves the
    /// others' `.grad` at `None`, so optimizers and clipping skip them.
    fn written_parameter_grads(&self) -> Vec<(String, BufferId)> {
        let mut written = vec![false; self.buffers.len()];
        for op in &self.backward {
            if matches!(op.kind, OpKind::Zero { .. }) {
                continue;
            }
            op.kind.for_each_buffer(|b, access| {
                if access == crate::plan::Access::Write {
                    written[b.0] = true;
                }
            });
        }
        self.state
            .iter()
            .filter_map(|e| e.grad.map(|g| (e.name.clone(), g)))
            .filter(|(_, g)| written[g.0])
            .collect()
    }

    fn lower_update(&mut self, train: &TrainConfig) {
        let trained = self.written_parameter_grads();
        let scratch = match train.clip_grad_norm {
            Some(max_norm) if !trained.is_empty() => {
                let norms = self.fixed("grad_norms", BufferKind::Scalar, trained.len());
                let norm = self.fixed("grad_norm", BufferKind::Scalar, 1);
                let coef = self.fixed("clip_coef", BufferKind::Scalar, 1);
                let longest = trained
                    .iter()
                    .map(|(_, g)| self.buffers[g.0].len.elements(0))
                    .max()
                    .unwrap_or(0);
                let scratch = self.fixed("clipped_grad", BufferKind::Scratch, longest);
                for (index, (_, grad)) in trained.iter().enumerate() {
                    self.update.push(Op {
                        kind: OpKind::TensorNorm {
                            grad: *grad,
                            norms,
                            index,
                        },
                        origin: "clip_grad_norm".to_string(),
                    });
                }
                self.update.push(Op {
                    kind: OpKind::TotalNorm { norms, out: norm },
                    origin: "clip_grad_norm".to_string(),
                });
                self.update.push(Op {
                    kind: OpKind::ClipCoef {
                        norm,
                        max_norm: max_norm as f32,
                        coef,
                    },
                    origin: "clip_grad_norm".to_string(),
                });
                Some((scratch, coef))
            }
            _ => None,
        };
        for (name, grad) in trained {
            let entry = self
                .state
                .iter()
                .find(|e| e.name == name)
                .expect("trained parameters are state entries");
            let param = entry.buffer;
            let len = self.buffers[param.0].len.elements(0);
            let state = self.fixed(
                &format!("{name}.optimizer_state"),
                BufferKind::OptimizerState,
                len,
            );
            let grad = match scratch {
                Some((scratch, coef)) => {
                    self.update.push(Op {
                        kind: OpKind::ScaleInto {
                            src: grad,
                            coef,
                            dst: scratch,
                            len,
                        },
                        origin: name.clone(),
                    });
                    scratch
                }
                None => grad,
            };
            self.update.push(Op {
                kind: OpKind::OptimizerStep {
                    param,
                    grad,
                    state,
                    len,
                },
                origin: name,
            });
        }
    }

    fn finish(self, train: &TrainConfig) -> Plan {
        let output_width = self.model.output_width();
        Plan {
            model: self.model.name.clone(),
            input_width: self.model.input.width,
            output_width,
            target_width: train.loss.target_width(output_width),
            batch: train.batch,
            loss: train.loss,
            optimizer: train.optimizer,
            clip_grad_norm: train.clip_grad_norm,
            buffers: self.buffers,
            state: self.state,
            input: self.input,
            target: self.target,
            output: self.output,
            loss_value: self.loss_value,
            forward: self.forward,
            cache: self.cache,
            inference: self.inference,
            backward: self.backward,
            update: self.update,
        }
    }
}

/// Readable names of each node: the layer for a call, `elu after bn1` for
/// an activation, `fc1 + fc2` for a residual add.
fn node_labels(model: &Model) -> Vec<String> {
    let mut labels: Vec<String> = Vec::with_capacity(model.nodes.len());
    for (_, node) in model.nodes.iter() {
        let label = match node.kind {
            NodeKind::Input => model.input.name.clone(),
            NodeKind::Call { layer, .. } => model.layers[layer].name.clone(),
            NodeKind::Activation { activation, arg } => {
                format!("{} after {}", activation.name(), labels[arg.index()])
            }
            NodeKind::Add { lhs, rhs } => {
                format!("{} + {}", labels[lhs.index()], labels[rhs.index()])
            }
        };
        labels.push(label);
    }
    labels
}

/// Nodes whose gradient the backward pass needs: those on a path from a
/// parameter to the output.
fn gradient_nodes(model: &Model, output: Handle<Node>) -> Vec<bool> {
    let n = model.nodes.len();
    let mut reaches_output = vec![false; n];
    reaches_output[output.index()] = true;
    let nodes: Vec<_> = model.nodes.iter().collect();
    for (handle, node) in nodes.into_iter().rev() {
        if reaches_output[handle.index()] {
            for operand in node.kind.operands() {
                reaches_output[operand.index()] = true;
            }
        }
    }
    let mut after_parameter = vec![false; n];
    for (handle, node) in model.nodes.iter() {
        let from_operands = node
            .kind
            .operands()
            .iter()
            .any(|o| after_parameter[o.index()]);
        let own = match node.kind {
            NodeKind::Call { layer, .. } => match &model.layers[layer].kind {
                LayerKind::Linear(_) => true,
                LayerKind::BatchNorm(spec) => spec.affine,
                LayerKind::LayerNorm(spec) => spec.elementwise_affine,
                LayerKind::Dropout(_) => false,
            },
            _ => false,
        };
        after_parameter[handle.index()] = own || from_operands;
    }
    (0..n)
        .map(|i| reaches_output[i] && after_parameter[i])
        .collect()
}
