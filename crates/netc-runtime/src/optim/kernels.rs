//! The optimizers' vector loops, one parameter tensor at a time.
//!
//! Plain element loops: LLVM vectorises them one vector per iteration (16
//! lanes on AVX-512) with a 4-lane epilogue, so a tensor of 16 runs as one
//! vector and one of 8 as two. Hand-chunked variants measured slower:
//! a loop over 16-lane arrays gets vectorised *across* chunks with
//! gathers, and a zero-padded tail costs a `memcpy` call per operand,
//! more than the few scalar lanes it saves.

use super::scalars::{AdamHyper, SgdHyper};
use crate::simd::{multiversion, Fma};

multiversion! {
    pub(super) fn sgd_plain(param: &mut [f32], grad: &[f32], h: SgdHyper) => sgd_plain_body;
}

multiversion! {
    pub(super) fn sgd_momentum(
        param: &mut [f32],
        grad: &[f32],
        buf: &mut [f32],
        h: SgdHyper,
        first: bool,
    ) => sgd_momentum_body;
}

multiversion! {
    pub(super) fn adam(
        param: &mut [f32],
        grad: &[f32],
        exp_avg: &mut [f32],
        exp_avg_sq: &mut [f32],
        h: AdamHyper,
    ) => adam_body;
}

#[inline(always)]
fn sgd_plain_body<M: Fma>(param: &mut [f32], grad: &[f32], h: SgdHyper) {
    for (p, &g) in param.iter_mut().zip(grad) {
        let g = M::mul_add(*p, h.weight_decay, g);
        *p = M::mul_add(-h.lr, g, *p);
    }
}

#[inline(always)]
fn sgd_momentum_body<M: Fma>(
    param: &mut [f32],
    grad: &[f32],
    buf: &mut [f32],
    h: SgdHyper,
    first: bool,
) {
    for ((p, &g), b) in param.iter_mut().zip(grad).zip(buf.iter_mut()) {
        let g = M::mul_add(*p, h.weight_decay, g);
        // The first step copies the gradient into the buffer (dampening 0).
        let nb = if first {
            g
        } else {
            M::mul_add(*b, h.momentum, g)
        };
        *b = nb;
        let d = if h.nesterov {
            M::mul_add(nb, h.momentum, g)
        } else {
            nb
        };
        *p = M::mul_add(-h.lr, d, *p);
    }
}

#[inline(always)]
fn adam_body<M: Fma>(
    param: &mut [f32],
    grad: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
    h: AdamHyper,
) {
    let moments = exp_avg.iter_mut().zip(exp_avg_sq.iter_mut());
    for ((p, &g), (m, v)) in param.iter_mut().zip(grad).zip(moments) {
        let pv = *p * h.decay;
        let g = M::mul_add(pv, h.l2, g);
        // torch.lerp with weight < 0.5: m + w·(g − m).
        *m = M::mul_add(h.one_minus_beta1, g - *m, *m);
        *v = M::mul_add(h.one_minus_beta2, g * g, *v * h.beta2);
        let denom = h.bias_correction2_sqrt.divide::<M>(v.sqrt()) + h.eps;
        *p = M::mul_add(-h.step_size, *m / denom, pv);
    }
}
