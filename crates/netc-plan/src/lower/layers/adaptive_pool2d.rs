//! `adaptive_avg_pool2d`: windows derived from the input and output
//! sizes, the same op in both modes.

use netc_lang::ir::{AdaptiveAvgPool2dSpec, Handle, Node};
use netc_ops::image::AdaptivePool2dGeometry;

use crate::lower::tape::{Call, Gradients, LayerLowering, LayerTape, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{Fresh, OpKind};

pub(super) struct AdaptiveAvgPool2d<'m> {
    pub spec: &'m AdaptiveAvgPool2dSpec,
}

impl<'m> LayerLowering<'m> for AdaptiveAvgPool2d<'m> {
    fn call(&mut self, _builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let (output_height, output_width) = self.spec.output_size;
        let geometry = AdaptivePool2dGeometry {
            input: call.image(),
            output_height,
            output_width,
        };
        let op = OpKind::AdaptiveAvgPool2d { x, y, geometry };
        let tape = AdaptiveAvgPool2dTape { arg, geometry };
        (op.clone(), op, Recorded::layer(tape))
    }
}

struct AdaptiveAvgPool2dTape {
    arg: Handle<Node>,
    geometry: AdaptivePool2dGeometry,
}

impl LayerTape for AdaptiveAvgPool2dTape {
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind> {
        let dx = grad.grad_of(self.arg)?;
        Some(OpKind::AdaptiveAvgPool2dBackward {
            dy: grad.dy(),
            dx,
            fresh: Fresh::NONE,
            geometry: self.geometry,
        })
    }
}
