//! Buffer scheduling: packs the virtual activation buffers (forward values
//! and value gradients) into a few pooled buffers by liveness.
//!
//! A value lives from the first op that touches it (always a write: a
//! forward op, a `Zero` or the loss gradient) to the last op that reads
//! it, over the training schedule `forward ++ backward`. Backward ops read
//! the forward values they need (linear inputs, activation inputs and
//! outputs), so those stay live until then. The inference ops touch the
//! same values in the same order, so the same packing serves them.
//! Only buffers of equal per-sample width share storage: the kernels
//! check exact slice lengths.

use std::collections::HashMap;

use crate::plan::{Buffer, BufferId, BufferKind, BufferLen, Plan};

pub(crate) fn pack_activations(plan: &mut Plan) {
    let intervals = live_intervals(plan);
    let virtual_count = plan.buffers.len();

    // Linear scan: at each op, allocate what starts there, then release
    // what ends there, so an op's outputs never share its inputs' storage.
    let mut starts: HashMap<usize, Vec<BufferId>> = HashMap::new();
    let mut ends: HashMap<usize, Vec<BufferId>> = HashMap::new();
    for (id, interval) in intervals.iter().enumerate() {
        if let Some((first, last)) = *interval {
            starts.entry(first).or_default().push(BufferId(id));
            ends.entry(last).or_default().push(BufferId(id));
        }
    }
    let op_count = plan.forward.len() + plan.backward.len();
    let mut pool: Vec<usize> = Vec::new(); // per-sample width of each slot
    let mut free: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut slot_of = vec![usize::MAX; virtual_count];
    for op in 0..op_count {
        for id in starts.get(&op).into_iter().flatten() {
            let width = per_sample_width(&plan.buffers[id.0]);
            let slot = match free.get_mut(&width).and_then(Vec::pop) {
                Some(slot) => slot,
                None => {
                    pool.push(width);
                    pool.len() - 1
                }
            };
            slot_of[id.0] = slot;
        }
        for id in ends.get(&op).into_iter().flatten() {
            let slot = slot_of[id.0];
            free.entry(pool[slot]).or_default().push(slot);
        }
    }

    // Renumber: kept buffers first (in declaration order), then the pool.
    let mut new_id = vec![BufferId(usize::MAX); virtual_count];
    let mut buffers: Vec<Buffer> = Vec::new();
    for (id, buffer) in plan.buffers.iter().enumerate() {
        if buffer.kind != BufferKind::Activation {
            new_id[id] = BufferId(buffers.len());
            buffers.push(buffer.clone());
        }
    }
    let pool_base = buffers.len();
    for (slot, width) in pool.iter().enumerate() {
        buffers.push(Buffer {
            name: format!("act{slot}"),
            kind: BufferKind::Activation,
            len: BufferLen::PerSample(*width),
        });
    }
    for (id, buffer) in plan.buffers.iter().enumerate() {
        if buffer.kind == BufferKind::Activation && slot_of[id] != usize::MAX {
            new_id[id] = BufferId(pool_base + slot_of[id]);
        }
    }

    let map = |id: BufferId| new_id[id.0];
    for op in plan.all_ops_mut() {
        op.kind.for_each_buffer_mut(|id, _| *id = map(*id));
    }
    for entry in &mut plan.state {
        entry.buffer = map(entry.buffer);
        entry.grad = entry.grad.map(map);
    }
    plan.input = map(plan.input);
    plan.target = map(plan.target);
    plan.output = map(plan.output);
    plan.loss_value = map(plan.loss_value);
    plan.buffers = buffers;
}

/// `(first op, last op)` over `forward ++ backward` of every activation
/// buffer an op touches.
fn live_intervals(plan: &Plan) -> Vec<Option<(usize, usize)>> {
    let mut intervals: Vec<Option<(usize, usize)>> = vec![None; plan.buffers.len()];
    for (index, op) in plan.forward.iter().chain(&plan.backward).enumerate() {
        op.kind.for_each_buffer(|id, _| {
            if plan.buffers[id.0].kind == BufferKind::Activation {
                let interval = intervals[id.0].get_or_insert((index, index));
                interval.1 = index;
            }
        });
    }
    intervals
}

fn per_sample_width(buffer: &Buffer) -> usize {
    match buffer.len {
        BufferLen::PerSample(width) | BufferLen::Fixed(width) => width,
    }
}
