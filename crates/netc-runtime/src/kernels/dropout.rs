//! Inverted dropout: kept units are scaled by 1/(1−p) at training time so
//! eval mode is the identity, as `nn.Dropout`.

use super::Fresh;
use crate::rng::Rng;
use crate::simd::{multiversion, Fma, Isa};

/// Draws `mask` (each entry 0 with probability `p`, else 1/(1−p)) and sets
/// `y = x·mask`. `p == 0` keeps everything (mask all 1, no draws);
/// `p ≥ 1` drops everything, as PyTorch.
pub fn dropout_forward(x: &[f32], y: &mut [f32], mask: &mut [f32], p: f32, rng: &mut Rng) {
    dropout_forward_with(Isa::detect(), x, y, mask, p, rng);
}

/// [`dropout_forward`] on a chosen path (tests and benchmarks).
pub fn dropout_forward_with(
    isa: Isa,
    x: &[f32],
    y: &mut [f32],
    mask: &mut [f32],
    p: f32,
    rng: &mut Rng,
) {
    debug_assert!(x.len() == y.len() && mask.len() == x.len());
    if p <= 0.0 {
        mask.fill(1.0);
        y.copy_from_slice(x);
        return;
    }
    if p >= 1.0 {
        mask.fill(0.0);
        y.fill(0.0);
        return;
    }
    let keep = 1.0 - p;
    let scale = 1.0 / keep;
    for m in mask.iter_mut() {
        *m = if rng.next_f32_uniform() < keep {
            scale
        } else {
            0.0
        };
    }
    mul_with(isa, x, mask, y);
}

/// `dx (+)= dy·mask`, overwritten when `fresh`.
pub fn dropout_backward(dy: &[f32], mask: &[f32], dx: &mut [f32], fresh: bool) {
    debug_assert!(dy.len() == mask.len() && dx.len() == dy.len());
    dropout_backward_with(Isa::detect(), dy, mask, dx, fresh);
}

multiversion! {
    fn mul_with(a: &[f32], b: &[f32], y: &mut [f32]) => mul_body;
}

multiversion! {
    /// [`dropout_backward`] on a chosen path (tests and benchmarks).
    pub fn dropout_backward_with(dy: &[f32], mask: &[f32], dx: &mut [f32], fresh: bool)
        => backward_body;
}

// Generic only so that `multiversion!` can compile it once per ISA.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn mul_body<M: Fma>(a: &[f32], b: &[f32], y: &mut [f32]) {
    for ((o, &u), &v) in y.iter_mut().zip(a).zip(b) {
        *o = u * v;
    }
}

#[inline(always)]
fn backward_body<M: Fma>(dy: &[f32], mask: &[f32], dx: &mut [f32], fresh: bool) {
    for ((d, &g), &m) in dx.iter_mut().zip(dy).zip(mask) {
        *d = M::mul_add(g, m, Fresh::base(fresh, *d));
    }
}
