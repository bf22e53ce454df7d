//! The train-mode loss and its gradient.

use netc_ops::Loss as LossKind;

use crate::dim::Dim;
use crate::loss;

/// The mean loss of `pred` against `target` into `out[0]`.
pub struct Loss<'a, W> {
    pub loss: LossKind,
    pub pred: &'a [f32],
    pub target: &'a [f32],
    pub out: &'a mut [f32],
    pub batch: usize,
    pub width: W,
}

impl<W: Dim> Loss<'_, W> {
    #[inline]
    pub fn run(self) {
        self.out[0] = loss::loss_forward(
            &self.loss,
            self.pred,
            self.target,
            self.batch,
            self.width.get(),
        );
    }
}

/// `dpred = d(mean loss)/d pred`, overwritten: the first backward op.
pub struct LossBackward<'a, W> {
    pub loss: LossKind,
    pub pred: &'a [f32],
    pub target: &'a [f32],
    pub dpred: &'a mut [f32],
    pub batch: usize,
    pub width: W,
}

impl<W: Dim> LossBackward<'_, W> {
    #[inline]
    pub fn run(self) {
        loss::loss_backward(
            &self.loss,
            self.pred,
            self.target,
            self.dpred,
            self.batch,
            self.width.get(),
        );
    }
}
