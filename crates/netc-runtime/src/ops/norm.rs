//! `nn.BatchNorm1d` and `nn.BatchNorm2d` (train, eval, the inference
//! cache's folded affine, backward) and `nn.LayerNorm`.
//!
//! A batchnorm normalises `[batch, n, plane]`: `n` channels of `plane`
//! positions each (1 for batchnorm1d, `H·W` for batchnorm2d).

use crate::dim::Dim;
use crate::kernels::{self, Fresh, Stats};

/// Train-mode batchnorm: batch statistics, saved `xhat`/`mean`/`invstd`,
/// PyTorch's running-statistics update and `num_batches_tracked += 1`.
pub struct BatchNormTrain<'a, N, P> {
    pub x: &'a [f32],
    pub gamma: Option<&'a [f32]>,
    pub beta: Option<&'a [f32]>,
    pub y: &'a mut [f32],
    pub xhat: &'a mut [f32],
    pub mean: &'a mut [f32],
    pub invstd: &'a mut [f32],
    pub running_mean: &'a mut [f32],
    pub running_var: &'a mut [f32],
    pub num_batches_tracked: &'a mut i64,
    /// `None`: the cumulative average (PyTorch's `momentum=None`).
    pub momentum: Option<f32>,
    pub eps: f32,
    pub batch: usize,
    pub n: N,
    /// Positions per channel: 1 (batchnorm1d) or `H·W`.
    pub plane: P,
}

impl<N: Dim, P: Dim> BatchNormTrain<'_, N, P> {
    #[inline]
    pub fn run(self) {
        let stats = Stats {
            mean: self.mean,
            invstd: self.invstd,
            running_mean: self.running_mean,
            running_var: self.running_var,
        };
        kernels::batchnorm_forward_train(
            self.x,
            self.gamma,
            self.beta,
            self.y,
            self.xhat,
            stats,
            self.num_batches_tracked,
            self.momentum,
            self.eps,
            self.batch,
            self.n,
            self.plane,
        );
    }
}

/// Eval-mode batchnorm with the running statistics.
pub struct BatchNormEval<'a, N, P> {
    pub x: &'a [f32],
    pub gamma: Option<&'a [f32]>,
    pub beta: Option<&'a [f32]>,
    pub running_mean: &'a [f32],
    pub running_var: &'a [f32],
    pub y: &'a mut [f32],
    pub eps: f32,
    pub batch: usize,
    pub n: N,
    /// Positions per channel: 1 (batchnorm1d) or `H·W`.
    pub plane: P,
}

impl<N: Dim, P: Dim> BatchNormEval<'_, N, P> {
    #[inline]
    pub fn run(self) {
        kernels::batchnorm_forward_eval(
            self.x,
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            self.eps,
            self.y,
            self.batch,
            self.n,
            self.plane,
        );
    }
}

/// The eval forward's per-feature `scale`/`shift`, kept by the inference
/// cache while the statistics stay put.
pub struct BatchNormAffine<'a, N> {
    pub gamma: Option<&'a [f32]>,
    pub beta: Option<&'a [f32]>,
    pub running_mean: &'a [f32],
    pub running_var: &'a [f32],
    pub scale: &'a mut [f32],
    pub shift: &'a mut [f32],
    pub eps: f32,
    pub n: N,
}

impl<N: Dim> BatchNormAffine<'_, N> {
    #[inline]
    pub fn run(self) {
        kernels::batchnorm_eval_affine(
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            self.eps,
            self.scale,
            self.shift,
            self.n,
        );
    }
}

/// [`BatchNormEval`] from a kept [`BatchNormAffine`]: the same bits.
pub struct BatchNormApply<'a, N, P> {
    pub x: &'a [f32],
    pub scale: &'a [f32],
    pub shift: &'a [f32],
    pub y: &'a mut [f32],
    pub batch: usize,
    pub n: N,
    /// Positions per channel: 1 (batchnorm1d) or `H·W`.
    pub plane: P,
}

impl<N: Dim, P: Dim> BatchNormApply<'_, N, P> {
    #[inline]
    pub fn run(self) {
        kernels::batchnorm_apply(
            self.x, self.scale, self.shift, self.y, self.batch, self.n, self.plane,
        );
    }
}

/// Batchnorm backward from the saved `xhat` and `invstd`.
pub struct BatchNormBackward<'a, N, P> {
    pub dy: &'a [f32],
    pub xhat: &'a [f32],
    pub invstd: &'a [f32],
    pub gamma: Option<&'a [f32]>,
    pub dx: &'a mut [f32],
    pub dgamma: Option<&'a mut [f32]>,
    pub dbeta: Option<&'a mut [f32]>,
    /// Outputs written from scratch: 0 `dx`, 1 `dgamma`, 2 `dbeta`.
    pub fresh: Fresh,
    pub batch: usize,
    pub n: N,
    /// Positions per channel: 1 (batchnorm1d) or `H·W`.
    pub plane: P,
}

impl<N: Dim, P: Dim> BatchNormBackward<'_, N, P> {
    #[inline]
    pub fn run(self) {
        kernels::batchnorm_backward(
            self.dy,
            self.xhat,
            self.invstd,
            self.gamma,
            self.dx,
            self.dgamma,
            self.dbeta,
            self.fresh,
            self.batch,
            self.n,
            self.plane,
        );
    }
}

/// Layernorm over each row, saving `xhat` and the per-row `invstd`.
pub struct LayerNorm<'a, N> {
    pub x: &'a [f32],
    pub gamma: Option<&'a [f32]>,
    pub beta: Option<&'a [f32]>,
    pub y: &'a mut [f32],
    pub xhat: &'a mut [f32],
    pub invstd: &'a mut [f32],
    pub eps: f32,
    pub batch: usize,
    pub n: N,
}

impl<N: Dim> LayerNorm<'_, N> {
    #[inline]
    pub fn run(self) {
        kernels::layernorm_forward(
            self.x,
            self.gamma,
            self.beta,
            self.y,
            self.xhat,
            self.invstd,
            self.eps,
            self.batch,
            self.n.get(),
        );
    }
}

/// Layernorm backward from the saved `xhat` and `invstd`.
pub struct LayerNormBackward<'a, N> {
    pub dy: &'a [f32],
    pub xhat: &'a [f32],
    pub invstd: &'a [f32],
    pub gamma: Option<&'a [f32]>,
    pub dx: &'a mut [f32],
    pub dgamma: Option<&'a mut [f32]>,
    pub dbeta: Option<&'a mut [f32]>,
    /// Outputs written from scratch: 0 `dx`, 1 `dgamma`, 2 `dbeta`.
    pub fresh: Fresh,
    pub batch: usize,
    pub n: N,
}

impl<N: Dim> LayerNormBackward<'_, N> {
    #[inline]
    pub fn run(self) {
        kernels::layernorm_backward(
            self.dy,
            self.xhat,
            self.invstd,
            self.gamma,
            self.dx,
            self.dgamma,
            self.dbeta,
            self.fresh,
            self.batch,
            self.n.get(),
        );
    }
}
