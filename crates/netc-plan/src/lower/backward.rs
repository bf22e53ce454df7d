//! Reverse-mode differentiation of the loss: the tape the forward
//! lowering recorded, walked backwards into backward ops.
//!
//! Gradient accumulation needs no special casing: every backward kernel
//! adds into its outputs, so a value read by several nodes (residual,
//! fan-out) and a layer called several times (shared weights) sum their
//! contributions. Value gradients are zeroed just before their first
//! writer, parameter gradients at the start of the backward pass; then
//! every zero whose next op on the buffer can overwrite it (a `fresh`
//! operand) becomes that op's fresh output instead
//! ([`overwrite_first_writes`]).

use netc_lang::ir::{Handle, Model, Node};
use netc_ops::TrainConfig;

use super::forward::Forward;
use super::tape::{Gradients, Recorded};
use super::Builder;
use crate::plan::{Access, BufferId, BufferKind, BufferLen, Fresh, Op, OpKind};

/// The value gradients of the backward pass under construction.
struct Grads<'t> {
    /// What each node's forward recorded.
    tape: &'t [Recorded],
    /// Nodes on a path from a parameter to the output.
    needed: Vec<bool>,
    /// Each node's gradient buffer, once a backward op writes it.
    buffers: Vec<Option<BufferId>>,
}

impl Builder<'_> {
    pub(super) fn differentiate(
        &mut self,
        forward: &Forward,
        output: Handle<Node>,
        train: &TrainConfig,
    ) {
        let model = self.model;
        let mut grads = Grads {
            tape: &forward.tape,
            needed: gradient_nodes(model, &forward.tape, output),
            buffers: vec![None; model.nodes.len()],
        };
        if !grads.needed[output.index()] {
            return;
        }
        let dpred = self.value_grad_buffer(output);
        grads.buffers[output.index()] = Some(dpred);
        let op = OpKind::LossBackward {
            loss: train.loss,
            pred: forward.io.output,
            target: forward.io.target,
            dpred,
            width: model.output_width(),
        };
        self.backward.push(Builder::op(op, "loss"));
        let nodes: Vec<_> = model.nodes.iter().map(|(handle, _)| handle).collect();
        for handle in nodes.into_iter().rev() {
            // A node whose consumers sent it no gradient has none to pass
            // on: its contribution is zero.
            let Some(dy) = grads.buffers[handle.index()] else {
                continue;
            };
            if grads.needed[handle.index()] {
                self.differentiate_node(handle, &forward.tape[handle.index()], dy, &mut grads);
            }
        }
        self.zero_parameter_grads_first();
        overwrite_first_writes(&mut self.backward);
    }

    fn value_grad_buffer(&mut self, node: Handle<Node>) -> BufferId {
        let name = format!("d({})", self.labels[node.index()]);
        let width = self.model.nodes[node].width();
        self.buffer(&name, BufferKind::Activation, BufferLen::PerSample(width))
    }

    /// The gradient buffer of `node` when it needs one, created (and
    /// zeroed) on its first writer. An aliased flatten's is its
    /// argument's, as its value is.
    fn grad_of(&mut self, node: Handle<Node>, grads: &mut Grads) -> Option<BufferId> {
        if !grads.needed[node.index()] {
            return None;
        }
        if let Some(existing) = grads.buffers[node.index()] {
            return Some(existing);
        }
        if let Some(arg) = grads.tape[node.index()].gradient_alias() {
            let shared = self.grad_of(arg, grads);
            grads.buffers[node.index()] = shared;
            return shared;
        }
        let buf = self.value_grad_buffer(node);
        self.push_backward(OpKind::Zero { buf }, node);
        grads.buffers[node.index()] = Some(buf);
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
        let op = Builder::op(kind, &self.labels[node.index()]);
        self.backward.push(op);
    }

    fn differentiate_node(
        &mut self,
        handle: Handle<Node>,
        recorded: &Recorded,
        dy: BufferId,
        grads: &mut Grads,
    ) {
        let op = match *recorded {
            Recorded::Input => return,
            Recorded::Activation {
                act,
                arg,
                x,
                y,
                width,
            } => {
                let Some(dx) = self.grad_of(arg, grads) else {
                    return;
                };
                let (x, y) = act.derivative_reads().keep(x, y);
                OpKind::ActivationBackward {
                    act,
                    x,
                    y,
                    dy,
                    dx,
                    fresh: Fresh::NONE,
                    width,
                }
            }
            Recorded::Add { lhs, rhs } => {
                for operand in [lhs, rhs] {
                    if let Some(dst) = self.grad_of(operand, grads) {
                        self.push_backward(
                            OpKind::Accumulate {
                                dst,
                                src: dy,
                                fresh: Fresh::NONE,
                            },
                            handle,
                        );
                    }
                }
                return;
            }
            Recorded::Layer(ref tape) => {
                let mut node = NodeGrad {
                    builder: self,
                    grads,
                    node: handle,
                    dy,
                };
                match tape.backward(&mut node) {
                    Some(op) => op,
                    None => return,
                }
            }
        };
        self.push_backward(op, handle);
    }

    /// Parameter gradients accumulate over the whole backward pass, so
    /// they are zeroed before its first op (PyTorch's `zero_grad`).
    fn zero_parameter_grads_first(&mut self) {
        let zeros: Vec<Op> = self
            .written_parameter_grads()
            .into_iter()
            .map(|trained| Builder::op(OpKind::Zero { buf: trained.grad }, &trained.name))
            .collect();
        self.backward.splice(0..0, zeros);
    }

    /// The parameters some backward op writes a gradient for, in state
    /// order: those with a gradient path to the loss. PyTorch leaves the
    /// others' `.grad` at `None`, so optimizers and clipping skip them.
    pub(super) fn written_parameter_grads(&self) -> Vec<Trained> {
        let mut written = vec![false; self.buffers.len()];
        for op in &self.backward {
            if matches!(op.kind, OpKind::Zero { .. }) {
                continue;
            }
            op.kind.for_each_buffer(|b, access| {
                if access == Access::Write {
                    written[b.0] = true;
                }
            });
        }
        self.state
            .iter()
            .filter_map(|entry| {
                let grad = entry.grad.filter(|g| written[g.0])?;
                Some(Trained {
                    name: entry.name.clone(),
                    param: entry.buffer,
                    grad,
                })
            })
            .collect()
    }
}

