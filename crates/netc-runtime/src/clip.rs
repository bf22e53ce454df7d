//! `torch.nn.utils.clip_grad_norm_` with the 2-norm.

use crate::simd::{multiversion, Fma, Isa};

/// PyTorch's total norm of `grads`: the 2-norm of the per-tensor 2-norms
/// ([`tensor_norm`], [`total_norm`]), as `clip_grad_norm_` stacks them.
pub fn global_grad_norm(grads: &[&[f32]]) -> f32 {
    global_grad_norm_with(Isa::detect(), grads)
}

/// [`global_grad_norm`] on a chosen path (tests and benchmarks).
pub fn global_grad_norm_with(isa: Isa, grads: &[&[f32]]) -> f32 {
    norm_of_norms(grads.iter().map(|g| tensor_norm_with(isa, g)))
}

/// One gradient's 2-norm, its squares accumulated in f64.
#[inline]
pub fn tensor_norm(grad: &[f32]) -> f32 {
    tensor_norm_with(Isa::detect(), grad)
}

/// [`tensor_norm`] on a chosen path (tests and benchmarks).
#[inline]
pub fn tensor_norm_with(isa: Isa, grad: &[f32]) -> f32 {
    sum_squares_with(isa, grad).sqrt() as f32
}

/// The 2-norm of per-tensor norms, in f64.
#[inline]
pub fn total_norm(norms: &[f32]) -> f32 {
    norm_of_norms(norms.iter().copied())
}

fn norm_of_norms(norms: impl Iterator<Item = f32>) -> f32 {
    let sum_sq: f64 = norms.map(|n| f64::from(n).powi(2)).sum();
    sum_sq.sqrt() as f32
}

/// `clamp(max_norm / (total + 1e-6), max=1)`. Not `f32::min`: that would
/// turn a NaN coefficient into 1, where PyTorch's clamp keeps the NaN
/// and so spreads a non-finite norm into every gradient.
#[inline]
pub fn clip_coef(max_norm: f32, total: f32) -> f32 {
    let coef = max_norm / (total + 1e-6);
    if coef > 1.0 {
        1.0
    } else {
        coef
    }
}

/// `dst = src · coef`, element by element.
#[inline]
pub fn scale_into(src: &[f32], coef: f32, dst: &mut [f32]) {
    for (d, g) in dst.iter_mut().zip(src) {
        *d = g * coef;
    }
}

/// Scales every gradient by [`clip_coef`] — always, as PyTorch, so a
/// non-finite norm propagates into the gradients — and returns the
/// pre-clip total norm.
pub fn clip_grad_norm(grads: &mut [&mut [f32]], max_norm: f32) -> f32 {
    clip_grad_norm_with(Isa::detect(), grads, max_norm)
}

/// [`clip_grad_norm`] on a chosen path (tests and benchmarks).
pub fn clip_grad_norm_with(isa: Isa, grads: &mut [&mut [f32]], max_norm: f32) -> f32 {
    let total = norm_of_norms(grads.iter().map(|g| tensor_norm_with(isa, g)));
    let coef = clip_coef(max_norm, total);
    for g in grads.iter_mut() {
        scale_with(isa, g, coef);
    }
    total
}

/// Lanes of f64 partial sums (8 fill one AVX-512 register).
const LANES64: usize = 8;

multiversion! {
    fn sum_squares_with(x: &[f32]) -> f64 => sum_squares_body;
}

multiversion! {
    fn scale_with(x: &mut [f32], coef: f32) => scale_body;
}

#[inline(always)]
fn sum_squares_body<M: Fma>(x: &[f32]) -> f64 {
    let mut acc = [0f64; LANES64];
    let mut chunks = x.chunks_exact(LANES64);
    for c in &mut chunks {
        for l in 0..LANES64 {
            let v = f64::from(c[l]);
            acc[l] = M::mul_add64(v, v, acc[l]);
        }
    }
    let tail: f64 = chunks
        .remainder()
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum();
    acc.iter().sum::<f64>() + tail
}

// Generic only so that `multiversion!` can compile it once per ISA.
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn scale_body<M: Fma>(x: &mut [f32], coef: f32) {
    for v in x.iter_mut() {
        *v *= coef;
    }
}
