//! `max_pool2d` and `avg_pool2d`; a max pooling saves each window's
//! position of its maximum in training only.

use netc_lang::ir::{Handle, Node, Pool2dSpec};
use netc_ops::image::{Pool2dGeometry, PoolKind};

use crate::lower::tape::{Call, Gradients, LayerLowering, LayerTape, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{BufferId, BufferKind, BufferLen, Fresh, OpKind};

pub(super) struct Pool2d<'m> {
    pub spec: &'m Pool2dSpec,
}

impl<'m> LayerLowering<'m> for Pool2d<'m> {
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let geometry = self.spec.geometry(call.image());
        match geometry.kind {
            PoolKind::Max => {
                let len = BufferLen::PerSample(call.width);
                let argmax = call.buffer(builder, "argmax", BufferKind::Saved, len);
                let pool = |argmax| OpKind::MaxPool2d {
                    x,
                    y,
                    argmax,
                    geometry,
                };
                let tape = Pool2dTape {
                    arg,
                    geometry,
                    argmax: Some(argmax),
                };
                // The eval forward keeps no positions.
                (pool(Some(argmax)), pool(None), Recorded::layer(tape))
            }
            PoolKind::Avg { .. } => {
                let op = OpKind::AvgPool2d { x, y, geometry };
                let tape = Pool2dTape {
                    arg,
                    geometry,
                    argmax: None,
                };
                (op.clone(), op, Recorded::layer(tape))
            }
        }
    }
}

struct Pool2dTape {
    arg: Handle<Node>,
    geometry: Pool2dGeometry,
    /// A max pooling's saved positions.
    argmax: Option<BufferId>,
}

impl LayerTape for Pool2dTape {
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind> {
        let dx = grad.grad_of(self.arg)?;
        let geometry = self.geometry;
        Some(match self.argmax {
            Some(argmax) => OpKind::MaxPool2dBackward {
                dy: grad.dy(),
                argmax,
                dx,
                fresh: Fresh::NONE,
                geometry,
            },
            None => OpKind::AvgPool2dBackward {
                dy: grad.dy(),
                dx,
                fresh: Fresh::NONE,
                geometry,
            },
        })
    }
}
