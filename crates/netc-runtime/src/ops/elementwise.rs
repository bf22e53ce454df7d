//! Ops over whole buffers: activations, dropout, residual sums, copies
//! and zeroing.

use netc_ops::Activation as Act;

use crate::dim::Dim;
use crate::kernels::{self, Fresh};
use crate::parallel::by_rows;
use crate::rng::Rng;

/// An activation over rows of `width` (softmax-like ones read whole rows).
pub struct Activation<'a, W> {
    pub act: Act,
    pub x: &'a [f32],
    pub y: &'a mut [f32],
    pub width: W,
}

impl<W: Dim> Activation<'_, W> {
    #[inline]
    pub fn run(self) {
        let (act, x, width) = (&self.act, self.x, self.width.get());
        by_rows(self.y, width, &|part, y| {
            kernels::activation_forward(act, &x[part], y, width);
        });
    }
}

/// `dx += φ'(x)·dy`, from the forward's input and output: those of them
/// the derivative reads (`Activation::derivative_reads`).
pub struct ActivationBackward<'a, W> {
    pub act: Act,
    pub x: Option<&'a [f32]>,
    pub y: Option<&'a [f32]>,
    pub dy: &'a [f32],
    pub dx: &'a mut [f32],
    /// Whether `dx` is written from scratch (output 0).
    pub fresh: Fresh,
    pub width: W,
}

impl<W: Dim> ActivationBackward<'_, W> {
    #[inline]
    pub fn run(self) {
        let (act, x, y, dy, width) = (&self.act, self.x, self.y, self.dy, self.width.get());
        let fresh = self.fresh.output(0);
        by_rows(self.dx, width, &|part, dx| {
            let (x, y) = (x.map(|x| &x[part.clone()]), y.map(|y| &y[part.clone()]));
            kernels::activation_backward(act, x, y, &dy[part], dx, width, fresh);
        });
    }
}

/// Train-mode dropout: draws the mask from the executor's one dropout
/// stream.
pub struct Dropout<'a> {
    pub x: &'a [f32],
    pub y: &'a mut [f32],
    pub mask: &'a mut [f32],
    pub p: f32,
    pub rng: &'a mut Rng,
}

impl Dropout<'_> {
    #[inline]
    pub fn run(self) {
        kernels::dropout_forward(self.x, self.y, self.mask, self.p, self.rng);
    }
}

/// `dx += mask·dy`.
pub struct DropoutBackward<'a> {
    pub dy: &'a [f32],
    pub mask: &'a [f32],
    pub dx: &'a mut [f32],
    /// Whether `dx` is written from scratch (output 0).
    pub fresh: Fresh,
}

impl DropoutBackward<'_> {
    #[inline]
    pub fn run(self) {
        let (dy, mask, fresh) = (self.dy, self.mask, self.fresh.output(0));
        by_rows(self.dx, 1, &|part, dx| {
            kernels::dropout_backward(&dy[part.clone()], &mask[part], dx, fresh);
        });
    }
}

/// `y = x` (eval-mode dropout).
pub struct Copy<'a> {
    pub x: &'a [f32],
    pub y: &'a mut [f32],
}

impl Copy<'_> {
    #[inline]
    pub fn run(self) {
        self.y.copy_from_slice(self.x);
    }
}

/// `y = a + b` (a residual sum).
pub struct Add<'a> {
    pub a: &'a [f32],
    pub b: &'a [f32],
    pub y: &'a mut [f32],
}

impl Add<'_> {
    #[inline]
    pub fn run(self) {
        let (a, b) = (self.a, self.b);
        by_rows(self.y, 1, &|part, y| {
            kernels::add_forward(&a[part.clone()], &b[part], y);
        });
    }
}

/// `dst += src`: the gradient through a residual sum or a value used
/// twice.
pub struct Accumulate<'a> {
    pub dst: &'a mut [f32],
    pub src: &'a [f32],
    /// Whether `dst` is written from scratch (output 0).
    pub fresh: Fresh,
}

impl Accumulate<'_> {
    #[inline]
    pub fn run(self) {
        let (src, fresh) = (self.src, self.fresh.output(0));
        by_rows(self.dst, 1, &|part, dst| {
            kernels::accumulate(dst, &src[part], fresh)
        });
    }
}

/// `buf = 0`, before a gradient's first accumulating writer.
pub struct Zero<'a> {
    pub buf: &'a mut [f32],
}

impl Zero<'_> {
    #[inline]
    pub fn run(self) {
        self.buf.fill(0.0);
    }
}
