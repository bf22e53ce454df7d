//! Forward and backward kernels over caller-owned row-major
//! `[batch, features]` f32 buffers. Forward outputs are overwritten;
//! every backward output (`dx`, `dw`, `db`, `dgamma`, `dbeta`) is
//! accumulated, except those its caller marks [`Fresh`] (a gradient's
//! first writer), which are overwritten. No kernel allocates once warm:
//! the scratch some keep per thread grows once (`scratch`).
//!
//! Each kernel has a `*_with(isa, ..)` twin that runs a chosen [`Isa`]
//! path, for the scalar-vs-SIMD tests and benchmarks.
//!
//! [`Isa`]: crate::simd::Isa

mod activation;
mod aligned;
mod batchnorm;
mod columns;
mod conv2d;
mod dropout;
mod elementwise;
mod finite;
mod fresh;
mod layernorm;
mod linear;
mod pool2d;
mod product;
mod scratch;
mod small_gemm;
mod transpose;

pub use aligned::CacheAligned;
pub use finite::{all_finite, all_finite_with};
pub use fresh::Fresh;
use scratch::grown;

pub use activation::{
    activation_backward, activation_backward_with, activation_forward, activation_forward_with,
};
pub use batchnorm::{
    batchnorm_apply, batchnorm_apply_on, batchnorm_backward, batchnorm_backward_with,
    batchnorm_eval_affine, batchnorm_eval_affine_on, batchnorm_forward_eval,
    batchnorm_forward_eval_with, batchnorm_forward_train, batchnorm_forward_train_with, Stats,
};
pub use conv2d::{
    conv2d_backward, conv2d_backward_on, conv2d_cols_len, conv2d_forward, conv2d_forward_on,
    conv2d_rows_len,
};
pub use dropout::{dropout_backward, dropout_backward_with, dropout_forward, dropout_forward_with};
pub use elementwise::{accumulate, accumulate_with, add_forward, add_forward_with};
pub use layernorm::{
    layernorm_backward, layernorm_backward_with, layernorm_forward, layernorm_forward_with,
};
pub use linear::{
    linear_backward, linear_backward_on, linear_backward_with, linear_forward, linear_forward_on,
    linear_forward_packed, linear_forward_packed_on, linear_forward_with, linear_packs,
    linear_panel_len, pack_linear_panel, pack_linear_panel_on, BLOCKED_MIN_MACS,
    BLOCKED_ROW_MIN_MACS,
};
pub use pool2d::{
    adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward, avg_pool2d_backward,
    avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward, max_pool2d_forward_on,
};
