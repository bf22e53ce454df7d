//! `nn.Conv2d`: forward and backward over unfold (im2col) scratch the
//! Plan owns.

use netc_ops::image::Conv2dGeometry;

use crate::kernels::{self, Fresh};

/// `y = conv2d(x, w) + b`; `cols` keeps the patches for the backward,
/// `rows` is scratch (sizes: `conv2d_cols_len`, `conv2d_rows_len` per
/// sample).
pub struct Conv2d<'a> {
    pub x: &'a [f32],
    pub w: &'a [f32],
    pub b: Option<&'a [f32]>,
    pub y: &'a mut [f32],
    pub cols: &'a mut [f32],
    pub rows: &'a mut [f32],
    pub batch: usize,
    pub geometry: Conv2dGeometry,
}

impl Conv2d<'_> {
    #[inline]
    pub fn run(self) {
        kernels::conv2d_forward(
            self.x,
            self.w,
            self.b,
            self.y,
            self.cols,
            self.rows,
            self.batch,
            &self.geometry,
        );
    }
}

/// `dw += ∂/∂w`, `db += Σ dy` and, with `dx` (and its scratch `dcols`),
/// `dx += ∂/∂x`, from the patches [`Conv2d`] left in `cols`.
pub struct Conv2dBackward<'a> {
    pub cols: &'a [f32],
    pub w: &'a [f32],
    pub dy: &'a [f32],
    pub rows: &'a mut [f32],
    pub dcols: Option<&'a mut [f32]>,
    pub dx: Option<&'a mut [f32]>,
    pub dw: &'a mut [f32],
    pub db: Option<&'a mut [f32]>,
    /// Outputs written from scratch: 2 `dx`, 3 `dw`, 4 `db` (0 `rows` and
    /// 1 `dcols` are scratch, always overwritten).
    pub fresh: Fresh,
    pub batch: usize,
    pub geometry: Conv2dGeometry,
}

impl Conv2dBackward<'_> {
    #[inline]
    pub fn run(self) {
        kernels::conv2d_backward(
            self.cols,
            self.w,
            self.dy,
            self.rows,
            self.dcols,
            self.dx,
            self.dw,
            self.db,
            self.fresh,
            self.batch,
            &self.geometry,
        );
    }
}