/// The backward walk at one layer call: what its [`LayerTape`] asks for.
///
/// [`LayerTape`]: super::tape::LayerTape
struct NodeGrad<'a, 'm, 't> {
    builder: &'a mut Builder<'m>,
    grads: &'a mut Grads<'t>,
    node: Handle<Node>,
    dy: BufferId,
}

impl Gradients for NodeGrad<'_, '_, '_> {
    fn dy(&self) -> BufferId {
        self.dy
    }

    fn grad_of(&mut self, operand: Handle<Node>) -> Option<BufferId> {
        self.builder.grad_of(operand, self.grads)
    }

    fn grad_or_discarded(&mut self, operand: Handle<Node>) -> BufferId {
        match self.grad_of(operand) {
            Some(dx) => dx,
            None => self.builder.discarded_grad(operand),
        }
    }

    fn scratch(&mut self, what: &str, width: usize) -> BufferId {
        let name = format!("d({}) {what}", self.builder.labels[self.node.index()]);
        let len = BufferLen::PerSample(width);
        self.builder.buffer(&name, BufferKind::Activation, len)
    }
}

/// A parameter the update steps.
pub(super) struct Trained {
    pub name: String,
    pub param: BufferId,
    pub grad: BufferId,
}

/// Nodes whose gradient the backward pass needs: those on a path from a
/// parameter to the output.
fn gradient_nodes(model: &Model, tape: &[Recorded], output: Handle<Node>) -> Vec<bool> {
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
        after_parameter[handle.index()] = tape[handle.index()].has_parameters() || from_operands;
    }
    (0..n)
        .map(|i| reaches_output[i] && after_parameter[i])
        .collect()
}

/// Removes every [`OpKind::Zero`] whose buffer's next op writes the whole
/// buffer through an operand it may overwrite, marking that operand
/// fresh: the zeros were the starting point of the sums that op adds,
/// so it gives the same bits without the pass over memory. Every
/// backward op has a `fresh` operand; a zero whose next op reads the
/// buffer, or has none, would stay.
fn overwrite_first_writes(ops: &mut Vec<Op>) {
    let mut kept = Vec::with_capacity(ops.len());
    let mut pending: Vec<(BufferId, usize)> = Vec::new();
    for op in ops.drain(..) {
        if let OpKind::Zero { buf } = op.kind {
            pending.push((buf, kept.len()));
            kept.push(Some(op));
            continue;
        }
        let mut op = op;
        pending.retain(|&(buf, zero)| {
            let Some(access) = access_of(&op.kind, buf) else {
                return true;
            };
            if access == Some(Access::Write) && mark_fresh(&mut op.kind, buf) {
                kept[zero] = None;
            }
            false
        });
        kept.push(Some(op));
    }
    ops.extend(kept.into_iter().flatten());
}

/// How `kind` uses `buf`: `None` when it does not, `Some(None)` when it
/// both reads and writes it.
fn access_of(kind: &OpKind, buf: BufferId) -> Option<Option<Access>> {
    let mut seen: Option<Option<Access>> = None;
    kind.for_each_buffer(|id, access| {
        if id == buf {
            seen = Some(match seen {
                None => Some(access),
                Some(previous) if previous == Some(access) => previous,
                Some(_) => None,
            });
        }
    });
    seen
}

/// Marks `buf` fresh among the written operands of `kind`, when the op
/// has a `fresh` operand.
fn mark_fresh(kind: &mut OpKind, buf: BufferId) -> bool {
    let written = kind.outputs().into_iter().position(|id| id == Some(buf));
    match (written, kind.fresh_mut()) {
        (Some(index), Some(fresh)) => {
            *fresh = fresh.with(index);
            true
        }
        _ => false,
    }
}
