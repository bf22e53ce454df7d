//! The update phase: gradient clipping (`clip_grad_norm_`) and one
//! optimizer step per parameter.

use crate::clip;
use crate::optim::{self, ParamState, StepScalars};

/// `norms[index]` := the 2-norm of one gradient (PyTorch's per-tensor
/// norm, the first half of `clip_grad_norm_`).
pub struct TensorNorm<'a> {
    pub grad: &'a [f32],
    pub norms: &'a mut [f32],
    pub index: usize,
}

impl TensorNorm<'_> {
    #[inline]
    pub fn run(self) {
        self.norms[self.index] = clip::tensor_norm(self.grad);
    }
}

/// `out[0]` := the 2-norm of the per-tensor norms.
pub struct TotalNorm<'a> {
    pub norms: &'a [f32],
    pub out: &'a mut [f32],
}

impl TotalNorm<'_> {
    #[inline]
    pub fn run(self) {
        self.out[0] = clip::total_norm(self.norms);
    }
}

/// `coef[0]` := `clamp(max_norm / (norm + 1e-6), max=1)`; a NaN norm
/// stays NaN, as PyTorch's clamp keeps it.
pub struct ClipCoef<'a> {
    pub norm: &'a [f32],
    pub max_norm: f32,
    pub coef: &'a mut [f32],
}

impl ClipCoef<'_> {
    #[inline]
    pub fn run(self) {
        self.coef[0] = clip::clip_coef(self.max_norm, self.norm[0]);
    }
}

/// `dst[..len] = src · coef[0]`: the clipped gradient the optimizer
/// reads, leaving the stored gradient as it was.
pub struct ScaleInto<'a> {
    pub src: &'a [f32],
    pub coef: &'a [f32],
    pub dst: &'a mut [f32],
    pub len: usize,
}

impl ScaleInto<'_> {
    #[inline]
    pub fn run(self) {
        clip::scale_into(self.src, self.coef[0], &mut self.dst[..self.len]);
    }
}

/// One optimizer update of `param` from `grad[..len]` with the step's
/// scalars (computed once per step by the step driver).
pub struct OptimizerStep<'a> {
    pub param: &'a mut [f32],
    pub grad: &'a [f32],
    pub state: &'a mut ParamState,
    pub scalars: &'a StepScalars,
    pub len: usize,
}

impl OptimizerStep<'_> {
    #[inline]
    pub fn run(self) {
        optim::apply_step(self.scalars, self.param, &self.grad[..self.len], self.state);
    }
}
