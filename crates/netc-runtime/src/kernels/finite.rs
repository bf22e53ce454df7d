//! Whether a step's values stayed finite: the non-finite probe's scan.

use crate::simd::{multiversion, Fma, Isa};

/// Whether every value of every slice is finite. The non-finite probe
/// checks all outputs of an op with one call, after every op; so this
/// runs on the best ISA, once per op, and without an early exit (which
/// would stop it vectorising).
pub fn all_finite(slices: &[&[f32]]) -> bool {
    all_finite_with(Isa::detect(), slices)
}

multiversion! {
    pub fn all_finite_with(slices: &[&[f32]]) -> bool => all_finite_slices;
}

#[inline(always)]
fn all_finite_slices<M: Fma>(slices: &[&[f32]]) -> bool {
    // A plain loop, not `fold`: a closure does not inherit the caller's
    // target features, and `mul_add` outside them is a libm call.
    let mut all = true;
    for values in slices {
        all &= all_finite_body::<M>(values);
    }
    all
}

/// A value is non-finite exactly when its magnitude bits reach the
/// exponent's all-ones pattern. An unsigned max of `bits & 0x7fff_ffff`
/// is an integer reduction, which LLVM vectorises and interleaves by
/// itself (one-cycle max, no FMA latency chain, no early exit). Written as
/// a plain loop on purpose: with hand-made lane arrays LLVM vectorises
/// across the arrays instead, with gathers.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn all_finite_body<M: Fma>(values: &[f32]) -> bool {
    const MAGNITUDE: u32 = 0x7fff_ffff;
    const INFINITY: u32 = 0x7f80_0000;
    let mut top = 0u32;
    for &v in values {
        top = top.max(v.to_bits() & MAGNITUDE);
    }
    top < INFINITY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_finite_sees_every_non_finite_kind() {
        let good = [0.0, -1.0, f32::MAX, f32::MIN_POSITIVE];
        assert!(all_finite(&[&good, &[], &[2.0; 40]]));
        for isa in Isa::available() {
            assert!(all_finite_with(isa, &[&good, &[-f32::MAX; 70]]));
            for bad in [f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                // In the vector part and in the tail of a later slice.
                for at in [3, 33, 68] {
                    let mut values = vec![1.0; 69];
                    values[at] = bad;
                    let what = format!("{bad} at {at} on {}", isa.name());
                    assert!(!all_finite_with(isa, &[&good, &values]), "{what}");
                }
            }
        }
    }
}
