//! Residual connections: the sum forward, the fan-out of its gradient.

use super::Fresh;
use crate::simd::{multiversion, Fma, Isa};

/// `y = a + b`.
pub fn add_forward(a: &[f32], b: &[f32], y: &mut [f32]) {
    debug_assert!(a.len() == y.len() && b.len() == y.len());
    add_forward_with(Isa::detect(), a, b, y);
}

/// `dst += src`, or `dst = 0 + src` when `dst` is `fresh`.
pub fn accumulate(dst: &mut [f32], src: &[f32], fresh: bool) {
    debug_assert_eq!(dst.len(), src.len());
    accumulate_with(Isa::detect(), dst, src, fresh);
}

multiversion! {
    /// [`add_forward`] on a chosen path (tests and benchmarks).
    pub fn add_forward_with(a: &[f32], b: &[f32], y: &mut [f32]) => add_body;
}

multiversion! {
    /// [`accumulate`] on a chosen path (tests and benchmarks).
    pub fn accumulate_with(dst: &mut [f32], src: &[f32], fresh: bool) => accumulate_body;
}

// Generic only so that `multiversion!` can compile it once per ISA.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn add_body<M: Fma>(a: &[f32], b: &[f32], y: &mut [f32]) {
    for ((o, &u), &v) in y.iter_mut().zip(a).zip(b) {
        *o = u + v;
    }
}

// Generic only so that `multiversion!` can compile it once per ISA.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn accumulate_body<M: Fma>(dst: &mut [f32], src: &[f32], fresh: bool) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = Fresh::base(fresh, *d) + s;
    }
}
