//! The Plan interpreter: runs a Plan's op lists through
//! `netc_runtime::ops` with runtime widths. It implements
//! `netc_runtime::Executor` (buffers and op lists); the runtime's step
//! driver turns that into `netc_runtime::Network`, as it does for
//! generated code.

mod exec;
mod store;

use netc_lang::ValidModel;
use netc_ops::{Loss, TrainConfig};
use netc_runtime::kernels::all_finite;
use netc_runtime::parallel;
use netc_runtime::rng::Rng;
use netc_runtime::step::{self, Role, StateEntry, TensorMut, Widths};
use netc_runtime::{Executor, StepState, TensorData};

use crate::plan::{BufferId, BufferKind, Op, Plan};
use crate::validate::{PlanError, ValidPlan};
use exec::{execute, Context};
use store::Store;

#[derive(Clone)]
pub struct Interpreter {
    plan: Plan,
    store: Store,
    state: StepState,
    /// Per forward op: the buffers the non-finite probe scans after it
    /// (resolved once, not per probe).
    checked: Vec<Vec<BufferId>>,
    /// `plan.forward_draws_masks()`, read on every step.
    draws_masks: bool,
    /// Rows of the last `train_step`'s batch.
    last_batch: usize,
}

impl Interpreter {
    /// Buffers sized for the plan's batch, parameters initialised from
    /// `seed` with the model's inits.
    pub fn new(plan: ValidPlan, seed: u64) -> Interpreter {
        let plan = plan.into_plan();
        let checked = plan
            .forward
            .iter()
            .map(|op| plan.checked_outputs(&op.kind))
            .collect();
        let mut net = Interpreter {
            store: Store::new(&plan, &plan.optimizer),
            state: StepState::new(plan.optimizer, seed),
            draws_masks: plan.forward_draws_masks(),
            checked,
            last_batch: 0,
            plan,
        };
        step::initialise(&mut net, seed);
        net
    }

    /// [`crate::build_plan`] and [`Interpreter::new`] in one.
    pub fn from_model(
        model: &ValidModel,
        train: &TrainConfig,
        seed: u64,
    ) -> Result<Interpreter, PlanError> {
        Ok(Interpreter::new(crate::build_plan(model, train)?, seed))
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
        self.state.step
    }

    fn run(&mut self, ops: fn(&Plan) -> &[Op], rows: usize) {
        let mut cx = Context {
            batch: rows,
            dropout: &mut self.state.dropout,
            scalars: &self.state.scalars,
        };
        for op in ops(&self.plan) {
            execute(&op.kind, &mut self.store, &mut cx);
        }
    }
}

impl Executor for Interpreter {
    fn widths(&self) -> Widths {
        Widths {
            input: self.plan.input_width,
            output: self.plan.output_width,
            target: self.plan.target_width,
        }
    }

    fn max_batch(&self) -> usize {
        self.plan.batch.max(1)
    }

    fn loss_kind(&self) -> Loss {
        self.plan.loss
    }

    fn step_state(&self) -> &StepState {
        &self.state
    }

    fn step_state_mut(&mut self) -> &mut StepState {
        &mut self.state
    }

    fn state_len(&self) -> usize {
        self.plan.state.len()
    }

    fn state_entry(&self, index: usize) -> StateEntry<'_> {
        let entry = &self.plan.state[index];
        let role = if self.plan.buffer(entry.buffer).kind == BufferKind::Counter {
            Role::Counter
        } else if entry.is_parameter() {
            Role::Parameter
        } else {
            Role::Buffer
        };
        StateEntry {
            name: &entry.name,
            shape: &entry.shape,
            role,
            init: entry.init,
        }
    }

    fn tensor(&self, index: usize) -> TensorData<'_> {
        let id = self.plan.state[index].buffer;
        match self.plan.buffer(id).kind {
            BufferKind::Counter => TensorData::I64(self.store.counter(id)),
            _ => TensorData::F32(self.store.whole(id)),
        }
    }

    fn tensor_mut(&mut self, index: usize) -> TensorMut<'_> {
        let id = self.plan.state[index].buffer;
        match self.plan.buffer(id).kind {
            BufferKind::Counter => TensorMut::I64(self.store.counter_mut(id)),
            _ => TensorMut::F32(self.store.whole_mut(id)),
        }
    }

    fn gradient(&self, index: usize) -> Option<&[f32]> {
        Some(self.store.whole(self.plan.state[index].grad?))
    }

    fn load_rows(&mut self, x: &[f32], y: Option<&[f32]>, rows: usize) {
        parallel::copy(self.store.get_mut(self.plan.input, rows), x);
        if let Some(y) = y {
            parallel::copy(self.store.get_mut(self.plan.target, rows), y);
            self.last_batch = rows;
        }
    }

    fn forward(&mut self, rows: usize) {
        self.run(|plan| &plan.forward, rows);
    }

    fn backward(&mut self, rows: usize) {
        self.run(|plan| &plan.backward, rows);
    }

    fn update(&mut self, rows: usize) {
        self.run(|plan| &plan.update, rows);
    }

    fn loss_value(&self) -> f32 {
        self.store.get(self.plan.loss_value, 1)[0]
    }

    fn probe_forward(&self, masks: Rng, rows: usize) -> Option<usize> {
        let mut store = self.store.clone();
        let mut dropout = masks;
        let mut cx = Context {
            batch: rows,
            dropout: &mut dropout,
            scalars: &self.state.scalars,
        };
        self.plan
            .forward
            .iter()
            .zip(&self.checked)
            .position(|(op, outputs)| {
                execute(&op.kind, &mut store, &mut cx);
                !outputs.iter().all(|&id| all_finite(&[store.get(id, rows)]))
            })
    }

    fn forward_origin(&self, op: usize) -> &str {
        &self.plan.forward[op].origin
    }

    fn draws_masks(&self) -> bool {
        self.draws_masks
    }

    fn refresh_cache(&mut self) {
        let rows = self.max_batch();
        self.run(|plan| &plan.cache, rows);
    }

    fn inference(&mut self, rows: usize) {
        self.run(|plan| &plan.inference, rows);
    }

    fn output(&self, rows: usize) -> &[f32] {
        self.store.get(self.plan.output, rows)
    }
}
