//! `conv2d`: im2col patches times the weight; the forward saves the
//! patches for the weight gradient.

use netc_lang::ir::{Conv2dSpec, Handle, Node};
use netc_ops::image::Conv2dGeometry;
use netc_runtime::kernels::{conv2d_cols_len, conv2d_rows_len};

use crate::lower::state_layout::Param;
use crate::lower::tape::{Call, Gradients, LayerLowering, LayerTape, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{BufferId, BufferKind, BufferLen, Fresh, OpKind};

pub(super) struct Conv2d<'m> {
    spec: &'m Conv2dSpec,
    weight: Param,
    bias: Option<Param>,
}

impl<'m> Conv2d<'m> {
    pub fn declare(builder: &mut Builder<'m>, name: &str, spec: &'m Conv2dSpec) -> Self {
        let (kh, kw) = spec.kernel_size;
        let shape = vec![spec.out_channels, spec.in_channels / spec.groups, kh, kw];
        let bias = spec.bias.then_some(spec.bias_init);
        let (weight, bias) = builder.weight_and_bias(name, shape, spec.init, bias);
        Conv2d { spec, weight, bias }
    }
}

impl<'m> LayerLowering<'m> for Conv2d<'m> {
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let geometry = self.spec.geometry(call.image());
        let mut per_sample =
            |what, kind, width| call.buffer(builder, what, kind, BufferLen::PerSample(width));
        let cols = per_sample("cols", BufferKind::Saved, conv2d_cols_len(&geometry));
        let rows = per_sample("rows", BufferKind::Activation, conv2d_rows_len(&geometry));
        let op = OpKind::Conv2d {
            x,
            w: self.weight.value,
            b: self.bias.map(|b| b.value),
            y,
            cols,
            rows,
            geometry,
        };
        let tape = Conv2dTape {
            arg,
            cols,
            weight: self.weight,
            bias: self.bias,
            geometry,
        };
        (op.clone(), op, Recorded::layer(tape))
    }
}

struct Conv2dTape {
    arg: Handle<Node>,
    /// The patches the forward saved.
    cols: BufferId,
    weight: Param,
    bias: Option<Param>,
    geometry: Conv2dGeometry,
}

impl LayerTape for Conv2dTape {
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind> {
        let dx = grad.grad_of(self.arg);
        let rows = grad.scratch("rows", conv2d_rows_len(&self.geometry));
        let dcols = dx.map(|_| grad.scratch("cols", conv2d_cols_len(&self.geometry)));
        Some(OpKind::Conv2dBackward {
            cols: self.cols,
            w: self.weight.value,
            dy: grad.dy(),
            rows,
            dcols,
            dx,
            dw: self.weight.grad,
            db: self.bias.map(|b| b.grad),
            fresh: Fresh::NONE,
            geometry: self.geometry,
        })
    }

    fn has_parameters(&self) -> bool {
        true
    }
}
