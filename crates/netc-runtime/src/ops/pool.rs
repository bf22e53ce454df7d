//! `nn.MaxPool2d`, `nn.AvgPool2d` and `nn.AdaptiveAvgPool2d`: forward
//! and backward over `[batch, C·H·W]` images.

use netc_ops::image::{AdaptivePool2dGeometry, Pool2dGeometry};

use crate::kernels::{self, Fresh};

/// Max pooling; the train-mode forward keeps each maximum's position for
/// the backward (`argmax`), the eval-mode one does not.
pub struct MaxPool2d<'a> {
    pub x: &'a [f32],
    pub y: &'a mut [f32],
    pub argmax: Option<&'a mut [f32]>,
    pub geometry: Pool2dGeometry,
    pub batch: usize,
}

impl MaxPool2d<'_> {
    #[inline]
    pub fn run(self) {
        kernels::max_pool2d_forward(self.x, self.y, self.argmax, self.batch, &self.geometry);
    }
}

/// `dx[argmax] += dy`.
pub struct MaxPool2dBackward<'a> {
    pub dy: &'a [f32],
    pub argmax: &'a [f32],
    pub dx: &'a mut [f32],
    pub geometry: Pool2dGeometry,
    pub batch: usize,
    /// Whether `dx` is written from scratch (output 0).
    pub fresh: Fresh,
}

impl MaxPool2dBackward<'_> {
    #[inline]
    pub fn run(self) {
        let fresh = self.fresh.output(0);
        kernels::max_pool2d_backward(
            self.dy,
            self.argmax,
            self.dx,
            self.batch,
            &self.geometry,
            fresh,
        );
    }
}

/// Average pooling (`count_include_pad` from the geometry's kind).
pub struct AvgPool2d<'a> {
    pub x: &'a [f32],
    pub y: &'a mut [f32],
    pub geometry: Pool2dGeometry,
    pub batch: usize,
}

impl AvgPool2d<'_> {
    #[inline]
    pub fn run(self) {
        kernels::avg_pool2d_forward(self.x, self.y, self.batch, &self.geometry);
    }
}

/// `dx += dy / divisor` over each window.
pub struct AvgPool2dBackward<'a> {
    pub dy: &'a [f32],
    pub dx: &'a mut [f32],
    pub geometry: Pool2dGeometry,
    pub batch: usize,
    /// Whether `dx` is written from scratch (output 0).
    pub fresh: Fresh,
}

impl AvgPool2dBackward<'_> {
    #[inline]
    pub fn run(self) {
        let fresh = self.fresh.output(0);
        kernels::avg_pool2d_backward(self.dy, self.dx, self.batch, &self.geometry, fresh);
    }
}

/// Adaptive average pooling to a fixed output size.
pub struct AdaptiveAvgPool2d<'a> {
    pub x: &'a [f32],
    pub y: &'a mut [f32],
    pub geometry: AdaptivePool2dGeometry,
    pub batch: usize,
}

impl AdaptiveAvgPool2d<'_> {
    #[inline]
    pub fn run(self) {
        kernels::adaptive_avg_pool2d_forward(self.x, self.y, self.batch, &self.geometry);
    }
}

/// `dx += dy / kh / kw` over each adaptive range.
pub struct AdaptiveAvgPool2dBackward<'a> {
    pub dy: &'a [f32],
    pub dx: &'a mut [f32],
    pub geometry: AdaptivePool2dGeometry,
    pub batch: usize,
    /// Whether `dx` is written from scratch (output 0).
    pub fresh: Fresh,
}

impl AdaptiveAvgPool2dBackward<'_> {
    #[inline]
    pub fn run(self) {
        let fresh = self.fresh.output(0);
        kernels::adaptive_avg_pool2d_backward(self.dy, self.dx, self.batch, &self.geometry, fresh);
    }
}
