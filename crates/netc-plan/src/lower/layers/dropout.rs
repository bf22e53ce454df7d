//! `dropout`: a mask drawn per call in training, a copy in eval.

use netc_lang::ir::{DropoutSpec, Handle, Node};

use crate::lower::tape::{Call, Gradients, LayerLowering, LayerTape, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{BufferId, BufferKind, BufferLen, Fresh, OpKind};

pub(super) struct Dropout<'m> {
    pub spec: &'m DropoutSpec,
}

impl<'m> LayerLowering<'m> for Dropout<'m> {
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let len = BufferLen::PerSample(call.width);
        let mask = call.buffer(builder, "mask", BufferKind::Saved, len);
        let train_op = OpKind::Dropout {
            x,
            y,
            mask,
            p: self.spec.p as f32,
        };
        let eval_op = OpKind::Copy { x, y };
        (
            train_op,
            eval_op,
            Recorded::layer(DropoutTape { arg, mask }),
        )
    }
}

struct DropoutTape {
    arg: Handle<Node>,
    mask: BufferId,
}

impl LayerTape for DropoutTape {
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind> {
        let dx = grad.grad_of(self.arg)?;
        Some(OpKind::DropoutBackward {
            dy: grad.dy(),
            mask: self.mask,
            dx,
            fresh: Fresh::NONE,
        })
    }
}
