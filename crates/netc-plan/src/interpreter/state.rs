//! The `state_dict` view of the interpreter's buffers and its
//! all-or-nothing replacement.

use netc_runtime::{TensorData, TensorRef, WeightError};

use super::store::Store;
use crate::plan::{BufferKind, Plan, StateEntry};

pub(crate) fn state_dict<'a>(plan: &'a Plan, store: &'a Store) -> Vec<TensorRef<'a>> {
    plan.state
        .iter()
        .map(|entry| TensorRef {
            name: &entry.name,
            shape: &entry.shape,
            data: if is_counter(plan, entry) {
                TensorData::I64(store.counters[entry.buffer.0])
            } else {
                TensorData::F32(store.get(entry.buffer, plan.batch))
            },
        })
        .collect()
}

/// Checks every tensor (in `state_dict` order, then extras) before
/// copying any, so an error leaves the store untouched.
pub(crate) fn load_state_dict(
    plan: &Plan,
    store: &mut Store,
    tensors: &[TensorRef<'_>],
) -> Result<(), WeightError> {
    let mut sources = Vec::with_capacity(plan.state.len());
    for entry in &plan.state {
        let tensor = tensors
            .iter()
            .find(|t| t.name == entry.name)
            .ok_or_else(|| WeightError::Missing {
                name: entry.name.clone(),
            })?;
        check(plan, entry, tensor)?;
        sources.push(tensor.data);
    }
    if let Some(extra) = tensors.iter().find(|t| plan.state_entry(t.name).is_none()) {
        return Err(WeightError::Unexpected {
            name: extra.name.to_string(),
        });
    }
    for (entry, source) in plan.state.iter().zip(sources) {
        match source {
            TensorData::I64(value) => store.counters[entry.buffer.0] = value,
            TensorData::F32(values) => store
                .get_mut(entry.buffer, plan.batch)
                .copy_from_slice(values),
        }
    }
    Ok(())
}

fn check(plan: &Plan, entry: &StateEntry, tensor: &TensorRef<'_>) -> Result<(), WeightError> {
    let (expected, found) = match (is_counter(plan, entry), tensor.data) {
        (true, TensorData::I64(_)) | (false, TensorData::F32(_)) => ("", ""),
        (true, TensorData::F32(_)) => ("I64", "F32"),
        (false, TensorData::I64(_)) => ("F32", "I64"),
    };
    if !expected.is_empty() {
        return Err(WeightError::Dtype {
            name: entry.name.clone(),
            expected,
            found: found.to_string(),
        });
    }
    let data_len = match tensor.data {
        TensorData::F32(values) => values.len(),
        TensorData::I64(_) => 1,
    };
    let shape_len: usize = tensor.shape.iter().product();
    if tensor.shape != entry.shape.as_slice() || data_len != shape_len {
        let found = if data_len == shape_len {
            tensor.shape.to_vec()
        } else {
            vec![data_len]
        };
        return Err(WeightError::Shape {
            name: entry.name.clone(),
            expected: entry.shape.clone(),
            found,
        });
    }
    Ok(())
}

fn is_counter(plan: &Plan, entry: &StateEntry) -> bool {
    plan.buffer(entry.buffer).kind == BufferKind::Counter
}
