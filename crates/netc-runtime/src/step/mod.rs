//! The step driver: the one implementation of the [`Network`] contract.
//!
//! An executor (the Plan interpreter, or a type `netc::model!`
//! generated) owns buffers and runs a Plan's op lists through
//! [`crate::ops`]; it implements [`Executor`] and nothing else. Every
//! rule about a step lives here, once, for both: which batches are
//! refused and why ([`BatchError`]), the order of a train step (inputs
//! in, forward, the non-finite probe after a non-finite loss, backward,
//! the step's optimizer scalars, update), the dropout stream, when the
//! inference cache is stale, how parameters are initialised
//! ([`StateEntry`] in `state_dict` order from one stream), and
//! `load_state_dict`'s checks and errors.

mod batch;
mod state_dict;

use netc_ops::{Loss, Optimizer};

pub use state_dict::{Initializer, Role, StateEntry, TensorMut};

use crate::network::{BatchError, Network, NonFinite, TensorData, TensorRef, WeightError};
use crate::optim::StepScalars;
use crate::parallel::{self, Threads};
use crate::rng::Rng;

/// The dropout masks' stream, forked from the model seed so that masks do
/// not depend on how many values the init drew.
const DROPOUT_STREAM: u64 = 1;

/// What a step carries besides the buffers: owned by each executor, read
/// and written by its ops (the dropout stream, the step's scalars) and by
/// the driver.
#[derive(Debug, Clone)]
pub struct StepState {
    /// The model's optimizer with the current learning rate.
    pub optimizer: Optimizer,
    /// Optimizer steps taken so far.
    pub step: u64,
    /// The scalars of the current (or last) optimizer step, which the
    /// update phase's ops read.
    pub scalars: StepScalars,
    /// The dropout masks' stream.
    pub dropout: Rng,
    /// After a step with a non-finite loss: the first forward op whose
    /// output went non-finite.
    pub non_finite_at: Option<usize>,
    /// Whether the inference cache may lag behind the weights or the
    /// running statistics.
    pub cache_stale: bool,
    /// The threads the ops of a step or a prediction split over.
    pub threads: Threads,
}

impl StepState {
    pub fn new(optimizer: Optimizer, seed: u64) -> StepState {
        StepState {
            optimizer,
            step: 0,
            scalars: StepScalars::for_step(&optimizer, 1, None),
            dropout: Rng::seed_from_u64(seed).fork(DROPOUT_STREAM),
            non_finite_at: None,
            cache_stale: true,
            threads: Threads::default(),
        }
    }
}

/// Widths of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Widths {
    pub input: usize,
    pub output: usize,
    /// Target values per sample (1 for cross_entropy's class index).
    pub target: usize,
}

/// What an executor provides: buffers and its op lists. Everything else
/// of [`Network`] is the driver's.
pub trait Executor {
    fn widths(&self) -> Widths;
    /// The most rows one step or one inference chunk runs (the buffers'
    /// size: the train block's batch).
    fn max_batch(&self) -> usize;
    fn loss_kind(&self) -> Loss;
    fn step_state(&self) -> &StepState;
    fn step_state_mut(&mut self) -> &mut StepState;

    /// Entries of the `state_dict`, in PyTorch's order.
    fn state_len(&self) -> usize;
    fn state_entry(&self, index: usize) -> StateEntry<'_>;
    fn tensor(&self, index: usize) -> TensorData<'_>;
    fn tensor_mut(&mut self, index: usize) -> TensorMut<'_>;
    /// The gradient of a parameter entry from the last step.
    fn gradient(&self, index: usize) -> Option<&[f32]>;

    /// Copies `rows` rows of inputs (and of targets, for a train step)
    /// into the input buffers.
    fn load_rows(&mut self, x: &[f32], y: Option<&[f32]>, rows: usize);
    /// The train-mode forward (its last op writes the loss), backward and
    /// update op lists.
    fn forward(&mut self, rows: usize);
    fn backward(&mut self, rows: usize);
    fn update(&mut self, rows: usize);
    /// The loss the last forward wrote.
    fn loss_value(&self) -> f32;
    /// Replays the last step's forward on a copy of the buffers with the
    /// step's dropout stream `masks`, checking every op's outputs; the
    /// index of the first op that wrote a non-finite value.
    fn probe_forward(&self, masks: Rng, rows: usize) -> Option<usize>;
    /// The model element a forward op comes from (`fc2`, `loss`).
    fn forward_origin(&self, op: usize) -> &str;
    /// Whether the train-mode forward draws dropout masks.
    fn draws_masks(&self) -> bool;

    /// Rebuilds the inference cache from the weights and statistics.
    fn refresh_cache(&mut self);
    /// The eval-mode forward over the loaded rows (reads the cache).
    fn inference(&mut self, rows: usize);
    /// The forward output of the last `rows` rows run.
    fn output(&self, rows: usize) -> &[f32];
}

/// Every `state_dict` entry in order, drawn from one stream seeded by
/// `seed`: what a new executor calls once its buffers exist.
pub fn initialise(exec: &mut impl Executor, seed: u64) {
    let mut rng = Rng::seed_from_u64(seed);
    for index in 0..exec.state_len() {
        let init = exec.state_entry(index).init;
        state_dict::initialise(init, exec.tensor_mut(index), &mut rng);
    }
    exec.step_state_mut().cache_stale = true;
}

