//! Activations, forward and backward, PyTorch's definitions.

use netc_ops::{Activation, SELU_ALPHA, SELU_SCALE};

use super::Fresh;
use crate::simd::{self, math, multiversion, Fma, Isa};

/// `y = act(x)`; `width` is the row length the softmax family reduces over.
pub fn activation_forward(act: &Activation, x: &[f32], y: &mut [f32], width: usize) {
    activation_forward_with(Isa::detect(), act, x, y, width);
}

/// `dx (+)= dy · act'(x)` from the forward values the derivative reads
/// ([`Activation::derivative_reads`]: the input `x`, the output `y` or
/// both; one it does not read may be `None`); `dx` is overwritten when it
/// is `fresh`. Panics when a value it reads is missing or not as long as
/// `dx`.
pub fn activation_backward(
    act: &Activation,
    x: Option<&[f32]>,
    y: Option<&[f32]>,
    dy: &[f32],
    dx: &mut [f32],
    width: usize,
    fresh: bool,
) {
    activation_backward_with(Isa::detect(), act, x, y, dy, dx, width, fresh);
}

multiversion! {
    /// [`activation_forward`] on a chosen path (tests and benchmarks).
    pub fn activation_forward_with(act: &Activation, x: &[f32], y: &mut [f32], width: usize) => forward_body;
}

multiversion! {
    /// [`activation_backward`] on a chosen path (tests and benchmarks).
    pub fn activation_backward_with(
        act: &Activation,
        x: Option<&[f32]>,
        y: Option<&[f32]>,
        dy: &[f32],
        dx: &mut [f32],
        width: usize,
        fresh: bool,
    ) => backward_body;
}

// The loop helpers are macros, not functions taking closures: a closure
// is a function of its own that LLVM may decline to inline into the ISA
// wrapper, and then it runs without the wrapper's target features (a
// software `fmaf` per element). Pasted into the loop, the body always
// inlines.

/// `y[i] = f(x[i])`.
macro_rules! map {
    ($x:expr, $y:expr, |$v:ident| $body:expr $(,)?) => {
        for (o, &$v) in $y.iter_mut().zip($x) {
            *o = $body;
        }
    };
}

/// `dx[i] (+)= dy[i] · g(a[i])` for an elementwise derivative of `a` (x
/// or y), from zero when `dx` is fresh.
macro_rules! map_grad {
    ($m:ty, $fresh:expr, $a:expr, $dy:expr, $dx:expr, |$v:ident| $g:expr $(,)?) => {
        for ((d, &$v), &gy) in $dx.iter_mut().zip($a).zip($dy) {
            *d = <$m>::mul_add(gy, $g, Fresh::base($fresh, *d));
        }
    };
}

/// Same, for a derivative that needs both x and y.
macro_rules! map_grad2 {
    ($m:ty, $fresh:expr, $x:expr, $y:expr, $dy:expr, $dx:expr, |$xv:ident, $yv:ident| $g:expr $(,)?) => {
        for (((d, &$xv), &$yv), &gy) in $dx.iter_mut().zip($x).zip($y).zip($dy) {
            *d = <$m>::mul_add(gy, $g, Fresh::base($fresh, *d));
        }
    };
}

#[inline(always)]
fn forward_body<M: Fma>(act: &Activation, x: &[f32], y: &mut [f32], width: usize) {
    debug_assert_eq!(x.len(), y.len());
    match *act {
        // `x < 0` rather than `x > 0` keeps NaN visible, as torch.relu does.
        Activation::Relu => map!(x, y, |v| if v < 0.0 { 0.0 } else { v }),
        Activation::LeakyRelu { negative_slope } => {
            let s = negative_slope as f32;
            map!(x, y, |v| if v > 0.0 { v } else { v * s })
        }
        Activation::Elu { alpha } => {
            let a = alpha as f32;
            map!(x, y, |v| if v > 0.0 {
                v
            } else {
                a * math::expm1_nonpositive::<M>(v)
            })
        }
        Activation::Selu => {
            let (scale, sa) = (SELU_SCALE as f32, (SELU_SCALE * SELU_ALPHA) as f32);
            map!(x, y, |v| {
                if v > 0.0 {
                    scale * v
                } else {
                    sa * math::expm1_nonpositive::<M>(v)
                }
            })
        }
        Activation::Gelu => map!(x, y, |v| v * math::normal_cdf::<M>(v)),
        Activation::Silu => map!(x, y, |v| v * math::sigmoid::<M>(v)),
        Activation::Tanh => map!(x, y, |v| math::tanh::<M>(v)),
        Activation::Sigmoid => map!(x, y, |v| math::sigmoid::<M>(v)),
        Activation::Softplus { beta, threshold } => {
            let (b, inv_b, t) = (beta as f32, (1.0 / beta) as f32, threshold as f32);
            map!(x, y, |v| {
                let bx = v * b;
                let soft = math::softplus::<M>(bx) * inv_b;
                if bx > t {
                    v
                } else {
                    soft
                }
            })
        }
        Activation::Identity => y.copy_from_slice(x),
        Activation::Softmax => {
            debug_assert!(width > 0 && x.len().is_multiple_of(width));
            for (xr, yr) in x.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
                let m = simd::max(xr);
                map!(xr, yr, |v| math::exp::<M>(v - m));
                let s = simd::sum(yr);
                for o in yr.iter_mut() {
                    *o /= s;
                }
            }
        }
        Activation::LogSoftmax => {
            debug_assert!(width > 0 && x.len().is_multiple_of(width));
            for (xr, yr) in x.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
                let m = simd::max(xr);
                map!(xr, yr, |v| math::exp::<M>(v - m));
                let lse = m + math::ln::<M>(simd::sum(yr));
                map!(xr, yr, |v| v - lse);
            }
        }
    }
}

