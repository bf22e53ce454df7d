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

use crate::plan::{BufferId, Op, Plan};
use exec::{execute, Context};
use store::Store;

/// The dropout masks' stream, forked from the model seed so that masks do
/// not depend on how many values the init drew.
const DROPOUT_STREAM: u64 = 1;

/// The op lists of a train step.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Forward,
    Backward,
    Update,
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
    /// The forward op that first wrote a non-finite value in the last
    /// `train_step`, found only when its loss was not finite.
    first_non_finite: Option<usize>,
    /// Per forward op: the buffers the non-finite probe scans after it
    /// (resolved once, not per probe).
    checked: Vec<Vec<BufferId>>,
    /// `plan.forward_draws_masks()`, read on every step.
    draws_masks: bool,
}

impl Interpreter {
    /// Buffers sized for the plan's batch, parameters initialised from
    /// `seed` with the model's inits.
    pub fn new(plan: Plan, seed: u64) -> Interpreter {
        let optimizer = plan.optimizer;
        let mut store = Store::new(&plan, &optimizer);
        init::initialise(&plan, &mut store, &mut Rng::seed_from_u64(seed));
        let checked = plan
            .forward
            .iter()
            .map(|op| plan.checked_outputs(&op.kind))
            .collect();
        Interpreter {
            draws_masks: plan.forward_draws_masks(),
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
        let masks = self.draws_masks.then(|| self.dropout.clone());
        self.run(Phase::Forward, batch);
        let loss = self.store.get(self.plan.loss_value, batch)[0];
        if !loss.is_finite() {
            self.first_non_finite = self.probe_non_finite(masks, batch);
        }
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
        for op in ops {
            execute(&op.kind, &mut self.store, &mut cx);
        }
    }

    /// Replays the step's forward on a copy of the buffers with every op's
    /// output checked, after a non-finite loss: the step itself runs
    /// without checks, and the copy leaves the state (running statistics,
    /// parameters) as the step left it. Allocates, but only on this
    /// failure path. `masks` is the dropout stream as the step began.
    fn probe_non_finite(&self, masks: Option<Rng>, batch: usize) -> Option<usize> {
        let mut store = self.store.clone();
        let mut dropout = masks.unwrap_or_else(|| self.dropout.clone());
        let mut cx = Context {
            batch,
            optimizer: &self.optimizer,
            step: self.step,
            dropout: &mut dropout,
        };
        self.plan
            .forward
            .iter()
            .zip(&self.checked)
            .position(|(op, outputs)| {
                execute(&op.kind, &mut store, &mut cx);
                !outputs
                    .iter()
                    .all(|&id| fixed::all_finite(&[store.get(id, batch)]))
            })
    }
}
