//! The interpreter's memory: one cache-aligned f32 buffer per plan
//! buffer, sized once for the plan's batch, plus the i64 counters and the
//! optimizer states.
//!
//! An op needs its outputs `&mut` beside inputs `&` of the same store, so
//! it moves its outputs out of the store ([`Store::take`]: a pointer swap,
//! no allocation) and back afterwards. The validator guarantees an op's
//! outputs never alias its other operands.

use netc_ops::Optimizer;
use netc_runtime::kernels::CacheAligned;
use netc_runtime::optim::ParamState;

use crate::plan::{BufferId, BufferKind, BufferLen, Plan};

#[derive(Clone)]
pub(crate) struct Store {
    data: Vec<CacheAligned>,
    lens: Vec<BufferLen>,
    /// `num_batches_tracked` values, indexed by buffer id (0 elsewhere).
    counters: Vec<i64>,
    /// Optimizer state, indexed by buffer id (empty elsewhere: an empty
    /// state holds no allocation).
    states: Vec<ParamState>,
    /// What a state moved out leaves behind.
    empty_state: ParamState,
}

/// An output buffer moved out of the store while its op runs.
pub(crate) struct Taken {
    id: BufferId,
    buf: CacheAligned,
    len: usize,
}

impl Taken {
    pub(crate) fn slice(&mut self) -> &mut [f32] {
        &mut self.buf[..self.len]
    }
}

/// A counter moved out of the store while its op runs.
pub(crate) struct TakenCounter {
    id: BufferId,
    pub(crate) value: i64,
}

/// An optimizer state moved out of the store while its op runs.
pub(crate) struct TakenState {
    id: BufferId,
    pub(crate) state: ParamState,
}

impl Store {
    pub(crate) fn new(plan: &Plan, optimizer: &Optimizer) -> Store {
        let batch = plan.batch.max(1);
        let mut store = Store {
            data: Vec::with_capacity(plan.buffers.len()),
            lens: plan.buffers.iter().map(|b| b.len).collect(),
            counters: vec![0; plan.buffers.len()],
            states: Vec::with_capacity(plan.buffers.len()),
            empty_state: ParamState::new(0, optimizer),
        };
        for buffer in &plan.buffers {
            let len = buffer.len.elements(batch);
            let (data, state) = match buffer.kind {
                BufferKind::Counter => (CacheAligned::default(), store.empty_state.clone()),
                BufferKind::OptimizerState => {
                    (CacheAligned::default(), ParamState::new(len, optimizer))
                }
                _ => (CacheAligned::zeroed(len), store.empty_state.clone()),
            };
            store.data.push(data);
            store.states.push(state);
        }
        store
    }

    /// Elements of `id` in use for `batch` rows.
    fn len(&self, id: BufferId, batch: usize) -> usize {
        self.lens[id.0].elements(batch)
    }

    pub(crate) fn get(&self, id: BufferId, batch: usize) -> &[f32] {
        &self.data[id.0][..self.len(id, batch)]
    }

    pub(crate) fn get_mut(&mut self, id: BufferId, batch: usize) -> &mut [f32] {
        let len = self.len(id, batch);
        &mut self.data[id.0][..len]
    }

    /// The whole buffer (a parameter, statistic or gradient).
    pub(crate) fn whole(&self, id: BufferId) -> &[f32] {
        &self.data[id.0]
    }

    pub(crate) fn whole_mut(&mut self, id: BufferId) -> &mut [f32] {
        &mut self.data[id.0]
    }

    pub(crate) fn counter(&self, id: BufferId) -> i64 {
        self.counters[id.0]
    }

    pub(crate) fn counter_mut(&mut self, id: BufferId) -> &mut i64 {
        &mut self.counters[id.0]
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

    pub(crate) fn take_counter(&mut self, id: BufferId) -> TakenCounter {
        TakenCounter {
            id,
            value: self.counters[id.0],
        }
    }

    pub(crate) fn restore_counter(&mut self, taken: TakenCounter) {
        self.counters[taken.id.0] = taken.value;
    }

    pub(crate) fn take_state(&mut self, id: BufferId) -> TakenState {
        let state = std::mem::replace(&mut self.states[id.0], self.empty_state.clone());
        TakenState { id, state }
    }

    pub(crate) fn restore_state(&mut self, taken: TakenState) {
        self.states[taken.id.0] = taken.state;
    }
}
