//! The update: optional gradient clipping (PyTorch's `clip_grad_norm_`
//! over every trained parameter), then one optimizer step per trained
//! parameter, in `state_dict` order.

use netc_ops::TrainConfig;

use super::backward::Trained;
use super::Builder;
use crate::plan::{BufferId, BufferKind, OpKind};

const CLIP: &str = "clip_grad_norm";

impl Builder<'_> {
    pub(super) fn lower_update(&mut self, train: &TrainConfig) {
        let trained = self.written_parameter_grads();
        let clipped = match train.clip_grad_norm {
            Some(max_norm) if !trained.is_empty() => Some(self.lower_clip(&trained, max_norm)),
            _ => None,
        };
        for Trained { name, param, grad } in trained {
            let len = self.buffers[param.0].len.elements(0);
            let state = self.fixed(
                &format!("{name}.optimizer_state"),
                BufferKind::OptimizerState,
                len,
            );
            let grad = match clipped {
                Some(Clipped { scratch, coef }) => {
                    let op = OpKind::ScaleInto {
                        src: grad,
                        coef,
                        dst: scratch,
                        len,
                    };
                    self.update.push(Builder::op(op, &name));
                    scratch
                }
                None => grad,
            };
            let op = OpKind::OptimizerStep {
                param,
                grad,
                state,
                len,
            };
            self.update.push(Builder::op(op, &name));
        }
    }

    /// The total norm and clip coefficient of the trained gradients; each
    /// optimizer step then reads its gradient scaled into the scratch
    /// buffer, so the stored gradients stay the pre-clip ones.
    fn lower_clip(&mut self, trained: &[Trained], max_norm: f64) -> Clipped {
        let norms = self.fixed("grad_norms", BufferKind::Scalar, trained.len());
        let norm = self.fixed("grad_norm", BufferKind::Scalar, 1);
        let coef = self.fixed("clip_coef", BufferKind::Scalar, 1);
        let longest = trained
            .iter()
            .map(|t| self.buffers[t.grad.0].len.elements(0))
            .max()
            .unwrap_or(0);
        let scratch = self.fixed("clipped_grad", BufferKind::Scratch, longest);
        for (index, t) in trained.iter().enumerate() {
            let op = OpKind::TensorNorm {
                grad: t.grad,
                norms,
                index,
            };
            self.update.push(Builder::op(op, CLIP));
        }
        self.update
            .push(Builder::op(OpKind::TotalNorm { norms, out: norm }, CLIP));
        let op = OpKind::ClipCoef {
            norm,
            max_norm: max_norm as f32,
            coef,
        };
        self.update.push(Builder::op(op, CLIP));
        Clipped { scratch, coef }
    }
}

/// Where clipped gradients go and the coefficient that scales them.
#[derive(Clone, Copy)]
struct Clipped {
    scratch: BufferId,
    coef: BufferId,
}
