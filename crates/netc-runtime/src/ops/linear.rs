//! `nn.Linear`: forward, backward, and the inference cache's packed
//! weight panel.

use crate::dim::Dim;
use crate::kernels::{self, Fresh};
use crate::simd::Isa;

/// `y = x·Wᵀ + b`.
pub struct Linear<'a, I, O> {
    pub x: &'a [f32],
    pub w: &'a [f32],
    pub b: Option<&'a [f32]>,
    pub y: &'a mut [f32],
    pub batch: usize,
    pub in_f: I,
    pub out_f: O,
}

impl<I: Dim, O: Dim> Linear<'_, I, O> {
    #[inline]
    pub fn run(self) {
        kernels::linear_forward(
            self.x, self.w, self.b, self.y, self.batch, self.in_f, self.out_f,
        );
    }
}

/// `dx += dy·W`, `dw += dyᵀ·x`, `db += Σ dy`.
pub struct LinearBackward<'a, I, O> {
    pub x: &'a [f32],
    pub w: &'a [f32],
    pub dy: &'a [f32],
    pub dx: Option<&'a mut [f32]>,
    pub dw: &'a mut [f32],
    pub db: Option<&'a mut [f32]>,
    /// Outputs written from scratch: 0 `dx`, 1 `dw`, 2 `db`.
    pub fresh: Fresh,
    pub batch: usize,
    pub in_f: I,
    pub out_f: O,
}

impl<I: Dim, O: Dim> LinearBackward<'_, I, O> {
    #[inline]
    pub fn run(self) {
        let (x, w, dy, batch) = (self.x, self.w, self.dy, self.batch);
        let (dx, dw, db, fresh) = (self.dx, self.dw, self.db, self.fresh);
        let isa = Isa::detect();
        kernels::linear_backward_on(
            isa, x, w, dy, dx, dw, db, batch, self.in_f, self.out_f, fresh,
        );
    }
}

/// Packs `w` into the panel the eval forward reads ([`LinearPacked`]);
/// an inference-cache op.
pub struct PackLinear<'a, I, O> {
    pub w: &'a [f32],
    pub panel: &'a mut [f32],
    pub in_f: I,
    pub out_f: O,
}

impl<I: Dim, O: Dim> PackLinear<'_, I, O> {
    #[inline]
    pub fn run(self) {
        kernels::pack_linear_panel(self.w, self.panel, self.in_f, self.out_f);
    }
}

/// [`Linear`] from the panel [`PackLinear`] made of `w`: the same bits.
pub struct LinearPacked<'a, I, O> {
    pub x: &'a [f32],
    pub w: &'a [f32],
    pub panel: &'a [f32],
    pub b: Option<&'a [f32]>,
    pub y: &'a mut [f32],
    pub batch: usize,
    pub in_f: I,
    pub out_f: O,
}

impl<I: Dim, O: Dim> LinearPacked<'_, I, O> {
    #[inline]
    pub fn run(self) {
        kernels::linear_forward_packed(
            self.x, self.w, self.panel, self.b, self.y, self.batch, self.in_f, self.out_f,
        );
    }
}
