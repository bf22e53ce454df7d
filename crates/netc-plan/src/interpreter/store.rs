//! The interpreter's memory: one `Vec<f32>` per plan buffer, the i64
//! counters and the optimizer states, sized once for a batch.
//!
//! Kernels need an output `&mut` beside input `&`s of the same store, so an
//! op moves its outputs out of the store ([`Store::take`]: a pointer swap,
//! no allocation) and back afterwards. The scheduler guarantees an op's
//! outputs never alias its inputs.

use netc_ops::Optimizer;
use netc_runtime::optim::{ParamState, StepScalars};

use crate::plan::{BufferId, BufferKind, BufferLen, Plan};

#[derive(Clone)]
pub(crate) struct Store {
    pub(crate) data: Vec<Vec<f32>>,
    lens: Vec<BufferLen>,
    /// `num_batches_tracked` values, indexed by buffer id (0 elsewhere).
    pub(crate) counters: Vec<i64>,
    /// Optimizer state, indexed by buffer id (`None` elsewhere).
    pub(crate) states: Vec<Option<ParamState>>,
    /// The scalars of the latest optimizer step: its first update op
    /// computes them, the other tensors' ops reuse them.
    pub(crate) step_scalars: Option<StepScalars>,
    /// The batch the per-sample buffers currently hold.
    capacity: usize,
}

/// An output buffer moved out of the store while its op runs.
pub(crate) struct Taken {
    id: BufferId,
    buf: Vec<f32>,
    len: usize,
}

impl Taken {
    pub(crate) fn slice(&mut self) -> &mut [f32] {
        &mut self.buf[..self.len]
    }
}

impl Store {
    pub(crate) fn new(plan: &Plan, optimizer: &Optimizer) -> Store {
        let batch = plan.batch.max(1);
        let mut store = Store {
            data: Vec::with_capacity(plan.buffers.len()),
            lens: plan.buffers.iter().map(|b| b.len).collect(),
            counters: vec![0; plan.buffers.len()],
            states: Vec::with_capacity(plan.buffers.len()),
            step_scalars: None,
            capacity: batch,
        };
        for buffer in &plan.buffers {
            let len = buffer.len.elements(batch);
            let (data, state) = match buffer.kind {
                BufferKind::Counter => (Vec::new(), None),
                BufferKind::OptimizerState => (Vec::new(), Some(ParamState::new(len, optimizer))),
                _ => (vec![0.0; len], None),
            };
            store.data.push(data);
            store.states.push(state);
        }
        store
    }

    /// Grows the per-sample buffers for a larger batch (the only
    /// allocation after construction, once per new maximum).
    pub(crate) fn ensure_batch(&mut self, batch: usize) {
        if batch <= self.capacity {
            return;
        }
        for (data, len) in self.data.iter_mut().zip(&self.lens) {
            if let BufferLen::PerSample(width) = len {
                data.resize(width * batch, 0.0);
            }
        }
        self.capacity = batch;
    }

    /// Elements of `id` in use for `batch` rows.
    pub(crate) fn len(&self, id: BufferId, batch: usize) -> usize {
        self.lens[id.0].elements(batch)
    }

    pub(crate) fn get(&self, id: BufferId, batch: usize) -> &[f32] {
        &self.data[id.0][..self.len(id, batch)]
    }

    pub(crate) fn get_mut(&mut self, id: BufferId, batch: usize) -> &mut [f32] {
        let len = self.len(id, batch);
        &mut self.data[id.0][..len]
    }

    pub(crate) fn take(&mut self, id: BufferId, batch: usize) -> Taken {
        Taken {
            id,
            len: self.len(id, batch),
            buf: std::mem::take(&mut self.data[id.0]),
        }
    }

    pub(crate) fn take_opt(&mut self, id: Option<BufferId>, batch: usize) -> Option<Taken> {
        id.map(|id| self.take(id, batch))
    }

    pub(crate) fn restore(&mut self, taken: Taken) {
        self.data[taken.id.0] = taken.buf;
    }

    pub(crate) fn restore_opt(&mut self, taken: Option<Taken>) {
        if let Some(taken) = taken {
            self.restore(taken);
        }
    }
}
