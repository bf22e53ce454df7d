//! IR → Plan, one module per job: the `state_dict` layout
//! (`state_layout`), the forward of both modes with the inference cache
//! (`forward`), reverse-mode differentiation (`backward`) and the update
//! (`update`), all over *virtual* buffers; the scheduler then packs the
//! pooled ones and the validator turns the result into a [`ValidPlan`].
//!
//! Lowering takes a [`ValidModel`], so the IR invariant (names resolved,
//! widths agreeing, an output, nodes in evaluation order) holds and no
//! step re-checks it: nothing a model file says can make lowering fail.

mod backward;
mod forward;
mod layers;
mod state_layout;
mod tape;
mod update;

use netc_lang::ir::{Model, NodeKind};
use netc_lang::ValidModel;
use netc_ops::TrainConfig;

use crate::plan::{Buffer, BufferId, BufferKind, BufferLen, Op, OpKind, Plan, StateEntry};
use crate::schedule;
use crate::validate::{PlanError, ValidPlan};

/// Compiles a checked model and its training settings into a validated
/// Plan. An error here is netc's bug (a Plan the validator refuses),
/// never the model's.
pub fn build_plan(model: &ValidModel, train: &TrainConfig) -> Result<ValidPlan, PlanError> {
    let mut builder = Builder::new(model.model());
    let input = builder.buffer(
        &model.input.name,
        BufferKind::Input,
        BufferLen::PerSample(model.input.width()),
    );
    let mut layers = builder.declare_layers();
    let forward = builder.lower_forward(input, model.output(), &mut layers, train);
    builder.differentiate(&forward, model.output(), train);
    builder.lower_update(train);
    let mut plan = builder.finish(&forward.io, train);
    schedule::pack_activations(&mut plan);
    plan.validate()
}

/// The buffers the executors fill and read around the op lists.
struct Io {
    input: BufferId,
    target: BufferId,
    output: BufferId,
    loss: BufferId,
}

/// The Plan under construction: buffers, `state_dict` entries and the
/// op lists each lowering step appends to.
struct Builder<'m> {
    model: &'m Model,
    buffers: Vec<Buffer>,
    state: Vec<StateEntry>,
    /// Readable name of each node, for buffer names and op origins.
    labels: Vec<String>,
    forward: Vec<Op>,
    cache: Vec<Op>,
    inference: Vec<Op>,
    backward: Vec<Op>,
    update: Vec<Op>,
}

impl<'m> Builder<'m> {
    fn new(model: &'m Model) -> Self {
        Builder {
            model,
            buffers: Vec::new(),
            state: Vec::new(),
            labels: node_labels(model),
            forward: Vec::new(),
            cache: Vec::new(),
            inference: Vec::new(),
            backward: Vec::new(),
            update: Vec::new(),
        }
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

    fn op(kind: OpKind, origin: &str) -> Op {
        Op {
            kind,
            origin: origin.to_string(),
        }
    }

    fn finish(self, io: &Io, train: &TrainConfig) -> Plan {
        let output_width = self.model.output_width();
        Plan {
            model: self.model.name.clone(),
            input_width: self.model.input.width(),
            output_width,
            target_width: train.loss.target_width(output_width),
            batch: train.batch,
            loss: train.loss,
            optimizer: train.optimizer,
            clip_grad_norm: train.clip_grad_norm,
            buffers: self.buffers,
            state: self.state,
            input: io.input,
            target: io.target,
            output: io.output,
            loss_value: io.loss,
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
