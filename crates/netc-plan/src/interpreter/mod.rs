//! The Plan interpreter: runs a Plan's op lists on the runtime kernels
//! with runtime sizes, and implements `netc_runtime::Network`.

mod exec;
mod init;
mod network;
mod state;
mod store;

use netc_lang::ir::Model;
use netc_ops::{Optimizer, TrainConfig};
use netc_runtime::fixed;
use netc_runtime::rng::Rng;

use crate::plan::{Access, BufferId, BufferKind, Op, OpKind, Plan};
use exec::{execute, Context};
use store::Store;

/// The dropout masks' stream, forked from the model seed so that masks do
/// not depend on how many values the init drew.
const DROPOUT_STREAM: u64 = 1;

/// The phase of an op, for non-finite reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Forward,
    Backward,
    Update,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Forward => "forward",
            Phase::Backward => "backward",
            Phase::Update => "update",
        }
    }
}

pub struct Interpreter {
    plan: Plan,
    store: Store,
    /// The plan's optimizer with the current learning rate.
    optimizer: Optimizer,
    /// Optimizer steps taken so far.
    step: u64,
    dropout: Rng,
    /// Rows of the last `train_step`'s batch.
    last_batch: usize,
    /// The first op of the last `train_step` that wrote a non-finite value.
    first_non_finite: Option<(Phase, usize)>,
    /// Per train phase, per op: the buffers its non-finite check scans
    /// (resolved once, not per op per step).
    checked: [Vec<Vec<BufferId>>; 3],
}

impl Interpreter {
    /// Buffers sized for the plan's batch, parameters initialised from
    /// `seed` with the model's inits.
    pub fn new(plan: Plan, seed: u64) -> Interpreter {
        let optimizer = plan.optimizer;
        let mut store = Store::new(&plan, &optimizer);
        init::initialise(&plan, &mut store, &mut Rng::seed_from_u64(seed));
        let checked = [&plan.forward, &plan.backward, &plan.update]
            .map(|ops| ops.iter().map(|op| checked_outputs(&plan, op)).collect());
        Interpreter {
            checked,
            store,
            optimizer,
            step: 0,
            dropout: Rng::seed_from_u64(seed).fork(DROPOUT_STREAM),
            last_batch: 0,
            first_non_finite: None,
            plan,
        }
    }

    pub fn from_model(model: &Model, train: &TrainConfig, seed: u64) -> Interpreter {
        Interpreter::new(crate::build_plan(model, train), seed)
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The train-mode forward output of the last `train_step`,
    /// `[batch, output_width]`.
    pub fn last_output(&self) -> &[f32] {
        self.store.get(self.plan.output, self.last_batch)
    }

    /// Optimizer steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Rows in `x`, which must be whole rows of the input width.
    fn rows(&self, x: &[f32]) -> usize {
        let width = self.plan.input_width;
        assert!(
            width > 0 && x.len().is_multiple_of(width),
            "input of {} values is not whole rows of {width}",
            x.len()
        );
        x.len() / width
    }

    fn train(&mut self, x: &[f32], y: &[f32]) -> f32 {
        let batch = self.rows(x);
        assert_eq!(
            y.len(),
            batch * self.plan.target_width,
            "targets must be {} values per row",
            self.plan.target_width
        );
        self.store.ensure_batch(batch);
        self.last_batch = batch;
        self.store
            .get_mut(self.plan.input, batch)
            .copy_from_slice(x);
        self.store
            .get_mut(self.plan.target, batch)
            .copy_from_slice(y);
        self.first_non_finite = None;
        self.run(Phase::Forward, batch);
        let loss = self.store.get(self.plan.loss_value, batch)[0];
        self.run(Phase::Backward, batch);
        self.step += 1;
        self.run(Phase::Update, batch);
        loss
    }

    fn infer(&mut self, x: &[f32], out: &mut [f32]) {
        let batch = self.rows(x);
        assert_eq!(
            out.len(),
            batch * self.plan.output_width,
            "output must be {} values per row",
            self.plan.output_width
        );
        self.store.ensure_batch(batch);
        self.store
            .get_mut(self.plan.input, batch)
            .copy_from_slice(x);
        let mut cx = Context {
            batch,
            optimizer: &self.optimizer,
            step: self.step,
            dropout: &mut self.dropout,
        };
        for op in &self.plan.inference {
            execute(&op.kind, &mut self.store, &mut cx);
        }
        out.copy_from_slice(self.store.get(self.plan.output, batch));
    }

    /// Runs one op list, noting the first op that wrote a non-finite value.
    fn run(&mut self, phase: Phase, batch: usize) {
        let ops: &[Op] = match phase {
            Phase::Forward => &self.plan.forward,
            Phase::Backward => &self.plan.backward,
            Phase::Update => &self.plan.update,
        };
        let mut cx = Context {
            batch,
            optimizer: &self.optimizer,
            step: self.step,
            dropout: &mut self.dropout,
        };
        let checked = &self.checked[phase as usize];
        for (index, (op, outputs)) in ops.iter().zip(checked).enumerate() {
            execute(&op.kind, &mut self.store, &mut cx);
            if self.first_non_finite.is_none()
                && !outputs
                    .iter()
                    .all(|&id| fixed::all_finite(&[self.store.get(id, batch)]))
            {
                self.first_non_finite = Some((phase, index));
            }
        }
    }
}

/// The f32 buffers `op` writes, counters and optimizer states excluded:
/// the ones checked for non-finite values after it runs.
fn checked_outputs(plan: &Plan, op: &Op) -> Vec<BufferId> {
    let mut checked = Vec::new();
    // A zeroed buffer is finite by construction.
    if matches!(op.kind, OpKind::Zero { .. }) {
        return checked;
    }
    op.kind.for_each_buffer(|id, access| {
        let kind = plan.buffer(id).kind;
        if access == Access::Write
            && !matches!(kind, BufferKind::Counter | BufferKind::OptimizerState)
        {
            checked.push(id);
        }
    });
    checked
}