/// One train step: the driver's protocol, written once for every
/// executor.
fn train<E: Executor>(exec: &mut E, x: &[f32], y: &[f32]) -> Result<f32, BatchError> {
    let rows = batch::train_rows(exec.widths(), exec.max_batch(), x, y)?;
    let masks = exec
        .draws_masks()
        .then(|| exec.step_state().dropout.clone());
    {
        let state = exec.step_state_mut();
        state.non_finite_at = None;
        // The step changes parameters and running statistics.
        state.cache_stale = true;
    }
    let loss = on_pool(exec, |exec| {
        exec.load_rows(x, Some(y), rows);
        exec.forward(rows);
        let loss = exec.loss_value();
        if !loss.is_finite() {
            let masks = masks.unwrap_or_else(|| exec.step_state().dropout.clone());
            let at = exec.probe_forward(masks, rows);
            exec.step_state_mut().non_finite_at = at;
        }
        exec.backward(rows);
        let state = exec.step_state_mut();
        state.step += 1;
        state.scalars = StepScalars::for_step(&state.optimizer, state.step, Some(&state.scalars));
        exec.update(rows);
        loss
    });
    Ok(loss)
}

/// Eval-mode forward of any number of rows, in chunks of `max_batch`.
fn predict<E: Executor>(exec: &mut E, x: &[f32], out: &mut [f32]) -> Result<(), BatchError> {
    let widths = exec.widths();
    let rows = batch::predict_rows(widths, x, out)?;
    if rows == 0 {
        return Ok(());
    }
    on_pool(exec, |exec| infer(exec, widths, rows, x, out));
    Ok(())
}

/// `f(exec)` with the network's pool lent out of its `Threads` and
/// installed for the ops `f` runs, then handed back.
fn on_pool<E: Executor, R>(exec: &mut E, f: impl FnOnce(&mut E) -> R) -> R {
    let mut pool = exec.step_state_mut().threads.lend();
    let result = parallel::install(&mut pool, || f(exec));
    exec.step_state_mut().threads.give_back(pool);
    result
}

/// [`predict`]'s chunks of at most `max_batch` rows, once the input is
/// checked.
fn infer<E: Executor>(exec: &mut E, widths: Widths, rows: usize, x: &[f32], out: &mut [f32]) {
    if exec.step_state().cache_stale {
        exec.refresh_cache();
        exec.step_state_mut().cache_stale = false;
    }
    let chunk = exec.max_batch();
    for start in (0..rows).step_by(chunk) {
        let n = chunk.min(rows - start);
        let xs = &x[start * widths.input..(start + n) * widths.input];
        exec.load_rows(xs, None, n);
        exec.inference(n);
        out[start * widths.output..(start + n) * widths.output].copy_from_slice(exec.output(n));
    }
}

fn find(exec: &impl Executor, name: &str, role: Role) -> Option<usize> {
    (0..exec.state_len()).find(|&i| {
        let entry = exec.state_entry(i);
        entry.name == name && entry.role == role
    })
}

impl<E: Executor> Network for E {
    fn input_width(&self) -> usize {
        self.widths().input
    }

    fn output_width(&self) -> usize {
        self.widths().output
    }

    fn target_width(&self) -> usize {
        self.widths().target
    }

    fn max_batch(&self) -> usize {
        Executor::max_batch(self)
    }

    fn try_train_step(&mut self, x: &[f32], y: &[f32]) -> Result<f32, BatchError> {
        train(self, x, y)
    }

    fn try_predict(&mut self, x: &[f32], out: &mut [f32]) -> Result<(), BatchError> {
        predict(self, x, out)
    }

    fn loss(&self, out: &[f32], y: &[f32]) -> f32 {
        let width = self.widths().output;
        let batch = out.len() / width.max(1);
        crate::loss::loss_forward(&self.loss_kind(), out, y, batch, width)
    }

    fn learning_rate(&self) -> f64 {
        self.step_state().optimizer.lr()
    }

    fn set_learning_rate(&mut self, lr: f64) {
        let state = self.step_state_mut();
        state.optimizer = state.optimizer.with_lr(lr);
    }

    fn state_dict(&self) -> Vec<TensorRef<'_>> {
        (0..self.state_len())
            .map(|i| {
                let entry = self.state_entry(i);
                TensorRef {
                    name: entry.name,
                    shape: entry.shape,
                    data: self.tensor(i),
                }
            })
            .collect()
    }

    fn load_state_dict(&mut self, tensors: &[TensorRef<'_>]) -> Result<(), WeightError> {
        let found = state_dict::check_all(self, tensors)?;
        for (index, data) in found.into_iter().enumerate() {
            state_dict::copy(data, self.tensor_mut(index));
        }
        self.step_state_mut().cache_stale = true;
        Ok(())
    }

    fn parameter(&self, name: &str) -> Option<&[f32]> {
        match self.tensor(find(self, name, Role::Parameter)?) {
            TensorData::F32(values) => Some(values),
            TensorData::I64(_) => None,
        }
    }

    fn parameter_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        let index = find(self, name, Role::Parameter)?;
        // The caller may change the weights through the borrow.
        self.step_state_mut().cache_stale = true;
        match self.tensor_mut(index) {
            TensorMut::F32(values) => Some(values),
            TensorMut::I64(_) => None,
        }
    }

    fn gradient(&self, name: &str) -> Option<&[f32]> {
        Executor::gradient(self, find(self, name, Role::Parameter)?)
    }

    fn parameter_names(&self) -> Vec<&str> {
        (0..self.state_len())
            .map(|i| self.state_entry(i))
            .filter(|e| e.role == Role::Parameter)
            .map(|e| e.name)
            .collect()
    }

    fn first_non_finite(&self) -> Option<NonFinite> {
        let index = self.step_state().non_finite_at?;
        Some(NonFinite {
            location: self.forward_origin(index).to_string(),
        })
    }

    fn threads(&self) -> usize {
        self.step_state().threads.count()
    }

    fn set_threads(&mut self, threads: usize) {
        if threads.max(1) != self.step_state().threads.count() {
            self.step_state_mut().threads = Threads::new(threads);
        }
    }
}
