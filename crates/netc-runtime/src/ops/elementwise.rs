//! Ops over whole buffers: activations, dropout, residual sums, copies
//! and zeroing.

use netc_ops::Activation as Act;

use crate::dim::Dim;
use crate::kernels;
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
        kernels::activation_forward(&self.act, self.x, self.y, self.width.get());
    }
}

/// `dx += φ'(x)·dy`, from the forward's input and output.
pub struct ActivationBackward<'a, W> {
    pub act: Act,
    pub x: &'a [f32],
    pub y: &'a [f32],
    pub dy: &'a [f32],
    pub dx: &'a mut [f32],
    pub width: W,
}

impl<W: Dim> ActivationBackward<'_, W> {
    #[inline]
    pub fn run(self) {
        kernels::activation_backward(
            &self.act,
            self.x,
            self.y,
            self.dy,
            self.dx,
            self.width.get(),
        );
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
}

impl DropoutBackward<'_> {
    #[inline]
    pub fn run(self) {
        kernels::dropout_backward(self.dy, self.mask, self.dx);
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
        kernels::add_forward(self.a, self.b, self.y);
    }
}

/// `dst += src`: the gradient through a residual sum or a value used
/// twice.
pub struct Accumulate<'a> {
    pub dst: &'a mut [f32],
    pub src: &'a [f32],
}

impl Accumulate<'_> {
    #[inline]
    pub fn run(self) {
        kernels::accumulate(self.dst, self.src);
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