/// `value` when the derivative reads it (checked against `len`), else
/// an empty slice the arm never touches.
fn saved<'a>(value: Option<&'a [f32]>, read: bool, len: usize, name: &str) -> &'a [f32] {
    if !read {
        return &[];
    }
    match value {
        Some(v) if v.len() == len => v,
        Some(v) => panic!(
            "activation backward: `{name}` holds {} values, dx {len}",
            v.len()
        ),
        None => panic!("activation backward: the derivative reads `{name}`, which is missing"),
    }
}

#[inline(always)]
fn backward_body<M: Fma>(
    act: &Activation,
    x: Option<&[f32]>,
    y: Option<&[f32]>,
    dy: &[f32],
    dx: &mut [f32],
    width: usize,
    fresh: bool,
) {
    assert_eq!(dy.len(), dx.len(), "activation backward: dy and dx differ");
    let reads = act.derivative_reads();
    let x = saved(x, reads.input, dx.len(), "x");
    let y = saved(y, reads.output, dx.len(), "y");
    // The `z > 0` test of the kinked activations, on the input when it is
    // kept and otherwise on the output, whose sign is the input's there.
    let z_sign = if reads.input { x } else { y };
    match *act {
        // PyTorch's threshold_backward masks on the output.
        Activation::Relu => map_grad!(M, fresh, y, dy, dx, |v| if v > 0.0 { 1.0 } else { 0.0 }),
        Activation::LeakyRelu { negative_slope } => {
            let s = negative_slope as f32;
            map_grad!(M, fresh, z_sign, dy, dx, |v| if v > 0.0 { 1.0 } else { s })
        }
        // For x ≤ 0, α·eˣ = y + α: no second exp.
        Activation::Elu { alpha } => {
            let a = alpha as f32;
            map_grad2!(M, fresh, z_sign, y, dy, dx, |zv, yv| if zv > 0.0 {
                1.0
            } else {
                yv + a
            })
        }
        Activation::Selu => {
            let (scale, sa) = (SELU_SCALE as f32, (SELU_SCALE * SELU_ALPHA) as f32);
            map_grad!(M, fresh, y, dy, dx, |yv| if yv > 0.0 {
                scale
            } else {
                yv + sa
            })
        }
        Activation::Gelu => map_grad!(M, fresh, x, dy, dx, |v| {
            M::mul_add(v, math::normal_pdf::<M>(v), math::normal_cdf::<M>(v))
        }),
        Activation::Silu => map_grad!(M, fresh, x, dy, dx, |v| {
            let s = math::sigmoid::<M>(v);
            s * M::mul_add(v, 1.0 - s, 1.0)
        }),
        Activation::Tanh => map_grad!(M, fresh, y, dy, dx, |v| M::mul_add(-v, v, 1.0)),
        Activation::Sigmoid => map_grad!(M, fresh, y, dy, dx, |v| v * (1.0 - v)),
        Activation::Softplus { beta, threshold } => {
            let (b, t) = (beta as f32, threshold as f32);
            map_grad!(M, fresh, x, dy, dx, |v| {
                let bx = v * b;
                let s = math::sigmoid::<M>(bx);
                if bx > t {
                    1.0
                } else {
                    s
                }
            })
        }
        Activation::Identity => {
            for (d, &g) in dx.iter_mut().zip(dy) {
                *d = Fresh::base(fresh, *d) + g;
            }
        }
        Activation::Softmax => {
            debug_assert!(width > 0 && dx.len().is_multiple_of(width));
            let rows = y.chunks_exact(width).zip(dy.chunks_exact(width));
            for ((yr, gr), dr) in rows.zip(dx.chunks_exact_mut(width)) {
                let s = simd::dot::<M>(gr, yr);
                for ((d, &yv), &g) in dr.iter_mut().zip(yr).zip(gr) {
                    *d = M::mul_add(yv, g - s, Fresh::base(fresh, *d));
                }
            }
        }
        Activation::LogSoftmax => {
            debug_assert!(width > 0 && dx.len().is_multiple_of(width));
            let rows = y.chunks_exact(width).zip(dy.chunks_exact(width));
            for ((yr, gr), dr) in rows.zip(dx.chunks_exact_mut(width)) {
                let s = simd::sum(gr);
                for ((d, &yv), &g) in dr.iter_mut().zip(yr).zip(gr) {
                    *d = Fresh::base(fresh, *d) + M::mul_add(-math::exp::<M>(yv), s, g);
                }
            }
        }
    }
}
