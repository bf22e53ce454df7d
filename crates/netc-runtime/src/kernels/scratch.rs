//! Per-thread scratch for the kernels that need a buffer of their own
//! (a copy of an operand, values kept between the halves of a split op):
//! each lives in a `thread_local!` `Vec` that grows to the largest size
//! its thread has seen, so a step allocates nothing once warm.

/// The first `len` floats of a per-thread scratch, grown to them when it
/// is shorter (once per thread and size).
pub(crate) fn grown(scratch: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if scratch.len() < len {
        scratch.resize(len, 0.0);
    }
    &mut scratch[..len]
}
