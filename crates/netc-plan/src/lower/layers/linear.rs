//! `linear`: `y = x·Wᵀ + b`; the eval forward multiplies a packed copy
//! of W, rebuilt by the inference cache.

use netc_lang::ir::{Handle, LinearSpec, Node};
use netc_runtime::kernels::linear_panel_len;

use crate::lower::state_layout::Param;
use crate::lower::tape::{Call, Gradients, LayerLowering, LayerTape, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{BufferId, BufferKind, Fresh, OpKind};

pub(super) struct Linear<'m> {
    spec: &'m LinearSpec,
    weight: Param,
    bias: Option<Param>,
    /// The packed weight panel, made by the first call.
    panel: Option<BufferId>,
}

impl<'m> Linear<'m> {
    pub fn declare(builder: &mut Builder<'m>, name: &str, spec: &'m LinearSpec) -> Self {
        let (weight, bias) = builder.weight_and_bias(
            name,
            vec![spec.out_features, spec.in_features],
            spec.init,
            spec.bias.then_some(spec.bias_init),
        );
        Linear {
            spec,
            weight,
            bias,
            panel: None,
        }
    }
}

impl<'m> LayerLowering<'m> for Linear<'m> {
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let (in_f, out_f) = (self.spec.in_features, self.spec.out_features);
        let (w, b) = (self.weight.value, self.bias.map(|b| b.value));
        let panel = *self.panel.get_or_insert_with(|| {
            let len = linear_panel_len(in_f, out_f);
            let panel = builder.fixed(&format!("{}.panel", call.layer), BufferKind::Cache, len);
            let op = OpKind::PackLinear {
                w,
                panel,
                in_f,
                out_f,
            };
            builder.cache.push(Builder::op(op, call.layer));
            panel
        });
        let train_op = OpKind::Linear {
            x,
            w,
            b,
            y,
            in_f,
            out_f,
        };
        let eval_op = OpKind::LinearPacked {
            x,
            w,
            panel,
            b,
            y,
            in_f,
            out_f,
        };
        let tape = LinearTape {
            arg,
            x,
            weight: self.weight,
            bias: self.bias,
            in_f,
            out_f,
        };
        (train_op, eval_op, Recorded::layer(tape))
    }
}

struct LinearTape {
    arg: Handle<Node>,
    x: BufferId,
    weight: Param,
    bias: Option<Param>,
    in_f: usize,
    out_f: usize,
}

impl LayerTape for LinearTape {
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind> {
        Some(OpKind::LinearBackward {
            x: self.x,
            w: self.weight.value,
            dy: grad.dy(),
            dx: grad.grad_of(self.arg),
            dw: self.weight.grad,
            db: self.bias.map(|b| b.grad),
            fresh: Fresh::NONE,
            in_f: self.in_f,
            out_f: self.out_f,
        })
    }

    fn has_parameters(&self) -> bool {
        true
    }
}
