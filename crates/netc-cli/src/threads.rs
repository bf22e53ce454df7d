//! The thread count `train` and `predict` run on: `--threads`, else a
//! valid `NETC_NUM_THREADS`, else the runtime's default (every core).

use netc_runtime::parallel::{env_threads, MAX_PARTS, THREADS_ENV};

use crate::failure::Failure;

/// The count to set on the network, if any. A `NETC_NUM_THREADS` that is
/// not a thread count is a usage error, as the same value of `--threads`
/// is, rather than being passed over in silence.
pub fn requested(flag: Option<u64>) -> Result<Option<usize>, Failure> {
    if let Some(count) = flag {
        return Ok(Some(count as usize));
    }
    env_threads().map_err(|value| {
        Failure::usage(format!(
            "{THREADS_ENV} is `{value}`, not a thread count in 1..={MAX_PARTS}; \
             set it to one, unset it, or pass --threads N"
        ))
    })
}
