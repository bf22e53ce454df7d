//! `state_dict` entries: how each is initialised, and the all-or-nothing
//! checks of `load_state_dict`.

use netc_ops::Init;

use super::Executor;
use crate::init::init_weight;
use crate::network::{TensorData, WeightError};
use crate::rng::Rng;
use crate::TensorRef;

/// What a `state_dict` entry is to the optimizer and to PyTorch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A trainable parameter (`fc1.weight`): it has a gradient.
    Parameter,
    /// A buffer such as `bn1.running_mean`: f32 state, no gradient.
    Buffer,
    /// `num_batches_tracked`: a 0-d int64 tensor.
    Counter,
}

/// A `state_dict` entry's initial value. Executors draw the random ones
/// in `state_dict` order from one stream seeded by the model seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initializer {
    /// [`init_weight`] with these fans.
    Random {
        init: Init,
        fan_in: usize,
        fan_out: usize,
    },
    /// Every element (or the counter) set to this value.
    Fill(f32),
}

/// One `state_dict` entry as an executor declares it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateEntry<'a> {
    /// PyTorch name: `fc1.weight`, `bn1.num_batches_tracked`, ...
    pub name: &'a str,
    /// PyTorch shape: `[out, in]`, `[n]`, or `[]` for the counter.
    pub shape: &'a [usize],
    pub role: Role,
    pub init: Initializer,
}

/// An entry's storage, writable.
pub enum TensorMut<'a> {
    F32(&'a mut [f32]),
    I64(&'a mut i64),
}

pub(super) fn initialise(init: Initializer, tensor: TensorMut<'_>, rng: &mut Rng) {
    match (tensor, init) {
        (TensorMut::I64(counter), Initializer::Fill(value)) => *counter = value as i64,
        (TensorMut::I64(counter), _) => *counter = 0,
        (
            TensorMut::F32(values),
            Initializer::Random {
                init,
                fan_in,
                fan_out,
            },
        ) => init_weight(&init, values, fan_in, fan_out, rng),
        (TensorMut::F32(values), Initializer::Fill(value)) => values.fill(value),
    }
}

/// Finds and checks every entry (in `state_dict` order, then extras)
/// before anything is copied, so an error changes nothing.
pub(super) fn check_all<'t>(
    exec: &impl Executor,
    tensors: &[TensorRef<'t>],
) -> Result<Vec<TensorData<'t>>, WeightError> {
    let mut found = Vec::with_capacity(exec.state_len());
    for index in 0..exec.state_len() {
        found.push(check(&exec.state_entry(index), tensors)?);
    }
    let known = |name: &str| (0..exec.state_len()).any(|i| exec.state_entry(i).name == name);
    if let Some(extra) = tensors.iter().find(|t| !known(t.name)) {
        return Err(WeightError::Unexpected {
            name: extra.name.to_string(),
        });
    }
    Ok(found)
}

/// Finds `entry` among `tensors` and checks its dtype and shape.
fn check<'t>(
    entry: &StateEntry<'_>,
    tensors: &[TensorRef<'t>],
) -> Result<TensorData<'t>, WeightError> {
    let tensor = tensors
        .iter()
        .find(|t| t.name == entry.name)
        .ok_or_else(|| WeightError::Missing {
            name: entry.name.to_string(),
        })?;
    let counter = entry.role == Role::Counter;
    let dtype_mismatch = match (counter, tensor.data) {
        (true, TensorData::F32(_)) => Some(("I64", "F32")),
        (false, TensorData::I64(_)) => Some(("F32", "I64")),
        _ => None,
    };
    if let Some((expected, found)) = dtype_mismatch {
        return Err(WeightError::Dtype {
            name: entry.name.to_string(),
            expected,
            found: found.to_string(),
        });
    }
    let data_len = match tensor.data {
        TensorData::F32(values) => values.len(),
        TensorData::I64(_) => 1,
    };
    let shape_len: usize = tensor.shape.iter().product();
    if tensor.shape != entry.shape || data_len != shape_len {
        let found = if data_len == shape_len {
            tensor.shape.to_vec()
        } else {
            vec![data_len]
        };
        return Err(WeightError::Shape {
            name: entry.name.to_string(),
            expected: entry.shape.to_vec(),
            found,
        });
    }
    Ok(tensor.data)
}

/// Copies a checked tensor into its entry.
pub(super) fn copy(data: TensorData<'_>, tensor: TensorMut<'_>) {
    match (data, tensor) {
        (TensorData::F32(values), TensorMut::F32(dst)) => dst.copy_from_slice(values),
        (TensorData::I64(value), TensorMut::I64(dst)) => *dst = value,
        // `check` matched every dtype to its entry's role.
        _ => {}
    }
}
